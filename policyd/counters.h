/*
 * The password-guessing counters of postern-policyd: failed logins per
 * client address (an IPv6 address by its /64, which one host usually
 * holds whole) and per user name, each in a window that opens at its
 * first failure, with the block that reaching a threshold sets; and
 * the logged-in sessions of each user.
 *
 * This is the local backend: a table of at most `max' entries in this
 * process's memory, gone when policyd restarts.  A full table gives up
 * its least recently touched entry that holds no session.  Callers see
 * only the functions below, so a shared backend (Redis, for a fleet)
 * can take its place.  Times are milliseconds of CLOCK_MONOTONIC.
 */
#ifndef POSTERN_POLICYD_COUNTERS_H
#define POSTERN_POLICYD_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* A user name's bytes that a key keeps; a longer one adds its hash. */
#define COUNTER_NAME_MAX	240
#define COUNTER_KEY_MAX		(COUNTER_NAME_MAX + 8)
/* Entries a table may have. */
#define COUNTERS_MAX		(1U << 20)

enum counter_kind {
	COUNTER_ADDR = 1,
	COUNTER_USER = 2,
};

struct counter_key {
	uint32_t	 kind;		/* enum counter_kind */
	uint32_t	 len;
	uint8_t		 b[COUNTER_KEY_MAX];
};

/* after failures within window_ms block for block_ms; after 0: never. */
struct counter_rule {
	uint32_t	 after;
	int64_t		 window_ms;
	int64_t		 block_ms;
};

struct counters;

/* 16-byte addr in network order; AF_INET6 keeps its first 64 bits. */
void	 counter_key_addr(struct counter_key *, int family,
	    const uint8_t *addr);
void	 counter_key_user(struct counter_key *, const char *, size_t);

/* NULL: out of memory. */
struct counters	*counters_new(size_t max);
void	 counters_free(struct counters *);
/*
 * One more failure of key at now: its count in the current window
 * (this one included).  Reaching r->after sets a block until now +
 * block_ms.  0: the table could not take the key (every entry holds a
 * session); the failure is not counted.
 */
uint32_t counters_fail(struct counters *, const struct counter_key *,
	    int64_t now, const struct counter_rule *);
/* The count of key in its window at now: 0 when none or expired. */
uint32_t counters_failures(struct counters *, const struct counter_key *,
	    int64_t now);
/* When key's block ends, or 0 when it is not blocked at now. */
int64_t	 counters_blocked(struct counters *, const struct counter_key *,
	    int64_t now);
/* One session more for key: the count with it, 0 when the table is full */
uint32_t counters_session_add(struct counters *, const struct counter_key *,
	    int64_t now);
void	 counters_session_del(struct counters *, const struct counter_key *);
/* Let go of the entries nothing keeps any more (oldest first). */
void	 counters_expire(struct counters *, int64_t now);
/* Entries in use, for logs and tests. */
size_t	 counters_size(const struct counters *);

#endif
