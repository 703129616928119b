/*
 * The POP3 engine of the relay (relay.h): both directions go through
 * the session layer (pop3_session.h), and what it says goes out through
 * relay_forward(); bodies of multi-line responses by pointer into the
 * relay's input buffer.  The timers: the upstream's greeting, the login,
 * and the idle timer once the client is in TRANSACTION.
 *
 * STLS is answered here once the session takes it (pop3_hooks.h): its
 * +OK goes out only when nothing followed STLS in the same read, and
 * anything read after it and before the handshake ends the session
 * (CVE-2011-0411, RFC 2595 section 4).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pop3_enforce.h"
#include "pop3_hooks.h"
#include "pop3_relay.h"
#include "pop3_session.h"
#include "pop3_xclient.h"
#include "relay.h"
#include "relay_tls.h"

struct pop3_relay {
	struct relay			*relay;
	const struct worker_config	*conf;
	struct pop3_session		 s;
	struct pop3_enforce		 pe;
	int				 enforce;	/* pe is set up */
	int				 tls_handed;	/* STLS +OK sent */
	int				 byesent;
	uint64_t			 id;		/* the session's */
	struct pop3_xclient		 xc;		/* forward id */
};

static void	*pop3_relay_new(struct relay *, const struct worker_config *,
		    const struct worker_env *);
static void	 pop3_relay_free(void *);
static size_t	 pop3_relay_input(void *, enum relay_side, const uint8_t *,
		    size_t);
static void	 pop3_relay_bye(void *, const char *);
static uint32_t	 pop3_relay_commands(const void *);
static int	 pop3_relay_logout(const void *);
static unsigned int pop3_relay_owed(const void *);
static void	 pop3_relay_rest(void *);
static void	 io_to_server(void *, const uint8_t *, size_t);
static void	 io_to_client(void *, const uint8_t *, size_t, int);
static void	 io_close(void *, const char *);
static void	 io_greeted(void *);
static void	 io_authenticated(void *);
static void	 io_login_failed(void *);
static void	 tls_sync(struct pop3_relay *);
static size_t	 client_input(struct pop3_relay *, const uint8_t *, size_t);
static size_t	 server_input(struct pop3_relay *, const uint8_t *, size_t);

const struct relay_engine pop3_relay_engine = {
	.e_new = pop3_relay_new,
	.e_free = pop3_relay_free,
	.e_input = pop3_relay_input,
	.e_bye = pop3_relay_bye,
	.e_commands = pop3_relay_commands,
	.e_logout = pop3_relay_logout,
	.e_owed = pop3_relay_owed,
	.e_rest = pop3_relay_rest,
};

/* The limits of postern.conf; zero (an older master) keeps a default. */
void
pop3_relay_limits(const struct worker_config *conf, struct pop3_limits *lim)
{
	pop3_limits_default(lim);
	if (conf->max_pop3_line >= POP3_LINE_MIN)
		lim->line_max = conf->max_pop3_line;
	if (conf->max_username > 0)
		lim->user_max = conf->max_username;
	if (conf->max_password > 0)
		lim->pass_max = conf->max_password;
	if (conf->max_inflight > 0)
		lim->inflight_max = conf->max_inflight;
}

static void *
pop3_relay_new(struct relay *r, const struct worker_config *conf,
    const struct worker_env *env)
{
	struct pop3_relay	*pr;
	struct pop3_limits	 lim;
	struct pop3_io		 io;

	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return NULL;
	pr->relay = r;
	pr->conf = conf;
	pr->id = relay_session(r)->id;
	pop3_relay_limits(conf, &lim);
	memset(&io, 0, sizeof(io));
	io.to_server = io_to_server;
	io.to_client = io_to_client;
	io.close = io_close;
	io.greeted = io_greeted;
	io.authenticated = io_authenticated;
	io.login_failed = io_login_failed;
	io.arg = pr;
	if (pop3_session_init(&pr->s, &lim, &io) == -1) {
		free(pr);
		return NULL;
	}
	if (env != NULL && env->policy != NULL) {
		if (pop3_enforce_init(&pr->pe, env->policy,
		    (int)conf->timeout_policy, relay_session(r)) == -1) {
			pop3_session_free(&pr->s);
			free(pr);
			return NULL;
		}
		pr->enforce = 1;
		pr->s.ops = &pop3_enforce_ops;
		pr->s.opsarg = &pr->pe;
	}
	pr->s.front = conf->login_proxy != 0;
	/* forward id: XCLIENT is ours (pop3_xclient.h, pop3_hooks.c). */
	if (conf->forward == WORKER_FORWARD_ID) {
		pop3_xclient_init(&pr->xc);
		pr->s.xclient_ours = 1;
	}
	return pr;
}

static void
pop3_relay_free(void *arg)
{
	struct pop3_relay	*pr = arg;

	pop3_session_free(&pr->s);
	if (pr->enforce) {
		verdict_log_stats(&pr->pe.vs, pr->id);
		pop3_enforce_free(&pr->pe);
	}
	free(pr);
}

static void
pop3_relay_rest(void *arg)
{
	struct pop3_relay	*pr = arg;

	if (pr->enforce)
		verdict_rest(&pr->pe.vs);
}

static uint32_t
pop3_relay_commands(const void *arg)
{
	const struct pop3_relay	*pr = arg;

	return pr->s.commands;
}

static unsigned int
pop3_relay_owed(const void *arg)
{
	const struct pop3_relay	*pr = arg;

	/* Not when AUTH waits for the client's next line. */
	return pr->s.sasl_turn ? 0 : pr->s.qlen;
}

static int
pop3_relay_logout(const void *arg)
{
	const struct pop3_relay	*pr = arg;

	return pr->s.quit;
}

static size_t
pop3_relay_input(void *arg, enum relay_side from, const uint8_t *data,
    size_t len)
{
	struct pop3_relay	*pr = arg;
	uint32_t		 ms;
	size_t			 n;

	if (pr->s.closed)
		return 0;
	tls_sync(pr);
	if (from == RELAY_CLIENT)
		return client_input(pr, data, len);
	n = server_input(pr, data, len);
	/* A failed login's answer, and all after it, wait (login_guard.h). */
	if (pr->enforce && (ms = pop3_enforce_delay(&pr->pe)) > 0)
		relay_hold_client(pr->relay, ms);
	return n;
}

/*
 * Server bytes: XCLIENT's dialogue first (forward id), then the
 * session, which gets the greeting when the dialogue is over.
 */
static size_t
server_input(struct pop3_relay *pr, const uint8_t *data, size_t len)
{
	const struct worker_session	*ws = relay_session(pr->relay);
	ssize_t				 n;
	size_t				 g, off = 0;

	if (!pop3_xclient_running(&pr->xc))
		return pop3_session_server(&pr->s, data, len);
	if ((n = pop3_xclient_server(&pr->xc, ws, data, len)) == -1) {
		io_close(pr, "[UNAVAILABLE] Server unavailable");
		return len;
	}
	if (pr->xc.outlen > 0)
		relay_forward(pr->relay, RELAY_UPSTREAM,
		    (const uint8_t *)pr->xc.out, pr->xc.outlen, 0);
	if (pop3_xclient_running(&pr->xc))
		return (size_t)n;
	/* The greeting, whole lines, as if the server had just said it. */
	while (off < pr->xc.greetlen && !pr->s.closed) {
		if ((g = pop3_session_server(&pr->s,
		    (const uint8_t *)pr->xc.greeting + off,
		    pr->xc.greetlen - off)) == 0)
			break;
		off += g;
	}
	return (size_t)n;
}

/* The session's view of the client leg's TLS (pop3_session.h). */
static void
tls_sync(struct pop3_relay *pr)
{
	enum worker_tls_mode	 m = relay_tls_mode(pr->relay);
	int			 on = relay_tls_active(pr->relay, RELAY_CLIENT);

	if (pr->s.stls && pr->tls_handed && on)
		pop3_session_tls_done(&pr->s);
	pr->s.tls.active = on;
	pr->s.tls.ja4 = on ? relay_tls_ja4(pr->relay) : NULL;
	pr->s.tls.offered = !on && (m == WORKER_TLS_STARTTLS ||
	    m == WORKER_TLS_STARTTLS_REQUIRED);
	pr->s.tls.required = m == WORKER_TLS_STARTTLS_REQUIRED;
}

static size_t
client_input(struct pop3_relay *pr, const uint8_t *data, size_t len)
{
	static const char	 ok[] = "+OK Begin TLS negotiation now\r\n";
	size_t			 used;

	used = pop3_session_client(&pr->s, data, len);
	if (!pr->s.stls || pr->tls_handed)
		return used;
	if (used < len) {
		log_warnx("security: client sent %zu bytes after STLS, "
		    "before TLS (command injection): session aborted",
		    len - used);
		io_close(pr, "Data after STLS: session aborted");
		return len;
	}
	pr->tls_handed = 1;
	relay_forward(pr->relay, RELAY_CLIENT, (const uint8_t *)ok,
	    sizeof(ok) - 1, 0);
	relay_starttls(pr->relay);
	return used;
}

/*
 * "-ERR text" (e_bye), unless a server response is half forwarded: the
 * client would read it as part of that, so it sees only the close.
 * IMAP's response codes in text ("[UNAVAILABLE] ...") are not POP3's:
 * UNAVAILABLE, a temporary failure, is RFC 3206's SYS/TEMP, and the
 * others are left out.
 */
static void
pop3_relay_bye(void *arg, const char *text)
{
	struct pop3_relay	*pr = arg;
	char			 line[256];
	const char		*t = text, *rb, *code = "";
	int			 n;

	if (pr->byesent || pop3_session_mid_response(&pr->s))
		return;
	pr->byesent = 1;
	if (t[0] == '[' && (rb = strstr(t, "] ")) != NULL) {
		code = strncmp(t, "[UNAVAILABLE]", rb + 1 - t) == 0 ?
		    "[SYS/TEMP] " : "";
		/* POP3's own codes (RFC 2449) stay as they are. */
		if (strncmp(t, "[IN-USE]", rb + 1 - t) == 0)
			code = "[IN-USE] ";
		t = rb + 2;
	}
	n = snprintf(line, sizeof(line), "-ERR %s%s\r\n", code, t);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = snprintf(line, sizeof(line), "-ERR Closing\r\n");
	relay_forward(pr->relay, RELAY_CLIENT, (const uint8_t *)line,
	    (size_t)n, 0);
}

static void
io_to_server(void *arg, const uint8_t *p, size_t len)
{
	struct pop3_relay	*pr = arg;

	relay_forward(pr->relay, RELAY_UPSTREAM, p, len, 0);
}

static void
io_to_client(void *arg, const uint8_t *p, size_t len, int borrowed)
{
	struct pop3_relay	*pr = arg;

	relay_forward(pr->relay, RELAY_CLIENT, p, len, borrowed);
}

static void
io_close(void *arg, const char *text)
{
	struct pop3_relay	*pr = arg;

	if (text != NULL)
		pop3_relay_bye(pr, text);
	pr->byesent = 1;
	relay_close(pr->relay, WORKER_END_ERROR);
}

static void
io_greeted(void *arg)
{
	struct pop3_relay	*pr = arg;

	relay_greeted(pr->relay);
}

static void
io_authenticated(void *arg)
{
	struct pop3_relay	*pr = arg;

	relay_logged_in(pr->relay, pr->conf->timeout_idle);
}

/* login proxy: the client may try again with postern (pop3_front.h). */
static void
io_login_failed(void *arg)
{
	struct pop3_relay	*pr = arg;

	relay_login_failed(pr->relay, 1);
}

int
pop3_relay_cap_kept(void *arg, const char *line, size_t len)
{
	struct pop3_relay	*pr = arg;

	tls_sync(pr);
	return pop3_hooks_capa(&pr->s, (const uint8_t *)line, len);
}

int
pop3_relay_greeting(void *arg, const char *ours, char *buf, size_t size)
{
	struct pop3_relay	*pr = arg;
	struct pop3_verdict	 v;

	tls_sync(pr);
	pop3_hooks_response(&pr->s, "GREETING", (const uint8_t *)ours,
	    strlen(ours), &v);
	switch (v.act) {
	case POP3_V_ACCEPT:
		(void)snprintf(buf, size, "%s", ours);
		return 1;
	case POP3_V_REPLACE:
		if (v.text != NULL && strncmp(v.text, "+OK", 3) == 0) {
			(void)snprintf(buf, size, "%s", v.text);
			return 1;
		}
		break;
	default:
		break;
	}
	(void)snprintf(buf, size, "%s", v.act == POP3_V_ABORT && v.text !=
	    NULL ? v.text : "Server greeting refused by policy");
	return 0;
}
