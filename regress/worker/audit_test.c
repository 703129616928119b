/*
 * The audit writer (worker/audit.c) and the verifier (shared/
 * audit_verify.c) together: this process plays the master (keys,
 * anchors from the channel) and the worker (records), then breaks the
 * log every way it can be broken and checks that the verifier names
 * the line where it happened.  Last, the writer under the worker's
 * real seccomp filter.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <sodium.h>

#include "audit.h"
#include "audit_chain.h"
#include "audit_store.h"
#include "audit_verify.h"
#include "msg.h"
#include "policy_client.h"
#include "proto_worker.h"
#include "sandbox.h"
#include "sandbox_worker.h"

#define MAXLINES	256

static char		 keydir[] = "keys";
static struct msgchan	 wchan, mchan;	/* the worker's end, the master's */

static char		*lines[MAXLINES];
static size_t		 nlines;

static void
fixture(void)
{
	int	 sp[2];

	ATF_REQUIRE(sodium_init() != -1);
	ATF_REQUIRE(mkdir(keydir, 0700) == 0 || errno == EEXIST);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	msgchan_init(&wchan, sp[0], MSGCHAN_FDS, 0);
	msgchan_init(&mchan, sp[1], MSGCHAN_FDS, 0);
	ATF_REQUIRE_EQ(audit_init(&wchan, 3), 0);
}

/* What posternd does with the worker's anchors. */
static void
master_anchors(void)
{
	struct worker_audit_anchor	 m;
	struct audit_anchor		 an;
	struct msg			 msg;

	ATF_REQUIRE_EQ(msg_flush(&wchan), 0);
	(void)msg_read(&mchan);
	while (msg_get(&mchan, &msg) == 1) {
		ATF_REQUIRE_EQ(msg.hdr.type, MSG_W_AUDIT_ANCHOR);
		ATF_REQUIRE_EQ(msg.len, sizeof(m));
		memcpy(&m, msg.body, sizeof(m));
		ATF_REQUIRE_EQ(audit_anchor_read(keydir, m.seg, &an), 0);
		ATF_REQUIRE(m.records >= an.records);
		an.records = m.records;
		memcpy(an.mac, m.mac, sizeof(an.mac));
		ATF_REQUIRE_EQ(audit_anchor_write(keydir, m.seg, &an), 0);
	}
}

/* A new segment of path, as posternd begins one; prev NULL: a new file. */
static void
segment(const char *path, const char *seg, const char *prev, int rotate)
{
	struct worker_audit	 wa;
	struct audit_anchor	 an;
	int			 fd;

	memset(&wa, 0, sizeof(wa));
	randombytes_buf(wa.key, sizeof(wa.key));
	snprintf(wa.seg, sizeof(wa.seg), "%s", seg);
	snprintf(wa.prev, sizeof(wa.prev), "%s", prev ? prev : "");
	snprintf(wa.log, sizeof(wa.log), "%s", path);
	wa.rotate = rotate;
	ATF_REQUIRE_EQ(audit_key_write(keydir, seg, wa.key), 0);
	memset(&an, 0, sizeof(an));
	ATF_REQUIRE_EQ(audit_anchor_write(keydir, seg, &an), 0);
	if (prev != NULL) {
		ATF_REQUIRE_EQ(audit_anchor_read(keydir, prev, &an), 0);
		memcpy(an.next, seg, sizeof(an.next));
		ATF_REQUIRE_EQ(audit_anchor_write(keydir, prev, &an), 0);
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE_EQ(audit_open_segment(fd, &wa, 3), 0);
	sodium_memzero(&wa, sizeof(wa));
	master_anchors();
}

/* One session's records: 6 of them, with text a client chose. */
static void
session(uint64_t id)
{
	struct worker_session		 s;
	struct worker_session_end	 e;
	struct policy_answer		 ans;
	static const char		 what[] = "a1 SELECT \"x\\\"\r\n\"}{";

	memset(&s, 0, sizeof(s));
	s.id = id;
	s.client_port = 40000;
	s.upstream_port = 143;
	strcpy(s.listener, "imap");
	strcpy(s.client_addr, "192.0.2.1");
	strcpy(s.upstream_addr, "127.0.0.1");
	memset(&ans, 0, sizeof(ans));
	ans.gen = 4;
	ans.action = RULES_ACCEPT;
	ans.line = 12;
	ans.file = "/etc/postern.rules";
	audit_session(&s);
	audit_connect();
	audit_set_user("bob\"\n");
	audit_verdict("request", "SELECT", what, sizeof(what) - 1, &ans, 0);
	audit_state("authenticated", "selected");
	audit_verdict("request", "FETCH", NULL, 0, NULL, 1);
	memset(&e, 0, sizeof(e));
	e.id = id;
	e.client_in = 100;
	e.client_out = 2000;
	audit_disconnect(audit_end_reason(WORKER_END_LOGOUT), &e);
	audit_flush();
	audit_anchor();
}

static void
load(const char *path)
{
	FILE	*fp;
	char	*l = NULL;
	size_t	 sz = 0;

	while (nlines > 0)
		free(lines[--nlines]);
	ATF_REQUIRE((fp = fopen(path, "r")) != NULL);
	while (getline(&l, &sz, fp) != -1) {
		ATF_REQUIRE(nlines < MAXLINES);
		lines[nlines++] = strdup(l);
	}
	free(l);
	fclose(fp);
}

/* The lines in order (index list, -1 ends), as a file; NULL: all of them. */
static void
store(const char *path, const int *order, const char *extra, size_t at)
{
	FILE	*fp;
	size_t	 i;

	ATF_REQUIRE((fp = fopen(path, "w")) != NULL);
	for (i = 0; order != NULL ? order[i] != -1 : i < nlines; i++) {
		if (extra != NULL && i == at)
			fputs(extra, fp);
		fputs(lines[order != NULL ? (size_t)order[i] : i], fp);
	}
	if (extra != NULL && i == at)
		fputs(extra, fp);
	fclose(fp);
}

/* NULL when good; else the verifier's message. */
static const char *
verify(const char *path, uint64_t *records)
{
	static struct audit_verify	 v;
	FILE				*fp;
	char				*l = NULL;
	size_t				 sz = 0;
	ssize_t				 n;
	int				 rc = 0;

	audit_verify_init(&v, keydir);
	ATF_REQUIRE((fp = fopen(path, "r")) != NULL);
	while (rc == 0 && (n = getline(&l, &sz, fp)) != -1)
		rc = audit_verify_line(&v, l, (size_t)n - (l[n - 1] == '\n'));
	free(l);
	fclose(fp);
	if (rc == 0)
		rc = audit_verify_end(&v, NULL);
	if (records != NULL)
		*records = v.records;
	return rc == 0 ? NULL : v.error;
}

/* It fails, and says so of line (1-based). */
static void
fails_at(const char *path, size_t line, const char *why)
{
	const char	*err = verify(path, NULL);
	char		 want[32];

	snprintf(want, sizeof(want), "line %zu:", line);
	ATF_REQUIRE_MSG(err != NULL, "%s: verify passed", why);
	ATF_REQUIRE_MSG(strncmp(err, want, strlen(want)) == 0,
	    "%s: wanted %s, got %s", why, want, err);
}

static void
three_sessions(void)
{
	fixture();
	segment("w.log", "00000000000000a1", NULL, 0);
	session(1);
	session(2);
	session(3);
	master_anchors();
	load("w.log");
}

ATF_TC_WITHOUT_HEAD(untouched);
ATF_TC_BODY(untouched, tc)
{
	uint64_t	 n;

	three_sessions();
	ATF_REQUIRE_EQ(nlines, 1 + 3 * 6);
	ATF_REQUIRE_EQ_MSG(verify("w.log", &n), NULL, "%s",
	    verify("w.log", NULL));
	ATF_REQUIRE_EQ(n, nlines);
	/* Newlines and quotes from the client stayed inside their fields. */
	ATF_REQUIRE(strstr(lines[3], "\"what\":\"a1 SELECT \\\"x\\\\\\\""
	    "\\u000d\\u000a\\\"}{\"") != NULL);
	ATF_REQUIRE(strstr(lines[3], "\"rule\":\"/etc/postern.rules:12\","
	    "\"generation\":4") != NULL);
}

/* The longest, most escaped field still makes one whole record. */
ATF_TC_WITHOUT_HEAD(long_fields);
ATF_TC_BODY(long_fields, tc)
{
	struct worker_session	 s;
	char			 big[5000], user[600];

	fixture();
	segment("w.log", "00000000000000a1", NULL, 0);
	memset(&s, 0, sizeof(s));
	memset(big, 0xff, sizeof(big));
	memset(user, '"', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	audit_session(&s);
	audit_set_user(user);
	audit_verdict("request", big + 4000, big, sizeof(big), NULL, 0);
	audit_flush();
	audit_anchor();
	master_anchors();
	load("w.log");
	ATF_REQUIRE_EQ(nlines, 3);
	ATF_REQUIRE(strlen(lines[2]) <= AUDIT_LINE_MAX);
	ATF_REQUIRE(strstr(lines[2], "\"what_cut\":true") != NULL);
	ATF_REQUIRE(strstr(lines[2], "\"action\":\"none\"") != NULL);
	ATF_REQUIRE_EQ(verify("w.log", NULL), NULL);
}

/* A long session is anchored before its end, every 64 records. */
ATF_TC_WITHOUT_HEAD(long_session);
ATF_TC_BODY(long_session, tc)
{
	struct worker_session	 s;
	struct audit_anchor	 an;
	int			 i;

	fixture();
	segment("w.log", "00000000000000a1", NULL, 0);
	memset(&s, 0, sizeof(s));
	audit_session(&s);
	for (i = 0; i < 100; i++) {
		audit_state("selected", "selected");
		audit_flush();
	}
	master_anchors();
	ATF_REQUIRE_EQ(audit_anchor_read(keydir, "00000000000000a1", &an), 0);
	ATF_REQUIRE_EQ(an.records, 65);
	load("w.log");
	ATF_REQUIRE_EQ(nlines, 101);
	/* Cut back to 64 records: fewer than the anchor says. */
	nlines = 64;
	store("t.log", NULL, NULL, 0);
	fails_at("t.log", 65, "cut in a long session");
}

/* Every byte of every record, flipped in turn. */
ATF_TC_WITHOUT_HEAD(changed_byte);
ATF_TC_BODY(changed_byte, tc)
{
	size_t	 i, j, len;
	char	 why[64];

	three_sessions();
	for (i = 0; i < nlines; i++) {
		len = strlen(lines[i]) - 1;
		for (j = 0; j < len; j++) {
			lines[i][j] ^= 0x01;
			store("t.log", NULL, NULL, 0);
			snprintf(why, sizeof(why), "byte %zu of line %zu", j,
			    i + 1);
			fails_at("t.log", i + 1, why);
			lines[i][j] ^= 0x01;
		}
	}
}

ATF_TC_WITHOUT_HEAD(removed);
ATF_TC_BODY(removed, tc)
{
	int	 order[MAXLINES];
	size_t	 i, j, k;

	three_sessions();
	for (i = 0; i < nlines; i++) {
		for (j = k = 0; j < nlines; j++)
			if (j != i)
				order[k++] = (int)j;
		order[k] = -1;
		store("t.log", order, NULL, 0);
		/* The line after it, or where it was, at the end. */
		fails_at("t.log", i + 1, "removed");
	}
}

ATF_TC_WITHOUT_HEAD(swapped);
ATF_TC_BODY(swapped, tc)
{
	int	 order[MAXLINES];
	size_t	 i, j;

	three_sessions();
	for (i = 0; i + 1 < nlines; i++) {
		for (j = 0; j < nlines; j++)
			order[j] = (int)j;
		order[i] = (int)i + 1;
		order[i + 1] = (int)i;
		order[nlines] = -1;
		store("t.log", order, NULL, 0);
		fails_at("t.log", i + 1, "swapped");
	}
}

/* A copy of a record, and a record made with a key of one's own. */
ATF_TC_WITHOUT_HEAD(inserted);
ATF_TC_BODY(inserted, tc)
{
	uint8_t			 key[AUDIT_KEY_LEN];
	struct audit_line	 l;
	char			 forged[AUDIT_LINE_MAX];
	size_t			 i, n;

	three_sessions();
	for (i = 0; i < nlines; i++) {
		store("t.log", NULL, lines[i], i + 1);
		fails_at("t.log", i + 2, "copy inserted");
	}
	/* Record 5 again, as whoever has no key would make it. */
	randombytes_buf(key, sizeof(key));
	ATF_REQUIRE_EQ(audit_line_parse(lines[5], strlen(lines[5]) - 1, &l),
	    0);
	memcpy(forged, lines[5], l.bodylen);
	n = audit_seal(key, forged, l.bodylen, NULL);
	forged[n++] = '\n';
	forged[n] = '\0';
	store("t.log", NULL, forged, 5);
	fails_at("t.log", 6, "forged inserted");
	/* Instead of the real record 5. */
	free(lines[5]);
	lines[5] = strdup(forged);
	store("t.log", NULL, NULL, 0);
	fails_at("t.log", 6, "forged instead");
}

/* Cut at every record boundary: the anchor says how long it was. */
ATF_TC_WITHOUT_HEAD(truncated);
ATF_TC_BODY(truncated, tc)
{
	int	 order[MAXLINES];
	size_t	 i, k;
	FILE	*fp;

	three_sessions();
	for (k = 0; k < nlines; k++) {
		for (i = 0; i < k; i++)
			order[i] = (int)i;
		order[k] = -1;
		store("t.log", order, NULL, 0);
		if (k == 0) {
			/* An empty file has no record to say which it is. */
			ATF_REQUIRE_EQ(verify("t.log", NULL), NULL);
			continue;
		}
		fails_at("t.log", k + 1, "truncated");
	}
	/* Inside a record. */
	store("t.log", NULL, NULL, 0);
	ATF_REQUIRE(truncate("t.log", 500) == 0);
	ATF_REQUIRE((fp = fopen("t.log", "r")) != NULL);
	fclose(fp);
	fails_at("t.log", 2, "cut inside a record");
}

/*
 * A replaced worker: a second segment in the same file, chained to the
 * first by prev and by the first one's anchor.
 */
ATF_TC_WITHOUT_HEAD(segments);
ATF_TC_BODY(segments, tc)
{
	int	 order[MAXLINES];
	size_t	 i, k, first;
	uint64_t n;

	fixture();
	segment("w.log", "00000000000000a1", NULL, 0);
	session(1);
	master_anchors();
	segment("w.log", "00000000000000b2", "00000000000000a1", 0);
	session(2);
	master_anchors();
	load("w.log");
	first = 1 + 6;
	ATF_REQUIRE_EQ(nlines, 2 * first);
	ATF_REQUIRE_EQ(verify("w.log", &n), NULL);
	ATF_REQUIRE_EQ(n, nlines);
	/* Without the second segment. */
	for (i = 0; i < first; i++)
		order[i] = (int)i;
	order[first] = -1;
	store("t.log", order, NULL, 0);
	fails_at("t.log", first + 1, "second segment removed");
	/* Without the first. */
	for (i = first, k = 0; i < nlines; i++)
		order[k++] = (int)i;
	order[k] = -1;
	store("t.log", order, NULL, 0);
	fails_at("t.log", 1, "first segment removed");
	/* The two swapped. */
	for (i = 0; i < nlines; i++)
		order[i] = (int)((i + first) % nlines);
	order[nlines] = -1;
	store("t.log", order, NULL, 0);
	fails_at("t.log", 1, "segments swapped");
}

/* Rotation into a new file: each file verifies on its own. */
ATF_TC_WITHOUT_HEAD(rotated);
ATF_TC_BODY(rotated, tc)
{
	fixture();
	segment("w.log", "00000000000000a1", NULL, 0);
	session(1);
	master_anchors();
	ATF_REQUIRE(rename("w.log", "w.log.1") == 0);
	segment("w.log", "00000000000000b2", NULL, 1);
	session(2);
	master_anchors();
	ATF_REQUIRE_EQ(verify("w.log.1", NULL), NULL);
	ATF_REQUIRE_EQ(verify("w.log", NULL), NULL);
	load("w.log");
	ATF_REQUIRE(strstr(lines[0], "\"event\":\"rotate\"") != NULL);
	/* A segment with no key is not believed. */
	ATF_REQUIRE(unlink("keys/00000000000000b2.key") == 0);
	fails_at("w.log", 1, "no key");
}

/*
 * Under the worker's filter the writer works as it does here, and the
 * descriptor cannot be truncated: ftruncate kills.  cut: the one to try,
 * or -1.
 */
static pid_t
filtered(int cut)
{
	pid_t	 pid;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid != 0)
		return pid;
	if (sandbox_load_list(&worker_filter, 0) == -1)
		_exit(3);
	session(1);
	if (msg_flush(&wchan) != 0)
		_exit(4);
	if (cut != -1)
		(void)!ftruncate(cut, 0);
	_exit(0);
}

ATF_TC_WITHOUT_HEAD(under_filter);
ATF_TC_BODY(under_filter, tc)
{
	int	 status, fd;
	pid_t	 pid;

	fixture();
	segment("w.log", "00000000000000a1", NULL, 0);
	ATF_REQUIRE((fd = open("w.log", O_WRONLY | O_APPEND)) != -1);
	pid = filtered(-1);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x", status);
	master_anchors();
	ATF_REQUIRE_EQ(verify("w.log", NULL), NULL);
	pid = filtered(fd);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "status %#x", status);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, untouched);
	ATF_TP_ADD_TC(tp, long_fields);
	ATF_TP_ADD_TC(tp, long_session);
	ATF_TP_ADD_TC(tp, changed_byte);
	ATF_TP_ADD_TC(tp, removed);
	ATF_TP_ADD_TC(tp, swapped);
	ATF_TP_ADD_TC(tp, inserted);
	ATF_TP_ADD_TC(tp, truncated);
	ATF_TP_ADD_TC(tp, segments);
	ATF_TP_ADD_TC(tp, rotated);
	ATF_TP_ADD_TC(tp, under_filter);
	return atf_no_error();
}
