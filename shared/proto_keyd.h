/*
 * postern-keyd, the key holder: the only process that reads the TLS
 * private keys.  posternd starts it with its channel on KEYD_CHAN_FD:
 *
 *   master -> keyd    MSG_K_CONFIG   struct keyd_config, first
 *   master -> keyd    MSG_K_KEY      nkeys times, struct keyd_key: a key
 *                                    file keyd opens before its chroot
 *   keyd -> master    MSG_READY      keys loaded, confined
 *   master -> keyd    MSG_K_WORKER   + one end of a socketpair whose
 *                                    other end the worker gets as
 *                                    MSG_W_KEYHOLDER; empty body
 *   keyd -> master    MSG_LOG        any time
 *
 * On a worker's channel there is one request at a time, and nothing else:
 *
 *   worker -> keyd    MSG_K_REQUEST  struct keyd_request
 *   keyd -> worker    MSG_K_ANSWER   struct keyd_answer
 *
 * keyd does the private-key operation the request names, on the key it
 * names, and only those: an RSA private encryption (a signature; the
 * padding is the worker's OpenSSL's business, RSA_NO_PADDING for PSS), an
 * RSA private decryption (TLS 1.2 RSA key exchange), or an ECDSA
 * signature of a digest.  Any other message, an unknown key or an
 * operation of the wrong key type ends that worker's channel.
 */
#ifndef POSTERN_PROTO_KEYD_H
#define POSTERN_PROTO_KEYD_H

#include <stdint.h>

#include "proto.h"

#define KEYD_CHAN_FD		3

/*
 * Message types of these channels: 300-399 (proto.h).  They were 200-211
 * until issue 16, the numbers of proto_policy.h too: the one exception to
 * proto.h's rule that a number never changes.  A keyd and a posternd or
 * worker from builds either side of that change do not understand each
 * other, so an upgrade across it restarts the whole daemon.
 */
enum keyd_msg_type {
	MSG_K_CONFIG = 300,
	MSG_K_KEY = 301,
	MSG_K_WORKER = 302,
	MSG_K_REQUEST = 310,
	MSG_K_ANSWER = 311,
};

MSG_RANGE_CHECK(MSG_K_CONFIG, MSG_BASE_KEYD);
MSG_RANGE_CHECK(MSG_K_KEY, MSG_BASE_KEYD);
MSG_RANGE_CHECK(MSG_K_WORKER, MSG_BASE_KEYD);
MSG_RANGE_CHECK(MSG_K_REQUEST, MSG_BASE_KEYD);
MSG_RANGE_CHECK(MSG_K_ANSWER, MSG_BASE_KEYD);

#define KEYD_KEYS_MAX		64
#define KEYD_PATH_MAX		256
#define KEYD_DATA_MAX		1024	/* RSA 8192 bits */

/*
 * Descriptors keyd holds besides its workers' channels: 0-2, the
 * master's channel, and room to spare (a key file is read before the
 * chroot and closed).
 */
#define KEYD_NOFILE_FIXED	16

struct keyd_config {
	uint32_t verbose;
	uint32_t uid;
	uint32_t gid;
	uint32_t nkeys;
	uint32_t nofile;		/* RLIMIT_NOFILE: KEYD_NOFILE_FIXED and
					   a channel per worker of a TLS
					   listener (master/rlimits.c) */
	uint32_t pad;
	char	 chroot[KEYD_PATH_MAX];
};

struct keyd_key {
	uint32_t index;			/* 0 .. nkeys-1, in order */
	uint32_t pad;
	char	 path[KEYD_PATH_MAX];
};

enum keyd_op {
	KEYD_RSA_PRIV_ENC = 1,		/* RSA_private_encrypt */
	KEYD_RSA_PRIV_DEC = 2,		/* RSA_private_decrypt */
	KEYD_ECDSA_SIGN = 3,		/* ECDSA_sign of a digest, DER */
};

struct keyd_request {
	uint32_t key;
	uint32_t op;			/* enum keyd_op */
	uint32_t padding;		/* RSA_*_PADDING for the RSA ops */
	uint32_t len;
	uint8_t	 data[KEYD_DATA_MAX];
};

struct keyd_answer {
	int32_t	 status;		/* 0, or -1: it failed */
	uint32_t len;
	uint8_t	 data[KEYD_DATA_MAX];
};

_Static_assert(sizeof(struct keyd_config) == 6 * 4 + KEYD_PATH_MAX,
    "keyd_config has no padding");
_Static_assert(sizeof(struct keyd_key) == 8 + KEYD_PATH_MAX, "keyd_key");
_Static_assert(sizeof(struct keyd_request) == 16 + KEYD_DATA_MAX,
    "keyd_request");
_Static_assert(sizeof(struct keyd_answer) == 8 + KEYD_DATA_MAX,
    "keyd_answer");

#endif
