/*
 * The channel loop of a child of posternd: its channel to the master,
 * and the workers' channels it was handed (postern-policyd and
 * postern-keyd hold one per worker; a worker holds none), each with its
 * slot for the logs and its own body limit.  One turn of the loop:
 *
 *	1. every whole message from the master goes to master_msg(), which
 *	   may add worker channels; the master gone (end of file, EPIPE,
 *	   ECONNRESET) ends the process with _exit(0), any other error on
 *	   its channel is fatal;
 *	2. every whole message of each worker channel goes to peer_msg(),
 *	   but only while nothing is waiting to be written to that worker:
 *	   a worker that does not read its answers gets no more until it
 *	   has, so the buffers stay bounded;
 *	3. poll: the master for input (and output while something waits),
 *	   each worker channel for output while something waits, else for
 *	   input, the hook's descriptor and the aux's, with the sooner of
 *	   their timeouts;
 *	4. the hook, if its descriptor had an event or the poll timed out;
 *	   the aux, if set, every turn, with its descriptor's events;
 *	5. read and write what poll said can be.
 *
 * A worker channel ends, closed and freed, on a protocol error (peer_msg
 * returned -1), an error of its own, or end of file, with the reason
 * logged as "worker SLOT: WHY: channel closed" (end of file only at
 * debug level).  chan_loop_run() does not return.
 */
#ifndef POSTERN_CHAN_LOOP_H
#define POSTERN_CHAN_LOOP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <bsd/sys/queue.h>

#include "msg.h"

struct wchan {
	TAILQ_ENTRY(wchan)	 entry;
	struct msgchan		 ch;
	uint32_t		 slot;		/* the worker's pool slot */
	struct chan_loop	*loop;		/* whose it is */
	void			*udata;		/* the program's */
	/* epoll mode: to dispatch this turn, and what epoll watches. */
	TAILQ_ENTRY(wchan)	 aentry;
	int			 active;
	uint32_t		 events;
};
TAILQ_HEAD(wchanq, wchan);

struct chan_loop {
	/* Set by the program, after chan_loop_init(). */
	struct msgchan	*master;
	void		 (*master_msg)(struct chan_loop *, struct msg *);
	/* 0, or -1: the channel ends as a protocol error. */
	int		 (*peer_msg)(struct wchan *, const struct msg *);
	/* Optional: a worker's channel is about to end (udata's last use). */
	void		 (*peer_end)(struct wchan *);
	/* Optional; may change from one turn to the next. */
	int		 hook_fd;	/* polled for input; -1: none */
	int		 hook_ms;	/* poll's timeout; -1: none */
	void		 (*hook)(struct chan_loop *, short revents);
					/* revents 0: the timeout */
	/*
	 * Optional: a second descriptor (a connection of the program's
	 * own) and its deadlines.  aux_prepare() sets aux_fd, aux_events
	 * and aux_ms just before each poll, after the turn's messages;
	 * aux() is called every turn after it, so it can look at its
	 * deadlines however busy the channels are.
	 */
	int		 aux_fd;	/* -1: none */
	short		 aux_events;
	int		 aux_ms;	/* poll's timeout for it; -1: none */
	void		 (*aux_prepare)(struct chan_loop *);
	void		 (*aux)(struct chan_loop *, short revents);
	/* Kept by chan_loop.c. */
	struct wchanq	 peers;
	struct pollfd	*pfd;
	struct wchan	**polled;
	size_t		 max;
	/* epoll mode (chan_loop_epoll()): -1 in poll mode. */
	int		 epfd;
	struct wchanq	 active;	/* input or output moved */
	uint32_t	 master_events;
	int		 aux_added;	/* aux_fd is in the set */
	int		 aux_added_fd;
	uint32_t	 aux_added_events;
};

/* Nothing but the master channel, no hook. */
void		 chan_loop_init(struct chan_loop *, struct msgchan *master);
/*
 * epoll instead of poll, for a program with thousands of channels
 * (postern-policyd): each turn costs what moved, not what is open.  To
 * be called after chan_loop_init() and before the first channel, before
 * the program's filter (epoll_create1); the filter then needs
 * epoll_ctl and epoll_wait.
 */
void		 chan_loop_epoll(struct chan_loop *);
/*
 * A worker's channel: fd is made non-blocking and belongs to the loop
 * from now on.  msgchan_init()'s flags and maxbody.
 */
struct wchan	*chan_loop_add(struct chan_loop *, int fd, uint32_t slot,
		    int flags, size_t maxbody);
/* why NULL: it went away (logged at debug level). */
void		 chan_loop_end(struct chan_loop *, struct wchan *,
		    const char *why);
/*
 * Something was queued to w outside its peer_msg() (a late answer, from
 * a hook or aux): in epoll mode, look at w again this turn, so what
 * waits is written.  Only from the thread that runs the loop.
 */
void		 chan_loop_wake(struct chan_loop *, struct wchan *);
void		 chan_loop_run(struct chan_loop *) __attribute__((noreturn));

#endif
