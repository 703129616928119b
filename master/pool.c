/*
 * The worker pool.  Each worker is forked and then exec'd afresh, with its
 * end of a socketpair on WORKER_CHAN_FD; the master sends the config slice
 * at once and waits, up to the start timeout, for MSG_READY.  A pool
 * belongs to one listener of one configuration: a reload makes new pools
 * and retires the old ones, so a worker never serves under a
 * configuration it was not started with, and no session is cut.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
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
#include "child.h"
#include "client_limit.h"
#include "clock.h"
#include "log.h"
#include "msg.h"
#include "policyd_child.h"
#include "keyd_child.h"
#include "listener_tls.h"

/* How often a TLS pool looks for keyd while it is away. */
#define KEYD_WAIT_MS	200
#include "pool.h"
#include "proto.h"
#include "proto_worker.h"

/* A stopping worker that is still alive after this is killed. */
#define STOP_GRACE_MS	10000
/* Workers started at once for waiting clients, at most. */
#define SPAWN_AHEAD	8
/* Back-off after a worker died before it was ready: 1 s, doubling, to... */
#define RESPAWN_MAX_MS	30000

enum worker_state {
	W_STARTING,		/* exec'd, config sent, waiting for MSG_READY */
	W_IDLE,
	W_BUSY,
	W_STOPPING,		/* told to go, or its channel is gone */
};

static const char *const state_names[] = {
	"starting", "idle", "busy", "stopping"
};

struct worker {
	TAILQ_ENTRY(worker)	 entry;
	struct pool		*pool;
	pid_t			 pid;
	int			 slot;
	enum worker_state	 state;
	struct msgchan		 chan;		/* fd -1 once closed */
	uint32_t		 sessions;
	uint64_t		 session;	/* the one under way */
	struct client_count	*client;	/* its client's count */
	int64_t			 deadline;	/* ms; 0 none */
	int			 failed;	/* killed for misbehaving */
};
TAILQ_HEAD(workerlist, worker);

struct pool {
	TAILQ_ENTRY(pool)	 entry;
	struct workerlist	 workers;
	struct worker_config	 tmpl;		/* slot and verbose filled per worker */
	uint32_t		 min_idle;
	uint32_t		 max;
	uint32_t		 quota;
	int			 retired;
	unsigned int		 wanted;	/* clients waiting, none idle */
	unsigned int		 failures;	/* deaths before ready, in a row */
	int64_t			 next_spawn;	/* ms */
	uint32_t		 timeout_start;	/* s, exec to MSG_READY */
	struct listener_tls_set	 tls;		/* sent after the config */
};
TAILQ_HEAD(poollist, pool);

static struct poollist	 pools = TAILQ_HEAD_INITIALIZER(pools);
static const char	*worker_path;
static int		 log_verbose;
static uint8_t		*slots;		/* 1: taken */
static size_t		 nslots;
static struct worker	**polled;	/* who pool_pollfds() put where */
static size_t		 npolled, polledsz;

static int		 slot_get(void);
static void		 worker_spawn(struct pool *);
static void		 worker_exec(int, int) __attribute__((noreturn));
static void		 worker_stop(struct worker *, const char *);
static void		 worker_close(struct worker *);
static void		 worker_fail(struct worker *, const char *);
static void		 worker_read(struct worker *);
static void		 worker_msg(struct worker *, struct msg *);
static void		 worker_idle(struct worker *);
static void		 worker_free(struct worker *);
static void		 pool_failed(struct pool *);
static void		 pool_counts(const struct pool *, unsigned int *,
			    unsigned int *, unsigned int *);

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

	for (i = 0; i < nslots; i++)
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
	return (int)i;
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
		p->min_idle = conf->min_idle;
		p->max = conf->max_workers;
		p->quota = conf->sessions;
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
	struct pool	*p;
	struct worker	*w;

	TAILQ_FOREACH(p, &pools, entry) {
		if (p->retired)
			continue;
		p->retired = 1;
		TAILQ_FOREACH(w, &p->workers, entry)
			if (w->state == W_IDLE || w->state == W_STARTING)
				worker_stop(w, "postern reconfigured");
	}
}

void
pool_shutdown(const char *text)
{
	struct pool	*p;
	struct worker	*w;

	TAILQ_FOREACH(p, &pools, entry) {
		p->retired = 1;
		TAILQ_FOREACH(w, &p->workers, entry)
			if (w->state != W_STOPPING)
				worker_stop(w, text);
	}
}

void
pool_kill(void)
{
	struct pool	*p;
	struct worker	*w;

	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry) {
			log_warnx("worker slot %d pid %d: killed, still %s",
			    w->slot, (int)w->pid, state_names[w->state]);
			kill(w->pid, SIGKILL);
		}
}

/*
 * Close the session with text (the worker sends "* BYE text"), and exit.
 * A worker still starting has no session and cannot take messages yet,
 * so it is killed.
 */
static void
worker_stop(struct worker *w, const char *text)
{
	struct worker_shutdown	 sd;

	if (w->state == W_STARTING) {
		kill(w->pid, SIGKILL);
		worker_close(w);
	} else if (w->chan.fd != -1) {
		memset(&sd, 0, sizeof(sd));
		snprintf(sd.text, sizeof(sd.text), "%s", text);
		if (msg_compose(&w->chan, MSG_SHUTDOWN, 0, -1, &sd,
		    sizeof(sd)) == -1)
			worker_fail(w, "queue shutdown");
	}
	w->state = W_STOPPING;
	w->deadline = now_ms() + STOP_GRACE_MS;
}

static void
worker_close(struct worker *w)
{
	if (w->chan.fd != -1) {
		close(w->chan.fd);
		msgchan_clear(&w->chan);
		w->chan.fd = -1;
	}
}

/* The channel broke or the worker broke the protocol: it goes. */
static void
worker_fail(struct worker *w, const char *why)
{
	if (errno != 0 && why != NULL)
		log_warn("worker slot %d pid %d: %s", w->slot, (int)w->pid, why);
	else if (why != NULL)
		log_warnx("worker slot %d pid %d: %s", w->slot, (int)w->pid,
		    why);
	kill(w->pid, SIGKILL);
	worker_close(w);
	w->state = W_STOPPING;
	w->deadline = 0;
	w->failed = 1;
}

/*
 * A worker died that should not have: replace it, but back off when they
 * keep dying (a broken worker program, a filter it trips at once) rather
 * than fork in a loop.  The first replacement is immediate, then 1 s,
 * doubling to RESPAWN_MAX_MS; a session served to its end resets it.
 */
static void
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
	p->next_spawn = now_ms() + ms;
	if (ms > 0)
		log_warnx("%s: %u workers failed in a row, next in %lld ms",
		    p->tmpl.listener, p->failures, (long long)ms);
}

static void
worker_spawn(struct pool *p)
{
	struct worker		*w;
	struct worker_config	 wc;
	struct worker_audit	 wa;
	int			 sp[2], pfd, afd = -1;
	pid_t			 pid;

	/* A TLS worker needs keyd, which may be waiting for its restart. */
	if (p->tls.slice.ncerts > 0 && !keyd_child_running()) {
		p->next_spawn = now_ms() + KEYD_WAIT_MS;
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for a worker");
		p->next_spawn = now_ms() + 1000;
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("%s", __func__);
	w->slot = slot_get();
	/* No session goes unrecorded: no log, no worker. */
	if (audit_files_enabled() &&
	    (afd = audit_files_open(w->slot, 0, &wa)) == -1) {
		slots[w->slot] = 0;
		free(w);
		close(sp[0]);
		close(sp[1]);
		p->next_spawn = now_ms() + 5000;
		return;
	}
	switch ((pid = fork())) {
	case -1:
		log_warn("fork worker");
		slots[w->slot] = 0;
		free(w);
		close(sp[0]);
		close(sp[1]);
		if (afd != -1)
			close(afd);
		sodium_memzero(&wa, sizeof(wa));
		p->next_spawn = now_ms() + 1000;
		return;
	case 0:
		worker_exec(sp[1], sp[0]);
	}
	close(sp[1]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
	w->pid = pid;
	w->pool = p;
	w->state = W_STARTING;
	w->deadline = now_ms() + (int64_t)p->timeout_start * 1000;
	msgchan_init(&w->chan, sp[0], MSGCHAN_FDS, 0);
	wc = p->tmpl;
	wc.slot = (uint32_t)w->slot;
	if (msg_compose(&w->chan, MSG_W_CONFIG, 0, -1, &wc, sizeof(wc)) == -1)
		worker_fail(w, "queue config");
	/* The worker builds its TLS contexts before its filter. */
	else if (listener_tls_send(&w->chan, &p->tls, wc.slot) == -1) {
		worker_fail(w, "queue TLS");
		p->next_spawn = now_ms() + KEYD_WAIT_MS;
	}
	/* Its own channel to policyd, if there is one; body empty. */
	else if ((pfd = policyd_child_channel(&wc)) != -1 &&
	    msg_compose(&w->chan, MSG_W_POLICYD, 0, pfd, NULL, 0) == -1)
		worker_fail(w, "queue policyd channel");
	else if (afd != -1 && msg_compose(&w->chan, MSG_W_AUDIT, 0, afd, &wa,
	    sizeof(wa)) == -1)
		worker_fail(w, "queue audit log");
	if (afd != -1)
		sodium_memzero(&wa, sizeof(wa));
	TAILQ_INSERT_TAIL(&p->workers, w, entry);
	log_debug("%s: worker slot %d pid %d started", p->tmpl.listener,
	    w->slot, (int)pid);
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
			if (w->state == W_STOPPING || w->chan.fd == -1 ||
			    (fd = audit_files_open(w->slot, 1, &wa)) == -1)
				continue;
			if (msg_compose(&w->chan, MSG_W_AUDIT, 0, fd, &wa,
			    sizeof(wa)) == -1)
				worker_fail(w, "queue audit log");
			sodium_memzero(&wa, sizeof(wa));
		}
}

/* In the child: only the channel survives the exec. */
static void
worker_exec(int chan, int other)
{
	char		*argv[] = { (char *)"postern-worker", NULL };
	struct rlimit	 rl;
	sigset_t	 set;
	int		 sig;

	close(other);
	if (chan == WORKER_CHAN_FD) {
		if (fcntl(chan, F_SETFD, 0) == -1)
			_exit(126);
	} else if (dup2(chan, WORKER_CHAN_FD) == -1)
		_exit(126);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	close_range(WORKER_CHAN_FD + 1, ~0U, 0);
	/* The worker keeps this as its own limit: its log's size. */
	rl.rlim_cur = rl.rlim_max = (rlim_t)audit_files_max_size();
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		_exit(126);
	execve(worker_path, argv, child_envp());
	dprintf(STDERR_FILENO, "postern-worker: exec %s: %s\n", worker_path,
	    strerror(errno));
	_exit(127);
}

static void
pool_counts(const struct pool *p, unsigned int *idle, unsigned int *starting,
    unsigned int *live)
{
	const struct worker	*w;

	*idle = *starting = *live = 0;
	TAILQ_FOREACH(w, &p->workers, entry) {
		if (w->state == W_IDLE)
			(*idle)++;
		else if (w->state == W_STARTING)
			(*starting)++;
		if (w->state != W_STOPPING)
			(*live)++;
	}
}

int
pool_maintain(void)
{
	struct pool	*p, *np;
	struct worker	*w;
	unsigned int	 idle, starting, live;
	int64_t		 now = now_ms(), next = -1;

	TAILQ_FOREACH_SAFE(p, &pools, entry, np) {
		if (p->retired && TAILQ_EMPTY(&p->workers)) {
			TAILQ_REMOVE(&pools, p, entry);
			listener_tls_free(&p->tls);
			free(p);
			continue;
		}
		TAILQ_FOREACH(w, &p->workers, entry) {
			if (w->deadline == 0)
				continue;
			if (w->deadline <= now) {
				if (w->state == W_STARTING)
					log_warnx("worker slot %d pid %d: not "
					    "ready after %u s", w->slot,
					    (int)w->pid, p->timeout_start);
				else
					log_warnx("worker slot %d pid %d: "
					    "still there %d s after it was "
					    "told to go", w->slot, (int)w->pid,
					    STOP_GRACE_MS / 1000);
				worker_fail(w, NULL);
				continue;
			}
			if (next == -1 || w->deadline < next)
				next = w->deadline;
		}
		if (p->retired)
			continue;
		pool_counts(p, &idle, &starting, &live);
		while ((idle + starting < p->min_idle ||
		    idle + starting < (p->wanted < SPAWN_AHEAD ? p->wanted :
		    SPAWN_AHEAD)) && live < p->max) {
			if (p->next_spawn > now) {
				if (next == -1 || p->next_spawn < next)
					next = p->next_spawn;
				break;
			}
			worker_spawn(p);
			pool_counts(p, &idle, &starting, &live);
			if (p->next_spawn > now)
				break;
			next = now;	/* deadlines of the new ones */
		}
		TAILQ_FOREACH(w, &p->workers, entry)
			if (w->deadline != 0 &&
			    (next == -1 || w->deadline < next))
				next = w->deadline;
	}
	if (next == -1)
		return -1;
	return next <= now ? 0 : (int)(next - now < 3600000 ?
	    next - now : 3600000);
}

/* Reads what the channel has and acts on every whole message. */
static void
worker_read(struct worker *w)
{
	struct msg	 m;
	ssize_t		 n;
	int		 r = 0;

	if (w->chan.fd == -1)
		return;
	n = msg_read(&w->chan);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		n = 1;
	if (n == -1) {
		worker_fail(w, "read channel");
		return;
	}
	while (w->chan.fd != -1 && (r = msg_get(&w->chan, &m)) == 1)
		worker_msg(w, &m);
	if (w->chan.fd == -1)
		return;
	if (r == -1) {
		worker_fail(w, "channel");
		return;
	}
	if (n == 0) {
		/* The worker is exiting; pool_reap() says how. */
		if (w->state != W_STOPPING)
			log_debug("worker slot %d pid %d closed its channel "
			    "while %s", w->slot, (int)w->pid,
			    state_names[w->state]);
		worker_close(w);
		if (w->state != W_STOPPING) {
			w->state = W_STOPPING;
			w->deadline = now_ms() + STOP_GRACE_MS;
			w->failed = 1;
		}
	}
}

static void
worker_msg(struct worker *w, struct msg *m)
{
	struct worker_session_end	 end;
	struct worker_audit_anchor	 an;

	errno = 0;
	if (m->fd != -1) {
		close(m->fd);
		worker_fail(w, "sent a descriptor");
		return;
	}
	switch (m->hdr.type) {
	case MSG_LOG:
		if (log_from_msg(m) == -1)
			break;
		return;
	case MSG_READY:
		if (w->state != W_STARTING || m->len != 0)
			break;
		log_debug("worker slot %d pid %d ready", w->slot, (int)w->pid);
		w->deadline = 0;
		worker_idle(w);
		return;
	case MSG_W_SESSION_END:
		if (w->state != W_BUSY || m->len != sizeof(end))
			break;
		memcpy(&end, m->body, sizeof(end));
		if (end.id != w->session)
			break;
		log_info("%s: session %llu ended (worker slot %d): client "
		    "%llu bytes in, %llu out; upstream %llu in, %llu out; "
		    "%u commands", w->pool->tmpl.listener,
		    (unsigned long long)end.id, w->slot,
		    (unsigned long long)end.client_in,
		    (unsigned long long)end.client_out,
		    (unsigned long long)end.upstream_in,
		    (unsigned long long)end.upstream_out, end.commands);
		w->pool->failures = 0;
		client_limit_release(w->client);
		w->client = NULL;
		worker_idle(w);
		return;
	case MSG_W_AUDIT_ANCHOR:
		if (w->state == W_STARTING || m->len != sizeof(an))
			break;
		memcpy(&an, m->body, sizeof(an));
		if (audit_files_anchor(w->slot, &an) == -1) {
			log_warnx("security: worker slot %d pid %d: anchor of "
			    "a segment not its own, or shrinking", w->slot,
			    (int)w->pid);
			break;
		}
		return;
	}
	log_warnx("worker slot %d pid %d: unexpected message type %u, "
	    "%zu bytes, while %s", w->slot, (int)w->pid, m->hdr.type, m->len,
	    state_names[w->state]);
	worker_fail(w, NULL);
}

/* The worker can take a session, unless it has had its share. */
static void
worker_idle(struct worker *w)
{
	struct pool	*p = w->pool;

	if (p->retired)
		worker_stop(w, "postern reconfigured");
	else if (p->quota != 0 && w->sessions >= p->quota) {
		log_debug("worker slot %d pid %d: %u sessions, replaced",
		    w->slot, (int)w->pid, w->sessions);
		worker_stop(w, "worker replaced");
	} else
		w->state = W_IDLE;
}

struct worker *
pool_idle(struct pool *p)
{
	struct worker	*w;

	if (p == NULL || p->retired)
		return NULL;
	TAILQ_FOREACH(w, &p->workers, entry)
		if (w->state == W_IDLE)
			return w;
	return NULL;
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
	unsigned int	 idle, starting, live;

	pool_counts(p, &idle, &starting, &live);
	return live >= p->max;
}

void
pool_cleanup(void)
{
	struct pool	*p;
	struct worker	*w;

	while ((p = TAILQ_FIRST(&pools)) != NULL) {
		while ((w = TAILQ_FIRST(&p->workers)) != NULL)
			worker_free(w);
		TAILQ_REMOVE(&pools, p, entry);
		listener_tls_free(&p->tls);
		free(p);
	}
	free(slots);
	slots = NULL;
	nslots = 0;
	free(polled);
	polled = NULL;
	npolled = polledsz = 0;
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
	if (msg_compose(&w->chan, MSG_W_SESSION, 0, client, s,
	    sizeof(*s)) == -1) {
		if (upstream != -1)
			close(upstream);
		worker_fail(w, "queue session");
		return -1;
	}
	if (msg_compose(&w->chan, MSG_W_UPSTREAM, 0, upstream, &up,
	    sizeof(up)) == -1) {
		worker_fail(w, "queue upstream");
		return -1;
	}
	w->state = W_BUSY;
	w->session = s->id;
	w->sessions++;
	w->pool->wanted = 0;
	if (msg_flush(&w->chan) == -1) {
		worker_fail(w, "write channel");
		return -1;
	}
	log_info("%s: session %llu from %s port %u to worker slot %d pid %d",
	    s->listener, (unsigned long long)s->id, s->client_addr,
	    s->client_port, w->slot, (int)w->pid);
	return 0;
}

void
pool_reap(void)
{
	struct pool	*p;
	struct worker	*w;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		w = NULL;
		TAILQ_FOREACH(p, &pools, entry) {
			TAILQ_FOREACH(w, &p->workers, entry)
				if (w->pid == pid)
					break;
			if (w != NULL)
				break;
		}
		if (w == NULL) {
			if (!policyd_child_reaped(pid, status))
				(void)keyd_child_reaped(pid, status);
			continue;
		}
		/* Its last words may still be in the channel. */
		worker_read(w);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
			log_warnx("security: worker slot %d pid %d killed by "
			    "SIGSYS", w->slot, (int)pid);
		else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ)
			log_warnx("worker slot %d pid %d killed by SIGXFSZ: "
			    "its audit log reached max-size", w->slot,
			    (int)pid);
		else if (WIFSIGNALED(status) && w->state != W_STOPPING)
			log_warnx("worker slot %d pid %d killed by signal %d "
			    "while %s", w->slot, (int)pid, WTERMSIG(status),
			    state_names[w->state]);
		else if (WIFEXITED(status) && (WEXITSTATUS(status) != 0 ||
		    w->state != W_STOPPING))
			log_warnx("worker slot %d pid %d exited with %d "
			    "while %s", w->slot, (int)pid, WEXITSTATUS(status),
			    state_names[w->state]);
		else
			log_debug("worker slot %d pid %d exited", w->slot,
			    (int)pid);
		if (w->state != W_STOPPING || w->failed)
			pool_failed(w->pool);
		worker_free(w);
	}
}

static void
worker_free(struct worker *w)
{
	TAILQ_REMOVE(&w->pool->workers, w, entry);
	worker_close(w);
	client_limit_release(w->client);
	slots[w->slot] = 0;
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
pool_nbusy(void)
{
	struct pool	*p;
	struct worker	*w;
	unsigned int	 n = 0;

	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry)
			if (w->state == W_BUSY)
				n++;
	return n;
}

size_t
pool_npollfds(void)
{
	return pool_nworkers();
}

size_t
pool_pollfds(struct pollfd *pfd, size_t max)
{
	struct pool	*p;
	struct worker	*w;

	if (polledsz < max) {
		if ((polled = reallocarray(polled, max, sizeof(*polled))) ==
		    NULL)
			fatal("%s", __func__);
		polledsz = max;
	}
	npolled = 0;
	TAILQ_FOREACH(p, &pools, entry)
		TAILQ_FOREACH(w, &p->workers, entry) {
			if (w->chan.fd == -1 || npolled == max)
				continue;
			pfd[npolled].fd = w->chan.fd;
			pfd[npolled].events = POLLIN;
			if (msg_pending(&w->chan))
				pfd[npolled].events |= POLLOUT;
			pfd[npolled].revents = 0;
			polled[npolled++] = w;
		}
	return npolled;
}

/* Workers are only freed by pool_reap(), so polled[] is still valid. */
void
pool_dispatch(const struct pollfd *pfd, size_t n)
{
	struct worker	*w;
	size_t		 i;

	for (i = 0; i < n && i < npolled; i++) {
		w = polled[i];
		if (pfd[i].revents == 0 || w->chan.fd != pfd[i].fd)
			continue;
		if ((pfd[i].revents & POLLOUT) && msg_flush(&w->chan) == -1) {
			worker_fail(w, "write channel");
			continue;
		}
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
			worker_read(w);
	}
}
