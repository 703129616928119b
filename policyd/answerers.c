/*
 * postern-policyd's answering threads (answerers.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>

#include "answer.h"
#include "answerers.h"
#include "guard.h"
#include "log.h"
#include "proto.h"

/* In the process only, thread to main thread: look at Redis again. */
#define MSG_P_THREAD_WAKE	250
#define LATE_MAX		64

/* An answer waiting for its worker's thread. */
struct late {
	TAILQ_ENTRY(late)	 entry;
	struct wchan		*w;
	uint32_t		 type;
	size_t			 len;
	uint8_t			 body[LATE_MAX];
};
TAILQ_HEAD(lateq, late);

struct answerer {
	struct chan_loop	 loop;		/* first: see of_loop() */
	struct msgchan		 in;		/* its end of the socketpair */
	struct wchan		*peer;		/* main's end, in main's loop */
	pthread_t		 tid;
	pthread_mutex_t		 mtx;		/* lates */
	struct lateq		 lates;
	int			 wake[2];	/* a pipe: lates to send */
};

static struct chan_loop	*mainloop;
static struct answerer	*thr;		/* [1, n): thr[0] is unused */
static unsigned		 nthr = 1, next;
static _Thread_local struct chan_loop *self;

static void	 start(struct answerer *);
static void	*run(void *);
static void	 thread_master(struct chan_loop *, struct msg *);
static void	 lates_hook(struct chan_loop *, short);
static int	 inbox_msg(struct wchan *, const struct msg *);

static struct answerer *
of_loop(struct chan_loop *l)
{
	return (struct answerer *)(void *)((char *)l -
	    offsetof(struct answerer, loop));
}

int
answerers_main(void)
{
	return self == mainloop;
}

void
answerers_start(struct chan_loop *m, unsigned n)
{
	unsigned	 i;

	mainloop = self = m;
	nthr = n > 0 ? n : 1;
	if (nthr == 1)
		return;
	/*
	 * One malloc arena for all threads: a thread that found it busy
	 * would make an arena of its own, and glibc then reads the number
	 * of cores from /sys (open, refused by the filter) and grows and
	 * trims that arena with mprotect, which the filter refuses too.
	 * The answers themselves do not allocate (answer.c).  Under
	 * AddressSanitizer malloc is its own, and mallopt refuses.
	 */
#ifndef __SANITIZE_ADDRESS__
	if (mallopt(M_ARENA_MAX, 1) != 1)
		fatalx("mallopt M_ARENA_MAX");
#endif
	if ((thr = calloc(nthr, sizeof(*thr))) == NULL)
		fatal("answering threads: %u", nthr);
	for (i = 1; i < nthr; i++)
		start(&thr[i]);
}

/*
 * Everything the thread will need from the file system is made here,
 * before the filter; the thread itself only waits on its loop.
 */
static void
start(struct answerer *a)
{
	int	 sp[2], fl;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair for an answering thread");
	if (pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe for an answering thread");
	if ((fl = fcntl(sp[1], F_GETFL)) == -1 ||
	    fcntl(sp[1], F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("fcntl answering thread channel");
	msgchan_init(&a->in, sp[1], MSGCHAN_FDS, MSG_BODY_MAX);
	a->peer = chan_loop_add(mainloop, sp[0], 0, MSGCHAN_FDS,
	    MSG_BODY_MAX);
	TAILQ_INIT(&a->lates);
	if ((errno = pthread_mutex_init(&a->mtx, NULL)) != 0)
		fatal("mutex of an answering thread");
	chan_loop_init(&a->loop, &a->in);
	chan_loop_epoll(&a->loop);
	a->loop.master_msg = thread_master;
	a->loop.peer_msg = answerers_msg;
	a->loop.peer_end = answerers_end;
	a->loop.hook = lates_hook;
	a->loop.hook_fd = a->wake[0];
	a->loop.hook_ms = -1;
	if ((errno = pthread_create(&a->tid, NULL, run, a)) != 0)
		fatal("pthread_create");
}

static void *
run(void *arg)
{
	struct answerer	*a = arg;

	self = &a->loop;
	log_to_channel(&a->in);
	answer_thread(NULL);
	chan_loop_run(&a->loop);
}

/* The main thread's end of thread i's socketpair, or NULL. */
static struct answerer *
inbox_of(const struct wchan *w)
{
	unsigned	 i;

	if (w->loop != mainloop)
		return NULL;
	for (i = 1; i < nthr; i++)
		if (thr[i].peer == w)
			return &thr[i];
	return NULL;
}

void
answerers_worker(int fd, const struct policyd_worker *pw)
{
	struct answerer	*a;
	unsigned	 i = next++ % nthr;

	if (i == 0) {
		answer_add(mainloop, fd, pw->slot, pw->maxbody);
		return;
	}
	a = &thr[i];
	if (msg_compose(&a->peer->ch, MSG_P_WORKER, pw->slot, fd, pw,
	    sizeof(*pw)) == -1) {
		close(fd);
		log_warnx("worker %u: channel not handed to thread %u",
		    pw->slot, i);
		return;
	}
	chan_loop_wake(mainloop, a->peer);
}

/* An answering thread's master is the main thread: channels only. */
static void
thread_master(struct chan_loop *l, struct msg *m)
{
	struct policyd_worker	 pw;

	if (m->hdr.type == MSG_P_WORKER && m->len == sizeof(pw) &&
	    m->fd != -1) {
		memcpy(&pw, m->body, sizeof(pw));
		answer_add(l, m->fd, pw.slot, pw.maxbody);
		return;
	}
	fatalx("main thread sent type %u, %zu bytes", m->hdr.type, m->len);
}

int
answerers_msg(struct wchan *w, const struct msg *m)
{
	if (self == mainloop && nthr > 1 && inbox_of(w) != NULL)
		return inbox_msg(w, m);
	return answer_msg(w, m);
}

/* A thread's log line, passed on as it is; a wake-up, nothing more. */
static int
inbox_msg(struct wchan *w, const struct msg *m)
{
	(void)w;
	if (m->fd != -1)
		close(m->fd);
	if (m->hdr.type == MSG_LOG) {
		if (msg_compose(mainloop->master, MSG_LOG, 0, -1, m->body,
		    m->len) == -1)
			fatal("queue a thread's log line to the master");
		return 0;
	}
	if (m->hdr.type == MSG_P_THREAD_WAKE)
		return 0;
	fatalx("answering thread sent type %u", m->hdr.type);
}

void
answerers_end(struct wchan *w)
{
	struct answerer	*a;
	struct late	*e, *enext;

	if (self == mainloop && nthr > 1 && inbox_of(w) != NULL)
		fatalx("an answering thread's channel ended");
	guard_end(w);
	if (self == mainloop)
		return;
	/* The guard sends w nothing more: what it queued goes too. */
	a = of_loop(self);
	pthread_mutex_lock(&a->mtx);
	TAILQ_FOREACH_SAFE(e, &a->lates, entry, enext)
		if (e->w == w) {
			TAILQ_REMOVE(&a->lates, e, entry);
			free(e);
		}
	pthread_mutex_unlock(&a->mtx);
}

static int
send_now(struct chan_loop *l, struct wchan *w, uint32_t type,
    const void *body, size_t len)
{
	if (msg_compose(&w->ch, type, w->slot, -1, body, len) == -1 ||
	    msg_flush(&w->ch) == -1)
		return -1;
	chan_loop_wake(l, w);
	return 0;
}

int
answerers_reply(struct wchan *w, uint32_t type, const void *body,
    size_t len)
{
	struct answerer	*a;
	struct late	*e;

	if (w->loop == self)
		return send_now(self, w, type, body, len);
	if (len > LATE_MAX)
		fatalx("late answer of %zu bytes", len);
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		log_warn("worker %u: late answer dropped", w->slot);
		return 0;
	}
	e->w = w;
	e->type = type;
	e->len = len;
	memcpy(e->body, body, len);
	a = of_loop(w->loop);
	pthread_mutex_lock(&a->mtx);
	TAILQ_INSERT_TAIL(&a->lates, e, entry);
	pthread_mutex_unlock(&a->mtx);
	/* EAGAIN: the pipe is full, so a wake-up is pending already. */
	if (write(a->wake[1], "", 1) == -1 && errno != EAGAIN)
		log_warn("wake answering thread");
	return 0;
}

static void
lates_hook(struct chan_loop *l, short revents)
{
	struct answerer	*a = of_loop(l);
	struct lateq	 q = TAILQ_HEAD_INITIALIZER(q);
	struct late	*e;
	char		 buf[64];

	(void)revents;
	while (read(a->wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&a->mtx);
	TAILQ_CONCAT(&q, &a->lates, entry);
	pthread_mutex_unlock(&a->mtx);
	while ((e = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, e, entry);
		if (send_now(l, e->w, e->type, e->body, e->len) == -1)
			log_warnx("worker %u: late answer not sent: %s",
			    e->w->slot, strerror(e->w->ch.error));
		free(e);
	}
}

void
answerers_wake_main(void)
{
	struct answerer	*a;

	if (self == mainloop)
		return;
	a = of_loop(self);
	if (msg_compose(&a->in, MSG_P_THREAD_WAKE, 0, -1, NULL, 0) == -1 ||
	    msg_flush(&a->in) == -1)
		log_warn("wake the main thread");
}
