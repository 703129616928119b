/*
 * The worker's TLS contexts and connections (tls.h).
 *
 * Client side: one SSL_CTX per certificate of the listener; the first is
 * the default, and the SNI callback moves a connection to the context
 * whose certificate names the host the client asked for.  Each context's
 * key is a proxy (tls_keyproxy.h): the key itself stays in postern-keyd.
 * Upstream side: one SSL_CTX that verifies the server's chain against
 * the CA file (or the system's, read from its file: no lazy lookups in a
 * directory the chroot hides) and its name, unless "verify off".
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "audit.h"
#include "clock.h"
#include "ja4.h"
#include "log.h"
#include "proto_keyd.h"
#include "tls.h"
#include "tls_keyproxy.h"
#include "verdict.h"

#define TLS_SETUP_TIMEOUT_MS	30000
#define TLS_CIPHERS_DEFAULT	"HIGH:!aNULL:!kRSA:!PSK:!SRP:!MD5:!RC4:!SHA1"

static struct worker_tls	 slice;
static SSL_CTX			*srv_ctx[WORKER_TLS_CERTS_MAX];
static X509			*srv_cert[WORKER_TLS_CERTS_MAX];
static unsigned int		 nsrv;
static SSL_CTX			*cli_ctx;
static SSL_SESSION		*up_session;	/* to resume upstream */
static int			 stopfd = -1;	/* the master's channel */
/* The JA4 of the client connection's ClientHello (one at a time). */
static struct {
	const SSL		*ssl;
	char			 ja4[JA4_LEN + 1];
}				 client_hello;
static int			 (*stopfn)(void *);	/* what it said */
static void			*stoparg;

static const char *
ssl_error(void)
{
	unsigned long	 e = ERR_get_error();
	const char	*s;

	ERR_clear_error();
	if (e == 0)
		return "unknown error";
	s = ERR_reason_error_string(e);
	return s != NULL ? s : "unknown error";
}

const struct worker_tls *
tls_conf(void)
{
	return &slice;
}

static enum worker_tls_mode
mode_of(enum rules_tls t)
{
	switch (t) {
	case RULES_TLS_NONE:
		return WORKER_TLS_NONE;
	case RULES_TLS_STARTTLS:
		return WORKER_TLS_STARTTLS;
	case RULES_TLS_STARTTLS_REQUIRED:
		return WORKER_TLS_STARTTLS_REQUIRED;
	default:
		return WORKER_TLS_IMPLICIT;
	}
}

static const char *
mode_name(enum worker_tls_mode m)
{
	static const char *const names[] = { "none", "starttls",
	    "starttls-required", "implicit" };

	return (unsigned)m < 4 ? names[m] : "?";
}

/*
 * What the listener lets a rule ask for.  A client of an implicit
 * listener speaks TLS from its first byte and one of a plaintext
 * listener does not, so neither can be changed into the other; STARTTLS
 * needs a certificate.  Within that the rule decides, "none" included.
 */
static int
honoured(enum worker_tls_mode want)
{
	if (slice.mode == WORKER_TLS_IMPLICIT)
		return want == WORKER_TLS_IMPLICIT;
	if (want == WORKER_TLS_IMPLICIT)
		return 0;
	return want == WORKER_TLS_NONE || nsrv > 0;
}

/*
 * The mode the verdict gives, or -1: refused.  The audit record's
 * "what" is the mode the connection gets.
 */
static int
connect_verdict(const struct worker_config *conf,
    const struct worker_session *sess, const struct verdict *v,
    enum worker_tls_mode *mode)
{
	enum worker_tls_mode	 want;

	if (v->action == RULES_ACCEPT)	/* no connect rule at all */
		return 0;
	if (v->action != RULES_TLS) {
		log_info("session %llu: connection from %s refused: no "
		    "connect rule holds (generation %llu)",
		    (unsigned long long)sess->id, sess->client_addr,
		    (unsigned long long)v->gen);
		return -1;
	}
	want = mode_of(v->tls);
	if (!honoured(want)) {
		log_info("session %llu: connect rule %s:%u asks for TLS %s, "
		    "which listener %s cannot do: %s",
		    (unsigned long long)sess->id, v->ans->file, v->ans->line,
		    mode_name(want), conf->listener, mode_name(*mode));
		return 0;
	}
	*mode = want;
	return 0;
}

int
tls_connect_mode(const struct worker_config *conf, struct policy_client *pc,
    const struct worker_session *sess, enum worker_tls_mode *mode,
    const char **why)
{
	static struct verdict_session	 vs;
	struct verdict_q		 q;
	struct verdict			 v;
	const char			*m;
	int				 rc;

	*mode = (enum worker_tls_mode)slice.mode;
	*why = NULL;
	if (pc == NULL)
		return 0;
	memset(&q, 0, sizeof(q));
	q.table = RULES_CONNECT;
	q.key = "tls";
	if ((rc = verdict_init(&vs, pc, (int)conf->timeout_policy,
	    conf->protocol == WORKER_PROTO_POP3 ? RULES_POP3 : RULES_IMAP,
	    sess)) == 0)
		rc = verdict_ask(&vs, &q, &v);
	if (rc == -1) {
		verdict_free(&vs);
		log_warnx("session %llu: no connect verdict for %s: "
		    "connection refused", (unsigned long long)sess->id,
		    sess->client_addr);
		audit_verdict("connect", "tls", NULL, 0, NULL, 0);
		*why = "[UNAVAILABLE] Policy unavailable";
		return -1;
	}
	if ((rc = connect_verdict(conf, sess, &v, mode)) == -1)
		*why = "Connection refused";
	m = rc == 0 ? mode_name(*mode) : NULL;
	audit_verdict("connect", "tls", m, m != NULL ? strlen(m) : 0, v.ans,
	    v.cached);
	/* Not before: v's answer is the session's, which this frees. */
	verdict_free(&vs);
	return rc;
}

static void
ctx_common(SSL_CTX *ctx)
{
	int	 max = slice.max_version ? (int)slice.max_version :
		    TLS1_3_VERSION;

	if (SSL_CTX_set_min_proto_version(ctx, (int)slice.min_version) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, max) != 1)
		fatalx("TLS versions %#x-%#x: %s", slice.min_version, max,
		    ssl_error());
	/*
	 * Forward secrecy only: a TLS 1.2 RSA key exchange would be a
	 * decryption by keyd with the padding only OpenSSL's provider
	 * knows (implicit rejection), and is RFC 9325's "SHOULD NOT".
	 */
	if (SSL_CTX_set_cipher_list(ctx, slice.ciphers[0] != '\0' ?
	    slice.ciphers : TLS_CIPHERS_DEFAULT) != 1)
		fatalx("tls ciphers \"%s\": %s", slice.ciphers, ssl_error());
	if (slice.ciphersuites[0] != '\0' &&
	    SSL_CTX_set_ciphersuites(ctx, slice.ciphersuites) != 1)
		fatalx("tls ciphersuites \"%s\": %s", slice.ciphersuites,
		    ssl_error());
	if (slice.groups[0] != '\0' &&
	    SSL_CTX_set1_groups_list(ctx, slice.groups) != 1)
		fatalx("tls groups \"%s\": %s", slice.groups, ssl_error());
	/*
	 * Partial writes and a moving buffer: the relay writes what a
	 * socket takes and retries from its output buffer.
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/*
	 * A peer that closes without close_notify ends its side like any
	 * other EOF: IMAP's own LOGOUT/BYE says whether anything was cut.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_IGNORE_UNEXPECTED_EOF);
}

/* SNI: the context whose certificate names the host, else the first. */
static int
sni_cb(SSL *ssl, int *alert, void *arg)
{
	const char	*name;
	unsigned int	 i;

	(void)alert;
	(void)arg;
	if ((name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) ==
	    NULL)
		return SSL_TLSEXT_ERR_NOACK;
	for (i = 0; i < nsrv; i++)
		if (X509_check_host(srv_cert[i], name, 0, 0, NULL) == 1) {
			if (i > 0)
				(void)SSL_set_SSL_CTX(ssl, srv_ctx[i]);
			return SSL_TLSEXT_ERR_OK;
		}
	return SSL_TLSEXT_ERR_OK;
}

/* One certificate's context: the chain from the master, a proxy key. */
static void
server_ctx(const char *pem, size_t len, uint32_t key)
{
	SSL_CTX		*ctx;
	EVP_PKEY	*pk;
	BIO		*bio;
	X509		*x, *ca;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		fatalx("SSL_CTX_new: %s", ssl_error());
	ctx_common(ctx);
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL)
		fatalx("certificate of key %u: %s", key, ssl_error());
	if (SSL_CTX_use_certificate(ctx, x) != 1)
		fatalx("certificate of key %u: %s", key, ssl_error());
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1)
			fatalx("chain of key %u: %s", key, ssl_error());
	ERR_clear_error();
	BIO_free(bio);
	if ((pk = keyproxy_pkey(x, key)) == NULL)
		fatalx("proxy for key %u: %s", key, ssl_error());
	if (SSL_CTX_use_PrivateKey(ctx, pk) != 1)
		fatalx("key %u does not match its certificate: %s", key,
		    ssl_error());
	EVP_PKEY_free(pk);
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	/* Sessions stay in this process: no tickets a peer worker reads. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	srv_ctx[nsrv] = ctx;
	srv_cert[nsrv] = x;
	nsrv++;
}

/*
 * The upstream's last session ticket, for the next session of this
 * worker: one worker, one upstream, so a resumption saves the server's
 * handshake and ours the certificate check, whose result the session
 * keeps.  A ticket stays in this process.
 */
static int
new_session(SSL *ssl, SSL_SESSION *sess)
{
	(void)ssl;
	if (up_session != NULL)
		SSL_SESSION_free(up_session);
	up_session = sess;
	return 1;
}

static void
client_ctx(void)
{
	const char	*ca = slice.up_ca[0] != '\0' ? slice.up_ca :
			    X509_get_default_cert_file();

	if ((cli_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		fatalx("SSL_CTX_new: %s", ssl_error());
	ctx_common(cli_ctx);
	SSL_CTX_set_session_cache_mode(cli_ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(cli_ctx, new_session);
	/* posternd logs "verify off" at every start and reload. */
	if (!slice.up_verify) {
		SSL_CTX_set_verify(cli_ctx, SSL_VERIFY_NONE, NULL);
		return;
	}
	/* Read now, whole: after the chroot there is no file to read. */
	if (SSL_CTX_load_verify_file(cli_ctx, ca) != 1)
		fatalx("CA file %s: %s", ca, ssl_error());
	SSL_CTX_set_verify(cli_ctx, SSL_VERIFY_PEER, NULL);
}

void
tls_setup(struct msgchan *chan, int template)
{
	struct msg	 m;
	unsigned int	 got = 0, have_slice = 0;
	int		 rc;

	while (!have_slice || got < slice.ncerts) {
		if ((rc = msg_wait(chan, &m, TLS_SETUP_TIMEOUT_MS)) == -1)
			fatal("waiting for the TLS slice");
		if (rc == 0)
			fatalx("no TLS slice from the master");
		if (m.hdr.type == MSG_W_KEYHOLDER && !have_slice &&
		    m.len == 0 && m.fd != -1 && !keyproxy_has_channel()) {
			keyproxy_channel(m.fd);
			continue;
		}
		if (m.fd != -1)
			close(m.fd);
		if (m.hdr.type == MSG_W_TLS && !have_slice &&
		    m.len == sizeof(slice) && m.fd == -1) {
			memcpy(&slice, m.body, sizeof(slice));
			if (slice.ncerts > WORKER_TLS_CERTS_MAX ||
			    memchr(slice.ciphers, '\0', WORKER_TLS_STR_MAX) ==
			    NULL || memchr(slice.ciphersuites, '\0',
			    WORKER_TLS_STR_MAX) == NULL || memchr(slice.groups,
			    '\0', WORKER_TLS_STR_MAX) == NULL ||
			    memchr(slice.up_ca, '\0', WORKER_TLS_STR_MAX) ==
			    NULL || memchr(slice.up_name, '\0',
			    WORKER_TLS_STR_MAX) == NULL ||
			    (slice.mode != WORKER_TLS_NONE &&
			    (slice.ncerts == 0 || (!template &&
			    !keyproxy_has_channel()))))
				fatalx("TLS slice refused");
			have_slice = 1;
			continue;
		}
		if (m.hdr.type == MSG_W_TLS_CERT && have_slice &&
		    got < slice.ncerts && m.fd == -1 && m.len > 0) {
			server_ctx(m.body, m.len, m.hdr.peerid);
			got++;
			continue;
		}
		fatalx("master sent type %u, %zu bytes, during TLS setup",
		    m.hdr.type, m.len);
	}
	/*
	 * No TLS on either leg: OpenSSL is left alone, not initialised, so
	 * none of its configuration, providers and tables take this worker's
	 * memory.
	 */
	if (slice.ncerts == 0 && slice.up_mode == WORKER_UPTLS_NONE)
		return;
	if (slice.up_mode != WORKER_UPTLS_NONE)
		client_ctx();
	/* The DRBG seeds itself now, while getrandom is still allowed. */
	if (RAND_status() != 1)
		fatalx("RAND_status: no entropy");
}

/*
 * OpenSSL's message callback, on the client side's connection until its
 * first ClientHello: the message's bytes, header and all, which JA4 is
 * made of (ja4.h).  A later ClientHello (after a HelloRetryRequest) is
 * not the fingerprint's.
 */
static void
hello_cb(int write_p, int version, int type, const void *buf, size_t len,
    SSL *ssl, void *arg)
{
	const uint8_t	*m = buf;

	(void)version;
	(void)arg;
	if (write_p || type != SSL3_RT_HANDSHAKE || len < 4 ||
	    m[0] != SSL3_MT_CLIENT_HELLO || ssl != client_hello.ssl)
		return;
	if (ja4_client_hello(m, len, client_hello.ja4, NULL, 0) == -1)
		log_debug("JA4: a ClientHello of %zu bytes not understood",
		    len);
	SSL_set_msg_callback(ssl, NULL);
}

SSL *
tls_server_new(int fd)
{
	SSL	*ssl;

	if (nsrv == 0 || (ssl = SSL_new(srv_ctx[0])) == NULL)
		return NULL;
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	client_hello.ssl = ssl;
	client_hello.ja4[0] = '\0';
	SSL_set_msg_callback(ssl, hello_cb);
	SSL_set_accept_state(ssl);
	return ssl;
}

const char *
tls_ja4(const SSL *ssl)
{
	if (ssl == NULL || ssl != client_hello.ssl ||
	    client_hello.ja4[0] == '\0')
		return NULL;
	return client_hello.ja4;
}

SSL *
tls_client_new(int fd)
{
	X509_VERIFY_PARAM	*vp;
	SSL			*ssl;
	int			 isip;

	if (cli_ctx == NULL || (ssl = SSL_new(cli_ctx)) == NULL)
		return NULL;
	vp = SSL_get0_param(ssl);
	isip = X509_VERIFY_PARAM_set1_ip_asc(vp, slice.up_name) == 1;
	/* An address is checked as one, and is no SNI (RFC 6066). */
	if ((!isip && (SSL_set_tlsext_host_name(ssl, slice.up_name) != 1 ||
	    SSL_set1_host(ssl, slice.up_name) != 1)) ||
	    SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	ERR_clear_error();
	if (up_session != NULL && SSL_SESSION_is_resumable(up_session))
		(void)SSL_set_session(ssl, up_session);
	SSL_set_connect_state(ssl);
	return ssl;
}

/* What SSL_get_error says, as poll events; 0: a real failure. */
static short
want(SSL *ssl, int rv)
{
	switch (SSL_get_error(ssl, rv)) {
	case SSL_ERROR_WANT_READ:
		return POLLIN;
	case SSL_ERROR_WANT_WRITE:
		return POLLOUT;
	default:
		return 0;
	}
}

void
tls_set_stop(int fd, int (*stop)(void *), void *arg)
{
	stopfd = fd;
	stopfn = stop;
	stoparg = arg;
}

int
tls_wait(int fd, short events, int64_t deadline, uint64_t id)
{
	struct pollfd	 pfd[2];
	int64_t		 now;

	for (;;) {
		if ((now = now_ms()) >= deadline)
			return 1;
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[1].fd = stopfd;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, (int)(deadline - now)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("session %llu: poll", (unsigned long long)id);
			return -1;
		}
		if (pfd[1].revents != 0 && (stopfn == NULL ||
		    stopfn(stoparg) != 0)) {
			log_warnx("session %llu: TLS: the master ends the "
			    "session", (unsigned long long)id);
			return -1;
		}
		if (pfd[0].revents != 0)
			return 0;
	}
}

int
tls_handshake(SSL *ssl, int64_t deadline, uint64_t id, const char *who)
{
	uint64_t	 n0, us0, n1, us1;
	long		 vr;
	short		 events;
	int		 rv;

	keyproxy_stats(&n0, &us0);
	for (;;) {
		ERR_clear_error();
		if ((rv = SSL_do_handshake(ssl)) == 1) {
			/* What the key holder cost this handshake (bench). */
			keyproxy_stats(&n1, &us1);
			if (n1 > n0)
				log_debug("session %llu: keyd %llu requests, "
				    "%llu us", (unsigned long long)id,
				    (unsigned long long)(n1 - n0),
				    (unsigned long long)(us1 - us0));
			return 0;
		}
		if ((events = want(ssl, rv)) == 0)
			break;
		if ((rv = tls_wait(SSL_get_fd(ssl), events, deadline,
		    id)) == 1)
			log_warnx("session %llu: TLS handshake with the %s: "
			    "timed out", (unsigned long long)id, who);
		if (rv != 0)
			return -1;
	}
	if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK)
		log_warnx("session %llu: TLS handshake with the %s: "
		    "certificate of %s refused: %s", (unsigned long long)id,
		    who, slice.up_name, X509_verify_cert_error_string(vr));
	else
		log_warnx("session %llu: TLS handshake with the %s: %s",
		    (unsigned long long)id, who, ssl_error());
	return -1;
}

static ssize_t
io_result(SSL *ssl, int rv, short *events)
{
	int	 e = SSL_get_error(ssl, rv);

	*events = 0;
	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		*events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		/* A close without close_notify: an end like any other. */
		ERR_clear_error();
		if (errno == 0 || errno == EAGAIN)
			return 0;
		return -1;
	default:
		log_warnx("TLS: %s", ssl_error());
		errno = EPROTO;
		return -1;
	}
}

ssize_t
tls_read(SSL *ssl, void *p, size_t len, short *events)
{
	size_t	 n;
	int	 rv;

	ERR_clear_error();
	errno = 0;
	if ((rv = SSL_read_ex(ssl, p, len, &n)) == 1) {
		*events = 0;
		return (ssize_t)n;
	}
	return io_result(ssl, rv, events);
}

ssize_t
tls_write(SSL *ssl, const void *p, size_t len, short *events)
{
	size_t	 n;
	int	 rv;

	ERR_clear_error();
	errno = 0;
	if ((rv = SSL_write_ex(ssl, p, len, &n)) == 1) {
		*events = 0;
		return (ssize_t)n;
	}
	if (io_result(ssl, rv, events) == 0)
		errno = EPIPE;
	return -1;
}

void
tls_describe(SSL *ssl, const char **version, const char **cipher,
    const char **sni)
{
	*version = SSL_get_version(ssl);
	*cipher = SSL_get_cipher_name(ssl);
	*sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
}

void
tls_free(SSL *ssl)
{
	if (ssl == NULL)
		return;
	if (ssl == client_hello.ssl)
		client_hello.ssl = NULL;
	/* One close_notify, no wait for the peer's. */
	(void)SSL_shutdown(ssl);
	SSL_free(ssl);
}
