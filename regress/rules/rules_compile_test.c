/*
 * The lexer and the compiler of postern.rules(5) (rules_lex.c,
 * rules_compile.c): comments, continued lines and quoting; the
 * precedence of "not", "and" and "or"; a string stored once; and the
 * file:line:col message of every text that does not compile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "rules.h"
#include "rules_harness.h"

ATF_TC_WITHOUT_HEAD(unless_and_precedence);
ATF_TC_BODY(unless_and_precedence, tc)
{
	struct rules_query	 q;
	int			 tls, a, b, want;

	/* "or" binds looser than "and", "not" tighter than both */
	compile_ok(
	    "imap request X accept if tls or port 1 and listener b\n"
	    "imap request Y accept if not tls and port 1\n"
	    "imap request Z accept if (tls or port 1) and listener b\n"
	    "imap request W accept unless tls or port 1\n"
	    "imap request V accept if not (not tls)\n");
	q = query(RULES_IMAP, RULES_REQUEST, "X");
	for (tls = 0; tls < 2; tls++)
		for (a = 0; a < 2; a++)
			for (b = 0; b < 2; b++) {
				q.tls = tls;
				q.port = a ? 1 : 2;
				q.listener = b ? "b" : "c";
				q.key = "X";
				want = tls || (a && b);
				CHECK_V(match(&q), want ? RULES_ACCEPT :
				    RULES_REJECT, want ? 1 : 0);
				q.key = "Y";
				want = !tls && a;
				CHECK_V(match(&q), want ? RULES_ACCEPT :
				    RULES_REJECT, want ? 2 : 0);
				q.key = "Z";
				want = (tls || a) && b;
				CHECK_V(match(&q), want ? RULES_ACCEPT :
				    RULES_REJECT, want ? 3 : 0);
				q.key = "W";
				want = !(tls || a);
				CHECK_V(match(&q), want ? RULES_ACCEPT :
				    RULES_REJECT, want ? 4 : 0);
				q.key = "V";
				want = tls;
				CHECK_V(match(&q), want ? RULES_ACCEPT :
				    RULES_REJECT, want ? 5 : 0);
			}
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(lexical);
ATF_TC_BODY(lexical, tc)
{
	struct rules_verdict	 v;

	compile_ok(
	    "  # comment\n"
	    "\timap request A \\\n"
	    "   reject \"a \\\"q\\\" \\\\ b\"   # trailing comment\r\n"
	    "imap request B respond \"OK\" \\\n"
	    "    untagged \"X\" \\\n"
	    "    untagged \"Y\"");
	v = req("A");
	CHECK_V(v, RULES_REJECT, 2);
	ATF_CHECK_EQ(v.col, 2);
	ATF_CHECK_STREQ(v.text, "a \"q\" \\ b");
	v = req("B");
	CHECK_V(v, RULES_RESPOND, 4);
	ATF_CHECK_EQ(v.nuntagged, 2);
	rules_blob_free(&B);
}

/* A string is stored once however often the rules repeat it. */
ATF_TC_WITHOUT_HEAD(strings_once);
ATF_TC_BODY(strings_once, tc)
{
	struct rules_verdict	 a, b;

	compile_ok(
	    "imap request A reject \"same text\"\n"
	    "imap request B reject \"same text\"\n"
	    "imap request C reject \"same\"\n");
	a = req("A");
	b = req("B");
	ATF_CHECK_STREQ(a.text, "same text");
	ATF_CHECK(a.text == b.text);
	ATF_CHECK_STREQ(req("C").text, "same");
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(syntax_errors);
ATF_TC_BODY(syntax_errors, tc)
{
	compile_err("smtp request A accept",
	    "t.rules:1:1: expected \"imap\" or \"pop3\", got \"smtp\"");
	compile_err("\n  \"imap\"",
	    "t.rules:2:3: expected \"imap\" or \"pop3\", got string \"imap\"");
	compile_err("imap",
	    "t.rules:1:5: expected a table (connect, request, response, "
	    "capability, list, route), got end of file");
	compile_err("pop3 list hide x",
	    "t.rules:1:6: expected a table (connect, request, response, "
	    "capability, route), got \"list\"");
	compile_err("imap request\n",
	    "t.rules:1:13: expected a command name or \"*\", got end of line");
	compile_err("imap request LO*GIN accept",
	    "t.rules:1:14: expected a command name or \"*\", got \"LO*GIN\"");
	compile_err("imap request A acept",
	    "t.rules:1:16: expected an action (accept, reject, drop, abort, "
	    "rewrite, respond), got \"acept\"");
	compile_err("imap request A accept-multiline",
	    "t.rules:1:16: expected an action (accept, reject, drop, abort, "
	    "rewrite, respond), got \"accept-multiline\"");
	compile_err("imap request A rewrite EXAMINE",
	    "t.rules:1:24: expected the rewritten text in quotes, "
	    "got \"EXAMINE\"");
	compile_err("imap request A rewrite \"X $0\"",
	    "t.rules:1:24: expected $1..$255 or $$ in the rewrite text, "
	    "got \"$0\"");
	compile_err("imap request A rewrite \"X $256\"",
	    "t.rules:1:24: expected $1..$255 or $$ in the rewrite text, "
	    "got \"$256\"");
	compile_err("imap request A respond",
	    "t.rules:1:23: expected the tagged response in quotes, "
	    "got end of file");
	compile_err("imap request A respond \"OK\" untagged (",
	    "t.rules:1:38: expected the untagged line in quotes, got \"(\"");
	compile_err("pop3 request A respond \"+OK\" untagged \"x\"",
	    "t.rules:1:30: expected \"if\", \"unless\" or end of line, "
	    "got \"untagged\"");
	compile_err("imap request A accept extra",
	    "t.rules:1:23: expected \"if\", \"unless\" or end of line, "
	    "got \"extra\"");
	compile_err("imap request A reject \"x\" \"y\"",
	    "t.rules:1:27: expected \"if\", \"unless\" or end of line, "
	    "got string \"y\"");
	compile_err("imap response A sometimes OK accept",
	    "t.rules:1:17: expected tagged, untagged or all, "
	    "got \"sometimes\"");
	compile_err("imap response A all (",
	    "t.rules:1:21: expected a response name or \"*\", got \"(\"");
	compile_err("imap response A all OK respond \"x\"",
	    "t.rules:1:24: expected an action (accept, reject, drop, abort, "
	    "rewrite), got \"respond\"");
	compile_err("imap capability IDLE reject",
	    "t.rules:1:22: expected accept or drop, got \"reject\"");
	compile_err("imap capability \"IDLE\" drop",
	    "t.rules:1:17: expected a capability name or \"*\", "
	    "got string \"IDLE\"");
	compile_err("imap list show x",
	    "t.rules:1:11: expected hide or attributes, got \"show\"");
	compile_err("imap list hide\n",
	    "t.rules:1:15: expected a mailbox glob, got end of line");
	compile_err("imap list attributes Noselect",
	    "t.rules:1:22: expected the attributes in quotes, "
	    "got \"Noselect\"");
	compile_err("imap connect ssl none",
	    "t.rules:1:14: expected \"tls\", got \"ssl\"");
	compile_err("imap connect tls maybe",
	    "t.rules:1:18: expected a TLS mode (none, starttls, "
	    "starttls-required, implicit), got \"maybe\"");
	compile_err("imap request A accept if",
	    "t.rules:1:25: expected a condition (tls, state, user, client, "
	    "listener, port, arg, mailbox, id, ja4, not, \"(\"), "
	    "got end of file");
	compile_err("imap request A accept if tls and\n",
	    "t.rules:1:33: expected a condition (tls, state, user, client, "
	    "listener, port, arg, mailbox, id, ja4, not, \"(\"), "
	    "got end of line");
	compile_err("imap request A accept if state busy",
	    "t.rules:1:32: expected a state (not-authenticated, "
	    "authenticated, selected, logout), got \"busy\"");
	compile_err("pop3 request A accept if state selected",
	    "t.rules:1:32: expected a state (authorization, transaction), "
	    "got \"selected\"");
	compile_err("imap request A accept if user (",
	    "t.rules:1:31: expected a glob, got \"(\"");
	compile_err("imap request A accept if listener\n",
	    "t.rules:1:34: expected a listener name, got end of line");
	compile_err("imap request A accept if client 10.0.0.0/33",
	    "t.rules:1:33: expected an address or CIDR, got \"10.0.0.0/33\"");
	compile_err("imap request A accept if client 10.0.0/8",
	    "t.rules:1:33: expected an address or CIDR, got \"10.0.0/8\"");
	compile_err("imap request A accept if client ::1/129",
	    "t.rules:1:33: expected an address or CIDR, got \"::1/129\"");
	compile_err("imap request A accept if client 10.0.0.0/",
	    "t.rules:1:33: expected an address or CIDR, got \"10.0.0.0/\"");
	compile_err("imap request A accept if client \"::1\"",
	    "t.rules:1:33: expected an address or CIDR, got string \"::1\"");
	compile_err("imap request A accept if port 0",
	    "t.rules:1:31: expected a port number (1-65535), got \"0\"");
	compile_err("imap request A accept if port 65536",
	    "t.rules:1:31: expected a port number (1-65535), got \"65536\"");
	compile_err("imap request A accept if port 99x",
	    "t.rules:1:31: expected a port number (1-65535), got \"99x\"");
	compile_err("imap request A accept if arg 0 ~ x",
	    "t.rules:1:30: expected an argument number (1-255), got \"0\"");
	compile_err("imap request A accept if arg 1 = x",
	    "t.rules:1:32: expected \"~\", got \"=\"");
	compile_err("imap request A accept if arg 1 ~\n",
	    "t.rules:1:33: expected a glob, got end of line");
	compile_err("imap request A accept if (tls or port 1",
	    "t.rules:1:40: expected \")\", \"and\" or \"or\", got end of file");
	compile_err("imap request A accept if tls)",
	    "t.rules:1:29: expected \"if\", \"unless\" or end of line, "
	    "got \")\"");
	compile_err("imap request A accept if ((((((((((((((tls)))))))))))))",
	    "t.rules:1:38: parentheses nested too deep");
	{
		/* a million "not" is no crash (and means tls) */
		size_t	 n = 1000000, i;
		char	*src = malloc(30 + 4 * n + 8), *p;

		ATF_REQUIRE(src != NULL);
		p = src + sprintf(src, "imap request A accept if ");
		for (i = 0; i < n; i++)
			p += sprintf(p, "not ");
		strcpy(p, "tls");
		compile_ok(src);
		free(src);
		{
			struct rules_query	 q = query(RULES_IMAP,
			    RULES_REQUEST, "A");

			CHECK_V(match(&q), RULES_REJECT, 0);
			q.tls = 1;
			CHECK_V(match(&q), RULES_ACCEPT, 1);
		}
		rules_blob_free(&B);
	}
	compile_err("imap request A reject \"open",
	    "t.rules:1:23: unterminated string");
	compile_err("imap request A reject \"open\nimap",
	    "t.rules:1:23: unterminated string");
	compile_err("imap request A \001accept",
	    "t.rules:1:16: unexpected character 0x01");
	compile_err("imap request A reject \"a\rb\"",
	    "t.rules:1:23: control character in string");
	compile_err("imap request A accept\nimap request B accept if (",
	    "t.rules:2:27: expected a condition (tls, state, user, client, "
	    "listener, port, arg, mailbox, id, ja4, not, \"(\"), "
	    "got end of file");
}

/* A respond with more untagged lines than a worker takes would fail
 * closed on every use: refused where it is written. */
ATF_TC_WITHOUT_HEAD(respond_untagged_bound);
ATF_TC_BODY(respond_untagged_bound, tc)
{
	char	 src[4096], want[128];
	size_t	 n;
	int	 i, col;

	n = (size_t)snprintf(src, sizeof(src), "imap request X respond \"OK\"");
	for (i = 0; i < POLICY_UNTAGGED_MAX; i++)
		n += (size_t)snprintf(src + n, sizeof(src) - n,
		    " untagged \"L%02d\"", i);
	compile_ok(src);
	col = (int)n + 2;
	(void)snprintf(src + n, sizeof(src) - n, " untagged \"L32\"");
	(void)snprintf(want, sizeof(want), "t.rules:1:%d: more than %d "
	    "untagged lines", col, POLICY_UNTAGGED_MAX);
	compile_err(src, want);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, respond_untagged_bound);
	ATF_TP_ADD_TC(tp, unless_and_precedence);
	ATF_TP_ADD_TC(tp, lexical);
	ATF_TP_ADD_TC(tp, strings_once);
	ATF_TP_ADD_TC(tp, syntax_errors);
	return atf_no_error();
}
