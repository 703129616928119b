/*
 * Framing of the IMAP byte stream: lines found with memchr, literal
 * octets counted and handed back by pointer.  Tokenising is imap_lex.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_lex.h"

enum {
	PS_LINE,		/* collecting a line segment */
	PS_LIT,			/* passing literal octets */
	PS_DEAD			/* fatal error seen */
};

#define TOK_INITIAL	64

static void	 msg_reset(struct imap_parser *);

/*
 * The line and decode buffers start small and grow (together, so that
 * decoded strings always fit) up to the line limit.  Between messages
 * they may go (imap_parser_rest()); the next byte takes them again.
 */
#define LINE_INITIAL	1024

static int
take(struct imap_parser *p)
{
	p->tokcap = p->tok_max < TOK_INITIAL ? p->tok_max : TOK_INITIAL;
	p->linecap = p->line_max < LINE_INITIAL ? p->line_max : LINE_INITIAL;
	p->line = malloc(p->linecap);
	p->dec = malloc(p->linecap);
	p->tok = calloc(p->tokcap, sizeof(*p->tok));
	if (p->line == NULL || p->dec == NULL || p->tok == NULL)
		return -1;
	return 0;
}

int
imap_parser_init(struct imap_parser *p, enum imap_dir dir,
    const struct imap_limits *lim)
{
	struct imap_limits	 def;

	if (lim == NULL) {
		imap_limits_default(&def);
		lim = &def;
	}
	memset(p, 0, sizeof(*p));
	p->dir = dir;
	p->state = PS_LINE;
	if (dir == IMAP_DIR_CLIENT) {
		p->line_max = lim->cmd_line_max;
		p->depth_max = lim->cmd_depth_max;
		p->tok_max = lim->cmd_args_max;
	} else {
		p->line_max = lim->resp_line_max;
		p->depth_max = lim->resp_depth_max;
		p->tok_max = lim->resp_args_max;
	}
	if (p->line_max < 16)
		p->line_max = 16;
	if (p->depth_max > IMAP_DEPTH_HARD_MAX)
		p->depth_max = IMAP_DEPTH_HARD_MAX;
	if (p->tok_max < 4)
		p->tok_max = 4;
	if (take(p) == -1) {
		imap_parser_free(p);
		return -1;
	}
	return 0;
}

void
imap_parser_rest(struct imap_parser *p)
{
	if (p->line == NULL || !imap_parser_idle(p))
		return;
	msg_reset(p);
	free(p->line);
	free(p->dec);
	free(p->tok);
	p->line = p->dec = NULL;
	p->tok = NULL;
	p->linecap = p->tokcap = 0;
}

void
imap_parser_free(struct imap_parser *p)
{
	free(p->line);
	free(p->dec);
	free(p->tok);
	p->line = p->dec = NULL;
	p->tok = NULL;
	p->ntok = p->tokcap = 0;
	p->state = PS_DEAD;
	p->dead = IMAP_ERR_NOMEM;
}

static void
msg_reset(struct imap_parser *p)
{
	p->linelen = 0;
	p->segoff = 0;
	p->segno = 0;
	p->ntok = 0;
	p->declen = 0;
	p->depth = 0;
	p->sect_depth = 0;
	p->litleft = 0;
	p->msgdone = 0;
}

static void
set_error(struct imap_parser *p, struct imap_event *ev, enum imap_err err,
    int fatal)
{
	ev->type = IMAP_EV_ERROR;
	ev->err = err;
	ev->fatal = fatal;
	if (p->ntok > 0 && p->tok[0].type == IMAP_TOK_TAG) {
		ev->tag = p->tok[0].p;
		ev->taglen = p->tok[0].len;
	}
	if (fatal) {
		p->state = PS_DEAD;
		p->dead = err;
	} else
		p->msgdone = 1;
}

/* A whole segment, LF included, sits at line + segoff. */
static void
segment_done(struct imap_parser *p, struct imap_event *ev)
{
	uint8_t			*seg = p->line + p->segoff;
	size_t			 seglen = p->linelen - p->segoff;
	const uint8_t		*end = seg + seglen - 1;
	struct imap_lexout	 out;
	unsigned int		 first = p->ntok;
	enum imap_err		 err;
	int			 bare = 0;

	if (end > seg && end[-1] == '\r')
		end--;
	else
		bare = 1;
	err = imap_lex_segment(p, seg, end, p->segno == 0, &out);
	if (bare)
		err = IMAP_ERR_BARE_LF;
	else if (err == IMAP_ERR_NONE && out.lit == IMAP_LIT_NONE &&
	    p->depth != 0)
		err = IMAP_ERR_LIST_UNCLOSED;
	ev->raw = seg;
	ev->rawlen = seglen;
	ev->seg = p->segno;
	if (err != IMAP_ERR_NONE) {
		/* The peer sends {n+} octets whatever we answer. */
		set_error(p, ev, err, imap_lex_tail_nonsync(seg, end));
		return;
	}
	ev->type = IMAP_EV_LINE;
	ev->tok_first = first;
	ev->tok_count = p->ntok - first;
	if (out.lit == IMAP_LIT_NONE) {
		ev->final = 1;
		p->msgdone = 1;
		return;
	}
	ev->lit = out.lit;
	ev->litlen = out.litlen;
	ev->lit_off = out.lit_at - seg;
	p->litleft = out.litlen;
	p->segno++;
	p->segoff = p->linelen;
	if (p->litleft > 0)
		p->state = PS_LIT;
}

/* Make room for need bytes; tokens of the message follow the move. */
static int
grow(struct imap_parser *p, size_t need)
{
	uint8_t		*nl, *nd;
	size_t		 cap = p->linecap;
	unsigned int	 i;

	while (cap < need)
		cap = cap > p->line_max / 2 ? p->line_max : cap * 2;
	nl = malloc(cap);
	nd = malloc(cap);
	if (nl == NULL || nd == NULL) {
		free(nl);
		free(nd);
		return -1;
	}
	memcpy(nl, p->line, p->linelen);
	memcpy(nd, p->dec, p->declen);
	for (i = 0; i < p->ntok; i++) {
		if (p->tok[i].flags & IMAP_TOKF_ESCAPED)
			p->tok[i].p = nd + (p->tok[i].p - p->dec);
		else
			p->tok[i].p = nl + (p->tok[i].p - p->line);
	}
	free(p->line);
	free(p->dec);
	p->line = nl;
	p->dec = nd;
	p->linecap = cap;
	return 0;
}

size_t
imap_parser_feed(struct imap_parser *p, const uint8_t *data, size_t len,
    struct imap_event *ev)
{
	const uint8_t	*lf;
	size_t		 n;

	memset(ev, 0, sizeof(*ev));
	switch (p->state) {
	case PS_DEAD:
		ev->type = IMAP_EV_ERROR;
		ev->err = p->dead;
		ev->fatal = 1;
		return len;
	case PS_LIT:
		if (len == 0)
			return 0;
		n = len < p->litleft ? len : (size_t)p->litleft;
		ev->type = IMAP_EV_LITDATA;
		ev->data = data;
		ev->len = n;
		p->litleft -= n;
		ev->litleft = p->litleft;
		if (p->litleft == 0)
			p->state = PS_LINE;
		return n;
	}
	if (p->msgdone)
		msg_reset(p);
	if (len == 0)
		return 0;
	if (p->line == NULL && take(p) == -1) {
		imap_parser_free(p);
		set_error(p, ev, IMAP_ERR_NOMEM, 1);
		return len;
	}
	lf = memchr(data, '\n', len);
	n = lf != NULL ? (size_t)(lf - data) + 1 : len;
	if (n > p->line_max - p->linelen) {
		set_error(p, ev, IMAP_ERR_LINE_TOO_LONG, 1);
		return len;
	}
	if (n > p->linecap - p->linelen && grow(p, p->linelen + n) == -1) {
		set_error(p, ev, IMAP_ERR_NOMEM, 1);
		return len;
	}
	memcpy(p->line + p->linelen, data, n);
	p->linelen += n;
	if (lf != NULL)
		segment_done(p, ev);
	return n;
}

const struct imap_token *
imap_parser_tokens(const struct imap_parser *p, unsigned int *n)
{
	*n = p->ntok;
	return p->tok;
}

void
imap_parser_set_raw(struct imap_parser *p, int on)
{
	p->raw_mode = on;
}

void
imap_parser_abort_message(struct imap_parser *p)
{
	if (p->state == PS_DEAD)
		return;
	msg_reset(p);
	p->state = PS_LINE;
}

int
imap_parser_idle(const struct imap_parser *p)
{
	return p->state == PS_LINE && (p->msgdone || p->linelen == 0);
}

int
imap_parser_in_literal(const struct imap_parser *p)
{
	return p->state == PS_LIT;
}

int
imap_tok_is(const struct imap_token *t, const char *s)
{
	size_t	 n = strlen(s);

	return t->len == n && strncasecmp((const char *)t->p, s, n) == 0;
}

const char *
imap_err_str(enum imap_err err)
{
	static const char *str[IMAP_ERR_MAX] = {
		[IMAP_ERR_NONE] = "no error",
		[IMAP_ERR_BARE_LF] = "Line ends in LF without CR",
		[IMAP_ERR_BARE_CR] = "CR not followed by LF",
		[IMAP_ERR_NUL] = "NUL octet outside a literal",
		[IMAP_ERR_8BIT] = "8-bit octet in an atom",
		[IMAP_ERR_CTL] = "Control character in line",
		[IMAP_ERR_SYNTAX] = "Syntax error",
		[IMAP_ERR_SPACE] = "Missing, extra or trailing space",
		[IMAP_ERR_QUOTED_UNTERMINATED] = "Unterminated quoted string",
		[IMAP_ERR_QUOTED_ESCAPE] = "Invalid escape in quoted string",
		[IMAP_ERR_LITERAL_SYNTAX] = "Invalid literal",
		[IMAP_ERR_LITERAL_TOO_BIG] = "Literal length out of range",
		[IMAP_ERR_LIST_UNBALANCED] = "Unbalanced parenthesis",
		[IMAP_ERR_LIST_UNCLOSED] = "Unclosed parenthesis",
		[IMAP_ERR_TOO_DEEP] = "Lists nested too deep",
		[IMAP_ERR_TOO_MANY_ARGS] = "Too many arguments",
		[IMAP_ERR_LINE_TOO_LONG] = "Line too long",
		[IMAP_ERR_MISSING_TAG] = "Missing tag",
		[IMAP_ERR_BAD_TAG] = "Invalid tag",
		[IMAP_ERR_TAG_TOO_LONG] = "Tag too long",
		[IMAP_ERR_BAD_COMMAND] = "Missing or invalid command name",
		[IMAP_ERR_BAD_SECTION] = "Invalid section",
		[IMAP_ERR_BAD_RESPONSE] = "Invalid response",
		[IMAP_ERR_NOMEM] = "Out of memory",
	};

	if (err >= IMAP_ERR_MAX || str[err] == NULL)
		return "Unknown error";
	return str[err];
}

const char *
imap_tok_type_str(enum imap_tok_type t)
{
	static const char *str[] = {
		"TAG", "STAR", "PLUS", "ATOM", "NUMBER", "SEQSET", "QUOTED",
		"LITERAL", "NIL", "(", ")", "SECTION", "[", "]", "TEXT"
	};

	if ((size_t)t >= sizeof(str) / sizeof(str[0]))
		return "?";
	return str[t];
}
