/*
 * policyctl: check rule files; load, show, compare and roll back the
 * generations of the policy store; dry-run the matcher (dryrun.c).
 * Exit 0: done; 1: invalid input (a rule file that does not compile, a
 * generation that does not exist, a bad command line); 2: the store
 * failed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle_cmd.h"
#include "dryrun.h"
#include "linediff.h"
#include "policyctl_audit.h"
#include "policyctl_compile.h"
#include "policyctl_conf.h"
#include "route_table.h"
#include "rules.h"
#include "store.h"

#define EX_DONE		0
#define EX_INPUT	1
#define EX_STORE	2

struct cmd {
	const char	*name;
	int		 (*fn)(int, char **);
	int		 minargs, maxargs;
	const char	*usage;
};

static int	 cmd_check(int, char **);
static int	 cmd_load(int, char **);
static int	 cmd_show(int, char **);
static int	 cmd_history(int, char **);
static int	 cmd_diff(int, char **);
static int	 cmd_rollback(int, char **);
static int	 cmd_import(int, char **);
static int	 cmd_route(int, char **);
static void	 routes_count(FILE *, const struct store_gen *);

static const struct cmd cmds[] = {
	{ "check",	cmd_check,	1, 1, "check FILE" },
	{ "load",	cmd_load,	1, 1, "load [-k KEEP] FILE" },
	{ "show",	cmd_show,	0, 1, "show [GEN]" },
	{ "history",	cmd_history,	0, 0, "history" },
	{ "diff",	cmd_diff,	0, 2, "diff [A [B]]" },
	{ "rollback",	cmd_rollback,	0, 1, "rollback [-k KEEP] [GEN]" },
	{ "import",	cmd_import,	1, 1, "import [-k KEEP] BUNDLE" },
	{ "route",	cmd_route,	1, 2,
	    "route load FILE | route show [USER]" },
};

/* -s; else postern.conf's "policy store" (-c, or /etc/postern/postern.conf). */
static const char	*storedir;
static const char	*conffile;
static char		 confstore[4096];
static unsigned		 keep;

static void	 usage(void) __attribute__((noreturn));
static void	 warnx_(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	 parsegen(const char *, uint64_t *);
static int	 finish(int);
static int	 openstore(struct store **, int);
static int	 storefail(struct store *, int);
static void	 hexsha(const uint8_t *, char *);
static void	 when(int64_t, char *, size_t);
static void	 describe(FILE *, struct store *, const struct store_gen *,
		    const char *);

static void
usage(void)
{
	size_t	 i;

	fprintf(stderr, "usage: policyctl [-c conf | -s dir] command [args]\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "       policyctl [-s dir] %s\n",
		    cmds[i].usage);
	fprintf(stderr, "       policyctl [-s dir] test [-f file | -g gen] "
	    "[session options] what [words]\n");
	fprintf(stderr, "       policyctl keygen -k secretfile -p publicfile\n"
	    "       policyctl [-s dir] export -k secretfile [-o origin] "
	    "[gen]\n");
	fprintf(stderr, "       policyctl audit verify [-k keydir] log ...\n"
	    "       policyctl audit show [-a action] [-e event] [-i session] "
	    "[-u user] log ...\n");
	exit(EX_INPUT);
}

static void
warnx_(const char *fmt, ...)
{
	va_list	 ap;

	fputs("policyctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
parsegen(const char *s, uint64_t *gen)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9' ||
	    (v = strtoull(s, &end, 10)) == 0 || *end != '\0' ||
	    errno != 0) {
		warnx_("%s: not a generation number", s);
		return -1;
	}
	*gen = v;
	return 0;
}

static int
openstore(struct store **st, int flags)
{
	struct store_opts	 o = { 0, keep };
	char			 err[512];

	if (store_open(st, storedir, flags, &o, err, sizeof(err)) != 0) {
		warnx_("%s", err);
		return -1;
	}
	return 0;
}

/* A missing generation is the caller's mistake; anything else the store's. */
static int
storefail(struct store *st, int rc)
{
	warnx_("%s", store_error(st));
	store_close(st);
	return rc == STORE_NOGEN ? EX_INPUT : EX_STORE;
}

static void
hexsha(const uint8_t *sha, char *hex)
{
	int	 i;

	for (i = 0; i < 32; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", sha[i]);
}

static void
when(int64_t t, char *buf, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "%" PRId64, t);
}

/* An imported generation names its origin (store_origin()). */
static void
describe(FILE *out, struct store *st, const struct store_gen *g,
    const char *prefix)
{
	struct store_origin	 o;
	char			 hex[65], ts[64];

	when(g->time, ts, sizeof(ts));
	fprintf(out, "%sgeneration %" PRIu64 " %s %s (uid %u) ", prefix,
	    g->gen, ts, g->user, (unsigned)g->uid);
	if (g->kind == STORE_KIND_ROLLBACK)
		fprintf(out, "rollback to %" PRIu64, g->from);
	else if (g->kind == STORE_KIND_IMPORT &&
	    store_origin(st, g->gen, &o) == STORE_OK) {
		hexsha(o.sha256, hex);
		when(o.created, ts, sizeof(ts));
		fprintf(out, "import of %s generation %" PRIu64 " %s key %s "
		    "sha256 %s", o.host, o.gen, ts, o.keyid, hex);
		/* The same as the origin's, or import would have refused. */
		if (memcmp(o.sha256, g->sha256, sizeof(o.sha256)) == 0) {
			routes_count(out, g);
			return;
		}
	} else if (g->kind == STORE_KIND_IMPORT)
		fputs("import", out);
	else if (g->kind == STORE_KIND_ROUTES)
		fprintf(out, "routes on %" PRIu64, g->from);
	else
		fputs("load", out);
	hexsha(g->sha256, hex);
	fprintf(out, " sha256 %s", hex);
	routes_count(out, g);
}

/* A generation's route table, if it has one, and the end of its line. */
static void
routes_count(FILE *out, const struct store_gen *g)
{
	if (g->table != 0)
		fprintf(out, " routes %" PRIu64, g->nroutes);
	fputc('\n', out);
}

/* The upstreams routes may name, from -c's file or the default one. */
static int
targets(struct route_targets *t)
{
	return policyctl_conf_targets(conffile != NULL ? conffile :
	    POLICYCTL_CONF, conffile != NULL, t);
}

struct route_warn {
	const struct route_targets	*t;
	const char			*file;
};

static void
warn_route(void *arg, enum rules_proto proto, const char *up, unsigned line)
{
	const struct route_warn	*w = arg;

	if (!route_target_ok(w->t, up))
		fprintf(stderr, "policyctl: warning: %s:%u: %s route to "
		    "upstream %s, which %s does not route to (no 'upstream "
		    "%s routed' line): posternd takes the listener's upstream "
		    "instead\n", w->file, line, proto == RULES_POP3 ? "pop3" :
		    "imap", up, w->t->conf, up);
}

/*
 * Route rules naming an upstream postern.conf does not route to are
 * warned of, not refused: the rules may be loaded before postern.conf
 * gains the upstream.  -1: postern.conf named and bad.
 */
static int
check_routes(const struct compiled *c, const char *file)
{
	struct route_targets	 t;
	struct route_warn	 w = { &t, file };
	int			 rc;

	if ((rc = targets(&t)) == -1)
		return -1;
	if (rc == 1)
		rules_each_route(c->data, warn_route, &w);
	policyctl_conf_targets_free(&t);
	return 0;
}

static int
cmd_check(int argc, char **argv)
{
	struct compiled	 c;
	char		*src;
	size_t		 len;

	(void)argc;
	if (policyctl_readfile(argv[0], &src, &len) == -1)
		return EX_INPUT;
	if (policyctl_compile(src, len, argv[0], &c) == -1 ||
	    check_routes(&c, argv[0]) == -1) {
		policyctl_compiled_free(&c);
		free(src);
		return EX_INPUT;
	}
	policyctl_compiled_free(&c);
	free(src);
	printf("%s: ok\n", argv[0]);
	return EX_DONE;
}

static int
cmd_load(int argc, char **argv)
{
	struct compiled	 c;
	struct store	*st;
	struct store_gen g;
	uint64_t	 gen;
	char		*src;
	size_t		 len;
	int		 rc;

	(void)argc;
	if (policyctl_readfile(argv[0], &src, &len) == -1)
		return EX_INPUT;
	if (policyctl_compile(src, len, argv[0], &c) == -1 ||
	    check_routes(&c, argv[0]) == -1) {
		policyctl_compiled_free(&c);
		free(src);
		return EX_INPUT;
	}
	if (openstore(&st, 0) == -1) {
		policyctl_compiled_free(&c);
		free(src);
		return EX_STORE;
	}
	rc = store_load(st, src, len, c.data, c.size, &gen);
	policyctl_compiled_free(&c);
	free(src);
	if (rc != STORE_OK || (rc = store_info(st, gen, &g, NULL)) != 0)
		return storefail(st, rc);
	describe(stdout, st, &g, "");
	store_close(st);
	return EX_DONE;
}

/* No GEN: the current one. */
static int
pickgen(struct store *st, int argc, char **argv, uint64_t *gen)
{
	int	 rc;

	if (argc > 0)
		return parsegen(argv[0], gen) == -1 ? EX_INPUT : EX_DONE;
	if ((rc = store_current(st, gen)) != STORE_OK)
		return storefail(st, rc);
	return EX_DONE;
}

static int
cmd_show(int argc, char **argv)
{
	struct store	*st;
	struct store_gen g;
	uint64_t	 gen;
	char		*src;
	int		 rc;

	if (openstore(&st, STORE_RDONLY) == -1)
		return EX_STORE;
	if ((rc = pickgen(st, argc, argv, &gen)) != EX_DONE) {
		if (rc == EX_INPUT)
			store_close(st);
		return rc;
	}
	if ((rc = store_info(st, gen, &g, &src)) != STORE_OK)
		return storefail(st, rc);
	describe(stdout, st, &g, "# ");
	fwrite(src, 1, g.srclen, stdout);
	free(src);
	store_close(st);
	return EX_DONE;
}

static int
cmd_history(int argc, char **argv)
{
	struct store	 *st;
	struct store_gen *h;
	uint64_t	  cur = 0;
	size_t		  n, i;
	int		  rc;

	(void)argc;
	(void)argv;
	if (openstore(&st, STORE_RDONLY) == -1)
		return EX_STORE;
	if ((rc = store_current(st, &cur)) == STORE_ERR ||
	    (rc = store_history(st, &h, &n)) != STORE_OK)
		return storefail(st, rc);
	for (i = 0; i < n; i++)
		describe(stdout, st, &h[i], h[i].gen == cur ? "* " : "  ");
	free(h);
	store_close(st);
	return EX_DONE;
}

/* No A: the generation before the current; no B: the current. */
static int
cmd_diff(int argc, char **argv)
{
	struct store	*st;
	struct store_gen ga, gb;
	uint64_t	 a, b;
	char		*sa = NULL, *sb = NULL, la[96], lb[96], ts[64];
	int		 rc;

	if (openstore(&st, STORE_RDONLY) == -1)
		return EX_STORE;
	if (argc > 0 && parsegen(argv[0], &a) == -1)
		goto bad;
	if (argc > 1 && parsegen(argv[1], &b) == -1)
		goto bad;
	if (argc < 2 && (rc = store_current(st, &b)) != STORE_OK)
		return storefail(st, rc);
	if (argc < 1 && (rc = store_previous(st, b, &a)) != STORE_OK)
		return storefail(st, rc);
	if ((rc = store_info(st, a, &ga, &sa)) != STORE_OK)
		return storefail(st, rc);
	if ((rc = store_info(st, b, &gb, &sb)) != STORE_OK) {
		free(sa);
		return storefail(st, rc);
	}
	when(ga.time, ts, sizeof(ts));
	(void)snprintf(la, sizeof(la), "generation %" PRIu64 "\t%s", a, ts);
	when(gb.time, ts, sizeof(ts));
	(void)snprintf(lb, sizeof(lb), "generation %" PRIu64 "\t%s", b, ts);
	rc = linediff(stdout, sa, ga.srclen, sb, gb.srclen, la, lb);
	if (rc == 0)
		printf("generations %" PRIu64 " and %" PRIu64
		    " have the same source\n", a, b);
	free(sa);
	free(sb);
	store_close(st);
	if (rc == -1) {
		warnx_("diff: out of memory");
		return EX_STORE;
	}
	return EX_DONE;
 bad:
	store_close(st);
	return EX_INPUT;
}

/* No GEN: the generation before the current one. */
static int
cmd_rollback(int argc, char **argv)
{
	struct store	*st;
	struct store_gen g;
	uint64_t	 to = 0, gen;
	int		 rc;

	if (argc > 0 && parsegen(argv[0], &to) == -1)
		return EX_INPUT;
	if (openstore(&st, 0) == -1)
		return EX_STORE;
	if ((rc = store_rollback(st, to, &gen)) != STORE_OK ||
	    (rc = store_info(st, gen, &g, NULL)) != STORE_OK)
		return storefail(st, rc);
	describe(stdout, st, &g, "");
	store_close(st);
	return EX_DONE;
}

/* The bundle's key must be one postern.conf trusts: -c, or the default. */
static int
cmd_import(int argc, char **argv)
{
	(void)argc;
	return bundle_import(argv[0], conffile != NULL ? conffile :
	    POLICYCTL_CONF, storedir, keep);
}

static int
route_load(const char *file)
{
	struct route_targets	 t;
	struct store_route	*r;
	struct store		*st;
	struct store_gen	 g;
	uint64_t		 gen;
	size_t			 len, n;
	char			*src;
	int			 rc;

	if (policyctl_readfile(file, &src, &len) == -1)
		return EX_INPUT;
	if ((rc = targets(&t)) == -1) {
		free(src);
		return EX_INPUT;
	}
	if (rc == 0)
		fprintf(stderr, "policyctl: warning: no %s: the upstreams are "
		    "not checked\n", POLICYCTL_CONF);
	rc = route_table_parse(src, len, file, &t, &r, &n);
	policyctl_conf_targets_free(&t);
	if (rc == -1) {
		free(src);
		return EX_INPUT;
	}
	if (openstore(&st, 0) == -1) {
		free(r);
		free(src);
		return EX_STORE;
	}
	rc = store_route_load(st, r, n, &gen);
	free(r);
	free(src);
	if (rc != STORE_OK || (rc = store_info(st, gen, &g, NULL)) != 0)
		return storefail(st, rc);
	describe(stdout, st, &g, "");
	store_close(st);
	return EX_DONE;
}

static int
show_route(void *arg, const char *user, const char *up)
{
	(void)arg;
	printf("%s %s\n", user, up);
	return 0;
}

static int
route_show(const char *user)
{
	struct store	*st;
	struct store_gen g;
	uint64_t	 gen;
	char		 up[STORE_ROUTE_UP_MAX + 1];
	int		 rc;

	if (openstore(&st, STORE_RDONLY) == -1)
		return EX_STORE;
	if ((rc = store_current(st, &gen)) != STORE_OK ||
	    (rc = store_info(st, gen, &g, NULL)) != STORE_OK)
		return storefail(st, rc);
	if (user == NULL) {
		describe(stdout, st, &g, "# ");
		rc = store_route_each(st, gen, show_route, NULL);
		if (rc != STORE_OK)
			return storefail(st, rc);
		store_close(st);
		return EX_DONE;
	}
	rc = store_route_get(st, gen, user, up, sizeof(up));
	if (rc == STORE_ERR)
		return storefail(st, rc);
	store_close(st);
	if (rc == STORE_NOGEN) {
		fprintf(stderr, "policyctl: %s: not in the route table of "
		    "generation %" PRIu64 "\n", user, gen);
		return EX_INPUT;
	}
	printf("%s %s\n", user, up);
	return EX_DONE;
}

/* route load FILE, route show [USER] */
static int
cmd_route(int argc, char **argv)
{
	if (strcmp(argv[0], "load") == 0 && argc == 2)
		return route_load(argv[1]);
	if (strcmp(argv[0], "show") == 0)
		return route_show(argc == 2 ? argv[1] : NULL);
	fprintf(stderr, "usage: policyctl [-s dir] route load FILE"
	    " | route show [USER]\n");
	return EX_INPUT;
}

static void
options(int *argc, char ***argv, int sub)
{
	const char	*errstr = NULL;
	long long	 v;
	char		*end;
	int		 ch;

	optind = 0;
	while ((ch = getopt(*argc, *argv, sub ? "+c:k:s:" : "+c:s:")) != -1) {
		switch (ch) {
		case 's':
			storedir = optarg;
			break;
		case 'c':
			conffile = optarg;
			break;
		case 'k':
			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (*end != '\0' || errno != 0 || v < 1 ||
			    v > 1000000)
				errstr = "must be 1 to 1000000";
			if (errstr != NULL) {
				warnx_("-k %s: %s", optarg, errstr);
				exit(EX_INPUT);
			}
			keep = (unsigned)v;
			break;
		default:
			usage();
		}
	}
	*argc -= optind;
	*argv += optind;
}

/* -s wins; then the configuration file; then the compiled-in default. */
static void
resolve_store(void)
{
	int	 rc;

	if (storedir != NULL)
		return;
	rc = policyctl_conf_store(conffile != NULL ? conffile : POLICYCTL_CONF,
	    conffile != NULL, confstore, sizeof(confstore));
	if (rc == -1)
		exit(EX_INPUT);
	storedir = rc == 1 ? confstore : STORE_DEFAULT_DIR;
}

int
main(int argc, char *argv[])
{
	const struct cmd	*c = NULL;
	size_t			 i;
	int			 rc;

	options(&argc, &argv, 0);
	if (argc < 1)
		usage();
	/* The logs carry their own keys' place: no store needed. */
	if (strcmp(argv[0], "audit") == 0)
		return policyctl_audit(argc, argv);
	/* Their -k is a key file, not load's KEEP. */
	if (strcmp(argv[0], "keygen") == 0)
		return bundle_keygen(argc, argv);
	if (strcmp(argv[0], "export") == 0) {
		resolve_store();
		rc = bundle_export(argc, argv, storedir);
		return finish(rc);
	}
	if (strcmp(argv[0], "test") == 0) {
		resolve_store();
		return dryrun_main(argc, argv, storedir);
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL) {
		warnx_("%s: unknown command", argv[0]);
		usage();
	}
	options(&argc, &argv, 1);
	resolve_store();
	if (argc < c->minargs || argc > c->maxargs) {
		fprintf(stderr, "usage: policyctl [-s dir] %s\n", c->usage);
		return EX_INPUT;
	}
	return finish(c->fn(argc, argv));
}

/* Output that did not get out is a failure, whatever the command did. */
static int
finish(int rc)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warnx_("stdout: %s", strerror(errno));
		return rc == EX_DONE ? EX_STORE : rc;
	}
	return rc;
}
