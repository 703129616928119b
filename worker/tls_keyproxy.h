/*
 * Private keys the worker does not have: an EVP_PKEY made from a
 * certificate's public key whose private operations (RSA sign and
 * decrypt, ECDSA sign) go to postern-keyd over the worker's channel
 * (proto_keyd.h), one synchronous request at a time.
 */
#ifndef POSTERN_WORKER_TLS_KEYPROXY_H
#define POSTERN_WORKER_TLS_KEYPROXY_H

#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * The channel to keyd (MSG_W_KEYHOLDER); the module keeps it.  The
 * master sends a new one whenever keyd restarts, which replaces the old.
 */
void		 keyproxy_channel(int fd);
int		 keyproxy_has_channel(void);
/*
 * keyd is gone (end of file on the channel): the channel is closed, and
 * handshakes fail until the master sends one to the new keyd.
 */
void		 keyproxy_gone(void);
/*
 * keyd broke the protocol or did not answer: no handshake will work
 * again on this channel, so the worker ends after its session and the
 * master starts one with a new channel.
 */
int		 keyproxy_lost(void);
/* The channel, for an idle worker to notice keyd's end; -1 none. */
int		 keyproxy_fd(void);
/* A key for cert's public key whose private half is keyd's key index. */
EVP_PKEY	*keyproxy_pkey(X509 *cert, uint32_t index);
/* Requests made and the time they took, for the benchmark. */
void		 keyproxy_stats(uint64_t *count, uint64_t *usec);

#endif
