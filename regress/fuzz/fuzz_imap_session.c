/*
 * libFuzzer harness of the IMAP session layer, both directions at once.
 *
 * Input: the client's bytes, a line "=====", the server's bytes (no such
 * line: the first half is the client's).  The two are fed interleaved in
 * chunks whose sizes and order come from the data, honouring flow
 * control (no client bytes while imap_session_want_client() is 0), with
 * TLS "done" right after a STARTTLS OK, and with the policy refusing some
 * commands and injecting some of its own, also decided by the data.
 *
 * Checks, on every call:
 *  - a call consumes at most what it was given, and nothing only when
 *    it says BLOCKED (client) or the input was empty;
 *  - the bytes of the events of one side (raw lines, literal octets) are
 *    that side's input, in order, without a gap or a repeat, up to the
 *    segment the parser is still collecting;
 *  - REPLY and CLOSE texts are single valid server responses, SUBST
 *    texts valid client lines; CLOSE is final;
 *  - after refuse(), nothing more of that command is forwarded;
 *  - what is forwarded from the server, parsed again by a fresh parser,
 *    has no error: the client sees only well-formed responses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap_session.h"

#define CHECK(c)	do {						\
	if (!(c))							\
		check_failed(__LINE__, #c);				\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct side {
	const uint8_t	*in;
	size_t		 len;
	size_t		 fed;		/* consumed by the session */
	size_t		 pos;		/* reported in events */
};

struct fz {
	struct imap_session	 s;
	struct side		 c, v;		/* client, server */
	struct imap_parser	 down;		/* forwarded server bytes */
	uint64_t		 rs;
	int			 closed;
	int			 refused;	/* refused cmd still arriving */
	unsigned int		 injected;
};

static void check_failed(int, const char *) __attribute__((noreturn));

static void
check_failed(int line, const char *what)
{
	fprintf(stderr, "fuzz_imap_session.c:%d: invariant broken: %s\n",
	    line, what);
	abort();
}

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One whole message, parsed by a fresh parser of direction dir. */
static void
check_text(enum imap_dir dir, const char *text, size_t len)
{
	struct imap_parser	 p;
	struct imap_event	 ev;
	struct imap_limits	 lim;
	size_t			 n;

	CHECK(text != NULL && len >= 2);
	CHECK(text[len - 2] == '\r' && text[len - 1] == '\n');
	imap_limits_default(&lim);
	lim.resp_line_max = 64 * 1024;
	CHECK(imap_parser_init(&p, dir, &lim) == 0);
	if (dir == IMAP_DIR_CLIENT && strchr(text, ' ') == NULL)
		imap_parser_set_raw(&p, 1);	/* DONE, "*" */
	n = imap_parser_feed(&p, (const uint8_t *)text, len, &ev);
	CHECK(n == len);
	CHECK(ev.type == IMAP_EV_LINE && ev.final);
	imap_parser_free(&p);
}

static void
forward_down(struct fz *f, const uint8_t *p, size_t len)
{
	struct imap_event	 ev;
	size_t			 n;

	while (len > 0) {
		n = imap_parser_feed(&f->down, p, len, &ev);
		CHECK(ev.type != IMAP_EV_ERROR);
		p += n;
		len -= n;
	}
}

static void
account(struct side *sd, const struct imap_event *ev)
{
	switch (ev->type) {
	case IMAP_EV_LINE:
	case IMAP_EV_ERROR:
		if (ev->raw == NULL)
			break;
		CHECK(ev->rawlen <= sd->len - sd->pos);
		CHECK(memcmp(ev->raw, sd->in + sd->pos, ev->rawlen) == 0);
		sd->pos += ev->rawlen;
		break;
	case IMAP_EV_LITDATA:
		CHECK(ev->len <= sd->len - sd->pos);
		CHECK(ev->data == sd->in + sd->pos);
		sd->pos += ev->len;
		break;
	default:
		break;
	}
}

/* Consumed bytes not yet in an event are the parser's open segment. */
static void
check_pending(const struct side *sd, const struct imap_parser *p)
{
	size_t	 pending;

	if (p->dead != IMAP_ERR_NONE)	/* the session is closing */
		return;
	if (imap_parser_in_literal(p) || imap_parser_idle(p))
		pending = 0;
	else
		pending = p->linelen - p->segoff;
	CHECK(sd->pos + pending == sd->fed);
	CHECK(memcmp(p->line + p->segoff, sd->in + sd->pos, pending) == 0);
}

static void
check_sev(struct fz *f, const struct imap_sev *sev)
{
	switch (sev->act) {
	case IMAP_ACT_REPLY:
		check_text(IMAP_DIR_SERVER, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_CLOSE:
		check_text(IMAP_DIR_SERVER, sev->reply, sev->replylen);
		CHECK(memmem(sev->reply, sev->replylen, "BYE", 3) != NULL);
		f->closed = 1;
		break;
	case IMAP_ACT_SUBST:
		check_text(IMAP_DIR_CLIENT, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_NONE:
	case IMAP_ACT_FORWARD:
	case IMAP_ACT_DROP:
		break;
	default:
		CHECK(!"unknown action");
	}
}

static void
client_event(struct fz *f, struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;
	uint64_t		 x;

	account(&f->c, ev);
	check_sev(f, sev);
	if (f->refused) {
		CHECK(sev->act != IMAP_ACT_FORWARD);
		if ((ev->type == IMAP_EV_LINE && ev->final) ||
		    ev->type == IMAP_EV_ERROR)
			f->refused = 0;
	}
	if ((sev->flags & IMAP_SEVF_CMD_START) && sev->act ==
	    IMAP_ACT_FORWARD && sev->cmd != NULL) {
		x = next_rand(&f->rs);
		if ((x & 7) == 0) {
			CHECK(imap_session_refuse(&f->s, sev->cmd) == 0);
			/* the rest of it comes anyway and must be dropped */
			f->refused = f->s.cli_discard;
		}
	}
}

static void
server_event(struct fz *f, struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;

	account(&f->v, ev);
	check_sev(f, sev);
	if (sev->act == IMAP_ACT_FORWARD) {
		if (ev->type == IMAP_EV_LITDATA)
			forward_down(f, ev->data, ev->len);
		else {
			CHECK(ev->type == IMAP_EV_LINE);
			forward_down(f, ev->raw, ev->rawlen);
		}
	}
	if ((sev->flags & IMAP_SEVF_STARTTLS) && sev->act == IMAP_ACT_FORWARD &&
	    !imap_session_want_client(&f->s) && !f->closed) {
		/* the relay now throws away what it holds and does TLS */
		imap_session_tls_done(&f->s);
		f->c.pos = f->c.fed;
		f->v.pos = f->v.fed;
	}
}

/* Feed up to len bytes of one side; returns 0 when it could not. */
static int
feed(struct fz *f, int server, size_t len)
{
	struct side		*sd = server ? &f->v : &f->c;
	struct imap_sev		 sev;
	const uint8_t		*d = sd->in + sd->fed;
	size_t			 n, done = 0;
	char			 tag[16];

	if (len > sd->len - sd->fed)
		len = sd->len - sd->fed;
	while (len > 0 && !f->closed) {
		if (server)
			n = imap_session_server(&f->s, d, len, &sev);
		else
			n = imap_session_client(&f->s, d, len, &sev);
		CHECK(n <= len);
		if (n == 0) {
			CHECK(!server && (sev.flags & IMAP_SEVF_BLOCKED));
			CHECK(!imap_session_want_client(&f->s));
			CHECK(sev.act == IMAP_ACT_NONE);
			return done > 0;
		}
		sd->fed += n;
		if (server)
			server_event(f, &sev);
		else
			client_event(f, &sev);
		if (f->closed)
			return 1;
		check_pending(sd, server ? &f->s.srv : &f->s.cli);
		d += n;
		len -= n;
		done += n;
		if ((next_rand(&f->rs) & 31) == 0 && f->injected < 8) {
			snprintf(tag, sizeof(tag), "pst%u", f->injected);
			if (imap_session_inject(&f->s, tag, "CAPABILITY") == 0)
				f->injected++;
		}
	}
	return 1;
}

static uint64_t
hash(const uint8_t *p, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h | 1;
}

static void
split(struct fz *f, const uint8_t *data, size_t size)
{
	const uint8_t	*sep;

	sep = memmem(data, size, "\n=====\n", 7);
	if (sep == NULL) {
		f->c.in = data;
		f->c.len = size / 2;
		f->v.in = data + size / 2;
		f->v.len = size - size / 2;
		return;
	}
	f->c.in = data;
	f->c.len = sep + 1 - data;
	f->v.in = sep + 7;
	f->v.len = size - (sep + 7 - data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz	 f;
	struct imap_limits lim;
	uint64_t	 x;
	size_t		 len;
	int		 server, stuck = 0;

	memset(&f, 0, sizeof(f));
	split(&f, data, size);
	f.rs = hash(data, size);
	imap_limits_default(&lim);
	/* inputs are far shorter: spare ASan a 4 MiB buffer per parser */
	lim.resp_line_max = 64 * 1024;
	if (f.rs & 2) {
		/* small limits, so the limit paths are reached */
		lim.lit_max = 64;
		lim.lit_append_max = 1024;
		lim.cmd_line_max = 256;
		lim.inflight_max = 4;
	}
	CHECK(imap_session_init(&f.s, &lim) == 0);
	CHECK(imap_parser_init(&f.down, IMAP_DIR_SERVER, &lim) == 0);

	while (!f.closed && stuck < 2 &&
	    (f.c.fed < f.c.len || f.v.fed < f.v.len)) {
		x = next_rand(&f.rs);
		server = (x & 1) || f.c.fed == f.c.len;
		if (f.v.fed == f.v.len)
			server = 0;
		len = (x >> 8) & 4 ? 1 + (x >> 16) % 8 : 1 + (x >> 16) % 512;
		if (feed(&f, server, len))
			stuck = 0;
		else {
			/* client blocked: the server must move, or we stop */
			stuck++;
			if (f.v.fed < f.v.len && feed(&f, 1, len))
				stuck = 0;
		}
	}
	imap_session_free(&f.s);
	imap_parser_free(&f.down);
	return 0;
}
