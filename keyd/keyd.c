/*
 * postern-keyd: the key holder.  It reads the TLS private keys posternd
 * names, before its chroot, and from then on only signs and decrypts for
 * the workers, each over its own socketpair (proto_keyd.h).  A worker's
 * OpenSSL forwards every private-key operation here (tls_keyproxy.c), so
 * no worker ever maps a key: a worker taken over can ask for signatures
 * while its session lasts, but it cannot carry the key away.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* RSA and ECDSA on the keys themselves: the 1.1 API says it directly. */
#define OPENSSL_API_COMPAT 0x10100000L
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <bsd/sys/queue.h>

#include "child_chan.h"
#include "log.h"
#include "msg.h"
#include "privdrop.h"
#include "proto.h"
#include "proto_keyd.h"
#include "sandbox.h"
#include "stdio_detach.h"

#define READY_TIMEOUT_MS	5000

struct wchan {
	TAILQ_ENTRY(wchan)	 entry;
	struct msgchan		 ch;
};
TAILQ_HEAD(wchanlist, wchan);

static struct wchanlist	 wchans = TAILQ_HEAD_INITIALIZER(wchans);
static EVP_PKEY		*keys[KEYD_KEYS_MAX];
static uint32_t		 nkeys;

static void	 config_read(struct msgchan *, struct keyd_config *);
static void	 keys_read(struct msgchan *, const struct keyd_config *);
static void	 confine(const struct keyd_config *);
static int	 sandbox_keyd_load(void);
static void	 serve(struct msgchan *) __attribute__((noreturn));
static void	 master_msg(const struct msg *);
static int	 wchan_msg(struct wchan *, const struct msg *);
static void	 wchan_end(struct wchan *, const char *);

int
main(int argc, char *argv[])
{
	struct keyd_config	 conf;
	struct msgchan		 chan;

	(void)argv;
	log_init(1, 0, "postern-keyd");
	log_child();
	if (argc != 1)
		fatalx("usage: postern-keyd (started by posternd only)");
	child_chan_check(KEYD_CHAN_FD, "postern-keyd");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal SIGPIPE");
	msgchan_init(&chan, KEYD_CHAN_FD, MSGCHAN_FDS, 0);
	config_read(&chan, &conf);
	log_init(1, (int)conf.verbose, "keyd");
	log_to_channel(&chan);
	stdio_detach();
	keys_read(&chan, &conf);
	confine(&conf);
	if (msg_compose(&chan, MSG_READY, 0, -1, NULL, 0) == -1 ||
	    msg_send(&chan, READY_TIMEOUT_MS) == -1)
		fatal("send ready");
	log_debug("ready, %u keys", nkeys);
	serve(&chan);
}

static void
config_read(struct msgchan *chan, struct keyd_config *c)
{
	child_config_read(chan, MSG_K_CONFIG, c, sizeof(*c));
	if (memchr(c->chroot, '\0', sizeof(c->chroot)) == NULL ||
	    c->chroot[0] != '/')
		fatalx("config: chroot is not an absolute path");
	if (c->uid == 0 || c->gid == 0)
		fatalx("config: uid %u gid %u: keyd never runs as root",
		    c->uid, c->gid);
	if (c->nkeys == 0 || c->nkeys > KEYD_KEYS_MAX ||
	    c->max_workers == 0 || c->max_workers > 60000)
		fatalx("config: %u keys, %u workers out of range", c->nkeys,
		    c->max_workers);
}

/* Only RSA and EC keys: the operations keyd knows are theirs. */
static EVP_PKEY *
key_load(const char *path)
{
	EVP_PKEY	*k;
	FILE		*fp;

	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("key %s", path);
		return NULL;
	}
	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	if (k == NULL) {
		log_warnx("key %s: %s", path,
		    ERR_reason_error_string(ERR_get_error()));
		return NULL;
	}
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA &&
	    EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		log_warnx("key %s: neither RSA nor EC", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static void
keys_read(struct msgchan *chan, const struct keyd_config *c)
{
	struct keyd_key	 k;
	struct msg	 m;
	int		 rc;

	while (nkeys < c->nkeys) {
		if ((rc = msg_wait(chan, &m, CHILD_CONFIG_TIMEOUT_MS)) == -1)
			fatal("waiting for the keys");
		if (rc == 0)
			fatalx("no key %u from the master", nkeys);
		if (m.fd != -1)
			close(m.fd);
		if (m.hdr.type != MSG_K_KEY || m.len != sizeof(k) ||
		    m.fd != -1)
			fatalx("master sent type %u, %zu bytes, instead of "
			    "key %u", m.hdr.type, m.len, nkeys);
		memcpy(&k, m.body, sizeof(k));
		if (k.index != nkeys ||
		    memchr(k.path, '\0', sizeof(k.path)) == NULL)
			fatalx("key %u: malformed", nkeys);
		if ((keys[nkeys] = key_load(k.path)) == NULL)
			fatalx("key %u (%s) not loaded", nkeys, k.path);
		nkeys++;
	}
}

static void
confine(const struct keyd_config *c)
{
	struct privdrop_limits	 lim = { .nofile = 16 + c->max_workers };

	if (privdrop_id(c->uid, c->gid, c->chroot) == -1)
		fatalx("%s", privdrop_error());
	if (privdrop_limits(&lim) == -1)
		fatalx("%s", privdrop_error());
	if (sandbox_keyd_load() == -1)
		fatalx("%s", sandbox_error());
}

static int
sandbox_keyd_load(void)
{
	struct sandbox	*sb;

	if ((sb = sandbox_new()) == NULL)
		return -1;
	/*
	 * SB_STDIO: read/write/close, malloc for OpenSSL's bignums,
	 * getrandom for the blinding and ECDSA nonces, getpid, exit.
	 * SB_POLL: the loop over the channels; msg_send's ppoll.
	 * SB_SOCKIO: shutdown of a channel being ended.
	 * SB_FDPASS: recvmsg of worker channels from the master.
	 * SB_TIME: clock_gettime where the vDSO cannot answer.
	 */
	if (sandbox_allow_group(sb, SB_STDIO) == -1 ||
	    sandbox_allow_group(sb, SB_POLL) == -1 ||
	    sandbox_allow_group(sb, SB_SOCKIO) == -1 ||
	    sandbox_allow_group(sb, SB_FDPASS) == -1 ||
	    sandbox_allow_group(sb, SB_TIME) == -1) {
		sandbox_free(sb);
		return -1;
	}
#ifdef POSTERN_SANDBOX_DEBUG
	/*
	 * Chosen when building (make SANDBOX_DEBUG=1), never at run time,
	 * so nothing a child inherits can turn its filter's kill off.
	 */
	sandbox_debug(sb);
#endif
	return sandbox_load(sb);
}

static void
master_msg(const struct msg *m)
{
	struct wchan	*w;
	int		 fl;

	switch (m->hdr.type) {
	case MSG_K_WORKER:
		if (m->len != 0 || m->fd == -1)
			break;
		if ((w = calloc(1, sizeof(*w))) == NULL)
			fatal("calloc");
		if ((fl = fcntl(m->fd, F_GETFL)) == -1 ||
		    fcntl(m->fd, F_SETFL, fl | O_NONBLOCK) == -1)
			fatal("fcntl worker channel");
		msgchan_init(&w->ch, m->fd, 0, sizeof(struct keyd_request));
		TAILQ_INSERT_TAIL(&wchans, w, entry);
		return;
	case MSG_SHUTDOWN:
		if (m->len != 0 || m->fd != -1)
			break;
		_exit(0);
	}
	fatalx("master sent type %u, %zu bytes%s", m->hdr.type, m->len,
	    m->fd != -1 ? " and a descriptor" : "");
}

static void
wchan_end(struct wchan *w, const char *why)
{
	if (why != NULL)
		log_warnx("worker channel: %s: closed", why);
	TAILQ_REMOVE(&wchans, w, entry);
	close(w->ch.fd);
	msgchan_clear(&w->ch);
	free(w);
}

/* The operation itself, on a key whose type fits it; -1: refused. */
static int
key_op(const struct keyd_request *q, struct keyd_answer *a)
{
	EVP_PKEY	*k;
	unsigned int	 siglen;
	int		 n;

	if (q->key >= nkeys || q->len > sizeof(q->data))
		return -1;
	k = keys[q->key];
	switch (q->op) {
	case KEYD_RSA_PRIV_ENC:
	case KEYD_RSA_PRIV_DEC:
		if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA ||
		    (size_t)EVP_PKEY_get_size(k) > sizeof(a->data))
			return -1;
		if (q->op == KEYD_RSA_PRIV_ENC)
			n = RSA_private_encrypt((int)q->len, q->data, a->data,
			    (RSA *)EVP_PKEY_get0_RSA(k), (int)q->padding);
		else
			n = RSA_private_decrypt((int)q->len, q->data, a->data,
			    (RSA *)EVP_PKEY_get0_RSA(k), (int)q->padding);
		a->status = n < 0 ? -1 : 0;
		a->len = n < 0 ? 0 : (uint32_t)n;
		return 0;
	case KEYD_ECDSA_SIGN:
		if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
		    (size_t)ECDSA_size(EVP_PKEY_get0_EC_KEY(k)) >
		    sizeof(a->data))
			return -1;
		siglen = 0;
		n = ECDSA_sign(0, q->data, (int)q->len, a->data, &siglen,
		    (EC_KEY *)EVP_PKEY_get0_EC_KEY(k));
		a->status = n == 1 ? 0 : -1;
		a->len = n == 1 ? siglen : 0;
		return 0;
	}
	return -1;
}

/* -1: the channel is to end. */
static int
wchan_msg(struct wchan *w, const struct msg *m)
{
	struct keyd_request	 q;
	struct keyd_answer	 a;

	if (m->fd != -1) {
		close(m->fd);
		return -1;
	}
	if (m->hdr.type != MSG_K_REQUEST || m->len != sizeof(q)) {
		log_warnx("worker pid %u: sent type %u, %zu bytes",
		    m->hdr.pid, m->hdr.type, m->len);
		return -1;
	}
	memcpy(&q, m->body, sizeof(q));
	memset(&a, 0, sizeof(a));
	if (key_op(&q, &a) == -1) {
		log_warnx("worker pid %u: refused op %u on key %u, %u bytes",
		    m->hdr.pid, q.op, q.key, q.len);
		return -1;
	}
	if (a.status != 0)
		log_warnx("worker pid %u: op %u on key %u failed: %s",
		    m->hdr.pid, q.op, q.key,
		    ERR_reason_error_string(ERR_get_error()));
	ERR_clear_error();
	if (msg_compose(&w->ch, MSG_K_ANSWER, 0, -1, &a, sizeof(a)) == -1)
		return -1;
	explicit_bzero(&q, sizeof(q));
	return 0;
}

static void
serve(struct msgchan *master)
{
	struct pollfd	*pfd = NULL;
	struct wchan	*w, *wnext;
	struct msg	 m;
	size_t		 n, i, max = 0;
	int		 rc, r;

	for (;;) {
		while ((rc = msg_get(master, &m)) == 1)
			master_msg(&m);
		if (master->eof || (rc == -1 && (master->error == EPIPE ||
		    master->error == ECONNRESET)))
			_exit(0);
		if (rc == -1)
			fatal("channel to the master");
		TAILQ_FOREACH_SAFE(w, &wchans, entry, wnext) {
			r = 0;
			/* One answer at a time: a worker must read it. */
			while (!msg_pending(&w->ch) &&
			    (r = msg_get(&w->ch, &m)) == 1)
				if (wchan_msg(w, &m) == -1) {
					r = -2;
					break;
				}
			if (r < 0)
				wchan_end(w, r == -1 ? strerror(w->ch.error) :
				    "protocol error");
			else if (w->ch.eof)
				wchan_end(w, NULL);
		}
		n = 1;
		TAILQ_FOREACH(w, &wchans, entry)
			n++;
		if (n > max) {
			if ((pfd = reallocarray(pfd, n, sizeof(*pfd))) == NULL)
				fatal("reallocarray");
			max = n;
		}
		pfd[0].fd = master->fd;
		pfd[0].events = POLLIN | (msg_pending(master) ? POLLOUT : 0);
		i = 1;
		TAILQ_FOREACH(w, &wchans, entry) {
			pfd[i].fd = w->ch.fd;
			pfd[i].events = msg_pending(&w->ch) ? POLLOUT : POLLIN;
			i++;
		}
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    msg_read(master) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK) {
			if (errno == ECONNRESET)
				_exit(0);
			fatal("read from the master");
		}
		if ((pfd[0].revents & POLLOUT) && msg_flush(master) == -1) {
			if (errno == EPIPE || errno == ECONNRESET)
				_exit(0);
			fatal("write to the master");
		}
		i = 1;
		TAILQ_FOREACH_SAFE(w, &wchans, entry, wnext) {
			short	 rev = pfd[i++].revents;

			if ((rev & POLLOUT) && msg_flush(&w->ch) == -1) {
				wchan_end(w, strerror(errno));
				continue;
			}
			if ((rev & (POLLIN | POLLHUP | POLLERR)) &&
			    msg_read(&w->ch) == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK)
				wchan_end(w, strerror(errno));
		}
	}
}
