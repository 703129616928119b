/*
 * The control socket and the metrics listener (control.h).  posternd is
 * root, so both stay small: a request is read into a fixed buffer and
 * is either whole within it or refused; the words of a control request
 * are compared with a fixed list, nothing else is parsed; an answer is
 * made whole in memory and written as fast as the client takes it.  At
 * most CLIENTS_MAX clients of each server are served at once (the next
 * wait in the backlog), and a client that is slow to ask or to read is
 * dropped at its deadline.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include "buf.h"
#include "clock.h"
#include "control.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "privdrop.h"
#include "status.h"

#define CLIENTS_MAX	16		/* of each server at once */
#define REQUEST_MAX	128		/* a control line, its newline too */
#define HTTP_HEAD_MAX	4096		/* request line and headers */
#define ANSWER_MAX	(16 * 1024 * 1024)
#define READ_MS		5000		/* to send the whole request */
#define WRITE_MS	10000		/* taking no byte of the answer */
#define PROGRESS_MS	500		/* the workers' bytes, for sessions */
#define DISCARD_MAX	(64 * 1024)	/* read past a request, at the end */
#define KICK_TEXT	"Session ended by the administrator"

enum server {
	SRV_CONTROL,
	SRV_METRICS,
	SRV_MAX
};

enum cstate {
	C_READ,		/* the request */
	C_WAIT,		/* the workers' answers (sessions) */
	C_WRITE,	/* the answer, then the close */
};

struct client {
	TAILQ_ENTRY(client)	 entry;
	enum server		 srv;
	int			 fd;
	enum cstate		 state;
	char			 req[HTTP_HEAD_MAX];
	size_t			 reqlen;
	struct buf		 out;
	int64_t			 deadline;	/* ms */
	uint64_t		 question;	/* C_WAIT: pool_progress_ask() */
	int			 json;
	const char		*refused;	/* answered whatever it asks */
};
TAILQ_HEAD(clientlist, client);

static struct {
	int		 fd;		/* listening; -1 none */
	unsigned int	 nclients;
} servers[SRV_MAX] = { { -1, 0 }, { -1, 0 } };

static struct clientlist	 clients = TAILQ_HEAD_INITIALIZER(clients);
static char			 sock_path[CONF_SOCKET_MAX];
static dev_t			 sock_dev;
static ino_t			 sock_ino;
static struct sockaddr_storage	 metrics_ss;
static socklen_t		 metrics_sslen;
static const struct conf	*running;
static struct status_self	 self;
static int			 (*do_reload)(void);
/* Who control_pollfds() put where: a server (client NULL) or a client. */
static struct client		**polled;
static enum server		*polled_srv;
static size_t			 npolled, polledsz;

static int	 sock_bind(const char *, int *, dev_t *, ino_t *);
static int	 sock_alive(const struct sockaddr_un *);
static void	 sock_close(void);
static int	 metrics_bind(const struct conf *, int *);
static void	 server_accept(enum server);
static void	 client_read(struct client *);
static void	 client_write(struct client *);
static void	 client_free(struct client *);
static void	 answer(struct client *, const char *, int);
static void	 control_request(struct client *);
static void	 control_command(struct client *, char **, int);
static void	 sessions_answer(struct client *);
static void	 http_request(struct client *);
static void	 http_answer(struct client *, int, const char *, int, int);

void
control_init(const char *conffile, int (*reload)(void))
{
	self.since = time(NULL);
	self.conffile = conffile;
	do_reload = reload;
}

int
control_configure(const struct conf *conf)
{
	dev_t	 dev;
	ino_t	 ino;
	int	 fd, rc = 0;

	running = conf;
	if (strcmp(conf->control_socket, sock_path) != 0) {
		if (conf->control_socket[0] == '\0')
			sock_close();
		else if (sock_bind(conf->control_socket, &fd, &dev,
		    &ino) == -1)
			rc = -1;
		else {
			sock_close();
			servers[SRV_CONTROL].fd = fd;
			(void)snprintf(sock_path, sizeof(sock_path), "%s",
			    conf->control_socket);
			sock_dev = dev;
			sock_ino = ino;
			log_debug("control socket %s", sock_path);
		}
	}
	if (conf->metrics_sslen != metrics_sslen ||
	    memcmp(&conf->metrics_ss, &metrics_ss, metrics_sslen) != 0) {
		if (conf->metrics_port == 0)
			fd = -1;
		else if (metrics_bind(conf, &fd) == -1)
			return -1;
		if (servers[SRV_METRICS].fd != -1)
			close(servers[SRV_METRICS].fd);
		servers[SRV_METRICS].fd = fd;
		metrics_ss = conf->metrics_ss;
		metrics_sslen = conf->metrics_sslen;
		if (fd != -1)
			log_debug("metrics on %s port %u", conf->metrics_addr,
			    conf->metrics_port);
	}
	return rc;
}

/*
 * The socket goes in a directory of root's that no one else may enter,
 * on a path no one else may change (as a chroot's), made if it is not
 * there; a socket left by a posternd that is gone is
 * replaced, one that answers is another's and is left alone.
 */
static int
sock_bind(const char *path, int *fdp, dev_t *dev, ino_t *ino)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			 dir[CONF_SOCKET_MAX], *slash;
	mode_t			 old;
	int			 fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket %s: path too long", path);
		return -1;
	}
	(void)snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("control socket %s: mkdir %s", path, dir);
		return -1;
	}
	if (lstat(dir, &st) == -1) {
		log_warn("control socket %s: %s", path, dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 077) != 0) {
		log_warnx("control socket %s: %s must be a directory of "
		    "root's, mode 0700, not uid %u mode %04o", path, dir,
		    (unsigned int)st.st_uid, (unsigned int)st.st_mode & 07777);
		return -1;
	}
	/* And no one else may swap it for another: the path is root's. */
	if (privdrop_checkdir(dir) == -1) {
		log_warnx("control socket %s: %s: %s", path, dir,
		    privdrop_error());
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("control socket %s: there, and not a socket",
			    path);
			return -1;
		}
		if (sock_alive(&sun)) {
			log_warnx("control socket %s: another process "
			    "listens there", path);
			return -1;
		}
		if (unlink(path) == -1) {
			log_warn("control socket %s: unlink", path);
			return -1;
		}
	} else if (errno != ENOENT) {
		log_warn("control socket %s", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("control socket %s: socket", path);
		return -1;
	}
	/* 0600 from the start: no moment when another user may connect. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1) {
		log_warn("control socket %s: bind", path);
		close(fd);
		return -1;
	}
	if (chmod(path, 0600) == -1 || listen(fd, CLIENTS_MAX) == -1 ||
	    lstat(path, &st) == -1) {
		log_warn("control socket %s", path);
		(void)unlink(path);
		close(fd);
		return -1;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	*fdp = fd;
	return 0;
}

/* Does a process take connections on it?  A full backlog says yes. */
static int
sock_alive(const struct sockaddr_un *sun)
{
	int	 fd, alive;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return 1;
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ==
	    0 || errno == EAGAIN;
	close(fd);
	return alive;
}

/* Our socket goes, with its name if the name is still ours. */
static void
sock_close(void)
{
	struct stat	 st;

	if (servers[SRV_CONTROL].fd == -1)
		return;
	close(servers[SRV_CONTROL].fd);
	servers[SRV_CONTROL].fd = -1;
	if (lstat(sock_path, &st) == 0 && st.st_dev == sock_dev &&
	    st.st_ino == sock_ino)
		(void)unlink(sock_path);
	sock_path[0] = '\0';
}

static int
metrics_bind(const struct conf *conf, int *fdp)
{
	int	 fd, on = 1;

	if ((fd = socket(conf->metrics_ss.ss_family, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (const struct sockaddr *)&conf->metrics_ss,
	    conf->metrics_sslen) == -1 || listen(fd, CLIENTS_MAX) == -1) {
		log_warn("metrics listen on %s port %u", conf->metrics_addr,
		    conf->metrics_port);
		if (fd != -1)
			close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

void
control_close(void)
{
	struct client	*c;

	while ((c = TAILQ_FIRST(&clients)) != NULL)
		client_free(c);
	sock_close();
	if (servers[SRV_METRICS].fd != -1)
		close(servers[SRV_METRICS].fd);
	servers[SRV_METRICS].fd = -1;
	metrics_sslen = 0;
	free(polled);
	free(polled_srv);
	polled = NULL;
	polled_srv = NULL;
	npolled = polledsz = 0;
}

/* ---- The event loop's side ---- */

int
control_maintain(void)
{
	struct client	*c, *nc;
	int64_t		 now = now_ms(), next = -1;

	TAILQ_FOREACH_SAFE(c, &clients, entry, nc) {
		if (c->state == C_WAIT && (pool_progress_done(c->question) ||
		    c->deadline <= now)) {
			sessions_answer(c);
			now = now_ms();
		}
		if (c->deadline <= now) {
			log_debug("%s client: too slow to %s, dropped",
			    c->srv == SRV_CONTROL ? "control" : "metrics",
			    c->state == C_READ ? "ask" : "read its answer");
			client_free(c);
			continue;
		}
		if (next == -1 || c->deadline < next)
			next = c->deadline;
	}
	if (next == -1)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

size_t
control_npollfds(void)
{
	return SRV_MAX + servers[SRV_CONTROL].nclients +
	    servers[SRV_METRICS].nclients;
}

size_t
control_pollfds(struct pollfd *pfd, size_t max)
{
	struct client	*c;
	size_t		 i;

	if (polledsz < max) {
		if ((polled = reallocarray(polled, max, sizeof(*polled))) ==
		    NULL || (polled_srv = reallocarray(polled_srv, max,
		    sizeof(*polled_srv))) == NULL)
			fatal("%s", __func__);
		polledsz = max;
	}
	npolled = 0;
	for (i = 0; i < SRV_MAX && npolled < max; i++) {
		if (servers[i].fd == -1 || servers[i].nclients >= CLIENTS_MAX)
			continue;
		pfd[npolled].fd = servers[i].fd;
		pfd[npolled].events = POLLIN;
		pfd[npolled].revents = 0;
		polled[npolled] = NULL;
		polled_srv[npolled++] = (enum server)i;
	}
	TAILQ_FOREACH(c, &clients, entry) {
		if (c->state == C_WAIT || npolled == max)
			continue;
		pfd[npolled].fd = c->fd;
		pfd[npolled].events = c->state == C_READ ? POLLIN : POLLOUT;
		pfd[npolled].revents = 0;
		polled[npolled++] = c;
	}
	return npolled;
}

void
control_dispatch(const struct pollfd *pfd, size_t n)
{
	struct client	*c;
	size_t		 i;

	for (i = 0; i < n && i < npolled; i++) {
		if (pfd[i].revents == 0)
			continue;
		if ((c = polled[i]) == NULL) {
			if (pfd[i].fd == servers[polled_srv[i]].fd)
				server_accept(polled_srv[i]);
			continue;
		}
		/* Freed clients are not reached again: one entry each. */
		if (c->state == C_READ)
			client_read(c);
		else if (c->state == C_WRITE)
			client_write(c);
	}
}

/*
 * A new client.  The control socket takes root only: the directory
 * keeps others out already, SO_PEERCRED makes sure.
 */
static void
server_accept(enum server s)
{
	struct client	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 fd;

	if ((fd = accept4(servers[s].fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_warn("%s: accept", s == SRV_CONTROL ?
			    "control socket" : "metrics");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->srv = s;
	c->fd = fd;
	c->state = C_READ;
	c->deadline = now_ms() + READ_MS;
	buf_init(&c->out, ANSWER_MAX);
	TAILQ_INSERT_TAIL(&clients, c, entry);
	servers[s].nclients++;
	if (s != SRV_CONTROL)
		return;
	/* Refused once it has asked, so that it reads why. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control socket: SO_PEERCRED");
		c->refused = "error no credentials";
	} else if (cred.uid != 0) {
		log_warnx("control socket: uid %u pid %d refused: root only",
		    (unsigned int)cred.uid, (int)cred.pid);
		c->refused = "error permission denied: root only";
	}
}

static void
client_free(struct client *c)
{
	TAILQ_REMOVE(&clients, c, entry);
	servers[c->srv].nclients--;
	close(c->fd);
	buf_free(&c->out);
	free(c);
}

static void
client_read(struct client *c)
{
	size_t	 max = c->srv == SRV_CONTROL ? REQUEST_MAX : HTTP_HEAD_MAX;
	ssize_t	 n;

	n = recv(c->fd, c->req + c->reqlen, max - c->reqlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	/* Gone before it asked: no one to answer. */
	if (n <= 0) {
		client_free(c);
		return;
	}
	c->reqlen += (size_t)n;
	if (c->srv == SRV_CONTROL)
		control_request(c);
	else
		http_request(c);
}

static void
client_write(struct client *c)
{
	char	 scratch[4096];
	size_t	 got = 0;
	ssize_t	 n;

	while (buf_len(&c->out) > 0) {
		n = send(c->fd, buf_data(&c->out), buf_len(&c->out),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1) {
			client_free(c);
			return;
		}
		buf_drain(&c->out, (size_t)n);
		c->deadline = now_ms() + WRITE_MS;
	}
	/*
	 * What it sent past its request is read and thrown away: a close
	 * with unread bytes could reset the connection under the answer.
	 */
	while (got < DISCARD_MAX && (n = recv(c->fd, scratch,
	    sizeof(scratch), MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	(void)shutdown(c->fd, SHUT_WR);
	client_free(c);
}

/*
 * The answer is queued: "ok" and what follows it in c->out already, or
 * (not ok) line in place of all of it.
 */
static void
answer(struct client *c, const char *line, int ok)
{
	if (!ok) {
		buf_reset(&c->out);
		(void)buf_printf(&c->out, "%s\n", line);
	}
	c->state = C_WRITE;
	c->deadline = now_ms() + WRITE_MS;
}

/* ---- The control socket: COMMAND [ARGUMENT] [json] ---- */

static void
control_request(struct client *c)
{
	char	*nl, *p, *w[4];
	int	 nw = 0;

	if ((nl = memchr(c->req, '\n', c->reqlen)) == NULL) {
		if (c->reqlen >= REQUEST_MAX)
			answer(c, c->refused != NULL ? c->refused :
			    "error request too long", 0);
		return;
	}
	if (c->refused != NULL) {
		answer(c, c->refused, 0);
		return;
	}
	if (nl > c->req && nl[-1] == '\r')
		nl--;
	*nl = '\0';
	for (p = c->req; p < nl; p++)
		if (*p < 0x20 || *p > 0x7e) {
			answer(c, "error malformed request", 0);
			return;
		}
	for (p = strtok(c->req, " "); p != NULL; p = strtok(NULL, " ")) {
		if (nw == 3) {
			answer(c, "error too many words", 0);
			return;
		}
		w[nw++] = p;
	}
	if (nw > 1 && strcmp(w[nw - 1], "json") == 0) {
		c->json = 1;
		nw--;
	}
	if (nw == 0) {
		answer(c, "error empty request", 0);
		return;
	}
	control_command(c, w, nw);
}

static void
control_command(struct client *c, char **w, int nw)
{
	unsigned long long	 id;
	char			*end;
	int			 rc;

	(void)buf_printf(&c->out, "ok\n");
	if (strcmp(w[0], "status") == 0 && nw == 1) {
		if (status_render(&c->out, running, &self, c->json) == -1)
			answer(c, "error answer too large", 0);
		else
			answer(c, NULL, 1);
	} else if (strcmp(w[0], "sessions") == 0 && nw == 1) {
		/* Each worker's bytes so far first, within PROGRESS_MS. */
		c->question = pool_progress_ask();
		c->state = C_WAIT;
		c->deadline = now_ms() + PROGRESS_MS;
	} else if (strcmp(w[0], "kick") == 0 && nw == 2) {
		errno = 0;
		id = strtoull(w[1], &end, 10);
		if (w[1][0] < '0' || w[1][0] > '9' || *end != '\0' ||
		    errno != 0 || id == 0)
			answer(c, "error expected a session id", 0);
		else if (pool_kick(id, KICK_TEXT) == -1)
			answer(c, "error no such session", 0);
		else {
			(void)buf_printf(&c->out, c->json ?
			    "{\"kicked\":%llu}\n" : "session %llu: told to "
			    "end\n", id);
			answer(c, NULL, 1);
		}
	} else if (strcmp(w[0], "reload") == 0 && nw == 1) {
		/* The new configuration, or the old one: running follows. */
		rc = do_reload();
		if (rc == -1)
			answer(c, "error not reloaded: the running "
			    "configuration stays (the log says why)", 0);
		else {
			(void)buf_printf(&c->out, c->json ?
			    "{\"reloaded\":true}\n" : "reloaded\n");
			answer(c, NULL, 1);
		}
	} else if (strcmp(w[0], "metrics") == 0 && nw == 1 && !c->json) {
		if (metrics_render(&c->out, running, 0) == -1)
			answer(c, "error answer too large", 0);
		else
			answer(c, NULL, 1);
	} else
		answer(c, "error unknown request: expected status, sessions, "
		    "kick ID, reload or metrics", 0);
}

static void
sessions_answer(struct client *c)
{
	if (sessions_render(&c->out, c->json) == -1)
		answer(c, "error answer too large", 0);
	else
		answer(c, NULL, 1);
}

/* ---- The metrics listener: GET /metrics, HTTP/1.0 ---- */

static void
http_request(struct client *c)
{
	char	*end, *eol, *p, *sp1, *sp2;
	int	 head = 0, om = 0;

	end = memmem(c->req, c->reqlen, "\r\n\r\n", 4);
	if (end == NULL)
		end = memmem(c->req, c->reqlen, "\n\n", 2);
	if (end == NULL) {
		if (c->reqlen >= HTTP_HEAD_MAX)
			http_answer(c, 431, "Request Header Fields Too Large",
			    0, 0);
		return;
	}
	*end = '\0';
	if (memchr(c->req, '\0', (size_t)(end - c->req)) != NULL) {
		http_answer(c, 400, "Bad Request", 0, 0);
		return;
	}
	eol = c->req + strcspn(c->req, "\r\n");
	/* METHOD SP TARGET SP HTTP/1.x */
	if ((sp1 = memchr(c->req, ' ', (size_t)(eol - c->req))) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) == NULL ||
	    eol - sp2 != 9 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    (sp2[8] != '0' && sp2[8] != '1')) {
		http_answer(c, 400, "Bad Request", 0, 0);
		return;
	}
	if (sp1 - c->req == 4 && strncmp(c->req, "HEAD", 4) == 0)
		head = 1;
	else if (sp1 - c->req != 3 || strncmp(c->req, "GET", 3) != 0) {
		http_answer(c, 405, "Method Not Allowed", 0, 0);
		return;
	}
	if (sp2 - sp1 - 1 != 8 || strncmp(sp1 + 1, "/metrics", 8) != 0) {
		http_answer(c, 404, "Not Found", head, 0);
		return;
	}
	/* Accept: application/openmetrics-text, as Prometheus sends it. */
	for (p = eol; *p != '\0'; p += strcspn(p, "\r\n")) {
		p += strspn(p, "\r\n");
		if (strncasecmp(p, "accept:", 7) == 0 &&
		    strcspn(p, "\r\n") >= 7 + 28 &&
		    memmem(p, strcspn(p, "\r\n"),
		    "application/openmetrics-text", 28) != NULL)
			om = 1;
	}
	http_answer(c, 200, "OK", head, om);
}

static void
http_answer(struct client *c, int code, const char *reason, int head, int om)
{
	struct buf	 body;
	const char	*type = "text/plain; charset=utf-8";

	buf_init(&body, ANSWER_MAX);
	if (code == 200) {
		type = om ? "application/openmetrics-text; version=1.0.0; "
		    "charset=utf-8" : "text/plain; version=0.0.4; "
		    "charset=utf-8";
		if (metrics_render(&body, running, om) == -1) {
			buf_reset(&body);
			code = 500;
			reason = "Internal Server Error";
			type = "text/plain; charset=utf-8";
		}
	}
	if (code != 200)
		(void)buf_printf(&body, "%d %s\n", code, reason);
	buf_reset(&c->out);
	if (buf_printf(&c->out, "HTTP/1.0 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n%sConnection: close\r\n\r\n", code, reason,
	    type, buf_len(&body), code == 405 ? "Allow: GET, HEAD\r\n" : "") ==
	    -1 || (!head && buf_add(&c->out, buf_data(&body),
	    buf_len(&body)) == -1))
		buf_reset(&c->out);
	buf_free(&body);
	if (code != 200)
		log_debug("metrics: %d %s", code, reason);
	answer(c, NULL, 1);
}
