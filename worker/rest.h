/*
 * What an idle worker gives back: after RELAY_REST_MS without a byte in
 * a session (relay.c), and WORKER_REST_MS after a session when no next
 * one came (worker.c).  A worker waits
 * most of its life, often for hours in IDLE, and what it wrote since the
 * template forked it is memory of its own (README, Performance).
 */
#ifndef POSTERN_WORKER_REST_H
#define POSTERN_WORKER_REST_H

struct msgchan;

/*
 * The audit queue's buffer, if empty, and the channels' (chan to the
 * master, pc to postern-policyd or NULL); malloc's free pages; and the
 * stack below the caller's frame, which deeper calls wrote.  Nothing the
 * caller or its callers hold is touched.
 */
void	 rest_give_back(struct msgchan *chan, struct msgchan *pc);

#endif
