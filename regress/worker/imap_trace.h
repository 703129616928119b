/*
 * Test helpers shared by the IMAP engine tests: feed a byte stream to a
 * parser however split, and print what came out as one string, so that
 * the same stream split differently must print the same.
 */
#ifndef REGRESS_IMAP_TRACE_H
#define REGRESS_IMAP_TRACE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

/* Not every test program uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

#include "imap_parse.h"

struct trace {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 inlit;		/* last event was LITDATA */
	int	 dead;
};

static void __attribute__((format(printf, 2, 3)))
tr_printf(struct trace *t, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		ATF_REQUIRE(n >= 0);
		if ((size_t)n < t->cap - t->len) {
			t->len += n;
			return;
		}
		t->cap = t->cap * 2 + n + 64;
		ATF_REQUIRE((t->s = realloc(t->s, t->cap)) != NULL);
	}
}

static void
tr_bytes(struct trace *t, const uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			tr_printf(t, "%c", p[i]);
		else
			tr_printf(t, "\\x%02x", p[i]);
	}
}

static void
tr_token(struct trace *t, const struct imap_token *k)
{
	tr_printf(t, " %s", imap_tok_type_str(k->type));
	if (k->depth > 1 || (k->depth == 1 &&
	    k->type != IMAP_TOK_LIST_BEGIN && k->type != IMAP_TOK_LIST_END))
		tr_printf(t, "@%u", k->depth);
	switch (k->type) {
	case IMAP_TOK_LIST_BEGIN:
	case IMAP_TOK_LIST_END:
	case IMAP_TOK_CODE_END:
		return;
	case IMAP_TOK_NUMBER:
		if (k->flags & IMAP_TOKF_OVERFLOW)
			tr_printf(t, "=overflow");
		else
			tr_printf(t, "=%llu", (unsigned long long)k->num);
		return;
	case IMAP_TOK_LITERAL:
		tr_printf(t, "=%s%s%llu",
		    (k->lit & IMAP_LIT_BINARY) ? "~" : "",
		    IMAP_LIT_KIND(k->lit) == IMAP_LIT_PLUS ? "+" :
		    IMAP_LIT_KIND(k->lit) == IMAP_LIT_MINUS ? "-" : "",
		    (unsigned long long)k->num);
		return;
	case IMAP_TOK_SECTION:
		/* a section split by a literal: "<" goes on, ">" stops */
		if (k->flags & IMAP_TOKF_SECT_CONT)
			tr_printf(t, "<");
		if (k->flags & IMAP_TOKF_SECT_OPEN)
			tr_printf(t, ">");
		break;
	default:
		break;
	}
	tr_printf(t, "'");
	tr_bytes(t, k->p, k->len);
	tr_printf(t, "'");
}

/* One event into the trace; literal chunks are merged. */
static void
tr_event(struct trace *t, const struct imap_parser *p,
    const struct imap_event *ev)
{
	const struct imap_token	*tok;
	unsigned int		 n, i;

	if (ev->type == IMAP_EV_NEED_MORE)
		return;
	if (ev->type == IMAP_EV_LITDATA) {
		if (!t->inlit)
			tr_printf(t, "DATA ");
		t->inlit = 1;
		tr_bytes(t, ev->data, ev->len);
		if (ev->litleft == 0) {
			tr_printf(t, "\n");
			t->inlit = 0;
		}
		return;
	}
	if (ev->type == IMAP_EV_ERROR) {
		tr_printf(t, "ERROR %s%s", imap_err_str(ev->err),
		    ev->fatal ? " fatal" : "");
		if (ev->tag != NULL) {
			tr_printf(t, " tag=");
			tr_bytes(t, ev->tag, ev->taglen);
		}
		tr_printf(t, "\n");
		if (ev->fatal)
			t->dead = 1;
		return;
	}
	tok = imap_parser_tokens(p, &n);
	ATF_REQUIRE(ev->tok_first + ev->tok_count <= n);
	tr_printf(t, "LINE%s", ev->final ? "" : "+");
	for (i = 0; i < ev->tok_count; i++)
		tr_token(t, &tok[ev->tok_first + i]);
	tr_printf(t, "\n");
	ATF_REQUIRE(ev->rawlen >= 1 && ev->raw[ev->rawlen - 1] == '\n');
	if (!ev->final)
		ATF_REQUIRE(ev->raw[ev->lit_off] == '{' ||
		    ev->raw[ev->lit_off] == '~');
}

static void
tr_feed(struct trace *t, struct imap_parser *p, const uint8_t *d, size_t len)
{
	struct imap_event	 ev;
	size_t			 n;

	while (len > 0 && !t->dead) {
		n = imap_parser_feed(p, d, len, &ev);
		ATF_REQUIRE(n <= len);
		/* Progress, unless a zero-length literal just ended. */
		ATF_REQUIRE(n > 0 || ev.type != IMAP_EV_NEED_MORE);
		d += n;
		len -= n;
		tr_event(t, p, &ev);
	}
}

/*
 * Parse with the given cut points (sorted offsets, 0-terminated list) and
 * return the trace (caller frees).
 */
static char *
tr_parse(enum imap_dir dir, const struct imap_limits *lim, const char *s,
    size_t len, const size_t *cuts, size_t ncuts)
{
	struct imap_parser	 p;
	struct trace		 t;
	size_t			 off = 0, i;

	memset(&t, 0, sizeof(t));
	tr_printf(&t, "%s", "");
	ATF_REQUIRE(imap_parser_init(&p, dir, lim) == 0);
	for (i = 0; i <= ncuts; i++) {
		size_t	 to = i < ncuts ? cuts[i] : len;

		tr_feed(&t, &p, (const uint8_t *)s + off, to - off);
		off = to;
	}
	imap_parser_free(&p);
	return t.s;
}

/*
 * The trace of the whole stream fed at once must equal that of the stream
 * cut in two at every offset, and fed byte by byte.  Returns the trace.
 */
static char *
tr_check_splits(enum imap_dir dir, const struct imap_limits *lim,
    const char *s, size_t len)
{
	char	*whole, *part;
	size_t	 cut, *cuts;

	whole = tr_parse(dir, lim, s, len, NULL, 0);
	for (cut = 1; cut < len; cut++) {
		part = tr_parse(dir, lim, s, len, &cut, 1);
		if (strcmp(whole, part) != 0)
			atf_tc_fail("split at %zu differs:\n%s---\n%s",
			    cut, whole, part);
		free(part);
	}
	if (len > 1) {
		ATF_REQUIRE((cuts = calloc(len - 1, sizeof(*cuts))) != NULL);
		for (cut = 1; cut < len; cut++)
			cuts[cut - 1] = cut;
		part = tr_parse(dir, lim, s, len, cuts, len - 1);
		if (strcmp(whole, part) != 0)
			atf_tc_fail("byte by byte differs:\n%s---\n%s",
			    whole, part);
		free(part);
		free(cuts);
	}
	return whole;
}

#define TR_EXPECT(dir, str, expect) do {				\
	char	*got_ = tr_check_splits((dir), NULL, (str),		\
	    sizeof(str) - 1);						\
	if (strcmp(got_, (expect)) != 0)				\
		atf_tc_fail("%s:\ngot:\n%s\nwant:\n%s", #str, got_,	\
		    (expect));						\
	free(got_);							\
} while (0)

#endif
