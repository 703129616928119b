/*
 * The IMAP side of the relay: both directions go through the session
 * layer (imap_session.h), which decides what is forwarded, held back or
 * answered in the server's place; this module carries that out on the
 * relay.  Until there is a policy it also refuses what the worker cannot
 * pass on while it keeps parsing (STARTTLS, COMPRESS) and hides both from
 * the capability lists the client sees.
 *
 * Bytes are forwarded exactly as received, save for those rewrites and
 * a {n+} the upstream cannot take (sent as {n}): line segments as the
 * parser saw them, literal octets by pointer into the relay's input
 * buffer.
 */
#ifndef POSTERN_WORKER_IMAP_RELAY_H
#define POSTERN_WORKER_IMAP_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "proto_worker.h"
#include "relay.h"

struct imap_relay;

struct imap_relay *imap_relay_new(struct relay *,
		    const struct worker_config *);
void		 imap_relay_free(struct imap_relay *);
/*
 * Bytes read from side from.  Returns how many were consumed; fewer than
 * len while the client's input is held (a synchronizing literal waits for
 * the server's "+", imap_session_want_client()), or once the session is
 * closing.  The rest stays in the relay's input buffer.
 */
size_t		 imap_relay_input(struct imap_relay *, enum relay_side from,
		    const uint8_t *, size_t);
/*
 * Queue "* BYE text" for the client, unless a server response is half
 * forwarded (a BYE in the middle would be read as part of it): then the
 * client only sees the connection close.
 */
void		 imap_relay_bye(struct imap_relay *, const char *text);
/* Client commands seen so far. */
uint32_t	 imap_relay_commands(const struct imap_relay *);
/* The client has sent LOGOUT. */
int		 imap_relay_logout(const struct imap_relay *);

#endif
