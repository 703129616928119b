/*
 * The POP3 policy hook (pop3_hooks.h): the worker's own TLS decisions,
 * then the policy's ops, or the defaults of a worker without a policy
 * store.
 */
#include <string.h>
#include <strings.h>

#include "pop3_hooks.h"
#include "pop3_session.h"

static int
is_login(const char *kw)
{
	return strcmp(kw, "USER") == 0 || strcmp(kw, "PASS") == 0 ||
	    strcmp(kw, "APOP") == 0 || strcmp(kw, "AUTH") == 0;
}

int
pop3_hooks_tls_first(const struct pop3_session *s, const char *kw)
{
	return s->tls.required && !s->tls.active && is_login(kw);
}

void
pop3_hooks_request(const struct pop3_session *s, const struct pop3_cmd *c,
    int known, struct pop3_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->act = POP3_V_ACCEPT;
	if (known && strcmp(c->kw, "STLS") == 0) {
		if (!pop3_hooks_stls(s, v))
			v->act = POP3_V_STLS;
		return;
	}
	/* forward id: the server hears the client's address from us. */
	if (s->xclient_ours && strcmp(c->kw, "XCLIENT") == 0) {
		v->act = POP3_V_REJECT;
		v->text = "-ERR XCLIENT is postern's to send";
		return;
	}
	if (known && pop3_hooks_tls_first(s, c->kw)) {
		v->act = POP3_V_REJECT;
		v->text = "-ERR Use STLS first";
		return;
	}
	if (s->ops != NULL && s->ops->request != NULL) {
		s->ops->request(s->opsarg, s, c, known, v);
		return;
	}
	/* Without a policy no rule can name an unknown command. */
	if (!known) {
		v->act = POP3_V_REJECT;
		v->text = "-ERR Unknown command";
		return;
	}
	if (s->lim.apop_userpass &&
	    (strcmp(c->kw, "USER") == 0 || strcmp(c->kw, "PASS") == 0))
		v->act = POP3_V_APOP;
}

void
pop3_hooks_response(const struct pop3_session *s, const char *kw,
    const uint8_t *p, size_t len, struct pop3_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->act = POP3_V_ACCEPT;
	if (s->ops != NULL && s->ops->response != NULL)
		s->ops->response(s->opsarg, s, kw, p, len, v);
}

int
pop3_hooks_capa(const struct pop3_session *s, const uint8_t *p, size_t len)
{
	/*
	 * The capability is the line's first word (RFC 2449 section 6).
	 * STLS is ours to offer: the session adds it when it is.
	 */
	if (len >= 4 && strncasecmp((const char *)p, "STLS", 4) == 0 &&
	    (len == 4 || p[4] == ' '))
		return 0;
	/* And XCLIENT is ours with forward id. */
	if (s->xclient_ours && len >= 7 &&
	    strncasecmp((const char *)p, "XCLIENT", 7) == 0 &&
	    (len == 7 || p[7] == ' '))
		return 0;
	if (s->ops != NULL && s->ops->capa != NULL)
		return s->ops->capa(s->opsarg, s, p, len);
	return 1;
}

/*
 * STLS is answered here: once, in AUTHORIZATION before USER, with
 * nothing in flight, when the session's TLS mode offers it.
 */
int
pop3_hooks_stls(const struct pop3_session *s, struct pop3_verdict *v)
{
	v->act = POP3_V_REJECT;
	if (s->tls.active)
		v->text = "-ERR TLS is already active";
	else if (!s->tls.offered)
		v->text = "-ERR STLS is not available through this proxy";
	else if (s->user_ok || s->qlen > 0)
		v->text = "-ERR STLS only before USER, with nothing in flight";
	else
		return 0;
	return 1;
}
