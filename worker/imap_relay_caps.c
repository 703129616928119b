/*
 * The capability lists the client sees (greeting, "* CAPABILITY", tagged
 * OK) must tell what this proxy does, not what the server does: STARTTLS,
 * COMPRESS and LOGINDISABLED are ours to answer, and what the capability
 * rules hide must not tempt a client into a command the policy refuses.
 * The login proxy's own lists (imap_front.c) ask the same rules through
 * relay_cap_kept().
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "imap_caps.h"
#include "imap_enforce.h"
#include "imap_relay.h"
#include "imap_relay_int.h"
#include "relay.h"

static int	 cap_keep(const struct imap_token *, void *);

/*
 * The first pass over a list decides, and notes what it decided for the
 * first CAP_NOTED capabilities; the second, which writes the list
 * without the hidden ones, takes those notes instead of asking again
 * (the rules, the cache, the audit log: twice each for every capability
 * of every list).
 */
#define CAP_NOTED	128

struct cap_hide {
	struct imap_relay	*ir;
	unsigned int		 hidden;
	int			 required;
	const struct imap_token	*first;		/* NULL: nothing noted */
	unsigned int		 noted;
	uint8_t			 keep[CAP_NOTED];
};

/*
 * Capabilities whose truth is ours, not the server's: STARTTLS and
 * COMPRESS=DEFLATE (we add our own, caps_extra()), LOGINDISABLED when we
 * add it, and the AUTH= mechanisms while TLS is required; then what the
 * capability rules hide.
 */
static int
cap_keep(const struct imap_token *t, void *arg)
{
	struct cap_hide	*h = arg;

	if (h->first != NULL && t >= h->first && t < h->first + h->noted) {
		if (!h->keep[t - h->first])
			h->hidden++;
		return h->keep[t - h->first];
	}
	/* The server's LOGINDISABLED stays unless we say it ourselves. */
	if (imap_tok_is(t, "STARTTLS") ||
	    (h->required && imap_tok_is(t, "LOGINDISABLED")) ||
	    (t->len > 9 &&
	    strncasecmp((const char *)t->p, "COMPRESS=", 9) == 0) ||
	    (h->required && t->len > 5 &&
	    strncasecmp((const char *)t->p, "AUTH=", 5) == 0) ||
	    !imap_enforce_cap_keep(&h->ir->pol, t)) {
		h->hidden++;
		return 0;
	}
	return 1;
}

/* What we add to every capability list the client sees. */
static const char *
caps_extra(struct imap_relay *ir)
{
	const char	*tls = "";

	if (ir_tls_required(ir))
		tls = " STARTTLS LOGINDISABLED";
	else if (ir_tls_offered(ir))
		tls = " STARTTLS";
	(void)snprintf(ir->extra, sizeof(ir->extra), "%s%s", tls,
	    ir_compress_offered(ir) ? " COMPRESS=DEFLATE" : "");
	return ir->extra;
}

/*
 * A server line to forward; one with a capability list goes without what
 * we hide and with what we add (greeting [CAPABILITY], "* CAPABILITY",
 * tagged OK [CAPABILITY]).
 */
void
ir_server_line(struct imap_relay *ir, const struct imap_event *ev)
{
	const struct imap_token	*tok;
	struct cap_hide		 h = { .ir = ir,
				    .required = ir_tls_required(ir) };
	const char		*extra = "";
	unsigned int		 ntok, first, last, i, caps = 0;
	size_t			 tail = 0, xlen, size;
	uint8_t			*out;
	int			 n, k;

	tok = imap_parser_tokens(&ir->s.srv, &ntok);
	if (ev->seg == 0 && imap_caps_find(tok, ntok, &first, &last)) {
		caps = 1;
		imap_enforce_cap_prefetch(&ir->pol, tok, first, last);
		for (i = first; i < last; i++) {
			k = cap_keep(&tok[i], &h);
			if (i - first < CAP_NOTED)
				h.keep[i - first] = (uint8_t)k;
		}
		h.first = &tok[first];
		h.noted = last - first < CAP_NOTED ? last - first : CAP_NOTED;
		extra = caps_extra(ir);
		/* After the last capability, or after the word CAPABILITY. */
		tail = (size_t)(ev->raw + ev->rawlen -
		    (tok[last - 1 < first ? first - 1 : last - 1].p +
		    tok[last - 1 < first ? first - 1 : last - 1].len));
	}
	xlen = strlen(extra);
	if (!caps || (h.hidden == 0 && xlen == 0))
		relay_forward(ir->relay, RELAY_CLIENT, ev->raw, ev->rawlen, 0);
	else {
		buf_reset(&ir->scratch);
		h.hidden = 0;
		size = ev->rawlen + xlen;
		if ((out = buf_reserve(&ir->scratch, size)) == NULL ||
		    (n = imap_caps_filter(ev, tok, ntok, cap_keep, &h,
		    out, ev->rawlen)) < 0 || (size_t)n < tail) {
			static const char nomem[] = "* BYE Out of memory\r\n";

			ir_fail(ir, nomem, sizeof(nomem) - 1);
			return;
		}
		memmove(out + (size_t)n - tail + xlen, out + (size_t)n - tail,
		    tail);
		memcpy(out + (size_t)n - tail, extra, xlen);
		relay_forward(ir->relay, RELAY_CLIENT, out, (size_t)n + xlen,
		    0);
	}
	ir->srv_mid = !ev->final;
	ir_deliver(ir);
}

int
imap_relay_cap_kept(void *arg, const char *cap, size_t len)
{
	struct imap_relay	*ir = arg;
	struct imap_token	 t;

	memset(&t, 0, sizeof(t));
	t.p = (const uint8_t *)cap;
	t.len = (uint32_t)len;
	t.type = IMAP_TOK_ATOM;
	return imap_enforce_cap_keep(&ir->pol, &t);
}
