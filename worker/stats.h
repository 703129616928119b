/*
 * What the master shows of a session and counts (posternctl(8), the
 * metrics): the user and the client's TLS, told as they change
 * (MSG_W_SESSION_INFO), and the session's counters, kept here and sent
 * once, when it ends (MSG_W_SESSION_STATS, proto_worker.h).  Counting
 * is an addition in memory: no message, no syscall per verdict.
 *
 * Without a session under way (unit tests, fuzzers) every call counts
 * and sends nothing.
 */
#ifndef POSTERN_WORKER_STATS_H
#define POSTERN_WORKER_STATS_H

#include <stdint.h>

#include "policy_wire.h"

struct msgchan;
struct policy_answer;

enum stats_side {
	STATS_CLIENT = 0,
	STATS_UPSTREAM = 1,
};

/* A session begins: its counters start at zero; chan: to the master. */
void	 stats_begin(struct msgchan *, uint64_t id);
/* It ends: MSG_W_SESSION_STATS queued on chan.  0, or -1. */
int	 stats_end(void);

/* The server accepted the login of user: the master is told. */
void	 stats_user(const char *user);
/* It refused a login (LOGIN, AUTHENTICATE; PASS, APOP, AUTH). */
void	 stats_login_failed(void);
/* A TLS handshake; on the client's leg a good one is told (version). */
void	 stats_tls(enum stats_side, int ok, const char *version);
/* The master's connect to the server failed. */
void	 stats_upstream_failed(void);
/*
 * A verdict applied (audit_verdict()): table is "connect", "request",
 * "response", "capability" or "list"; ans NULL: none came.
 */
void	 stats_verdict(const char *table, const struct policy_answer *,
	    int cached);
/* A monotonic time in ns, and a round trip to policyd since t0. */
uint64_t stats_clock(void);
void	 stats_round_trip(uint64_t t0);

#endif
