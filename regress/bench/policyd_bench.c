/*
 * A verdict's round trip through postern-policyd: the built program is
 * started as posternd starts it, a rule set of 10, 1,000 and 100,000
 * rules is loaded into a scratch store, and the worker's client asks
 * over its socketpair: encode, send, policyd's read transaction and
 * match, answer, decode, on the channel a worker with the default
 * limits has.  Each query is timed on its own; printed are p50 and p99,
 * and with 10 rules those of queries with a 20 KB and a 60 KB argument.  Needs root (policyd chroots and drops privileges);
 * otherwise it says so and succeeds.  A wrong verdict is an error.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <ftw.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "policy_client.h"
#include "proto.h"
#include "proto_policy.h"
#include "rules.h"
#include "store.h"

#define NQUERY		20000
#define WAIT_MS		10000

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
dcmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* n rules over n/10 keys (at least one), each with a user glob. */
static void
load(const char *dir, int n)
{
	struct rules_blob	 b;
	struct rules_error	 e;
	struct store_opts	 o = { .mapsize = (size_t)256 << 20 };
	struct store		*st;
	size_t			 cap = (size_t)n * 80 + 64, len = 0;
	char			*s, errbuf[256];
	uint64_t		 gen;
	int			 i, keys = n / 10 > 0 ? n / 10 : 1;

	if ((s = malloc(cap)) == NULL)
		err(1, "malloc");
	for (i = 0; i < n - 1; i++)
		len += (size_t)snprintf(s + len, cap - len,
		    "imap request XCMD%d reject \"r%d\" if user \"u%d*\"\n",
		    i % keys, i, i);
	len += (size_t)snprintf(s + len, cap - len, "imap request * accept\n");
	if (rules_compile(s, len, "bench.rules", &b, &e) == -1)
		errx(1, "compile: %s", e.msg);
	if (store_open(&st, dir, 0, &o, errbuf, sizeof(errbuf)) != STORE_OK)
		errx(1, "%s", errbuf);
	if (store_load(st, s, len, b.data, b.size, &gen) != STORE_OK)
		errx(1, "%s", store_error(st));
	store_close(st);
	rules_blob_free(&b);
	free(s);
}

/*
 * The channel a worker with the default limits has (limit line 64k,
 * args 1024, pop3-line 8k), at both ends, as posternd makes it.
 */
static size_t
chan_max(void)
{
	struct worker_config	 wc;

	memset(&wc, 0, sizeof(wc));
	wc.max_line = 64 * 1024;
	wc.max_args = 1024;
	wc.max_pop3_line = 8192;
	return policy_query_max(&wc);
}

static pid_t
start(const char *dir, struct msgchan *master, struct policy_client *pc)
{
	struct policyd_config	 c;
	struct policyd_worker	 w = { .slot = 0,
				    .maxbody = (uint32_t)chan_max() };
	struct passwd		*pw;
	struct msg		 m;
	pid_t			 pid;
	int			 sp[2], wp[2];

	if ((pw = getpwnam("nobody")) == NULL)
		errx(1, "no user nobody");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, wp) == -1)
		err(1, "socketpair");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		if (dup2(sp[1], POLICYD_CHAN_FD) == -1)
			_exit(126);
		execl(POLICYD_PATH, "postern-policyd", (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	msgchan_init(master, sp[0], MSGCHAN_FDS, 0);
	memset(&c, 0, sizeof(c));
	c.uid = pw->pw_uid;
	c.gid = pw->pw_gid;
	c.threads = 1;
	c.nofile = POLICYD_NOFILE_FIXED + 4;
	(void)snprintf(c.store, sizeof(c.store), "%s", dir);
	if (msg_compose(master, MSG_P_CONFIG, 0, -1, &c, sizeof(c)) == -1 ||
	    msg_send(master, WAIT_MS) == -1)
		err(1, "config");
	do {
		if (msg_wait(master, &m, WAIT_MS) != 1)
			errx(1, "policyd did not start");
	/* its log, and the generation it tells the master of */
	} while (m.hdr.type == MSG_LOG || m.hdr.type == MSG_P_GENERATION);
	if (m.hdr.type != MSG_READY)
		errx(1, "policyd sent type %u", m.hdr.type);
	if (msg_compose(master, MSG_P_WORKER, 0, wp[1], &w, sizeof(w)) ==
	    -1 || msg_send(master, WAIT_MS) == -1)
		err(1, "worker channel");
	if (policy_client_init(pc, wp[0], chan_max()) == -1 ||
	    policy_client_start(pc, WAIT_MS) == -1)
		err(1, "hello");
	return pid;
}

/*
 * Queries whose one argument is 20 KB and 60 KB (a long UID set, a long
 * SEARCH): the whole argument travels and "*" answers, after a rule
 * whose user glob does not hold.
 */
static void
run_long(struct policy_client *pc, struct rules_query *q, char *key)
{
	static struct policy_answer	 a;
	static double			 t[NQUERY];
	static char			 text[60 * 1024];
	struct rules_arg		 arg;
	size_t				 sizes[2] = { 20 * 1024, 60 * 1024 };
	double				 t0;
	int				 i, k, n = NQUERY / 4;

	memset(text, '7', sizeof(text));
	arg.s = text;
	q->args = &arg;
	q->nargs = 1;
	(void)snprintf(key, 32, "XCMD0");
	for (k = 0; k < 2; k++) {
		arg.len = sizes[k];
		for (i = -100; i < n; i++) {
			t0 = now();
			if (policy_query(pc, q, WAIT_MS, &a) == -1)
				err(1, "query of %zu bytes", arg.len);
			if (i >= 0)
				t[i] = now() - t0;
			if (a.action != RULES_ACCEPT)
				errx(1, "%zu bytes: %s", arg.len,
				    rules_action_name(a.action));
		}
		qsort(t, (size_t)n, sizeof(t[0]), dcmp);
		printf("policyd round trip, %3zu KB argument: p50 %6.1f us  "
		    "p99 %6.1f us\n", sizes[k] / 1024, t[n / 2] / 1e3,
		    t[n * 99 / 100] / 1e3);
	}
	q->args = NULL;
	q->nargs = 0;
}

static void
run(int nrules)
{
	static struct policy_answer	 a;
	static double			 t[NQUERY];
	struct policy_client		 pc;
	struct rules_query		 q;
	struct msgchan			 master;
	char				 dir[] = "/tmp/policyd_bench.XXXXXX";
	char				 key[32];
	pid_t				 pid;
	double				 t0;
	int				 i, status, keys;

	if (mkdtemp(dir) == NULL)
		err(1, "mkdtemp");
	load(dir, nrules);
	pid = start(dir, &master, &pc);
	keys = nrules / 10 > 0 ? nrules / 10 : 1;
	memset(&q, 0, sizeof(q));
	q.proto = RULES_IMAP;
	q.table = RULES_REQUEST;
	q.state = RULES_ST_AUTHENTICATED;
	q.user = "alice";
	q.listener = "imap";
	q.port = 143;
	q.key = key;
	for (i = -1000; i < NQUERY; i++) {
		/* Half to keys with rules (none holds), half to "*". */
		(void)snprintf(key, sizeof(key), i % 2 ? "XCMD%d" : "NOKEY%d",
		    (i < 0 ? -i : i) % keys);
		t0 = now();
		if (policy_query(&pc, &q, WAIT_MS, &a) == -1)
			err(1, "query");
		if (i >= 0)
			t[i] = now() - t0;
		if (a.action != RULES_ACCEPT || a.gen != 1)
			errx(1, "%s: %s, generation %llu", key,
			    rules_action_name(a.action),
			    (unsigned long long)a.gen);
	}
	qsort(t, NQUERY, sizeof(t[0]), dcmp);
	printf("policyd round trip, %6d rules: p50 %6.1f us  p99 %6.1f us\n",
	    nrules, t[NQUERY / 2] / 1e3, t[NQUERY * 99 / 100] / 1e3);
	if (nrules == 10)
		run_long(&pc, &q, key);
	policy_client_close(&pc);
	close(master.fd);
	msgchan_clear(&master);
	(void)waitpid(pid, &status, 0);
	(void)nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("policyd round trip: skipped (policyd needs root to "
		    "start)\n");
		return 0;
	}
	run(10);
	run(1000);
	run(100000);
	return 0;
}
