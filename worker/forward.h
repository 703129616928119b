/*
 * What the server is told of the client (postern.conf(5), "forward"):
 * the words of each way, built from the session the master sent
 * (proto_worker.h), whose client address is the PROXY header's when
 * there was one.  Where each goes out is the engines' business:
 *
 *	forward proxy-v2  a PROXY v2 header before the first byte to the
 *	                  server (relay.c, once the connect is done and the
 *	                  client's implicit TLS handshake, whose version and
 *	                  cipher it carries, is over)
 *	forward id        IMAP: an ID command of postern's own right after
 *	                  the greeting (imap_relay_login.c, imap_session.h's
 *	                  stream model); POP3: XCLIENT when the server offers
 *	                  it (pop3_xclient.h)
 */
#ifndef POSTERN_WORKER_FORWARD_H
#define POSTERN_WORKER_FORWARD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "proto_worker.h"

/* Room for any header forward_proxy_v2() builds. */
#define FORWARD_V2_MAX		1024
/* The tag of postern's own ID command; the client is not read meanwhile. */
#define FORWARD_ID_TAG		"postern-fwd"
/* Room for the ID command or the XCLIENT line, CRLF included. */
#define FORWARD_LINE_MAX	512

/*
 * The PROXY v2 header for session s into buf (FORWARD_V2_MAX bytes):
 * PROXY over TCP from the client to the address it connected to; with
 * PP2_TYPE_SSL (version, cipher) and PP2_TYPE_AUTHORITY (the SNI) when
 * the client's leg is TLS (tls_version not NULL), else what an inbound
 * PROXY header said of the client's TLS, authority and ALPN.  LOCAL
 * when the client's address is not one.  Its length, or -1.
 */
ssize_t	 forward_proxy_v2(uint8_t *buf, size_t size,
	    const struct worker_session *s, const char *tls_version,
	    const char *tls_cipher, const char *sni);
/*
 * Writes len bytes of p on the non-blocking socket fd, waiting until
 * deadline (ms, CLOCK_MONOTONIC): 0, or -1 logged for session id.
 */
int	 forward_send(int fd, const void *p, size_t len, int64_t deadline,
	    uint64_t id);
/*
 * "TAG ID (\"x-originating-ip\" \"A\" \"x-originating-port\" \"P\"
 * \"x-connected-ip\" \"L\" \"x-connected-port\" \"LP\" \"x-session-id\"
 * \"S\")\r\n", as Dovecot reads it from a login_trusted_networks peer.
 * Its length, or -1 when it does not fit.
 */
int	 forward_id_line(char *buf, size_t size, const char *tag,
	    const struct worker_session *s);
/* "XCLIENT ADDR=A PORT=P SESSION=S\r\n": its length, or -1. */
int	 forward_xclient_line(char *buf, size_t size,
	    const struct worker_session *s);
/*
 * Whether an ID field name (len bytes, any case) is one that only a
 * trusted proxy may send, and which postern sends itself with "forward
 * id": x-originating-*, x-connected-*, x-session-id, x-session-ext-id,
 * x-proxy-ttl, x-forward-*, x-multiplex.
 */
int	 forward_id_reserved(const uint8_t *name, size_t len);

#endif
