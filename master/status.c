/*
 * posternctl status and sessions (status.h).  Times are seconds since
 * the epoch in JSON and UTC in ISO 8601 in text.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_json.h"
#include "buf.h"
#include "daemon.h"
#include "policyd_child.h"
#include "pool.h"
#include "status.h"
#include "upstream.h"
#include "waitq.h"

/* What one render writes to, and whether a line did not fit. */
struct out {
	struct buf	*b;
	int		 err;
	int		 json;
};

static void	 put(struct out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 put_str(struct out *, const char *);
static const char *when(time_t, char *, size_t);
static const char *tls_name(uint32_t);
static void	 count_sessions(const struct pool_session *, void *);
static void	 listeners(struct out *, const struct conf *);
static void	 upstreams(struct out *, const struct conf *);
static void	 daemons(struct out *);
static void	 rules(struct out *);
static void	 session_text(const struct pool_session *, void *);
static void	 session_json(const struct pool_session *, void *);

static void
put(struct out *o, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    buf_add(o->b, line, (size_t)n) == -1)
		o->err = 1;
}

/*
 * A string from wherever: JSON-escaped, or in text every byte that is
 * not printable ASCII (and the backslash) as \xHH, "-" when empty.
 */
static void
put_str(struct out *o, const char *s)
{
	const unsigned char	*p;

	if (o->json) {
		if (audit_json_str(o->b, s, strlen(s)) == -1)
			o->err = 1;
		return;
	}
	if (*s == '\0') {
		put(o, "-");
		return;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p > 0x20 && *p < 0x7f && *p != '\\')
			put(o, "%c", *p);
		else
			put(o, "\\x%02x", *p);
}

static const char *
when(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "-");
	return buf;
}

static const char *
tls_name(uint32_t mode)
{
	switch (mode) {
	case WORKER_TLS_STARTTLS:
		return "starttls";
	case WORKER_TLS_STARTTLS_REQUIRED:
		return "starttls-required";
	case WORKER_TLS_IMPLICIT:
		return "implicit";
	default:
		return "none";
	}
}

/* Sessions of one listener. */
struct count {
	const char	*listener;
	unsigned int	 n;
};

static void
count_sessions(const struct pool_session *s, void *arg)
{
	struct count	*c = arg;

	if (c->listener == NULL || strcmp(s->listener, c->listener) == 0)
		c->n++;
}

static void	 templates(struct out *, const struct conf *);

static void
listeners(struct out *o, const struct conf *conf)
{
	struct listener	*l;
	struct pool_stat st;
	struct count	 c;
	char		 addr[WORKER_ADDR_MAX + 8];
	int		 first = 1;

	if (o->json)
		put(o, "\"listeners\":[");
	else
		put(o, "%-16s %-22s %-5s %-17s %5s %5s %5s %5s %6s %8s\n",
		    "LISTENER", "ADDRESS", "PROTO", "TLS", "IDLE", "BUSY",
		    "START", "MAX", "QUEUED", "SESSIONS");
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		pool_stat(l->pool, &st);
		c.listener = l->name;
		c.n = 0;
		pool_sessions(count_sessions, &c);
		if (!o->json) {
			(void)snprintf(addr, sizeof(addr), "%s:%u", l->addr,
			    l->port);
			put(o, "%-16s %-22s %-5s %-17s %5u %5u %5u %5u %6u "
			    "%8u\n", l->name, addr,
			    l->protocol == WORKER_PROTO_POP3 ? "pop3" : "imap",
			    tls_name(l->tls_mode), st.idle, st.busy,
			    st.starting, st.max, waitq_length(l), c.n);
			continue;
		}
		put(o, "%s{\"name\":", first ? "" : ",");
		put_str(o, l->name);
		put(o, ",\"address\":\"%s\",\"port\":%u,\"protocol\":\"%s\","
		    "\"tls\":\"%s\",\"upstream\":\"%s\",\"upstream_port\":%u,"
		    "\"pool\":{\"idle\":%u,\"busy\":%u,\"starting\":%u,"
		    "\"stopping\":%u,\"max\":%u,\"template\":",
		    l->addr, l->port,
		    l->protocol == WORKER_PROTO_POP3 ? "pop3" : "imap",
		    tls_name(l->tls_mode), l->up_addr, l->up_port, st.idle,
		    st.busy, st.starting, st.stopping, st.max);
		if (st.tmpl_state == NULL)
			put(o, "null");
		else
			put(o, "{\"state\":\"%s\",\"pid\":%d,\"forks\":%u,"
			    "\"every\":%u}", st.tmpl_state, (int)st.tmpl_pid,
			    st.tmpl_forks, st.tmpl_every);
		put(o, "},\"queued\":%u,\"sessions\":%u}", waitq_length(l),
		    c.n);
		first = 0;
	}
	if (o->json)
		put(o, "],");
	else
		templates(o, conf);
}

/*
 * Text: a line per listener whose workers a template forks, after the
 * table, so the table keeps its columns.
 */
static void
templates(struct out *o, const struct conf *conf)
{
	struct listener	*l;
	struct pool_stat st;

	TAILQ_FOREACH(l, &conf->listeners, entry) {
		pool_stat(l->pool, &st);
		if (st.tmpl_state == NULL)
			continue;
		put(o, "%-16s %s %s, pid %d, %u of %u forks before it is "
		    "replaced\n", "template", l->name, st.tmpl_state,
		    (int)st.tmpl_pid, st.tmpl_forks, st.tmpl_every);
	}
}

/*
 * The servers of the named upstreams and what their checks found; none
 * of this when there is no named upstream, so that a configuration of
 * "upstream HOST port N" alone shows what it always did.
 */
static void
upstreams(struct out *o, const struct conf *conf)
{
	const struct upstream		*u;
	const struct upstream_server	*srv;
	const struct upcheck		*ck;
	char				 addr[WORKER_ADDR_MAX + 8];
	const char			*state;
	uint32_t			 i;
	int				 first = 1, any = 0;

	TAILQ_FOREACH(u, &conf->upstreams, entry)
		any |= !u->anonymous;
	if (!any)
		return;
	if (o->json)
		put(o, "\"upstreams\":[");
	else
		put(o, "%-16s %-22s %-5s %6s %6s %8s %8s %s\n", "UPSTREAM",
		    "SERVER", "STATE", "WEIGHT", "BACKUP", "CHECKS", "FAILED",
		    "SESSIONS");
	TAILQ_FOREACH(u, &conf->upstreams, entry) {
		if (u->anonymous)
			continue;
		for (i = 0; i < u->nservers; i++) {
			srv = &u->servers[i];
			if ((ck = srv->check) == NULL)
				continue;
			state = u->check_line == 0 ? "unchecked" :
			    ck->up ? "up" : "down";
			if (!o->json) {
				(void)snprintf(addr, sizeof(addr), "%s:%u",
				    srv->addr, srv->port);
				put(o, "%-16s %-22s %-5s %6u %6s %8llu %8llu "
				    "%llu\n", u->name, addr, state,
				    srv->weight, srv->backup ? "yes" : "no",
				    (unsigned long long)ck->checks,
				    (unsigned long long)ck->checks_failed,
				    (unsigned long long)ck->sessions);
				continue;
			}
			put(o, "%s{\"upstream\":", first ? "" : ",");
			put_str(o, u->name);
			put(o, ",\"address\":\"%s\",\"port\":%u,\"state\":"
			    "\"%s\",\"since\":%lld,\"weight\":%u,"
			    "\"backup\":%s,\"checks\":%llu,\"checks_failed\":"
			    "%llu,\"sessions\":%llu,\"connect_failures\":%llu,"
			    "\"last_error\":", srv->addr, srv->port, state,
			    (long long)ck->since, srv->weight,
			    srv->backup ? "true" : "false",
			    (unsigned long long)ck->checks,
			    (unsigned long long)ck->checks_failed,
			    (unsigned long long)ck->sessions,
			    (unsigned long long)ck->connect_failures);
			put_str(o, ck->error);
			put(o, ",\"capability\":");
			put_str(o, ck->capability);
			put(o, "}");
			first = 0;
		}
	}
	if (o->json)
		put(o, "],");
}

static void
daemons(struct out *o)
{
	struct daemon_status	 ds;
	const char		*state;
	char			 t[32];
	size_t			 i;

	if (o->json)
		put(o, "\"daemons\":{");
	for (i = 0; i < DAEMON_MAX; i++) {
		daemon_status((enum daemon_id)i, &ds);
		if (!ds.on)
			state = "off";
		else if (ds.pid == 0)
			state = "down";
		else if (!ds.ready)
			state = "starting";
		else
			state = "ready";
		if (o->json) {
			put(o, "%s\"%s\":{\"state\":\"%s\"", i > 0 ? "," : "",
			    ds.name, state);
			if (ds.pid != 0)
				put(o, ",\"pid\":%d", (int)ds.pid);
			if (ds.since != 0)
				put(o, ",\"since\":%lld", (long long)ds.since);
			put(o, ",\"restarts\":%u}", ds.restarts);
			continue;
		}
		put(o, "%-16s %s", ds.name, state);
		if (ds.pid != 0)
			put(o, ", pid %d, up since %s", (int)ds.pid,
			    when(ds.since, t, sizeof(t)));
		if (ds.on || ds.restarts > 0)
			put(o, ", restarts %u", ds.restarts);
		put(o, "\n");
	}
	if (o->json)
		put(o, "},");
}

static void
rules(struct out *o)
{
	struct policyd_generation	 g;
	char				 hex[2 * sizeof(g.sha256) + 1];
	char				 t[32];
	size_t				 i;

	if (!policyd_child_generation(&g)) {
		if (o->json)
			put(o, "\"rules\":null,");
		else
			put(o, "%-16s %s\n", "rules", "-");
		return;
	}
	for (i = 0; i < sizeof(g.sha256); i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", g.sha256[i]);
	if (o->json) {
		if (g.gen == 0) {
			put(o, "\"rules\":{\"generation\":0},");
			return;
		}
		put(o, "\"rules\":{\"generation\":%llu,\"sha256\":\"%s\","
		    "\"time\":%lld,\"user\":", (unsigned long long)g.gen, hex,
		    (long long)g.time);
		put_str(o, g.user);
		put(o, "},");
		return;
	}
	if (g.gen == 0) {
		put(o, "%-16s %s\n", "rules", "none loaded");
		return;
	}
	put(o, "%-16s generation %llu, sha256 %s, loaded %s by ", "rules",
	    (unsigned long long)g.gen, hex, when((time_t)g.time, t,
	    sizeof(t)));
	put_str(o, g.user);
	put(o, "\n");
}

int
status_render(struct buf *b, const struct conf *conf,
    const struct status_self *self, int json)
{
	struct out	 o = { .b = b, .json = json };
	struct count	 all = { NULL, 0 };
	char		 t[32];

	pool_sessions(count_sessions, &all);
	if (json) {
		put(&o, "{\"pid\":%d,\"since\":%lld,\"config\":", (int)getpid(),
		    (long long)self->since);
		put_str(&o, self->conffile);
		put(&o, ",");
	} else {
		put(&o, "%-16s pid %d, up since %s, ", "posternd",
		    (int)getpid(), when(self->since, t, sizeof(t)));
		put_str(&o, self->conffile);
		put(&o, "\n");
	}
	listeners(&o, conf);
	upstreams(&o, conf);
	daemons(&o);
	rules(&o);
	if (json)
		put(&o, "\"sessions\":%u}\n", all.n);
	else
		put(&o, "%-16s %u\n", "sessions", all.n);
	return o.err ? -1 : 0;
}

struct each {
	struct out	*o;
	int		 n;
};

static void
session_text(const struct pool_session *s, void *arg)
{
	struct each	*e = arg;
	struct out	*o = e->o;
	char		 t[32], addr[WORKER_ADDR_MAX + 8];

	(void)snprintf(addr, sizeof(addr), "%s:%u", s->addr, s->port);
	put(o, "%-20llu %-16s %-26s %-8s %-20s %12llu %12llu ",
	    (unsigned long long)s->id, s->listener, addr,
	    s->tls[0] != '\0' ? s->tls : "-", when(s->since, t, sizeof(t)),
	    (unsigned long long)s->bytes.client_in,
	    (unsigned long long)s->bytes.client_out);
	put_str(o, s->user);
	put(o, "\n");
	e->n++;
}

static void
session_json(const struct pool_session *s, void *arg)
{
	struct each	*e = arg;
	struct out	*o = e->o;

	put(o, "%s{\"id\":%llu,\"listener\":\"%s\",\"client\":\"%s\","
	    "\"port\":%u,\"user\":", e->n > 0 ? "," : "",
	    (unsigned long long)s->id, s->listener, s->addr, s->port);
	if (s->user[0] != '\0')
		put_str(o, s->user);
	else
		put(o, "null");
	put(o, ",\"tls\":");
	if (s->tls[0] != '\0')
		put_str(o, s->tls);
	else
		put(o, "null");
	put(o, ",\"since\":%lld,\"slot\":%d,\"pid\":%d,\"client_in\":%llu,"
	    "\"client_out\":%llu,\"upstream_in\":%llu,\"upstream_out\":%llu,"
	    "\"commands\":%u}", (long long)s->since, s->slot, (int)s->pid,
	    (unsigned long long)s->bytes.client_in,
	    (unsigned long long)s->bytes.client_out,
	    (unsigned long long)s->bytes.upstream_in,
	    (unsigned long long)s->bytes.upstream_out, s->bytes.commands);
	e->n++;
}

int
sessions_render(struct buf *b, int json)
{
	struct out	 o = { .b = b, .json = json };
	struct each	 e = { &o, 0 };

	if (json) {
		put(&o, "{\"sessions\":[");
		pool_sessions(session_json, &e);
		put(&o, "]}\n");
	} else {
		put(&o, "%-20s %-16s %-26s %-8s %-20s %12s %12s %s\n", "ID",
		    "LISTENER", "CLIENT", "TLS", "SINCE", "IN", "OUT", "USER");
		pool_sessions(session_text, &e);
	}
	return o.err ? -1 : 0;
}
