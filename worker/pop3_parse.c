/*
 * POP3 framing: see pop3_parse.h.  Nothing here allocates after
 * pop3_line_init(), and nothing keeps a pointer into the caller's bytes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_parse.h"

/* Multi-line scanner states: where in a line the last byte left us. */
enum {
	ML_BOL = 0,	/* at the start of a line */
	ML_MID,		/* inside a line */
	ML_DOT,		/* "." at the start of a line */
	ML_DOTCR,	/* ".\r" at the start of a line */
};

int
pop3_line_init(struct pop3_line *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
	if ((l->p = malloc(max)) == NULL)
		return -1;
	return 0;
}

void
pop3_line_free(struct pop3_line *l)
{
	free(l->p);
	l->p = NULL;
}

enum pop3_line_st
pop3_line_feed(struct pop3_line *l, const uint8_t *p, size_t len,
    size_t *used)
{
	const uint8_t	*lf;
	size_t		 n;
	int		 whole;

	if (l->done) {
		l->len = 0;
		l->overflow = 0;
		l->done = 0;
	}
	lf = memchr(p, '\n', len);
	n = lf != NULL ? (size_t)(lf - p) + 1 : len;
	whole = lf != NULL;
	*used = n;
	if (!l->overflow && l->len + n > l->max)
		l->overflow = 1;
	if (!l->overflow) {
		memcpy(l->p + l->len, p, n);
		l->len += n;
	}
	if (!whole)
		return POP3_LINE_MORE;
	l->done = 1;
	return l->overflow ? POP3_LINE_LONG : POP3_LINE_DONE;
}

size_t
pop3_line_text(const struct pop3_line *l, const uint8_t **p)
{
	size_t	 n = l->len;

	*p = l->p;
	if (n > 0 && l->p[n - 1] == '\n')
		n--;
	if (n > 0 && l->p[n - 1] == '\r')
		n--;
	return n;
}

int
pop3_line_bare_lf(const struct pop3_line *l)
{
	return l->len > 0 && l->p[l->len - 1] == '\n' &&
	    (l->len < 2 || l->p[l->len - 2] != '\r');
}

enum pop3_cmd_err
pop3_cmd_parse(const uint8_t *p, size_t len, struct pop3_cmd *c)
{
	size_t	 i, k, start;

	memset(c, 0, sizeof(*c));
	if (len == 0)
		return POP3_CMD_EMPTY;
	/* A stray CR, a NUL or any other control octet: never forwarded. */
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return POP3_CMD_CTL;
	for (k = 0; k < len && p[k] != ' '; k++) {
		if (k == POP3_KEYWORD_MAX)
			return POP3_CMD_KEYWORD;
		c->kw[k] = (char)toupper(p[k]);
	}
	if (k == 0)
		return POP3_CMD_KEYWORD;
	if (k == len)
		return POP3_CMD_OK;
	c->rest = (const char *)p + k + 1;
	c->restlen = len - k - 1;
	/* Arguments are separated by single spaces (RFC 1939 section 3). */
	for (i = k + 1; i <= len; ) {
		start = i;
		while (i < len && p[i] != ' ')
			i++;
		if (c->nargs == POP3_ARGS_MAX) {
			/* PASS may hold spaces: the caller decides. */
			c->many = 1;
			break;
		}
		c->arg[c->nargs] = (const char *)p + start;
		c->arglen[c->nargs++] = i - start;
		i++;
	}
	return POP3_CMD_OK;
}

const char *
pop3_cmd_err_str(enum pop3_cmd_err e)
{
	switch (e) {
	case POP3_CMD_OK:
		return "ok";
	case POP3_CMD_EMPTY:
		return "empty command";
	case POP3_CMD_KEYWORD:
		return "bad keyword";
	case POP3_CMD_CTL:
		return "control character in command";
	}
	return "unknown error";
}

enum pop3_status
pop3_status_parse(const uint8_t *p, size_t len)
{
	if (len >= 3 && memcmp(p, "+OK", 3) == 0 && (len == 3 || p[3] == ' '))
		return POP3_ST_OK;
	if (len >= 4 && memcmp(p, "-ERR", 4) == 0 &&
	    (len == 4 || p[4] == ' '))
		return POP3_ST_ERR;
	if (len >= 1 && p[0] == '+' && (len == 1 || p[1] == ' '))
		return POP3_ST_CONT;
	return POP3_ST_BAD;
}

static int
digits(const char *s, size_t len, uint32_t *v)
{
	uint64_t	 n = 0;
	size_t		 i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > INT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

int
pop3_msgno(const char *s, size_t len, uint32_t *v)
{
	if (len == 0 || s[0] == '0')
		return -1;
	return digits(s, len, v);
}

int
pop3_count(const char *s, size_t len, uint32_t *v)
{
	return digits(s, len, v);
}

void
pop3_ml_start(struct pop3_ml *m)
{
	m->st = ML_BOL;
}

int
pop3_ml_scan(struct pop3_ml *m, const uint8_t *p, size_t len, size_t *used)
{
	const uint8_t	*dot;
	size_t		 i = 0;

	while (i < len) {
		switch (m->st) {
		case ML_BOL:
			m->st = p[i] == '.' ? ML_DOT : ML_MID;
			if (p[i] == '\n')
				m->st = ML_BOL;
			i++;
			break;
		case ML_DOT:
			if (p[i] == '\n') {
				*used = i + 1;
				m->st = ML_BOL;
				return 1;
			}
			m->st = p[i] == '\r' ? ML_DOTCR : ML_MID;
			i++;
			break;
		case ML_DOTCR:
			if (p[i] == '\n') {
				*used = i + 1;
				m->st = ML_BOL;
				return 1;
			}
			m->st = ML_MID;
			break;
		default:
			/*
			 * The bulk: only a "." right after a LF matters, and
			 * dots are much rarer than line ends.
			 */
			while ((dot = memchr(p + i, '.', len - i)) != NULL) {
				i = (size_t)(dot - p) + 1;
				if (dot > p && dot[-1] == '\n') {
					m->st = ML_DOT;
					break;
				}
			}
			if (dot == NULL) {
				m->st = p[len - 1] == '\n' ? ML_BOL : ML_MID;
				i = len;
			}
			break;
		}
	}
	*used = len;
	return 0;
}
