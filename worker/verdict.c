/*
 * A session's verdicts: the query from its context, the cache keyed by
 * what the query asks and invalidated by the generation page, failing
 * closed.  Protocol-neutral: the IMAP and POP3 engines both use it.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "stats.h"
#include "verdict.h"

static uint32_t	 hash_q(const struct verdict_q *, enum rules_state);
static int	 fits(const struct verdict_q *);
static struct verdict_slot *lookup(struct verdict_session *,
		    const struct verdict_q *, uint32_t, uint64_t);
static struct verdict_slot *store(struct verdict_session *,
		    const struct verdict_q *,
		    uint32_t, const struct policy_answer *);
static void	 from_slot(struct verdict_session *,
		    const struct verdict_slot *, struct verdict *);
static uint32_t	 context(const struct verdict_session *);

/*
 * The cache belongs to the worker, not to one session: a verdict that
 * depends on the session only is the same for the next session with the
 * same context (client address, listener, port, TLS, user, ID fields by
 * a collision-resistant digest, JA4), so a client
 * that comes back does not pay its capability verdicts again.  Each
 * context seen lately gets a serial that is never reused; a slot holds
 * the serial it was made under.
 */
#define CONTEXTS	16

struct context {
	uint32_t	 serial;	/* 0: unused */
	uint64_t	 used;		/* for the least recently used */
	int		 family;
	uint8_t		 addr[16];
	char		 listener[WORKER_NAME_MAX];
	unsigned	 port;
	int		 tls;
	int		 hasuser;
	char		 user[VERDICT_USER_MAX];
	uint8_t		 iddigest[VERDICT_ID_DIGEST];
	char		 ja4[RULES_JA4_LEN + 1];
};

static struct context		 contexts[CONTEXTS];
static uint32_t			 serials;
static uint64_t			 uses;
static struct verdict_slot	*slots;	/* slots_new() */
static size_t			 nslots;	/* a power of two */
/* The rule file of generation filegen, for the slots' audit records. */
static char			 file[256];
static uint64_t			 filegen;

/*
 * The slots are a mapping of their own, not malloc's: zeroed whole pages
 * (128 slots are 4), given back whole when the cache grows.  From the
 * heap they took a page more, and the doubling left each new block
 * higher than the last, above whatever the session had taken meanwhile,
 * which kept the heap from shrinking at rest (README, Performance).
 */
static struct verdict_slot *
slots_new(size_t n)
{
	void	*p;

	p = mmap(NULL, n * sizeof(struct verdict_slot), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void
slots_free(struct verdict_slot *s, size_t n)
{
	(void)munmap(s, n * sizeof(*s));
}

static int
same(const struct context *c, const struct verdict_session *vs)
{
	return c->serial != 0 && c->family == vs->family &&
	    memcmp(c->addr, vs->addr, sizeof(c->addr)) == 0 &&
	    c->port == vs->port && c->tls == vs->tls &&
	    c->hasuser == vs->hasuser && strcmp(c->user, vs->user) == 0 &&
	    strcmp(c->listener, vs->listener) == 0 &&
	    memcmp(c->iddigest, vs->iddigest, sizeof(c->iddigest)) == 0 &&
	    strcmp(c->ja4, vs->ja4) == 0;
}

/* The serial of the session's context, a new one if it is new. */
static uint32_t
context(const struct verdict_session *vs)
{
	struct context	*c, *old = &contexts[0];
	size_t		 i;

	for (i = 0; i < CONTEXTS; i++) {
		c = &contexts[i];
		if (same(c, vs)) {
			c->used = ++uses;
			return c->serial;
		}
		if (c->used < old->used)
			old = c;
	}
	c = old;
	c->family = vs->family;
	memcpy(c->addr, vs->addr, sizeof(c->addr));
	c->port = vs->port;
	c->tls = vs->tls;
	c->hasuser = vs->hasuser;
	memcpy(c->user, vs->user, sizeof(c->user));
	memcpy(c->listener, vs->listener, sizeof(c->listener));
	memcpy(c->iddigest, vs->iddigest, sizeof(c->iddigest));
	memcpy(c->ja4, vs->ja4, sizeof(c->ja4));
	c->used = ++uses;
	/* 2^32 contexts in one worker's life would start over. */
	if (++serials == 0)
		serials = 1;
	c->serial = serials;
	return c->serial;
}

int
verdict_init(struct verdict_session *vs, struct policy_client *pc,
    int timeout_ms, enum rules_proto proto, const struct worker_session *ws)
{
	memset(vs, 0, sizeof(*vs));
	vs->pc = pc;
	vs->timeout_ms = timeout_ms > 0 ? timeout_ms : VERDICT_TIMEOUT_MS;
	vs->proto = proto;
	vs->state = proto == RULES_POP3 ? RULES_ST_AUTHORIZATION :
	    RULES_ST_NOT_AUTHENTICATED;
	if (ws != NULL) {
		if (inet_pton(AF_INET, ws->client_addr, vs->addr) == 1)
			vs->family = AF_INET;
		else if (inet_pton(AF_INET6, ws->client_addr, vs->addr) == 1)
			vs->family = AF_INET6;
		(void)snprintf(vs->listener, sizeof(vs->listener), "%.*s",
		    (int)sizeof(ws->listener), ws->listener);
		vs->port = ws->local_port;
	}
	if (pc == NULL)
		return 0;
	if (slots == NULL) {
		if ((slots = slots_new(VERDICT_SLOTS_MIN)) == NULL)
			return -1;
		nslots = VERDICT_SLOTS_MIN;
	}
	vs->cached = 1;
	vs->epoch = context(vs);
	return 0;
}

void
verdict_free(struct verdict_session *vs)
{
	/* The slots stay for the worker's next session. */
	vs->cached = 0;
	verdict_rest(vs);
}

void
verdict_rest(struct verdict_session *vs)
{
	free(vs->ans);
	free(vs->hit);
	vs->ans = vs->hit = NULL;
}

void
verdict_set_user(struct verdict_session *vs, const char *user, size_t len)
{
	if (len >= sizeof(vs->user))
		len = sizeof(vs->user) - 1;
	memcpy(vs->user, user, len);
	vs->user[len] = '\0';
	vs->hasuser = 1;
	if (vs->cached)
		vs->epoch = context(vs);
}

void
verdict_set_tls(struct verdict_session *vs, int on, const char *ja4)
{
	size_t	 n = on && ja4 != NULL ? strlen(ja4) : 0;

	vs->tls = on;
	if (n >= sizeof(vs->ja4))
		n = 0;
	memcpy(vs->ja4, ja4 != NULL ? ja4 : "", n);
	vs->ja4[n] = '\0';
	if (vs->cached)
		vs->epoch = context(vs);
}

/*
 * The fields go into every query; the context holds their digest, of
 * each name and value with its length, so that no two IDs share one.
 * No field at all is no ID.
 */
void
verdict_set_id(struct verdict_session *vs, const struct rules_idfield *f,
    size_t n)
{
	crypto_generichash_state	 st;
	const char			*p[2];
	uint64_t			 len;
	size_t				 i, j;

	vs->id = n > 0 ? f : NULL;
	vs->nid = n;
	memset(vs->iddigest, 0, sizeof(vs->iddigest));
	if (n > 0) {
		crypto_generichash_init(&st, NULL, 0, sizeof(vs->iddigest));
		for (i = 0; i < n; i++) {
			p[0] = f[i].key;
			p[1] = f[i].value;
			for (j = 0; j < 2; j++) {
				len = strlen(p[j]);
				crypto_generichash_update(&st,
				    (const uint8_t *)&len, sizeof(len));
				crypto_generichash_update(&st,
				    (const uint8_t *)p[j], len);
			}
		}
		crypto_generichash_final(&st, vs->iddigest,
		    sizeof(vs->iddigest));
	}
	if (vs->cached)
		vs->epoch = context(vs);
}

/* The state is part of the key: nothing to forget. */
void
verdict_set_state(struct verdict_session *vs, enum rules_state st)
{
	vs->state = st;
}

/* FNV-1a over what the slot is keyed by. */
static uint32_t
hash_str(uint32_t h, const char *s)
{
	if (s != NULL)
		for (; *s != '\0'; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

static uint32_t
hash_q(const struct verdict_q *q, enum rules_state st)
{
	uint32_t	 h = 2166136261u;

	h = (h ^ (uint32_t)q->table) * 16777619u;
	h = (h ^ (uint32_t)q->kind) * 16777619u;
	h = (h ^ (uint32_t)st) * 16777619u;
	h = hash_str(h, q->key);
	h = hash_str(h, q->name);
	return hash_str(h, q->mailbox);
}

static int
streq(const char *slot, const char *q)
{
	return strcmp(slot, q != NULL ? q : "") == 0;
}

/* Can the question be a cache key at all? */
static int
fits(const struct verdict_q *q)
{
	return (q->key == NULL || strlen(q->key) < VERDICT_KEY_MAX) &&
	    (q->name == NULL || strlen(q->name) < VERDICT_NAME_MAX) &&
	    (q->mailbox == NULL || strlen(q->mailbox) < VERDICT_MAILBOX_MAX);
}

/*
 * The first slot of one of the two sets of VERDICT_WAYS slots a hash may
 * be in (alt 0 or 1), in a cache of n slots: the hash's low bits pick
 * one, its high bits the other.
 */
static size_t
set_at(uint32_t h, int alt, size_t n)
{
	if (alt)
		h = h >> 16 | h << 16;
	return h & (n - VERDICT_WAYS);
}

/* The same in the worker's cache as it is now: grow() moves it. */
static struct verdict_slot *
set_of(uint32_t h, int alt)
{
	return &slots[set_at(h, alt, nslots)];
}

/*
 * Twice the slots, each live one moved to its set in the larger cache.
 * 0, or -1: the cache stays as it is.
 */
static int
grow(uint64_t gen)
{
	struct verdict_slot	*old = slots, *ns, *sl;
	size_t			 n = nslots, i;
	int			 w, alt;

	if (nslots >= VERDICT_SLOTS ||
	    (ns = slots_new(2 * nslots)) == NULL)
		return -1;
	slots = ns;
	nslots *= 2;
	for (i = 0; i < n; i++) {
		if (old[i].gen != gen)
			continue;
		/* Which of its two sets it is in: it stays with that one. */
		alt = set_at(old[i].hash, 0, n) !=
		    (i & ~(size_t)(VERDICT_WAYS - 1));
		sl = set_of(old[i].hash, alt);
		for (w = 0; w < VERDICT_WAYS && sl[w].gen != 0; w++)
			;
		if (w < VERDICT_WAYS) {
			sl[w] = old[i];
			old[i].mailbox = old[i].text = NULL;
		}
	}
	/*
	 * A set's live slots split between two sets of the larger cache,
	 * which take slots from no other set, so each finds a way; what is
	 * left here is stale.
	 */
	for (i = 0; i < n; i++) {
		free(old[i].mailbox);
		free(old[i].text);
	}
	slots_free(old, n);
	return 0;
}

static struct verdict_slot *
lookup(struct verdict_session *vs, const struct verdict_q *q, uint32_t h,
    uint64_t gen)
{
	struct verdict_slot	*sl;
	int			 i, alt;

	for (alt = 0; alt < 2; alt++) {
		sl = set_of(h, alt);
		if (alt && sl == set_of(h, 0))
			break;
		for (i = 0; i < VERDICT_WAYS; i++, sl++)
			if (sl->gen == gen && sl->epoch == vs->epoch &&
			    sl->hash == h && sl->table == q->table &&
			    sl->kind == q->kind && sl->state == vs->state &&
			    streq(sl->key, q->key) && streq(sl->name, q->name) &&
			    streq(sl->mailbox != NULL ? sl->mailbox : "",
			    q->mailbox))
				return sl;
	}
	return NULL;
}

/*
 * A stale slot of the hash's set with fewer current verdicts, if there
 * is one; else a larger cache, if it may grow; else each slot of the two
 * sets in turn.  Filling the emptier set keeps the cache small: a
 * session's 70 verdicts (most of them capabilities) fit in 128 slots,
 * where one set per hash needed 256 or 512.
 */
static struct verdict_slot *
victim(uint32_t h, uint64_t gen)
{
	static unsigned		 turn;
	struct verdict_slot	*sl[2] = { set_of(h, 0), set_of(h, 1) };
	int			 live[2] = { 0, 0 }, stale[2] = { -1, -1 };
	int			 i, alt;

	for (alt = 0; alt < 2; alt++)
		for (i = 0; i < VERDICT_WAYS; i++)
			if (sl[alt][i].gen == gen)
				live[alt]++;
			else if (stale[alt] == -1)
				stale[alt] = i;
	alt = live[1] < live[0];
	if (stale[alt] != -1)
		return &sl[alt][stale[alt]];
	if (grow(gen) == 0)
		return victim(h, gen);
	turn++;
	return &sl[turn & 1][(turn >> 1) % VERDICT_WAYS];
}

/* A copy of s, or NULL for NULL or "" (and when out of memory). */
static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

static void
copy(char *dst, size_t size, const char *s)
{
	size_t	 n = s != NULL ? strlen(s) : 0;

	if (n >= size)
		n = size - 1;
	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
}

/*
 * Kept only when all of it fits: a cut text would be a wrong verdict.
 * The slot, or NULL when not kept.
 */
static struct verdict_slot *
store(struct verdict_session *vs, const struct verdict_q *q, uint32_t h,
    const struct policy_answer *a)
{
	struct verdict_slot	*sl;

	if (a->nuntagged > 0 || !fits(q) ||
	    (a->text != NULL && strlen(a->text) >= VERDICT_TEXT_MAX))
		return NULL;
	sl = victim(h, a->gen);
	free(sl->mailbox);
	free(sl->text);
	sl->mailbox = dup_or_null(q->mailbox);
	sl->text = a->text != NULL ? strdup(a->text) : NULL;
	if ((q->mailbox != NULL && *q->mailbox != '\0' &&
	    sl->mailbox == NULL) || (a->text != NULL && sl->text == NULL)) {
		/* Out of memory: not kept. */
		free(sl->mailbox);
		sl->mailbox = NULL;
		sl->gen = 0;
		return NULL;
	}
	sl->fresh = 0;
	sl->gen = a->gen;
	sl->epoch = vs->epoch;
	sl->hash = h;
	sl->table = (uint8_t)q->table;
	sl->kind = (uint8_t)q->kind;
	sl->state = (uint8_t)vs->state;
	sl->action = a->action;
	sl->tls = (uint8_t)a->tls;
	sl->line = a->line;
	sl->col = a->col;
	copy(sl->key, sizeof(sl->key), q->key);
	copy(sl->name, sizeof(sl->name), q->name);
	sl->hastext = a->text != NULL;
	return sl;
}

static void
from_slot(struct verdict_session *vs, const struct verdict_slot *sl,
    struct verdict *v)
{
	struct policy_answer	*a = vs->hit;

	a->gen = sl->gen;
	a->action = sl->action;
	a->tls = (enum rules_tls)sl->tls;
	a->cacheable = 1;
	a->line = sl->line;
	a->col = sl->col;
	a->text = sl->hastext ? sl->text : NULL;
	a->file = filegen == sl->gen ? file : "";
	a->nuntagged = 0;
	v->action = sl->action;
	v->tls = a->tls;
	v->text = a->text;
	v->nuntagged = 0;
	v->untagged = NULL;
	v->gen = sl->gen;
	v->cached = 1;
	v->ans = a;
}

static void
query_of(const struct verdict_session *vs, const struct verdict_q *q,
    struct rules_query *rq)
{
	memset(rq, 0, sizeof(*rq));
	rq->proto = vs->proto;
	rq->table = q->table;
	rq->key = q->key;
	rq->kind = q->kind;
	rq->name = q->name;
	rq->tls = vs->tls;
	rq->state = vs->state;
	rq->user = vs->hasuser ? vs->user : NULL;
	rq->family = vs->family;
	memcpy(rq->addr, vs->addr, sizeof(rq->addr));
	rq->listener = vs->listener[0] != '\0' ? vs->listener : NULL;
	rq->port = vs->port;
	rq->mailbox = q->mailbox;
	rq->id = vs->id;
	rq->nid = vs->nid;
	rq->ja4 = vs->ja4[0] != '\0' ? vs->ja4 : NULL;
	rq->args = q->args;
	/*
	 * No rule can name an argument after the 255th: those after
	 * POLICY_ARGS_MAX are not sent, and the verdict is the same.
	 */
	rq->nargs = q->nargs < POLICY_ARGS_MAX ? q->nargs : POLICY_ARGS_MAX;
}

/*
 * policyd's answer to q (hash h), in vs->ans: its file's name noted, and
 * kept in the cache when it depends on the session alone (or q had no
 * arguments).  The slot, or NULL when not kept.
 */
static struct verdict_slot *
keep(struct verdict_session *vs, const struct verdict_q *q, uint32_t h)
{
	if (filegen != vs->ans->gen) {
		copy(file, sizeof(file), vs->ans->file);
		filegen = vs->ans->gen;
	}
	if (vs->ans->cacheable || q->nargs == 0)
		return store(vs, q, h, vs->ans);
	return NULL;
}

/* A channel to policyd and room for its answers: 0, or -1 (errno). */
static int
ready(struct verdict_session *vs)
{
	if (vs->pc == NULL) {
		errno = ENOTCONN;
		return -1;
	}
	/* A policy store, but no channel to policyd: fail closed now. */
	if (vs->pc->ch.fd == -1) {
		if (vs->failed++ == 0)
			log_warnx("no channel to postern-policyd: verdicts "
			    "fail closed");
		errno = ENOTCONN;
		return -1;
	}
	/* Not calloc: only what a verdict writes takes pages. */
	if ((vs->ans == NULL && (vs->ans = malloc(sizeof(*vs->ans))) ==
	    NULL) || (vs->hit == NULL && (vs->hit = malloc(sizeof(*vs->hit))) ==
	    NULL)) {
		log_warn("verdict");
		vs->failed++;
		return -1;
	}
	return 0;
}

void
verdict_prefetch(struct verdict_session *vs, const struct verdict_q *qs,
    size_t n)
{
	struct rules_query	 rq;
	struct verdict_slot	*sl;
	uint64_t		 gen, t0, ids[VERDICT_PREFETCH_MAX];
	uint32_t		 hs[VERDICT_PREFETCH_MAX];
	size_t			 i, nq = 0, which[VERDICT_PREFETCH_MAX];

	if (ready(vs) == -1 || (gen = policy_generation(vs->pc)) == 0)
		return;
	for (i = 0; i < n && nq < VERDICT_PREFETCH_MAX; i++) {
		hs[nq] = hash_q(&qs[i], vs->state);
		if (lookup(vs, &qs[i], hs[nq], gen) != NULL)
			continue;
		query_of(vs, &qs[i], &rq);
		if (policy_query_queue(vs->pc, &rq, &ids[nq]) == -1)
			break;
		which[nq++] = i;
	}
	if (nq == 0)
		return;
	t0 = stats_clock();
	if (policy_queries_send(vs->pc, vs->timeout_ms) == -1)
		return;
	for (i = 0; i < nq; i++) {
		if (policy_answer_wait(vs->pc, ids[i], vs->timeout_ms,
		    vs->ans) == -1)
			return;
		/* Each an uncached verdict, as the metrics count them. */
		stats_round_trip(t0);
		if ((sl = keep(vs, &qs[which[i]], hs[i])) != NULL)
			sl->fresh = 1;
	}
}

int
verdict_cached(struct verdict_session *vs, const struct verdict_q *q)
{
	uint64_t	 gen;

	if (vs->pc == NULL || slots == NULL ||
	    (gen = policy_generation(vs->pc)) == 0)
		return 0;
	return lookup(vs, q, hash_q(q, vs->state), gen) != NULL;
}

int
verdict_ask(struct verdict_session *vs, const struct verdict_q *q,
    struct verdict *v)
{
	struct rules_query	 rq;
	struct verdict_slot	*sl;
	uint64_t		 gen, t0;
	uint32_t		 h;

	if (ready(vs) == -1)
		return -1;
	h = hash_q(q, vs->state);
	if ((gen = policy_generation(vs->pc)) != 0 &&
	    (sl = lookup(vs, q, h, gen)) != NULL) {
		vs->asked++;
		from_slot(vs, sl, v);
		if (sl->fresh) {
			sl->fresh = 0;
			v->cached = 0;
		} else
			vs->hits++;
		return 0;
	}
	query_of(vs, q, &rq);
	t0 = stats_clock();
	if (policy_query(vs->pc, &rq, vs->timeout_ms, vs->ans) == -1) {
		if (vs->failed++ == 0)
			log_warn("no verdict for %s (%u) from postern-policyd",
			    q->key != NULL ? q->key : "?", q->table);
		return -1;
	}
	stats_round_trip(t0);
	vs->asked++;
	(void)keep(vs, q, h);
	v->action = vs->ans->action;
	v->tls = vs->ans->tls;
	v->text = vs->ans->text;
	v->nuntagged = vs->ans->nuntagged;
	v->untagged = vs->ans->untagged;
	v->gen = vs->ans->gen;
	v->cached = 0;
	v->ans = vs->ans;
	log_debug("verdict %s for %s %s%s%s: generation %" PRIu64 " line %u",
	    rules_action_name(v->action), q->key != NULL ? q->key : "",
	    q->name != NULL ? q->name : "", q->mailbox != NULL ? " " : "",
	    q->mailbox != NULL ? q->mailbox : "", v->gen, vs->ans->line);
	return 0;
}

void
verdict_log_stats(const struct verdict_session *vs, uint64_t id)
{
	if (vs->pc == NULL)
		return;
	log_debug("session %" PRIu64 ": %" PRIu64 " verdicts, %" PRIu64
	    " from the cache (%" PRIu64 "%%), %" PRIu64 " failed", id,
	    vs->asked, vs->hits, vs->asked > 0 ? vs->hits * 100 / vs->asked :
	    0, vs->failed);
}
