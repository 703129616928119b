/*
 * policyd's connection to Redis, for postern.conf(5) "counters redis":
 * the login guard's counters of every node of a fleet in one place.
 *
 * The master opens the connection (policyd asks with MSG_P_REDIS_ASK
 * and gets the socket in MSG_P_REDIS), so policyd's filter allows no
 * socket(2) or connect(2).  Requests are Lua scripts (EVAL), each one
 * atomic on the server and answered in order; hiredis formats them and
 * parses the replies, and the I/O is policyd's own, non-blocking, in
 * its channel loop.  A request not answered within the configured time
 * (`timeout counters'), a closed connection or an error reply take the
 * fleet down: every waiting request is answered with NULL, so its
 * caller uses this node's own counters, the fact is logged once, and a
 * new connection is asked for after a back-off (1 s, doubling to 30 s).
 */
#ifndef POSTERN_POLICYD_FLEET_H
#define POSTERN_POLICYD_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "proto_policy.h"

/* The numbers a script returned; NULL: no answer (down or late). */
struct fleet_reply {
	int64_t		 v[4];
	size_t		 n;
};

typedef void	 fleet_cb(void *arg, const struct fleet_reply *);

/* ask: send MSG_P_REDIS_ASK to the master. */
void	 fleet_init(const struct fleet_conf *, void (*ask)(void));
/* Configured, connected and past its AUTH and PING. */
int	 fleet_up(void);
/* The master's answer to MSG_P_REDIS_ASK: fd -1 with error. */
void	 fleet_socket(int fd, int error);
/*
 * EVAL script with its keys and arguments; cb(arg, reply) once, later.
 * -1: not up, and cb is not called.
 */
int	 fleet_eval(const char *script, const char *const *keys,
	    size_t nkeys, const char *const *args, size_t nargs,
	    fleet_cb *cb, void *arg);
/* For the loop: its descriptor (-1 none) and events, and its timeout. */
int	 fleet_pollfd(short *events);
int	 fleet_timeout(int64_t now);
/* Every turn: I/O on what poll said, and the deadlines at now. */
void	 fleet_run(short revents, int64_t now);

#endif
