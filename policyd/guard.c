/*
 * postern-policyd's password-guessing guard (guard.h).
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/queue.h>

#include "answerers.h"
#include "clock.h"
#include "counters.h"
#include "fleet.h"
#include "guard.h"
#include "log.h"

/* Keys in Redis: PREFIX, what, ':', the counter key in hex. */
#define KEY_PREFIX	"postern:"
#define KEY_MAX		(sizeof(KEY_PREFIX) + 4 + 2 * COUNTER_KEY_MAX)
/*
 * A user's session count in Redis outlives a node that died with
 * sessions open by this long after the user's last login at most.
 */
#define SESSION_TTL_MS	"86400000"

/*
 * The scripts, one atomic step each on the server.  fail(): a failure
 * in the key's window (opened by the first, as counters_fail()); reaching
 * `after' sets the block and starts a fresh window.  PTTL is -2 for no
 * key, -1 for one without expiry; a block has one.
 */
static const char check_lua[] =
    "return {tonumber(redis.call('GET', KEYS[1]) or '0'), "
    "redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[3])}";
static const char fail_lua[] =
    "local function fail(f, b, w, after, blk) "
    "local n = redis.call('INCR', f) "
    "if n == 1 then redis.call('PEXPIRE', f, w) end "
    "if after > 0 and n >= after then "
    "redis.call('SET', b, '1', 'PX', blk) redis.call('DEL', f) "
    "return after, tonumber(blk) end "
    "return n, redis.call('PTTL', b) end "
    "local na, ta = fail(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), "
    "ARGV[3]) "
    "local nu, tu = 0, -2 "
    "if ARGV[7] == '1' then nu, tu = fail(KEYS[3], KEYS[4], ARGV[4], "
    "tonumber(ARGV[5]), ARGV[6]) end "
    "return {na, ta, nu, tu}";
static const char session_add_lua[] =
    "local n = redis.call('INCR', KEYS[1]) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[2]) "
    "if tonumber(ARGV[1]) > 0 and n > tonumber(ARGV[1]) then "
    "redis.call('DECR', KEYS[1]) return {n, 1} end "
    "return {n, 0}";
static const char session_del_lua[] =
    "local n = redis.call('DECR', KEYS[1]) "
    "if n <= 0 then redis.call('DEL', KEYS[1]) end return n";

static struct counters	*counters;
static struct login_conf guard;
/* The page's POLICY_PAGE_BLOCKS word (guard_publish()), or NULL. */
static volatile uint64_t *blocks_word;
static int		 fleet_configured;
/*
 * One guard for all the answering threads (answerers.h): the counters,
 * the pending logins and the Redis connection are touched with it held.
 */
static pthread_mutex_t	 mtx = PTHREAD_MUTEX_INITIALIZER;

/* A worker's session that logged in and counts for its user. */
struct wlogin {
	struct counter_key	 user;
	int			 fleet;		/* counted in Redis too */
};

/* A login message waiting for Redis's answer. */
struct pending {
	TAILQ_ENTRY(pending)	 entry;
	struct wchan		*w;		/* NULL: its channel ended */
	uint32_t		 type;
	struct policy_login	 pl;
	char			 user[65];	/* for the logs */
	struct counter_key	 a, u;
	struct policy_login_status st;		/* FAILED: this node's */
};
static TAILQ_HEAD(, pending) pendings = TAILQ_HEAD_INITIALIZER(pendings);

static void	 block_published(int64_t);
static void	 guard_check(struct login_conf *);
static void	 login_end(struct wchan *);
static int	 locked_msg(struct wchan *, const struct msg *);
static int	 send_status(struct wchan *, const struct policy_login_status *);
static int	 fleet_ask(struct pending *);
static void	 fleet_answer(void *, const struct fleet_reply *);
static void	 fleet_ignore(void *, const struct fleet_reply *);
static void	 fleet_session_del(const struct counter_key *);
static struct pending *pending_new(struct wchan *, uint32_t,
		    const struct policy_login *, const char *,
		    const struct counter_key *, const struct counter_key *,
		    const struct policy_login_status *);

void
guard_init(struct login_conf *g, const struct fleet_conf *f,
    void (*ask)(void))
{
	guard_check(g);
	guard = *g;
	fleet_configured = f != NULL && f->redis != 0;
	if ((counters = counters_new(guard.table)) == NULL)
		fatal("login counters for %u entries", guard.table);
	fleet_init(f, ask);
}

void
guard_expire(int64_t now)
{
	pthread_mutex_lock(&mtx);
	counters_expire(counters, now);
	pthread_mutex_unlock(&mtx);
}

void
guard_redis_socket(int fd, int error)
{
	pthread_mutex_lock(&mtx);
	fleet_socket(fd, error);
	pthread_mutex_unlock(&mtx);
}

int
guard_redis_pollfd(short *events, int *ms, int64_t now)
{
	int	 fd;

	pthread_mutex_lock(&mtx);
	fd = fleet_pollfd(events);
	*ms = fleet_timeout(now);
	pthread_mutex_unlock(&mtx);
	return fd;
}

void
guard_redis_run(short revents, int64_t now)
{
	pthread_mutex_lock(&mtx);
	fleet_run(revents, now);
	pthread_mutex_unlock(&mtx);
}

/*
 * A guard of zeroes (a test's config) is one that never delays, never
 * blocks and keeps a table of the default size.
 */
static void
guard_check(struct login_conf *g)
{
	if (g->ndelay > LOGIN_DELAYS_MAX)
		fatalx("config: %u login delays, over %u", g->ndelay,
		    LOGIN_DELAYS_MAX);
	if (g->ndelay == 0) {
		g->ndelay = 1;
		g->delay[0] = 0;
	}
	if (g->table == 0)
		g->table = LOGIN_TABLE_DEFAULT;
}

/* The address as text, for the logs. */
static const char *
addr_str(const struct policy_login *pl, char *buf, size_t len)
{
	if ((pl->family != AF_INET && pl->family != AF_INET6) ||
	    inet_ntop((int)pl->family, pl->addr, buf, (socklen_t)len) == NULL)
		(void)snprintf(buf, len, "(unknown address)");
	return buf;
}

static void
rule_of(struct counter_rule *r, uint32_t after, uint32_t within,
    uint32_t forr)
{
	r->after = after;
	r->window_ms = (int64_t)within * 1000;
	r->block_ms = (int64_t)forr * 1000;
}

/* The block on a or u that holds at now, into st: 1 if any. */
static int
blocked(const struct counter_key *a, const struct counter_key *u,
    int64_t now, struct policy_login_status *st)
{
	int64_t	 end;

	if ((end = counters_blocked(counters, a, now)) != 0)
		st->block = LOGIN_BLOCKED_ADDR;
	else if (u->len > 0 && (end = counters_blocked(counters, u, now)) != 0)
		st->block = LOGIN_BLOCKED_USER;
	else
		return 0;
	st->retry_s = (uint32_t)((end - now + 999) / 1000);
	return 1;
}

/*
 * A failure: the address's count picks the delay (Dovecot's auth
 * penalty, by address, so a user's rightful login from elsewhere is
 * not slowed); either count reaching its threshold blocks.
 */
static void
failed(const struct policy_login *pl, const char *user,
    const struct counter_key *a, const struct counter_key *u, int64_t now,
    struct policy_login_status *st)
{
	struct counter_rule	 ra, ru;
	uint32_t		 n, i;
	char			 as[INET6_ADDRSTRLEN + 20];

	rule_of(&ra, guard.addr_after, guard.addr_within, guard.addr_for);
	rule_of(&ru, guard.user_after, guard.user_within, guard.user_for);
	n = counters_fail(counters, a, now, &ra);
	if (n == 0)
		log_warnx("login counters full: a failure from %s not counted",
		    addr_str(pl, as, sizeof(as)));
	st->failures = n;
	i = n == 0 ? 0 : n - 1;
	if (i >= guard.ndelay)
		i = guard.ndelay - 1;
	st->delay_ms = guard.delay[i] * 1000;
	if (ra.after > 0 && n == ra.after)
		log_warnx("login: address %s blocked for %u s after %u "
		    "failures", addr_str(pl, as, sizeof(as)), guard.addr_for,
		    n);
	if (u->len > 0 && ru.after > 0 &&
	    counters_fail(counters, u, now, &ru) == ru.after)
		log_warnx("login: user \"%.*s\" blocked for %u s after %u "
		    "failures", (int)pl->userlen > 64 ? 64 : (int)pl->userlen,
		    user, guard.user_for, ru.after);
	block_published(counters_blocked(counters, a, now));
	if (u->len > 0)
		block_published(counters_blocked(counters, u, now));
	(void)blocked(a, u, now, st);
}

/* A session of the user on this channel, unless over the limit. */
static void
logged_in(struct wchan *w, const struct counter_key *u, int64_t now,
    struct policy_login_status *st)
{
	struct wlogin	*wl;
	uint32_t	 n;

	login_end(w);
	if (guard.sessions_per_user == 0 || u->len == 0)
		return;
	if ((n = counters_session_add(counters, u, now)) == 0) {
		log_warnx("login counters full: a session not counted");
		return;
	}
	if (n > guard.sessions_per_user) {
		counters_session_del(counters, u);
		st->block = LOGIN_SESSIONS;
		return;
	}
	if ((wl = malloc(sizeof(*wl))) == NULL) {
		counters_session_del(counters, u);
		log_warn("worker %u: session of a user not counted", w->slot);
		return;
	}
	wl->user = *u;
	w->udata = wl;
}

/* The worker's logged-in session ended, or its channel did. */
static void
login_end(struct wchan *w)
{
	struct wlogin	*wl = w->udata;

	if (wl == NULL)
		return;
	counters_session_del(counters, &wl->user);
	if (wl->fleet)
		fleet_session_del(&wl->user);
	free(wl);
	w->udata = NULL;
}

void
guard_end(struct wchan *w)
{
	struct pending	*p;

	pthread_mutex_lock(&mtx);
	TAILQ_FOREACH(p, &pendings, entry)
		if (p->w == w)
			p->w = NULL;
	login_end(w);
	pthread_mutex_unlock(&mtx);
}

void
guard_publish(volatile uint64_t *word)
{
	pthread_mutex_lock(&mtx);
	blocks_word = word;
	__atomic_store_n(blocks_word, fleet_configured ? UINT64_MAX : 0,
	    __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mtx);
}

/* A block until end was set: no worker skips the check before it. */
static void
block_published(int64_t end)
{
	if (blocks_word == NULL || end <= 0 ||
	    __atomic_load_n(blocks_word, __ATOMIC_RELAXED) >= (uint64_t)end)
		return;
	__atomic_store_n(blocks_word, (uint64_t)end, __ATOMIC_RELEASE);
}

int
guard_counts_sessions(void)
{
	return guard.sessions_per_user > 0;
}

int
guard_msg(struct wchan *w, const struct msg *m)
{
	int	 rc, asked;

	pthread_mutex_lock(&mtx);
	rc = locked_msg(w, m);
	asked = fleet_up();
	pthread_mutex_unlock(&mtx);
	/* A question may wait in the connection the main thread writes. */
	if (asked)
		answerers_wake_main();
	return rc;
}

/* -1: the channel is to end. */
static int
locked_msg(struct wchan *w, const struct msg *m)
{
	struct policy_login		 pl;
	struct policy_login_status	 st;
	struct counter_key		 a, u;
	const char			*user;
	int64_t				 now = now_ms();

	if (m->hdr.type == MSG_P_LOGIN_END) {
		if (m->len != 0) {
			log_warnx("worker %u: login end of %zu bytes",
			    w->slot, m->len);
			return -1;
		}
		login_end(w);
		return 0;
	}
	if (m->len < sizeof(pl)) {
		log_warnx("worker %u: login message of %zu bytes", w->slot,
		    m->len);
		return -1;
	}
	memcpy(&pl, m->body, sizeof(pl));
	if (m->len != sizeof(pl) + pl.userlen || pl.pad != 0) {
		log_warnx("worker %u: login message of %zu bytes for a user "
		    "name of %u", w->slot, m->len, pl.userlen);
		return -1;
	}
	user = (const char *)m->body + sizeof(pl);
	counter_key_addr(&a, (int)pl.family, pl.addr);
	counter_key_user(&u, user, pl.userlen);
	memset(&st, 0, sizeof(st));
	st.id = pl.id;
	/* This node counts every failure, whoever answers. */
	if (m->hdr.type == MSG_P_LOGIN_FAILED)
		failed(&pl, user, &a, &u, now, &st);
	if (fleet_up() && fleet_ask(pending_new(w, m->hdr.type, &pl, user,
	    &a, &u, &st)) == 0)
		return 0;
	switch (m->hdr.type) {
	case MSG_P_LOGIN_CHECK:
		(void)blocked(&a, &u, now, &st);
		st.failures = counters_failures(counters, &a, now);
		break;
	case MSG_P_LOGIN_OK:
		logged_in(w, &u, now, &st);
		break;
	}
	return send_status(w, &st);
}

static int
send_status(struct wchan *w, const struct policy_login_status *st)
{
	return answerers_reply(w, MSG_P_LOGIN_STATUS, st, sizeof(*st));
}

/* ---- the fleet's counts, in Redis (fleet.h) ---- */

static struct pending *
pending_new(struct wchan *w, uint32_t type, const struct policy_login *pl,
    const char *user, const struct counter_key *a,
    const struct counter_key *u, const struct policy_login_status *st)
{
	struct pending	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("counters: a login not counted in Redis");
		return NULL;
	}
	p->w = w;
	p->type = type;
	p->pl = *pl;
	(void)snprintf(p->user, sizeof(p->user), "%.*s",
	    pl->userlen > 64 ? 64 : (int)pl->userlen, user);
	p->a = *a;
	p->u = *u;
	p->st = *st;
	return p;
}

/* KEY_PREFIX, what, ':', the key's bytes in hex. */
static void
key_text(char *buf, size_t size, const char *what,
    const struct counter_key *k)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 n, i;

	n = (size_t)snprintf(buf, size, "%s%s:", KEY_PREFIX, what);
	for (i = 0; i < k->len && n + 2 < size; i++) {
		buf[n++] = hex[k->b[i] >> 4];
		buf[n++] = hex[k->b[i] & 15];
	}
	buf[n] = '\0';
}

static void
ms_text(char *buf, size_t size, uint64_t v)
{
	(void)snprintf(buf, size, "%llu", (unsigned long long)v);
}

/* 0: p waits for Redis; -1: it was not sent (and is freed). */
static int
fleet_ask(struct pending *p)
{
	char		 k[4][KEY_MAX], v[7][24];
	const char	*keys[4] = { k[0], k[1], k[2], k[3] };
	const char	*args[7] = { v[0], v[1], v[2], v[3], v[4], v[5], v[6] };
	int		 rc = -1;

	if (p == NULL)
		return -1;
	switch (p->type) {
	case MSG_P_LOGIN_CHECK:
		key_text(k[0], KEY_MAX, "fa", &p->a);
		key_text(k[1], KEY_MAX, "ba", &p->a);
		key_text(k[2], KEY_MAX, "bu", &p->u);
		rc = fleet_eval(check_lua, keys, 3, args, 0, fleet_answer, p);
		break;
	case MSG_P_LOGIN_FAILED:
		key_text(k[0], KEY_MAX, "fa", &p->a);
		key_text(k[1], KEY_MAX, "ba", &p->a);
		key_text(k[2], KEY_MAX, "fu", &p->u);
		key_text(k[3], KEY_MAX, "bu", &p->u);
		ms_text(v[0], 24, (uint64_t)guard.addr_within * 1000);
		ms_text(v[1], 24, guard.addr_after);
		ms_text(v[2], 24, (uint64_t)guard.addr_for * 1000);
		ms_text(v[3], 24, (uint64_t)guard.user_within * 1000);
		ms_text(v[4], 24, guard.user_after);
		ms_text(v[5], 24, (uint64_t)guard.user_for * 1000);
		ms_text(v[6], 24, p->u.len > 0);
		rc = fleet_eval(fail_lua, keys, 4, args, 7, fleet_answer, p);
		break;
	case MSG_P_LOGIN_OK:
		if (guard.sessions_per_user == 0 || p->u.len == 0)
			break;
		key_text(k[0], KEY_MAX, "su", &p->u);
		ms_text(v[0], 24, guard.sessions_per_user);
		(void)snprintf(v[1], 24, "%s", SESSION_TTL_MS);
		rc = fleet_eval(session_add_lua, keys, 1, args, 2,
		    fleet_answer, p);
		break;
	}
	if (rc == -1) {
		free(p);
		return -1;
	}
	TAILQ_INSERT_TAIL(&pendings, p, entry);
	return 0;
}

static void
fleet_ignore(void *arg, const struct fleet_reply *r)
{
	(void)arg;
	(void)r;
}

static void
fleet_session_del(const struct counter_key *u)
{
	char		 k[KEY_MAX];
	const char	*keys[1] = { k };

	key_text(k, sizeof(k), "su", u);
	if (fleet_eval(session_del_lua, keys, 1, NULL, 0, fleet_ignore,
	    NULL) == -1)
		log_debug("counters: a session's end not told to Redis");
}

static uint32_t
retry_of(int64_t pttl)
{
	return pttl > 0 ? (uint32_t)((pttl + 999) / 1000) : 0;
}

/* CHECK: {failures of the address, block PTTLs of address and user}. */
static void
fleet_check(const struct fleet_reply *r, struct policy_login_status *st)
{
	st->failures = r->v[0] > 0 ? (uint32_t)r->v[0] : 0;
	if (r->v[1] > 0) {
		st->block = LOGIN_BLOCKED_ADDR;
		st->retry_s = retry_of(r->v[1]);
	} else if (r->v[2] > 0) {
		st->block = LOGIN_BLOCKED_USER;
		st->retry_s = retry_of(r->v[2]);
	}
}

/* FAILED: {address count, its block PTTL, user count, its block PTTL}. */
static void
fleet_failed(const struct pending *p, const struct fleet_reply *r,
    struct policy_login_status *st)
{
	char		 as[INET6_ADDRSTRLEN + 20];
	uint32_t	 n, i;

	n = r->v[0] > 0 ? (uint32_t)r->v[0] : 0;
	st->failures = n;
	i = n == 0 ? 0 : n - 1;
	if (i >= guard.ndelay)
		i = guard.ndelay - 1;
	st->delay_ms = guard.delay[i] * 1000;
	if (guard.addr_after > 0 && n == guard.addr_after)
		log_warnx("login: address %s blocked for %u s after %u "
		    "failures across the fleet", addr_str(&p->pl, as,
		    sizeof(as)), guard.addr_for, n);
	if (p->u.len > 0 && guard.user_after > 0 &&
	    r->v[2] == guard.user_after)
		log_warnx("login: user \"%s\" blocked for %u s after %u "
		    "failures across the fleet", p->user, guard.user_for,
		    guard.user_after);
	st->block = LOGIN_OPEN;
	st->retry_s = 0;
	if (r->v[1] > 0) {
		st->block = LOGIN_BLOCKED_ADDR;
		st->retry_s = retry_of(r->v[1]);
	} else if (r->v[3] > 0) {
		st->block = LOGIN_BLOCKED_USER;
		st->retry_s = retry_of(r->v[3]);
	}
}

/*
 * OK: {the user's sessions across the fleet, 1 if over the limit}.
 * This node counts the session too (for a fallback), whatever its own
 * count says: the fleet's decides.
 */
static void
fleet_logged_in(struct pending *p, const struct fleet_reply *r,
    struct policy_login_status *st)
{
	struct wlogin	*wl;

	if (r->v[1] != 0) {
		st->block = LOGIN_SESSIONS;
		return;
	}
	if (p->w == NULL) {
		fleet_session_del(&p->u);	/* the worker is gone */
		return;
	}
	login_end(p->w);
	if ((wl = calloc(1, sizeof(*wl))) == NULL) {
		fleet_session_del(&p->u);
		log_warn("worker %u: session of a user not counted",
		    p->w->slot);
		return;
	}
	wl->user = p->u;
	wl->fleet = 1;
	(void)counters_session_add(counters, &p->u, now_ms());
	p->w->udata = wl;
}

/* Redis answered p, or could not (r NULL): answer its worker. */
static void
fleet_answer(void *arg, const struct fleet_reply *r)
{
	struct pending			*p = arg;
	struct policy_login_status	 st;
	int64_t				 now = now_ms();

	TAILQ_REMOVE(&pendings, p, entry);
	memset(&st, 0, sizeof(st));
	st.id = p->pl.id;
	if (r != NULL && r->n != (p->type == MSG_P_LOGIN_CHECK ? 3 :
	    p->type == MSG_P_LOGIN_FAILED ? 4 : 2))
		r = NULL;
	if (r == NULL) {
		/* This node's own answer. */
		if (p->type == MSG_P_LOGIN_FAILED)
			st = p->st;
		else if (p->type == MSG_P_LOGIN_CHECK) {
			(void)blocked(&p->a, &p->u, now, &st);
			st.failures = counters_failures(counters, &p->a, now);
		} else if (p->w != NULL)
			logged_in(p->w, &p->u, now, &st);
	} else if (p->type == MSG_P_LOGIN_CHECK)
		fleet_check(r, &st);
	else if (p->type == MSG_P_LOGIN_FAILED)
		fleet_failed(p, r, &st);
	else
		fleet_logged_in(p, r, &st);
	/* A channel that fails here is seen failing by the loop. */
	if (p->w != NULL && send_status(p->w, &st) == -1)
		log_debug("worker %u: login status not sent", p->w->slot);
	free(p);
}
