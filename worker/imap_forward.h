/*
 * "forward id" in IMAP (postern.conf(5)): postern's own ID command
 * after the server's greeting, which tells a Dovecot that trusts
 * postern (login_trusted_networks) the client's address, port, the
 * address it connected to and the session id; and the client's own ID
 * without those fields, so that the server hears them from postern
 * only.  The stream model's side of it is in imap_session.h.
 */
#ifndef POSTERN_WORKER_IMAP_FORWARD_H
#define POSTERN_WORKER_IMAP_FORWARD_H

#include "buf.h"
#include "imap_session.h"
#include "proto_worker.h"

/*
 * The greeting came (its event was passed on): 1 with out holding our
 * ID command, injected into s, to send upstream; 0 when there is none
 * to send (a PREAUTH or BYE greeting: the prelude is given up, logged);
 * -1 when it cannot be sent (logged), which ends the session.
 */
int	 imap_forward_greeting(struct imap_session *,
	    const struct worker_session *, struct buf *out);
/*
 * The client's ID command, whose decision event is sev: 0 when it
 * names no field postern forwards (send it as it is); 1 with out
 * holding it without those fields, to send instead; -1 when it names
 * one in a literal, which is not rewritten: refuse it.
 */
int	 imap_forward_client_id(const struct imap_session *,
	    const struct imap_sev *, struct buf *out);

#endif
