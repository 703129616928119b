/*
 * The syscall filter: a seccomp allow-list whose default is to kill the
 * whole process (SCMP_ACT_KILL_PROCESS).  A process builds its list from
 * named groups, each syscall in a group there for a reason sandbox.c gives,
 * and loads it last, after privdrop() and privdrop_limits() (privdrop.h):
 *
 *	struct sandbox *sb;
 *
 *	if ((sb = sandbox_new()) == NULL ||
 *	    sandbox_allow_group(sb, SB_STDIO) == -1 ||
 *	    sandbox_allow_group(sb, SB_POLL) == -1 ||
 *	    sandbox_load(sb) == -1)
 *		fatalx("%s", sandbox_error());
 *
 * posternd's children keep their list as data, a struct sandbox_list in
 * the program's folder, which confine() (confine.h) loads.
 *
 * Never on the list, whatever a process asks: open, openat, openat2,
 * creat, socket, socketpair, connect, bind, listen, accept, accept4,
 * execve, execveat, fork, vfork, clone, clone3, ptrace,
 * process_vm_readv/writev; only SB_SPAWN allows clone, with one set of
 * flags and no other.  sandbox_allow() refuses them, and it refuses
 * a bare allow of the calls the groups allow only with some arguments
 * (mmap, mprotect, fcntl, sendto, kill, tgkill), or never (newfstatat,
 * ioctl): an unconditional rule would quietly widen the group's.
 *
 * Calls that would have been allowed later fail; calls made after load
 * that the list lacks kill the process with SIGSYS.  A sandboxed process
 * ends with _exit(): exit() runs atexit handlers, and under LeakSanitizer
 * the leak check (clone, ptrace) the filter forbids.
 *
 * Every function returns 0 (or non-NULL) on success, or -1 (NULL) with
 * errno set and a message in sandbox_error(); the compiler refuses a call
 * whose result is ignored.
 */
#ifndef POSTERN_SANDBOX_H
#define POSTERN_SANDBOX_H

#include <stddef.h>

enum sandbox_group {
	SB_STDIO,	/* read, write and close descriptors already open,
			   memory without PROT_EXEC, randomness, exit, abort */
	SB_POLL,	/* waiting on descriptors: poll, ppoll */
	SB_SOCKIO,	/* send and receive on connected sockets, shutdown,
			   getsockopt */
	SB_FDPASS,	/* descriptors passed with SCM_RIGHTS: sendmsg,
			   recvmsg, and fcntl F_GETFL/F_SETFL */
	SB_TIME,	/* reading the clocks */
	SB_SIGNAL,	/* handlers, masks, and signals to itself only */
	SB_SPAWN,	/* a template's: clone a sibling (CLONE_PARENT and
			   nothing else), which lowers its RLIMIT_NPROC
			   and stacks a filter of its own */
};
/*
 * In no group, because no postern process calls them (its traces under
 * strace say so): epoll, sleeping (nanosleep, clock_nanosleep), socket
 * names (getsockname, getpeername: posternd sends the addresses), readv,
 * stdio's questions about a stream (fstat, lseek, ioctl TCGETS), and
 * fcntl F_GETFD/F_SETFD (received descriptors come close-on-exec).  A
 * process that comes to need one gets a group for it, with the reason.
 */

struct sandbox;

#define SANDBOX_MUST	__attribute__((warn_unused_result))

/* Nothing is allowed until groups are added (and nothing is loaded). */
struct sandbox	*sandbox_new(void)
		    SANDBOX_MUST;
int		 sandbox_allow_group(struct sandbox *, enum sandbox_group)
		    SANDBOX_MUST;
/* One syscall by number (SCMP_SYS(name) or SYS_name), for one-offs. */
int		 sandbox_allow(struct sandbox *, int)
		    SANDBOX_MUST;
/*
 * Debugging a missing syscall: instead of killing, a forbidden call
 * prints "sandbox: syscall N not allowed" on stderr and fails with ENOSYS
 * (x86_64; elsewhere the kernel logs it and lets it through).  Never in
 * production: the filter then stops nothing.  The daemons call it only
 * when built with make SANDBOX_DEBUG=1 (-DPOSTERN_SANDBOX_DEBUG).
 */
void		 sandbox_debug(struct sandbox *);
/* Install the filter on this process for good, and free sb either way. */
int		 sandbox_load(struct sandbox *)
		    SANDBOX_MUST;
/*
 * A program's allow-list as data, kept in the program's folder: the
 * groups it needs and the one-off calls (SCMP_SYS(name)) beyond them,
 * each table entry with a comment saying why.
 */
struct sandbox_list {
	const enum sandbox_group	*groups;
	size_t				 ngroups;
	const int			*calls;
	size_t				 ncalls;
};
/*
 * sandbox_new(), the groups, the calls, sandbox_debug() if debug is set
 * (confine.c sets it only in a SANDBOX_DEBUG build), sandbox_load().
 */
int		 sandbox_load_list(const struct sandbox_list *, int debug)
		    SANDBOX_MUST;
/* Free a sandbox that will not be loaded. */
void		 sandbox_free(struct sandbox *);
/* What the last failure was. */
const char	*sandbox_error(void);

#endif
