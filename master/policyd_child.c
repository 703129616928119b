/*
 * postern-policyd as a child of posternd (policyd_child.h): its channel
 * on POLICYD_CHAN_FD, sent its config at each start; each worker's
 * channel comes with the limit of that worker's queries.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "rlimits.h"
#include "log.h"
#include "msg.h"
#include "policyd_child.h"
#include "proto_policy.h"

static struct policyd_config	 conf;
static struct policyd_generation current;	/* as policyd said last */
static int			 known;
static void			 greet(struct daemon *);
static size_t			 wbody(const struct worker_config *, void *,
				    size_t);
static int			 msg(struct daemon *, const struct msg *);

struct daemon	 policyd_daemon = {
	.id = DAEMON_POLICYD,
	.kind = CHILD_POLICYD,
	.name = "policyd",
	.prog = "postern-policyd",
	.chanfd = POLICYD_CHAN_FD,
	.without = "every verdict fails closed",
	.greet = greet,
	.wtype = MSG_P_WORKER,
	.wbody = wbody,
	.msg = msg,
};

static void
greet(struct daemon *d)
{
	if (msg_compose(&d->c->chan, MSG_P_CONFIG, 0, -1, &conf,
	    sizeof(conf)) == -1)
		fatal("queue policyd config");
	log_debug("policyd pid %d started, store %s", (int)d->c->pid,
	    conf.store);
}

/* The channel takes the queries of that worker's limits. */
static size_t
wbody(const struct worker_config *wc, void *buf, size_t len)
{
	struct policyd_worker	 w = { .slot = wc->slot,
				    .maxbody = (uint32_t)policy_query_max(wc) };

	if (len < sizeof(w))
		fatalx("%s: %zu bytes", __func__, len);
	memcpy(buf, &w, sizeof(w));
	return sizeof(w);
}

/* The generation policyd made current (proto_policy.h). */
static int
msg(struct daemon *d, const struct msg *m)
{
	struct policyd_generation	 g;

	if (m->hdr.type != MSG_P_GENERATION || m->len != sizeof(g))
		return -1;
	memcpy(&g, m->body, sizeof(g));
	if (memchr(g.user, '\0', sizeof(g.user)) == NULL) {
		log_warnx("%s: generation %llu: unterminated user", d->name,
		    (unsigned long long)g.gen);
		return -1;
	}
	current = g;
	known = 1;
	return 0;
}

int
policyd_child_generation(struct policyd_generation *g)
{
	if (!known)
		return 0;
	*g = current;
	return 1;
}

void
policyd_child_configure(const struct conf *c, const char *worker,
    int verbose)
{
	struct policyd_config	 nc;
	int			 changed;

	if (c->policy_store[0] == '\0') {
		known = 0;
		daemon_configure(DAEMON_POLICYD, worker, 0, 0);
		return;
	}
	memset(&nc, 0, sizeof(nc));
	nc.verbose = (uint32_t)verbose;
	nc.uid = (uint32_t)c->uid;
	nc.gid = (uint32_t)c->gid;
	nc.nofile = rlimits_policyd_nofile(c);
	(void)snprintf(nc.store, sizeof(nc.store), "%s", c->policy_store);
	nc.login = c->login;
	changed = memcmp(&nc, &conf, sizeof(nc)) != 0;
	conf = nc;
	daemon_configure(DAEMON_POLICYD, worker, 1, changed);
}
