/*
 * The helper daemons, postern-policyd and postern-keyd, as children of
 * posternd (entries of the table, children.h): started with their
 * channel on a fixed descriptor, told what they must know first, their
 * MSG_LOG relayed and their MSG_READY awaited, restarted with a back-off
 * when they die.  Each worker that needs one gets its own channel to it:
 * at the worker's start, and again whenever the daemon has restarted,
 * when the new one says MSG_READY (pool_daemon_ready()), so no worker
 * is left with a channel to a daemon that is gone.
 *
 * What each daemon is told lives in its own module, policyd_child.c and
 * keyd_child.c: a struct daemon and the function that configures it.
 */
#ifndef POSTERN_MASTER_DAEMON_H
#define POSTERN_MASTER_DAEMON_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "children.h"
#include "proto_worker.h"

enum daemon_id {
	DAEMON_POLICYD,
	DAEMON_KEYD,
	DAEMON_MAX
};

struct daemon {
	/* Set by the daemon's module. */
	enum daemon_id		 id;
	enum child_kind		 kind;
	const char		*name;		/* in logs: "policyd" */
	const char		*prog;		/* "postern-policyd" */
	int			 chanfd;	/* where it finds its channel */
	const char		*without;	/* what fails while down */
	/* Queue what it is told at each start, on d->c->chan. */
	void			 (*greet)(struct daemon *);
	/* A worker's channel: the message that brings the daemon its end. */
	uint32_t		 wtype;
	/* Its body for the worker of wc, into buf (len bytes at most). */
	size_t			 (*wbody)(const struct worker_config *wc,
				    void *buf, size_t len);
	/* A message of its own kind from it: 0 taken, -1 it is killed. */
	int			 (*msg)(struct daemon *, const struct msg *);
	/* Kept by daemon.c. */
	struct child_ops	 ops;		/* of its entries */
	char			 path[WORKER_PATH_MAX];
	int			 on;		/* configured */
	struct child		*c;		/* NULL: not running */
	int			 ready;
	uint32_t		 gen;		/* starts so far */
	uint32_t		 restarts;	/* after it died */
	time_t			 since;		/* its last start */
	unsigned int		 failures;
	int64_t			 next_start;	/* ms; 0 now */
};

/* What posternctl status shows of a daemon (control.c). */
struct daemon_status {
	const char	*name;
	int		 on;		/* configured */
	int		 ready;
	pid_t		 pid;		/* 0: not running */
	time_t		 since;		/* started; 0 never */
	uint32_t	 restarts;	/* after it died */
};

/* The program, next to the worker: DIR/prog.  0, or -1 if too long. */
int	 daemon_path(enum daemon_id, const char *worker, char *, size_t);
/*
 * For the daemon's module, once what greet sends is set: on (started now
 * unless it runs, restarted now if changed), or off (stopped).
 */
void	 daemon_configure(enum daemon_id, const char *worker, int on,
	    int changed);
/* It runs (or is starting): a channel to it can be made. */
int	 daemon_running(enum daemon_id);
/* The start the channels made now belong to; 0 before the first. */
uint32_t daemon_gen(enum daemon_id);
/*
 * A new channel for the worker of wc: one end goes to the daemon, the
 * other is returned with *gen, the start it belongs to; -1 when the
 * daemon is not running.
 */
int	 daemon_channel(enum daemon_id, const struct worker_config *wc,
	    uint32_t *gen);
/* Starts the daemons that are due; ms until one is (-1: none). */
int	 daemon_maintain(void);
void	 daemon_status(enum daemon_id, struct daemon_status *);
/* Close every daemon's channel (they exit at end of file); no restart. */
void	 daemon_stop_all(void);

#endif
