/*
 * Every example exchange of RFC 9051 sections 6 and 7 through the parser
 * of its direction: whole, cut in two at every offset, and byte by byte.
 * No example may give an error, every split must give the same trace,
 * and each stream holds a known number of complete messages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "imap_trace.h"
#include "rfc9051_examples.h"

#define C	IMAP_DIR_CLIENT
#define S	IMAP_DIR_SERVER

struct part {
	const char	*name;
	enum imap_dir	 dir;
	int		 raw;		/* SASL responses, DONE */
	const char	*s;
	size_t		 len;
	unsigned int	 msgs;		/* complete messages in it */
};
#define PC(s, n)	{ #s, C, 0, (s), sizeof(s) - 1, (n) }
#define PS(s, n)	{ #s, S, 0, (s), sizeof(s) - 1, (n) }
#define PR(s, n)	{ #s, C, 1, (s), sizeof(s) - 1, (n) }
#define NPARTS(a)	(sizeof(a) / sizeof((a)[0]))

/* tr_parse() with the parser in raw mode, as the session sets it. */
static char *
raw_parse(const char *s, size_t len, const size_t *cuts, size_t ncuts)
{
	struct imap_parser	 p;
	struct trace		 t;
	size_t			 off = 0, i;

	memset(&t, 0, sizeof(t));
	tr_printf(&t, "%s", "");
	ATF_REQUIRE(imap_parser_init(&p, C, NULL) == 0);
	imap_parser_set_raw(&p, 1);
	for (i = 0; i <= ncuts; i++) {
		size_t	 to = i < ncuts ? cuts[i] : len;

		tr_feed(&t, &p, (const uint8_t *)s + off, to - off);
		off = to;
	}
	imap_parser_free(&p);
	return t.s;
}

/* tr_check_splits() for raw lines. */
static char *
raw_check_splits(const char *s, size_t len)
{
	char	*whole, *part;
	size_t	 cut, *cuts;

	whole = raw_parse(s, len, NULL, 0);
	for (cut = 1; cut < len; cut++) {
		part = raw_parse(s, len, &cut, 1);
		if (strcmp(whole, part) != 0)
			atf_tc_fail("raw split at %zu differs:\n%s---\n%s",
			    cut, whole, part);
		free(part);
	}
	ATF_REQUIRE((cuts = calloc(len, sizeof(*cuts))) != NULL);
	for (cut = 1; cut < len; cut++)
		cuts[cut - 1] = cut;
	part = raw_parse(s, len, cuts, len - 1);
	if (strcmp(whole, part) != 0)
		atf_tc_fail("raw byte by byte differs:\n%s---\n%s", whole, part);
	free(part);
	free(cuts);
	return whole;
}

/* Final LINE events: "LINE ..." or "LINE" alone, not "LINE+". */
static unsigned int
count_msgs(const char *t)
{
	unsigned int	 n = 0;

	for (; *t != '\0'; t = strchr(t, '\n') + 1) {
		if (strncmp(t, "LINE", 4) == 0 && t[4] != '+')
			n++;
		if (strchr(t, '\n') == NULL)
			break;
	}
	return n;
}

/* Check one stream; returns its trace for further checks. */
static char *
check_part(const struct part *pt)
{
	char		*t;
	unsigned int	 n;

	if (pt->raw)
		t = raw_check_splits(pt->s, pt->len);
	else
		t = tr_check_splits(pt->dir, NULL, pt->s, pt->len);
	if (strstr(t, "ERROR") != NULL)
		atf_tc_fail("%s: parse error:\n%s", pt->name, t);
	n = count_msgs(t);
	if (n != pt->msgs)
		atf_tc_fail("%s: %u messages, want %u:\n%s", pt->name, n,
		    pt->msgs, t);
	return t;
}

static void
check_parts(const struct part *pt, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(check_part(&pt[i]));
}

/* The trace of one stream must contain each of the given strings. */
static void
check_has(const struct part *pt, const char *const *want, size_t n)
{
	char	*t;
	size_t	 i;

	t = check_part(pt);
	for (i = 0; i < n; i++)
		if (strstr(t, want[i]) == NULL)
			atf_tc_fail("%s: no \"%s\" in:\n%s", pt->name,
			    want[i], t);
	free(t);
}
#define HAS(pt, ...) do {						\
	static const char *const w_[] = { __VA_ARGS__ };		\
	const struct part p_ = pt;					\
	check_has(&p_, w_, NPARTS(w_));					\
} while (0)

/* 6.1 any state: CAPABILITY, NOOP, LOGOUT */
ATF_TC_WITHOUT_HEAD(any_state);
ATF_TC_BODY(any_state, tc)
{
	static const struct part pt[] = {
		PC(rfc9051_611_c, 2), PC(rfc9051_611_c_tls, 1),
		PS(rfc9051_611_s, 3), PS(rfc9051_611_s_tls, 2),
		PC(rfc9051_612_c, 2), PS(rfc9051_612_s, 5),
		PC(rfc9051_613_c, 1), PS(rfc9051_613_s, 2),
	};

	check_parts(pt, NPARTS(pt));
	HAS(PS(rfc9051_611_s, 3),
	    "LINE STAR'*' ATOM'CAPABILITY' ATOM'IMAP4rev2' ATOM'STARTTLS'"
	    " ATOM'AUTH=GSSAPI' ATOM'LOGINDISABLED'\n");
	HAS(PS(rfc9051_612_s, 5),
	    "LINE STAR'*' NUMBER=14 ATOM'FETCH' ( ATOM@1'UID' NUMBER@1=1305"
	    " ATOM@1'FLAGS' (@2 ATOM@2'\\x5cSeen' ATOM@2'\\x5cDeleted' )@2"
	    " )\n");
	HAS(PS(rfc9051_613_s, 2),
	    "LINE STAR'*' ATOM'BYE' TEXT'IMAP4rev2 Server logging out'\n");
}

/* 6.2 not authenticated: STARTTLS, AUTHENTICATE, LOGIN */
ATF_TC_WITHOUT_HEAD(not_authenticated);
ATF_TC_BODY(not_authenticated, tc)
{
	static const struct part pt[] = {
		PC(rfc9051_621_c, 2), PC(rfc9051_621_c_tls, 2),
		PS(rfc9051_621_s, 3), PS(rfc9051_621_s_tls, 3),
		PC(rfc9051_622_c, 1), PR(rfc9051_622_c_raw, 3),
		PS(rfc9051_622_s, 5),
		PC(rfc9051_623_c, 1), PS(rfc9051_623_s, 1),
	};

	check_parts(pt, NPARTS(pt));
	HAS(PC(rfc9051_621_c_tls, 2),
	    "LINE TAG'a004' ATOM'AUTHENTICATE' ATOM'PLAIN'"
	    " ATOM'dGVzdAB0ZXN0AHRlc3Q='\n");
	/* the empty response of GSSAPI is a line of its own */
	HAS(PR(rfc9051_622_c_raw, 3), "LINE TEXT'YIIB+wYJ",
	    "0A=='\nLINE TEXT''\nLINE TEXT'YDMG");
	HAS(PS(rfc9051_622_s, 5), "LINE PLUS'+' TEXT''\n",
	    "LINE PLUS'+' TEXT'YGgG", "LINE PLUS'+' TEXT'YDMG");
	HAS(PC(rfc9051_623_c, 1),
	    "LINE TAG'a001' ATOM'LOGIN' ATOM'SMITH' ATOM'SESAME'\n");
}

/* 6.3 authenticated, but LIST: ENABLE .. IDLE */
ATF_TC_WITHOUT_HEAD(authenticated);
ATF_TC_BODY(authenticated, tc)
{
	static const struct part pt[] = {
		PC(rfc9051_631_c, 3), PS(rfc9051_631_s, 6),
		PC(rfc9051_632_c, 1), PS(rfc9051_632_s, 7),
		PC(rfc9051_633_c, 1), PS(rfc9051_633_s, 7),
		PC(rfc9051_634_c, 2), PS(rfc9051_634_s, 2),
		PC(rfc9051_635_c, 11), PS(rfc9051_635_s, 20),
		PC(rfc9051_636_c, 7), PS(rfc9051_636_s, 18),
		PC(rfc9051_637_c, 1), PS(rfc9051_637_s, 1),
		PC(rfc9051_638_c, 1), PS(rfc9051_638_s, 1),
		PC(rfc9051_6310_c, 2), PS(rfc9051_6310_s, 19),
		PC(rfc9051_6311_c, 1), PS(rfc9051_6311_s, 2),
		PC(rfc9051_6312_c, 1), PS(rfc9051_6312_s, 2),
		PC(rfc9051_6313_c1, 2), PR(rfc9051_6313_c_raw, 1),
		PC(rfc9051_6313_c2, 2), PS(rfc9051_6313_s, 18),
	};

	check_parts(pt, NPARTS(pt));
	HAS(PS(rfc9051_632_s, 7),
	    "LINE STAR'*' ATOM'OK' ['PERMANENTFLAGS (\\x5cDeleted \\x5cSeen"
	    " \\x5c*)' ATOM'PERMANENTFLAGS' ( ATOM@1'\\x5cDeleted'",
	    "LINE TAG'A142' ATOM'OK' ['READ-WRITE' ATOM'READ-WRITE' ]"
	    " TEXT'SELECT completed'\n");
	HAS(PS(rfc9051_633_s, 7), "['PERMANENTFLAGS ()' ATOM'PERMANENTFLAGS'"
	    " ( ) ] TEXT'No permanent flags permitted'\n");
	HAS(PC(rfc9051_6310_c, 2), "LINE TAG'A001' ATOM'NAMESPACE'\n");
	/* nesting three deep, ")(" without a space, two spaces */
	HAS(PS(rfc9051_6310_s, 19),
	    " QUOTED@2'#mh/' QUOTED@2'/' QUOTED@2'X-PARAM' (@3"
	    " QUOTED@3'FLAG1' QUOTED@3'FLAG2' )@3 )@2 ) NIL'NIL' NIL'NIL'\n",
	    " )@2 (@2 QUOTED@2'#public/' QUOTED@2'/' )@2 (@2",
	    "LINE STAR'*' ATOM'NAMESPACE' ( (@2 QUOTED@2'INBOX.' QUOTED@2'.'"
	    " )@2 ) NIL'NIL' NIL'NIL'\n");
	HAS(PC(rfc9051_6311_c, 1),
	    "LINE TAG'A042' ATOM'STATUS' ATOM'blurdybloop' ( ATOM@1'UIDNEXT'"
	    " ATOM@1'MESSAGES' )\n");
	/* the announced count is the message's length, to the octet */
	ATF_REQUIRE_EQ(sizeof(RFC9051_APPEND_MSG) - 1, RFC9051_APPEND_LEN);
	HAS(PC(rfc9051_6312_c, 1),
	    "LINE+ TAG'A003' ATOM'APPEND' ATOM'saved-messages' ("
	    " ATOM@1'\\x5cSeen' ) LITERAL=326\n"
	    "DATA Date: Mon, 7 Feb 1994",
	    "tomorrow?\\x0d\\x0a\nLINE\n");
	HAS(PR(rfc9051_6313_c_raw, 1), "LINE TEXT'DONE'\n");
	HAS(PS(rfc9051_6313_s, 18), "LINE PLUS'+' TEXT'idling'\n",
	    "LINE STAR'*' NUMBER=4 ATOM'FETCH' ( ATOM@1'...' )\n");
}

/* 6.3.9 LIST, with LIST-EXTENDED */
ATF_TC_WITHOUT_HEAD(list);
ATF_TC_BODY(list, tc)
{
	static const struct part pt[] = {
		PC(rfc9051_639_c, 4), PS(rfc9051_639_s, 9),
		PC(rfc9051_639x_c, 10), PS(rfc9051_639x_s, 54),
	};

	check_parts(pt, NPARTS(pt));
	HAS(PC(rfc9051_639_c, 4),
	    "LINE TAG'A102' ATOM'LIST' ATOM'#news.comp.mail.misc' QUOTED''\n",
	    "LINE TAG'A202' ATOM'LIST' ATOM'~/Mail/' ATOM'%'\n");
	HAS(PS(rfc9051_639_s, 9),
	    "LINE STAR'*' ATOM'LIST' ( ATOM@1'\\x5cNoselect' ) QUOTED'/'"
	    " ATOM'/'\n");
	HAS(PC(rfc9051_639x_c, 10),
	    "LINE TAG'A07' ATOM'LIST' ( ATOM@1'SUBSCRIBED'"
	    " ATOM@1'RECURSIVEMATCH' ) QUOTED'' QUOTED'%' ATOM'RETURN' ("
	    " ATOM@1'CHILDREN' )\n",
	    "LINE TAG'A10' ATOM'LIST' QUOTED'' ( QUOTED@1'INBOX'"
	    " QUOTED@1'Drafts' QUOTED@1'Sent/%' )\n",
	    "LINE TAG'A11' ATOM'LIST' QUOTED'' ATOM'%' ATOM'RETURN' ("
	    " ATOM@1'STATUS' (@2 ATOM@2'MESSAGES' ATOM@2'UNSEEN' )@2 )\n");
	HAS(PS(rfc9051_639x_s, 54),
	    "LINE STAR'*' ATOM'LIST' ( ATOM@1'\\x5cSubscribed'"
	    " ATOM@1'\\x5cHasChildren' ) QUOTED'/' QUOTED'Vegetable' ("
	    " QUOTED@1'CHILDINFO' (@2 QUOTED@2'SUBSCRIBED' )@2 )\n",
	    "LINE STAR'*' ATOM'LIST' ( ) QUOTED'/' QUOTED'NewName' ("
	    " QUOTED@1'OLDNAME' (@2 QUOTED@2'OldName' )@2 )\n",
	    "LINE STAR'*' ATOM'STATUS' QUOTED'INBOX' ( ATOM@1'MESSAGES'"
	    " NUMBER@1=17 ATOM@1'UNSEEN' NUMBER@1=16 )\n");
}

/* 6.4 selected state: CLOSE .. UID */
ATF_TC_WITHOUT_HEAD(selected);
ATF_TC_BODY(selected, tc)
{
	static const struct part pt[] = {
		PC(rfc9051_641_c, 1), PS(rfc9051_641_s, 1),
		PC(rfc9051_642_c, 1), PS(rfc9051_642_s, 1),
		PC(rfc9051_643_c, 1), PS(rfc9051_643_s, 5),
		PC(rfc9051_644_c, 9), PS(rfc9051_644_s, 18),
		PC(rfc9051_645_c, 1), PS(rfc9051_645_s, 4),
		PC(rfc9051_646_c, 1), PS(rfc9051_646_s, 4),
		PC(rfc9051_647_c, 1), PS(rfc9051_647_s, 1),
		PC(rfc9051_648_c, 1), PS(rfc9051_648_s, 3),
		PC(rfc9051_649_c, 2), PS(rfc9051_649_s, 8),
	};

	check_parts(pt, NPARTS(pt));
	ATF_REQUIRE_EQ(sizeof(RFC9051_OTPUSK) - 1, 12);
	HAS(PC(rfc9051_644_c, 9),
	    "LINE TAG'A282' ATOM'SEARCH' ATOM'RETURN' ( ATOM@1'MIN'"
	    " ATOM@1'COUNT' ) ATOM'FLAGGED'",
	    "LINE TAG'A283' ATOM'SEARCH' ATOM'RETURN' ( ) ATOM'FLAGGED'",
	    "LINE+ TAG'A285' ATOM'SEARCH' ATOM'CHARSET' ATOM'UTF-8'"
	    " ATOM'TEXT' LITERAL=12\n"
	    "DATA \\xd0\\xbe\\xd1\\x82\\xd0\\xbf\\xd1\\x83\\xd1\\x81\\xd0\\xba\n"
	    "LINE\n",
	    "LINE+ TAG'A286' ATOM'SEARCH' ATOM'CHARSET' ATOM'UTF-8'"
	    " ATOM'TEXT' LITERAL=+12\n",
	    "LINE TAG'A302' ATOM'UID' ATOM'SEARCH' ATOM'UID' ATOM'$'"
	    " ATOM'SMALLER' NUMBER=4096\n");
	HAS(PS(rfc9051_644_s, 18),
	    "LINE STAR'*' ATOM'ESEARCH' ( ATOM@1'TAG' QUOTED@1'A283' )"
	    " ATOM'ALL' SEQSET'2,10:11'\n",
	    "LINE STAR'*' ATOM'ESEARCH' ( ATOM@1'TAG' QUOTED@1'A284' )\n",
	    "LINE STAR'*' ATOM'ESEARCH' ( ATOM@1'TAG' QUOTED@1'A304' )"
	    " ATOM'UID' ATOM'MIN' NUMBER=7 ATOM'MAX' NUMBER=3800\n",
	    "LINE PLUS'+' TEXT'Ready for literal text'\n");
	HAS(PC(rfc9051_645_c, 1),
	    "LINE TAG'A654' ATOM'FETCH' SEQSET'2:4' ( ATOM@1'FLAGS'"
	    " SECTION@1'BODY[HEADER.FIELDS (DATE FROM)]' )\n");
	HAS(PC(rfc9051_646_c, 1),
	    "LINE TAG'A003' ATOM'STORE' SEQSET'2:4' ATOM'+FLAGS' ("
	    " ATOM@1'\\x5cDeleted' )\n");
	HAS(PS(rfc9051_647_s, 1),
	    "LINE TAG'A003' ATOM'OK' ['COPYUID 38505 304,319:320 3956:3958'"
	    " ATOM'COPYUID' NUMBER=38505 SEQSET'304,319:320'"
	    " SEQSET'3956:3958' ] TEXT'Done'\n");
	HAS(PC(rfc9051_648_c, 1),
	    "LINE TAG'a' ATOM'UID' ATOM'MOVE' SEQSET'42:69' ATOM'foo'\n");
	HAS(PS(rfc9051_648_s, 3),
	    "LINE STAR'*' ATOM'OK' ['COPYUID 432432 42:69 1202:1229'"
	    " ATOM'COPYUID' NUMBER=432432 SEQSET'42:69' SEQSET'1202:1229' ]"
	    " TEXT''\n");
	HAS(PC(rfc9051_649_c, 2),
	    "LINE TAG'A999' ATOM'UID' ATOM'FETCH' SEQSET'4827313:4828442'"
	    " ATOM'FLAGS'\n",
	    "LINE TAG'A003' ATOM'UID' ATOM'EXPUNGE' SEQSET'3000:3002'\n");
}

/* 7.1 status responses and response codes */
ATF_TC_WITHOUT_HEAD(status_responses);
ATF_TC_BODY(status_responses, tc)
{
	static const struct part pt[] = {
		PC(rfc9051_71_c, 4), PS(rfc9051_71_s, 15),
		PC(rfc9051_71codes_c, 19), PS(rfc9051_71codes_s, 28),
		PS(rfc9051_71codes_x_s, 5),
	};

	check_parts(pt, NPARTS(pt));
	HAS(PS(rfc9051_71_s, 15),
	    "LINE STAR'*' ATOM'OK' ['ALERT' ATOM'ALERT' ]"
	    " TEXT'System shutdown in 10 minutes'\n",
	    "LINE STAR'*' ATOM'NO'"
	    " TEXT'Disk is 99% full, please delete unnecessary data'\n",
	    "LINE STAR'*' ATOM'PREAUTH'"
	    " TEXT'IMAP4rev2 server logged in as Smith'\n",
	    "LINE STAR'*' ATOM'BYE' TEXT'Autologout; idle for too long'\n");
	HAS(PS(rfc9051_71codes_s, 28),
	    "LINE TAG'A003' ATOM'OK' ['APPENDUID 38505 3955' ATOM'APPENDUID'"
	    " NUMBER=38505 NUMBER=3955 ] TEXT'APPEND completed'\n",
	    "LINE TAG'e' ATOM'OK' ['CONTACTADMIN' ATOM'CONTACTADMIN' ]"
	    " TEXT''\n",
	    "LINE STAR'*' ATOM'OK' ['UIDNEXT 4392' ATOM'UIDNEXT'"
	    " NUMBER=4392 ] TEXT'Predicted next UID'\n",
	    "LINE TAG'o356' ATOM'NO' ['ALREADYEXISTS' ATOM'ALREADYEXISTS' ]"
	    " TEXT'Mailbox \"that\" already exists'\n");
	HAS(PC(rfc9051_71codes_c, 19),
	    "LINE TAG'l' ATOM'create' QUOTED'///////'\n",
	    "LINE TAG'm' ATOM'STORE' SEQSET'1:*' ATOM'keywords' ATOM'abc'\n",
	    "LINE TAG'n1' ATOM'uid' ATOM'copy' SEQSET'1:*' ATOM'oldmail'\n");
	HAS(PS(rfc9051_71codes_x_s, 5),
	    "LINE TAG'A003' ATOM'NO' ['TRYCREATE' ATOM'TRYCREATE' ]",
	    "['BADCHARSET (UTF-8)' ATOM'BADCHARSET' ( ATOM@1'UTF-8' ) ]");
}

/* 7.2 - 7.4 server and mailbox status, message status */
ATF_TC_WITHOUT_HEAD(server_data);
ATF_TC_BODY(server_data, tc)
{
	static const struct part pt[] = {
		PS(rfc9051_72_s, 3), PS(rfc9051_73_s, 10),
		PS(rfc9051_74_s, 2),
	};

	check_parts(pt, NPARTS(pt));
	HAS(PS(rfc9051_72_s, 3),
	    "LINE STAR'*' ATOM'ENABLED' ATOM'X-GOOD-IDEA'\n"
	    "LINE STAR'*' ATOM'ENABLED'\n");
	HAS(PS(rfc9051_73_s, 10),
	    "LINE STAR'*' ATOM'ESEARCH' ATOM'UID' ATOM'COUNT' NUMBER=17"
	    " ATOM'ALL' SEQSET'4:18,21,28'\n",
	    "LINE STAR'*' ATOM'ESEARCH' ( ATOM@1'TAG' QUOTED@1'a567' )"
	    " ATOM'UID'",
	    "LINE STAR'*' ATOM'LIST' ( ) NIL'NIL' ATOM'inbox'\n",
	    "LINE STAR'*' ATOM'NAMESPACE' ( (@2 QUOTED@2'' QUOTED@2'/' )@2 )"
	    " ( (@2 QUOTED@2'~' QUOTED@2'/' )@2 ) NIL'NIL'\n");
	HAS(PS(rfc9051_74_s, 2), "LINE STAR'*' NUMBER=23 ATOM'EXISTS'\n"
	    "LINE STAR'*' NUMBER=44 ATOM'EXPUNGE'\n");
}

/* 7.5 FETCH, with a literal and a literal8 */
ATF_TC_WITHOUT_HEAD(fetch_response);
ATF_TC_BODY(fetch_response, tc)
{
	HAS(PS(rfc9051_75_s, 3),
	    "LINE STAR'*' NUMBER=23 ATOM'FETCH' ( ATOM@1'FLAGS' (@2"
	    " ATOM@2'\\x5cSeen' )@2 ATOM@1'RFC822.SIZE' NUMBER@1=44827 )\n",
	    "LINE+ STAR'*' NUMBER=24 ATOM'FETCH' ( ATOM@1'UID'"
	    " NUMBER@1=4827943 ATOM@1'RFC822.SIZE' NUMBER@1=326"
	    " SECTION@1'BODY[]' LITERAL@1=326\nDATA Date: Mon",
	    "tomorrow?\\x0d\\x0a\nLINE )\n",
	    "LINE+ STAR'*' NUMBER=24 ATOM'FETCH' ( SECTION@1'BINARY[]'"
	    " LITERAL@1=~326\nDATA Date: Mon",
	    "tomorrow?\\x0d\\x0a\nLINE SECTION@1'BINARY.SIZE[]'"
	    " NUMBER@1=326 )\n");
}

/* 7.6 continuation requests, and the literal a server refuses */
ATF_TC_WITHOUT_HEAD(continuation);
ATF_TC_BODY(continuation, tc)
{
	char	*t;

	HAS(PC(rfc9051_76_c, 1),
	    "LINE+ TAG'A001' ATOM'LOGIN' LITERAL=11\n"
	    "DATA FRED FOOBAR\n"
	    "LINE+ LITERAL=7\n"
	    "DATA fat man\n"
	    "LINE\n");
	HAS(PS(rfc9051_76_s, 4),
	    "LINE PLUS'+' TEXT'Ready for additional command text'\n",
	    "LINE TAG'A044' ATOM'BAD'"
	    " TEXT'No such command as \"BLURDYBLOOP\"'\n");
	/* The client never sends the 102856 octets: no message ends. */
	t = tr_check_splits(C, NULL, rfc9051_76_c_refused,
	    sizeof(rfc9051_76_c_refused) - 1);
	ATF_REQUIRE_STREQ(t,
	    "LINE+ TAG'A044' ATOM'BLURDYBLOOP' LITERAL=102856\n");
	ATF_REQUIRE_EQ(count_msgs(t), 0);
	free(t);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, any_state);
	ATF_TP_ADD_TC(tp, not_authenticated);
	ATF_TP_ADD_TC(tp, authenticated);
	ATF_TP_ADD_TC(tp, list);
	ATF_TP_ADD_TC(tp, selected);
	ATF_TP_ADD_TC(tp, status_responses);
	ATF_TP_ADD_TC(tp, server_data);
	ATF_TP_ADD_TC(tp, fetch_response);
	ATF_TP_ADD_TC(tp, continuation);
	return atf_no_error();
}
