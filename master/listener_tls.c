/*
 * The TLS part of a worker's start (proto_tls.h, listener_tls.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "proto_worker.h"
#include "listener_tls.h"

/* A chain must fit in one message, with room to spare. */
#define PEM_MAX		(WORKER_CHAN_BODY_MAX - 1024)

/* The whole file, NUL-terminated; NULL when it failed (logged). */
static char *
pem_read(const char *path, size_t *len)
{
	struct stat	 st;
	char		*b;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("certificate %s", path);
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size <= 0 || st.st_size > PEM_MAX) {
		log_warnx("certificate %s: not a regular file of 1 to %d "
		    "bytes", path, PEM_MAX);
		close(fd);
		return NULL;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL)
		fatal("%s", __func__);
	n = read(fd, b, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		log_warnx("certificate %s: short read", path);
		free(b);
		return NULL;
	}
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}

/* The chain starts with a certificate OpenSSL reads. */
static int
pem_check(const char *path, const char *pem, size_t len)
{
	BIO	*bio;
	X509	*x;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		fatalx("BIO_new_mem_buf");
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL) {
		log_warnx("certificate %s: %s", path,
		    ERR_reason_error_string(ERR_get_error()));
		ERR_clear_error();
		return -1;
	}
	X509_free(x);
	return 0;
}

int
listener_tls_check(const struct conf *c)
{
	const struct listener	*l;
	uint32_t		 i;
	size_t			 len;
	char			*pem;
	int			 rv = 0;

	TAILQ_FOREACH(l, &c->listeners, entry) {
		for (i = 0; i < l->ncerts; i++) {
			if ((pem = pem_read(l->certs[i].cert, &len)) == NULL ||
			    pem_check(l->certs[i].cert, pem, len) == -1)
				rv = -1;
			free(pem);
			/* keyd reads it; here only whether it can. */
			if (access(l->certs[i].key, R_OK) == -1) {
				log_warn("key %s", l->certs[i].key);
				rv = -1;
			}
		}
		if (l->up_ca[0] != '\0' && access(l->up_ca, R_OK) == -1) {
			log_warn("CA file %s", l->up_ca);
			rv = -1;
		}
		if (l->up_tls != WORKER_UPTLS_NONE && !l->up_verify)
			log_warnx("%s: upstream %s: certificate verification "
			    "is off ('verify off'): the upstream's identity "
			    "is not checked", l->name, l->up_host);
	}
	return rv;
}

int
listener_tls_load(struct listener_tls_set *t, const struct conf *c,
    const struct listener *l)
{
	struct worker_tls	*s = &t->slice;
	uint32_t		 i;

	memset(t, 0, sizeof(*t));
	s->mode = l->tls_mode;
	s->up_mode = l->up_tls;
	s->up_verify = l->up_verify;
	s->min_version = c->tls_min;
	s->max_version = c->tls_max;
	(void)snprintf(s->ciphers, sizeof(s->ciphers), "%s", c->tls_ciphers);
	(void)snprintf(s->ciphersuites, sizeof(s->ciphersuites), "%s",
	    c->tls_ciphersuites);
	(void)snprintf(s->groups, sizeof(s->groups), "%s", c->tls_groups);
	(void)snprintf(s->up_ca, sizeof(s->up_ca), "%s", l->up_ca);
	(void)snprintf(s->up_name, sizeof(s->up_name), "%s", l->up_name);
	for (i = 0; i < l->ncerts; i++) {
		if ((t->pem[i] = pem_read(l->certs[i].cert,
		    &t->pemlen[i])) == NULL) {
			listener_tls_free(t);
			return -1;
		}
		t->key[i] = l->certs[i].index;
	}
	s->ncerts = l->ncerts;
	return 0;
}

void
listener_tls_free(struct listener_tls_set *t)
{
	uint32_t	 i;

	for (i = 0; i < WORKER_TLS_CERTS_MAX; i++)
		free(t->pem[i]);
	memset(t, 0, sizeof(*t));
}

int
listener_tls_send(struct msgchan *chan, const struct listener_tls_set *t,
    int keyfd)
{
	if (t->slice.ncerts > 0) {
		if (keyfd == -1) {
			log_warnx("no channel to keyd for a TLS worker");
			errno = 0;
			return -1;
		}
		if (msg_compose(chan, MSG_W_KEYHOLDER, 0, keyfd, NULL, 0) ==
		    -1)
			return -1;
	} else if (keyfd != -1)
		close(keyfd);
	return listener_tls_send_slice(chan, t);
}

int
listener_tls_send_slice(struct msgchan *chan, const struct listener_tls_set *t)
{
	uint32_t	 i;

	if (msg_compose(chan, MSG_W_TLS, 0, -1, &t->slice,
	    sizeof(t->slice)) == -1)
		return -1;
	for (i = 0; i < t->slice.ncerts; i++)
		if (msg_compose(chan, MSG_W_TLS_CERT, t->key[i], -1, t->pem[i],
		    t->pemlen[i]) == -1)
			return -1;
	return 0;
}
