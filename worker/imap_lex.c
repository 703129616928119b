/*
 * Tokenising one IMAP line segment.  Character classes come from one
 * 256-entry table; nothing here looks at literal octets.
 *
 * Commands are lexed strictly (exactly one SP between tokens, none after
 * "(" or before ")", none at the end): what we pass must be read the same
 * way by any server.  Responses are lexed leniently about spaces, because
 * a client can live with a quirky server and a proxy that ends sessions
 * over a doubled space helps nobody.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_lex.h"

#define C_ATOM		0x01	/* ATOM-CHAR */
#define C_TAG		0x02	/* ASTRING-CHAR except "+" */
#define C_WORD		0x04	/* ATOM-CHAR but "[", and "%", "*", "]" */
#define C_DIGIT		0x08
#define C_SEQ		0x10	/* digits ":" "," "*" */
#define C_QSAFE		0x20	/* in a quoted string as is */
#define C_TEXT		0x40	/* TEXT-CHAR, 8-bit allowed */
#define C_RAW		0x80	/* printable ASCII */

/* Generated from the RFC 3501 ABNF; see the bits above. */
static const uint8_t cls[256] = {
	0x00, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0x00 */
	0x60, 0x60, 0x00, 0x60, 0x60, 0x00, 0x60, 0x60,	/* 0x08 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0x10 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0x18 */
	0xe0, 0xe7, 0xc0, 0xe7, 0xe7, 0xe4, 0xe7, 0xe7,	/* 0x20 */
	0xe0, 0xe0, 0xf4, 0xe5, 0xf7, 0xe7, 0xe7, 0xe7,	/* 0x28 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* 0x30 */
	0xff, 0xff, 0xf7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7,	/* 0x38 */
	0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7,	/* 0x40 */
	0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7,	/* 0x48 */
	0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7,	/* 0x50 */
	0xe7, 0xe7, 0xe7, 0xe3, 0xc0, 0xe6, 0xe7, 0xe7,	/* 0x58 */
	0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7,	/* 0x60 */
	0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7,	/* 0x68 */
	0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7, 0xe7,	/* 0x70 */
	0xe7, 0xe7, 0xe7, 0xe0, 0xe7, 0xe7, 0xe7, 0x60,	/* 0x78 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0x80 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0x88 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0x90 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0x98 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xa0 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xa8 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xb0 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xb8 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xc0 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xc8 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xd0 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xd8 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xe0 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xe8 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xf0 */
	0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60, 0x60,	/* 0xf8 */
};

struct lexer {
	struct imap_parser	*p;
	struct imap_lexout	*out;
	int			 strict;
};

static enum imap_err
bad_char(uint8_t c)
{
	if (c == '\0')
		return IMAP_ERR_NUL;
	if (c == '\r')
		return IMAP_ERR_BARE_CR;
	if (c >= 0x80)
		return IMAP_ERR_8BIT;
	if (c < 0x20 || c == 0x7f)
		return IMAP_ERR_CTL;
	return IMAP_ERR_SYNTAX;
}

/* Token pointers point into the line buffers, so the array may move. */
static int __attribute__((noinline))
grow(struct imap_parser *p)
{
	struct imap_token	*t;
	unsigned int		 ncap;

	if (p->ntok >= p->tok_max)
		return -1;
	ncap = p->tokcap * 2;
	if (ncap > p->tok_max)
		ncap = p->tok_max;
	if ((t = reallocarray(p->tok, ncap, sizeof(*t))) == NULL)
		return -1;
	p->tok = t;
	p->tokcap = ncap;
	return 0;
}

static inline struct imap_token *
push(struct imap_parser *p, int type, const uint8_t *s, size_t len)
{
	struct imap_token	*t;

	if (p->ntok == p->tokcap && grow(p) == -1)
		return NULL;
	t = &p->tok[p->ntok++];
	t->p = s;
	t->len = (uint32_t)len;
	t->type = (uint8_t)type;
	t->depth = (uint8_t)p->depth;
	t->lit = 0;
	t->flags = 0;
	t->num = 0;
	return t;
}

/* Why push failed: the limit, or memory. */
static enum imap_err
push_err(const struct imap_parser *p)
{
	return p->ntok >= p->tok_max ? IMAP_ERR_TOO_MANY_ARGS : IMAP_ERR_NOMEM;
}

/* seq-set = (seq-number / seq-range) *("," ...), seq-number = nz / "*" */
static int
valid_seqset(const uint8_t *s, const uint8_t *end)
{
	int	 ranged = 0;

	for (;;) {
		if (s < end && *s == '*')
			s++;
		else if (s < end && *s >= '1' && *s <= '9') {
			while (s < end && (cls[*s] & C_DIGIT))
				s++;
		} else
			return 0;
		if (s == end)
			return 1;
		if (*s == ':' && !ranged)
			ranged = 1;
		else if (*s == ',')
			ranged = 0;
		else
			return 0;
		s++;
	}
}

static int
is_section_name(const uint8_t *s, size_t len)
{
	static const char *names[] = {
		"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE"
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len &&
		    strncasecmp((const char *)s, names[i], len) == 0)
			return 1;
	return 0;
}

static enum imap_err lex_literal(struct lexer *, const uint8_t **,
    const uint8_t *, int);
static enum imap_err lex_args(struct lexer *, const uint8_t *,
    const uint8_t *, int, int);

/*
 * BODY[...]<n.m> as one token: the brackets may hold spaces, lists and
 * quoted strings (HEADER.FIELDS ("Subject")).  In a command, a header
 * field name may also be a literal (header-fld-name is an astring): the
 * token then ends before the announcement, with SECT_OPEN, and the next
 * segment goes on with a SECT_CONT token (lex_section_cont).  q: where
 * to go on scanning; pd: the parentheses open inside the brackets.
 */
static enum imap_err
lex_section_body(struct lexer *lx, const uint8_t **sp, const uint8_t *start,
    const uint8_t *q, const uint8_t *end, uint8_t flags, unsigned int pd)
{
	struct imap_token	*t;
	const uint8_t		*d;
	enum imap_err		 err;

	while (q < end && *q != ']') {
		if (*q == '"') {
			for (q++; q < end && *q != '"'; q++) {
				if (*q == '\\')
					q++;
				if (q < end && !(cls[*q] & C_TEXT))
					return bad_char(*q);
			}
			if (q >= end)
				return IMAP_ERR_BAD_SECTION;
		} else if (*q == '(')
			pd++;
		else if (*q == ')') {
			if (pd == 0)
				return IMAP_ERR_BAD_SECTION;
			pd--;
		} else if (*q == '{') {
			/* only a whole field name, only from clients */
			if (!lx->strict || pd == 0 || q == start ||
			    (q[-1] != '(' && q[-1] != ' '))
				return IMAP_ERR_BAD_SECTION;
			if ((t = push(lx->p, IMAP_TOK_SECTION, start,
			    q - start)) == NULL)
				return push_err(lx->p);
			t->flags = flags | IMAP_TOKF_SECT_OPEN;
			err = lex_literal(lx, &q, end, 1);
			if (err == IMAP_ERR_LITERAL_SYNTAX)
				return IMAP_ERR_BAD_SECTION;
			if (err != IMAP_ERR_NONE)
				return err;
			lx->p->sect_depth = pd;
			*sp = q;
			return IMAP_ERR_NONE;
		} else if (*q == '[')
			return IMAP_ERR_BAD_SECTION;
		else if (*q >= 0x80 || *q < 0x20 || *q == 0x7f)
			return bad_char(*q);
		q++;
	}
	if (q >= end)
		return IMAP_ERR_BAD_SECTION;
	q++;
	if (q < end && *q == '<') {
		for (d = ++q; q < end && (cls[*q] & C_DIGIT); q++)
			;
		if (q == d)
			return IMAP_ERR_BAD_SECTION;
		if (q < end && *q == '.') {
			for (d = ++q; q < end && (cls[*q] & C_DIGIT); q++)
				;
			if (q == d)
				return IMAP_ERR_BAD_SECTION;
		}
		if (q >= end || *q != '>')
			return IMAP_ERR_BAD_SECTION;
		q++;
	}
	if (q < end && *q != ' ' && *q != ')')
		return bad_char(*q);
	if ((t = push(lx->p, IMAP_TOK_SECTION, start, q - start)) == NULL)
		return push_err(lx->p);
	t->flags = flags;
	*sp = q;
	return IMAP_ERR_NONE;
}

static enum imap_err
lex_section(struct lexer *lx, const uint8_t **sp, const uint8_t *start,
    const uint8_t *b, const uint8_t *end)
{
	return lex_section_body(lx, sp, start, b + 1, end, 0, 0);
}

/*
 * The segment after a literal inside a section: the field list goes on
 * right after the literal octets, so with SP or ")".
 */
static enum imap_err
lex_section_cont(struct lexer *lx, const uint8_t *s, const uint8_t *end)
{
	unsigned int	 pd = lx->p->sect_depth;
	const uint8_t	*q = s;
	enum imap_err	 err;

	lx->p->sect_depth = 0;
	if (s == end || (*s != ' ' && *s != ')'))
		return IMAP_ERR_BAD_SECTION;
	err = lex_section_body(lx, &q, s, s, end, IMAP_TOKF_SECT_CONT, pd);
	if (err != IMAP_ERR_NONE || lx->p->sect_depth != 0)
		return err;
	return lex_args(lx, q, end, 1, 1);
}

/* Atom, flag, number, sequence set, NIL or section. */
static enum imap_err
lex_word(struct lexer *lx, const uint8_t **sp, const uint8_t *end)
{
	const uint8_t		*s = *sp, *start = s, *w;
	struct imap_token	*t;
	uint8_t			 all = 0xff;
	uint64_t		 v;
	int			 flag = 0, type;

	if (*s == '\\') {
		flag = 1;
		s++;
	}
	/* "[" is not in C_WORD: the loop stops there to look for BODY[ */
	for (w = s; s < end && (cls[*s] & C_WORD); s++)
		all &= cls[*s];
	if (s < end && *s == '[') {
		if (!flag && is_section_name(w, s - w))
			return lex_section(lx, sp, start, s, end);
		for (; s < end && ((cls[*s] & C_WORD) || *s == '['); s++)
			all &= cls[*s];
		all &= cls['['];
	}
	if (s == w)
		return s < end ? bad_char(*s) : IMAP_ERR_SYNTAX;
	if (s < end && *s != ' ' && *s != ')')
		return bad_char(*s);

	type = IMAP_TOK_ATOM;
	if (flag)
		;
	else if (all & C_DIGIT)
		type = IMAP_TOK_NUMBER;
	else if ((all & C_SEQ) && valid_seqset(w, s))
		type = IMAP_TOK_SEQSET;
	else if (s - w == 3 && strncasecmp((const char *)w, "NIL", 3) == 0)
		type = IMAP_TOK_NIL;
	if ((t = push(lx->p, type, start, s - start)) == NULL)
		return push_err(lx->p);
	if (flag)
		t->flags |= IMAP_TOKF_FLAG;
	if (type == IMAP_TOK_NUMBER) {
		for (v = 0; w < s; w++) {
			if (v > (UINT64_MAX >> 1) / 10) {
				t->flags |= IMAP_TOKF_OVERFLOW;
				v = UINT64_MAX;
				break;
			}
			v = v * 10 + (*w - '0');
		}
		if (v > (UINT64_MAX >> 1) && v != UINT64_MAX) {
			t->flags |= IMAP_TOKF_OVERFLOW;
			v = UINT64_MAX;
		}
		t->num = v;
	}
	*sp = s;
	return IMAP_ERR_NONE;
}

/* Only \" and \\ are escapes: decoding anything else the way some server
 * might would make us see a different name than the server does. */
static enum imap_err
lex_quoted(struct lexer *lx, const uint8_t **sp, const uint8_t *end)
{
	struct imap_parser	*p = lx->p;
	struct imap_token	*t;
	const uint8_t		*q = *sp + 1, *body = q;
	uint8_t			*d;
	int			 esc = 0;

	for (;;) {
		while (q < end && (cls[*q] & C_QSAFE))
			q++;
		if (q == end)
			return IMAP_ERR_QUOTED_UNTERMINATED;
		if (*q == '"')
			break;
		if (*q == '\\') {
			if (q + 1 == end)
				return IMAP_ERR_QUOTED_UNTERMINATED;
			if (q[1] != '"' && q[1] != '\\')
				return IMAP_ERR_QUOTED_ESCAPE;
			esc = 1;
			q += 2;
			continue;
		}
		return bad_char(*q);
	}
	if ((t = push(p, IMAP_TOK_QUOTED, body, q - body)) == NULL)
		return push_err(p);
	if (esc) {
		/* decoded <= raw, and dec is as big as the line buffer */
		d = p->dec + p->declen;
		t->p = d;
		for (; body < q; body++) {
			if (*body == '\\')
				body++;
			*d++ = *body;
		}
		t->len = (uint32_t)(d - t->p);
		p->declen += t->len;
		t->flags |= IMAP_TOKF_ESCAPED;
	}
	*sp = q + 1;
	if (*sp < end && **sp != ' ' && **sp != ')')
		return bad_char(**sp);
	return IMAP_ERR_NONE;
}

/* {n} {n+} {n-} ~{n} ~{n+}: only at the very end of a segment. */
static enum imap_err
lex_literal(struct lexer *lx, const uint8_t **sp, const uint8_t *end,
    int allow)
{
	struct imap_token	*t;
	const uint8_t		*at = *sp, *s = at, *d;
	uint64_t		 v = 0, max = UINT32_MAX;
	int			 big = 0, kind = IMAP_LIT_SYNC;

	if (*s == '~') {
		kind |= IMAP_LIT_BINARY;
		max = INT64_MAX;
		s++;
	}
	for (d = ++s; s < end && (cls[*s] & C_DIGIT); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			big = 1;
		else
			v = v * 10 + (*s - '0');
	}
	if (s == d)
		return IMAP_ERR_LITERAL_SYNTAX;
	if (s < end && *s == '+') {
		kind = (kind & ~0x0f) | IMAP_LIT_PLUS;
		s++;
	} else if (s < end && *s == '-') {
		kind = (kind & ~0x0f) | IMAP_LIT_MINUS;
		s++;
	}
	if (s == end || *s != '}' || s + 1 != end || !allow)
		return IMAP_ERR_LITERAL_SYNTAX;
	s++;
	if (big || v > max)
		return IMAP_ERR_LITERAL_TOO_BIG;
	if ((t = push(lx->p, IMAP_TOK_LITERAL, at, s - at)) == NULL)
		return push_err(lx->p);
	t->num = v;
	t->lit = (uint8_t)kind;
	lx->out->lit = (uint8_t)kind;
	lx->out->litlen = v;
	lx->out->lit_at = at;
	*sp = s;
	return IMAP_ERR_NONE;
}

/*
 * Arguments: space-separated tokens and lists.  sep: a separator is due
 * before the next token (anything but the start of a list).
 */
static enum imap_err
lex_args(struct lexer *lx, const uint8_t *s, const uint8_t *end, int sep,
    int allow_lit)
{
	struct imap_parser	*p = lx->p;
	struct imap_token	*t;
	enum imap_err		 err;

	while (s < end) {
		if (*s != ')' && (sep || *s == ' ')) {
			if (*s != ' ')
				return bad_char(*s) == IMAP_ERR_SYNTAX ?
				    IMAP_ERR_SPACE : bad_char(*s);
			if (!sep && lx->strict)
				return IMAP_ERR_SPACE;
			s++;
			if (!lx->strict)
				while (s < end && *s == ' ')
					s++;
			if (s == end) {
				if (lx->strict)
					return IMAP_ERR_SPACE;
				break;
			}
			if (lx->strict && (*s == ' ' || *s == ')'))
				return IMAP_ERR_SPACE;
		}
		switch (*s) {
		case '(':
			if (p->depth >= p->depth_max)
				return IMAP_ERR_TOO_DEEP;
			p->depth++;
			if (push(p, IMAP_TOK_LIST_BEGIN, s, 1) == NULL)
				return push_err(p);
			s++;
			sep = 0;
			continue;
		case ')':
			if (p->depth == 0)
				return IMAP_ERR_LIST_UNBALANCED;
			if ((t = push(p, IMAP_TOK_LIST_END, s, 1)) == NULL)
				return push_err(p);
			p->depth--;
			s++;
			/* env-to = "(" 1*address ")": ")(" in responses */
			if (!lx->strict && s < end && *s == '(') {
				sep = 0;
				continue;
			}
			if (s < end && *s != ' ' && *s != ')')
				return bad_char(*s) == IMAP_ERR_SYNTAX ?
				    IMAP_ERR_SPACE : bad_char(*s);
			sep = 1;
			continue;
		case '"':
			err = lex_quoted(lx, &s, end);
			break;
		case '{':
			err = lex_literal(lx, &s, end, allow_lit);
			break;
		case '~':
			if (s + 1 < end && s[1] == '{') {
				err = lex_literal(lx, &s, end, allow_lit);
				break;
			}
			/* FALLTHROUGH */
		default:
			err = lex_word(lx, &s, end);
			break;
		}
		if (err != IMAP_ERR_NONE)
			return err;
		sep = 1;
	}
	return IMAP_ERR_NONE;
}

static enum imap_err
lex_text(struct lexer *lx, const uint8_t *s, const uint8_t *end, uint8_t mask)
{
	const uint8_t	*q;

	for (q = s; q < end; q++)
		if (!(cls[*q] & mask))
			return bad_char(*q);
	if (push(lx->p, IMAP_TOK_TEXT, s, end - s) == NULL)
		return push_err(lx->p);
	return IMAP_ERR_NONE;
}

static enum imap_err
lex_tag(struct lexer *lx, const uint8_t **sp, const uint8_t *end)
{
	const uint8_t	*s = *sp, *t = s;

	while (s < end && (cls[*s] & C_TAG))
		s++;
	if (s == t)
		return (s == end || *s == ' ') ? IMAP_ERR_MISSING_TAG :
		    IMAP_ERR_BAD_TAG;
	if (s < end && *s != ' ')
		return IMAP_ERR_BAD_TAG;
	/*
	 * RFC 3501 lets a tag hold "]"; Dovecot does not, and answers such
	 * a command with an untagged BAD: the client would wait for a
	 * tagged answer that never comes, and we would keep the command in
	 * flight.  Refused here, as the server would.
	 */
	if (lx->p->dir == IMAP_DIR_CLIENT && memchr(t, ']', s - t) != NULL)
		return IMAP_ERR_BAD_TAG;
	if (s - t > IMAP_TAG_MAX)
		return IMAP_ERR_TAG_TOO_LONG;
	if (push(lx->p, IMAP_TOK_TAG, t, s - t) == NULL)
		return push_err(lx->p);
	*sp = s;
	return IMAP_ERR_NONE;
}

/* SP atom, e.g. the command name or OK/NO/BAD. */
static enum imap_err
lex_name(struct lexer *lx, const uint8_t **sp, const uint8_t *end,
    enum imap_err bad)
{
	const uint8_t	*s = *sp, *n;

	if (s == end || *s != ' ')
		return bad;
	for (n = ++s; s < end && (cls[*s] & C_ATOM); s++)
		;
	if (s == n || (s < end && *s != ' '))
		return bad;
	if (push(lx->p, IMAP_TOK_ATOM, n, s - n) == NULL)
		return push_err(lx->p);
	*sp = s;
	return IMAP_ERR_NONE;
}

static enum imap_err
lex_command(struct lexer *lx, const uint8_t *s, const uint8_t *end)
{
	enum imap_err	 err;

	if ((err = lex_tag(lx, &s, end)) != IMAP_ERR_NONE)
		return err;
	if ((err = lex_name(lx, &s, end, IMAP_ERR_BAD_COMMAND)) !=
	    IMAP_ERR_NONE)
		return err;
	return lex_args(lx, s, end, 1, 1);
}

static int
tok_is_status(const struct imap_token *t, int untagged)
{
	return imap_tok_is(t, "OK") || imap_tok_is(t, "NO") ||
	    imap_tok_is(t, "BAD") || (untagged && (imap_tok_is(t, "BYE") ||
	    imap_tok_is(t, "PREAUTH")));
}

/*
 * Inside [...]: the code name and its arguments as tokens when they lex
 * (CAPABILITY, PERMANENTFLAGS, APPENDUID...), else one TEXT token: the
 * grammar allows any text there and quirky servers use it.
 */
static enum imap_err
lex_code(struct lexer *lx, const uint8_t *s, const uint8_t *end)
{
	struct imap_parser	*p = lx->p;
	unsigned int		 ntok = p->ntok, depth = p->depth;
	size_t			 declen = p->declen;
	const uint8_t		*n = s;

	while (s < end && (cls[*s] & C_ATOM))
		s++;
	if (s > n && (s == end || *s == ' ') &&
	    push(p, IMAP_TOK_ATOM, n, s - n) != NULL &&
	    lex_args(lx, s, end, 1, 0) == IMAP_ERR_NONE && p->depth == depth)
		return IMAP_ERR_NONE;
	p->ntok = ntok;
	p->depth = depth;
	p->declen = declen;
	return lex_text(lx, n, end, C_TEXT);
}

static enum imap_err
lex_resp_text(struct lexer *lx, const uint8_t *s, const uint8_t *end)
{
	struct imap_parser	*p = lx->p;
	const uint8_t		*close;
	enum imap_err		 err;

	if (s < end) {
		if (*s != ' ')
			return IMAP_ERR_BAD_RESPONSE;
		s++;
	}
	if (s < end && *s == '[' &&
	    (close = memchr(s + 1, ']', end - s - 1)) != NULL) {
		if (push(p, IMAP_TOK_CODE_BEGIN, s + 1, close - s - 1) == NULL)
			return push_err(p);
		if ((err = lex_code(lx, s + 1, close)) != IMAP_ERR_NONE)
			return err;
		if (push(p, IMAP_TOK_CODE_END, close, 1) == NULL)
			return push_err(p);
		s = close + 1;
		if (s < end && *s == ' ')
			s++;
	}
	return lex_text(lx, s, end, C_TEXT);
}

static enum imap_err
lex_response(struct lexer *lx, const uint8_t *s, const uint8_t *end)
{
	struct imap_parser	*p = lx->p;
	struct imap_token	*t;
	enum imap_err		 err;
	int			 num = 0;

	if (s < end && *s == '+') {
		if (push(p, IMAP_TOK_PLUS, s, 1) == NULL)
			return push_err(p);
		s++;
		if (s < end && *s++ != ' ')
			return IMAP_ERR_BAD_RESPONSE;
		return lex_text(lx, s, end, C_TEXT);
	}
	if (s < end && *s == '*') {
		if (push(p, IMAP_TOK_STAR, s, 1) == NULL)
			return push_err(p);
		s++;
		if (s + 1 < end && s[0] == ' ' && (cls[s[1]] & C_DIGIT)) {
			s++;
			if ((err = lex_word(lx, &s, end)) != IMAP_ERR_NONE)
				return err;
			if (p->tok[p->ntok - 1].type != IMAP_TOK_NUMBER)
				return IMAP_ERR_BAD_RESPONSE;
			num = 1;
		}
	} else if ((err = lex_tag(lx, &s, end)) != IMAP_ERR_NONE)
		return err == IMAP_ERR_MISSING_TAG ? IMAP_ERR_BAD_RESPONSE : err;
	if ((err = lex_name(lx, &s, end, IMAP_ERR_BAD_RESPONSE)) !=
	    IMAP_ERR_NONE)
		return err;
	t = &p->tok[p->ntok - 1];
	if (p->tok[0].type == IMAP_TOK_TAG) {
		if (!tok_is_status(t, 0))
			return IMAP_ERR_BAD_RESPONSE;
		return lex_resp_text(lx, s, end);
	}
	if (!num && tok_is_status(t, 1))
		return lex_resp_text(lx, s, end);
	return lex_args(lx, s, end, 1, 1);
}

enum imap_err
imap_lex_segment(struct imap_parser *p, const uint8_t *s, const uint8_t *end,
    int first, struct imap_lexout *out)
{
	struct lexer	 lx;

	lx.p = p;
	lx.out = out;
	lx.strict = p->dir == IMAP_DIR_CLIENT;
	out->lit = IMAP_LIT_NONE;
	if (!first && p->sect_depth != 0)
		return lex_section_cont(&lx, s, end);
	if (!first)
		return lex_args(&lx, s, end, 1, 1);
	if (p->dir == IMAP_DIR_SERVER)
		return lex_response(&lx, s, end);
	if (p->raw_mode)
		return lex_text(&lx, s, end, C_RAW);
	return lex_command(&lx, s, end);
}

int
imap_lex_tail_nonsync(const uint8_t *s, const uint8_t *end)
{
	size_t	 n = end - s, i;

	if (n < 4 || s[n - 1] != '}' || (s[n - 2] != '+' && s[n - 2] != '-'))
		return 0;
	for (i = n - 2; i > 0 && (cls[s[i - 1]] & C_DIGIT); i--)
		;
	return i < n - 2 && i > 0 && s[i - 1] == '{';
}
