/*
 * login proxy: which upstream the master is to connect for a session,
 * asked of postern-policyd once the client's login names the user
 * (postern.rules(5), ROUTES): the user's entry in the store's route
 * table, else the first route rule that holds, else the listener's own
 * upstream.  Protocol-neutral: relay.c asks before MSG_W_CONNECT and
 * sends the name the answer gives in struct worker_connect.
 */
#ifndef POSTERN_WORKER_ROUTE_H
#define POSTERN_WORKER_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "policy_client.h"
#include "policy_wire.h"
#include "proto_worker.h"

struct route_choice {
	char		 upstream[WORKER_NAME_MAX];	/* "": the listener's */
	/* What chose it, for the logs and the audit: "route-table",
	 * "FILE:LINE" of a rule, or "default". */
	char		 source[128];
	uint64_t	 gen;		/* the generation; 0: no store */
};

/*
 * The route of user for session s (tls: the client side is encrypted,
 * ja4 its fingerprint or NULL).  pc NULL (no policy store): the
 * listener's upstream.  0 and *rc, or -1: no answer from policyd, or a
 * malformed one; the caller fails closed.
 */
int	 route_ask(struct policy_client *pc, enum rules_proto,
	    const struct worker_session *s, int tls, const char *ja4,
	    const char *user, int timeout_ms, struct route_choice *rc);

#endif
