/*
 * The master's two small servers: the control socket of posternctl(8)
 * and the metrics listener (postern.conf(5), posternd(8)).  Both live in
 * the event loop as pollfd sources, like the listeners: non-blocking,
 * a bounded request, a bounded number of clients, each with a deadline,
 * so that no client can stall the master.
 *
 * The control socket is a Unix socket, mode 0600 in a directory of
 * root's that no one else may enter (0700), and takes only a peer whose
 * SO_PEERCRED uid is 0.  A client sends one line,
 *
 *	COMMAND [ARGUMENT] [json]
 *
 * of fixed words (status, sessions, kick ID, reload, metrics), and gets
 * "ok" or "error TEXT" on the first line of the answer, then the answer,
 * then the end of the connection.
 *
 * The metrics listener speaks just enough HTTP/1.0: one GET /metrics
 * (or HEAD), one answer (metrics.h), then the close.
 */
#ifndef POSTERN_MASTER_CONTROL_H
#define POSTERN_MASTER_CONTROL_H

#include <poll.h>
#include <stddef.h>

#include "conf.h"

/*
 * At start: where the configuration comes from, and how posternctl
 * reload reloads it (0 reloaded, -1 not: the old one stays).
 */
void	 control_init(const char *conffile, int (*reload)(void));
/*
 * conf is the running configuration now.  Its control socket and
 * metrics listener are bound unless they are those bound already; a
 * change of path or address binds the new one first, then lets the old
 * one go.  0, or -1 (logged): what was bound stays.
 */
int	 control_configure(const struct conf *);
/* Closes both, and removes the socket. */
void	 control_close(void);

/* poll(2) support, as the wait queue's; ms until a deadline, -1 none. */
int	 control_maintain(void);
size_t	 control_npollfds(void);
size_t	 control_pollfds(struct pollfd *, size_t);
/* Last in the loop: a reload replaces what the loop polled before. */
void	 control_dispatch(const struct pollfd *, size_t);

#endif
