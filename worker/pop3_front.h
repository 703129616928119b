/*
 * login proxy (postern.conf(5), "login proxy") for POP3: before there
 * is an upstream, postern is the POP3 server the client sees.  It
 * greets (through the greeting rules), answers CAPA, STLS and QUIT, and
 * takes USER and PASS or AUTH PLAIN (an initial response or a
 * continuation, "*" cancels).  The login taken becomes the lines relay.c
 * gives the engine as if the client had sent them once the master has
 * connected the upstream (pop3_login.h: USER and PASS, or AUTH PLAIN,
 * as the server takes them); the engine answers USER itself in this
 * mode and relays the answer to the login (pop3_session.h, front).
 * APOP and the SASL mechanisms other than PLAIN cannot be replayed and
 * are not offered.  Nothing the client says before its login reaches a
 * server.
 */
#ifndef POSTERN_WORKER_POP3_FRONT_H
#define POSTERN_WORKER_POP3_FRONT_H

#include "relay.h"

/* relay.c's view of it. */
extern const struct relay_front pop3_front_ops;

#endif
