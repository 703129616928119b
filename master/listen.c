/*
 * Listening sockets and the hand-off of a new client to a worker.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "listen.h"
#include "client_limit.h"
#include "clock.h"
#include "log.h"
#include "pool.h"
#include "proto_worker.h"
#include "proxy_in.h"
#include "upstream.h"
#include "waitq.h"

/*
 * The kernel's limit (net.core.somaxconn) is what takes effect.  A login
 * storm fills a short backlog before posternd has accepted: the kernel
 * then drops the client's last ACK (or, with SYN cookies, forgets the
 * connection), and an IMAP client, which waits for the greeting, waits
 * on a connection posternd never sees.
 */
#define LISTEN_BACKLOG	SOMAXCONN
/* Out of descriptors: the backlog waits this long rather than spin. */
#define ACCEPT_PAUSE_MS	1000

static int	listener_open(struct listener *);
static void	sockaddr_text(const struct sockaddr_storage *, socklen_t,
		    char *, size_t, uint16_t *);

static uint64_t	 next_session;
static int64_t	 paused_until;	/* CLOCK_MONOTONIC ms */

int
listeners_paused(void)
{
	int64_t	 left;

	if (paused_until == 0)
		return 0;
	if ((left = paused_until - now_ms()) <= 0) {
		paused_until = 0;
		return 0;
	}
	return (int)left;
}

static int
listener_open(struct listener *l)
{
	int	 fd, on = 1;

	if ((fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket for %s port %u", l->name, l->addr,
		    l->port);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		log_warn("%s: SO_REUSEADDR", l->name);
	/*
	 * IMAP is a dialogue of short lines: Nagle would hold a reply back
	 * for the peer's delayed ACK.  The worker's filter allows no
	 * setsockopt; Linux gives an accepted socket the listener's
	 * TCP_NODELAY, so no call per client is needed.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_warn("%s: TCP_NODELAY", l->name);
	/* "::" means IPv6 only; "*" or 0.0.0.0 is for IPv4. */
	if (l->ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		log_warn("%s: IPV6_V6ONLY", l->name);
	if (bind(fd, (struct sockaddr *)&l->ss, l->sslen) == -1) {
		log_warn("%s: bind %s port %u", l->name, l->addr, l->port);
		close(fd);
		return -1;
	}
	if (listen(fd, LISTEN_BACKLOG) == -1) {
		log_warn("%s: listen on %s port %u", l->name, l->addr,
		    l->port);
		close(fd);
		return -1;
	}
	l->fd = fd;
	return 0;
}

int
listeners_bind(struct conf *conf, struct conf *old)
{
	struct listener	*l, *o;

	TAILQ_FOREACH(l, &conf->listeners, entry) {
		o = old ? conf_listener_find(old, &l->ss, l->sslen) : NULL;
		if (o != NULL && o->fd != -1)
			continue;
		if (listener_open(l) == -1)
			goto fail;
	}
	/* All bound: now take the old sockets over. */
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		o = old ? conf_listener_find(old, &l->ss, l->sslen) : NULL;
		if (o != NULL && o->fd != -1 && l->fd == -1) {
			l->fd = o->fd;
			o->fd = -1;
			waitq_move(l, o);
		}
	}
	return 0;
 fail:
	listeners_close(conf);
	return -1;
}

void
listeners_close(struct conf *conf)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (l->fd != -1) {
			close(l->fd);
			l->fd = -1;
			waitq_close(l);
		}
}

static void
sockaddr_text(const struct sockaddr_storage *ss, socklen_t len, char *host,
    size_t hostlen, uint16_t *port)
{
	*port = 0;
	if (getnameinfo((const struct sockaddr *)ss, len, host, hostlen, NULL,
	    0, NI_NUMERICHOST) != 0)
		snprintf(host, hostlen, "unknown");
	if (ss->ss_family == AF_INET)
		*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	else if (ss->ss_family == AF_INET6)
		*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/*
 * Every client is accepted as soon as it comes, whether a worker is idle
 * or not: the wait queue (waitq.c) holds it, and refuses it in words,
 * rather than leave it in the backlog with no greeting.  On a
 * "proxy-protocol from" listener the client's address is the PROXY
 * header's, read first (proxy_in.c); a peer outside those networks is
 * closed at once.
 */
int
listener_accept(struct listener *l)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	uint16_t		 port;
	int			 fd;
	char			 host[WORKER_ADDR_MAX];

	if ((fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			log_warn("%s: accept, pausing for %d ms", l->name,
			    ACCEPT_PAUSE_MS);
			paused_until = now_ms() + ACCEPT_PAUSE_MS;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_warn("%s: accept", l->name);
		return 0;
	}
	if (l->nproxy_from == 0) {
		listener_admit(l, fd, &ss, len, NULL);
		return 1;
	}
	if (!proxy_in_trusted(l, &ss)) {
		sockaddr_text(&ss, len, host, sizeof(host), &port);
		log_info("%s: client %s port %u refused: not in the networks "
		    "of proxy-protocol from, which alone may connect here; "
		    "closed", l->name, host, port);
		close(fd);
		return 1;
	}
	proxy_in_add(l, fd, &ss, len);
	return 1;
}

void
listener_admit(struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t len, struct proxied *px)
{
	struct client_count	*cc;
	uint32_t		 n, limit = waitq_per_client();
	uint16_t		 port;
	char			 host[WORKER_ADDR_MAX], key[WORKER_ADDR_MAX + 4];

	if ((cc = client_limit_take(ss, limit, &n)) == NULL) {
		sockaddr_text(ss, len, host, sizeof(host), &port);
		client_limit_key(ss, key, sizeof(key));
		log_info("%s: client %s port %u refused: %u connections from "
		    "%s (limit connections per-client %u)%s", l->name, host,
		    port, n, key, limit, l->tls_mode == WORKER_TLS_IMPLICIT ?
		    " (TLS listener: closed without a word)" : "");
		waitq_refuse(l, fd, WAITQ_PERCLIENT);
		free(px);
		return;
	}
	/* No worker is taken, nor a place in the queue, for nothing. */
	if (l->upstream != NULL && !upstream_available(l->upstream)) {
		sockaddr_text(ss, len, host, sizeof(host), &port);
		log_warnx("%s: client %s port %u refused: no server of %s is "
		    "up%s", l->name, host, port, upstream_label(l->upstream),
		    l->tls_mode == WORKER_TLS_IMPLICIT ?
		    " (TLS listener: closed without a word)" : "");
		waitq_refuse(l, fd, WAITQ_UNAVAILABLE);
		client_limit_release(cc);
		free(px);
		return;
	}
	/* login proxy: nothing is connected before the login. */
	if (l->upstream != NULL && !l->upstream->anonymous && !l->login_proxy)
		upstream_admit(l, fd, ss, len, cc, px);
	else
		waitq_add(l, fd, ss, len, cc, px, -1, NULL);
}

/* What the PROXY header said, into the session (proto_worker.h). */
static void
session_proxied(struct worker_session *s, const struct proxied *px)
{
	const struct proxy_header	*h = &px->h;

	s->proxy = (uint32_t)h->version;
	s->proxy_flags = h->flags;
	sockaddr_text(&px->peer, px->peerlen, s->proxy_addr,
	    sizeof(s->proxy_addr), &s->proxy_port);
	if (h->local)
		s->proxy_flags |= WORKER_PROXY_LOCAL;
	else
		sockaddr_text(&h->dst, h->dstlen, s->dest_addr,
		    sizeof(s->dest_addr), &s->dest_port);
	memcpy(s->proxy_alpn, h->alpn, sizeof(s->proxy_alpn));
	memcpy(s->proxy_authority, h->authority, sizeof(s->proxy_authority));
	memcpy(s->proxy_tls_version, h->tls_version,
	    sizeof(s->proxy_tls_version));
	memcpy(s->proxy_tls_cipher, h->tls_cipher,
	    sizeof(s->proxy_tls_cipher));
}

void
listener_handoff(struct listener *l, struct worker *w, int fd,
    const struct sockaddr_storage *client, socklen_t clientlen,
    struct client_count *cc, struct proxied *px, int up,
    const struct upstream_pick *pick)
{
	struct worker_session	 s;
	struct upstream_server	*srv;
	struct upstream_pick	 p;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 uperr = 0;

	if (next_session == 0)
		next_session = (uint64_t)time(NULL) << 20;
	memset(&s, 0, sizeof(s));
	s.id = ++next_session;
	s.protocol = l->protocol;
	memcpy(s.listener, l->name, sizeof(s.listener));
	sockaddr_text(client, clientlen, s.client_addr, sizeof(s.client_addr),
	    &s.client_port);
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		sockaddr_text(&ss, len, s.local_addr, sizeof(s.local_addr),
		    &s.local_port);
	memcpy(s.dest_addr, s.local_addr, sizeof(s.dest_addr));
	s.dest_port = s.local_port;
	if (px != NULL) {
		session_proxied(&s, px);
		free(px);
	}
	/* login proxy: the worker asks once it has the login. */
	if (l->login_proxy) {
		if (up != -1)
			close(up);
		(void)snprintf(s.capability, sizeof(s.capability), "%s",
		    upstream_capability(l->upstream));
		log_info("%s: session %llu from %s port %u: login proxy, "
		    "%s connected after the login", l->name,
		    (unsigned long long)s.id, s.client_addr, s.client_port,
		    upstream_label(l->upstream));
		pool_handoff(w, fd, -1, 0, &s, cc);
		return;
	}
	/* A named upstream's connection was made before the queue. */
	if (pick != NULL) {
		p = *pick;
		goto handoff;
	}
	/*
	 * The worker waits for the connect to finish; we do not block.  A
	 * connect that fails at once has tried the next server; when all
	 * did, the worker tells the client the server is unavailable, as
	 * for any failed connect.
	 */
	if (up != -1)
		close(up);	/* not of this listener's upstream now */
	up = upstream_connect(l->upstream, l->name, s.id, &srv);
	if (up == -1 && srv == NULL) {
		/* Every server went down since the client was admitted. */
		log_warnx("%s: session %llu from %s port %u refused: no "
		    "server of %s is up", l->name, (unsigned long long)s.id,
		    s.client_addr, s.client_port, upstream_label(l->upstream));
		waitq_refuse(l, fd, WAITQ_UNAVAILABLE);
		client_limit_release(cc);
		return;
	}
	if (up == -1)
		uperr = errno != 0 ? errno : ECONNREFUSED;
	upstream_pick_set(&p, l->upstream, srv);
 handoff:
	memcpy(s.upstream_addr, p.addr, sizeof(s.upstream_addr));
	s.upstream_port = p.port;
	memcpy(s.upstream_name, p.name, sizeof(s.upstream_name));
	log_info("%s: session %llu from %s port %u to %s%s server %s port %u",
	    l->name, (unsigned long long)s.id, s.client_addr, s.client_port,
	    p.name[0] != '\0' ? "upstream " : "the listener's upstream",
	    p.name, p.addr, p.port);
	pool_handoff(w, fd, up, uperr, &s, cc);
}

int
listener_connect(struct listener *l, uint64_t id, const char *client,
    const char *route, struct worker_connected *wc)
{
	struct upstream_server	*srv;
	struct upstream_pick	 p;
	struct upstream		*u;
	int			 up;

	if ((u = upstream_routed(l, route, id)) == NULL)
		u = l->upstream;
	if ((up = upstream_connect(u, l->name, id, &srv)) == -1) {
		if (srv == NULL) {
			log_warnx("%s: session %llu from %s: login proxy: no "
			    "server of %s is up", l->name,
			    (unsigned long long)id, client,
			    upstream_label(u));
			errno = EHOSTUNREACH;
		}
		return -1;
	}
	upstream_pick_set(&p, u, srv);
	memcpy(wc->name, p.name, sizeof(wc->name));
	memcpy(wc->addr, p.addr, sizeof(wc->addr));
	wc->port = p.port;
	log_info("%s: session %llu from %s: login proxy: to %s%s server %s "
	    "port %u", l->name, (unsigned long long)id, client,
	    p.name[0] != '\0' ? "upstream " : "the listener's upstream",
	    p.name, p.addr, p.port);
	return up;
}
