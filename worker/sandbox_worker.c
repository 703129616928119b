/*
 * The worker's allow-list.  A worker is handed every descriptor it will
 * ever use (its channel at exec, then a client and an upstream socket per
 * session by SCM_RIGHTS), so it needs no way to make one: no socket,
 * connect, accept, open or exec.  The default action kills the process.
 */
#include <stddef.h>

#include "sandbox.h"
#include "sandbox_worker.h"

static const enum sandbox_group worker_groups[] = {
	/*
	 * read/write/close of its descriptors, malloc (the parser's
	 * buffers are large mappings, made and dropped per session), the
	 * clock for timeouts, getpid for message headers, and exit.
	 */
	SB_STDIO,
	/* The relay loop waits in poll(); msg_send() and msg_wait() too. */
	SB_POLL,
	/*
	 * recv and send on the client and upstream sockets (MSG_DONTWAIT,
	 * MSG_NOSIGNAL), shutdown at the end of a session,
	 * getsockopt(SO_ERROR) for the master's non-blocking connect.
	 */
	SB_SOCKIO,
	/* recvmsg of the session's sockets, sendmsg on the channel. */
	SB_FDPASS,
	/* clock_gettime where the vDSO cannot answer. */
	SB_TIME,
	/* Not SB_SIGNAL: handlers and masks are set before the filter. */
};

const struct sandbox_list worker_filter = {
	worker_groups, sizeof(worker_groups) / sizeof(worker_groups[0]),
	NULL, 0,
};
