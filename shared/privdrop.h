/*
 * The privilege drop.  Every process that gives up root does it the same
 * way, in this order:
 *
 *	1. everything it will need from the file system is opened, read or
 *	   seeded now (configuration, keys, TLS context, random generators):
 *	   after step 2 there is no file system and no way back;
 *	2. privdrop() or privdrop_id(): check the directory, chroot into it,
 *	   chdir("/"), setgroups, setresgid, setresuid, check that the old
 *	   ids cannot be regained, no_new_privs;
 *	3. privdrop_limits(): resource limits.  After the drop, because
 *	   RLIMIT_NPROC does not bind root;
 *	4. sandbox_load() (sandbox.h): the syscall filter, last, because the
 *	   steps above make syscalls the filter forbids.
 *
 * posternd's children do steps 2 to 4 in one call, confine() (confine.h).
 *
 * Each function returns 0, or -1 with errno set and a message saying what
 * failed, on what, and why in privdrop_error(); the caller is expected to
 * treat any failure as fatal: a half-dropped process must not go on, and
 * the compiler refuses a call whose result is ignored.
 */
#ifndef POSTERN_PRIVDROP_H
#define POSTERN_PRIVDROP_H

#include <sys/types.h>
#include <sys/resource.h>

#define PRIVDROP_MUST	__attribute__((warn_unused_result))

/*
 * Limits for privdrop_limits().  A field left at 0 is the strict default,
 * so (struct privdrop_limits){ .nofile = 64 } suits a worker.  RLIMIT_CORE
 * is always 0: a core file would hold session secrets.
 */
struct privdrop_limits {
	rlim_t	nofile;		/* RLIMIT_NOFILE, highest fd + 1; must be > 0 */
	rlim_t	fsize;		/* RLIMIT_FSIZE: 0 = no file may grow; a write
				   past it raises SIGXFSZ, which kills */
	rlim_t	nproc;		/* RLIMIT_NPROC, counted per real uid over all
				   its processes: 0 = this uid can never fork */
};

/* Drop to user's uid and primary gid, chrooted into dir. */
int		 privdrop(const char *user, const char *dir)
		    PRIVDROP_MUST;
/* The same with numeric ids, for a process that looked the user up itself. */
int		 privdrop_id(uid_t, gid_t, const char *dir)
		    PRIVDROP_MUST;
/*
 * dir is a safe chroot: every component of its real path is a directory
 * owned by root, the directory itself writable by nobody but root, and its
 * ancestors either the same or sticky (like /tmp).  privdrop calls this.
 */
int		 privdrop_checkdir(const char *dir)
		    PRIVDROP_MUST;
/* Sets soft and hard limits at once; they cannot be raised again. */
int		 privdrop_limits(const struct privdrop_limits *)
		    PRIVDROP_MUST;
/* What the last failure was, for fatalx("%s", privdrop_error()). */
const char	*privdrop_error(void);

#endif
