/*
 * The one place where a POP3 request or response is judged.  Until the
 * worker asks postern-policyd (after the enforce branch), these answer
 * "accept" for everything except what the worker cannot yet pass on:
 * STLS (no TLS in the worker yet) is refused and hidden from CAPA, and
 * commands the engine does not know are refused.  The TLS engineer
 * changes pop3_policy_stls() and pop3_policy_capa(), nothing else.
 */
#ifndef POSTERN_WORKER_POP3_POLICY_H
#define POSTERN_WORKER_POP3_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "pop3_parse.h"

enum pop3_verdict_act {
	POP3_V_ACCEPT = 0,
	POP3_V_ACCEPT_MLINE,	/* forward; the response is multi-line */
	POP3_V_REJECT,		/* answer text in the server's place */
	POP3_V_ABORT,		/* answer text, then end the session */
	POP3_V_APOP,		/* USER, PASS: become an APOP login */
};

struct pop3_verdict {
	enum pop3_verdict_act	 act;
	const char		*text;	/* whole line without CRLF */
};

struct pop3_session;

/*
 * A command, after the engine's own checks; known says whether the
 * engine knows the keyword.
 */
void	 pop3_policy_request(const struct pop3_session *,
	    const struct pop3_cmd *, int known, struct pop3_verdict *);
/*
 * A response's status line to the command kw ("GREETING" for the
 * greeting; the keyword upper-cased).  Anything but ACCEPT ends the
 * session for now, with "-ERR Error in protocol".
 */
void	 pop3_policy_response(const struct pop3_session *, const char *kw,
	    const uint8_t *, size_t, struct pop3_verdict *);
/* One line of CAPA's reply, without CRLF: 1 keep, 0 hide. */
int	 pop3_policy_capa(const struct pop3_session *, const uint8_t *,
	    size_t);
/* STLS: refused until the worker has TLS; fills v when refused. */
int	 pop3_policy_stls(const struct pop3_session *, struct pop3_verdict *);

#endif
