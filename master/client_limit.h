/*
 * Sessions per client address, for "limit connections per-client": the
 * master counts every client it holds or has handed to a worker, queued
 * or busy, under one key per address (IPv4) or per /64 (IPv6), over all
 * listeners.
 */
#ifndef POSTERN_MASTER_CLIENT_LIMIT_H
#define POSTERN_MASTER_CLIENT_LIMIT_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct client_count;

/*
 * One more session of the client at ss, unless it has limit (0: no
 * limit) already: then NULL, with *n what it has.  Every session is
 * counted, also with no limit, so that a reload that sets one knows
 * the sessions already open.
 */
struct client_count	*client_limit_take(const struct sockaddr_storage *,
			    uint32_t limit, uint32_t *n);
/* The session is over; NULL is nothing. */
void			 client_limit_release(struct client_count *);
/* The key as text, "192.0.2.1" or "2001:db8::/64", for the logs. */
void			 client_limit_key(const struct sockaddr_storage *,
			    char *, size_t);

#endif
