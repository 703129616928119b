/*
 * The arguments of FETCH and STORE (RFC 3501 sections 6.4.5 and 6.4.6,
 * RFC 9051, and the attributes and modifiers of BINARY, CONDSTORE,
 * QRESYNC, OBJECTID, SAVEDATE and PREVIEW): the fetch attributes with
 * their BODY[section]<partial>, read inside a token, are the largest
 * single grammar; NOTIFY's MessageNew takes them too (gs_fetch_att()).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "imap_caps.h"
#include "imap_grammar.h"
#include "imap_grammar_int.h"

/* ---- FETCH ---- */

struct sect {
	struct gs		*s;
	const struct imap_token	*t;	/* the piece being read */
	uint32_t		 off;
};

static int
sc_c(const struct sect *x)
{
	return x->off < x->t->len ? x->t->p[x->off] : -1;
}

static int
sc_eat(struct sect *x, int c)
{
	if (sc_c(x) != c)
		return 0;
	x->off++;
	return 1;
}

/* A keyword, ignoring case, not followed by more of a word. */
static int
sc_word(struct sect *x, const char *w)
{
	size_t	 n = strlen(w);
	int	 c;

	if (x->t->len - x->off < n ||
	    strncasecmp((const char *)x->t->p + x->off, w, n) != 0)
		return 0;
	if (x->off + n < x->t->len) {
		c = x->t->p[x->off + n];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '.' || gs_isdig((uint8_t)c))
			return 0;
	}
	x->off += n;
	return 1;
}

static int
sc_number(struct sect *x, uint64_t min)
{
	uint64_t	 v = 0;
	uint32_t	 start = x->off;

	while (sc_c(x) >= '0' && sc_c(x) <= '9') {
		v = v * 10 + (x->t->p[x->off++] - '0');
		if (v > NUM32)
			return -1;
	}
	if (x->off == start || v < min)
		return -1;
	return 0;
}

/* section-part = nz-number *("." nz-number), stops before ".TEXT" */
static int
sc_part(struct sect *x)
{
	for (;;) {
		if (sc_number(x, 1) == -1)
			return -1;
		if (sc_c(x) != '.' || x->off + 1 >= x->t->len ||
		    !gs_isdig(x->t->p[x->off + 1]))
			return 0;
		x->off++;
	}
}

static int
is_astring_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

/*
 * header-list = "(" header-fld-name *(SP header-fld-name) ")", where a
 * name is an astring: an atom, a quoted string, or a literal that ends
 * this SECTION piece (SECT_OPEN) and is followed by a SECT_CONT piece.
 */
static int
sc_header_list(struct sect *x)
{
	struct gs		*s = x->s;
	const struct imap_token	*t;
	uint32_t		 start;

	if (!sc_eat(x, '('))
		return gs_bad(s, "Invalid header list");
	for (;;) {
		if (sc_c(x) == -1 && (x->t->flags & IMAP_TOKF_SECT_OPEN)) {
			if ((t = gs_need(s, "Invalid section")) == NULL)
				return -1;
			if (t->type != IMAP_TOK_LITERAL ||
			    gs_literal(s, t, 0, 0) == -1)
				return gs_bad(s, "Invalid section");
			s->i++;
			if ((t = gs_need(s, "Invalid section")) == NULL)
				return -1;
			if (t->type != IMAP_TOK_SECTION ||
			    !(t->flags & IMAP_TOKF_SECT_CONT))
				return gs_bad(s, "Invalid section");
			s->i++;
			x->t = t;
			x->off = 0;
		} else if (sc_eat(x, '"')) {
			while (sc_c(x) != '"') {
				if (sc_c(x) == -1)
					return gs_bad(s, "Invalid header list");
				if (sc_c(x) == '\\')
					x->off++;
				x->off++;
			}
			x->off++;
		} else {
			for (start = x->off; is_astring_char(sc_c(x));)
				x->off++;
			if (x->off == start)
				return gs_bad(s, "Invalid header list");
		}
		if (sc_eat(x, ')'))
			return 0;
		if (!sc_eat(x, ' '))
			return gs_bad(s, "Invalid header list");
	}
}

/*
 * section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list /
 * "TEXT"; section-text adds "MIME" after a part.
 */
static int
sc_text(struct sect *x, int mime)
{
	if (sc_word(x, "HEADER.FIELDS") || sc_word(x, "HEADER.FIELDS.NOT")) {
		if (!sc_eat(x, ' '))
			return gs_bad(x->s, "Invalid section");
		return sc_header_list(x);
	}
	if (sc_word(x, "HEADER") || sc_word(x, "TEXT") ||
	    (mime && sc_word(x, "MIME")))
		return 0;
	return gs_bad(x->s, "Invalid section");
}

/*
 * BODY[section]<partial>, BODY.PEEK[...], BINARY[.PEEK][part]<partial>,
 * BINARY.SIZE[part] (RFC 3516).  partial = "<" number "." nz-number ">".
 */
static int
section(struct gs *s)
{
	static const char *const names[] = {
		"BODY[", "BODY.PEEK[", "BINARY[", "BINARY.PEEK[", "BINARY.SIZE["
	};
	struct sect	 x;
	size_t		 k, n;

	x.s = s;
	x.t = &s->tok[s->i++];
	x.off = 0;
	if (x.t->flags & IMAP_TOKF_SECT_CONT)
		return gs_bad(s, "Invalid section");
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		n = strlen(names[k]);
		if (x.t->len > n &&
		    strncasecmp((const char *)x.t->p, names[k], n) == 0)
			break;
	}
	if (k == sizeof(names) / sizeof(names[0]))
		return gs_bad(s, "Invalid fetch attribute");
	x.off = (uint32_t)n;
	if (k >= 2) {
		if (gs_gate(s, IMAP_CAP_BINARY, "BINARY not advertised") == -1)
			return -1;
		/* section-binary = "[" [section-part] "]" */
		if (sc_c(&x) != ']' && sc_part(&x) == -1)
			return gs_bad(s, "Invalid section");
	} else if (sc_c(&x) >= '1' && sc_c(&x) <= '9') {
		if (sc_part(&x) == -1)
			return gs_bad(s, "Invalid section");
		if (sc_eat(&x, '.') && sc_text(&x, 1) == -1)
			return -1;
	} else if (sc_c(&x) != ']' && sc_text(&x, 0) == -1)
		return -1;
	if (!sc_eat(&x, ']'))
		return gs_bad(s, "Invalid section");
	if (sc_eat(&x, '<')) {
		if (k == 4 || sc_number(&x, 0) == -1 || !sc_eat(&x, '.') ||
		    sc_number(&x, 1) == -1 || !sc_eat(&x, '>'))
			return gs_bad(s, "Invalid partial");
	}
	if (sc_c(&x) != -1 || (x.t->flags & IMAP_TOKF_SECT_OPEN))
		return gs_bad(s, "Invalid section");
	return 0;
}

/* PREVIEW [SP "(" "LAZY" ")"] (RFC 8970) */
static int
preview(struct gs *s)
{
	int	 r;

	if (gs_gate(s, IMAP_CAP_PREVIEW, "PREVIEW not advertised") == -1)
		return -1;
	if ((r = gs_end_of(s)) != 0)
		return r == 1 ? 0 : -1;
	/* "FETCH 1 PREVIEW (CHANGEDSINCE 1)": that list is not ours */
	if (s->tok[s->i].type != IMAP_TOK_LIST_BEGIN || s->i + 1 >= s->n ||
	    !gs_kw(&s->tok[s->i + 1], "LAZY"))
		return 0;
	s->i += 2;
	return gs_close_list(s, "Invalid PREVIEW modifiers");
}

int
gs_fetch_att(struct gs *s)
{
	static const char *const plain[] = {
		"ENVELOPE", "FLAGS", "INTERNALDATE", "RFC822", "RFC822.HEADER",
		"RFC822.SIZE", "RFC822.TEXT", "BODY", "BODYSTRUCTURE", "UID"
	};
	const struct imap_token	*t;
	size_t			 k;

	if ((t = gs_need(s, "Missing fetch attribute")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_SECTION)
		return section(s);
	s->i++;
	for (k = 0; k < sizeof(plain) / sizeof(plain[0]); k++)
		if (gs_kw(t, plain[k]))
			return 0;
	if (gs_kw(t, "MODSEQ"))
		return gs_gate(s, IMAP_CAP_CONDSTORE,
		    "CONDSTORE not advertised");
	if (gs_kw(t, "EMAILID") || gs_kw(t, "THREADID"))
		return gs_gate(s, IMAP_CAP_OBJECTID, "OBJECTID not advertised");
	if (gs_kw(t, "SAVEDATE"))
		return gs_gate(s, IMAP_CAP_SAVEDATE, "SAVEDATE not advertised");
	if (gs_kw(t, "PREVIEW"))
		return preview(s);
	return gs_bad(s, "Invalid fetch attribute");
}

/*
 * fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")":
 * CHANGEDSINCE (RFC 7162 section 3.1.4), VANISHED (section 3.2.6: UID
 * FETCH only, with CHANGEDSINCE, after ENABLE QRESYNC).
 */
static int
fetch_modifiers(struct gs *s)
{
	const struct imap_token	*t;
	int			 changed = 0, vanished = 0, r;

	if (gs_open_list(s, "Invalid fetch modifiers") == -1)
		return -1;
	do {
		if ((t = gs_need(s, "Invalid fetch modifier")) == NULL)
			return -1;
		s->i++;
		if (gs_kw(t, "CHANGEDSINCE") && !changed) {
			if (gs_gate(s, IMAP_CAP_CONDSTORE,
			    "CONDSTORE not advertised") == -1 ||
			    gs_number(s, 0, MODSEQ_MAX,
			    "Invalid CHANGEDSINCE") == -1)
				return -1;
			changed = 1;
		} else if (gs_kw(t, "VANISHED") && !vanished) {
			if (gs_gate(s, IMAP_CAP_QRESYNC,
			    "QRESYNC not advertised") == -1)
				return -1;
			if (!(s->enabled & IMAP_CAP_QRESYNC))
				return gs_bad(s, "QRESYNC not enabled");
			if (!s->g->uid)
				return gs_bad(s, "VANISHED needs UID FETCH");
			vanished = 1;
		} else
			return gs_bad(s, "Invalid fetch modifier");
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	if (vanished && !changed)
		return gs_bad(s, "VANISHED needs CHANGEDSINCE");
	return 0;
}

int
gram_fetch(struct gs *s)
{
	const struct imap_token	*t;
	int			 r;

	if (gs_seqset(s, 1, 1) == -1)
		return -1;
	if ((t = gs_need(s, "Missing fetch attributes")) == NULL)
		return -1;
	if (gs_kw(t, "ALL") || gs_kw(t, "FULL") || gs_kw(t, "FAST"))
		s->i++;
	else if (t->type == IMAP_TOK_LIST_BEGIN) {
		s->i++;
		do {
			if (gs_fetch_att(s) == -1)
				return -1;
		} while ((r = gs_at_close(s)) == 0);
		if (r == -1)
			return -1;
		s->i++;
	} else if (gs_fetch_att(s) == -1)
		return -1;
	if ((r = gs_end_of(s)) != 0)
		return r == 1 ? 0 : -1;
	return fetch_modifiers(s);
}

/* ---- STORE ---- */

int
gram_store(struct gs *s)
{
	static const char *const ops[] = {
		"FLAGS", "+FLAGS", "-FLAGS",
		"FLAGS.SILENT", "+FLAGS.SILENT", "-FLAGS.SILENT"
	};
	const struct imap_token	*t;
	size_t			 k;
	int			 r;

	if (gs_seqset(s, 1, 1) == -1)
		return -1;
	if ((t = gs_need(s, "Missing STORE arguments")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_LIST_BEGIN) {
		/* store-modifiers: UNCHANGEDSINCE (RFC 7162 section 3.1.3) */
		s->i++;
		if ((t = gs_need(s, "Invalid store modifier")) == NULL)
			return -1;
		if (!gs_kw(t, "UNCHANGEDSINCE"))
			return gs_bad(s, "Invalid store modifier");
		s->i++;
		if (gs_gate(s, IMAP_CAP_CONDSTORE,
		    "CONDSTORE not advertised") == -1 || gs_number(s, 0,
		    MODSEQ_MAX, "Invalid UNCHANGEDSINCE") == -1 ||
		    gs_close_list(s, "Invalid store modifier") == -1)
			return -1;
	}
	if ((t = gs_need(s, "Missing STORE data item")) == NULL)
		return -1;
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (gs_kw(t, ops[k]))
			break;
	if (k == sizeof(ops) / sizeof(ops[0]))
		return gs_bad(s, "Invalid STORE data item");
	s->i++;
	if ((t = gs_need(s, "Missing flags")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_LIST_BEGIN)
		return gs_flag_list(s);
	/* flag *(SP flag) */
	do {
		if (gs_flag(s) == -1)
			return -1;
	} while ((r = gs_end_of(s)) == 0);
	return r == 1 ? 0 : -1;
}
