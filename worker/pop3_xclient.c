/*
 * XCLIENT for "forward id" in POP3 (pop3_xclient.h).  Dovecot's
 * answers: "+OK Updated" from a trusted peer, "+OK You are not from
 * trusted IP - ignoring" from another (so +OK alone proves nothing: the
 * test reads Dovecot's log), "-ERR ..." for a line it cannot read.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "log.h"
#include "pop3_xclient.h"

enum {
	XC_OVER = 0,
	XC_GREETING,
	XC_CAPA,		/* CAPA sent: its status line */
	XC_CAPA_BODY,		/* its lines, to the "." */
	XC_REPLY,		/* XCLIENT sent: its answer */
};

#define XCLIENT_CODE	"[XCLIENT] "

void
pop3_xclient_init(struct pop3_xclient *x)
{
	memset(x, 0, sizeof(*x));
	x->state = XC_GREETING;
}

int
pop3_xclient_running(const struct pop3_xclient *x)
{
	return x->state != XC_OVER;
}

static int
is_ok(const uint8_t *p, size_t len)
{
	return len >= 3 && memcmp(p, "+OK", 3) == 0 &&
	    (len == 3 || p[3] == ' ' || p[3] == '\r' || p[3] == '\n');
}

/* "XCLIENT" as the first word of a line of CAPA's reply. */
static int
lists_xclient(const uint8_t *p, size_t len)
{
	return len >= 7 && strncasecmp((const char *)p, "XCLIENT", 7) == 0 &&
	    (len == 7 || p[7] == ' ' || p[7] == '\r' || p[7] == '\n');
}

/* Our XCLIENT line into x->out. */
static int
send_xclient(struct pop3_xclient *x, const struct worker_session *s)
{
	int	 n;

	if ((n = forward_xclient_line(x->out, sizeof(x->out), s)) == -1) {
		log_warnx("session %llu: forward id: client address %s is "
		    "not one to send", (unsigned long long)s->id,
		    s->client_addr);
		return -1;
	}
	x->outlen = (size_t)n;
	audit_forward("xclient", x->out, x->outlen);
	x->state = XC_REPLY;
	return 0;
}

/* The greeting: kept for the session, without our [XCLIENT] code. */
static int
greeting(struct pop3_xclient *x, const struct worker_session *s,
    const uint8_t *p, size_t len)
{
	size_t	 cl = sizeof(XCLIENT_CODE) - 1;

	memcpy(x->greeting, p, len);
	x->greetlen = len;
	if (!is_ok(p, len)) {
		/* -ERR: the session says what it says of it. */
		x->state = XC_OVER;
		return 0;
	}
	if (len >= 4 + cl && memcmp(p + 4, XCLIENT_CODE, cl) == 0) {
		memmove(x->greeting + 4, x->greeting + 4 + cl, len - 4 - cl);
		x->greetlen -= cl;
		x->offered = 1;
		return send_xclient(x, s);
	}
	memcpy(x->out, "CAPA\r\n", 6);
	x->outlen = 6;
	x->state = XC_CAPA;
	return 0;
}

static void
not_offered(struct pop3_xclient *x, const struct worker_session *s)
{
	log_warnx("session %llu: forward id: the server offers no XCLIENT "
	    "(neither in its greeting nor in CAPA): the client's address "
	    "is not forwarded; is postern in its login_trusted_networks?",
	    (unsigned long long)s->id);
	x->state = XC_OVER;
}

/* A line for the log: without its line end, 80 bytes at most. */
static int
shown(size_t n, const uint8_t *p)
{
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	return (int)(n > 80 ? 80 : n);
}

ssize_t
pop3_xclient_server(struct pop3_xclient *x, const struct worker_session *s,
    const uint8_t *data, size_t len)
{
	const uint8_t	*nl;
	size_t		 used = 0, n;

	x->outlen = 0;
	while (x->state != XC_OVER && x->outlen == 0 && used < len) {
		if ((nl = memchr(data + used, '\n', len - used)) == NULL) {
			if (len - used >= POP3_XCLIENT_LINE_MAX) {
				log_warnx("session %llu: forward id: a server "
				    "line over %d bytes", (unsigned long long)
				    s->id, POP3_XCLIENT_LINE_MAX);
				return -1;
			}
			break;
		}
		n = (size_t)(nl - (data + used)) + 1;
		if (n > POP3_XCLIENT_LINE_MAX) {
			log_warnx("session %llu: forward id: a server line "
			    "over %d bytes", (unsigned long long)s->id,
			    POP3_XCLIENT_LINE_MAX);
			return -1;
		}
		switch (x->state) {
		case XC_GREETING:
			if (greeting(x, s, data + used, n) == -1)
				return -1;
			break;
		case XC_CAPA:
			if (is_ok(data + used, n))
				x->state = XC_CAPA_BODY;
			else
				not_offered(x, s);
			break;
		case XC_CAPA_BODY:
			if (n <= 3 && data[used] == '.') {
				if (!x->offered)
					not_offered(x, s);
				else if (send_xclient(x, s) == -1)
					return -1;
			} else if (lists_xclient(data + used, n))
				x->offered = 1;
			break;
		case XC_REPLY:
			if (is_ok(data + used, n))
				log_debug("session %llu: forward id: XCLIENT "
				    "ADDR=%s PORT=%u: %.*s", (unsigned long long)
				    s->id, s->client_addr, s->client_port,
				    shown(n, data + used),
				    (const char *)data + used);
			else
				log_warnx("session %llu: forward id: the "
				    "server refused XCLIENT: %.*s",
				    (unsigned long long)s->id,
				    shown(n, data + used),
				    (const char *)data + used);
			x->state = XC_OVER;
			break;
		}
		used += n;
	}
	return (ssize_t)used;
}
