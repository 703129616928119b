/*
 * A socket address as the logs show it: numeric host and port, or
 * "unknown" and "0" when getnameinfo(3) cannot say.
 */
#ifndef ADDR_TEXT_H
#define ADDR_TEXT_H

#include <sys/socket.h>

#include <stddef.h>

void	addr_text(const struct sockaddr_storage *, socklen_t, char *, size_t,
	    char *, size_t);

#endif
