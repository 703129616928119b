/*
 * postern-policyd as a child of posternd.  It is forked and exec'd like a
 * worker, its channel on POLICYD_CHAN_FD; it is sent its config at once,
 * and each new worker's channel as the worker is started.  Channels are
 * handed over before policyd says MSG_READY: they wait in the socket.
 * When policyd dies it is started again after a back-off; the workers
 * that held a channel to the old one fail closed on it until replaced.
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

#include "log.h"
#include "msg.h"
#include "policyd_child.h"
#include "proto.h"
#include "proto_policy.h"

#define RESTART_MAX_MS	30000

static struct {
	char			 path[WORKER_PATH_MAX];
	struct policyd_config	 conf;
	int			 on;		/* configured */
	pid_t			 pid;		/* -1: not running */
	struct msgchan		 chan;		/* fd -1: none */
	int			 ready;
	unsigned int		 failures;
	int64_t			 next_start;	/* ms; 0 now */
} pd = { .pid = -1, .chan = { .fd = -1 } };

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
policyd_child_path(const char *worker, char *out, size_t len)
{
	const char	*slash = strrchr(worker, '/');
	int		 n;

	if (slash == NULL)
		n = snprintf(out, len, "postern-policyd");
	else
		n = snprintf(out, len, "%.*s/postern-policyd",
		    (int)(slash - worker), worker);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
close_chan(void)
{
	if (pd.chan.fd == -1)
		return;
	close(pd.chan.fd);
	msgchan_clear(&pd.chan);
	pd.chan.fd = -1;
	pd.ready = 0;
}

/* In the child: only the channel survives the exec. */
static void __attribute__((noreturn))
child_exec(int chan, int other)
{
	char		*argv[] = { (char *)"postern-policyd", NULL };
	sigset_t	 set;
	int		 sig;

	close(other);
	if (chan == POLICYD_CHAN_FD) {
		if (fcntl(chan, F_SETFD, 0) == -1)
			_exit(126);
	} else if (dup2(chan, POLICYD_CHAN_FD) == -1)
		_exit(126);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	close_range(POLICYD_CHAN_FD + 1, ~0U, 0);
	execv(pd.path, argv);
	dprintf(STDERR_FILENO, "postern-policyd: exec %s: %s\n", pd.path,
	    strerror(errno));
	_exit(127);
}

static void
start(void)
{
	int	 sp[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for policyd");
		pd.next_start = now_ms() + 1000;
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork policyd");
		close(sp[0]);
		close(sp[1]);
		pd.next_start = now_ms() + 1000;
		return;
	}
	if (pid == 0)
		child_exec(sp[1], sp[0]);
	close(sp[1]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
	pd.pid = pid;
	pd.ready = 0;
	msgchan_init(&pd.chan, sp[0], MSGCHAN_FDS, 0);
	if (msg_compose(&pd.chan, MSG_P_CONFIG, 0, -1, &pd.conf,
	    sizeof(pd.conf)) == -1)
		fatal("queue policyd config");
	log_debug("policyd pid %d started, store %s", (int)pid,
	    pd.conf.store);
}

static void
stop_running(void)
{
	close_chan();
	/* policyd exits at end of file; pool_reap() collects it. */
	pd.pid = -1;
}

void
policyd_child_configure(const struct conf *c, const char *worker,
    int verbose)
{
	struct policyd_config	 nc;
	struct listener		*l;
	uint32_t		 n = 0;

	if (c->policy_store[0] == '\0') {
		stop_running();
		pd.on = 0;
		return;
	}
	memset(&nc, 0, sizeof(nc));
	nc.verbose = (uint32_t)verbose;
	nc.uid = (uint32_t)c->uid;
	nc.gid = (uint32_t)c->gid;
	/* Every pool's workers at once, and those of a reload's overlap. */
	TAILQ_FOREACH(l, &c->listeners, entry)
		n++;
	nc.max_workers = n * c->max_workers * 2;
	if (nc.max_workers == 0 || nc.max_workers > 60000)
		nc.max_workers = 60000;
	(void)snprintf(nc.store, sizeof(nc.store), "%s", c->policy_store);
	if (policyd_child_path(worker, pd.path, sizeof(pd.path)) == -1)
		fatalx("policyd path too long");
	if (pd.on && pd.pid != -1 && memcmp(&nc, &pd.conf, sizeof(nc)) == 0)
		return;
	stop_running();
	pd.conf = nc;
	pd.on = 1;
	pd.failures = 0;
	pd.next_start = 0;
	start();
}

int
policyd_child_channel(uint32_t slot)
{
	struct policyd_worker	 w = { .slot = slot };
	int			 sp[2];

	if (!pd.on || pd.chan.fd == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for worker slot %u to policyd", slot);
		return -1;
	}
	/* The channel owns sp[1] from here, even on failure. */
	if (msg_compose(&pd.chan, MSG_P_WORKER, slot, sp[1], &w,
	    sizeof(w)) == -1) {
		log_warn("queue worker slot %u channel to policyd", slot);
		close(sp[0]);
		return -1;
	}
	return sp[0];
}

int
policyd_child_maintain(void)
{
	int64_t	 now;

	if (!pd.on || pd.pid != -1)
		return -1;
	now = now_ms();
	if (now >= pd.next_start) {
		start();
		return -1;
	}
	return (int)(pd.next_start - now);
}

int
policyd_child_reaped(pid_t pid, int status)
{
	int64_t		 ms = 1000;
	unsigned int	 i;

	if (pid != pd.pid || pid == -1)
		return 0;
	/* Its last words may still be in the channel. */
	policyd_child_dispatch(NULL, 0);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warnx("security: policyd pid %d killed by SIGSYS",
		    (int)pid);
	else if (WIFSIGNALED(status))
		log_warnx("policyd pid %d killed by signal %d", (int)pid,
		    WTERMSIG(status));
	else
		log_warnx("policyd pid %d exited with %d", (int)pid,
		    WEXITSTATUS(status));
	close_chan();
	pd.pid = -1;
	if (!pd.ready)
		pd.failures++;
	else
		pd.failures = 1;
	for (i = 1; i < pd.failures && ms < RESTART_MAX_MS; i++)
		ms *= 2;
	if (ms > RESTART_MAX_MS)
		ms = RESTART_MAX_MS;
	pd.next_start = now_ms() + ms;
	log_warnx("policyd: restart in %lld ms; until then every verdict "
	    "fails closed", (long long)ms);
	return 1;
}

size_t
policyd_child_pollfds(struct pollfd *pfd, size_t max)
{
	if (pd.chan.fd == -1 || max == 0)
		return 0;
	pfd->fd = pd.chan.fd;
	pfd->events = POLLIN | (msg_pending(&pd.chan) ? POLLOUT : 0);
	pfd->revents = 0;
	return 1;
}

/* pfd NULL: read whatever is there now. */
void
policyd_child_dispatch(const struct pollfd *pfd, size_t n)
{
	struct msg	 m;
	ssize_t		 r;
	int		 rc;

	if (pd.chan.fd == -1 || (pfd != NULL && (n == 0 ||
	    pfd->fd != pd.chan.fd || pfd->revents == 0)))
		return;
	if (pfd != NULL && (pfd->revents & POLLOUT) &&
	    msg_flush(&pd.chan) == -1) {
		log_warn("write to policyd");
		close_chan();
		return;
	}
	r = msg_read(&pd.chan);
	if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
		log_warn("read from policyd");
		close_chan();
		return;
	}
	while ((rc = msg_get(&pd.chan, &m)) == 1) {
		if (m.fd != -1)
			close(m.fd);
		if (m.hdr.type == MSG_LOG && m.fd == -1 &&
		    log_from_msg(&m) == 0)
			continue;
		if (m.hdr.type == MSG_READY && m.len == 0 && m.fd == -1 &&
		    !pd.ready) {
			pd.ready = 1;
			pd.failures = 0;
			log_debug("policyd pid %d ready", (int)pd.pid);
			continue;
		}
		log_warnx("policyd sent type %u, %zu bytes: killed",
		    m.hdr.type, m.len);
		rc = -1;
		break;
	}
	if (rc == -1 || r == 0) {
		if (rc == -1 && pd.pid != -1)
			(void)kill(pd.pid, SIGKILL);
		close_chan();
	}
}

void
policyd_child_stop(void)
{
	pd.on = 0;
	stop_running();
}
