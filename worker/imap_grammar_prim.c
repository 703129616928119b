/*
 * The grammar's primitives: the state of one check (how it stops, what
 * is due, what is optional, lists) and the types of the ABNF of RFC 3501
 * section 9 the commands' grammars are written in: atom, astring,
 * string, number, sequence-set, date, date-time, flags, mailbox names.
 * Apart from the command families that use them, so that each of those
 * files reads as its RFC's ABNF and nothing else.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "imap_caps.h"
#include "imap_grammar.h"
#include "imap_grammar_int.h"

static int
stop(struct gs *s, enum imap_gram_res res, const char *why)
{
	/* the first reason stands */
	if (s->g->res == IMAP_GRAM_OK) {
		s->g->res = res;
		s->g->why = why;
	}
	return -1;
}

int
gs_bad(struct gs *s, const char *why)
{
	return stop(s, IMAP_GRAM_BAD, why);
}

int
gs_gate(struct gs *s, uint64_t cap, const char *why)
{
	if (s->caps & cap)
		return 0;
	return stop(s, IMAP_GRAM_NOTADV, why);
}

/*
 * The next token, not consumed; NULL with MORE (not final) or BAD (final:
 * an argument is missing) when there is none.
 */
const struct imap_token *
gs_need(struct gs *s, const char *why)
{
	if (s->i < s->n)
		return &s->tok[s->i];
	if (!s->final)
		stop(s, IMAP_GRAM_MORE, NULL);
	else
		gs_bad(s, why);
	return NULL;
}

/*
 * Optional arguments: 1 when the arguments are over, 0 when a token
 * follows, -1 (MORE) when more may come after the literal.
 */
int
gs_end_of(struct gs *s)
{
	if (s->i < s->n)
		return 0;
	if (!s->final)
		return stop(s, IMAP_GRAM_MORE, NULL);
	return 1;
}

/* The next token is a ")"?  Same answers as gs_end_of(). */
int
gs_at_close(struct gs *s)
{
	if (s->i < s->n)
		return s->tok[s->i].type == IMAP_TOK_LIST_END;
	if (!s->final)
		return stop(s, IMAP_GRAM_MORE, NULL);
	/* the lexer balances lists at the end of a message */
	return gs_bad(s, "Unclosed list");
}

int
gs_open_list(struct gs *s, const char *why)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, why)) == NULL)
		return -1;
	if (t->type != IMAP_TOK_LIST_BEGIN)
		return gs_bad(s, why);
	s->i++;
	return 0;
}

int
gs_close_list(struct gs *s, const char *why)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, why)) == NULL)
		return -1;
	if (t->type != IMAP_TOK_LIST_END)
		return gs_bad(s, why);
	s->i++;
	return 0;
}

int
gs_has_any(const struct imap_token *t, const char *set)
{
	uint32_t	 k;

	for (k = 0; k < t->len; k++)
		if (strchr(set, t->p[k]) != NULL)
			return 1;
	return 0;
}

/* atom: ATOM-CHARs only (the lexer lets "%", "*" and "]" into words). */
int
gs_is_atom(const struct imap_token *t)
{
	switch (t->type) {
	case IMAP_TOK_ATOM:
		return !(t->flags & IMAP_TOKF_FLAG) && !gs_has_any(t, "%*]");
	case IMAP_TOK_SEQSET:
		return !gs_has_any(t, "*");
	case IMAP_TOK_NUMBER:
	case IMAP_TOK_NIL:
		return 1;
	default:
		return 0;
	}
}

int
gs_kw(const struct imap_token *t, const char *name)
{
	return t->type == IMAP_TOK_ATOM && !(t->flags & IMAP_TOKF_FLAG) &&
	    imap_tok_is(t, name);
}

/*
 * A literal in a place that takes one.  binary: literal8 (~{n}) allowed
 * there; stream: it is message data, not an argument held whole.
 */
int
gs_literal(struct gs *s, const struct imap_token *t, int binary, int stream)
{
	if (IMAP_LIT_KIND(t->lit) == IMAP_LIT_MINUS)
		return gs_bad(s, "No grammar has {n-} literals");
	if ((t->lit & IMAP_LIT_BINARY) && !binary)
		return gs_bad(s, "literal8 is not allowed here");
	if (t == &s->tok[s->n - 1] && !s->final)
		s->g->lit_stream = stream;
	return 0;
}

void
gs_mbox_at(struct gs *s, unsigned int i, enum imap_mbox_kind kind)
{
	struct imap_gram	*g = s->g;

	if (g->nmbox == IMAP_GRAM_MBOX_MAX) {
		g->overflow = 1;
		return;
	}
	g->mbox[g->nmbox].tok = i;
	g->mbox[g->nmbox].kind = kind;
	g->nmbox++;
}

/* astring = 1*ASTRING-CHAR / string */
int
gs_astring(struct gs *s, const char *why)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, why)) == NULL)
		return -1;
	switch (t->type) {
	case IMAP_TOK_QUOTED:
		break;
	case IMAP_TOK_LITERAL:
		if (gs_literal(s, t, 0, 0) == -1)
			return -1;
		break;
	case IMAP_TOK_ATOM:
		if ((t->flags & IMAP_TOKF_FLAG) || gs_has_any(t, "%*"))
			return gs_bad(s, why);
		break;
	default:
		if (!gs_is_atom(t))
			return gs_bad(s, why);
		break;
	}
	s->i++;
	return 0;
}

int
gs_mailbox(struct gs *s, enum imap_mbox_kind kind)
{
	unsigned int	 i = s->i;

	if (gs_astring(s, "Invalid mailbox name") == -1)
		return -1;
	gs_mbox_at(s, i, kind);
	return 0;
}

/* list-mailbox = 1*list-char / string */
int
gs_list_mailbox(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Invalid mailbox pattern")) == NULL)
		return -1;
	switch (t->type) {
	case IMAP_TOK_LITERAL:
		if (gs_literal(s, t, 0, 0) == -1)
			return -1;
		break;
	case IMAP_TOK_ATOM:
		if (t->flags & IMAP_TOKF_FLAG)
			return gs_bad(s, "Invalid mailbox pattern");
		break;
	case IMAP_TOK_QUOTED:
	case IMAP_TOK_NUMBER:
	case IMAP_TOK_SEQSET:
	case IMAP_TOK_NIL:
		break;
	default:
		return gs_bad(s, "Invalid mailbox pattern");
	}
	gs_mbox_at(s, s->i, IMAP_MBOX_PATTERN);
	s->i++;
	return 0;
}

int
gs_string(struct gs *s, const char *why)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, why)) == NULL)
		return -1;
	if (t->type == IMAP_TOK_LITERAL) {
		if (gs_literal(s, t, 0, 0) == -1)
			return -1;
	} else if (t->type != IMAP_TOK_QUOTED)
		return gs_bad(s, why);
	s->i++;
	return 0;
}

int
gs_atom(struct gs *s, const char *why)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, why)) == NULL)
		return -1;
	if (!gs_is_atom(t))
		return gs_bad(s, why);
	s->i++;
	return 0;
}

int
gs_number(struct gs *s, uint64_t min, uint64_t max, const char *why)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, why)) == NULL)
		return -1;
	if (t->type != IMAP_TOK_NUMBER || (t->flags & IMAP_TOKF_OVERFLOW) ||
	    t->num < min || t->num > max)
		return gs_bad(s, why);
	s->i++;
	return 0;
}

/* The numbers of a lexed sequence set fit in 32 bits (nz-number). */
int
gs_seq_numbers_ok(const struct imap_token *t)
{
	uint64_t	 v = 0;
	uint32_t	 k;
	int		 digits = 0;

	for (k = 0; k <= t->len; k++) {
		if (k < t->len && t->p[k] >= '0' && t->p[k] <= '9') {
			v = v * 10 + (t->p[k] - '0');
			if (v > NUM32)
				return 0;
			digits = 1;
			continue;
		}
		if (digits && v == 0)
			return 0;
		v = 0;
		digits = 0;
	}
	return 1;
}

/* sequence-set; "$" (RFC 5182) where dollar is set. */
int
gs_seqset(struct gs *s, int dollar, int star)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Invalid sequence set")) == NULL)
		return -1;
	if (dollar && t->type == IMAP_TOK_ATOM && t->len == 1 &&
	    t->p[0] == '$') {
		if (gs_gate(s, IMAP_CAP_SEARCHRES,
		    "SEARCHRES not advertised") == -1)
			return -1;
	} else if (t->type == IMAP_TOK_NUMBER) {
		if ((t->flags & IMAP_TOKF_OVERFLOW) || t->num == 0 ||
		    t->num > NUM32)
			return gs_bad(s, "Invalid sequence set");
	} else if (t->type == IMAP_TOK_SEQSET) {
		if (!gs_seq_numbers_ok(t) || (!star && gs_has_any(t, "*")))
			return gs_bad(s, "Invalid sequence set");
	} else
		return gs_bad(s, "Invalid sequence set");
	s->i++;
	return 0;
}

static const char *const months[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
	"JUL", "AUG", "SEP", "OCT", "NOV", "DEC"
};

int
gs_isdig(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* date-text = date-day "-" date-month "-" date-year; returns its length */
static size_t
date_text(const uint8_t *p, size_t len, int fixed)
{
	size_t	 k = 0, m;

	if (fixed) {
		/* date-day-fixed = (SP DIGIT) / 2DIGIT */
		if (len < 2 || !(p[0] == ' ' || gs_isdig(p[0])) ||
		    !gs_isdig(p[1]))
			return 0;
		k = 2;
	} else {
		while (k < len && k < 2 && gs_isdig(p[k]))
			k++;
		if (k == 0)
			return 0;
	}
	if (k + 9 > len || p[k] != '-' || p[k + 4] != '-')
		return 0;
	for (m = 0; m < 12; m++)
		if (strncasecmp((const char *)p + k + 1, months[m], 3) == 0)
			break;
	if (m == 12)
		return 0;
	for (m = k + 5; m < k + 9; m++)
		if (!gs_isdig(p[m]))
			return 0;
	return k + 9;
}

/* date = date-text / DQUOTE date-text DQUOTE */
int
gs_date(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Invalid date")) == NULL)
		return -1;
	if ((t->type != IMAP_TOK_ATOM && t->type != IMAP_TOK_QUOTED) ||
	    (t->flags & IMAP_TOKF_FLAG) ||
	    date_text(t->p, t->len, 0) != t->len)
		return gs_bad(s, "Invalid date");
	s->i++;
	return 0;
}

/* date-time = DQUOTE date-day-fixed "-" ... SP time SP zone DQUOTE */
int
gs_is_date_time(const struct imap_token *t)
{
	const uint8_t	*p = t->p;
	size_t		 k;

	if (t->type != IMAP_TOK_QUOTED || t->len != 26 ||
	    date_text(p, t->len, 1) != 11)
		return 0;
	p += 11;
	/* " HH:MM:SS +ZZZZ" */
	if (p[0] != ' ' || p[3] != ':' || p[6] != ':' || p[9] != ' ' ||
	    (p[10] != '+' && p[10] != '-'))
		return 0;
	for (k = 1; k < 15; k++)
		if (k != 3 && k != 6 && k != 9 && k != 10 && !gs_isdig(p[k]))
			return 0;
	return 1;
}

/*
 * flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" /
 * flag-keyword.  Dovecot refuses other system flags, \Recent included,
 * with BAD; so do we.
 */
int
gs_flag(struct gs *s)
{
	static const char *const sys[] = {
		"\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"
	};
	const struct imap_token	*t;
	size_t			 k;

	if ((t = gs_need(s, "Invalid flag")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_ATOM && (t->flags & IMAP_TOKF_FLAG)) {
		for (k = 0; k < sizeof(sys) / sizeof(sys[0]); k++)
			if (imap_tok_is(t, sys[k]))
				break;
		if (k == sizeof(sys) / sizeof(sys[0]))
			return gs_bad(s, "Invalid system flag");
	} else if (!gs_is_atom(t) || t->type == IMAP_TOK_NIL)
		return gs_bad(s, "Invalid flag");
	s->i++;
	return 0;
}

/* flag-list = "(" [flag *(SP flag)] ")" */
int
gs_flag_list(struct gs *s)
{
	int	 r;

	if (gs_open_list(s, "Invalid flag list") == -1)
		return -1;
	while ((r = gs_at_close(s)) == 0)
		if (gs_flag(s) == -1)
			return -1;
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}
