/*
 * POP3 framing: the end of a multi-line body found at the same byte
 * however the body is split, message numbers, and APOP's pieces.
 */
#include <string.h>

#include <atf-c.h>

#include "apop.h"
#include "pop3_parse.h"

/* Where the terminator ends, feeding p in pieces of piece, cut at cut. */
static size_t
ml_end(const char *p, size_t len, size_t cut, size_t piece)
{
	struct pop3_ml	 m;
	size_t		 off = 0, n, chunk, lim;

	pop3_ml_start(&m);
	while (off < len) {
		lim = off < cut ? cut : len;
		chunk = lim - off < piece ? lim - off : piece;
		if (pop3_ml_scan(&m, (const uint8_t *)p + off, chunk, &n))
			return off + n;
		ATF_REQUIRE_EQ(n, chunk);
		off += n;
	}
	return 0;
}

static void
check_ml(const char *p, size_t len, size_t want)
{
	size_t	 k;

	ATF_CHECK_EQ_MSG(want, ml_end(p, len, len, len), "whole: %s", p);
	ATF_CHECK_EQ_MSG(want, ml_end(p, len, len, 1), "bytes: %s", p);
	for (k = 1; k < len; k++)
		ATF_CHECK_EQ_MSG(want, ml_end(p, len, k, len), "cut %zu: %s",
		    k, p);
}

ATF_TC_WITHOUT_HEAD(multiline_end);
ATF_TC_BODY(multiline_end, tc)
{
	static const struct {
		const char	*body;
		size_t		 end;	/* 0: not ended */
	} t[] = {
		{ ".\r\n", 3 },
		{ ".\n", 2 },
		{ "a\r\n.\r\nNEXT", 6 },
		{ "..\r\n.\r\n", 7 },
		{ "..\r\n", 0 },
		{ ".x\r\n.\r\n", 7 },
		{ ".\rx\r\n.\r\n", 8 },
		{ "x.\r\n", 0 },
		{ "\r\n.\r\n", 5 },
		{ "\n.\n", 3 },
		{ "a.\r\n..\r\n. \r\n", 0 },
		{ "+OK pop3 looking line\r\n.\r\n", 26 },
		{ "line\r\n.", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check_ml(t[i].body, strlen(t[i].body), t[i].end);
}

ATF_TC_WITHOUT_HEAD(lines);
ATF_TC_BODY(lines, tc)
{
	struct pop3_line	 l;
	const uint8_t		*t;
	size_t			 n;

	ATF_REQUIRE(pop3_line_init(&l, 8) == 0);
	ATF_CHECK_EQ(POP3_LINE_MORE, pop3_line_feed(&l,
	    (const uint8_t *)"NO", 2, &n));
	ATF_CHECK_EQ(POP3_LINE_DONE, pop3_line_feed(&l,
	    (const uint8_t *)"OP\r\nX", 5, &n));
	ATF_CHECK_EQ(4, n);
	ATF_CHECK_EQ(4, pop3_line_text(&l, &t));
	ATF_CHECK(memcmp(t, "NOOP", 4) == 0);
	ATF_CHECK(!pop3_line_bare_lf(&l));
	/* Over the limit: consumed to its end, reported, then in step. */
	ATF_CHECK_EQ(POP3_LINE_MORE, pop3_line_feed(&l,
	    (const uint8_t *)"123456789", 9, &n));
	ATF_CHECK_EQ(POP3_LINE_LONG, pop3_line_feed(&l,
	    (const uint8_t *)"0\r\nQUIT\n", 8, &n));
	ATF_CHECK_EQ(3, n);
	ATF_CHECK_EQ(POP3_LINE_DONE, pop3_line_feed(&l,
	    (const uint8_t *)"QUIT\n", 5, &n));
	ATF_CHECK(pop3_line_bare_lf(&l));
	/* Exactly the limit, CRLF included, fits. */
	ATF_CHECK_EQ(POP3_LINE_DONE, pop3_line_feed(&l,
	    (const uint8_t *)"123456\r\n", 8, &n));
	pop3_line_free(&l);
}

ATF_TC_WITHOUT_HEAD(commands);
ATF_TC_BODY(commands, tc)
{
	struct pop3_cmd	 c;

	ATF_CHECK_EQ(POP3_CMD_OK, pop3_cmd_parse((const uint8_t *)"top 1 10",
	    8, &c));
	ATF_CHECK_STREQ("TOP", c.kw);
	ATF_CHECK_EQ(2, c.nargs);
	ATF_CHECK_EQ(2, c.arglen[1]);
	ATF_CHECK_EQ(POP3_CMD_OK, pop3_cmd_parse((const uint8_t *)
	    "PASS a b c d e f g h i j", 24, &c));
	ATF_CHECK(c.many);
	ATF_CHECK_EQ(19, c.restlen);
	ATF_CHECK_EQ(POP3_CMD_CTL, pop3_cmd_parse((const uint8_t *)"US\0R",
	    4, &c));
	ATF_CHECK_EQ(POP3_CMD_CTL, pop3_cmd_parse((const uint8_t *)"USER a\r",
	    7, &c));
	ATF_CHECK_EQ(POP3_CMD_KEYWORD, pop3_cmd_parse((const uint8_t *)
	    "ABCDEFGHIJKLMNOPQ", 17, &c));
	ATF_CHECK_EQ(POP3_CMD_EMPTY, pop3_cmd_parse((const uint8_t *)"", 0,
	    &c));
	ATF_CHECK_EQ(POP3_ST_OK, pop3_status_parse((const uint8_t *)"+OK", 3));
	ATF_CHECK_EQ(POP3_ST_ERR, pop3_status_parse((const uint8_t *)"-ERR x",
	    6));
	ATF_CHECK_EQ(POP3_ST_CONT, pop3_status_parse((const uint8_t *)"+ ",
	    2));
	ATF_CHECK_EQ(POP3_ST_BAD, pop3_status_parse((const uint8_t *)"+OK2",
	    4));
	ATF_CHECK_EQ(POP3_ST_BAD, pop3_status_parse((const uint8_t *)"-ok",
	    3));
}

ATF_TC_WITHOUT_HEAD(message_numbers);
ATF_TC_BODY(message_numbers, tc)
{
	uint32_t	 v;

	ATF_CHECK(pop3_msgno("1", 1, &v) == 0 && v == 1);
	ATF_CHECK(pop3_msgno("2147483647", 10, &v) == 0 && v == INT32_MAX);
	ATF_CHECK(pop3_msgno("2147483648", 10, &v) == -1);
	ATF_CHECK(pop3_msgno("0", 1, &v) == -1);
	ATF_CHECK(pop3_msgno("01", 2, &v) == -1);
	ATF_CHECK(pop3_msgno("-1", 2, &v) == -1);
	ATF_CHECK(pop3_msgno("+1", 2, &v) == -1);
	ATF_CHECK(pop3_msgno("1x", 2, &v) == -1);
	ATF_CHECK(pop3_msgno("", 0, &v) == -1);
	ATF_CHECK(pop3_msgno("99999999999", 11, &v) == -1);
	ATF_CHECK(pop3_count("0", 1, &v) == 0 && v == 0);
}

/* RFC 1939 section 7's example. */
ATF_TC_WITHOUT_HEAD(apop);
ATF_TC_BODY(apop, tc)
{
	static const char	 g[] =
	    "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>";
	char			 ts[64], hex[APOP_DIGEST_HEX + 1];

	ATF_REQUIRE(apop_timestamp((const uint8_t *)g, sizeof(g) - 1, ts,
	    sizeof(ts)) == 0);
	ATF_CHECK_STREQ("<1896.697170952@dbc.mtview.ca.us>", ts);
	apop_digest(ts, "tanstaaf", 8, hex);
	ATF_CHECK_STREQ("c4c9334bac560ecc979e58001b3e22fb", hex);
	ATF_CHECK(apop_digest_valid(hex, 32));
	ATF_CHECK(!apop_digest_valid(hex, 31));
	ATF_CHECK(!apop_digest_valid("c4c9334bac560ecc979e58001b3e22fg", 32));
	ATF_CHECK(apop_timestamp((const uint8_t *)"+OK ready", 9, ts,
	    sizeof(ts)) == -1);
	ATF_CHECK(apop_timestamp((const uint8_t *)"+OK <a b>", 9, ts,
	    sizeof(ts)) == -1);
	ATF_CHECK(apop_timestamp((const uint8_t *)"+OK <ab", 7, ts,
	    sizeof(ts)) == -1);
	ATF_CHECK(apop_timestamp((const uint8_t *)g, sizeof(g) - 1, ts,
	    10) == -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, multiline_end);
	ATF_TP_ADD_TC(tp, lines);
	ATF_TP_ADD_TC(tp, commands);
	ATF_TP_ADD_TC(tp, message_numbers);
	ATF_TP_ADD_TC(tp, apop);
	return atf_no_error();
}
