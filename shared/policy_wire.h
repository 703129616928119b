/*
 * The words both ends of the policy channel use (proto_policy.h): which
 * protocol, table and response kind a query is about, what a verdict
 * does, the TLS modes and session states rules test, and one argument
 * of a command.  A worker speaks them without the rule compiler or the
 * matcher (rules/), which read the same words from the other side.
 * The numbers travel on the wire; never renumber one.
 */
#ifndef POSTERN_POLICY_WIRE_H
#define POSTERN_POLICY_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum rules_proto {
	RULES_IMAP = 1,
	RULES_POP3 = 2,
};

enum rules_table {
	RULES_CONNECT = 1,
	RULES_REQUEST = 2,
	RULES_RESPONSE = 3,
	RULES_CAPABILITY = 4,
	RULES_LIST = 5,		/* imap only */
	RULES_ROUTE = 6,	/* login proxy: the upstream of a user */
};
#define RULES_TABLE_MAX		RULES_ROUTE

/* Response kinds; a rule's "all" matches both. */
enum rules_kind {
	RULES_ALL = 0,
	RULES_TAGGED = 1,
	RULES_UNTAGGED = 2,
};

enum rules_action {
	RULES_ACCEPT = 1,
	RULES_REJECT = 2,	/* text: the reject text, or NULL */
	RULES_DROP = 3,
	RULES_ABORT = 4,
	RULES_REWRITE = 5,	/* text: the template; rules_expand() */
	RULES_RESPOND = 6,	/* text: tagged text; untagged lines follow */
	RULES_ACCEPT_MULTILINE = 7,	/* pop3 requests */
	RULES_HIDE = 8,		/* list */
	RULES_ATTRIBUTES = 9,	/* list; text: the attributes */
	RULES_TLS = 10,		/* connect; tls: the mode */
	RULES_APOP = 11,	/* pop3 requests USER, PASS: login by APOP */
	RULES_ROUTE_TO = 12,	/* route; text: the upstream's name */
};
#define RULES_ACTION_MAX	RULES_ROUTE_TO

/*
 * A route verdict from the store's per-user table (policyctl route
 * load) rather than a rule: action RULES_ROUTE_TO, line 0, and this as
 * its file.  A route query no rule and no entry answers is RULES_ACCEPT
 * with line 0: the listener's own upstream.
 */
#define RULES_ROUTE_TABLE_FILE	"route-table"
/*
 * An upstream's name as a route names it: letters, digits, '-', '_',
 * '.', shorter than this (postern.conf(5)'s names, WORKER_NAME_MAX).
 */
#define RULES_UPSTREAM_MAX	32


enum rules_tls {
	RULES_TLS_NONE = 1,
	RULES_TLS_STARTTLS = 2,
	RULES_TLS_STARTTLS_REQUIRED = 3,
	RULES_TLS_IMPLICIT = 4,
};

enum rules_state {
	RULES_ST_UNKNOWN = 0,
	RULES_ST_NOT_AUTHENTICATED = 1,	/* imap */
	RULES_ST_AUTHENTICATED = 2,	/* imap */
	RULES_ST_SELECTED = 3,		/* imap */
	RULES_ST_LOGOUT = 4,		/* imap */
	RULES_ST_AUTHORIZATION = 5,	/* pop3 */
	RULES_ST_TRANSACTION = 6,	/* pop3 */
};

/*
 * The client's ID (RFC 2971) as the rules see it: the fields it sent
 * with a value, in its order, bounded as RFC 2971 bounds the sender
 * (30 fields, names of 30 octets, values of 1024).  A field sent as NIL
 * is not there.  Names are compared without regard to case.
 */
#define RULES_ID_MAX		30
#define RULES_ID_KEY_MAX	30
#define RULES_ID_VALUE_MAX	1024

struct rules_idfield {
	const char	*key;		/* 1 to RULES_ID_KEY_MAX bytes */
	const char	*value;		/* at most RULES_ID_VALUE_MAX bytes */
};

/* A JA4 fingerprint (FoxIO's JA4, of the client's TLS ClientHello). */
#define RULES_JA4_LEN		36	/* "t13d1516h2_8daaf6152771_e5627efa2ab1" */

/* One argument of a command; a literal is seen as its length only. */
struct rules_arg {
	const char	*s;		/* NULL for a literal */
	size_t		 len;
};

/*
 * A query: which table and key, and the session it is asked for.  A
 * field the query does not have is NULL or 0, and a condition about it
 * is false.
 */
struct rules_query {
	enum rules_proto	 proto;
	enum rules_table	 table;
	const char		*key;	/* command or capability */
	enum rules_kind		 kind;	/* response: (un)tagged */
	const char		*name;	/* response: OK, EXISTS... */
	int			 tls;	/* client side encrypted */
	enum rules_state	 state;
	const char		*user;	/* NULL: not logged in */
	int			 family;	/* AF_INET, AF_INET6 or 0 */
	uint8_t			 addr[16];	/* network order */
	const char		*listener;
	unsigned		 port;	/* the listener's port */
	const char		*mailbox;	/* list: the mailbox */
	const struct rules_arg	*args;	/* args[0] is $1 */
	size_t			 nargs;
	const struct rules_idfield *id;	/* the client's ID fields */
	size_t			 nid;
	const char		*ja4;	/* the client's TLS fingerprint */
};

/*
 * The untagged lines a respond verdict may carry: a worker refuses a
 * verdict with more, and the compiler a rule with more.
 */
#define POLICY_UNTAGGED_MAX	32

/* a rewrite template filled: its length, or -1 (no such argument, a
 * literal, or no room in the buffer) */
int	 rules_expand(const char *, const struct rules_arg *, size_t, char *,
	    size_t);
/* "accept", "reject"...: the word postern.rules(5) and the audit use */
const char	*rules_action_name(enum rules_action);

#endif
