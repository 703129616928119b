/*
 * What the tests of postern.rules(5) share: one blob, B, that
 * compile_ok() compiles a text into (and checks with rules_blob_check());
 * compile_err() for a text that must not compile, with its message; a
 * query, matched against B, and CHECK_V() of the action and line it gets.
 * Static inline, so a test file need not call every one.
 */
#ifndef REGRESS_RULES_HARNESS_H
#define REGRESS_RULES_HARNESS_H

#include <sys/socket.h>
#include <arpa/inet.h>

#include <string.h>

#include <atf-c.h>

#include "rules.h"
#include "rules_blob.h"

static struct rules_blob	 B;

static inline void
compile_ok(const char *src)
{
	struct rules_error	 e;

	rules_blob_free(&B);
	if (rules_compile(src, strlen(src), "t.rules", &B, &e) != 0)
		atf_tc_fail("compile failed: %s", e.msg);
	ATF_REQUIRE_EQ(rules_blob_check(B.data, B.size), 0);
}

static inline void
compile_err(const char *src, const char *msg)
{
	struct rules_blob	 b;
	struct rules_error	 e;

	if (rules_compile(src, strlen(src), "t.rules", &b, &e) == 0) {
		rules_blob_free(&b);
		atf_tc_fail("compiled, expected: %s", msg);
	}
	ATF_CHECK_STREQ_MSG(e.msg, msg, "for %s", src);
	ATF_CHECK(b.data == NULL);
}

static inline struct rules_query
query(enum rules_proto p, enum rules_table t, const char *key)
{
	struct rules_query	 q;

	memset(&q, 0, sizeof(q));
	q.proto = p;
	q.table = t;
	q.key = key;
	return q;
}

static inline struct rules_verdict
match(const struct rules_query *q)
{
	struct rules_verdict	 v;

	ATF_REQUIRE_EQ(rules_match(B.data, q, &v), 0);
	return v;
}

/* the action and the deciding line of an imap request */
static inline struct rules_verdict
req(const char *key)
{
	struct rules_query	 q = query(RULES_IMAP, RULES_REQUEST, key);

	return match(&q);
}

#define CHECK_V(v, act, ln) do {					\
	ATF_CHECK_EQ_MSG((v).action, (act), "action %s, want %s",	\
	    rules_action_name((v).action), rules_action_name(act));	\
	ATF_CHECK_EQ_MSG((v).line, (unsigned)(ln), "line %u, want %u",	\
	    (v).line, (unsigned)(ln));					\
} while (0)

static inline void
set_addr(struct rules_query *q, const char *a)
{
	q->family = strchr(a, ':') ? AF_INET6 : AF_INET;
	memset(q->addr, 0, sizeof(q->addr));
	ATF_REQUIRE(inet_pton(q->family, a, q->addr) == 1);
}

#endif
