/*
 * Upstreams at run time: the health checks of their servers, run by the
 * master in its poll loop, and the choice of a server for each session
 * (postern.conf(5), "UPSTREAMS").  A worker opens nothing: the master
 * picks the server, connects and hands the socket over (listen.c).
 *
 * A check connects without blocking, waits for the greeting ("* OK",
 * "+OK") and, with "capability", asks CAPABILITY (POP3: CAPA) and keeps
 * the answer; all of it within the check's timeout.  "fall" failures in
 * a row take a server out, "rise" passes in a row put it back, each with
 * a log line.  An upstream without a check line, and the anonymous one
 * of "upstream HOST port N", has every server up.
 *
 * For a named upstream the master connects before the client waits for
 * a worker (upstream_admit()): a connect that fails, at once or later,
 * or that is not made within the upstream's check timeout, moves to the
 * next server, so a server that went down since its last check costs a
 * client nothing.  The anonymous upstream keeps the older way: the
 * worker gets the connect in progress (upstream_connect()).
 */
#ifndef POSTERN_MASTER_UPSTREAM_H
#define POSTERN_MASTER_UPSTREAM_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"

struct client_count;
struct proxied;

/*
 * The server a session goes to, by value: a reload may free the
 * configuration while its client waits for a worker.
 */
struct upstream_pick {
	char		 name[WORKER_NAME_MAX];	/* "" anonymous */
	char		 addr[WORKER_ADDR_MAX];
	uint16_t	 port;
	int		 family;
};

#define UPCHECK_LINE_MAX	4096	/* one line of a server's answer */
#define UPCHECK_CAPA_MAX	WORKER_CAPA_MAX	/* the capabilities kept */
#define UPCHECK_ERROR_MAX	160

enum upcheck_state {
	UPCHECK_IDLE,		/* waiting for the next check */
	UPCHECK_CONNECT,	/* connect in progress */
	UPCHECK_GREETING,	/* connected, the greeting awaited */
	UPCHECK_CAPA,		/* CAPABILITY (CAPA) sent, its end awaited */
};

/* One server's state (conf.h: struct upstream_server's check). */
struct upcheck {
	struct upstream		*u;
	struct upstream_server	*srv;
	int			 up;
	uint32_t		 passed;	/* in a row */
	uint32_t		 failed;	/* in a row */
	time_t			 since;		/* up or down since */
	int64_t			 current;	/* smooth weighted round robin */

	enum upcheck_state	 state;
	int			 fd;
	int64_t			 next;		/* ms: next check, or deadline */
	char			 line[UPCHECK_LINE_MAX];
	size_t			 len;
	int			 capa_ok;	/* POP3: CAPA said +OK */
	char			 capa_new[UPCHECK_CAPA_MAX];

	/* What posternctl status and the metrics show. */
	char			 capability[UPCHECK_CAPA_MAX]; /* last kept */
	char			 error[UPCHECK_ERROR_MAX]; /* last failure */
	uint64_t		 checks;
	uint64_t		 checks_failed;
	uint64_t		 sessions;
	uint64_t		 connect_failures;
};

/*
 * Gives every server of conf its state, carrying over up or down and the
 * counters of the same server (upstream name, address, port) of the
 * configuration before, whose states are freed.
 */
void	 upstream_configure(struct conf *);
/* At exit, before the configuration is freed: the servers' states. */
void	 upstream_states_free(void);
/* Starts the checks that are due, ends those past their timeout; ms. */
int	 upstream_maintain(void);
size_t	 upstream_npollfds(void);
size_t	 upstream_pollfds(struct pollfd *, size_t);
void	 upstream_dispatch(const struct pollfd *, size_t);

/* Some server of u is up. */
int	 upstream_available(const struct upstream *);
/*
 * A client of l, whose upstream is named: connects to a server, then
 * gives the client and the connection to the wait queue (waitq_add()),
 * or refuses the client when no server could be connected.  Takes fd,
 * cc and px.
 */
void	 upstream_admit(struct listener *, int,
	    const struct sockaddr_storage *, socklen_t,
	    struct client_count *, struct proxied *);
/* A reload gave from's socket to to: so go its clients connecting. */
void	 upstream_move(struct listener *to, struct listener *from);
/* The listener closes: its clients connecting are refused. */
void	 upstream_close(struct listener *);
/* Clients of l whose connection is under way: they count as queued. */
uint32_t upstream_connecting(const struct listener *);
void	 upstream_pick_set(struct upstream_pick *, const struct upstream *,
	    const struct upstream_server *);
/*
 * Picks a server of u that is up, a primary by weight (smooth weighted
 * round robin), a backup only when no primary is up, and connects to it
 * without blocking; a connect that fails at once moves to the next.
 * Returns the socket (its connect may be in progress) and *srv, or -1
 * with *srv NULL when no server is up, or with *srv the last one tried
 * and errno its connect's when every connect failed.
 */
int	 upstream_connect(struct upstream *, const char *, uint64_t,
	    struct upstream_server **);
/*
 * The capabilities the check of a server of u that is up last kept, the
 * first such server's; "" when none keeps any.
 */
const char *upstream_capability(const struct upstream *);
/*
 * login proxy: the upstream named by the session's route, if it is
 * one routed for the listener's protocol ("upstream NAME routed"); ""
 * the listener's own.  NULL, logged: take the listener's own.
 */
struct upstream *upstream_routed(const struct listener *, const char *,
	    uint64_t);
/* "upstream NAME" or, for an anonymous one, "upstream of LISTENER". */
const char *upstream_label(const struct upstream *);

#endif
