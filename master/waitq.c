/*
 * The wait queue of each listener (waitq.h).  A queue belongs to the
 * listening socket rather than to a configuration: a reload that keeps
 * the socket keeps its clients, in their order, for the new pool.
 * Waiting clients hold a descriptor of the master each, which the pool's
 * room and "limit queue" bound; they are watched for a hang-up only, so
 * that a client that gave up frees its place and takes no worker, in an
 * epoll set of their own: after a storm, ten thousand of them wait, and
 * the loop's poll(2) sees the one descriptor.
 */
#include <sys/types.h>
#include <sys/epoll.h>
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
static int		 epfd = -1;	/* the waiters' hang-ups */
static int		 eppolled;	/* listed by waitq_pollfds() */
/* Hang-ups read at one wake-up at most; the others at the next. */
#define EPOLL_BATCH	256
static uint32_t		 max_queue = 128;
static int64_t		 timeout_ms = 10000;
static uint32_t		 per_client;
static size_t		 nwaiting;	/* over every queue */

static void	 waiter_remove(struct waiter *);
static void	 waiter_watch(struct waiter *, int);
static int64_t	 waiter_due(const struct waiter *);
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
 * How many may wait on l: "limit queue", and as many more as the pool
 * has workers starting or may start (pool_room()).  A login storm is
 * taken off the listen backlog at once, whose overflow the kernel drops
 * without a word, rather than left there while the pool grows.  With
 * "limit queue" 0, none waits.
 */
static uint32_t
queue_limit(const struct listener *l)
{
	if (max_queue == 0)
		return 0;
	return max_queue + (l->pool != NULL ? pool_room(l->pool) : 0);
}

/*
 * A full queue takes no more while the pool may still grow: the next
 * clients wait in the backlog a moment, for a place, which a hand-off
 * or a refusal makes.  Once the pool is at its max they are accepted,
 * and refused.
 */
int
waitq_accepting(const struct listener *l)
{
	uint32_t	 n;

	if (!pool_accepting(l->pool) || !proxy_in_accepting(l))
		return 0;
	/* Clients connecting to a named upstream's server queue next. */
	n = (l->waitq != NULL ? l->waitq->n : 0) + upstream_connecting(l);
	if (max_queue == 0 || n < queue_limit(l))
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
	/*
	 * Out of the set before the descriptor goes: handed to a worker,
	 * the socket stays open, and would stay in the set.
	 */
	if (epoll_ctl(epfd, EPOLL_CTL_DEL, wt->fd, NULL) == -1)
		fatal("epoll_ctl del waiting client %d", wt->fd);
	TAILQ_REMOVE(&wt->q->waiters, wt, entry);
	wt->q->n--;
	nwaiting--;
}

static void
waiter_watch(struct waiter *wt, int fd)
{
	struct epoll_event	 ev;

	if (epfd == -1 && (epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	memset(&ev, 0, sizeof(ev));
	/* Not EPOLLIN: what the client sends waits. */
	ev.events = EPOLLRDHUP;
	ev.data.ptr = wt;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl add waiting client %d", fd);
}

/*
 * When wt is refused.  While its pool is below its max and workers keep
 * coming idle, each taken by the client at the head, a client waits its
 * turn: "timeout queue" counts from when it came or from the last worker
 * that came idle, whichever is later.  A pool at its max, or one whose
 * workers do not come, refuses it timeout queue after it came.
 */
static int64_t
waiter_due(const struct waiter *wt)
{
	struct pool	*p = wt->q->l->pool;
	int64_t		 from = wt->since, last;

	if (p != NULL && !pool_full(p) && (last = pool_last_idle(p)) > from)
		from = last;
	return from + timeout_ms;
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

	if ((q == NULL || q->n == 0) && l->pool != NULL &&
	    !pool_connecting_full(l->pool) &&
	    (w = pool_idle(l->pool)) != NULL) {
		listener_handoff(l, w, fd, ss, sslen, cc, px, up, pick);
		return;
	}
	if ((q == NULL ? 0 : q->n) >= queue_limit(l)) {
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
	waiter_watch(wt, fd);
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
	if (l->pool != NULL && pool_connecting_full(l->pool))
		log_debug("%s: client %s port %s waits for the server's "
		    "greetings (limit connecting), %u waiting", l->name, host,
		    port, q->n);
	else
		log_debug("%s: client %s port %s waits for a worker, %u "
		    "waiting", l->name, host, port, q->n);
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
			if (waiter_due(wt) <= now) {
				waiter_refuse(wt, now, q->l->pool == NULL ||
				    pool_full(q->l->pool) ? "pool full" :
				    "no worker ready");
				continue;
			}
			/* Paced by the server's greetings (limit connecting). */
			if (q->l->pool == NULL ||
			    pool_connecting_full(q->l->pool) ||
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
		    (next == -1 || waiter_due(wt) < next))
			next = waiter_due(wt);
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
	return 1 + proxy_in_npollfds();
}

size_t
waitq_pollfds(struct pollfd *pfd, size_t max)
{
	eppolled = 0;
	if (nwaiting > 0 && max > 0) {
		pfd[0].fd = epfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		eppolled = 1;
	}
	/* Then those whose PROXY header is awaited, polled for input. */
	return eppolled + proxy_in_pollfds(pfd + eppolled, max - eppolled);
}

/* A waiting client hung up: it leaves the queue. */
static void
waiter_left(struct waiter *wt, int64_t now)
{
	char	 host[NI_MAXHOST], port[NI_MAXSERV];

	waiter_remove(wt);
	addr_text(&wt->ss, wt->sslen, host, sizeof(host), port, sizeof(port));
	log_debug("%s: client %s port %s left after %lld ms in the queue",
	    wt->q->l->name, host, port, (long long)(now - wt->since));
	close(wt->fd);
	if (wt->up != -1)
		close(wt->up);
	client_limit_release(wt->cc);
	free(wt->px);
	free(wt);
}

/*
 * Runs right after poll(2): the events name waiters still on their
 * queues, since each one leaves the set as it leaves its queue.
 */
void
waitq_dispatch(const struct pollfd *pfd, size_t n)
{
	struct epoll_event	 ev[EPOLL_BATCH];
	int64_t			 now = now_ms();
	int			 i, got;

	if (eppolled && n > 0 && pfd[0].revents != 0) {
		if ((got = epoll_wait(epfd, ev, EPOLL_BATCH, 0)) == -1 &&
		    errno != EINTR)
			log_warn("epoll_wait waiting clients");
		for (i = 0; i < got; i++)
			if (ev[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				waiter_left(ev[i].data.ptr, now);
	}
	if (n > (size_t)eppolled)
		proxy_in_dispatch(pfd + eppolled, n - eppolled);
	eppolled = 0;
}

uint32_t
waitq_length(const struct listener *l)
{
	return l->waitq != NULL ? l->waitq->n : 0;
}
