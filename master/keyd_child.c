/*
 * postern-keyd as a child of posternd (proto_keyd.h; child.h does the
 * process): started when a listener has certificates, its channel on
 * KEYD_CHAN_FD, sent its config and the key files it is to read at each
 * start, and one end of a socketpair per worker of a TLS listener.  When
 * keyd dies it is started again after a back-off; the workers that held
 * a channel to the old one fail their handshakes until replaced.
 * posternd never opens a key file itself.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "child.h"
#include "keyd_child.h"
#include "rlimits.h"
#include "log.h"
#include "msg.h"
#include "proto_keyd.h"

static struct keyd_config	 conf;
static struct keyd_key		 keys[KEYD_KEYS_MAX];
static void			 greet(struct child *);

static struct child	 kd = {
	.name = "keyd",
	.prog = "postern-keyd",
	.chanfd = KEYD_CHAN_FD,
	.without = "TLS handshakes fail",
	.greet = greet,
	.pid = -1,
	.chan = { .fd = -1 },
};

static void
greet(struct child *c)
{
	uint32_t	 i;

	if (msg_compose(&c->chan, MSG_K_CONFIG, 0, -1, &conf,
	    sizeof(conf)) == -1)
		fatal("queue keyd config");
	for (i = 0; i < conf.nkeys; i++)
		if (msg_compose(&c->chan, MSG_K_KEY, 0, -1, &keys[i],
		    sizeof(keys[i])) == -1)
			fatal("queue keyd key %u", i);
	log_debug("keyd pid %d started, %u keys", (int)c->pid, conf.nkeys);
}

int
keyd_child_path(const char *worker, char *out, size_t len)
{
	return child_path(kd.prog, worker, out, len);
}

void
keyd_child_configure(const struct conf *c, const char *worker,
    int verbose)
{
	struct keyd_config	 nc;
	struct keyd_key		 nk[KEYD_KEYS_MAX];
	struct listener		*l;
	uint32_t		 i;

	if (c->nkeys == 0 || c->nkeys > KEYD_KEYS_MAX) {
		if (c->nkeys > KEYD_KEYS_MAX)
			log_warnx("%u keys: keyd holds at most %d", c->nkeys,
			    KEYD_KEYS_MAX);
		child_stop(&kd, 0);
		return;
	}
	memset(&nc, 0, sizeof(nc));
	memset(nk, 0, sizeof(nk));
	nc.verbose = (uint32_t)verbose;
	nc.uid = (uint32_t)c->uid;
	nc.gid = (uint32_t)c->gid;
	nc.nkeys = c->nkeys;
	/* keyd needs no files once it has its keys: the workers' chroot. */
	(void)snprintf(nc.chroot, sizeof(nc.chroot), "%s", c->chroot);
	TAILQ_FOREACH(l, &c->listeners, entry) {
		for (i = 0; i < l->ncerts; i++) {
			nk[l->certs[i].index].index = l->certs[i].index;
			(void)snprintf(nk[l->certs[i].index].path,
			    sizeof(nk[0].path), "%s", l->certs[i].key);
		}
	}
	nc.nofile = rlimits_keyd_nofile(c);
	child_set_path(&kd, worker);
	if (kd.on && kd.pid != -1 && memcmp(&nc, &conf, sizeof(nc)) == 0 &&
	    memcmp(nk, keys, sizeof(nk)) == 0)
		return;
	conf = nc;
	memcpy(keys, nk, sizeof(nk));
	child_restart(&kd);
}

int
keyd_child_running(void)
{
	return child_running(&kd);
}

int
keyd_child_channel(uint32_t slot)
{
	return child_channel(&kd, slot, MSG_K_WORKER, NULL, 0);
}

int
keyd_child_maintain(void)
{
	return child_maintain(&kd);
}

int
keyd_child_reaped(pid_t pid, int status)
{
	return child_reaped(&kd, pid, status);
}

size_t
keyd_child_pollfds(struct pollfd *pfd, size_t max)
{
	return child_pollfds(&kd, pfd, max);
}

void
keyd_child_dispatch(const struct pollfd *pfd, size_t n)
{
	child_dispatch(&kd, pfd, n);
}

void
keyd_child_stop(void)
{
	child_stop(&kd, 0);
}
