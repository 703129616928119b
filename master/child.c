/*
 * A helper daemon as a child of posternd (child.h).  Channels given to
 * it before it says MSG_READY wait in the socket.  A child that dies
 * before it was ready counts as one more failure, and each failure
 * doubles the wait before the next start, up to RESTART_MAX_MS; one that
 * was ready starts again after a second.
 */
#include <sys/types.h>
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

#include "child.h"
#include "clock.h"
#include "log.h"
#include "proto.h"

#define RESTART_MAX_MS	30000

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
child_envp(void)
{
	static char	*envp[4];
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
	/* Their suppressions and halt_on_error decide what a test sees. */
	static const char *const keep[] = {
		"ASAN_OPTIONS=", "LSAN_OPTIONS=", "UBSAN_OPTIONS="
	};
	extern char	**environ;
	char		**e;
	size_t		 i, n = 0;

	for (e = environ; *e != NULL && n < sizeof(keep) / sizeof(keep[0]);
	    e++)
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strncmp(*e, keep[i], strlen(keep[i])) == 0) {
				envp[n++] = *e;
				break;
			}
	envp[n] = NULL;
#endif
	return envp;
}

static void
close_chan(struct child *c)
{
	if (c->chan.fd == -1)
		return;
	close(c->chan.fd);
	msgchan_clear(&c->chan);
	c->chan.fd = -1;
	c->ready = 0;
}

/* In the child: only the channel survives the exec. */
static void __attribute__((noreturn))
child_exec(const struct child *c, int chan, int other)
{
	char		*argv[] = { (char *)c->prog, NULL };
	sigset_t	 set;
	int		 sig;

	close(other);
	if (chan == c->chanfd) {
		if (fcntl(chan, F_SETFD, 0) == -1)
			_exit(126);
	} else if (dup2(chan, c->chanfd) == -1)
		_exit(126);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	close_range((unsigned int)c->chanfd + 1, ~0U, 0);
	execve(c->path, argv, child_envp());
	dprintf(STDERR_FILENO, "%s: exec %s: %s\n", c->prog, c->path,
	    strerror(errno));
	_exit(127);
}

static void
start(struct child *c)
{
	int	 sp[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for %s", c->name);
		c->next_start = now_ms() + 1000;
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork %s", c->name);
		close(sp[0]);
		close(sp[1]);
		c->next_start = now_ms() + 1000;
		return;
	}
	if (pid == 0)
		child_exec(c, sp[1], sp[0]);
	close(sp[1]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
	c->pid = pid;
	c->ready = 0;
	msgchan_init(&c->chan, sp[0], MSGCHAN_FDS, 0);
	c->greet(c);
}

void
child_stop(struct child *c, int on)
{
	close_chan(c);
	/* It exits at end of file; pool_reap() collects it. */
	c->pid = -1;
	c->on = on;
}

void
child_set_path(struct child *c, const char *worker)
{
	if (child_path(c->prog, worker, c->path, sizeof(c->path)) == -1)
		fatalx("%s path too long", c->name);
}

void
child_restart(struct child *c)
{
	child_stop(c, 1);
	c->failures = 0;
	c->next_start = 0;
	start(c);
}

int
child_running(const struct child *c)
{
	return c->on && c->chan.fd != -1;
}

int
child_channel(struct child *c, uint32_t slot, uint32_t type,
    const void *body, size_t len)
{
	int	 sp[2];

	if (!child_running(c))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for worker slot %u to %s", slot,
		    c->name);
		return -1;
	}
	/* The channel owns sp[1] from here, even on failure. */
	if (msg_compose(&c->chan, type, slot, sp[1], body, len) == -1) {
		log_warn("queue worker slot %u channel to %s", slot, c->name);
		close(sp[0]);
		return -1;
	}
	return sp[0];
}

int
child_maintain(struct child *c)
{
	int64_t	 now;

	if (!c->on || c->pid != -1)
		return -1;
	now = now_ms();
	if (now >= c->next_start) {
		start(c);
		return -1;
	}
	return (int)(c->next_start - now);
}

int
child_reaped(struct child *c, pid_t pid, int status)
{
	int64_t		 ms = 1000;
	unsigned int	 i;

	if (pid != c->pid || pid == -1)
		return 0;
	/* Its last words may still be in the channel. */
	child_dispatch(c, NULL, 0);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warnx("security: %s pid %d killed by SIGSYS", c->name,
		    (int)pid);
	else if (WIFSIGNALED(status))
		log_warnx("%s pid %d killed by signal %d", c->name, (int)pid,
		    WTERMSIG(status));
	else
		log_warnx("%s pid %d exited with %d", c->name, (int)pid,
		    WEXITSTATUS(status));
	close_chan(c);
	c->pid = -1;
	if (!c->ready)
		c->failures++;
	else
		c->failures = 1;
	for (i = 1; i < c->failures && ms < RESTART_MAX_MS; i++)
		ms *= 2;
	if (ms > RESTART_MAX_MS)
		ms = RESTART_MAX_MS;
	c->next_start = now_ms() + ms;
	log_warnx("%s: restart in %lld ms; until then %s", c->name,
	    (long long)ms, c->without);
	return 1;
}

size_t
child_pollfds(const struct child *c, struct pollfd *pfd, size_t max)
{
	if (c->chan.fd == -1 || max == 0)
		return 0;
	pfd->fd = c->chan.fd;
	pfd->events = POLLIN | (msg_pending(&c->chan) ? POLLOUT : 0);
	pfd->revents = 0;
	return 1;
}

/* pfd NULL: read whatever is there now. */
void
child_dispatch(struct child *c, const struct pollfd *pfd, size_t n)
{
	struct msg	 m;
	ssize_t		 r;
	int		 rc;

	if (c->chan.fd == -1 || (pfd != NULL && (n == 0 ||
	    pfd->fd != c->chan.fd || pfd->revents == 0)))
		return;
	if (pfd != NULL && (pfd->revents & POLLOUT) &&
	    msg_flush(&c->chan) == -1) {
		log_warn("write to %s", c->name);
		close_chan(c);
		return;
	}
	r = msg_read(&c->chan);
	if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
		log_warn("read from %s", c->name);
		close_chan(c);
		return;
	}
	while ((rc = msg_get(&c->chan, &m)) == 1) {
		if (m.fd != -1)
			close(m.fd);
		if (m.hdr.type == MSG_LOG && m.fd == -1 &&
		    log_from_msg(&m) == 0)
			continue;
		if (m.hdr.type == MSG_READY && m.len == 0 && m.fd == -1 &&
		    !c->ready) {
			c->ready = 1;
			c->failures = 0;
			log_debug("%s pid %d ready", c->name, (int)c->pid);
			continue;
		}
		log_warnx("%s sent type %u, %zu bytes: killed", c->name,
		    m.hdr.type, m.len);
		rc = -1;
		break;
	}
	if (rc == -1 || r == 0) {
		if (rc == -1 && c->pid != -1)
			(void)kill(c->pid, SIGKILL);
		close_chan(c);
	}
}
