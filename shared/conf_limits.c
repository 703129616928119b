/*
 * The bounds on a client: how much it may make postern hold ("limit"),
 * how fast it may guess passwords ("login", the guard postern-policyd
 * keeps), and how long each side is waited for ("timeout").  Each is a
 * list of knobs, each checked against its range alone; how they bear
 * on one another is judged once the file is read (conf_parse.c,
 * conf_control.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "conf_int.h"
#include "proto_policy.h"
#include "proto_worker.h"

static int	 login_block(struct parser *, struct conf *);

/*
 * limit [line N] [literal N] [depth N] [args N] [inflight N]
 *     [pop3-line N] [username N] [password N] [queue N] [connecting N]
 *     [connections per-client N] [sessions per-user N], one or more.
 * The bounds of line, args and pop3-line are those the policy channel
 * is made for: proto_policy.h checks at build time that the largest
 * give a channel that carries every query.  Each client waiting in a
 * queue holds a descriptor of the master, hence queue's bound.
 */
#define LIMIT_WORDS	"'line', 'literal', 'depth', 'args', 'inflight', " \
			"'pop3-line', 'username', 'password', 'queue', " \
			"'connecting', 'connections' or 'sessions'"

int
conf_st_limit(struct parser *p, struct conf *conf)
{
	char	*w;
	int	 n = 0;

	while ((w = conf_next_word(p)) != NULL) {
		n++;
		/* RFC 7162 section 4: clients may send lines of 8192 octets. */
		if (strcmp(w, "line") == 0) {
			if (conf_get_u32(p, "line length", UNIT_BYTES, 8192,
			    WORKER_LINE_MAX, &conf->max_line) == -1)
				return -1;
		} else if (strcmp(w, "literal") == 0) {
			if (conf_get_u32(p, "literal size", UNIT_BYTES, 0,
			    INT32_MAX, &conf->max_literal) == -1)
				return -1;
		} else if (strcmp(w, "depth") == 0) {
			/* The engine keeps a token's depth in a byte. */
			if (conf_get_u32(p, "nesting depth", UNIT_NONE, 1, 250,
			    &conf->max_depth) == -1)
				return -1;
		} else if (strcmp(w, "args") == 0) {
			if (conf_get_u32(p, "argument count", UNIT_NONE, 16,
			    WORKER_ARGS_MAX, &conf->max_args) == -1)
				return -1;
		} else if (strcmp(w, "inflight") == 0) {
			if (conf_get_u32(p, "commands in flight", UNIT_NONE, 1,
			    4096, &conf->max_inflight) == -1)
				return -1;
		} else if (strcmp(w, "pop3-line") == 0) {
			/* RFC 2449 section 4: 255 octets and CRLF at least. */
			if (conf_get_u32(p, "POP3 line length", UNIT_BYTES, 256,
			    WORKER_POP3_LINE_MAX, &conf->max_pop3_line) == -1)
				return -1;
		} else if (strcmp(w, "username") == 0) {
			if (conf_get_u32(p, "user name length", UNIT_BYTES, 1,
			    4096, &conf->max_username) == -1)
				return -1;
		} else if (strcmp(w, "password") == 0) {
			if (conf_get_u32(p, "password length", UNIT_BYTES, 1,
			    4096, &conf->max_password) == -1)
				return -1;
		} else if (strcmp(w, "queue") == 0) {
			if (conf_get_u32(p, "clients waiting", UNIT_NONE, 0,
			    4096, &conf->max_queue) == -1)
				return -1;
		} else if (strcmp(w, "connecting") == 0) {
			if (conf_get_u32(p, "sessions awaiting a greeting",
			    UNIT_NONE, 0, 65535, &conf->max_connecting) == -1)
				return -1;
		} else if (strcmp(w, "connections") == 0) {
			if ((w = conf_next_word(p)) == NULL ||
			    strcmp(w, "per-client") != 0) {
				conf_expected(p, "'per-client'");
				return -1;
			}
			if (conf_get_u32(p, "connections per client", UNIT_NONE,
			    0, 65535, &conf->max_per_client) == -1)
				return -1;
		} else if (strcmp(w, "sessions") == 0) {
			if ((w = conf_next_word(p)) == NULL ||
			    strcmp(w, "per-user") != 0) {
				conf_expected(p, "'per-user'");
				return -1;
			}
			if (conf_get_u32(p, "sessions per user", UNIT_NONE, 0,
			    65535, &conf->login.sessions_per_user) == -1)
				return -1;
		} else {
			conf_expected(p, LIMIT_WORDS);
			return -1;
		}
	}
	if (n == 0) {
		conf_expected(p, LIMIT_WORDS);
		return -1;
	}
	return 0;
}

/*
 * login delay S [S ...] | login block [address | user] after N within T
 * for T | login table N: the password-guessing guard, kept by policyd.
 * A block of "after 0" is off; within and for are from a second to a
 * week, like the timeouts.
 */
#define LOGIN_WORDS	"'delay', 'block' or 'table'"

static int
login_block(struct parser *p, struct conf *conf)
{
	struct login_conf	*g = &conf->login;
	uint32_t		 after, within, forr;
	char			*w = conf_next_word(p);
	int			 addr = 1, user = 1;

	if (w != NULL && strcmp(w, "address") == 0) {
		user = 0;
		w = conf_next_word(p);
	} else if (w != NULL && strcmp(w, "user") == 0) {
		addr = 0;
		w = conf_next_word(p);
	}
	if (w == NULL || strcmp(w, "after") != 0) {
		conf_expected(p, "'address', 'user' or 'after'");
		return -1;
	}
	if (conf_get_u32(p, "failures", UNIT_NONE, 0, 1000000, &after) == -1)
		return -1;
	if ((w = conf_next_word(p)) == NULL || strcmp(w, "within") != 0) {
		conf_expected(p, "'within'");
		return -1;
	}
	if (conf_get_u32(p, "seconds", UNIT_SECONDS, 1, 7 * 24 * 3600,
	    &within) == -1)
		return -1;
	if ((w = conf_next_word(p)) == NULL || strcmp(w, "for") != 0) {
		conf_expected(p, "'for'");
		return -1;
	}
	if (conf_get_u32(p, "seconds", UNIT_SECONDS, 1, 7 * 24 * 3600,
	    &forr) == -1)
		return -1;
	if (addr) {
		g->addr_after = after;
		g->addr_within = within;
		g->addr_for = forr;
	}
	if (user) {
		g->user_after = after;
		g->user_within = within;
		g->user_for = forr;
	}
	return 0;
}

int
conf_st_login(struct parser *p, struct conf *conf)
{
	struct login_conf	*g = &conf->login;
	char			*w = conf_next_word(p);
	uint32_t		 n = 0;

	if (w != NULL && strcmp(w, "block") == 0)
		return login_block(p, conf);
	if (w != NULL && strcmp(w, "table") == 0)
		return conf_get_u32(p, "counters", UNIT_NONE, 64,
		    LOGIN_TABLE_MAX, &g->table);
	if (w == NULL || strcmp(w, "delay") != 0) {
		conf_expected(p, LOGIN_WORDS);
		return -1;
	}
	/* An hour is already more than any client waits. */
	while (p->pos < p->nwords) {
		if (n == LOGIN_DELAYS_MAX) {
			conf_error(p, p->line, "more than %u login delays",
			    LOGIN_DELAYS_MAX);
			return -1;
		}
		if (conf_get_u32(p, "seconds", UNIT_SECONDS, 0, 3600,
		    &g->delay[n]) == -1)
			return -1;
		n++;
	}
	if (n == 0) {
		conf_expected(p, "seconds");
		return -1;
	}
	g->ndelay = n;
	return 0;
}

/*
 * timeout [login N] [idle N] [upstream N] [start N] [drain N]
 *     [policy MS] [counters MS] [queue N] [proxy N], one or more.
 */
#define TIMEOUT_WORDS	"'login', 'idle', 'upstream', 'start', 'drain', " \
			"'policy', 'counters', 'queue' or 'proxy'"

int
conf_st_timeout(struct parser *p, struct conf *conf)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} t[] = {
		{ "drain", offsetof(struct conf, timeout_drain) },
		{ "idle", offsetof(struct conf, timeout_idle) },
		{ "login", offsetof(struct conf, timeout_login) },
		{ "start", offsetof(struct conf, timeout_start) },
		{ "upstream", offsetof(struct conf, timeout_upstream) },
	};
	char	*w;
	size_t	 i;
	int	 n = 0;

	while ((w = conf_next_word(p)) != NULL) {
		n++;
		/* A verdict's wait is counted in milliseconds. */
		if (strcmp(w, "policy") == 0) {
			if (conf_get_u32(p, "milliseconds", UNIT_NONE, 1, 60000,
			    &conf->timeout_policy) == -1)
				return -1;
			continue;
		}
		/* A login waits this long at most for Redis's count. */
		if (strcmp(w, "counters") == 0) {
			if (conf_get_u32(p, "milliseconds", UNIT_NONE, 1, 60000,
			    &conf->timeout_counters) == -1)
				return -1;
			p->counters_tline = p->line;
			continue;
		}
		/* A client in the queue has had no greeting yet. */
		if (strcmp(w, "queue") == 0) {
			if (conf_get_u32(p, "seconds", UNIT_SECONDS, 1, 3600,
			    &conf->timeout_queue) == -1)
				return -1;
			continue;
		}
		/* Nor has one whose PROXY header is awaited. */
		if (strcmp(w, "proxy") == 0) {
			if (conf_get_u32(p, "seconds", UNIT_SECONDS, 1, 3600,
			    &conf->timeout_proxy) == -1)
				return -1;
			continue;
		}
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strcmp(w, t[i].name) == 0)
				break;
		if (i == sizeof(t) / sizeof(t[0])) {
			conf_expected(p, TIMEOUT_WORDS);
			return -1;
		}
		if (conf_get_u32(p, "seconds", UNIT_SECONDS, 1, 7 * 24 * 3600,
		    (uint32_t *)((char *)conf + t[i].off)) == -1)
			return -1;
		if (strcmp(w, "idle") == 0)
			p->idle_line = p->line;
	}
	if (n == 0) {
		conf_expected(p, TIMEOUT_WORDS);
		return -1;
	}
	return 0;
}
