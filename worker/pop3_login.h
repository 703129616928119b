/*
 * login proxy, POP3 (pop3_front.h): the parts that need no session.
 * What the server offers, as its health check kept CAPA's answer (one
 * line a line, worker_session.capability), AUTH PLAIN's response
 * (RFC 4616) taken apart, and the login to replay to the server: USER
 * and PASS, or AUTH PLAIN with its initial response (RFC 5034), as the
 * server takes them.
 */
#ifndef POSTERN_WORKER_POP3_LOGIN_H
#define POSTERN_WORKER_POP3_LOGIN_H

#include <stddef.h>
#include <stdint.h>

/* The longest user name, password or authorization identity taken. */
#define POP3_LOGIN_ARG_MAX	1024
/* AUTH PLAIN with all three at their longest, base64; or USER, PASS. */
#define POP3_LOGIN_REPLAY_MAX	(4 * ((3 * POP3_LOGIN_ARG_MAX + 2) / 3 + \
				    1) + 64)

/* A line of caps begins with the capability tag (RFC 2449 section 6). */
int	 pop3_capa_has(const char *caps, const char *tag);
/* caps' SASL line lists mechanism mech. */
int	 pop3_capa_sasl(const char *caps, const char *mech);

struct pop3_plain {
	const uint8_t	*authz, *authc, *pass;
	size_t		 authzlen, authclen, passlen;
};

/*
 * AUTH PLAIN's response, base64 in b64..len, decoded into bin (size)
 * and taken apart in *p: 0, or -1 when it is not base64, not three
 * parts, or a part holds what no login can (CR, LF, a third NUL), or
 * the user name is empty.
 */
int	 pop3_plain_decode(const char *b64, size_t len, uint8_t *bin,
	    size_t size, struct pop3_plain *p);

/*
 * The login to replay, into out: AUTH PLAIN when the server lists SASL
 * PLAIN and the client said AUTH PLAIN (b64, replayed as it is) or the
 * server takes no USER; USER and PASS otherwise (and when caps is "",
 * nothing known).  Returns its length; 0 when the server cannot take it
 * (an authorization identity other than the user's and no SASL PLAIN;
 * a user name with a space and no SASL PLAIN); -1 when out is too small.
 */
int	 pop3_login_replay(const char *caps, const struct pop3_plain *p,
	    const char *b64, size_t b64len, char *out, size_t size);

#endif
