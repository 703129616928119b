/*
 * The worker's side of the password-guessing guard (login_guard.h).
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <string.h>

#include "log.h"
#include "login_guard.h"
#include "policy_client.h"
#include "proto_policy.h"

void
login_guard_init(struct login_guard *g, struct policy_client *pc,
    int timeout_ms, const struct worker_session *ws)
{
	memset(g, 0, sizeof(*g));
	g->pc = pc;
	g->timeout_ms = timeout_ms;
	g->id = ws->id;
	if (inet_pton(AF_INET, ws->client_addr, g->addr) == 1)
		g->family = AF_INET;
	else if (inet_pton(AF_INET6, ws->client_addr, g->addr) == 1)
		g->family = AF_INET6;
}

/* -1: no answer, and the session goes on without one (fails open). */
static int
ask(struct login_guard *g, uint32_t type, const char *user, size_t len,
    struct policy_login_status *st)
{
	if (g->pc == NULL)
		return -1;
	if (policy_login(g->pc, type, g->family, g->addr, user, len,
	    g->timeout_ms, st) == 0)
		return 0;
	if (!g->silent)
		log_warn("session %llu: login counters: no answer from "
		    "postern-policyd within %d ms; logins of this session go "
		    "uncounted", (unsigned long long)g->id, g->timeout_ms);
	g->silent = 1;
	return -1;
}

static const char *
what(uint32_t block)
{
	return block == LOGIN_BLOCKED_USER ? "user" : "address";
}

int
login_guard_check(struct login_guard *g, const char *user, size_t len,
    uint32_t *retry_s)
{
	struct policy_login_status	 st;

	*retry_s = 0;
	if (g->pc == NULL)
		return 0;
	/*
	 * policyd's answer is the truth; without one, what we knew.  No
	 * block in force anywhere (the generation page says so): the
	 * answer is known, and the round trip spared.
	 */
	if (!policy_no_blocks(g->pc) &&
	    ask(g, MSG_P_LOGIN_CHECK, user, len, &st) == 0) {
		g->block = st.block == LOGIN_BLOCKED_ADDR ||
		    st.block == LOGIN_BLOCKED_USER ? st.block : LOGIN_OPEN;
		*retry_s = st.retry_s;
	}
	if (g->block == LOGIN_OPEN)
		return 0;
	log_info("session %llu: login refused: the %s is blocked after too "
	    "many failed logins%s", (unsigned long long)g->id,
	    what(g->block), g->silent ? " (as postern-policyd said before)" :
	    "");
	return 1;
}

uint32_t
login_guard_failed(struct login_guard *g, const char *user, size_t len)
{
	struct policy_login_status	 st;

	if (ask(g, MSG_P_LOGIN_FAILED, user, len, &st) == -1)
		return 0;
	if (st.block == LOGIN_BLOCKED_ADDR || st.block == LOGIN_BLOCKED_USER)
		g->block = st.block;
	if (st.delay_ms > 0)
		log_info("session %llu: failed login %u of this address: its "
		    "answer waits %u ms", (unsigned long long)g->id,
		    st.failures, st.delay_ms);
	return st.delay_ms;
}

int
login_guard_ok(struct login_guard *g, const char *user, size_t len)
{
	struct policy_login_status	 st;

	/* Nothing counts a user's sessions: no round trip for them. */
	if (g->pc == NULL || !g->pc->count_sessions)
		return 0;
	if (ask(g, MSG_P_LOGIN_OK, user, len, &st) == -1)
		return 0;
	if (st.block == LOGIN_SESSIONS) {
		log_info("session %llu: user \"%.*s\" has too many sessions: "
		    "ended after its login", (unsigned long long)g->id,
		    len > 64 ? 64 : (int)len, user);
		return 1;
	}
	g->counted = 1;
	return 0;
}

void
login_guard_end(struct login_guard *g)
{
	if (g->pc == NULL || !g->counted)
		return;
	g->counted = 0;
	if (policy_login_end(g->pc, g->timeout_ms) == -1)
		log_warn("session %llu: login end to postern-policyd",
		    (unsigned long long)g->id);
}
