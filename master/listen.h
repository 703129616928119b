/*
 * Listening sockets, and what happens when a client arrives: the master
 * accepts, opens the upstream connection itself and hands both sockets to
 * an idle worker, so no worker ever needs socket, connect or accept.
 */
#ifndef POSTERN_MASTER_LISTEN_H
#define POSTERN_MASTER_LISTEN_H

#include "conf.h"

/*
 * Binds every listener of conf, taking over the socket of the listener of
 * old (may be NULL) on the same address, so a reload neither drops queued
 * clients nor needs the port to be free.  On failure nothing of old has
 * changed and -1 is returned.
 */
int	listeners_bind(struct conf *, struct conf *);
/* Closes the sockets of conf's listeners that were not taken over. */
void	listeners_close(struct conf *);
/* Accepts one client on l and hands it to a worker of its pool. */
void	listener_accept(struct listener *);
/* ms before accepting again, after running out of descriptors; 0 now. */
int	listeners_paused(void);

#endif
