/*
 * The children's channel loop (chan_loop.h).
 */
#include <sys/epoll.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan_loop.h"
#include "log.h"
#include "msg.h"

void
chan_loop_init(struct chan_loop *l, struct msgchan *master)
{
	memset(l, 0, sizeof(*l));
	l->master = master;
	l->hook_fd = -1;
	l->hook_ms = -1;
	l->aux_fd = -1;
	l->aux_ms = -1;
	l->epfd = -1;
	TAILQ_INIT(&l->peers);
	TAILQ_INIT(&l->active);
}

static int	 timeout(const struct chan_loop *);
static void	 run_epoll(struct chan_loop *) __attribute__((noreturn));

/* What the loop's own descriptors are to epoll. */
static char	 tag_hook, tag_aux;

void
chan_loop_epoll(struct chan_loop *l)
{
	struct epoll_event	 ev = { .events = EPOLLIN };

	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	ev.data.ptr = l->master;
	l->master_events = EPOLLIN;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->master->fd, &ev) == -1)
		fatal("epoll_ctl master channel");
}

static void
activate(struct chan_loop *l, struct wchan *w)
{
	if (w->active)
		return;
	w->active = 1;
	TAILQ_INSERT_TAIL(&l->active, w, aentry);
}

struct wchan *
chan_loop_add(struct chan_loop *l, int fd, uint32_t slot, int flags,
    size_t maxbody)
{
	struct wchan	*w;
	int		 fl;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("calloc");
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("fcntl worker %u channel", slot);
	msgchan_init(&w->ch, fd, flags, maxbody);
	w->slot = slot;
	w->loop = l;
	TAILQ_INSERT_TAIL(&l->peers, w, entry);
	if (l->epfd != -1) {
		struct epoll_event	 ev = { .events = EPOLLIN,
					    .data.ptr = w };

		w->events = EPOLLIN;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
			fatal("epoll_ctl worker %u channel", slot);
		/* What the program queues to it goes out this turn. */
		activate(l, w);
	}
	return w;
}

void
chan_loop_end(struct chan_loop *l, struct wchan *w, const char *why)
{
	if (why != NULL)
		log_warnx("worker %u: %s: channel closed", w->slot, why);
	else
		log_debug("worker %u: gone", w->slot);
	if (l->peer_end != NULL)
		l->peer_end(w);
	TAILQ_REMOVE(&l->peers, w, entry);
	if (l->epfd != -1) {
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->ch.fd, NULL);
		if (w->active)
			TAILQ_REMOVE(&l->active, w, aentry);
	}
	close(w->ch.fd);
	msgchan_clear(&w->ch);
	free(w);
}

void
chan_loop_wake(struct chan_loop *l, struct wchan *w)
{
	if (l->epfd != -1)
		activate(l, w);
}

/* The master is gone: nobody is left to serve. */
static int
master_gone(int err)
{
	return err == EPIPE || err == ECONNRESET;
}

static void
dispatch_master(struct chan_loop *l)
{
	struct msg	 m;
	int		 rc;

	while ((rc = msg_get(l->master, &m)) == 1)
		l->master_msg(l, &m);
	/* A log line may have found the master gone: so be it. */
	if (l->master->eof || (rc == -1 && master_gone(l->master->error)))
		_exit(0);
	if (rc == -1)
		fatal("channel to the master");
}

/* 0, or -1 if w ended. */
static int
dispatch_peer(struct chan_loop *l, struct wchan *w)
{
	struct msg	 m;
	int		 rc = 0;

	/*
	 * The loop also stops, rc 1, when an answer waits to be written:
	 * the next turn goes on once it is.
	 */
	while (!msg_pending(&w->ch) && (rc = msg_get(&w->ch, &m)) == 1)
		if (l->peer_msg(w, &m) == -1) {
			rc = -2;
			break;
		}
	if (rc < 0) {
		chan_loop_end(l, w, rc == -1 ? strerror(w->ch.error) :
		    "protocol error");
		return -1;
	}
	if (w->ch.eof) {
		chan_loop_end(l, w, NULL);
		return -1;
	}
	return 0;
}

static void
dispatch(struct chan_loop *l)
{
	struct wchan	*w, *wnext;

	dispatch_master(l);
	TAILQ_FOREACH_SAFE(w, &l->peers, entry, wnext)
		(void)dispatch_peer(l, w);
}

/* The pollfds of this turn; polled[i] is whose pfd[3 + i] is. */
static size_t
pollfds(struct chan_loop *l)
{
	struct wchan	*w;
	size_t		 n = 3, i;

	TAILQ_FOREACH(w, &l->peers, entry)
		n++;
	if (n > l->max) {
		if ((l->pfd = reallocarray(l->pfd, n,
		    sizeof(*l->pfd))) == NULL ||
		    (l->polled = reallocarray(l->polled, n,
		    sizeof(*l->polled))) == NULL)
			fatal("reallocarray");
		l->max = n;
	}
	l->pfd[0].fd = l->master->fd;
	l->pfd[0].events = POLLIN | (msg_pending(l->master) ? POLLOUT : 0);
	l->pfd[1].fd = l->hook != NULL ? l->hook_fd : -1;
	l->pfd[1].events = POLLIN;
	l->pfd[1].revents = 0;
	if (l->aux_prepare != NULL)
		l->aux_prepare(l);
	l->pfd[2].fd = l->aux != NULL ? l->aux_fd : -1;
	l->pfd[2].events = l->aux_events;
	l->pfd[2].revents = 0;
	i = 0;
	TAILQ_FOREACH(w, &l->peers, entry) {
		l->pfd[3 + i].fd = w->ch.fd;
		l->pfd[3 + i].events = msg_pending(&w->ch) ? POLLOUT : POLLIN;
		l->polled[i++] = w;
	}
	return n;
}

/* ---- epoll mode ---- */

#define EPOLL_BATCH	256

static void
interest(struct chan_loop *l, int fd, void *ptr, uint32_t *have,
    uint32_t want, const char *what)
{
	struct epoll_event	 ev = { .events = want, .data.ptr = ptr };

	if (*have == want)
		return;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == -1)
		fatal("epoll_ctl %s", what);
	*have = want;
}

/*
 * The peers whose channels moved: their messages, then what epoll is
 * to watch for them (output while an answer waits, else input).
 */
static void
dispatch_active(struct chan_loop *l)
{
	struct wchan	*w;

	while ((w = TAILQ_FIRST(&l->active)) != NULL) {
		TAILQ_REMOVE(&l->active, w, aentry);
		w->active = 0;
		if (dispatch_peer(l, w) == -1)
			continue;
		interest(l, w->ch.fd, w, &w->events, msg_pending(&w->ch) ?
		    EPOLLOUT : EPOLLIN, "worker channel");
	}
}

/* The hook's descriptor is fixed; the aux's may come and go. */
static void
aux_interest(struct chan_loop *l)
{
	struct epoll_event	 ev = { .data.ptr = &tag_aux };

	if (l->aux_prepare != NULL)
		l->aux_prepare(l);
	if (l->aux_added &&
	    (l->aux == NULL || l->aux_fd != l->aux_added_fd)) {
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->aux_added_fd, NULL);
		l->aux_added = 0;
	}
	if (l->aux == NULL || l->aux_fd == -1)
		return;
	ev.events = (uint32_t)l->aux_events;
	if (!l->aux_added) {
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->aux_fd, &ev) == -1)
			fatal("epoll_ctl aux");
		l->aux_added_fd = l->aux_fd;
		l->aux_added = 1;
		l->aux_added_events = ev.events;
	} else
		interest(l, l->aux_added_fd, &tag_aux, &l->aux_added_events,
		    ev.events, "aux");
}

static void
master_io(struct chan_loop *l, uint32_t re)
{
	if ((re & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    msg_read(l->master) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK) {
		if (errno == ECONNRESET)
			_exit(0);
		fatal("read from the master");
	}
	if ((re & EPOLLOUT) && msg_flush(l->master) == -1) {
		if (master_gone(errno))
			_exit(0);
		fatal("write to the master");
	}
}

static void
peer_io(struct chan_loop *l, struct wchan *w, uint32_t re)
{
	if ((re & EPOLLOUT) && msg_flush(&w->ch) == -1) {
		chan_loop_end(l, w, strerror(errno));
		return;
	}
	if ((re & (EPOLLIN | EPOLLHUP | EPOLLERR)) && msg_read(&w->ch) == -1 &&
	    errno != EAGAIN && errno != EWOULDBLOCK) {
		chan_loop_end(l, w, strerror(errno));
		return;
	}
	activate(l, w);
}

static void __attribute__((noreturn))
run_epoll(struct chan_loop *l)
{
	struct epoll_event	 ev[EPOLL_BATCH];
	struct epoll_event	 hev = { .events = EPOLLIN,
				    .data.ptr = &tag_hook };
	short			 aux_re;
	int			 n, i;

	if (l->hook != NULL && l->hook_fd != -1 &&
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->hook_fd, &hev) == -1)
		fatal("epoll_ctl hook");
	for (;;) {
		dispatch_master(l);
		dispatch_active(l);
		interest(l, l->master->fd, l->master, &l->master_events,
		    EPOLLIN | (msg_pending(l->master) ? EPOLLOUT : 0),
		    "master channel");
		aux_interest(l);
		if ((n = epoll_wait(l->epfd, ev, EPOLL_BATCH,
		    timeout(l))) == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		if (n == 0 && l->hook != NULL)
			l->hook(l, 0);
		aux_re = 0;
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr == l->master)
				master_io(l, ev[i].events);
			else if (ev[i].data.ptr == &tag_hook)
				l->hook(l, (short)ev[i].events);
			else if (ev[i].data.ptr == &tag_aux)
				aux_re = (short)ev[i].events;
			else
				peer_io(l, ev[i].data.ptr, ev[i].events);
		}
		if (l->aux != NULL)
			l->aux(l, aux_re);
	}
}

/* The sooner of the hook's and the aux's timeouts; -1 neither. */
static int
timeout(const struct chan_loop *l)
{
	int	 h = l->hook != NULL ? l->hook_ms : -1;
	int	 a = l->aux != NULL ? l->aux_ms : -1;

	if (h < 0)
		return a;
	if (a < 0)
		return h;
	return a < h ? a : h;
}

void
chan_loop_run(struct chan_loop *l)
{
	struct wchan	*w;
	size_t		 n, i;
	short		 re;
	int		 r;

	if (l->epfd != -1)
		run_epoll(l);
	for (;;) {
		dispatch(l);
		n = pollfds(l);
		if ((r = poll(l->pfd, n, timeout(l))) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (l->hook != NULL && (r == 0 || l->pfd[1].revents != 0))
			l->hook(l, l->pfd[1].revents);
		if (l->aux != NULL)
			l->aux(l, l->pfd[2].revents);
		re = l->pfd[0].revents;
		if ((re & (POLLIN | POLLHUP | POLLERR)) &&
		    msg_read(l->master) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK) {
			if (errno == ECONNRESET)
				_exit(0);
			fatal("read from the master");
		}
		/* A master gone with log lines unsent is a master gone. */
		if ((re & POLLOUT) && msg_flush(l->master) == -1) {
			if (master_gone(errno))
				_exit(0);
			fatal("write to the master");
		}
		for (i = 0; i + 3 < n; i++) {
			w = l->polled[i];
			re = l->pfd[3 + i].revents;
			if ((re & POLLOUT) && msg_flush(&w->ch) == -1) {
				chan_loop_end(l, w, strerror(errno));
				continue;
			}
			if ((re & (POLLIN | POLLHUP | POLLERR)) &&
			    msg_read(&w->ch) == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK)
				chan_loop_end(l, w, strerror(errno));
		}
	}
}
