/*
 * Drive an imap_session with a script of client and server chunks, the
 * way the relay will: honour want_client (keep client bytes back while
 * the session waits for a "+" or for the answer to a command that changes
 * the state), and record three things -- the events,
 * the bytes that would go upstream, and the bytes that would go to the
 * client.  All three must not depend on how the chunks are split.
 */
#ifndef REGRESS_IMAP_SESSION_HARNESS_H
#define REGRESS_IMAP_SESSION_HARNESS_H

#include "imap_session.h"
#include "imap_trace.h"

struct step {
	char		 dir;		/* 'C', 'S', or 'T' (TLS is up) */
	const char	*data;
	size_t		 len;
};
#define CL(s)	{ 'C', (s), sizeof(s) - 1 }
#define SV(s)	{ 'S', (s), sizeof(s) - 1 }
#define TLS	{ 'T', "", 0 }

/* The greeting most scripts open with. */
#define GREETING	"* OK [CAPABILITY IMAP4rev1 SASL-IR IDLE LITERAL+ " \
			"STARTTLS AUTH=PLAIN] ready\r\n"

struct run {
	struct imap_session	 s;
	struct trace		 ev;	/* events */
	struct trace		 up;	/* to the upstream */
	struct trace		 down;	/* to the client */
	uint8_t			*hold;	/* client bytes not fed yet */
	size_t			 holdlen;
	size_t			 holdoff;
	uint64_t		 litn[2];
	int			 litact[2];
	int			 closed;
};

static const char *
act_str(enum imap_act a)
{
	static const char *s[] = { "none", "fwd", "drop", "reply", "subst",
	    "close", "hold" };

	return s[a];
}

/* Bytes as they are, but NUL as "\\0" so the result is a C string. */
static void
tr_raw(struct trace *t, const void *p, size_t n)
{
	const char	*c = p;
	size_t		 i, j;

	for (i = 0; i < n; i = j + 1) {
		for (j = i; j < n && c[j] != '\0'; j++)
			;
		tr_printf(t, "%.*s", (int)(j - i), c + i);
		if (j < n)
			tr_printf(t, "\\0");
	}
}

/* What a held command lets go upstream now, as the relay sends it. */
static void
run_outbox(struct run *r)
{
	const uint8_t	*p;
	size_t		 len;

	while (imap_session_outbox(&r->s, &p, &len)) {
		tr_raw(&r->up, p, len);
		imap_session_outbox_sent(&r->s, len);
	}
}

static void
run_event(struct run *r, int srv, const struct imap_sev *sev)
{
	struct trace		*to = srv ? &r->down : &r->up;
	const struct imap_event	*ev = &sev->ev;
	static const struct {
		unsigned int	 f;
		const char	*s;
	} fl[] = {
		{ IMAP_SEVF_CMD_START, "start" }, { IMAP_SEVF_CMD_DONE, "done" },
		{ IMAP_SEVF_WAIT_CONT, "wait" }, { IMAP_SEVF_LIT_CONVERT, "conv" },
		{ IMAP_SEVF_CONT, "cont" }, { IMAP_SEVF_HELD, "held" },
		{ IMAP_SEVF_UNSOLICITED, "unsol" }, { IMAP_SEVF_GREETING, "greet" },
		{ IMAP_SEVF_STARTTLS, "starttls" },
		{ IMAP_SEVF_COMPRESS, "compress" }, { IMAP_SEVF_SASL, "sasl" },
		{ IMAP_SEVF_SASL_CANCEL, "cancel" }, { IMAP_SEVF_DONE, "idledone" },
		{ IMAP_SEVF_CAPS, "caps" }, { IMAP_SEVF_UNKNOWN_TAG, "unknowntag" },
		{ IMAP_SEVF_PRIVATE, "private" }, { IMAP_SEVF_CHUNK, "chunk" },
		{ IMAP_SEVF_REFUSED, "refused" },
	};
	size_t			 i;

	if (sev->act == IMAP_ACT_NONE)
		return;
	if (ev->type == IMAP_EV_LITDATA) {
		if (r->litn[srv] == 0)
			r->litact[srv] = sev->act;
		ATF_REQUIRE_EQ(r->litact[srv], (int)sev->act);
		r->litn[srv] += ev->len;
		if (sev->act == IMAP_ACT_FORWARD)
			tr_raw(to, ev->data, ev->len);
		if (ev->litleft == 0) {
			tr_printf(&r->ev, "%c data %s %llu\n", srv ? 'S' : 'C',
			    act_str(sev->act), (unsigned long long)r->litn[srv]);
			r->litn[srv] = 0;
		}
		return;
	}
	tr_printf(&r->ev, "%c %s %s", srv ? 'S' : 'C',
	    ev->type == IMAP_EV_LINE ? "line" :
	    ev->type == IMAP_EV_ERROR ? "error" : "none", act_str(sev->act));
	if (sev->cmd != NULL)
		tr_printf(&r->ev, " %s/%s", sev->cmd->tag, sev->cmd->name);
	else if (srv)
		tr_printf(&r->ev, " *");
	if (srv && sev->resp[0] != '\0')
		tr_printf(&r->ev, " %s", sev->resp);
	for (i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (sev->flags & fl[i].f)
			tr_printf(&r->ev, " +%s", fl[i].s);
	if (sev->flags & IMAP_SEVF_STATE)
		tr_printf(&r->ev, " =%s", imap_state_str(r->s.state));
	tr_printf(&r->ev, "\n");

	switch (sev->act) {
	case IMAP_ACT_FORWARD:
		if (sev->flags & IMAP_SEVF_HELD) {
			imap_session_release(&r->s);
			run_outbox(r);
		} else if (sev->flags & IMAP_SEVF_LIT_CONVERT) {
			tr_raw(to, ev->raw, sev->plus_off);
			tr_raw(to, ev->raw + sev->plus_off + 1,
			    ev->rawlen - sev->plus_off - 1);
		} else
			tr_raw(to, ev->raw, ev->rawlen);
		break;
	case IMAP_ACT_REPLY:
		tr_raw(&r->down, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_SUBST:
		tr_raw(&r->up, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_CLOSE:
		tr_raw(&r->down, sev->reply, sev->replylen);
		r->closed = 1;
		break;
	default:
		break;
	}
}

/* Feed what the session will take of the held client bytes. */
static void
run_drain_client(struct run *r, size_t piece)
{
	struct imap_sev	 sev;
	size_t		 n, len;

	while (!r->closed && r->holdoff < r->holdlen &&
	    imap_session_want_client(&r->s)) {
		len = r->holdlen - r->holdoff;
		if (len > piece)
			len = piece;
		n = imap_session_client(&r->s, r->hold + r->holdoff, len,
		    &sev);
		ATF_REQUIRE(n <= len);
		r->holdoff += n;
		run_event(r, 0, &sev);
	}
}

static void
run_feed(struct run *r, const struct step *st, size_t off, size_t len,
    size_t piece)
{
	struct imap_sev	 sev;
	const uint8_t	*d = (const uint8_t *)st->data + off;
	size_t		 n, chunk;

	if (st->dir == 'C') {
		ATF_REQUIRE((r->hold = realloc(r->hold, r->holdlen + len + 1))
		    != NULL);
		memcpy(r->hold + r->holdlen, d, len);
		r->holdlen += len;
		run_drain_client(r, piece);
		return;
	}
	while (len > 0 && !r->closed) {
		chunk = len < piece ? len : piece;
		n = imap_session_server(&r->s, d, chunk, &sev);
		ATF_REQUIRE(n <= chunk);
		ATF_REQUIRE(n > 0 || sev.act != IMAP_ACT_NONE);
		d += n;
		len -= n;
		run_event(r, 1, &sev);
		run_outbox(r);
	}
}

/*
 * Run the script; step `cut_step` is fed in two pieces at `cut`, every
 * step in pieces of at most `piece` bytes.
 */
static void
run_script(struct run *r, const struct imap_limits *lim,
    const struct step *sc, size_t nsc, size_t cut_step, size_t cut,
    size_t piece)
{
	size_t	 i;

	memset(r, 0, sizeof(*r));
	ATF_REQUIRE(imap_session_init(&r->s, lim) == 0);
	tr_printf(&r->ev, "%s", "");
	tr_printf(&r->up, "%s", "");
	tr_printf(&r->down, "%s", "");
	for (i = 0; i < nsc && !r->closed; i++) {
		if (sc[i].dir == 'T') {
			imap_session_tls_done(&r->s);
			continue;
		}
		if (i == cut_step && cut > 0 && cut < sc[i].len) {
			run_feed(r, &sc[i], 0, cut, piece);
			run_feed(r, &sc[i], cut, sc[i].len - cut, piece);
		} else
			run_feed(r, &sc[i], 0, sc[i].len, piece);
		/*
		 * Held client bytes go on after a whole server step: when
		 * they may depends on the server's answers (a command behind
		 * a LOGIN waits for its answer), and a cut inside a step
		 * must not change the trace.
		 */
		if (sc[i].dir == 'S')
			run_drain_client(r, piece);
	}
}

static void
run_free(struct run *r)
{
	imap_session_free(&r->s);
	free(r->ev.s);
	free(r->up.s);
	free(r->down.s);
	free(r->hold);
}

/*
 * The script whole, cut in two at every offset of every step, and byte
 * by byte: the same events and the same bytes out.  r holds the whole
 * run afterwards (run_free() it).
 */
static void
run_check(struct run *r, const struct imap_limits *lim,
    const struct step *sc, size_t nsc)
{
	struct run	 o;
	size_t		 i, cut;

	run_script(r, lim, sc, nsc, SIZE_MAX, 0, SIZE_MAX);
	for (i = 0; i <= nsc; i++) {
		for (cut = 1; i < nsc && cut < sc[i].len; cut++) {
			run_script(&o, lim, sc, nsc, i, cut, SIZE_MAX);
			if (strcmp(r->ev.s, o.ev.s) != 0 ||
			    strcmp(r->up.s, o.up.s) != 0 ||
			    strcmp(r->down.s, o.down.s) != 0)
				atf_tc_fail("step %zu cut %zu differs:\n%s---\n%s",
				    i, cut, r->ev.s, o.ev.s);
			run_free(&o);
		}
	}
	run_script(&o, lim, sc, nsc, SIZE_MAX, 0, 1);
	if (strcmp(r->ev.s, o.ev.s) != 0 || strcmp(r->up.s, o.up.s) != 0 ||
	    strcmp(r->down.s, o.down.s) != 0)
		atf_tc_fail("byte by byte differs:\n%s---\n%s", r->ev.s,
		    o.ev.s);
	run_free(&o);
}

#define RUN(r, lim, script)						\
	run_check((r), (lim), (script), sizeof(script) / sizeof((script)[0]))

#define EXPECT_STR(got, want) do {					\
	if (strcmp((got), (want)) != 0)					\
		atf_tc_fail("%s:\ngot:\n%s\nwant:\n%s", #got, (got),	\
		    (want));						\
} while (0)

#endif
