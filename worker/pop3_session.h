/*
 * The POP3 session layer: RFC 1939's states (AUTHORIZATION with its
 * USER-then-PASS step, TRANSACTION, UPDATE), RFC 2449's CAPA and
 * PIPELINING, RFC 5034's AUTH exchange, and APOP, on top of the framing
 * of pop3_parse.h.  It decides, command by command, what goes upstream
 * and what the worker answers itself, and ties every response to its
 * command in order: an answer of our own waits until the responses to the
 * commands before it have gone to the client.
 *
 * Commands that change the state (USER, PASS, APOP, AUTH, STLS, QUIT) are
 * a barrier: the client's next bytes are not read until the server has
 * answered, so every later command is checked against the state the
 * server is really in.  TRANSACTION commands pipeline freely.
 *
 * Bytes leave through struct pop3_io: command lines as received, the
 * body of a multi-line response by pointer into the caller's bytes.
 */
#ifndef POSTERN_WORKER_POP3_SESSION_H
#define POSTERN_WORKER_POP3_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "pop3_parse.h"

#define POP3_LINE_DEFAULT	8192	/* limit pop3-line */
#define POP3_LINE_MIN		256	/* RFC 2449 section 4: 255 + CRLF */
#define POP3_USER_DEFAULT	256	/* limit username */
#define POP3_PASS_DEFAULT	256	/* limit password */
#define POP3_INFLIGHT_DEFAULT	128
#define POP3_TIMESTAMP_MAX	256	/* APOP's <...> in the greeting */
#define POP3_REPLY_MAX		512	/* RFC 2449 section 4 */

struct pop3_limits {
	size_t		 line_max;	/* a line, CRLF included, both ways */
	size_t		 user_max;	/* USER's and APOP's name */
	size_t		 pass_max;	/* PASS's argument */
	unsigned int	 inflight_max;	/* pipelined commands */
	/*
	 * Zorp's example 4.16 for a session without a policy (the unit
	 * tests): USER and PASS become an APOP login upstream.  In the
	 * worker the rule "pop3 request USER apop" decides instead.
	 */
	int		 apop_userpass;
};

enum pop3_state {
	POP3_S_GREETING = 0,		/* waiting for the server's +OK */
	POP3_S_AUTHORIZATION,
	POP3_S_TRANSACTION,
	POP3_S_UPDATE,			/* QUIT answered */
};

/* Where the session's bytes go; arg is the io's own. */
struct pop3_io {
	void	(*to_server)(void *, const uint8_t *, size_t);
	/* borrowed: p points into the bytes just given to the session. */
	void	(*to_client)(void *, const uint8_t *, size_t, int borrowed);
	/* The session is over: text for "-ERR text", NULL for none. */
	void	(*close)(void *, const char *text);
	void	(*greeted)(void *);
	void	(*authenticated)(void *);
	/* login proxy (front): the login replayed failed; may be NULL. */
	void	(*login_failed)(void *);
	void	*arg;
};

struct pop3_pend;
struct pop3_hooks_ops;

/* The client leg's TLS, kept true by the relay (pop3_hooks.h). */
struct pop3_tls {
	int		 offered;	/* STLS may be taken now */
	int		 required;	/* no login before TLS */
	int		 active;
	const char	*ja4;		/* its fingerprint, or NULL */
};

struct pop3_session {
	struct pop3_limits	 lim;
	struct pop3_io		 io;
	enum pop3_state		 state;
	struct pop3_line	 cl;		/* client line */
	struct pop3_line	 sl;		/* server line */
	const uint8_t		*slraw;		/* it whole in the caller's bytes */
	struct pop3_ml		 ml;
	struct pop3_pend	*q;		/* ring of commands in flight */
	unsigned int		 qhead;
	unsigned int		 qlen;
	unsigned int		 barriers;	/* in q */
	int			 user_ok;	/* USER accepted: PASS next */
	int			 body;		/* in a multi-line response */
	int			 sasl_turn;	/* AUTH: the client's line next */
	int			 quit;		/* QUIT sent */
	int			 closed;
	int			 stls;		/* STLS taken: the relay's turn */
	int			 skip;		/* the body is dropped */
	int			 xclient_ours;	/* forward id (pop3_hooks.c) */
	/*
	 * login proxy (pop3_front.h): the client had postern's greeting
	 * and its "+OK" to USER, so the server's are not relayed, and a
	 * login's "-ERR" ends the replay (io.login_failed).
	 */
	int			 front;
	int			 front_failed;	/* the rest is not read */
	int			 kind_now;	/* of the command being read */
	struct pop3_tls		 tls;
	const struct pop3_hooks_ops *ops;	/* NULL: no policy */
	void			*opsarg;
	uint32_t		 commands;
	char			 timestamp[POP3_TIMESTAMP_MAX];
	char			*user;		/* USER's name, APOP conversion */
};

void	 pop3_limits_default(struct pop3_limits *);
int	 pop3_session_init(struct pop3_session *, const struct pop3_limits *,
	    const struct pop3_io *);
void	 pop3_session_free(struct pop3_session *);
/* Whether client bytes may be fed now (see the barriers above). */
int	 pop3_session_want_client(const struct pop3_session *);
/* Feed bytes; returns how many were consumed. */
size_t	 pop3_session_client(struct pop3_session *, const uint8_t *, size_t);
size_t	 pop3_session_server(struct pop3_session *, const uint8_t *, size_t);
/*
 * TLS is up after the STLS the session took (s->stls): the client is
 * read again, in AUTHORIZATION, with nothing of before remembered.
 */
void	 pop3_session_tls_done(struct pop3_session *);
/* In the middle of a server response: no line of ours may go out now. */
int	 pop3_session_mid_response(const struct pop3_session *);

#endif
