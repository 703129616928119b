/*
 * POP3 policy enforcement: what the verdicts of postern.rules(5) mean
 * for POP3 commands, responses and CAPA lines (the "pop3" rules), asked
 * through verdict.h and recorded in the audit log.  pop3_relay.c sets
 * pop3_enforce_ops on the session when there is a policy store.
 */
#ifndef POSTERN_WORKER_POP3_ENFORCE_H
#define POSTERN_WORKER_POP3_ENFORCE_H

#include "pop3_hooks.h"
#include "login_guard.h"
#include "pop3_session.h"
#include "verdict.h"

struct pop3_enforce {
	struct verdict_session	 vs;
	char			 user[VERDICT_USER_MAX];	/* USER, APOP */
	size_t			 userlen;
	char			 text[POP3_REPLY_MAX];
	struct login_guard	 guard;		/* password guessing */
	uint32_t		 delay_ms;	/* hold the client's side */
};

extern const struct pop3_hooks_ops pop3_enforce_ops;

int	 pop3_enforce_init(struct pop3_enforce *, struct policy_client *,
	    int, const struct worker_session *);
void	 pop3_enforce_free(struct pop3_enforce *);
/*
 * Milliseconds to hold the client's side after the server input just
 * given to the session (a failed login's answer), 0 if none; read once.
 */
uint32_t pop3_enforce_delay(struct pop3_enforce *);

#endif
