/*
 * The worker's allow-list.  A worker is handed every descriptor it will
 * ever use (its channel at exec, then a client and an upstream socket per
 * session by SCM_RIGHTS), so it needs no way to make one: no socket,
 * connect, accept, open or exec.  The default action kills the process.
 *
 * What a worker calls once its filter is on, as strace -f shows it over
 * the integration tests (IMAP and POP3, TLS on both legs with keyd,
 * verdicts from policyd, audit logs): read, write, close, brk, mmap,
 * munmap, futex, getrandom, getpid, exit_group; poll; recvfrom, sendto,
 * shutdown, getsockopt; recvmsg, sendmsg, fcntl F_GETFL/F_SETFL.  The
 * groups below hold these and what the same code may call on a path the
 * tests do not take (realloc's mremap, abort's tgkill, the clocks where
 * the vDSO cannot answer); nothing else: no epoll, no sleeping, no socket
 * names (sandbox.h).
 */
#include <stddef.h>

#include "sandbox.h"
#include "sandbox_worker.h"

static const enum sandbox_group worker_groups[] = {
	/*
	 * read and write: TLS records (OpenSSL's socket BIO) and audit
	 * records; close; malloc (the parser's buffers are large mappings,
	 * made and dropped per session), the generation page mapped
	 * PROT_READ; OpenSSL's and libsodium's randomness; getpid for
	 * message headers; exit.
	 */
	SB_STDIO,
	/* The relay loop, the channel loop, msg_send() and msg_wait(). */
	SB_POLL,
	/*
	 * recv and send on the client and upstream sockets (MSG_DONTWAIT,
	 * MSG_NOSIGNAL), shutdown at the end of a session,
	 * getsockopt(SO_ERROR) for the master's non-blocking connect.
	 */
	SB_SOCKIO,
	/*
	 * recvmsg of the session's sockets, the policyd channel and the
	 * audit log, sendmsg on the channels, the policyd channel made
	 * non-blocking.
	 */
	SB_FDPASS,
	/* Timeouts and the audit records' time. */
	SB_TIME,
	/* Not SB_SIGNAL: handlers and masks are set before the filter. */
};

const struct sandbox_list worker_filter = {
	worker_groups, sizeof(worker_groups) / sizeof(worker_groups[0]),
	NULL, 0,
};

static const enum sandbox_group template_groups[] = {
	/*
	 * A worker the template forks runs under this filter and its own,
	 * stacked: this one must let through all a worker does, so its
	 * groups are the worker's...
	 */
	SB_STDIO,
	SB_POLL,
	SB_SOCKIO,
	SB_FDPASS,
	SB_TIME,
	/*
	 * ...and clone(CLONE_PARENT), with what the child does before its
	 * own filter: RLIMIT_NPROC to 0, seccomp(2).
	 */
	SB_SPAWN,
};

const struct sandbox_list template_filter = {
	template_groups, sizeof(template_groups) / sizeof(template_groups[0]),
	NULL, 0,
};
