/*
 * The master's channel during a session: a shutdown, a rotated audit log,
 * a restarted postern-policyd or postern-keyd, posternctl's questions and
 * kicks, and, for a login proxy, the upstream it asked for.  Between
 * sessions worker.c reads the same channel.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "msg.h"
#include "policy_client.h"
#include "proto.h"
#include "proto_worker.h"
#include "relay_int.h"
#include "tls.h"
#include "tls_keyproxy.h"

static int	 daemon_channel(struct relay *, struct msg *);
static int	 ops_msg(struct relay *, struct msg *);

/* The master speaks during a session: only to end it.  -1: exit now. */
int
relay_chan_read(struct relay *r)
{
	struct worker_shutdown	 sd;
	struct msg		 m;
	ssize_t			 n;
	int			 rc;

	if ((n = msg_read(r->chan)) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK) {
		log_warn("channel to the master");
		r->quit = 1;
		return -1;
	}
	while ((rc = msg_get(r->chan, &m)) == 1) {
		/* Rotation (SIGUSR1) does not wait for the session's end. */
		if (m.hdr.type == MSG_W_AUDIT) {
			if (audit_msg(&m) == 0)
				continue;
			m.fd = -1;	/* audit_msg() took it */
		}
		/* Nor does a daemon's restart. */
		if (daemon_channel(r, &m) == 0)
			continue;
		/* posternctl: how far, or the end of this session. */
		if (ops_msg(r, &m) == 0)
			continue;
		/* login proxy: the upstream asked for. */
		if (relay_front_upstream(r, &m) == 0)
			continue;
		if (m.fd != -1)
			close(m.fd);
		if (m.hdr.type != MSG_SHUTDOWN || m.len != sizeof(sd) ||
		    m.fd != -1 || memchr(m.body, '\0', m.len) == NULL) {
			log_warnx("master sent type %u, %zu bytes, during a "
			    "session", m.hdr.type, m.len);
			r->quit = 1;
			return -1;
		}
		memcpy(&sd, m.body, sizeof(sd));
		log_debug("session %llu: shutdown: %s",
		    (unsigned long long)r->sess->id, sd.text);
		/* Say BYE, write out what is queued, then go. */
		relay_bye(r, sd.text);
		relay_close(r, WORKER_END_SHUTDOWN);
		r->exiting = 1;
	}
	if (rc == -1) {
		log_warn("channel to the master");
		r->quit = 1;
		return -1;
	}
	if (n == 0) {
		/* The master is gone: so is everything we serve for. */
		r->quit = 1;
		return -1;
	}
	return 0;
}

/*
 * postern-policyd or postern-keyd restarted, and the master sends the
 * worker a channel to the new one (proto_worker.h): taken here during a
 * session as between sessions (worker.c).  policyd's hello is read by
 * the next query.  0 taken, -1 not one of these or malformed.
 */
static int
daemon_channel(struct relay *r, struct msg *m)
{
	struct policy_client	*pc = r->env != NULL ? r->env->policy : NULL;
	int			 fd;

	if (m->len != 0 || m->fd == -1)
		return -1;
	switch (m->hdr.type) {
	case MSG_W_POLICYD:
		if (pc == NULL)
			return -1;
		fd = m->fd;
		m->fd = -1;
		if (policy_client_renew(pc, fd, policy_query_max(r->conf)) ==
		    -1) {
			log_warn("session %llu: channel to postern-policyd",
			    (unsigned long long)r->sess->id);
			return 0;
		}
		log_debug("session %llu: a new channel to postern-policyd",
		    (unsigned long long)r->sess->id);
		r->policy_lost = 0;
		return 0;
	case MSG_W_KEYHOLDER:
		if (tls_conf()->ncerts == 0)
			return -1;
		keyproxy_channel(m->fd);
		log_debug("session %llu: a new channel to postern-keyd",
		    (unsigned long long)r->sess->id);
		return 0;
	}
	return -1;
}

/*
 * posternctl asks how far this session has got (MSG_W_PROGRESS_ASK) or
 * ends it (MSG_W_KICK), as proto_worker.h says; one meant for an earlier
 * session is let be.  0 taken, -1 not one of these or malformed.
 */
static int
ops_msg(struct relay *r, struct msg *m)
{
	struct worker_progress_ask	 ask;
	struct worker_progress		 p;
	struct worker_kick		 k;

	if (m->fd != -1)
		return -1;
	switch (m->hdr.type) {
	case MSG_W_PROGRESS_ASK:
		if (m->len != sizeof(ask))
			return -1;
		memcpy(&ask, m->body, sizeof(ask));
		if (ask.id != r->sess->id)
			return 0;
		memset(&p, 0, sizeof(p));
		p.id = ask.id;
		p.client_in = r->s[RELAY_CLIENT].nin;
		p.client_out = r->s[RELAY_CLIENT].nout;
		p.upstream_in = r->s[RELAY_UPSTREAM].nin;
		p.upstream_out = r->s[RELAY_UPSTREAM].nout;
		p.commands = r->eng != NULL ? r->ops->e_commands(r->eng) : 0;
		if (msg_compose(r->chan, MSG_W_PROGRESS, 0, -1, &p,
		    sizeof(p)) == -1)
			return -1;
		return 0;
	case MSG_W_KICK:
		if (m->len != sizeof(k) || memchr(m->body, '\0', m->len) ==
		    NULL)
			return -1;
		memcpy(&k, m->body, sizeof(k));
		if (k.id != r->sess->id || r->closing)
			return 0;
		log_debug("session %llu: kicked: %s",
		    (unsigned long long)r->sess->id, k.text);
		relay_bye(r, k.text);
		relay_close(r, WORKER_END_KICKED);
		return 0;
	}
	return -1;
}
