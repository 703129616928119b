/*
 * The worker's half of the key holder (tls_keyproxy.h).  OpenSSL 3 still
 * runs an RSA or EC_KEY whose method is not its own through the legacy
 * code paths, which call the method for the private operation alone:
 * RSA_private_encrypt with the padding libssl chose (PKCS#1 v1.5, or
 * none for PSS, which OpenSSL encodes itself), RSA_private_decrypt for a
 * TLS 1.2 RSA key exchange, ECDSA_sign of the digest.  So the proxy key
 * holds only the public numbers, and each of those calls is one round
 * trip to postern-keyd.
 */
#include <sys/time.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* RSA_METHOD and EC_KEY_METHOD are the 1.1 API; OpenSSL 3 keeps them. */
#define OPENSSL_API_COMPAT 0x10100000L
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "log.h"
#include "msg.h"
#include "proto_keyd.h"
#include "tls_keyproxy.h"

/* keyd answers in microseconds; this is for a keyd that is gone. */
#define KEYD_TIMEOUT_MS	5000

static struct msgchan	 chan = { .fd = -1 };
static RSA_METHOD	*rsa_meth;
static EC_KEY_METHOD	*ec_meth;
static int		 rsa_idx = -1, ec_idx = -1;
static uint64_t		 nreq, usec;
static int		 lost;		/* keyd broken: the worker is done */

void
keyproxy_channel(int fd)
{
	keyproxy_gone();
	/* The bound is for both ways: requests are the larger. */
	msgchan_init(&chan, fd, 0, sizeof(struct keyd_request));
	lost = 0;
}

void
keyproxy_gone(void)
{
	if (chan.fd == -1)
		return;
	close(chan.fd);
	msgchan_clear(&chan);
	chan.fd = -1;
}

int
keyproxy_has_channel(void)
{
	return chan.fd != -1;
}

int
keyproxy_lost(void)
{
	return lost;
}

int
keyproxy_fd(void)
{
	return chan.fd;
}

void
keyproxy_stats(uint64_t *count, uint64_t *us)
{
	*count = nreq;
	*us = usec;
}

static int64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One request, one answer; the answer's length, or -1. */
static int
keyd_call(uint32_t key, uint32_t op, int padding, const uint8_t *in,
    size_t inlen, uint8_t *out, size_t outmax)
{
	struct keyd_request	 q;
	struct keyd_answer	 a;
	struct msg		 m;
	int64_t			 t0 = now_us();
	int			 rc, err;

	if (chan.fd == -1 || inlen > sizeof(q.data)) {
		log_warnx("key %u: no channel to keyd, or %zu bytes", key,
		    inlen);
		return -1;
	}
	memset(&q, 0, sizeof(q));
	q.key = key;
	q.op = op;
	q.padding = (uint32_t)padding;
	q.len = (uint32_t)inlen;
	memcpy(q.data, in, inlen);
	if (msg_compose(&chan, MSG_K_REQUEST, 0, -1, &q, sizeof(q)) == -1 ||
	    msg_send(&chan, KEYD_TIMEOUT_MS) == -1) {
		err = errno;
		log_warn("request to keyd");
		goto fail;
	}
	if ((rc = msg_wait(&chan, &m, KEYD_TIMEOUT_MS)) != 1) {
		err = rc == 0 ? ETIMEDOUT : errno;
		log_warnx("keyd: %s", rc == 0 ? "no answer" : "channel lost");
		goto fail;
	}
	if (m.fd != -1)
		close(m.fd);
	if (m.hdr.type != MSG_K_ANSWER || m.len != sizeof(a) || m.fd != -1) {
		log_warnx("keyd sent type %u, %zu bytes", m.hdr.type, m.len);
		lost = 1;
		return -1;
	}
	memcpy(&a, m.body, sizeof(a));
	nreq++;
	usec += (uint64_t)(now_us() - t0);
	if (a.status != 0 || a.len > outmax || a.len > sizeof(a.data)) {
		log_warnx("keyd: operation %u on key %u failed", op, key);
		return -1;
	}
	memcpy(out, a.data, a.len);
	return (int)a.len;
 fail:
	/* Gone, it restarts and the master sends its new channel. */
	if (err == EPIPE || err == ECONNRESET)
		keyproxy_gone();
	else
		lost = 1;
	return -1;
}

static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	uint32_t	*key = RSA_get_ex_data(rsa, rsa_idx);

	if (key == NULL || flen < 0)
		return -1;
	return keyd_call(*key, KEYD_RSA_PRIV_ENC, padding, from, (size_t)flen,
	    to, (size_t)RSA_size(rsa));
}

static int
rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
    int padding)
{
	uint32_t	*key = RSA_get_ex_data(rsa, rsa_idx);

	if (key == NULL || flen < 0)
		return -1;
	return keyd_call(*key, KEYD_RSA_PRIV_DEC, padding, from, (size_t)flen,
	    to, (size_t)RSA_size(rsa));
}

static int
ec_sign(int type, const unsigned char *dgst, int dlen, unsigned char *sig,
    unsigned int *siglen, const BIGNUM *kinv, const BIGNUM *r, EC_KEY *ec)
{
	uint32_t	*key = EC_KEY_get_ex_data(ec, ec_idx);
	int		 n;

	(void)type;
	(void)kinv;
	(void)r;
	if (key == NULL || dlen < 0)
		return 0;
	n = keyd_call(*key, KEYD_ECDSA_SIGN, 0, dgst, (size_t)dlen, sig,
	    (size_t)ECDSA_size(ec));
	if (n < 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *ec)
{
	unsigned char		 der[KEYD_DATA_MAX];
	const unsigned char	*p = der;
	unsigned int		 len;

	if ((size_t)ECDSA_size(ec) > sizeof(der) ||
	    ec_sign(0, dgst, dlen, der, &len, kinv, r, ec) != 1)
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, (long)len);
}

/* No key needs setup: keyd draws the nonces. */
static int
ec_sign_setup(EC_KEY *ec, BN_CTX *ctx, BIGNUM **kinv, BIGNUM **r)
{
	(void)ec;
	(void)ctx;
	(void)kinv;
	(void)r;
	return 1;
}

static void
ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static int
methods(void)
{
	if (rsa_meth != NULL)
		return 0;
	if ((rsa_meth = RSA_meth_dup(RSA_PKCS1_OpenSSL())) == NULL ||
	    RSA_meth_set1_name(rsa_meth, "postern-keyd") != 1 ||
	    RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc) != 1 ||
	    RSA_meth_set_priv_dec(rsa_meth, rsa_priv_dec) != 1)
		return -1;
	if ((ec_meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL())) == NULL)
		return -1;
	EC_KEY_METHOD_set_sign(ec_meth, ec_sign, ec_sign_setup, ec_sign_sig);
	rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, ex_free);
	ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, ex_free);
	return rsa_idx < 0 || ec_idx < 0 ? -1 : 0;
}

static uint32_t *
index_copy(uint32_t index)
{
	uint32_t	*p;

	if ((p = malloc(sizeof(*p))) != NULL)
		*p = index;
	return p;
}

static EVP_PKEY *
rsa_proxy(EVP_PKEY *pub, uint32_t index)
{
	const RSA	*src = EVP_PKEY_get0_RSA(pub);
	const BIGNUM	*n, *e;
	EVP_PKEY	*pk;
	RSA		*rsa;
	BIGNUM		*n2, *e2;

	if (src == NULL || (rsa = RSA_new()) == NULL)
		return NULL;
	RSA_get0_key(src, &n, &e, NULL);
	n2 = BN_dup(n);
	e2 = BN_dup(e);
	if (n2 == NULL || e2 == NULL || RSA_set0_key(rsa, n2, e2, NULL) != 1) {
		BN_free(n2);
		BN_free(e2);
		RSA_free(rsa);
		return NULL;
	}
	if (RSA_set_method(rsa, rsa_meth) != 1 ||
	    RSA_set_ex_data(rsa, rsa_idx, index_copy(index)) != 1 ||
	    (pk = EVP_PKEY_new()) == NULL) {
		RSA_free(rsa);
		return NULL;
	}
	if (EVP_PKEY_assign_RSA(pk, rsa) != 1) {
		RSA_free(rsa);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

static EVP_PKEY *
ec_proxy(EVP_PKEY *pub, uint32_t index)
{
	const EC_KEY	*src = EVP_PKEY_get0_EC_KEY(pub);
	EVP_PKEY	*pk;
	EC_KEY		*ec;

	if (src == NULL || (ec = EC_KEY_new()) == NULL)
		return NULL;
	if (EC_KEY_set_group(ec, EC_KEY_get0_group(src)) != 1 ||
	    EC_KEY_set_public_key(ec, EC_KEY_get0_public_key(src)) != 1 ||
	    EC_KEY_set_method(ec, ec_meth) != 1 ||
	    EC_KEY_set_ex_data(ec, ec_idx, index_copy(index)) != 1 ||
	    (pk = EVP_PKEY_new()) == NULL) {
		EC_KEY_free(ec);
		return NULL;
	}
	if (EVP_PKEY_assign_EC_KEY(pk, ec) != 1) {
		EC_KEY_free(ec);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

EVP_PKEY *
keyproxy_pkey(X509 *cert, uint32_t index)
{
	EVP_PKEY	*pub, *pk = NULL;

	if (methods() == -1 || (pub = X509_get0_pubkey(cert)) == NULL)
		return NULL;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		pk = rsa_proxy(pub, index);
		break;
	case EVP_PKEY_EC:
		pk = ec_proxy(pub, index);
		break;
	default:
		log_warnx("key %u: neither RSA nor EC", index);
	}
	return pk;
}
