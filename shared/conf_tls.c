/*
 * TLS in postern.conf(5) ("TLS"): the client side's mode and certificates
 * in a listen statement, the upstream side's options in a listen or a
 * server line, and the "tls" statement every listener shares.  In one
 * file because these words mean the same wherever they are written, and
 * the certificates are only numbered for keyd once every listener is
 * read (conf_check_tls()).
 */
#include <stdint.h>
#include <string.h>

#include <bsd/sys/queue.h>

#include "conf.h"
#include "conf_int.h"
#include "proto_tls.h"
#include "proto_worker.h"

const char *const conf_tls_modes[] = {
	[WORKER_TLS_NONE] = "none",
	[WORKER_TLS_STARTTLS] = "starttls",
	[WORKER_TLS_STARTTLS_REQUIRED] = "starttls-required",
	[WORKER_TLS_IMPLICIT] = "implicit",
};

/* The client side: [tls MODE] [certificate FILE key FILE]... */
int
conf_listen_tls(struct parser *p, struct listener *l)
{
	struct listener_cert	*c;
	char			*w;
	size_t			 i;

	if ((w = conf_peek_word(p)) != NULL && strcmp(w, "tls") == 0) {
		conf_next_word(p);
		if ((w = conf_next_word(p)) == NULL)
			w = "";
		for (i = 0; i < sizeof(conf_tls_modes) /
		    sizeof(conf_tls_modes[0]); i++)
			if (strcmp(w, conf_tls_modes[i]) == 0)
				break;
		if (i == sizeof(conf_tls_modes) / sizeof(conf_tls_modes[0])) {
			conf_expected(p,
			    "'none', 'starttls', 'starttls-required' "
			    "or 'implicit'");
			return -1;
		}
		l->tls_mode = (uint32_t)i;
	}
	while ((w = conf_peek_word(p)) != NULL &&
	    strcmp(w, "certificate") == 0) {
		conf_next_word(p);
		if (l->ncerts == WORKER_TLS_CERTS_MAX) {
			conf_error(p, p->line, "expected at most %d "
			    "certificates per listener", WORKER_TLS_CERTS_MAX);
			return -1;
		}
		c = &l->certs[l->ncerts];
		if (conf_copy_word(p, "certificate file", c->cert,
		    sizeof(c->cert)) == -1)
			return -1;
		if ((w = conf_next_word(p)) == NULL || strcmp(w, "key") != 0) {
			conf_expected(p, "'key'");
			return -1;
		}
		if (conf_copy_word(p, "key file", c->key, sizeof(c->key)) == -1)
			return -1;
		if (c->cert[0] != '/' || c->key[0] != '/') {
			conf_error(p, p->line, "expected absolute paths for "
			    "certificate and key, not '%s' and '%s'", c->cert,
			    c->key);
			return -1;
		}
		l->ncerts++;
	}
	return 0;
}

/*
 * The upstream side: [tls implicit|starttls] [ca FILE] [verify off]
 * [servername NAME] [forward none|id|proxy-v2], in any order.
 */
int
conf_upstream_tls(struct parser *p, struct upstream_opts *o)
{
	char	*w;

	o->verify = 1;
	while ((w = conf_peek_word(p)) != NULL) {
		if (strcmp(w, "tls") == 0) {
			conf_next_word(p);
			if ((w = conf_next_word(p)) != NULL &&
			    strcmp(w, "implicit") == 0)
				o->tls = WORKER_UPTLS_IMPLICIT;
			else if (w != NULL && strcmp(w, "starttls") == 0)
				o->tls = WORKER_UPTLS_STARTTLS;
			else {
				conf_expected(p, "'implicit' or 'starttls'");
				return -1;
			}
		} else if (strcmp(w, "ca") == 0) {
			conf_next_word(p);
			if (conf_copy_word(p, "CA file", o->ca,
			    sizeof(o->ca)) == -1)
				return -1;
			if (o->ca[0] != '/') {
				conf_expected(p, "an absolute CA file path");
				return -1;
			}
		} else if (strcmp(w, "verify") == 0) {
			conf_next_word(p);
			if ((w = conf_next_word(p)) == NULL ||
			    strcmp(w, "off") != 0) {
				conf_expected(p, "'off'");
				return -1;
			}
			o->verify = 0;
		} else if (strcmp(w, "servername") == 0) {
			conf_next_word(p);
			if (conf_copy_word(p, "server name", o->name,
			    sizeof(o->name)) == -1)
				return -1;
		} else if (strcmp(w, "forward") == 0) {
			conf_next_word(p);
			if ((w = conf_next_word(p)) != NULL &&
			    strcmp(w, "none") == 0)
				o->forward = WORKER_FORWARD_NONE;
			else if (w != NULL && strcmp(w, "id") == 0)
				o->forward = WORKER_FORWARD_ID;
			else if (w != NULL && strcmp(w, "proxy-v2") == 0)
				o->forward = WORKER_FORWARD_PROXY_V2;
			else {
				conf_expected(p, "'none', 'id' or 'proxy-v2'");
				return -1;
			}
		} else
			break;
	}
	return 0;
}

static int
tls_version(const char *w, uint32_t *v)
{
	if (strcmp(w, "tlsv1.2") == 0)
		*v = 0x0303;
	else if (strcmp(w, "tlsv1.3") == 0)
		*v = 0x0304;
	else
		return -1;
	return 0;
}

/*
 * tls protocols VERSION [VERSION]; tls ciphers|ciphersuites|groups STRING.
 * Nothing older than TLS 1.2 can be asked for (RFC 8996).
 */
int
conf_st_tls(struct parser *p, struct conf *conf)
{
	char		*w;
	uint32_t	 v, lo = 0, hi = 0;

	if ((w = conf_next_word(p)) == NULL)
		w = "";
	if (strcmp(w, "protocols") == 0) {
		while ((w = conf_next_word(p)) != NULL) {
			if (tls_version(w, &v) == -1) {
				conf_expected(p,
				    "'tlsv1.2' or 'tlsv1.3' (older "
				    "versions are not supported)");
				return -1;
			}
			lo = lo == 0 || v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		if (lo == 0) {
			conf_expected(p, "'tlsv1.2' or 'tlsv1.3'");
			return -1;
		}
		conf->tls_min = lo;
		conf->tls_max = hi;
		return 0;
	}
	if (strcmp(w, "ciphers") == 0)
		return conf_copy_word(p, "cipher list", conf->tls_ciphers,
		    sizeof(conf->tls_ciphers));
	if (strcmp(w, "ciphersuites") == 0)
		return conf_copy_word(p, "TLS 1.3 cipher suites",
		    conf->tls_ciphersuites, sizeof(conf->tls_ciphersuites));
	if (strcmp(w, "groups") == 0)
		return conf_copy_word(p, "group list", conf->tls_groups,
		    sizeof(conf->tls_groups));
	conf_expected(p, "'protocols', 'ciphers', 'ciphersuites' or 'groups'");
	return -1;
}

/* Certificates go with a TLS mode; keys are numbered for keyd. */
void
conf_check_tls(struct parser *p, struct conf *conf)
{
	struct listener	*l;
	uint32_t	 i;

	conf->nkeys = 0;
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		if (l->tls_mode != WORKER_TLS_NONE && l->ncerts == 0)
			conf_error(p, l->line, "expected 'certificate FILE key "
			    "FILE' with 'tls %s'", conf_tls_modes[l->tls_mode]);
		if (l->tls_mode == WORKER_TLS_NONE && l->ncerts > 0)
			conf_error(p, l->line, "expected 'tls MODE' with a "
			    "certificate");
		for (i = 0; i < l->ncerts; i++)
			l->certs[i].index = conf->nkeys++;
	}
}
