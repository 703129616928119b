/*
 * The metrics (metrics.h).  Names and types follow Prometheus'
 * conventions: a prefix of the program, base units (seconds), counters
 * ending in _total, labels for the dimensions.  The two exposition
 * formats differ here only in how a counter's family is named (without
 * _total in OpenMetrics) and in OpenMetrics' "# EOF".
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/queue.h>

#include "buf.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "policy_wire.h"
#include "policyd_child.h"
#include "pool.h"
#include "upstream.h"
#include "waitq.h"

/* Why sessions ended: enum worker_end_reason, the worker's death, other. */
static const char *const end_names[] = {
	[WORKER_END_LOGOUT] = "logout",
	[WORKER_END_CLIENT_EOF] = "client-eof",
	[WORKER_END_UPSTREAM_EOF] = "upstream-eof",
	[WORKER_END_TIMEOUT] = "timeout",
	[WORKER_END_POLICY] = "policy",
	[WORKER_END_ERROR] = "error",
	[WORKER_END_SHUTDOWN] = "shutdown",
	[WORKER_END_KICKED] = "kicked",
	"worker-died",
	"other",
};
#define NENDS		(sizeof(end_names) / sizeof(end_names[0]))
#define END_WORKER	(NENDS - 2)
#define END_OTHER	(NENDS - 1)

/* How workers ended, and why posternd gave up on those it did. */
static const char *const exit_names[] = {
	"stopped", "killed", "crashed", "sigsys", "sigxfsz",
};
enum { EXIT_STOPPED, EXIT_KILLED, EXIT_CRASHED, EXIT_SIGSYS, EXIT_SIGXFSZ,
    NEXITS };
static const char *const fail_names[] = {
	"start-timeout", "stop-timeout", "protocol", "channel", "crashed",
	"sigsys", "sigxfsz",
};
#define NFAILS		(sizeof(fail_names) / sizeof(fail_names[0]))

static const char *const table_names[WORKER_STATS_TABLES] = {
	"other", "connect", "request", "response", "capability", "list",
};
static const uint64_t rtt_us[WORKER_RTT_BUCKETS - 1] = {
	WORKER_RTT_BOUNDS_US
};

/* The counters of one listener name. */
struct lstats {
	TAILQ_ENTRY(lstats)	 entry;
	char			 name[WORKER_NAME_MAX];
	uint64_t		 opened;
	uint64_t		 ended[NENDS];
	uint64_t		 starts;
	uint64_t		 exits[NEXITS];
	uint64_t		 fails[NFAILS];
	uint64_t		 refused[3];	/* queue, per-client, no server */
	uint64_t		 login_failures;
	uint64_t		 upstream_failures;
	uint64_t		 tls_ok[2];	/* client, upstream */
	uint64_t		 tls_failed[2];
	/* Gauges, filled for a scrape. */
	uint64_t		 active;
};
TAILQ_HEAD(lstatslist, lstats);

static struct lstatslist lstats = TAILQ_HEAD_INITIALIZER(lstats);
static uint64_t		 verdicts[WORKER_STATS_TABLES][WORKER_STATS_ACTIONS];
static uint64_t		 cache_hits, cache_misses;
static uint64_t		 rtt[WORKER_RTT_BUCKETS];
static uint64_t		 rtt_sum_ns;

static int		 out_err;	/* a line of this scrape did not fit */

static struct lstats	*lstats_get(const char *);
static void		 out(struct buf *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static void		 count_active(const struct pool_session *, void *);
static void		 family(struct buf *, int, const char *, const char *,
			    const char *);

/* Listener names are few (postern.conf's), so a list will do. */
static struct lstats *
lstats_get(const char *name)
{
	struct lstats	*ls;

	TAILQ_FOREACH(ls, &lstats, entry)
		if (strcmp(ls->name, name) == 0)
			return ls;
	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		fatal("%s", __func__);
	(void)snprintf(ls->name, sizeof(ls->name), "%s", name);
	TAILQ_INSERT_TAIL(&lstats, ls, entry);
	return ls;
}

void
metrics_session_opened(const char *listener)
{
	lstats_get(listener)->opened++;
}

void
metrics_session_ended(const char *listener, uint32_t reason)
{
	struct lstats	*ls = lstats_get(listener);

	if (reason == METRICS_END_WORKER)
		ls->ended[END_WORKER]++;
	else if (reason < END_WORKER)
		ls->ended[reason]++;
	else
		ls->ended[END_OTHER]++;
}

void
metrics_session_stats(const char *listener,
    const struct worker_session_stats *st)
{
	struct lstats	*ls = lstats_get(listener);
	size_t		 t, a, i;

	for (t = 0; t < WORKER_STATS_TABLES; t++)
		for (a = 0; a < WORKER_STATS_ACTIONS; a++)
			verdicts[t][a] += st->verdicts[t][a];
	cache_hits += st->cache_hits;
	cache_misses += st->cache_misses;
	for (i = 0; i < WORKER_RTT_BUCKETS; i++)
		rtt[i] += st->rtt[i];
	rtt_sum_ns += st->rtt_sum_ns;
	for (i = 0; i < 2; i++) {
		ls->tls_ok[i] += st->tls_ok[i];
		ls->tls_failed[i] += st->tls_failed[i];
	}
	ls->login_failures += st->login_failures;
	ls->upstream_failures += st->upstream_failures;
}

void
metrics_worker_started(const char *listener)
{
	lstats_get(listener)->starts++;
}

void
metrics_worker_failed(const char *listener, const char *cause)
{
	struct lstats	*ls = lstats_get(listener);
	size_t		 i;

	for (i = 0; i < NFAILS; i++)
		if (strcmp(cause, fail_names[i]) == 0) {
			ls->fails[i]++;
			return;
		}
	log_warnx("%s: unknown cause %s", __func__, cause);
}

void
metrics_worker_exited(const char *listener, int status, int told, int failed)
{
	struct lstats	*ls = lstats_get(listener);
	int		 sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	int		 e;

	if (sig == SIGSYS)
		e = EXIT_SIGSYS;
	else if (sig == SIGXFSZ)
		e = EXIT_SIGXFSZ;
	else if (failed && sig == SIGKILL)
		e = EXIT_KILLED;
	else if (!told || failed || (WIFEXITED(status) &&
	    WEXITSTATUS(status) != 0))
		e = EXIT_CRASHED;
	else
		e = EXIT_STOPPED;
	ls->exits[e]++;
	/* What posternd did not give up on itself failed on its own. */
	if (e == EXIT_CRASHED || e == EXIT_SIGSYS || e == EXIT_SIGXFSZ)
		metrics_worker_failed(listener, exit_names[e]);
}

void
metrics_refused(const char *listener, int reason)
{
	if (reason < 0 || reason > 2)
		reason = 0;
	lstats_get(listener)->refused[reason]++;
}

/* ---- The exposition ---- */

/* A line of the text, whole or not at all; out_err says one was not. */
static void
out(struct buf *b, const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    buf_add(b, line, (size_t)n) == -1)
		out_err = 1;
}

static void
family(struct buf *b, int om, const char *name, const char *type,
    const char *help)
{
	size_t	 n = strlen(name);

	/* OpenMetrics names a counter's family without its _total. */
	if (om && strcmp(type, "counter") == 0 && n > 6 &&
	    strcmp(name + n - 6, "_total") == 0)
		n -= 6;
	out(b, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name,
	    help, (int)n, name, type);
}

static void
count_active(const struct pool_session *s, void *arg)
{
	(void)arg;
	lstats_get(s->listener)->active++;
}

/* A family with one series per listener, of its counter field. */
#define PER_LISTENER(b, om, fam, type, help, field) do {		\
	struct lstats	*ls_;						\
									\
	family((b), (om), (fam), (type), (help));			\
	TAILQ_FOREACH(ls_, &lstats, entry)				\
		out((b), "%s{listener=\"%s\"} %llu\n", (fam),		\
		    ls_->name, (unsigned long long)ls_->field);		\
} while (0)

static void
render_listeners(struct buf *b, int om)
{
	struct lstats	*ls;
	size_t		 i;

	PER_LISTENER(b, om, "postern_sessions_opened_total", "counter",
	    "Sessions handed to a worker.", opened);
	PER_LISTENER(b, om, "postern_sessions_active", "gauge",
	    "Sessions under way.", active);
	family(b, om, "postern_sessions_ended_total", "counter",
	    "Sessions ended, by cause.");
	TAILQ_FOREACH(ls, &lstats, entry)
		for (i = 0; i < NENDS; i++)
			out(b, "postern_sessions_ended_total"
			    "{listener=\"%s\",cause=\"%s\"} %llu\n", ls->name,
			    end_names[i], (unsigned long long)ls->ended[i]);
	family(b, om, "postern_queue_refusals_total", "counter",
	    "Clients refused before a worker took them: the wait queue was "
	    "full or too slow, the client had too many connections, or no "
	    "server of the upstream was up.");
	TAILQ_FOREACH(ls, &lstats, entry)
		for (i = 0; i < 3; i++)
			out(b, "postern_queue_refusals_total"
			    "{listener=\"%s\",reason=\"%s\"} %llu\n", ls->name,
			    i == 0 ? "queue" : i == 1 ? "per-client" :
			    "unavailable",
			    (unsigned long long)ls->refused[i]);
	PER_LISTENER(b, om, "postern_login_failures_total", "counter",
	    "Logins the server refused.", login_failures);
	PER_LISTENER(b, om, "postern_upstream_connect_failures_total",
	    "counter", "Connections to the server that failed.",
	    upstream_failures);
	family(b, om, "postern_tls_handshakes_total", "counter",
	    "TLS handshakes, with the client and with the server.");
	TAILQ_FOREACH(ls, &lstats, entry)
		for (i = 0; i < 4; i++)
			out(b, "postern_tls_handshakes_total"
			    "{listener=\"%s\",side=\"%s\",result=\"%s\"} "
			    "%llu\n", ls->name, i / 2 == 0 ? "client" :
			    "upstream", i % 2 == 0 ? "ok" : "failed",
			    (unsigned long long)(i % 2 == 0 ?
			    ls->tls_ok[i / 2] : ls->tls_failed[i / 2]));
	PER_LISTENER(b, om, "postern_worker_starts_total", "counter",
	    "Workers started.", starts);
	family(b, om, "postern_worker_exits_total", "counter",
	    "Workers gone, by how: stopped when told, killed by posternd, "
	    "crashed, killed by their seccomp filter (sigsys) or their "
	    "audit log's size limit (sigxfsz).");
	TAILQ_FOREACH(ls, &lstats, entry)
		for (i = 0; i < NEXITS; i++)
			out(b, "postern_worker_exits_total"
			    "{listener=\"%s\",cause=\"%s\"} %llu\n", ls->name,
			    exit_names[i], (unsigned long long)ls->exits[i]);
	family(b, om, "postern_worker_failures_total", "counter",
	    "Workers that failed, by cause.");
	TAILQ_FOREACH(ls, &lstats, entry)
		for (i = 0; i < NFAILS; i++)
			out(b, "postern_worker_failures_total"
			    "{listener=\"%s\",cause=\"%s\"} %llu\n", ls->name,
			    fail_names[i], (unsigned long long)ls->fails[i]);
}

static void
render_pools(struct buf *b, int om, const struct conf *conf)
{
	static const char *const states[] = {
		"idle", "busy", "starting", "stopping"
	};
	struct listener	*l;
	struct pool_stat st;
	unsigned int	 n[4];
	size_t		 i;

	family(b, om, "postern_workers", "gauge",
	    "Workers of the listener's pool, by state.");
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		pool_stat(l->pool, &st);
		n[0] = st.idle;
		n[1] = st.busy;
		n[2] = st.starting;
		n[3] = st.stopping;
		for (i = 0; i < 4; i++)
			out(b, "postern_workers{listener=\"%s\","
			    "state=\"%s\"} %u\n", l->name, states[i], n[i]);
	}
	family(b, om, "postern_workers_max", "gauge",
	    "The most workers the listener's pool may have (pool max).");
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		pool_stat(l->pool, &st);
		out(b, "postern_workers_max{listener=\"%s\"} %u\n",
		    l->name, st.max);
	}
	family(b, om, "postern_template_forks", "gauge",
	    "Workers the pool's current template has forked (it is "
	    "replaced after template-forks); absent without a template.");
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		pool_stat(l->pool, &st);
		if (st.tmpl_state != NULL)
			out(b, "postern_template_forks{listener=\"%s\","
			    "pid=\"%d\"} %u\n", l->name, (int)st.tmpl_pid,
			    st.tmpl_forks);
	}
	family(b, om, "postern_queued_clients", "gauge",
	    "Clients waiting for a worker.");
	TAILQ_FOREACH(l, &conf->listeners, entry)
		out(b, "postern_queued_clients{listener=\"%s\"} "
		    "%u\n", l->name, waitq_length(l));
}

static void
render_verdicts(struct buf *b, int om)
{
	uint64_t	 cum = 0;
	size_t		 t, a, i;

	family(b, om, "postern_verdicts_total", "counter",
	    "Verdicts applied, by rules table and action; action \"none\": "
	    "none came, the session failed closed.");
	for (t = 0; t < WORKER_STATS_TABLES; t++)
		for (a = 0; a < WORKER_STATS_ACTIONS; a++) {
			if (t == 0 && verdicts[t][a] == 0)
				continue;
			out(b, "postern_verdicts_total{table=\"%s\","
			    "action=\"%s\"} %llu\n", table_names[t], a == 0 ?
			    "none" : rules_action_name((enum rules_action)a),
			    (unsigned long long)verdicts[t][a]);
		}
	family(b, om, "postern_verdict_cache_hits_total", "counter",
	    "Verdicts a worker's cache answered.");
	out(b, "postern_verdict_cache_hits_total %llu\n",
	    (unsigned long long)cache_hits);
	family(b, om, "postern_verdict_cache_misses_total", "counter",
	    "Verdicts asked of postern-policyd.");
	out(b, "postern_verdict_cache_misses_total %llu\n",
	    (unsigned long long)cache_misses);
	family(b, om, "postern_policyd_round_trip_seconds", "histogram",
	    "Time from a verdict query to its answer, as the worker saw it.");
	for (i = 0; i < WORKER_RTT_BUCKETS; i++) {
		cum += rtt[i];
		if (i < WORKER_RTT_BUCKETS - 1)
			out(b, "postern_policyd_round_trip_seconds"
			    "_bucket{le=\"%g\"} %llu\n",
			    (double)rtt_us[i] / 1e6, (unsigned long long)cum);
		else
			out(b, "postern_policyd_round_trip_seconds"
			    "_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	out(b, "postern_policyd_round_trip_seconds_sum %llu.%09llu"
	    "\npostern_policyd_round_trip_seconds_count %llu\n",
	    (unsigned long long)(rtt_sum_ns / 1000000000),
	    (unsigned long long)(rtt_sum_ns % 1000000000),
	    (unsigned long long)cum);
}

static void
render_daemons(struct buf *b, int om)
{
	struct daemon_status		 ds[DAEMON_MAX];
	struct policyd_generation	 g;
	char				 hex[2 * sizeof(g.sha256) + 1];
	size_t				 i;

	for (i = 0; i < DAEMON_MAX; i++)
		daemon_status((enum daemon_id)i, &ds[i]);
	family(b, om, "postern_daemon_up", "gauge",
	    "1 when the helper daemon runs and is ready.");
	for (i = 0; i < DAEMON_MAX; i++)
		if (ds[i].on)
			out(b, "postern_daemon_up{daemon=\"%s\"} "
			    "%d\n", ds[i].name, ds[i].ready && ds[i].pid != 0);
	family(b, om, "postern_daemon_restarts_total", "counter",
	    "Restarts of the helper daemon after it died.");
	for (i = 0; i < DAEMON_MAX; i++)
		if (ds[i].on || ds[i].restarts > 0)
			out(b, "postern_daemon_restarts_total"
			    "{daemon=\"%s\"} %u\n", ds[i].name,
			    ds[i].restarts);
	if (policyd_child_generation(&g)) {
		family(b, om, "postern_rules_generation", "gauge",
		    "The current generation of the policy store; 0 none.");
		out(b, "postern_rules_generation %llu\n",
		    (unsigned long long)g.gen);
	}
	/* The sha256 as a label: nodes of a fleet agree when they match. */
	if (policyd_child_generation(&g) && g.gen != 0) {
		for (i = 0; i < sizeof(g.sha256); i++)
			(void)snprintf(hex + 2 * i, 3, "%02x", g.sha256[i]);
		family(b, om, "postern_rules_current", "gauge",
		    "The current generation, labelled with the SHA-256 of "
		    "its source.");
		out(b, "postern_rules_current{sha256=\"%s\"} %llu\n", hex,
		    (unsigned long long)g.gen);
	}
}

/* One series per server of every named upstream (upstream.h). */
#define PER_SERVER(b, conf, fam, expr) do {				\
	const struct upstream	*u_;					\
	const struct upcheck	*ck_;					\
	uint32_t		 i_;					\
									\
	TAILQ_FOREACH(u_, &(conf)->upstreams, entry)			\
		for (i_ = 0; !u_->anonymous && i_ < u_->nservers; i_++) {\
			if ((ck_ = u_->servers[i_].check) == NULL)	\
				continue;				\
			out((b), "%s{upstream=\"%s\",server=\"%s:%u\"} "	\
			    "%llu\n", (fam), u_->name,			\
			    u_->servers[i_].addr, u_->servers[i_].port,	\
			    (unsigned long long)(expr));		\
		}							\
} while (0)

/*
 * The named upstreams' servers; nothing when there is none, as with
 * "upstream HOST port N" alone, whose one server is never checked.
 */
static void
render_upstreams(struct buf *b, int om, const struct conf *conf)
{
	const struct upstream	*u;
	int			 any = 0;

	TAILQ_FOREACH(u, &conf->upstreams, entry)
		any |= !u->anonymous;
	if (!any)
		return;
	family(b, om, "postern_upstream_server_up", "gauge",
	    "1 when the server takes sessions: its checks pass, or it has "
	    "none.");
	PER_SERVER(b, conf, "postern_upstream_server_up",
	    u_->check_line == 0 || ck_->up);
	family(b, om, "postern_upstream_checks_total", "counter",
	    "Health checks of the server, passed or not.");
	PER_SERVER(b, conf, "postern_upstream_checks_total", ck_->checks);
	family(b, om, "postern_upstream_checks_failed_total", "counter",
	    "Health checks of the server that failed.");
	PER_SERVER(b, conf, "postern_upstream_checks_failed_total",
	    ck_->checks_failed);
	family(b, om, "postern_upstream_server_sessions_total", "counter",
	    "Connections the master made to the server for clients.");
	PER_SERVER(b, conf, "postern_upstream_server_sessions_total",
	    ck_->sessions);
	family(b, om, "postern_upstream_server_connect_failures_total",
	    "counter", "Connects to the server that failed or timed out, "
	    "each followed by the next server.");
	PER_SERVER(b, conf, "postern_upstream_server_connect_failures_total",
	    ck_->connect_failures);
}

int
metrics_render(struct buf *b, const struct conf *conf, int om)
{
	struct listener	*l;
	struct lstats	*ls;

	out_err = 0;
	/* Every listener has its series, sessions or none. */
	TAILQ_FOREACH(l, &conf->listeners, entry)
		(void)lstats_get(l->name);
	TAILQ_FOREACH(ls, &lstats, entry)
		ls->active = 0;
	pool_sessions(count_active, NULL);
	render_listeners(b, om);
	render_pools(b, om, conf);
	render_verdicts(b, om);
	render_upstreams(b, om, conf);
	render_daemons(b, om);
	if (om)
		out(b, "# EOF\n");
	return out_err ? -1 : 0;
}
