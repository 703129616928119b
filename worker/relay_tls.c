/*
 * The session's legs before their first byte: the client's TLS, implicit
 * or after STARTTLS, and the upstream's, implicit or by STARTTLS/STLS,
 * after the PROXY v2 header when the listener forwards one (relay_tls.h).
 * A failure ends the session here, with a BYE the client can read.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "forward.h"
#include "log.h"
#include "relay_int.h"
#include "relay_tls.h"
#include "stats.h"
#include "tls.h"
#include "tls_upstream.h"

static int	 upstream_proxy_v2(struct relay *);
static int	 upstream_prelude(struct relay *);

enum worker_tls_mode
relay_tls_mode(const struct relay *r)
{
	return r->tls_mode;
}

int
relay_tls_active(const struct relay *r, enum relay_side i)
{
	return r->s[i].ssl != NULL;
}

const char *
relay_tls_ja4(const struct relay *r)
{
	return tls_ja4(r->s[RELAY_CLIENT].ssl);
}

void
relay_starttls(struct relay *r)
{
	r->starttls = 1;
}

/* The client's handshake after our STARTTLS OK went out. */
void
relay_tls_client(struct relay *r)
{
	struct side	*s = &r->s[RELAY_CLIENT];
	const char	*v, *c, *sni;

	r->starttls = 0;
	if (buf_len(&s->in) > 0) {
		log_warnx("security: session %llu: client sent %zu bytes "
		    "after STARTTLS, before TLS (command injection): session "
		    "aborted", (unsigned long long)r->sess->id,
		    buf_len(&s->in));
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	/* STARTTLS comes before the login: its deadline holds. */
	if ((s->ssl = tls_server_new(s->fd)) == NULL ||
	    tls_handshake(s->ssl, r->login_deadline != 0 ? r->login_deadline :
	    now_ms() + (int64_t)r->conf->timeout_login * 1000, r->sess->id,
	    "client") == -1) {
		stats_tls(STATS_CLIENT, 0, NULL);
		tls_free(s->ssl);
		s->ssl = NULL;
		s->dead = 1;
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	tls_describe(s->ssl, &v, &c, &sni);
	audit_set_tls(1, v, c, sni, tls_ja4(s->ssl));
	stats_tls(STATS_CLIENT, 1, v);
	log_debug("session %llu: client TLS %s %s sni %s",
	    (unsigned long long)r->sess->id, v, c, sni ? sni : "-");
}

/*
 * Before the first byte: the client's implicit TLS, then the upstream's
 * TLS, implicit or by STARTTLS.  A failure ends the session, with a BYE
 * to a client that can read one.
 */
void
relay_tls_begin(struct relay *r)
{
	struct side		*c = &r->s[RELAY_CLIENT];
	const char		*v, *ci, *sni;
	uint64_t		 id = r->sess->id;
	const char		*refused;

	/* A client of an implicit listener reads its refusal over TLS. */
	(void)tls_connect_mode(r->conf, r->env != NULL ? r->env->policy :
	    NULL, r->sess, &r->tls_mode, &refused);
	if (r->tls_mode == WORKER_TLS_IMPLICIT) {
		if ((c->ssl = tls_server_new(c->fd)) == NULL ||
		    tls_handshake(c->ssl, r->login_deadline, id,
		    "client") == -1) {
			stats_tls(STATS_CLIENT, 0, NULL);
			tls_free(c->ssl);
			c->ssl = NULL;
			c->dead = 1;
			relay_close(r, WORKER_END_ERROR);
			return;
		}
		tls_describe(c->ssl, &v, &ci, &sni);
		audit_set_tls(1, v, ci, sni, tls_ja4(c->ssl));
		stats_tls(STATS_CLIENT, 1, v);
		log_debug("session %llu: client TLS %s %s sni %s",
		    (unsigned long long)id, v, ci, sni ? sni : "-");
	}
	if (refused != NULL) {
		relay_bye(r, refused);
		relay_close(r, WORKER_END_POLICY);
		return;
	}
	/* login proxy: the upstream comes after the login. */
	if (r->front == 0)
		relay_upstream_begin(r);
}

/* The upstream's side: PROXY v2 header, then its TLS, if any. */
void
relay_upstream_begin(struct relay *r)
{
	struct side		*u = &r->s[RELAY_UPSTREAM];
	const struct worker_tls	*t = tls_conf();
	const char		*v, *ci, *sni;
	uint64_t		 id = r->sess->id;
	int			 failed = 0;

	if (r->conf->forward == WORKER_FORWARD_PROXY_V2 &&
	    upstream_proxy_v2(r) == -1)
		return;
	if (t->up_mode == WORKER_UPTLS_NONE)
		return;
	if (tls_upstream_connected(u->fd, r->up_deadline, id) == -1) {
		stats_upstream_failed();
		failed = 1;
	} else if ((t->up_mode == WORKER_UPTLS_STARTTLS &&
	    upstream_prelude(r) == -1) ||
	    (u->ssl = tls_client_new(u->fd)) == NULL ||
	    tls_handshake(u->ssl, r->up_deadline, id, "upstream") == -1) {
		stats_tls(STATS_UPSTREAM, 0, NULL);
		failed = 1;
	}
	if (failed) {
		tls_free(u->ssl);
		u->ssl = NULL;
		u->dead = 1;
		relay_bye(r, "[UNAVAILABLE] Server unavailable: TLS to the server "
		    "failed");
		relay_close(r, WORKER_END_ERROR);
		return;
	}
	u->connected = 1;
	stats_tls(STATS_UPSTREAM, 1, NULL);
	tls_describe(u->ssl, &v, &ci, &sni);
	audit_set_tls_upstream(1, v, ci, t->up_name);
	log_debug("session %llu: upstream TLS %s %s%s",
	    (unsigned long long)id, v, ci,
	    SSL_session_reused(u->ssl) ? ", resumed" : "");
	/*
	 * After STARTTLS the server does not greet again: the session
	 * gets a greeting without capabilities, so the client asks the
	 * server anew, over TLS.
	 */
	if (t->up_mode == WORKER_UPTLS_STARTTLS &&
	    buf_add(&u->in, r->up_greeting, strlen(r->up_greeting)) == -1)
		relay_close(r, WORKER_END_ERROR);
}

/*
 * "forward proxy-v2": the header goes out first, once the connect is
 * done and the client's implicit TLS, if any, is up (its version and
 * cipher are in the header).  A STARTTLS client is in plaintext when it
 * comes, and its header says so.  Ends the session when it fails: -1.
 */
static int
upstream_proxy_v2(struct relay *r)
{
	struct side	*c = &r->s[RELAY_CLIENT];
	struct side	*u = &r->s[RELAY_UPSTREAM];
	const char	*v = NULL, *ci = NULL, *sni = NULL;
	uint8_t		 hdr[FORWARD_V2_MAX];
	ssize_t		 n;

	if (c->ssl != NULL)
		tls_describe(c->ssl, &v, &ci, &sni);
	if ((n = forward_proxy_v2(hdr, sizeof(hdr), r->sess, v, ci, sni)) ==
	    -1) {
		log_warnx("session %llu: no PROXY v2 header for the server",
		    (unsigned long long)r->sess->id);
		n = 0;
	}
	if (n == 0 || tls_upstream_connected(u->fd, r->up_deadline,
	    r->sess->id) == -1 || forward_send(u->fd, hdr, (size_t)n,
	    r->up_deadline, r->sess->id) == -1) {
		u->dead = 1;
		relay_bye(r, "[UNAVAILABLE] Server unavailable");
		relay_close(r, WORKER_END_ERROR);
		return -1;
	}
	u->connected = 1;
	u->nout += (uint64_t)n;
	audit_forward("proxy-v2", NULL, 0);
	return 0;
}

/*
 * The upstream's STARTTLS or STLS, and the greeting the session gets in
 * place of the server's (POP3: with its APOP timestamp).
 */
static int
upstream_prelude(struct relay *r)
{
	struct side	*u = &r->s[RELAY_UPSTREAM];
	char		 ts[256];
	int		 xclient;

	if (r->conf->protocol != WORKER_PROTO_POP3) {
		(void)snprintf(r->up_greeting, sizeof(r->up_greeting),
		    "* OK postern ready\r\n");
		return tls_upstream_starttls(u->fd, r->up_deadline,
		    r->sess->id);
	}
	if (tls_upstream_stls(u->fd, r->up_deadline, r->sess->id, ts,
	    sizeof(ts), &xclient) == -1)
		return -1;
	(void)snprintf(r->up_greeting, sizeof(r->up_greeting),
	    "+OK %spostern ready%s%s\r\n", xclient &&
	    r->conf->forward == WORKER_FORWARD_ID ? "[XCLIENT] " : "",
	    ts[0] != '\0' ? " " : "", ts);
	return 0;
}
