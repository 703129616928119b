/*
 * A peer's address for a log line (addr_text.h): the wait queue's and
 * the PROXY header reader's.
 */
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>

#include "addr_text.h"

void
addr_text(const struct sockaddr_storage *ss, socklen_t len, char *host,
    size_t hostlen, char *port, size_t portlen)
{
	if (getnameinfo((const struct sockaddr *)ss, len, host, hostlen,
	    port, portlen, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(host, hostlen, "unknown");
		snprintf(port, portlen, "0");
	}
}
