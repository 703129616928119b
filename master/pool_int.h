/*
 * What the pool's files share (pool.c: the pools' policy; pool_worker.c:
 * each worker's life; pool_session.c: the sessions they serve and their
 * messages; pool_template.c: the template that forks them; pool_view.c:
 * what posternctl and the metrics see of them).  Not for the rest of
 * posternd, which has pool.h.
 */
#ifndef POSTERN_MASTER_POOL_INT_H
#define POSTERN_MASTER_POOL_INT_H

#include <sys/types.h>

#include <stdint.h>

#include <bsd/sys/queue.h>

#include "children.h"
#include "daemon.h"
#include "listener_tls.h"
#include "pool.h"
#include "proto_worker.h"

/* A stopping worker or template still alive after this is killed. */
#define STOP_GRACE_MS	10000
/* While the template starts, the pool looks again this often at most. */
#define TEMPLATE_WAIT_MS	1000

enum worker_state {
	W_STARTING,		/* exec'd, config sent, waiting for MSG_READY */
	W_IDLE,
	W_BUSY,
	W_STOPPING,		/* told to go, or its channel is gone */
};


struct worker {
	TAILQ_ENTRY(worker)	 entry;
	TAILQ_ENTRY(worker)	 ientry;	/* its pool's idle, while W_IDLE */
	TAILQ_ENTRY(worker)	 tentry;	/* its pool's timed, deadline set */
	int			 timed;
	struct pool		*pool;
	struct child		*c;		/* pid, channel */
	int			 slot;
	enum worker_state	 state;
	uint32_t		 sessions;
	uint64_t		 session;	/* the one under way; 0 none */
	char			 addr[WORKER_ADDR_MAX]; /* its client */
	struct client_count	*client;	/* its client's count */
	int64_t			 deadline;	/* ms; 0 none */
	int64_t			 idle_since;	/* ms, while W_IDLE */
	int			 failed;	/* killed for misbehaving */
	const char		*fail_cause;	/* metrics; NULL "channel" */
	/* The daemon start (daemon_gen()) each channel came from; 0 none. */
	uint32_t		 gen[DAEMON_MAX];
	struct pool_session	 view;		/* posternctl's */
	uint64_t		 asked;		/* pool_progress_ask() */
	uint64_t		 answered;
	/* The template forking it, until it tells the pid; NULL exec'd. */
	struct pool_template	*from;
	uint64_t		 fork_id;
	int			 forked;	/* by a template, not exec'd */
	int			 early;		/* MSG_READY before its pid */
	int			 connecting;	/* its server has not greeted */
	uint64_t		 seq;		/* the pool's nth started */
};
TAILQ_HEAD(workerlist, worker);

enum template_state {
	T_STARTING,		/* exec'd, config sent, waiting for MSG_READY */
	T_READY,		/* forks workers */
	T_STOPPING,		/* told to go, or failed */
};

/* A pool's template process, the current one or one on its way out. */
struct pool_template {
	TAILQ_ENTRY(pool_template) entry;
	struct pool		*pool;
	struct child		*c;
	enum template_state	 state;
	uint32_t		 forks;		/* asked of it */
	int64_t			 deadline;	/* ms; 0 none */
	int			 told;		/* to go: exit is no failure */
};
TAILQ_HEAD(templatelist, pool_template);

struct pool {
	TAILQ_ENTRY(pool)	 entry;
	struct workerlist	 workers;
	/*
	 * Kept as workers change state (worker_set()), so that the loop,
	 * which asks at every turn, never walks ten thousand busy workers:
	 * the idle ones, the oldest started first; those with a deadline.
	 */
	struct workerlist	 idle;
	struct workerlist	 timed;
	unsigned int		 nidle;
	unsigned int		 nstarting;
	unsigned int		 nlive;		/* not W_STOPPING */
	uint64_t		 nstarted;	/* workers' seq */
	int64_t			 last_idle;	/* ms: pool_last_idle() */
	unsigned int		 nconnecting;	/* workers' w->connecting */
	uint32_t		 max_connecting; /* limit connecting; 0 any */
	struct worker_config	 tmpl;		/* slot and verbose filled per worker */
	uint32_t		 min_idle;
	uint32_t		 max;
	uint32_t		 quota;
	uint32_t		 idle_timeout;	/* s; 0: idle workers stay */
	int			 retired;
	/* Its listener, for login proxy's connects; NULL once retired. */
	struct listener		*l;
	unsigned int		 wanted;	/* clients waiting, none idle */
	unsigned int		 failures;	/* deaths before ready, in a row */
	int64_t			 next_spawn;	/* ms */
	int64_t			 backoff;	/* ms: pool_failed()'s */
	uint32_t		 timeout_start;	/* s, exec to MSG_READY */
	struct listener_tls_set	 tls;		/* sent after the config */
	uint32_t		 template_forks; /* 0: every worker exec'd */
	struct templatelist	 templates;	/* alive, of this pool */
	struct pool_template	*tp;		/* the one to fork; NULL none */
};
TAILQ_HEAD(poollist, pool);

extern struct poollist		 pools;
extern const char		*worker_path;
extern const struct child_ops	 worker_ops;
extern const struct child_ops	 template_ops;
/* By enum worker_state, for the logs. */
extern const char *const	 worker_state_names[];

/* pool.c */
void		 pool_failed(struct pool *);
int		 pool_wants(const struct pool *, enum daemon_id);
int		 worker_channel(struct worker *, enum daemon_id);

/* pool_worker.c */
void		 worker_spawn(struct pool *);
void		 worker_stop(struct worker *, const char *);
void		 worker_fail(struct worker *, const char *);
void		 worker_ready(struct worker *);
void		 worker_idle(struct worker *);
void		 worker_set(struct worker *, enum worker_state);

/* pool_session.c */
void		 worker_msg(struct child *, struct msg *);
void		 worker_connected(struct worker *);

/* pool_view.c */
void		 pool_view_begin(struct worker *,
		    const struct worker_session *);
int		 worker_view(struct worker *, const struct msg *);

/* pool_template.c */
void		 template_spawn(struct pool *);
struct child	*template_fork(struct pool_template *, struct worker *);
void		 template_retire(struct pool_template *);
int64_t		 template_deadlines(struct pool *, int64_t);

#endif
