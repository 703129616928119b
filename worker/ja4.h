/*
 * JA4, FoxIO's TLS client fingerprint (technical_details/JA4.md of
 * github.com/FoxIO-LLC/ja4), of a ClientHello as the worker received it:
 *
 *	t13d1516h2_8daaf6152771_e5627efa2ab1
 *
 * "t" (TLS over TCP), the version (the highest of supported_versions,
 * else the ClientHello's legacy_version), "d" with SNI or "i" without,
 * the number of cipher suites and of extensions (two digits, at most
 * 99), the first and last character of the first ALPN value ("00"
 * without one); then the first 12 hex digits of the SHA-256 of the
 * cipher suites, sorted, as 4-digit hex joined by commas; then those of
 * the extensions, sorted, without SNI and ALPN, "_" and the signature
 * algorithms in their order.  GREASE values (RFC 8701) count nowhere.
 *
 * The worker reads the ClientHello's bytes itself (tls.c hands them over
 * from OpenSSL's message callback): OpenSSL 3.0's ClientHello accessors
 * leave out extensions it does not know, which JA4 counts.
 */
#ifndef POSTERN_WORKER_JA4_H
#define POSTERN_WORKER_JA4_H

#include <stddef.h>
#include <stdint.h>

#include "policy_wire.h"

#define JA4_LEN		RULES_JA4_LEN

/*
 * msg: a handshake message of len bytes, its 4-byte header first (type
 * 1, ClientHello, and the length of the rest).  0 and the fingerprint in
 * out, or -1 (not a ClientHello, or one cut short or with trailing
 * bytes) and out "".  raw, when not NULL: JA4_r, the same with the
 * sorted lists in clear instead of their hashes, cut to rawsize.
 */
int	 ja4_client_hello(const uint8_t *msg, size_t len,
	    char out[JA4_LEN + 1], char *raw, size_t rawsize);

#endif
