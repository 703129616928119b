/*
 * The children's channel checks (child_chan.h).  Started by hand, a
 * child would take whatever fd 3 is for posternd; a config of any other
 * size or type means the two programs do not match.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "child_chan.h"
#include "log.h"
#include "stdio_detach.h"

void
child_chan_check(int fd, const char *prog)
{
	struct stat	 st;
	int		 fl;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		fatalx("descriptor %d is not a socket: %s is started by "
		    "posternd", fd, prog);
	/* Polled with the process's other descriptors. */
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl descriptor %d", fd);
}

void
child_begin(int argc, const char *prog, struct msgchan *chan, int fd,
    int flags, size_t maxbody)
{
	log_init(1, 0, prog);
	log_child();
	if (argc != 1)
		fatalx("usage: %s (started by posternd only)", prog);
	child_chan_check(fd, prog);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal SIGPIPE");
	msgchan_init(chan, fd, flags, maxbody);
}

void
child_detach(struct msgchan *chan, const char *name, int verbose)
{
	log_init(1, verbose, name);
	log_to_channel(chan);
	stdio_detach();
}

void
child_config_read(struct msgchan *chan, uint32_t type, void *body,
    size_t len)
{
	struct msg	 m;
	int		 rc;

	if ((rc = msg_wait(chan, &m, CHILD_CONFIG_TIMEOUT_MS)) == -1)
		fatal("waiting for the config");
	if (rc == 0)
		fatalx("no config from the master in %d s",
		    CHILD_CONFIG_TIMEOUT_MS / 1000);
	if (m.fd != -1)
		close(m.fd);
	if (m.hdr.type != type || m.len != len || m.fd != -1)
		fatalx("master sent type %u, %zu bytes, instead of the "
		    "config", m.hdr.type, m.len);
	memcpy(body, m.body, len);
}
