/*
 * postern-policyd's answers to a worker's channel: the hello with the
 * generation page, a verdict per query from the store's current
 * generation, and the login messages handed to the guard (guard.h).
 * Every answering thread (answerers.h) runs these on its own channels,
 * with its own read handle on the store.
 */
#ifndef POSTERN_POLICYD_ANSWER_H
#define POSTERN_POLICYD_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "chan_loop.h"
#include "msg.h"
#include "store.h"

/*
 * Once, before any thread: the store, the generation page's descriptor
 * (a copy goes to each worker) and its size.
 */
void	 answer_init(struct store *, int genfd, size_t pagesize);
/*
 * Once in each answering thread, before its first channel.  seen, in
 * the main thread only (else NULL): told of the generation each answer
 * read, so the page follows at once.
 */
void	 answer_thread(void (*seen)(uint64_t));
/* A worker's channel on l, the calling thread's loop: its hello sent. */
void	 answer_add(struct chan_loop *, int fd, uint32_t slot,
	    uint32_t maxbody);
/* A worker's message; -1: the channel is to end. */
int	 answer_msg(struct wchan *, const struct msg *);

#endif
