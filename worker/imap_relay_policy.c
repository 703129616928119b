/*
 * The policy's verdicts (imap_enforce.h) carried out on the relay: they
 * may pass what the session forwards, replace it, answer in the server's
 * place or end the session, on a command's first line, on its later lines
 * and literals, and on the server's responses.  What they answer or
 * replace with is in the scratch buffer.
 */
#include "audit.h"
#include "buf.h"
#include "imap_enforce.h"
#include "imap_relay_int.h"
#include "imap_session.h"
#include "log.h"
#include "relay.h"
#include "relay_tls.h"

static void	 policy_tls_sync(struct imap_relay *);

/* The session ends by a verdict: the BYE, then both sides closed. */
static void
policy_abort(struct imap_relay *ir)
{
	ir_bye_line(ir, (const char *)buf_data(&ir->scratch),
	    buf_len(&ir->scratch));
	relay_close(ir->relay, WORKER_END_POLICY);
	ir->closed = 1;
}

/*
 * The rules' "tls" is the client leg's: true from an implicit handshake
 * or a STARTTLS on.  Told to the verdicts only when it changes, since a
 * new context starts the cache afresh.
 */
static void
policy_tls_sync(struct imap_relay *ir)
{
	int	 on = relay_tls_active(ir->relay, RELAY_CLIENT);

	if (ir->pol.vs.tls != on)
		verdict_set_tls(&ir->pol.vs, on, relay_tls_ja4(ir->relay));
}

/*
 * The request verdict on a command's first line (imap_enforce.h).
 * Returns 1 when the command was handled here, 0 to forward it.
 */
int
ir_client_policy(struct imap_relay *ir, const struct imap_sev *sev)
{
	enum imap_pol_do	 d;

	policy_tls_sync(ir);
	d = imap_enforce_request(&ir->pol, &ir->s, sev, &ir->scratch);
	if (d == IPOL_PASS)
		return 0;
	if (d == IPOL_REPLACE) {
		if (sev->cmd->desc != NULL &&
		    (sev->cmd->desc->flags & IMAP_CMDF_LOGOUT))
			ir->logout = 1;
		relay_forward(ir->relay, RELAY_UPSTREAM, buf_data(&ir->scratch),
		    buf_len(&ir->scratch), 0);
		return 1;
	}
	if (ir_refuse(ir, sev->cmd) == -1)
		return 1;
	if (d == IPOL_ANSWER) {
		audit_answered((const char *)buf_data(&ir->scratch),
		    buf_len(&ir->scratch));
		ir_answer(ir, (const char *)buf_data(&ir->scratch),
		    buf_len(&ir->scratch));
	}
	else if (d == IPOL_ABORT)
		policy_abort(ir);
	return 1;
}

/*
 * The response verdict (imap_enforce.h) on a server event to forward.
 * Returns 1 when it was handled here, 0 to forward it as usual.
 */
int
ir_server_policy(struct imap_relay *ir, const struct imap_sev *sev)
{
	policy_tls_sync(ir);
	switch (imap_enforce_response(&ir->pol, &ir->s, sev, &ir->scratch)) {
	case IPOL_PASS:
		return 0;
	case IPOL_REPLACE:
		relay_forward(ir->relay, RELAY_CLIENT, buf_data(&ir->scratch),
		    buf_len(&ir->scratch), 0);
		/* More of this response comes unless the verdict drops it. */
		ir->srv_mid = !sev->ev.final && !ir->pol.skip;
		ir_deliver(ir);
		return 1;
	case IPOL_ABORT:
		ir->srv_mid = 0;
		policy_abort(ir);
		return 1;
	default:
		if (sev->ev.type == IMAP_EV_LINE && sev->ev.final &&
		    !ir->pol.hold)
			ir->srv_mid = 0;
		ir_deliver(ir);
		return 1;
	}
}

/*
 * Later lines and literal octets of a command (imap_enforce.h): 1 when
 * handled here (held, sent from the policy's copy, or the session ended).
 */
int
ir_client_more(struct imap_relay *ir, const struct imap_sev *sev)
{
	switch (imap_enforce_client_more(&ir->pol, &ir->s, sev,
	    &ir->scratch)) {
	case IPOL_PASS:
		return 0;
	case IPOL_REPLACE:
		relay_forward(ir->relay, RELAY_UPSTREAM, buf_data(&ir->scratch),
		    buf_len(&ir->scratch), 0);
		return 1;
	case IPOL_ABORT:
		policy_abort(ir);
		return 1;
	default:
		return 1;
	}
}
