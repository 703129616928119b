/*
 * The greeting and the login are where the worker, not the session's
 * model, has its say: forward id (imap_forward.h) tells the server the
 * client's address in our ID, after its greeting and before anything of
 * the client's, and only in ours; the greeting, the login and IDLE set
 * how long the client may stay silent; and under the login proxy a login
 * the server turns down hands the client back to postern
 * (relay_login_failed()).
 */
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "imap_forward.h"
#include "imap_relay_int.h"
#include "imap_reply.h"
#include "imap_session.h"
#include "log.h"
#include "relay.h"

/* Inside IDLE the client may say nothing for 29 minutes (RFC 2177). */
#define IDLE_TIMEOUT_MIN	(30 * 60)

/*
 * forward id: our ID goes upstream once the greeting has gone to the
 * client; the client is read again after its tagged answer, which, like
 * the rest of the answer, is dropped (imap_session.h).
 */
void
ir_forward_greeting(struct imap_relay *ir, const struct imap_sev *sev)
{
	static const char	 bad[] =
	    "* BYE [UNAVAILABLE] Internal error\r\n";
	int			 rc;

	if ((sev->flags & (IMAP_SEVF_PRIVATE | IMAP_SEVF_CMD_DONE)) ==
	    (IMAP_SEVF_PRIVATE | IMAP_SEVF_CMD_DONE) &&
	    strcmp(sev->resp, "OK") != 0)
		log_warnx("session %llu: forward id: the server answered %s "
		    "to our ID: it may not trust postern's address "
		    "(login_trusted_networks)", (unsigned long long)ir->id,
		    sev->resp);
	if (!(sev->flags & IMAP_SEVF_GREETING) || !ir->s.prelude ||
	    ir->closed)
		return;
	if ((rc = imap_forward_greeting(&ir->s, relay_session(ir->relay),
	    &ir->scratch)) == -1) {
		ir_fail(ir, bad, sizeof(bad) - 1);
		return;
	}
	if (rc == 1) {
		audit_forward("id", (const char *)buf_data(&ir->scratch),
		    buf_len(&ir->scratch));
		relay_forward(ir->relay, RELAY_UPSTREAM, buf_data(&ir->scratch),
		    buf_len(&ir->scratch), 0);
	}
}

/*
 * forward id: the client's ID goes without the fields that are
 * postern's to send (imap_forward.h).  1 when handled here.
 */
int
ir_client_forward_id(struct imap_relay *ir, const struct imap_sev *sev)
{
	char	 line[IMAP_TAG_MAX + 128];
	int	 rc, n;

	if (ir->conf->forward != WORKER_FORWARD_ID ||
	    strcmp(sev->cmd->name, "ID") != 0 ||
	    (rc = imap_forward_client_id(&ir->s, sev, &ir->scratch)) == 0)
		return 0;
	if (rc == 1) {
		log_info("session %llu: forward id: the client's ID goes "
		    "without its x-originating-* and like fields",
		    (unsigned long long)ir->id);
		audit_forward("id-filtered", (const char *)buf_data(
		    &ir->scratch), buf_len(&ir->scratch));
		relay_forward(ir->relay, RELAY_UPSTREAM, buf_data(&ir->scratch),
		    buf_len(&ir->scratch), 0);
		return 1;
	}
	if (ir_refuse(ir, sev->cmd) == -1)
		return 1;
	if ((n = imap_reply(line, sizeof(line), sev->cmd->tag,
	    strlen(sev->cmd->tag), "NO", "CANNOT", "ID fields x-originating-* "
	    "and the like are postern's to send")) > 0) {
		audit_answered(line, (size_t)n);
		ir_answer(ir, line, (size_t)n);
	}
	return 1;
}

/* The greeting, the login and IDLE set the client's timer. */
void
ir_server_timers(struct imap_relay *ir, const struct imap_sev *sev)
{
	const struct imap_cmd	*c = sev->cmd;
	unsigned int		 idlecmd, t;

	if (sev->flags & IMAP_SEVF_GREETING) {
		ir->greeted = 1;
		relay_greeted(ir->relay);
	}
	if (!ir->authed && (ir->s.state == IMAP_ST_AUTH ||
	    ir->s.state == IMAP_ST_SELECTED)) {
		ir->authed = 1;
		relay_logged_in(ir->relay, ir->conf->timeout_idle);
	}
	idlecmd = c != NULL && c->desc != NULL &&
	    (c->desc->flags & IMAP_CMDF_IDLE);
	if (!idlecmd || sev->ev.type != IMAP_EV_LINE || sev->ev.seg != 0)
		return;
	if (strcmp(sev->resp, "+") == 0) {
		t = ir->conf->timeout_imap_idle;
		relay_set_timeout(ir->relay, t < IDLE_TIMEOUT_MIN ?
		    IDLE_TIMEOUT_MIN : t);
	} else if ((sev->flags & IMAP_SEVF_CMD_DONE) && ir->authed)
		relay_set_timeout(ir->relay, ir->conf->timeout_idle);
}

/*
 * login proxy: a LOGIN or AUTHENTICATE that did not log in, refused by
 * the server or, ours, by postern.  Once its answer is out the relay
 * closes the upstream and the client may try again with postern
 * (relay_login_failed()).  Our answer waits for the server's greeting
 * (ir_deliver()): while it waits, the session stays with this server.
 */
void
ir_front_failed(struct imap_relay *ir, const struct imap_cmd *c, int ours)
{
	if (!ir->conf->login_proxy || ir->authed || c == NULL ||
	    (strcmp(c->name, "LOGIN") != 0 &&
	    strcmp(c->name, "AUTHENTICATE") != 0))
		return;
	if (ours)
		ir_deliver(ir);
	relay_login_failed(ir->relay, buf_len(&ir->pending) == 0);
}
