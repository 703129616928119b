/*
 * postern-keyd as a child of posternd (keyd_child.h): its channel on
 * KEYD_CHAN_FD, sent its config and the key files it is to read at each
 * start.  posternd never opens a key file itself.
 */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "keyd_child.h"
#include "log.h"
#include "msg.h"
#include "proto_keyd.h"
#include "rlimits.h"

static struct keyd_config	 conf;
static struct keyd_key		 keys[KEYD_KEYS_MAX];
static void			 greet(struct daemon *);
static size_t			 wbody(const struct worker_config *, void *,
				    size_t);

struct daemon	 keyd_daemon = {
	.id = DAEMON_KEYD,
	.kind = CHILD_KEYD,
	.name = "keyd",
	.prog = "postern-keyd",
	.chanfd = KEYD_CHAN_FD,
	.without = "TLS handshakes fail",
	.greet = greet,
	.wtype = MSG_K_WORKER,
	.wbody = wbody,
};

static void
greet(struct daemon *d)
{
	uint32_t	 i;

	if (child_compose(d->c, MSG_K_CONFIG, 0, -1, &conf,
	    sizeof(conf)) == -1)
		fatal("queue keyd config");
	for (i = 0; i < conf.nkeys; i++)
		if (child_compose(d->c, MSG_K_KEY, 0, -1, &keys[i],
		    sizeof(keys[i])) == -1)
			fatal("queue keyd key %u", i);
	log_debug("keyd pid %d started, %u keys", (int)d->c->pid,
	    conf.nkeys);
}

/* A worker's channel: empty body, the slot in the header. */
static size_t
wbody(const struct worker_config *wc, void *buf, size_t len)
{
	(void)wc;
	(void)buf;
	(void)len;
	return 0;
}

void
keyd_child_configure(const struct conf *c, const char *worker,
    int verbose)
{
	struct keyd_config	 nc;
	struct keyd_key		 nk[KEYD_KEYS_MAX];
	struct listener		*l;
	uint32_t		 i;
	int			 changed;

	if (c->nkeys == 0 || c->nkeys > KEYD_KEYS_MAX) {
		if (c->nkeys > KEYD_KEYS_MAX)
			log_warnx("%u keys: keyd holds at most %d", c->nkeys,
			    KEYD_KEYS_MAX);
		daemon_configure(DAEMON_KEYD, worker, 0, 0);
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
	changed = memcmp(&nc, &conf, sizeof(nc)) != 0 ||
	    memcmp(nk, keys, sizeof(nk)) != 0;
	conf = nc;
	memcpy(keys, nk, sizeof(nk));
	daemon_configure(DAEMON_KEYD, worker, 1, changed);
}
