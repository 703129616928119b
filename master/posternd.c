/*
 * posternd: the root master.  It reads postern.conf, binds the listeners,
 * keeps the worker pools and hands each client to a worker.  It never
 * reads a byte of IMAP or POP3 itself.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_files.h"
#include "clock.h"
#include "listen.h"
#include "log.h"
#include "conf.h"
#include "children.h"
#include "control.h"
#include "daemon.h"
#include "policyd_child.h"
#include "keyd_child.h"
#include "rlimits.h"
#include "listener_tls.h"
#include "pool.h"
#include "privdrop.h"
#include "upstream.h"
#include "waitq.h"

/* After the drain, how long workers get to say BYE before SIGKILL. */
#define BYE_GRACE_MS	5000
/* Clients accepted on a listener at one wake-up, at most. */
#define ACCEPT_BATCH	256

enum run_state {
	RUNNING,
	DRAINING,	/* not accepting; sessions may end on their own */
	STOPPING,	/* workers told to close their sessions */
};

static const char	*conffile = CONF_DEFAULT_FILE;
static const char	*worker_flag;	/* -w */
static char		 worker_beside[WORKER_PATH_MAX]; /* see worker_init() */
static struct conf	*conf;
static enum run_state	 state = RUNNING;
static int64_t		 state_deadline;	/* ms, for DRAINING, STOPPING */
static int		 sigpipe[2] = { -1, -1 };
static int		 verbose;

static void		 usage(void) __attribute__((noreturn));
static void		 worker_init(void);
static const char	*worker_path(const struct conf *);
static int		 check_runtime(const struct conf *);
static int		 check_empty(const char *);
static void		 signals_init(void);
static void		 signal_note(int);
static void		 signals_handle(void);
static int		 reload(const char *);
static int		 control_reload(void);
static void		 accept_some(struct listener *);
static void		 stop(void);
static void		 event_loop(void);

static void
usage(void)
{
	fprintf(stderr, "usage: posternd [-dFnv] [-f file] [-w worker]\n");
	exit(1);
}

/*
 * The default worker is the postern-worker beside posternd's own
 * executable, wherever that was installed (or built); policyd and keyd are
 * looked for beside the worker.  Read once at start: a package upgrade
 * that replaces the file leaves /proc/self/exe "... (deleted)", whose
 * directory is still the right one, but a name read now is simpler.
 */
static void
worker_init(void)
{
	char	 exe[PATH_MAX];
	char	*slash;
	ssize_t	 n;
	int	 len;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe))) == -1)
		fatal("readlink /proc/self/exe");
	if ((size_t)n == sizeof(exe))
		fatalx("readlink /proc/self/exe: path too long");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		fatalx("readlink /proc/self/exe: %s is not a path", exe);
	len = snprintf(worker_beside, sizeof(worker_beside),
	    "%.*s/postern-worker", (int)(slash - exe), exe);
	if (len < 0 || (size_t)len >= sizeof(worker_beside))
		fatalx("worker program beside %s: path too long", exe);
}

static const char *
worker_path(const struct conf *c)
{
	if (worker_flag != NULL)
		return worker_flag;
	if (c->worker[0] != '\0')
		return c->worker;
	return worker_beside;
}

/* What the parser cannot know: the file system as it is when we start. */
static int
check_runtime(const struct conf *c)
{
	const char	*path = worker_path(c);
	char		 pdpath[WORKER_PATH_MAX];

	if (access(path, X_OK) == -1) {
		log_warn("worker program %s", path);
		return -1;
	}
	/* policyd chroots into its store: the same rules as a chroot. */
	if (c->policy_store[0] != '\0') {
		if (daemon_path(DAEMON_POLICYD, path, pdpath,
		    sizeof(pdpath)) == -1 ||
		    access(pdpath, X_OK) == -1) {
			log_warn("policyd program next to %s", path);
			return -1;
		}
		if (privdrop_checkdir(c->policy_store) == -1) {
			log_warnx("policy store %s: %s", c->policy_store,
			    privdrop_error());
			return -1;
		}
	}
	if (c->nkeys > 0 && (daemon_path(DAEMON_KEYD, path, pdpath,
	    sizeof(pdpath)) == -1 || access(pdpath, X_OK) == -1)) {
		log_warn("keyd program next to %s", path);
		return -1;
	}
	if (listener_tls_check(c) == -1)
		return -1;
	if (privdrop_checkdir(c->chroot) == -1) {
		log_warnx("chroot %s: %s", c->chroot, privdrop_error());
		return -1;
	}
	if (audit_files_check(c) == -1)
		return -1;
	if (check_empty(c->chroot) == -1)
		return -1;
	/* Before any child starts: they inherit the hard limits. */
	return rlimits_check(c);
}

/* Whatever is in the chroot, a worker taken over could read. */
static int
check_empty(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 rv = 0;

	if ((d = opendir(dir)) == NULL) {
		log_warn("chroot %s", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		log_warnx("chroot %s: not empty, it holds %s", dir,
		    de->d_name);
		rv = -1;
		break;
	}
	closedir(d);
	return rv;
}

int
main(int argc, char *argv[])
{
	int	 ch, debug = 0, foreground = 0, noaction = 0;

	while ((ch = getopt(argc, argv, "dFf:nvw:")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'F':
			foreground = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'w':
			worker_flag = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(1, verbose, "posternd");
	if ((conf = conf_parse(conffile)) == NULL)
		exit(1);
	if (noaction) {
		/* Our own limits, raised as at start if we may. */
		if (rlimits_check(conf) == -1)
			exit(1);
		if (verbose)
			conf_print(stdout, conf);
		conf_free(conf);
		exit(0);
	}
	if (geteuid() != 0)
		fatalx("need root privileges");
	worker_init();
	if (check_runtime(conf) == -1)
		exit(1);
	if (listeners_bind(conf, NULL) == -1)
		exit(1);
	control_init(conffile, control_reload);
	if (control_configure(conf) == -1)
		exit(1);

	if (!debug && !foreground && daemon(0, 0) == -1)
		fatal("daemon");
	log_init(debug, verbose, "posternd");
	signals_init();
	policyd_child_configure(conf, worker_path(conf), verbose);
	audit_files_configure(conf);
	keyd_child_configure(conf, worker_path(conf), verbose);
	pool_init(worker_path(conf), verbose);
	pool_configure(conf);
	waitq_configure(conf);
	upstream_configure(conf);
	log_info("started, %s", conffile);
	event_loop();
	control_close();
	listeners_close(conf);
	upstream_states_free();
	conf_free(conf);
	log_info("exiting");
	return 0;
}

static void
signal_note(int sig)
{
	int		 saved = errno;
	unsigned char	 c = (unsigned char)sig;

	/* A full pipe already holds a wake-up; losing this byte is fine. */
	(void)!write(sigpipe[1], &c, 1);
	errno = saved;
}

static void
signals_init(void)
{
	struct sigaction	 sa;
	const int		 sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1,
				    SIGCHLD };
	size_t			 i;

	if (pipe2(sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = signal_note;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			fatal("sigaction %d", sigs[i]);
	/* A worker that dies mid-write must not take us with it. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatal("sigaction SIGPIPE");
}

static void
signals_handle(void)
{
	unsigned char	 buf[64];
	ssize_t		 n, i;

	while ((n = read(sigpipe[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			switch (buf[i]) {
			case SIGHUP:
				if (state == RUNNING)
					(void)reload("SIGHUP");
				break;
			case SIGTERM:
			case SIGINT:
				stop();
				break;
			case SIGUSR1:
				/* Workers log through us to syslog or stderr. */
				if (!audit_files_enabled()) {
					log_info("SIGUSR1: no log files are "
					    "open to reopen");
					break;
				}
				log_info("SIGUSR1: reopening the audit logs");
				pool_audit_rotate();
				break;
			case SIGCHLD:
				children_reap();
				break;
			}
		}
	}
}

/*
 * A reload parses the file anew; only when it is valid and every new
 * listener is bound does the new configuration replace the old one.
 * why: SIGHUP or posternctl.  0, or -1 when the old one stays.
 */
static int
reload(const char *why)
{
	struct conf	*nconf;

	log_info("%s: reloading %s", why, conffile);
	if ((nconf = conf_parse(conffile)) == NULL) {
		log_warnx("%s: not reloaded, the running configuration stays",
		    conffile);
		return -1;
	}
	if (check_runtime(nconf) == -1 || listeners_bind(nconf, conf) == -1) {
		log_warnx("%s: not reloaded, the running configuration stays",
		    conffile);
		conf_free(nconf);
		return -1;
	}
	listeners_close(conf);
	policyd_child_configure(nconf, worker_path(nconf), verbose);
	audit_files_configure(nconf);
	keyd_child_configure(nconf, worker_path(nconf), verbose);
	pool_init(worker_path(nconf), verbose);
	pool_configure(nconf);
	waitq_configure(nconf);
	/* Before conf_free(conf): the states of conf's servers carry over. */
	upstream_configure(nconf);
	/* posternctl and the metrics are not worth a reload refused. */
	if (control_configure(nconf) == -1)
		log_warnx("%s: the control socket and the metrics listener "
		    "stay as they were", conffile);
	conf_free(conf);
	conf = nconf;
	log_info("%s: reloaded", conffile);
	return 0;
}

/* posternctl reload: as SIGHUP, but not while posternd stops. */
static int
control_reload(void)
{
	if (state != RUNNING) {
		log_warnx("control socket: no reload while stopping");
		return -1;
	}
	return reload("posternctl reload");
}

/*
 * A storm fills the listen backlog faster than one accept per wake-up
 * empties it, and the kernel drops what overflows without a word: take
 * what is there, while the queue has places, ACCEPT_BATCH at most so
 * the workers' channels are not starved meanwhile.
 */
static void
accept_some(struct listener *l)
{
	int	 n;

	for (n = 0; n < ACCEPT_BATCH && l->fd != -1 && waitq_accepting(l);
	    n++)
		if (!listener_accept(l))
			break;
}

/* First SIGTERM drains; a second one does not wait for the drain. */
static void
stop(void)
{
	if (state == RUNNING) {
		log_info("stopping: draining sessions for up to %u s",
		    conf->timeout_drain);
		listeners_close(conf);
		pool_drain();
		state = DRAINING;
		state_deadline = now_ms() + (int64_t)conf->timeout_drain * 1000;
	} else if (state == DRAINING)
		state_deadline = now_ms();
}

static void
event_loop(void)
{
	struct pollfd	*pfd = NULL;
	struct listener	*l, **lv = NULL;
	size_t		 npfd, nl, nc, nq, nk, nu, max = 0, i;
	int		 timeout, t;

	for (;;) {
		timeout = pool_maintain();
		if ((t = daemon_maintain()) != -1 && (timeout == -1 ||
		    t < timeout))
			timeout = t;
		if ((t = waitq_run()) != -1 && (timeout == -1 || t < timeout))
			timeout = t;
		if ((t = control_maintain()) != -1 && (timeout == -1 ||
		    t < timeout))
			timeout = t;
		if ((t = upstream_maintain()) != -1 && (timeout == -1 ||
		    t < timeout))
			timeout = t;
		if ((t = audit_files_maintain()) != -1 && (timeout == -1 ||
		    t < timeout))
			timeout = t;
		if (state == DRAINING && (pool_nbusy() == 0 ||
		    now_ms() >= state_deadline)) {
			pool_shutdown("postern shutting down");
			state = STOPPING;
			state_deadline = now_ms() + BYE_GRACE_MS;
		}
		if (state == STOPPING) {
			/* A template left behind would hold its pages. */
			if (pool_nworkers() == 0 && pool_ntemplates() == 0)
				break;
			if (now_ms() >= state_deadline) {
				pool_kill();
				state_deadline = now_ms() + BYE_GRACE_MS;
			}
		}
		if (state != RUNNING) {
			t = (int)(state_deadline - now_ms());
			if (t < 0)
				t = 0;
			if (timeout == -1 || t < timeout)
				timeout = t;
		}

		nl = 0;
		TAILQ_FOREACH(l, &conf->listeners, entry)
			nl++;
		npfd = 1 + nl + children_npollfds() + waitq_npollfds() +
		    control_npollfds() + upstream_npollfds();
		if (npfd > max) {
			max = npfd;
			if ((pfd = reallocarray(pfd, max, sizeof(*pfd))) ==
			    NULL || (lv = reallocarray(lv, max,
			    sizeof(*lv))) == NULL)
				fatal("%s", __func__);
		}
		pfd[0].fd = sigpipe[0];
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if ((t = listeners_paused()) > 0 && (timeout == -1 ||
		    t < timeout))
			timeout = t;
		nl = 0;
		TAILQ_FOREACH(l, &conf->listeners, entry) {
			if (l->fd == -1 || l->pool == NULL || t > 0)
				continue;
			/* With no worker idle, clients wait in waitq.c. */
			if (!waitq_accepting(l))
				continue;
			pfd[1 + nl].fd = l->fd;
			pfd[1 + nl].events = POLLIN;
			pfd[1 + nl].revents = 0;
			lv[nl++] = l;
		}
		/* Then every child's channel: the table's, by entry; then
		 * the clients waiting for a worker. */
		nc = children_pollfds(pfd + 1 + nl, max - 1 - nl);
		nq = waitq_pollfds(pfd + 1 + nl + nc, max - 1 - nl - nc);
		nk = control_pollfds(pfd + 1 + nl + nc + nq,
		    max - 1 - nl - nc - nq);
		/* The health checks of the upstreams' servers. */
		nu = upstream_pollfds(pfd + 1 + nl + nc + nq + nk,
		    max - 1 - nl - nc - nq - nk);

		if (poll(pfd, 1 + nl + nc + nq + nk + nu, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		children_dispatch(pfd + 1 + nl, nc);
		waitq_dispatch(pfd + 1 + nl + nc, nq);
		upstream_dispatch(pfd + 1 + nl + nc + nq + nk, nu);
		for (i = 0; i < nl; i++)
			if (pfd[1 + i].revents & POLLIN)
				accept_some(lv[i]);
		if (pfd[0].revents & POLLIN)
			signals_handle();
		/* Last: posternctl reload frees what the loop polled. */
		control_dispatch(pfd + 1 + nl + nc + nq, nk);
	}
	free(pfd);
	free(lv);
	audit_files_sync();
	pool_cleanup();
	daemon_stop_all();
	children_cleanup();
}
