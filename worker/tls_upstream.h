/*
 * The upstream leg's STARTTLS (RFC 3501 6.2.1), done by the worker alone
 * before the session starts, so that nothing the server says in
 * plaintext ever reaches the client or the session layer (the EAST cases
 * of "Why TLS is better without STARTTLS", USENIX Security 2021):
 * the greeting must be "* OK" (PREAUTH is fatal), the CAPABILITY answer
 * must list STARTTLS, untagged lines before our STARTTLS's OK are thrown
 * away, and a byte after that OK and before the handshake is fatal.
 */
#ifndef POSTERN_WORKER_TLS_UPSTREAM_H
#define POSTERN_WORKER_TLS_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

/* The master's non-blocking connect, finished by deadline: 0, or -1. */
int	 tls_upstream_connected(int fd, int64_t deadline, uint64_t id);
/* The plaintext dialogue up to the handshake: 0, or -1 logged. */
int	 tls_upstream_starttls(int fd, int64_t deadline, uint64_t id);

/*
 * POP3's STLS prelude (RFC 2595): 0, or -1 logged.  ts gets the APOP
 * timestamp of the plaintext greeting ("" when none), for the greeting
 * the session is given instead of one the server does not send again;
 * *xclient whether that greeting said [XCLIENT] (pop3_xclient.h).
 */
int	 tls_upstream_stls(int fd, int64_t deadline, uint64_t id, char *ts,
	    size_t tssize, int *xclient);

#endif
