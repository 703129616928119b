/*
 * postern-policyd, the built program, driven as posternd drives it: its
 * channel on descriptor 3, the config, then worker channels; queries go
 * through the worker's client (policy_client.h).
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <atf-c.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
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

#define WAIT_MS		10000

static const char rules1[] =
    "imap request LOGIN reject \"no\" unless tls\n"
    "imap request SELECT reject \"private\" if arg 1 ~ \"Private/*\"\n"
    "imap request * accept\n";
static const char rules2[] = "imap request * reject \"closed\"\n";

/* The login guard of the next pd_start (zeroes: never delays, blocks). */
static struct login_conf test_login;
/* postern-policyd's answering threads and nice in the next pd_start(). */
static uint32_t pd_threads = 1;
static int32_t pd_nice;

struct pd {
	char		 dir[64];
	pid_t		 pid;
	struct msgchan	 master;
	char		 logs[8192];
};

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static uint64_t
load(const char *dir, const char *src)
{
	struct rules_blob	 b;
	struct rules_error	 e;
	struct store		*st;
	char			 err[256];
	uint64_t		 gen;

	ATF_REQUIRE_MSG(rules_compile(src, strlen(src), "test.rules", &b,
	    &e) == 0, "%s", e.msg);
	ATF_REQUIRE_MSG(store_open(&st, dir, 0, NULL, err, sizeof(err)) ==
	    STORE_OK, "%s", err);
	ATF_REQUIRE_MSG(store_load(st, src, strlen(src), b.data, b.size,
	    &gen) == STORE_OK, "%s", store_error(st));
	store_close(st);
	rules_blob_free(&b);
	return gen;
}

static void
empty(const char *dir)
{
	struct store	*st;
	char		 err[256];

	ATF_REQUIRE_MSG(store_open(&st, dir, 0, NULL, err, sizeof(err)) ==
	    STORE_OK, "%s", err);
	store_close(st);
}

/* The next message that is not a log line (logs are kept in pd->logs). */
static int
master_wait(struct pd *pd, struct msg *m, int ms)
{
	size_t	 n;
	int	 rc;

	for (;;) {
		if ((rc = msg_wait(&pd->master, m, ms)) != 1)
			return rc;
		/* the generation it tells the master of is not asked for */
		if (m->hdr.type == MSG_P_GENERATION)
			continue;
		if (m->hdr.type != MSG_LOG)
			return 1;
		if (m->len > 4) {
			n = strlen(pd->logs);
			(void)snprintf(pd->logs + n, sizeof(pd->logs) - n,
			    "%.*s\n", (int)(m->len - 4), (const char *)m->body
			    + 4);
		}
	}
}

static void
log_wait(struct pd *pd, const char *what)
{
	struct msg	 m;
	int		 i;

	for (i = 0; i < 50 && strstr(pd->logs, what) == NULL; i++)
		if (master_wait(pd, &m, 200) == 1)
			atf_tc_fail("unexpected type %u", m.hdr.type);
	ATF_REQUIRE_MSG(strstr(pd->logs, what) != NULL,
	    "no \"%s\" in the log: %s", what, pd->logs);
}

/*
 * policyd on a store with src loaded (NULL: empty), told to hold nofile
 * descriptors, started with hard as its RLIMIT_NOFILE (0: ours).
 */
static void
pd_start_nofile(struct pd *pd, const char *src, uint32_t nofile, rlim_t hard)
{
	struct policyd_config	 c;
	struct rlimit		 rl = { hard, hard };
	struct passwd		*pw;
	struct msg		 m;
	int			 sp[2];

	memset(pd, 0, sizeof(*pd));
	(void)snprintf(pd->dir, sizeof(pd->dir), "/tmp/policyd_test.XXXXXX");
	ATF_REQUIRE(mkdtemp(pd->dir) != NULL);
	if (src != NULL)
		ATF_REQUIRE_EQ(load(pd->dir, src), 1);
	else
		empty(pd->dir);
	ATF_REQUIRE((pw = getpwnam("nobody")) != NULL);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ==
	    0);
	ATF_REQUIRE((pd->pid = fork()) != -1);
	if (pd->pid == 0) {
		if (dup2(sp[1], POLICYD_CHAN_FD) == -1)
			_exit(126);
		if (hard != 0 && setrlimit(RLIMIT_NOFILE, &rl) == -1)
			_exit(126);
		execl(POLICYD_PATH, "postern-policyd", (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	msgchan_init(&pd->master, sp[0], MSGCHAN_FDS, 0);
	memset(&c, 0, sizeof(c));
	c.uid = pw->pw_uid;
	c.gid = pw->pw_gid;
	c.nofile = nofile + (pd_threads - 1) * POLICYD_NOFILE_THREAD;
	c.threads = pd_threads;
	c.nice = pd_nice;
	c.verbose = 1;
	c.login = test_login;
	(void)snprintf(c.store, sizeof(c.store), "%s", pd->dir);
	ATF_REQUIRE(msg_compose(&pd->master, MSG_P_CONFIG, 0, -1, &c,
	    sizeof(c)) == 0);
	ATF_REQUIRE(msg_send(&pd->master, WAIT_MS) == 0);
	ATF_REQUIRE_MSG(master_wait(pd, &m, WAIT_MS) == 1,
	    "no ready from policyd: %s", pd->logs);
	ATF_REQUIRE_EQ(m.hdr.type, MSG_READY);
}

static void
pd_start(struct pd *pd, const char *src)
{
	pd_start_nofile(pd, src, POLICYD_NOFILE_FIXED + 8, 0);
}

/* A worker's channel: policyd gets one end, the caller the other. */
static void
pd_worker(struct pd *pd, uint32_t slot, struct policy_client *pc)
{
	struct policyd_worker	 w = { .slot = slot };
	int			 sp[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ==
	    0);
	ATF_REQUIRE(msg_compose(&pd->master, MSG_P_WORKER, 0, sp[1], &w,
	    sizeof(w)) == 0);
	ATF_REQUIRE(msg_send(&pd->master, WAIT_MS) == 0);
	ATF_REQUIRE(policy_client_init(pc, sp[0], 0) == 0);
	ATF_REQUIRE_MSG(policy_client_start(pc, WAIT_MS) == 0,
	    "no hello: %s", strerror(errno));
}

static void
pd_stop(struct pd *pd)
{
	int	 status, i;

	close(pd->master.fd);
	msgchan_clear(&pd->master);
	for (i = 0; i < 100; i++) {
		if (waitpid(pd->pid, &status, WNOHANG) == pd->pid)
			break;
		usleep(20000);
	}
	if (i == 100) {
		(void)kill(pd->pid, SIGKILL);
		(void)waitpid(pd->pid, &status, 0);
		atf_tc_fail("policyd did not exit when its master left");
	}
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "policyd ended with status %#x: %s", status, pd->logs);
	(void)nftw(pd->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
request(struct rules_query *q, const char *cmd, struct rules_arg *args,
    size_t nargs)
{
	memset(q, 0, sizeof(*q));
	q->proto = RULES_IMAP;
	q->table = RULES_REQUEST;
	q->key = cmd;
	q->state = RULES_ST_NOT_AUTHENTICATED;
	q->family = AF_INET;
	q->addr[0] = 192;
	q->addr[3] = 7;
	q->listener = "imap";
	q->port = 143;
	q->args = args;
	q->nargs = nargs;
}

static void
ask(struct policy_client *pc, const struct rules_query *q,
    struct policy_answer *a)
{
	ATF_REQUIRE_MSG(policy_query(pc, q, WAIT_MS, a) == 0,
	    "query %s: %s", q->key, strerror(errno));
}

ATF_TC(verdict);
ATF_TC_HEAD(verdict, tc)
{
	atf_tc_set_md_var(tc, "descr", "a query gets the rule's verdict, "
	    "its place and the generation");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(verdict, tc)
{
	static struct policy_answer	 a;
	struct policy_client		 pc;
	struct rules_query		 q;
	struct rules_arg		 args[2] = { { "Private/x", 9 },
					    { NULL, 1000 } };
	struct pd			 pd;

	pd_start(&pd, rules1);
	pd_worker(&pd, 0, &pc);
	ATF_CHECK_EQ(policy_generation(&pc), 1);
	/* No `limit sessions per-user': the hello spares the workers the
	 * report of each login. */
	ATF_CHECK(!pc.count_sessions);

	request(&q, "LOGIN", NULL, 0);
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.action, RULES_REJECT);
	ATF_CHECK_STREQ(a.text, "no");
	ATF_CHECK_STREQ(a.file, "test.rules");
	ATF_CHECK_EQ(a.line, 1);
	ATF_CHECK_EQ(a.gen, 1);
	ATF_CHECK_EQ(a.cacheable, 1);

	q.tls = 1;
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.action, RULES_ACCEPT);
	ATF_CHECK_EQ(a.line, 3);
	ATF_CHECK(a.text == NULL);

	request(&q, "select", args, 2);
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.action, RULES_REJECT);
	ATF_CHECK_STREQ(a.text, "private");
	ATF_CHECK_EQ(a.line, 2);
	ATF_CHECK_EQ(a.cacheable, 0);

	args[0].s = "INBOX";
	args[0].len = 5;
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.action, RULES_ACCEPT);
	ATF_CHECK_EQ(a.line, 3);

	policy_client_close(&pc);
	pd_stop(&pd);
}

ATF_TC(generation);
ATF_TC_HEAD(generation, tc)
{
	atf_tc_set_md_var(tc, "descr", "after a load the next query has the "
	    "new generation, and the page moves without a query");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(generation, tc)
{
	static struct policy_answer	 a;
	struct policy_client		 pc;
	struct rules_query		 q;
	struct pd			 pd;
	int				 i;

	pd_start(&pd, NULL);
	pd_worker(&pd, 3, &pc);
	ATF_CHECK_EQ(policy_generation(&pc), 0);
	request(&q, "NOOP", NULL, 0);
	/* Nothing loaded: no verdict, and the caller fails closed. */
	ATF_CHECK_EQ(policy_query(&pc, &q, WAIT_MS, &a), -1);
	ATF_CHECK_EQ(errno, ENOENT);

	ATF_REQUIRE_EQ(load(pd.dir, rules1), 1);
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.gen, 1);
	ATF_CHECK_EQ(a.action, RULES_ACCEPT);
	ATF_CHECK_EQ(policy_generation(&pc), 1);

	ATF_REQUIRE_EQ(load(pd.dir, rules2), 2);
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.gen, 2);
	ATF_CHECK_EQ(a.action, RULES_REJECT);
	ATF_CHECK_STREQ(a.text, "closed");
	ATF_CHECK_EQ(policy_generation(&pc), 2);

	/* No query: policyd notices the store by itself. */
	ATF_REQUIRE_EQ(load(pd.dir, rules1), 3);
	for (i = 0; i < 200 && policy_generation(&pc) != 3; i++)
		usleep(25000);
	ATF_CHECK_EQ(policy_generation(&pc), 3);

	policy_client_close(&pc);
	pd_stop(&pd);
}

static long
status_field(pid_t pid, const char *name)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 v = -1;
	size_t	 n = strlen(name);

	(void)snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	ATF_REQUIRE((f = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* RLIMIT_NOFILE of pid, soft and hard, from /proc/pid/limits. */
static void
nofile_of(pid_t pid, long *soft, long *hard)
{
	char	 path[64], line[256];
	FILE	*f;

	*soft = *hard = -1;
	(void)snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	ATF_REQUIRE((f = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Max open files %ld %ld", soft, hard) == 2)
			break;
	fclose(f);
}

ATF_TC(nofile);
ATF_TC_HEAD(nofile, tc)
{
	atf_tc_set_md_var(tc, "descr", "policyd holds the descriptors "
	    "posternd counted for it, soft and hard, lowering its hard limit "
	    "to that");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(nofile, tc)
{
	struct pd	 pd;
	long		 soft, hard;

	pd_start_nofile(&pd, rules1, POLICYD_NOFILE_FIXED + 40, 1024);
	nofile_of(pd.pid, &soft, &hard);
	ATF_CHECK_EQ(soft, POLICYD_NOFILE_FIXED + 40);
	ATF_CHECK_EQ(hard, POLICYD_NOFILE_FIXED + 40);
	pd_stop(&pd);
}

ATF_TC(nofile_over_hard);
ATF_TC_HEAD(nofile_over_hard, tc)
{
	atf_tc_set_md_var(tc, "descr", "told to hold more descriptors than "
	    "its hard limit, policyd takes the hard limit, says so and "
	    "serves: it never dies trying to raise it (issue 17)");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(nofile_over_hard, tc)
{
	static struct policy_answer	 a;
	struct policy_client		 pc;
	struct rules_query		 q;
	struct pd			 pd;
	long				 soft, hard;

	pd_start_nofile(&pd, rules1, 1040, 64);
	log_wait(&pd, "1040 descriptors wanted, the hard limit is 64");
	nofile_of(pd.pid, &soft, &hard);
	ATF_CHECK_EQ(soft, 64);
	ATF_CHECK_EQ(hard, 64);
	pd_worker(&pd, 1, &pc);
	request(&q, "NOOP", NULL, 0);
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.action, RULES_ACCEPT);
	policy_client_close(&pc);
	pd_stop(&pd);
}

ATF_TC(confined);
ATF_TC_HEAD(confined, tc)
{
	atf_tc_set_md_var(tc, "descr", "policyd serves under its filter, "
	    "not as root, without new privileges");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(confined, tc)
{
	static struct policy_answer	 a;
	struct policy_client		 pc;
	struct rules_query		 q;
	struct pd			 pd;

	pd_start(&pd, rules1);
	pd_worker(&pd, 1, &pc);
	request(&q, "NOOP", NULL, 0);
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(status_field(pd.pid, "Seccomp"), 2);
	ATF_CHECK_EQ(status_field(pd.pid, "NoNewPrivs"), 1);
	ATF_CHECK(status_field(pd.pid, "Uid") > 0);
	ATF_CHECK(status_field(pd.pid, "Gid") > 0);
	/* The page cannot be written through what a worker gets. */
	ATF_CHECK(mprotect((void *)(uintptr_t)pc.page, pc.pagesize,
	    PROT_READ | PROT_WRITE) == -1);
	/* And it still answers, under the filter, after all that. */
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.action, RULES_ACCEPT);
	policy_client_close(&pc);
	pd_stop(&pd);
}

ATF_TC(malformed);
ATF_TC_HEAD(malformed, tc)
{
	atf_tc_set_md_var(tc, "descr", "a channel that sends a malformed "
	    "query is closed and logged; another is still answered");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(malformed, tc)
{
	static struct policy_answer	 a;
	struct policy_client		 good, bad;
	struct policy_query		 pq;
	struct rules_query		 q;
	struct pd			 pd;
	struct msg			 m;
	uint8_t				 body[sizeof(pq) + 4];
	int				 rc;

	pd_start(&pd, rules1);
	pd_worker(&pd, 1, &good);
	pd_worker(&pd, 2, &bad);
	/* A key of 3 bytes announced, 4 sent: a byte follows the query. */
	memset(&pq, 0, sizeof(pq));
	pq.id = 1;
	pq.proto = RULES_IMAP;
	pq.table = RULES_REQUEST;
	pq.keylen = 3;
	memcpy(body, &pq, sizeof(pq));
	memcpy(body + sizeof(pq), "NOOP", 4);
	ATF_REQUIRE(msg_compose(&bad.ch, MSG_P_QUERY, 0, -1, body,
	    sizeof(body)) == 0);
	ATF_REQUIRE(msg_send(&bad.ch, WAIT_MS) == 0);
	rc = msg_wait(&bad.ch, &m, WAIT_MS);
	ATF_CHECK_MSG(rc == -1 && errno == ECONNRESET,
	    "the bad channel got %d (%s), not end of file", rc,
	    strerror(errno));
	log_wait(&pd, "worker 2: malformed query");
	log_wait(&pd, "worker 2: protocol error: channel closed");

	request(&q, "LOGIN", NULL, 0);
	ask(&good, &q, &a);
	ATF_CHECK_EQ(a.action, RULES_REJECT);
	ATF_CHECK_EQ(a.line, 1);
	policy_client_close(&bad);
	policy_client_close(&good);
	pd_stop(&pd);
}

ATF_TC(timeout);
ATF_TC_HEAD(timeout, tc)
{
	atf_tc_set_md_var(tc, "descr", "no answer in time: the query fails "
	    "(closed), and a late answer is not taken for the next one");
}
ATF_TC_BODY(timeout, tc)
{
	static struct policy_answer	 a;
	struct policy_client		 pc;
	struct policy_verdict		 pv;
	struct rules_query		 q;
	struct msgchan			 peer;
	struct msg			 m;
	struct timespec			 t0, t1;
	long				 ms;
	int				 sp[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ==
	    0);
	ATF_REQUIRE(policy_client_init(&pc, sp[0], 0) == 0);
	msgchan_init(&peer, sp[1], MSGCHAN_FDS, 0);
	request(&q, "NOOP", NULL, 0);
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t0) == 0);
	ATF_CHECK_EQ(policy_query(&pc, &q, 300, &a), -1);
	ATF_CHECK_EQ(errno, ETIMEDOUT);
	ATF_REQUIRE(clock_gettime(CLOCK_MONOTONIC, &t1) == 0);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ATF_CHECK_MSG(ms >= 290 && ms < 3000, "gave up after %ld ms", ms);

	/* The first query arrives, and is answered late... */
	ATF_REQUIRE_EQ(msg_wait(&peer, &m, WAIT_MS), 1);
	ATF_REQUIRE_EQ(m.hdr.type, MSG_P_QUERY);
	memset(&pv, 0, sizeof(pv));
	pv.id = 1;
	pv.action = RULES_ACCEPT;
	ATF_REQUIRE(msg_compose(&peer, MSG_P_VERDICT, 0, -1, &pv,
	    sizeof(pv)) == 0);
	ATF_REQUIRE(msg_send(&peer, WAIT_MS) == 0);
	/* ...so the second, unanswered, still times out. */
	ATF_CHECK_EQ(policy_query(&pc, &q, 300, &a), -1);
	ATF_CHECK_EQ(errno, ETIMEDOUT);
	close(sp[1]);
	msgchan_clear(&peer);
	policy_client_close(&pc);
}

ATF_TC(grown);
ATF_TC_HEAD(grown, tc)
{
	atf_tc_set_md_var(tc, "descr", "a generation that outgrows the map "
	    "policyd opened is read, under the filter, after a remap");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(grown, tc)
{
	static struct policy_answer	 a;
	struct policy_client		 pc;
	struct rules_query		 q;
	struct pd			 pd;
	struct stat			 sb;
	char				*src, path[128];
	size_t				 cap = (size_t)24 << 20, n = 0;
	int				 i;

	pd_start(&pd, rules1);
	pd_worker(&pd, 0, &pc);
	/* Past STORE_MAPSIZE_DEFAULT in source alone. */
	ATF_REQUIRE((src = malloc(cap)) != NULL);
	for (i = 0; n + 200 < cap - 64 && n < STORE_MAPSIZE_DEFAULT + 4096;
	    i++)
		n += (size_t)snprintf(src + n, cap - n, "imap request X%d "
		    "reject \"%0120d\"\n", i, i);
	n += (size_t)snprintf(src + n, cap - n, "imap request * drop\n");
	ATF_REQUIRE_EQ(load(pd.dir, src), 2);
	free(src);
	(void)snprintf(path, sizeof(path), "%s/data.mdb", pd.dir);
	ATF_REQUIRE(stat(path, &sb) == 0);
	ATF_CHECK_MSG((size_t)sb.st_size > STORE_MAPSIZE_DEFAULT,
	    "data.mdb is only %lld bytes", (long long)sb.st_size);
	request(&q, "X77", NULL, 0);
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.gen, 2);
	ATF_CHECK_EQ(a.action, RULES_REJECT);
	ATF_CHECK_EQ(a.line, 78);
	request(&q, "NOOP", NULL, 0);
	ask(&pc, &q, &a);
	ATF_CHECK_EQ(a.action, RULES_DROP);
	policy_client_close(&pc);
	pd_stop(&pd);
}

static void
login(struct policy_client *pc, uint32_t type, const char *addr,
    const char *user, struct policy_login_status *st)
{
	uint8_t	 a[16] = { 0 };
	int	 fam = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;

	ATF_REQUIRE(inet_pton(fam, addr, a) == 1);
	ATF_REQUIRE_MSG(policy_login(pc, type, fam, a, user, strlen(user),
	    WAIT_MS, st) == 0, "login message %u: %s", type, strerror(errno));
}

ATF_TC(login_counters);
ATF_TC_HEAD(login_counters, tc)
{
	atf_tc_set_md_var(tc, "descr", "failed logins of every worker, "
	    "on two answering threads, counted in one place: the delay "
	    "grows, the address is blocked, another address and the /64's "
	    "neighbours of others are not; a user's sessions over all "
	    "workers, let go at the session's end and at its channel's");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(login_counters, tc)
{
	struct policy_client		 w0, w1;
	struct policy_login_status	 st;
	struct pd			 pd;
	int				 i;

	memset(&test_login, 0, sizeof(test_login));
	test_login.delay[1] = 1;
	test_login.delay[2] = 3;
	test_login.ndelay = 3;
	test_login.addr_after = 3;
	test_login.addr_within = 60;
	test_login.addr_for = 60;
	test_login.sessions_per_user = 1;
	/* w0 and w1 on two threads: counted in one place all the same. */
	pd_threads = 2;
	pd_start(&pd, rules1);
	pd_threads = 1;
	memset(&test_login, 0, sizeof(test_login));
	pd_worker(&pd, 0, &w0);
	pd_worker(&pd, 1, &w1);
	/* The hello says the sessions are counted, so workers report them. */
	ATF_CHECK(w0.count_sessions && w1.count_sessions);

	/* No block yet: the page spares the workers the check. */
	ATF_CHECK(policy_no_blocks(&w0) && policy_no_blocks(&w1));
	/* One address's failures, whichever worker saw them. */
	login(&w0, MSG_P_LOGIN_FAILED, "192.0.2.7", "u", &st);
	ATF_CHECK_EQ(st.failures, 1);
	ATF_CHECK_EQ(st.delay_ms, 0);
	ATF_CHECK_EQ(st.block, LOGIN_OPEN);
	login(&w1, MSG_P_LOGIN_FAILED, "192.0.2.7", "v", &st);
	ATF_CHECK_EQ(st.failures, 2);
	ATF_CHECK_EQ(st.delay_ms, 1000);
	login(&w0, MSG_P_LOGIN_CHECK, "192.0.2.7", "u", &st);
	ATF_CHECK_EQ(st.block, LOGIN_OPEN);
	login(&w0, MSG_P_LOGIN_FAILED, "192.0.2.7", "u", &st);
	ATF_CHECK_EQ(st.delay_ms, 3000);
	ATF_CHECK_EQ(st.block, LOGIN_BLOCKED_ADDR);
	ATF_CHECK(st.retry_s > 0 && st.retry_s <= 60);
	/* A block is in force: every worker asks again. */
	ATF_CHECK(!policy_no_blocks(&w0) && !policy_no_blocks(&w1));
	login(&w1, MSG_P_LOGIN_CHECK, "192.0.2.7", "w", &st);
	ATF_CHECK_EQ(st.block, LOGIN_BLOCKED_ADDR);
	login(&w1, MSG_P_LOGIN_CHECK, "192.0.2.8", "u", &st);
	ATF_CHECK_EQ(st.block, LOGIN_OPEN);
	/* An IPv6 /64 is one address. */
	login(&w0, MSG_P_LOGIN_FAILED, "2001:db8::1", "u", &st);
	login(&w0, MSG_P_LOGIN_FAILED, "2001:db8::2", "u", &st);
	login(&w0, MSG_P_LOGIN_FAILED, "2001:db8::3", "u", &st);
	ATF_CHECK_EQ(st.block, LOGIN_BLOCKED_ADDR);
	login(&w0, MSG_P_LOGIN_CHECK, "2001:db8:0:1::1", "u", &st);
	ATF_CHECK_EQ(st.block, LOGIN_OPEN);

	/* Sessions per user, over the workers. */
	login(&w0, MSG_P_LOGIN_OK, "192.0.2.8", "alice", &st);
	ATF_CHECK_EQ(st.block, LOGIN_OPEN);
	login(&w1, MSG_P_LOGIN_OK, "192.0.2.9", "alice", &st);
	ATF_CHECK_EQ(st.block, LOGIN_SESSIONS);
	ATF_REQUIRE(policy_login_end(&w0, WAIT_MS) == 0);
	/* A round trip on w0: its end was read before. */
	login(&w0, MSG_P_LOGIN_CHECK, "192.0.2.8", "alice", &st);
	login(&w1, MSG_P_LOGIN_OK, "192.0.2.9", "alice", &st);
	ATF_CHECK_EQ(st.block, LOGIN_OPEN);
	/* w1's channel closes: its session no longer counts. */
	policy_client_close(&w1);
	for (i = 0; i < 200; i++) {
		login(&w0, MSG_P_LOGIN_OK, "192.0.2.8", "alice", &st);
		if (st.block == LOGIN_OPEN)
			break;
		usleep(20000);
	}
	ATF_CHECK_EQ(st.block, LOGIN_OPEN);
	policy_client_close(&w0);
	pd_stop(&pd);
}

/* A field of /proc/PID/task/TID/status. */
static long
task_field(pid_t pid, long tid, const char *name)
{
	char	 path[96], line[256];
	FILE	*f;
	long	 v = -1;
	size_t	 n = strlen(name);

	(void)snprintf(path, sizeof(path), "/proc/%d/task/%ld/status",
	    (int)pid, tid);
	ATF_REQUIRE((f = fopen(path, "r")) != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* The nice value of a task: field 19 of its stat, after the name. */
static long
task_nice(pid_t pid, long tid)
{
	char	 path[96], buf[1024], *p;
	FILE	*f;
	long	 v = 99;
	int	 i;

	(void)snprintf(path, sizeof(path), "/proc/%d/task/%ld/stat",
	    (int)pid, tid);
	ATF_REQUIRE((f = fopen(path, "r")) != NULL);
	ATF_REQUIRE(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	ATF_REQUIRE((p = strrchr(buf, ')')) != NULL);
	/* Fields 3 to 19 follow the name. */
	for (i = 3, p = strtok(p + 1, " "); p != NULL && i < 19; i++)
		p = strtok(NULL, " ");
	if (p != NULL)
		v = strtol(p, NULL, 10);
	return v;
}

ATF_TC(threads);
ATF_TC_HEAD(threads, tc)
{
	atf_tc_set_md_var(tc, "descr", "with three answering threads every "
	    "worker's channel is answered, each thread is confined and runs "
	    "at the nice value configured, a new "
	    "generation reaches all of them, and a thread's log line and a "
	    "bad channel of its own are handled like the main thread's");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(threads, tc)
{
	static struct policy_answer	 a;
	struct policy_client		 pc[6];
	struct rules_query		 q;
	struct pd			 pd;
	struct msg			 m;
	struct dirent			*d;
	DIR				*dir;
	char				 path[64];
	uint8_t				 junk[8] = { 0 };
	int				 i, ntask = 0;

	pd_threads = 3;
	pd_nice = -5;
	pd_start(&pd, rules1);
	pd_threads = 1;
	pd_nice = 0;
	for (i = 0; i < 6; i++)
		pd_worker(&pd, (uint32_t)i, &pc[i]);
	request(&q, "LOGIN", NULL, 0);
	for (i = 0; i < 6; i++) {
		ask(&pc[i], &q, &a);
		ATF_CHECK_EQ(a.action, RULES_REJECT);
		ATF_CHECK_STREQ(a.text, "no");
		ATF_CHECK_EQ(a.gen, 1);
	}
	/* Three tasks, each under the filter and not root. */
	(void)snprintf(path, sizeof(path), "/proc/%d/task", (int)pd.pid);
	ATF_REQUIRE((dir = opendir(path)) != NULL);
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		ntask++;
		ATF_CHECK_EQ(task_field(pd.pid, atol(d->d_name), "Seccomp"),
		    2);
		ATF_CHECK_EQ(task_field(pd.pid, atol(d->d_name),
		    "NoNewPrivs"), 1);
		ATF_CHECK(task_field(pd.pid, atol(d->d_name), "Uid") > 0);
		ATF_CHECK_EQ(task_nice(pd.pid, atol(d->d_name)), -5);
	}
	closedir(dir);
	ATF_CHECK_EQ(ntask, 3);
	/* A new generation, read by every thread. */
	ATF_REQUIRE_EQ(load(pd.dir, rules2), 2);
	for (i = 0; i < 6; i++) {
		ask(&pc[i], &q, &a);
		ATF_CHECK_EQ(a.gen, 2);
		ATF_CHECK_STREQ(a.text, "closed");
	}
	/* Worker 5 is the third thread's: its bad message ends it alone. */
	ATF_REQUIRE(msg_compose(&pc[5].ch, MSG_P_QUERY, 0, -1, junk,
	    sizeof(junk)) == 0);
	ATF_REQUIRE(msg_send(&pc[5].ch, WAIT_MS) == 0);
	ATF_CHECK(msg_wait(&pc[5].ch, &m, WAIT_MS) == -1);
	log_wait(&pd, "worker 5: malformed query");
	log_wait(&pd, "worker 5: protocol error: channel closed");
	for (i = 0; i < 5; i++) {
		ask(&pc[i], &q, &a);
		ATF_CHECK_EQ(a.action, RULES_REJECT);
	}
	for (i = 0; i < 6; i++)
		policy_client_close(&pc[i]);
	pd_stop(&pd);
}

#define BURST	400

ATF_TC(threads_burst);
ATF_TC_HEAD(threads_burst, tc)
{
	atf_tc_set_md_var(tc, "descr", "400 worker channels handed to three "
	    "answering threads at once, each answering a query while the "
	    "others are added: no thread steps outside the filter (a "
	    "thread's own malloc arena would)");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(threads_burst, tc)
{
	static struct policy_answer	 a;
	static struct policy_client	 pc[BURST];
	struct policyd_worker		 w = { .slot = 0 };
	struct rules_query		 q;
	struct pd			 pd;
	int				 sp[2], i;

	pd_threads = 3;
	pd_start_nofile(&pd, rules1, POLICYD_NOFILE_FIXED + BURST + 8, 0);
	pd_threads = 1;
	for (i = 0; i < BURST; i++) {
		ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
		    sp) == 0);
		w.slot = (uint32_t)i;
		ATF_REQUIRE(msg_compose(&pd.master, MSG_P_WORKER, 0, sp[1], &w,
		    sizeof(w)) == 0);
		ATF_REQUIRE(policy_client_init(&pc[i], sp[0], 0) == 0);
	}
	ATF_REQUIRE(msg_send(&pd.master, WAIT_MS) == 0);
	request(&q, "LOGIN", NULL, 0);
	for (i = 0; i < BURST; i++) {
		ATF_REQUIRE_MSG(policy_client_start(&pc[i], WAIT_MS) == 0,
		    "worker %d: no hello: %s", i, strerror(errno));
		ask(&pc[i], &q, &a);
		ATF_CHECK_EQ(a.action, RULES_REJECT);
	}
	for (i = 0; i < BURST; i++)
		policy_client_close(&pc[i]);
	pd_stop(&pd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, login_counters);
	ATF_TP_ADD_TC(tp, verdict);
	ATF_TP_ADD_TC(tp, generation);
	ATF_TP_ADD_TC(tp, confined);
	ATF_TP_ADD_TC(tp, nofile);
	ATF_TP_ADD_TC(tp, nofile_over_hard);
	ATF_TP_ADD_TC(tp, malformed);
	ATF_TP_ADD_TC(tp, timeout);
	ATF_TP_ADD_TC(tp, grown);
	ATF_TP_ADD_TC(tp, threads);
	ATF_TP_ADD_TC(tp, threads_burst);
	return 0;
}
