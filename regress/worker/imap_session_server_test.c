/*
 * The IMAP session's upstream side: the greeting, each response tied to
 * the command that asked for it (pipelined, tags repeated, or nobody's),
 * a literal of the server's that looks like protocol, and the turns
 * where the upstream's answer decides how the client's next line is
 * read: IDLE's DONE, AUTHENTICATE's SASL lines, STARTTLS and COMPRESS.
 * Also the filter the relay puts on the capabilities the upstream
 * advertises.  Every script is also run cut at every offset of every
 * step and byte by byte, with the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "session_harness.h"

/* A3.17: IDLE until DONE; a tagged line during IDLE is no command. */
ATF_TC_WITHOUT_HEAD(idle);
ATF_TC_BODY(idle, tc)
{
	static const struct step sc[] = {
		SV("* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\r\n"),
		CL("a2 SELECT INBOX\r\n"),
		SV("a2 OK [READ-WRITE] selected\r\n"),
		CL("a3 IDLE\r\n"),
		SV("+ idling\r\n* 11 EXISTS\r\n* 11 RECENT\r\n"),
		CL("done\r\n"),
		SV("a3 OK Idle completed\r\n"),
		CL("a6 IDLE\r\n"),
		SV("+ idling\r\n"),
		CL("a7 NOOP\r\n"),
		SV("a6 OK Idle completed\r\n* 12 EXISTS\r\n"),
		CL("a8 NOOP\r\n"),
		SV("a8 OK done\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * PREAUTH +greet +caps =authenticated\n"
	    "C line fwd a2/SELECT +start\n"
	    "S line fwd a2/SELECT OK +done =selected\n"
	    "C line fwd a3/IDLE +start\n"
	    "S line fwd a3/IDLE +\n"
	    "S line fwd a3/IDLE EXISTS\n"
	    "S line fwd a3/IDLE RECENT\n"
	    "C line fwd a3/IDLE +idledone\n"
	    "S line fwd a3/IDLE OK +done\n"
	    "C line fwd a6/IDLE +start\n"
	    "S line fwd a6/IDLE +\n"
	    "C line subst a6/IDLE +idledone\n"
	    "S line fwd a6/IDLE OK +done\n"
	    "S line fwd * EXISTS +unsol\n"
	    "C line fwd a8/NOOP +start\n"
	    "S line fwd a8/NOOP OK +done\n");
	EXPECT_STR(r.up.s, "a2 SELECT INBOX\r\na3 IDLE\r\ndone\r\na6 IDLE\r\n"
	    "DONE\r\na8 NOOP\r\n");
	run_free(&r);
}

/*
 * A3.16: AUTHENTICATE with continuations, "*" cancel, a line that is no
 * SASL response, SASL-IR with a command pipelined behind it.
 */
ATF_TC_WITHOUT_HEAD(authenticate);
ATF_TC_BODY(authenticate, tc)
{
	static const struct step sc[] = {
		SV(GREETING),
		CL("a1 AUTHENTICATE CRAM-MD5\r\n"),
		SV("+ PDI3NzA0MjIzNzE4Njc5NDUuMTc5NTMxNjI1MEB2bT4=\r\n"),
		CL("*\r\n"),
		SV("a1 BAD Authentication aborted by client.\r\n"),
		CL("a2 AUTHENTICATE PLAIN\r\n"),
		SV("+ \r\n"),
		CL("a3 NOOP\r\n"),
		SV("a2 BAD Authentication aborted by client.\r\n"),
		CL("a4 AUTHENTICATE PLAIN\r\n"),
		SV("+\r\n"),
		CL("AHRlc3R1c2VyAHRlc3RwYXNz\r\n"),
		SV("a4 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
		CL("a5 AUTHENTICATE PLAIN AHRlc3R1c2VyAHRlc3RwYXNz\r\n"
		   "a6 SELECT INBOX\r\n"),
		SV("a5 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n"),
		SV("a6 OK [READ-WRITE] selected\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line fwd a1/AUTHENTICATE +start\n"
	    "S line fwd a1/AUTHENTICATE +\n"
	    "C line fwd a1/AUTHENTICATE +sasl +cancel\n"
	    "S line fwd a1/AUTHENTICATE BAD +done\n"
	    "C line fwd a2/AUTHENTICATE +start\n"
	    "S line fwd a2/AUTHENTICATE +\n"
	    "C line subst a2/AUTHENTICATE +sasl +cancel\n"
	    "S line fwd a2/AUTHENTICATE BAD +done\n"
	    "C line fwd a4/AUTHENTICATE +start\n"
	    "S line fwd a4/AUTHENTICATE +\n"
	    "C line fwd a4/AUTHENTICATE +sasl\n"
	    "S line fwd a4/AUTHENTICATE NO +done\n"
	    "C line fwd a5/AUTHENTICATE +start\n"
	    "S line fwd a5/AUTHENTICATE OK +done +caps =authenticated\n"
	    "C line fwd a6/SELECT +start\n"
	    "S line fwd a6/SELECT OK +done =selected\n");
	EXPECT_STR(r.up.s, "a1 AUTHENTICATE CRAM-MD5\r\n*\r\n"
	    "a2 AUTHENTICATE PLAIN\r\n*\r\n"
	    "a4 AUTHENTICATE PLAIN\r\nAHRlc3R1c2VyAHRlc3RwYXNz\r\n"
	    "a5 AUTHENTICATE PLAIN AHRlc3R1c2VyAHRlc3RwYXNz\r\n"
	    "a6 SELECT INBOX\r\n");
	ATF_REQUIRE_EQ(r.s.caps, IMAP_CAP_IMAP4REV1 | IMAP_CAP_IDLE);
	run_free(&r);
}

/* A3.21: nothing may follow STARTTLS before TLS; then all is forgotten. */
ATF_TC_WITHOUT_HEAD(starttls);
ATF_TC_BODY(starttls, tc)
{
	static const struct step pipelined[] = {
		SV(GREETING),
		CL("a1 STARTTLS\r\na2 CAPABILITY\r\n"),
	};
	static const struct step injected[] = {
		SV(GREETING),
		CL("a1 STARTTLS\r\n"),
		SV("a1 OK Begin TLS negotiation now.\r\n"
		   "* CAPABILITY IMAP4REV1 AUTH=PLAIN\r\n"),
	};
	static const struct step ok[] = {
		SV(GREETING),
		CL("a1 starttls\r\n"),
		SV("a1 OK Begin TLS negotiation now.\r\n"),
		TLS,
		CL("a2 CAPABILITY\r\n"),
		SV("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na2 OK done\r\n"),
	};
	static const struct step refused[] = {
		SV(GREETING),
		CL("a1 STARTTLS\r\n"),
		SV("a1 BAD not now\r\n"),
		CL("a2 NOOP\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, pipelined);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line fwd a1/STARTTLS +start +starttls\n"
	    "C none close\n");
	EXPECT_STR(r.down.s, GREETING "* BYE Data after STARTTLS\r\n");
	run_free(&r);

	RUN(&r, NULL, injected);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line fwd a1/STARTTLS +start +starttls\n"
	    "S line fwd a1/STARTTLS OK +done +starttls\n"
	    "S none close *\n");
	run_free(&r);

	RUN(&r, NULL, ok);
	EXPECT_STR(r.ev.s,
	    "S line fwd * OK +greet +caps =not authenticated\n"
	    "C line fwd a1/STARTTLS +start +starttls\n"
	    "S line fwd a1/STARTTLS OK +done +starttls\n"
	    "C line fwd a2/CAPABILITY +start\n"
	    "S line fwd a2/CAPABILITY CAPABILITY +caps\n"
	    "S line fwd a2/CAPABILITY OK +done\n");
	ATF_REQUIRE_EQ(r.s.caps, IMAP_CAP_IMAP4REV1);
	run_free(&r);

	RUN(&r, NULL, refused);
	ATF_REQUIRE(!r.closed);
	EXPECT_STR(r.up.s, "a1 STARTTLS\r\na2 NOOP\r\n");
	run_free(&r);
}

/* A3.20: COMPRESS is marked; if the upstream agrees, the session ends. */
ATF_TC_WITHOUT_HEAD(compress);
ATF_TC_BODY(compress, tc)
{
	static const struct step sc[] = {
		SV("* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n"),
		CL("a9 COMPRESS DEFLATE\r\n"),
		SV("a9 OK Begin compression.\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * PREAUTH +greet +caps =authenticated\n"
	    "C line fwd a9/COMPRESS +start +compress\n"
	    "S line close a9/COMPRESS OK +done\n");
	EXPECT_STR(r.down.s, "* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE]"
	    " hi\r\n* BYE Compression cannot be inspected\r\n");
	EXPECT_STR(r.up.s, "a9 COMPRESS DEFLATE\r\n");
	ATF_REQUIRE(r.s.caps & IMAP_CAP_COMPRESS);
	run_free(&r);
}

/*
 * A1.6: pipelined commands, responses in any order, tags repeated;
 * untagged responses tied to the command that asked, or to nobody.
 */
ATF_TC_WITHOUT_HEAD(pipelining);
ATF_TC_BODY(pipelining, tc)
{
	static const struct step sc[] = {
		SV("* PREAUTH hi\r\n"),
		CL("a6 SELECT INBOX\r\na7 NOOP\r\na8 UID FETCH 1:* (FLAGS)\r\n"
		   "a8 SEARCH ALL\r\n"),
		SV("* FLAGS (\\Seen)\r\n* 3 EXISTS\r\n* OK [ALERT] hello\r\n"
		   "a6 OK [READ-WRITE] done\r\n"),
		SV("* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"
		   "* SEARCH 1 2\r\n"
		   "a8 OK fetched\r\n"
		   "a7 OK noop\r\n"
		   "* 2 FETCH (FLAGS (\\Deleted))\r\n"
		   "a8 OK searched\r\n"
		   "* 3 EXPUNGE\r\n"
		   "* NO warning\r\n"),
	};
	/*
	 * A tag we never sent, or a "+" nobody waits for: the server reads
	 * the stream differently from us (a literal taken for a command,
	 * say).  The session ends rather than guess.
	 */
	static const struct step unknown_tag[] = {
		SV("* PREAUTH hi\r\n"),
		CL("a7 NOOP\r\n"),
		SV("a7 OK noop\r\ny OK Delete completed\r\n"),
	};
	static const struct step stray_plus[] = {
		SV("* PREAUTH hi\r\n"),
		CL("a7 NOOP\r\n"),
		SV("+ nobody asked\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * PREAUTH +greet =authenticated\n"
	    "C line fwd a6/SELECT +start\n"
	    "S line fwd a6/SELECT FLAGS\n"
	    "S line fwd a6/SELECT EXISTS\n"
	    "S line fwd * OK +unsol\n"
	    "S line fwd a6/SELECT OK +done =selected\n"
	    "C line fwd a7/NOOP +start\n"
	    "C line fwd a8/UID FETCH +start\n"
	    "C line fwd a8/SEARCH +start\n"
	    "S line fwd a7/NOOP FETCH\n"
	    "S line fwd a8/SEARCH SEARCH\n"
	    "S line fwd a8/UID FETCH OK +done\n"
	    "S line fwd a7/NOOP OK +done\n"
	    "S line fwd * FETCH +unsol\n"
	    "S line fwd a8/SEARCH OK +done\n"
	    "S line fwd * EXPUNGE +unsol\n"
	    "S line fwd * NO +unsol\n");
	run_free(&r);

	RUN(&r, NULL, unknown_tag);
	EXPECT_STR(r.down.s, "* PREAUTH hi\r\na7 OK noop\r\n"
	    "* BYE Upstream answered a command it was never sent\r\n");
	ATF_REQUIRE(r.closed);
	run_free(&r);

	RUN(&r, NULL, stray_plus);
	EXPECT_STR(r.down.s, "* PREAUTH hi\r\n"
	    "* BYE Upstream asked for data no command has\r\n");
	ATF_REQUIRE(r.closed);
	run_free(&r);
}

/* A2.13: a literal that looks like protocol changes nothing. */
ATF_TC_WITHOUT_HEAD(protocol_looking_literal);
ATF_TC_BODY(protocol_looking_literal, tc)
{
	static const struct step sc[] = {
		SV("* PREAUTH [CAPABILITY IMAP4rev1 IDLE] hi\r\n"),
		CL("a3 SELECT INBOX\r\n"),
		SV("a3 OK done\r\n"),
		CL("a4 FETCH 2 BODY[]\r\na5 NOOP\r\n"),
		SV("* 2 FETCH (BODY[] {163}\r\n"
		   "Subject: x\r\n\r\n"
		   "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"
		   "a5 OK LOGIN completed\r\n"
		   "+ continuation\r\n"
		   "{5}\r\n12345\r\n"
		   "* BYE bye\r\n"
		   "* 1 EXISTS\r\n"
		   ".\r\n"
		   "+OK pop3 looking line\r\n"
		   ")\r\n"),
		SV("a4 OK Fetch completed\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, sc);
	EXPECT_STR(r.ev.s,
	    "S line fwd * PREAUTH +greet +caps =authenticated\n"
	    "C line fwd a3/SELECT +start\n"
	    "S line fwd a3/SELECT OK +done =selected\n"
	    "C line fwd a4/FETCH +start\n"
	    "C line fwd a5/NOOP +start\n"
	    "S line fwd a4/FETCH FETCH\n"
	    "S data fwd 163\n"
	    "S line fwd a4/FETCH FETCH\n"
	    "S line fwd a4/FETCH OK +done\n");
	ATF_REQUIRE_EQ(r.s.state, IMAP_ST_SELECTED);
	ATF_REQUIRE_EQ(r.s.caps, IMAP_CAP_IMAP4REV1 | IMAP_CAP_IDLE);
	ATF_REQUIRE_EQ(r.s.ninflight, 1);
	ATF_REQUIRE_STREQ(TAILQ_FIRST(&r.s.inflight)->tag, "a5");
	run_free(&r);
}

ATF_TC_WITHOUT_HEAD(greetings);
ATF_TC_BODY(greetings, tc)
{
	static const struct step bye[] = { SV("* BYE too busy\r\n") };
	static const struct step bad[] = { SV("a1 OK hi\r\n") };
	static const struct step num[] = { SV("* 1 EXISTS\r\n") };
	static const struct step early[] = {
		CL("a1 CAPABILITY\r\n"),
		SV("* OK hi\r\n* CAPABILITY IMAP4rev1\r\na1 OK\r\n"),
	};
	struct run	 r;

	RUN(&r, NULL, bye);
	EXPECT_STR(r.ev.s, "S line fwd * BYE +greet =logout\n");
	run_free(&r);
	RUN(&r, NULL, bad);
	EXPECT_STR(r.ev.s, "S line close *\n");
	EXPECT_STR(r.down.s, "* BYE Invalid greeting from upstream\r\n");
	run_free(&r);
	RUN(&r, NULL, num);
	EXPECT_STR(r.ev.s, "S line close * EXISTS\n");
	run_free(&r);
	RUN(&r, NULL, early);
	EXPECT_STR(r.ev.s,
	    "C line fwd a1/CAPABILITY +start\n"
	    "S line fwd * OK +greet =not authenticated\n"
	    "S line fwd a1/CAPABILITY CAPABILITY +caps\n"
	    "S line fwd a1/CAPABILITY OK +done\n");
	run_free(&r);
}

static int
keep_not_compress(const struct imap_token *t, void *arg)
{
	(*(int *)arg)++;
	return imap_cap_bit(t->p, t->len) != IMAP_CAP_COMPRESS;
}

/* A14: COMPRESS=DEFLATE hidden wherever a capability list appears. */
ATF_TC_WITHOUT_HEAD(caps_filter);
ATF_TC_BODY(caps_filter, tc)
{
	static const char *in[] = {
		"* OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE IDLE] ready\r\n",
		"* CAPABILITY IMAP4rev1 compress=deflate\r\n",
		"a1 OK [CAPABILITY COMPRESS=DEFLATE] Logged in\r\n",
		"* ENABLED COMPRESS=DEFLATE\r\n",
		"* OK [ALERT] COMPRESS=DEFLATE\r\n",
		"* 1 FETCH (FLAGS (COMPRESS=DEFLATE))\r\n",
	};
	static const char *want[] = {
		"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n",
		"* CAPABILITY IMAP4rev1\r\n",
		"a1 OK [CAPABILITY] Logged in\r\n",
		"* ENABLED COMPRESS=DEFLATE\r\n",
		"* OK [ALERT] COMPRESS=DEFLATE\r\n",
		"* 1 FETCH (FLAGS (COMPRESS=DEFLATE))\r\n",
	};
	static const int ncaps[] = { 3, 2, 1, 0, 0, 0 };
	struct imap_parser	 p;
	struct imap_event	 ev;
	const struct imap_token	*t;
	unsigned int		 n;
	uint8_t			 out[128];
	size_t			 i;
	int			 len, seen;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		ATF_REQUIRE(imap_parser_init(&p, IMAP_DIR_SERVER, NULL) == 0);
		imap_parser_feed(&p, (const uint8_t *)in[i], strlen(in[i]),
		    &ev);
		ATF_REQUIRE_EQ(ev.type, IMAP_EV_LINE);
		t = imap_parser_tokens(&p, &n);
		seen = 0;
		len = imap_caps_filter(&ev, t, n, keep_not_compress, &seen,
		    out, sizeof(out));
		ATF_REQUIRE(len > 0);
		out[len] = '\0';
		EXPECT_STR((char *)out, want[i]);
		ATF_REQUIRE_EQ(seen, ncaps[i]);
		ATF_REQUIRE_EQ(imap_caps_filter(&ev, t, n, keep_not_compress,
		    &seen, out, 10), -1);
		imap_parser_free(&p);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, idle);
	ATF_TP_ADD_TC(tp, authenticate);
	ATF_TP_ADD_TC(tp, starttls);
	ATF_TP_ADD_TC(tp, compress);
	ATF_TP_ADD_TC(tp, pipelining);
	ATF_TP_ADD_TC(tp, protocol_looking_literal);
	ATF_TP_ADD_TC(tp, greetings);
	ATF_TP_ADD_TC(tp, caps_filter);
	return atf_no_error();
}
