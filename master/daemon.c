/*
 * The helper daemons as children of posternd (daemon.h).  Channels given
 * to one before it says MSG_READY wait in the socket.  One that dies
 * before it was ready counts as one more failure, and each failure
 * doubles the wait before the next start, up to RESTART_MAX_MS; one that
 * was ready starts again after a second.  Each start has a number (gen):
 * a worker's channel belongs to the start it was made for, and when the
 * daemon is ready the pool gives a new channel to every worker whose
 * channel belongs to an earlier start.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "keyd_child.h"
#include "log.h"
#include "policyd_child.h"
#include "pool.h"
#include "proto.h"

#define RESTART_MAX_MS	30000
/* What a worker's channel's message to the daemon may hold. */
#define WBODY_MAX	64

static struct daemon *const daemons[DAEMON_MAX] = {
	[DAEMON_POLICYD] = &policyd_daemon,
	[DAEMON_KEYD] = &keyd_daemon,
};

static void	 start(struct daemon *);
static void	 stop(struct daemon *, int);
static void	 daemon_msg(struct child *, struct msg *);
static void	 daemon_lost(struct child *, const char *);
static void	 daemon_exited(struct child *, int);

int
daemon_path(enum daemon_id id, const char *worker, char *out, size_t len)
{
	return child_path(daemons[id]->prog, worker, out, len);
}

static void
start(struct daemon *d)
{
	const struct child_prog	 p = { .path = d->path, .argv0 = d->prog,
				    .chanfd = d->chanfd,
				    .fsize = RLIM_INFINITY };

	d->ops.kind = d->kind;
	d->ops.name = d->name;
	d->ops.on_msg = daemon_msg;
	d->ops.on_lost = daemon_lost;
	d->ops.on_exit = daemon_exited;
	if ((d->c = child_spawn(&p, &d->ops, d)) == NULL) {
		d->next_start = now_ms() + 1000;
		return;
	}
	d->ready = 0;
	d->gen++;
	d->since = time(NULL);
	d->greet(d);
}

/* Close the channel (it exits at end of file); children_reap() collects it. */
static void
stop(struct daemon *d, int on)
{
	if (d->c != NULL)
		child_release(d->c);
	d->c = NULL;
	d->ready = 0;
	d->on = on;
}

void
daemon_configure(enum daemon_id id, const char *worker, int on, int changed)
{
	struct daemon	*d = daemons[id];

	if (!on) {
		stop(d, 0);
		return;
	}
	if (child_path(d->prog, worker, d->path, sizeof(d->path)) == -1)
		fatalx("%s path too long", d->name);
	if (d->on && d->c != NULL && !changed)
		return;
	stop(d, 1);
	d->failures = 0;
	d->next_start = 0;
	start(d);
}

int
daemon_running(enum daemon_id id)
{
	const struct daemon	*d = daemons[id];

	return d->on && d->c != NULL && d->c->chan.fd != -1;
}

uint32_t
daemon_gen(enum daemon_id id)
{
	return daemons[id]->gen;
}

int
daemon_channel(enum daemon_id id, const struct worker_config *wc,
    uint32_t *gen)
{
	struct daemon	*d = daemons[id];
	uint8_t		 body[WBODY_MAX];
	size_t		 len;
	int		 sp[2];

	if (!daemon_running(id))
		return -1;
	len = d->wbody(wc, body, sizeof(body));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for worker slot %u to %s", wc->slot,
		    d->name);
		return -1;
	}
	/* The channel owns sp[1] from here, even on failure. */
	if (child_compose(d->c, d->wtype, wc->slot, sp[1], body,
	    len) == -1) {
		log_warn("queue worker slot %u channel to %s", wc->slot,
		    d->name);
		close(sp[0]);
		return -1;
	}
	*gen = d->gen;
	return sp[0];
}

int
daemon_maintain(void)
{
	struct daemon	*d;
	int64_t		 now = now_ms(), next = -1;
	size_t		 i;

	for (i = 0; i < DAEMON_MAX; i++) {
		d = daemons[i];
		if (!d->on || d->c != NULL)
			continue;
		if (now >= d->next_start)
			start(d);
		else if (next == -1 || d->next_start < next)
			next = d->next_start;
	}
	return next == -1 ? -1 : (int)(next - now);
}

void
daemon_status(enum daemon_id id, struct daemon_status *st)
{
	const struct daemon	*d = daemons[id];

	memset(st, 0, sizeof(*st));
	st->name = d->name;
	st->on = d->on;
	st->ready = d->ready;
	st->pid = d->c != NULL ? d->c->pid : 0;
	st->since = d->gen > 0 ? d->since : 0;
	st->restarts = d->restarts;
}

void
daemon_stop_all(void)
{
	size_t	 i;

	for (i = 0; i < DAEMON_MAX; i++)
		stop(daemons[i], 0);
}

/* The ops of every daemon's entries (children.h). */
static void
daemon_msg(struct child *c, struct msg *m)
{
	struct daemon	*d = c->owner;
	unsigned int	 n;

	if (m->fd != -1)
		close(m->fd);
	if (m->hdr.type == MSG_LOG && m->fd == -1 && log_from_msg(m) == 0)
		return;
	if (m->hdr.type == MSG_READY && m->len == 0 && m->fd == -1 &&
	    !d->ready) {
		d->ready = 1;
		d->failures = 0;
		log_debug("%s pid %d ready", d->name, (int)c->pid);
		if ((n = pool_daemon_ready(d->id)) > 0)
			log_info("%s: a new channel to each of %u workers",
			    d->name, n);
		return;
	}
	if (m->fd == -1 && d->msg != NULL && d->msg(d, m) == 0)
		return;
	log_warnx("%s sent type %u, %zu bytes: killed", d->name,
	    m->hdr.type, m->len);
	child_kill(c);
}

static void
daemon_lost(struct child *c, const char *why)
{
	struct daemon	*d = c->owner;

	if (why != NULL)
		log_warn("%s pid %d: %s", d->name, (int)c->pid, why);
	d->ready = 0;
}

static void
daemon_exited(struct child *c, int status)
{
	struct daemon	*d = c->owner;
	int64_t		 ms = 1000;
	unsigned int	 i;

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warnx("security: %s pid %d killed by SIGSYS",
		    d->name, (int)c->pid);
	else if (WIFSIGNALED(status))
		log_warnx("%s pid %d killed by signal %d", d->name,
		    (int)c->pid, WTERMSIG(status));
	else
		log_warnx("%s pid %d exited with %d", d->name,
		    (int)c->pid, WEXITSTATUS(status));
	d->c = NULL;
	d->restarts++;
	if (!d->ready)
		d->failures++;
	else
		d->failures = 1;
	d->ready = 0;
	for (i = 1; i < d->failures && ms < RESTART_MAX_MS; i++)
		ms *= 2;
	if (ms > RESTART_MAX_MS)
		ms = RESTART_MAX_MS;
	d->next_start = now_ms() + ms;
	log_warnx("%s: restart in %lld ms; until then %s", d->name,
	    (long long)ms, d->without);
}
