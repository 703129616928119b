/*
 * The children's channel loop (chan_loop.h).
 */
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
	TAILQ_INIT(&l->peers);
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
	TAILQ_INSERT_TAIL(&l->peers, w, entry);
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
	close(w->ch.fd);
	msgchan_clear(&w->ch);
	free(w);
}

/* The master is gone: nobody is left to serve. */
static int
master_gone(int err)
{
	return err == EPIPE || err == ECONNRESET;
}

static void
dispatch(struct chan_loop *l)
{
	struct wchan	*w, *wnext;
	struct msg	 m;
	int		 rc;

	while ((rc = msg_get(l->master, &m)) == 1)
		l->master_msg(l, &m);
	/* A log line may have found the master gone: so be it. */
	if (l->master->eof || (rc == -1 && master_gone(l->master->error)))
		_exit(0);
	if (rc == -1)
		fatal("channel to the master");
	TAILQ_FOREACH_SAFE(w, &l->peers, entry, wnext) {
		/*
		 * The loop also stops, rc 1, when an answer waits to be
		 * written: the next turn goes on once it is.
		 */
		rc = 0;
		while (!msg_pending(&w->ch) &&
		    (rc = msg_get(&w->ch, &m)) == 1)
			if (l->peer_msg(w, &m) == -1) {
				rc = -2;
				break;
			}
		if (rc < 0)
			chan_loop_end(l, w, rc == -1 ?
			    strerror(w->ch.error) : "protocol error");
		else if (w->ch.eof)
			chan_loop_end(l, w, NULL);
	}
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
