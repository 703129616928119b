/*
 * The POP3 policy hook (pop3_policy.h): defaults until there are
 * verdicts from postern-policyd.
 */
#include <string.h>
#include <strings.h>

#include "pop3_policy.h"
#include "pop3_session.h"

void
pop3_policy_request(const struct pop3_session *s, const struct pop3_cmd *c,
    int known, struct pop3_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->act = POP3_V_ACCEPT;
	/* No rule can name an unknown command yet: refused. */
	if (!known) {
		v->act = POP3_V_REJECT;
		v->text = "-ERR Unknown command";
		return;
	}
	if (strcmp(c->kw, "STLS") == 0 && pop3_policy_stls(s, v))
		return;
	if (s->lim.apop_userpass &&
	    (strcmp(c->kw, "USER") == 0 || strcmp(c->kw, "PASS") == 0))
		v->act = POP3_V_APOP;
}

void
pop3_policy_response(const struct pop3_session *s, const char *kw,
    const uint8_t *p, size_t len, struct pop3_verdict *v)
{
	(void)s;
	(void)kw;
	(void)p;
	(void)len;
	memset(v, 0, sizeof(*v));
	v->act = POP3_V_ACCEPT;
}

int
pop3_policy_capa(const struct pop3_session *s, const uint8_t *p, size_t len)
{
	(void)s;
	/* The capability is the line's first word (RFC 2449 section 6). */
	if (len >= 4 && strncasecmp((const char *)p, "STLS", 4) == 0 &&
	    (len == 4 || p[4] == ' '))
		return 0;
	return 1;
}

/* TLS is not in the worker yet: STLS could only be refused. */
int
pop3_policy_stls(const struct pop3_session *s, struct pop3_verdict *v)
{
	(void)s;
	v->act = POP3_V_REJECT;
	v->text = "-ERR STLS is not available through this proxy";
	return 1;
}
