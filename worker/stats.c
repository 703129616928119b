/*
 * A session's counters and what the master shows of it (stats.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "msg.h"
#include "policy_client.h"
#include "proto_worker.h"
#include "stats.h"

_Static_assert(RULES_LIST < WORKER_STATS_TABLES,
    "every rules table has its row of verdicts");
/* A route (route.c) is asked once per login and counted by no table. */
_Static_assert(RULES_APOP < WORKER_STATS_ACTIONS && RULES_ROUTE_TO ==
    RULES_ACTION_MAX, "every action but route has its column of verdicts");

static const uint64_t bounds_us[WORKER_RTT_BUCKETS - 1] = {
	WORKER_RTT_BOUNDS_US
};

static struct {
	struct msgchan			*chan;	/* NULL: no session */
	struct worker_session_stats	 st;
	struct worker_session_info	 info;
} s;

static void	 info_send(void);

void
stats_begin(struct msgchan *chan, uint64_t id)
{
	memset(&s, 0, sizeof(s));
	s.chan = chan;
	s.st.id = id;
	s.info.id = id;
}

int
stats_end(void)
{
	int	 rc = 0;

	if (s.chan != NULL && msg_compose(s.chan, MSG_W_SESSION_STATS, 0, -1,
	    &s.st, sizeof(s.st)) == -1)
		rc = -1;
	s.chan = NULL;
	return rc;
}

static void
info_send(void)
{
	if (s.chan != NULL && msg_compose(s.chan, MSG_W_SESSION_INFO, 0, -1,
	    &s.info, sizeof(s.info)) == -1)
		log_warn("queue session info");
}

void
stats_user(const char *user)
{
	(void)snprintf(s.info.user, sizeof(s.info.user), "%s", user);
	info_send();
}

void
stats_login_failed(void)
{
	s.st.login_failures++;
}

void
stats_tls(enum stats_side side, int ok, const char *version)
{
	if (!ok) {
		s.st.tls_failed[side]++;
		return;
	}
	s.st.tls_ok[side]++;
	if (side != STATS_CLIENT)
		return;
	(void)snprintf(s.info.tls, sizeof(s.info.tls), "%s",
	    version != NULL ? version : "TLS");
	info_send();
}

void
stats_upstream_failed(void)
{
	s.st.upstream_failures++;
}

static int
table_index(const char *table)
{
	static const char *const names[] = {
		[RULES_CONNECT] = "connect",
		[RULES_REQUEST] = "request",
		[RULES_RESPONSE] = "response",
		[RULES_CAPABILITY] = "capability",
		[RULES_LIST] = "list",
	};
	int	 i;

	for (i = RULES_CONNECT; i <= RULES_LIST; i++)
		if (strcmp(table, names[i]) == 0)
			return i;
	return 0;
}

void
stats_verdict(const char *table, const struct policy_answer *ans,
    int cached)
{
	unsigned int	 a = 0;

	if (ans != NULL && (unsigned int)ans->action < WORKER_STATS_ACTIONS)
		a = (unsigned int)ans->action;
	s.st.verdicts[table_index(table)][a]++;
	if (cached)
		s.st.cache_hits++;
	else
		s.st.cache_misses++;
}

uint64_t
stats_clock(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

void
stats_round_trip(uint64_t t0)
{
	uint64_t	 ns = stats_clock() - t0;
	size_t		 i;

	for (i = 0; i < WORKER_RTT_BUCKETS - 1; i++)
		if (ns <= bounds_us[i] * 1000)
			break;
	s.st.rtt[i]++;
	s.st.rtt_sum_ns += ns;
}
