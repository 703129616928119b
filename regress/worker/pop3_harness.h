/*
 * Drive a pop3_session with a script of client and server chunks, the
 * way the relay does: client bytes the session does not take yet (a
 * barrier in flight) are held and offered again after server bytes.
 * What goes upstream, what goes to the client and how the session ends
 * are recorded as strings, which must not depend on how the chunks are
 * split.
 */
#ifndef REGRESS_POP3_HARNESS_H
#define REGRESS_POP3_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "pop3_hooks.h"
#include "pop3_session.h"

#pragma GCC diagnostic ignored "-Wunused-function"

struct step {
	char		 dir;		/* 'C' or 'S' */
	const char	*data;
	size_t		 len;
};
#define CL(s)	{ 'C', (s), sizeof(s) - 1 }
#define SV(s)	{ 'S', (s), sizeof(s) - 1 }
#define NSTEPS(a)	(sizeof(a) / sizeof((a)[0]))

/* A policy and a TLS state for the scripts that follow (policy_test.c). */
static const struct pop3_hooks_ops	*h_ops;
static struct pop3_tls			 h_tls;

struct tr {
	char	*s;
	size_t	 len;
};

struct run {
	struct pop3_session	 s;
	struct tr		 up;
	struct tr		 down;
	char			 end[256];
	uint8_t			*hold;
	size_t			 holdlen;
	size_t			 holdoff;
	int			 closed;
	int			 greeted;
	int			 authed;
};

static void
tr_add(struct tr *t, const void *p, size_t n)
{
	ATF_REQUIRE((t->s = realloc(t->s, t->len + n + 1)) != NULL);
	memcpy(t->s + t->len, p, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void
h_to_server(void *arg, const uint8_t *p, size_t n)
{
	struct run	*r = arg;

	tr_add(&r->up, p, n);
}

static void
h_to_client(void *arg, const uint8_t *p, size_t n, int borrowed)
{
	struct run	*r = arg;

	(void)borrowed;
	tr_add(&r->down, p, n);
}

static void
h_close(void *arg, const char *text)
{
	struct run	*r = arg;

	ATF_REQUIRE(!r->closed);
	r->closed = 1;
	snprintf(r->end, sizeof(r->end), "closed: %s",
	    text != NULL ? text : "-");
}

static void
h_greeted(void *arg)
{
	((struct run *)arg)->greeted++;
}

static void
h_authed(void *arg)
{
	((struct run *)arg)->authed++;
}

static void
run_drain_client(struct run *r, size_t piece)
{
	size_t	 n, len;

	while (!r->closed && r->holdoff < r->holdlen &&
	    pop3_session_want_client(&r->s)) {
		len = r->holdlen - r->holdoff;
		if (len > piece)
			len = piece;
		n = pop3_session_client(&r->s, r->hold + r->holdoff, len);
		ATF_REQUIRE(n <= len);
		if (n == 0)
			break;
		r->holdoff += n;
	}
}

static void
run_feed(struct run *r, const struct step *st, size_t off, size_t len,
    size_t piece)
{
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
		n = pop3_session_server(&r->s, d, chunk);
		ATF_REQUIRE(n <= chunk);
		ATF_REQUIRE(n == chunk || r->closed);
		d += n;
		len -= n;
		run_drain_client(r, piece);
	}
	run_drain_client(r, piece);
}

/* Step cut_step is fed in two pieces at cut; all in pieces of piece. */
static void
run_script(struct run *r, const struct pop3_limits *lim,
    const struct step *sc, size_t nsc, size_t cut_step, size_t cut,
    size_t piece)
{
	struct pop3_io	 io;
	size_t		 i;

	memset(r, 0, sizeof(*r));
	memset(&io, 0, sizeof(io));
	io.to_server = h_to_server;
	io.to_client = h_to_client;
	io.close = h_close;
	io.greeted = h_greeted;
	io.authenticated = h_authed;
	io.arg = r;
	ATF_REQUIRE(pop3_session_init(&r->s, lim, &io) == 0);
	r->s.ops = h_ops;
	r->s.tls = h_tls;
	tr_add(&r->up, "", 0);
	tr_add(&r->down, "", 0);
	for (i = 0; i < nsc; i++) {
		if (i == cut_step && cut > 0 && cut < sc[i].len) {
			run_feed(r, &sc[i], 0, cut, piece);
			run_feed(r, &sc[i], cut, sc[i].len - cut, piece);
		} else
			run_feed(r, &sc[i], 0, sc[i].len, piece);
	}
	if (!r->closed)
		snprintf(r->end, sizeof(r->end), "open: state %d held %zu",
		    (int)r->s.state, r->holdlen - r->holdoff);
}

static void
run_free(struct run *r)
{
	pop3_session_free(&r->s);
	free(r->up.s);
	free(r->down.s);
	free(r->hold);
}

/*
 * The script whole, each step cut at every offset, and byte by byte:
 * the same bytes both ways and the same end, equal to what is expected.
 */
static void
check_script(const struct pop3_limits *lim, const struct step *sc,
    size_t nsc, const char *up, const char *down, const char *end)
{
	struct run	 r;
	size_t		 i, k;

	run_script(&r, lim, sc, nsc, (size_t)-1, 0, (size_t)-1);
	ATF_CHECK_STREQ(up, r.up.s);
	ATF_CHECK_STREQ(down, r.down.s);
	ATF_CHECK_STREQ(end, r.end);
	run_free(&r);
	for (i = 0; i < nsc; i++)
		for (k = 1; k < sc[i].len; k++) {
			run_script(&r, lim, sc, nsc, i, k, (size_t)-1);
			if (strcmp(up, r.up.s) != 0 ||
			    strcmp(down, r.down.s) != 0 ||
			    strcmp(end, r.end) != 0)
				atf_tc_fail("step %zu cut at %zu: up \"%s\" "
				    "down \"%s\" %s", i, k, r.up.s, r.down.s,
				    r.end);
			run_free(&r);
		}
	run_script(&r, lim, sc, nsc, (size_t)-1, 0, 1);
	ATF_CHECK_STREQ(up, r.up.s);
	ATF_CHECK_STREQ(down, r.down.s);
	ATF_CHECK_STREQ(end, r.end);
	run_free(&r);
}

#endif
