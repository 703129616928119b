/*
 * posternd's side of postern-keyd (proto_keyd.h): started when a
 * listener has certificates, restarted with a back-off when it dies,
 * given one end of a socketpair per worker.
 */
#ifndef POSTERN_MASTER_KEYD_CHILD_H
#define POSTERN_MASTER_KEYD_CHILD_H

#include <sys/types.h>

#include <poll.h>

#include "conf.h"

/* The program, next to the worker's: DIR/postern-keyd. */
int	 keyd_child_path(const char *, char *, size_t);
/* Start, keep, restart (keys or user changed) or stop keyd. */
void	 keyd_child_configure(const struct conf *, const char *, int);
/* keyd runs (or is starting): a channel to it can be made. */
int	 keyd_child_running(void);
/* The worker's end of a new channel to keyd, or -1 (none configured). */
int	 keyd_child_channel(uint32_t);
/* A timeout for poll (ms, -1 none); restarts keyd when it is due. */
int	 keyd_child_maintain(void);
/* 1 if pid was keyd's (then it is restarted later), 0 if not. */
int	 keyd_child_reaped(pid_t, int);
size_t	 keyd_child_pollfds(struct pollfd *, size_t);
void	 keyd_child_dispatch(const struct pollfd *, size_t);
/* Close the channel (keyd exits at end of file); no restart. */
void	 keyd_child_stop(void);

#endif
