/*
 * Upstreams (postern.conf(5), "UPSTREAMS"): the named ones, built from
 * several lines that share a name, and the anonymous one of a listen
 * statement.  Only once the whole file is read can a listener find its
 * upstream, and the servers of one upstream be held to the one TLS
 * setting and forward its listener's workers keep, hence the checks here
 * beside the statements.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/queue.h>

#include "log.h"
#include "conf.h"
#include "conf_int.h"
#include "proto_tls.h"
#include "proto_worker.h"

static int	 upstream_server(struct parser *, struct upstream *);
static int	 upstream_check(struct parser *, struct upstream *);
static int	 upstream_routed(struct parser *, struct upstream *);
static void	 check_routed(struct parser *, struct conf *);

struct upstream *
conf_upstream_new(struct conf *conf, const char *name, int anonymous, int line)
{
	struct upstream	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal("%s", __func__);
	(void)snprintf(u->name, sizeof(u->name), "%s", name);
	u->anonymous = anonymous;
	u->line = line;
	u->every = 10;
	u->timeout = 5;
	u->rise = 2;
	u->fall = 3;
	TAILQ_INSERT_TAIL(&conf->upstreams, u, entry);
	return u;
}

/*
 * upstream NAME server HOST port N [weight W] [backup] [TLS options]
 *	[forward none|id|proxy-v2]
 * upstream NAME check [every S] [timeout S] [capability] [rise N] [fall N]
 * Several lines with one NAME make one upstream.
 */
int
conf_st_upstream(struct parser *p, struct conf *conf)
{
	struct upstream	*u;
	char		 name[WORKER_NAME_MAX], *w;

	if (conf_copy_word(p, "upstream name", name, sizeof(name)) == -1)
		return -1;
	if (!conf_valid_name(name)) {
		conf_expected(p,
		    "upstream name of letters, digits, '-', '_', '.'");
		return -1;
	}
	if ((u = conf_upstream_find(conf, name)) == NULL)
		u = conf_upstream_new(conf, name, 0, p->line);
	if ((w = conf_next_word(p)) != NULL && strcmp(w, "server") == 0)
		return upstream_server(p, u);
	if (w != NULL && strcmp(w, "check") == 0)
		return upstream_check(p, u);
	if (w != NULL && strcmp(w, "routed") == 0)
		return upstream_routed(p, u);
	conf_expected(p, "'server', 'check' or 'routed'");
	return -1;
}

/*
 * upstream NAME routed imap|pop3: a target of route rules and of the
 * route table, for the login proxy listeners of that protocol, whether
 * or not a listener names it.
 */
static int
upstream_routed(struct parser *p, struct upstream *u)
{
	char	*w;

	if (u->routed_line != 0) {
		conf_error(p, p->line, "upstream %s: a second 'routed' line, "
		    "the first is on line %d", u->name, u->routed_line);
		return -1;
	}
	if ((w = conf_next_word(p)) != NULL && strcmp(w, "imap") == 0)
		u->routed = WORKER_PROTO_IMAP;
	else if (w != NULL && strcmp(w, "pop3") == 0)
		u->routed = WORKER_PROTO_POP3;
	else {
		conf_expected(p, "'imap' or 'pop3'");
		return -1;
	}
	u->routed_line = p->line;
	return 0;
}

static int
upstream_server(struct parser *p, struct upstream *u)
{
	struct upstream_server	*srv;
	char			*w;

	if (u->nservers == CONF_UPSTREAM_SERVERS_MAX) {
		conf_error(p, p->line, "expected at most %d servers in "
		    "upstream %s", CONF_UPSTREAM_SERVERS_MAX, u->name);
		return -1;
	}
	srv = &u->servers[u->nservers];
	memset(srv, 0, sizeof(*srv));
	srv->weight = 1;
	srv->line = p->line;
	if (conf_copy_word(p, "server host", srv->host,
	    sizeof(srv->host)) == -1 ||
	    conf_get_port(p, &srv->port) == -1)
		return -1;
	for (;;) {
		if ((w = conf_peek_word(p)) != NULL &&
		    strcmp(w, "weight") == 0) {
			conf_next_word(p);
			if (conf_get_u32(p, "weight", UNIT_NONE, 1,
			    CONF_WEIGHT_MAX, &srv->weight) == -1)
				return -1;
		} else if (w != NULL && strcmp(w, "backup") == 0) {
			conf_next_word(p);
			srv->backup = 1;
		} else
			break;
	}
	if (conf_upstream_tls(p, &srv->opts) == -1)
		return -1;
	if (conf_resolve(p, srv->host, srv->port, 0, &srv->ss, &srv->sslen,
	    srv->addr, sizeof(srv->addr)) == -1)
		return -1;
	u->nservers++;
	return 0;
}

static int
upstream_check(struct parser *p, struct upstream *u)
{
	char	*w;

	if (u->check_line != 0) {
		conf_error(p, p->line, "upstream %s: a second 'check' line, "
		    "the first is on line %d", u->name, u->check_line);
		return -1;
	}
	/* Set once the line is read whole: an error is its own. */
	while ((w = conf_next_word(p)) != NULL) {
		if (strcmp(w, "every") == 0) {
			if (conf_get_u32(p, "seconds", UNIT_SECONDS, 1, 3600,
			    &u->every) == -1)
				return -1;
		} else if (strcmp(w, "timeout") == 0) {
			if (conf_get_u32(p, "seconds", UNIT_SECONDS, 1, 300,
			    &u->timeout) == -1)
				return -1;
		} else if (strcmp(w, "rise") == 0) {
			if (conf_get_u32(p, "checks", UNIT_NONE, 1, 100,
			    &u->rise) == -1)
				return -1;
		} else if (strcmp(w, "fall") == 0) {
			if (conf_get_u32(p, "checks", UNIT_NONE, 1, 100,
			    &u->fall) == -1)
				return -1;
		} else if (strcmp(w, "capability") == 0)
			u->capability = 1;
		else {
			conf_expected(p,
			    "'every', 'timeout', 'capability', 'rise' "
			    "or 'fall'");
			return -1;
		}
	}
	u->check_line = p->line;
	return 0;
}

static int
opts_equal(const struct upstream_opts *a, const struct upstream_opts *b)
{
	return a->tls == b->tls && a->verify == b->verify &&
	    a->forward == b->forward && strcmp(a->ca, b->ca) == 0 &&
	    strcmp(a->name, b->name) == 0;
}

/*
 * Listeners find their upstream; what is defined and not used, used and
 * not defined, or defined twice is an error.  A listener's workers hold
 * one upstream TLS setting and one forward (its slice, proto_tls.h), so
 * the servers of one upstream must agree on them, server name included.
 */
void
conf_check_upstreams(struct parser *p, struct conf *conf)
{
	struct listener		*l;
	struct upstream		*u;
	struct upstream_server	*a, *b;
	uint32_t		 i, j;

	TAILQ_FOREACH(l, &conf->listeners, entry) {
		if (l->up_ref[0] != '\0' && (l->upstream =
		    conf_upstream_find(conf, l->up_ref)) == NULL) {
			conf_error(p, l->line, "listener %s: upstream %s is "
			    "not defined (expected 'upstream %s server HOST "
			    "port N')", l->name, l->up_ref, l->up_ref);
			continue;
		}
		if ((u = l->upstream) == NULL)
			continue;
		if (u->used && u->protocol != l->protocol) {
			conf_error(p, l->line, "listener %s: upstream %s "
			    "serves both IMAP and POP3 listeners; its check "
			    "speaks one", l->name, u->name);
			continue;
		}
		u->used = 1;
		u->protocol = l->protocol;
	}
	TAILQ_FOREACH(u, &conf->upstreams, entry) {
		if (u->routed == 0)
			continue;
		if (u->used && u->protocol != u->routed) {
			conf_error(p, u->routed_line, "upstream %s is routed "
			    "%s but serves %s listeners; its check speaks "
			    "one", u->name, conf_proto_name(u->routed),
			    conf_proto_name(u->protocol));
			continue;
		}
		u->used = 1;
		u->protocol = u->routed;
	}
	TAILQ_FOREACH(u, &conf->upstreams, entry) {
		if (u->nservers == 0) {
			conf_error(p, u->line, "upstream %s has no server "
			    "(expected 'upstream %s server HOST port N')",
			    u->name, u->name);
			continue;
		}
		if (!u->used)
			conf_error(p, u->line, "upstream %s is used by no "
			    "listener (expected 'listen on ... upstream %s' "
			    "or 'upstream %s routed imap|pop3')", u->name,
			    u->name, u->name);
		for (i = 0; i < u->nservers; i++) {
			a = &u->servers[i];
			if (a->opts.tls == WORKER_UPTLS_NONE &&
			    (a->opts.ca[0] != '\0' || !a->opts.verify ||
			    a->opts.name[0] != '\0'))
				conf_error(p, a->line, "expected upstream 'tls "
				    "implicit' or 'tls starttls' with 'ca', "
				    "'verify' or 'servername'");
			if (a->opts.tls != WORKER_UPTLS_NONE &&
			    a->opts.name[0] == '\0')
				/* Both CONF_HOST_MAX, host ends in NUL. */
				memcpy(a->opts.name, a->host,
				    sizeof(a->opts.name));
			for (j = 0; j < i; j++) {
				b = &u->servers[j];
				if (a->sslen == b->sslen &&
				    memcmp(&a->ss, &b->ss, a->sslen) == 0)
					conf_error(p, a->line, "upstream %s: "
					    "server %s port %u is already on "
					    "line %d", u->name, a->addr,
					    a->port, b->line);
			}
			if (i > 0 && !opts_equal(&a->opts,
			    &u->servers[0].opts))
				conf_error(p, a->line, "upstream %s: server "
				    "%s port %u: expected the TLS options, "
				    "servername (by default the host) and "
				    "forward of line %d: a listener's workers "
				    "hold one of each", u->name, a->host,
				    a->port, u->servers[0].line);
		}
	}
	/* What the listener's workers and posternctl status take. */
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		if ((u = l->upstream) == NULL || u->nservers == 0)
			continue;
		a = &u->servers[0];
		(void)snprintf(l->up_host, sizeof(l->up_host), "%s", a->host);
		memcpy(l->up_addr, a->addr, sizeof(l->up_addr));
		l->up_port = a->port;
		memcpy(&l->up_ss, &a->ss, sizeof(l->up_ss));
		l->up_sslen = a->sslen;
		l->up_tls = a->opts.tls;
		l->up_verify = a->opts.verify;
		memcpy(l->up_ca, a->opts.ca, sizeof(l->up_ca));
		memcpy(l->up_name, a->opts.name, sizeof(l->up_name));
		l->forward = a->opts.forward;
	}
	check_routed(p, conf);
}

/*
 * A listener's workers hold one upstream TLS setting and one forward:
 * a session routed to another upstream gets the listener's, so every
 * routed upstream must have those of every login proxy listener of its
 * protocol (servername included).
 */
static void
check_routed(struct parser *p, struct conf *conf)
{
	struct listener		*l;
	struct upstream		*u;

	TAILQ_FOREACH(u, &conf->upstreams, entry) {
		if (u->routed == 0 || u->nservers == 0)
			continue;
		TAILQ_FOREACH(l, &conf->listeners, entry) {
			if (!l->login_proxy || l->protocol != u->routed ||
			    l->upstream == NULL || l->upstream == u ||
			    l->upstream->nservers == 0)
				continue;
			if (!opts_equal(&u->servers[0].opts,
			    &l->upstream->servers[0].opts))
				conf_error(p, u->routed_line, "upstream %s: "
				    "expected the TLS options, servername and "
				    "forward of upstream %s (line %d), which "
				    "listener %s routes from: its workers hold "
				    "one of each", u->name,
				    l->upstream->name, l->upstream->line,
				    l->name);
		}
	}
}

struct upstream *
conf_upstream_find(const struct conf *conf, const char *name)
{
	struct upstream	*u;

	TAILQ_FOREACH(u, &conf->upstreams, entry)
		if (!u->anonymous && strcmp(u->name, name) == 0)
			return u;
	return NULL;
}
