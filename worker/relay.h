/*
 * The relay: one session's I/O.  relay.c owns the two sockets, their
 * buffers, the timers and the poll loop; what the bytes mean is the
 * protocol engine's business (imap_relay.h), and it talks back through
 * the functions below.  The engine plugs in at exactly one place: the
 * input callbacks in relay.c's pump().
 */
#ifndef POSTERN_WORKER_RELAY_H
#define POSTERN_WORKER_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "proto_worker.h"

enum relay_side {
	RELAY_CLIENT = 0,
	RELAY_UPSTREAM = 1
};

struct relay;
struct policy_client;
struct worker_env;

/*
 * A protocol engine (imap_relay.h, pop3_relay.h): relay.c calls only
 * these, so the I/O loop knows nothing of the protocol.
 */
struct relay_engine {
	void		*(*e_new)(struct relay *, const struct worker_config *,
			    const struct worker_env *);
	void		 (*e_free)(void *);
	/* Bytes read from side from; returns how many were consumed. */
	size_t		 (*e_input)(void *, enum relay_side, const uint8_t *,
			    size_t);
	/* Tell the client the session ends, in the protocol's words. */
	void		 (*e_bye)(void *, const char *);
	uint32_t	 (*e_commands)(const void *);
	/* The client's commands the server has not answered yet. */
	unsigned int	 (*e_owed)(const void *);
	/* The client asked to end the session (LOGOUT, QUIT). */
	int		 (*e_logout)(const void *);
	/*
	 * Nothing moved for a while: what the engine takes again when it
	 * needs it goes back (relay_rest()).  NULL: nothing to give back.
	 */
	void		 (*e_rest)(void *);
};

/*
 * login proxy's front door of a protocol (imap_front.h, pop3_front.h):
 * before there is an upstream, the client's bytes go to it, and it says
 * when it has a login to replay.
 */
struct relay_front {
	void		*(*f_new)(struct relay *, const struct worker_config *);
	void		 (*f_free)(void *);
	/* Our greeting, once the TLS mode is known. */
	void		 (*f_greet)(void *);
	/* The client's bytes: how many were consumed (whole lines only). */
	size_t		 (*f_input)(void *, const uint8_t *, size_t);
	/* After a failed login: take another. */
	void		 (*f_again)(void *);
	/* 1 once a login was taken: the bytes the engine is to replay. */
	int		 (*f_login)(const void *, const uint8_t **, size_t *);
	/* The user of the login taken, for its route; NULL: none known. */
	const char	*(*f_user)(const void *);
	/* The longest replay f_login() gives. */
	size_t		 replay_max;
};

/*
 * What a worker holds across its sessions and lends to each: the
 * channel to postern-policyd (NULL: no policy store configured).
 * Later parts (TLS, the key holder) add their own members here.
 */
struct worker_env {
	struct policy_client	*policy;
};

/*
 * Runs one session to its end: both sockets closed, MSG_W_SESSION_END
 * queued on chan.  client is the client socket, upstream the upstream
 * socket or -1 with uperr its connect error.  Returns 0, or -1 when the
 * worker must exit (EOF or an error on chan, MSG_SHUTDOWN).
 */
int	 relay_run(const struct worker_config *, const struct worker_env *,
	    struct msgchan *chan, const struct worker_session *, int client,
	    int upstream, int uperr);

/*
 * For the engine.  Forward len bytes to side to.  borrowed: p points
 * into the input buffer of the other side and stays valid until the
 * engine's input callback returns; the relay then tries to send it
 * without copying.  Otherwise p is copied at once.
 */
void	 relay_forward(struct relay *, enum relay_side to, const uint8_t *p,
	    size_t len, int borrowed);
/* Room left before side to's output counts as full. */
size_t	 relay_room(const struct relay *, enum relay_side to);
/*
 * End the session: stop reading, write out what is queued (including
 * anything the engine queued just before), then close.
 */
void	 relay_close(struct relay *, enum worker_end_reason);
/*
 * Seconds the client may stay silent now; the engine decides which.
 * Before the login the login deadline holds as well.
 */
void	 relay_set_timeout(struct relay *, unsigned int seconds);
/* The client has logged in: the login deadline is over, idle begins. */
void	 relay_logged_in(struct relay *, unsigned int seconds);
/*
 * Hold the client's side for ms: nothing is written to it or read from
 * it until then (the answer to a failed login waits, and the client's
 * next try with it), while the rest of the loop (the master's channel,
 * the server, the timers) goes on.
 */
void	 relay_hold_client(struct relay *, unsigned int ms);
/* The server has greeted: the upstream timer stops. */
void	 relay_greeted(struct relay *);
/*
 * login proxy: the login replayed did not log in.  With again, once the
 * engine is done with this input the upstream is closed, the engine
 * starts again and the client talks to postern's front (imap_front.h)
 * again; without, the session goes on with this upstream, as in relay
 * mode.
 */
void	 relay_login_failed(struct relay *, int again);
/*
 * login proxy: the server challenged the replayed AUTHENTICATE (RFC
 * 7628's error): the client's next line, its answer, is read and given
 * to the engine while the login's answer is still awaited.
 */
void	 relay_login_challenge(struct relay *);
/*
 * login proxy: the capability rules of the session keep cap (IMAP: a
 * capability; POP3: a line of CAPA's answer, without CRLF).
 */
int	 relay_cap_kept(struct relay *, const char *cap, size_t len);
/*
 * login proxy, POP3: our greeting line (without CRLF) through the
 * greeting rules: 1 and line in buf, or 0 and a refusal in buf: the
 * session is to end after it.
 */
int	 relay_greeting(struct relay *, const char *ours, char *buf,
	    size_t size);
/* The session being relayed (addresses, listener), for the policy. */
const struct worker_session *relay_session(const struct relay *);

#endif
