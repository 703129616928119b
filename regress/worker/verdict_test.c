/*
 * The worker's verdicts (verdict.h) against the real postern-policyd:
 * what the cache answers without a round trip, what it must not, and
 * failing closed.  Round trips are counted by the client's request ids.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <errno.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "policy_client.h"
#include "proto.h"
#include "proto_policy.h"
#include "rules.h"
#include "store.h"
#include "imap_enforce.h"
#include "imap_session.h"
#include "verdict.h"

#define WAIT_MS		10000

static const char rules1[] =
    "imap request NOOP reject \"guest\" if user \"guest*\"\n"
    "imap request SELECT reject \"private\" if arg 1 ~ \"Private*\"\n"
    "imap request * accept\n"
    "imap response * all * accept\n"
    "imap list hide \"Private*\"\n"
    "imap connect tls starttls-required\n";
static const char rules2[] = "imap request * reject \"closed\"\n";

struct pd {
	char		 dir[64];
	pid_t		 pid;
	struct msgchan	 master;
};

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
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
	if (b.size > 0)
		ATF_REQUIRE_MSG(store_load(st, src, strlen(src), b.data,
		    b.size, &gen) == STORE_OK, "%s", store_error(st));
	store_close(st);
	rules_blob_free(&b);
}

/* The next message that is not a log line. */
static int
master_wait(struct pd *pd, struct msg *m, int ms)
{
	int	 rc;

	/* policyd's log and the generation it tells the master of */
	while ((rc = msg_wait(&pd->master, m, ms)) == 1 &&
	    (m->hdr.type == MSG_LOG || m->hdr.type == MSG_P_GENERATION))
		;
	return rc;
}

/*
 * policyd on a store holding src (NULL: an empty store), one channel
 * whose limit is maxbody at both ends (0: the default), as the master
 * and the worker set it from a worker's config slice.
 */
static void
pd_start_max(struct pd *pd, const char *src, struct policy_client *pc,
    size_t maxbody)
{
	struct policyd_config	 c;
	struct policyd_worker	 w = { .slot = 1,
				    .maxbody = (uint32_t)maxbody };
	struct passwd		*pw;
	struct msg		 m;
	struct store		*st;
	char			 err[256];
	int			 sp[2];

	memset(pd, 0, sizeof(*pd));
	(void)snprintf(pd->dir, sizeof(pd->dir), "/tmp/verdict_test.XXXXXX");
	ATF_REQUIRE(mkdtemp(pd->dir) != NULL);
	if (src != NULL)
		load(pd->dir, src);
	else {
		ATF_REQUIRE_MSG(store_open(&st, pd->dir, 0, NULL, err,
		    sizeof(err)) == STORE_OK, "%s", err);
		store_close(st);
	}
	ATF_REQUIRE((pw = getpwnam("nobody")) != NULL);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp) == 0);
	ATF_REQUIRE((pd->pid = fork()) != -1);
	if (pd->pid == 0) {
		if (dup2(sp[1], POLICYD_CHAN_FD) == -1)
			_exit(126);
		execl(POLICYD_PATH, "postern-policyd", (char *)NULL);
		_exit(127);
	}
	close(sp[1]);
	msgchan_init(&pd->master, sp[0], MSGCHAN_FDS, 0);
	memset(&c, 0, sizeof(c));
	c.uid = pw->pw_uid;
	c.gid = pw->pw_gid;
	c.threads = 1;
	c.nofile = POLICYD_NOFILE_FIXED + 2;
	(void)snprintf(c.store, sizeof(c.store), "%s", pd->dir);
	ATF_REQUIRE(msg_compose(&pd->master, MSG_P_CONFIG, 0, -1, &c,
	    sizeof(c)) == 0);
	ATF_REQUIRE(msg_send(&pd->master, WAIT_MS) == 0);
	ATF_REQUIRE(master_wait(pd, &m, WAIT_MS) == 1);
	ATF_REQUIRE_EQ(m.hdr.type, MSG_READY);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp) == 0);
	ATF_REQUIRE(msg_compose(&pd->master, MSG_P_WORKER, 0, sp[1], &w,
	    sizeof(w)) == 0);
	ATF_REQUIRE(msg_send(&pd->master, WAIT_MS) == 0);
	ATF_REQUIRE(policy_client_init(pc, sp[0], maxbody) == 0);
	ATF_REQUIRE(policy_client_start(pc, WAIT_MS) == 0);
}

static void
pd_start(struct pd *pd, const char *src, struct policy_client *pc)
{
	pd_start_max(pd, src, pc, 0);
}

static void
pd_stop(struct pd *pd, struct policy_client *pc)
{
	int	 status;

	policy_client_close(pc);
	close(pd->master.fd);
	msgchan_clear(&pd->master);
	(void)kill(pd->pid, SIGTERM);
	(void)waitpid(pd->pid, &status, 0);
	(void)nftw(pd->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static struct worker_session ws = {
	.listener = "imap", .client_addr = "192.0.2.7", .local_port = 143
};

/* Round trips so far: the client numbers its queries from 1. */
static uint64_t
trips(const struct policy_client *pc)
{
	return pc->nextid - 1;
}

static void
ask(struct verdict_session *vs, enum rules_table t, const char *key,
    const char *name, const struct rules_arg *args, size_t nargs,
    struct verdict *v)
{
	struct verdict_q	 q = { .table = t, .key = key, .name = name,
				    .kind = name != NULL ? RULES_UNTAGGED : 0,
				    .args = args, .nargs = nargs };

	ATF_REQUIRE_MSG(verdict_ask(vs, &q, v) == 0, "%s: %s", key,
	    strerror(errno));
}

ATF_TC(cache_hits);
ATF_TC_HEAD(cache_hits, tc)
{
	atf_tc_set_md_var(tc, "descr", "a verdict on the session alone is "
	    "answered again from the cache, in the next session with the "
	    "same context too; one on arguments is asked again");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(cache_hits, tc)
{
	static struct verdict_session	 vs;
	struct policy_client		 pc;
	struct pd			 pd;
	struct verdict			 v;
	struct rules_arg		 a = { "Private/x", 9 };
	int				 i;

	pd_start(&pd, rules1, &pc);
	ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP, &ws) == 0);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK_EQ(v.action, RULES_ACCEPT);
	ATF_CHECK(!v.cached);
	ATF_CHECK_EQ(trips(&pc), 1);
	for (i = 0; i < 1000; i++) {
		ask(&vs, RULES_RESPONSE, "FETCH", "FETCH", NULL, 0, &v);
		ATF_REQUIRE_EQ(v.action, RULES_ACCEPT);
	}
	ATF_CHECK(v.cached);
	ATF_CHECK_EQ(v.gen, 1);
	ATF_CHECK_EQ(v.ans->gen, 1);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK(v.cached);
	/* NOOP once, FETCH once */
	ATF_CHECK_EQ(trips(&pc), 2);
	ATF_CHECK_EQ(vs.asked, 1002);
	ATF_CHECK_EQ(vs.hits, 1000);

	/* SELECT's rule reads an argument: never from the cache */
	for (i = 0; i < 3; i++) {
		ask(&vs, RULES_REQUEST, "SELECT", NULL, &a, 1, &v);
		ATF_CHECK_EQ(v.action, RULES_REJECT);
		ATF_CHECK(!v.cached);
	}
	ATF_CHECK_EQ(trips(&pc), 5);
	/* the list table's verdict is kept per mailbox */
	ask(&vs, RULES_LIST, "*", NULL, NULL, 0, &v);
	{
		struct verdict_q q = { .table = RULES_LIST, .key = "*",
		    .mailbox = "Private/a" };

		ATF_REQUIRE(verdict_ask(&vs, &q, &v) == 0);
		ATF_CHECK_EQ(v.action, RULES_HIDE);
		ATF_REQUIRE(verdict_ask(&vs, &q, &v) == 0);
		ATF_CHECK(v.cached);
		ATF_CHECK_EQ(v.action, RULES_HIDE);
		q.mailbox = "Public";
		ATF_REQUIRE(verdict_ask(&vs, &q, &v) == 0);
		ATF_CHECK(!v.cached);
		ATF_CHECK_EQ(v.action, RULES_ACCEPT);
	}
	verdict_free(&vs);

	/* the worker's next session, same context: the cache is warm */
	ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP, &ws) == 0);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK(v.cached);
	/* the connect verdict's mode and rule come from the cache too */
	for (i = 0; i < 2; i++) {
		ask(&vs, RULES_CONNECT, "tls", NULL, NULL, 0, &v);
		ATF_CHECK_EQ(v.cached, i);
		ATF_CHECK_EQ(v.action, RULES_TLS);
		ATF_CHECK_EQ(v.tls, RULES_TLS_STARTTLS_REQUIRED);
		ATF_CHECK_EQ(v.ans->tls, RULES_TLS_STARTTLS_REQUIRED);
		ATF_CHECK_EQ(v.ans->line, 6);
		ATF_CHECK(v.ans->file != NULL && v.ans->file[0] != '\0');
		verdict_free(&vs);
		ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP,
		    &ws) == 0);
	}
	verdict_free(&vs);
	/* another client address: its own verdicts */
	{
		struct worker_session ws2 = ws;

		(void)snprintf(ws2.client_addr, sizeof(ws2.client_addr),
		    "192.0.2.8");
		ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP,
		    &ws2) == 0);
		ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
		ATF_CHECK(!v.cached);
		verdict_free(&vs);
	}
	pd_stop(&pd, &pc);
}

ATF_TC(prefetch);
ATF_TC_HEAD(prefetch, tc)
{
	atf_tc_set_md_var(tc, "descr", "a capability list's verdicts "
	    "fetched at once are answered with policyd stopped: each the "
	    "first time as not from the cache, then from it; what the cache "
	    "holds already is not asked again");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(prefetch, tc)
{
	static const char		 caps[] = "imap capability X-HIDDEN drop\n"
					    "imap capability * accept\n"
					    "imap request * accept\n";
	static const char		*names[] = { "IMAP4rev1", "IDLE",
					    "X-HIDDEN", "NAMESPACE" };
	static struct verdict_session	 vs;
	struct verdict_q		 qs[4];
	struct policy_client		 pc;
	struct pd			 pd;
	struct verdict			 v;
	uint64_t			 before;
	size_t				 i;
	int				 round;

	pd_start(&pd, caps, &pc);
	ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP, &ws) == 0);
	memset(qs, 0, sizeof(qs));
	for (i = 0; i < 4; i++) {
		qs[i].table = RULES_CAPABILITY;
		qs[i].key = names[i];
	}
	/* IDLE is in the cache already: not asked again. */
	ask(&vs, RULES_CAPABILITY, "IDLE", NULL, NULL, 0, &v);
	before = trips(&pc);
	verdict_prefetch(&vs, qs, 4);
	ATF_CHECK_EQ(trips(&pc), before + 3);
	/* Every answer is here: policyd may sleep. */
	ATF_REQUIRE(kill(pd.pid, SIGSTOP) == 0);
	for (round = 0; round < 2; round++)
		for (i = 0; i < 4; i++) {
			ask(&vs, RULES_CAPABILITY, names[i], NULL, NULL, 0,
			    &v);
			ATF_CHECK_EQ(v.action, i == 2 ? RULES_DROP :
			    RULES_ACCEPT);
			/* IDLE's was from the cache from the start. */
			ATF_CHECK_EQ(v.cached, round == 1 || i == 1);
		}
	ATF_CHECK_EQ(trips(&pc), before + 3);
	ATF_REQUIRE(kill(pd.pid, SIGCONT) == 0);
	verdict_free(&vs);
	pd_stop(&pd, &pc);
}

ATF_TC(cache_grows);
ATF_TC_HEAD(cache_grows, tc)
{
	atf_tc_set_md_var(tc, "descr", "the cache starts small and grows "
	    "as a session asks more questions: 200 verdicts asked once are "
	    "all answered again from it, however many times it grew "
	    "meanwhile");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(cache_grows, tc)
{
	static struct verdict_session	 vs;
	struct policy_client		 pc;
	struct pd			 pd;
	struct verdict			 v;
	char				 key[32];
	int				 i, round;

	pd_start(&pd, rules1, &pc);
	ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP, &ws) == 0);
	for (round = 0; round < 2; round++)
		for (i = 0; i < 200; i++) {
			(void)snprintf(key, sizeof(key), "X-CMD%d", i);
			ask(&vs, RULES_REQUEST, key, NULL, NULL, 0, &v);
			ATF_REQUIRE_EQ(v.action, RULES_ACCEPT);
			ATF_REQUIRE_EQ_MSG(v.cached, round, "%s, round %d",
			    key, round);
		}
	ATF_CHECK_EQ(trips(&pc), 200);
	ATF_CHECK_EQ(vs.hits, 200);
	verdict_free(&vs);
	pd_stop(&pd, &pc);
}

ATF_TC(cache_context);
ATF_TC_HEAD(cache_context, tc)
{
	atf_tc_set_md_var(tc, "descr", "a new user or TLS state empties the "
	    "cache; the state is part of its key");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(cache_context, tc)
{
	static struct verdict_session	 vs;
	struct policy_client		 pc;
	struct pd			 pd;
	struct verdict			 v;

	pd_start(&pd, rules1, &pc);
	ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP, &ws) == 0);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK_EQ(v.action, RULES_ACCEPT);
	verdict_set_user(&vs, "guest7", 6);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK(!v.cached);
	ATF_CHECK_EQ(v.action, RULES_REJECT);
	ATF_CHECK_STREQ(v.text, "guest");
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK(v.cached);
	ATF_CHECK_EQ(v.action, RULES_REJECT);
	ATF_CHECK_STREQ(v.text, "guest");
	verdict_set_state(&vs, RULES_ST_AUTHENTICATED);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK(!v.cached);
	verdict_set_tls(&vs, 1, NULL);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK(!v.cached);
	ATF_CHECK_EQ(trips(&pc), 4);
	verdict_free(&vs);
	pd_stop(&pd, &pc);
}

ATF_TC(cache_generation);
ATF_TC_HEAD(cache_generation, tc)
{
	atf_tc_set_md_var(tc, "descr", "a new generation on the page makes "
	    "the cached verdicts stale at once");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(cache_generation, tc)
{
	static struct verdict_session	 vs;
	struct policy_client		 pc;
	struct pd			 pd;
	struct verdict			 v;
	int				 i;

	pd_start(&pd, rules1, &pc);
	ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP, &ws) == 0);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK(v.cached);
	load(pd.dir, rules2);
	for (i = 0; i < 400 && policy_generation(&pc) != 2; i++)
		usleep(10000);
	ATF_REQUIRE_EQ(policy_generation(&pc), 2);
	ask(&vs, RULES_REQUEST, "NOOP", NULL, NULL, 0, &v);
	ATF_CHECK(!v.cached);
	ATF_CHECK_EQ(v.gen, 2);
	ATF_CHECK_EQ(v.action, RULES_REJECT);
	ATF_CHECK_STREQ(v.text, "closed");
	verdict_free(&vs);
	pd_stop(&pd, &pc);
}

ATF_TC(fail_closed);
ATF_TC_HEAD(fail_closed, tc)
{
	atf_tc_set_md_var(tc, "descr", "no generation, or no policyd: no "
	    "verdict, counted as failed");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(fail_closed, tc)
{
	static struct verdict_session	 vs;
	struct policy_client		 pc;
	struct pd			 pd;
	struct verdict			 v;
	struct verdict_q		 q = { .table = RULES_REQUEST,
					    .key = "NOOP" };

	pd_start(&pd, NULL, &pc);
	ATF_REQUIRE(verdict_init(&vs, &pc, 1000, RULES_IMAP, &ws) == 0);
	ATF_CHECK_EQ(verdict_ask(&vs, &q, &v), -1);
	ATF_CHECK_EQ(vs.failed, 1);
	(void)kill(pd.pid, SIGKILL);
	ATF_CHECK_EQ(verdict_ask(&vs, &q, &v), -1);
	ATF_CHECK_EQ(vs.failed, 2);
	verdict_free(&vs);
	pd_stop(&pd, &pc);

	/* no policy store: nothing to ask */
	ATF_REQUIRE(verdict_init(&vs, NULL, 0, RULES_IMAP, &ws) == 0);
	ATF_CHECK_EQ(verdict_ask(&vs, &q, &v), -1);
	verdict_free(&vs);
}

/*
 * Server bytes through the session and the policy as imap_relay.c does:
 * what the client would get, into out.
 */
static void
server_feed(struct imap_session *s, struct imap_enforce *pol, const char *in,
    struct buf *out)
{
	struct imap_sev		 sev;
	struct buf		 rep;
	const uint8_t		*p = (const uint8_t *)in;
	size_t			 len = strlen(in), n;

	buf_init(&rep, 1 << 20);
	while (len > 0) {
		n = imap_session_server(s, p, len, &sev);
		p += n;
		len -= n;
		imap_enforce_observe(pol, s, &sev);
		if (sev.act != IMAP_ACT_FORWARD)
			continue;
		switch (imap_enforce_response(pol, s, &sev, &rep)) {
		case IPOL_PASS:
			if (sev.ev.type == IMAP_EV_LITDATA)
				(void)buf_add(out, sev.ev.data, sev.ev.len);
			else
				(void)buf_add(out, sev.ev.raw, sev.ev.rawlen);
			break;
		case IPOL_REPLACE:
		case IPOL_ABORT:
			(void)buf_add(out, buf_data(&rep), buf_len(&rep));
			break;
		default:
			break;
		}
	}
	buf_free(&rep);
}

ATF_TC(list_literal);
ATF_TC_HEAD(list_literal, tc)
{
	atf_tc_set_md_var(tc, "descr", "a LIST line whose name is a literal "
	    "is held until the name is known, then hidden, changed or "
	    "passed whole");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(list_literal, tc)
{
	static const char	 rules[] =
	    "imap list hide \"Private*\"\n"
	    "imap list attributes \"\\\\Noselect\" if mailbox \"Arch*\"\n"
	    "imap response * all * accept\n";
	static struct imap_enforce pol;
	struct imap_session	 s;
	struct imap_limits	 lim;
	struct policy_client	 pc;
	struct pd		 pd;
	struct buf		 out;
	char			 got[1024];

	pd_start(&pd, rules, &pc);
	imap_limits_default(&lim);
	ATF_REQUIRE(imap_session_init(&s, &lim) == 0);
	ATF_REQUIRE(imap_enforce_init(&pol, &pc, 1000, &ws, 65536) == 0);
	buf_init(&out, 1 << 20);
	server_feed(&s, &pol, "* OK hi\r\n"
	    "* LIST () \"/\" {9}\r\nPrivate/x\r\n"
	    "* LIST (\\HasNoChildren) \"/\" {7}\r\nArchive"
	    " (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
	    "* LIST (\\Marked) \"/\" {4}\r\nOpen\r\n"
	    "* LIST () \"/\" {8}\r\nCaf&AOk-\r\n", &out);
	(void)snprintf(got, sizeof(got), "%.*s", (int)buf_len(&out),
	    (const char *)buf_data(&out));
	ATF_CHECK_STREQ(got, "* OK hi\r\n"
	    "* LIST (\\Noselect) \"/\" {7}\r\nArchive"
	    " (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n"
	    "* LIST (\\Marked) \"/\" {4}\r\nOpen\r\n"
	    "* LIST () \"/\" {8}\r\nCaf&AOk-\r\n");
	buf_free(&out);
	imap_enforce_free(&pol);
	imap_session_free(&s);
	pd_stop(&pd, &pc);
}

ATF_TC(enabled_filtered);
ATF_TC_HEAD(enabled_filtered, tc)
{
	atf_tc_set_md_var(tc, "descr", "an untagged ENABLED loses what the "
	    "capability rules hide, a [CAPABILITY] code too, COMPRESS always");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(enabled_filtered, tc)
{
	static const char	 rules[] =
	    "imap capability CONDSTORE drop\n"
	    "imap capability * accept\n"
	    "imap response * all * accept\n";
	static struct imap_enforce pol;
	struct imap_session	 s;
	struct imap_limits	 lim;
	struct policy_client	 pc;
	struct pd		 pd;
	struct buf		 out;
	char			 got[1024];

	pd_start(&pd, rules, &pc);
	imap_limits_default(&lim);
	ATF_REQUIRE(imap_session_init(&s, &lim) == 0);
	ATF_REQUIRE(imap_enforce_init(&pol, &pc, 1000, &ws, 65536) == 0);
	buf_init(&out, 1 << 20);
	server_feed(&s, &pol, "* OK hi\r\n"
	    "* ENABLED CONDSTORE QRESYNC\r\n"
	    "* ENABLED QRESYNC\r\n", &out);
	(void)snprintf(got, sizeof(got), "%.*s", (int)buf_len(&out),
	    (const char *)buf_data(&out));
	ATF_CHECK_STREQ(got, "* OK hi\r\n"
	    "* ENABLED QRESYNC\r\n"
	    "* ENABLED QRESYNC\r\n");
	ATF_CHECK(imap_enforce_cap_keep(&pol, &(struct imap_token){
	    .p = (const uint8_t *)"COMPRESS=DEFLATE", .len = 16,
	    .type = IMAP_TOK_ATOM }) == 0);
	ATF_CHECK(imap_enforce_cap_keep(&pol, &(struct imap_token){
	    .p = (const uint8_t *)"STARTTLS", .len = 8,
	    .type = IMAP_TOK_ATOM }) == 0);
	ATF_CHECK(imap_enforce_cap_keep(&pol, &(struct imap_token){
	    .p = (const uint8_t *)"IDLE", .len = 4,
	    .type = IMAP_TOK_ATOM }) == 1);
	buf_free(&out);
	imap_enforce_free(&pol);
	imap_session_free(&s);
	pd_stop(&pd, &pc);
}


/*
 * Long arguments, as real clients send them: a UID set of 20 KB, an ID
 * of 30 KB, a SEARCH of 60 KB.  Globs look at their start, their end
 * and their middle, and answer as on a short argument.
 */
static const char rules_long[] =
    "imap request FETCH reject \"tail\" if arg 1 ~ \"*,7999\"\n"
    "imap request FETCH reject \"head\" if arg 1 ~ \"2,4,*\"\n"
    "imap request ID reject \"agent\" if arg 1 ~ \"*\\\"x-agent\\\" \\\"Bad*\"\n"
    "imap request SEARCH reject \"end\" if arg 2 ~ \"*:99999\"\n"
    "imap request SEARCH reject \"255th\" if arg 255 ~ \"x*\"\n"
    "imap request * accept\n";

/* "from,from+2,...,to": the UID set of the issue is 1 to 7999. */
static char *
uidset(unsigned from, unsigned to)
{
	char	*s;
	size_t	 n = 0, cap = 8 * (size_t)(to - from + 2);
	unsigned u;

	ATF_REQUIRE((s = malloc(cap)) != NULL);
	s[0] = '\0';
	for (u = from; u <= to; u += 2)
		n += (size_t)snprintf(s + n, cap - n, "%s%u", n > 0 ? "," :
		    "", u);
	return s;
}

/* The config of a worker with that limit line, as the master makes it. */
static size_t
chan_max(uint32_t line)
{
	struct worker_config	 wc;

	memset(&wc, 0, sizeof(wc));
	wc.max_line = line;
	wc.max_args = 1024;
	wc.max_pop3_line = 8192;
	return policy_query_max(&wc);
}

static enum rules_action
ask_long(struct verdict_session *vs, const char *key, struct rules_arg *a,
    size_t n)
{
	struct verdict	 v;

	ask(vs, RULES_REQUEST, key, NULL, a, n, &v);
	ATF_CHECK(!v.cached);
	return v.action;
}

ATF_TC(long_args);
ATF_TC_HEAD(long_args, tc)
{
	atf_tc_set_md_var(tc, "descr", "arguments of 20, 30 and 60 KB get "
	    "the verdict of the real policyd, globs at their end included, "
	    "on a channel made for the default limit line");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(long_args, tc)
{
	static struct verdict_session	 vs;
	static struct rules_arg		 many[400];
	struct policy_client		 pc;
	struct pd			 pd;
	struct rules_arg		 a[2];
	char				*set, *id, *big;
	size_t				 n, i;

	pd_start_max(&pd, rules_long, &pc, chan_max(64 * 1024));
	ATF_REQUIRE(pc.ch.maxbody > 64 * 1024);
	ATF_REQUIRE(verdict_init(&vs, &pc, 5000, RULES_IMAP, &ws) == 0);

	/* About 20 KB: "1,3,...,7999" ends in the tail glob. */
	set = uidset(1, 7999);
	ATF_REQUIRE(strlen(set) > MSG_BODY_DEFAULT);
	a[0].s = set;
	a[0].len = strlen(set);
	a[1].s = "(FLAGS)";
	a[1].len = 7;
	ATF_CHECK_EQ(ask_long(&vs, "FETCH", a, 2), RULES_REJECT);
	ATF_CHECK_STREQ(vs.ans->text, "tail");
	/* Cut before the end: the tail no longer matches. */
	a[0].len = strlen(set) - 5;
	ATF_CHECK_EQ(ask_long(&vs, "FETCH", a, 2), RULES_ACCEPT);
	free(set);
	set = uidset(2, 8800);
	a[0].s = set;
	a[0].len = strlen(set);
	ATF_REQUIRE(a[0].len > 20 * 1024);
	ATF_CHECK_EQ(ask_long(&vs, "FETCH", a, 2), RULES_REJECT);
	ATF_CHECK_STREQ(vs.ans->text, "head");
	free(set);

	/* 30 KB of ID pairs; the pair the glob looks for is the last. */
	ATF_REQUIRE((id = malloc(32 * 1024)) != NULL);
	n = (size_t)snprintf(id, 32 * 1024, "(");
	for (i = 0; n < 30 * 1024; i++)
		n += (size_t)snprintf(id + n, 32 * 1024 - n,
		    "\"x-k%zu\" \"%0200zu\" ", i, i);
	(void)snprintf(id + n, 32 * 1024 - n, "\"x-agent\" \"Bad 1.0\")");
	a[0].s = id;
	a[0].len = strlen(id);
	ATF_REQUIRE(a[0].len > 30 * 1024);
	ATF_CHECK_EQ(ask_long(&vs, "ID", a, 1), RULES_REJECT);
	ATF_CHECK_STREQ(vs.ans->text, "agent");
	memcpy(strstr(id, "\"Bad"), "\"Good", 5);
	ATF_CHECK_EQ(ask_long(&vs, "ID", a, 1), RULES_ACCEPT);
	free(id);

	/* 60 KB in one argument, the glob on its last bytes. */
	ATF_REQUIRE((big = malloc(61 * 1024)) != NULL);
	memset(big, '7', 60 * 1024);
	memcpy(big, "1:", 2);
	memcpy(big + 60 * 1024 - 6, ":99999", 6);
	a[0].s = "UID";
	a[0].len = 3;
	a[1].s = big;
	a[1].len = 60 * 1024;
	ATF_CHECK_EQ(ask_long(&vs, "SEARCH", a, 2), RULES_REJECT);
	ATF_CHECK_STREQ(vs.ans->text, "end");
	big[60 * 1024 - 1] = '8';
	ATF_CHECK_EQ(ask_long(&vs, "SEARCH", a, 2), RULES_ACCEPT);

	/*
	 * 400 arguments, 60 KB together: the first POLICY_ARGS_MAX are
	 * sent, the 255th (the last a rule can name) among them.
	 */
	for (i = 0; i < 400; i++) {
		many[i].s = big;
		many[i].len = 150;
	}
	many[1].s = "1:99999";
	many[1].len = 7;
	ATF_CHECK_EQ(ask_long(&vs, "SEARCH", many, 400), RULES_REJECT);
	ATF_CHECK_STREQ(vs.ans->text, "end");
	many[1].len = 6;
	ATF_CHECK_EQ(ask_long(&vs, "SEARCH", many, 400), RULES_ACCEPT);
	many[254].s = "xyz";
	many[254].len = 3;
	ATF_CHECK_EQ(ask_long(&vs, "SEARCH", many, 400), RULES_REJECT);
	ATF_CHECK_STREQ(vs.ans->text, "255th");
	free(big);
	ATF_CHECK_EQ(vs.failed, 0);
	verdict_free(&vs);
	pd_stop(&pd, &pc);
}

ATF_TC(largest_line);
ATF_TC_HEAD(largest_line, tc)
{
	atf_tc_set_md_var(tc, "descr", "the largest limit line posternd "
	    "takes gives a channel that carries a query with an argument "
	    "of that size, and the glob on its end holds");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(largest_line, tc)
{
	static struct verdict_session	 vs;
	struct policy_client		 pc;
	struct pd			 pd;
	struct rules_arg		 a[2];
	struct worker_config		 wc;
	char				*big;
	size_t				 len = WORKER_LINE_MAX - 64;

	memset(&wc, 0, sizeof(wc));
	wc.max_line = WORKER_LINE_MAX;
	wc.max_args = WORKER_ARGS_MAX;
	wc.max_pop3_line = WORKER_POP3_LINE_MAX;
	ATF_REQUIRE(policy_query_max(&wc) <= MSG_BODY_MAX);
	pd_start_max(&pd, rules_long, &pc, policy_query_max(&wc));
	ATF_REQUIRE_EQ(pc.ch.maxbody, policy_query_max(&wc));
	ATF_REQUIRE(verdict_init(&vs, &pc, 10000, RULES_IMAP, &ws) == 0);
	ATF_REQUIRE((big = malloc(len)) != NULL);
	memset(big, '7', len);
	memcpy(big + len - 6, ":99999", 6);
	a[0].s = "UID";
	a[0].len = 3;
	a[1].s = big;
	a[1].len = len;
	ATF_CHECK_EQ(ask_long(&vs, "SEARCH", a, 2), RULES_REJECT);
	ATF_CHECK_STREQ(vs.ans->text, "end");
	/* And a short one after it, on the same channel. */
	a[1].len = 5;
	ATF_CHECK_EQ(ask_long(&vs, "SEARCH", a, 2), RULES_ACCEPT);
	free(big);
	verdict_free(&vs);
	pd_stop(&pd, &pc);
}

ATF_TC(over_channel);
ATF_TC_HEAD(over_channel, tc)
{
	atf_tc_set_md_var(tc, "descr", "a query over the channel's limit "
	    "fails closed at the worker, and the channel still serves");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(over_channel, tc)
{
	static struct verdict_session	 vs;
	struct policy_client		 pc;
	struct pd			 pd;
	struct verdict_q		 q = { .table = RULES_REQUEST,
					    .key = "SEARCH" };
	struct verdict			 v;
	struct rules_arg		 a;
	char				*big;

	pd_start(&pd, rules_long, &pc);
	ATF_REQUIRE(verdict_init(&vs, &pc, 5000, RULES_IMAP, &ws) == 0);
	ATF_REQUIRE((big = calloc(1, 20 * 1024)) != NULL);
	memset(big, 'a', 20 * 1024);
	a.s = big;
	a.len = 20 * 1024;
	q.args = &a;
	q.nargs = 1;
	errno = 0;
	ATF_CHECK_EQ(verdict_ask(&vs, &q, &v), -1);
	ATF_CHECK_EQ(errno, EMSGSIZE);
	a.len = 10;
	ATF_CHECK_EQ(ask_long(&vs, "SEARCH", &a, 1), RULES_ACCEPT);
	free(big);
	verdict_free(&vs);
	pd_stop(&pd, &pc);
}


ATF_TC(pop3_long);
ATF_TC_HEAD(pop3_long, tc)
{
	atf_tc_set_md_var(tc, "descr", "a POP3 worker's channel follows "
	    "limit pop3-line: an argument of nearly 1 MiB gets its verdict");
	atf_tc_set_md_var(tc, "require.user", "root");
}
ATF_TC_BODY(pop3_long, tc)
{
	static const char		 rules[] =
	    "pop3 request XTND reject \"-ERR long\" if arg 1 ~ \"*z\"\n"
	    "pop3 request * accept\n";
	static struct verdict_session	 vs;
	struct policy_client		 pc;
	struct pd			 pd;
	struct worker_config		 wc;
	struct rules_arg		 a;
	char				*big;
	size_t				 len = WORKER_POP3_LINE_MAX - 16;

	memset(&wc, 0, sizeof(wc));
	wc.max_line = 64 * 1024;
	wc.max_args = 1024;
	wc.max_pop3_line = WORKER_POP3_LINE_MAX;
	pd_start_max(&pd, rules, &pc, policy_query_max(&wc));
	ATF_REQUIRE(verdict_init(&vs, &pc, 5000, RULES_POP3, &ws) == 0);
	ATF_REQUIRE((big = malloc(len)) != NULL);
	memset(big, 'y', len);
	big[len - 1] = 'z';
	a.s = big;
	a.len = len;
	ATF_CHECK_EQ(ask_long(&vs, "XTND", &a, 1), RULES_REJECT);
	ATF_CHECK_STREQ(vs.ans->text, "-ERR long");
	big[len - 1] = 'y';
	ATF_CHECK_EQ(ask_long(&vs, "XTND", &a, 1), RULES_ACCEPT);
	free(big);
	verdict_free(&vs);
	pd_stop(&pd, &pc);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, pop3_long);
	ATF_TP_ADD_TC(tp, long_args);
	ATF_TP_ADD_TC(tp, prefetch);
	ATF_TP_ADD_TC(tp, largest_line);
	ATF_TP_ADD_TC(tp, over_channel);
	ATF_TP_ADD_TC(tp, enabled_filtered);
	ATF_TP_ADD_TC(tp, list_literal);
	ATF_TP_ADD_TC(tp, cache_hits);
	ATF_TP_ADD_TC(tp, cache_grows);
	ATF_TP_ADD_TC(tp, cache_context);
	ATF_TP_ADD_TC(tp, cache_generation);
	ATF_TP_ADD_TC(tp, fail_closed);
	return atf_no_error();
}
