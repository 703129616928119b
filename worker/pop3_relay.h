/*
 * The POP3 side of the relay: the session layer (pop3_session.h) decides,
 * this engine carries it out on the relay.  Bytes go out exactly as
 * received, save for what the worker answers itself (refusals, STLS,
 * the USER/PASS to APOP conversion), what the rules replace, and CAPA's
 * reply as the capability rules and the TLS mode say (pop3_hooks.h).
 */
#ifndef POSTERN_WORKER_POP3_RELAY_H
#define POSTERN_WORKER_POP3_RELAY_H

#include "proto_worker.h"
#include "relay.h"

struct pop3_limits;

extern const struct relay_engine pop3_relay_engine;

/*
 * login proxy (pop3_front.h): a CAPA line (without CRLF) the session's
 * capability rules keep; our greeting through the greeting rules:
 * 1 and the line in buf, or 0 and the refusal's text in buf.
 */
int	 pop3_relay_cap_kept(void *, const char *, size_t);
int	 pop3_relay_greeting(void *, const char *, char *, size_t);

/* The session limits of a config slice. */
void	 pop3_relay_limits(const struct worker_config *, struct pop3_limits *);

#endif
