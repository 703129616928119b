/*
 * postern-policyd as a child of posternd (policyd_child.h): its channel
 * on POLICYD_CHAN_FD, sent its config at each start; each worker's
 * channel comes with the limit of that worker's queries.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
static int			 redis_connect(struct daemon *);
static void			 fleet_configure(const struct conf *,
				    struct fleet_conf *);
static struct sockaddr_storage	 redis_ss;
static socklen_t		 redis_sslen;

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
	if (child_compose(d->c, MSG_P_CONFIG, 0, -1, &conf,
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

	if (m->hdr.type == MSG_P_REDIS_ASK && m->len == 0 &&
	    conf.fleet.redis)
		return redis_connect(d);
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

/*
 * policyd's connection to Redis, opened here so that policyd opens
 * nothing: a non-blocking connect, passed on while still in progress
 * (policyd finds out how it went when it writes).
 */
static int
redis_connect(struct daemon *d)
{
	struct policy_redis	 pr = { 0, 0 };
	int			 fd;

	fd = socket(redis_ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		pr.error = errno;
	else if (connect(fd, (struct sockaddr *)&redis_ss, redis_sslen) ==
	    -1 && errno != EINPROGRESS) {
		pr.error = errno;
		close(fd);
		fd = -1;
	}
	if (child_compose(d->c, MSG_P_REDIS, 0, fd, &pr,
	    sizeof(pr)) == -1) {
		log_warn("queue the Redis socket to policyd");
		if (fd != -1)
			close(fd);
		return -1;
	}
	return 0;
}

/* The password is read here, by root, at each (re)configuration. */
static void
fleet_configure(const struct conf *c, struct fleet_conf *f)
{
	ssize_t	 n;
	int	 fd;

	if (!c->counters_redis)
		return;
	f->redis = 1;
	f->timeout_ms = c->timeout_counters;
	(void)snprintf(f->where, sizeof(f->where), "%s", c->counters_addr);
	redis_ss = c->counters_ss;
	redis_sslen = c->counters_sslen;
	if (c->counters_password[0] == '\0')
		return;
	if ((fd = open(c->counters_password, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("counters redis: password file %s",
		    c->counters_password);
		return;
	}
	n = read(fd, f->password, sizeof(f->password));
	close(fd);
	if (n < 0 || (size_t)n == sizeof(f->password)) {
		log_warnx("counters redis: password file %s: unreadable or "
		    "over %zu bytes", c->counters_password,
		    sizeof(f->password) - 1);
		memset(f->password, 0, sizeof(f->password));
		return;
	}
	/* One line: what follows a newline is not the password. */
	f->passlen = (uint32_t)strcspn(f->password, "\r\n");
	memset(f->password + f->passlen, 0, sizeof(f->password) -
	    f->passlen);
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
	nc.threads = conf_policy_threads(c);
	nc.nice = c->policy_nice;
	(void)snprintf(nc.store, sizeof(nc.store), "%s", c->policy_store);
	nc.login = c->login;
	fleet_configure(c, &nc.fleet);
	changed = memcmp(&nc, &conf, sizeof(nc)) != 0;
	conf = nc;
	daemon_configure(DAEMON_POLICYD, worker, 1, changed);
}
