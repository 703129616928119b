/*
 * The worker's TLS: the contexts built from what the master sent
 * (proto_tls.h) before the filter goes on, the mode of each connection,
 * handshakes, and reads and writes through a TLS connection with the
 * relay's non-blocking conventions.
 */
#ifndef POSTERN_WORKER_TLS_H
#define POSTERN_WORKER_TLS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "msg.h"
#include "proto_tls.h"
#include "proto_worker.h"

/*
 * Reads MSG_W_KEYHOLDER, MSG_W_TLS and the chains from the master, and
 * builds the contexts, the upstream CA store read from its file: all of
 * it before the chroot and the filter.  Fatal on any error.  A template
 * (template != 0) gets no keyd channel: each worker it forks is sent
 * its own.
 */
void	 tls_setup(struct msgchan *, int template);
const struct worker_tls *tls_conf(void);

struct policy_client;

/*
 * The client side's TLS mode for this connection, whatever its protocol:
 * the connect verdict of the worker's protocol (postern.rules(5),
 * "connect"), asked once with the client address, listener and port,
 * and bounded by what the listener can do.  pc NULL (no policy store):
 * the listener's mode.  0 and *mode, or -1 when the connection is
 * refused (no connect rule holds, or no verdict: fail closed), with
 * *why the text for the client's BYE or -ERR.
 */
int	 tls_connect_mode(const struct worker_config *, struct policy_client *pc,
	    const struct worker_session *, enum worker_tls_mode *mode,
	    const char **why);

/* A new TLS connection on fd, as the server (client side) or the client. */
SSL	*tls_server_new(int fd);
SSL	*tls_client_new(int fd);
/*
 * Runs the handshake to its end, waiting in poll() until deadline (ms,
 * CLOCK_MONOTONIC).  0, or -1 with the reason logged for session id.
 */
int	 tls_handshake(SSL *, int64_t deadline, uint64_t id,
	    const char *who);
/*
 * Like recv and send on a non-blocking socket: -1 with errno EAGAIN
 * when TLS must wait, *events then the poll events it waits for.
 */
ssize_t	 tls_read(SSL *, void *, size_t, short *events);
ssize_t	 tls_write(SSL *, const void *, size_t, short *events);
/*
 * Waits up to deadline for events on fd, or until the master speaks on
 * stopfd, its channel: then stop(arg) reads what it said and returns
 * non-zero when the session is to end (shutdown), 0 when it goes on (a
 * new channel to policyd or keyd, an audit segment).  0 when fd is
 * ready, 1 when the time is up, -1 when the session is to end or poll
 * failed (logged).
 */
void	 tls_set_stop(int stopfd, int (*stop)(void *), void *arg);
int	 tls_wait(int fd, short events, int64_t deadline, uint64_t id);
/*
 * The JA4 of the ClientHello of a connection tls_server_new() made
 * (ja4.h), or NULL: none yet, or none could be read from it.
 */
const char *tls_ja4(const SSL *);
/* The audit's and the log's view of an established connection. */
void	 tls_describe(SSL *, const char **version, const char **cipher,
	    const char **sni);
void	 tls_free(SSL *);

#endif
