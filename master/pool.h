/*
 * The worker pool: one pool per listener, each keeping a few pre-forked
 * workers idle, growing to a maximum under load, retiring a worker after
 * its session quota and replacing any worker that dies.
 */
#ifndef POSTERN_MASTER_POOL_H
#define POSTERN_MASTER_POOL_H

#include <sys/types.h>

#include <poll.h>
#include <stdint.h>
#include <time.h>

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
/*
 * How many waiting clients it has a worker for, or will have without a
 * session ending: those starting, and as many more as it may start.
 */
unsigned int	 pool_room(struct pool *);
/*
 * When a worker last came idle, ready or done with a session, or a
 * server greeted one; ms.
 */
int64_t		 pool_last_idle(const struct pool *);
/*
 * limit connecting sessions of the pool wait for their server's
 * greeting: the next client waits in the queue until one comes.
 */
int		 pool_connecting_full(const struct pool *);
/* Frees what is left once every worker is gone. */
void		 pool_cleanup(void);
/*
 * Gives a session to an idle worker; the worker owns both fds after, and
 * the client's count (client_limit.h), released when the session ends.
 */
int		 pool_handoff(struct worker *, int, int, int,
		    const struct worker_session *, struct client_count *);

unsigned int	 pool_nworkers(void);	/* alive, in any state */
unsigned int	 pool_ntemplates(void);	/* alive, in any state */
unsigned int	 pool_nbusy(void);

/* ---- What posternctl and the metrics see (control.c, metrics.c) ---- */

/* A session under way, as its worker told it (proto_worker.h). */
struct pool_session {
	uint64_t		 id;
	char			 listener[WORKER_NAME_MAX];
	char			 addr[WORKER_ADDR_MAX];	/* the client's */
	uint16_t		 port;
	int			 slot;
	pid_t			 pid;
	time_t			 since;
	char			 user[WORKER_USER_MAX];	/* "" before login */
	char			 tls[WORKER_TLSNAME_MAX]; /* "" plaintext */
	struct worker_progress	 bytes;		/* as last reported */
};

/* The workers of a pool, by state. */
struct pool_stat {
	unsigned int		 idle;
	unsigned int		 busy;
	unsigned int		 starting;
	unsigned int		 stopping;
	unsigned int		 max;
	/*
	 * The template that forks the pool's workers: template-forks 0 or
	 * none yet, state NULL; else "starting" or "ready", its pid, the
	 * workers asked of it so far and how many before it is replaced.
	 */
	const char		*tmpl_state;
	pid_t			 tmpl_pid;
	uint32_t		 tmpl_forks;
	uint32_t		 tmpl_every;
};

void		 pool_stat(const struct pool *, struct pool_stat *);
/* Calls fn for every session under way, of every pool. */
void		 pool_sessions(void (*fn)(const struct pool_session *,
		    void *), void *);
/*
 * Asks every worker in a session how far it has got (MSG_W_PROGRESS);
 * returns the number of the question, for pool_progress_done().
 */
uint64_t	 pool_progress_ask(void);
/* Every worker asked question n that is still in its session answered. */
int		 pool_progress_done(uint64_t);
/* Tells the worker of session id to end it with text: 0, -1 no such. */
int		 pool_kick(uint64_t id, const char *text);

#endif
