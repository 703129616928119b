/*
 * The configuration printed back, for posternd -nv: in the grammar of
 * postern.conf(5), every default spelled out, so that what the daemon
 * would run with can be read and parsed again (the round trip of
 * regress/master/parse_test).  It reads only a finished struct conf,
 * none of the parser's state, hence its own file.
 */
#include <stdint.h>
#include <stdio.h>

#include <bsd/sys/queue.h>

#include "cidr.h"
#include "conf.h"
#include "conf_int.h"
#include "proto_tls.h"
#include "proto_worker.h"

static void	 print_upstreams(FILE *, const struct conf *);
static void	 print_tls_client(FILE *, const struct listener *);
static void	 print_tls_upstream(FILE *, const struct upstream_opts *,
		    int);
static void	 print_proxy(FILE *, const struct listener *);
static void	 print_knob(FILE *, const char *, const char *);
static void	 print_string(FILE *, const char *);

static void
print_knob(FILE *fp, const char *what, const char *s)
{
	if (*s == '\0')
		return;
	fputs(what, fp);
	print_string(fp, s);
	fputc('\n', fp);
}

/* Inside the listen statement, after the name: the PROXY networks. */
static void
print_proxy(FILE *fp, const struct listener *l)
{
	char		 net[CIDR_TEXT_MAX];
	uint32_t	 i;

	if (l->nproxy_from == 0)
		return;
	fputs(" proxy-protocol from", fp);
	for (i = 0; i < l->nproxy_from; i++) {
		cidr_text(&l->proxy_from[i], net, sizeof(net));
		fprintf(fp, "%s %s", i > 0 ? "," : "", net);
	}
}

/* Inside the listen statement: the client side's words. */
static void
print_tls_client(FILE *fp, const struct listener *l)
{
	uint32_t	 i;

	if (l->tls_mode != WORKER_TLS_NONE)
		fprintf(fp, " tls %s", conf_tls_modes[l->tls_mode]);
	for (i = 0; i < l->ncerts; i++) {
		fputs(" \\\n\tcertificate ", fp);
		print_string(fp, l->certs[i].cert);
		fputs(" key ", fp);
		print_string(fp, l->certs[i].key);
	}
	if (l->ncerts > 0)
		fputs(" \\\n\t", fp);
}

/* And the upstream side's, at its end. */
static void
print_tls_upstream(FILE *fp, const struct upstream_opts *o, int wrap)
{
	if (o->tls != WORKER_UPTLS_NONE) {
		fprintf(fp, "%stls %s servername %s%s", wrap ? " \\\n\t" : " ",
		    o->tls == WORKER_UPTLS_IMPLICIT ? "implicit" : "starttls",
		    o->name, o->verify ? "" : " verify off");
		if (o->ca[0] != '\0') {
			fputs(" ca ", fp);
			print_string(fp, o->ca);
		}
	}
	if (o->forward == WORKER_FORWARD_ID)
		fputs(" forward id", fp);
	else if (o->forward == WORKER_FORWARD_PROXY_V2)
		fputs(" forward proxy-v2", fp);
}

/* Named upstreams, before the listeners that use them. */
static void
print_upstreams(FILE *fp, const struct conf *conf)
{
	const struct upstream		*u;
	const struct upstream_server	*srv;
	uint32_t			 i;

	TAILQ_FOREACH(u, &conf->upstreams, entry) {
		if (u->anonymous)
			continue;
		for (i = 0; i < u->nservers; i++) {
			srv = &u->servers[i];
			fprintf(fp, "upstream %s server %s port %u weight %u%s",
			    u->name, srv->host, srv->port, srv->weight,
			    srv->backup ? " backup" : "");
			print_tls_upstream(fp, &srv->opts, 1);
			fputc('\n', fp);
		}
		if (u->check_line != 0)
			fprintf(fp, "upstream %s check every %u timeout %u%s "
			    "rise %u fall %u\n", u->name, u->every,
			    u->timeout, u->capability ? " capability" : "",
			    u->rise, u->fall);
		if (u->routed != 0)
			fprintf(fp, "upstream %s routed %s\n", u->name,
			    conf_proto_name(u->routed));
	}
}

static void
print_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

void
conf_print(FILE *fp, const struct conf *conf)
{
	const struct listener	*l;
	uint32_t		 i;

	fprintf(fp, "user %s\n", conf->user);
	fprintf(fp, "chroot ");
	print_string(fp, conf->chroot);
	fputc('\n', fp);
	if (conf->worker[0] != '\0') {
		fprintf(fp, "worker ");
		print_string(fp, conf->worker);
		fputc('\n', fp);
	}
	if (conf->policy_store[0] != '\0') {
		fprintf(fp, "policy store ");
		print_string(fp, conf->policy_store);
		fputc('\n', fp);
		if (conf->policy_threads == 0)
			fprintf(fp, "policy threads auto\n");
		else
			fprintf(fp, "policy threads %u\n",
			    conf->policy_threads);
		fprintf(fp, "policy nice %d\n", conf->policy_nice);
	}
	for (i = 0; i < conf->ntrust; i++) {
		fprintf(fp, "policy trust ");
		print_string(fp, conf->trust[i].path);
		fprintf(fp, "\t# key %s\n", conf->trust[i].key.id);
	}
	if (conf->audit_dir[0] != '\0') {
		fprintf(fp, "audit dir ");
		print_string(fp, conf->audit_dir);
		fprintf(fp, " max-size %u\n", conf->audit_max_size);
	}
	fprintf(fp, "pool min-idle %u max %u sessions %u idle-timeout %u "
	    "template-forks %u\n", conf->min_idle, conf->max_workers,
	    conf->sessions, conf->pool_idle_timeout, conf->template_forks);
	fprintf(fp, "limit line %u literal %u depth %u args %u inflight %u\n",
	    conf->max_line, conf->max_literal, conf->max_depth, conf->max_args,
	    conf->max_inflight);
	fprintf(fp, "limit pop3-line %u username %u password %u\n",
	    conf->max_pop3_line, conf->max_username, conf->max_password);
	fprintf(fp, "limit queue %u connecting %u connections per-client "
	    "%u\n", conf->max_queue, conf->max_connecting,
	    conf->max_per_client);
	fprintf(fp, "limit sessions per-user %u\n",
	    conf->login.sessions_per_user);
	fprintf(fp, "timeout login %u idle %u upstream %u start %u drain %u "
	    "policy %u queue %u proxy %u\n", conf->timeout_login,
	    conf->timeout_idle, conf->timeout_upstream, conf->timeout_start,
	    conf->timeout_drain, conf->timeout_policy, conf->timeout_queue,
	    conf->timeout_proxy);
	fprintf(fp, "login delay");
	for (i = 0; i < conf->login.ndelay; i++)
		fprintf(fp, " %u", conf->login.delay[i]);
	fprintf(fp, "\nlogin block address after %u within %u for %u\n",
	    conf->login.addr_after, conf->login.addr_within,
	    conf->login.addr_for);
	fprintf(fp, "login block user after %u within %u for %u\n",
	    conf->login.user_after, conf->login.user_within,
	    conf->login.user_for);
	fprintf(fp, "login table %u\n", conf->login.table);
	if (conf->counters_redis) {
		fprintf(fp, "counters redis ");
		print_string(fp, conf->counters_addr);
		if (conf->counters_password[0] != '\0') {
			fprintf(fp, " password ");
			print_string(fp, conf->counters_password);
		}
		fprintf(fp, "\ntimeout counters %u\n", conf->timeout_counters);
	}
	print_upstreams(fp, conf);
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		fprintf(fp, "listen on %s port %u %s name %s", l->host,
		    l->port, conf_proto_name(l->protocol), l->name);
		print_proxy(fp, l);
		if (l->login_proxy)
			fputs(" login proxy", fp);
		print_tls_client(fp, l);
		if (l->upstream != NULL && !l->upstream->anonymous) {
			fprintf(fp, "%supstream %s\n", l->ncerts > 0 ? "" :
			    " ", l->upstream->name);
			continue;
		}
		fprintf(fp, "%supstream %s port %u", l->ncerts > 0 ? "" : " ",
		    l->up_host, l->up_port);
		if (l->upstream != NULL)
			print_tls_upstream(fp, &l->upstream->servers[0].opts,
			    0);
		fputc('\n', fp);
	}
	if (conf->control_socket[0] != '\0') {
		fprintf(fp, "control socket ");
		print_string(fp, conf->control_socket);
		fputc('\n', fp);
	}
	if (conf->metrics_port != 0)
		fprintf(fp, "metrics listen on %s port %u\n",
		    conf->metrics_addr, conf->metrics_port);
	/* The defaults are left out, as with no tls statement. */
	if (conf->tls_min != 0x0303 || conf->tls_max != 0x0304)
		fprintf(fp, "tls protocols %s%s%s\n",
		    conf->tls_min == 0x0303 ? "tlsv1.2" : "tlsv1.3",
		    conf->tls_max != conf->tls_min ? " " : "",
		    conf->tls_max != conf->tls_min ? "tlsv1.3" : "");
	print_knob(fp, "tls ciphers ", conf->tls_ciphers);
	print_knob(fp, "tls ciphersuites ", conf->tls_ciphersuites);
	print_knob(fp, "tls groups ", conf->tls_groups);
}
