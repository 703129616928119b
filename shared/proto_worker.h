/*
 * The channel between posternd (the master) and one postern-worker.
 *
 * The master makes a socketpair per worker, forks, puts its end of the
 * pair on descriptor WORKER_CHAN_FD in the child and execs the worker
 * program.  Every message uses the framing of msg.h; the bodies are the
 * fixed-size structs below, sent whole (a body of any other size is a
 * protocol error that ends the channel).  Strings are NUL-terminated inside
 * their arrays; a receiver that finds no NUL rejects the message.
 *
 * Who sends what, in order:
 *
 *   master -> worker  MSG_W_CONFIG     once, first, right after exec
 *   worker -> master  MSG_READY        (proto.h) once, when the worker has
 *                                      applied the slice, dropped
 *                                      privileges and loaded its filter.
 *                                      The master kills a worker that is
 *                                      not ready within its start timeout.
 *   master -> worker  MSG_W_SESSION    + client socket (SCM_RIGHTS); only
 *                                      to an idle worker
 *   master -> worker  MSG_W_UPSTREAM   + upstream socket, always right
 *                                      after MSG_W_SESSION, same id;
 *                                      never on a "login proxy" listener
 *                                      (worker_config.login_proxy)
 *   worker -> master  MSG_W_CONNECT    login proxy: the client has given
 *                                      its login, connect the upstream
 *                                      its route names (policyd's
 *                                      answer; "" the listener's) now
 *   master -> worker  MSG_W_CONNECTED  + upstream socket: the answer,
 *                                      same id.  Asked again after a
 *                                      failed login, whose connection
 *                                      the worker closed.  An answer
 *                                      that comes once the session is
 *                                      ending, or over, is closed unused
 *   worker -> master  MSG_W_GREETED    + struct worker_greeted, when the
 *                                      server's greeting came (limit
 *                                      connecting counts the sessions
 *                                      still waiting for theirs)
 *   worker -> master  MSG_W_SESSION_END when the session is over and both
 *                                      sockets are closed, with why; the
 *                                      worker is idle again (or exits,
 *                                      after MSG_SHUTDOWN)
 *   worker -> master  MSG_LOG          (proto.h) any time after exec
 *   master -> worker  MSG_W_AUDIT      + audit log fd, after MSG_W_CONFIG
 *                                      and again on SIGUSR1 (rotation),
 *                                      idle or during a session
 *   worker -> master  MSG_W_AUDIT_ANCHOR after a segment's first record,
 *                                      every 64 records, before each
 *                                      MSG_W_SESSION_END and when a
 *                                      rotation ends a segment
 *   master -> worker  MSG_SHUTDOWN     (proto.h) + struct worker_shutdown,
 *                                      any time after MSG_READY
 *   master -> worker  MSG_W_POLICYD,   a channel to a restarted policyd
 *                     MSG_W_KEYHOLDER  or keyd, idle or in a session
 *                                      (proto_policy.h, proto_tls.h)
 *
 * What posternctl(8) shows of a session and the counters of the metrics
 * (master/control.c, master/metrics.c), none of it per command:
 *
 *   worker -> master  MSG_W_SESSION_INFO when the user logs in and when
 *                                      the client's TLS comes on
 *   master -> worker  MSG_W_PROGRESS_ASK posternctl sessions: the bytes
 *                                      so far; idle or in another
 *                                      session, the worker ignores it
 *   worker -> master  MSG_W_PROGRESS   the answer, during that session
 *   master -> worker  MSG_W_KICK       posternctl kick: end that session
 *                                      (BYE, WORKER_END_KICKED); the
 *                                      worker stays, idle again; idle or
 *                                      in another session, it ignores it
 *   worker -> master  MSG_W_SESSION_STATS the session's counters, just
 *                                      before each MSG_W_SESSION_END
 *
 * A template (postern.conf(5), pool template-forks) is a postern-worker
 * started the same way whose config slice says template = 1: it reads
 * the config and the TLS slice (without a keyd channel), confines
 * itself with template_filter, and never serves a session:
 *
 *   template -> master MSG_READY       once confined
 *   master -> template MSG_T_FORK      + the new worker's end of a fresh
 *                                      socketpair: fork a worker for slot
 *   template -> master MSG_T_FORKED    the worker's pid (posternd's child,
 *                                      by CLONE_PARENT), or why not
 *   master -> template MSG_SHUTDOWN    exit; the workers it forked stay
 *
 * The forked worker speaks on its own socketpair exactly as an exec'd
 * one does after MSG_READY, which it sends first: its channels to
 * policyd and keyd and its audit log come as MSG_W_POLICYD,
 * MSG_W_KEYHOLDER and MSG_W_AUDIT, queued by the master before it.
 *
 * A worker that reaches its session quota is not told anything: the master
 * sends it MSG_SHUTDOWN while it is idle and starts a fresh one.  End of
 * file on the channel means the master is gone: the worker closes its
 * session, if any, and exits at once.  A worker serves one listener (so one
 * protocol) for its whole life.
 */
#ifndef POSTERN_PROTO_WORKER_H
#define POSTERN_PROTO_WORKER_H

#include <stdint.h>

#include "proto.h"

/* The worker finds its channel to the master here (as OpenSMTPD does). */
#define WORKER_CHAN_FD		3

/*
 * The worker's environment, all of it, read by the dynamic linker at
 * exec.  A page a worker writes after the template forked it is its own
 * (README, Performance), and these keep two kinds of writes away:
 *
 * glibc's malloc without its per-thread cache.  The cache keeps up to 7
 * freed chunks of each size up to 1 KiB out of the arena, so
 * malloc_trim() cannot give back the pages they lie on, and a session
 * that ends with a few hundred bytes live in a dozen pages keeps them
 * all.  The worker is single-threaded: malloc takes no lock without it.
 *
 * Every symbol bound at exec, in the template, not on its first call:
 * libc binds its own calls lazily (realloc, from reallocarray), and each
 * worker bound it again and wrote a page of the linker's data.  The
 * other libraries are linked with -z now already; libc's table is short.
 */
#define WORKER_ENV_MALLOC	"GLIBC_TUNABLES=glibc.malloc.tcache_count=0"
#define WORKER_ENV_BIND		"LD_BIND_NOW=1"

/* Message types of this channel: 100-199 (proto.h). */
enum worker_msg_type {
	MSG_W_CONFIG = 100,	/* master -> worker: struct worker_config */
	MSG_W_SESSION = 101,	/* master -> worker: struct worker_session, fd */
	MSG_W_UPSTREAM = 102,	/* master -> worker: struct worker_upstream, fd */
	/* 103 was MSG_W_SHUTDOWN, now MSG_SHUTDOWN: never to be reused. */
	MSG_W_CONNECT = 104,	/* worker -> master: worker_connect */
	MSG_W_CONNECTED = 105,	/* master -> worker: worker_connected, fd */
	MSG_W_GREETED = 106,	/* worker -> master: struct worker_greeted */
	MSG_W_SESSION_END = 110, /* worker -> master: struct worker_session_end */
	MSG_W_AUDIT_ANCHOR = 115, /* worker -> master: struct worker_audit_anchor */
	/* Reserved for what comes later; each will carry one descriptor. */
	MSG_W_POLICYD = 120,	/* master -> worker: socketpair to policyd */
	MSG_W_AUDIT = 121,	/* master -> worker: O_APPEND audit log fd */
	MSG_W_KEYHOLDER = 122,	/* master -> worker: socketpair to key holder */
	MSG_W_TLS = 123,	/* master -> worker: proto_tls.h */
	MSG_W_TLS_CERT = 124,	/* master -> worker: proto_tls.h */
	/* A template's: 130-139. */
	MSG_T_FORK = 130,	/* master -> template: struct worker_fork, fd */
	MSG_T_FORKED = 131,	/* template -> master: struct worker_forked */
	/* Operating (posternctl, metrics): 140-149. */
	MSG_W_KICK = 140,	/* master -> worker: struct worker_kick */
	MSG_W_PROGRESS_ASK = 141, /* master -> worker: struct worker_progress_ask */
	MSG_W_SESSION_INFO = 142, /* worker -> master: struct worker_session_info */
	MSG_W_PROGRESS = 143,	/* worker -> master: struct worker_progress */
	MSG_W_SESSION_STATS = 144, /* worker -> master: struct worker_session_stats */
};

MSG_RANGE_CHECK(MSG_W_CONFIG, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_SESSION, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_UPSTREAM, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_CONNECT, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_CONNECTED, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_GREETED, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_SESSION_END, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_AUDIT_ANCHOR, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_POLICYD, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_AUDIT, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_KEYHOLDER, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_TLS, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_TLS_CERT, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_T_FORK, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_T_FORKED, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_KICK, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_PROGRESS_ASK, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_SESSION_INFO, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_PROGRESS, MSG_BASE_WORKER);
MSG_RANGE_CHECK(MSG_W_SESSION_STATS, MSG_BASE_WORKER);

#define WORKER_NAME_MAX		32	/* listener name, with its NUL */
#define WORKER_ADDR_MAX		64	/* numeric host, with its NUL */
#define WORKER_PATH_MAX		256	/* chroot directory, with its NUL */
#define WORKER_TEXT_MAX		128	/* BYE text, with its NUL */
#define WORKER_CAPA_MAX		1024	/* capability list, with its NUL */

/*
 * The largest limits postern.conf takes (`limit line', `limit args',
 * `limit pop3-line'; shared/conf_limits.c).  Buffers that follow a limit are
 * bounded by these, and the policy channel's largest body is made
 * from them (proto_policy.h).
 */
#define WORKER_LINE_MAX		(16 * 1024 * 1024)
#define WORKER_ARGS_MAX		65536
#define WORKER_POP3_LINE_MAX	(1024 * 1024)

/*
 * The master's channel to a worker: its config and TLS chains, which
 * fit with room to spare (master/listener_tls.c).
 */
#define WORKER_CHAN_BODY_MAX	(64 * 1024)

enum worker_protocol {
	WORKER_PROTO_IMAP = 1,
	WORKER_PROTO_POP3 = 2,
};

/*
 * What the server is told of the client (postern.conf(5), "forward"):
 * nothing, Dovecot's ID fields (IMAP) or XCLIENT (POP3) after the
 * greeting, or a PROXY v2 header before the first byte.
 */
enum worker_forward {
	WORKER_FORWARD_NONE = 0,
	WORKER_FORWARD_ID = 1,
	WORKER_FORWARD_PROXY_V2 = 2,
};

/*
 * The worker's slice of postern.conf.  Sizes are bytes, timeouts seconds.
 * uid, gid and chroot are what the worker drops to before it loads its
 * filter; the master resolved the user name, so the worker needs no
 * passwd file.
 */
struct worker_config {
	uint32_t slot;			/* pool slot, 0-based; names the audit log */
	uint32_t verbose;		/* 0 info, 1 debug, 2 more */
	uint32_t protocol;		/* enum worker_protocol */
	uint32_t uid;
	uint32_t gid;
	uint32_t max_line;		/* longest command or response line */
	uint32_t max_literal;		/* largest APPEND literal */
	uint32_t max_depth;		/* parenthesis nesting of a command */
	uint32_t max_args;		/* tokens of one command */
	uint32_t max_inflight;		/* pipelined commands in flight */
	uint32_t timeout_login;		/* greeting to authenticated state */
	uint32_t timeout_idle;		/* silence of an authenticated client */
	uint32_t timeout_imap_idle;	/* inside IDLE; at least 29 min, RFC 2177 */
	uint32_t timeout_upstream;	/* upstream connect and greeting */
	uint32_t sessions;		/* quota, for information only */
	uint32_t timeout_policy;	/* ms for a verdict; 0: no policy store */
	char	 listener[WORKER_NAME_MAX];
	char	 chroot[WORKER_PATH_MAX];
	uint32_t max_pop3_line;		/* POP3 line, CRLF included */
	uint32_t max_username;		/* POP3 USER and APOP name */
	uint32_t max_password;		/* POP3 PASS */
	uint32_t forward;		/* enum worker_forward */
	uint32_t template;		/* 1: fork workers, serve nothing */
	/*
	 * 1: "login proxy" (postern.conf(5)): the worker greets the client
	 * and takes the login itself, then asks for the upstream
	 * (MSG_W_CONNECT).  0: "login relay", the upstream comes with
	 * the session.
	 */
	uint32_t login_proxy;
};

/*
 * Fork a worker for slot; its channel rides on the message.  id pairs
 * the answer with the question.
 */
struct worker_fork {
	uint64_t id;
	uint32_t slot;
	uint32_t pad;
};

/* The answer: the worker's pid, or 0 and the errno of the failed clone. */
struct worker_forked {
	uint64_t id;
	int32_t	 pid;
	int32_t	 error;
};

/*
 * A new session; the client socket rides on this message.  The id is
 * unique within one run of the master and pairs the message with the
 * MSG_W_UPSTREAM that follows.  Addresses are numeric (getnameinfo with
 * NI_NUMERICHOST); ports are in host order.
 *
 * On a listener with "proxy-protocol from", client_addr and client_port
 * are the client's as the PROXY header said, and proxy_addr, proxy_port
 * the peer that sent it (the load balancer); dest_addr and dest_port
 * are the header's destination, the address the client connected to
 * (local_addr and local_port without a header, or for its LOCAL
 * command).  The TLV strings are the header's, printable ASCII ("" when
 * absent), cut to their arrays.
 */
#define WORKER_PROXY_ALPN_MAX	64
#define WORKER_PROXY_NAME_MAX	256
#define WORKER_PROXY_TLSVER_MAX	32
#define WORKER_PROXY_CIPHER_MAX	64

/* worker_session.proxy_flags */
#define WORKER_PROXY_LOCAL	0x01	/* LOCAL, UNKNOWN: no client address */
#define WORKER_PROXY_SSL	0x02	/* PP2_CLIENT_SSL: TLS to the proxy */
#define WORKER_PROXY_CERT	0x04	/* a client certificate, verified */

struct worker_session {
	uint64_t id;
	uint32_t protocol;		/* same as in the config slice */
	uint32_t flags;			/* none yet; 0 */
	uint16_t client_port;
	uint16_t local_port;		/* the listener's port */
	uint16_t upstream_port;
	uint16_t pad;
	char	 listener[WORKER_NAME_MAX];
	char	 client_addr[WORKER_ADDR_MAX];
	char	 local_addr[WORKER_ADDR_MAX];
	char	 upstream_addr[WORKER_ADDR_MAX];
	uint32_t proxy;			/* 0: no header; else its version */
	uint32_t proxy_flags;		/* WORKER_PROXY_* */
	uint16_t proxy_port;
	uint16_t dest_port;
	uint32_t pad2;
	char	 proxy_addr[WORKER_ADDR_MAX];
	char	 dest_addr[WORKER_ADDR_MAX];
	char	 proxy_alpn[WORKER_PROXY_ALPN_MAX];
	char	 proxy_authority[WORKER_PROXY_NAME_MAX];
	char	 proxy_tls_version[WORKER_PROXY_TLSVER_MAX];
	char	 proxy_tls_cipher[WORKER_PROXY_CIPHER_MAX];
	/*
	 * The named upstream the master chose upstream_addr from ("" for
	 * a listener's "upstream HOST port N"), for the audit log.
	 */
	char	 upstream_name[WORKER_NAME_MAX];
	/*
	 * login proxy: the capabilities the health check of the listener's
	 * upstream last kept (IMAP: CAPABILITY's words, space-separated;
	 * POP3: CAPA's lines, LF-separated), for postern's greeting and
	 * CAPA; "" when no check keeps any.
	 */
	char	 capability[WORKER_CAPA_MAX];
};

/*
 * The upstream socket, opened by the master with a non-blocking connect
 * that may still be in progress: the worker waits for it to become
 * writable within timeout_upstream, and a failed connect shows up as an
 * error on its first read or write.  When connect failed at once, error is
 * the errno and no descriptor is attached; the worker then tells the
 * client the server is unavailable and ends the session.
 */
struct worker_upstream {
	uint64_t id;
	int32_t	 error;			/* 0: descriptor attached */
	uint32_t pad;
};

/*
 * Login proxy: the session's client has logged in as far as postern
 * can tell; the master connects the upstream named, "" for the
 * listener's own, as it would have at accept (master/upstream.c) and
 * answers with MSG_W_CONNECTED.  A name that is no upstream of the
 * listener's protocol and settings (postern.conf(5), "routed") is
 * logged and the listener's own upstream taken instead.
 */
struct worker_connect {
	uint64_t id;
	char	 upstream[WORKER_NAME_MAX];	/* postern.rules(5) route */
};

/*
 * The answer: as struct worker_upstream, and the server chosen (as in
 * worker_session: its upstream's name, "" for the anonymous one, its
 * numeric address and port), for the audit log.
 */
struct worker_connected {
	uint64_t id;
	int32_t	 error;			/* 0: descriptor attached */
	uint16_t port;
	uint16_t pad;
	char	 name[WORKER_NAME_MAX];
	char	 addr[WORKER_ADDR_MAX];
};

/*
 * Close the session, if any, with "* BYE text" (IMAP) or "-ERR text"
 * (POP3), then exit.  Sent on SIGTERM after the drain timeout, and to an
 * idle worker the master retires.
 */
struct worker_shutdown {
	char	 text[WORKER_TEXT_MAX];
};

enum worker_end_reason {
	WORKER_END_LOGOUT = 0,		/* client said LOGOUT or QUIT */
	WORKER_END_CLIENT_EOF = 1,
	WORKER_END_UPSTREAM_EOF = 2,
	WORKER_END_TIMEOUT = 3,
	WORKER_END_POLICY = 4,		/* an abort verdict */
	WORKER_END_ERROR = 5,		/* protocol or I/O error */
	WORKER_END_SHUTDOWN = 6,
	WORKER_END_KICKED = 7,		/* MSG_W_KICK: posternctl kick */
};

struct worker_greeted {
	uint64_t id;			/* the session's */
};

struct worker_session_end {
	uint64_t id;
	uint64_t client_in;		/* bytes read from the client */
	uint64_t client_out;		/* bytes written to the client */
	uint64_t upstream_in;
	uint64_t upstream_out;
	uint32_t commands;		/* client commands seen */
	uint32_t reason;		/* enum worker_end_reason */
};

/*
 * posternctl kick: the worker ends session id with "* BYE text" (IMAP)
 * or "-ERR text" (POP3), as for MSG_SHUTDOWN, but stays: the session
 * ends with WORKER_END_KICKED and the worker is idle again.
 */
struct worker_kick {
	uint64_t id;
	char	 text[WORKER_TEXT_MAX];
};

/* How far session id has got: answered by MSG_W_PROGRESS. */
struct worker_progress_ask {
	uint64_t id;
};

/* The counts of struct worker_session_end, so far. */
struct worker_progress {
	uint64_t id;
	uint64_t client_in;
	uint64_t client_out;
	uint64_t upstream_in;
	uint64_t upstream_out;
	uint32_t commands;
	uint32_t pad;
};

#define WORKER_USER_MAX		256	/* a user name, with its NUL */
#define WORKER_TLSNAME_MAX	32	/* "TLSv1.3", with its NUL */

/*
 * What only the worker knows of its session, sent again whenever it
 * changes: the user the server accepted ("" before), and the TLS
 * version of the client's leg ("" while in plaintext).  As the client
 * sent it: the master escapes both before it shows them.
 */
struct worker_session_info {
	uint64_t id;
	char	 user[WORKER_USER_MAX];
	char	 tls[WORKER_TLSNAME_MAX];
};

/*
 * A session's counters, for the metrics (master/metrics.c): sent once,
 * just before MSG_W_SESSION_END, so that no verdict costs a message.
 * verdicts: by enum rules_table and enum rules_action (policy_wire.h),
 * action 0 for a verdict that did not come (failed closed).  rtt: the
 * round trips to postern-policyd, by the buckets of WORKER_RTT_BOUNDS_US,
 * the last one for the longer ones.  tls: [0] the client's leg, [1] the
 * server's.
 */
#define WORKER_STATS_TABLES	6
#define WORKER_STATS_ACTIONS	12
#define WORKER_RTT_BUCKETS	17
/* Upper bounds of the first WORKER_RTT_BUCKETS - 1 buckets, in us. */
#define WORKER_RTT_BOUNDS_US	10, 25, 50, 100, 250, 500, 1000, 2500, \
				5000, 10000, 25000, 50000, 100000, 250000, \
				500000, 1000000

struct worker_session_stats {
	uint64_t id;
	uint64_t rtt_sum_ns;
	uint32_t verdicts[WORKER_STATS_TABLES][WORKER_STATS_ACTIONS];
	uint32_t cache_hits;
	uint32_t cache_misses;
	uint32_t rtt[WORKER_RTT_BUCKETS];
	uint32_t tls_ok[2];
	uint32_t tls_failed[2];
	uint32_t login_failures;
	uint32_t upstream_failures;
	uint32_t pad;
};

/*
 * An audit log segment (audit_chain.h): the O_APPEND descriptor of the
 * slot's log rides on MSG_W_AUDIT with its first key, which the worker
 * wipes as it evolves.  prev: the segment before it in the same file,
 * "" when the file is new.  log: the file's name, for the records.
 */
#define WORKER_SEG_MAX		24	/* segment id, 16 hex digits, NUL */

struct worker_audit {
	uint8_t	 key[32];
	char	 seg[WORKER_SEG_MAX];
	char	 prev[WORKER_SEG_MAX];
	char	 log[WORKER_NAME_MAX];
	uint32_t rotate;		/* 1: opened on SIGUSR1 */
	uint32_t pad;
};

/*
 * What the worker has written of segment seg: records records, the last
 * with MAC mac.  The master keeps it as the segment's anchor, so a log
 * cut at a record boundary fails verification.
 */
struct worker_audit_anchor {
	char	 seg[WORKER_SEG_MAX];
	uint64_t records;
	uint8_t	 mac[32];
};

_Static_assert(sizeof(struct worker_audit) == 32 + 2 * 24 + 32 + 8,
    "worker_audit has no padding");
_Static_assert(sizeof(struct worker_audit_anchor) == 24 + 8 + 32,
    "worker_audit_anchor has no padding");
_Static_assert(sizeof(struct worker_config) == 16 * 4 + 32 + 256 + 6 * 4,
    "worker_config has no padding");
_Static_assert(sizeof(struct worker_fork) == 16, "worker_fork size");
_Static_assert(sizeof(struct worker_forked) == 16, "worker_forked size");
_Static_assert(sizeof(struct worker_session) == 8 + 4 + 4 + 4 * 2 + 32 +
    3 * 64 + 4 + 4 + 2 * 2 + 4 + 2 * 64 + WORKER_PROXY_ALPN_MAX +
    WORKER_PROXY_NAME_MAX + WORKER_PROXY_TLSVER_MAX + WORKER_PROXY_CIPHER_MAX +
    WORKER_NAME_MAX + WORKER_CAPA_MAX, "worker_session has no padding");
_Static_assert(sizeof(struct worker_upstream) == 16, "worker_upstream size");
_Static_assert(sizeof(struct worker_connect) == 8 + WORKER_NAME_MAX,
    "worker_connect size");
_Static_assert(sizeof(struct worker_connected) == 8 + 4 + 2 + 2 +
    WORKER_NAME_MAX + WORKER_ADDR_MAX, "worker_connected has no padding");
_Static_assert(sizeof(struct worker_session_end) == 5 * 8 + 8,
    "worker_session_end size");
_Static_assert(sizeof(struct worker_kick) == 8 + WORKER_TEXT_MAX,
    "worker_kick has no padding");
_Static_assert(sizeof(struct worker_progress) == 6 * 8,
    "worker_progress has no padding");
_Static_assert(sizeof(struct worker_session_info) == 8 + WORKER_USER_MAX +
    WORKER_TLSNAME_MAX, "worker_session_info has no padding");
_Static_assert(sizeof(struct worker_session_stats) == 2 * 8 +
    4 * (WORKER_STATS_TABLES * WORKER_STATS_ACTIONS + 2 +
    WORKER_RTT_BUCKETS + 4 + 3), "worker_session_stats has no padding");

#endif
