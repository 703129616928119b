/*
 * Splitting rule text into words, quoted strings, parentheses and line
 * ends.  A rule is one line; a backslash before the newline continues it.
 * Positions are 1-based lines and byte columns, for error messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_lex.h"

void
lex_init(struct lexer *lx, const char *src, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->src = src;
	lx->len = len;
	lx->line = 1;
	lx->col = 1;
}

void
lex_free(struct lexer *lx)
{
	free(lx->buf);
	lx->buf = NULL;
}

static int
peekc(const struct lexer *lx, size_t ahead)
{
	if (lx->pos + ahead >= lx->len)
		return -1;
	return (unsigned char)lx->src[lx->pos + ahead];
}

static void
advance(struct lexer *lx)
{
	if (lx->src[lx->pos] == '\n') {
		lx->line++;
		lx->col = 1;
	} else
		lx->col++;
	lx->pos++;
}

static int
put(struct lexer *lx, size_t n, int c)
{
	char	*nb;
	size_t	 nsz;

	if (n + 1 >= lx->bufsz) {
		nsz = lx->bufsz ? lx->bufsz * 2 : 64;
		if ((nb = realloc(lx->buf, nsz)) == NULL)
			return -1;
		lx->buf = nb;
		lx->bufsz = nsz;
	}
	lx->buf[n] = (char)c;
	lx->buf[n + 1] = '\0';
	return 0;
}

static int
is_word(int c)
{
	return c > ' ' && c != 0x7f && c != '"' && c != '(' && c != ')';
}

static void
skip_blank(struct lexer *lx)
{
	int	 c;

	for (;;) {
		c = peekc(lx, 0);
		if (c == ' ' || c == '\t' || c == '\r')
			advance(lx);
		else if (c == '\\' && peekc(lx, 1) == '\n') {
			advance(lx);
			advance(lx);
		} else if (c == '#') {
			while ((c = peekc(lx, 0)) != -1 && c != '\n')
				advance(lx);
		} else
			return;
	}
}

static int
lex_error(struct lexer *lx, struct tok *t, const char *why)
{
	snprintf(lx->why, sizeof(lx->why), "%s", why);
	t->type = TK_ERROR;
	t->s = lx->why;
	t->len = strlen(lx->why);
	return 0;
}

static int
lex_string(struct lexer *lx, struct tok *t)
{
	size_t	 n = 0;
	int	 c;

	advance(lx);
	if (put(lx, 0, '\0') == -1)
		return -1;
	lx->buf[0] = '\0';
	for (;;) {
		c = peekc(lx, 0);
		if (c == -1 || c == '\n')
			return lex_error(lx, t, "unterminated string");
		if (c == '"') {
			advance(lx);
			break;
		}
		if (c == '\\') {
			advance(lx);
			c = peekc(lx, 0);
			if (c == -1 || c == '\n')
				return lex_error(lx, t, "unterminated string");
		}
		if (c == '\0' || c == '\r')
			return lex_error(lx, t, "control character in string");
		if (put(lx, n++, c) == -1)
			return -1;
		advance(lx);
	}
	t->type = TK_STRING;
	t->s = lx->buf;
	t->len = n;
	return 0;
}

int
lex_next(struct lexer *lx, struct tok *t)
{
	size_t	 n = 0;
	int	 c;

	skip_blank(lx);
	t->line = lx->line;
	t->col = lx->col;
	t->s = "";
	t->len = 0;
	c = peekc(lx, 0);
	switch (c) {
	case -1:
		t->type = TK_EOF;
		return 0;
	case '\n':
		advance(lx);
		t->type = TK_EOL;
		return 0;
	case '(':
	case ')':
		advance(lx);
		t->type = c == '(' ? TK_LPAREN : TK_RPAREN;
		t->s = c == '(' ? "(" : ")";
		t->len = 1;
		return 0;
	case '"':
		return lex_string(lx, t);
	}
	if (!is_word(c)) {
		char	 why[48];

		snprintf(why, sizeof(why), "unexpected character 0x%02x", c);
		return lex_error(lx, t, why);
	}
	while ((c = peekc(lx, 0)) != -1 && is_word(c)) {
		if (put(lx, n++, c) == -1)
			return -1;
		advance(lx);
	}
	t->type = TK_WORD;
	t->s = lx->buf;
	t->len = n;
	return 0;
}
