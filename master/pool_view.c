/*
 * What posternctl and the metrics see of the pool's workers (pool.h):
 * each session as the master and its worker know it, the pools' counts,
 * the bytes so far on request, and a session ended by the administrator.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/sys/queue.h>

#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "pool.h"
#include "pool_int.h"
#include "proto_worker.h"

static uint64_t		 progress_n;	/* pool_progress_ask() */

/* ---- What posternctl and the metrics see (pool.h) ---- */

/* A session begins: what the master knows of it, and one more opened. */
void
pool_view_begin(struct worker *w, const struct worker_session *s)
{
	memset(&w->view, 0, sizeof(w->view));
	w->view.id = s->id;
	memcpy(w->view.listener, w->pool->tmpl.listener,
	    sizeof(w->view.listener));
	memcpy(w->view.addr, s->client_addr, sizeof(w->view.addr));
	w->view.port = s->client_port;
	w->view.slot = w->slot;
	w->view.pid = w->c->pid;
	w->view.since = time(NULL);
	w->view.bytes.id = s->id;
	w->asked = w->answered = 0;
	metrics_session_opened(w->pool->tmpl.listener);
}

/*
 * What only the worker knows of its session: user and TLS, its bytes
 * when asked, its counters at the end.  Strings as the worker sent
 * them, NUL-terminated; whoever shows them escapes them.  0, or -1: a
 * malformed message, or not about this session.
 */
int
worker_view(struct worker *w, const struct msg *m)
{
	struct worker_session_info	 si;
	struct worker_progress		 pr;
	struct worker_session_stats	 st;

	switch (m->hdr.type) {
	case MSG_W_SESSION_INFO:
		if (m->len != sizeof(si))
			return -1;
		memcpy(&si, m->body, sizeof(si));
		if (si.id != w->session ||
		    memchr(si.user, '\0', sizeof(si.user)) == NULL ||
		    memchr(si.tls, '\0', sizeof(si.tls)) == NULL)
			return -1;
		memcpy(w->view.user, si.user, sizeof(w->view.user));
		memcpy(w->view.tls, si.tls, sizeof(w->view.tls));
		return 0;
	case MSG_W_PROGRESS:
		if (m->len != sizeof(pr))
			return -1;
		memcpy(&pr, m->body, sizeof(pr));
		if (pr.id != w->session)
			return -1;
		w->view.bytes = pr;
		w->answered = w->asked;
		return 0;
	case MSG_W_SESSION_STATS:
		if (m->len != sizeof(st))
			return -1;
		memcpy(&st, m->body, sizeof(st));
		if (st.id != w->session)
			return -1;
		metrics_session_stats(w->pool->tmpl.listener, &st);
		return 0;
	}
	return -1;
}

void
pool_stat(const struct pool *p, struct pool_stat *st)
{
	const struct worker	*w;

	memset(st, 0, sizeof(*st));
	if (p == NULL)
		return;
	st->max = p->max;
	if (p->tp != NULL && p->tp->state != T_STOPPING) {
		st->tmpl_state = p->tp->state == T_READY ? "ready" :
		    "starting";
		st->tmpl_pid = p->tp->c->pid;
		st->tmpl_forks = p->tp->forks;
		st->tmpl_every = p->template_forks;
	}
	TAILQ_FOREACH(w, &p->workers, entry)
		switch (w->state) {
		case W_STARTING:
			st->starting++;
			break;
		case W_IDLE:
			st->idle++;
			break;
		case W_BUSY:
			st->busy++;
			break;
		case W_STOPPING:
			st->stopping++;
			break;
		}
}

void
pool_sessions(void (*fn)(const struct pool_session *, void *), void *arg)
{
	struct pool	*p;
	struct worker	*w;

	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry)
			if (w->session != 0)
				fn(&w->view, arg);
}

uint64_t
pool_progress_ask(void)
{
	struct worker_progress_ask	 ask;
	struct pool			*p;
	struct worker			*w;

	progress_n++;
	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry) {
			if (w->session == 0 || w->c->chan.fd == -1)
				continue;
			memset(&ask, 0, sizeof(ask));
			ask.id = w->session;
			if (child_compose(w->c, MSG_W_PROGRESS_ASK, 0, -1,
			    &ask, sizeof(ask)) == -1) {
				worker_fail(w, "queue a question");
				continue;
			}
			w->asked = progress_n;
		}
	return progress_n;
}

int
pool_progress_done(uint64_t n)
{
	struct pool	*p;
	struct worker	*w;

	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry)
			if (w->session != 0 && w->c->chan.fd != -1 &&
			    w->asked >= n && w->answered < n)
				return 0;
	return 1;
}

int
pool_kick(uint64_t id, const char *text)
{
	struct worker_kick	 k;
	struct pool		*p;
	struct worker		*w;

	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry) {
			if (w->session != id || w->c->chan.fd == -1)
				continue;
			memset(&k, 0, sizeof(k));
			k.id = id;
			(void)snprintf(k.text, sizeof(k.text), "%s", text);
			if (child_compose(w->c, MSG_W_KICK, 0, -1, &k,
			    sizeof(k)) == -1) {
				worker_fail(w, "queue kick");
				return -1;
			}
			log_info("%s: session %llu (slot %d, client %s): "
			    "told to end (posternctl kick)", p->tmpl.listener,
			    (unsigned long long)id, w->slot, w->addr);
			return 0;
		}
	return -1;
}
