/*
 * A worker's side of its channel to postern-policyd (proto_policy.h).
 *
 * policy_query() is synchronous: it sends one query and waits for the
 * answer with the same request id, at most timeout_ms.  Any failure, a
 * timeout above all, returns -1: the caller rejects the command (fails
 * closed), and ends the session if policyd stays away.  A late answer to
 * a query given up on is recognised by its id and dropped.
 *
 * policy_generation() reads the generation page policyd maps into every
 * worker (read only) without a round trip: when it differs from the
 * generation a cached verdict came from, the cache is stale.
 */
#ifndef POSTERN_POLICY_CLIENT_H
#define POSTERN_POLICY_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "policy_wire.h"
#include "proto_policy.h"

struct policy_client {
	struct msgchan		 ch;
	uint64_t		 nextid;
	const volatile uint64_t	*page;	/* NULL until the hello came */
	size_t			 pagesize;
	int			 count_sessions; /* POLICY_HELLO_SESSIONS */
};

/* An answer; its strings live in the answer itself. */
struct policy_answer {
	uint64_t		 gen;
	enum rules_action	 action;
	enum rules_tls		 tls;
	int			 cacheable;
	unsigned		 line;	/* 0: the table's default */
	unsigned		 col;
	const char		*text;	/* NULL if none */
	const char		*file;
	size_t			 nuntagged;
	const char		*untagged[POLICY_UNTAGGED_MAX];
	char			 buf_[POLICY_VERDICT_MAX];
};

/*
 * Takes fd (non-blocking is set here); closes it in policy_client_close.
 * maxbody: the channel's limit, policy_query_max() of the worker's
 * config, as policyd has it for this channel (0: MSG_BODY_DEFAULT).
 */
int	 policy_client_init(struct policy_client *, int, size_t);
void	 policy_client_close(struct policy_client *);
/*
 * policyd restarted: fd is the channel to the new one.  The old channel
 * and its generation page are let go; the hello is read by the next
 * query (or policy_client_start()).  0, or -1 (fd closed).
 */
int	 policy_client_renew(struct policy_client *, int, size_t);
/* Wait for policyd's hello and map the page: 0, or -1 (timeout: ETIMEDOUT) */
int	 policy_client_start(struct policy_client *, int);
/* 0 and *ans, or -1: fail closed.  q->args are sent whatever they are. */
int	 policy_query(struct policy_client *, const struct rules_query *,
	    int, struct policy_answer *);
/*
 * The same in three steps, for several queries at once (answered in
 * order, on one round trip): each query queued with its id, all sent,
 * then each answer waited for, by id, in the order queued.  An answer
 * not waited for (after a failure) is dropped when a later one is.
 */
int	 policy_query_queue(struct policy_client *, const struct rules_query *,
	    uint64_t *id);
int	 policy_queries_send(struct policy_client *, int timeout_ms);
int	 policy_answer_wait(struct policy_client *, uint64_t id, int timeout_ms,
	    struct policy_answer *);
/*
 * A login for policyd's counters (proto_policy.h): type MSG_P_LOGIN_CHECK,
 * _FAILED or _OK, the client's address (16 bytes) and the user name
 * (userlen 0: not known).  0 and *st, or -1: no answer in timeout_ms.
 */
int	 policy_login(struct policy_client *, uint32_t type, int family,
	    const uint8_t *addr, const char *user, size_t userlen,
	    int timeout_ms, struct policy_login_status *st);
/* The session that logged in is over (no answer comes).  0, or -1. */
int	 policy_login_end(struct policy_client *, int timeout_ms);
/* The current generation, 0 if nothing is loaded or no page yet. */
uint64_t policy_generation(const struct policy_client *);
/*
 * 1: the page says no login block can be in force now, so the answer to
 * MSG_P_LOGIN_CHECK is known without asking; 0: ask.
 */
int	 policy_no_blocks(const struct policy_client *);

#endif
