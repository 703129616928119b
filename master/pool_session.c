/*
 * A session's path through the master, from pool_handoff() to the
 * worker's MSG_W_SESSION_END.  The master keeps little of a session: its
 * id, its client's address and count (client_limit.h), whether its
 * server has greeted (limit connecting); enough to log how it ended, to
 * release what it counted against, and, for login proxy, to connect the
 * upstream that the confined worker cannot.  What a worker says on its
 * channel is mostly about its session, so its messages are read here;
 * MSG_READY goes to the workers' lifecycle (pool_worker.c), and what
 * posternctl sees of the session to pool_view.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "audit_files.h"
#include "children.h"
#include "client_limit.h"
#include "clock.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "pool.h"
#include "pool_int.h"
#include "proto.h"
#include "proto_worker.h"

/* Why a session ended, by enum worker_end_reason. */
static const char *const end_causes[] = {
	[WORKER_END_LOGOUT] = "client logout",
	[WORKER_END_CLIENT_EOF] = "client closed",
	[WORKER_END_UPSTREAM_EOF] = "server closed",
	[WORKER_END_TIMEOUT] = "timeout",
	[WORKER_END_POLICY] = "policy",
	[WORKER_END_ERROR] = "error",
	[WORKER_END_SHUTDOWN] = "shutdown",
	[WORKER_END_KICKED] = "kicked",
};

static int		 worker_greeted(struct worker *, const struct msg *);

/*
 * The server greeted w's session, or the session ended, or w is gone:
 * one fewer for limit connecting, and the queue may move (waitq.c).
 */
void
worker_connected(struct worker *w)
{
	if (!w->connecting)
		return;
	w->connecting = 0;
	w->pool->nconnecting--;
	w->pool->last_idle = now_ms();
}

static int
worker_greeted(struct worker *w, const struct msg *m)
{
	struct worker_greeted	 g;

	if (m->len != sizeof(g))
		return -1;
	memcpy(&g, m->body, sizeof(g));
	if (g.id != w->session)
		return -1;
	worker_connected(w);
	return 0;
}

static int	 worker_connect(struct worker *, struct msg *);

void
worker_msg(struct child *c, struct msg *m)
{
	struct worker			*w = c->owner;
	struct worker_session_end	 end;
	struct worker_audit_anchor	 an;

	errno = 0;
	if (m->fd != -1) {
		close(m->fd);
		w->fail_cause = "protocol";
		worker_fail(w, "sent a descriptor");
		return;
	}
	switch (m->hdr.type) {
	case MSG_LOG:
		if (log_from_msg(m) == -1)
			break;
		return;
	case MSG_READY:
		/* A forked one told to stop while starting (worker_stop()). */
		if (w->state == W_STOPPING && w->forked && m->len == 0)
			return;
		if (w->state != W_STARTING || m->len != 0)
			break;
		/*
		 * Its template has not said its pid yet: it takes no session
		 * until then, so that what is logged and shown of it, and
		 * what is killed, is its pid (template_msg()).
		 */
		if (c->pid == 0) {
			w->early = 1;
			return;
		}
		worker_ready(w);
		return;
	case MSG_W_SESSION_END:
		/* Also from a worker told to stop during its session. */
		if ((w->state != W_BUSY && w->state != W_STOPPING) ||
		    w->session == 0 || m->len != sizeof(end))
			break;
		memcpy(&end, m->body, sizeof(end));
		if (end.id != w->session ||
		    end.reason >= sizeof(end_causes) / sizeof(end_causes[0]))
			break;
		log_info("%s: session %llu ended (slot %d, client %s): %s; "
		    "client %llu bytes in, %llu out; upstream %llu in, %llu "
		    "out; %u commands", w->pool->tmpl.listener,
		    (unsigned long long)end.id, w->slot, w->addr,
		    end_causes[end.reason],
		    (unsigned long long)end.client_in,
		    (unsigned long long)end.client_out,
		    (unsigned long long)end.upstream_in,
		    (unsigned long long)end.upstream_out, end.commands);
		metrics_session_ended(w->pool->tmpl.listener, end.reason);
		worker_connected(w);
		w->session = 0;
		client_limit_release(w->client);
		w->client = NULL;
		if (w->state == W_BUSY) {
			w->pool->failures = 0;
			worker_idle(w);
		}
		return;
	case MSG_W_GREETED:
		if (w->session == 0 || worker_greeted(w, m) == -1)
			break;
		return;
	case MSG_W_SESSION_INFO:
	case MSG_W_PROGRESS:
	case MSG_W_SESSION_STATS:
		if (w->session == 0 || worker_view(w, m) == -1)
			break;
		return;
	case MSG_W_CONNECT:
		if (!w->pool->tmpl.login_proxy || w->session == 0 ||
		    worker_connect(w, m) == -1)
			break;
		return;
	case MSG_W_AUDIT_ANCHOR:
		/*
		 * After READY, the anchor of the segment's first record; a
		 * forked worker's READY may come before its template has
		 * told its pid (early), and its anchor with it.  Refused, the
		 * segment would stay unchained and the slot's next worker
		 * start the chain anew.
		 */
		if ((w->state == W_STARTING && !w->early) ||
		    m->len != sizeof(an))
			break;
		memcpy(&an, m->body, sizeof(an));
		if (audit_files_anchor(w->slot, &an) == -1) {
			log_warnx("security: worker slot %d pid %d: anchor of "
			    "a segment not its own, or shrinking", w->slot,
			    (int)c->pid);
			break;
		}
		return;
	}
	log_warnx("worker slot %d pid %d: unexpected message type %u, "
	    "%zu bytes, while %s", w->slot, (int)c->pid, m->hdr.type, m->len,
	    worker_state_names[w->state]);
	w->fail_cause = "protocol";
	worker_fail(w, NULL);
}

/*
 * Login proxy: the worker's client gave its login; connect its upstream
 * (listener_connect()) and pass the socket, or why not.  -1: a message
 * not for this session.
 */
static int
worker_connect(struct worker *w, struct msg *m)
{
	struct worker_connect	 wc;
	struct worker_connected	 up;
	int			 fd = -1;

	if (m->len != sizeof(wc))
		return -1;
	memcpy(&wc, m->body, sizeof(wc));
	if (wc.id != w->session ||
	    memchr(wc.upstream, '\0', sizeof(wc.upstream)) == NULL)
		return -1;
	memset(&up, 0, sizeof(up));
	up.id = wc.id;
	if (w->pool->l == NULL)
		up.error = ESHUTDOWN;	/* reconfigured: listener gone */
	else if ((fd = listener_connect(w->pool->l, wc.id, w->addr,
	    wc.upstream, &up)) == -1)
		up.error = errno != 0 ? errno : ECONNREFUSED;
	if (child_compose(w->c, MSG_W_CONNECTED, 0, fd, &up,
	    sizeof(up)) == -1) {
		worker_fail(w, "queue upstream");
		return 0;
	}
	if (msg_flush(&w->c->chan) == -1)
		worker_fail(w, "write channel");
	return 0;
}

int
pool_handoff(struct worker *w, int client, int upstream, int uperr,
    const struct worker_session *s, struct client_count *cc)
{
	struct worker_upstream	 up;

	/* Held until the session ends or the worker is gone. */
	w->client = cc;
	memset(&up, 0, sizeof(up));
	up.id = s->id;
	up.error = uperr;
	if (child_compose(w->c, MSG_W_SESSION, 0, client, s,
	    sizeof(*s)) == -1) {
		if (upstream != -1)
			close(upstream);
		worker_fail(w, "queue session");
		return -1;
	}
	/* Login proxy: the worker asks for it later (MSG_W_CONNECT). */
	if (!w->pool->tmpl.login_proxy && child_compose(w->c,
	    MSG_W_UPSTREAM, 0, upstream, &up, sizeof(up)) == -1) {
		worker_fail(w, "queue upstream");
		return -1;
	}
	worker_set(w, W_BUSY);
	w->session = s->id;
	/* A login proxy's worker connects later, when it has the login. */
	if (!w->pool->tmpl.login_proxy) {
		w->connecting = 1;
		w->pool->nconnecting++;
	}
	memcpy(w->addr, s->client_addr, sizeof(w->addr));
	pool_view_begin(w, s);
	w->sessions++;
	w->pool->wanted = 0;
	if (msg_flush(&w->c->chan) == -1) {
		worker_fail(w, "write channel");
		return -1;
	}
	log_info("%s: session %llu from %s port %u to worker slot %d pid %d",
	    s->listener, (unsigned long long)s->id, s->client_addr,
	    s->client_port, w->slot, (int)w->c->pid);
	return 0;
}
