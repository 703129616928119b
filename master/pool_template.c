/*
 * The pool's template (pool.c's header says why, worker/template.h what
 * it does): exec'd once per pool, it forks the pool's workers on
 * MSG_T_FORK and is replaced after template-forks of them.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include "audit_files.h"
#include "children.h"
#include "clock.h"
#include "listener_tls.h"
#include "log.h"
#include "msg.h"
#include "pool_int.h"
#include "proto.h"
#include "proto_worker.h"

static uint64_t		 fork_seq;	/* worker_fork ids */

static void		 template_fail(struct pool_template *, const char *);
static void		 template_msg(struct child *, struct msg *);
static void		 template_lost(struct child *, const char *);
static void		 template_exited(struct child *, int);

/* Every template's (template.h in worker/). */
const struct child_ops template_ops = {
	.kind = CHILD_TEMPLATE,
	.name = "template",
	.on_msg = template_msg,
	.on_lost = template_lost,
	.on_exit = template_exited,
};

/* ---- The pool's template (worker/template.h) ---- */

/*
 * Exec a template for p: the config slice, marked template, and the TLS
 * slice without a keyd channel.  p->tp is the new one, or NULL (and the
 * pool waits a second).
 */
void
template_spawn(struct pool *p)
{
	struct child_prog	 prog = { .path = worker_path,
				    .argv0 = "postern-worker",
				    .chanfd = WORKER_CHAN_FD,
				    .env = { WORKER_ENV_MALLOC,
				    WORKER_ENV_BIND } };
	struct pool_template	*t;
	struct worker_config	 wc;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("%s", __func__);
	/* Its workers inherit it: their audit log's size. */
	prog.fsize = (rlim_t)audit_files_max_size();
	if ((t->c = child_spawn(&prog, &template_ops, t)) == NULL) {
		free(t);
		p->next_spawn = now_ms() + TEMPLATE_WAIT_MS;
		return;
	}
	t->pool = p;
	t->state = T_STARTING;
	t->deadline = now_ms() + (int64_t)p->timeout_start * 1000;
	TAILQ_INSERT_TAIL(&p->templates, t, entry);
	p->tp = t;
	wc = p->tmpl;
	wc.template = 1;
	if (child_compose(t->c, MSG_W_CONFIG, 0, -1, &wc,
	    sizeof(wc)) == -1 ||
	    listener_tls_send_slice(&t->c->chan, &p->tls) == -1) {
		template_fail(t, "queue config");
		return;
	}
	child_queued(t->c);	/* the TLS slices */
	log_debug("%s: template pid %d started", p->tmpl.listener,
	    (int)t->c->pid);
}

/*
 * Ask t to fork w, with the worker's end of a new socketpair: the
 * worker's entry in the table of children, its pid not known yet, or
 * NULL.  The fork that reaches template-forks retires t.
 */
struct child *
template_fork(struct pool_template *t, struct worker *w)
{
	struct worker_fork	 f;
	int			 sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("%s: socketpair for worker slot %d",
		    t->pool->tmpl.listener, w->slot);
		return NULL;
	}
	memset(&f, 0, sizeof(f));
	f.id = ++fork_seq;
	f.slot = (uint32_t)w->slot;
	if (child_compose(t->c, MSG_T_FORK, 0, sp[1], &f,
	    sizeof(f)) == -1) {
		close(sp[0]);
		template_fail(t, "queue a fork");
		return NULL;
	}
	w->from = t;
	w->fork_id = f.id;
	if (++t->forks >= t->pool->template_forks) {
		log_debug("%s: template pid %d forked %u workers, replaced",
		    t->pool->tmpl.listener, (int)t->c->pid, t->forks);
		template_retire(t);
		/* The next is ready when the pool next needs a worker. */
		template_spawn(t->pool);
	}
	return child_adopt(sp[0], &worker_ops, w);
}

/*
 * t forks no more and exits; its workers stay.  One still starting
 * cannot take the message, so it is killed.
 */
void
template_retire(struct pool_template *t)
{
	struct worker_shutdown	 sd;

	if (t->pool->tp == t)
		t->pool->tp = NULL;
	if (t->state == T_STOPPING)
		return;
	t->told = 1;
	memset(&sd, 0, sizeof(sd));
	if (t->state == T_STARTING || t->c->chan.fd == -1 ||
	    child_compose(t->c, MSG_SHUTDOWN, 0, -1, &sd,
	    sizeof(sd)) == -1)
		child_kill(t->c);
	t->state = T_STOPPING;
	t->deadline = now_ms() + STOP_GRACE_MS;
}

static void
template_fail(struct pool_template *t, const char *why)
{
	if (why != NULL && errno != 0)
		log_warn("%s: template pid %d: %s", t->pool->tmpl.listener,
		    (int)t->c->pid, why);
	else if (why != NULL)
		log_warnx("%s: template pid %d: %s", t->pool->tmpl.listener,
		    (int)t->c->pid, why);
	if (t->pool->tp == t)
		t->pool->tp = NULL;
	child_kill(t->c);
	t->state = T_STOPPING;
	t->deadline = 0;
}

/* A template not ready in time, or not gone in time, is killed. */
int64_t
template_deadlines(struct pool *p, int64_t now)
{
	struct pool_template	*t;
	int64_t			 next = -1;

	TAILQ_FOREACH(t, &p->templates, entry) {
		if (t->deadline == 0)
			continue;
		if (t->deadline > now) {
			if (next == -1 || t->deadline < next)
				next = t->deadline;
			continue;
		}
		if (t->state == T_STARTING)
			log_warnx("%s: template pid %d: not ready after %u s",
			    p->tmpl.listener, (int)t->c->pid,
			    p->timeout_start);
		else
			log_warnx("%s: template pid %d: still there %d s after "
			    "it was told to go", p->tmpl.listener,
			    (int)t->c->pid, STOP_GRACE_MS / 1000);
		errno = 0;
		template_fail(t, NULL);
	}
	return next;
}

static void
template_msg(struct child *c, struct msg *m)
{
	struct pool_template	*t = c->owner;
	struct pool		*p = t->pool;
	struct worker_forked	 r;
	struct worker		*w;

	errno = 0;
	if (m->fd != -1) {
		close(m->fd);
		template_fail(t, "sent a descriptor");
		return;
	}
	switch (m->hdr.type) {
	case MSG_LOG:
		if (log_from_msg(m) == -1)
			break;
		return;
	case MSG_READY:
		if (t->state != T_STARTING || m->len != 0)
			break;
		log_debug("%s: template pid %d ready", p->tmpl.listener,
		    (int)c->pid);
		t->state = T_READY;
		t->deadline = 0;
		/*
		 * The workers waiting for it are started at once, unless
		 * the pool backs off.
		 */
		if (p->tp == t)
			p->next_spawn = p->backoff;
		return;
	case MSG_T_FORKED:
		if (m->len != sizeof(r))
			break;
		memcpy(&r, m->body, sizeof(r));
		/*
		 * From the newest: the pool adds its workers at the tail, and
		 * ten thousand busy ones may come before this one.
		 */
		TAILQ_FOREACH_REVERSE(w, &p->workers, workerlist, entry)
			if (w->from == t && w->fork_id == r.id)
				break;
		if (w == NULL || (r.pid > 0) == (r.error != 0) || r.pid < 0)
			break;
		w->from = NULL;
		if (r.pid > 0) {
			child_forked(w->c, (pid_t)r.pid);
			log_debug("%s: worker slot %d pid %d forked by "
			    "template pid %d", p->tmpl.listener, w->slot,
			    (int)r.pid, (int)c->pid);
			if (w->early && w->state == W_STARTING && !w->c->done)
				worker_ready(w);
			return;
		}
		log_warnx("%s: template pid %d could not fork worker slot "
		    "%d: %s", p->tmpl.listener, (int)c->pid, w->slot,
		    strerror(r.error));
		child_unborn(w->c, W_EXITCODE(127, 0));
		return;
	}
	log_warnx("%s: template pid %d: unexpected message type %u, %zu "
	    "bytes", p->tmpl.listener, (int)c->pid, m->hdr.type, m->len);
	template_fail(t, NULL);
}

static void
template_lost(struct child *c, const char *why)
{
	struct pool_template	*t = c->owner;

	if (why != NULL) {
		template_fail(t, why);
		return;
	}
	/* It is exiting; template_exited() says how. */
	if (t->pool->tp == t)
		t->pool->tp = NULL;
	if (t->state != T_STOPPING) {
		t->state = T_STOPPING;
		t->deadline = now_ms() + STOP_GRACE_MS;
	}
}

/*
 * waitpid() collected a template.  Its workers live on; those it had
 * not yet said it forked never will be.  The pool starts another when
 * it next needs a worker; one that died unasked counts as a failure,
 * so a template that cannot start is not exec'd in a loop.
 */
static void
template_exited(struct child *c, int status)
{
	struct pool_template	*t = c->owner;
	struct pool		*p = t->pool;
	struct worker		*w;
	unsigned int		 n = 0;

	TAILQ_FOREACH(w, &p->workers, entry) {
		if (w->from == t) {
			w->from = NULL;
			child_unborn(w->c, W_EXITCODE(127, 0));
		} else if (w->c->pid > 0)
			n++;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warnx("security: %s: template pid %d killed by SIGSYS",
		    p->tmpl.listener, (int)c->pid);
	/* Retired while it started: template_retire() killed it. */
	else if (t->told && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		log_debug("%s: template pid %d killed while it started",
		    p->tmpl.listener, (int)c->pid);
	else if (WIFSIGNALED(status))
		log_warnx("%s: template pid %d killed by signal %d while %s; "
		    "the pool's %u workers stay", p->tmpl.listener,
		    (int)c->pid, WTERMSIG(status), t->told ? "stopping" :
		    t->state == T_STARTING ? "starting" : "forking", n);
	else if (WEXITSTATUS(status) != 0 || !t->told)
		log_warnx("%s: template pid %d exited with %d; the pool's %u "
		    "workers stay", p->tmpl.listener, (int)c->pid,
		    WEXITSTATUS(status), n);
	else
		log_debug("%s: template pid %d exited", p->tmpl.listener,
		    (int)c->pid);
	if (!t->told || (WIFEXITED(status) && WEXITSTATUS(status) != 0))
		pool_failed(p);
	if (p->tp == t)
		p->tp = NULL;
	TAILQ_REMOVE(&p->templates, t, entry);
	free(t);
}
