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
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include <sodium.h>

#include "audit_files.h"
#include "children.h"
#include "client_limit.h"
#include "clock.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"
#include "listener_tls.h"
#include "metrics.h"
#include "pool.h"
#include "pool_int.h"
#include "proto.h"
#include "proto_worker.h"

/* How often a TLS pool looks for keyd while it is away. */
#define KEYD_WAIT_MS	200

/* Workers started at once for waiting clients, at most. */
#define SPAWN_AHEAD	64
/* Back-off after a worker died before it was ready: 1 s, doubling, to... */
#define RESPAWN_MAX_MS	30000

const char *const worker_state_names[] = {
	"starting", "idle", "busy", "stopping"
};

/* What a worker is sent with its channel to each daemon. */
static const uint32_t daemon_msgs[DAEMON_MAX] = {
	[DAEMON_POLICYD] = MSG_W_POLICYD,
	[DAEMON_KEYD] = MSG_W_KEYHOLDER,
};

struct poollist		 pools = TAILQ_HEAD_INITIALIZER(pools);
const char		*worker_path;
static int		 log_verbose;
static uint8_t		*slots;		/* 1: taken */
static size_t		 nslots;
static size_t		 slot_low;	/* none below is free */

static int		 slot_get(void);
static void		 worker_spawn(struct pool *);
static void		 worker_stop(struct worker *, const char *);
static void		 worker_lost(struct child *, const char *);
static void		 worker_exited(struct child *, int);
static void		 idle_insert(struct pool *, struct worker *);
static void		 worker_free(struct worker *);
static const char	*worker_greet(struct worker *,
			    const struct worker_config *, int, int,
			    const struct worker_audit *);
static int		 worker_channel(struct worker *, enum daemon_id);
static int		 pool_wants(const struct pool *, enum daemon_id);
static void		 worker_deadline(struct worker *, int64_t);
static unsigned int	 listener_live(const struct pool *);
static int64_t		 pool_shrink(struct pool *, int64_t);

/* Every worker's entry in the table of children (children.h). */
const struct child_ops worker_ops = {
	.kind = CHILD_WORKER,
	.name = "worker",
	.on_msg = worker_msg,
	.on_lost = worker_lost,
	.on_exit = worker_exited,
};

void
pool_init(const char *path, int verbose)
{
	worker_path = path;
	log_verbose = verbose;
}

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
 * Close the session with text (the worker sends "* BYE text"), and exit.
 * An exec'd worker still starting has no session and cannot take
 * messages yet, so it is killed; a forked one reads its channel from
 * its MSG_READY on, and finds the message then.
 */
static void
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

static void
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

/* Which of the daemons the workers of p talk to. */
static int
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
static int
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
