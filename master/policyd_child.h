/*
 * posternd's side of postern-policyd (proto_policy.h): started when
 * postern.conf says "policy store DIR", restarted with a back-off when
 * it dies, given one end of a socketpair per worker.
 */
#ifndef POSTERN_MASTER_POLICYD_CHILD_H
#define POSTERN_MASTER_POLICYD_CHILD_H

#include <sys/types.h>

#include <poll.h>

#include "conf.h"
#include "proto_worker.h"

/* The program, next to the worker's: DIR/postern-policyd. */
int	 policyd_child_path(const char *, char *, size_t);
/* Start, keep, restart (store or user changed) or stop policyd. */
void	 policyd_child_configure(const struct conf *, const char *, int);
/*
 * The worker's end of a new channel to policyd, or -1 (none configured);
 * the channel takes the queries of the worker with that config slice.
 */
int	 policyd_child_channel(const struct worker_config *);
/* A timeout for poll (ms, -1 none); restarts policyd when it is due. */
int	 policyd_child_maintain(void);
/* 1 if pid was policyd's (then it is restarted later), 0 if not. */
int	 policyd_child_reaped(pid_t, int);
size_t	 policyd_child_pollfds(struct pollfd *, size_t);
void	 policyd_child_dispatch(const struct pollfd *, size_t);
/* Close the channel (policyd exits at end of file); no restart. */
void	 policyd_child_stop(void);

#endif
