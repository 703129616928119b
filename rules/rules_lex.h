/* The tokens of postern.rules(5); internal to the compiler. */
#ifndef POSTERN_RULES_LEX_H
#define POSTERN_RULES_LEX_H

#include <stddef.h>

enum tok_type {
	TK_WORD = 1,
	TK_STRING,
	TK_LPAREN,
	TK_RPAREN,
	TK_EOL,
	TK_EOF,
	TK_ERROR,	/* s: why */
};

struct tok {
	enum tok_type	 type;
	unsigned	 line, col;
	char		*s;	/* NUL-terminated, the lexer's; valid until next */
	size_t		 len;
};

struct lexer {
	const char	*src;
	size_t		 len, pos;
	unsigned	 line, col;
	char		*buf;
	size_t		 bufsz;
	char		 why[64];
};

void	lex_init(struct lexer *, const char *, size_t);
int	lex_next(struct lexer *, struct tok *);	/* -1: out of memory */
void	lex_free(struct lexer *);

#endif
