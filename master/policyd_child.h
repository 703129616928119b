/*
 * postern-policyd as a child of posternd (proto_policy.h; daemon.h does
 * the process): started when postern.conf says "policy store DIR", sent
 * its config at each start, and one end of a channel per worker.
 */
#ifndef POSTERN_MASTER_POLICYD_CHILD_H
#define POSTERN_MASTER_POLICYD_CHILD_H

#include "conf.h"
#include "daemon.h"
#include "proto_policy.h"

extern struct daemon	 policyd_daemon;

/* Start, keep, restart (store or user changed) or stop policyd. */
void	 policyd_child_configure(const struct conf *, const char *worker,
	    int verbose);

/*
 * The generation policyd last said is current (MSG_P_GENERATION): 1 and
 * *g, or 0 when it has said none (no policy store, not started yet).
 */
int	 policyd_child_generation(struct policyd_generation *);

#endif
