/*
 * Clients of a "proxy-protocol from" listener (postern.conf(5)) before
 * their PROXY header is read.  A connection from a peer outside the
 * listener's networks is closed at once; one from inside waits here,
 * polled for input, until its header is whole (then it goes on, under
 * the client's address, to the per-client limit and the wait queue:
 * listener_admit()), is malformed, or "timeout proxy" passes: then it
 * is closed, without a word (the peer is a proxy, not a mail client),
 * and the log says why.  Like waitq.c, whose poll and timer calls run
 * these, a list belongs to the listening socket and moves with it on a
 * reload.  At most "limit queue" clients of a listener wait here; while
 * they do, the listener is not polled and new ones wait in the backlog.
 */
#ifndef POSTERN_MASTER_PROXY_IN_H
#define POSTERN_MASTER_PROXY_IN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <poll.h>
#include <stddef.h>

#include "conf.h"
#include "proxy_header.h"

/* What a client's header said, and who sent it; to the session. */
struct proxied {
	struct proxy_header	 h;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
};

void	 proxy_in_configure(const struct conf *);
/* The peer at ss may send l a PROXY header. */
int	 proxy_in_trusted(const struct listener *,
	    const struct sockaddr_storage *);
/* A client of l from a trusted peer: its header is awaited.  Takes fd. */
void	 proxy_in_add(struct listener *, int,
	    const struct sockaddr_storage *, socklen_t);
/* Fewer than "limit queue" clients of l wait for their header. */
int	 proxy_in_accepting(const struct listener *);
/* Closes those past "timeout proxy"; ms until the next is due, or -1. */
int	 proxy_in_run(void);
void	 proxy_in_move(struct listener *to, struct listener *from);
void	 proxy_in_close(struct listener *);

size_t	 proxy_in_npollfds(void);
size_t	 proxy_in_pollfds(struct pollfd *, size_t);
void	 proxy_in_dispatch(const struct pollfd *, size_t);

#endif
