/*
 * The listen statement (postern.conf(5)): the address and protocol, the
 * name, who may send a PROXY header and who takes the login.  Its TLS
 * words and its upstream are read by conf_tls.c and conf_upstream.c,
 * whose words other lines share; what is here is the listener's own,
 * and the lookup of a listener by its address.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/queue.h>

#include "cidr.h"
#include "log.h"
#include "conf.h"
#include "conf_int.h"
#include "proto_worker.h"

static int	 listen_proxy(struct parser *, struct listener *);
static int	 listen_login(struct parser *, struct listener *);

/*
 * listen on ADDR port N (imap | pop3) [name NAME]
 *	[proxy-protocol from NET [, NET]...] [login relay|proxy]
 *	[tls MODE] [certificate FILE key FILE]...
 *	upstream HOST port N [tls implicit|starttls] [ca FILE] [verify off]
 *	[servername NAME] [forward none|id|proxy-v2]
 * or, for a named upstream (conf_st_upstream()), upstream NAME.
 */
int
conf_st_listen(struct parser *p, struct conf *conf)
{
	struct listener		*l;
	struct upstream		*u;
	struct upstream_server	*srv;
	char			*w;

	p->nlisten++;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("%s", __func__);
	l->fd = -1;
	l->line = p->line;
	if ((w = conf_next_word(p)) == NULL || strcmp(w, "on") != 0) {
		conf_expected(p, "'on'");
		goto fail;
	}
	if (conf_copy_word(p, "address", l->host, sizeof(l->host)) == -1 ||
	    conf_get_port(p, &l->port) == -1)
		goto fail;
	if ((w = conf_next_word(p)) != NULL && strcmp(w, "imap") == 0)
		l->protocol = WORKER_PROTO_IMAP;
	else if (w != NULL && strcmp(w, "pop3") == 0)
		l->protocol = WORKER_PROTO_POP3;
	else {
		conf_expected(p, "'imap' or 'pop3'");
		goto fail;
	}
	if ((w = conf_peek_word(p)) != NULL && strcmp(w, "name") == 0) {
		conf_next_word(p);
		if (conf_copy_word(p, "listener name", l->name,
		    sizeof(l->name)) == -1)
			goto fail;
		if (!conf_valid_name(l->name)) {
			conf_expected(p,
			    "name of letters, digits, '-', '_', '.'");
			goto fail;
		}
	} else
		snprintf(l->name, sizeof(l->name), "%s-%u",
		    conf_proto_name(l->protocol), l->port);
	if (listen_proxy(p, l) == -1 || listen_login(p, l) == -1 ||
	    conf_listen_tls(p, l) == -1)
		goto fail;
	if ((w = conf_next_word(p)) == NULL || strcmp(w, "upstream") != 0) {
		conf_expected(p, "'upstream'");
		goto fail;
	}
	if (conf_resolve(p, l->host, l->port, 1, &l->ss, &l->sslen, l->addr,
	    sizeof(l->addr)) == -1)
		goto fail;
	/* "upstream NAME" alone: a named upstream, found at the end. */
	if ((w = conf_peek_word(p)) != NULL && p->pos + 1 == p->nwords) {
		if (conf_copy_word(p, "upstream name", l->up_ref,
		    sizeof(l->up_ref)) == -1)
			goto fail;
		if (!conf_valid_name(l->up_ref)) {
			conf_expected(p,
			    "upstream name of letters, digits, '-', "
			    "'_', '.'");
			goto fail;
		}
		TAILQ_INSERT_TAIL(&conf->listeners, l, entry);
		return 0;
	}
	/* The anonymous upstream of one server, checked by no one. */
	u = conf_upstream_new(conf, l->name, 1, p->line);
	srv = &u->servers[u->nservers];
	srv->weight = 1;
	srv->line = p->line;
	if (conf_copy_word(p, "upstream host", srv->host,
	    sizeof(srv->host)) == -1 || conf_get_port(p, &srv->port) == -1 ||
	    conf_upstream_tls(p, &srv->opts) == -1 ||
	    conf_resolve(p, srv->host, srv->port, 0, &srv->ss, &srv->sslen,
	    srv->addr, sizeof(srv->addr)) == -1) {
		TAILQ_REMOVE(&conf->upstreams, u, entry);
		free(u);
		goto fail;
	}
	u->nservers = 1;
	l->upstream = u;
	TAILQ_INSERT_TAIL(&conf->listeners, l, entry);
	return 0;
 fail:
	free(l);
	return -1;
}

/*
 * [proxy-protocol from NET [, NET]...]: the networks whose connections
 * start with a PROXY header.  A comma may stand alone or touch either
 * network.
 */
static int
listen_proxy(struct parser *p, struct listener *l)
{
	char	*w, net[CIDR_TEXT_MAX];
	size_t	 len;
	int	 more, lead = 0;

	if ((w = conf_peek_word(p)) == NULL || strcmp(w, "proxy-protocol") != 0)
		return 0;
	conf_next_word(p);
	if ((w = conf_next_word(p)) == NULL || strcmp(w, "from") != 0) {
		conf_expected(p, "'from'");
		return -1;
	}
	do {
		if ((w = conf_next_word(p)) == NULL) {
			conf_expected(p, "network such as 10.0.0.0/8");
			return -1;
		}
		if (lead && *w == ',')
			w++;
		len = strlen(w);
		if ((more = len > 0 && w[len - 1] == ','))
			len--;
		if (len == 0 || len >= sizeof(net)) {
			conf_expected(p, "network such as 10.0.0.0/8");
			return -1;
		}
		memcpy(net, w, len);
		net[len] = '\0';
		if (l->nproxy_from == CONF_PROXY_NETS_MAX) {
			conf_error(p, p->line, "expected at most %d networks "
			    "after 'proxy-protocol from'", CONF_PROXY_NETS_MAX);
			return -1;
		}
		if (cidr_parse(net, &l->proxy_from[l->nproxy_from]) == -1) {
			conf_expected(p, "network such as 10.0.0.0/8");
			return -1;
		}
		l->nproxy_from++;
		lead = 0;
		if (!more && (w = conf_peek_word(p)) != NULL && *w == ',') {
			/* ",NET": the next turn skips the comma */
			if (w[1] == '\0')
				conf_next_word(p);
			else
				lead = 1;
			more = 1;
		}
	} while (more);
	return 0;
}

/* [login relay|proxy]: who takes the login. */
static int
listen_login(struct parser *p, struct listener *l)
{
	char	*w;

	if ((w = conf_peek_word(p)) == NULL || strcmp(w, "login") != 0)
		return 0;
	conf_next_word(p);
	if ((w = conf_next_word(p)) != NULL && strcmp(w, "relay") == 0)
		l->login_proxy = 0;
	else if (w != NULL && strcmp(w, "proxy") == 0)
		l->login_proxy = 1;
	else {
		conf_expected(p, "'relay' or 'proxy'");
		return -1;
	}
	return 0;
}

struct listener *
conf_listener_find(const struct conf *conf, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (l->sslen == sslen && memcmp(&l->ss, ss, sslen) == 0)
			return l;
	return NULL;
}
