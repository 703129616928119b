/*
 * postern-worker: the sandboxed process that relays one client session
 * at a time.  posternd starts it with its channel on WORKER_CHAN_FD and
 * talks to it as proto_worker.h says: the config slice first; then, once
 * the worker is confined and says MSG_READY, sessions, each as a client
 * socket and an upstream socket.  A template (template.h) does the same
 * up to its filter, and then forks workers, which go on from there.
 */
#include <sys/resource.h>

#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "chan_loop.h"
#include "child_chan.h"
#include "confine.h"
#include "log.h"
#include "msg.h"
#include "policy_client.h"
#include "proto.h"
#include "proto_worker.h"
#include "relay.h"
#include "rest.h"
#include "sandbox_worker.h"
#include "template.h"
#include "tls.h"
#include "tls_keyproxy.h"

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
/*
 * Between sessions the pages a session used go back only once the
 * worker has waited this long for the next: a busy worker takes its next
 * session at once, and giving them back to fault them in again cost
 * every session a fifth of the worker's time (page faults, TLB flushes).
 */
#define WORKER_REST_MS		1000

static struct worker_config conf;
static struct msgchan	 chan;
/* Between a session's two messages: its client socket, -1 otherwise. */
static struct worker_session sess;
static int		 client = -1;

static int	 config_valid(const struct worker_config *);
static void	 master_msg(struct chan_loop *, struct msg *);
static void	 idle_hook(struct chan_loop *, short);
static int	 daemon_channel(struct msg *);
static void	 policyd_start(int, const struct worker_config *);

int
main(int argc, char *argv[])
{
	struct chan_loop	 loop;
	struct confine		 cf;
	struct rlimit		 fsize;
	char			 name[64];
	uint32_t		 slot;

	(void)argv;
	/*
	 * malloc, for a process that spends its life waiting: one arena
	 * (OpenSSL and libsodium start no thread here), no per-thread
	 * cache (WORKER_ENV_MALLOC, from posternd's exec), the heap grown
	 * by little more than it needs.  free() gives nothing back while
	 * the worker is busy (what a session frees, the next takes again:
	 * trimmed at each session's end, the heap cost every session two
	 * brk(2)s and its page faults); a worker at rest, a second without
	 * a byte or a session, gives it all back (rest.h, malloc_trim).
	 * Set before anything is allocated.
	 */
	(void)mallopt(M_ARENA_MAX, 1);
	(void)mallopt(M_TOP_PAD, 16 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	/* A certificate chain comes in one message (proto_tls.h). */
	child_begin(argc, "postern-worker", &chan, WORKER_CHAN_FD,
	    MSGCHAN_FDS, WORKER_CHAN_BODY_MAX);
	child_config_read(&chan, MSG_W_CONFIG, &conf, sizeof(conf));
	if (!config_valid(&conf))
		fatalx("config slice refused");
	if (conf.template)
		(void)snprintf(name, sizeof(name), "template %s",
		    conf.listener);
	else
		(void)snprintf(name, sizeof(name), "worker %s/%u",
		    conf.listener, conf.slot);
	child_detach(&chan, name, (int)conf.verbose);
	/* libsodium opens no file after this; the filter forbids it. */
	if (audit_init(&chan, conf.slot) == -1)
		fatalx("audit: libsodium");
	/* A template's workers get their keyd channels after the fork. */
	tls_setup(&chan, conf.template);
	/* posternd sets RLIMIT_FSIZE to the audit log's max-size, or 0. */
	if (getrlimit(RLIMIT_FSIZE, &fsize) == -1)
		fatal("getrlimit RLIMIT_FSIZE");
	memset(&cf, 0, sizeof(cf));
	cf.prog = "postern-worker";
	cf.uid = conf.uid;
	cf.gid = conf.gid;
	cf.chroot = conf.chroot;
	cf.nofile = WORKER_NOFILE;
	cf.fsize = fsize.rlim_cur;
	cf.filter = &worker_filter;
	if (conf.template) {
		cf.prog = "template";
		cf.filter = &template_filter;
		cf.nproc = RLIM_INFINITY;
	}
	if (confine(&cf) == -1)
		fatalx("%s", confine_error());
	if (conf.template) {
		/* Returns in a new worker only, on its own channel. */
		template_run(&chan, &slot);
		conf.template = 0;
		conf.slot = slot;
		(void)snprintf(name, sizeof(name), "worker %s/%u",
		    conf.listener, conf.slot);
		/* Not log_init(): tzset() would look for a file. */
		log_procname(name);
		if (audit_init(&chan, conf.slot) == -1)
			fatalx("audit: libsodium");
		/* The template's filter stays, under this stricter one. */
		cf.prog = "postern-worker";
		cf.filter = &worker_filter;
		cf.nproc = 0;
		if (confine_stack(&cf) == -1)
			fatalx("%s", confine_error());
	}
	/*
	 * What the set-up used and freed (libseccomp's making of the
	 * filter, most of it, 50 KiB) goes back: a worker waiting in the
	 * pool holds no more than one at rest in a session.
	 */
	rest_give_back(&chan, NULL);
	if (msg_compose(&chan, MSG_READY, 0, -1, NULL, 0) == -1 ||
	    msg_send(&chan, READY_TIMEOUT_MS) == -1)
		fatal("send ready");
	log_debug("ready");
	/*
	 * With a policy store the master sends MSG_W_POLICYD right after
	 * the config slice, or once policyd is ready if it is down: until
	 * then every verdict fails closed.  Without one sessions are
	 * relayed with no verdicts at all.
	 */
	if (conf.timeout_policy > 0) {
		msgchan_init(&policyd.ch, -1, MSGCHAN_FDS, 0);
		env.policy = &policyd;
	}
	/*
	 * Idle: wait for a session (two messages, client then upstream),
	 * run it, be idle again.  keyd says nothing unasked: while idle,
	 * anything on its channel is its end.
	 */
	chan_loop_init(&loop, &chan);
	loop.master_msg = master_msg;
	loop.hook = idle_hook;
	loop.hook_fd = keyproxy_fd();
	chan_loop_run(&loop);
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
	if (c->template > 1) {
		log_warnx("config: template %u: neither 0 nor 1", c->template);
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

/*
 * A message from the master.  Any surprise on the channel ends the
 * worker: the master replaces it.
 */
static void
master_msg(struct chan_loop *l, struct msg *m)
{
	struct worker_upstream	 up;
	static int		 transparent;
	int			 rc;

	switch (m->hdr.type) {
	case MSG_W_SESSION:
		if (client != -1 || m->len != sizeof(sess) || m->fd == -1)
			break;
		memcpy(&sess, m->body, sizeof(sess));
		client = m->fd;
		l->hook_fd = -1;
		l->hook_ms = -1;
		/* login proxy: no upstream yet; relay_run() asks for it. */
		if (!conf.login_proxy)
			return;
		m->fd = -1;
		up.error = 0;
		goto session;
	case MSG_W_CONNECTED:
		/*
		 * login proxy: the answer to a MSG_W_CONNECT of the session
		 * that just ended, which no longer wants it.
		 */
		if (!conf.login_proxy || client != -1 ||
		    m->len != sizeof(struct worker_connected) ||
		    memcmp(m->body, &sess.id, sizeof(sess.id)) != 0)
			break;
		if (m->fd != -1)
			close(m->fd);
		m->fd = -1;
		return;
	case MSG_W_UPSTREAM:
		if (client == -1 || m->len != sizeof(up) || conf.login_proxy)
			break;
		memcpy(&up, m->body, sizeof(up));
		if (up.id != sess.id || (m->fd == -1) == (up.error == 0))
			break;
 session:
		if (env.policy == NULL && !transparent++)
			log_debug("no policy store: sessions are relayed "
			    "without verdicts");
		log_debug("session %llu from %s port %u",
		    (unsigned long long)sess.id, sess.client_addr,
		    sess.client_port);
		/* relay_run() closes both. */
		rc = relay_run(&conf, &env, &chan, &sess, client, m->fd,
		    up.error);
		client = -1;
		l->hook_fd = keyproxy_fd();
		if (msg_flush(&chan) == -1)
			fatal("write to the master");
		/* Idle: the session's pages go back if no next one comes. */
		l->hook_ms = WORKER_REST_MS;
		/* A key holder that broke its protocol is one to get away
		 * from. */
		if (rc == -1 || keyproxy_lost()) {
			(void)msg_send(&chan, READY_TIMEOUT_MS);
			_exit(0);
		}
		return;
	case MSG_W_POLICYD:
	case MSG_W_KEYHOLDER:
		if (client != -1 || daemon_channel(m) == -1)
			break;
		l->hook_fd = keyproxy_fd();
		return;
	case MSG_W_AUDIT:
		/* A segment of the slot's log (audit.h). */
		if (audit_msg(m) == -1) {
			m->fd = -1;
			break;
		}
		return;
	case MSG_W_KICK:
	case MSG_W_PROGRESS_ASK:
		/* For a session that has ended since: nothing to do. */
		if (m->fd != -1 || m->len != (m->hdr.type == MSG_W_KICK ?
		    sizeof(struct worker_kick) :
		    sizeof(struct worker_progress_ask)))
			break;
		return;
	case MSG_SHUTDOWN:
		if (m->fd != -1 || m->len != sizeof(struct worker_shutdown))
			break;
		log_debug("shutdown");
		_exit(0);
	}
	log_warnx("master sent type %u, %zu bytes%s while %s", m->hdr.type,
	    m->len, m->fd != -1 ? " and a descriptor" : "", client != -1 ?
	    "waiting for the upstream" : "idle");
	_exit(1);
}

/*
 * While idle: WORKER_REST_MS passed without a session (revents 0), or
 * keyd restarted.  The master sends a channel to the new keyd when it is
 * ready; until then a handshake fails.
 */
static void
idle_hook(struct chan_loop *l, short revents)
{
	if (revents == 0) {
		rest_give_back(&chan, env.policy != NULL ?
		    &env.policy->ch : NULL);
		l->hook_ms = -1;
		return;
	}
	log_warnx("keyd gone: TLS waits for its restart");
	keyproxy_gone();
	l->hook_fd = keyproxy_fd();
}

/*
 * A channel to postern-policyd (proto_policy.h), for the verdict
 * queries, or to postern-keyd (proto_tls.h), for the handshakes: the
 * first, or one to a daemon that restarted, which replaces the old one
 * (relay.c takes them during a session).  Empty body.  0, or -1: not
 * one this worker takes.
 */
static int
daemon_channel(struct msg *m)
{
	if (m->len != 0 || m->fd == -1)
		return -1;
	switch (m->hdr.type) {
	case MSG_W_POLICYD:
		if (env.policy == NULL)
			return -1;
		policyd_start(m->fd, &conf);
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
policyd_start(int fd, const struct worker_config *c)
{
	/* policyd has the same limit for this channel, from the master. */
	if (policy_client_renew(&policyd, fd, policy_query_max(c)) == -1)
		fatal("policyd channel");
	env.policy = &policyd;
	if (policy_client_start(&policyd, POLICYD_HELLO_MS) == -1)
		log_warn("no hello from postern-policyd: verdicts fail "
		    "closed");
	else
		log_debug("policy enforced: verdicts from postern-policyd");
}
