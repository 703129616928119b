/*
 * IMAP policy enforcement: what the verdicts of postern.rules(5) mean
 * for commands, responses, capabilities and LIST results.  imap_relay.c
 * drives it and applies the outcome (imap_relay_policy.c); verdict.h
 * asks and caches.
 *
 * Without a policy store (no channel to policyd) every call passes: the
 * worker is the transparent relay it was, except for what postern
 * answers itself (STARTTLS, by the connection's TLS mode, and COMPRESS:
 * imap_relay_tls.c); the server's COMPRESS is never let through.
 */
#ifndef POSTERN_WORKER_IMAP_ENFORCE_H
#define POSTERN_WORKER_IMAP_ENFORCE_H

#include <stddef.h>

#include "buf.h"
#include "imap_args.h"
#include "imap_id.h"
#include "imap_session.h"
#include "login_guard.h"
#include "proto_worker.h"
#include "verdict.h"

enum imap_pol_do {
	IPOL_PASS,	/* forward as the session says */
	IPOL_ANSWER,	/* request: refuse it, send out to the client */
	IPOL_DROP,	/* refuse it / pass nothing, send nothing */
	IPOL_ABORT,	/* send out ("* BYE") to the client and end */
	IPOL_REPLACE	/* send out instead (request: upstream) */
};

/* Literals of one held response that may name a mailbox. */
#define POL_HELD_LITS	16

struct imap_enforce {
	struct verdict_session	 vs;
	struct imap_args	 args;
	const struct imap_cmd	*login;	/* LOGIN or AUTHENTICATE pending */
	int			 sasl_plain;	/* next SASL line: PLAIN's */
	char			 user[VERDICT_USER_MAX];
	size_t			 userlen;
	int			 skip;	/* drop the rest of the response */
	int			 hold;	/* a response naming a mailbox */
	char			 hold_resp[IMAP_NAME_MAX];
	struct buf		 held;	/* ... held whole */
	struct {
		unsigned int	 tok;	/* its LITERAL token */
		size_t		 off;	/* its octets in held */
		size_t		 len;
	}			 hlit[POL_HELD_LITS];
	unsigned int		 nhlit;
	char			 attrs[POLICY_STR_MAX];	/* LIST's, by rule */
	size_t			 lopen;		/* ... replace these octets */
	size_t			 lclose;		/* of its first line */
	char			 selected[POLICY_STR_MAX]; /* last SELECT's */
	struct imap_id		 id;		/* the client's ID */
	struct login_guard	 guard;		/* password guessing */
	uint32_t		 delay_ms;	/* hold the answer so long */
	int			 too_many;	/* sessions of the user */


	char			 name[POLICY_STR_MAX];
	enum imap_state		 state;
	size_t			 linemax;	/* of a rewritten line */
};

int	 imap_enforce_init(struct imap_enforce *, struct policy_client *,
	    int, const struct worker_session *, size_t);
void	 imap_enforce_free(struct imap_enforce *);
/*
 * At rest (relay.c): the verdict answers and a request's arguments go;
 * each request parses its own again.
 */
void	 imap_enforce_rest(struct imap_enforce *);
/* Is there a policy to enforce? */
int	 imap_enforce_on(const struct imap_enforce *);
/*
 * Client: a command's decision event (IMAP_SEVF_CMD_START, FORWARD): the
 * whole command, or all of it up to a message literal.
 */
enum imap_pol_do imap_enforce_request(struct imap_enforce *,
	    const struct imap_session *, const struct imap_sev *,
	    struct buf *);
/*
 * Client: a later chunk of a command (IMAP_SEVF_CHUNK: what follows a
 * message literal), before it goes upstream.  A mailbox name there that
 * the list rules hide ends the session, since the command's beginning
 * went upstream already.
 */
enum imap_pol_do imap_enforce_client_more(struct imap_enforce *,
	    const struct imap_session *, const struct imap_sev *,
	    struct buf *);
/* Client: a SASL line (AUTHENTICATE PLAIN names the user). */
void	 imap_enforce_sasl(struct imap_enforce *, const struct imap_sev *);
/*
 * Server: every event, before anything is forwarded (state, user).  A
 * failed login leaves delay_ms set: the caller holds the client's side
 * so long (relay_hold_client()) and sets it back to 0.
 */
void	 imap_enforce_observe(struct imap_enforce *,
	    const struct imap_session *, const struct imap_sev *);
/* Server: a LINE or LITDATA the session says to FORWARD. */
enum imap_pol_do imap_enforce_response(struct imap_enforce *,
	    const struct imap_session *, const struct imap_sev *,
	    struct buf *);
/* Keep this capability in a list the client sees? */
int	 imap_enforce_cap_keep(struct imap_enforce *, const struct imap_token *);
/*
 * The verdicts imap_enforce_cap_keep() will ask for tok[first..last), a
 * capability list, fetched at once (verdict_prefetch()): a worker's
 * first list, or a user's first after the login, is one round trip to
 * policyd rather than one per capability.
 */
void	 imap_enforce_cap_prefetch(struct imap_enforce *,
	    const struct imap_token *, unsigned int first, unsigned int last);
/*
 * Offer a capability postern itself provides (COMPRESS=DEFLATE)?  The
 * capability rules' verdict on name; 1 without a policy.
 */
int	 imap_enforce_cap_offer(struct imap_enforce *, const char *name);
/*
 * The server's STARTTLS and LOGINDISABLED: 1 keep it, 0 hide it, -1 not
 * a TLS capability.  The server's STARTTLS is always hidden, since the
 * client's STARTTLS is postern's to answer; imap_relay_caps.c adds
 * postern's own STARTTLS (and LOGINDISABLED) where the connection's mode
 * says so.
 */
int	 imap_tls_cap_offer(const struct imap_token *);

/* For imap_hide.c: rule text into a line, a "* BYE", a status response? */
void	 imap_enforce_add_clean(struct buf *, const char *);
enum imap_pol_do imap_enforce_abort(struct buf *, const char *);
int	 imap_enforce_is_status(const char *);

#endif
