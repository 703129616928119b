/*
 * The matcher of postern.rules(5) (rules_match.c): the verdict a query
 * gets from a compiled blob in every table -- actions, the first rule
 * that holds, the "*" key and the defaults, each condition (client CIDR,
 * globs, ID fields, JA4), routes, what is cacheable -- and the
 * expansion of a rewrite's $n.  The tests of a feature (apop, route,
 * id and ja4) also hold its compile errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "rules.h"
#include "rules_harness.h"

ATF_TC_WITHOUT_HEAD(request_actions);
ATF_TC_BODY(request_actions, tc)
{
	struct rules_verdict	 v;

	compile_ok(
	    "imap request A accept\n"
	    "imap request B reject\n"
	    "imap request C reject \"no [X]\"\n"
	    "imap request D drop\n"
	    "imap request E abort\n"
	    "imap request F rewrite \"EXAMINE $1\"\n"
	    "imap request G respond \"OK done\" untagged \"ONE 1\" "
	    "untagged \"TWO\"\n"
	    "pop3 request CAPA accept-multiline\n"
	    "pop3 request USER reject \"-ERR Use APOP\"\n");
	v = req("A");
	CHECK_V(v, RULES_ACCEPT, 1);
	ATF_CHECK(v.text == NULL);
	ATF_CHECK_STREQ(v.file, "t.rules");
	ATF_CHECK_EQ(v.col, 1);
	v = req("B");
	CHECK_V(v, RULES_REJECT, 2);
	ATF_CHECK(v.text == NULL);
	v = req("C");
	CHECK_V(v, RULES_REJECT, 3);
	ATF_CHECK_STREQ(v.text, "no [X]");
	CHECK_V(req("D"), RULES_DROP, 4);
	CHECK_V(req("E"), RULES_ABORT, 5);
	v = req("F");
	CHECK_V(v, RULES_REWRITE, 6);
	ATF_CHECK_STREQ(v.text, "EXAMINE $1");
	v = req("G");
	CHECK_V(v, RULES_RESPOND, 7);
	ATF_CHECK_STREQ(v.text, "OK done");
	ATF_REQUIRE_EQ(v.nuntagged, 2);
	ATF_CHECK_STREQ(rules_untagged(&v, 0), "ONE 1");
	ATF_CHECK_STREQ(rules_untagged(&v, 1), "TWO");
	ATF_CHECK(rules_untagged(&v, 2) == NULL);
	{
		struct rules_query q = query(RULES_POP3, RULES_REQUEST, "capa");

		v = match(&q);
		CHECK_V(v, RULES_ACCEPT_MULTILINE, 8);
		q.key = "USER";
		v = match(&q);
		CHECK_V(v, RULES_REJECT, 9);
		ATF_CHECK_STREQ(v.text, "-ERR Use APOP");
		/* the imap table is another table */
		q.key = "A";
		CHECK_V(match(&q), RULES_REJECT, 0);
	}
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(first_match_and_fallback);
ATF_TC_BODY(first_match_and_fallback, tc)
{
	struct rules_query	 q;

	compile_ok(
	    "imap request LOGIN reject \"[PRIVACYREQUIRED] TLS\" unless tls\n"
	    "imap request LOGIN drop if tls\n"
	    "imap request LOGIN abort\n"
	    "imap request DELETE drop if user \"x\"\n"
	    "imap request * reject \"star\" if state selected\n"
	    "imap request * accept if tls\n");
	q = query(RULES_IMAP, RULES_REQUEST, "LOGIN");
	CHECK_V(match(&q), RULES_REJECT, 1);
	q.tls = 1;
	CHECK_V(match(&q), RULES_DROP, 2);	/* first that holds */
	/* no rule of DELETE holds: the "*" rules, in order */
	q.key = "delete";
	CHECK_V(match(&q), RULES_ACCEPT, 6);
	q.state = RULES_ST_SELECTED;
	CHECK_V(match(&q), RULES_REJECT, 5);
	/* no rule for the key at all */
	q.key = "NOOP";
	CHECK_V(match(&q), RULES_REJECT, 5);
	/* nothing holds in "*" either: reject, the default */
	q.tls = 0;
	q.state = RULES_ST_AUTHENTICATED;
	CHECK_V(match(&q), RULES_REJECT, 0);
	ATF_CHECK(match(&q).text == NULL);
	q.key = NULL;
	CHECK_V(match(&q), RULES_REJECT, 0);
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(defaults);
ATF_TC_BODY(defaults, tc)
{
	struct rules_query	 q;

	compile_ok("# nothing but a comment\n\n");
	q = query(RULES_IMAP, RULES_REQUEST, "LOGIN");
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.table = RULES_RESPONSE;
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.table = RULES_CAPABILITY;
	CHECK_V(match(&q), RULES_DROP, 0);
	q.table = RULES_LIST;
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	/* No connect rule: the listener's mode (accept, line 0). */
	q.table = RULES_CONNECT;
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	q.table = 9;
	{
		struct rules_verdict	 v;

		ATF_CHECK_EQ(rules_match(B.data, &q, &v), -1);
	}
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(conditions);
ATF_TC_BODY(conditions, tc)
{
	struct rules_query	 q;
	struct rules_arg	 args[2] = { { "INBOX", 5 }, { NULL, 100 } };

	compile_ok(
	    "imap request T accept if tls\n"
	    "imap request S accept if state authenticated\n"
	    "imap request S drop if state not-authenticated\n"
	    "imap request S abort if state logout\n"
	    "imap request U accept if user \"guest*\"\n"
	    "imap request L accept if listener imaps\n"
	    "imap request P accept if port 993\n"
	    "imap request A accept if arg 1 ~ INBOX\n"
	    "imap request A drop if arg 2 ~ *\n"
	    "imap request M accept if mailbox \"Arch*\"\n"
	    "imap request C accept if client 10.0.0.0/8\n"
	    "pop3 request S accept if state transaction\n"
	    "pop3 request S drop if state authorization\n");
	q = query(RULES_IMAP, RULES_REQUEST, "T");
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.tls = 1;
	CHECK_V(match(&q), RULES_ACCEPT, 1);
	q.key = "S";
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.state = RULES_ST_AUTHENTICATED;
	CHECK_V(match(&q), RULES_ACCEPT, 2);
	q.state = RULES_ST_NOT_AUTHENTICATED;
	CHECK_V(match(&q), RULES_DROP, 3);
	q.state = RULES_ST_LOGOUT;
	CHECK_V(match(&q), RULES_ABORT, 4);
	q.state = RULES_ST_SELECTED;
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.key = "U";
	CHECK_V(match(&q), RULES_REJECT, 0);	/* no user yet */
	q.user = "guest7";
	CHECK_V(match(&q), RULES_ACCEPT, 5);
	q.user = "Guest7";
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.key = "L";
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.listener = "imaps";
	CHECK_V(match(&q), RULES_ACCEPT, 6);
	q.listener = "imaps2";
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.key = "P";
	q.port = 143;
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.port = 993;
	CHECK_V(match(&q), RULES_ACCEPT, 7);
	q.key = "A";
	CHECK_V(match(&q), RULES_REJECT, 0);	/* no arguments */
	q.args = args;
	q.nargs = 1;
	CHECK_V(match(&q), RULES_ACCEPT, 8);
	args[0].len = 4;	/* "INBO": lengths, not NULs, count */
	CHECK_V(match(&q), RULES_REJECT, 0);
	/* a literal is only a length: no glob matches it */
	q.nargs = 2;
	CHECK_V(match(&q), RULES_REJECT, 0);
	args[1].s = "";
	args[1].len = 0;
	CHECK_V(match(&q), RULES_DROP, 9);
	q.key = "M";
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.mailbox = "Archive/2020";
	CHECK_V(match(&q), RULES_ACCEPT, 10);
	q.key = "C";
	CHECK_V(match(&q), RULES_REJECT, 0);	/* no address */
	set_addr(&q, "10.9.8.7");
	CHECK_V(match(&q), RULES_ACCEPT, 11);
	q = query(RULES_POP3, RULES_REQUEST, "S");
	q.state = RULES_ST_TRANSACTION;
	CHECK_V(match(&q), RULES_ACCEPT, 12);
	q.state = RULES_ST_AUTHORIZATION;
	CHECK_V(match(&q), RULES_DROP, 13);
	rules_blob_free(&B);
}

static int
client_ok(const char *cidr, const char *addr)
{
	char			 src[200];
	struct rules_query	 q = query(RULES_IMAP, RULES_REQUEST, "C");

	snprintf(src, sizeof(src), "imap request C accept if client %s\n",
	    cidr);
	compile_ok(src);
	set_addr(&q, addr);
	return match(&q).action == RULES_ACCEPT;
}

ATF_TC_WITHOUT_HEAD(cidr);
ATF_TC_BODY(cidr, tc)
{
	ATF_CHECK(client_ok("0.0.0.0/0", "255.255.255.255"));
	ATF_CHECK(!client_ok("0.0.0.0/0", "::1"));
	ATF_CHECK(client_ok("192.168.1.7", "192.168.1.7"));
	ATF_CHECK(!client_ok("192.168.1.7", "192.168.1.6"));
	ATF_CHECK(client_ok("192.168.1.6/31", "192.168.1.7"));
	ATF_CHECK(!client_ok("192.168.1.6/31", "192.168.1.8"));
	ATF_CHECK(client_ok("10.128.0.0/9", "10.255.1.1"));
	ATF_CHECK(!client_ok("10.128.0.0/9", "10.127.255.255"));
	ATF_CHECK(client_ok("127.0.0.0/8", "127.1.2.3"));
	ATF_CHECK(!client_ok("127.0.0.0/8", "128.0.0.0"));
	/* a v4-mapped v6 client is its v4 address */
	ATF_CHECK(client_ok("127.0.0.0/8", "::ffff:127.0.0.1"));
	ATF_CHECK(!client_ok("127.0.0.0/8", "::127.0.0.1"));
	ATF_CHECK(client_ok("::/0", "::"));
	ATF_CHECK(!client_ok("::/0", "10.0.0.1"));
	ATF_CHECK(client_ok("::1", "::1"));
	ATF_CHECK(!client_ok("::1/128", "::2"));
	ATF_CHECK(client_ok("2001:db8::/32", "2001:db8:ffff::1"));
	ATF_CHECK(!client_ok("2001:db8::/32", "2001:db9::1"));
	ATF_CHECK(client_ok("2001:db8::/127", "2001:db8::1"));
	ATF_CHECK(!client_ok("2001:db8::/127", "2001:db8::2"));
	ATF_CHECK(client_ok("fe80::/10", "febf::1"));
	ATF_CHECK(!client_ok("fe80::/10", "fec0::1"));
	rules_blob_free(&B);
}

static int
glob_ok(const char *pat, const char *s)
{
	char			 src[200];
	struct rules_query	 q = query(RULES_IMAP, RULES_REQUEST, "G");

	snprintf(src, sizeof(src), "imap request G accept if user \"%s\"\n",
	    pat);
	compile_ok(src);
	q.user = s;
	return match(&q).action == RULES_ACCEPT;
}

ATF_TC_WITHOUT_HEAD(glob);
ATF_TC_BODY(glob, tc)
{
	ATF_CHECK(glob_ok("*", ""));
	ATF_CHECK(glob_ok("*", "anything"));
	ATF_CHECK(glob_ok("", ""));
	ATF_CHECK(!glob_ok("", "a"));
	ATF_CHECK(glob_ok("a*", "a"));
	ATF_CHECK(!glob_ok("a*", "ba"));
	ATF_CHECK(glob_ok("*b", "aab"));
	ATF_CHECK(glob_ok("*ab", "aab"));
	ATF_CHECK(!glob_ok("*ab", "aba"));
	ATF_CHECK(glob_ok("a*b*c", "aXbYbZc"));
	ATF_CHECK(!glob_ok("a*b*c", "aXbYbZ"));
	ATF_CHECK(glob_ok("a**", "abc"));
	ATF_CHECK(glob_ok("?", "x"));
	ATF_CHECK(!glob_ok("?", ""));
	ATF_CHECK(!glob_ok("?", "xy"));
	ATF_CHECK(glob_ok("a?c", "abc"));
	ATF_CHECK(!glob_ok("abc", "ABC"));
	ATF_CHECK(!glob_ok("abcd", "abc"));
	ATF_CHECK(!glob_ok("abc", "abcd"));
	/* \\ in the rule file is one backslash: it quotes the next */
	ATF_CHECK(glob_ok("a\\\\*", "a*"));
	ATF_CHECK(!glob_ok("a\\\\*", "ab"));
	ATF_CHECK(glob_ok("\\\\?", "?"));
	ATF_CHECK(!glob_ok("\\\\?", "x"));
	ATF_CHECK(glob_ok("a\\\\", "a\\"));
	ATF_CHECK(glob_ok("Private/*", "Private/x/y"));
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(response_keys);
ATF_TC_BODY(response_keys, tc)
{
	struct rules_query	 q;
	struct rules_verdict	 v;

	compile_ok(
	    "imap response GREETING untagged OK rewrite \"postern ready\"\n"
	    "imap response FETCH tagged OK accept\n"
	    "imap response FETCH all NO drop\n"
	    "imap response FETCH untagged * abort\n"
	    "imap response * untagged ALERT drop\n"
	    "imap response * tagged NO reject \"no\"\n"
	    "imap response * all * accept if tls\n"
	    "pop3 response GREETING +OK rewrite \"+OK hi\"\n"
	    "pop3 response * * accept\n");
	q = query(RULES_IMAP, RULES_RESPONSE, "GREETING");
	q.kind = RULES_UNTAGGED;
	q.name = "ok";
	v = match(&q);
	CHECK_V(v, RULES_REWRITE, 1);
	ATF_CHECK_STREQ(v.text, "postern ready");
	q.kind = RULES_TAGGED;	/* GREETING tagged OK: the "*" keys */
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.tls = 1;
	CHECK_V(match(&q), RULES_ACCEPT, 7);
	q.tls = 0;
	q.key = "FETCH";
	CHECK_V(match(&q), RULES_ACCEPT, 2);
	q.name = "NO";	/* (FETCH, all, NO) holds for tagged */
	CHECK_V(match(&q), RULES_DROP, 3);
	q.kind = RULES_UNTAGGED;
	CHECK_V(match(&q), RULES_DROP, 3);	/* ...and untagged */
	q.name = "EXISTS";	/* (FETCH, untagged, *) */
	CHECK_V(match(&q), RULES_ABORT, 4);
	q.kind = RULES_TAGGED;	/* (*, tagged, *) is none: (*, all, *) */
	CHECK_V(match(&q), RULES_REJECT, 0);
	q.key = "SELECT";
	q.kind = RULES_UNTAGGED;
	q.name = "ALERT";
	CHECK_V(match(&q), RULES_DROP, 5);
	q.kind = RULES_TAGGED;
	q.name = "NO";
	CHECK_V(match(&q), RULES_REJECT, 6);
	/* the command's own key wins over "*"'s more exact name */
	q.key = "FETCH";
	CHECK_V(match(&q), RULES_DROP, 3);
	q.kind = RULES_UNTAGGED;
	/* (FETCH, untagged, *) before (*, untagged, ALERT) */
	q.name = "ALERT";
	CHECK_V(match(&q), RULES_ABORT, 4);
	q = query(RULES_POP3, RULES_RESPONSE, "GREETING");
	q.name = "+ok";
	CHECK_V(match(&q), RULES_REWRITE, 8);
	q.name = "-ERR";
	CHECK_V(match(&q), RULES_ACCEPT, 9);
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(capability_list_connect);
ATF_TC_BODY(capability_list_connect, tc)
{
	struct rules_query	 q;
	struct rules_verdict	 v;

	compile_ok(
	    "imap capability COMPRESS=DEFLATE drop\n"
	    "imap capability IDLE drop if client 10.1.0.0/16\n"
	    "imap capability * accept\n"
	    "imap list hide \"Private/*\" unless user admin\n"
	    "imap list attributes \"\\\\Noselect\" if mailbox Archive\n"
	    "imap connect tls starttls-required unless client 127.0.0.0/8\n"
	    "imap connect tls none\n"
	    "pop3 capability STLS drop\n"
	    "pop3 connect tls implicit if port 995\n"
	    "pop3 connect tls starttls\n");
	q = query(RULES_IMAP, RULES_CAPABILITY, "compress=deflate");
	CHECK_V(match(&q), RULES_DROP, 1);
	q.key = "IDLE";
	CHECK_V(match(&q), RULES_ACCEPT, 3);
	set_addr(&q, "10.1.2.3");
	CHECK_V(match(&q), RULES_DROP, 2);
	q = query(RULES_POP3, RULES_CAPABILITY, "STLS");
	CHECK_V(match(&q), RULES_DROP, 8);
	q.key = "TOP";	/* no "*": dropped by default */
	CHECK_V(match(&q), RULES_DROP, 0);

	q = query(RULES_IMAP, RULES_LIST, NULL);
	q.mailbox = "Private/diary";
	CHECK_V(match(&q), RULES_HIDE, 4);
	ATF_CHECK(!match(&q).cacheable);
	q.user = "admin";
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	q.mailbox = "Archive";
	v = match(&q);
	CHECK_V(v, RULES_ATTRIBUTES, 5);
	ATF_CHECK_STREQ(v.text, "\\Noselect");

	q = query(RULES_IMAP, RULES_CONNECT, NULL);
	v = match(&q);
	CHECK_V(v, RULES_TLS, 6);
	ATF_CHECK_EQ(v.tls, RULES_TLS_STARTTLS_REQUIRED);
	set_addr(&q, "127.0.0.1");
	v = match(&q);
	CHECK_V(v, RULES_TLS, 7);
	ATF_CHECK_EQ(v.tls, RULES_TLS_NONE);
	q = query(RULES_POP3, RULES_CONNECT, NULL);
	q.port = 995;
	v = match(&q);
	CHECK_V(v, RULES_TLS, 9);
	ATF_CHECK_EQ(v.tls, RULES_TLS_IMPLICIT);
	q.port = 110;
	v = match(&q);
	CHECK_V(v, RULES_TLS, 10);
	ATF_CHECK_EQ(v.tls, RULES_TLS_STARTTLS);
	rules_blob_free(&B);

	/* Connect rules, none of which holds: the connection is refused. */
	compile_ok("imap connect tls starttls if client 10.0.0.0/8\n"
	    "imap request * accept\n");
	q = query(RULES_IMAP, RULES_CONNECT, NULL);
	set_addr(&q, "192.0.2.1");
	CHECK_V(match(&q), RULES_REJECT, 0);
	set_addr(&q, "10.1.1.1");
	CHECK_V(match(&q), RULES_TLS, 1);
	/* The other protocol has no connect rule: its listeners' mode. */
	q.proto = RULES_POP3;
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	rules_blob_free(&B);
}

/*
 * Route rules: tried in the order of the file whatever their conditions,
 * the first that holds names the upstream; none: accept, line 0, the
 * listener's own upstream.  Each protocol has its own.
 */
ATF_TC_WITHOUT_HEAD(route);
ATF_TC_BODY(route, tc)
{
	struct rules_query	 q;
	struct rules_verdict	 v;

	compile_ok(
	    "imap request * accept\n"
	    "imap route staff if user \"*@example.org\" and client "
	    "10.0.0.0/8\n"
	    "imap route north if user \"*@example.org\"\n"
	    "imap route south if listener imaps and tls\n"
	    "imap route legacy_1 unless user \"*@*\"\n"
	    "pop3 route pop.b if user \"*@b.example\"\n");
	q = query(RULES_IMAP, RULES_ROUTE, NULL);
	q.user = "ann@example.org";
	v = match(&q);
	CHECK_V(v, RULES_ROUTE_TO, 3);
	ATF_CHECK_STREQ(v.text, "north");
	ATF_CHECK_STREQ(v.file, "t.rules");
	set_addr(&q, "10.9.8.7");
	v = match(&q);
	CHECK_V(v, RULES_ROUTE_TO, 2);
	ATF_CHECK_STREQ(v.text, "staff");
	q.user = "bob@example.net";
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	q.listener = "imaps";
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	q.tls = 1;
	v = match(&q);
	CHECK_V(v, RULES_ROUTE_TO, 4);
	ATF_CHECK_STREQ(v.text, "south");
	q.user = "bob";
	q.tls = 0;
	v = match(&q);
	CHECK_V(v, RULES_ROUTE_TO, 5);
	ATF_CHECK_STREQ(v.text, "legacy_1");
	/* No user (a query before the login): no user test holds. */
	q.user = NULL;
	CHECK_V(match(&q), RULES_ROUTE_TO, 5);
	q.proto = RULES_POP3;
	q.user = "cy@b.example";
	v = match(&q);
	CHECK_V(v, RULES_ROUTE_TO, 6);
	ATF_CHECK_STREQ(v.text, "pop.b");
	q.user = "cy@example.org";
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	rules_blob_free(&B);

	/* No route rule at all: the listener's upstream. */
	compile_ok("imap request * accept\n");
	q = query(RULES_IMAP, RULES_ROUTE, NULL);
	q.user = "ann@example.org";
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	rules_blob_free(&B);

	compile_err("imap route\n",
	    "t.rules:1:11: expected an upstream name (at most 31 bytes), "
	    "got end of line");
	compile_err("imap route \"north\" if tls\n",
	    "t.rules:1:12: expected an upstream name (at most 31 bytes), "
	    "got string \"north\"");
	compile_err("imap route no/rth\n",
	    "t.rules:1:12: expected an upstream name of letters, digits, "
	    "'-', '_', '.', got \"no/rth\"");
	compile_err("imap route a23456789012345678901234567890123\n",
	    "t.rules:1:12: expected an upstream name (at most 31 bytes), "
	    "got \"a23456789012345678901234567890123\"");
	compile_err("imap route north accept\n",
	    "t.rules:1:18: expected \"if\", \"unless\" or end of line, "
	    "got \"accept\"");
}

ATF_TC_WITHOUT_HEAD(cacheable);
ATF_TC_BODY(cacheable, tc)
{
	struct rules_query	 q;

	compile_ok(
	    "imap request SELECT reject if arg 1 ~ \"Private/*\"\n"
	    "imap request SELECT accept if tls\n"
	    "imap request LOGIN accept if user x or tls\n"
	    "imap request RENAME rewrite \"RENAME $2 $1\"\n"
	    "imap request * accept\n");
	q = query(RULES_IMAP, RULES_REQUEST, "SELECT");
	/* decided without reading an argument, but one was tried */
	q.tls = 1;
	ATF_CHECK(!match(&q).cacheable);
	q.key = "LOGIN";
	ATF_CHECK(match(&q).cacheable);
	q.key = "NOOP";
	ATF_CHECK(match(&q).cacheable);
	q.key = "RENAME";
	ATF_CHECK(!match(&q).cacheable);
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(expand);
ATF_TC_BODY(expand, tc)
{
	struct rules_arg	 a[11] = { { "a", 1 }, { "bb", 2 }, { NULL, 9 },
	    { "d", 1 }, { "e", 1 }, { "f", 1 }, { "g", 1 }, { "h", 1 },
	    { "i", 1 }, { "JJ", 2 }, { "K", 1 } };
	char			 buf[32];

	ATF_CHECK_EQ(rules_expand("EXAMINE $1", a, 2, buf, sizeof(buf)), 9);
	ATF_CHECK_STREQ(buf, "EXAMINE a");
	ATF_CHECK_EQ(rules_expand("$2$1 $$1 $$", a, 2, buf, sizeof(buf)), 8);
	ATF_CHECK_STREQ(buf, "bba $1 $");
	ATF_CHECK_EQ(rules_expand("x$10y", a, 11, buf, sizeof(buf)), 4);
	ATF_CHECK_STREQ(buf, "xJJy");
	ATF_CHECK_EQ(rules_expand("$3", a, 2, buf, sizeof(buf)), -1);
	ATF_CHECK_EQ(rules_expand("$3", a, 3, buf, sizeof(buf)), -1);
	ATF_CHECK_EQ(rules_expand("$0", a, 3, buf, sizeof(buf)), -1);
	ATF_CHECK_EQ(rules_expand("abcd", a, 0, buf, 5), 4);
	ATF_CHECK_EQ(rules_expand("abcde", a, 0, buf, 5), -1);
	ATF_CHECK_EQ(rules_expand("$2$2", a, 2, buf, 5), 4);
	ATF_CHECK_EQ(rules_expand("$2$2$1", a, 2, buf, 5), -1);
	ATF_CHECK_EQ(rules_expand("", a, 0, buf, 1), 0);
}

/* Zorp's examples 4.16 (USER/PASS become APOP) and 4.15 (APOP only). */
ATF_TC_WITHOUT_HEAD(pop3_apop);
ATF_TC_BODY(pop3_apop, tc)
{
	struct rules_query	 q;
	struct rules_verdict	 v;

	compile_ok(
	    "pop3 request user apop unless tls\n"
	    "pop3 request PASS apop unless tls\n"
	    "pop3 request USER reject \"-ERR Use APOP\"\n"
	    "pop3 request PASS reject \"-ERR Use APOP\"\n"
	    "pop3 request AUTH reject \"-ERR Use APOP\"\n"
	    "pop3 request * accept\n");
	q = query(RULES_POP3, RULES_REQUEST, "USER");
	v = match(&q);
	CHECK_V(v, RULES_APOP, 1);
	ATF_CHECK_STREQ(rules_action_name(v.action), "apop");
	q.key = "PASS";
	CHECK_V(match(&q), RULES_APOP, 2);
	q.tls = 1;
	v = match(&q);
	CHECK_V(v, RULES_REJECT, 4);
	ATF_CHECK_STREQ(v.text, "-ERR Use APOP");
	q.key = "APOP";
	CHECK_V(match(&q), RULES_ACCEPT, 6);
	rules_blob_free(&B);

	compile_err("pop3 request APOP apop",
	    "t.rules:1:19: apop is an action of the USER and PASS keys only, "
	    "not \"APOP\"");
	compile_err("pop3 request * apop",
	    "t.rules:1:16: apop is an action of the USER and PASS keys only, "
	    "not \"*\"");
	compile_err("imap request USER apop",
	    "t.rules:1:19: expected an action (accept, reject, drop, abort, "
	    "rewrite, respond), got \"apop\"");
	compile_err("pop3 request USER apop \"x\"",
	    "t.rules:1:24: expected \"if\", \"unless\" or end of line, "
	    "got string \"x\"");
}

ATF_TC_WITHOUT_HEAD(many_keys);
ATF_TC_BODY(many_keys, tc)
{
	char			*src, line[80], key[16];
	size_t			 n = 0, i;
	struct rules_query	 q;

	src = malloc(2000 * 80);
	ATF_REQUIRE(src != NULL);
	src[0] = '\0';
	for (i = 0; i < 2000; i++) {
		n += (size_t)snprintf(line, sizeof(line),
		    "imap request K%zu reject \"%zu\" if port %zu\n",
		    (i * 7919) % 2000, i, i % 5 + 1);
		strcat(src, line);
	}
	(void)n;
	compile_ok(src);
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%zu", (i * 7919) % 2000);
		q = query(RULES_IMAP, RULES_REQUEST, key);
		q.port = i % 5 + 1;
		CHECK_V(match(&q), RULES_REJECT, i + 1);
	}
	free(src);
	rules_blob_free(&B);
}

/* The client's ID fields and TLS fingerprint, in every table. */
ATF_TC_WITHOUT_HEAD(client_identity);
ATF_TC_BODY(client_identity, tc)
{
	static const struct rules_idfield tb[] = {
		{ "NAME", "Thunderbird" }, { "version", "115.3.1" },
		{ "name", "Evil" }, { "x-empty", "" } };
	static const struct rules_idfield other[] = {
		{ "name", "K-9 Mail" }, { "vendor", "Thunderbird" } };
	struct rules_query	 q;
	struct rules_verdict	 v;

	compile_ok(
	    "imap capability IDLE drop if id name \"Thunderbird*\"\n"
	    "imap capability * accept\n"
	    "imap request LOGIN reject \"No\" if id \"Name\" \"K-9*\"\n"
	    "imap request LOGIN reject \"Old\" if id version 2*\n"
	    "imap request LOGIN reject \"Empty\" if id x-empty \"\"\n"
	    "imap request LOGIN drop if ja4 \"t12*\" and not id name *\n"
	    "imap request * accept\n"
	    "imap response * all * drop if ja4 \"t13d1516h2_*\"\n"
	    "imap response * all * accept\n"
	    "imap list hide \"Secret\" if id os \"iOS*\"\n"
	    "pop3 capability TOP drop if ja4 \"t12???????_*\"\n"
	    "pop3 capability * accept\n");

	/* No ID: an id condition is false, whatever its glob. */
	q = query(RULES_IMAP, RULES_CAPABILITY, "IDLE");
	CHECK_V(match(&q), RULES_ACCEPT, 2);
	q.id = tb;
	q.nid = 4;
	v = match(&q);
	CHECK_V(v, RULES_DROP, 1);
	/* Decided by the session alone: the worker may keep it. */
	ATF_CHECK(v.cacheable);
	/* The first field of a name decides, found whatever its case. */
	q.key = "LOGIN";
	q.table = RULES_REQUEST;
	CHECK_V(match(&q), RULES_REJECT, 5);	/* x-empty "" */
	q.nid = 3;
	CHECK_V(match(&q), RULES_ACCEPT, 7);
	q.id = other;
	q.nid = 2;
	v = match(&q);
	CHECK_V(v, RULES_REJECT, 3);
	ATF_CHECK_STREQ(v.text, "No");
	/* A field not sent: its condition is false, "*" too. */
	q.id = NULL;
	q.nid = 0;
	q.ja4 = "t12i0608h1_00aa00aa00aa_123456789abc";
	CHECK_V(match(&q), RULES_DROP, 6);
	q.id = other;
	q.nid = 1;
	CHECK_V(match(&q), RULES_REJECT, 3);
	q.id = &other[1];
	CHECK_V(match(&q), RULES_DROP, 6);
	q.ja4 = NULL;
	CHECK_V(match(&q), RULES_ACCEPT, 7);
	/* ja4: a glob like any other, case and all. */
	q = query(RULES_IMAP, RULES_RESPONSE, "FETCH");
	q.kind = RULES_UNTAGGED;
	q.name = "FETCH";
	CHECK_V(match(&q), RULES_ACCEPT, 9);
	q.ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
	CHECK_V(match(&q), RULES_DROP, 8);
	q.ja4 = "T13d1516h2_8daaf6152771_e5627efa2ab1";
	CHECK_V(match(&q), RULES_ACCEPT, 9);
	/* The list table reads a mailbox as well: not cacheable. */
	q = query(RULES_IMAP, RULES_LIST, NULL);
	q.mailbox = "Secret";
	CHECK_V(match(&q), RULES_ACCEPT, 0);
	q.id = (const struct rules_idfield[]){ { "OS", "iOS 17" } };
	q.nid = 1;
	v = match(&q);
	CHECK_V(v, RULES_HIDE, 10);
	ATF_CHECK(!v.cacheable);
	/* POP3 has a ja4 but no ID. */
	q = query(RULES_POP3, RULES_CAPABILITY, "TOP");
	CHECK_V(match(&q), RULES_ACCEPT, 12);
	q.ja4 = "t12d1207h1_aaaaaaaaaaaa_bbbbbbbbbbbb";
	CHECK_V(match(&q), RULES_DROP, 11);
	q.ja4 = "t12d12070h1_aaaaaaaaaaaa_bbbbbbbbbbbb";
	CHECK_V(match(&q), RULES_ACCEPT, 12);

	compile_err("pop3 request USER reject if id name x",
	    "t.rules:1:29: id is a condition of imap rules: POP3 has no ID");
	compile_err("imap request A accept if id name",
	    "t.rules:1:33: expected a glob, got end of file");
	compile_err("imap request A accept if id \"\" x",
	    "t.rules:1:29: expected an ID field name (1-30 bytes), "
	    "got string \"\"");
	compile_err("imap request A accept if id "
	    "abcdefghijabcdefghijabcdefghijk x",
	    "t.rules:1:29: expected an ID field name (1-30 bytes), "
	    "got \"abcdefghijabcdefghijabcdefghijk\"");
	compile_err("imap request A accept if id (name) x",
	    "t.rules:1:29: expected an ID field name (1-30 bytes), "
	    "got \"(\"");
	compile_err("imap request A accept if ja4",
	    "t.rules:1:29: expected a glob of a JA4 fingerprint, "
	    "got end of file");
	compile_ok("imap request A accept if id "
	    "abcdefghijabcdefghijabcdefghij x\n");
	rules_blob_free(&B);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, client_identity);
	ATF_TP_ADD_TC(tp, request_actions);
	ATF_TP_ADD_TC(tp, first_match_and_fallback);
	ATF_TP_ADD_TC(tp, defaults);
	ATF_TP_ADD_TC(tp, conditions);
	ATF_TP_ADD_TC(tp, cidr);
	ATF_TP_ADD_TC(tp, glob);
	ATF_TP_ADD_TC(tp, response_keys);
	ATF_TP_ADD_TC(tp, capability_list_connect);
	ATF_TP_ADD_TC(tp, cacheable);
	ATF_TP_ADD_TC(tp, expand);
	ATF_TP_ADD_TC(tp, pop3_apop);
	ATF_TP_ADD_TC(tp, many_keys);
	ATF_TP_ADD_TC(tp, route);
	return atf_no_error();
}
