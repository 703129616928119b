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

#include "chan_loop.h"
#include "child_chan.h"
#include "confine.h"
#include "log.h"
#include "msg.h"
#include "proto.h"
#include "proto_keyd.h"

#define READY_TIMEOUT_MS	5000

/*
 * keyd's allow-list: its keys are in memory before the filter, and from
 * then on it only reads requests, computes, and writes answers.
 */
static const enum sandbox_group keyd_groups[] = {
	/*
	 * close, malloc for OpenSSL's bignums, getrandom for the blinding
	 * and ECDSA nonces, futex for OpenSSL's run-once, getpid, exit.
	 */
	SB_STDIO,
	/* The loop over the channels (chan_loop.c), msg_send(). */
	SB_POLL,
	/*
	 * recvmsg of worker channels from the master, made non-blocking;
	 * sendmsg of answers.  No SB_SOCKIO: the channels are all framed
	 * messages (msg.c).
	 */
	SB_FDPASS,
	/* msg_send()'s timeout. */
	SB_TIME,
};

static const struct sandbox_list keyd_filter = {
	keyd_groups, sizeof(keyd_groups) / sizeof(keyd_groups[0]), NULL, 0,
};

static EVP_PKEY		*keys[KEYD_KEYS_MAX];
static uint32_t		 nkeys;

static void	 config_check(const struct keyd_config *);
static void	 keys_read(struct msgchan *, const struct keyd_config *);
static void	 master_msg(struct chan_loop *, struct msg *);
static int	 wchan_msg(struct wchan *, const struct msg *);

int
main(int argc, char *argv[])
{
	struct keyd_config	 conf;
	struct msgchan		 chan;
	struct confine		 cf;
	struct chan_loop	 loop;

	(void)argv;
	child_begin(argc, "postern-keyd", &chan, KEYD_CHAN_FD, MSGCHAN_FDS,
	    0);
	child_config_read(&chan, MSG_K_CONFIG, &conf, sizeof(conf));
	config_check(&conf);
	child_detach(&chan, "keyd", (int)conf.verbose);
	keys_read(&chan, &conf);
	memset(&cf, 0, sizeof(cf));
	cf.prog = "postern-keyd";
	cf.uid = conf.uid;
	cf.gid = conf.gid;
	cf.chroot = conf.chroot;
	/* posternd counted: KEYD_NOFILE_FIXED and the TLS workers. */
	cf.nofile = conf.nofile;
	cf.filter = &keyd_filter;
	if (confine(&cf) == -1)
		fatalx("%s", confine_error());
	if (msg_compose(&chan, MSG_READY, 0, -1, NULL, 0) == -1 ||
	    msg_send(&chan, READY_TIMEOUT_MS) == -1)
		fatal("send ready");
	log_debug("ready, %u keys", nkeys);
	chan_loop_init(&loop, &chan);
	loop.master_msg = master_msg;
	loop.peer_msg = wchan_msg;
	chan_loop_run(&loop);
}

static void
config_check(const struct keyd_config *c)
{
	if (memchr(c->chroot, '\0', sizeof(c->chroot)) == NULL ||
	    c->chroot[0] != '/')
		fatalx("config: chroot is not an absolute path");
	if (c->uid == 0 || c->gid == 0)
		fatalx("config: uid %u gid %u: keyd never runs as root",
		    c->uid, c->gid);
	if (c->nkeys == 0 || c->nkeys > KEYD_KEYS_MAX ||
	    c->nofile <= KEYD_NOFILE_FIXED)
		fatalx("config: %u keys, %u descriptors out of range",
		    c->nkeys, c->nofile);
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
master_msg(struct chan_loop *l, struct msg *m)
{
	switch (m->hdr.type) {
	case MSG_K_WORKER:
		/* The header's peer id is the worker's slot (child.c). */
		if (m->len != 0 || m->fd == -1)
			break;
		(void)chan_loop_add(l, m->fd, m->hdr.peerid, 0,
		    sizeof(struct keyd_request));
		return;
	case MSG_SHUTDOWN:
		if (m->len != 0 || m->fd != -1)
			break;
		_exit(0);
	}
	fatalx("master sent type %u, %zu bytes%s", m->hdr.type, m->len,
	    m->fd != -1 ? " and a descriptor" : "");
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
