/*
 * The worker pool.  Each worker is forked and then exec'd afresh, with its
 * end of a socketpair on WORKER_CHAN_FD (an entry of the table of
 * children, children.h); the master sends the config slice at once and
 * waits, up to the start timeout, for MSG_READY.  A pool belongs to one
 * listener of one configuration: a reload makes new pools and retires the
 * old ones, so a worker never serves under a configuration it was not
 * started with, and no session is cut.
 *
 * A worker's channels to postern-policyd and postern-keyd are renewed
 * when either restarts (pool_daemon_ready()), idle or busy, so a worker
 * outlives the daemons it talks to: only a worker that fails counts
 * towards the pool's back-off.
 *
 * With `pool template-forks N' (N > 0, the default) a pool's workers
 * are not exec'd one by one: the pool execs one template (a
 * postern-worker told so in its config slice, worker/template.h), which
 * reads the config and TLS slices, confines itself, and forks a worker
 * for each MSG_T_FORK, sent with the worker's end of a fresh
 * socketpair.  The workers share the template's initialised pages; they
 * are posternd's children (CLONE_PARENT), entries of the table from the
 * fork, their pid told by the template's MSG_T_FORKED.  After N forks
 * the template is told to go and a new one is exec'd, so that address
 * layouts change; a template that dies is replaced the same way, and
 * the workers it forked live on.
 *
 * A pool gives back what a storm of clients made it grow to: an idle
 * worker above min-idle that has waited idle-timeout seconds for a
 * session is told to go, like a worker that served its quota, so its
 * exit is no failure and starts no replacement.
 *
 * This file holds what is decided for a pool as a whole: how many
 * workers it keeps and starts, the back-off, a reload, drain and
 * shutdown, and what every live worker is given anew (a channel to a
 * restarted daemon, a new audit segment).  One worker's life, start to
 * exit, is pool_worker.c's, which carries those decisions out; the
 * sessions the workers serve are pool_session.c's.
 */
#include <sys/types.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/queue.h>

#include <sodium.h>

#include "audit_files.h"
#include "children.h"
#include "clock.h"
#include "daemon.h"
#include "listener_tls.h"
#include "log.h"
#include "pool.h"
#include "pool_int.h"
#include "proto_worker.h"

/* Workers started at once for waiting clients, at most. */
#define SPAWN_AHEAD	64
/* Back-off after a worker died before it was ready: 1 s, doubling, to... */
#define RESPAWN_MAX_MS	30000

/* What a worker is sent with its channel to each daemon. */
static const uint32_t daemon_msgs[DAEMON_MAX] = {
	[DAEMON_POLICYD] = MSG_W_POLICYD,
	[DAEMON_KEYD] = MSG_W_KEYHOLDER,
};

struct poollist		 pools = TAILQ_HEAD_INITIALIZER(pools);
const char		*worker_path;
static int		 log_verbose;

static unsigned int	 listener_live(const struct pool *);
static int64_t		 pool_shrink(struct pool *, int64_t);

void
pool_init(const char *path, int verbose)
{
	worker_path = path;
	log_verbose = verbose;
}

void
pool_configure(struct conf *conf)
{
	struct listener	*l;
	struct pool	*p;

	pool_drain();
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			fatal("%s", __func__);
		TAILQ_INIT(&p->workers);
		TAILQ_INIT(&p->idle);
		TAILQ_INIT(&p->timed);
		TAILQ_INIT(&p->templates);
		p->template_forks = conf->template_forks;
		p->min_idle = conf->min_idle;
		p->max = conf->max_workers;
		p->max_connecting = conf->max_connecting;
		p->quota = conf->sessions;
		p->idle_timeout = conf->pool_idle_timeout;
		p->tmpl.protocol = l->protocol;
		p->tmpl.uid = conf->uid;
		p->tmpl.gid = conf->gid;
		p->tmpl.max_line = conf->max_line;
		p->tmpl.max_literal = conf->max_literal;
		p->tmpl.max_depth = conf->max_depth;
		p->tmpl.max_args = conf->max_args;
		p->tmpl.max_inflight = conf->max_inflight;
		p->tmpl.max_pop3_line = conf->max_pop3_line;
		p->tmpl.max_username = conf->max_username;
		p->tmpl.max_password = conf->max_password;
		p->tmpl.timeout_login = conf->timeout_login;
		p->tmpl.timeout_idle = conf->timeout_idle;
		/* Our idle timer is already past IDLE's 29 minutes. */
		p->tmpl.timeout_imap_idle = conf->timeout_idle;
		p->tmpl.timeout_upstream = conf->timeout_upstream;
		p->tmpl.forward = l->forward;
		p->tmpl.login_proxy = l->login_proxy;
		p->l = l;
		p->tmpl.sessions = conf->sessions;
		/* Zero tells the worker there is no policy to enforce. */
		p->tmpl.timeout_policy = conf->policy_store[0] != '\0' ?
		    conf->timeout_policy : 0;
		memcpy(p->tmpl.listener, l->name, sizeof(p->tmpl.listener));
		memcpy(p->tmpl.chroot, conf->chroot, sizeof(p->tmpl.chroot));
		p->tmpl.verbose = (uint32_t)log_verbose;
		p->timeout_start = conf->timeout_start;
		if (listener_tls_load(&p->tls, conf, l) == -1)
			log_warnx("%s: TLS not loaded: its workers will "
			    "fail to start", l->name);
		TAILQ_INSERT_TAIL(&pools, p, entry);
		l->pool = p;
	}
}

void
pool_drain(void)
{
	struct pool		*p;
	struct pool_template	*t;
	struct worker		*w;

	TAILQ_FOREACH(p, &pools, entry) {
		if (p->retired)
			continue;
		p->retired = 1;
		p->l = NULL;	/* the configuration it came from goes */
		TAILQ_FOREACH(w, &p->workers, entry)
			if (w->state == W_IDLE || w->state == W_STARTING)
				worker_stop(w, "postern reconfigured");
		TAILQ_FOREACH(t, &p->templates, entry)
			template_retire(t);
	}
}

void
pool_shutdown(const char *text)
{
	struct pool		*p;
	struct pool_template	*t;
	struct worker		*w;

	TAILQ_FOREACH(p, &pools, entry) {
		p->retired = 1;
		p->l = NULL;
		TAILQ_FOREACH(w, &p->workers, entry)
			if (w->state != W_STOPPING)
				worker_stop(w, text);
		TAILQ_FOREACH(t, &p->templates, entry)
			template_retire(t);
	}
}

void
pool_kill(void)
{
	struct pool		*p;
	struct pool_template	*t;
	struct worker		*w;

	TAILQ_FOREACH(p, &pools, entry) {
		TAILQ_FOREACH(w, &p->workers, entry) {
			log_warnx("worker slot %d pid %d: killed, still %s",
			    w->slot, (int)w->c->pid,
			    worker_state_names[w->state]);
			/* Its last words stay readable until it is reaped. */
			if (w->c->pid > 0)
				(void)kill(w->c->pid, SIGKILL);
			else
				child_kill(w->c);
		}
		TAILQ_FOREACH(t, &p->templates, entry)
			child_kill(t->c);
	}
}

/*
 * A worker died that should not have: replace it, but back off when they
 * keep dying (a broken worker program, a filter it trips at once) rather
 * than fork in a loop.  The first replacement is immediate, then 1 s,
 * doubling to RESPAWN_MAX_MS; a session served to its end resets it.
 */
void
pool_failed(struct pool *p)
{
	int64_t		 ms = 0;
	unsigned int	 i;

	if (p->failures > 0)
		for (ms = 1000, i = 1; i < p->failures && ms < RESPAWN_MAX_MS;
		    i++)
			ms *= 2;
	if (ms > RESPAWN_MAX_MS)
		ms = RESPAWN_MAX_MS;
	p->failures++;
	p->next_spawn = p->backoff = now_ms() + ms;
	if (ms > 0)
		log_warnx("%s: %u workers failed in a row, next in %lld ms",
		    p->tmpl.listener, p->failures, (long long)ms);
}

/* Which of the daemons the workers of p talk to. */
int
pool_wants(const struct pool *p, enum daemon_id id)
{
	switch (id) {
	case DAEMON_POLICYD:
		return p->tmpl.timeout_policy > 0;
	case DAEMON_KEYD:
		return p->tls.slice.ncerts > 0;
	default:
		return 0;
	}
}

/*
 * A new channel to daemon id for w, if the daemon runs: 1 queued, 0 none
 * now, -1 it could not be queued (then the worker is to fail).
 */
int
worker_channel(struct worker *w, enum daemon_id id)
{
	struct worker_config	 wc = w->pool->tmpl;
	int			 fd;

	wc.slot = (uint32_t)w->slot;
	if ((fd = daemon_channel(id, &wc, &w->gen[id])) == -1)
		return 0;
	return child_compose(w->c, daemon_msgs[id], 0, fd, NULL, 0) ==
	    -1 ? -1 : 1;
}

unsigned int
pool_daemon_ready(enum daemon_id id)
{
	struct pool	*p;
	struct worker	*w;
	unsigned int	 n = 0;

	TAILQ_FOREACH(p, &pools, entry) {
		if (!pool_wants(p, id))
			continue;
		TAILQ_FOREACH(w, &p->workers, entry) {
			if (w->state == W_STOPPING || w->c->chan.fd == -1 ||
			    w->gen[id] == daemon_gen(id))
				continue;
			switch (worker_channel(w, id)) {
			case 1:
				n++;
				break;
			case -1:
				worker_fail(w, "queue a new daemon channel");
				break;
			}
		}
	}
	return n;
}

/*
 * A new segment of each live worker's log; the key leaves no copy here.
 * A worker whose log cannot be reopened keeps the old one.
 */
void
pool_audit_rotate(void)
{
	struct pool		*p;
	struct worker		*w;
	struct worker_audit	 wa;
	int			 fd;

	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry) {
			if (w->state == W_STOPPING || w->c->chan.fd == -1 ||
			    (fd = audit_files_open(w->slot, 1, &wa)) == -1)
				continue;
			if (child_compose(w->c, MSG_W_AUDIT, 0, fd, &wa,
			    sizeof(wa)) == -1)
				worker_fail(w, "queue audit log");
			sodium_memzero(&wa, sizeof(wa));
		}
}

int
pool_maintain(void)
{
	struct pool	*p, *np;
	struct worker	*w, *nw;
	unsigned int	 total, ahead, cap;
	int64_t		 now = now_ms(), next = -1, d;

	TAILQ_FOREACH_SAFE(p, &pools, entry, np) {
		if ((d = template_deadlines(p, now)) != -1 &&
		    (next == -1 || d < next))
			next = d;
		if (p->retired && TAILQ_EMPTY(&p->workers) &&
		    TAILQ_EMPTY(&p->templates)) {
			TAILQ_REMOVE(&pools, p, entry);
			listener_tls_free(&p->tls);
			free(p);
			continue;
		}
		TAILQ_FOREACH_SAFE(w, &p->timed, tentry, nw) {
			if (w->deadline > now)
				continue;
			w->fail_cause = w->state == W_STARTING ?
			    "start-timeout" : "stop-timeout";
			if (w->state == W_STARTING)
				log_warnx("worker slot %d pid %d: not ready "
				    "after %u s", w->slot, (int)w->c->pid,
				    p->timeout_start);
			else
				log_warnx("worker slot %d pid %d: still there "
				    "%d s after it was told to go", w->slot,
				    (int)w->c->pid, STOP_GRACE_MS / 1000);
			worker_fail(w, NULL);
		}
		if (p->retired)
			goto deadlines;
		if ((d = pool_shrink(p, now)) != -1 &&
		    (next == -1 || d < next))
			next = d;
		total = listener_live(p);
		ahead = p->wanted < SPAWN_AHEAD ? p->wanted : SPAWN_AHEAD;
		/*
		 * No more starting at once than min-idle (at least one):
		 * what posternd's descriptors are counted for (rlimits.c);
		 * each one's ready message starts the next.
		 */
		cap = p->min_idle < 1 ? 1 : p->min_idle < SPAWN_AHEAD ?
		    p->min_idle : SPAWN_AHEAD;
		while ((p->nidle + p->nstarting < p->min_idle ||
		    p->nidle + p->nstarting < ahead) && total < p->max &&
		    p->nstarting < cap) {
			if (p->next_spawn > now) {
				if (next == -1 || p->next_spawn < next)
					next = p->next_spawn;
				break;
			}
			total -= p->nlive;
			worker_spawn(p);
			total += p->nlive;
			if (p->next_spawn > now)
				break;
			next = now;	/* deadlines of the new ones */
		}
 deadlines:
		TAILQ_FOREACH(w, &p->timed, tentry)
			if (next == -1 || w->deadline < next)
				next = w->deadline;
	}
	if (next == -1)
		return -1;
	return next <= now ? 0 : (int)(next - now < 3600000 ?
	    next - now : 3600000);
}

/*
 * Idle workers above min-idle that have waited idle_timeout go, those
 * that pool_idle() would take last first.  Returns when the next one is
 * due, or -1: none is.
 */
static int64_t
pool_shrink(struct pool *p, int64_t now)
{
	struct worker	*w, *nw;
	int64_t		 due, next = -1;
	unsigned int	 n = 0;

	if (p->idle_timeout == 0 || p->nidle <= p->min_idle)
		return -1;
	TAILQ_FOREACH_REVERSE_SAFE(w, &p->idle, workerlist, ientry, nw) {
		due = w->idle_since + (int64_t)p->idle_timeout * 1000;
		if (due <= now && p->nidle > p->min_idle) {
			log_debug("worker slot %d pid %d: idle %u s, let go",
			    w->slot, (int)w->c->pid, p->idle_timeout);
			worker_stop(w, "idle");
			n++;
		} else if (due > now && (next == -1 || due < next))
			next = due;
	}
	if (n > 0)
		log_info("%s: %u idle workers let go after %u s idle, %u "
		    "left idle", p->tmpl.listener, n, p->idle_timeout,
		    p->nidle);
	return p->nidle > p->min_idle ? next : -1;
}

struct worker *
pool_idle(struct pool *p)
{
	if (p == NULL || p->retired)
		return NULL;
	return TAILQ_FIRST(&p->idle);
}

void
pool_want(struct pool *p, unsigned int n)
{
	p->wanted = n;
}

int
pool_accepting(struct pool *p)
{
	return !p->retired;
}

int
pool_full(struct pool *p)
{
	return listener_live(p) >= p->max;
}

int
pool_connecting_full(const struct pool *p)
{
	return p->max_connecting != 0 && p->nconnecting >= p->max_connecting;
}

unsigned int
pool_room(struct pool *p)
{
	unsigned int	 live = listener_live(p);

	if (p->retired)
		return 0;
	return (live >= p->max ? 0 : p->max - live) + p->nstarting;
}

int64_t
pool_last_idle(const struct pool *p)
{
	return p->last_idle;
}

/*
 * Live workers of p's listener: p's, and those of the listener's
 * retired pools still serving sessions of an older configuration.  They
 * count against pool max, so a reload never holds more sessions, nor
 * descriptors (rlimits.c), than one configuration; the sessions of a
 * listener a reload removed drain outside any count.
 */
static unsigned int
listener_live(const struct pool *p)
{
	const struct pool	*q;
	unsigned int		 n = 0;

	TAILQ_FOREACH(q, &pools, entry)
		if (q == p || (q->retired && strcmp(q->tmpl.listener,
		    p->tmpl.listener) == 0))
			n += q->nlive;
	return n;
}


unsigned int
pool_nworkers(void)
{
	struct pool	*p;
	struct worker	*w;
	unsigned int	 n = 0;

	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry)
			n++;
	return n;
}

unsigned int
pool_ntemplates(void)
{
	struct pool		*p;
	struct pool_template	*t;
	unsigned int		 n = 0;

	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(t, &p->templates, entry)
			n++;
	return n;
}

unsigned int
pool_nbusy(void)
{
	struct pool	*p;
	unsigned int	 n = 0;

	TAILQ_FOREACH(p, &pools, entry)
		n += p->nlive - p->nidle - p->nstarting;
	return n;
}
