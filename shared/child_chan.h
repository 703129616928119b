/*
 * A child's first steps on its channel to posternd, the same for the
 * worker, postern-policyd and postern-keyd: the channel must be the
 * socket posternd left on its fixed descriptor, and its first message
 * the child's config, whole, within a timeout.  Each ends the process
 * with a message that names the child when it fails.
 */
#ifndef POSTERN_CHILD_CHAN_H
#define POSTERN_CHILD_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* posternd sends the config right after exec. */
#define CHILD_CONFIG_TIMEOUT_MS	30000

/* fd is a socket (prog was started by posternd): non-blocking, CLOEXEC. */
void	 child_chan_check(int fd, const char *prog);
/*
 * The start of every child's main(): logs to stderr as prog, fatal() by
 * _exit(); no arguments but the program's name; the channel on fd
 * checked and initialised with msgchan_init()'s flags and maxbody;
 * SIGPIPE ignored, so a write to a closed socket fails with EPIPE.
 */
void	 child_begin(int argc, const char *prog, struct msgchan *, int fd,
	    int flags, size_t maxbody);
/* The first message: type, exactly len bytes, no descriptor, into body. */
void	 child_config_read(struct msgchan *, uint32_t type, void *body,
	    size_t len);
/*
 * Once the config says how: log lines as name, with its verbosity, go
 * to the master over the channel; nothing is written to stderr again
 * (stdio_detach.h).
 */
void	 child_detach(struct msgchan *, const char *name, int verbose);

#endif
