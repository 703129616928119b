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

/*
 * Runs one session to its end: both sockets closed, MSG_W_SESSION_END
 * queued on chan.  client is the client socket, upstream the upstream
 * socket or -1 with uperr its connect error.  Returns 0, or -1 when the
 * worker must exit (EOF or an error on chan, MSG_W_SHUTDOWN).
 */
int	 relay_run(const struct worker_config *, struct msgchan *chan,
	    const struct worker_session *, int client, int upstream,
	    int uperr);

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
/* Seconds the client may stay silent now; the engine decides which. */
void	 relay_set_timeout(struct relay *, unsigned int seconds);
/* The server has greeted: the upstream timer stops. */
void	 relay_greeted(struct relay *);

#endif
