/*
 * postern-policyd as a child of posternd (child.h does the process): its
 * channel on POLICYD_CHAN_FD, sent its config at each start, and each
 * new worker's channel as the worker is started.  When policyd dies it
 * is started again after a back-off; the workers that held a channel to
 * the old one fail closed on it until replaced.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "child.h"
#include "rlimits.h"
#include "log.h"
#include "msg.h"
#include "policyd_child.h"
#include "proto_policy.h"

static struct policyd_config	 conf;
static void			 greet(struct child *);

static struct child	 pd = {
	.name = "policyd",
	.prog = "postern-policyd",
	.chanfd = POLICYD_CHAN_FD,
	.without = "every verdict fails closed",
	.greet = greet,
	.pid = -1,
	.chan = { .fd = -1 },
};

static void
greet(struct child *c)
{
	if (msg_compose(&c->chan, MSG_P_CONFIG, 0, -1, &conf,
	    sizeof(conf)) == -1)
		fatal("queue policyd config");
	log_debug("policyd pid %d started, store %s", (int)c->pid,
	    conf.store);
}

int
policyd_child_path(const char *worker, char *out, size_t len)
{
	return child_path(pd.prog, worker, out, len);
}

void
policyd_child_configure(const struct conf *c, const char *worker,
    int verbose)
{
	struct policyd_config	 nc;

	if (c->policy_store[0] == '\0') {
		child_stop(&pd, 0);
		return;
	}
	memset(&nc, 0, sizeof(nc));
	nc.verbose = (uint32_t)verbose;
	nc.uid = (uint32_t)c->uid;
	nc.gid = (uint32_t)c->gid;
	nc.nofile = rlimits_policyd_nofile(c);
	(void)snprintf(nc.store, sizeof(nc.store), "%s", c->policy_store);
	child_set_path(&pd, worker);
	if (pd.on && pd.pid != -1 && memcmp(&nc, &conf, sizeof(nc)) == 0)
		return;
	conf = nc;
	child_restart(&pd);
}

int
policyd_child_channel(const struct worker_config *wc)
{
	struct policyd_worker	 w = { .slot = wc->slot,
				    .maxbody = (uint32_t)policy_query_max(wc) };

	return child_channel(&pd, wc->slot, MSG_P_WORKER, &w, sizeof(w));
}

int
policyd_child_maintain(void)
{
	return child_maintain(&pd);
}

int
policyd_child_reaped(pid_t pid, int status)
{
	return child_reaped(&pd, pid, status);
}

size_t
policyd_child_pollfds(struct pollfd *pfd, size_t max)
{
	return child_pollfds(&pd, pfd, max);
}

void
policyd_child_dispatch(const struct pollfd *pfd, size_t n)
{
	child_dispatch(&pd, pfd, n);
}

void
policyd_child_stop(void)
{
	child_stop(&pd, 0);
}
