/*
 * Confinement: the one call with which every child of posternd
 * (postern-worker, postern-policyd, postern-keyd) gives up what it does
 * not need, in privdrop.h's order, once everything it needs from the
 * file system is open:
 *
 *	1. privdrop_id(): chroot into a root-owned directory, chdir("/"),
 *	   setgroups, setresgid, setresuid, the check that the old ids
 *	   cannot be regained, not dumpable, no_new_privs;
 *	2. privdrop_limits(): RLIMIT_CORE 0, RLIMIT_FSIZE, RLIMIT_NPROC and
 *	   RLIMIT_NOFILE, soft and hard alike;
 *	3. the syscall filter, from the program's allow-list (sandbox.h's
 *	   struct sandbox_list, kept as data in the program's folder), in
 *	   debug mode only in a SANDBOX_DEBUG build (-DPOSTERN_SANDBOX_DEBUG).
 *
 * The descriptors a child may hold are what posternd computed for it
 * (master/rlimits.c) and sent in its config.  A child never raises its
 * limit above the hard limit it was started with, which it could not do
 * once unprivileged and which posternd made large enough before it
 * started the child; should it be lower all the same, the child takes
 * the hard limit and says so.
 *
 * confine() returns 0, or -1 with errno set and a message naming the
 * step, what it acted on and why in confine_error(); the caller treats
 * any failure as fatal.
 */
#ifndef POSTERN_CONFINE_H
#define POSTERN_CONFINE_H

#include <sys/types.h>
#include <sys/resource.h>

#include "sandbox.h"

struct confine {
	const char		*prog;		/* in messages */
	uid_t			 uid;		/* never 0 */
	gid_t			 gid;		/* never 0 */
	const char		*chroot;	/* root's all the way down */
	rlim_t			 nofile;	/* RLIMIT_NOFILE wanted, > 0 */
	rlim_t			 fsize;		/* RLIMIT_FSIZE; 0: no file */
	rlim_t			 nproc;		/* RLIMIT_NPROC; 0: no fork;
						   RLIM_INFINITY: the hard
						   limit it was started with */
	const struct sandbox_list *filter;
};

int		 confine(const struct confine *)
		    __attribute__((warn_unused_result));
/*
 * In a process forked from a confined one (a template's worker, which
 * inherited its ids, root, limits and filter): RLIMIT_NPROC to
 * c->nproc, and c->filter, stacked on the inherited filter, so that a
 * call must pass both.
 */
int		 confine_stack(const struct confine *)
		    __attribute__((warn_unused_result));
/* What the last failure was, for fatalx("%s", confine_error()). */
const char	*confine_error(void);

#endif
