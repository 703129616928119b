/*
 * postern-worker: the sandboxed process that relays one client session
 * at a time.  posternd starts it with its channel on WORKER_CHAN_FD and
 * talks to it as proto_worker.h says: the config slice first; then, once
 * the worker is confined and says MSG_READY, sessions, each as a client
 * socket and an upstream socket.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "child_chan.h"
#include "log.h"
#include "msg.h"
#include "policy_client.h"
#include "privdrop.h"
#include "proto.h"
#include "proto_worker.h"
#include "relay.h"
#include "sandbox.h"
#include "stdio_detach.h"
#include "tls.h"
#include "tls_keyproxy.h"
#include "sandbox_worker.h"

#define READY_TIMEOUT_MS	5000
/*
 * Descriptors: 0-2, the channel, a client and an upstream socket, and
 * the one a message brings before it is claimed.
 */
#define WORKER_NOFILE		16

/* The channel to postern-policyd, once the master sent it. */
static struct policy_client policyd;
/* What sessions borrow from the worker (relay.h). */
static struct worker_env env;
/* policyd says hello as soon as it has the channel. */
#define POLICYD_HELLO_MS	5000

static void	 config_read(struct msgchan *, struct worker_config *);
static int	 config_valid(const struct worker_config *);
static void	 confine(const struct worker_config *);
static void	 policyd_start(int, const struct worker_config *);
static int	 daemon_channel(struct msg *, const struct worker_config *);
static void	 serve(struct msgchan *, const struct worker_config *)
		    __attribute__((noreturn));

int
main(int argc, char *argv[])
{
	struct worker_config	 conf;
	struct msgchan		 chan;
	char			 name[64];

	(void)argv;
	log_init(1, 0, "postern-worker");
	log_child();
	if (argc != 1)
		fatalx("usage: postern-worker (started by posternd only)");
	child_chan_check(WORKER_CHAN_FD, "postern-worker");
	/* Writes to a closed socket fail with EPIPE instead. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal SIGPIPE");
	/* A certificate chain comes in one message (proto_tls.h). */
	msgchan_init(&chan, WORKER_CHAN_FD, MSGCHAN_FDS, WORKER_CHAN_BODY_MAX);
	config_read(&chan, &conf);
	(void)snprintf(name, sizeof(name), "worker %s/%u", conf.listener,
	    conf.slot);
	log_init(1, (int)conf.verbose, name);
	/* From here on nothing is written to stderr. */
	log_to_channel(&chan);
	stdio_detach();
	/* libsodium opens no file after this; the filter forbids it. */
	if (audit_init(&chan, conf.slot) == -1)
		fatalx("audit: libsodium");
	tls_setup(&chan);
	confine(&conf);
	if (msg_compose(&chan, MSG_READY, 0, -1, NULL, 0) == -1 ||
	    msg_send(&chan, READY_TIMEOUT_MS) == -1)
		fatal("send ready");
	log_debug("ready");
	/*
	 * With a policy store the master sends MSG_W_POLICYD right after
	 * the config slice, unless policyd is down: then every verdict
	 * fails closed until it is back and the master sends one.  Without
	 * one sessions are relayed with no verdicts at all.
	 */
	if (conf.timeout_policy > 0) {
		msgchan_init(&policyd.ch, -1, MSGCHAN_FDS, 0);
		env.policy = &policyd;
	}
	serve(&chan, &conf);
}

static void
config_read(struct msgchan *chan, struct worker_config *conf)
{
	child_config_read(chan, MSG_W_CONFIG, conf, sizeof(*conf));
	if (!config_valid(conf))
		fatalx("config slice refused");
}

static int
config_valid(const struct worker_config *c)
{
	if (memchr(c->listener, '\0', sizeof(c->listener)) == NULL ||
	    memchr(c->chroot, '\0', sizeof(c->chroot)) == NULL) {
		log_warnx("config: unterminated string");
		return 0;
	}
	if (c->protocol != WORKER_PROTO_IMAP &&
	    c->protocol != WORKER_PROTO_POP3) {
		log_warnx("config: protocol %u: neither IMAP nor POP3",
		    c->protocol);
		return 0;
	}
	if (c->uid == 0 || c->gid == 0) {
		log_warnx("config: uid %u gid %u: a worker never runs as "
		    "root", c->uid, c->gid);
		return 0;
	}
	if (c->chroot[0] != '/') {
		log_warnx("config: chroot \"%s\" is not absolute", c->chroot);
		return 0;
	}
	if (c->max_line < 1024 || c->timeout_login == 0 ||
	    c->timeout_idle == 0 || c->timeout_upstream == 0) {
		log_warnx("config: line %u, timeouts login %u idle %u "
		    "upstream %u out of range", c->max_line, c->timeout_login,
		    c->timeout_idle, c->timeout_upstream);
		return 0;
	}
	/* The policy channel's limit is made from these (proto_policy.h). */
	if (c->max_line > WORKER_LINE_MAX || c->max_args > WORKER_ARGS_MAX ||
	    c->max_pop3_line > WORKER_POP3_LINE_MAX) {
		log_warnx("config: limits line %u args %u pop3-line %u over "
		    "%u, %u, %u", c->max_line, c->max_args, c->max_pop3_line,
		    WORKER_LINE_MAX, WORKER_ARGS_MAX, WORKER_POP3_LINE_MAX);
		return 0;
	}
	return 1;
}

/* privdrop.h's order: drop, limits, then the filter. */
static void
confine(const struct worker_config *c)
{
	struct privdrop_limits	 lim = { .nofile = WORKER_NOFILE };
	struct rlimit		 fsize;

	/* posternd sets it to the audit log's max-size, or to 0. */
	if (getrlimit(RLIMIT_FSIZE, &fsize) == -1)
		fatal("getrlimit RLIMIT_FSIZE");
	lim.fsize = fsize.rlim_cur;
	if (privdrop_id(c->uid, c->gid, c->chroot) == -1)
		fatalx("%s", privdrop_error());
	if (privdrop_limits(&lim) == -1)
		fatalx("%s", privdrop_error());
	if (sandbox_worker_load() == -1)
		fatalx("%s", sandbox_error());
}

/*
 * Idle: wait for a session (two messages, client then upstream), run it,
 * be idle again.  Any surprise on the channel ends the worker: the master
 * replaces it.
 */
static void
serve(struct msgchan *chan, const struct worker_config *conf)
{
	struct worker_session	 sess;
	struct worker_upstream	 up;
	struct pollfd		 pfds[2];
	struct msg		 m;
	int			 client = -1, rc, transparent = 0;

	for (;;) {
		while ((rc = msg_get(chan, &m)) == 1) {
			switch (m.hdr.type) {
			case MSG_W_SESSION:
				if (client != -1 || m.len != sizeof(sess) ||
				    m.fd == -1)
					goto bad;
				memcpy(&sess, m.body, sizeof(sess));
				client = m.fd;
				continue;
			case MSG_W_UPSTREAM:
				if (client == -1 || m.len != sizeof(up))
					goto bad;
				memcpy(&up, m.body, sizeof(up));
				if (up.id != sess.id ||
				    (m.fd == -1) == (up.error == 0))
					goto bad;
				if (env.policy == NULL && !transparent++)
					log_debug("no policy store: sessions "
					    "are relayed without verdicts");
				log_debug("session %llu from %s port %u",
				    (unsigned long long)sess.id,
				    sess.client_addr, sess.client_port);
				/* relay_run() closes both. */
				rc = relay_run(conf, &env, chan, &sess, client, m.fd,
				    up.error);
				client = -1;
				if (msg_flush(chan) == -1)
					fatal("write to the master");
				/*
				 * A key holder that broke its protocol
				 * is one to get away from.
				 */
				if (rc == -1 || keyproxy_lost()) {
					(void)msg_send(chan, READY_TIMEOUT_MS);
					_exit(0);
				}
				continue;
			case MSG_W_POLICYD:
			case MSG_W_KEYHOLDER:
				if (client != -1 ||
				    daemon_channel(&m, conf) == -1)
					goto bad;
				continue;
			case MSG_W_AUDIT:
				/* A segment of the slot's log (audit.h). */
				if (audit_msg(&m) == -1) {
					m.fd = -1;
					goto bad;
				}
				continue;
			case MSG_SHUTDOWN:
				if (m.fd != -1 || m.len !=
				    sizeof(struct worker_shutdown))
					goto bad;
				log_debug("shutdown");
				_exit(0);
			}
 bad:
			log_warnx("master sent type %u, %zu bytes%s while "
			    "%s", m.hdr.type, m.len, m.fd != -1 ?
			    " and a descriptor" : "", client != -1 ?
			    "waiting for the upstream" : "idle");
			_exit(1);
		}
		if (rc == -1)
			fatal("channel to the master");
		if (chan->eof)
			_exit(0);
		pfds[0].fd = chan->fd;
		pfds[0].events = POLLIN | (msg_pending(chan) ? POLLOUT : 0);
		/* keyd says nothing unasked: anything is its end. */
		pfds[1].fd = client == -1 ? keyproxy_fd() : -1;
		pfds[1].events = POLLIN;
		pfds[1].revents = 0;
		if (poll(pfds, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfds[1].revents != 0) {
			log_warnx("keyd gone: TLS waits for its restart");
			keyproxy_gone();
		}
		if ((pfds[0].revents & POLLOUT) && msg_flush(chan) == -1)
			fatal("write to the master");
		if ((pfds[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    msg_read(chan) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			fatal("read from the master");
	}
}

/*
 * A channel to postern-policyd (proto_policy.h), for the verdict
 * queries, or to postern-keyd (proto_tls.h), for the handshakes: the
 * first, or one to a daemon that restarted, which replaces the old one
 * (relay.c takes them during a session).  Empty body.  0, or -1: not
 * one this worker takes.
 */
static int
daemon_channel(struct msg *m, const struct worker_config *conf)
{
	if (m->len != 0 || m->fd == -1)
		return -1;
	switch (m->hdr.type) {
	case MSG_W_POLICYD:
		if (env.policy == NULL)
			return -1;
		policyd_start(m->fd, conf);
		return 0;
	case MSG_W_KEYHOLDER:
		if (tls_conf()->ncerts == 0)
			return -1;
		keyproxy_channel(m->fd);
		log_debug("a new channel to postern-keyd");
		return 0;
	}
	return -1;
}

/*
 * The verdict channel, the first or one to a policyd that restarted:
 * the hello maps the generation page.  A hello that is late is taken by
 * the first query; until then every verdict fails closed, which is what
 * a policy store without policyd means.
 */
static void
policyd_start(int fd, const struct worker_config *conf)
{
	/* policyd has the same limit for this channel, from the master. */
	if (policy_client_renew(&policyd, fd, policy_query_max(conf)) == -1)
		fatal("policyd channel");
	env.policy = &policyd;
	if (policy_client_start(&policyd, POLICYD_HELLO_MS) == -1)
		log_warn("no hello from postern-policyd: verdicts fail "
		    "closed");
	else
		log_debug("policy enforced: verdicts from postern-policyd");
}
