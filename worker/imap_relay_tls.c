/*
 * STARTTLS and COMPRESS=DEFLATE are postern's to answer, never the
 * server's, since both wrap the client leg only: the upstream leg's TLS
 * is its own (tls_upstream.h), and it stays uncompressed so that every
 * command and response is parsed and enforced as without compression.
 * Decided here: whether this session offers them, whether the client's
 * command is taken or refused, and LOGIN and AUTHENTICATE refused while
 * STARTTLS is required; the switch itself waits for our OK to go out
 * (imap_relay.c).
 */
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "imap_enforce.h"
#include "imap_relay_int.h"
#include "imap_reply.h"
#include "imap_session.h"
#include "log.h"
#include "relay.h"
#include "relay_tls.h"

static const char *starttls_refusal(struct imap_relay *,
		    const struct imap_sev *, const char **, const char **);

/* STARTTLS offered in this session, and not done yet. */
int
ir_tls_offered(const struct imap_relay *ir)
{
	enum worker_tls_mode	 m = relay_tls_mode(ir->relay);

	return (m == WORKER_TLS_STARTTLS ||
	    m == WORKER_TLS_STARTTLS_REQUIRED) &&
	    !relay_tls_active(ir->relay, RELAY_CLIENT);
}

/* No LOGIN or AUTHENTICATE yet: TLS first. */
int
ir_tls_required(const struct imap_relay *ir)
{
	return relay_tls_mode(ir->relay) == WORKER_TLS_STARTTLS_REQUIRED &&
	    !relay_tls_active(ir->relay, RELAY_CLIENT);
}

/*
 * Whether we take this STARTTLS (NULL) or why not, with *status the
 * answer's; postern answers STARTTLS itself, the upstream leg's TLS is
 * its own business (tls_upstream.h).
 */
static const char *
starttls_refusal(struct imap_relay *ir, const struct imap_sev *sev,
    const char **status, const char **code)
{
	(void)sev;
	*status = "BAD";
	if (relay_tls_active(ir->relay, RELAY_CLIENT))
		return "TLS is already active";
	if (!ir_tls_offered(ir)) {
		*status = "NO";
		*code = "CANNOT";
		return "STARTTLS is not available through this proxy";
	}
	if (ir->authed || ir->s.state == IMAP_ST_AUTH ||
	    ir->s.state == IMAP_ST_SELECTED ||
	    imap_session_projected_state(&ir->s) != IMAP_ST_NOTAUTH)
		return "STARTTLS only before authentication";
	/* Answers to earlier commands would come after it, in plaintext. */
	if (ir->s.ninflight > 1)
		return "STARTTLS with commands in flight";
	return NULL;
}

/*
 * COMPRESS=DEFLATE offered to this session: once it is authenticated
 * (COMPRESS is a command of the authenticated and selected states, RFC
 * 4978 section 5, and Dovecot too lists it after login only), or about
 * to be (the untagged CAPABILITY before LOGIN's OK), and by the
 * capability rules (without a policy, always).  The server's own is
 * never used.
 */
int
ir_compress_offered(struct imap_relay *ir)
{
	enum imap_state	 st = imap_session_projected_state(&ir->s);

	if (st != IMAP_ST_AUTH && st != IMAP_ST_SELECTED)
		return 0;
	return imap_enforce_cap_offer(&ir->pol, "COMPRESS=DEFLATE");
}

/*
 * COMPRESS DEFLATE, accepted by the rules: answered here, and from the
 * end of our OK on, compressed both ways (RFC 4978 section 3); what the
 * client sent behind the command waits for the relay to inflate it.
 */
void
ir_compress_take(struct imap_relay *ir, const struct imap_sev *sev)
{
	char	 line[IMAP_TAG_MAX + 64];
	int	 n;

	if (ir_refuse(ir, sev->cmd) == -1)
		return;
	n = imap_reply(line, sizeof(line), sev->cmd->tag,
	    strlen(sev->cmd->tag), "OK", NULL, "DEFLATE active");
	if (n <= 0)
		return;
	audit_answered(line, (size_t)n);
	ir->z_stop = 1;
	ir->z_want = 1;
	ir->z_at = buf_len(&ir->pending) + (size_t)n;
	ir_answer(ir, line, (size_t)n);
}

/*
 * STARTTLS (answered here), a COMPRESS postern does not take, and LOGIN
 * or AUTHENTICATE while TLS is required: none of their bytes forwarded.
 * Returns 1 when answered here.
 */
int
ir_client_refused(struct imap_relay *ir, const struct imap_sev *sev)
{
	const char	*what, *status = "NO", *code = "CANNOT";
	char		 line[IMAP_TAG_MAX + 128];
	unsigned int	 f;
	int		 n, take = 0;

	f = sev->cmd->desc != NULL ? sev->cmd->desc->flags : 0;
	if (sev->flags & IMAP_SEVF_STARTTLS) {
		code = NULL;
		what = starttls_refusal(ir, sev, &status, &code);
		if (what == NULL) {
			take = 1;
			status = "OK";
			what = "Begin TLS negotiation now";
		}
	} else if (sev->flags & IMAP_SEVF_COMPRESS) {
		/* RFC 4978 section 3; TLS compression is never on. */
		if (relay_compressed(ir->relay) || ir->z_want) {
			code = "COMPRESSIONACTIVE";
			what = "DEFLATE is active already";
		} else if (!ir_compress_offered(ir)) {
			status = "BAD";
			code = NULL;
			what = "COMPRESS is not offered";
		} else
			return 0;
	} else if ((f & IMAP_CMDF_LOGIN) && ir_tls_required(ir)) {
		code = "PRIVACYREQUIRED";
		what = "Use STARTTLS first";
	} else
		return 0;
	if (ir_refuse(ir, sev->cmd) == -1)
		return 1;
	/* sev->cmd is valid until the next call, the tag with it. */
	n = imap_reply(line, sizeof(line), sev->cmd->tag,
	    strlen(sev->cmd->tag), status, code, what);
	if (take && n > 0 && (size_t)n <= sizeof(ir->tls_ok)) {
		/* Queued once client_input() knows nothing follows. */
		memcpy(ir->tls_ok, line, (size_t)n);
		ir->tls_oklen = n;
		ir->tls_want = 1;
	} else if (n > 0)
		ir_answer(ir, line, (size_t)n);
	return 1;
}
