/*
 * A child started by the master keeps nothing of the master's stdio.
 * Descriptors 0-2 become a socket that is shut down both ways: nothing
 * leaks to whatever the master's stdio was, writes fail with EPIPE, and a
 * descriptor received later (a client's socket, a worker's channel) can
 * never land on 2, where a stray write would reach a peer.
 *
 * A make SANDBOX_DEBUG=1 build keeps an open stderr, the master's, so
 * that the filter's "sandbox: syscall N not allowed" (sandbox.c) reaches
 * the terminal of posternd -d; 2 is still taken, by that descriptor.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <unistd.h>

#include "log.h"
#include "stdio_detach.h"

void
stdio_detach(void)
{
	int	 sp[2], fd;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		fatal("socketpair");
	close(sp[1]);
	if (shutdown(sp[0], SHUT_RDWR) == -1)
		fatal("shutdown");
	for (fd = 0; fd <= STDERR_FILENO; fd++) {
#ifdef POSTERN_SANDBOX_DEBUG
		if (fd == STDERR_FILENO && fd != sp[0] &&
		    fcntl(fd, F_GETFD) != -1)
			continue;
#endif
		if (fd != sp[0] && dup2(sp[0], fd) == -1)
			fatal("dup2 %d", fd);
	}
	if (sp[0] > STDERR_FILENO)
		close(sp[0]);
}
