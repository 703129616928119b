/*
 * The worker's allow-list.  A worker is handed every descriptor it will
 * ever use (its channel at exec, then a client and an upstream socket per
 * session by SCM_RIGHTS), so it needs no way to make one: no socket,
 * connect, accept, open or exec.  The default action kills the process.
 */
#include <stddef.h>

#include "sandbox.h"
#include "sandbox_worker.h"

int
sandbox_worker_load(void)
{
	struct sandbox	*sb;

	if ((sb = sandbox_new()) == NULL)
		return -1;
	/*
	 * SB_STDIO: read/write/close of its descriptors, malloc (the
	 * parser's buffers are large mappings, made and dropped per
	 * session), the clock for timeouts, getpid for message headers,
	 * and exit.
	 * SB_POLL: the relay loop waits in poll(); msg_send() and
	 * msg_wait() use ppoll().
	 * SB_SOCKIO: recv and send on the client and upstream sockets
	 * (MSG_DONTWAIT, MSG_NOSIGNAL), shutdown at the end of a session,
	 * getsockopt(SO_ERROR) for the master's non-blocking connect.
	 * SB_FDPASS: recvmsg of the session's sockets, sendmsg on the
	 * channel.
	 * SB_TIME: clock_gettime where the vDSO cannot answer.
	 * Not SB_SIGNAL: handlers and masks are set before the filter.
	 */
	if (sandbox_allow_group(sb, SB_STDIO) == -1 ||
	    sandbox_allow_group(sb, SB_POLL) == -1 ||
	    sandbox_allow_group(sb, SB_SOCKIO) == -1 ||
	    sandbox_allow_group(sb, SB_FDPASS) == -1 ||
	    sandbox_allow_group(sb, SB_TIME) == -1) {
		sandbox_free(sb);
		return -1;
	}
	return sandbox_load(sb);
}
