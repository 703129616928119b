/*
 * The table of posternd's children (children.h).  Entries are freed only
 * by children_reap(), after the event loop has dispatched what poll()
 * found, so the entries children_pollfds() listed, and those epoll_wait()
 * returns, stay valid until children_dispatch() is done with them.
 *
 * Every channel waits for input in one epoll set, which the loop's
 * poll(2) sees as one descriptor: with a pool of a hundred workers,
 * poll(2) over every channel at each wake-up was a third of the master's
 * time per session.  A channel with messages to write is polled for
 * POLLOUT as well, on its own, until they are written.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "children.h"
#include "log.h"

TAILQ_HEAD(childlist, child);

static struct childlist	 children = TAILQ_HEAD_INITIALIZER(children);
/* Those that may have messages to write (child_queued()). */
static struct childlist	 towrite = TAILQ_HEAD_INITIALIZER(towrite);
static size_t		 nchildren;
static struct child	**polled;	/* who children_pollfds() put where */
static size_t		 npolled, polledsz;
/* The channels' input, and whether children_pollfds() listed it. */
static int		 epfd = -1;
static int		 eppolled;
/* Channels read at one wake-up at most; the others at the next. */
#define EPOLL_BATCH	64

/*
 * Children that waitpid() collected before their template said their
 * pid (a worker that died at once): kept a while for child_forked().
 * Only template-forked workers get here, and their templates answer
 * within a poll round or so.
 */
#define EARLY_MAX	64
#define EARLY_KEEP_S	60
static struct early {
	pid_t		 pid;
	int		 status;
	time_t		 when;
} early[EARLY_MAX];
static size_t		 nearly;

static void	 child_exec(const struct child_prog *, int, int)
		    __attribute__((noreturn));
static void	 child_lost(struct child *, const char *);
static void	 child_free(struct child *);
static void	 chan_watch(struct child *);

int
child_path(const char *prog, const char *worker, char *out, size_t len)
{
	const char	*slash = strrchr(worker, '/');
	int		 n;

	if (slash == NULL)
		n = snprintf(out, len, "%s", prog);
	else
		n = snprintf(out, len, "%.*s/%s", (int)(slash - worker),
		    worker, prog);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

#ifndef __has_feature
#define __has_feature(x)	0
#endif

char **
child_envp(const struct child_prog *p)
{
	static char	*envp[3 + CHILD_ENV_MAX + 1];
	size_t		 j, n = 0;
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
	/* Their suppressions and halt_on_error decide what a test sees. */
	static const char *const keep[] = {
		"ASAN_OPTIONS=", "LSAN_OPTIONS=", "UBSAN_OPTIONS="
	};
	extern char	**environ;
	char		**e;
	size_t		 i;

	for (e = environ; *e != NULL && n < sizeof(keep) / sizeof(keep[0]);
	    e++)
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strncmp(*e, keep[i], strlen(keep[i])) == 0) {
				envp[n++] = *e;
				break;
			}
#endif
	for (j = 0; j < CHILD_ENV_MAX && p->env[j] != NULL; j++)
		envp[n++] = (char *)p->env[j];
	envp[n] = NULL;
	return envp;
}

/* In the child: only the channel survives the exec. */
static void
child_exec(const struct child_prog *p, int chan, int other)
{
	char		*argv[] = { (char *)p->argv0, NULL };
	struct rlimit	 rl;
	sigset_t	 set;
	int		 sig;

	close(other);
	if (chan == p->chanfd) {
		if (fcntl(chan, F_SETFD, 0) == -1)
			_exit(126);
	} else if (dup2(chan, p->chanfd) == -1)
		_exit(126);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	close_range((unsigned int)p->chanfd + 1, ~0U, 0);
	if (p->fsize != RLIM_INFINITY) {
		rl.rlim_cur = rl.rlim_max = p->fsize;
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(126);
	}
	execve(p->path, argv, child_envp(p));
	dprintf(STDERR_FILENO, "%s: exec %s: %s\n", p->argv0, p->path,
	    strerror(errno));
	_exit(127);
}

struct child *
child_spawn(const struct child_prog *p, const struct child_ops *ops,
    void *owner)
{
	struct child	*c;
	int		 sp[2];
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for %s", p->argv0);
		return NULL;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork %s", p->argv0);
		close(sp[0]);
		close(sp[1]);
		return NULL;
	}
	if (pid == 0)
		child_exec(p, sp[1], sp[0]);
	close(sp[1]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->ops = ops;
	c->owner = owner;
	c->pid = pid;
	msgchan_init(&c->chan, sp[0], MSGCHAN_FDS, 0);
	chan_watch(c);
	TAILQ_INSERT_TAIL(&children, c, entry);
	nchildren++;
	return c;
}

struct child *
child_adopt(int fd, const struct child_ops *ops, void *owner)
{
	struct child	*c;

	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->ops = ops;
	c->owner = owner;
	c->pid = 0;
	msgchan_init(&c->chan, fd, MSGCHAN_FDS, 0);
	chan_watch(c);
	TAILQ_INSERT_TAIL(&children, c, entry);
	nchildren++;
	return c;
}

/* The channel's input is watched from now on, in the epoll set. */
static void
chan_watch(struct child *c)
{
	struct epoll_event	 ev;

	if (epfd == -1 && (epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->chan.fd, &ev) == -1)
		fatal("epoll_ctl add channel %d", c->chan.fd);
}

/* children_reap() runs at once: the signal is ours to send. */
static void
reap_soon(void)
{
	(void)kill(getpid(), SIGCHLD);
}

void
child_forked(struct child *c, pid_t pid)
{
	size_t	 i;

	c->pid = pid;
	for (i = 0; i < nearly; i++)
		if (early[i].pid == pid) {
			c->done = 1;
			c->status = early[i].status;
			early[i] = early[--nearly];
			reap_soon();
			return;
		}
	if (c->killed)
		(void)kill(pid, SIGKILL);
}

void
child_unborn(struct child *c, int status)
{
	if (c->pid != 0)
		return;
	child_close(c);
	c->done = 1;
	c->status = status;
	reap_soon();
}

/* A pid no entry has: one a template has not told yet, perhaps. */
static void
early_add(pid_t pid, int status)
{
	time_t	 now = time(NULL);
	size_t	 i;

	for (i = 0; i < nearly; )
		if (now - early[i].when > EARLY_KEEP_S)
			early[i] = early[--nearly];
		else
			i++;
	if (nearly == EARLY_MAX) {
		log_warnx("pid %d exited unknown, and %d others wait for "
		    "their template: forgotten", (int)pid, EARLY_MAX);
		return;
	}
	early[nearly].pid = pid;
	early[nearly].status = status;
	early[nearly].when = now;
	nearly++;
}

void
child_close(struct child *c)
{
	if (c->chan.fd == -1)
		return;
	/*
	 * Out of the set before it is closed: a child between its fork and
	 * its exec holds the same socket, which would stay in the set.
	 */
	if (epoll_ctl(epfd, EPOLL_CTL_DEL, c->chan.fd, NULL) == -1)
		fatal("epoll_ctl del channel %d", c->chan.fd);
	close(c->chan.fd);
	msgchan_clear(&c->chan);
	c->chan.fd = -1;
}

void
child_kill(struct child *c)
{
	/* kill(0) would be our whole process group. */
	if (c->pid > 0)
		(void)kill(c->pid, SIGKILL);
	else
		c->killed = 1;
	child_close(c);
}

void
child_release(struct child *c)
{
	child_close(c);
	c->owner = NULL;
}

/* The channel is gone: closed here, then the owner is told. */
static void
child_lost(struct child *c, const char *why)
{
	int	 saved = errno;

	child_close(c);
	errno = saved;
	if (c->owner != NULL)
		c->ops->on_lost(c, why);
}

void
child_read(struct child *c)
{
	struct msg	 m;
	ssize_t		 n;
	int		 r = 0;

	if (c->chan.fd == -1)
		return;
	n = msg_read(&c->chan);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
		child_lost(c, "read channel");
		return;
	}
	/* One let go of has no channel: only an owner's get here. */
	while (c->chan.fd != -1 && (r = msg_get(&c->chan, &m)) == 1)
		c->ops->on_msg(c, &m);
	if (c->chan.fd == -1)
		return;
	if (r == -1)
		child_lost(c, "channel");
	else if (n == 0)
		child_lost(c, NULL);
}

int
child_compose(struct child *c, uint32_t type, uint32_t peerid, int fd,
    const void *body, size_t len)
{
	int	 rv;

	rv = msg_compose(&c->chan, type, peerid, fd, body, len);
	child_queued(c);
	return rv;
}

void
child_queued(struct child *c)
{
	if (c->wlisted || c->chan.fd == -1 || !msg_pending(&c->chan))
		return;
	TAILQ_INSERT_TAIL(&towrite, c, wentry);
	c->wlisted = 1;
}

static void
child_unqueue(struct child *c)
{
	if (!c->wlisted)
		return;
	TAILQ_REMOVE(&towrite, c, wentry);
	c->wlisted = 0;
}

/* The epoll set, and each channel with messages to write, at most. */
size_t
children_npollfds(void)
{
	return nchildren + 1;
}

size_t
children_pollfds(struct pollfd *pfd, size_t max)
{
	struct child	*c, *nc;

	if (polledsz < max) {
		if ((polled = reallocarray(polled, max, sizeof(*polled))) ==
		    NULL)
			fatal("%s", __func__);
		polledsz = max;
	}
	npolled = 0;
	eppolled = 0;
	if (epfd != -1 && max > 0) {
		pfd[0].fd = epfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		polled[npolled++] = NULL;
		eppolled = 1;
	}
	TAILQ_FOREACH_SAFE(c, &towrite, wentry, nc) {
		if (c->chan.fd == -1 || !msg_pending(&c->chan)) {
			child_unqueue(c);
			continue;
		}
		if (npolled == max)
			break;
		pfd[npolled].fd = c->chan.fd;
		pfd[npolled].events = POLLOUT;
		pfd[npolled].revents = 0;
		polled[npolled++] = c;
	}
	return npolled;
}

/* The channels with input, or at their end, as the epoll set says. */
static void
children_input(void)
{
	struct epoll_event	 ev[EPOLL_BATCH];
	struct child		*c;
	int			 i, n;

	if ((n = epoll_wait(epfd, ev, EPOLL_BATCH, 0)) == -1) {
		if (errno != EINTR)
			log_warn("epoll_wait");
		return;
	}
	for (i = 0; i < n; i++) {
		c = ev[i].data.ptr;
		/* Closed by what an earlier one said: not freed before. */
		if (c->chan.fd == -1)
			continue;
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			child_read(c);
	}
}

void
children_dispatch(const struct pollfd *pfd, size_t n)
{
	struct child	*c;
	size_t		 i;

	for (i = 0; i < n && i < npolled; i++) {
		c = polled[i];
		if (c == NULL) {
			if (eppolled && pfd[i].revents != 0)
				children_input();
			continue;
		}
		if (pfd[i].revents == 0 || c->chan.fd != pfd[i].fd)
			continue;
		if ((pfd[i].revents & POLLOUT) && msg_flush(&c->chan) == -1) {
			child_lost(c, "write channel");
			continue;
		}
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
			child_read(c);
	}
}

static void
child_free(struct child *c)
{
	TAILQ_REMOVE(&children, c, entry);
	nchildren--;
	child_unqueue(c);
	child_close(c);
	free(c);
}

void
children_reap(void)
{
	struct child	*c, *nc;
	pid_t		 pid;
	int		 status;

	/* Gone before waitpid() could tell: child_forked(), child_unborn(). */
	TAILQ_FOREACH_SAFE(c, &children, entry, nc) {
		if (!c->done)
			continue;
		child_read(c);
		if (c->owner != NULL)
			c->ops->on_exit(c, c->status);
		child_free(c);
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(c, &children, entry)
			if (c->pid == pid)
				break;
		if (c == NULL) {
			log_debug("pid %d exited before its template said "
			    "it forked it, or not a child of ours", (int)pid);
			early_add(pid, status);
			continue;
		}
		/* Its last words may still be in the channel. */
		child_read(c);
		if (c->owner != NULL)
			c->ops->on_exit(c, status);
		else
			log_debug("%s pid %d, let go of, exited", c->ops->name,
			    (int)pid);
		child_free(c);
	}
}

void
children_cleanup(void)
{
	struct child	*c;

	while ((c = TAILQ_FIRST(&children)) != NULL)
		child_free(c);
	free(polled);
	polled = NULL;
	npolled = polledsz = 0;
	if (epfd != -1)
		close(epfd);
	epfd = -1;
}
