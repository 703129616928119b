#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "privdrop.h"

static char	privdrop_msg[PATH_MAX + 256];

/* Record why we failed; errno is kept for the caller. */
static int __attribute__((format(printf, 2, 3)))
fail(int withstr, const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;
	size_t	 len;

	va_start(ap, fmt);
	vsnprintf(privdrop_msg, sizeof(privdrop_msg), fmt, ap);
	va_end(ap);
	if (withstr) {
		len = strlen(privdrop_msg);
		snprintf(privdrop_msg + len, sizeof(privdrop_msg) - len,
		    ": %s", strerror(saved));
	}
	errno = saved;
	return -1;
}

const char *
privdrop_error(void)
{
	return privdrop_msg;
}

/*
 * One component of the chroot path.  Whoever may write to a directory on
 * the path can swap what lies below it, so each must belong to root.
 * Ancestors may be sticky and world-writable like /tmp: there nobody else
 * can rename root's entries.  The directory itself may not be writable by
 * anyone else at all, or they could plant files (a passwd, a libc) in it.
 */
static int
checkcomponent(const char *dir, const char *path, int last)
{
	struct stat	 st;

	if (lstat(path, &st) == -1)
		return fail(1, "chroot directory %s: %s", dir, path);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return fail(0, "chroot directory %s: %s is not a directory",
		    dir, path);
	}
	if (st.st_uid != 0) {
		errno = EPERM;
		return fail(0, "chroot directory %s: %s is owned by uid %u, "
		    "not root", dir, path, (unsigned)st.st_uid);
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (last || (st.st_mode & S_ISVTX) == 0)) {
		errno = EPERM;
		return fail(0, "chroot directory %s: %s is writable by group "
		    "or others (mode %04o)", dir, path,
		    (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

/* Check dir and give its resolved path, the one to chroot into. */
static int
checkdir(const char *dir, char *real)
{
	char	 path[PATH_MAX];
	char	*p;

	if (realpath(dir, real) == NULL)
		return fail(1, "chroot directory %s", dir);
	if (checkcomponent(dir, "/", real[1] == '\0') == -1)
		return -1;
	memcpy(path, real, strlen(real) + 1);
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (checkcomponent(dir, path, 0) == -1)
			return -1;
		*p = '/';
	}
	if (real[1] != '\0' && checkcomponent(dir, path, 1) == -1)
		return -1;
	return 0;
}

int
privdrop_checkdir(const char *dir)
{
	char	 real[PATH_MAX];

	return checkdir(dir, real);
}

/*
 * The drop itself worked only if no way back is left: every id, real,
 * effective and saved, is the target, and asking for root fails.
 */
static int
verify(uid_t uid, gid_t gid)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg, groups[2];
	int	 n;

	if (getresuid(&ru, &eu, &su) == -1)
		return fail(1, "getresuid");
	if (ru != uid || eu != uid || su != uid) {
		errno = EPERM;
		return fail(0, "uids are %u/%u/%u after dropping to %u",
		    (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)uid);
	}
	if (getresgid(&rg, &eg, &sg) == -1)
		return fail(1, "getresgid");
	if (rg != gid || eg != gid || sg != gid) {
		errno = EPERM;
		return fail(0, "gids are %u/%u/%u after dropping to %u",
		    (unsigned)rg, (unsigned)eg, (unsigned)sg, (unsigned)gid);
	}
	if ((n = getgroups(2, groups)) == -1)
		return fail(1, "getgroups");
	if (n != 1 || groups[0] != gid) {
		errno = EPERM;
		return fail(0, "%d supplementary groups left after "
		    "setgroups(%u)", n, (unsigned)gid);
	}
	errno = EPERM;
	if (setuid(0) != -1 || seteuid(0) != -1)
		return fail(0, "could regain uid 0 after dropping to %u",
		    (unsigned)uid);
	if (setgid(0) != -1 || setegid(0) != -1)
		return fail(0, "could regain gid 0 after dropping to %u",
		    (unsigned)gid);
	return 0;
}

int
privdrop_id(uid_t uid, gid_t gid, const char *dir)
{
	char	 real[PATH_MAX];

	if (uid == 0 || gid == 0) {
		errno = EINVAL;
		return fail(0, "refusing to drop privileges to uid %u gid %u",
		    (unsigned)uid, (unsigned)gid);
	}
	if (checkdir(dir, real) == -1)
		return -1;
	/* localtime needs /etc/localtime, which is gone after chroot. */
	tzset();
	if (chroot(real) == -1)
		return fail(1, "chroot %s", real);
	if (chdir("/") == -1)
		return fail(1, "chdir / in chroot %s", real);
	if (setgroups(1, &gid) == -1)
		return fail(1, "setgroups %u", (unsigned)gid);
	if (setresgid(gid, gid, gid) == -1)
		return fail(1, "setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) == -1)
		return fail(1, "setresuid %u", (unsigned)uid);
	if (verify(uid, gid) == -1)
		return -1;
	/*
	 * The kernel clears "dumpable" on the uid change only if the
	 * fs.suid_dumpable sysctl says so; all workers share one uid, and a
	 * dumpable one could be ptraced by a compromised sibling.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return fail(1, "prctl PR_SET_DUMPABLE 0");
	/* Nothing we could still exec may give privileges back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail(1, "prctl PR_SET_NO_NEW_PRIVS");
	return 0;
}

int
privdrop(const char *user, const char *dir)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;

	/* The user database is not inside the chroot: look up first. */
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		/* getpwnam(3) lists these for "not found". */
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM) {
			errno = ENOENT;
			return fail(0, "no such user %s", user);
		}
		return fail(1, "getpwnam %s", user);
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	endpwent();
	return privdrop_id(uid, gid, dir);
}

static int
limit(int resource, const char *name, rlim_t value)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		return fail(1, "setrlimit %s %llu", name,
		    (unsigned long long)value);
	return 0;
}

int
privdrop_limits(const struct privdrop_limits *pl)
{
	if (pl->nofile == 0) {
		errno = EINVAL;
		return fail(0, "setrlimit RLIMIT_NOFILE 0: no descriptor "
		    "could be received");
	}
	if (limit(RLIMIT_CORE, "RLIMIT_CORE", 0) == -1 ||
	    limit(RLIMIT_FSIZE, "RLIMIT_FSIZE", pl->fsize) == -1 ||
	    limit(RLIMIT_NPROC, "RLIMIT_NPROC", pl->nproc) == -1 ||
	    limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", pl->nofile) == -1)
		return -1;
	return 0;
}
