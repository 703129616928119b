/*
 * Listening sockets, and what happens when a client arrives: the master
 * accepts, opens the upstream connection itself and hands both sockets to
 * an idle worker, so no worker ever needs socket, connect or accept.
 */
#ifndef POSTERN_MASTER_LISTEN_H
#define POSTERN_MASTER_LISTEN_H

#include <sys/types.h>
#include <sys/socket.h>

#include "conf.h"

struct client_count;
struct proxied;
struct upstream_pick;
struct worker;

/*
 * Binds every listener of conf, taking over the socket of the listener of
 * old (may be NULL) on the same address, with its wait queue, so a
 * reload neither drops queued clients nor needs the port to be free.  On
 * failure nothing of old has changed and -1 is returned.
 */
int	listeners_bind(struct conf *, struct conf *);
/*
 * Closes the sockets of conf's listeners that were not taken over, and
 * refuses the clients waiting on them.
 */
void	listeners_close(struct conf *);
/*
 * Accepts one client on l: refused over "limit connections per-client",
 * else to the wait queue, which gives it to a worker of l's pool.  On
 * a "proxy-protocol from" listener, its PROXY header first (proxy_in.h).
 * 1: one was taken; 0: none was there, or accept(2) failed.
 */
int	listener_accept(struct listener *);
/*
 * The client on fd is at ss (the PROXY header's address when px is
 * not NULL): refused over "limit connections per-client" or when no
 * server of l's upstream is up, else to the wait queue.  Takes fd and
 * px.
 */
void	listener_admit(struct listener *, int,
	    const struct sockaddr_storage *, socklen_t, struct proxied *);
/*
 * Gives the client fd and its upstream connection to w: up, to the
 * server pick, made before the queue for a named upstream, or else one
 * opened now to the server of l's upstream that upstream_connect()
 * picks.  The worker holds the client's count cc until the session
 * ends.  With no server up, the client is refused and w stays idle.
 * Takes fd, cc, px (NULL: no PROXY header) and up.
 */
void	listener_handoff(struct listener *, struct worker *, int,
	    const struct sockaddr_storage *, socklen_t,
	    struct client_count *, struct proxied *, int,
	    const struct upstream_pick *);
/*
 * login proxy: session id's client (its numeric address, for the log)
 * has logged in; connects the upstream its route names (upstream.h,
 * upstream_routed(); "" l's own) as listener_handoff() does, without
 * blocking.  The socket and, in the answer, the server; or -1 with
 * errno.
 */
int	listener_connect(struct listener *, uint64_t, const char *,
	    const char *, struct worker_connected *);
/* ms before accepting again, after running out of descriptors; 0 now. */
int	listeners_paused(void);

#endif
