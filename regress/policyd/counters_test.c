/*
 * The login counter table of postern-policyd (policyd/counters.c):
 * windows, blocks, expiry, eviction and the grouping of addresses.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "counters.h"

static const struct counter_rule rule3 = { 3, 10000, 60000 };

static struct counter_key
addr(const char *s)
{
	struct counter_key	 k;
	uint8_t			 a[16] = { 0 };
	int			 fam = strchr(s, ':') != NULL ? AF_INET6 :
				    AF_INET;

	ATF_REQUIRE(inet_pton(fam, s, a) == 1);
	counter_key_addr(&k, fam, a);
	return k;
}

static struct counter_key
user(const char *s)
{
	struct counter_key	 k;

	counter_key_user(&k, s, strlen(s));
	return k;
}

ATF_TC_WITHOUT_HEAD(window);
ATF_TC_BODY(window, tc)
{
	struct counters		*c = counters_new(16);
	struct counter_key	 k = addr("192.0.2.1");
	struct counter_rule	 r = { 0, 10000, 0 };

	ATF_REQUIRE(c != NULL);
	ATF_CHECK_EQ(counters_failures(c, &k, 0), 0);
	ATF_CHECK_EQ(counters_fail(c, &k, 1000, &r), 1);
	ATF_CHECK_EQ(counters_fail(c, &k, 5000, &r), 2);
	ATF_CHECK_EQ(counters_failures(c, &k, 10999), 2);
	/* The window opened at the first failure and closes 10 s on. */
	ATF_CHECK_EQ(counters_failures(c, &k, 11000), 0);
	ATF_CHECK_EQ(counters_fail(c, &k, 11000, &r), 1);
	/* No rule to block: never blocked. */
	ATF_CHECK_EQ(counters_blocked(c, &k, 11000), 0);
	counters_free(c);
}

ATF_TC_WITHOUT_HEAD(block);
ATF_TC_BODY(block, tc)
{
	struct counters		*c = counters_new(16);
	struct counter_key	 k = addr("192.0.2.1");
	struct counter_key	 other = addr("192.0.2.2");

	ATF_REQUIRE(c != NULL);
	ATF_CHECK_EQ(counters_fail(c, &k, 0, &rule3), 1);
	ATF_CHECK_EQ(counters_fail(c, &k, 100, &rule3), 2);
	ATF_CHECK_EQ(counters_blocked(c, &k, 100), 0);
	ATF_CHECK_EQ(counters_fail(c, &k, 200, &rule3), 3);
	ATF_CHECK_EQ(counters_blocked(c, &k, 200), 60200);
	ATF_CHECK_EQ(counters_blocked(c, &other, 200), 0);
	ATF_CHECK_EQ(counters_blocked(c, &k, 60199), 60200);
	ATF_CHECK_EQ(counters_blocked(c, &k, 60200), 0);
	/* After the block, a fresh window. */
	ATF_CHECK_EQ(counters_fail(c, &k, 60300, &rule3), 1);
	counters_free(c);
}

ATF_TC_WITHOUT_HEAD(expire);
ATF_TC_BODY(expire, tc)
{
	struct counters		*c = counters_new(16);
	struct counter_key	 a = addr("192.0.2.1"), b = addr("192.0.2.2");
	struct counter_key	 u = user("alice");

	ATF_REQUIRE(c != NULL);
	(void)counters_fail(c, &a, 0, &rule3);
	(void)counters_fail(c, &b, 5000, &rule3);
	ATF_CHECK_EQ(counters_session_add(c, &u, 0), 1);
	ATF_CHECK_EQ(counters_size(c), 3);
	counters_expire(c, 9999);
	ATF_CHECK_EQ(counters_size(c), 3);
	/* a's window is over; b's is not, so the sweep stops there. */
	counters_expire(c, 10000);
	ATF_CHECK_EQ(counters_size(c), 2);
	counters_expire(c, 20000);
	/* A user with a session is kept, whatever the time. */
	ATF_CHECK_EQ(counters_size(c), 1);
	counters_session_del(c, &u);
	counters_expire(c, 20000);
	ATF_CHECK_EQ(counters_size(c), 0);
	/* A block outlives its window. */
	(void)counters_fail(c, &a, 0, &rule3);
	(void)counters_fail(c, &a, 0, &rule3);
	(void)counters_fail(c, &a, 0, &rule3);
	counters_expire(c, 59999);
	ATF_CHECK_EQ(counters_size(c), 1);
	counters_expire(c, 60000);
	ATF_CHECK_EQ(counters_size(c), 0);
	counters_free(c);
}

ATF_TC_WITHOUT_HEAD(evict);
ATF_TC_BODY(evict, tc)
{
	struct counters		*c = counters_new(4);
	struct counter_key	 k[6], u = user("bob");
	char			 s[32];
	int			 i;

	ATF_REQUIRE(c != NULL);
	for (i = 0; i < 6; i++) {
		(void)snprintf(s, sizeof(s), "198.51.100.%d", i);
		k[i] = addr(s);
	}
	ATF_CHECK_EQ(counters_session_add(c, &u, 0), 1);
	for (i = 0; i < 3; i++)
		(void)counters_fail(c, &k[i], i, &rule3);
	ATF_CHECK_EQ(counters_size(c), 4);
	/* k[0] is touched again: k[1] is now the least recent. */
	(void)counters_fail(c, &k[0], 10, &rule3);
	(void)counters_fail(c, &k[3], 11, &rule3);
	ATF_CHECK_EQ(counters_size(c), 4);
	ATF_CHECK_EQ(counters_failures(c, &k[1], 11), 0);
	ATF_CHECK_EQ(counters_failures(c, &k[0], 11), 2);
	ATF_CHECK_EQ(counters_failures(c, &k[2], 11), 1);
	/* The session is never given up, though the least recent. */
	ATF_CHECK_EQ(counters_session_add(c, &u, 12), 2);
	for (i = 0; i < 3; i++)
		counters_session_del(c, &u);
	ATF_CHECK_EQ(counters_fail(c, &k[4], 13, &rule3), 1);
	ATF_CHECK_EQ(counters_fail(c, &k[5], 14, &rule3), 1);
	ATF_CHECK_EQ(counters_size(c), 4);
	counters_free(c);

	/* A table of sessions only takes no failure, and says so. */
	c = counters_new(1);
	ATF_REQUIRE(c != NULL);
	ATF_CHECK_EQ(counters_session_add(c, &u, 0), 1);
	ATF_CHECK_EQ(counters_fail(c, &k[0], 0, &rule3), 0);
	ATF_CHECK_EQ(counters_session_add(c, &k[0], 0), 0);
	counters_free(c);
}

ATF_TC_WITHOUT_HEAD(grouping);
ATF_TC_BODY(grouping, tc)
{
	struct counters		*c = counters_new(64);
	struct counter_key	 a = addr("2001:db8:1:2::1");
	struct counter_key	 b = addr("2001:db8:1:2:ffff:ffff:ffff:ffff");
	struct counter_key	 other = addr("2001:db8:1:3::1");
	struct counter_key	 v4 = addr("32.1.13.184");
	struct counter_key	 v4b = addr("32.1.13.185");
	struct counter_key	 u1 = user("alice"), u2 = user("Alice");

	ATF_REQUIRE(c != NULL);
	/* One /64, one count. */
	ATF_CHECK_EQ(counters_fail(c, &a, 0, &rule3), 1);
	ATF_CHECK_EQ(counters_fail(c, &b, 0, &rule3), 2);
	ATF_CHECK_EQ(counters_failures(c, &other, 0), 0);
	/* An IPv4 address whose bytes begin an IPv6 one is not it. */
	ATF_CHECK_EQ(counters_failures(c, &v4, 0), 0);
	/* IPv4: each address its own. */
	ATF_CHECK_EQ(counters_fail(c, &v4, 0, &rule3), 1);
	ATF_CHECK_EQ(counters_failures(c, &v4b, 0), 0);
	/* Names as they are; an address never shares a user's count. */
	ATF_CHECK_EQ(counters_fail(c, &u1, 0, &rule3), 1);
	ATF_CHECK_EQ(counters_failures(c, &u2, 0), 0);
	counters_free(c);
}

ATF_TC_WITHOUT_HEAD(long_names);
ATF_TC_BODY(long_names, tc)
{
	struct counters		*c = counters_new(8);
	struct counter_key	 a, b;
	char			 n[600];

	ATF_REQUIRE(c != NULL);
	memset(n, 'x', sizeof(n));
	counter_key_user(&a, n, sizeof(n));
	n[sizeof(n) - 1] = 'y';
	counter_key_user(&b, n, sizeof(n));
	/* Names alike in their first bytes are still told apart. */
	ATF_CHECK_EQ(counters_fail(c, &a, 0, &rule3), 1);
	ATF_CHECK_EQ(counters_fail(c, &a, 0, &rule3), 2);
	ATF_CHECK_EQ(counters_failures(c, &b, 0), 0);
	counters_free(c);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, window);
	ATF_TP_ADD_TC(tp, block);
	ATF_TP_ADD_TC(tp, expire);
	ATF_TP_ADD_TC(tp, evict);
	ATF_TP_ADD_TC(tp, grouping);
	ATF_TP_ADD_TC(tp, long_names);
	return atf_no_error();
}
