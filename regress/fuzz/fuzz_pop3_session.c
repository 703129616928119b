/*
 * libFuzzer harness of the POP3 session layer, both directions at once.
 *
 * Input: the client's bytes, a line "=====", the server's bytes (no such
 * line: the first half is the client's).  The two are fed interleaved in
 * chunks whose sizes and order come from the data, honouring flow
 * control (no client bytes while pop3_session_want_client() is 0).  The
 * first byte also picks the limits and the APOP conversion.
 *
 * Checks, on every call:
 *  - a call consumes at most what it was given; the server's side takes
 *    all of it unless the session closed; the client's takes something
 *    while the session wants client bytes;
 *  - what goes upstream is whole lines ending in CRLF, with no NUL and
 *    no CR or LF inside: the server never sees a line the worker did not
 *    check;
 *  - nothing goes anywhere after the session closed, and it closes once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_session.h"

#define CHECK(c)	do {						\
	if (!(c))							\
		check_failed(__LINE__, #c);				\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz {
	int	 closed;
	int	 midline;	/* upstream: a line begun, no CRLF yet */
	int	 cr;		/* upstream: the last byte was CR */
};

static void
check_failed(int line, const char *what)
{
	fprintf(stderr, "fuzz_pop3_session.c:%d: check failed: %s\n", line,
	    what);
	abort();
}

static void
to_server(void *arg, const uint8_t *p, size_t n)
{
	struct fz	*f = arg;
	size_t		 i;

	CHECK(!f->closed);
	CHECK(n > 0);
	for (i = 0; i < n; i++) {
		CHECK(p[i] != '\0');
		if (f->cr) {
			CHECK(p[i] == '\n');
			f->cr = 0;
			f->midline = 0;
			continue;
		}
		CHECK(p[i] != '\n');
		if (p[i] == '\r')
			f->cr = 1;
		else
			f->midline = 1;
	}
	/* Lines are forwarded whole. */
	CHECK(!f->midline && !f->cr);
}

static void
to_client(void *arg, const uint8_t *p, size_t n, int borrowed)
{
	struct fz	*f = arg;

	(void)p;
	(void)borrowed;
	CHECK(!f->closed);
	CHECK(n > 0);
}

static void
closed(void *arg, const char *text)
{
	struct fz	*f = arg;

	CHECK(!f->closed);
	CHECK(text == NULL || strlen(text) < 200);
	f->closed = 1;
}

static size_t
chunk(const uint8_t **ctl, const uint8_t *end, size_t left)
{
	size_t	 n;

	if (*ctl >= end)
		return left;
	n = (size_t)(**ctl % 64) + 1;
	(*ctl)++;
	return n < left ? n : left;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t	 sep[] = "\n=====\n";
	struct pop3_session	 s;
	struct pop3_limits	 lim;
	struct pop3_io		 io;
	struct fz		 f;
	const uint8_t		*cl, *sv, *mid, *ctl, *ctlend;
	size_t			 cllen, svlen, n, k;
	uint8_t			 mode;

	if (len < 1)
		return 0;
	mode = data[0];
	data++;
	len--;
	if ((mid = memmem(data, len, sep, sizeof(sep) - 1)) != NULL) {
		cl = data;
		cllen = (size_t)(mid - data) + 1;
		sv = mid + sizeof(sep) - 1;
		svlen = len - (size_t)(sv - data);
	} else {
		cl = data;
		cllen = len / 2;
		sv = data + cllen;
		svlen = len - cllen;
	}
	/* Chunk sizes come from the data itself, read again from its start. */
	ctl = data;
	ctlend = data + len;

	pop3_limits_default(&lim);
	if (mode & 1)
		lim.line_max = POP3_LINE_MIN;
	if (mode & 2) {
		lim.user_max = 4;
		lim.pass_max = 4;
	}
	if (mode & 4)
		lim.inflight_max = 2;
	lim.apop_userpass = (mode & 8) != 0;
	memset(&f, 0, sizeof(f));
	memset(&io, 0, sizeof(io));
	io.to_server = to_server;
	io.to_client = to_client;
	io.close = closed;
	io.arg = &f;
	if (pop3_session_init(&s, &lim, &io) == -1)
		return 0;
	/* STLS offered, or required; a taken STLS "handshakes" at once. */
	s.tls.offered = (mode & 16) != 0;
	s.tls.required = (mode & 32) != 0;
	while (!f.closed && (cllen > 0 || svlen > 0)) {
		if (s.stls)
			pop3_session_tls_done(&s);
		if (svlen > 0 && (cllen == 0 || !pop3_session_want_client(&s) ||
		    (ctl < ctlend && (*ctl & 0x80)))) {
			k = chunk(&ctl, ctlend, svlen);
			n = pop3_session_server(&s, sv, k);
			CHECK(n <= k);
			CHECK(n == k || f.closed);
			sv += n;
			svlen -= n;
			continue;
		}
		if (!pop3_session_want_client(&s))
			break;
		k = chunk(&ctl, ctlend, cllen);
		n = pop3_session_client(&s, cl, k);
		CHECK(n <= k);
		CHECK(n > 0 || f.closed || !pop3_session_want_client(&s));
		cl += n;
		cllen -= n;
	}
	pop3_session_free(&s);
	return 0;
}
