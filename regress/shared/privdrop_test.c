/*
 * The drop is done in a forked child, which cannot come back: the child
 * checks what it can and cannot do afterwards and tells the parent through
 * a pipe (a message) and its exit status.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "privdrop.h"
#include "sandbox.h"

#define NOFILE	32

static uid_t	nobody_uid;
static gid_t	nobody_gid;
static int	report_fd = -1;

/* In the child: say why, and die with status 1. */
static void __attribute__((format(printf, 1, 2), noreturn))
bad(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(report_fd, msg, strlen(msg));
	_exit(1);
}

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		bad(__VA_ARGS__);					\
} while (0)

/* A directory fit to chroot into, under /tmp, with two files in it. */
static void
mkchroot(char *dir, size_t len)
{
	char	 path[PATH_MAX];
	int	 fd;

	snprintf(dir, len, "/tmp/postern-privdrop.XXXXXX");
	ATF_REQUIRE(mkdtemp(dir) != NULL);
	ATF_REQUIRE(chown(dir, 0, 0) == 0);
	ATF_REQUIRE(chmod(dir, 0755) == 0);
	snprintf(path, sizeof(path), "%s/marker", dir);
	ATF_REQUIRE((fd = open(path, O_CREAT | O_WRONLY, 0644)) != -1);
	close(fd);
	/* Writable by anyone, to show that RLIMIT_FSIZE still stops data. */
	snprintf(path, sizeof(path), "%s/writable", dir);
	ATF_REQUIRE((fd = open(path, O_CREAT | O_WRONLY, 0666)) != -1);
	ATF_REQUIRE(fchmod(fd, 0666) == 0);
	close(fd);
}

static void
rmchroot(const char *dir)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/marker", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/writable", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

static void
lookup_nobody(void)
{
	struct passwd	*pw;

	ATF_REQUIRE_MSG((pw = getpwnam("nobody")) != NULL, "no user nobody");
	nobody_uid = pw->pw_uid;
	nobody_gid = pw->pw_gid;
}

/*
 * Run fn(dir) in a child; return its wait status and what it said.  The
 * caller asserts only after it has cleaned up.
 */
static int
run(void (*fn)(const char *), const char *dir, char *msg, size_t len)
{
	int	 p[2], status;
	ssize_t	 n;
	size_t	 off = 0;
	pid_t	 pid;

	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		fn(dir);
		_exit(0);
	}
	close(p[1]);
	while (off < len - 1 &&
	    (n = read(p[0], msg + off, len - 1 - off)) > 0)
		off += n;
	msg[off] = '\0';
	close(p[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return status;
}

static void
drop_child(const char *dir)
{
	struct privdrop_limits	 pl = { .nofile = NOFILE };
	struct rlimit		 rl;
	char			 cwd[PATH_MAX];
	pid_t			 pid;
	int			 fd;

	CHECK(privdrop("nobody", dir) == 0, "privdrop: %s", privdrop_error());
	CHECK(privdrop_limits(&pl) == 0, "privdrop_limits: %s",
	    privdrop_error());

	CHECK(getuid() == nobody_uid && geteuid() == nobody_uid,
	    "uid %u euid %u, want %u", (unsigned)getuid(),
	    (unsigned)geteuid(), (unsigned)nobody_uid);
	CHECK(getgid() == nobody_gid && getegid() == nobody_gid,
	    "gid %u egid %u, want %u", (unsigned)getgid(),
	    (unsigned)getegid(), (unsigned)nobody_gid);
	errno = 0;
	CHECK(setuid(0) == -1 && errno == EPERM, "setuid(0): errno %d", errno);
	CHECK(seteuid(0) == -1, "seteuid(0) succeeded");
	CHECK(setgid(0) == -1, "setgid(0) succeeded");

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") == 0,
	    "cwd is not /");
	CHECK(access("/marker", F_OK) == 0, "/marker not seen: %s",
	    strerror(errno));
	CHECK(access("/etc/passwd", F_OK) == -1 && errno == ENOENT,
	    "/etc/passwd is visible in the chroot");

	CHECK(open("/new", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1,
	    "created a file in the chroot");
	/* An existing writable file takes no data: RLIMIT_FSIZE is 0. */
	signal(SIGXFSZ, SIG_IGN);
	CHECK((fd = open("/writable", O_WRONLY)) != -1, "open /writable: %s",
	    strerror(errno));
	CHECK(write(fd, "x", 1) == -1 && errno == EFBIG,
	    "write to /writable: not refused with EFBIG (errno %d)", errno);
	close(fd);

	/* RLIMIT_NPROC 0: nobody's process count is already over it. */
	if ((pid = fork()) == 0)
		_exit(0);
	CHECK(pid == -1 && errno == EAGAIN, "fork: pid %d errno %d",
	    (int)pid, errno);

	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs");
	CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0, "still dumpable");
	CHECK(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 &&
	    rl.rlim_max == 0, "RLIMIT_CORE is not 0");
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == NOFILE &&
	    rl.rlim_max == NOFILE, "RLIMIT_NOFILE is not %d", NOFILE);
	/* Hard limits cannot be raised again. */
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	CHECK(setrlimit(RLIMIT_CORE, &rl) == -1, "RLIMIT_CORE raised again");
}

ATF_TC(drop);
ATF_TC_HEAD(drop, tc)
{
	atf_tc_set_md_var(tc, "descr", "after the drop the child is nobody "
	    "in its chroot, cannot get root back, create files or fork");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(drop, tc)
{
	char	 dir[PATH_MAX], msg[1024];
	int	 status;

	lookup_nobody();
	mkchroot(dir, sizeof(dir));
	status = run(drop_child, dir, msg, sizeof(msg));
	rmchroot(dir);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child status %#x: %s", status, msg);
}

/* The whole sequence a worker makes, in the order privdrop.h gives. */
static void
sequence_child(const char *dir)
{
	struct privdrop_limits	 pl = { .nofile = NOFILE };
	struct sandbox		*sb;

	CHECK(privdrop("nobody", dir) == 0, "privdrop: %s", privdrop_error());
	CHECK(privdrop_limits(&pl) == 0, "privdrop_limits: %s",
	    privdrop_error());
	CHECK((sb = sandbox_new()) != NULL &&
	    sandbox_allow_group(sb, SB_STDIO) == 0 &&
	    sandbox_allow_group(sb, SB_POLL) == 0 &&
	    sandbox_load(sb) == 0, "sandbox: %s", sandbox_error());
	(void)!write(report_fd, "L", 1);
	socket(AF_UNIX, SOCK_STREAM, 0);
	(void)!write(report_fd, "X", 1);
	_exit(0);
}

ATF_TC(sequence);
ATF_TC_HEAD(sequence, tc)
{
	atf_tc_set_md_var(tc, "descr", "chroot and drop, limits, then the "
	    "filter: a non-root process loads it and dies by it");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(sequence, tc)
{
	char	 dir[PATH_MAX], msg[1024];
	int	 status;

	mkchroot(dir, sizeof(dir));
	status = run(sequence_child, dir, msg, sizeof(msg));
	rmchroot(dir);
	ATF_REQUIRE_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "child status %#x: %s", status, msg);
	ATF_REQUIRE_STREQ(msg, "L");
}

/* The child of a refused drop: exit 2 with the message, or 1 if it worked. */
static void
refused_child(const char *dir)
{
	if (privdrop("nobody", dir) == 0)
		bad("privdrop into %s succeeded", dir);
	(void)!write(report_fd, privdrop_error(), strlen(privdrop_error()));
	_exit(errno == EPERM ? 2 : 3);
}

/* Dropping into target is refused for why; then top is removed. */
static void
expect_refused(const char *target, const char *top, const char *why)
{
	char	 msg[1024];
	int	 status;

	status = run(refused_child, target, msg, sizeof(msg));
	rmchroot(top);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 2,
	    "child status %#x: %s", status, msg);
	ATF_REQUIRE_MSG(strstr(msg, why) != NULL, "message \"%s\" lacks "
	    "\"%s\"", msg, why);
}

ATF_TC(writable_dir);
ATF_TC_HEAD(writable_dir, tc)
{
	atf_tc_set_md_var(tc, "descr", "a chroot writable by others, even "
	    "sticky, is refused");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(writable_dir, tc)
{
	char	 dir[PATH_MAX];

	mkchroot(dir, sizeof(dir));
	ATF_REQUIRE(chmod(dir, 0757) == 0);
	expect_refused(dir, dir, "writable by group or others");

	mkchroot(dir, sizeof(dir));
	ATF_REQUIRE(chmod(dir, 0775) == 0);
	expect_refused(dir, dir, "writable by group or others");

	mkchroot(dir, sizeof(dir));
	ATF_REQUIRE(chmod(dir, 01777) == 0);
	expect_refused(dir, dir, "writable by group or others");
}

ATF_TC(not_root_owned);
ATF_TC_HEAD(not_root_owned, tc)
{
	atf_tc_set_md_var(tc, "descr", "a chroot, or a directory above it, "
	    "owned by another user is refused");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(not_root_owned, tc)
{
	char	 dir[PATH_MAX], sub[PATH_MAX + 8];

	lookup_nobody();
	mkchroot(dir, sizeof(dir));
	ATF_REQUIRE(chown(dir, nobody_uid, nobody_gid) == 0);
	expect_refused(dir, dir, "not root");

	/* nobody could rename sub away and put its own in its place. */
	mkchroot(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ATF_REQUIRE(mkdir(sub, 0755) == 0);
	ATF_REQUIRE(chown(dir, nobody_uid, nobody_gid) == 0);
	expect_refused(sub, dir, "not root");
}

ATF_TC(symlink_resolved);
ATF_TC_HEAD(symlink_resolved, tc)
{
	atf_tc_set_md_var(tc, "descr", "a chroot path through a symlink is "
	    "judged by where it leads");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(symlink_resolved, tc)
{
	char	 dir[PATH_MAX], sub[PATH_MAX + 8], link[PATH_MAX + 8];
	int	 rc, saved;

	lookup_nobody();
	mkchroot(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ATF_REQUIRE(mkdir(sub, 0755) == 0);
	ATF_REQUIRE(chown(sub, nobody_uid, nobody_gid) == 0);
	snprintf(link, sizeof(link), "%s.link", dir);
	ATF_REQUIRE(symlink(sub, link) == 0);
	rc = privdrop_checkdir(link);
	saved = errno;
	unlink(link);
	rmchroot(dir);
	ATF_REQUIRE_EQ(rc, -1);
	ATF_REQUIRE_EQ(saved, EPERM);
	ATF_REQUIRE_MSG(strstr(privdrop_error(), "/sub is owned by uid") !=
	    NULL, "%s", privdrop_error());
}

static void
nouser_child(const char *dir)
{
	if (privdrop("postern-no-such-user", dir) == 0)
		bad("privdrop to a user that does not exist succeeded");
	(void)!write(report_fd, privdrop_error(), strlen(privdrop_error()));
	_exit(errno == ENOENT ? 2 : 3);
}

ATF_TC(no_such_user);
ATF_TC_HEAD(no_such_user, tc)
{
	atf_tc_set_md_var(tc, "descr", "a user that does not exist is "
	    "refused before anything changes");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(no_such_user, tc)
{
	char	 dir[PATH_MAX], msg[1024];
	int	 status;

	mkchroot(dir, sizeof(dir));
	status = run(nouser_child, dir, msg, sizeof(msg));
	rmchroot(dir);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 2,
	    "child status %#x: %s", status, msg);
	ATF_REQUIRE_STREQ(msg, "no such user postern-no-such-user");
}

static void
root_child(const char *dir)
{
	if (privdrop_id(0, 0, dir) == 0)
		bad("privdrop_id to root succeeded");
	(void)!write(report_fd, privdrop_error(), strlen(privdrop_error()));
	/* Refused before chroot: the real root is still there. */
	if (access("/etc/passwd", F_OK) == -1)
		bad("chrooted although refused");
	_exit(errno == EINVAL ? 2 : 3);
}

ATF_TC(to_root);
ATF_TC_HEAD(to_root, tc)
{
	atf_tc_set_md_var(tc, "descr", "dropping \"to\" uid 0 is refused");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(to_root, tc)
{
	char	 dir[PATH_MAX], msg[1024];
	int	 status;

	mkchroot(dir, sizeof(dir));
	status = run(root_child, dir, msg, sizeof(msg));
	rmchroot(dir);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 2,
	    "child status %#x: %s", status, msg);
}

ATF_TC_WITHOUT_HEAD(limits_nofile_zero);
ATF_TC_BODY(limits_nofile_zero, tc)
{
	struct privdrop_limits	pl = { .nofile = 0 };

	ATF_REQUIRE_EQ(privdrop_limits(&pl), -1);
	ATF_REQUIRE_EQ(errno, EINVAL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, drop);
	ATF_TP_ADD_TC(tp, sequence);
	ATF_TP_ADD_TC(tp, writable_dir);
	ATF_TP_ADD_TC(tp, not_root_owned);
	ATF_TP_ADD_TC(tp, symlink_resolved);
	ATF_TP_ADD_TC(tp, no_such_user);
	ATF_TP_ADD_TC(tp, to_root);
	ATF_TP_ADD_TC(tp, limits_nofile_zero);
	return atf_no_error();
}
