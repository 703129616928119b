/*
 * `policyctl test': which verdict, from which rule of which generation,
 * a command or response would get in a session described on the command
 * line.  It runs the very matcher policyd runs, on the blob the store
 * holds (or on a rule file compiled on the spot with -f).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dryrun.h"
#include "policyctl_compile.h"
#include "proto_policy.h"
#include "rules.h"
#include "store.h"

#define EX_DONE		0
#define EX_INPUT	1
#define EX_STORE	2
/*
 * Arguments past POLICY_ARGS_MAX are left out, as the worker leaves
 * them out of its queries: no rule can name them.
 */
#define ARGS_MAX	POLICY_ARGS_MAX

static const struct {
	const char		*name;
	enum rules_state	 st;
} states[] = {
	{ "not-authenticated",	RULES_ST_NOT_AUTHENTICATED },
	{ "authenticated",	RULES_ST_AUTHENTICATED },
	{ "selected",		RULES_ST_SELECTED },
	{ "logout",		RULES_ST_LOGOUT },
	{ "authorization",	RULES_ST_AUTHORIZATION },
	{ "transaction",	RULES_ST_TRANSACTION },
};

/* The client's ID fields given with -i, in their order. */
static struct rules_idfield	 idf[RULES_ID_MAX];
static char			 idkey[RULES_ID_MAX][RULES_ID_KEY_MAX + 1];

static int	 session_opt(struct rules_query *, int, const char *);
static int	 id_opt(struct rules_query *, const char *);
static int	 query_words(struct rules_query *, int, char **,
		    struct rules_arg *);
static void	 verdict(FILE *, const char *, const struct rules_query *,
		    const struct rules_verdict *);
static int	 bad(const char *, const char *);
static int	 route_entry(struct store *, uint64_t, const char *,
		    const char *);

static int
bad(const char *what, const char *s)
{
	fprintf(stderr, "policyctl: test: %s: %s\n", s, what);
	return -1;
}

/* -i NAME=VALUE: one more field of the client's ID (RFC 2971). */
static int
id_opt(struct rules_query *q, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	size_t		 k;

	if (eq == NULL || (k = (size_t)(eq - arg)) == 0 ||
	    k > RULES_ID_KEY_MAX)
		return bad("not NAME=VALUE with a name of 1 to 30 bytes", arg);
	if (strlen(eq + 1) > RULES_ID_VALUE_MAX)
		return bad("a value longer than 1024 bytes", arg);
	if (q->nid == RULES_ID_MAX)
		return bad("more than 30 ID fields", arg);
	memcpy(idkey[q->nid], arg, k);
	idkey[q->nid][k] = '\0';
	idf[q->nid].key = idkey[q->nid];
	idf[q->nid].value = eq + 1;
	q->id = idf;
	q->nid++;
	return 0;
}

static int
session_opt(struct rules_query *q, int ch, const char *arg)
{
	char		*end;
	unsigned long	 v;
	size_t		 i;

	switch (ch) {
	case 'p':
		if (strcasecmp(arg, "imap") == 0)
			q->proto = RULES_IMAP;
		else if (strcasecmp(arg, "pop3") == 0)
			q->proto = RULES_POP3;
		else
			return bad("not imap or pop3", arg);
		return 0;
	case 'T':
		q->tls = 1;
		return 0;
	case 'u':
		q->user = arg;
		return 0;
	case 'l':
		q->listener = arg;
		return 0;
	case 'm':
		q->mailbox = arg;
		return 0;
	case 'i':
		return id_opt(q, arg);
	case 'j':
		if (strlen(arg) > RULES_JA4_LEN)
			return bad("longer than a JA4 fingerprint", arg);
		q->ja4 = arg;
		return 0;
	case 'P':
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (*end != '\0' || errno != 0 || v == 0 || v > 65535)
			return bad("not a port", arg);
		q->port = (unsigned)v;
		return 0;
	case 'a':
		if (inet_pton(AF_INET, arg, q->addr) == 1)
			q->family = AF_INET;
		else if (inet_pton(AF_INET6, arg, q->addr) == 1)
			q->family = AF_INET6;
		else
			return bad("not an IPv4 or IPv6 address", arg);
		return 0;
	case 'S':
		for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
			if (strcasecmp(arg, states[i].name) == 0) {
				q->state = states[i].st;
				return 0;
			}
		return bad("not a state", arg);
	}
	return -1;
}

/*
 * request CMD [ARG...]		an argument {N} is a literal of N octets
 * response CMD tagged|untagged|all NAME
 * capability NAME | connect | list MAILBOX
 */
static int
query_words(struct rules_query *q, int argc, char **argv,
    struct rules_arg *args)
{
	char		*end;
	size_t		 len;
	int		 i;

	if (argc < 1)
		return bad("missing", "what to test");
	if (strcmp(argv[0], "request") == 0 && argc >= 2) {
		if (argc - 2 > ARGS_MAX)
			argc = 2 + ARGS_MAX;
		q->table = RULES_REQUEST;
		q->key = argv[1];
		/* "a1 SELECT INBOX" as one word would quietly match "*". */
		if (strpbrk(q->key, " \t") != NULL)
			return bad("give the command name and its "
			    "arguments as separate words, without the tag: "
			    "request SELECT INBOX", q->key);
		for (i = 2; i < argc; i++) {
			len = strlen(argv[i]);
			args[i - 2].s = argv[i];
			args[i - 2].len = len;
			if (len > 2 && argv[i][0] == '{' &&
			    argv[i][len - 1] == '}') {
				errno = 0;
				args[i - 2].len = strtoul(argv[i] + 1, &end,
				    10);
				if (end != argv[i] + len - 1 || errno != 0)
					return bad("not a literal", argv[i]);
				args[i - 2].s = NULL;
			}
		}
		q->args = args;
		q->nargs = (size_t)(argc - 2);
	} else if (strcmp(argv[0], "response") == 0 && argc == 4) {
		q->table = RULES_RESPONSE;
		q->key = argv[1];
		if (strcmp(argv[2], "tagged") == 0)
			q->kind = RULES_TAGGED;
		else if (strcmp(argv[2], "untagged") == 0)
			q->kind = RULES_UNTAGGED;
		else if (strcmp(argv[2], "all") == 0)
			q->kind = RULES_ALL;
		else
			return bad("not tagged, untagged or all", argv[2]);
		q->name = argv[3];
	} else if (strcmp(argv[0], "capability") == 0 && argc == 2) {
		q->table = RULES_CAPABILITY;
		q->key = argv[1];
	} else if (strcmp(argv[0], "connect") == 0 && argc == 1) {
		q->table = RULES_CONNECT;
	} else if (strcmp(argv[0], "list") == 0 && argc == 2) {
		q->table = RULES_LIST;
		q->mailbox = argv[1];
	} else if (strcmp(argv[0], "route") == 0 && argc == 1) {
		q->table = RULES_ROUTE;
		q->state = q->proto == RULES_POP3 ? RULES_ST_AUTHORIZATION :
		    RULES_ST_NOT_AUTHENTICATED;
	} else
		return bad("expected request, response, capability, "
		    "connect, list or route with their words", argv[0]);
	return 0;
}

static void
verdict(FILE *out, const char *from, const struct rules_query *q,
    const struct rules_verdict *v)
{
	char	 buf[2048];
	size_t	 i;

	static const char *const modes[] = { "?", "none", "starttls",
	    "starttls-required", "implicit" };

	fprintf(out, "%s: %s", from, rules_action_name(v->action));
	if (v->action == RULES_TLS)
		fprintf(out, " %s", (unsigned)v->tls < 5 ? modes[v->tls] :
		    "?");
	if (v->text != NULL)
		fprintf(out, " \"%s\"", v->text);
	if (v->line > 0)
		fprintf(out, " by %s:%u:%u", v->file, v->line, v->col);
	else if (q->table == RULES_CONNECT && v->action == RULES_ACCEPT)
		fputs(" (no connect rule: the listener's mode)", out);
	else if (q->table == RULES_ROUTE)
		fputs(" by default (no route: the listener's upstream)", out);
	else
		fputs(" by default (no rule holds)", out);
	fputs(v->cacheable ? ", cacheable\n" : ", depends on arguments\n",
	    out);
	for (i = 0; i < v->nuntagged; i++)
		fprintf(out, "untagged \"%s\"\n", rules_untagged(v, i));
	if (v->action == RULES_APOP)
		fputs("postern answers USER and PASS; the server sees "
		    "\"APOP user digest\"\n", out);
	if (v->action == RULES_REWRITE && v->text != NULL &&
	    rules_expand(v->text, q->args, q->nargs, buf, sizeof(buf)) >= 0)
		fprintf(out, "rewritten \"%s\"\n", buf);
}

/*
 * The route table's entry for user in gen: printed, EX_DONE; -1: none,
 * the rules decide; EX_STORE.
 */
static int
route_entry(struct store *st, uint64_t gen, const char *from,
    const char *user)
{
	char	 up[STORE_ROUTE_UP_MAX + 1];
	int	 rc;

	if ((rc = store_route_get(st, gen, user, up, sizeof(up))) ==
	    STORE_NOGEN)
		return -1;
	if (rc != STORE_OK) {
		fprintf(stderr, "policyctl: %s\n", store_error(st));
		return EX_STORE;
	}
	printf("%s: %s \"%s\" by the route table (%s's entry), "
	    "cacheable\n", from, rules_action_name(RULES_ROUTE_TO), up, user);
	return EX_DONE;
}

int
dryrun_main(int argc, char **argv, const char *storedir)
{
	struct rules_query	 q;
	struct rules_verdict	 v;
	struct rules_arg	 args[ARGS_MAX];
	struct store_opts	 o = { 0, 0 };
	struct store		*st = NULL;
	struct compiled		 c = { NULL, 0 };
	const void		*blob;
	const char		*file = NULL;
	char			 from[PATH_MAX + 8], err[512], *src, *end;
	size_t			 len;
	uint64_t		 gen = 0, want = 0;
	int			 ch, rc = EX_INPUT;

	memset(&q, 0, sizeof(q));
	q.proto = RULES_IMAP;
	optind = 0;
	while ((ch = getopt(argc, argv, "+a:f:g:i:j:l:m:P:p:S:s:Tu:")) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'g':
			errno = 0;
			want = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' ||
			    *end != '\0' || errno != 0 || want == 0) {
				(void)bad("not a generation number", optarg);
				return EX_INPUT;
			}
			break;
		case '?':
			return EX_INPUT;
		default:
			if (session_opt(&q, ch, optarg) == -1)
				return EX_INPUT;
		}
	}
	if (query_words(&q, argc - optind, argv + optind, args) == -1)
		return EX_INPUT;

	if (file != NULL) {
		if (policyctl_readfile(file, &src, &len) == -1)
			return EX_INPUT;
		rc = policyctl_compile(src, len, file, &c);
		free(src);
		if (rc == -1)
			return EX_INPUT;
		blob = c.data;
		(void)snprintf(from, sizeof(from), "file %s", file);
	} else {
		if (store_open(&st, storedir, STORE_RDONLY, &o, err,
		    sizeof(err)) != STORE_OK) {
			fprintf(stderr, "policyctl: %s\n", err);
			return EX_STORE;
		}
		if (want == 0 && (rc = store_current(st, &want)) != STORE_OK)
			goto storefail;
		if ((rc = store_blob(st, want, &c.data, &c.size)) != STORE_OK)
			goto storefail;
		if (rules_blob_check(c.data, c.size) == -1) {
			fprintf(stderr, "policyctl: generation %" PRIu64
			    ": compiled rules damaged\n", want);
			rc = EX_STORE;
			goto out;
		}
		blob = c.data;
		gen = want;
		(void)snprintf(from, sizeof(from), "generation %" PRIu64, gen);
		/* As policyd: the user's table entry before the rules. */
		if (q.table == RULES_ROUTE && q.user != NULL &&
		    (rc = route_entry(st, gen, from, q.user)) != -1)
			goto out;
	}
	if (rules_match(blob, &q, &v) == -1) {
		fprintf(stderr, "policyctl: test: the matcher refused the "
		    "query\n");
		rc = EX_INPUT;
		goto out;
	}
	verdict(stdout, from, &q, &v);
	rc = EX_DONE;
	goto out;
 storefail:
	fprintf(stderr, "policyctl: %s\n", store_error(st));
	rc = rc == STORE_NOGEN ? EX_INPUT : EX_STORE;
 out:
	policyctl_compiled_free(&c);
	store_close(st);
	return rc;
}
