/*
 * The local counter table (counters.h): a hash of fixed entries with
 * chains by index, and a list from most to least recently touched that
 * says which entry a full table gives up.  All of it is allocated once,
 * so a flood of new addresses costs no more memory than `max' entries,
 * only old entries.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "counters.h"

#define NIL	UINT32_MAX

struct entry {
	struct counter_key key;
	uint32_t	 hnext;		/* hash chain */
	uint32_t	 prev, next;	/* recency list; free list: next */
	uint32_t	 failures;
	uint32_t	 sessions;
	int64_t		 window_end;	/* failures count until then */
	int64_t		 block_end;	/* 0: none */
};

struct counters {
	struct entry	*e;
	uint32_t	*bucket;
	uint32_t	 nbucket;	/* a power of 2 */
	uint32_t	 max;
	uint32_t	 n;
	uint32_t	 head, tail;	/* most, least recently touched */
	uint32_t	 free;		/* released entries */
	uint32_t	 fresh;		/* entries never used start here */
};

void
counter_key_addr(struct counter_key *k, int family, const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->kind = COUNTER_ADDR;
	/* One host, or one customer, usually gets a whole /64. */
	k->len = family == AF_INET6 ? 8 : family == AF_INET ? 4 : 0;
	k->b[0] = (uint8_t)family;
	memcpy(k->b + 1, addr, k->len);
	k->len++;
}

/* FNV-1a, 64 bits: spreads keys over buckets; not a secret. */
static uint64_t
fnv(const uint8_t *p, size_t len, uint64_t h)
{
	while (len-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
counter_key_user(struct counter_key *k, const char *user, size_t len)
{
	uint64_t	 h;

	memset(k, 0, sizeof(*k));
	k->kind = COUNTER_USER;
	if (len <= COUNTER_NAME_MAX) {
		memcpy(k->b, user, len);
		k->len = (uint32_t)len;
		return;
	}
	/*
	 * Long names share their beginning with the hash of the whole, so
	 * a guesser cannot spread over names the table would merge.
	 */
	h = fnv((const uint8_t *)user, len, 0xcbf29ce484222325ULL);
	memcpy(k->b, user, COUNTER_NAME_MAX);
	memcpy(k->b + COUNTER_NAME_MAX, &h, sizeof(h));
	k->len = COUNTER_KEY_MAX;
}

static uint32_t
hash(const struct counters *c, const struct counter_key *k)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ k->kind;

	return (uint32_t)fnv(k->b, k->len, h) & (c->nbucket - 1);
}

struct counters *
counters_new(size_t max)
{
	struct counters	*c;
	uint32_t	 i;

	if (max == 0 || max > COUNTERS_MAX || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->max = (uint32_t)max;
	for (c->nbucket = 1; c->nbucket < c->max; c->nbucket <<= 1)
		;
	c->e = calloc(c->max, sizeof(*c->e));
	c->bucket = malloc(c->nbucket * sizeof(*c->bucket));
	if (c->e == NULL || c->bucket == NULL) {
		counters_free(c);
		return NULL;
	}
	for (i = 0; i < c->nbucket; i++)
		c->bucket[i] = NIL;
	/* Entries are taken in order: untouched pages cost no memory. */
	c->free = NIL;
	c->head = c->tail = NIL;
	return c;
}

void
counters_free(struct counters *c)
{
	if (c == NULL)
		return;
	free(c->e);
	free(c->bucket);
	free(c);
}

size_t
counters_size(const struct counters *c)
{
	return c->n;
}

static void
unlink_lru(struct counters *c, uint32_t i)
{
	struct entry	*e = &c->e[i];

	if (e->prev != NIL)
		c->e[e->prev].next = e->next;
	else
		c->head = e->next;
	if (e->next != NIL)
		c->e[e->next].prev = e->prev;
	else
		c->tail = e->prev;
}

static void
push_lru(struct counters *c, uint32_t i)
{
	struct entry	*e = &c->e[i];

	e->prev = NIL;
	e->next = c->head;
	if (c->head != NIL)
		c->e[c->head].prev = i;
	c->head = i;
	if (c->tail == NIL)
		c->tail = i;
}

static uint32_t
lookup(const struct counters *c, const struct counter_key *k)
{
	uint32_t	 i;

	for (i = c->bucket[hash(c, k)]; i != NIL; i = c->e[i].hnext)
		if (c->e[i].key.kind == k->kind && c->e[i].key.len == k->len &&
		    memcmp(c->e[i].key.b, k->b, k->len) == 0)
			return i;
	return NIL;
}

static void
release(struct counters *c, uint32_t i)
{
	struct entry	*e = &c->e[i];
	uint32_t	*pp;

	for (pp = &c->bucket[hash(c, &e->key)]; *pp != i;
	    pp = &c->e[*pp].hnext)
		;
	*pp = e->hnext;
	unlink_lru(c, i);
	memset(e, 0, sizeof(*e));
	e->next = c->free;
	c->free = i;
	c->n--;
}

/* Nothing left to remember: no window, no block, no session. */
static int
dead(const struct entry *e, int64_t now)
{
	return e->sessions == 0 && e->window_end <= now && e->block_end <= now;
}

/* key's entry, made (and touched) if need be; NIL: the table is full. */
static uint32_t
get(struct counters *c, const struct counter_key *k)
{
	struct entry	*e;
	uint32_t	 i, h;

	if ((i = lookup(c, k)) != NIL) {
		unlink_lru(c, i);
		push_lru(c, i);
		return i;
	}
	if (c->free == NIL && c->fresh < c->max) {
		c->e[c->fresh].next = NIL;
		c->free = c->fresh++;
	}
	if (c->free == NIL) {
		/* The least recently touched that holds no session goes. */
		for (i = c->tail; i != NIL && c->e[i].sessions > 0;
		    i = c->e[i].prev)
			;
		if (i == NIL)
			return NIL;
		release(c, i);
	}
	i = c->free;
	e = &c->e[i];
	c->free = e->next;
	memset(e, 0, sizeof(*e));
	e->key = *k;
	h = hash(c, k);
	e->hnext = c->bucket[h];
	c->bucket[h] = i;
	push_lru(c, i);
	c->n++;
	return i;
}

uint32_t
counters_fail(struct counters *c, const struct counter_key *k, int64_t now,
    const struct counter_rule *r)
{
	struct entry	*e;
	uint32_t	 i;

	if ((i = get(c, k)) == NIL)
		return 0;
	e = &c->e[i];
	if (e->window_end <= now) {
		e->failures = 0;
		e->window_end = now + r->window_ms;
	}
	if (e->failures < UINT32_MAX)
		e->failures++;
	if (r->after > 0 && e->failures >= r->after) {
		e->block_end = now + r->block_ms;
		/* The block's end starts a fresh window. */
		e->failures = 0;
		e->window_end = 0;
		return r->after;
	}
	return e->failures;
}

uint32_t
counters_failures(struct counters *c, const struct counter_key *k,
    int64_t now)
{
	uint32_t	 i;

	if ((i = lookup(c, k)) == NIL || c->e[i].window_end <= now)
		return 0;
	return c->e[i].failures;
}

int64_t
counters_blocked(struct counters *c, const struct counter_key *k,
    int64_t now)
{
	uint32_t	 i;

	if ((i = lookup(c, k)) == NIL || c->e[i].block_end <= now)
		return 0;
	return c->e[i].block_end;
}

uint32_t
counters_session_add(struct counters *c, const struct counter_key *k,
    int64_t now)
{
	uint32_t	 i;

	(void)now;
	if ((i = get(c, k)) == NIL)
		return 0;
	return ++c->e[i].sessions;
}

void
counters_session_del(struct counters *c, const struct counter_key *k)
{
	uint32_t	 i;

	if ((i = lookup(c, k)) != NIL && c->e[i].sessions > 0)
		c->e[i].sessions--;
}

void
counters_expire(struct counters *c, int64_t now)
{
	uint32_t	 i, prev;

	/*
	 * From the least recently touched while they are dead: an entry
	 * touched later usually ends later too, and the rest go when the
	 * table needs their room.
	 */
	for (i = c->tail; i != NIL; i = prev) {
		prev = c->e[i].prev;
		if (!dead(&c->e[i], now))
			break;
		release(c, i);
	}
}
