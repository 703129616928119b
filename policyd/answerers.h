/*
 * postern-policyd's answering threads.  The main thread keeps the
 * master's channel, the store's watch, the guard's Redis connection and
 * a share of the workers' channels; each other thread has its own loop
 * (epoll) over its share and answers them with its own read handle on
 * the store, so a storm of first verdicts is answered on every core.
 * A worker's channel stays with the thread it was handed to.
 *
 * The guard (guard.h) is one for the process, behind its lock: a login
 * message is counted by the thread that reads it; a late answer (Redis's)
 * goes to the worker's own thread to be sent (answerers_reply()).  An
 * answering thread's log lines and wake-ups reach the main thread over
 * a socketpair of its own; the main thread passes the lines on.
 */
#ifndef POSTERN_POLICYD_ANSWERERS_H
#define POSTERN_POLICYD_ANSWERERS_H

#include <stddef.h>
#include <stdint.h>

#include "chan_loop.h"
#include "msg.h"
#include "proto_policy.h"

/*
 * Before the filter, after chan_loop_epoll(main): n threads answer in
 * all, main's among them (1: main alone).  Starts the others, each
 * blocked in its loop until a channel comes.
 */
void	 answerers_start(struct chan_loop *main, unsigned n);
/* A worker's channel from the master: to the next thread in turn. */
void	 answerers_worker(int fd, const struct policyd_worker *);
/* The peer_msg and peer_end of every loop, main's too. */
int	 answerers_msg(struct wchan *, const struct msg *);
void	 answerers_end(struct wchan *);
/*
 * An answer to w from any thread: sent now from w's own thread, else
 * queued for it and its thread woken.  -1: w's channel is to end (only
 * from w's own thread).
 */
int	 answerers_reply(struct wchan *, uint32_t type, const void *,
	    size_t);
/*
 * From an answering thread: a login queued a question to the guard's
 * Redis connection, which the main thread is to write.
 */
void	 answerers_wake_main(void);
/* 1 in the main thread. */
int	 answerers_main(void);

#endif
