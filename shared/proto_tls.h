/*
 * TLS on the master -> worker channel (proto_worker.h): what a worker
 * needs to build its TLS contexts before it loads its filter.
 *
 *   master -> worker  MSG_W_KEYHOLDER  + socketpair to postern-keyd,
 *                                      empty body; only when the
 *                                      listener has certificates; and
 *                                      again, idle or in a session, each
 *                                      time a restarted keyd is ready
 *   master -> worker  MSG_W_TLS        struct worker_tls, always, right
 *                                      after MSG_W_CONFIG (and the
 *                                      key holder's channel)
 *   master -> worker  MSG_W_TLS_CERT   ncerts times: one certificate
 *                                      chain in PEM, the leaf first; the
 *                                      header's peerid is the key's index
 *                                      at the key holder (proto_keyd.h)
 *
 * The worker never gets a private key: only the chain, and the index it
 * names in its sign and decrypt requests.  The upstream CA file is a path
 * the worker reads itself before its chroot: a system store is larger
 * than any message.
 */
#ifndef POSTERN_PROTO_TLS_H
#define POSTERN_PROTO_TLS_H

#include <stdint.h>

#include "proto_worker.h"	/* MSG_W_TLS, MSG_W_TLS_CERT */

#define WORKER_TLS_CERTS_MAX	8	/* certificates of a listener (SNI) */
#define WORKER_TLS_STR_MAX	256

/* The client side's mode per connection (VPOP3's GetEncryption). */
enum worker_tls_mode {
	WORKER_TLS_NONE = 0,
	WORKER_TLS_STARTTLS = 1,	/* offered */
	WORKER_TLS_STARTTLS_REQUIRED = 2, /* no LOGIN or AUTHENTICATE before */
	WORKER_TLS_IMPLICIT = 3,	/* the handshake first (RFC 8314) */
};

/* The upstream side's. */
enum worker_tls_upstream {
	WORKER_UPTLS_NONE = 0,
	WORKER_UPTLS_STARTTLS = 1,
	WORKER_UPTLS_IMPLICIT = 2,
};

struct worker_tls {
	uint32_t mode;			/* enum worker_tls_mode */
	uint32_t up_mode;		/* enum worker_tls_upstream */
	uint32_t up_verify;		/* 0 only with "verify off" */
	uint32_t min_version;		/* 0x0303 TLS 1.2, 0x0304 TLS 1.3 */
	uint32_t ncerts;
	uint32_t max_version;		/* the same */
	char	 ciphers[WORKER_TLS_STR_MAX];	  /* TLS 1.2; "" default */
	char	 ciphersuites[WORKER_TLS_STR_MAX]; /* TLS 1.3; "" default */
	char	 groups[WORKER_TLS_STR_MAX];	  /* "" default */
	char	 up_ca[WORKER_TLS_STR_MAX];	  /* "" system store */
	char	 up_name[WORKER_TLS_STR_MAX];	  /* checked name and SNI */
};

_Static_assert(sizeof(struct worker_tls) == 6 * 4 + 5 * WORKER_TLS_STR_MAX,
    "worker_tls has no padding");

#endif
