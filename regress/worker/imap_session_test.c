/*
 * The IMAP session layer as a whole: the RFCs' sample sessions, the
 * state machine and which command is valid where, the limits, the
 * answers to malformed input and the relay's own calls (inject, refuse).
 * The literals have imap_session_literal_test.c; the upstream's
 * responses and the turns they give (IDLE, AUTHENTICATE, STARTTLS,
 * COMPRESS) imap_session_server_test.c.  Every script is also run cut at
 * every offset of every step and byte by byte, with the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "imap_reply.h"
#include "session_harness.h"
#include "rfc_streams.h"

/* RFC 3501 section 8, both directions, step by step. */
ATF_TC_WITHOUT_HEAD(rfc3501_exchange);
ATF_TC_BODY(rfc3501_exchange, tc)
{
	static const struct step sc[] = {
		SV("* OK IMAP4rev1 Service Ready\r\n"),
		CL("a001 login mrc secret\r\n"),
		SV("a001 OK LOGIN completed\r\n"),
		CL("a002 select inbox\r\n"),
		SV("* 18 EXISTS\r\n"
		   "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
		   "* 2 RECENT\r\n"
		   "* OK [UNSEEN 17] Message 17 is the first unseen message\r\n"
		   "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
		   "a002 OK [READ-WRITE] SELECT completed\r\n"),
		CL("a003 fetch 12 full\r\n"),
		SV(RFC3501_FETCH_FULL "a003 OK FETCH completed\r\n"),
		CL("a004 fetch 12 body[header]\r\n"),
		SV("* 12 FETCH (BODY[HEADER] {342}\r\n" RFC3501_HEADER ")\r\n"
		   "a004 OK FETCH completed\r\n"),
		CL("a005 store 12 +flags \\deleted\r\n"),
		SV("* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n"
		   "a005 OK +FLAGS completed\r\n"),
		CL("a006 logout\r\n"),
		SV("* BYE IMAP4rev1 server terminating connection\r\n"
		   "a006 OK LOGOUT completed\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet =not authenticated\n"
	    "C line fwd a001/LOGIN +start\n"
	    "S line fwd a001/LOGIN OK +done =authenticated\n"
	    "C line fwd a002/SELECT +start\n"
	    "S line fwd a002/SELECT EXISTS\n"
	    "S line fwd a002/SELECT FLAGS\n"
	    "S line fwd a002/SELECT RECENT\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT OK +done =selected\n"
	    "C line fwd a003/FETCH +start\n"
	    "S line fwd a003/FETCH FETCH\n"
	    "S line fwd a003/FETCH OK +done\n"
	    "C line fwd a004/FETCH +start\n"
	    "S line fwd a004/FETCH FETCH\n"
	    "S data fwd 342\n"
	    "S line fwd a004/FETCH FETCH\n"
	    "S line fwd a004/FETCH OK +done\n"
	    "C line fwd a005/STORE +start\n"
	    "S line fwd a005/STORE FETCH\n"
	    "S line fwd a005/STORE OK +done\n"
	    "C line fwd a006/LOGOUT +start\n"
	    "S line fwd a006/LOGOUT BYE =logout\n"
	    "S line fwd a006/LOGOUT OK +done\n");
	EXPECT_STR(r.up.s, rfc3501_c);
	EXPECT_STR(r.down.s, rfc3501_s);
	ATF_REQUIRE(TAILQ_EMPTY(&r.s.inflight));
	run_free(&r);
}

/* The RFC 9051 sample: SASL-IR, SCRAM's empty last line, ENABLE. */
ATF_TC_WITHOUT_HEAD(rfc9051_exchange);
ATF_TC_BODY(rfc9051_exchange, tc)
{
	static const struct step sc[] = {
		SV("* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=SCRAM-SHA-256 "
		   "LOGINDISABLED] IMAP4rev2 Service Ready\r\n"),
		CL("A001 AUTHENTICATE SCRAM-SHA-256 "
		   "biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n"),
		SV("+ cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJ"
		   "bGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY="
		   "\r\n"),
		CL("Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFU"
		   "Q0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5"
		   "empmTUhnc3FtbWl6N0FuZFZRPQ==\r\n"),
		SV("+ dj02cmlUVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5"
		   "NUc0PQ==\r\n"),
		CL("\r\n"),
		SV("A001 OK SCRAM-SHA-256 authentication successful\r\n"),
		CL("babc ENABLE IMAP4rev2\r\n"),
		SV("* ENABLED IMAP4rev2\r\nbabc OK Some capabilities enabled\r\n"),
		CL("a002 select inbox\r\n"),
		SV("* 18 EXISTS\r\n"
		   "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
		   "* OK [UIDNEXT 4392] Predicted next UID\r\n"
		   "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
		   "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
		   "* LIST () \"/\" INBOX\r\n"
		   "a002 OK [READ-WRITE] SELECT completed\r\n"),
		CL("a006 logout\r\n"),
		SV("* BYE IMAP4rev2 server terminating connection\r\n"
		   "a006 OK LOGOUT completed\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line fwd A001/AUTHENTICATE +start\n"
	    "S line fwd A001/AUTHENTICATE +\n"
	    "C line fwd A001/AUTHENTICATE +sasl\n"
	    "S line fwd A001/AUTHENTICATE +\n"
	    "C line fwd A001/AUTHENTICATE +sasl\n"
	    "S line fwd A001/AUTHENTICATE OK +done =authenticated\n"
	    "C line fwd babc/ENABLE +start\n"
	    "S line fwd babc/ENABLE ENABLED\n"
	    "S line fwd babc/ENABLE OK +done\n"
	    "C line fwd a002/SELECT +start\n"
	    "S line fwd a002/SELECT EXISTS\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT FLAGS\n"
	    "S line fwd a002/SELECT OK\n"
	    "S line fwd a002/SELECT LIST\n"
	    "S line fwd a002/SELECT OK +done =selected\n"
	    "C line fwd a006/LOGOUT +start\n"
	    "S line fwd a006/LOGOUT BYE =logout\n"
	    "S line fwd a006/LOGOUT OK +done\n");
	ATF_REQUIRE(r.s.enabled & IMAP_CAP_IMAP4REV2);
	ATF_REQUIRE(r.s.caps & IMAP_CAP_IMAP4REV2);
	ATF_REQUIRE(r.s.caps & IMAP_CAP_LOGINDISABLED);
	run_free(&r);
}

/* The state machine, and which command is valid where. */
ATF_TC_WITHOUT_HEAD(states);
ATF_TC_BODY(states, tc)
{
	/*
	 * A command not valid in the state it would run in, or unknown, is
	 * postern's to refuse: the server never sees it, so never reads it
	 * differently from us (a server that does not know a command
	 * answers it before reading its arguments).
	 */
	static const struct step sc[] = {
		SV("* OK [CAPABILITY IMAP4rev1 UNSELECT ENABLE] hi\r\n"),
		CL("a1 SELECT INBOX\r\n"),
		CL("a2 LOGIN u p\r\na3 SELECT INBOX\r\na4 FETCH 1 FLAGS\r\n"),
		SV("a2 OK in\r\n"),
		SV("a3 OK [READ-ONLY] in\r\n"),
		SV("a4 OK fetched\r\n"),
		CL("a5 SELECT Nope\r\n"),
		SV("a5 NO no such mailbox\r\n"),
		CL("a6 FETCH 1 FLAGS\r\na7 EXAMINE INBOX\r\n"),
		SV("a7 OK [READ-ONLY] in\r\n"),
		CL("a8 SELECT \"\r\n"),
		CL("a9 UNSELECT\r\n"),
		SV("a9 OK closed\r\n"),
		CL("b1 ENABLE X\r\nb2 UID COPY 1 x\r\nb3 UID NOOP\r\n"
		   "b4 XFOO\r\n"),
		SV("b1 OK enabled\r\n"),
		CL("b5 EXAMINE INBOX\r\nb6 CLOSE\r\n"),
		SV("b5 OK in\r\n"),
		SV("b6 OK closed\r\n"),
		CL("b7 LOGOUT\r\n"),
		SV("* BYE bye\r\nb7 OK out\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line reply a1/SELECT +refused\n"
	    "C line fwd a2/LOGIN +start\n"
	    "S line fwd a2/LOGIN OK +done =authenticated\n"
	    "C line fwd a3/SELECT +start\n"
	    "S line fwd a3/SELECT OK +done =selected\n"
	    "C line fwd a4/FETCH +start\n"
	    "S line fwd a4/FETCH OK +done\n"
	    "C line fwd a5/SELECT +start\n"
	    "S line fwd a5/SELECT NO +done =authenticated\n"
	    "C line reply a6/FETCH +refused\n"
	    "C line fwd a7/EXAMINE +start\n"
	    "S line fwd a7/EXAMINE OK +done =selected\n"
	    "C error reply +refused\n"
	    "C line fwd a9/UNSELECT +start\n"
	    "S line fwd a9/UNSELECT OK +done =authenticated\n"
	    "C line fwd b1/ENABLE +start\n"
	    "C line reply b2/UID COPY +refused\n"
	    "C line reply b3/UID NOOP +refused\n"
	    "C line reply b4/XFOO +refused\n"
	    "S line fwd b1/ENABLE OK +done\n"
	    "C line fwd b5/EXAMINE +start\n"
	    "S line fwd b5/EXAMINE OK +done =selected\n"
	    "C line fwd b6/CLOSE +start\n"
	    "S line fwd b6/CLOSE OK +done =authenticated\n"
	    "C line fwd b7/LOGOUT +start\n"
	    "S line fwd b7/LOGOUT BYE =logout\n"
	    "S line fwd b7/LOGOUT OK +done\n");
	EXPECT_STR(r.up.s, "a2 LOGIN u p\r\na3 SELECT INBOX\r\n"
	    "a4 FETCH 1 FLAGS\r\na5 SELECT Nope\r\na7 EXAMINE INBOX\r\n"
	    "a9 UNSELECT\r\nb1 ENABLE X\r\nb5 EXAMINE INBOX\r\n"
	    "b6 CLOSE\r\nb7 LOGOUT\r\n");
	run_free(&r);

	ATF_REQUIRE_EQ(imap_cmd_valid_in("LOGIN", IMAP_ST_NOTAUTH), 1);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("login", IMAP_ST_AUTH), 0);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("STARTTLS", IMAP_ST_SELECTED), 0);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("CAPABILITY", IMAP_ST_SELECTED), 1);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("NOOP", IMAP_ST_LOGOUT), 0);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("SELECT", IMAP_ST_AUTH), 1);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("SELECT", IMAP_ST_NOTAUTH), 0);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("FETCH", IMAP_ST_AUTH), 0);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("UID FETCH", IMAP_ST_SELECTED), 1);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("uid expunge", IMAP_ST_SELECTED), 1);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("UID LIST", IMAP_ST_SELECTED), 0);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("ENABLE", IMAP_ST_SELECTED), 0);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("IDLE", IMAP_ST_AUTH), 1);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("ID", IMAP_ST_NOTAUTH), 1);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("XFOO", IMAP_ST_AUTH), -1);
	ATF_REQUIRE_EQ(imap_cmd_valid_in("UNSELECT", IMAP_ST_SELECTED), 1);
}

/* Each malformed client input gets its defined answer. */
ATF_TC_WITHOUT_HEAD(malformed_answers);
ATF_TC_BODY(malformed_answers, tc)
{
	static const struct step sc[] = {
		SV("* PREAUTH hi\r\n"),
		CL("b3 LOGOUT\n"),
		CL("a9 SELECT \"a\0b\"\r\n"),
		CL("c1 CREATE Entw\xc3\xbcrfe\r\n"),
		CL("c2 SELECT \"INBOX\r\n"),
		CL("c3 LOGIN {999999999999999999999999999999}\r\n"),
		CL(" NOOP\r\n"),
		CL("a]1 NOOP\r\n"),
		CL("a%1 NOOP\r\n"),
		CL("c4 SELECT \"a\\x\"\r\n"),
		CL("c5 FETCH 1 (((((((((((((((((FLAGS)))))))))))))))))\r\n"),
		CL("c6 LOGIN {999999999999999999999999999999+}\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.down.s, "* PREAUTH hi\r\n"
	    "b3 BAD Line ends in LF without CR\r\n"
	    "a9 BAD NUL octet outside a literal\r\n"
	    "c1 BAD 8-bit octet in an atom\r\n"
	    "c2 BAD Unterminated quoted string\r\n"
	    "c3 BAD Literal length out of range\r\n"
	    "* BAD Missing tag\r\n"
	    "* BAD Invalid tag\r\n"
	    "* BAD Invalid tag\r\n"
	    "c4 BAD Invalid escape in quoted string\r\n"
	    "c5 BAD Lists nested too deep\r\n"
	    "* BYE Literal length out of range\r\n");
	/* a]1 too: Dovecot's tags cannot hold "]", so neither can ours */
	EXPECT_STR(r.up.s, "");
	ATF_REQUIRE(r.closed);
	run_free(&r);
}

/* An error after part of a command went upstream ends the session. */
ATF_TC_WITHOUT_HEAD(malformed_mid_command);
ATF_TC_BODY(malformed_mid_command, tc)
{
	static const struct step held[] = {
		SV(GREETING),
		CL("a1 LOGIN {3+}\r\nabc \"x\r\n"),
		CL("a2 NOOP\r\n"),
		SV("a2 OK done\r\n"),
	};
	static const struct step streamed[] = {
		SV("* PREAUTH hi\r\n"),
		CL("a1 APPEND x {3+}\r\nabc \"x\r\n"),
		SV("+ OK\r\n"),
	};
	struct run	 r;

	/* Nothing went upstream yet: a tagged BAD, and the session goes on. */
	RUN(&r, NULL, held);
	EXPECT_STR(r.up.s, "a2 NOOP\r\n");
	EXPECT_STR(r.down.s, GREETING "a1 BAD Unterminated quoted string\r\n"
	    "a2 OK done\r\n");
	run_free(&r);

	/* After a streamed literal the server is inside the command: BYE. */
	RUN(&r, NULL, streamed);
	EXPECT_STR(r.up.s, "a1 APPEND x {3}\r\nabc");
	EXPECT_STR(r.down.s, "* PREAUTH hi\r\n"
	    "* BYE Unterminated quoted string\r\n");
	run_free(&r);
}

ATF_TC_WITHOUT_HEAD(limits);
ATF_TC_BODY(limits, tc)
{
	static const struct step sc[] = {
		SV("* PREAUTH hi\r\n"),
		CL("a1 NOOP\r\na2 NOOP\r\na3 NOOP\r\na4 APPEND x {3}\r\n"),
		SV("a1 OK\r\n"),
		CL("a5 NOOP\r\n"),
		CL("a6 X 01234567890123456789012345678901234567890123456789\r\n"),
	};
	struct imap_limits	 lim;
	struct run		 r;

	imap_limits_default(&lim);
	lim.inflight_max = 2;
	lim.cmd_line_max = 48;
	RUN(&r, &lim, sc);
	EXPECT_STR(r.down.s, "* PREAUTH hi\r\n"
	    "a3 BAD Too many commands in flight\r\n"
	    "a4 BAD Too many commands in flight\r\n"
	    "a1 OK\r\n"
	    "* BYE Line too long\r\n");
	EXPECT_STR(r.up.s, "a1 NOOP\r\na2 NOOP\r\na5 NOOP\r\n");
	run_free(&r);
}

/* The relay's own commands, and a command the policy refuses. */
ATF_TC_WITHOUT_HEAD(inject_and_refuse);
ATF_TC_BODY(inject_and_refuse, tc)
{
	struct imap_session	 s;
	struct imap_sev		 sev;
	static const char	 g[] = "* PREAUTH hi\r\n";
	static const char	 c1[] = "a1 APPEND Box {6}\r\n";
	static const char	 c2[] = "a2 APPEND Box {6+}\r\nSecret\r\n"
	    "a3 NOOP\r\n";
	static const char	 c3[] = "a4 DELETE {6+}\r\nSecret\r\n"
	    "a5 NOOP\r\n";
	static const char	 s1[] = "* CAPABILITY IMAP4rev1 IDLE\r\n"
	    "p1 OK done\r\n";
	const struct imap_cmd	*c;
	size_t			 n, off;

	ATF_REQUIRE(imap_session_init(&s, NULL) == 0);
	n = imap_session_server(&s, (const uint8_t *)g, sizeof(g) - 1, &sev);
	ATF_REQUIRE_EQ(n, sizeof(g) - 1);
	ATF_REQUIRE_EQ(imap_session_inject(&s, "p1", "CAPABILITY"), 0);
	n = imap_session_server(&s, (const uint8_t *)s1, sizeof(s1) - 1, &sev);
	ATF_REQUIRE_EQ(sev.act, IMAP_ACT_DROP);
	ATF_REQUIRE(sev.flags & IMAP_SEVF_PRIVATE);
	ATF_REQUIRE(sev.flags & IMAP_SEVF_CAPS);
	imap_session_server(&s, (const uint8_t *)s1 + n, sizeof(s1) - 1 - n,
	    &sev);
	ATF_REQUIRE_EQ(sev.act, IMAP_ACT_DROP);
	ATF_REQUIRE(sev.flags & IMAP_SEVF_CMD_DONE);
	ATF_REQUIRE_EQ(s.caps, IMAP_CAP_IMAP4REV1 | IMAP_CAP_IDLE);

	/* refused {n}: the client will not send the octets */
	n = imap_session_client(&s, (const uint8_t *)c1, sizeof(c1) - 1, &sev);
	ATF_REQUIRE_EQ(sev.act, IMAP_ACT_FORWARD);
	ATF_REQUIRE(sev.flags & IMAP_SEVF_WAIT_CONT);
	ATF_REQUIRE(!imap_session_want_client(&s));
	ATF_REQUIRE_EQ(imap_session_refuse(&s, sev.cmd), 0);
	ATF_REQUIRE(imap_session_want_client(&s));
	ATF_REQUIRE_EQ(s.ninflight, 0);
	/* refused {n+}: the octets come and are dropped */
	n = imap_session_client(&s, (const uint8_t *)c2, sizeof(c2) - 1, &sev);
	ATF_REQUIRE(sev.flags & IMAP_SEVF_LIT_CONVERT);
	c = sev.cmd;
	ATF_REQUIRE_EQ(imap_session_refuse(&s, c), 0);
	ATF_REQUIRE_EQ(imap_session_refuse(&s, c), -1);
	for (off = n; off < sizeof(c2) - 1; off += n) {
		n = imap_session_client(&s, (const uint8_t *)c2 + off,
		    sizeof(c2) - 1 - off, &sev);
		if (sev.ev.type == IMAP_EV_LINE && sev.ev.seg == 0)
			break;
		ATF_REQUIRE_EQ(sev.act, IMAP_ACT_DROP);
	}
	ATF_REQUIRE_EQ(sev.act, IMAP_ACT_FORWARD);
	ATF_REQUIRE_STREQ(sev.cmd->tag, "a3");
	/* a held command, refused whole once decided: nothing to drop */
	for (off = 0; off < sizeof(c3) - 1; off += n) {
		n = imap_session_client(&s, (const uint8_t *)c3 + off,
		    sizeof(c3) - 1 - off, &sev);
		if (sev.flags & IMAP_SEVF_CMD_START)
			break;
		ATF_REQUIRE_EQ(sev.act, IMAP_ACT_HOLD);
	}
	ATF_REQUIRE(sev.flags & IMAP_SEVF_HELD);
	ATF_REQUIRE_STREQ(sev.cmd->tag, "a4");
	ATF_REQUIRE_EQ(imap_session_refuse(&s, sev.cmd), 0);
	ATF_REQUIRE(imap_session_want_client(&s));
	off += n;
	n = imap_session_client(&s, (const uint8_t *)c3 + off,
	    sizeof(c3) - 1 - off, &sev);
	ATF_REQUIRE_EQ(sev.act, IMAP_ACT_FORWARD);
	ATF_REQUIRE_STREQ(sev.cmd->tag, "a5");
	/* not during IDLE */
	imap_session_free(&s);
}

ATF_TC_WITHOUT_HEAD(reply_format);
ATF_TC_BODY(reply_format, tc)
{
	char	 buf[64];

	ATF_REQUIRE_EQ(imap_reply(buf, sizeof(buf), "a1", 2, "BAD", "TOOBIG",
	    "Literal too big"), 33);
	ATF_REQUIRE_STREQ(buf, "a1 BAD [TOOBIG] Literal too big\r\n");
	ATF_REQUIRE(imap_reply(buf, sizeof(buf), NULL, 0, "BYE", NULL,
	    "evil\r\na2 OK x") > 0);
	ATF_REQUIRE_STREQ(buf, "* BYE evil??a2 OK x\r\n");
	ATF_REQUIRE(imap_reply(buf, sizeof(buf), NULL, 0, "NO", "A]B", "t") > 0);
	ATF_REQUIRE_STREQ(buf, "* NO [A?B] t\r\n");
	ATF_REQUIRE_EQ(imap_reply(buf, 8, "a1", 2, "BAD", NULL, "long text"),
	    -1);
	ATF_REQUIRE_STREQ(buf, "");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, rfc3501_exchange);
	ATF_TP_ADD_TC(tp, rfc9051_exchange);
	ATF_TP_ADD_TC(tp, states);
	ATF_TP_ADD_TC(tp, malformed_answers);
	ATF_TP_ADD_TC(tp, malformed_mid_command);
	ATF_TP_ADD_TC(tp, limits);
	ATF_TP_ADD_TC(tp, inject_and_refuse);
	ATF_TP_ADD_TC(tp, reply_format);
	return atf_no_error();
}
