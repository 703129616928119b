/*
 * The limits a configuration implies (rlimits.h).  The counts, which
 * posternd(8) and postern.conf(5) repeat:
 *
 *   workers at once   the sum of every pool's max: a reload retires the
 *                     old pools, whose busy workers serve their sessions
 *                     to the end and count against their listener's
 *                     new pool max meanwhile (pool.c, listener_live())
 *   postern-policyd   POLICYD_NOFILE_FIXED, POLICYD_NOFILE_THREAD per
 *                     answering thread after the first, and one channel
 *                     per worker
 *   postern-keyd      KEYD_NOFILE_FIXED, and one channel per worker of
 *                     a TLS listener
 *   posternd          POSTERND_NOFILE_FIXED; per listener its socket, a
 *                     reload's new one, a client with its upstream on
 *                     their way to a worker, and the channels of its
 *                     template and of one replaced and on its way out;
 *                     per worker its channel; per worker started at once
 *                     (each pool's min-idle) the ends of its socketpairs
 *                     to policyd and keyd, its audit log, and the end of
 *                     its channel the template forks it with, until they
 *                     are sent; per server of a checked upstream its
 *                     health check's socket
 *
 * A worker holds a fixed few (worker.c) and needs nothing here; what it
 * needs is RLIMIT_FSIZE: posternd sets it to the audit log's max-size
 * for each worker, which it can do only below its own hard limit.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "rlimits.h"
#include "log.h"
#include "proto_keyd.h"
#include "proto_policy.h"

/*
 * 0-2, the signal pipe, the channels to policyd and keyd, syslog, and
 * the files a reload reads (configuration, certificates, audit keys).
 */
#define POSTERND_NOFILE_FIXED	32
#define PER_LISTENER		6
#define PER_WORKER		1
#define PER_STARTING_WORKER	6

static uint32_t	 listeners(const struct conf *, int);
static uint32_t	 checked_servers(const struct conf *);
static uint64_t	 workers(const struct conf *, int);
static uint64_t	 posternd_nofile(const struct conf *);
static int	 nofile_check(const struct conf *);
static int	 fsize_check(const struct conf *);

/* How many listeners, or only those with TLS certificates. */
static uint32_t
listeners(const struct conf *c, int tls)
{
	struct listener	*l;
	uint32_t	 n = 0;

	TAILQ_FOREACH(l, &c->listeners, entry)
		if (!tls || l->ncerts > 0)
			n++;
	return n;
}

/* Each holds a socket while its check runs (upstream.h). */
static uint32_t
checked_servers(const struct conf *c)
{
	struct upstream	*u;
	uint32_t	 n = 0;

	TAILQ_FOREACH(u, &c->upstreams, entry)
		if (u->check_line != 0)
			n += u->nservers;
	return n;
}

static uint64_t
workers(const struct conf *c, int tls)
{
	return (uint64_t)listeners(c, tls) * c->max_workers;
}

static uint32_t
clamp(uint64_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t
rlimits_policyd_nofile(const struct conf *c)
{
	if (c->policy_store[0] == '\0')
		return 0;
	return clamp(POLICYD_NOFILE_FIXED + (uint64_t)(conf_policy_threads(c) -
	    1) * POLICYD_NOFILE_THREAD + workers(c, 0));
}

uint32_t
rlimits_keyd_nofile(const struct conf *c)
{
	if (c->nkeys == 0 || listeners(c, 1) == 0)
		return 0;
	return clamp(KEYD_NOFILE_FIXED + workers(c, 1));
}

static uint64_t
posternd_nofile(const struct conf *c)
{
	uint64_t	 min_idle = c->min_idle < c->max_workers ? c->min_idle :
			    c->max_workers;

	return POSTERND_NOFILE_FIXED +
	    (uint64_t)PER_LISTENER * listeners(c, 0) +
	    PER_WORKER * workers(c, 0) +
	    PER_STARTING_WORKER * min_idle * listeners(c, 0) +
	    checked_servers(c);
}

int
rlimits_check(const struct conf *c)
{
	int	 rv = 0;

	if (nofile_check(c) == -1)
		rv = -1;
	if (fsize_check(c) == -1)
		rv = -1;
	return rv;
}

/* One process's need over the hard limit, and what to turn. */
static void
nofile_refuse(const struct conf *c, const char *prog, uint64_t need,
    rlim_t hard, int tls)
{
	uint32_t	 n = listeners(c, tls);

	log_warnx("pool max %u on %u %slistener%s needs %llu descriptors for "
	    "%s; the hard limit is %llu (ulimit -Hn): lower \"pool max\" or "
	    "raise the limit", c->max_workers, n, tls ? "TLS " : "",
	    n == 1 ? "" : "s", (unsigned long long)need, prog,
	    (unsigned long long)hard);
}

/*
 * posternd needs more than either child (it holds a channel to each
 * worker and more), so a hard limit that is enough for posternd is
 * enough for them; when it cannot be raised, every process it is short
 * for is named.
 */
static int
nofile_check(const struct conf *c)
{
	struct rlimit	 rl, nrl;
	uint64_t	 need = posternd_nofile(c);
	uint32_t	 pd = rlimits_policyd_nofile(c);
	uint32_t	 kd = rlimits_keyd_nofile(c);

	if (pd > need)
		need = pd;
	if (kd > need)
		need = kd;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_NOFILE");
		return -1;
	}
	if (rl.rlim_cur >= need)
		return 0;
	nrl.rlim_cur = (rlim_t)need;
	nrl.rlim_max = rl.rlim_max >= need ? rl.rlim_max : (rlim_t)need;
	if (setrlimit(RLIMIT_NOFILE, &nrl) == 0) {
		if (nrl.rlim_max != rl.rlim_max)
			log_info("descriptors: hard limit raised from %llu to "
			    "%llu for pool max %u on %u listener%s",
			    (unsigned long long)rl.rlim_max,
			    (unsigned long long)need, c->max_workers,
			    listeners(c, 0), listeners(c, 0) == 1 ? "" : "s");
		return 0;
	}
	log_warn("raising RLIMIT_NOFILE from %llu to %llu",
	    (unsigned long long)rl.rlim_max, (unsigned long long)need);
	if (posternd_nofile(c) > rl.rlim_max)
		nofile_refuse(c, "posternd", posternd_nofile(c), rl.rlim_max,
		    0);
	if (pd > rl.rlim_max)
		nofile_refuse(c, "postern-policyd", pd, rl.rlim_max, 0);
	if (kd > rl.rlim_max)
		nofile_refuse(c, "postern-keyd", kd, rl.rlim_max, 1);
	return -1;
}

/*
 * Each worker's RLIMIT_FSIZE, soft and hard, is its log's max-size
 * (pool_worker.c): posternd must be allowed that much itself.
 */
static int
fsize_check(const struct conf *c)
{
	struct rlimit	 rl, nrl;
	rlim_t		 need;

	if (c->audit_dir[0] == '\0')
		return 0;
	need = c->audit_max_size;
	if (getrlimit(RLIMIT_FSIZE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_FSIZE");
		return -1;
	}
	if (rl.rlim_max >= need)
		return 0;
	nrl.rlim_cur = rl.rlim_cur;
	nrl.rlim_max = need;
	if (setrlimit(RLIMIT_FSIZE, &nrl) == 0) {
		log_info("file size: hard limit raised from %llu to %llu for "
		    "the audit logs' max-size", (unsigned long long)rl.rlim_max,
		    (unsigned long long)need);
		return 0;
	}
	log_warn("raising RLIMIT_FSIZE from %llu to %llu",
	    (unsigned long long)rl.rlim_max, (unsigned long long)need);
	log_warnx("audit max-size %llu bytes is over the hard limit on file "
	    "size, %llu bytes (ulimit -Hf): lower \"max-size\" or raise the "
	    "limit", (unsigned long long)need,
	    (unsigned long long)rl.rlim_max);
	return -1;
}
