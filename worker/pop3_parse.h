/*
 * POP3 framing (RFC 1939, RFC 2449): lines in both directions, the
 * keyword and arguments of a command, the status of a response, and the
 * end of a multi-line response.
 *
 * Lines end in LF; a CR before it is part of the terminator.  A bare LF
 * still ends a line (Dovecot does the same, so both sides stay in step);
 * the session layer decides what to make of it.  Lines are collected in
 * a bounded buffer; a longer line is consumed to its end and reported as
 * too long, so the stream stays in step without holding it.
 *
 * The body of a multi-line response is never collected: pop3_ml_scan()
 * only finds where it ends, looking at the first bytes of each line, so
 * the bytes go on untouched, dot-stuffing and all.
 */
#ifndef POSTERN_WORKER_POP3_PARSE_H
#define POSTERN_WORKER_POP3_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define POP3_KEYWORD_MAX	16	/* longer is not a command, RFC 2449 */
#define POP3_ARGS_MAX		8	/* USER, APOP, TOP: at most two */

enum pop3_line_st {
	POP3_LINE_MORE = 0,	/* everything consumed, no line end yet */
	POP3_LINE_DONE,		/* a line; pop3_line_get() */
	POP3_LINE_LONG,		/* a line over the limit, consumed and lost */
};

struct pop3_line {
	uint8_t		*p;
	size_t		 len;		/* collected, terminator included */
	size_t		 max;		/* longest line, terminator included */
	int		 overflow;	/* past max: skipping to the LF */
	int		 done;		/* the line is whole; next call resets */
};

int	 pop3_line_init(struct pop3_line *, size_t);
void	 pop3_line_free(struct pop3_line *);
/* Consumes bytes up to one line end at most; *used says how many. */
enum pop3_line_st pop3_line_feed(struct pop3_line *, const uint8_t *, size_t,
	    size_t *);
/* The whole line, and its length without CRLF or LF. */
size_t	 pop3_line_text(const struct pop3_line *, const uint8_t **);
/* Whether the line ended in a bare LF. */
int	 pop3_line_bare_lf(const struct pop3_line *);

enum pop3_cmd_err {
	POP3_CMD_OK = 0,
	POP3_CMD_EMPTY,		/* nothing but the line end */
	POP3_CMD_KEYWORD,	/* not 1-16 printable non-space octets */
	POP3_CMD_CTL,		/* a control octet (NUL included) */
};

/* A command: the keyword upper-cased, the arguments by pointer. */
struct pop3_cmd {
	char		 kw[POP3_KEYWORD_MAX + 1];
	const char	*rest;		/* everything after "KEYWORD " */
	size_t		 restlen;
	const char	*arg[POP3_ARGS_MAX];
	size_t		 arglen[POP3_ARGS_MAX];
	unsigned int	 nargs;
	int		 many;		/* more than POP3_ARGS_MAX, not split */
};

enum pop3_cmd_err pop3_cmd_parse(const uint8_t *, size_t, struct pop3_cmd *);
const char *pop3_cmd_err_str(enum pop3_cmd_err);

enum pop3_status {
	POP3_ST_BAD = 0,
	POP3_ST_OK,		/* "+OK" */
	POP3_ST_ERR,		/* "-ERR" */
	POP3_ST_CONT,		/* "+ " or "+": a SASL challenge, RFC 5034 */
};

enum pop3_status pop3_status_parse(const uint8_t *, size_t);

/*
 * A message number (RFC 1939 section 3: 1 and up; we take at most
 * 2^31 - 1): digits only, no sign, no leading zero.  Returns -1 if not.
 */
int	 pop3_msgno(const char *, size_t, uint32_t *);
/* A non-negative number of lines for TOP: digits only. */
int	 pop3_count(const char *, size_t, uint32_t *);

/* Where a multi-line response ends: ".CRLF" (or ".LF") at a line start. */
struct pop3_ml {
	int		 st;
};

void	 pop3_ml_start(struct pop3_ml *);
/*
 * Scans len bytes; returns 1 when the terminator ends at *used (counted
 * from p, terminator included), 0 when it was not found (*used = len).
 */
int	 pop3_ml_scan(struct pop3_ml *, const uint8_t *, size_t, size_t *);

#endif
