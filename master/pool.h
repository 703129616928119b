/*
 * The worker pool: one pool per listener, each keeping a few pre-forked
 * workers idle, growing to a maximum under load, retiring a worker after
 * its session quota and replacing any worker that dies.
 */
#ifndef POSTERN_MASTER_POOL_H
#define POSTERN_MASTER_POOL_H

#include <poll.h>
#include <stdint.h>

#include "conf.h"
#include "daemon.h"
#include "proto_worker.h"

struct client_count;
struct pool;
struct worker;

void		 pool_init(const char *worker_path, int verbose);
/*
 * Makes fresh pools for conf's listeners (listener->pool) and retires
 * every older pool: its idle workers leave now, busy ones when their
 * session ends.
 */
void		 pool_configure(struct conf *);
/* Retires every pool: no new workers, busy ones finish their session. */
void		 pool_drain(void);
/* Tells every worker to close its session with text, and exit. */
void		 pool_shutdown(const char *text);
/* SIGUSR1: every live worker gets a new segment of its audit log. */
void		 pool_audit_rotate(void);
/* SIGKILL for every worker still alive. */
void		 pool_kill(void);
/* Spawns and times out workers; returns ms until it wants to run again. */
int		 pool_maintain(void);
/*
 * Daemon id has started again and is ready: every live worker that talks
 * to it and holds no channel to this start of it gets a new one, idle or
 * busy.  Returns how many did.
 */
unsigned int	 pool_daemon_ready(enum daemon_id);

struct worker	*pool_idle(struct pool *);
/*
 * n clients wait on pool's listener and no worker is idle: workers are
 * started for them, a few at a time, up to max.
 */
void		 pool_want(struct pool *, unsigned int);
/* The listener may accept: not retired (the wait queue holds clients). */
int		 pool_accepting(struct pool *);
/* max workers are alive: the pool cannot grow. */
int		 pool_full(struct pool *);
/* Frees what is left once every worker is gone. */
void		 pool_cleanup(void);
/*
 * Gives a session to an idle worker; the worker owns both fds after, and
 * the client's count (client_limit.h), released when the session ends.
 */
int		 pool_handoff(struct worker *, int, int, int,
		    const struct worker_session *, struct client_count *);

unsigned int	 pool_nworkers(void);	/* alive, in any state */
unsigned int	 pool_nbusy(void);

#endif
