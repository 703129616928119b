#include <sys/mman.h>
#include <sys/prctl.h>

#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "sandbox.h"

#define SANDBOX_MAXRULES	256

/*
 * One allow rule: a syscall, and at most one condition on an argument.
 * With "self" the condition's value is our pid, known only at run time.
 * "spawn" lets a call of the never list through, with its condition:
 * only SB_SPAWN's clone has it.
 */
struct rule {
	int			 nr;
	unsigned int		 ncmp;
	int			 self;
	int			 spawn;
	struct scmp_arg_cmp	 cmp;
};

struct sandbox {
	struct rule	 rules[SANDBOX_MAXRULES];
	size_t		 nrules;
	int		 debug;
	int		 failed;	/* a rule was refused: never load */
};

#define ALLOW(name)		{ .nr = SCMP_SYS(name) }
#define ALLOW_IF(name, a, op, x, y)					\
	{ .nr = SCMP_SYS(name), .ncmp = 1, .cmp = { (a), (op), (x), (y) } }
/* Argument a is the caller's own pid. */
#define ALLOW_SELF(name, a)						\
	{ .nr = SCMP_SYS(name), .ncmp = 1, .self = 1,			\
	  .cmp = { (a), SCMP_CMP_EQ, 0, 0 } }
/* The PROT_EXEC bit of argument a is clear. */
#define ALLOW_NOEXEC(name, a)						\
	ALLOW_IF(name, a, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)

static const struct rule stdio_rules[] = {
	/* Reading and writing the descriptors it was given. */
	ALLOW(read),
	ALLOW(write),
	/* glibc writes its last words (stack smashing, fortify) with it. */
	ALLOW(writev),
	ALLOW(close),
	/* malloc: the heap, and mappings for large blocks; never code. */
	ALLOW(brk),
	ALLOW_NOEXEC(mmap, 2),
	ALLOW(munmap),
	ALLOW(mremap),		/* realloc; keeps the protection */
	ALLOW_NOEXEC(mprotect, 2),
	ALLOW(madvise),		/* free hands pages back */
	/*
	 * glibc's locks wait on futexes when contended, and OpenSSL's
	 * run-once wakes its waiters.
	 */
	ALLOW(futex),
	/* libsodium and OpenSSL (re)seed from the kernel at any time. */
	ALLOW(getrandom),
	/* For log lines, and abort()/assert(): gettid, then tgkill self. */
	ALLOW(getpid),
	ALLOW(gettid),
	ALLOW_SELF(tgkill, 0),
	ALLOW(rt_sigprocmask),	/* abort blocks signals first */
	/* Leaving: _exit is exit_group; exit ends a thread. */
	ALLOW(exit_group),
	ALLOW(exit),
	/* The kernel's own resumption of calls and of signal handlers. */
	ALLOW(restart_syscall),
	ALLOW(rt_sigreturn),
	/*
	 * Not here: rseq (glibc registers it when a thread starts, and no
	 * thread starts after the filter), and any way to make a descriptor.
	 */
};

static const struct rule poll_rules[] = {
	/*
	 * Waiting on descriptors it already has: poll, and ppoll, which is
	 * what glibc's poll() is where the kernel has no poll (aarch64).
	 */
	ALLOW(poll),
	ALLOW(ppoll),
};

static const struct rule sockio_rules[] = {
	/* recv(), and recvfrom() on a socket it was handed. */
	ALLOW(recvfrom),
	/* send() is sendto() with no address; an address would pick a peer. */
	ALLOW_IF(sendto, 4, SCMP_CMP_EQ, 0, 0),
	/* Scatter/gather I/O (and the framing's header + body). */
	ALLOW(recvmsg),
	ALLOW(sendmsg),
	/* Half-close at the end of a session. */
	ALLOW(shutdown),
	/* SO_ERROR of a connect; reading only, options are set before. */
	ALLOW(getsockopt),
};

static const struct rule fdpass_rules[] = {
	/* SCM_RIGHTS travels in sendmsg/recvmsg control data. */
	ALLOW(recvmsg),
	ALLOW(sendmsg),
	/*
	 * A received descriptor is made non-blocking; recvmsg's
	 * MSG_CMSG_CLOEXEC already made it close-on-exec.
	 */
	ALLOW_IF(fcntl, 1, SCMP_CMP_EQ, F_GETFL, 0),
	ALLOW_IF(fcntl, 1, SCMP_CMP_EQ, F_SETFL, 0),
	/* Closing what was passed, or a descriptor passed on. */
	ALLOW(close),
};

static const struct rule time_rules[] = {
	/*
	 * Timeouts, deadlines and timestamps, where the vDSO cannot serve
	 * them: clock_gettime (clock.c, msg.c, the audit records),
	 * gettimeofday and time (OpenSSL's and libsodium's clocks).
	 */
	ALLOW(clock_gettime),
	ALLOW(gettimeofday),
	ALLOW(time),
};

static const struct rule signal_rules[] = {
	/* Setting handlers and masks (SIGTERM, SIGHUP, SIGPIPE). */
	ALLOW(rt_sigaction),
	ALLOW(rt_sigprocmask),
	ALLOW(rt_sigreturn),
	/* raise() and kill(getpid()): signals to itself, nobody else. */
	ALLOW(getpid),
	ALLOW(gettid),
	ALLOW_SELF(kill, 0),
	ALLOW_SELF(tgkill, 0),
};

/*
 * A template (worker/template.c) forks session workers that share its
 * initialised pages; each stacks its own filter on this one, so what a
 * worker may do is what both allow.
 */
static const struct rule spawn_rules[] = {
	/*
	 * clone with exactly CLONE_PARENT and SIGCHLD: a new process with
	 * copies of everything (no CLONE_VM, CLONE_FILES, CLONE_THREAD...)
	 * whose parent is posternd, which reaps it.  clone3 stays
	 * forbidden: its flags are in memory a filter cannot read.
	 */
	{ .nr = SCMP_SYS(clone), .ncmp = 1, .spawn = 1,
	  .cmp = { 0, SCMP_CMP_EQ, CLONE_PARENT | SIGCHLD, 0 } },
	/*
	 * The child loads its filter: seccomp(2), and libseccomp's
	 * PR_SET_NO_NEW_PRIVS first, which the template has already set.
	 */
	ALLOW_IF(seccomp, 0, SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER, 0),
	ALLOW_IF(prctl, 0, SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS, 0),
	/*
	 * ...having set RLIMIT_NPROC, which the template keeps high to
	 * fork, to 0: prlimit64 (glibc's setrlimit) of itself only.  An
	 * unprivileged process can raise no hard limit.
	 */
	ALLOW_IF(prlimit64, 0, SCMP_CMP_EQ, 0, 0),
	/*
	 * abort() in a child: tgkill of the child's pid, which this filter,
	 * made with the template's, cannot name.  The child's own filter
	 * allows tgkill of itself only.
	 */
	ALLOW_IF(tgkill, 2, SCMP_CMP_EQ, SIGABRT, 0),
};

#ifndef __has_feature
#define __has_feature(x)	0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER	1
/*
 * Only in SANITIZE=1 builds, added to every filter: what AddressSanitizer's
 * run time calls on its own in a process that is otherwise allowed to run.
 * Its reports need more (openat of /proc/self/maps to symbolize); a
 * process killed by SIGSYS in the middle of a report is still a failure.
 */
static const struct rule sanitizer_rules[] = {
	/* Its allocator maps shadow and frees quarantine (PROT_NONE/RW). */
	ALLOW_NOEXEC(mmap, 2),
	ALLOW(munmap),
	ALLOW(madvise),
	/* Spin locks in the allocator back off. */
	ALLOW(sched_yield),
	/*
	 * Before every call that does not return (_exit, abort, longjmp),
	 * __asan_handle_no_return asks for the alternate signal stack.
	 */
	ALLOW(sigaltstack),
};
#endif

static const struct group {
	const char		*name;
	const struct rule	*rules;
	size_t			 nrules;
} groups[] = {
#define GROUP(g, r)	[g] = { #g, r, sizeof(r) / sizeof(r[0]) }
	GROUP(SB_STDIO, stdio_rules),
	GROUP(SB_POLL, poll_rules),
	GROUP(SB_SOCKIO, sockio_rules),
	GROUP(SB_FDPASS, fdpass_rules),
	GROUP(SB_TIME, time_rules),
	GROUP(SB_SIGNAL, signal_rules),
	GROUP(SB_SPAWN, spawn_rules),
#undef GROUP
};

/* Ways out of the sandbox: to files, to the network, to other programs. */
static const int never[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(creat),
	SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect),
	SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept),
	SCMP_SYS(accept4), SCMP_SYS(execve), SCMP_SYS(execveat),
	SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(clone), SCMP_SYS(clone3),
	SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
	SCMP_SYS(process_vm_writev),
};

/*
 * Allowed only with the argument checks the groups put on them, or not
 * at all: a bare ioctl or newfstatat would allow every request or path.
 */
static const int conditional[] = {
	SCMP_SYS(mmap), SCMP_SYS(mprotect), SCMP_SYS(fcntl),
	SCMP_SYS(newfstatat), SCMP_SYS(sendto), SCMP_SYS(ioctl),
	SCMP_SYS(kill), SCMP_SYS(tgkill),
};

static char	sandbox_msg[256];

static int __attribute__((format(printf, 2, 3)))
fail(int err, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 len;

	va_start(ap, fmt);
	vsnprintf(sandbox_msg, sizeof(sandbox_msg), fmt, ap);
	va_end(ap);
	if (err != 0) {
		len = strlen(sandbox_msg);
		snprintf(sandbox_msg + len, sizeof(sandbox_msg) - len, ": %s",
		    strerror(err));
	}
	errno = err != 0 ? err : EINVAL;
	return -1;
}

const char *
sandbox_error(void)
{
	return sandbox_msg;
}

/* A name for messages; the number if libseccomp does not know it. */
static const char *
sysname(int nr, char *buf, size_t len)
{
	char	*name;

	if ((name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
	    nr)) != NULL) {
		snprintf(buf, len, "%s", name);
		free(name);
	} else
		snprintf(buf, len, "syscall %d", nr);
	return buf;
}

static int
listed(const int *list, size_t n, int nr)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (list[i] == nr)
			return 1;
	return 0;
}

static int
add(struct sandbox *sb, const struct rule *r, const char *from)
{
	char	 name[64];

	if (r->nr < 0 || (!(r->spawn && r->ncmp == 1) &&
	    listed(never, sizeof(never) / sizeof(never[0]), r->nr)) ||
	    (r->ncmp == 0 && listed(conditional,
	    sizeof(conditional) / sizeof(conditional[0]), r->nr))) {
		sb->failed = 1;
		return fail(EPERM, "sandbox %s: %s may not be allowed", from,
		    sysname(r->nr, name, sizeof(name)));
	}
	if (sb->nrules == SANDBOX_MAXRULES) {
		sb->failed = 1;
		return fail(ENOBUFS, "sandbox %s: more than %d rules", from,
		    SANDBOX_MAXRULES);
	}
	sb->rules[sb->nrules++] = *r;
	return 0;
}

struct sandbox *
sandbox_new(void)
{
	struct sandbox	*sb;

	if ((sb = calloc(1, sizeof(*sb))) == NULL) {
		fail(errno, "sandbox_new");
		return NULL;
	}
	return sb;
}

void
sandbox_free(struct sandbox *sb)
{
	free(sb);
}

static int
add_rules(struct sandbox *sb, const struct rule *rules, size_t n,
    const char *from)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (add(sb, &rules[i], from) == -1)
			return -1;
	return 0;
}

int
sandbox_allow_group(struct sandbox *sb, enum sandbox_group g)
{
	if ((size_t)g >= sizeof(groups) / sizeof(groups[0])) {
		sb->failed = 1;
		return fail(EINVAL, "sandbox: no group %d", (int)g);
	}
	return add_rules(sb, groups[g].rules, groups[g].nrules,
	    groups[g].name);
}

int
sandbox_allow(struct sandbox *sb, int nr)
{
	struct rule	 r = { .nr = nr };

	return add(sb, &r, "allow");
}

int
sandbox_load_list(const struct sandbox_list *l, int debug)
{
	struct sandbox	*sb;
	size_t		 i;

	if ((sb = sandbox_new()) == NULL)
		return -1;
	for (i = 0; i < l->ngroups; i++)
		if (sandbox_allow_group(sb, l->groups[i]) == -1)
			goto fail;
	for (i = 0; i < l->ncalls; i++)
		if (sandbox_allow(sb, l->calls[i]) == -1)
			goto fail;
	if (debug)
		sandbox_debug(sb);
	return sandbox_load(sb);
 fail:
	sandbox_free(sb);
	return -1;
}

void
sandbox_debug(struct sandbox *sb)
{
	sb->debug = 1;
}

/*
 * Debug mode: say which call was refused and make it fail with ENOSYS, so
 * one run shows every missing call.  Only async-signal-safe calls here.
 */
static void
sigsys(int sig, siginfo_t *si, void *uctx)
{
	char		 msg[64], digits[16];
	size_t		 len, n = 0;
	unsigned int	 v;

	(void)sig;
	v = (unsigned int)si->si_syscall;
	do {
		digits[n++] = '0' + v % 10;
		v /= 10;
	} while (v != 0 && n < sizeof(digits));
	len = strlen(strcpy(msg, "sandbox: syscall "));
	while (n > 0)
		msg[len++] = digits[--n];
	memcpy(msg + len, " not allowed\n", 13);
	(void)!write(STDERR_FILENO, msg, len + 13);
#ifdef __x86_64__
	((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
	(void)uctx;
#endif
}

/* debug_setup()'s handler is set, in this process or its parent. */
static int	handler_set;

static int
debug_setup(struct sandbox *sb, uint32_t *action)
{
	static const struct rule handler[] = {
		ALLOW(write),		/* its message */
		ALLOW(rt_sigreturn),	/* and back */
	};
	struct sigaction	 sa;

#ifdef __x86_64__
	*action = SCMP_ACT_TRAP;
#else
	*action = SCMP_ACT_LOG;
#endif
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	/*
	 * Set once: a template's worker, which stacks its filter on the
	 * template's, inherits the handler, and the template's debug
	 * filter would refuse sigaction.
	 */
	if (!handler_set && sigaction(SIGSYS, &sa, NULL) == -1)
		return fail(errno, "sandbox: sigaction SIGSYS");
	handler_set = 1;
	return add_rules(sb, handler, sizeof(handler) / sizeof(handler[0]),
	    "debug");
}

static int
build(struct sandbox *sb, scmp_filter_ctx ctx)
{
	struct rule	*r;
	char		 name[64];
	pid_t		 pid = getpid();
	size_t		 i;
	int		 rc;

	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) < 0)
		return fail(-rc, "seccomp_attr_set ACT_BADARCH");
	/* Threads started earlier get the filter too, or they are a way out. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		return fail(-rc, "seccomp_attr_set CTL_TSYNC");
	for (i = 0; i < sb->nrules; i++) {
		r = &sb->rules[i];
		if (r->self)
			r->cmp.datum_a = (scmp_datum_t)pid;
		if ((rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW,
		    r->nr, r->ncmp, &r->cmp)) < 0)
			return fail(-rc, "seccomp_rule_add %s",
			    sysname(r->nr, name, sizeof(name)));
	}
	if ((rc = seccomp_load(ctx)) < 0)
		return fail(-rc, "seccomp_load");
	return 0;
}

int
sandbox_load(struct sandbox *sb)
{
	scmp_filter_ctx	 ctx;
	uint32_t	 action = SCMP_ACT_KILL_PROCESS;
	int		 rc = -1;

	if (sb->failed) {
		fail(EINVAL, "sandbox: not loading a filter with a refused "
		    "rule");
		goto out;
	}
#ifdef SANDBOX_SANITIZER
	if (add_rules(sb, sanitizer_rules, sizeof(sanitizer_rules) /
	    sizeof(sanitizer_rules[0]), "sanitizer") == -1)
		goto out;
#endif
	if (sb->debug && debug_setup(sb, &action) == -1)
		goto out;
	if ((ctx = seccomp_init(action)) == NULL) {
		fail(ENOMEM, "seccomp_init");
		goto out;
	}
	rc = build(sb, ctx);
	seccomp_release(ctx);
 out:
	sandbox_free(sb);
	return rc;
}
