/*
 * The children's confinement (confine.h): privdrop.c's drop and limits,
 * then sandbox.c's filter, with one message for whatever failed.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "confine.h"
#include "log.h"
#include "privdrop.h"
#include "sandbox.h"

#ifdef POSTERN_SANDBOX_DEBUG
/*
 * Chosen when building (make SANDBOX_DEBUG=1), never at run time, so
 * nothing a child inherits can turn its filter's kill off.
 */
#define CONFINE_DEBUG	1
#else
#define CONFINE_DEBUG	0
#endif

static char	confine_msg[512];

static int __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(confine_msg, sizeof(confine_msg), fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

const char *
confine_error(void)
{
	return confine_msg;
}

/*
 * What the process may hold: what it wants, but no more than the hard
 * limit it has, which an unprivileged process cannot raise.
 */
static int
nofile(const struct confine *c, rlim_t *out)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return fail("%s: getrlimit RLIMIT_NOFILE: %s", c->prog,
		    strerror(errno));
	*out = c->nofile;
	if (rl.rlim_max != RLIM_INFINITY && c->nofile > rl.rlim_max) {
		log_warnx("%s: %llu descriptors wanted, the hard limit is "
		    "%llu: some channels may fail", c->prog,
		    (unsigned long long)c->nofile,
		    (unsigned long long)rl.rlim_max);
		*out = rl.rlim_max;
	}
	return 0;
}

int
confine(const struct confine *c)
{
	struct privdrop_limits	 lim;

	memset(&lim, 0, sizeof(lim));
	lim.fsize = c->fsize;
	lim.nproc = c->nproc;
	if (nofile(c, &lim.nofile) == -1)
		return -1;
	/*
	 * A template forks as many workers as its pool may hold, all of
	 * them counted against the user: it keeps the hard limit it has,
	 * which it could not raise once unprivileged anyway.
	 */
	if (c->nproc == RLIM_INFINITY) {
		struct rlimit	 rl;

		if (getrlimit(RLIMIT_NPROC, &rl) == -1)
			return fail("%s: getrlimit RLIMIT_NPROC: %s", c->prog,
			    strerror(errno));
		lim.nproc = rl.rlim_max;
	}
	if (privdrop_id(c->uid, c->gid, c->chroot) == -1)
		return fail("%s: privilege drop to uid %u gid %u: %s", c->prog,
		    (unsigned)c->uid, (unsigned)c->gid, privdrop_error());
	if (privdrop_limits(&lim) == -1)
		return fail("%s: %s", c->prog, privdrop_error());
	if (sandbox_load_list(c->filter, CONFINE_DEBUG) == -1)
		return fail("%s: syscall filter: %s", c->prog,
		    sandbox_error());
	return 0;
}

int
confine_stack(const struct confine *c)
{
	struct rlimit	 rl;

	/* The template's was high, for forking; the others stay. */
	rl.rlim_cur = rl.rlim_max = c->nproc;
	if (setrlimit(RLIMIT_NPROC, &rl) == -1)
		return fail("%s: setrlimit RLIMIT_NPROC %llu: %s", c->prog,
		    (unsigned long long)c->nproc, strerror(errno));
	if (sandbox_load_list(c->filter, CONFINE_DEBUG) == -1)
		return fail("%s: syscall filter: %s", c->prog,
		    sandbox_error());
	return 0;
}
