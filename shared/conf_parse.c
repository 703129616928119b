/*
 * A hand-written parser for postern.conf(5).  The grammar is line based:
 * a statement is a keyword and its words on one line (a backslash at the
 * end of a line joins the next), so a recursive descent over the words of
 * one line is all it takes, and every error knows its line.
 *
 * Here is the reading itself: the file into logical lines, each line to
 * its statement's parser (conf_daemon.c, conf_limits.c, conf_control.c,
 * conf_listen.c, conf_upstream.c, conf_tls.c), the defaults it starts
 * from, and what can only be judged once the whole file is read.
 */
#include <sys/types.h>

#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/queue.h>

#include "log.h"
#include "conf.h"
#include "conf_int.h"
#include "proto_policy.h"
#include "proto_worker.h"

/* RFC 3501 section 5.4: an autologout timer must be at least 30 minutes. */
#define IMAP_MIN_IDLE	1800
/* RFC 1939 section 3: a POP3 autologout timer must be at least 10 minutes. */
#define POP3_MIN_IDLE	600

static int	 parse_statement(struct parser *, struct conf *);
static void	 check_conf(struct parser *, struct conf *);
static void	 conf_defaults(struct conf *);

static const struct {
	const char	*keyword;
	int		(*parse)(struct parser *, struct conf *);
} statements[] = {
	{ "audit",	conf_st_audit },
	{ "chroot",	conf_st_chroot },
	{ "control",	conf_st_control },
	{ "counters",	conf_st_counters },
	{ "limit",	conf_st_limit },
	{ "listen",	conf_st_listen },
	{ "login",	conf_st_login },
	{ "metrics",	conf_st_metrics },
	{ "policy",	conf_st_policy },
	{ "pool",	conf_st_pool },
	{ "timeout",	conf_st_timeout },
	{ "tls",	conf_st_tls },
	{ "upstream",	conf_st_upstream },
	{ "user",	conf_st_user },
	{ "worker",	conf_st_worker },
};

static int
parse_statement(struct parser *p, struct conf *conf)
{
	char	*w = conf_next_word(p);
	size_t	 i;

	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		if (strcmp(w, statements[i].keyword) == 0)
			break;
	if (i == sizeof(statements) / sizeof(statements[0])) {
		conf_expected(p,
		    "'audit', 'chroot', 'control', 'counters', 'limit', "
		    "'listen', 'login', 'metrics', 'policy', 'pool', "
		    "'timeout', 'tls', 'upstream', 'user' or 'worker'");
		return -1;
	}
	if (statements[i].parse(p, conf) == -1)
		return -1;
	if (p->pos < p->nwords) {
		p->pos++;
		conf_expected(p, "end of line");
		return -1;
	}
	return 0;
}

/* What can only be judged once the whole file is read. */
static void
check_conf(struct parser *p, struct conf *conf)
{
	struct listener	*l, *m;
	uint32_t	 min_idle = POP3_MIN_IDLE;
	const char	*why = "RFC 1939: at least 10 minutes";

	if (p->nlisten == 0)
		conf_error(p, p->line, "expected at least one 'listen' "
		    "statement near end of file");
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		if (l->protocol == WORKER_PROTO_IMAP) {
			min_idle = IMAP_MIN_IDLE;
			why = "RFC 3501: at least 30 minutes, clients renew "
			    "IDLE every 29";
		}
		for (m = TAILQ_NEXT(l, entry); m != NULL;
		    m = TAILQ_NEXT(m, entry)) {
			if (strcmp(l->name, m->name) == 0)
				conf_error(p, m->line, "expected a name no "
				    "other listener has, not '%s' as on line "
				    "%d", m->name, l->line);
			if (l->sslen == m->sslen &&
			    memcmp(&l->ss, &m->ss, l->sslen) == 0)
				conf_error(p, m->line, "address %s port %u "
				    "already used on line %d", m->addr,
				    m->port, l->line);
		}
	}
	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (conf->metrics_port != 0 &&
		    l->sslen == conf->metrics_sslen &&
		    memcmp(&l->ss, &conf->metrics_ss, l->sslen) == 0)
			conf_error(p, l->line, "address %s port %u is the "
			    "metrics listener's", l->addr, l->port);
	if (conf->timeout_idle < min_idle)
		conf_error(p, p->idle_line ? p->idle_line : p->line,
		    "expected an idle timeout of at least %u seconds, not %u "
		    "(%s)", min_idle, conf->timeout_idle, why);
	conf_check_upstreams(p, conf);
	conf_check_tls(p, conf);
	conf_check_counters(p, conf);
	if (conf->min_idle > conf->max_workers)
		conf_error(p, p->pool_line, "expected pool min-idle no more "
		    "than max, not %u and %u",
		    conf->min_idle, conf->max_workers);
}

static void
conf_defaults(struct conf *conf)
{
	struct passwd	*pw;

	memset(conf, 0, sizeof(*conf));
	snprintf(conf->user, sizeof(conf->user), "%s", CONF_DEFAULT_USER);
	snprintf(conf->chroot, sizeof(conf->chroot), "%s",
	    CONF_DEFAULT_CHROOT);
	conf->min_idle = 4;
	conf->max_workers = 256;
	conf->sessions = 100;
	conf->pool_idle_timeout = 300;
	conf->policy_nice = POLICYD_NICE_DEFAULT;
	/* Workers forked from a per-pool template (master/pool.c). */
	conf->template_forks = 256;
	conf->max_queue = 128;
	conf->max_connecting = 256;
	conf->max_per_client = 0;
	conf->max_line = 65536;
	conf->max_literal = 64 * 1024 * 1024;
	conf->max_depth = 16;
	conf->max_args = 1024;
	conf->max_inflight = 128;
	conf->max_pop3_line = 8192;
	conf->max_username = 256;
	conf->max_password = 256;
	conf->timeout_login = 60;
	conf->timeout_idle = 1800;
	conf->timeout_upstream = 30;
	conf->timeout_start = 10;
	conf->timeout_drain = 30;
	conf->audit_max_size = 1024 * 1024 * 1024;
	conf->tls_min = 0x0303;		/* TLS 1.2 */
	conf->tls_max = 0x0304;		/* TLS 1.3 */
	conf->timeout_policy = 2000;
	conf->timeout_counters = 250;
	conf->timeout_queue = 10;
	conf->timeout_proxy = 5;
	/*
	 * Dovecot's auth penalty by default; an address is blocked long
	 * before a user, since anyone may lock a user out.
	 */
	conf->login.delay[0] = 0;
	conf->login.delay[1] = 2;
	conf->login.delay[2] = 4;
	conf->login.delay[3] = 8;
	conf->login.delay[4] = 15;
	conf->login.ndelay = 5;
	conf->login.addr_after = 10;
	conf->login.addr_within = 600;
	conf->login.addr_for = 900;
	conf->login.user_after = 30;
	conf->login.user_within = 600;
	conf->login.user_for = 900;
	conf->login.sessions_per_user = 0;
	conf->login.table = LOGIN_TABLE_DEFAULT;
	conf->uid = (uid_t)-1;
	conf->gid = (gid_t)-1;
	if ((pw = getpwnam(conf->user)) != NULL) {
		conf->uid = pw->pw_uid;
		conf->gid = pw->pw_gid;
	}
	TAILQ_INIT(&conf->listeners);
	TAILQ_INIT(&conf->upstreams);
}

struct conf *
conf_parse(const char *file)
{
	struct parser	 p;
	struct conf	*conf;
	FILE		*fp;
	char		*line = NULL, *logical = NULL;
	size_t		 linesz = 0, loglen = 0;
	ssize_t		 n;
	int		 phys = 0, first = 1;

	memset(&p, 0, sizeof(p));
	p.file = file;
	if ((fp = fopen(file, "r")) == NULL) {
		log_warn("%s", file);
		return NULL;
	}
	if ((conf = malloc(sizeof(*conf))) == NULL)
		fatal("%s", __func__);
	conf_defaults(conf);

	while ((n = getline(&line, &linesz, fp)) != -1) {
		phys++;
		if (loglen == 0)
			first = phys;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		p.line = phys;
		if (strlen(line) != (size_t)n) {
			conf_error(&p, p.line, "expected text near NUL byte");
			loglen = 0;
			continue;
		}
		if ((logical = realloc(logical, loglen + n + 1)) == NULL)
			fatal("%s", __func__);
		memcpy(logical + loglen, line, n);
		loglen += n;
		logical[loglen] = '\0';
		/* A backslash at the end joins the next line. */
		if (n > 0 && line[n - 1] == '\\') {
			logical[loglen - 1] = ' ';
			continue;
		}
		loglen = 0;
		/* Errors in a joined statement name its first line. */
		p.line = first;
		if (conf_split_line(&p, logical) == 0 && p.nwords > 0)
			parse_statement(&p, conf);
	}
	/* The file ended inside a statement joined by a backslash. */
	if (loglen > 0) {
		p.line = first;
		if (conf_split_line(&p, logical) == 0 && p.nwords > 0)
			parse_statement(&p, conf);
	}
	p.line = phys > 0 ? phys : 1;
	if (ferror(fp)) {
		log_warn("%s", file);
		p.errors++;
	}
	fclose(fp);
	free(line);
	free(logical);
	check_conf(&p, conf);
	if (conf->uid == (uid_t)-1 && p.errors == 0)
		conf_error(&p, p.line, "unknown user '%s' (the default): "
		    "expected a 'user' statement", conf->user);
	if (p.errors > 0) {
		conf_free(conf);
		return NULL;
	}
	return conf;
}

void
conf_free(struct conf *conf)
{
	struct listener	*l;
	struct upstream	*u;

	if (conf == NULL)
		return;
	while ((l = TAILQ_FIRST(&conf->listeners)) != NULL) {
		TAILQ_REMOVE(&conf->listeners, l, entry);
		free(l);
	}
	while ((u = TAILQ_FIRST(&conf->upstreams)) != NULL) {
		TAILQ_REMOVE(&conf->upstreams, u, entry);
		free(u);
	}
	free(conf);
}
