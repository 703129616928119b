/*
 * The wait queue: clients the master has accepted while no worker of
 * their listener's pool was idle.  Each is handed to the next idle
 * worker in the order it came, or refused once it has waited
 * "timeout queue"; a client that finds the queue at "limit queue" and
 * the pool at its max is refused at once.  A refusal is one fixed line
 * the master writes before the close (it never looks at what the client
 * sent):
 *
 *	* BYE [UNAVAILABLE] Server busy, try again later
 *	-ERR [SYS/TEMP] Server busy, try again later
 *
 * with WAITQ_PERCLIENT, or WAITQ_UNAVAILABLE when no server of the
 * listener's upstream is up (listen.c, upstream.h), for text.
 *
 * On a "tls implicit" listener the master cannot speak (it holds no TLS
 * and no worker is free to), so a refused client is closed without a
 * word; the log line says so.
 */
#ifndef POSTERN_MASTER_WAITQ_H
#define POSTERN_MASTER_WAITQ_H

#include <sys/types.h>
#include <sys/socket.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct client_count;
struct proxied;
struct upstream_pick;

#define WAITQ_BUSY	"Server busy, try again later"
#define WAITQ_PERCLIENT	"Too many connections from your address"
#define WAITQ_UNAVAILABLE "No server available, try again later"

/* The limits of conf: queue size, wait, per-client sessions. */
void		waitq_configure(const struct conf *);
uint32_t	waitq_per_client(void);
/* Worth polling l: its pool takes clients, and a full queue is refusing. */
int		waitq_accepting(const struct listener *);
/*
 * A client just accepted on l: to an idle worker now if none waits
 * before it, else into the queue, else refused.  Takes fd, cc, px (its
 * PROXY header, NULL when none) and up, the connection to the server
 * pick that the master made for a named upstream (upstream.h), or -1
 * and NULL: the worker is given a connect still in progress.
 */
void		waitq_add(struct listener *, int,
		    const struct sockaddr_storage *, socklen_t,
		    struct client_count *, struct proxied *, int,
		    const struct upstream_pick *);
/*
 * Hands waiting clients to idle workers, refuses those that waited too
 * long; returns ms until it wants to run again, -1 for never.
 */
int		waitq_run(void);
/* A reload gave from's socket to to: its clients go with it. */
void		waitq_move(struct listener *to, struct listener *from);
/* The listener closes: its waiting clients are refused. */
void		waitq_close(struct listener *);
/* Writes l's refusal line with text (none with implicit TLS), closes fd. */
void		waitq_refuse(const struct listener *, int, const char *);

/* Clients waiting on l now (posternctl status, the metrics). */
uint32_t	waitq_length(const struct listener *);

/*
 * poll(2) support: a waiting client that hangs up leaves the queue.
 * These and waitq_run() also drive proxy_in.h, the clients whose PROXY
 * header is awaited, and waitq_move() and waitq_close() move and close
 * them with their listener's socket.
 */
size_t		waitq_npollfds(void);
size_t		waitq_pollfds(struct pollfd *, size_t);
void		waitq_dispatch(const struct pollfd *, size_t);

#endif
