/*
 * The wait queue of each listener (waitq.h).  A queue belongs to the
 * listening socket rather than to a configuration: a reload that keeps
 * the socket keeps its clients, in their order, for the new pool.
 * Waiting clients hold a descriptor of the master each, which "limit
 * queue" bounds; they are polled for a hang-up only, so that a client
 * that gave up frees its place and takes no worker.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include "addr_text.h"
#include "client_limit.h"
#include "clock.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "proto_worker.h"
#include "proxy_in.h"
#include "upstream.h"
#include "waitq.h"

/* What the master reads and throws away before a refusal, at most. */
#define DISCARD_MAX	(64 * 1024)

struct waiter {
	TAILQ_ENTRY(waiter)	 entry;
	struct waitq		*q;
	int			 fd;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int64_t			 since;		/* accepted, ms */
	struct client_count	*cc;
	struct proxied		*px;		/* its PROXY header, or NULL */
	int			 up;		/* its server's, or -1 */
	struct upstream_pick	 pick;		/* that server */
};
TAILQ_HEAD(waiterlist, waiter);

struct waitq {
	TAILQ_ENTRY(waitq)	 entry;
	struct waiterlist	 waiters;
	uint32_t		 n;
	struct listener		*l;
};
TAILQ_HEAD(waitqlist, waitq);

static struct waitqlist	 queues = TAILQ_HEAD_INITIALIZER(queues);
static uint32_t		 max_queue = 128;
static int64_t		 timeout_ms = 10000;
static uint32_t		 per_client;
static struct waiter	**polled;	/* who waitq_pollfds() put where */
static size_t		 npolled, polledsz;
static size_t		 nwaiting;	/* over every queue */

static void	 waiter_remove(struct waiter *);
static const char *tls_note(const struct listener *);

void
waitq_configure(const struct conf *conf)
{
	max_queue = conf->max_queue;
	timeout_ms = (int64_t)conf->timeout_queue * 1000;
	per_client = conf->max_per_client;
	proxy_in_configure(conf);
}

uint32_t
waitq_per_client(void)
{
	return per_client;
}

/*
 * A full queue takes no more while the pool may still grow: the next
 * clients wait in the backlog a moment, for the workers being started
 * or for a place, which a hand-off or a refusal makes within "timeout
 * queue".  Once the pool is at its max they are accepted, and refused.
 */
int
waitq_accepting(const struct listener *l)
{
	uint32_t	 n;

	if (!pool_accepting(l->pool) || !proxy_in_accepting(l))
		return 0;
	/* Clients connecting to a named upstream's server queue next. */
	n = (l->waitq != NULL ? l->waitq->n : 0) + upstream_connecting(l);
	if (max_queue == 0 || n < max_queue)
		return 1;
	return pool_full(l->pool);
}


void
waitq_refuse(const struct listener *l, int fd, const char *text)
{
	char	 line[128], scratch[4096];
	size_t	 got = 0;
	ssize_t	 n;
	int	 len;

	metrics_refused(l->name, strcmp(text, WAITQ_PERCLIENT) == 0 ? 1 :
	    strcmp(text, WAITQ_UNAVAILABLE) == 0 ? 2 : 0);
	/*
	 * What the client sent is read and thrown away, not looked at: a
	 * close with unread bytes would reset the connection, and the
	 * client might lose the line before it reads it.
	 */
	while (got < DISCARD_MAX && (n = recv(fd, scratch, sizeof(scratch),
	    MSG_DONTWAIT)) > 0)
		got += (size_t)n;
	if (l->tls_mode != WORKER_TLS_IMPLICIT) {
		if (l->protocol == WORKER_PROTO_POP3)
			len = snprintf(line, sizeof(line),
			    "-ERR [SYS/TEMP] %s\r\n", text);
		else
			len = snprintf(line, sizeof(line),
			    "* BYE [UNAVAILABLE] %s\r\n", text);
		/* A fresh socket takes a short line whole, or nothing. */
		if (len > 0 && (size_t)len < sizeof(line))
			(void)send(fd, line, (size_t)len,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	(void)shutdown(fd, SHUT_WR);
	close(fd);
}

/* What the log line of a refusal adds on an implicit TLS listener. */
static const char *
tls_note(const struct listener *l)
{
	return l->tls_mode == WORKER_TLS_IMPLICIT ?
	    " (TLS listener: closed without a word)" : "";
}

/* Off its queue; the caller has the descriptor and the count. */
static void
waiter_remove(struct waiter *wt)
{
	TAILQ_REMOVE(&wt->q->waiters, wt, entry);
	wt->q->n--;
	nwaiting--;
}

/* The client's wait ends in a refusal, logged with why. */
static void
waiter_refuse(struct waiter *wt, int64_t now, const char *why)
{
	struct listener	*l = wt->q->l;
	char		 host[NI_MAXHOST], port[NI_MAXSERV];

	waiter_remove(wt);
	addr_text(&wt->ss, wt->sslen, host, sizeof(host), port,
	    sizeof(port));
	log_info("%s: %s, client %s port %s refused after %lld ms%s",
	    l->name, why, host, port, (long long)(now - wt->since),
	    tls_note(l));
	waitq_refuse(l, wt->fd, WAITQ_BUSY);
	if (wt->up != -1)
		close(wt->up);
	client_limit_release(wt->cc);
	free(wt->px);
	free(wt);
}

void
waitq_add(struct listener *l, int fd, const struct sockaddr_storage *ss,
    socklen_t sslen, struct client_count *cc, struct proxied *px, int up,
    const struct upstream_pick *pick)
{
	struct waitq	*q = l->waitq;
	struct waiter	*wt;
	struct worker	*w;
	char		 host[NI_MAXHOST], port[NI_MAXSERV];

	if ((q == NULL || q->n == 0) && (w = pool_idle(l->pool)) != NULL) {
		listener_handoff(l, w, fd, ss, sslen, cc, px, up, pick);
		return;
	}
	if ((q == NULL ? 0 : q->n) >= max_queue) {
		addr_text(ss, sslen, host, sizeof(host), port,
		    sizeof(port));
		log_info("%s: pool full and queue full (limit queue %u), "
		    "client %s port %s refused after 0 ms%s", l->name,
		    max_queue, host, port, tls_note(l));
		waitq_refuse(l, fd, WAITQ_BUSY);
		if (up != -1)
			close(up);
		client_limit_release(cc);
		free(px);
		return;
	}
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			fatal("%s", __func__);
		TAILQ_INIT(&q->waiters);
		q->l = l;
		l->waitq = q;
		TAILQ_INSERT_TAIL(&queues, q, entry);
	}
	if ((wt = calloc(1, sizeof(*wt))) == NULL)
		fatal("%s", __func__);
	wt->q = q;
	wt->fd = fd;
	memcpy(&wt->ss, ss, sslen);
	wt->sslen = sslen;
	wt->since = now_ms();
	wt->cc = cc;
	wt->px = px;
	wt->up = up;
	if (pick != NULL)
		wt->pick = *pick;
	TAILQ_INSERT_TAIL(&q->waiters, wt, entry);
	q->n++;
	nwaiting++;
	addr_text(ss, sslen, host, sizeof(host), port, sizeof(port));
	log_debug("%s: client %s port %s waits for a worker, %u waiting",
	    l->name, host, port, q->n);
	/* pool_maintain() starts workers if the pool may grow. */
	pool_want(l->pool, q->n);
}

int
waitq_run(void)
{
	struct waitq	*q;
	struct waiter	*wt;
	struct worker	*w;
	int64_t		 now = now_ms(), next = -1;
	int		 handed, pnext;
	char		 host[NI_MAXHOST], port[NI_MAXSERV];

	TAILQ_FOREACH(q, &queues, entry) {
		handed = 0;
		/* Oldest first: the first not yet due is the next due. */
		while ((wt = TAILQ_FIRST(&q->waiters)) != NULL) {
			if (wt->since + timeout_ms <= now) {
				waiter_refuse(wt, now, q->l->pool == NULL ||
				    pool_full(q->l->pool) ? "pool full" :
				    "no worker ready");
				continue;
			}
			if (q->l->pool == NULL ||
			    (w = pool_idle(q->l->pool)) == NULL)
				break;
			waiter_remove(wt);
			addr_text(&wt->ss, wt->sslen, host, sizeof(host),
			    port, sizeof(port));
			log_debug("%s: client %s port %s waited %lld ms for a "
			    "worker", q->l->name, host, port,
			    (long long)(now - wt->since));
			listener_handoff(q->l, w, wt->fd, &wt->ss, wt->sslen,
			    wt->cc, wt->px, wt->up,
			    wt->up != -1 ? &wt->pick : NULL);
			free(wt);
			handed = 1;
		}
		/* As many workers wanted as clients wait, none when none. */
		if (q->l->pool != NULL)
			pool_want(q->l->pool, q->n);
		/*
		 * Hand-offs took idle workers after pool_maintain() ran:
		 * come back at once, so that it starts what min-idle and
		 * the clients still waiting need.
		 */
		if (handed)
			next = now;
		if ((wt = TAILQ_FIRST(&q->waiters)) != NULL &&
		    (next == -1 || wt->since + timeout_ms < next))
			next = wt->since + timeout_ms;
	}
	/* Clients still to send their PROXY header (proxy_in.h). */
	if ((pnext = proxy_in_run()) != -1 && (next == -1 ||
	    now + pnext < next))
		next = now + pnext;
	if (next == -1)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

void
waitq_move(struct listener *to, struct listener *from)
{
	proxy_in_move(to, from);
	upstream_move(to, from);
	if (from->waitq == NULL)
		return;
	to->waitq = from->waitq;
	to->waitq->l = to;
	from->waitq = NULL;
}

void
waitq_close(struct listener *l)
{
	struct waitq	*q = l->waitq;
	struct waiter	*wt;
	int64_t		 now = now_ms();

	proxy_in_close(l);
	upstream_close(l);
	if (q == NULL)
		return;
	while ((wt = TAILQ_FIRST(&q->waiters)) != NULL)
		waiter_refuse(wt, now, "listener closed");
	TAILQ_REMOVE(&queues, q, entry);
	free(q);
	l->waitq = NULL;
}

size_t
waitq_npollfds(void)
{
	return nwaiting + proxy_in_npollfds();
}

size_t
waitq_pollfds(struct pollfd *pfd, size_t max)
{
	struct waitq	*q;
	struct waiter	*wt;

	if (polledsz < max) {
		if ((polled = reallocarray(polled, max, sizeof(*polled))) ==
		    NULL)
			fatal("%s", __func__);
		polledsz = max;
	}
	npolled = 0;
	TAILQ_FOREACH(q, &queues, entry)
		TAILQ_FOREACH(wt, &q->waiters, entry) {
			if (npolled == max)
				break;
			/* Not POLLIN: what the client sends waits. */
			pfd[npolled].fd = wt->fd;
			pfd[npolled].events = POLLRDHUP;
			pfd[npolled].revents = 0;
			polled[npolled++] = wt;
		}
	/* Then those whose PROXY header is awaited, polled for input. */
	return npolled + proxy_in_pollfds(pfd + npolled, max - npolled);
}

/*
 * Runs right after poll(2), before anything can take a waiter off its
 * queue, so polled[] is still valid.
 */
void
waitq_dispatch(const struct pollfd *pfd, size_t n)
{
	struct waiter	*wt;
	size_t		 i;
	int64_t		 now = now_ms();
	char		 host[NI_MAXHOST], port[NI_MAXSERV];

	for (i = 0; i < n && i < npolled; i++) {
		wt = polled[i];
		if (!(pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR)) ||
		    wt->fd != pfd[i].fd)
			continue;
		waiter_remove(wt);
		addr_text(&wt->ss, wt->sslen, host, sizeof(host), port,
		    sizeof(port));
		log_debug("%s: client %s port %s left after %lld ms in the "
		    "queue", wt->q->l->name, host, port,
		    (long long)(now - wt->since));
		close(wt->fd);
		if (wt->up != -1)
			close(wt->up);
		client_limit_release(wt->cc);
		free(wt->px);
		free(wt);
	}
	if (n > npolled)
		proxy_in_dispatch(pfd + npolled, n - npolled);
	npolled = 0;
}

uint32_t
waitq_length(const struct listener *l)
{
	return l->waitq != NULL ? l->waitq->n : 0;
}
