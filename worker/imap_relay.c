/*
 * Drives the IMAP session layer (imap_session.h) with the bytes of both
 * sides and turns its answers into the relay's primitives: FORWARD into
 * relay_forward(), REPLY into an answer queued for the client, SUBST into
 * other bytes upstream, CLOSE into "* BYE" and relay_close().  Every
 * protocol matter (tags, literals, IDLE, AUTHENTICATE, limits, malformed
 * input) is the session's to decide; this file adds only what the worker
 * itself must decide:
 *  - STARTTLS is answered here, by the session's TLS mode: accepted once,
 *    before authentication, with nothing behind it (CVE-2011-0411),
 *    otherwise refused; the upstream leg's TLS is done apart from it
 *    (tls_upstream.h).  starttls-required refuses LOGIN and AUTHENTICATE
 *    until TLS is up.  The capability lists say STARTTLS and
 *    LOGINDISABLED as we decide, never as the server does;
 *  - COMPRESS=DEFLATE (RFC 4978) is postern's, on the client leg only:
 *    offered after login in every capability list the capability rules
 *    let it into (the server's own never), taken once, in the
 *    authenticated or selected state, when the request rules accept
 *    it; the relay then deflates and inflates (relay_deflate.h) and the
 *    session goes on parsing the plaintext, the upstream leg plain;
 *  - the timers: login, the upstream's greeting, IDLE (RFC 2177);
 *  - our own answers wait for the end of a server response, since a
 *    line in its middle would be read as part of it.
 *
 * Bytes go out exactly as received, except where the session says
 * otherwise ({n+} sent as {n}) and the capability lists above.  Literal
 * octets are forwarded by pointer into the relay's input buffer.
 *
 * This file keeps the engine's entry points, our answers' queue and the
 * dispatch of both sides' events; STARTTLS and COMPRESS
 * (imap_relay_tls.c), the capability lists (imap_relay_caps.c), the
 * policy's verdicts (imap_relay_policy.c) and the greeting and the login
 * (imap_relay_login.c) have files of their own, over imap_relay_int.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "imap_limits.h"
#include "imap_enforce.h"
#include "imap_relay.h"
#include "imap_relay_int.h"
#include "imap_reply.h"
#include "imap_session.h"
#include "log.h"
#include "relay.h"
#include "relay_tls.h"

/* Our own answers waiting for the end of a server response. */
#define PENDING_MAX		(64 * 1024)

static void	*imap_relay_new(struct relay *, const struct worker_config *,
		    const struct worker_env *);
static void	 imap_relay_free(void *);
static size_t	 imap_relay_input(void *, enum relay_side, const uint8_t *,
		    size_t);
static void	 imap_relay_bye(void *, const char *);
static uint32_t	 imap_relay_commands(const void *);
static int	 imap_relay_logout(const void *);
static unsigned int imap_relay_owed(const void *);
static void	 imap_relay_rest(void *);
static size_t	 client_input(struct imap_relay *, const uint8_t *, size_t);
static void	 client_event(struct imap_relay *, const struct imap_sev *);
static size_t	 server_input(struct imap_relay *, const uint8_t *, size_t);
static void	 server_event(struct imap_relay *, const struct imap_sev *);
static void	 flush_up(struct imap_relay *);

const struct relay_engine imap_relay_engine = {
	.e_new = imap_relay_new,
	.e_free = imap_relay_free,
	.e_input = imap_relay_input,
	.e_bye = imap_relay_bye,
	.e_commands = imap_relay_commands,
	.e_logout = imap_relay_logout,
	.e_owed = imap_relay_owed,
	.e_rest = imap_relay_rest,
};

static void *
imap_relay_new(struct relay *r, const struct worker_config *conf,
    const struct worker_env *env)
{
	struct imap_relay	*ir;
	const struct worker_session *ws = relay_session(r);

	if ((ir = calloc(1, sizeof(*ir))) == NULL)
		return NULL;
	ir->id = ws->id;
	ir->relay = r;
	ir->conf = conf;
	imap_limits_default(&ir->lim);
	if (conf->max_line >= 1024)
		ir->lim.cmd_line_max = conf->max_line;
	/* An untagged SEARCH is one line: never below the default. */
	if (conf->max_line > ir->lim.resp_line_max)
		ir->lim.resp_line_max = conf->max_line;
	ir->lim.lit_append_max = conf->max_literal;
	if (ir->lim.lit_max > conf->max_literal)
		ir->lim.lit_max = conf->max_literal;
	/* Zero: a master older than these knobs; keep the defaults. */
	if (conf->max_depth > 0 && conf->max_depth <= IMAP_DEPTH_HARD_MAX)
		ir->lim.cmd_depth_max = conf->max_depth;
	if (conf->max_args > 0)
		ir->lim.cmd_args_max = conf->max_args;
	if (conf->max_inflight > 0)
		ir->lim.inflight_max = conf->max_inflight;
	buf_init(&ir->pending, PENDING_MAX);
	buf_init(&ir->scratch, ir->lim.resp_line_max);
	if (imap_session_init(&ir->s, &ir->lim) == -1) {
		buf_free(&ir->pending);
		buf_free(&ir->scratch);
		free(ir);
		return NULL;
	}
	if (imap_enforce_init(&ir->pol, env != NULL ? env->policy : NULL,
	    (int)conf->timeout_policy, ws, ir->lim.resp_line_max) == -1) {
		imap_session_free(&ir->s);
		buf_free(&ir->pending);
		buf_free(&ir->scratch);
		free(ir);
		return NULL;
	}
	/* forward id: our ID first, after the greeting (imap_forward.h). */
	if (conf->forward == WORKER_FORWARD_ID)
		imap_session_prelude(&ir->s, 1);
	return ir;
}

static void
imap_relay_free(void *arg)
{
	struct imap_relay	*ir = arg;

	verdict_log_stats(&ir->pol.vs, ir->id);
	imap_enforce_free(&ir->pol);
	imap_session_free(&ir->s);
	buf_free(&ir->pending);
	buf_free(&ir->scratch);
	free(ir);
}

static void
imap_relay_rest(void *arg)
{
	struct imap_relay	*ir = arg;

	imap_enforce_rest(&ir->pol);
	imap_session_rest(&ir->s);
	/* Each rewritten line starts it afresh. */
	buf_free(&ir->scratch);
	if (buf_len(&ir->pending) == 0)
		buf_free(&ir->pending);
}

static uint32_t
imap_relay_commands(const void *arg)
{
	const struct imap_relay	*ir = arg;

	return ir->commands;
}

static unsigned int
imap_relay_owed(const void *arg)
{
	const struct imap_relay	*ir = arg;

	/* Not within AUTHENTICATE, where the client may hold the turn. */
	return ir->s.auth != NULL ? 0 : ir->s.ninflight;
}

static int
imap_relay_logout(const void *arg)
{
	const struct imap_relay	*ir = arg;

	return ir->logout;
}

/*
 * Bytes read from side from (e_input).  Fewer than len are consumed
 * while the client's input is held (a synchronizing literal waits for
 * the server's "+", imap_session_want_client()), or once the session is
 * closing; the rest stays in the relay's input buffer.
 */
static size_t
imap_relay_input(void *arg, enum relay_side from, const uint8_t *data,
    size_t len)
{
	struct imap_relay	*ir = arg;

	if (ir->closed)
		return 0;
	if (from == RELAY_CLIENT)
		return client_input(ir, data, len);
	return server_input(ir, data, len);
}

/* Queue a whole "* BYE" line, unless the client could misread it. */
void
ir_bye_line(struct imap_relay *ir, const char *line, size_t len)
{
	if (ir->byesent || ir->srv_mid)
		return;
	ir->byesent = 1;
	/* Before the greeting, BYE is the greeting; our answers are moot. */
	if (!ir->greeted)
		buf_reset(&ir->pending);
	if (buf_add(&ir->pending, line, len) == -1)
		buf_reset(&ir->pending);
	ir->greeted = 1;
	ir_deliver(ir);
}

/*
 * Queued "* BYE text" for the client (e_bye), unless a server response
 * is half forwarded (a BYE in the middle would be read as part of it):
 * then the client only sees the connection close.
 */
static void
imap_relay_bye(void *arg, const char *text)
{
	struct imap_relay	*ir = arg;
	char			 line[256];
	int	 n;

	if ((n = imap_reply(line, sizeof(line), NULL, 0, "BYE", NULL,
	    text)) == -1)
		n = imap_reply(line, sizeof(line), NULL, 0, "BYE", NULL,
		    "Closing");
	ir_bye_line(ir, line, (size_t)n);
}

/* The session said CLOSE: its "* BYE" line, and the end. */
void
ir_fail(struct imap_relay *ir, const char *line, size_t len)
{
	ir_bye_line(ir, line, len);
	relay_close(ir->relay, WORKER_END_ERROR);
	ir->closed = 1;
}

/*
 * The command is answered here, not by the server: the session forgets
 * it.  -1 when the session did not have it in flight, which is our
 * bug: the session ends with a BYE.
 */
int
ir_refuse(struct imap_relay *ir, const struct imap_cmd *cmd)
{
	static const char	 bad[] = "* BYE Internal error\r\n";

	if (imap_session_refuse(&ir->s, cmd) == 0)
		return 0;
	log_warnx("session refused a command not in flight");
	ir_fail(ir, bad, sizeof(bad) - 1);
	return -1;
}

/* Our answer, once the client is between two server responses. */
void
ir_answer(struct imap_relay *ir, const char *line, size_t len)
{
	static const char	 toomany[] = "* BYE Too many errors\r\n";

	if (buf_add(&ir->pending, line, len) == -1) {
		buf_reset(&ir->pending);
		ir_fail(ir, toomany, sizeof(toomany) - 1);
		return;
	}
	ir_deliver(ir);
}

void
ir_deliver(struct imap_relay *ir)
{
	size_t	 n;

	if (!ir->greeted || ir->srv_mid || buf_len(&ir->pending) == 0)
		return;
	/* Our OK to COMPRESS is the last plaintext the client gets. */
	n = buf_len(&ir->pending);
	if (ir->z_want && ir->z_at < n)
		n = ir->z_at;
	relay_forward(ir->relay, RELAY_CLIENT, buf_data(&ir->pending), n, 0);
	if (ir->z_want) {
		ir->z_want = 0;
		if (relay_compress(ir->relay) == -1)
			ir->closed = 1;
		relay_forward(ir->relay, RELAY_CLIENT,
		    buf_data(&ir->pending) + n, buf_len(&ir->pending) - n, 0);
	}
	buf_reset(&ir->pending);
	if (ir->tls_want) {
		ir->tls_want = 0;
		ir->tls_handed = 1;
		relay_starttls(ir->relay);
	}
}

/* What the session lets go upstream of a held command, up to its pause. */
static void
flush_up(struct imap_relay *ir)
{
	const uint8_t	*p;
	size_t		 len;

	while (!ir->closed && imap_session_outbox(&ir->s, &p, &len)) {
		relay_forward(ir->relay, RELAY_UPSTREAM, p, len, 0);
		imap_session_outbox_sent(&ir->s, len);
	}
}

/* Between our STARTTLS OK and the end of the handshake. */
static int
tls_switching(const struct imap_relay *ir)
{
	return ir->tls_want || (ir->tls_handed &&
	    !relay_tls_active(ir->relay, RELAY_CLIENT));
}

static size_t
client_input(struct imap_relay *ir, const uint8_t *data, size_t len)
{
	struct imap_sev	 sev;
	size_t		 used = 0, n;

	/*
	 * What follows COMPRESS is compressed: not read here before the
	 * relay has taken it to inflate, after our OK (relay_compress()).
	 */
	if (ir->z_stop && !ir->z_want)
		ir->z_stop = 0;
	/* Not fed while the session waits for the upstream's "+". */
	while (used < len && !ir->closed && !tls_switching(ir) &&
	    !ir->z_stop && imap_session_want_client(&ir->s)) {
		n = imap_session_client(&ir->s, data + used, len - used, &sev);
		used += n;
		client_event(ir, &sev);
		if (n == 0 && sev.act == IMAP_ACT_NONE)
			break;
	}
	/*
	 * Anything after STARTTLS and before TLS is never executed
	 * (CVE-2011-0411): the session ends.  The relay checks the same
	 * for bytes read after these, until the handshake.
	 */
	if (ir->tls_oklen > 0 && used == len) {
		/* Nothing behind STARTTLS in this read: say OK now. */
		n = (size_t)ir->tls_oklen;
		ir->tls_oklen = 0;
		ir_answer(ir, ir->tls_ok, n);
	} else if (tls_switching(ir) && used < len) {
		static const char inj[] =
		    "* BYE Data after STARTTLS: session aborted\r\n";

		log_warnx("security: client sent %zu bytes after STARTTLS, "
		    "before TLS (command injection): session aborted",
		    len - used);
		/* Our OK may still wait: then the client never gets it. */
		buf_reset(&ir->pending);
		ir->tls_want = 0;
		ir->tls_oklen = 0;
		ir_fail(ir, inj, sizeof(inj) - 1);
		return len;
	}
	return used;
}

static void
client_event(struct imap_relay *ir, const struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;

	if (ev->type != IMAP_EV_LITDATA && ev->seg == 0 &&
	    sev->act != IMAP_ACT_NONE &&
	    !(sev->flags & (IMAP_SEVF_SASL | IMAP_SEVF_DONE)))
		ir->commands++;
	if ((sev->flags & IMAP_SEVF_CMD_START) &&
	    sev->act == IMAP_ACT_FORWARD) {
		if (ir_client_refused(ir, sev) || ir_client_policy(ir, sev) ||
		    ir_client_forward_id(ir, sev)) {
			ir_front_failed(ir, sev->cmd, 1);
			return;
		}
		if (sev->flags & IMAP_SEVF_COMPRESS) {
			ir_compress_take(ir, sev);
			return;
		}
		if (sev->cmd->desc != NULL &&
		    (sev->cmd->desc->flags & IMAP_CMDF_LOGOUT))
			ir->logout = 1;
	}
	if (sev->flags & IMAP_SEVF_SASL)
		imap_enforce_sasl(&ir->pol, sev);
	if ((sev->flags & IMAP_SEVF_CHUNK) && sev->act == IMAP_ACT_FORWARD &&
	    ir_client_more(ir, sev))
		return;
	if (sev->flags & IMAP_SEVF_DONE)
		/* IDLE is over for the client, whatever the server says. */
		relay_set_timeout(ir->relay, ir->conf->timeout_idle);

	switch (sev->act) {
	case IMAP_ACT_NONE:
	case IMAP_ACT_DROP:
	case IMAP_ACT_HOLD:
		break;
	case IMAP_ACT_FORWARD:
		if (sev->flags & IMAP_SEVF_HELD) {
			imap_session_release(&ir->s);
			flush_up(ir);
		} else if (ev->type == IMAP_EV_LITDATA)
			relay_forward(ir->relay, RELAY_UPSTREAM, ev->data,
			    ev->len, 1);
		else if (sev->flags & IMAP_SEVF_LIT_CONVERT) {
			/* {n+} goes out as {n}: all but the "+" */
			relay_forward(ir->relay, RELAY_UPSTREAM, ev->raw,
			    sev->plus_off, 0);
			relay_forward(ir->relay, RELAY_UPSTREAM,
			    ev->raw + sev->plus_off + 1,
			    ev->rawlen - sev->plus_off - 1, 0);
		} else
			relay_forward(ir->relay, RELAY_UPSTREAM, ev->raw,
			    ev->rawlen, 0);
		break;
	case IMAP_ACT_REPLY:
		if (sev->flags & IMAP_SEVF_REFUSED)
			audit_answered(sev->reply, sev->replylen);
		ir_answer(ir, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_SUBST:
		relay_forward(ir->relay, RELAY_UPSTREAM,
		    (const uint8_t *)sev->reply, sev->replylen, 0);
		break;
	case IMAP_ACT_CLOSE:
		ir_fail(ir, sev->reply, sev->replylen);
		break;
	}
}

static size_t
server_input(struct imap_relay *ir, const uint8_t *data, size_t len)
{
	struct imap_sev	 sev;
	size_t		 used = 0, n;

	while (used < len && !ir->closed) {
		n = imap_session_server(&ir->s, data + used, len - used, &sev);
		used += n;
		server_event(ir, &sev);
		/* an upstream "+" lets the next piece of a held command go */
		flush_up(ir);
		if (n == 0 && sev.act == IMAP_ACT_NONE)
			break;
	}
	return used;
}

static void
server_event(struct imap_relay *ir, const struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;

	ir_server_timers(ir, sev);
	imap_enforce_observe(&ir->pol, &ir->s, sev);
	/* A failed login's answer, and all after it, wait (login_guard.h). */
	if (ir->pol.delay_ms > 0) {
		relay_hold_client(ir->relay, ir->pol.delay_ms);
		ir->pol.delay_ms = 0;
	}
	/*
	 * login proxy: the client had our greeting (imap_front.h); the
	 * server's is for us alone, unless it turns the client away.
	 */
	if ((sev->flags & IMAP_SEVF_GREETING) && ir->conf->login_proxy &&
	    strcmp(sev->resp, "BYE") != 0) {
		ir->srv_mid = !ev->final;
		ir_deliver(ir);
		ir_forward_greeting(ir, sev);
		return;
	}
	/* login proxy: the server's answer to a login that failed. */
	if ((sev->flags & IMAP_SEVF_CMD_DONE) &&
	    !(sev->flags & IMAP_SEVF_PRIVATE))
		ir_front_failed(ir, sev->cmd, 0);
	/*
	 * login proxy: a challenge to the replayed AUTHENTICATE, as
	 * OAUTHBEARER's error (RFC 7628 section 3.2.3), is the client's
	 * to answer.
	 */
	if (ir->conf->login_proxy && !ir->authed && sev->cmd != NULL &&
	    ev->type == IMAP_EV_LINE && strcmp(sev->resp, "+") == 0 &&
	    !(sev->flags & IMAP_SEVF_CONT) &&
	    strcmp(sev->cmd->name, "AUTHENTICATE") == 0)
		relay_login_challenge(ir->relay);
	switch (sev->act) {
	case IMAP_ACT_NONE:
	case IMAP_ACT_DROP:
	case IMAP_ACT_HOLD:
		break;
	case IMAP_ACT_FORWARD:
		if (ir_server_policy(ir, sev))
			break;
		if (ev->type == IMAP_EV_LITDATA)
			relay_forward(ir->relay, RELAY_CLIENT, ev->data,
			    ev->len, 1);
		else if (ev->type == IMAP_EV_LINE)
			ir_server_line(ir, ev);
		break;
	case IMAP_ACT_REPLY:
		ir_answer(ir, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_SUBST:
		relay_forward(ir->relay, RELAY_CLIENT,
		    (const uint8_t *)sev->reply, sev->replylen, 0);
		break;
	case IMAP_ACT_CLOSE:
		if (ev->type == IMAP_EV_ERROR)
			log_warnx("server response: %s: \"%.*s\"",
			    imap_err_str(ev->err),
			    (int)(ev->rawlen > 200 ? 200 : ev->rawlen),
			    ev->raw != NULL ? (const char *)ev->raw : "");
		else
			log_warnx("session closed: %.*s",
			    (int)sev->replylen, sev->reply);
		ir_fail(ir, sev->reply, sev->replylen);
		break;
	}
	ir_forward_greeting(ir, sev);
}
