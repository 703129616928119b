/*
 * What posternd gives a worker of a TLS listener (proto_tls.h): the
 * listener's TLS slice and its certificate chains, read once per pool,
 * after the channel to postern-keyd.  Certificates are public; the keys
 * they go with are read by postern-keyd alone.
 */
#ifndef POSTERN_MASTER_LISTENER_TLS_H
#define POSTERN_MASTER_LISTENER_TLS_H

#include <stddef.h>

#include "msg.h"
#include "conf.h"
#include "proto_tls.h"

struct listener_tls_set {
	struct worker_tls	 slice;
	char			*pem[WORKER_TLS_CERTS_MAX];
	size_t			 pemlen[WORKER_TLS_CERTS_MAX];
	uint32_t		 key[WORKER_TLS_CERTS_MAX];
};

/* Every certificate parses and every key file is readable: 0, or -1. */
int	 listener_tls_check(const struct conf *);
/* The slice and the chains of one listener; -1 when a file failed. */
int	 listener_tls_load(struct listener_tls_set *, const struct conf *,
	    const struct listener *);
void	 listener_tls_free(struct listener_tls_set *);
/*
 * Queue, right after MSG_W_CONFIG: the keyd channel (keyfd; with
 * certificates only, and the channel takes it), the slice, the chains.
 */
int	 listener_tls_send(struct msgchan *, const struct listener_tls_set *,
	    int keyfd);
/*
 * The slice and the chains alone, for a template: each worker it forks
 * gets its own keyd channel afterwards.
 */
int	 listener_tls_send_slice(struct msgchan *,
	    const struct listener_tls_set *);

#endif
