/*
 * The relay's layers on the client leg, TLS and COMPRESS, for the
 * protocol engines and relay.c itself.
 */
#ifndef POSTERN_WORKER_RELAY_TLS_H
#define POSTERN_WORKER_RELAY_TLS_H

#include "proto_tls.h"
#include "relay.h"

/* The client side's mode, decided once at the start (tls.h). */
enum worker_tls_mode relay_tls_mode(const struct relay *);
int	 relay_tls_active(const struct relay *, enum relay_side);
/* The client side's TLS fingerprint (JA4), or NULL. */
const char *relay_tls_ja4(const struct relay *);
/*
 * The engine queued its STARTTLS OK: the client is not read again until
 * it is written out; then a byte already read is an injection that ends
 * the session, and otherwise the handshake runs.
 */
void	 relay_starttls(struct relay *);

/*
 * COMPRESS=DEFLATE (RFC 4978), relay_deflate.h: the engine queued its
 * OK to COMPRESS; every byte to the client after it is deflated, and
 * what the client sent after the command the engine consumed last, and
 * everything it sends later, is inflated.  -1 when compression is on
 * already or there is no memory for it (the session then ends).
 */
int	 relay_compress(struct relay *);
int	 relay_compressed(const struct relay *);

/* relay.c's own. */
void	 relay_tls_begin(struct relay *);
void	 relay_tls_client(struct relay *);

#endif
