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
 *
 * Its parts, over relay_int.h: the legs' TLS (relay_tls.c), COMPRESS
 * (relay_compress.c), the login proxy's front (relay_front.c) and the
 * master's channel during a session (relay_chan.c).
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
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
#include "relay_int.h"
#include "policy_client.h"
#include "relay_deflate.h"
#include "rest.h"
#include "relay_tls.h"
#include "stats.h"
#include "tls.h"

#define RELAY_HIWAT	(256 * 1024)	/* output beyond this is "full" */
#define RELAY_LINGER_MS	10000		/* closing: no write progress */
#define RELAY_REST_MS	1000		/* quiet: the buffers go back */

static int	 side_want_read(const struct relay *, enum relay_side);
static void	 side_read(struct relay *, enum relay_side);
static void	 side_write(struct relay *, enum relay_side);
static void	 side_failed(struct relay *, enum relay_side, const char *);
static void	 zc_flush(struct relay *, enum relay_side);
static int	 pump(struct relay *, enum relay_side);
static void	 upstream_connected(struct relay *);
static int	 tls_stop(void *);
static int	 policy_fd(const struct relay *);
static int	 timers(struct relay *, int64_t);
static int	 flushed(struct relay *);
static void	 session_end(struct relay *);
static ssize_t	 side_send(struct side *, const void *, size_t);
static int	 tls_pending(const struct relay *);
static void	 relay_rest(struct relay *);

void
relay_side_init(struct side *s, int fd, size_t outmax)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	buf_init(&s->in, 2 * RELAY_READ);
	buf_init(&s->out, outmax);
}

void
relay_side_free(struct side *s)
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
	relay_side_init(&r.s[RELAY_CLIENT], client, outmax);
	relay_side_init(&r.s[RELAY_UPSTREAM], upstream, outmax);
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
		relay_bye(&r, "[UNAVAILABLE] Server unavailable");
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
	(void)relay_chan_read(&r);
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
		    relay_chan_read(&r) == -1)
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
			relay_front_again(&r);
		/* The end of a batch: the client can inflate all of it. */
		(void)relay_z_flush(&r);
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

	relay_z_begin(r);
	if ((p = buf_reserve_read(&s->in, RELAY_READ)) == NULL) {
		log_warn("session %llu: input buffer",
		    (unsigned long long)r->sess->id);
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	if (s->z != NULL)
		n = relay_z_read(r, s, p);
	else if (s->ssl != NULL)
		n = relay_tls_read_more(s, p, RELAY_READ);
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
ssize_t
relay_tls_read_more(struct side *s, uint8_t *p, size_t len)
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
		relay_bye(r, "[UNAVAILABLE] Server connection lost");
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

	relay_z_begin(r);
	if (from == RELAY_CLIENT && r->front != 0)
		return relay_front_pump(r);
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
	relay_z_begin(r);
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
	/*
	 * The master hands the next client to this server now
	 * (pool_session.c).
	 */
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
		relay_bye(r, "[UNAVAILABLE] Server unavailable");
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	s->connected = 1;
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

	return relay_chan_read(r) == -1 || r->closing;
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
			relay_bye(r,
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
			relay_bye(r, "[UNAVAILABLE] Login timeout");
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
			relay_bye(r, "Idle timeout");
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
			relay_bye(r, "[UNAVAILABLE] Policy unavailable");
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

void
relay_bye(struct relay *r, const char *text)
{
	if (r->eng != NULL)
		r->ops->e_bye(r->eng, text);
}

static int
flushed(struct relay *r)
{
	int	 i;

	/* What deflate holds goes out like the rest. */
	(void)relay_z_flush(r);

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
	relay_side_free(&r->s[RELAY_CLIENT]);
	relay_side_free(&r->s[RELAY_UPSTREAM]);
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


