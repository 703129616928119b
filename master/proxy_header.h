/*
 * The PROXY protocol header (shared/proxy_proto.h), read by the root
 * master from a trusted peer before the connection goes to a worker.
 * The parser is a pure function over the bytes read so far: no I/O, no
 * allocation, every length checked against the buffer and against
 * PROXY_HEADER_MAX, so that it can be fuzzed alone
 * (regress/fuzz/fuzz_proxy_header.c).  The reader (proxy_in.c) peeks
 * and consumes exactly what the parser says belongs to the header: the
 * client's first bytes stay in the socket for the worker.
 */
#ifndef POSTERN_MASTER_PROXY_HEADER_H
#define POSTERN_MASTER_PROXY_HEADER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "proto_worker.h"
#include "proxy_proto.h"

/*
 * What follows the 16 fixed bytes of a v2 header, at most: the address
 * block and the TLVs.  HAProxy's with ALPN, authority and the SSL TLVs
 * takes a few hundred; a longer one is refused.
 */
#define PROXY_V2_BODY_MAX	1024
#define PROXY_HEADER_MAX	(PROXY_V2_FIXED + PROXY_V2_BODY_MAX)

enum proxy_result {
	PROXY_MORE,		/* every byte so far is the header's: read on */
	PROXY_DONE,		/* the header is the first *used bytes */
	PROXY_BAD		/* not a valid header: *why says what */
};

struct proxy_header {
	int			 version;	/* 1 or 2 */
	/*
	 * The connection's own endpoints stand: v2's LOCAL (a health
	 * check), v1's UNKNOWN, or a family without an IP address.
	 */
	int			 local;
	struct sockaddr_storage	 src;		/* the client */
	socklen_t		 srclen;
	struct sockaddr_storage	 dst;		/* what it connected to */
	socklen_t		 dstlen;
	/* v2 TLVs: WORKER_PROXY_SSL, _CERT; the strings printable ASCII. */
	uint32_t		 flags;
	char			 alpn[WORKER_PROXY_ALPN_MAX];
	char			 authority[WORKER_PROXY_NAME_MAX];
	char			 tls_version[WORKER_PROXY_TLSVER_MAX];
	char			 tls_cipher[WORKER_PROXY_CIPHER_MAX];
};

/*
 * The bytes a peer sent so far, buf[0..len), from the connection's
 * first byte.  PROXY_MORE: all of them belong to the header, which is
 * not complete yet.  PROXY_DONE: h is filled and the header is the
 * first *used bytes (what follows is the client's).  PROXY_BAD: *why is
 * a static text for the log.
 */
enum proxy_result proxy_header_parse(const uint8_t *buf, size_t len,
		    size_t *used, struct proxy_header *h, const char **why);

#endif
