/*
 * The one codec of the policy channel (proto_policy.h): a query
 * (struct rules_query) into a MSG_P_QUERY body and back, a verdict
 * (struct policy_reply) into a MSG_P_VERDICT body and back.  A worker
 * encodes queries and decodes verdicts, policyd the other way round;
 * both sides of each body are here, so they cannot drift apart.
 *
 * Decoding is strict: every length is checked against what is left,
 * nothing may follow, and a body over the channel's limit, a string
 * over its bound (POLICY_STR_MAX, POLICY_JA4_MAX, an ID field's), more
 * than POLICY_ARGS_MAX arguments or POLICY_ID_MAX ID fields is refused.
 * A refused body is the sender's protocol error: policyd ends
 * that worker's channel, a worker fails the query closed.
 */
#ifndef POSTERN_POLICY_CODEC_H
#define POSTERN_POLICY_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "policy_wire.h"
#include "proto_policy.h"

/* Bytes of a body, not NUL-terminated; len 0 may still have s. */
struct policy_str {
	const char	*s;
	size_t		 len;
};

/*
 * A verdict, as policyd sends it and a worker reads it.  A verdict that
 * is not POLICY_OK is its id, generation and status alone: the rest is
 * neither sent nor read.
 */
struct policy_reply {
	uint64_t		 id;
	uint64_t		 gen;
	uint32_t		 status;	/* enum policy_status */
	enum rules_action	 action;
	enum rules_tls		 tls;		/* RULES_TLS: the mode, or 0 */
	int			 cacheable;
	unsigned		 line;		/* 0: the table's default */
	unsigned		 col;
	struct policy_str	 text;		/* len 0: none */
	struct policy_str	 file;
	size_t			 nuntagged;
	const struct policy_str	*untagged;
};

/*
 * The most untagged lines a verdict body can hold at all, each taking
 * at least its length's two bytes: a verdict with more cannot be sent.
 */
#define POLICY_VERDICT_LINES	((POLICY_VERDICT_MAX - \
				    sizeof(struct policy_verdict)) / \
				    sizeof(uint16_t))

/* Where a decoded query keeps its strings and its arguments' headers. */
struct policy_query_room {
	char			 str[5][POLICY_STR_MAX + 1];
	char			 ja4[POLICY_JA4_MAX + 1];
	char			 idkey[POLICY_ID_MAX][RULES_ID_KEY_MAX + 1];
	char			 idvalue[POLICY_ID_MAX][RULES_ID_VALUE_MAX + 1];
	struct rules_idfield	 id[POLICY_ID_MAX];
	struct rules_arg	 args[POLICY_ARGS_MAX];
};

/*
 * The length of q's body, or 0 when it cannot be one (a string over
 * POLICY_STR_MAX, a ja4 over POLICY_JA4_MAX, more than POLICY_ARGS_MAX
 * arguments or POLICY_ID_MAX ID fields, an ID field out of its bounds, a
 * port out of range) or it is over max, the channel's limit.
 */
size_t	 policy_query_size(const struct rules_query *, size_t);
/* The body of q with request id into out, policy_query_size() bytes. */
void	 policy_query_encode(const struct rules_query *, uint64_t, void *);
/*
 * 0, the request id and the query: its strings in room, its arguments'
 * headers in room and their text in the body, which must outlive it.
 * -1: malformed or over max.  proto and table are not checked here:
 * rules_match() refuses what it does not know.
 */
int	 policy_query_decode(const void *, size_t, size_t, uint64_t *,
	    struct rules_query *, struct policy_query_room *);

/*
 * The body of the verdict into out, at most max bytes: its length, or
 * 0 when it does not fit (a string over UINT16_MAX, or the whole over
 * max).  Untagged lines are sent however many there are; a worker
 * refuses more than POLICY_UNTAGGED_MAX.  A status other than POLICY_OK
 * sends the id, generation and status only.
 */
size_t	 policy_verdict_encode(const struct policy_reply *, void *, size_t);
/*
 * 0 and *r, its strings pointing into the body and its untagged lines
 * in lines; or -1: malformed, over max, or more than POLICY_UNTAGGED_MAX
 * lines.  r->id is set whenever the body holds the fixed part, even if
 * the rest is refused, so that an answer to an earlier query is known
 * as one.  A status other than POLICY_OK is read alone: 0, and r has
 * the id, generation and status, the rest 0.
 */
int	 policy_verdict_decode(const void *, size_t, size_t,
	    struct policy_reply *, struct policy_str[POLICY_UNTAGGED_MAX]);

#endif
