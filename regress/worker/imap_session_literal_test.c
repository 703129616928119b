/*
 * The IMAP session's literals, where postern and the server could most
 * easily come to read the stream differently: each goes upstream as {n}
 * after the upstream's own "+", those that are arguments held until the
 * command can be decided whole, message data streamed; and what is left
 * of a command the upstream answered, or the policy refused, before its
 * octets is dropped, not read as commands.  Every script is also run cut
 * at every offset of every step and byte by byte, with the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "session_harness.h"

#define GREETING_NOLIT	"* OK [CAPABILITY IMAP4rev1 IDLE MULTIAPPEND " \
			"BINARY] ready\r\n"

/* A1.1: {n} waits for the upstream's "+"; LITERAL+ goes straight on. */
ATF_TC_WITHOUT_HEAD(sync_literal);
ATF_TC_BODY(sync_literal, tc)
{
	static const struct step sc[] = {
		SV(GREETING),
		CL("a1 LOGIN {8}\r\ntestuser {8+}\r\ntestpass\r\n"),
		SV("+ OK\r\n"),
		SV("+ OK\r\n"),
		SV("a1 OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] Logged in\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	/*
	 * Held: postern answers the client's "+" itself, decides on the
	 * whole command, then sends it one literal at a time, each after
	 * the upstream's own "+", and every one as {n}.
	 */
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line reply a1/LOGIN\n"
	    "C data hold 8\n"
	    "C line hold a1/LOGIN\n"
	    "C data hold 8\n"
	    "C line fwd a1/LOGIN +start +held\n"
	    "S line drop a1/LOGIN + +cont\n"
	    "S line drop a1/LOGIN + +cont\n"
	    "S line fwd a1/LOGIN OK +done +caps =authenticated\n");
	EXPECT_STR(r.up.s, "a1 LOGIN {8}\r\ntestuser {8}\r\ntestpass\r\n");
	EXPECT_STR(r.down.s, GREETING "+ Ready for literal data\r\n"
	    "a1 OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] Logged in\r\n");
	ATF_REQUIRE(r.s.caps & IMAP_CAP_COMPRESS);
	ATF_REQUIRE(!(r.s.caps & IMAP_CAP_LITERALPLUS));
	run_free(&r);
}

/*
 * A1.1: the server refuses a synchronizing literal with a tagged NO; the
 * client never sends the octets, and its next line is a command.
 */
ATF_TC_WITHOUT_HEAD(sync_literal_refused);
ATF_TC_BODY(sync_literal_refused, tc)
{
	static const struct step sc[] = {
		SV(GREETING),
		CL("a0 LOGIN u p\r\n"),
		SV("a0 OK Logged in\r\n"),
		CL("a7 APPEND NoSuchBox {5}\r\n"),
		SV("a7 NO [TRYCREATE] Mailbox doesn't exist: NoSuchBox\r\n"),
		CL("a8 NOOP\r\n"),
		SV("a8 OK NOOP completed\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line fwd a0/LOGIN +start\n"
	    "S line fwd a0/LOGIN OK +done =authenticated\n"
	    "C line fwd a7/APPEND +start +wait\n"
	    "S line fwd a7/APPEND NO +done\n"
	    "C line fwd a8/NOOP +start\n"
	    "S line fwd a8/NOOP OK +done\n");
	EXPECT_STR(r.up.s, "a0 LOGIN u p\r\na7 APPEND NoSuchBox {5}\r\n"
	    "a8 NOOP\r\n");
	ATF_REQUIRE(TAILQ_EMPTY(&r.s.inflight));
	run_free(&r);
}

/* MULTIAPPEND: each synchronizing literal waits for its own "+". */
ATF_TC_WITHOUT_HEAD(multiappend);
ATF_TC_BODY(multiappend, tc)
{
	static const struct step sc[] = {
		SV(GREETING_NOLIT),
		CL("a0 LOGIN u p\r\n"),
		SV("a0 OK Logged in\r\n"),
		CL("a4 APPEND ProxyTest {18}\r\n"),
		SV("+ OK\r\n"),
		CL("Subject: one\r\n\r\nxy (\\Flagged) {18}\r\n"),
		SV("+ OK\r\n"),
		CL("Subject: two\r\n\r\nxy ~{3}\r\n"),
		SV("+ OK\r\n"),
		CL("a\0b\r\n"),
		SV("a4 OK [APPENDUID 1795316274 3:5] Append completed\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line fwd a0/LOGIN +start\n"
	    "S line fwd a0/LOGIN OK +done =authenticated\n"
	    "C line fwd a4/APPEND +start +wait\n"
	    "S line fwd a4/APPEND + +cont\n"
	    "C data fwd 18\n"
	    "C line fwd a4/APPEND +wait +chunk\n"
	    "S line fwd a4/APPEND + +cont\n"
	    "C data fwd 18\n"
	    "C line fwd a4/APPEND +wait +chunk\n"
	    "S line fwd a4/APPEND + +cont\n"
	    "C data fwd 3\n"
	    "C line fwd a4/APPEND +chunk\n"
	    "S line fwd a4/APPEND OK +done\n");
	EXPECT_STR(r.up.s, "a0 LOGIN u p\r\na4 APPEND ProxyTest {18}\r\n"
	    "Subject: one\r\n\r\nxy (\\Flagged) {18}\r\n"
	    "Subject: two\r\n\r\nxy ~{3}\r\na\\0b\r\n");
	EXPECT_STR(r.down.s, GREETING_NOLIT "a0 OK Logged in\r\n"
	    "+ OK\r\n+ OK\r\n+ OK\r\n"
	    "a4 OK [APPENDUID 1795316274 3:5] Append completed\r\n");
	run_free(&r);
}

/*
 * CATENATE with {n+}: sent as {n} whatever the upstream advertises
 * (LITERAL+ or not), the upstream's "+" kept from the client, who never
 * asked for one: the octets go only where the server asked for them.
 */
ATF_TC_WITHOUT_HEAD(catenate_literal_plus);
ATF_TC_BODY(catenate_literal_plus, tc)
{
	static const struct step with[] = {
		SV("* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+ CATENATE] hi\r\n"),
		CL("a5 APPEND ProxyTest CATENATE (URL \"/ProxyTest/;UID=2/"
		   ";SECTION=HEADER\" TEXT {6+}\r\nhello\n)\r\n"),
		SV("+ go ahead\r\n"),
		SV("a5 OK [APPENDUID 1795316274 5] done\r\n"),
	};
	static const struct step without[] = {
		SV("* PREAUTH [CAPABILITY IMAP4rev1 CATENATE] hi\r\n"),
		CL("a5 APPEND ProxyTest CATENATE (URL \"/ProxyTest/;UID=2/"
		   ";SECTION=HEADER\" TEXT {6+}\r\nhello\n)\r\n"),
		SV("+ go ahead\r\n"),
		SV("a5 OK [APPENDUID 1795316274 5] done\r\n"),
	};
	const struct step	*sc[] = { with, without };
	struct run		 r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		run_check(&r, NULL, sc[i], 4);
		EXPECT_STR(r.ev.s,
		    "S line fwd * PREAUTH +greet +caps =authenticated\n"
		    "C line fwd a5/APPEND +start +wait +conv\n"
		    "S line drop a5/APPEND + +cont\n"
		    "C data fwd 6\n"
		    "C line fwd a5/APPEND +chunk\n"
		    "S line fwd a5/APPEND OK +done\n");
		EXPECT_STR(r.up.s, "a5 APPEND ProxyTest CATENATE (URL "
		    "\"/ProxyTest/;UID=2/;SECTION=HEADER\" TEXT {6}\r\n"
		    "hello\n)\r\n");
		ATF_REQUIRE(strstr(r.down.s, "+ go ahead") == NULL);
		run_free(&r);
	}
}

/*
 * A {n+} turned into {n} that the upstream refuses: the client sends the
 * octets anyway; they and the rest of its command are dropped.
 */
ATF_TC_WITHOUT_HEAD(converted_literal_refused);
ATF_TC_BODY(converted_literal_refused, tc)
{
	static const struct step sc[] = {
		SV("* PREAUTH hi\r\n"),
		CL("a1 APPEND Nope {5+}\r\nhello {2+}\r\nab\r\na2 NOOP\r\n"),
		SV("a1 NO [TRYCREATE] no such mailbox\r\n"),
		SV("a2 OK done\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * PREAUTH +greet =authenticated\n"
	    "C line fwd a1/APPEND +start +wait +conv\n"
	    "S line fwd a1/APPEND NO +done\n"
	    "C data drop 5\n"
	    "C line drop\n"
	    "C data drop 2\n"
	    "C line drop\n"
	    "C line fwd a2/NOOP +start\n"
	    "S line fwd a2/NOOP OK +done\n");
	EXPECT_STR(r.up.s, "a1 APPEND Nope {5}\r\na2 NOOP\r\n");
	run_free(&r);
}

/*
 * Dropping the rest of an answered command: a later segment that
 * announces a synchronizing literal gets no "+", so the client, which has
 * its tagged answer, never sends the octets; its next command must be a
 * command again, not taken for them.
 */
ATF_TC_WITHOUT_HEAD(answered_then_sync_literal);
ATF_TC_BODY(answered_then_sync_literal, tc)
{
	static const struct step sc[] = {
		SV("* PREAUTH hi\r\n"),
		CL("a1 APPEND Nope {5+}\r\nhello {2}\r\n"),
		SV("a1 NO [TRYCREATE] no such mailbox\r\n"),
		CL("a2 NOOP\r\n"),
		SV("a2 OK done\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * PREAUTH +greet =authenticated\n"
	    "C line fwd a1/APPEND +start +wait +conv\n"
	    "S line fwd a1/APPEND NO +done\n"
	    "C data drop 5\n"
	    "C line drop\n"
	    "C line fwd a2/NOOP +start\n"
	    "S line fwd a2/NOOP OK +done\n");
	EXPECT_STR(r.up.s, "a1 APPEND Nope {5}\r\na2 NOOP\r\n");
	run_free(&r);
}

/*
 * LITERAL- (and IMAP4rev2) allow {n+} up to 4096 octets; postern sends
 * every literal as {n} anyway, small or not.
 */
ATF_TC_WITHOUT_HEAD(literal_minus);
ATF_TC_BODY(literal_minus, tc)
{
	static char	 lit1[4096 + 2], lit2[4097 + 2];
	struct step	 sc[] = {
		SV("* PREAUTH [CAPABILITY IMAP4rev1 LITERAL-] hi\r\n"),
		CL("a1 APPEND x {4096+}\r\n"),
		{ 'C', lit1, sizeof(lit1) },
		SV("+ OK\r\n"),
		SV("a1 OK done\r\n"),
		CL("a2 APPEND x {4097+}\r\n"),
		{ 'C', lit2, sizeof(lit2) },
		SV("+ OK\r\n"),
		SV("a2 OK done\r\n"),
	};
	struct run	 r;

	memset(lit1, 'x', sizeof(lit1));
	memcpy(lit1 + 4096, "\r\n", 2);
	memset(lit2, 'y', sizeof(lit2));
	memcpy(lit2 + 4097, "\r\n", 2);
	run_script(&r, NULL, sc, sizeof(sc) / sizeof(sc[0]), SIZE_MAX, 0,
	    SIZE_MAX);
	EXPECT_STR(r.ev.s,
	    "S line fwd * PREAUTH +greet +caps =authenticated\n"
	    "C line fwd a1/APPEND +start +wait +conv\n"
	    "S line drop a1/APPEND + +cont\n"
	    "C data fwd 4096\n"
	    "C line fwd a1/APPEND +chunk\n"
	    "S line fwd a1/APPEND OK +done\n"
	    "C line fwd a2/APPEND +start +wait +conv\n"
	    "S line drop a2/APPEND + +cont\n"
	    "C data fwd 4097\n"
	    "C line fwd a2/APPEND +chunk\n"
	    "S line fwd a2/APPEND OK +done\n");
	ATF_REQUIRE(strstr(r.up.s, "a1 APPEND x {4096}\r\nxxx") != NULL);
	ATF_REQUIRE(strstr(r.up.s, "a2 APPEND x {4097}\r\nyyy") != NULL);
	run_free(&r);
}

/* {n-}, oversized and misplaced literals. */
ATF_TC_WITHOUT_HEAD(literal_refusals);
ATF_TC_BODY(literal_refusals, tc)
{
	static const struct step minus[] = {
		SV(GREETING),
		CL("a1 LOGIN {5-}\r\nhello x\r\n"),
	};
	static const struct step toobig[] = {
		SV("* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n"),
		CL("a1 APPEND x {67108865}\r\n"),
		CL("a2 APPEND x {67108864}\r\n"),
		SV("a2 NO [OVERQUOTA] no\r\n"),
		CL("a3 SELECT {65537}\r\n"),
		CL("a4 SELECT ~{3}\r\n"),
		CL("a5 RENAME {3}\r\n"),
		CL("abc ~{3}\r\n"),
		CL("a6 NOOP\r\n"),
		SV("a6 OK done\r\n"),
	};
	static const struct step toobig_plus[] = {
		SV("* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n"),
		CL("a1 APPEND x {67108865+}\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, minus);
	EXPECT_STR(r.down.s, GREETING
	    "* BYE Literal {n-} is in no IMAP grammar\r\n");
	EXPECT_STR(r.up.s, "");
	ATF_REQUIRE(r.closed);
	run_free(&r);

	RUN(&r, NULL, toobig);
	/*
	 * a5's name is held (postern's own "+"), so its bad second line
	 * is refused whole: nothing of it went upstream, the session goes on.
	 */
	EXPECT_STR(r.ev.s,
	    "S line fwd * PREAUTH +greet +caps =authenticated\n"
	    "C line reply a1/APPEND +refused\n"
	    "C line fwd a2/APPEND +start +wait\n"
	    "S line fwd a2/APPEND NO +done\n"
	    "C line reply a3/SELECT +refused\n"
	    "C line reply a4/SELECT +refused\n"
	    "C line reply a5/RENAME\n"
	    "C data hold 3\n"
	    "C line reply a5/RENAME +refused\n"
	    "C line fwd a6/NOOP +start\n"
	    "S line fwd a6/NOOP OK +done\n");
	EXPECT_STR(r.down.s, "* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n"
	    "a1 BAD [TOOBIG] Literal too big\r\n"
	    "a2 NO [OVERQUOTA] no\r\n"
	    "a3 BAD [TOOBIG] Literal too big\r\n"
	    "a4 BAD literal8 is not allowed here\r\n"
	    "+ Ready for literal data\r\n"
	    "a5 BAD literal8 is not allowed here\r\n"
	    "a6 OK done\r\n");
	EXPECT_STR(r.up.s, "a2 APPEND x {67108864}\r\na6 NOOP\r\n");
	run_free(&r);

	RUN(&r, NULL, toobig_plus);
	EXPECT_STR(r.down.s, "* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n"
	    "* BYE Literal too big\r\n");
	run_free(&r);
}

/*
 * The policy refuses a command whose {n+} octets come anyway; a later
 * segment of it with a synchronizing {n} is answered by nobody: the
 * client has our tagged answer and sends its next command.
 */
ATF_TC_WITHOUT_HEAD(refused_then_sync_literal);
ATF_TC_BODY(refused_then_sync_literal, tc)
{
	struct imap_session	 s;
	struct imap_sev		 sev;
	struct imap_limits	 lim;
	static const char	 g[] = "* PREAUTH [CAPABILITY IMAP4rev1 "
	    "LITERAL+] hi\r\n";
	static const char	 c1[] = "a1 APPEND Box {5+}\r\nhello {3}\r\n"
	    "a2 NOOP\r\n";
	size_t			 n, off;

	imap_limits_default(&lim);
	ATF_REQUIRE(imap_session_init(&s, &lim) == 0);
	n = imap_session_server(&s, (const uint8_t *)g, sizeof(g) - 1, &sev);
	ATF_REQUIRE_EQ(n, sizeof(g) - 1);
	n = imap_session_client(&s, (const uint8_t *)c1, sizeof(c1) - 1, &sev);
	ATF_REQUIRE_EQ(sev.act, IMAP_ACT_FORWARD);
	ATF_REQUIRE(sev.flags & IMAP_SEVF_CMD_START);
	ATF_REQUIRE(sev.flags & IMAP_SEVF_LIT_CONVERT);
	ATF_REQUIRE_EQ(imap_session_refuse(&s, sev.cmd), 0);
	for (off = n; off < sizeof(c1) - 1; off += n) {
		ATF_REQUIRE(imap_session_want_client(&s));
		n = imap_session_client(&s, (const uint8_t *)c1 + off,
		    sizeof(c1) - 1 - off, &sev);
		ATF_REQUIRE(n > 0);
		if (sev.ev.type == IMAP_EV_LINE && sev.ev.seg == 0)
			break;
		ATF_REQUIRE_EQ(sev.act, IMAP_ACT_DROP);
	}
	ATF_REQUIRE_EQ(sev.ev.type, IMAP_EV_LINE);
	ATF_REQUIRE_EQ(sev.act, IMAP_ACT_FORWARD);
	ATF_REQUIRE(sev.flags & IMAP_SEVF_CMD_START);
	ATF_REQUIRE_STREQ(sev.cmd->tag, "a2");
	ATF_REQUIRE(imap_parser_idle(&s.cli));
	imap_session_free(&s);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, sync_literal);
	ATF_TP_ADD_TC(tp, sync_literal_refused);
	ATF_TP_ADD_TC(tp, multiappend);
	ATF_TP_ADD_TC(tp, catenate_literal_plus);
	ATF_TP_ADD_TC(tp, converted_literal_refused);
	ATF_TP_ADD_TC(tp, answered_then_sync_literal);
	ATF_TP_ADD_TC(tp, literal_minus);
	ATF_TP_ADD_TC(tp, literal_refusals);
	ATF_TP_ADD_TC(tp, refused_then_sync_literal);
	return atf_no_error();
}
