/*
 * A helper daemon as a child of posternd (postern-policyd, postern-keyd):
 * forked and exec'd like a worker with its channel on a fixed descriptor,
 * greeted with what it must know first, restarted with a back-off when
 * it dies, its MSG_LOG relayed and its MSG_READY awaited.  Each daemon's
 * module (policyd_child.c, keyd_child.c) owns one struct child and says
 * what the daemon is told.
 */
#ifndef POSTERN_MASTER_CHILD_H
#define POSTERN_MASTER_CHILD_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "proto_worker.h"

struct child {
	/* Set by the owner. */
	const char	*name;		/* in logs: "policyd" */
	const char	*prog;		/* its file: "postern-policyd" */
	int		 chanfd;	/* where the child finds its channel */
	const char	*without;	/* what fails while it is down */
	/* Queue what it is told at each start; pid and chan are set. */
	void		 (*greet)(struct child *);
	/* Kept here. */
	char		 path[WORKER_PATH_MAX];
	int		 on;		/* configured */
	pid_t		 pid;		/* -1: not running */
	struct msgchan	 chan;		/* fd -1: none */
	int		 ready;
	unsigned int	 failures;
	int64_t		 next_start;	/* ms; 0 now */
};

/*
 * The environment every child of posternd is exec'd with, called in the
 * forked child: nothing of posternd's.  Whoever started posternd chose
 * that environment, not the children's needs; none of them reads a
 * variable, and one inherited could change how a library behaves inside
 * the sandbox.  A sanitizer build keeps only the sanitizers' options.
 */
char	**child_envp(void);
/* prog next to the worker: DIR/prog.  0, or -1 if it does not fit. */
int	 child_path(const char *prog, const char *worker, char *, size_t);
/* The program's path, next to the worker; fatal if it does not fit. */
void	 child_set_path(struct child *, const char *worker);
/* (Re)start now, with the owner's new configuration. */
void	 child_restart(struct child *);
/* Close the channel (the child exits at end of file); on: restart later. */
void	 child_stop(struct child *, int on);
/* It runs (or is starting): a channel to it can be made. */
int	 child_running(const struct child *);
/*
 * A socketpair for a worker: one end goes to the child with a message
 * of type and body, the other is returned, or -1.
 */
int	 child_channel(struct child *, uint32_t slot, uint32_t type,
	    const void *, size_t);
int	 child_maintain(struct child *);
int	 child_reaped(struct child *, pid_t, int);
size_t	 child_pollfds(const struct child *, struct pollfd *, size_t);
void	 child_dispatch(struct child *, const struct pollfd *, size_t);

#endif
