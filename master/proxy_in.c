/*
 * Reading the PROXY header of a client (proxy_in.h).  The root master
 * reads it because what it carries decides what the master does before
 * any worker is involved: the per-client limit and the wait queue count
 * the client's address, not the load balancer's.  What it reads is
 * bounded and reached only from the trusted networks: at most 107 bytes
 * (v1) or 16 + 1024 (v2), peeked, given to the parser
 * (proxy_header.c, fuzzed alone), and consumed up to the header's last
 * byte only, so the client's own first bytes (a TLS ClientHello) stay in
 * the socket for the worker.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include "addr_text.h"
#include "clock.h"
#include "listen.h"
#include "log.h"
#include "proxy_in.h"

struct pwait {
	TAILQ_ENTRY(pwait)	 entry;
	struct listener		*l;
	int			 fd;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	int64_t			 since;		/* accepted, ms */
	size_t			 have;		/* header bytes consumed */
	uint8_t			 buf[PROXY_HEADER_MAX];
};
TAILQ_HEAD(pwaitlist, pwait);

static struct pwaitlist	 waiting = TAILQ_HEAD_INITIALIZER(waiting);
static size_t		 nwaiting;
static int64_t		 timeout_ms = 5000;
static uint32_t		 max_waiting = 128;
static struct pwait	**polled;
static size_t		 npolled, polledsz;

static void	 pwait_end(struct pwait *, const char *, const char *);
static int	 pwait_read(struct pwait *, struct proxied *);

void
proxy_in_configure(const struct conf *conf)
{
	timeout_ms = (int64_t)conf->timeout_proxy * 1000;
	max_waiting = conf->max_queue;
}

int
proxy_in_trusted(const struct listener *l, const struct sockaddr_storage *ss)
{
	uint32_t	 i;

	for (i = 0; i < l->nproxy_from; i++)
		if (cidr_match(&l->proxy_from[i], (const struct sockaddr *)ss))
			return 1;
	return 0;
}


void
proxy_in_add(struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct pwait	*pw;

	if ((pw = calloc(1, sizeof(*pw))) == NULL)
		fatal("%s", __func__);
	pw->l = l;
	pw->fd = fd;
	memcpy(&pw->peer, ss, sslen);
	pw->peerlen = sslen;
	pw->since = now_ms();
	TAILQ_INSERT_TAIL(&waiting, pw, entry);
	nwaiting++;
}

int
proxy_in_accepting(const struct listener *l)
{
	struct pwait	*pw;
	uint32_t	 n = 0;

	if (l->nproxy_from == 0 || max_waiting == 0)
		return 1;
	TAILQ_FOREACH(pw, &waiting, entry)
		if (pw->l == l && ++n >= max_waiting)
			return 0;
	return 1;
}

/* Off the list and closed, with a log line that says why (NULL: none). */
static void
pwait_end(struct pwait *pw, const char *why, const char *detail)
{
	char	 host[NI_MAXHOST], port[NI_MAXSERV];

	TAILQ_REMOVE(&waiting, pw, entry);
	nwaiting--;
	if (why != NULL) {
		addr_text(&pw->peer, pw->peerlen, host, sizeof(host), port,
		    sizeof(port));
		log_info("%s: proxy %s port %s refused after %lld ms: %s%s%s; "
		    "closed", pw->l->name, host, port,
		    (long long)(now_ms() - pw->since), why,
		    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	}
	if (pw->fd != -1)
		close(pw->fd);
	free(pw);
}

/*
 * What the peer sent since: peeked, parsed, and as much consumed as is
 * the header's.  1 with *px filled when the header is whole, 0 when it
 * is not yet, -1 when the connection is to be closed (logged).
 */
static int
pwait_read(struct pwait *pw, struct proxied *px)
{
	enum proxy_result	 r;
	const char		*why;
	ssize_t			 n, got;
	size_t			 used, take;

	n = recv(pw->fd, pw->buf + pw->have, sizeof(pw->buf) - pw->have,
	    MSG_PEEK | MSG_DONTWAIT);
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		pwait_end(pw, "read", strerror(errno));
		return -1;
	}
	if (n == 0) {
		pwait_end(pw, pw->have == 0 ? "closed before a PROXY header" :
		    "closed inside its PROXY header", NULL);
		return -1;
	}
	r = proxy_header_parse(pw->buf, pw->have + (size_t)n, &used, &px->h,
	    &why);
	if (r == PROXY_BAD) {
		pwait_end(pw, "bad PROXY header", why);
		return -1;
	}
	take = r == PROXY_DONE ? used - pw->have : (size_t)n;
	/* The same bytes again, and not one past the header. */
	got = recv(pw->fd, pw->buf + pw->have, take, MSG_DONTWAIT);
	if (got != (ssize_t)take) {
		pwait_end(pw, "read", got == -1 ? strerror(errno) :
		    "short read of peeked bytes");
		return -1;
	}
	pw->have += take;
	if (r == PROXY_MORE)
		return 0;
	memcpy(&px->peer, &pw->peer, pw->peerlen);
	px->peerlen = pw->peerlen;
	return 1;
}

int
proxy_in_run(void)
{
	struct pwait	*pw, *next;
	int64_t		 now = now_ms(), due = -1;
	char		 why[64];

	TAILQ_FOREACH_SAFE(pw, &waiting, entry, next) {
		if (pw->since + timeout_ms <= now) {
			(void)snprintf(why, sizeof(why), "no PROXY header "
			    "within %lld s (%zu bytes of one)",
			    (long long)(timeout_ms / 1000), pw->have);
			pwait_end(pw, why, NULL);
			continue;
		}
		if (due == -1 || pw->since + timeout_ms < due)
			due = pw->since + timeout_ms;
	}
	if (due == -1)
		return -1;
	return (int)(due - now);
}

void
proxy_in_move(struct listener *to, struct listener *from)
{
	struct pwait	*pw;

	TAILQ_FOREACH(pw, &waiting, entry)
		if (pw->l == from)
			pw->l = to;
}

void
proxy_in_close(struct listener *l)
{
	struct pwait	*pw, *next;

	TAILQ_FOREACH_SAFE(pw, &waiting, entry, next)
		if (pw->l == l)
			pwait_end(pw, "listener closed", NULL);
}

size_t
proxy_in_npollfds(void)
{
	return nwaiting;
}

size_t
proxy_in_pollfds(struct pollfd *pfd, size_t max)
{
	struct pwait	*pw;

	if (polledsz < max) {
		if ((polled = reallocarray(polled, max, sizeof(*polled))) ==
		    NULL)
			fatal("%s", __func__);
		polledsz = max;
	}
	npolled = 0;
	TAILQ_FOREACH(pw, &waiting, entry) {
		if (npolled == max)
			break;
		pfd[npolled].fd = pw->fd;
		pfd[npolled].events = POLLIN;
		pfd[npolled].revents = 0;
		polled[npolled++] = pw;
	}
	return npolled;
}

/*
 * Right after poll(2): each waiter polled is handled once, and only it
 * leaves the list here, so polled[] stays valid throughout.
 */
void
proxy_in_dispatch(const struct pollfd *pfd, size_t n)
{
	struct proxied	*px;
	struct pwait	*pw;
	struct listener	*l;
	const struct sockaddr_storage *client;
	socklen_t	 clientlen;
	size_t		 i;
	int		 fd;
	char		 host[NI_MAXHOST], port[NI_MAXSERV];
	char		 chost[NI_MAXHOST], cport[NI_MAXSERV];

	for (i = 0; i < n && i < npolled; i++) {
		pw = polled[i];
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) ||
		    pw->fd != pfd[i].fd)
			continue;
		if ((px = calloc(1, sizeof(*px))) == NULL)
			fatal("%s", __func__);
		if (pwait_read(pw, px) != 1) {
			free(px);
			continue;
		}
		l = pw->l;
		fd = pw->fd;
		pw->fd = -1;
		if (px->h.local) {
			client = &px->peer;
			clientlen = px->peerlen;
		} else {
			client = &px->h.src;
			clientlen = px->h.srclen;
		}
		addr_text(&px->peer, px->peerlen, host, sizeof(host), port,
		    sizeof(port));
		addr_text(client, clientlen, chost, sizeof(chost), cport,
		    sizeof(cport));
		log_debug("%s: proxy %s port %s: PROXY v%d %s, client %s "
		    "port %s", l->name, host, port, px->h.version,
		    px->h.local ? "without an address (LOCAL or UNKNOWN)" :
		    "header", chost, cport);
		pwait_end(pw, NULL, NULL);
		listener_admit(l, fd, client, clientlen, px);
	}
	npolled = 0;
}
