/*
 * postern-keyd as a child of posternd (proto_keyd.h): started when a
 * listener has certificates, forked and exec'd like a worker with its
 * channel on KEYD_CHAN_FD, sent its config and the key files it is to
 * read, and one end of a socketpair per worker of a TLS listener.  When
 * keyd dies it is started again after a back-off; the workers that held
 * a channel to the old one fail their handshakes until replaced.
 * posternd never opens a key file itself.
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
#include "keyd_child.h"
#include "proto.h"
#include "proto_keyd.h"

#define RESTART_MAX_MS	30000

static struct {
	char			 path[WORKER_PATH_MAX];
	struct keyd_config	 conf;
	struct keyd_key		 keys[KEYD_KEYS_MAX];
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
keyd_child_path(const char *worker, char *out, size_t len)
{
	const char	*slash = strrchr(worker, '/');
	int		 n;

	if (slash == NULL)
		n = snprintf(out, len, "postern-keyd");
	else
		n = snprintf(out, len, "%.*s/postern-keyd",
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
	char		*argv[] = { (char *)"postern-keyd", NULL };
	sigset_t	 set;
	int		 sig;

	close(other);
	if (chan == KEYD_CHAN_FD) {
		if (fcntl(chan, F_SETFD, 0) == -1)
			_exit(126);
	} else if (dup2(chan, KEYD_CHAN_FD) == -1)
		_exit(126);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	close_range(KEYD_CHAN_FD + 1, ~0U, 0);
	execv(pd.path, argv);
	dprintf(STDERR_FILENO, "postern-keyd: exec %s: %s\n", pd.path,
	    strerror(errno));
	_exit(127);
}

static void
start(void)
{
	uint32_t i;
	int	 sp[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for keyd");
		pd.next_start = now_ms() + 1000;
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork keyd");
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
	if (msg_compose(&pd.chan, MSG_K_CONFIG, 0, -1, &pd.conf,
	    sizeof(pd.conf)) == -1)
		fatal("queue keyd config");
	for (i = 0; i < pd.conf.nkeys; i++)
		if (msg_compose(&pd.chan, MSG_K_KEY, 0, -1, &pd.keys[i],
		    sizeof(pd.keys[i])) == -1)
			fatal("queue keyd key %u", i);
	log_debug("keyd pid %d started, %u keys", (int)pid, pd.conf.nkeys);
}

static void
stop_running(void)
{
	close_chan();
	/* keyd exits at end of file; pool_reap() collects it. */
	pd.pid = -1;
}

void
keyd_child_configure(const struct conf *c, const char *worker,
    int verbose)
{
	struct keyd_config	 nc;
	struct keyd_key		 nk[KEYD_KEYS_MAX];
	struct listener		*l;
	uint32_t		 n = 0, i;

	if (c->nkeys == 0 || c->nkeys > KEYD_KEYS_MAX) {
		if (c->nkeys > KEYD_KEYS_MAX)
			log_warnx("%u keys: keyd holds at most %d", c->nkeys,
			    KEYD_KEYS_MAX);
		stop_running();
		pd.on = 0;
		return;
	}
	memset(&nc, 0, sizeof(nc));
	memset(nk, 0, sizeof(nk));
	nc.verbose = (uint32_t)verbose;
	nc.uid = (uint32_t)c->uid;
	nc.gid = (uint32_t)c->gid;
	nc.nkeys = c->nkeys;
	/* keyd needs no files once it has its keys: the workers' chroot. */
	(void)snprintf(nc.chroot, sizeof(nc.chroot), "%s", c->chroot);
	TAILQ_FOREACH(l, &c->listeners, entry) {
		n++;
		for (i = 0; i < l->ncerts; i++) {
			nk[l->certs[i].index].index = l->certs[i].index;
			(void)snprintf(nk[l->certs[i].index].path,
			    sizeof(nk[0].path), "%s", l->certs[i].key);
		}
	}
	nc.max_workers = n * c->max_workers * 2;
	if (nc.max_workers == 0 || nc.max_workers > 60000)
		nc.max_workers = 60000;
	if (keyd_child_path(worker, pd.path, sizeof(pd.path)) == -1)
		fatalx("keyd path too long");
	if (pd.on && pd.pid != -1 && memcmp(&nc, &pd.conf, sizeof(nc)) == 0 &&
	    memcmp(nk, pd.keys, sizeof(nk)) == 0)
		return;
	stop_running();
	pd.conf = nc;
	memcpy(pd.keys, nk, sizeof(nk));
	pd.on = 1;
	pd.failures = 0;
	pd.next_start = 0;
	start();
}

int
keyd_child_running(void)
{
	return pd.on && pd.chan.fd != -1;
}

int
keyd_child_channel(uint32_t slot)
{
	int			 sp[2];

	if (!pd.on || pd.chan.fd == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair for worker slot %u to keyd", slot);
		return -1;
	}
	/* The channel owns sp[1] from here, even on failure. */
	if (msg_compose(&pd.chan, MSG_K_WORKER, slot, sp[1], NULL, 0) == -1) {
		log_warn("queue worker slot %u channel to keyd", slot);
		close(sp[0]);
		return -1;
	}
	return sp[0];
}

int
keyd_child_maintain(void)
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
keyd_child_reaped(pid_t pid, int status)
{
	int64_t		 ms = 1000;
	unsigned int	 i;

	if (pid != pd.pid || pid == -1)
		return 0;
	/* Its last words may still be in the channel. */
	keyd_child_dispatch(NULL, 0);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warnx("security: keyd pid %d killed by SIGSYS",
		    (int)pid);
	else if (WIFSIGNALED(status))
		log_warnx("keyd pid %d killed by signal %d", (int)pid,
		    WTERMSIG(status));
	else
		log_warnx("keyd pid %d exited with %d", (int)pid,
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
	log_warnx("keyd: restart in %lld ms; until then TLS handshakes "
	    "fail", (long long)ms);
	return 1;
}

size_t
keyd_child_pollfds(struct pollfd *pfd, size_t max)
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
keyd_child_dispatch(const struct pollfd *pfd, size_t n)
{
	struct msg	 m;
	ssize_t		 r;
	int		 rc;

	if (pd.chan.fd == -1 || (pfd != NULL && (n == 0 ||
	    pfd->fd != pd.chan.fd || pfd->revents == 0)))
		return;
	if (pfd != NULL && (pfd->revents & POLLOUT) &&
	    msg_flush(&pd.chan) == -1) {
		log_warn("write to keyd");
		close_chan();
		return;
	}
	r = msg_read(&pd.chan);
	if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
		log_warn("read from keyd");
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
			log_debug("keyd pid %d ready", (int)pd.pid);
			continue;
		}
		log_warnx("keyd sent type %u, %zu bytes: killed",
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
keyd_child_stop(void)
{
	pd.on = 0;
	stop_running();
}
