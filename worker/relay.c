/*
 * One session's I/O: the client socket, the upstream socket and the
 * master's channel in one poll() loop.  Reads go into a per-side input
 * buffer, the engine (imap_relay.c) consumes them and says what goes to
 * the other side; what cannot be written at once waits in a bounded output
 * buffer, and a side is not read while its peer's output is full.
 *
 * Copies: literal octets, which are the bulk of a FETCH or an APPEND, are
 * handed to relay_forward() by pointer into the input buffer; when
 * nothing is queued ahead of them they go straight from there to the
 * other socket and are only copied if the socket does not take them all.
 *
 * Memory: the buffers are taken when bytes flow.  After RELAY_REST_MS
 * without a byte either way (a client in IDLE waits for minutes), the
 * empty ones are given back, the channels' and the engine's too, and
 * malloc returns the free pages to the kernel (relay_rest()): an idle
 * session keeps no 64 KiB buffer.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "forward.h"
#include "imap_front.h"
#include "pop3_front.h"
#include "imap_relay.h"
#include "pop3_relay.h"
#include "imap_limits.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "proto_worker.h"
#include "relay.h"
#include "audit.h"
#include "policy_client.h"
#include "route.h"
#include "relay_deflate.h"
#include "rest.h"
#include "relay_tls.h"
#include "stats.h"
#include "tls_keyproxy.h"
#include "tls_upstream.h"
#include "tls.h"

#define RELAY_READ	(64 * 1024)	/* bytes asked of one recv */
#define RELAY_HIWAT	(256 * 1024)	/* output beyond this is "full" */
#define RELAY_LINGER_MS	10000		/* closing: no write progress */
#define RELAY_REST_MS	1000		/* quiet: the buffers go back */

struct side {
	int		 fd;
	struct buf	 in;		/* read, not yet consumed by the engine */
	struct buf	 out;		/* to write */
	const uint8_t	*zc;		/* borrowed bytes to write, after out */
	size_t		 zclen;
	uint64_t	 nin;
	uint64_t	 nout;
	int		 connected;	/* upstream: connect finished */
	int		 eof;		/* read returned 0 */
	int		 dead;		/* write failed: nothing more goes out */
	SSL		*ssl;		/* NULL: plaintext */
	short		 tlsev;		/* poll events TLS waits for */
	struct rdeflate	*z;		/* client: COMPRESS=DEFLATE on */
};

struct relay {
	const struct worker_config	*conf;
	const struct worker_session	*sess;
	const struct worker_env		*env;
	struct msgchan			*chan;
	const struct relay_engine	*ops;
	void				*eng;
	struct side			 s[2];
	int				 closing;
	int				 quit;		/* exit now */
	int				 exiting;	/* exit once flushed */
	enum worker_end_reason		 reason;
	int64_t				 login_deadline;	/* 0 once in */
	int				 login_expired;
	int64_t				 up_deadline;
	int64_t				 last_client;	/* last client read */
	int64_t				 last_write;	/* closing: progress */
	int64_t				 last_io;	/* any poll event */
	int				 rested;	/* buffers given back */
	unsigned int			 idle_timeout;	/* s; 0 = login timer */
	enum worker_tls_mode		 tls_mode;	/* the client side's */
	int				 starttls;	/* client TLS once flushed */
	int				 zstart;	/* client input: inflate */
	char				 up_greeting[300];	/* after STARTTLS */
	int64_t				 policy_lost;	/* ms; 0: channel up */
	int64_t				 hold_until;	/* client held; 0 none */
	/*
	 * login proxy (imap_front.h, pop3_front.h): while front is set,
	 * the client's input goes to fr through fops, not to the engine;
	 * FRONT_WAIT once the login is taken and MSG_W_CONNECT sent.
	 * replay: the login as the engine is to see it first, once the
	 * upstream is here.
	 */
	int				 front;
	const struct relay_front	*fops;
	void				*fr;
	struct buf			 replay;
	/* The replayed login's answer awaited; relay_login_failed(). */
	int				 login_pending;
	int				 relogin;
	int				 up_greeted;	/* relay_greeted() */
	size_t				 outmax;
};

#define FRONT_LOGIN	1	/* greeted, taking the login */
#define FRONT_WAIT	2	/* the upstream asked for */

static void	 side_init(struct side *, int, size_t);
static void	 side_free(struct side *);
static int	 side_want_read(const struct relay *, enum relay_side);
static void	 side_read(struct relay *, enum relay_side);
static void	 side_write(struct relay *, enum relay_side);
static void	 side_failed(struct relay *, enum relay_side, const char *);
static void	 zc_flush(struct relay *, enum relay_side);
static int	 pump(struct relay *, enum relay_side);
static void	 upstream_connected(struct relay *);
static int	 chan_read(struct relay *);
static int	 daemon_channel(struct relay *, struct msg *);
static int	 ops_msg(struct relay *, struct msg *);
static int	 tls_stop(void *);
static int	 policy_fd(const struct relay *);
static int	 timers(struct relay *, int64_t);
static int	 flushed(struct relay *);
static void	 session_end(struct relay *);
static void	 bye(struct relay *, const char *);
static ssize_t	 side_send(struct side *, const void *, size_t);
static ssize_t	 tls_read_more(struct side *, uint8_t *, size_t);
static ssize_t	 z_read(struct relay *, struct side *, uint8_t *);
static void	 z_begin(struct relay *);
static int	 z_flush(struct relay *);
static int	 tls_pending(const struct relay *);
static int	 upstream_prelude(struct relay *);
static int	 upstream_proxy_v2(struct relay *);
static void	 relay_rest(struct relay *);
static void	 upstream_begin(struct relay *);
static int	 front_pump(struct relay *);
static int	 front_upstream(struct relay *, struct msg *);
static void	 front_again(struct relay *);

static void
side_init(struct side *s, int fd, size_t outmax)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	buf_init(&s->in, 2 * RELAY_READ);
	buf_init(&s->out, outmax);
}

static void
side_free(struct side *s)
{
	tls_free(s->ssl);
	s->ssl = NULL;
	rdeflate_free(s->z);
	s->z = NULL;
	if (s->fd != -1) {
		/* FIN after what was written, not a reset in its middle */
		(void)shutdown(s->fd, SHUT_WR);
		close(s->fd);
	}
	s->fd = -1;
	buf_free(&s->in);
	buf_free(&s->out);
}

/* The engine of each protocol, by enum worker_protocol. */
static const struct relay_engine *
engine_for(uint32_t protocol)
{
	switch (protocol) {
	case WORKER_PROTO_IMAP:
		return &imap_relay_engine;
	case WORKER_PROTO_POP3:
		return &pop3_relay_engine;
	default:
		return NULL;
	}
}

int
relay_run(const struct worker_config *conf, const struct worker_env *env,
    struct msgchan *chan, const struct worker_session *sess, int client,
    int upstream, int uperr)
{
	struct relay	 r;
	struct pollfd	 pfd[4];
	size_t		 outmax;
	int64_t		 now;
	int		 i, timeout, progress;

	memset(&r, 0, sizeof(r));
	stats_begin(chan, sess->id);
	r.conf = conf;
	r.sess = sess;
	r.env = env;
	r.chan = chan;
	r.reason = WORKER_END_ERROR;
	/* A whole line must fit behind a full buffer; lines are not split. */
	outmax = (size_t)conf->max_line > IMAP_RESP_LINE_MAX ?
	    (size_t)conf->max_line : IMAP_RESP_LINE_MAX;
	outmax += 2 * RELAY_HIWAT + RELAY_READ;
	r.outmax = outmax;
	side_init(&r.s[RELAY_CLIENT], client, outmax);
	side_init(&r.s[RELAY_UPSTREAM], upstream, outmax);
	r.s[RELAY_CLIENT].connected = 1;
	now = now_ms();
	r.last_client = r.last_write = r.last_io = now;
	r.login_deadline = now + (int64_t)conf->timeout_login * 1000;
	r.up_deadline = now + (int64_t)conf->timeout_upstream * 1000;
	if ((r.ops = engine_for(conf->protocol)) == NULL ||
	    (r.eng = r.ops->e_new(&r, conf, env)) == NULL) {
		log_warn("session %llu: engine", (unsigned long long)sess->id);
		r.closing = 1;
	} else if (conf->login_proxy) {
		/* No upstream before the login: none to wait for. */
		r.up_deadline = 0;
		r.fops = conf->protocol == WORKER_PROTO_POP3 ?
		    &pop3_front_ops : &imap_front_ops;
		buf_init(&r.replay, r.fops->replay_max);
		if ((r.fr = r.fops->f_new(&r, conf)) == NULL) {
			log_warn("session %llu: login proxy",
			    (unsigned long long)sess->id);
			r.closing = 1;
		} else
			r.front = FRONT_LOGIN;
	} else if (upstream == -1) {
		stats_upstream_failed();
		errno = uperr;
		log_warn("session %llu: no connection to %s port %u",
		    (unsigned long long)sess->id, sess->upstream_addr,
		    sess->upstream_port);
		bye(&r, "[UNAVAILABLE] Server unavailable");
		relay_close(&r, WORKER_END_ERROR);
	}

	/* A handshake of this session hears the master through tls_stop(). */
	tls_set_stop(chan->fd, tls_stop, &r);
	audit_session(sess);
	audit_connect();
	if (!r.closing)
		relay_tls_begin(&r);
	/* login proxy: our greeting, once the TLS mode is known. */
	if (r.front != 0 && !r.closing)
		r.fops->f_greet(r.fr);
	/* A message may have come in the read that brought the session. */
	(void)chan_read(&r);
	while (!r.quit && !(r.closing && flushed(&r))) {
		/* Records reach the log before we wait, each whole. */
		audit_flush();
		/*
		 * What this round told the master goes now: a poll() for
		 * POLLOUT first was a syscall more per message, the
		 * channel's buffer all but always having room.
		 */
		if (msg_pending(chan) && msg_flush(chan) == -1) {
			log_warn("channel to the master");
			r.quit = 1;
			break;
		}
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = chan->fd;
		pfd[0].events = POLLIN | (msg_pending(chan) ? POLLOUT : 0);
		for (i = 0; i < 2; i++) {
			struct side	*s = &r.s[i];

			pfd[i + 1].fd = s->fd;
			if (side_want_read(&r, i))
				pfd[i + 1].events |= POLLIN;
			/*
			 * The server speaks first: its greeting says the
			 * connect is done (a failed one: POLLERR), one
			 * wake-up instead of two.  TLS and PROXY headers
			 * were sent after a connect waited for.
			 */
			if (!s->dead && !s->connected)
				pfd[i + 1].events |= POLLIN;
			else if (!s->dead && buf_len(&s->out) > 0 &&
			    !(i == RELAY_CLIENT && r.hold_until != 0))
				pfd[i + 1].events |= POLLOUT;
			pfd[i + 1].events |= s->tlsev;
			if (pfd[i + 1].events == 0)
				pfd[i + 1].fd = -1;
		}
		/* policyd says nothing unasked: only its end is polled. */
		pfd[3].fd = policy_fd(&r);
		timeout = timers(&r, now_ms());
		if (tls_pending(&r))
			timeout = 0;
		if (r.closing && flushed(&r))
			break;
		/* Records of this round go out before we sleep. */
		audit_flush();
		if ((i = poll(pfd, 4, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			r.quit = 1;
			break;
		}
		if (i > 0) {
			r.last_io = now_ms();
			r.rested = 0;
		}
		if (pfd[0].revents & (POLLOUT | POLLERR | POLLHUP) &&
		    msg_flush(chan) == -1) {
			log_warn("channel to the master");
			r.quit = 1;
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLERR | POLLHUP) &&
		    chan_read(&r) == -1)
			break;
		if (pfd[3].revents & (POLLHUP | POLLERR) &&
		    r.policy_lost == 0) {
			log_warnx("session %llu: postern-policyd went away: "
			    "verdicts not in the cache fail closed until it "
			    "is back", (unsigned long long)sess->id);
			r.policy_lost = now_ms();
		}
		if (!r.s[RELAY_UPSTREAM].connected &&
		    pfd[2].revents & (POLLIN | POLLOUT | POLLERR | POLLHUP))
			upstream_connected(&r);
		for (i = 0; i < 2; i++)
			if ((pfd[i + 1].revents & (POLLIN | POLLOUT | POLLERR |
			    POLLHUP) || (r.s[i].ssl != NULL &&
			    SSL_has_pending(r.s[i].ssl)) || (r.s[i].z != NULL &&
			    rdeflate_in_pending(r.s[i].z))) &&
			    side_want_read(&r, i))
				side_read(&r, i);
		/* Held input may move once the other side has spoken. */
		do {
			progress = pump(&r, RELAY_UPSTREAM);
			if (r.hold_until == 0)
				progress |= pump(&r, RELAY_CLIENT);
		} while (progress);
		if (r.relogin && !r.closing)
			front_again(&r);
		/* The end of a batch: the client can inflate all of it. */
		(void)z_flush(&r);
		for (i = 0; i < 2; i++)
			if (r.s[i].connected && !r.s[i].dead &&
			    buf_len(&r.s[i].out) > 0 &&
			    !(i == RELAY_CLIENT && r.hold_until != 0))
				side_write(&r, i);
		if (r.starttls && !r.closing &&
		    buf_len(&r.s[RELAY_CLIENT].out) == 0)
			relay_tls_client(&r);
		/* The server closed: once all it said is forwarded, we end. */
		if (r.s[RELAY_UPSTREAM].eof && !r.closing &&
		    buf_len(&r.s[RELAY_UPSTREAM].in) == 0)
			relay_close(&r, r.ops->e_logout(r.eng) ?
			    WORKER_END_LOGOUT : WORKER_END_UPSTREAM_EOF);
	}
	session_end(&r);
	return r.quit || r.exiting ? -1 : 0;
}

static int
side_want_read(const struct relay *r, enum relay_side i)
{
	const struct side	*s = &r->s[i];

	return !r->closing && s->connected && !s->eof && !s->dead &&
	    !(i == RELAY_CLIENT && (r->starttls || r->hold_until != 0)) &&
	    buf_len(&s->in) < RELAY_READ && relay_room(r, !i) > 0;
}

static void
side_read(struct relay *r, enum relay_side i)
{
	struct side	*s = &r->s[i];
	uint8_t		*p;
	ssize_t		 n;

	z_begin(r);
	if ((p = buf_reserve_read(&s->in, RELAY_READ)) == NULL) {
		log_warn("session %llu: input buffer",
		    (unsigned long long)r->sess->id);
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	if (s->z != NULL)
		n = z_read(r, s, p);
	else if (s->ssl != NULL)
		n = tls_read_more(s, p, RELAY_READ);
	else
		n = recv(s->fd, p, RELAY_READ, MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		side_failed(r, i, "read");
		return;
	}
	if (n == 0) {
		s->eof = 1;
		if (i == RELAY_CLIENT)
			relay_close(r, r->eng != NULL && r->ops->e_logout(r->eng) ?
			    WORKER_END_LOGOUT : WORKER_END_CLIENT_EOF);
		return;
	}
	buf_commit(&s->in, (size_t)n);
	if (s->z == NULL)
		s->nin += (uint64_t)n;
	if (i == RELAY_CLIENT)
		r->last_client = now_ms();
}

static void
side_write(struct relay *r, enum relay_side i)
{
	struct side	*s = &r->s[i];
	ssize_t		 n;

	while (buf_len(&s->out) > 0) {
		n = side_send(s, buf_data(&s->out), buf_len(&s->out));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				side_failed(r, i, "write");
			return;
		}
		buf_drain(&s->out, (size_t)n);
		s->nout += (uint64_t)n;
		r->last_write = now_ms();
	}
}

/*
 * A TLS read gives one record, 16 KiB at most: read on while records
 * are there, so a bulk transfer goes round the loop once per 64 KiB as
 * in plaintext.  What ends the run (EAGAIN, EOF, an error) comes again
 * on the next read when bytes were read first.
 */
static ssize_t
tls_read_more(struct side *s, uint8_t *p, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		if ((n = tls_read(s->ssl, p + got, len - got,
		    &s->tlsev)) <= 0)
			return got > 0 ? (ssize_t)got : n;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* send(2), or through TLS when the side has it. */
static ssize_t
side_send(struct side *s, const void *p, size_t len)
{
	if (s->ssl != NULL)
		return tls_write(s->ssl, p, len, &s->tlsev);
	return send(s->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* TLS or inflate holds bytes that poll() cannot announce. */
static int
tls_pending(const struct relay *r)
{
	int	 i;

	for (i = 0; i < 2; i++)
		if (((r->s[i].ssl != NULL && SSL_has_pending(r->s[i].ssl)) ||
		    (r->s[i].z != NULL && rdeflate_in_pending(r->s[i].z))) &&
		    side_want_read(r, i))
			return 1;
	return 0;
}

/* A socket error: the client is gone, or the server is. */
static void
side_failed(struct relay *r, enum relay_side i, const char *what)
{
	struct side	*s = &r->s[i];

	if (errno != EPIPE && errno != ECONNRESET)
		log_warn("session %llu: %s %s", (unsigned long long)r->sess->id,
		    what, i == RELAY_CLIENT ? "client" : "upstream");
	s->dead = 1;
	s->eof = 1;
	buf_reset(&s->out);
	s->zclen = 0;
	if (i == RELAY_CLIENT)
		relay_close(r, WORKER_END_CLIENT_EOF);
	else {
		bye(r, "[UNAVAILABLE] Server connection lost");
		relay_close(r, WORKER_END_UPSTREAM_EOF);
	}
}

/*
 * The engine consumes what side from has read, as far as the other
 * side's output has room.  Returns whether anything was consumed.
 */
static int
pump(struct relay *r, enum relay_side from)
{
	struct side	*s = &r->s[from];
	size_t		 len, room, n;

	z_begin(r);
	if (from == RELAY_CLIENT && r->front != 0)
		return front_pump(r);
	/*
	 * The engine takes the login once it has the server's greeting,
	 * and with it what the server offers (SASL-IR, LITERAL+).
	 */
	if (from == RELAY_CLIENT && buf_len(&r->replay) > 0 && r->up_greeted &&
	    !r->closing && !r->relogin) {
		/* The login we took goes first, as if the client sent it. */
		n = r->ops->e_input(r->eng, from, buf_data(&r->replay),
		    buf_len(&r->replay));
		zc_flush(r, !from);
		buf_drain(&r->replay, n);
		if (buf_len(&r->replay) > 0)
			return n > 0;
	}
	/* What the client says next waits for the login's answer. */
	if (from == RELAY_CLIENT && (r->login_pending || r->relogin))
		return 0;
	if (r->closing || (len = buf_len(&s->in)) == 0)
		return 0;
	if ((room = relay_room(r, !from)) == 0)
		return 0;
	if (len > room)
		len = room;
	n = r->ops->e_input(r->eng, from, buf_data(&s->in), len);
	/* Borrowed bytes point into s->in: out they go before it moves. */
	zc_flush(r, !from);
	zc_flush(r, from);
	buf_drain(&s->in, n);
	z_begin(r);
	return n > 0;
}

void
relay_forward(struct relay *r, enum relay_side to, const uint8_t *p,
    size_t len, int borrowed)
{
	struct side	*s = &r->s[to];

	if (s->dead || len == 0)
		return;
	if (s->z != NULL) {
		if (rdeflate_deflate(s->z, &s->out, p, len) == -1) {
			log_warnx("session %llu: compressing for the client: "
			    "%s", (unsigned long long)r->sess->id,
			    rdeflate_error(s->z));
			s->dead = 1;
			relay_close(r, WORKER_END_ERROR);
		}
		return;
	}
	if (borrowed && buf_len(&s->out) == 0 &&
	    (s->zclen == 0 || s->zc + s->zclen == p)) {
		if (s->zclen == 0)
			s->zc = p;
		s->zclen += len;
		return;
	}
	zc_flush(r, to);
	if (!s->dead && buf_add(&s->out, p, len) == -1) {
		log_warnx("session %llu: output to %s over %zu bytes",
		    (unsigned long long)r->sess->id,
		    to == RELAY_CLIENT ? "client" : "upstream", s->out.max);
		s->dead = 1;
		relay_close(r, WORKER_END_ERROR);
	}
}

/* Write borrowed bytes now, and keep a copy of what the socket refused. */
static void
zc_flush(struct relay *r, enum relay_side to)
{
	struct side	*s = &r->s[to];
	const uint8_t	*p = s->zc;
	size_t		 len = s->zclen;
	ssize_t		 n;

	if (len == 0)
		return;
	s->zclen = 0;
	/* A held client gets a copy, written when the hold is over. */
	while (len > 0 && s->connected && buf_len(&s->out) == 0 &&
	    !(to == RELAY_CLIENT && r->hold_until != 0)) {
		n = side_send(s, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				side_failed(r, to, "write");
				return;
			}
			break;
		}
		p += n;
		len -= (size_t)n;
		s->nout += (uint64_t)n;
		r->last_write = now_ms();
	}
	if (len > 0 && buf_add(&s->out, p, len) == -1) {
		log_warn("session %llu: output buffer",
		    (unsigned long long)r->sess->id);
		s->dead = 1;
		relay_close(r, WORKER_END_ERROR);
	}
}

size_t
relay_room(const struct relay *r, enum relay_side to)
{
	size_t	 len = buf_len(&r->s[to].out) + r->s[to].zclen;

	return len >= RELAY_HIWAT ? 0 : RELAY_HIWAT - len;
}

void
relay_close(struct relay *r, enum worker_end_reason reason)
{
	if (r->closing)
		return;
	r->closing = 1;
	r->reason = reason;
	r->last_write = now_ms();
	/* What was held goes out with the rest. */
	r->hold_until = 0;
}

void
relay_hold_client(struct relay *r, unsigned int ms)
{
	if (ms > 0 && !r->closing)
		r->hold_until = now_ms() + ms;
}

void
relay_set_timeout(struct relay *r, unsigned int seconds)
{
	r->idle_timeout = seconds;
}

void
relay_logged_in(struct relay *r, unsigned int seconds)
{
	r->idle_timeout = seconds;
	r->login_deadline = 0;
	r->login_pending = 0;
}

void
relay_login_failed(struct relay *r, int again)
{
	r->login_pending = 0;
	r->relogin = again;
}

void
relay_login_challenge(struct relay *r)
{
	r->login_pending = 0;
}

int
relay_cap_kept(struct relay *r, const char *cap, size_t len)
{
	if (r->eng != NULL && r->ops == &imap_relay_engine)
		return imap_relay_cap_kept(r->eng, cap, len);
	if (r->eng != NULL && r->ops == &pop3_relay_engine)
		return pop3_relay_cap_kept(r->eng, cap, len);
	return 1;
}

int
relay_greeting(struct relay *r, const char *ours, char *buf, size_t size)
{
	if (r->eng != NULL && r->ops == &pop3_relay_engine)
		return pop3_relay_greeting(r->eng, ours, buf, size);
	(void)snprintf(buf, size, "%s", ours);
	return 1;
}

void
relay_greeted(struct relay *r)
{
	struct worker_greeted	 g;

	r->up_deadline = 0;
	if (r->up_greeted)
		return;
	r->up_greeted = 1;
	/* The master hands the next client to this server now (pool.c). */
	memset(&g, 0, sizeof(g));
	g.id = r->sess->id;
	if (!r->quit && msg_compose(r->chan, MSG_W_GREETED, 0, -1, &g,
	    sizeof(g)) == -1) {
		log_warn("queue greeted");
		r->quit = 1;
	}
}

/* The non-blocking connect of the master finished, well or not. */
static void
upstream_connected(struct relay *r)
{
	struct side	*s = &r->s[RELAY_UPSTREAM];
	socklen_t	 len = sizeof(int);
	int		 err = 0;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		stats_upstream_failed();
		errno = err;
		log_warn("session %llu: connect to %s port %u",
		    (unsigned long long)r->sess->id, r->sess->upstream_addr,
		    r->sess->upstream_port);
		s->dead = 1;
		bye(r, "[UNAVAILABLE] Server unavailable");
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	s->connected = 1;
}

/* The master speaks during a session: only to end it.  -1: exit now. */
static int
chan_read(struct relay *r)
{
	struct worker_shutdown	 sd;
	struct msg		 m;
	ssize_t			 n;
	int			 rc;

	if ((n = msg_read(r->chan)) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK) {
		log_warn("channel to the master");
		r->quit = 1;
		return -1;
	}
	while ((rc = msg_get(r->chan, &m)) == 1) {
		/* Rotation (SIGUSR1) does not wait for the session's end. */
		if (m.hdr.type == MSG_W_AUDIT) {
			if (audit_msg(&m) == 0)
				continue;
			m.fd = -1;	/* audit_msg() took it */
		}
		/* Nor does a daemon's restart. */
		if (daemon_channel(r, &m) == 0)
			continue;
		/* posternctl: how far, or the end of this session. */
		if (ops_msg(r, &m) == 0)
			continue;
		/* login proxy: the upstream asked for. */
		if (front_upstream(r, &m) == 0)
			continue;
		if (m.fd != -1)
			close(m.fd);
		if (m.hdr.type != MSG_SHUTDOWN || m.len != sizeof(sd) ||
		    m.fd != -1 || memchr(m.body, '\0', m.len) == NULL) {
			log_warnx("master sent type %u, %zu bytes, during a "
			    "session", m.hdr.type, m.len);
			r->quit = 1;
			return -1;
		}
		memcpy(&sd, m.body, sizeof(sd));
		log_debug("session %llu: shutdown: %s",
		    (unsigned long long)r->sess->id, sd.text);
		/* Say BYE, write out what is queued, then go. */
		bye(r, sd.text);
		relay_close(r, WORKER_END_SHUTDOWN);
		r->exiting = 1;
	}
	if (rc == -1) {
		log_warn("channel to the master");
		r->quit = 1;
		return -1;
	}
	if (n == 0) {
		/* The master is gone: so is everything we serve for. */
		r->quit = 1;
		return -1;
	}
	return 0;
}

/*
 * postern-policyd or postern-keyd restarted, and the master sends the
 * worker a channel to the new one (proto_worker.h): taken here during a
 * session as between sessions (worker.c).  policyd's hello is read by
 * the next query.  0 taken, -1 not one of these or malformed.
 */
static int
daemon_channel(struct relay *r, struct msg *m)
{
	struct policy_client	*pc = r->env != NULL ? r->env->policy : NULL;
	int			 fd;

	if (m->len != 0 || m->fd == -1)
		return -1;
	switch (m->hdr.type) {
	case MSG_W_POLICYD:
		if (pc == NULL)
			return -1;
		fd = m->fd;
		m->fd = -1;
		if (policy_client_renew(pc, fd, policy_query_max(r->conf)) ==
		    -1) {
			log_warn("session %llu: channel to postern-policyd",
			    (unsigned long long)r->sess->id);
			return 0;
		}
		log_debug("session %llu: a new channel to postern-policyd",
		    (unsigned long long)r->sess->id);
		r->policy_lost = 0;
		return 0;
	case MSG_W_KEYHOLDER:
		if (tls_conf()->ncerts == 0)
			return -1;
		keyproxy_channel(m->fd);
		log_debug("session %llu: a new channel to postern-keyd",
		    (unsigned long long)r->sess->id);
		return 0;
	}
	return -1;
}

/*
 * posternctl asks how far this session has got (MSG_W_PROGRESS_ASK) or
 * ends it (MSG_W_KICK), as proto_worker.h says; one meant for an earlier
 * session is let be.  0 taken, -1 not one of these or malformed.
 */
static int
ops_msg(struct relay *r, struct msg *m)
{
	struct worker_progress_ask	 ask;
	struct worker_progress		 p;
	struct worker_kick		 k;

	if (m->fd != -1)
		return -1;
	switch (m->hdr.type) {
	case MSG_W_PROGRESS_ASK:
		if (m->len != sizeof(ask))
			return -1;
		memcpy(&ask, m->body, sizeof(ask));
		if (ask.id != r->sess->id)
			return 0;
		memset(&p, 0, sizeof(p));
		p.id = ask.id;
		p.client_in = r->s[RELAY_CLIENT].nin;
		p.client_out = r->s[RELAY_CLIENT].nout;
		p.upstream_in = r->s[RELAY_UPSTREAM].nin;
		p.upstream_out = r->s[RELAY_UPSTREAM].nout;
		p.commands = r->eng != NULL ? r->ops->e_commands(r->eng) : 0;
		if (msg_compose(r->chan, MSG_W_PROGRESS, 0, -1, &p,
		    sizeof(p)) == -1)
			return -1;
		return 0;
	case MSG_W_KICK:
		if (m->len != sizeof(k) || memchr(m->body, '\0', m->len) ==
		    NULL)
			return -1;
		memcpy(&k, m->body, sizeof(k));
		if (k.id != r->sess->id || r->closing)
			return 0;
		log_debug("session %llu: kicked: %s",
		    (unsigned long long)r->sess->id, k.text);
		bye(r, k.text);
		relay_close(r, WORKER_END_KICKED);
		return 0;
	}
	return -1;
}

/* The channel to policyd, while it is up; -1 without one. */
static int
policy_fd(const struct relay *r)
{
	if (r->env == NULL || r->env->policy == NULL || r->policy_lost != 0)
		return -1;
	return r->env->policy->ch.fd;
}

/* During a handshake the master spoke: the session ends or goes on. */
static int
tls_stop(void *arg)
{
	struct relay	*r = arg;

	return chan_read(r) == -1 || r->closing;
}

/* The server owes the answer to a login the client sent (timers()). */
static int
login_owed(const struct relay *r)
{
	if (r->login_pending)
		return 1;
	return r->eng != NULL && r->ops != NULL && r->ops->e_owed != NULL &&
	    r->ops->e_owed(r->eng) > 0;
}

/* Fires what is due; returns the poll timeout to the next deadline. */
static int
timers(struct relay *r, int64_t now)
{
	int64_t		 next = -1, d;
	unsigned int	 idle;

	if (r->closing) {
		d = r->last_write + RELAY_LINGER_MS;
		if (d <= now) {
			/* Nobody takes what is left: drop it. */
			buf_reset(&r->s[0].out);
			buf_reset(&r->s[1].out);
			return 0;
		}
		return (int)(d - now);
	}
	if (!r->rested) {
		d = r->last_io + RELAY_REST_MS;
		if (d <= now)
			relay_rest(r);
		else
			next = d;
	}
	if (r->up_deadline != 0) {
		if (r->up_deadline <= now) {
			log_warnx("session %llu: %s port %u: no greeting in "
			    "%u s", (unsigned long long)r->sess->id,
			    r->sess->upstream_addr, r->sess->upstream_port,
			    r->conf->timeout_upstream);
			bye(r,
			    "[UNAVAILABLE] Server not responding");
			relay_close(r, WORKER_END_TIMEOUT);
			return 0;
		}
		next = r->up_deadline;
	}
	/*
	 * One deadline from the hand-off to the login, whatever the client
	 * sends meanwhile: a client that dribbles a byte at a time is cut
	 * at the same moment as one that says nothing.  But a login the
	 * server has not answered yet is the server's time, not the
	 * client's (a login storm: Dovecot forking an imap process for
	 * each): the deadline waits for the answer, and the client is cut
	 * after it unless it logged the session in.
	 */
	if (r->login_deadline != 0) {
		/* An answer owed wakes the loop, which looks again. */
		if (r->login_deadline <= now && !login_owed(r)) {
			log_info("session %llu: client %s port %u not logged in "
			    "after %u s: closed", (unsigned long long)
			    r->sess->id, r->sess->client_addr,
			    r->sess->client_port, r->conf->timeout_login);
			r->login_expired = 1;
			bye(r, "[UNAVAILABLE] Login timeout");
			relay_close(r, WORKER_END_TIMEOUT);
			return 0;
		}
		if (r->login_deadline > now && (next == -1 ||
		    r->login_deadline < next))
			next = r->login_deadline;
	}
	if ((idle = r->idle_timeout) != 0) {
		d = r->last_client + (int64_t)idle * 1000;
		if (d <= now) {
			bye(r, "Idle timeout");
			relay_close(r, WORKER_END_TIMEOUT);
			return 0;
		}
		if (next == -1 || d < next)
			next = d;
	}
	/* Poll again at once to write what the hold kept back. */
	if (r->hold_until != 0) {
		if (r->hold_until <= now) {
			r->hold_until = 0;
			next = now;
		} else if (next == -1 || r->hold_until < next)
			next = r->hold_until;
	}
	/* policyd stays away longer than a verdict may take: fail closed. */
	if (r->policy_lost != 0) {
		d = r->policy_lost + (int64_t)r->conf->timeout_policy;
		if (d <= now) {
			log_warnx("session %llu: postern-policyd not back "
			    "within %u ms: session ended",
			    (unsigned long long)r->sess->id,
			    r->conf->timeout_policy);
			bye(r, "[UNAVAILABLE] Policy unavailable");
			relay_close(r, WORKER_END_POLICY);
			return 0;
		}
		if (next == -1 || d < next)
			next = d;
	}
	if (next == -1)
		return -1;
	return next - now > 3600000 ? 3600000 : (int)(next - now);
}

/*
 * Nothing moved for RELAY_REST_MS: the empty buffers go, and so do the
 * free pages.  What holds bytes stays; the next read takes a buffer
 * again.
 */
static void
relay_rest(struct relay *r)
{
	struct side	*s;
	int		 i;

	for (i = 0; i < 2; i++) {
		s = &r->s[i];
		if (buf_len(&s->in) == 0)
			buf_free(&s->in);
		if (buf_len(&s->out) == 0 && s->zclen == 0)
			buf_free(&s->out);
	}
	if (r->eng != NULL && r->ops->e_rest != NULL)
		r->ops->e_rest(r->eng);
	rest_give_back(r->chan, r->env != NULL && r->env->policy != NULL ?
	    &r->env->policy->ch : NULL);
	r->rested = 1;
	log_debug("session %llu: quiet, buffers given back",
	    (unsigned long long)r->sess->id);
}

static void
bye(struct relay *r, const char *text)
{
	if (r->eng != NULL)
		r->ops->e_bye(r->eng, text);
}

static int
flushed(struct relay *r)
{
	int	 i;

	/* What deflate holds goes out like the rest. */
	(void)z_flush(r);

	for (i = 0; i < 2; i++)
		if (!r->s[i].dead && r->s[i].fd != -1 &&
		    (buf_len(&r->s[i].out) > 0 || r->s[i].zclen > 0))
			return 0;
	return 1;
}

static void
session_end(struct relay *r)
{
	struct worker_session_end	 end;

	memset(&end, 0, sizeof(end));
	end.id = r->sess->id;
	end.client_in = r->s[RELAY_CLIENT].nin;
	end.client_out = r->s[RELAY_CLIENT].nout;
	end.upstream_in = r->s[RELAY_UPSTREAM].nin;
	end.upstream_out = r->s[RELAY_UPSTREAM].nout;
	end.reason = r->closing ? (uint32_t)r->reason : WORKER_END_SHUTDOWN;
	if (r->eng != NULL) {
		end.commands = r->ops->e_commands(r->eng);
		r->ops->e_free(r->eng);
	}
	if (r->s[RELAY_CLIENT].z != NULL) {
		uint64_t	 iz, ip, op, oz;

		rdeflate_counts(r->s[RELAY_CLIENT].z, &iz, &ip, &op, &oz);
		log_debug("session %llu: compressed: in %llu of %llu bytes, "
		    "out %llu of %llu", (unsigned long long)r->sess->id,
		    (unsigned long long)iz, (unsigned long long)ip,
		    (unsigned long long)oz, (unsigned long long)op);
	}
	side_free(&r->s[RELAY_CLIENT]);
	side_free(&r->s[RELAY_UPSTREAM]);
	if (r->fr != NULL)
		r->fops->f_free(r->fr);
	r->fr = NULL;
	buf_free(&r->replay);
	tls_set_stop(-1, NULL, NULL);
	/* The anchor goes first: the master files it with the session. */
	audit_disconnect(r->login_expired ? "login-timeout" :
	    audit_end_reason(end.reason), &end);
	audit_flush();
	audit_anchor();
	/* Also when told to stop: the master logs every session's end. */
	if (!r->quit && (stats_end() == -1 || msg_compose(r->chan,
	    MSG_W_SESSION_END, 0, -1, &end, sizeof(end)) == -1)) {
		log_warn("queue session end");
		r->quit = 1;
	}
}

const struct worker_session *
relay_session(const struct relay *r)
{
	return r->sess;
}

/* ---- COMPRESS=DEFLATE on the client leg (relay_tls.h) ---- */

int
relay_compress(struct relay *r)
{
	struct side	*s = &r->s[RELAY_CLIENT];

	if (s->z != NULL)
		return -1;
	if ((s->z = rdeflate_new()) == NULL) {
		log_warnx("session %llu: no memory for compression",
		    (unsigned long long)r->sess->id);
		s->dead = 1;
		relay_close(r, WORKER_END_ERROR);
		return -1;
	}
	r->zstart = 1;
	log_debug("session %llu: client COMPRESS=DEFLATE",
	    (unsigned long long)r->sess->id);
	return 0;
}

int
relay_compressed(const struct relay *r)
{
	return r->s[RELAY_CLIENT].z != NULL;
}

/*
 * Compression started: what the client sent behind the COMPRESS command
 * and the engine left in the input buffer is compressed, and is
 * inflated with the rest.
 */
static void
z_begin(struct relay *r)
{
	struct side	*s = &r->s[RELAY_CLIENT];

	if (!r->zstart)
		return;
	r->zstart = 0;
	if (buf_len(&s->in) > 0 && rdeflate_in_add(s->z, buf_data(&s->in),
	    buf_len(&s->in)) == -1) {
		log_warnx("session %llu: client sent %zu bytes behind COMPRESS",
		    (unsigned long long)r->sess->id, buf_len(&s->in));
		relay_close(r, WORKER_END_ERROR);
	}
	buf_reset(&s->in);
}

/*
 * A compressed client's plaintext, like recv(): from what was read
 * before, else from one read of compressed bytes.  Inflate gives at most
 * RELAY_READ bytes a call, however small its input.  A corrupt stream
 * ends the session here and looks like EAGAIN to side_read().
 */
static ssize_t
z_read(struct relay *r, struct side *s, uint8_t *p)
{
	uint8_t		*q;
	size_t		 room;
	ssize_t		 n;

	if ((n = rdeflate_inflate(s->z, p, RELAY_READ)) == 0 &&
	    (q = rdeflate_in_room(s->z, &room)) != NULL) {
		if (s->ssl != NULL)
			n = tls_read_more(s, q, room);
		else
			n = recv(s->fd, q, room, MSG_DONTWAIT);
		if (n <= 0)
			return n;
		rdeflate_in_commit(s->z, (size_t)n);
		s->nin += (uint64_t)n;
		r->last_client = now_ms();
		n = rdeflate_inflate(s->z, p, RELAY_READ);
	}
	if (n == -1) {
		log_warnx("session %llu: client's compressed stream: %s: "
		    "session closed", (unsigned long long)r->sess->id,
		    rdeflate_error(s->z));
		bye(r, "Invalid compressed stream");
		relay_close(r, WORKER_END_ERROR);
	}
	if (n <= 0) {
		errno = EAGAIN;
		return -1;
	}
	return n;
}

/* The end of a write batch: Z_SYNC_FLUSH what the client is owed. */
static int
z_flush(struct relay *r)
{
	struct side	*s = &r->s[RELAY_CLIENT];

	if (s->z == NULL || s->dead || !rdeflate_dirty(s->z))
		return 0;
	if (rdeflate_flush(s->z, &s->out) == -1) {
		log_warnx("session %llu: compressing for the client: %s",
		    (unsigned long long)r->sess->id, rdeflate_error(s->z));
		s->dead = 1;
		relay_close(r, WORKER_END_ERROR);
		return -1;
	}
	return 0;
}

/* ---- TLS (relay_tls.h) ---- */

enum worker_tls_mode
relay_tls_mode(const struct relay *r)
{
	return r->tls_mode;
}

int
relay_tls_active(const struct relay *r, enum relay_side i)
{
	return r->s[i].ssl != NULL;
}

const char *
relay_tls_ja4(const struct relay *r)
{
	return tls_ja4(r->s[RELAY_CLIENT].ssl);
}

void
relay_starttls(struct relay *r)
{
	r->starttls = 1;
}

/* The client's handshake after our STARTTLS OK went out. */
void
relay_tls_client(struct relay *r)
{
	struct side	*s = &r->s[RELAY_CLIENT];
	const char	*v, *c, *sni;

	r->starttls = 0;
	if (buf_len(&s->in) > 0) {
		log_warnx("security: session %llu: client sent %zu bytes "
		    "after STARTTLS, before TLS (command injection): session "
		    "aborted", (unsigned long long)r->sess->id,
		    buf_len(&s->in));
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	/* STARTTLS comes before the login: its deadline holds. */
	if ((s->ssl = tls_server_new(s->fd)) == NULL ||
	    tls_handshake(s->ssl, r->login_deadline != 0 ? r->login_deadline :
	    now_ms() + (int64_t)r->conf->timeout_login * 1000, r->sess->id,
	    "client") == -1) {
		stats_tls(STATS_CLIENT, 0, NULL);
		tls_free(s->ssl);
		s->ssl = NULL;
		s->dead = 1;
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	tls_describe(s->ssl, &v, &c, &sni);
	audit_set_tls(1, v, c, sni, tls_ja4(s->ssl));
	stats_tls(STATS_CLIENT, 1, v);
	log_debug("session %llu: client TLS %s %s sni %s",
	    (unsigned long long)r->sess->id, v, c, sni ? sni : "-");
}

/*
 * Before the first byte: the client's implicit TLS, then the upstream's
 * TLS, implicit or by STARTTLS.  A failure ends the session, with a BYE
 * to a client that can read one.
 */
void
relay_tls_begin(struct relay *r)
{
	struct side		*c = &r->s[RELAY_CLIENT];
	const char		*v, *ci, *sni;
	uint64_t		 id = r->sess->id;
	const char		*refused;

	/* A client of an implicit listener reads its refusal over TLS. */
	(void)tls_connect_mode(r->conf, r->env != NULL ? r->env->policy :
	    NULL, r->sess, &r->tls_mode, &refused);
	if (r->tls_mode == WORKER_TLS_IMPLICIT) {
		if ((c->ssl = tls_server_new(c->fd)) == NULL ||
		    tls_handshake(c->ssl, r->login_deadline, id,
		    "client") == -1) {
			stats_tls(STATS_CLIENT, 0, NULL);
			tls_free(c->ssl);
			c->ssl = NULL;
			c->dead = 1;
			relay_close(r, WORKER_END_ERROR);
			return;
		}
		tls_describe(c->ssl, &v, &ci, &sni);
		audit_set_tls(1, v, ci, sni, tls_ja4(c->ssl));
		stats_tls(STATS_CLIENT, 1, v);
		log_debug("session %llu: client TLS %s %s sni %s",
		    (unsigned long long)id, v, ci, sni ? sni : "-");
	}
	if (refused != NULL) {
		bye(r, refused);
		relay_close(r, WORKER_END_POLICY);
		return;
	}
	/* login proxy: the upstream comes after the login. */
	if (r->front == 0)
		upstream_begin(r);
}

/* The upstream's side: PROXY v2 header, then its TLS, if any. */
static void
upstream_begin(struct relay *r)
{
	struct side		*u = &r->s[RELAY_UPSTREAM];
	const struct worker_tls	*t = tls_conf();
	const char		*v, *ci, *sni;
	uint64_t		 id = r->sess->id;
	int			 failed = 0;

	if (r->conf->forward == WORKER_FORWARD_PROXY_V2 &&
	    upstream_proxy_v2(r) == -1)
		return;
	if (t->up_mode == WORKER_UPTLS_NONE)
		return;
	if (tls_upstream_connected(u->fd, r->up_deadline, id) == -1) {
		stats_upstream_failed();
		failed = 1;
	} else if ((t->up_mode == WORKER_UPTLS_STARTTLS &&
	    upstream_prelude(r) == -1) ||
	    (u->ssl = tls_client_new(u->fd)) == NULL ||
	    tls_handshake(u->ssl, r->up_deadline, id, "upstream") == -1) {
		stats_tls(STATS_UPSTREAM, 0, NULL);
		failed = 1;
	}
	if (failed) {
		tls_free(u->ssl);
		u->ssl = NULL;
		u->dead = 1;
		bye(r, "[UNAVAILABLE] Server unavailable: TLS to the server "
		    "failed");
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	u->connected = 1;
	stats_tls(STATS_UPSTREAM, 1, NULL);
	tls_describe(u->ssl, &v, &ci, &sni);
	audit_set_tls_upstream(1, v, ci, t->up_name);
	log_debug("session %llu: upstream TLS %s %s%s",
	    (unsigned long long)id, v, ci,
	    SSL_session_reused(u->ssl) ? ", resumed" : "");
	/*
	 * After STARTTLS the server does not greet again: the session
	 * gets a greeting without capabilities, so the client asks the
	 * server anew, over TLS.
	 */
	if (t->up_mode == WORKER_UPTLS_STARTTLS &&
	    buf_add(&u->in, r->up_greeting, strlen(r->up_greeting)) == -1)
		relay_close(r, WORKER_END_ERROR);
}

/*
 * "forward proxy-v2": the header goes out first, once the connect is
 * done and the client's implicit TLS, if any, is up (its version and
 * cipher are in the header).  A STARTTLS client is in plaintext when it
 * comes, and its header says so.  Ends the session when it fails: -1.
 */
static int
upstream_proxy_v2(struct relay *r)
{
	struct side	*c = &r->s[RELAY_CLIENT];
	struct side	*u = &r->s[RELAY_UPSTREAM];
	const char	*v = NULL, *ci = NULL, *sni = NULL;
	uint8_t		 hdr[FORWARD_V2_MAX];
	ssize_t		 n;

	if (c->ssl != NULL)
		tls_describe(c->ssl, &v, &ci, &sni);
	if ((n = forward_proxy_v2(hdr, sizeof(hdr), r->sess, v, ci, sni)) ==
	    -1) {
		log_warnx("session %llu: no PROXY v2 header for the server",
		    (unsigned long long)r->sess->id);
		n = 0;
	}
	if (n == 0 || tls_upstream_connected(u->fd, r->up_deadline,
	    r->sess->id) == -1 || forward_send(u->fd, hdr, (size_t)n,
	    r->up_deadline, r->sess->id) == -1) {
		u->dead = 1;
		bye(r, "[UNAVAILABLE] Server unavailable");
		relay_close(r, WORKER_END_ERROR);
		return -1;
	}
	u->connected = 1;
	u->nout += (uint64_t)n;
	audit_forward("proxy-v2", NULL, 0);
	return 0;
}

/*
 * The upstream's STARTTLS or STLS, and the greeting the session gets in
 * place of the server's (POP3: with its APOP timestamp).
 */
static int
upstream_prelude(struct relay *r)
{
	struct side	*u = &r->s[RELAY_UPSTREAM];
	char		 ts[256];
	int		 xclient;

	if (r->conf->protocol != WORKER_PROTO_POP3) {
		(void)snprintf(r->up_greeting, sizeof(r->up_greeting),
		    "* OK postern ready\r\n");
		return tls_upstream_starttls(u->fd, r->up_deadline,
		    r->sess->id);
	}
	if (tls_upstream_stls(u->fd, r->up_deadline, r->sess->id, ts,
	    sizeof(ts), &xclient) == -1)
		return -1;
	(void)snprintf(r->up_greeting, sizeof(r->up_greeting),
	    "+OK %spostern ready%s%s\r\n", xclient &&
	    r->conf->forward == WORKER_FORWARD_ID ? "[XCLIENT] " : "",
	    ts[0] != '\0' ? " " : "", ts);
	return 0;
}

/*
 * login proxy: the upstream the user is routed to (route.h), into the
 * connect request; "" is the listener's own.  -1: no answer, the
 * session is ended (fails closed, as a verdict does).
 */
static int
front_route(struct relay *r, const char *user, struct worker_connect *wc)
{
	struct side		*c = &r->s[RELAY_CLIENT];
	struct route_choice	 rc;

	if (user == NULL)
		return 0;
	if (route_ask(r->env != NULL ? r->env->policy : NULL,
	    r->conf->protocol == WORKER_PROTO_POP3 ? RULES_POP3 : RULES_IMAP,
	    r->sess, c->ssl != NULL, c->ssl != NULL ? tls_ja4(c->ssl) : NULL,
	    user, (int)r->conf->timeout_policy, &rc) == -1) {
		log_warn("session %llu: login proxy: no route for %.64s from "
		    "postern-policyd", (unsigned long long)r->sess->id, user);
		bye(r, "[UNAVAILABLE] Server unavailable");
		relay_close(r, WORKER_END_ERROR);
		return -1;
	}
	memcpy(wc->upstream, rc.upstream, sizeof(wc->upstream));
	audit_route(rc.upstream, rc.source, rc.gen);
	log_info("session %llu: login proxy: %.64s routed to %s%s by %s",
	    (unsigned long long)r->sess->id, user, rc.upstream[0] != '\0' ?
	    "upstream " : "the listener's upstream", rc.upstream, rc.source);
	return 0;
}

/*
 * login proxy: the client's input goes to the front (imap_front.h) until
 * it has the login; then the master is asked for the upstream, and the
 * client's input waits.  Returns whether anything was consumed.
 */
static int
front_pump(struct relay *r)
{
	struct side		*s = &r->s[RELAY_CLIENT];
	struct worker_connect	 wc;
	const uint8_t		*p;
	size_t			 n, len;

	/* After our STARTTLS OK plaintext is injection (relay_tls_client). */
	if (r->closing || r->front != FRONT_LOGIN || r->starttls ||
	    (len = buf_len(&s->in)) == 0)
		return 0;
	n = r->fops->f_input(r->fr, buf_data(&s->in), len);
	buf_drain(&s->in, n);
	if (r->closing || !r->fops->f_login(r->fr, &p, &len))
		return n > 0;
	if (buf_add(&r->replay, p, len) == -1) {
		log_warnx("session %llu: login proxy: login of %zu bytes "
		    "over %zu", (unsigned long long)r->sess->id, len,
		    r->fops->replay_max);
		bye(r, "Internal error");
		relay_close(r, WORKER_END_ERROR);
		return 1;
	}
	memset(&wc, 0, sizeof(wc));
	wc.id = r->sess->id;
	if (front_route(r, r->fops->f_user(r->fr), &wc) == -1)
		return 1;
	if (msg_compose(r->chan, MSG_W_CONNECT, 0, -1, &wc,
	    sizeof(wc)) == -1) {
		log_warn("session %llu: login proxy: queue connect",
		    (unsigned long long)r->sess->id);
		r->quit = 1;
		return 1;
	}
	r->front = FRONT_WAIT;
	return 1;
}

/*
 * The answer to MSG_W_CONNECT: the upstream's socket, connect perhaps
 * under way, or why there is none.  From here on the session is relay
 * mode's, with the login replayed first.  0 taken, -1 not this.
 */
static int
front_upstream(struct relay *r, struct msg *m)
{
	struct side		*u = &r->s[RELAY_UPSTREAM];
	struct worker_connected	 up;

	if (m->hdr.type != MSG_W_CONNECTED || !r->conf->login_proxy ||
	    m->len != sizeof(up))
		return -1;
	memcpy(&up, m->body, sizeof(up));
	if (up.id != r->sess->id || (m->fd == -1) == (up.error == 0) ||
	    memchr(up.name, '\0', sizeof(up.name)) == NULL ||
	    memchr(up.addr, '\0', sizeof(up.addr)) == NULL)
		return -1;
	/* Asked for before the session began to end: too late now. */
	if (r->front != FRONT_WAIT || r->closing) {
		if (m->fd != -1)
			close(m->fd);
		m->fd = -1;
		return 0;
	}
	r->front = 0;
	r->login_pending = 1;
	if (m->fd == -1) {
		stats_upstream_failed();
		errno = up.error;
		log_warn("session %llu: login proxy: no connection to the "
		    "upstream", (unsigned long long)r->sess->id);
		bye(r, "[UNAVAILABLE] Server unavailable");
		relay_close(r, WORKER_END_ERROR);
		return 0;
	}
	/* The server chosen, in every audit record from here on. */
	audit_set_upstream(up.name, up.addr, up.port);
	u->fd = m->fd;
	m->fd = -1;
	u->connected = 0;
	r->up_deadline = now_ms() + (int64_t)r->conf->timeout_upstream * 1000;
	upstream_begin(r);
	return 0;
}

/*
 * login proxy: the login failed (relay_login_failed()).  Its answer is
 * queued for the client; the server's connection goes, and with it the
 * engine's view of that session: the next try gets a fresh one.
 */
static void
front_again(struct relay *r)
{
	struct side	*u = &r->s[RELAY_UPSTREAM];
	uint64_t	 nin = u->nin, nout = u->nout;

	r->relogin = 0;
	log_debug("session %llu: login proxy: login failed: upstream closed, "
	    "the client may try again", (unsigned long long)r->sess->id);
	side_free(u);
	side_init(u, -1, r->outmax);
	u->nin = nin;
	u->nout = nout;
	r->up_deadline = 0;
	r->up_greeted = 0;
	buf_reset(&r->replay);
	r->ops->e_free(r->eng);
	if ((r->eng = r->ops->e_new(r, r->conf, r->env)) == NULL) {
		log_warn("session %llu: engine", (unsigned long long)
		    r->sess->id);
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	r->fops->f_again(r->fr);
	r->front = FRONT_LOGIN;
}
