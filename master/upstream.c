/*
 * Upstream health checks and the choice of server (upstream.h).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include "client_limit.h"
#include "clock.h"
#include "log.h"
#include "upstream.h"
#include "waitq.h"

/* The tags of the check's IMAP commands. */
#define CHECK_CAPA_IMAP	"p1 CAPABILITY\r\n"
#define CHECK_TAG_IMAP	"p1 "
#define CHECK_CAPA_POP3	"CAPA\r\n"

/* A client of a named upstream, its connect in progress. */
struct upconn {
	TAILQ_ENTRY(upconn)	 entry;
	struct listener		*l;
	int			 fd;		/* the client's */
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct client_count	*cc;
	struct proxied		*px;
	int			 up;		/* -1 between servers */
	struct upstream_server	*srv;
	uint8_t			 tried[CONF_UPSTREAM_SERVERS_MAX];
	int64_t			 deadline;	/* ms */
	uint64_t		 polled;	/* the poll round it is in */
};
TAILQ_HEAD(upconnlist, upconn);

/* What upstream_pollfds() put where: a check or a connect. */
struct polled {
	struct upcheck		*ck;
	struct upconn		*c;
};

static struct conf	*cur;
static struct upconnlist conns = TAILQ_HEAD_INITIALIZER(conns);
static size_t		 nconns;
static struct polled	*polled;
static size_t		 npolled, polledsz;
static uint64_t		 round_no;

static void	 check_start(struct upcheck *, int64_t);
static void	 check_connected(struct upcheck *);
static void	 check_read(struct upcheck *);
static int	 check_line(struct upcheck *, const char *);
static void	 check_end(struct upcheck *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 capa_add(struct upcheck *, const char *);
static struct upcheck *state_find(const struct upstream *,
		    const struct upstream_server *);
static struct upstream_server *pick(struct upstream *, const uint8_t *, int);
static int	 session_socket(const struct upstream_server *);
static void	 conn_next(struct upconn *);
static void	 conn_restart(struct upconn *);
static void	 conn_failed(struct upconn *, const char *);
static void	 conn_done(struct upconn *);
static void	 conn_refuse(struct upconn *, const char *);
static void	 conn_free(struct upconn *);
static void	 conn_client(const struct upconn *, char *, size_t,
		    uint16_t *);

#define FOREACH_CHECK(ck, u, i)						\
	TAILQ_FOREACH((u), &cur->upstreams, entry)			\
		for ((i) = 0; (i) < (u)->nservers &&			\
		    ((ck) = (u)->servers[(i)].check) != NULL; (i)++)

/*
 * The upstream a session of l is routed to (postern.rules(5), route):
 * a named upstream "routed" for l's protocol, or the listener's own.
 * NULL, with a log line, for any other name: the caller takes l's own.
 */
struct upstream *
upstream_routed(const struct listener *l, const char *name, uint64_t id)
{
	struct upstream	*u;

	if (name[0] == '\0' || (l->upstream != NULL &&
	    !l->upstream->anonymous && strcmp(name, l->upstream->name) == 0))
		return l->upstream;
	if (cur == NULL || (u = conf_upstream_find(cur, name)) == NULL ||
	    u->anonymous) {
		log_warnx("%s: session %llu: route to upstream %s, which "
		    "postern.conf does not define: the listener's upstream "
		    "instead", l->name, (unsigned long long)id, name);
		return NULL;
	}
	if (u->routed != l->protocol) {
		log_warnx("%s: session %llu: route to upstream %s, which has "
		    "no 'upstream %s routed %s' line: the listener's upstream "
		    "instead", l->name, (unsigned long long)id, name, name,
		    l->protocol == WORKER_PROTO_POP3 ? "pop3" : "imap");
		return NULL;
	}
	return u;
}

const char *
upstream_label(const struct upstream *u)
{
	static char	 buf[WORKER_NAME_MAX + 32];

	(void)snprintf(buf, sizeof(buf), "%s%s", u->anonymous ?
	    "upstream of " : "upstream ", u->name);
	return buf;
}

/* The same server in the configuration before, if any. */
static struct upcheck *
state_find(const struct upstream *nu, const struct upstream_server *ns)
{
	struct upstream	*u;
	uint32_t	 i;

	if (cur == NULL)
		return NULL;
	TAILQ_FOREACH(u, &cur->upstreams, entry) {
		if (u->anonymous != nu->anonymous ||
		    strcmp(u->name, nu->name) != 0)
			continue;
		for (i = 0; i < u->nservers; i++)
			if (u->servers[i].sslen == ns->sslen &&
			    memcmp(&u->servers[i].ss, &ns->ss,
			    ns->sslen) == 0)
				return u->servers[i].check;
	}
	return NULL;
}

void
upstream_configure(struct conf *conf)
{
	struct upstream		*u;
	struct upstream_server	*srv;
	struct upcheck		*ck, *old;
	int64_t			 now = now_ms();
	uint32_t		 i;

	TAILQ_FOREACH(u, &conf->upstreams, entry)
		for (i = 0; i < u->nservers; i++) {
			srv = &u->servers[i];
			if ((ck = calloc(1, sizeof(*ck))) == NULL)
				fatal("%s", __func__);
			ck->u = u;
			ck->srv = srv;
			ck->fd = -1;
			ck->up = 1;
			ck->since = time(NULL);
			/* The first checks at once, then every "every". */
			ck->next = now;
			if ((old = state_find(u, srv)) != NULL) {
				ck->up = old->up;
				ck->passed = old->passed;
				ck->failed = old->failed;
				ck->since = old->since;
				memcpy(ck->capability, old->capability,
				    sizeof(ck->capability));
				memcpy(ck->error, old->error,
				    sizeof(ck->error));
				ck->checks = old->checks;
				ck->checks_failed = old->checks_failed;
				ck->sessions = old->sessions;
				ck->connect_failures = old->connect_failures;
			}
			/* No check now: nothing would put it back. */
			if (u->check_line == 0)
				ck->up = 1;
			srv->check = ck;
		}
	if (cur != NULL)
		FOREACH_CHECK(ck, u, i) {
			if (ck->fd != -1)
				close(ck->fd);
			u->servers[i].check = NULL;
			free(ck);
		}
	cur = conf;
}

void
upstream_states_free(void)
{
	struct upstream	*u;
	struct upcheck	*ck;
	uint32_t	 i;

	if (cur == NULL)
		return;
	FOREACH_CHECK(ck, u, i) {
		if (ck->fd != -1)
			close(ck->fd);
		u->servers[i].check = NULL;
		free(ck);
	}
	cur = NULL;
}

int
upstream_maintain(void)
{
	struct upstream	*u;
	struct upcheck	*ck;
	int64_t		 now = now_ms(), next = -1;
	uint32_t	 i;

	struct upconn	*c, *cn;

	TAILQ_FOREACH_SAFE(c, &conns, entry, cn) {
		if (c->up == -1) {
			conn_restart(c);
			continue;	/* c may be gone */
		}
		if (c->deadline <= now) {
			char	 why[64];

			(void)snprintf(why, sizeof(why), "no connection "
			    "within %u s", c->l->upstream->timeout);
			conn_failed(c, why);
			continue;	/* c may be gone */
		}
	}
	TAILQ_FOREACH(c, &conns, entry)
		if (next == -1 || c->deadline < next)
			next = c->deadline;
	if (cur == NULL)
		goto out;
	FOREACH_CHECK(ck, u, i) {
		if (u->check_line == 0)
			continue;
		if (ck->next <= now) {
			if (ck->state == UPCHECK_IDLE)
				check_start(ck, now);
			else
				check_end(ck, 0, "no %s within %u s",
				    ck->state == UPCHECK_CONNECT ?
				    "connection" : ck->state ==
				    UPCHECK_GREETING ? "greeting" :
				    u->protocol == WORKER_PROTO_POP3 ?
				    "end of CAPA" : "end of CAPABILITY",
				    u->timeout);
		}
		if (next == -1 || ck->next < next)
			next = ck->next;
	}
 out:
	if (next == -1)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static void
check_start(struct upcheck *ck, int64_t now)
{
	struct upstream_server	*srv = ck->srv;

	ck->len = 0;
	ck->capa_ok = 0;
	ck->capa_new[0] = '\0';
	ck->next = now + (int64_t)ck->u->timeout * 1000;
	if ((ck->fd = socket(srv->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		check_end(ck, 0, "socket: %s", strerror(errno));
		return;
	}
	if (connect(ck->fd, (struct sockaddr *)&srv->ss, srv->sslen) == 0) {
		check_connected(ck);
		return;
	}
	if (errno != EINPROGRESS) {
		check_end(ck, 0, "connect: %s", strerror(errno));
		return;
	}
	ck->state = UPCHECK_CONNECT;
}

/*
 * Over implicit TLS the master, which holds no TLS, can only see the
 * connection made: that is the check.
 */
static void
check_connected(struct upcheck *ck)
{
	if (ck->srv->opts.tls == WORKER_UPTLS_IMPLICIT)
		check_end(ck, 1, NULL);
	else
		ck->state = UPCHECK_GREETING;
}

size_t
upstream_npollfds(void)
{
	struct upstream	*u;
	struct upcheck	*ck;
	uint32_t	 i;
	size_t		 n = nconns;

	if (cur == NULL)
		return n;
	FOREACH_CHECK(ck, u, i)
		if (ck->fd != -1)
			n++;
	return n;
}

size_t
upstream_pollfds(struct pollfd *pfd, size_t max)
{
	struct upstream	*u;
	struct upcheck	*ck;
	struct upconn	*c;
	uint32_t	 i;

	if (polledsz < max) {
		if ((polled = reallocarray(polled, max, sizeof(*polled))) ==
		    NULL)
			fatal("%s", __func__);
		polledsz = max;
	}
	npolled = 0;
	round_no++;
	TAILQ_FOREACH(c, &conns, entry) {
		if (c->up == -1 || npolled == max)
			continue;
		pfd[npolled].fd = c->up;
		pfd[npolled].events = POLLOUT;
		pfd[npolled].revents = 0;
		polled[npolled].ck = NULL;
		polled[npolled++].c = c;
		c->polled = round_no;
	}
	if (cur == NULL)
		return npolled;
	FOREACH_CHECK(ck, u, i) {
		if (ck->fd == -1 || npolled == max)
			continue;
		pfd[npolled].fd = ck->fd;
		pfd[npolled].events = ck->state == UPCHECK_CONNECT ? POLLOUT :
		    POLLIN;
		pfd[npolled].revents = 0;
		polled[npolled].c = NULL;
		polled[npolled++].ck = ck;
	}
	return npolled;
}

/* Was c polled in this round, and is it still there, on that fd? */
static struct upconn *
conn_polled(struct upconn *p, int fd)
{
	struct upconn	*c;

	TAILQ_FOREACH(c, &conns, entry)
		if (c == p && c->polled == round_no && c->up == fd)
			return c;
	return NULL;
}

/*
 * Runs right after poll(2), before a reload can free a check, so
 * polled[] holds; a connect is looked up, since one that ends may start
 * the next on the same descriptor number.
 */
void
upstream_dispatch(const struct pollfd *pfd, size_t n)
{
	struct upcheck	*ck;
	struct upconn	*c;
	size_t		 j;
	socklen_t	 len;
	int		 err;

	for (j = 0; j < n && j < npolled; j++) {
		if (pfd[j].revents == 0)
			continue;
		len = sizeof(err);
		if (polled[j].c != NULL) {
			if ((c = conn_polled(polled[j].c, pfd[j].fd)) == NULL)
				continue;
			c->polled = 0;
			if (getsockopt(c->up, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
			if (err != 0)
				conn_failed(c, strerror(err));
			else
				conn_done(c);
			continue;
		}
		ck = polled[j].ck;
		if (ck->fd != pfd[j].fd)
			continue;
		if (ck->state == UPCHECK_CONNECT) {
			if (getsockopt(ck->fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
			if (err != 0)
				check_end(ck, 0, "connect: %s", strerror(err));
			else
				check_connected(ck);
		} else
			check_read(ck);
	}
	npolled = 0;
}

/* Reads what came and takes each whole line. */
static void
check_read(struct upcheck *ck)
{
	char	*nl, *lf;
	ssize_t	 r;
	size_t	 used;

	r = recv(ck->fd, ck->line + ck->len, sizeof(ck->line) - 1 - ck->len,
	    MSG_DONTWAIT);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == -1) {
		check_end(ck, 0, "read: %s", strerror(errno));
		return;
	}
	if (r == 0) {
		check_end(ck, 0, "closed by the server");
		return;
	}
	ck->len += (size_t)r;
	ck->line[ck->len] = '\0';
	while ((lf = memchr(ck->line, '\n', ck->len)) != NULL) {
		*lf = '\0';
		used = (size_t)(lf - ck->line) + 1;
		if ((nl = strchr(ck->line, '\r')) != NULL)
			*nl = '\0';
		if (check_line(ck, ck->line) == 1)
			return;	/* the check is over */
		memmove(ck->line, ck->line + used, ck->len - used);
		ck->len -= used;
		ck->line[ck->len] = '\0';
	}
	if (ck->len == sizeof(ck->line) - 1)
		check_end(ck, 0, "a line longer than %zu bytes",
		    sizeof(ck->line) - 1);
}

/* One line of the server's answer; 1 when the check is over. */
static int
check_line(struct upcheck *ck, const char *s)
{
	int		 pop3 = ck->u->protocol == WORKER_PROTO_POP3;
	const char	*cmd = pop3 ? CHECK_CAPA_POP3 : CHECK_CAPA_IMAP;
	ssize_t		 w;

	if (ck->state == UPCHECK_GREETING) {
		if ((pop3 && strncmp(s, "+OK", 3) != 0) ||
		    (!pop3 && strncasecmp(s, "* OK", 4) != 0)) {
			check_end(ck, 0, "greeting not %s: \"%.60s\"",
			    pop3 ? "+OK" : "* OK", s);
			return 1;
		}
		if (!ck->u->capability) {
			check_end(ck, 1, NULL);
			return 1;
		}
		/* A fresh socket takes a short line whole. */
		w = send(ck->fd, cmd, strlen(cmd), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w != (ssize_t)strlen(cmd)) {
			check_end(ck, 0, "send %s: %s", pop3 ? "CAPA" :
			    "CAPABILITY", w == -1 ? strerror(errno) :
			    "short write");
			return 1;
		}
		ck->state = UPCHECK_CAPA;
		return 0;
	}
	if (pop3) {
		if (!ck->capa_ok) {
			if (strncmp(s, "+OK", 3) != 0) {
				check_end(ck, 0, "CAPA answered \"%.60s\"", s);
				return 1;
			}
			ck->capa_ok = 1;
		} else if (strcmp(s, ".") == 0) {
			check_end(ck, 1, NULL);
			return 1;
		} else
			capa_add(ck, s);
		return 0;
	}
	if (strncasecmp(s, "* CAPABILITY ", 13) == 0)
		capa_add(ck, s + 13);
	else if (strncasecmp(s, CHECK_TAG_IMAP, 3) == 0) {
		if (strncasecmp(s + 3, "OK", 2) == 0)
			check_end(ck, 1, NULL);
		else
			check_end(ck, 0, "CAPABILITY answered \"%.60s\"", s);
		return 1;
	}
	return 0;
}

/*
 * IMAP's CAPABILITY words, space-separated; POP3 CAPA's lines, one a
 * line (LF-separated): a line has words of its own ("SASL PLAIN").
 */
static void
capa_add(struct upcheck *ck, const char *s)
{
	size_t	 have = strlen(ck->capa_new);
	int	 pop3 = ck->u->protocol == WORKER_PROTO_POP3;

	/* What does not fit is left out whole rather than cut. */
	if (have + 1 + strlen(s) >= sizeof(ck->capa_new))
		return;
	(void)snprintf(ck->capa_new + have, sizeof(ck->capa_new) - have,
	    "%s%s", have == 0 ? "" : pop3 ? "\n" : " ", s);
}

/* The check passed (ok) or failed (why); the server may change state. */
static void
check_end(struct upcheck *ck, int ok, const char *fmt, ...)
{
	struct upstream_server	*srv = ck->srv;
	va_list			 ap;

	if (ck->fd != -1) {
		close(ck->fd);
		ck->fd = -1;
	}
	ck->state = UPCHECK_IDLE;
	ck->next = now_ms() + (int64_t)ck->u->every * 1000;
	ck->checks++;
	if (ok) {
		if (ck->u->capability)
			memcpy(ck->capability, ck->capa_new,
			    sizeof(ck->capability));
		ck->failed = 0;
		if (++ck->passed >= ck->u->rise && !ck->up) {
			ck->up = 1;
			ck->since = time(NULL);
			log_info("%s: server %s port %u is up: %u checks "
			    "passed in a row (rise %u)", upstream_label(ck->u),
			    srv->addr, srv->port, ck->passed, ck->u->rise);
		}
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(ck->error, sizeof(ck->error), fmt, ap);
	va_end(ap);
	ck->checks_failed++;
	ck->passed = 0;
	log_debug("%s: server %s port %u: check failed: %s",
	    upstream_label(ck->u), srv->addr, srv->port, ck->error);
	if (++ck->failed >= ck->u->fall && ck->up) {
		ck->up = 0;
		ck->since = time(NULL);
		log_warnx("%s: server %s port %u is down: %u checks failed "
		    "in a row (fall %u), the last: %s", upstream_label(ck->u),
		    srv->addr, srv->port, ck->failed, ck->u->fall, ck->error);
	}
}

int
upstream_available(const struct upstream *u)
{
	uint32_t	 i;

	for (i = 0; i < u->nservers; i++)
		if (u->servers[i].check == NULL || u->servers[i].check->up)
			return 1;
	return 0;
}

/*
 * Smooth weighted round robin (as nginx's): each candidate gains its
 * weight, the one with the most is chosen and loses the sum of all, so
 * weights 5, 1, 1 give a, a, b, a, c, a, a rather than a run of five.
 */
static struct upstream_server *
pick(struct upstream *u, const uint8_t *tried, int backup)
{
	struct upstream_server	*srv, *best = NULL;
	struct upcheck		*ck;
	int64_t			 total = 0;
	uint32_t		 i;

	for (i = 0; i < u->nservers; i++) {
		srv = &u->servers[i];
		ck = srv->check;
		if (tried[i] || srv->backup != backup ||
		    (ck != NULL && !ck->up))
			continue;
		if (ck == NULL)
			return srv;
		ck->current += srv->weight;
		total += srv->weight;
		if (best == NULL || ck->current > best->check->current)
			best = srv;
	}
	if (best != NULL)
		best->check->current -= total;
	return best;
}

const char *
upstream_capability(const struct upstream *u)
{
	const struct upcheck	*ck;
	uint32_t		 i;

	for (i = 0; i < u->nservers; i++)
		if ((ck = u->servers[i].check) != NULL && ck->up &&
		    ck->capability[0] != '\0')
			return ck->capability;
	return "";
}

/*
 * A socket for a session's connection to srv, TCP_NODELAY set before it
 * connects (IMAP is a dialogue of short lines: Nagle would hold a
 * command back for the server's delayed ACK; the worker's filter allows
 * no setsockopt).  -1 with errno.
 */
static int
session_socket(const struct upstream_server *srv)
{
	int	 fd, on = 1;

	if ((fd = socket(srv->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if ((srv->ss.ss_family == AF_INET || srv->ss.ss_family == AF_INET6) &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_warn("TCP_NODELAY on a socket to %s port %u", srv->addr,
		    srv->port);
	return fd;
}

int
upstream_connect(struct upstream *u, const char *listener, uint64_t session,
    struct upstream_server **out)
{
	struct upstream_server	*srv;
	uint8_t			 tried[CONF_UPSTREAM_SERVERS_MAX];
	int			 fd, err = 0;

	*out = NULL;
	memset(tried, 0, sizeof(tried));
	for (;;) {
		if ((srv = pick(u, tried, 0)) == NULL &&
		    (srv = pick(u, tried, 1)) == NULL)
			break;
		tried[srv - u->servers] = 1;
		*out = srv;
		if ((fd = session_socket(srv)) != -1 &&
		    (connect(fd, (struct sockaddr *)&srv->ss,
		    srv->sslen) == 0 || errno == EINPROGRESS)) {
			if (srv->check != NULL)
				srv->check->sessions++;
			return fd;
		}
		err = errno;
		if (fd != -1)
			close(fd);
		if (srv->check != NULL)
			srv->check->connect_failures++;
		log_warnx("%s: session %llu: %s: connect to server %s port "
		    "%u: %s", listener, (unsigned long long)session,
		    upstream_label(u), srv->addr, srv->port, strerror(err));
	}
	errno = err;
	return -1;
}

void
upstream_pick_set(struct upstream_pick *p, const struct upstream *u,
    const struct upstream_server *srv)
{
	memset(p, 0, sizeof(*p));
	if (!u->anonymous)
		memcpy(p->name, u->name, sizeof(p->name));
	memcpy(p->addr, srv->addr, sizeof(p->addr));
	p->port = srv->port;
	p->family = srv->ss.ss_family;
}

static void
conn_client(const struct upconn *c, char *host, size_t len, uint16_t *port)
{
	*port = 0;
	if (getnameinfo((const struct sockaddr *)&c->ss, c->sslen, host, len,
	    NULL, 0, NI_NUMERICHOST) != 0)
		(void)snprintf(host, len, "unknown");
	if (c->ss.ss_family == AF_INET)
		*port = ntohs(((const struct sockaddr_in *)&c->ss)->sin_port);
	else if (c->ss.ss_family == AF_INET6)
		*port = ntohs(((const struct sockaddr_in6 *)&c->ss)->sin6_port);
}

void
upstream_admit(struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t sslen, struct client_count *cc, struct proxied *px)
{
	struct upconn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s", __func__);
	c->l = l;
	c->fd = fd;
	memcpy(&c->ss, ss, sslen);
	c->sslen = sslen;
	c->cc = cc;
	c->px = px;
	c->up = -1;
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
	conn_next(c);
}

/* The next server that is up and not tried, or the refusal. */
static void
conn_next(struct upconn *c)
{
	struct upstream		*u = c->l->upstream;
	struct upstream_server	*srv;

	for (;;) {
		if ((srv = pick(u, c->tried, 0)) == NULL &&
		    (srv = pick(u, c->tried, 1)) == NULL) {
			conn_refuse(c, "no server of it could be connected");
			return;
		}
		c->tried[srv - u->servers] = 1;
		c->srv = srv;
		c->deadline = now_ms() + (int64_t)u->timeout * 1000;
		if ((c->up = session_socket(srv)) == -1) {
			conn_failed(c, strerror(errno));
			return;
		}
		if (connect(c->up, (struct sockaddr *)&srv->ss,
		    srv->sslen) == 0) {
			conn_done(c);
			return;
		}
		if (errno == EINPROGRESS)
			return;		/* upstream_dispatch() goes on */
		conn_failed(c, strerror(errno));
		return;
	}
}

/* This server would not take the connection: the next one. */
static void
conn_failed(struct upconn *c, const char *why)
{
	struct upstream_server	*srv = c->srv;
	char			 host[WORKER_ADDR_MAX];
	uint16_t		 port;

	if (c->up != -1) {
		close(c->up);
		c->up = -1;
	}
	c->polled = 0;
	if (srv == NULL) {
		conn_next(c);
		return;
	}
	if (srv->check != NULL)
		srv->check->connect_failures++;
	conn_client(c, host, sizeof(host), &port);
	log_warnx("%s: client %s port %u: %s: connect to server %s port %u: "
	    "%s; trying the next server", c->l->name, host, port,
	    upstream_label(c->l->upstream), srv->addr, srv->port, why);
	conn_next(c);
}

/*
 * After a reload moved c (upstream_move()): on to the new upstream's
 * servers, or, when the listener's upstream is now anonymous, to the
 * wait queue without a connection, as such a listener's clients go.
 */
static void
conn_restart(struct upconn *c)
{
	struct listener	*l = c->l;

	if (l->upstream != NULL && !l->upstream->anonymous) {
		conn_next(c);
		return;
	}
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	waitq_add(l, c->fd, &c->ss, c->sslen, c->cc, c->px, -1, NULL);
	free(c);
}

/* Connected: the client waits for a worker with its connection. */
static void
conn_done(struct upconn *c)
{
	struct upstream_pick	 p;
	struct listener		*l = c->l;

	upstream_pick_set(&p, l->upstream, c->srv);
	if (c->srv->check != NULL)
		c->srv->check->sessions++;
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	waitq_add(l, c->fd, &c->ss, c->sslen, c->cc, c->px, c->up, &p);
	free(c);
}

static void
conn_refuse(struct upconn *c, const char *why)
{
	char		 host[WORKER_ADDR_MAX];
	uint16_t	 port;

	conn_client(c, host, sizeof(host), &port);
	log_warnx("%s: client %s port %u refused: %s: %s%s", c->l->name,
	    host, port, upstream_label(c->l->upstream), why,
	    c->l->tls_mode == WORKER_TLS_IMPLICIT ?
	    " (TLS listener: closed without a word)" : "");
	waitq_refuse(c->l, c->fd, WAITQ_UNAVAILABLE);
	c->fd = -1;
	conn_free(c);
}

static void
conn_free(struct upconn *c)
{
	if (c->up != -1)
		close(c->up);
	if (c->fd != -1)
		close(c->fd);
	client_limit_release(c->cc);
	free(c->px);
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	free(c);
}

/*
 * Called while the new configuration is bound, before its pools exist,
 * so nothing is started here: a connection under way to a server the
 * new upstream still has stays, and the others start again from
 * upstream_maintain().  The servers tried are forgotten.
 */
void
upstream_move(struct listener *to, struct listener *from)
{
	struct upconn		*c;
	struct upstream		*u = to->upstream;
	uint32_t		 i;

	TAILQ_FOREACH(c, &conns, entry) {
		if (c->l != from)
			continue;
		c->l = to;
		memset(c->tried, 0, sizeof(c->tried));
		if (u == NULL || u->anonymous) {
			/* Now the worker connects: give up this one. */
			if (c->up != -1)
				close(c->up);
			c->up = -1;
			c->srv = NULL;
			continue;
		}
		for (i = 0; c->srv != NULL && i < u->nservers; i++)
			if (u->servers[i].sslen == c->srv->sslen &&
			    memcmp(&u->servers[i].ss, &c->srv->ss,
			    c->srv->sslen) == 0)
				break;
		if (c->srv != NULL && i < u->nservers) {
			c->srv = &u->servers[i];
			c->tried[i] = 1;
			continue;
		}
		/* Not a server of the upstream any more. */
		if (c->up != -1)
			close(c->up);
		c->up = -1;
		c->srv = NULL;
	}
}

uint32_t
upstream_connecting(const struct listener *l)
{
	struct upconn	*c;
	uint32_t	 n = 0;

	TAILQ_FOREACH(c, &conns, entry)
		if (c->l == l)
			n++;
	return n;
}

void
upstream_close(struct listener *l)
{
	struct upconn	*c, *cn;

	TAILQ_FOREACH_SAFE(c, &conns, entry, cn)
		if (c->l == l)
			conn_refuse(c, "listener closed");
}
