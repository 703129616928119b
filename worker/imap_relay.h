/*
 * The IMAP side of the relay: both directions go through the session
 * layer (imap_session.h), which decides what is forwarded, held back or
 * answered in the server's place; this module carries that out on the
 * relay.  It answers STARTTLS itself by the session's TLS mode and
 * COMPRESS by the capability rules (relay_tls.h: the relay then
 * compresses the client leg only), and makes the capability lists the
 * client sees say so.
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

/* The IMAP engine of the relay (relay.h), with the semantics above. */
extern const struct relay_engine imap_relay_engine;
/* The capability rules keep capability cap (imap_enforce.h). */
int	 imap_relay_cap_kept(void *, const char *, size_t);

#endif
