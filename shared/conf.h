/*
 * postern.conf: the parsed form, and the parser that builds it, read by
 * posternd and by policyctl (which finds the store in it).  The whole
 * file is read into a fresh struct conf; the caller swaps it in only
 * when parsing succeeded, so a bad file never touches a running
 * configuration.
 */
#ifndef POSTERN_SHARED_CONF_H
#define POSTERN_SHARED_CONF_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>

#include <bsd/sys/queue.h>

#include "cidr.h"
#include "proto_policy.h"
#include "proto_tls.h"
#include "proto_worker.h"
#include "signkey.h"

#define CONF_DEFAULT_FILE	"/etc/postern/postern.conf"
#define CONF_DEFAULT_USER	"_postern"
#define CONF_DEFAULT_CHROOT	"/var/empty/postern"
#define CONF_HOST_MAX		256
/* A Unix socket's path, with its NUL: sun_path's size. */
#define CONF_SOCKET_MAX		108
/* "policy trust" lines: keys whose rule bundles policyctl imports. */
#define CONF_TRUST_MAX		16
/* Workers of one pool at most (issue 19: ten thousand idle sessions). */
#define POOL_MAX		16384
/* Networks of one listener's "proxy-protocol from". */
#define CONF_PROXY_NETS_MAX	16

/* Servers of one upstream (postern.conf(5), "UPSTREAMS"). */
#define CONF_UPSTREAM_SERVERS_MAX 16
#define CONF_WEIGHT_MAX		256

struct pool;
struct upcheck;
struct waitq;

/*
 * The upstream side's TLS and what the server is told of the client,
 * as a listener's "upstream HOST port N" or a server line takes them.
 */
struct upstream_opts {
	uint32_t		 tls;		/* enum worker_tls_upstream */
	uint32_t		 verify;
	char			 ca[WORKER_PATH_MAX];	/* "" system */
	char			 name[CONF_HOST_MAX];	/* "" the host */
	uint32_t		 forward;	/* enum worker_forward */
};

struct upstream_server {
	char			 host[CONF_HOST_MAX];	/* as written */
	char			 addr[WORKER_ADDR_MAX];	/* numeric */
	uint16_t		 port;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	uint32_t		 weight;
	int			 backup;	/* only when no primary is up */
	int			 line;
	struct upstream_opts	 opts;
	struct upcheck		*check;	/* the master's state, else NULL */
};

/*
 * A named upstream ("upstream NAME server ..."), or the anonymous one of
 * a listener's "upstream HOST port N": one server, no check.
 */
struct upstream {
	TAILQ_ENTRY(upstream)	 entry;
	char			 name[WORKER_NAME_MAX];
	int			 anonymous;
	int			 line;		/* its first line */
	uint32_t		 protocol;	/* its listeners', once checked */
	int			 used;
	/* "upstream NAME check": check_line 0 means none, all are up. */
	int			 check_line;
	uint32_t		 every;		/* s between checks */
	uint32_t		 timeout;	/* s for connect and answers */
	uint32_t		 rise;
	uint32_t		 fall;
	int			 capability;	/* ask CAPABILITY (CAPA) too */
	/*
	 * "upstream NAME routed imap|pop3": login proxy listeners of that
	 * protocol may route users here (postern.rules(5), route); 0 none.
	 */
	uint32_t		 routed;
	int			 routed_line;
	uint32_t		 nservers;
	struct upstream_server	 servers[CONF_UPSTREAM_SERVERS_MAX];
};
TAILQ_HEAD(upstreamlist, upstream);

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	char			 name[WORKER_NAME_MAX];
	uint32_t		 protocol;	/* enum worker_protocol */
	int			 line;		/* where it was defined */

	char			 host[WORKER_ADDR_MAX];	/* as written */
	char			 addr[WORKER_ADDR_MAX];	/* numeric */
	uint16_t		 port;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;

	/*
	 * Its upstream: named ("upstream NAME", resolved once the file is
	 * read) or anonymous.  The up_ fields below are its first
	 * server's, and the TLS and forward all its servers share.
	 */
	char			 up_ref[WORKER_NAME_MAX]; /* "" anonymous */
	struct upstream		*upstream;
	char			 up_host[CONF_HOST_MAX]; /* as written */
	char			 up_addr[WORKER_ADDR_MAX]; /* numeric */
	uint16_t		 up_port;
	struct sockaddr_storage	 up_ss;
	socklen_t		 up_sslen;

	/* TLS: the client side, then the upstream side. */
	uint32_t		 tls_mode;	/* enum worker_tls_mode */
	uint32_t		 ncerts;
	struct listener_cert {
		char		 cert[WORKER_PATH_MAX];
		char		 key[WORKER_PATH_MAX];
		uint32_t	 index;		/* the key's at keyd */
	}			 certs[WORKER_TLS_CERTS_MAX];
	uint32_t		 up_tls;	/* enum worker_tls_upstream */
	uint32_t		 up_verify;
	char			 up_ca[WORKER_PATH_MAX];  /* "" system */
	char			 up_name[CONF_HOST_MAX];  /* "" up_host */
	uint32_t		 forward;	/* enum worker_forward */

	/*
	 * login proxy (1): the worker takes the login, and the upstream
	 * is connected only then; login relay (0): at accept.
	 */
	uint32_t		 login_proxy;

	/* Who may put a PROXY header first; none: no header is read. */
	struct cidr		 proxy_from[CONF_PROXY_NETS_MAX];
	uint32_t		 nproxy_from;

	int			 fd;	/* listening socket, -1 until bound */
	struct pool		*pool;	/* its workers, once running */
	struct waitq		*waitq;	/* clients waiting for a worker */
};
TAILQ_HEAD(listenerlist, listener);

/* A public key read, with its file, when the file was parsed. */
struct conf_trust {
	char			 path[WORKER_PATH_MAX];
	int			 line;
	struct signkey_pub	 key;
};

struct conf {
	char			 user[64];
	uid_t			 uid;
	gid_t			 gid;
	char			 chroot[WORKER_PATH_MAX];
	char			 worker[WORKER_PATH_MAX]; /* "" = built-in */
	char			 policy_store[WORKER_PATH_MAX]; /* "" = none */
	char			 audit_dir[WORKER_PATH_MAX]; /* "" = no logs */
	uint32_t		 policy_threads; /* 0: one per core */
	int32_t			 policy_nice;
	uint32_t		 ntrust;	/* "policy trust" keys */
	struct conf_trust	 trust[CONF_TRUST_MAX];
	uint32_t		 audit_max_size; /* bytes, one log file */

	uint32_t		 min_idle;
	uint32_t		 max_workers;
	uint32_t		 sessions;	/* per worker; 0 = no quota */
	/* s an idle worker above min-idle waits before it exits; 0 never */
	uint32_t		 pool_idle_timeout;
	/*
	 * Workers one template process forks before it is exec'd afresh
	 * (a new address layout); 0: every worker is exec'd itself.
	 */
	uint32_t		 template_forks;
	uint32_t		 max_queue;	/* clients waiting, per listener */
	/* Sessions whose server has not greeted yet, per pool; 0 any. */
	uint32_t		 max_connecting;
	uint32_t		 max_per_client; /* sessions per address; 0 any */
	/* login and limit sessions per-user: policyd's guard */
	struct login_conf	 login;
	/*
	 * counters redis: the guard's counters shared through Redis
	 * (policyd/fleet.c); counters_ss is the server, AF_UNIX for a path.
	 */
	int			 counters_redis;
	char			 counters_addr[CONF_SOCKET_MAX]; /* as given */
	struct sockaddr_storage	 counters_ss;
	socklen_t		 counters_sslen;
	char			 counters_password[WORKER_PATH_MAX]; /* file */
	int			 counters_line;

	uint32_t		 max_line;
	uint32_t		 max_literal;
	uint32_t		 max_depth;	/* parentheses in a command */
	uint32_t		 max_args;	/* tokens of a command */
	uint32_t		 max_inflight;	/* pipelined commands */
	uint32_t		 max_pop3_line;	/* POP3 line, CRLF included */
	uint32_t		 max_username;	/* POP3 USER, APOP name */
	uint32_t		 max_password;	/* POP3 PASS */

	uint32_t		 timeout_login;
	uint32_t		 timeout_idle;
	uint32_t		 timeout_upstream;
	uint32_t		 timeout_start;
	uint32_t		 timeout_drain;
	uint32_t		 timeout_policy;	/* ms, a verdict */
	uint32_t		 timeout_queue;	/* s, waiting for a worker */
	uint32_t		 timeout_proxy;	/* s, for a PROXY header */
	uint32_t		 timeout_counters; /* ms, Redis's answer */

	/* "tls" statements: every listener's, both sides. */
	uint32_t		 tls_min;	/* TLS1_2_VERSION... */
	uint32_t		 tls_max;
	char			 tls_ciphers[WORKER_TLS_STR_MAX];
	char			 tls_ciphersuites[WORKER_TLS_STR_MAX];
	char			 tls_groups[WORKER_TLS_STR_MAX];
	uint32_t		 nkeys;		/* certs of all listeners */

	/* posternctl(8)'s socket: "" none (postern.conf(5)). */
	char			 control_socket[CONF_SOCKET_MAX];
	/* The metrics listener, on a loopback address: port 0 none. */
	char			 metrics_addr[WORKER_ADDR_MAX];	/* numeric */
	uint16_t		 metrics_port;
	struct sockaddr_storage	 metrics_ss;
	socklen_t		 metrics_sslen;

	struct listenerlist	 listeners;
	struct upstreamlist	 upstreams;	/* named, then anonymous */
};

/* Errors are logged as file:line: ...; NULL when there was any. */
struct conf	*conf_parse(const char *);
void		 conf_free(struct conf *);
/* Prints the configuration back in the grammar of postern.conf(5). */
void		 conf_print(FILE *, const struct conf *);
/* postern-policyd's answering threads: policy threads, auto resolved. */
uint32_t	 conf_policy_threads(const struct conf *);
struct upstream	*conf_upstream_find(const struct conf *, const char *);
struct listener	*conf_listener_find(const struct conf *,
		    const struct sockaddr_storage *, socklen_t);

#endif
