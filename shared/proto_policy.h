/*
 * The channels of postern-policyd: one to the master, one per worker.
 *
 * The master makes a socketpair, forks, puts its end on POLICYD_CHAN_FD
 * and execs postern-policyd, as it does for a worker.  For each worker it
 * makes one more socketpair: one end goes to policyd (MSG_P_WORKER), the
 * other to the worker (MSG_W_POLICYD, proto_worker.h).  Framing is msg.h.
 *
 *   master -> policyd  MSG_P_CONFIG    once, first: struct policyd_config
 *   policyd -> master  MSG_READY       store open, privileges dropped,
 *                                      filter loaded
 *   master -> policyd  MSG_P_WORKER    + one end of a worker's socketpair:
 *                                      struct policyd_worker, with the
 *                                      channel's limit
 *   master -> worker   MSG_W_POLICYD   (proto_worker.h) + the other end;
 *                                      empty body, after MSG_W_CONFIG (or,
 *                                      when policyd is down then, once it
 *                                      is ready), and again to every live
 *                                      worker, idle or in a session, each
 *                                      time a restarted policyd is ready
 *   policyd -> master  MSG_LOG         any time
 *   policyd -> master  MSG_P_GENERATION the generation that is current,
 *                                      at start and whenever it changes
 *                                      (posternctl status, the metrics)
 *   policyd -> master  MSG_P_REDIS_ASK "counters redis": connect to Redis
 *                                      for me, after READY and after each
 *                                      lost connection (with a back-off)
 *   master -> policyd  MSG_P_REDIS     + the socket: struct policy_redis
 *   master -> policyd  MSG_SHUTDOWN    (proto.h) exit
 *
 *   policyd -> worker  MSG_P_HELLO     first, + the generation page (a
 *                                      sealed memfd the worker can map
 *                                      read only): struct policy_hello
 *   worker -> policyd  MSG_P_QUERY     struct policy_query + its strings;
 *                                      table RULES_ROUTE (login proxy,
 *                                      once per login): the user's route
 *                                      table entry, else the route rules
 *   policyd -> worker  MSG_P_VERDICT   struct policy_verdict + its strings,
 *                                      one per query, in order
 *   worker -> policyd  MSG_P_LOGIN_CHECK  struct policy_login + the user:
 *                                      may this login go upstream?
 *   worker -> policyd  MSG_P_LOGIN_FAILED the server refused it: count it
 *   worker -> policyd  MSG_P_LOGIN_OK  the server took it: one more
 *                                      session of the user on this channel
 *                                      (only if the hello said
 *                                      POLICY_HELLO_SESSIONS)
 *   policyd -> worker  MSG_P_LOGIN_STATUS struct policy_login_status, the
 *                                      answer to each of the three above
 *   worker -> policyd  MSG_P_LOGIN_END the session that logged in ended
 *                                      (no answer; a closed channel ends
 *                                      it too)
 *
 * The bodies of MSG_P_QUERY and MSG_P_VERDICT are made and read in one
 * place, policy_codec.h, by both ends.
 *
 * A query is answered on its own channel; the request id is the
 * worker's, echoed back, so a late answer to a query the worker gave up
 * on is recognised and dropped.  A worker's channel that sends anything
 * else, a body that does not parse exactly, or a descriptor is ended
 * (and the fact logged); policyd serves the other channels on.
 */
#ifndef POSTERN_PROTO_POLICY_H
#define POSTERN_PROTO_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "policy_wire.h"
#include "proto.h"
#include "proto_worker.h"

#define POLICYD_CHAN_FD		3

/* Message types of these channels: 200-299 (proto.h). */
enum policy_msg_type {
	MSG_P_CONFIG = 200,	/* master -> policyd: struct policyd_config */
	MSG_P_WORKER = 201,	/* master -> policyd: policyd_worker, fd */
	MSG_P_HELLO = 210,	/* policyd -> worker: policy_hello, fd */
	MSG_P_QUERY = 211,	/* worker -> policyd: policy_query... */
	MSG_P_VERDICT = 212,	/* policyd -> worker: policy_verdict... */
	MSG_P_LOGIN_CHECK = 213, /* worker -> policyd: policy_login, user */
	MSG_P_LOGIN_FAILED = 214, /* worker -> policyd: policy_login, user */
	MSG_P_LOGIN_OK = 215,	/* worker -> policyd: policy_login, user */
	MSG_P_LOGIN_STATUS = 216, /* policyd -> worker: policy_login_status */
	MSG_P_LOGIN_END = 217,	/* worker -> policyd: empty */
	MSG_P_GENERATION = 240,	/* policyd -> master: policyd_generation */
	MSG_P_REDIS_ASK = 241,	/* policyd -> master: empty */
	MSG_P_REDIS = 242,	/* master -> policyd: policy_redis, fd */
};

MSG_RANGE_CHECK(MSG_P_CONFIG, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_WORKER, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_HELLO, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_QUERY, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_VERDICT, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_LOGIN_CHECK, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_LOGIN_FAILED, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_LOGIN_OK, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_LOGIN_STATUS, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_LOGIN_END, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_GENERATION, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_REDIS_ASK, MSG_BASE_POLICY);
MSG_RANGE_CHECK(MSG_P_REDIS, MSG_BASE_POLICY);

#define POLICYD_PATH_MAX	256	/* store directory, with its NUL */

/*
 * Descriptors policyd holds besides its workers' channels: 0-2, the
 * master's channel, the generation page and the copy of it on its way
 * to a worker, inotify, LMDB's data and lock files, and room to spare.
 */
#define POLICYD_NOFILE_FIXED	16
/*
 * Answering threads (postern.conf(5) "policy threads"); each but the
 * first holds its loop's epoll, both ends of its socketpair to the main
 * thread and its wake-up pipe, and one spare.
 */
#define POLICYD_THREADS_MAX	16
#define POLICYD_NOFILE_THREAD	6
/*
 * "policy nice": every session waits on policyd's answers, and in a
 * storm thousands of workers want the CPU at once; at nice 0 policyd
 * would get a worker's share of it.
 */
#define POLICYD_NICE_DEFAULT	(-10)

/* Steps of `login delay' (postern.conf(5)). */
#define LOGIN_DELAYS_MAX	16
/*
 * `login table': about 300 bytes an entry, touched only once used, so
 * 20 MiB at most by default.
 */
#define LOGIN_TABLE_DEFAULT	65536
#define LOGIN_TABLE_MAX		(1U << 20)

/*
 * The password-guessing guard's knobs, postern.conf(5) "login" and
 * "limit sessions per-user": the master's parsed form and policyd's.
 * Times in seconds.  A block rule with after 0 is off.
 */
struct login_conf {
	uint32_t delay[LOGIN_DELAYS_MAX];	/* before the Nth failure's NO */
	uint32_t ndelay;
	uint32_t addr_after;		/* failures of one address (/64) */
	uint32_t addr_within;
	uint32_t addr_for;
	uint32_t user_after;		/* failures for one user name */
	uint32_t user_within;
	uint32_t user_for;
	uint32_t sessions_per_user;	/* 0: any number */
	uint32_t table;			/* counters policyd keeps at most */
};

/*
 * postern.conf(5) "counters redis": the guard's counters kept in Redis,
 * shared by every node of a fleet (policyd/fleet.c).  The master
 * connects and passes the socket (MSG_P_REDIS); policyd sends AUTH with
 * the password the master read from its file.
 */
#define FLEET_WHERE_MAX		128
#define FLEET_PASSWORD_MAX	256

struct fleet_conf {
	uint32_t redis;			/* 0: counted on this node only */
	uint32_t timeout_ms;		/* a login waits for Redis at most */
	uint32_t passlen;		/* 0: no AUTH */
	uint32_t pad;
	char	 where[FLEET_WHERE_MAX];	/* for the logs, NUL-terminated */
	char	 password[FLEET_PASSWORD_MAX];
};

/*
 * policyd opens the store read only, then chroots into its directory
 * and drops to uid/gid (never 0).
 */
struct policyd_config {
	uint32_t verbose;		/* 0 info, 1 debug, 2 more */
	uint32_t uid;
	uint32_t gid;
	uint32_t nofile;		/* RLIMIT_NOFILE: POLICYD_NOFILE_FIXED
					   and a channel per worker it may
					   have at once (master/rlimits.c) */
	uint32_t threads;		/* answering, 1 to POLICYD_THREADS_MAX */
	int32_t	 nice;			/* set while still root */
	char	 store[POLICYD_PATH_MAX];
	struct login_conf login;
	struct fleet_conf fleet;
};

/*
 * A login attempt, the body of MSG_P_LOGIN_CHECK, _FAILED and _OK: this
 * struct, then userlen bytes of the user name (no NUL; 0: not known
 * yet, as for AUTHENTICATE before its answer).  Nothing may follow.
 * The id is the worker's, from the same sequence as its queries, and
 * comes back in the status.
 */
struct policy_login {
	uint64_t id;
	uint32_t family;		/* AF_INET, AF_INET6 or 0 */
	uint8_t	 addr[16];		/* client address, network order */
	uint16_t userlen;
	uint16_t pad;
};

enum policy_login_block {
	LOGIN_OPEN = 0,
	LOGIN_BLOCKED_ADDR = 1,		/* the client's address (/64) */
	LOGIN_BLOCKED_USER = 2,		/* the user name */
	LOGIN_SESSIONS = 3,		/* MSG_P_LOGIN_OK: over the limit */
};

struct policy_login_status {
	uint64_t id;
	uint32_t block;			/* enum policy_login_block */
	uint32_t delay_ms;		/* FAILED: wait before the NO */
	uint32_t failures;		/* the address's, in its window */
	uint32_t retry_s;		/* blocked: seconds left */
};

/*
 * The current generation as the store records it: gen 0, nothing
 * loaded (and the rest zero).  user: who loaded it, NUL-terminated.
 */
struct policyd_generation {
	uint64_t gen;
	int64_t	 time;			/* seconds since the epoch */
	uint8_t	 sha256[32];		/* of its source */
	char	 user[32];
};

/*
 * The answer to MSG_P_REDIS_ASK: a socket to Redis whose non-blocking
 * connect may still be in progress, or, with no descriptor, the errno
 * of a connect that failed at once.
 */
struct policy_redis {
	int32_t	 error;
	uint32_t pad;
};

struct policyd_worker {
	uint32_t slot;			/* the worker's pool slot, for logs */
	uint32_t maxbody;		/* policy_query_max() of its config */
};

/*
 * The generation page: one page, written with atomic stores by policyd
 * only, of 64-bit words: POLICY_PAGE_GEN, the current generation (0:
 * nothing loaded); POLICY_PAGE_BLOCKS, the CLOCK_MONOTONIC millisecond
 * until which a login block may be in force (0: none was ever set;
 * UINT64_MAX: blocks are the fleet's, always ask).  A worker asks
 * policyd whether a login may go upstream (MSG_P_LOGIN_CHECK) only
 * before that time: without a block in force the answer is known.  A
 * worker maps it PROT_READ, MAP_SHARED; the memfd is sealed against any
 * new writable mapping.
 */
#define POLICY_PAGE_GEN		0
#define POLICY_PAGE_BLOCKS	1
struct policy_hello {
	uint32_t pagesize;		/* bytes to map */
	uint32_t flags;			/* POLICY_HELLO_* */
};
/*
 * `limit sessions per-user' is set: a worker reports each login the
 * server took (MSG_P_LOGIN_OK) and its session's end.  Without it
 * nothing counts them, and a worker spares the round trip.
 */
#define POLICY_HELLO_SESSIONS	0x1

/*
 * Bounds of one query; a larger one is malformed.  No rule can name an
 * argument after the 255th (postern.rules(5), "arg N"), so a worker
 * sends at most POLICY_ARGS_MAX of them, however many the command has.
 */
#define POLICY_STR_MAX		1024	/* key, name, user, listener, mailbox */
#define POLICY_ARGS_MAX		256
#define POLICY_ID_MAX		RULES_ID_MAX	/* the client's ID fields */
#define POLICY_JA4_MAX		RULES_JA4_LEN

/*
 * A query body: this struct, then the strings key, name, user,
 * listener, mailbox and ja4 (their lengths below, no NULs, a length of
 * 0 meaning "absent"), then nid struct policy_idfield and the text of
 * the ID fields, each name then its value, then nargs struct
 * policy_arg, then the text of the arguments that are not literals, one
 * after another.  Nothing may follow.  Numbers are enum rules_*
 * (policy_wire.h).  Arguments are sent only when a rule may read them;
 * otherwise nargs is 0.  ID fields (the client's, RFC 2971) are
 * POLICY_ID_MAX at most, a name 1 to RULES_ID_KEY_MAX bytes, a value
 * at most RULES_ID_VALUE_MAX, none with a NUL.
 */
struct policy_query {
	uint64_t id;
	uint32_t proto;			/* enum rules_proto */
	uint32_t table;			/* enum rules_table */
	uint32_t kind;			/* enum rules_kind */
	uint32_t state;			/* enum rules_state */
	uint32_t tls;			/* 0 or 1 */
	uint32_t family;		/* AF_INET, AF_INET6 or 0 */
	uint8_t	 addr[16];		/* client address, network order */
	uint32_t port;			/* the listener's port */
	uint32_t nargs;
	uint16_t keylen;
	uint16_t namelen;
	uint16_t userlen;
	uint16_t listenerlen;
	uint16_t mailboxlen;
	uint16_t ja4len;
	uint16_t nid;
	uint16_t pad;
};

struct policy_idfield {
	uint16_t keylen;
	uint16_t valuelen;
};

#define POLICY_ARG_LITERAL	0x1	/* len is the literal's size; no text */

struct policy_arg {
	uint32_t len;
	uint32_t flags;
};

enum policy_status {
	POLICY_OK = 0,
	POLICY_NOGEN = 1,	/* nothing loaded: the caller fails closed */
	POLICY_ERROR = 2,	/* store or blob trouble: likewise */
};

/*
 * A verdict body: this struct, then text (the reject text, rewrite
 * template and so on), file (the rule file's name), and nuntagged
 * lines each preceded by a uint16_t length.  Nothing may follow.  A
 * status other than POLICY_OK is sent as this struct alone, its other
 * fields 0, and read as its status alone.  line 0: no rule held, the
 * table's default.  cacheable: the verdict depends on the session only,
 * and holds for the whole session while the generation stays.
 *
 * At most POLICY_VERDICT_MAX bytes: policyd sends a larger verdict as
 * POLICY_ERROR.  A worker takes at most POLICY_UNTAGGED_MAX untagged
 * lines (policy_wire.h) and refuses a verdict with more.
 */
#define POLICY_VERDICT_MAX	MSG_BODY_DEFAULT

struct policy_verdict {
	uint64_t id;
	uint64_t gen;
	uint32_t status;		/* enum policy_status */
	uint32_t action;		/* enum rules_action */
	uint32_t tls;			/* enum rules_tls */
	uint32_t cacheable;
	uint32_t line;
	uint32_t col;
	uint32_t nuntagged;
	uint16_t textlen;
	uint16_t filelen;
};

/*
 * The largest query a worker may send, and so the limit of its channel
 * at both ends: the worker's from its own config slice, policyd's from
 * the struct policyd_worker the master sends with the channel, made
 * from the same slice.  A verdict must never fail for a command that
 * `limit line' lets through, so the whole of every argument a rule may
 * test travels: a glob like "*x" looks at the end of an argument, and
 * policyctl test sees the arguments whole too.  What the channel has to
 * carry is then the fixed part, the five strings at their longest, the
 * JA4 and the ID fields at theirs, the argument headers, and the
 * arguments' text: at most the line, plus one
 * byte per token, since a list's elements are sent joined by single
 * spaces where the line may have none ("(A)]"), and a masked password
 * is "***" however short.  POP3's arguments are its line's words.
 * Derived rather than fixed: the 16 KiB a channel had by default cut
 * off every command over about 16 KiB, while a larger fixed limit would
 * still be too small for a larger `limit line'.
 */
#define POLICY_QUERY_FIXED	(sizeof(struct policy_query) + \
				    5 * POLICY_STR_MAX + POLICY_JA4_MAX + \
				    POLICY_ID_MAX * (sizeof(struct \
				    policy_idfield) + RULES_ID_KEY_MAX + \
				    RULES_ID_VALUE_MAX) + \
				    POLICY_ARGS_MAX * sizeof(struct policy_arg))

static inline size_t
policy_query_max(const struct worker_config *c)
{
	size_t	 line = c->max_line > c->max_pop3_line ? c->max_line :
		    c->max_pop3_line;

	return POLICY_QUERY_FIXED + line + c->max_args;
}

_Static_assert(POLICY_QUERY_FIXED + WORKER_LINE_MAX + WORKER_ARGS_MAX <=
    MSG_BODY_MAX, "the largest limit line must give a working channel");
_Static_assert(WORKER_POP3_LINE_MAX <= WORKER_LINE_MAX,
    "policy_query_max covers POP3 lines within the IMAP bound");
_Static_assert(sizeof(struct policyd_generation) == 8 + 8 + 32 + 32,
    "policyd_generation has no padding");
_Static_assert(sizeof(struct login_conf) == (LOGIN_DELAYS_MAX + 9) * 4,
    "login_conf has no padding");
_Static_assert(sizeof(struct fleet_conf) == 16 + FLEET_WHERE_MAX +
    FLEET_PASSWORD_MAX, "fleet_conf has no padding");
_Static_assert(sizeof(struct policyd_config) == 24 + POLICYD_PATH_MAX +
    sizeof(struct login_conf) + sizeof(struct fleet_conf),
    "policyd_config has no padding");
_Static_assert(sizeof(struct policy_redis) == 8,
    "policy_redis has no padding");
_Static_assert(sizeof(struct policy_login) == 8 + 4 + 16 + 4,
    "policy_login has no padding");
_Static_assert(sizeof(struct policy_login_status) == 8 + 4 * 4,
    "policy_login_status has no padding");
_Static_assert(sizeof(struct policy_query) == 8 + 6 * 4 + 16 + 8 + 16,
    "policy_query has no padding");
_Static_assert(sizeof(struct policy_idfield) == 4,
    "policy_idfield has no padding");
_Static_assert(sizeof(struct policy_verdict) == 16 + 7 * 4 + 4,
    "policy_verdict has no padding");

#endif
