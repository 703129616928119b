/*
 * posternctl: asks a running posternd, over its control socket, what
 * it is doing (status, sessions, metrics), or tells it to end a session
 * (kick) or to reload its configuration.  One request, one answer: the
 * daemon makes the answer, text or JSON (-j), and posternctl prints it.
 * The socket is root's; posternd takes only uid 0 (master/control.h).
 * Exit 0: done; 1: the daemon refused or could not do it; 2: no answer
 * (no socket, no daemon, not root, a bad command line).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

#define POSTERNCTL_SOCKET	"/run/postern/control.sock"
#define EX_DONE			0
#define EX_REFUSED		1
#define EX_FAILED		2
/* posternd answers at once but for a reload; that may take a while. */
#define ANSWER_TIMEOUT_S	60

static const struct {
	const char	*name;
	int		 args;		/* 0, or 1: a session id */
	int		 json;		/* -j is for it */
} cmds[] = {
	{ "status",	0, 1 },
	{ "sessions",	0, 1 },
	{ "kick",	1, 1 },
	{ "reload",	0, 1 },
	{ "metrics",	0, 0 },
};

static void	 usage(void) __attribute__((noreturn));
static int	 socket_path(const char *, char *, size_t);
static int	 ask(const char *, const char *);

static void
usage(void)
{
	fprintf(stderr, "usage: posternctl [-j] [-c conf | -s socket] "
	    "command\n"
	    "commands: status, sessions, kick SESSION, reload, metrics\n");
	exit(EX_FAILED);
}

int
main(int argc, char *argv[])
{
	const char	*conffile = NULL, *sock = NULL;
	char		 path[CONF_SOCKET_MAX], req[128];
	size_t		 i;
	int		 ch, json = 0, n;

	while ((ch = getopt(argc, argv, "c:js:")) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (conffile != NULL && sock != NULL))
		usage();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]) || argc != 1 + cmds[i].args)
		usage();
	if (json && !cmds[i].json) {
		fprintf(stderr, "posternctl: %s: text only, no -j\n", argv[0]);
		return EX_FAILED;
	}
	if (cmds[i].args > 0 && (argv[1][0] == '\0' ||
	    strspn(argv[1], "0123456789") != strlen(argv[1]))) {
		fprintf(stderr, "posternctl: %s: not a session id\n", argv[1]);
		return EX_FAILED;
	}
	if (sock == NULL) {
		if (socket_path(conffile, path, sizeof(path)) == -1)
			return EX_FAILED;
		sock = path;
	}
	n = snprintf(req, sizeof(req), "%s%s%s%s\n", argv[0],
	    cmds[i].args > 0 ? " " : "", cmds[i].args > 0 ? argv[1] : "",
	    json ? " json" : "");
	if (n < 0 || (size_t)n >= sizeof(req)) {
		fprintf(stderr, "posternctl: %s: too long\n", argv[1]);
		return EX_FAILED;
	}
	return ask(sock, req);
}

/*
 * postern.conf's "control socket" line: the file named by -c, or
 * /etc/postern/postern.conf; without that file, the package's socket.
 */
static int
socket_path(const char *conffile, char *path, size_t len)
{
	struct conf	*conf;
	const char	*file = conffile != NULL ? conffile : CONF_DEFAULT_FILE;
	int		 rc = 0;

	if (conffile == NULL && access(file, F_OK) == -1) {
		(void)snprintf(path, len, "%s", POSTERNCTL_SOCKET);
		return 0;
	}
	log_init(1, 0, "posternctl");
	if ((conf = conf_parse(file)) == NULL)
		return -1;
	if (conf->control_socket[0] == '\0') {
		fprintf(stderr, "posternctl: %s: no 'control socket' line: "
		    "posternd has no control socket\n", file);
		rc = -1;
	} else
		(void)snprintf(path, len, "%s", conf->control_socket);
	conf_free(conf);
	return rc;
}

/*
 * Sends req and prints the answer: its first line says "ok" or "error
 * TEXT", the rest is for standard output.
 */
static int
ask(const char *path, const char *req)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { .tv_sec = ANSWER_TIMEOUT_S };
	char			 buf[8192], first[1024];
	size_t			 flen = 0, off = 0, reqlen = strlen(req);
	ssize_t			 n;
	int			 fd, gotfirst = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "posternctl: %s: path too long\n", path);
		return EX_FAILED;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		fprintf(stderr, "posternctl: socket: %s\n", strerror(errno));
		return EX_FAILED;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "posternctl: %s: %s%s\n", path,
		    strerror(errno), errno == EACCES ? " (root only)" :
		    errno == ENOENT || errno == ECONNREFUSED ?
		    " (is posternd running?)" : "");
		close(fd);
		return EX_FAILED;
	}
	while (off < reqlen) {
		if ((n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			/* It answered before it read: the answer says why. */
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			fprintf(stderr, "posternctl: %s: send: %s\n", path,
			    strerror(errno));
			close(fd);
			return EX_FAILED;
		}
		off += (size_t)n;
	}
	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "posternctl: %s: %s\n", path,
			    errno == EAGAIN ? "no answer" : strerror(errno));
			close(fd);
			return EX_FAILED;
		}
		if (n == 0)
			break;
		off = 0;
		/* The first line, up to its newline, is ok or error. */
		while (!gotfirst && off < (size_t)n) {
			if (buf[off] == '\n') {
				first[flen] = '\0';
				gotfirst = 1;
			} else if (flen < sizeof(first) - 1)
				first[flen++] = buf[off];
			off++;
		}
		if (gotfirst && strcmp(first, "ok") == 0 && off < (size_t)n &&
		    fwrite(buf + off, 1, (size_t)n - off, stdout) !=
		    (size_t)n - off) {
			close(fd);
			return EX_FAILED;
		}
	}
	close(fd);
	if (fflush(stdout) == EOF)
		return EX_FAILED;
	if (!gotfirst) {
		fprintf(stderr, "posternctl: %s: no answer\n", path);
		return EX_FAILED;
	}
	if (strcmp(first, "ok") == 0)
		return EX_DONE;
	if (strncmp(first, "error ", 6) == 0) {
		fprintf(stderr, "posternctl: %s\n", first + 6);
		return EX_REFUSED;
	}
	fprintf(stderr, "posternctl: %s: not an answer: %.80s\n", path,
	    first);
	return EX_FAILED;
}
