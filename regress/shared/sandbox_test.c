/*
 * Each filter goes on a forked child, for good.  The child writes "L" on
 * the report pipe once the filter is loaded, then makes its calls; a
 * forbidden call must kill it with SIGSYS before it can write "X".
 * Forbidden calls here are ones the sanitizers' run time never makes.
 */
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "sandbox.h"

static int	report_fd = -1;

static void __attribute__((noreturn))
child_fail(const char *what)
{
	(void)!write(report_fd, what, strlen(what));
	_exit(3);
}

/* Load a filter of the groups in the list ended by -1, and say so. */
static void
load(int group, ...)
{
	struct sandbox	*sb;
	va_list		 ap;
	int		 g;

	if ((sb = sandbox_new()) == NULL)
		child_fail(sandbox_error());
	va_start(ap, group);
	for (g = group; g != -1; g = va_arg(ap, int))
		if (sandbox_allow_group(sb, g) == -1)
			child_fail(sandbox_error());
	va_end(ap);
	if (sandbox_load(sb) == -1)
		child_fail(sandbox_error());
	(void)!write(report_fd, "L", 1);
}

static void
survived(void)
{
	(void)!write(report_fd, "X", 1);
	_exit(0);
}

/* Run fn in a child; give its wait status and what it wrote. */
static int
run(void (*fn)(void), char *out, size_t len)
{
	struct rlimit	 rl = { 0, 0 };
	int		 p[2], status;
	size_t		 off = 0;
	ssize_t		 n;
	pid_t		 pid;

	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		/* SIGSYS dumps core; the test wants none. */
		setrlimit(RLIMIT_CORE, &rl);
		fn();
		_exit(0);
	}
	close(p[1]);
	while (off < len - 1 && (n = read(p[0], out + off,
	    len - 1 - off)) > 0)
		off += n;
	out[off] = '\0';
	close(p[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return status;
}

/* fn must die of SIGSYS after it said what it did beforehand. */
static void
expect_sigsys_after(void (*fn)(void), const char *said)
{
	char	 out[512];
	int	 status;

	status = run(fn, out, sizeof(out));
	ATF_REQUIRE_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "child status %#x, said \"%s\"", status, out);
	ATF_REQUIRE_STREQ(out, said);
}

static void
expect_sigsys(void (*fn)(void))
{
	expect_sigsys_after(fn, "L");
}

static void
expect_exit0(void (*fn)(void), const char *said)
{
	char	 out[512];
	int	 status;

	status = run(fn, out, sizeof(out));
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %#x, said \"%s\"", status, out);
	ATF_REQUIRE_STREQ(out, said);
}

#define ALL_GROUPS	SB_STDIO, SB_POLL, SB_SOCKIO, SB_FDPASS, SB_TIME, \
			SB_SIGNAL, -1

static void
allowed_child(void)
{
	struct pollfd	 pfd;
	struct timespec	 ts;
	char		*p, c;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		child_fail("socketpair");
	load(ALL_GROUPS);
	if (write(report_fd, "hello", 5) != 5)
		child_fail("write");
	pfd.fd = report_fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 1000) != 1)
		child_fail("poll");
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) == -1)
		child_fail("clock_gettime");
	if (getrandom(&c, 1, 0) != 1)
		child_fail("getrandom");
	/* Large enough that malloc maps it. */
	if ((p = malloc(4 << 20)) == NULL)
		child_fail("malloc");
	memset(p, 'x', 4 << 20);
	free(p);
	if (send(sv[0], "s", 1, 0) != 1 || recv(sv[1], &c, 1, 0) != 1 ||
	    c != 's')
		child_fail("send/recv");
	if (fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK) == -1)
		child_fail("fcntl");
	if (kill(getpid(), 0) == -1)
		child_fail("kill self");
	if (shutdown(sv[0], SHUT_RDWR) == -1)
		child_fail("shutdown");
	close(sv[0]);
	close(sv[1]);
	survived();
}

ATF_TC_WITHOUT_HEAD(allowed);
ATF_TC_BODY(allowed, tc)
{
	expect_exit0(allowed_child, "LhelloX");
}

/* assert() and abort() still end in SIGABRT, not in SIGSYS. */
static void
abort_child(void)
{
	load(SB_STDIO, -1);
	abort();
}

ATF_TC_WITHOUT_HEAD(abort_allowed);
ATF_TC_BODY(abort_allowed, tc)
{
	char	 out[64];
	int	 status;

	status = run(abort_child, out, sizeof(out));
	ATF_REQUIRE_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	    "child status %#x, said \"%s\"", status, out);
	ATF_REQUIRE_STREQ(out, "L");
}

static void
socket_child(void)
{
	load(ALL_GROUPS);
	socket(AF_INET, SOCK_STREAM, 0);
	survived();
}

ATF_TC_WITHOUT_HEAD(socket_killed);
ATF_TC_BODY(socket_killed, tc)
{
	expect_sigsys(socket_child);
}

static void
open_child(void)
{
	load(ALL_GROUPS);
	open("/etc/passwd", O_RDONLY);
	survived();
}

ATF_TC_WITHOUT_HEAD(open_killed);
ATF_TC_BODY(open_killed, tc)
{
	expect_sigsys(open_child);
}

/* No group looks at files, by path or by descriptor. */
static void
stat_child(void)
{
	struct stat	 st;

	load(ALL_GROUPS);
	stat("/etc/passwd", &st);
	survived();
}

ATF_TC_WITHOUT_HEAD(stat_path_killed);
ATF_TC_BODY(stat_path_killed, tc)
{
	expect_sigsys(stat_child);
}

static void
fstat_child(void)
{
	struct stat	 st;

	load(ALL_GROUPS);
	fstat(report_fd, &st);
	survived();
}

ATF_TC_WITHOUT_HEAD(fstat_killed);
ATF_TC_BODY(fstat_killed, tc)
{
	expect_sigsys(fstat_child);
}

/* What no postern process calls is in no group (sandbox.h). */
static void
epoll_child(void)
{
	load(ALL_GROUPS);
	epoll_create1(EPOLL_CLOEXEC);
	survived();
}

ATF_TC_WITHOUT_HEAD(epoll_killed);
ATF_TC_BODY(epoll_killed, tc)
{
	expect_sigsys(epoll_child);
}

static void
nanosleep_child(void)
{
	struct timespec	 ts = { 0, 1000 };

	load(ALL_GROUPS);
	nanosleep(&ts, NULL);
	survived();
}

ATF_TC_WITHOUT_HEAD(nanosleep_killed);
ATF_TC_BODY(nanosleep_killed, tc)
{
	expect_sigsys(nanosleep_child);
}

static void
getsockname_child(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		child_fail("socketpair");
	load(ALL_GROUPS);
	getsockname(sv[0], (struct sockaddr *)&ss, &len);
	survived();
}

ATF_TC_WITHOUT_HEAD(getsockname_killed);
ATF_TC_BODY(getsockname_killed, tc)
{
	expect_sigsys(getsockname_child);
}

static void
execve_child(void)
{
	char	*argv[] = { "true", NULL }, *envp[] = { NULL };

	load(ALL_GROUPS);
	execve("/bin/true", argv, envp);
	survived();
}

ATF_TC_WITHOUT_HEAD(execve_killed);
ATF_TC_BODY(execve_killed, tc)
{
	expect_sigsys(execve_child);
}

static void
fork_child(void)
{
	load(ALL_GROUPS);
	if (fork() == 0)
		_exit(0);
	survived();
}

ATF_TC_WITHOUT_HEAD(fork_killed);
ATF_TC_BODY(fork_killed, tc)
{
	expect_sigsys(fork_child);
}

/*
 * SB_SPAWN, a template's: clone(CLONE_PARENT | SIGCHLD) makes a sibling
 * (the test is its parent), which stacks a filter without SB_SPAWN and
 * is then killed by its next clone.  The cloner waits for the sibling's
 * end through a pipe before it says it survived.
 */
static void
spawn_child(void)
{
	char	 c;
	int	 done[2];
	long	 pid;

	if (pipe(done) == -1)
		child_fail("pipe");
	load(SB_STDIO, SB_SPAWN, -1);
	pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0UL,
	    NULL, NULL, 0UL);
	if (pid == -1)
		child_fail("clone");
	if (pid == 0) {
		close(done[0]);
		load(SB_STDIO, -1);
		(void)!write(report_fd, "s", 1);
		(void)syscall(SYS_clone, (unsigned long)(CLONE_PARENT |
		    SIGCHLD), 0UL, NULL, NULL, 0UL);
		(void)!write(report_fd, "!", 1);
		_exit(0);
	}
	close(done[1]);
	(void)!read(done[0], &c, 1);
	survived();
}

ATF_TC_WITHOUT_HEAD(spawn_sibling);
ATF_TC_BODY(spawn_sibling, tc)
{
	int	 status;
	pid_t	 pid;

	expect_exit0(spawn_child, "LLsX");
	/* The sibling is ours to reap: killed by its own filter. */
	ATF_REQUIRE((pid = waitpid(-1, &status, 0)) > 0);
	ATF_REQUIRE_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "sibling status %#x", status);
}

/* Any other clone, fork() among them, is killed even with SB_SPAWN. */
static void
spawn_fork_child(void)
{
	load(SB_STDIO, SB_SPAWN, -1);
	if (fork() == 0)
		_exit(0);
	survived();
}

ATF_TC_WITHOUT_HEAD(spawn_fork_killed);
ATF_TC_BODY(spawn_fork_killed, tc)
{
	expect_sigsys(spawn_fork_child);
}

static void
ptrace_child(void)
{
	load(ALL_GROUPS);
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	survived();
}

ATF_TC_WITHOUT_HEAD(ptrace_killed);
ATF_TC_BODY(ptrace_killed, tc)
{
	expect_sigsys(ptrace_child);
}

static void
mmap_rw_child(void)
{
	char	*p;

	load(SB_STDIO, -1);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		child_fail("mmap rw");
	p[0] = 'M';
	if (write(report_fd, p, 1) != 1)
		child_fail("write");
	/* Read-only is no code either. */
	if (mprotect(p, 4096, PROT_READ) == -1)
		child_fail("mprotect r");
	munmap(p, 4096);
	survived();
}

ATF_TC_WITHOUT_HEAD(mmap_rw_allowed);
ATF_TC_BODY(mmap_rw_allowed, tc)
{
	expect_exit0(mmap_rw_child, "LMX");
}

static void
mmap_exec_child(void)
{
	load(SB_STDIO, -1);
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	survived();
}

ATF_TC_WITHOUT_HEAD(mmap_exec_killed);
ATF_TC_BODY(mmap_exec_killed, tc)
{
	expect_sigsys(mmap_exec_child);
}

static void
mprotect_exec_child(void)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		child_fail("mmap");
	load(SB_STDIO, -1);
	if (mprotect(p, 4096, PROT_READ) == -1)
		child_fail("mprotect r");
	(void)!write(report_fd, "A", 1);
	mprotect(p, 4096, PROT_READ | PROT_EXEC);
	survived();
}

ATF_TC_WITHOUT_HEAD(mprotect_exec_killed);
ATF_TC_BODY(mprotect_exec_killed, tc)
{
	expect_sigsys_after(mprotect_exec_child, "LA");
}

static void
fcntl_dupfd_child(void)
{
	load(SB_STDIO, SB_FDPASS, -1);
	if (fcntl(report_fd, F_GETFL) == -1)
		child_fail("F_GETFL");
	(void)!write(report_fd, "A", 1);
	fcntl(report_fd, F_DUPFD, 0);
	survived();
}

ATF_TC_WITHOUT_HEAD(fcntl_dupfd_killed);
ATF_TC_BODY(fcntl_dupfd_killed, tc)
{
	expect_sigsys_after(fcntl_dupfd_child, "LA");
}

static void
kill_other_child(void)
{
	pid_t	 parent = getppid();

	load(SB_STDIO, SB_SIGNAL, -1);
	if (kill(getpid(), 0) == -1)
		child_fail("kill self");
	(void)!write(report_fd, "A", 1);
	kill(parent, 0);
	survived();
}

ATF_TC_WITHOUT_HEAD(kill_other_killed);
ATF_TC_BODY(kill_other_killed, tc)
{
	expect_sigsys_after(kill_other_child, "LA");
}

static void
sendto_addr_child(void)
{
	struct sockaddr_un	 sun;
	int			 sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1)
		child_fail("socketpair");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	load(SB_STDIO, SB_SOCKIO, -1);
	if (send(sv[0], "a", 1, 0) != 1)
		child_fail("send");
	(void)!write(report_fd, "A", 1);
	sendto(sv[0], "b", 1, 0, (struct sockaddr *)&sun, sizeof(sun));
	survived();
}

ATF_TC_WITHOUT_HEAD(sendto_addr_killed);
ATF_TC_BODY(sendto_addr_killed, tc)
{
	expect_sigsys_after(sendto_addr_child, "LA");
}

/* Nothing is allowed that no group allows: not even write. */
static void
empty_child(void)
{
	struct sandbox	*sb;

	if ((sb = sandbox_new()) == NULL || sandbox_load(sb) == -1)
		child_fail(sandbox_error());
	(void)!write(report_fd, "X", 1);
	_exit(0);
}

ATF_TC_WITHOUT_HEAD(empty_kills_all);
ATF_TC_BODY(empty_kills_all, tc)
{
	char	 out[64];
	int	 status;

	status = run(empty_child, out, sizeof(out));
	ATF_REQUIRE_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "child status %#x, said \"%s\"", status, out);
	ATF_REQUIRE_STREQ(out, "");
}

static int	thread_up[2], thread_go[2];

static void *
forbidden_thread(void *arg)
{
	char	 c;

	(void)arg;
	/* Running: its start-up calls (rseq...) are behind it. */
	(void)!write(thread_up[1], "u", 1);
	if (read(thread_go[0], &c, 1) == 1)
		socket(AF_INET, SOCK_STREAM, 0);
	return NULL;
}

/*
 * A forbidden call in any thread ends the whole process, and a thread
 * started before the filter has it too.
 */
static void
thread_child(void)
{
	pthread_t	 t;
	char		 c;

	if (pipe(thread_up) == -1 || pipe(thread_go) == -1 ||
	    pthread_create(&t, NULL, forbidden_thread, NULL) != 0 ||
	    read(thread_up[0], &c, 1) != 1)
		child_fail("thread");
	load(SB_STDIO, SB_POLL, -1);
	(void)!write(thread_go[1], "g", 1);
	/* The process dies at once; if not, give up after 10s. */
	poll(NULL, 0, 10000);
	survived();
}

ATF_TC_WITHOUT_HEAD(thread_kills_process);
ATF_TC_BODY(thread_kills_process, tc)
{
	expect_sigsys(thread_child);
}

static void
refuse_child(void)
{
	struct sandbox	*sb;

	if ((sb = sandbox_new()) == NULL)
		child_fail(sandbox_error());
	if (sandbox_allow(sb, SCMP_SYS(getppid)) == -1)
		child_fail(sandbox_error());
	if (sandbox_allow(sb, SCMP_SYS(openat)) != -1 || errno != EPERM)
		child_fail("openat allowed");
	if (strstr(sandbox_error(), "openat may not be allowed") == NULL)
		child_fail(sandbox_error());
	if (sandbox_allow(sb, SCMP_SYS(socket)) != -1 ||
	    sandbox_allow(sb, SCMP_SYS(clone3)) != -1 ||
	    sandbox_allow(sb, SCMP_SYS(execve)) != -1)
		child_fail("a forbidden call allowed");
	/* Only the group's conditional rule may allow these. */
	if (sandbox_allow(sb, SCMP_SYS(mmap)) != -1 ||
	    sandbox_allow(sb, SCMP_SYS(fcntl)) != -1)
		child_fail("unconditional mmap or fcntl allowed");
	if (sandbox_allow_group(sb, (enum sandbox_group)99) != -1)
		child_fail("group 99 allowed");
	/* A builder that refused a rule loads nothing. */
	if (sandbox_load(sb) != -1 || errno != EINVAL)
		child_fail("loaded after a refusal");
	/* Unfiltered: this would die under any filter. */
	if (getppid() == -1 || open("/dev/null", O_RDONLY) == -1)
		child_fail("open /dev/null");
	(void)!write(report_fd, "ok", 2);
}

ATF_TC_WITHOUT_HEAD(allow_refuses);
ATF_TC_BODY(allow_refuses, tc)
{
	expect_exit0(refuse_child, "ok");
}

static void
debug_child(void)
{
	struct sandbox	*sb;
	int		 p[2];
	char		 buf[128];
	ssize_t		 n;

	if (pipe(p) == -1 || dup2(p[1], STDERR_FILENO) == -1)
		child_fail("pipe");
	if ((sb = sandbox_new()) == NULL ||
	    sandbox_allow_group(sb, SB_STDIO) == -1)
		child_fail(sandbox_error());
	sandbox_debug(sb);
	if (sandbox_load(sb) == -1)
		child_fail(sandbox_error());
	if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != ENOSYS)
		child_fail("socket did not fail with ENOSYS");
	if ((n = read(p[0], buf, sizeof(buf))) <= 0)
		child_fail("no message");
	/* One line; kyua wants no newline in a failure reason. */
	if (buf[n - 1] == '\n')
		n--;
	(void)!write(report_fd, buf, n);
}

ATF_TC_WITHOUT_HEAD(debug_mode);
ATF_TC_BODY(debug_mode, tc)
{
	char	 want[64];

#ifndef __x86_64__
	atf_tc_skip("debug mode fails calls with ENOSYS only on x86_64");
#endif
	snprintf(want, sizeof(want), "sandbox: syscall %d not allowed",
	    SYS_socket);
	expect_exit0(debug_child, want);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, allowed);
	ATF_TP_ADD_TC(tp, abort_allowed);
	ATF_TP_ADD_TC(tp, socket_killed);
	ATF_TP_ADD_TC(tp, open_killed);
	ATF_TP_ADD_TC(tp, stat_path_killed);
	ATF_TP_ADD_TC(tp, fstat_killed);
	ATF_TP_ADD_TC(tp, epoll_killed);
	ATF_TP_ADD_TC(tp, nanosleep_killed);
	ATF_TP_ADD_TC(tp, getsockname_killed);
	ATF_TP_ADD_TC(tp, execve_killed);
	ATF_TP_ADD_TC(tp, fork_killed);
	ATF_TP_ADD_TC(tp, spawn_sibling);
	ATF_TP_ADD_TC(tp, spawn_fork_killed);
	ATF_TP_ADD_TC(tp, ptrace_killed);
	ATF_TP_ADD_TC(tp, mmap_rw_allowed);
	ATF_TP_ADD_TC(tp, mmap_exec_killed);
	ATF_TP_ADD_TC(tp, mprotect_exec_killed);
	ATF_TP_ADD_TC(tp, fcntl_dupfd_killed);
	ATF_TP_ADD_TC(tp, kill_other_killed);
	ATF_TP_ADD_TC(tp, sendto_addr_killed);
	ATF_TP_ADD_TC(tp, empty_kills_all);
	ATF_TP_ADD_TC(tp, thread_kills_process);
	ATF_TP_ADD_TC(tp, allow_refuses);
	ATF_TP_ADD_TC(tp, debug_mode);
	return atf_no_error();
}
