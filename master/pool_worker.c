/*
 * A worker's life, from its exec or fork to its exit (pool.c's header
 * says why workers are started as they are): a slot for its audit log,
 * what it is told first, and every change of its state, made in one
 * place (worker_set()) so that the pool's counts and lists, which the
 * loop asks at every turn, stay true.  Whether a worker is started or
 * let go is the pool's decision (pool.c); this file carries it out,
 * learns how the worker ended, and, owning the slots, frees what is
 * left at the end (pool_cleanup()).
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include <sodium.h>

#include "audit_files.h"
#include "children.h"
#include "client_limit.h"
#include "clock.h"
#include "daemon.h"
#include "listener_tls.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "pool.h"
#include "pool_int.h"
#include "proto.h"
#include "proto_worker.h"

/* How often a TLS pool looks for keyd while it is away. */
#define KEYD_WAIT_MS	200

const char *const worker_state_names[] = {
	"starting", "idle", "busy", "stopping"
};

static uint8_t		*slots;		/* 1: taken */
static size_t		 nslots;
static size_t		 slot_low;	/* none below is free */

static int		 slot_get(void);
static void		 worker_lost(struct child *, const char *);
static void		 worker_exited(struct child *, int);
static void		 idle_insert(struct pool *, struct worker *);
static void		 worker_free(struct worker *);
static const char	*worker_greet(struct worker *,
			    const struct worker_config *, int, int,
			    const struct worker_audit *);
static void		 worker_deadline(struct worker *, int64_t);

/* Every worker's entry in the table of children (children.h). */
const struct child_ops worker_ops = {
	.kind = CHILD_WORKER,
	.name = "worker",
	.on_msg = worker_msg,
	.on_lost = worker_lost,
	.on_exit = worker_exited,
};

/* Lowest free slot, so the audit log names stay few and stable. */
static int
slot_get(void)
{
	size_t	 i;

	for (i = slot_low; i < nslots; i++)
		if (!slots[i])
			break;
	if (i == nslots) {
		size_t	 n = nslots ? nslots * 2 : 16;

		if ((slots = reallocarray(slots, n, 1)) == NULL)
			fatal("%s", __func__);
		memset(slots + nslots, 0, n - nslots);
		nslots = n;
	}
	slots[i] = 1;
	slot_low = i + 1;
	return (int)i;
}

static void
slot_put(int slot)
{
	slots[slot] = 0;
	if ((size_t)slot < slot_low)
		slot_low = (size_t)slot;
}

/*
 * The idle list is in the order the workers started: the oldest take
 * the sessions, and the newest, idle longest when the load falls, are
 * let go first (pool_shrink()).  A worker comes idle mostly from the
 * list's end, so it is looked for from there.
 */
static void
idle_insert(struct pool *p, struct worker *w)
{
	struct worker	*o;

	TAILQ_FOREACH_REVERSE(o, &p->idle, workerlist, ientry)
		if (o->seq < w->seq)
			break;
	if (o == NULL)
		TAILQ_INSERT_HEAD(&p->idle, w, ientry);
	else
		TAILQ_INSERT_AFTER(&p->idle, o, w, ientry);
}

/*
 * Every change of a worker's state is made here, so that the pool's
 * counts and its idle list stay true.
 */
void
worker_set(struct worker *w, enum worker_state s)
{
	struct pool	*p = w->pool;

	if (w->state == W_IDLE) {
		TAILQ_REMOVE(&p->idle, w, ientry);
		p->nidle--;
	} else if (w->state == W_STARTING)
		p->nstarting--;
	if (w->state != W_STOPPING)
		p->nlive--;
	w->state = s;
	if (s == W_IDLE) {
		idle_insert(p, w);
		p->nidle++;
	} else if (s == W_STARTING)
		p->nstarting++;
	if (s != W_STOPPING)
		p->nlive++;
}

/* ms, or 0 for none; those with one are in the pool's timed list. */
static void
worker_deadline(struct worker *w, int64_t ms)
{
	if (ms != 0 && !w->timed)
		TAILQ_INSERT_TAIL(&w->pool->timed, w, tentry);
	else if (ms == 0 && w->timed)
		TAILQ_REMOVE(&w->pool->timed, w, tentry);
	w->timed = ms != 0;
	w->deadline = ms;
}

/*
 * Close the session with text (the worker sends "* BYE text"), and exit.
 * An exec'd worker still starting has no session and cannot take
 * messages yet, so it is killed; a forked one reads its channel from
 * its MSG_READY on, and finds the message then.
 */
void
worker_stop(struct worker *w, const char *text)
{
	struct worker_shutdown	 sd;

	if (w->state == W_STARTING && !w->forked)
		child_kill(w->c);
	else if (w->c->chan.fd != -1) {
		memset(&sd, 0, sizeof(sd));
		snprintf(sd.text, sizeof(sd.text), "%s", text);
		if (child_compose(w->c, MSG_SHUTDOWN, 0, -1, &sd,
		    sizeof(sd)) == -1)
			worker_fail(w, "queue shutdown");
	}
	worker_set(w, W_STOPPING);
	worker_deadline(w, now_ms() + STOP_GRACE_MS);
}

/* The channel broke or the worker broke the protocol: it goes. */
void
worker_fail(struct worker *w, const char *why)
{
	if (!w->failed)
		metrics_worker_failed(w->pool->tmpl.listener,
		    w->fail_cause != NULL ? w->fail_cause : "channel");
	if (errno != 0 && why != NULL)
		log_warn("worker slot %d pid %d: %s", w->slot, (int)w->c->pid,
		    why);
	else if (why != NULL)
		log_warnx("worker slot %d pid %d: %s", w->slot, (int)w->c->pid,
		    why);
	child_kill(w->c);
	worker_set(w, W_STOPPING);
	worker_deadline(w, 0);
	w->failed = 1;
}

void
worker_spawn(struct pool *p)
{
	struct child_prog	 prog = { .path = worker_path,
				    .argv0 = "postern-worker",
				    .chanfd = WORKER_CHAN_FD,
				    .env = { WORKER_ENV_MALLOC,
				    WORKER_ENV_BIND } };
	struct worker		*w;
	struct worker_config	 wc;
	struct worker_audit	 wa;
	const char		*why;
	int			 afd = -1, kfd = -1;

	/*
	 * A TLS worker needs keyd: while keyd waits for its restart, none
	 * is started to fail.
	 */
	if (pool_wants(p, DAEMON_KEYD) && !daemon_running(DAEMON_KEYD)) {
		p->next_spawn = now_ms() + KEYD_WAIT_MS;
		return;
	}
	/* Forked by the template, once it is ready (template_msg()). */
	if (p->template_forks > 0) {
		if (p->tp == NULL)
			template_spawn(p);
		if (p->tp == NULL || p->tp->state != T_READY) {
			if (p->next_spawn <= now_ms())
				p->next_spawn = now_ms() + TEMPLATE_WAIT_MS;
			return;
		}
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("%s", __func__);
	w->slot = slot_get();
	/* No session goes unrecorded: no log, no worker. */
	if (audit_files_enabled() &&
	    (afd = audit_files_open(w->slot, 0, &wa)) == -1) {
		slot_put(w->slot);
		free(w);
		p->next_spawn = now_ms() + 5000;
		return;
	}
	/* The worker keeps this as its own limit: its log's size. */
	prog.fsize = (rlim_t)audit_files_max_size();
	if (p->tp != NULL) {
		w->c = template_fork(p->tp, w);
		w->forked = 1;
	} else
		w->c = child_spawn(&prog, &worker_ops, w);
	if (w->c == NULL) {
		slot_put(w->slot);
		free(w);
		if (afd != -1)
			close(afd);
		sodium_memzero(&wa, sizeof(wa));
		p->next_spawn = now_ms() + 1000;
		return;
	}
	w->pool = p;
	w->seq = p->nstarted++;
	/* Counted from here: worker_set() takes it out of what it was. */
	w->state = W_STOPPING;
	worker_set(w, W_STARTING);
	worker_deadline(w, now_ms() + (int64_t)p->timeout_start * 1000);
	TAILQ_INSERT_TAIL(&p->workers, w, entry);
	wc = p->tmpl;
	wc.slot = (uint32_t)w->slot;
	if (pool_wants(p, DAEMON_KEYD))
		kfd = daemon_channel(DAEMON_KEYD, &wc, &w->gen[DAEMON_KEYD]);
	if ((why = worker_greet(w, &wc, kfd, afd, &wa)) != NULL) {
		worker_fail(w, why);
		if (pool_wants(p, DAEMON_KEYD) && kfd == -1)
			p->next_spawn = now_ms() + KEYD_WAIT_MS;
	}
	if (afd != -1)
		sodium_memzero(&wa, sizeof(wa));
	metrics_worker_started(p->tmpl.listener);
	log_debug("%s: worker slot %d pid %d started", p->tmpl.listener,
	    w->slot, (int)w->c->pid);
}

/*
 * What a new worker is told first, in order (proto_worker.h); the channel
 * takes kfd and afd, whatever happens.  NULL, or what failed.
 */
static const char *
worker_greet(struct worker *w, const struct worker_config *wc, int kfd,
    int afd, const struct worker_audit *wa)
{
	struct msgchan	*ch = &w->c->chan;
	const char	*why = NULL;

	/*
	 * Forked from the template, it has the slices: only its own keyd
	 * channel, which the template must not share among its workers.
	 */
	if (w->from != NULL) {
		if (kfd != -1 && child_compose(w->c, MSG_W_KEYHOLDER, 0, kfd,
		    NULL, 0) == -1)
			why = "queue keyd channel";
	} else if (child_compose(w->c, MSG_W_CONFIG, 0, -1, wc,
	    sizeof(*wc)) == -1) {
		why = "queue config";
		if (kfd != -1)
			close(kfd);
	}
	/* The worker builds its TLS contexts before its filter. */
	else if (listener_tls_send(ch, &w->pool->tls, kfd) == -1)
		why = "queue TLS";
	/* Its own channel to policyd now, or when policyd is ready. */
	if (why == NULL && pool_wants(w->pool, DAEMON_POLICYD) &&
	    worker_channel(w, DAEMON_POLICYD) == -1)
		why = "queue policyd channel";
	if (why == NULL && afd != -1) {
		if (child_compose(w->c, MSG_W_AUDIT, 0, afd, wa,
		    sizeof(*wa)) == -1)
			why = "queue audit log";
		afd = -1;
	}
	if (afd != -1)
		close(afd);
	child_queued(w->c);	/* the TLS slices, sent on ch */
	return why;
}

/* The channel failed (why, errno set), or the worker closed it (NULL). */
static void
worker_lost(struct child *c, const char *why)
{
	struct worker	*w = c->owner;

	if (why != NULL) {
		worker_fail(w, why);
		return;
	}
	/* The worker is exiting; worker_exited() says how. */
	if (w->state == W_STOPPING)
		return;
	log_debug("worker slot %d pid %d closed its channel while %s",
	    w->slot, (int)c->pid, worker_state_names[w->state]);
	worker_set(w, W_STOPPING);
	worker_deadline(w, now_ms() + STOP_GRACE_MS);
	w->failed = 1;
}

void
worker_ready(struct worker *w)
{
	log_debug("worker slot %d pid %d ready", w->slot, (int)w->c->pid);
	worker_deadline(w, 0);
	worker_idle(w);
}

/* The worker can take a session, unless it has had its share. */
void
worker_idle(struct worker *w)
{
	struct pool	*p = w->pool;

	if (p->retired)
		worker_stop(w, "postern reconfigured");
	else if (p->quota != 0 && w->sessions >= p->quota) {
		log_debug("worker slot %d pid %d: %u sessions, replaced",
		    w->slot, (int)w->c->pid, w->sessions);
		worker_stop(w, "worker replaced");
	} else {
		w->idle_since = p->last_idle = now_ms();
		worker_set(w, W_IDLE);
	}
}

void
pool_cleanup(void)
{
	struct pool		*p;
	struct pool_template	*t;
	struct worker		*w;

	while ((p = TAILQ_FIRST(&pools)) != NULL) {
		while ((w = TAILQ_FIRST(&p->workers)) != NULL) {
			child_release(w->c);
			worker_free(w);
		}
		while ((t = TAILQ_FIRST(&p->templates)) != NULL) {
			child_release(t->c);
			TAILQ_REMOVE(&p->templates, t, entry);
			free(t);
		}
		TAILQ_REMOVE(&pools, p, entry);
		listener_tls_free(&p->tls);
		free(p);
	}
	free(slots);
	slots = NULL;
	nslots = 0;
	slot_low = 0;
}

/*
 * waitpid() collected it: say how it died, and how its session ended if
 * it had one it did not report.  Only a worker that failed counts
 * towards the back-off.
 */
static void
worker_exited(struct child *c, int status)
{
	struct worker	*w = c->owner;
	int		 pid = (int)c->pid;
	char		 how[64];

	if (WIFSIGNALED(status))
		(void)snprintf(how, sizeof(how), "killed by signal %d",
		    WTERMSIG(status));
	else
		(void)snprintf(how, sizeof(how), "exited with %d",
		    WEXITSTATUS(status));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warnx("security: worker slot %d pid %d killed by "
		    "SIGSYS", w->slot, pid);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ)
		log_warnx("worker slot %d pid %d killed by SIGXFSZ: "
		    "its audit log reached max-size", w->slot, pid);
	else if (WIFSIGNALED(status) && w->state != W_STOPPING)
		log_warnx("worker slot %d pid %d %s while %s", w->slot, pid,
		    how, worker_state_names[w->state]);
	else if (WIFEXITED(status) && (WEXITSTATUS(status) != 0 ||
	    w->state != W_STOPPING))
		log_warnx("worker slot %d pid %d %s while %s", w->slot, pid,
		    how, worker_state_names[w->state]);
	else
		log_debug("worker slot %d pid %d exited", w->slot, pid);
	if (w->session != 0) {
		log_warnx("%s: session %llu ended (slot %d, client %s): "
		    "worker %s", w->pool->tmpl.listener,
		    (unsigned long long)w->session, w->slot, w->addr, how);
		metrics_session_ended(w->pool->tmpl.listener,
		    METRICS_END_WORKER);
	}
	metrics_worker_exited(w->pool->tmpl.listener, status,
	    w->state == W_STOPPING, w->failed);
	if (w->state != W_STOPPING || w->failed)
		pool_failed(w->pool);
	worker_free(w);
}

static void
worker_free(struct worker *w)
{
	/* Out of the counts and lists as a stopped one. */
	worker_connected(w);
	worker_set(w, W_STOPPING);
	worker_deadline(w, 0);
	TAILQ_REMOVE(&w->pool->workers, w, entry);
	client_limit_release(w->client);
	slot_put(w->slot);
	free(w);
}
