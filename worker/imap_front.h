/*
 * login proxy (postern.conf(5), "login proxy"): before there is an
 * upstream, postern is the IMAP server the client sees.  It greets,
 * answers CAPABILITY, ID, NOOP, STARTTLS and LOGOUT, and takes LOGIN
 * or AUTHENTICATE PLAIN (with SASL-IR or a continuation), and, when the
 * upstream's servers offer them, AUTHENTICATE OAUTHBEARER (RFC 7628)
 * and XOAUTH2, whose tokens are passed on as they came.  The login
 * taken becomes a LOGIN or AUTHENTICATE command line, under the
 * client's tag, that
 * relay.c gives the engine as if the client had sent it once the
 * master has connected the upstream: the engine's verdicts, login
 * throttling and the relay of the server's answer apply to it as in
 * relay mode.  Nothing the client says before its login reaches a
 * server.
 */
#ifndef POSTERN_WORKER_IMAP_FRONT_H
#define POSTERN_WORKER_IMAP_FRONT_H

#include <stddef.h>
#include <stdint.h>

#include "proto_worker.h"
#include "relay.h"

struct imap_front;

/* The functions below, for relay.c. */
extern const struct relay_front imap_front_ops;

/* The longest user name and password taken, each. */
#define IMAP_FRONT_ARG_MAX	1024
/* The longest OAUTHBEARER or XOAUTH2 response taken, base64. */
#define IMAP_FRONT_TOKEN_MAX	8192
/*
 * The replayed login: LOGIN with its tag and both arguments quoted,
 * escapes doubled, or AUTHENTICATE with a token (the longer).
 */
#define IMAP_FRONT_REPLAY_MAX	(IMAP_FRONT_TOKEN_MAX + 512)

/* NULL with errno. */
struct imap_front *imap_front_new(struct relay *,
	    const struct worker_config *);
/* Our greeting to the client, once its TLS mode is known. */
void	 imap_front_greet(struct imap_front *);
void	 imap_front_free(struct imap_front *);
/* The client's bytes: how many were consumed (whole lines only). */
size_t	 imap_front_input(struct imap_front *, const uint8_t *, size_t);
/* After a failed login: take another. */
void	 imap_front_again(struct imap_front *);
/* 1 once a login was taken: the command line to replay. */
int	 imap_front_login(const struct imap_front *, const uint8_t **,
	    size_t *);

#endif
