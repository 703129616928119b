/*
 * The table of posternd's children: every worker of every pool, and the
 * helper daemons (postern-policyd, postern-keyd).  Each process posternd
 * forks has one entry, from its fork until waitpid() collects it: its
 * kind, its pid, its channel, and the ops of its kind, which say what a
 * message from it means and what its end means (and so whether and when
 * something takes its place: the pool replaces a worker, with a back-off
 * when they keep failing; a helper daemon is restarted, with its own).
 * The event loop polls the table's channels and dispatches by entry;
 * SIGCHLD looks the pid up here once.
 */
#ifndef POSTERN_MASTER_CHILDREN_H
#define POSTERN_MASTER_CHILDREN_H

#include <sys/types.h>
#include <sys/resource.h>

#include <poll.h>
#include <stddef.h>

#include <bsd/sys/queue.h>

#include "msg.h"

enum child_kind {
	CHILD_WORKER,
	CHILD_TEMPLATE,		/* a pool's, forking its workers */
	CHILD_POLICYD,
	CHILD_KEYD,
};

struct child;

struct child_ops {
	enum child_kind	 kind;
	const char	*name;		/* in logs: "worker", "policyd" */
	/*
	 * A whole message from the child; m->fd, if any, is the callee's.
	 * To end a child that broke the protocol, child_kill() it.
	 */
	void	 (*on_msg)(struct child *, struct msg *);
	/*
	 * The channel is gone, and already closed: end of file (why NULL),
	 * or what failed (errno set).  The process may still run.
	 */
	void	 (*on_lost)(struct child *, const char *why);
	/*
	 * waitpid() collected it (status as it gave it), after its last
	 * words were read; the entry is freed when this returns.
	 */
	void	 (*on_exit)(struct child *, int status);
};

struct child {
	TAILQ_ENTRY(child)	 entry;
	TAILQ_ENTRY(child)	 wentry;	/* in the list to flush */
	int			 wlisted;
	const struct child_ops	*ops;
	void			*owner;		/* NULL once let go */
	pid_t			 pid;		/* 0: forked by a template,
						   pid not known yet */
	struct msgchan		 chan;		/* fd -1: closed */
	int			 killed;	/* before its pid was known */
	int			 done;		/* gone, status below: for
						   children_reap() */
	int			 status;
};

#define CHILD_ENV_MAX	2

/* What the child runs: path, argv[0], where its channel goes. */
struct child_prog {
	const char	*path;
	const char	*argv0;
	int		 chanfd;
	/* RLIMIT_FSIZE for the child; RLIM_INFINITY: as posternd's. */
	rlim_t		 fsize;
	/* "NAME=value" the child is exec'd with, up to a NULL. */
	const char	*env[CHILD_ENV_MAX];
};

/*
 * The environment a child of posternd is exec'd with, called in the
 * forked child: nothing of posternd's, only the program's own variables
 * (p->env: the worker's tune its malloc and its linking, proto_worker.h).
 * Whoever started posternd chose that environment, not the children's
 * needs, and one inherited could change how a library behaves inside the
 * sandbox.  A sanitizer build keeps the sanitizers' options too.
 */
char		**child_envp(const struct child_prog *);
/* prog next to the worker: DIR/prog.  0, or -1 if it does not fit. */
int		 child_path(const char *prog, const char *worker, char *,
		    size_t);

/*
 * Fork and exec: only the channel, on its fixed descriptor, survives the
 * exec.  The new entry, or NULL (logged).
 */
struct child	*child_spawn(const struct child_prog *,
		    const struct child_ops *, void *owner);
/*
 * A worker a template forks (its channel: our end of the pair whose
 * other end went to the template): an entry whose pid is 0 until
 * child_forked() tells it.  Never NULL.
 */
struct child	*child_adopt(int fd, const struct child_ops *, void *owner);
/*
 * The template said the pid: from here the entry is like any other.
 * If waitpid() already collected that pid, or the child was killed
 * before, it is dealt with now.
 */
void		 child_forked(struct child *, pid_t);
/*
 * The template could not fork it, or died before it said the pid: the
 * entry goes at the next children_reap(), as a child that exited with
 * status.
 */
void		 child_unborn(struct child *, int status);
/* Close the channel: the child exits at end of file. */
void		 child_close(struct child *);
/* SIGKILL, and close the channel. */
void		 child_kill(struct child *);
/*
 * The owner is done with it (a helper daemon restarted with a new
 * configuration): the channel is closed, no op is called again, and its
 * exit is logged at debug level only.
 */
void		 child_release(struct child *);
/* Read and dispatch what the channel holds now. */
void		 child_read(struct child *);
/*
 * Messages to a child are queued with child_compose(), or with
 * msg_compose() on its channel followed by child_queued(): the loop polls
 * for POLLOUT only the channels so noted, not every child's.
 */
int		 child_compose(struct child *, uint32_t type, uint32_t peerid,
		    int fd, const void *, size_t);
void		 child_queued(struct child *);

/*
 * poll(2): the channels (their input as one epoll descriptor, and those
 * with messages to write), at most children_npollfds() entries; then
 * dispatch what poll() found in them.
 */
size_t		 children_npollfds(void);
size_t		 children_pollfds(struct pollfd *, size_t);
void		 children_dispatch(const struct pollfd *, size_t);
/* SIGCHLD: collect every child that is gone. */
void		 children_reap(void);
/* Let go of every entry still there (posternd exits). */
void		 children_cleanup(void);

#endif
