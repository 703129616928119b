/*
 * login proxy (postern.conf(5)): postern greets the client and takes the
 * login itself (imap_front.c, pop3_front.c); the upstream is asked of the
 * master for the user's route, and the login is replayed to it.  A failed
 * login drops that upstream so that the client may try again.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "proto_worker.h"
#include "relay_int.h"
#include "route.h"
#include "stats.h"
#include "tls.h"

static int	 front_route(struct relay *, const char *,
	    struct worker_connect *);

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
		relay_bye(r, "[UNAVAILABLE] Server unavailable");
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
int
relay_front_pump(struct relay *r)
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
		relay_bye(r, "Internal error");
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
int
relay_front_upstream(struct relay *r, struct msg *m)
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
		relay_bye(r, "[UNAVAILABLE] Server unavailable");
		relay_close(r, WORKER_END_ERROR);
		return 0;
	}
	/* The server chosen, in every audit record from here on. */
	audit_set_upstream(up.name, up.addr, up.port);
	u->fd = m->fd;
	m->fd = -1;
	u->connected = 0;
	r->up_deadline = now_ms() + (int64_t)r->conf->timeout_upstream * 1000;
	relay_upstream_begin(r);
	return 0;
}

/*
 * login proxy: the login failed (relay_login_failed()).  Its answer is
 * queued for the client; the server's connection goes, and with it the
 * engine's view of that session: the next try gets a fresh one.
 */
void
relay_front_again(struct relay *r)
{
	struct side	*u = &r->s[RELAY_UPSTREAM];
	uint64_t	 nin = u->nin, nout = u->nout;

	r->relogin = 0;
	log_debug("session %llu: login proxy: login failed: upstream closed, "
	    "the client may try again", (unsigned long long)r->sess->id);
	relay_side_free(u);
	relay_side_init(u, -1, r->outmax);
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
