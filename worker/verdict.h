/*
 * Verdicts for a session, whatever its protocol: the query built from the
 * session's context (client address, listener, TLS, user, state), the
 * worker's verdict cache, and failing closed.
 *
 * The cache answers a query again without a round trip to policyd when
 * the answer came from the generation that is current now (the page
 * policy_generation() reads, no syscall) and for the same context: client
 * address, listener, port, TLS and user, the client's ID fields and its
 * TLS fingerprint.  The cache is the worker's, so a later session with
 * the same context finds it warm; a new user, TLS state, ID or TLS
 * fingerprint is another context, whose verdicts are its own.  An
 * answer is kept when it depends on the session alone (policyd's
 * cacheable), or when the query carried no arguments, so that
 * everything it depends on is in the cache key
 * (table, key, kind, name, mailbox, state).  A lookup costs a hash and a
 * compare: no allocation, no syscall.
 *
 * No verdict (policyd gone, a timeout, nothing loaded): verdict_ask()
 * returns -1 and the caller fails closed.
 */
#ifndef POSTERN_WORKER_VERDICT_H
#define POSTERN_WORKER_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "policy_client.h"
#include "policy_wire.h"
#include "proto_worker.h"

/*
 * The cache starts at VERDICT_SLOTS_MIN slots and doubles, up to
 * VERDICT_SLOTS, when a verdict of the current generation would push out
 * another one: a worker whose sessions ask few questions keeps a small
 * cache.  Both powers of two.  A key may be in either of two sets of
 * VERDICT_WAYS slots.
 */
#define VERDICT_SLOTS		512
#define VERDICT_SLOTS_MIN	16
#define VERDICT_WAYS		4	/* slots of a set */
#define VERDICT_KEY_MAX		48
#define VERDICT_NAME_MAX	24
#define VERDICT_MAILBOX_MAX	128
#define VERDICT_TEXT_MAX	128
#define VERDICT_USER_MAX	256
#define VERDICT_TIMEOUT_MS	2000	/* timeout policy, by default */
#define VERDICT_ID_DIGEST	16	/* BLAKE2b of the ID fields */

struct verdict_slot {
	uint64_t		 gen;	/* 0: empty */
	uint32_t		 epoch;
	uint32_t		 hash;
	uint8_t			 table;
	uint8_t			 kind;
	uint8_t			 state;
	uint8_t			 hastext;
	uint8_t			 tls;	/* enum rules_tls, for connect */
	/* Fetched ahead (verdict_prefetch()), not yet asked for. */
	uint8_t			 fresh;
	enum rules_action	 action;
	unsigned		 line;
	unsigned		 col;
	char			 key[VERDICT_KEY_MAX];
	char			 name[VERDICT_NAME_MAX];
	/*
	 * Most verdicts have neither: each is a copy of its own, NULL when
	 * there is none, so a slot is small.
	 */
	char			*mailbox;
	char			*text;
};

/* One question. */
struct verdict_q {
	enum rules_table	 table;
	const char		*key;
	enum rules_kind		 kind;
	const char		*name;
	const char		*mailbox;
	const struct rules_arg	*args;
	size_t			 nargs;
};

/* An answer; valid until the next verdict_ask(). */
struct verdict {
	enum rules_action	 action;
	enum rules_tls		 tls;		/* RULES_TLS: the mode */
	const char		*text;		/* NULL if none */
	size_t			 nuntagged;
	const char *const	*untagged;
	uint64_t		 gen;
	int			 cached;
	const struct policy_answer *ans;	/* for the audit */
};

struct verdict_session {
	struct policy_client	*pc;
	int			 timeout_ms;
	enum rules_proto	 proto;
	int			 tls;
	int			 family;
	uint8_t			 addr[16];
	char			 listener[WORKER_NAME_MAX];
	unsigned		 port;
	char			 user[VERDICT_USER_MAX];
	int			 hasuser;
	/* The client's ID (the caller's fields) and TLS fingerprint. */
	const struct rules_idfield *id;
	size_t			 nid;
	uint8_t			 iddigest[VERDICT_ID_DIGEST];
	char			 ja4[RULES_JA4_LEN + 1];
	enum rules_state	 state;
	uint32_t		 epoch;		/* the context's serial */
	uint64_t		 asked;		/* verdicts given */
	uint64_t		 hits;		/* of which from the cache */
	uint64_t		 failed;	/* no verdict */
	int			 cached;	/* 0: no cache (no policy) */
	/* Taken by a verdict, given back by verdict_rest() and _free(). */
	struct policy_answer	*ans;
	struct policy_answer	*hit;
};

/* 0, or -1 (out of memory).  pc may be NULL: then there is no policy. */
int	 verdict_init(struct verdict_session *, struct policy_client *,
	    int, enum rules_proto, const struct worker_session *);
void	 verdict_free(struct verdict_session *);
/*
 * The session is quiet: its two answers go back until the next verdict
 * takes them again.  The last verdict is no longer valid.
 */
void	 verdict_rest(struct verdict_session *);
/* Context changes: another context, whose cached verdicts are its own. */
void	 verdict_set_user(struct verdict_session *, const char *, size_t);
/* TLS on the client leg, and its JA4 (NULL or "": none). */
void	 verdict_set_tls(struct verdict_session *, int, const char *);
/* The client's ID fields: the caller's, until the next call (NULL, 0). */
void	 verdict_set_id(struct verdict_session *,
	    const struct rules_idfield *, size_t);
void	 verdict_set_state(struct verdict_session *, enum rules_state);
/* 0 and *v, or -1: no verdict, fail closed. */
int	 verdict_ask(struct verdict_session *, const struct verdict_q *,
	    struct verdict *);
/*
 * The verdicts of n questions about to be asked (a capability list's),
 * those not in the cache fetched from policyd at once, on one round trip
 * rather than one each, and kept in the cache, where verdict_ask() finds
 * them; the first time it does, it says the verdict is not from the
 * cache, as it is not.  A failure leaves the rest to verdict_ask().
 * At most VERDICT_PREFETCH_MAX questions.  A caller with a list asked
 * before skips it (verdict_cached() of its first question) before it
 * builds the questions.
 */
#define VERDICT_PREFETCH_MAX	64
void	 verdict_prefetch(struct verdict_session *, const struct verdict_q *,
	    size_t n);
/* 1: q's verdict is in the cache; nothing asked, nothing counted. */
int	 verdict_cached(struct verdict_session *, const struct verdict_q *);
/* The cache's share, logged at debug level when the session ends. */
void	 verdict_log_stats(const struct verdict_session *, uint64_t);

#endif
