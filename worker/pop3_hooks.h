/*
 * The one place where a POP3 request or response is judged.  What the
 * worker decides itself comes first: STLS (answered here, by the
 * session's TLS mode), starttls-required (no login before TLS), the STLS
 * line of CAPA's reply (shown only when offered).  Then, with a policy
 * store, the verdicts of postern-policyd through the ops the relay sets
 * (pop3_enforce.h); without one, everything known is accepted and
 * commands the engine does not know are refused.
 */
#ifndef POSTERN_WORKER_POP3_HOOKS_H
#define POSTERN_WORKER_POP3_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "pop3_parse.h"

enum pop3_verdict_act {
	POP3_V_ACCEPT = 0,
	POP3_V_ACCEPT_MLINE,	/* forward; the response is multi-line */
	POP3_V_REJECT,		/* answer text in the server's place */
	POP3_V_ABORT,		/* answer text, then end the session */
	POP3_V_APOP,		/* USER, PASS: become an APOP login */
	POP3_V_DROP,		/* forward nothing, answer nothing */
	POP3_V_STLS,		/* STLS taken: the handshake follows */
	POP3_V_REPLACE,		/* response: text in place of its line */
};

struct pop3_verdict {
	enum pop3_verdict_act	 act;
	const char		*text;	/* whole line without CRLF */
};

struct pop3_session;
enum pop3_state;

/* A policy behind the worker's own decisions; each member may be NULL. */
struct pop3_hooks_ops {
	void	(*request)(void *, const struct pop3_session *,
		    const struct pop3_cmd *, int known,
		    struct pop3_verdict *);
	void	(*response)(void *, const struct pop3_session *,
		    const char *kw, const uint8_t *, size_t,
		    struct pop3_verdict *);
	int	(*capa)(void *, const struct pop3_session *, const uint8_t *,
		    size_t);
	/* The server's answer moved the state (audit, verdict context). */
	void	(*state)(void *, enum pop3_state from, enum pop3_state to);
};

/*
 * A command, after the engine's own checks; known says whether the
 * engine knows the keyword.
 */
void	 pop3_hooks_request(const struct pop3_session *,
	    const struct pop3_cmd *, int known, struct pop3_verdict *);
/*
 * A response's status line to the command kw ("GREETING" for the
 * greeting; the keyword upper-cased).
 */
void	 pop3_hooks_response(const struct pop3_session *, const char *kw,
	    const uint8_t *, size_t, struct pop3_verdict *);
/* One line of CAPA's reply, without CRLF: 1 keep, 0 hide. */
int	 pop3_hooks_capa(const struct pop3_session *, const uint8_t *,
	    size_t);
/* STLS: 1 and v filled when refused, 0 when taken. */
int	 pop3_hooks_stls(const struct pop3_session *, struct pop3_verdict *);
/* A login command that must wait for TLS (starttls-required). */
int	 pop3_hooks_tls_first(const struct pop3_session *, const char *kw);

#endif
