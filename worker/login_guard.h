/*
 * The worker's side of the password-guessing guard (postern.conf(5),
 * "login"): postern-policyd counts; a session asks it before a login
 * goes upstream, tells it how the login went, and learns how long to
 * hold the server's NO and whether the address or the user is blocked.
 *
 * policyd silent (no answer within `timeout policy', or no channel):
 * the login goes on uncounted, undelayed, logged once per session.  A
 * block this session already learned of still holds: it is kept here,
 * not asked for again.
 */
#ifndef POSTERN_WORKER_LOGIN_GUARD_H
#define POSTERN_WORKER_LOGIN_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "proto_worker.h"

struct policy_client;

struct login_guard {
	struct policy_client	*pc;	/* NULL: no guard (no policyd) */
	int			 timeout_ms;
	int			 family;
	uint8_t			 addr[16];
	uint64_t		 id;	/* the session, for the logs */
	int			 silent;	/* policyd's silence logged */
	uint32_t		 block;	/* enum policy_login_block known */
	int			 counted;	/* a session of a user at policyd */
};

void	 login_guard_init(struct login_guard *, struct policy_client *,
	    int timeout_ms, const struct worker_session *);
/*
 * May this login go upstream?  0 yes; 1 no: the address or the user is
 * blocked (logged, with the seconds left in *retry_s when known).
 */
int	 login_guard_check(struct login_guard *, const char *user, size_t,
	    uint32_t *retry_s);
/* The server refused it: milliseconds to hold its answer. */
uint32_t login_guard_failed(struct login_guard *, const char *user, size_t);
/* The server took it: 0, or 1 when the user has too many sessions. */
int	 login_guard_ok(struct login_guard *, const char *user, size_t);
/* The session ends: its user's session no longer counts. */
void	 login_guard_end(struct login_guard *);

#endif
