/*
 * The route query (route.h): one policy query of the route table,
 * asked once per login and never cached, since an answer of the route
 * table and one of a rule look alike to the verdict cache and the table
 * is large.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "route.h"

/* letters, digits, '-', '_', '.', as postern.conf(5) spells a name */
static int
upstream_name_ok(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return n > 0 && n < WORKER_NAME_MAX;
}

int
route_ask(struct policy_client *pc, enum rules_proto proto,
    const struct worker_session *s, int tls, const char *ja4,
    const char *user, int timeout_ms, struct route_choice *rc)
{
	static struct policy_answer	 ans;
	struct rules_query		 q;
	char				 listener[WORKER_NAME_MAX];

	memset(rc, 0, sizeof(*rc));
	(void)snprintf(rc->source, sizeof(rc->source), "default");
	if (pc == NULL)
		return 0;
	memset(&q, 0, sizeof(q));
	q.proto = proto;
	q.table = RULES_ROUTE;
	q.tls = tls;
	q.state = proto == RULES_POP3 ? RULES_ST_AUTHORIZATION :
	    RULES_ST_NOT_AUTHENTICATED;
	q.user = user;
	if (inet_pton(AF_INET, s->client_addr, q.addr) == 1)
		q.family = AF_INET;
	else if (inet_pton(AF_INET6, s->client_addr, q.addr) == 1)
		q.family = AF_INET6;
	(void)snprintf(listener, sizeof(listener), "%.*s",
	    (int)sizeof(s->listener), s->listener);
	q.listener = listener[0] != '\0' ? listener : NULL;
	q.port = s->local_port;
	q.ja4 = ja4;
	if (pc->ch.fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	if (policy_query(pc, &q, timeout_ms, &ans) == -1)
		return -1;
	rc->gen = ans.gen;
	if (ans.action == RULES_ACCEPT && ans.line == 0)
		return 0;
	if (ans.action != RULES_ROUTE_TO || ans.text == NULL ||
	    !upstream_name_ok(ans.text)) {
		log_warnx("session %llu: route of %s: an answer of action %s "
		    "without an upstream name", (unsigned long long)s->id,
		    user, rules_action_name(ans.action));
		errno = EPROTO;
		return -1;
	}
	(void)snprintf(rc->upstream, sizeof(rc->upstream), "%s", ans.text);
	if (ans.line == 0)
		(void)snprintf(rc->source, sizeof(rc->source), "%s",
		    ans.file != NULL ? ans.file : RULES_ROUTE_TABLE_FILE);
	else
		(void)snprintf(rc->source, sizeof(rc->source), "%.100s:%u",
		    ans.file != NULL ? ans.file : "?", ans.line);
	return 0;
}
