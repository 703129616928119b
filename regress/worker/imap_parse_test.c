/*
 * The IMAP parser alone: tokens, literals, framing, every malformed input
 * the issue names, and for every stream the same result however the bytes
 * are split (in two at each offset, and one by one).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "imap_trace.h"
#include "rfc_streams.h"

#define C	IMAP_DIR_CLIENT
#define S	IMAP_DIR_SERVER

static size_t
count(const char *hay, const char *needle)
{
	size_t	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

ATF_TC_WITHOUT_HEAD(simple_commands);
ATF_TC_BODY(simple_commands, tc)
{
	TR_EXPECT(C, "a001 login mrc secret\r\n",
	    "LINE TAG'a001' ATOM'login' ATOM'mrc' ATOM'secret'\n");
	TR_EXPECT(C, "a1 UID FETCH 1:*,4 (FLAGS BODY.PEEK[HEADER.FIELDS "
	    "(SUBJECT \"X-A]\")]<0.10>)\r\n",
	    "LINE TAG'a1' ATOM'UID' ATOM'FETCH' SEQSET'1:*,4' ("
	    " ATOM@1'FLAGS' SECTION@1'BODY.PEEK[HEADER.FIELDS "
	    "(SUBJECT \"X-A]\")]<0.10>' )\n");
	TR_EXPECT(C, "a2 STORE 2 +FLAGS.SILENT (\\Seen \\Deleted)\r\n",
	    "LINE TAG'a2' ATOM'STORE' NUMBER=2 ATOM'+FLAGS.SILENT' ("
	    " ATOM@1'\\x5cSeen' ATOM@1'\\x5cDeleted' )\n");
	TR_EXPECT(C, "a3 LIST \"\" \"pct%star*\"\r\n",
	    "LINE TAG'a3' ATOM'LIST' QUOTED'' QUOTED'pct%star*'\n");
	TR_EXPECT(C, "a4 LIST \"\" %\r\n",
	    "LINE TAG'a4' ATOM'LIST' QUOTED'' ATOM'%'\n");
	TR_EXPECT(C, "a5 ID NIL\r\n", "LINE TAG'a5' ATOM'ID' NIL'NIL'\n");
	TR_EXPECT(C, "a6 SEARCH 12345678901234567890123 1:\r\n",
	    "LINE TAG'a6' ATOM'SEARCH' NUMBER=overflow ATOM'1:'\n");
	TR_EXPECT(C, ". CAPABILITY\r\n", "LINE TAG'.' ATOM'CAPABILITY'\n");
	/* tag = 1*<ASTRING-CHAR except "+">, which includes "]" */
	/* "]" is an ASTRING-CHAR, but Dovecot refuses it in a tag */
	TR_EXPECT(C, "a]1 NOOP\r\n", "ERROR Invalid tag\n");
}

/* Only \" and \\ are escapes; the token holds the decoded string. */
ATF_TC_WITHOUT_HEAD(quoted);
ATF_TC_BODY(quoted, tc)
{
	TR_EXPECT(C, "b1 SELECT \"a\\\"b\\\\c\"\r\n",
	    "LINE TAG'b1' ATOM'SELECT' QUOTED'a\"b\\x5cc'\n");
	TR_EXPECT(C, "b2 SELECT \"a\\x\"\r\n",
	    "ERROR Invalid escape in quoted string tag=b2\n");
	TR_EXPECT(C, "b3 SELECT \"INBOX\r\n",
	    "ERROR Unterminated quoted string tag=b3\n");
	TR_EXPECT(C, "b4 SELECT \"a\\\r\n",
	    "ERROR Unterminated quoted string tag=b4\n");
	TR_EXPECT(C, "b5 CREATE \"Entw\xc3\xbcrfe\"\r\n",
	    "LINE TAG'b5' ATOM'CREATE' QUOTED'Entw\\xc3\\xbcrfe'\n");
	TR_EXPECT(C, "b6 SELECT \"a\"b\r\n", "ERROR Syntax error tag=b6\n");
}

ATF_TC_WITHOUT_HEAD(literals);
ATF_TC_BODY(literals, tc)
{
	TR_EXPECT(C, "a1 LOGIN {8}\r\ntestuser {8+}\r\ntestpass\r\n",
	    "LINE+ TAG'a1' ATOM'LOGIN' LITERAL=8\n"
	    "DATA testuser\n"
	    "LINE+ LITERAL=+8\n"
	    "DATA testpass\n"
	    "LINE\n");
	/* A zero-length literal has no data event; leading zeros are fine. */
	TR_EXPECT(C, "a2 LOGIN {0}\r\n {003}\r\nabc\r\n",
	    "LINE+ TAG'a2' ATOM'LOGIN' LITERAL=0\n"
	    "LINE+ LITERAL=3\n"
	    "DATA abc\n"
	    "LINE\n");
	/* BINARY literal8 may carry NUL; LITERAL- {n-} is recognised. */
	TR_EXPECT(C, "a3 APPEND Drafts ~{3+}\r\na\0b\r\n",
	    "LINE+ TAG'a3' ATOM'APPEND' ATOM'Drafts' LITERAL=~+3\n"
	    "DATA a\\x00b\n"
	    "LINE\n");
	TR_EXPECT(C, "a4 LOGIN {5-}\r\nhello x\r\n",
	    "LINE+ TAG'a4' ATOM'LOGIN' LITERAL=-5\n"
	    "DATA hello\n"
	    "LINE ATOM'x'\n");
	/* Literal contents that look like protocol are just octets. */
	TR_EXPECT(C, "a5 APPEND x {18}\r\na6 LOGOUT\r\n{5}\r\n\r\n)\r\n",
	    "LINE+ TAG'a5' ATOM'APPEND' ATOM'x' LITERAL=18\n"
	    "DATA a6 LOGOUT\\x0d\\x0a{5}\\x0d\\x0a\\x0d\\x0a\n"
	    "ERROR Unbalanced parenthesis tag=a5\n");
	/* MULTIAPPEND and CATENATE: several literals, lists around them. */
	TR_EXPECT(C, "a6 APPEND Box (\\Seen) {3}\r\nabc (\\Flagged) "
	    "\"1-Jan-2024 00:00:00 +0000\" {2+}\r\nde\r\n",
	    "LINE+ TAG'a6' ATOM'APPEND' ATOM'Box' ( ATOM@1'\\x5cSeen' )"
	    " LITERAL=3\n"
	    "DATA abc\n"
	    "LINE+ ( ATOM@1'\\x5cFlagged' ) QUOTED'1-Jan-2024 00:00:00 +0000'"
	    " LITERAL=+2\n"
	    "DATA de\n"
	    "LINE\n");
	TR_EXPECT(C, "a7 APPEND Box CATENATE (URL \"/Box/;UID=2/;SECTION="
	    "HEADER\" TEXT {6+}\r\nhello\n)\r\n",
	    "LINE+ TAG'a7' ATOM'APPEND' ATOM'Box' ATOM'CATENATE' ("
	    " ATOM@1'URL' QUOTED@1'/Box/;UID=2/;SECTION=HEADER' ATOM@1'TEXT'"
	    " LITERAL@1=+6\n"
	    "DATA hello\\x0a\n"
	    "LINE )\n");
	/* The limits of the grammar: 32 bits, 63 bits for literal8. */
	TR_EXPECT(C, "a8 APPEND x {4294967295}\r\nab",
	    "LINE+ TAG'a8' ATOM'APPEND' ATOM'x' LITERAL=4294967295\n"
	    "DATA ab");
	TR_EXPECT(C, "a9 APPEND x {4294967296}\r\na9 NOOP\r\n",
	    "ERROR Literal length out of range tag=a9\n"
	    "LINE TAG'a9' ATOM'NOOP'\n");
	TR_EXPECT(C, "b1 APPEND x ~{9223372036854775807}\r\n",
	    "LINE+ TAG'b1' ATOM'APPEND' ATOM'x' LITERAL=~9223372036854775807\n");
	TR_EXPECT(C, "b2 APPEND x ~{9223372036854775808}\r\n",
	    "ERROR Literal length out of range tag=b2\n");
}

/* Each malformed input named in the issue has a defined answer. */
ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	/* bare LF: an error, but the line ends there as on Dovecot */
	TR_EXPECT(C, "b3 LOGOUT\nb4 NOOP\r\n",
	    "ERROR Line ends in LF without CR tag=b3\n"
	    "LINE TAG'b4' ATOM'NOOP'\n");
	TR_EXPECT(C, "b3 SELECT IN\rBOX\r\n",
	    "ERROR CR not followed by LF tag=b3\n");
	/* NUL */
	TR_EXPECT(C, "a9 SELECT IN\0BOX\r\n",
	    "ERROR NUL octet outside a literal tag=a9\n");
	TR_EXPECT(C, "a9 SELECT \"a\0b\"\r\n",
	    "ERROR NUL octet outside a literal tag=a9\n");
	TR_EXPECT(C, "a9 NO\0OP\r\n",
	    "ERROR Missing or invalid command name tag=a9\n");
	/* 8-bit in an atom, a control character */
	TR_EXPECT(C, "c1 CREATE Entw\xc3\xbcrfe-raw8bit\r\n",
	    "ERROR 8-bit octet in an atom tag=c1\n");
	TR_EXPECT(C, "c1 SELECT a\tb\r\n",
	    "ERROR Control character in line tag=c1\n");
	/* 30-digit literal: refused; with "+", the octets will come */
	TR_EXPECT(C, "c2 LOGIN {999999999999999999999999999999}\r\nc3 NOOP\r\n",
	    "ERROR Literal length out of range tag=c2\n"
	    "LINE TAG'c3' ATOM'NOOP'\n");
	TR_EXPECT(C, "c2 LOGIN {999999999999999999999999999999+}\r\nc3 NOOP\r\n",
	    "ERROR Literal length out of range fatal tag=c2\n");
	TR_EXPECT(C, "c2 LOGIN {99999999999999999999}\r\n",
	    "ERROR Literal length out of range tag=c2\n");
	TR_EXPECT(C, "c4 LOGIN {5} x\r\n", "ERROR Invalid literal tag=c4\n");
	TR_EXPECT(C, "c4 LOGIN {}\r\n", "ERROR Invalid literal tag=c4\n");
	TR_EXPECT(C, "c4 LOGIN {5x}\r\n", "ERROR Invalid literal tag=c4\n");
	/* missing tag, bad tags (Dovecot's list), no command */
	TR_EXPECT(C, " NOOP\r\n", "ERROR Missing tag\n");
	TR_EXPECT(C, "\r\n", "ERROR Missing tag\n");
	TR_EXPECT(C, "a%1 NOOP\r\n", "ERROR Invalid tag\n");
	TR_EXPECT(C, "a\"1 NOOP\r\n", "ERROR Invalid tag\n");
	TR_EXPECT(C, "a{1 NOOP\r\n", "ERROR Invalid tag\n");
	TR_EXPECT(C, "a+1 NOOP\r\n", "ERROR Invalid tag\n");
	TR_EXPECT(C, "a\xc3\xa4 NOOP\r\n", "ERROR Invalid tag\n");
	TR_EXPECT(C, "+ NOOP\r\n", "ERROR Invalid tag\n");
	TR_EXPECT(C, "a1\r\n", "ERROR Missing or invalid command name tag=a1\n");
	TR_EXPECT(C, "a1 \r\n", "ERROR Missing or invalid command name tag=a1\n");
	TR_EXPECT(C, "x12345678901234567890123456789012345678901234567890"
	    "12345678901234 NOOP\r\n", "ERROR Tag too long\n");
	/* spaces: exactly one between tokens */
	TR_EXPECT(C, "a1  NOOP\r\n",
	    "ERROR Missing or invalid command name tag=a1\n");
	TR_EXPECT(C, "a1 SELECT  INBOX\r\n",
	    "ERROR Missing, extra or trailing space tag=a1\n");
	TR_EXPECT(C, "a1 NOOP \r\n",
	    "ERROR Missing, extra or trailing space tag=a1\n");
	TR_EXPECT(C, "a1 FETCH 1 ( FLAGS)\r\n",
	    "ERROR Missing, extra or trailing space tag=a1\n");
	TR_EXPECT(C, "a1 FETCH 1 (FLAGS )\r\n",
	    "ERROR Missing, extra or trailing space tag=a1\n");
	/* lists */
	TR_EXPECT(C, "a1 FETCH 1 (FLAGS\r\n",
	    "ERROR Unclosed parenthesis tag=a1\n");
	TR_EXPECT(C, "a1 FETCH 1 FLAGS)\r\n",
	    "ERROR Unbalanced parenthesis tag=a1\n");
	TR_EXPECT(C, "a1 FETCH 1 BODY[HEADER\r\n",
	    "ERROR Invalid section tag=a1\n");
	TR_EXPECT(C, "a1 FETCH 1 BODY[]<1.>\r\n",
	    "ERROR Invalid section tag=a1\n");
	/* an error after a literal: resynchronised at the end of the line */
	TR_EXPECT(C, "a1 LOGIN {3}\r\nabc \"x\r\na2 NOOP\r\n",
	    "LINE+ TAG'a1' ATOM'LOGIN' LITERAL=3\n"
	    "DATA abc\n"
	    "ERROR Unterminated quoted string tag=a1\n"
	    "LINE TAG'a2' ATOM'NOOP'\n");
	/* a bad line that announces {n+}: the octets come anyway */
	TR_EXPECT(C, "a1 LOGIN \"x {5+}\r\nhello\r\n",
	    "ERROR Unterminated quoted string fatal tag=a1\n");
	TR_EXPECT(C, "a1 LOGIN x {5+}\nhello\r\n",
	    "ERROR Line ends in LF without CR fatal tag=a1\n");
}

/* Line, nesting and argument limits, each from the limits struct. */
ATF_TC_WITHOUT_HEAD(limits);
ATF_TC_BODY(limits, tc)
{
	struct imap_limits	 lim;
	char			 buf[256], *t;
	int			 i;

	imap_limits_default(&lim);
	ATF_REQUIRE_EQ(lim.cmd_line_max, 64 * 1024);
	ATF_REQUIRE_EQ(lim.lit_append_max, 64 * 1024 * 1024);
	lim.cmd_line_max = 40;
	lim.cmd_depth_max = 3;

	/* the line limit counts every segment of a message: fatal */
	strcpy(buf, "a1 LOGIN {3}\r\n");
	for (i = 0; i < 5; i++)
		strcat(buf, "abc {3}\r\n");
	strcat(buf, "abc\r\n");
	t = tr_check_splits(C, &lim, buf, strlen(buf));
	ATF_REQUIRE_STREQ(t, "LINE+ TAG'a1' ATOM'LOGIN' LITERAL=3\n"
	    "DATA abc\n"
	    "LINE+ LITERAL=3\n"
	    "DATA abc\n"
	    "LINE+ LITERAL=3\n"
	    "DATA abc\n"
	    "LINE+ LITERAL=3\n"
	    "DATA abc\n"
	    "LINE+ LITERAL=3\n"
	    "DATA abc\n"
	    "ERROR Line too long fatal tag=a1\n");
	free(t);
	snprintf(buf, sizeof(buf), "a1 X %.40s\r\n",
	    "0123456789012345678901234567890123456789");
	t = tr_check_splits(C, &lim, buf, strlen(buf));
	ATF_REQUIRE_STREQ(t, "ERROR Line too long fatal\n");
	free(t);
	/* exactly at the limit passes */
	snprintf(buf, sizeof(buf), "a1 X %.33s\r\n",
	    "0123456789012345678901234567890123456789");
	ATF_REQUIRE_EQ(strlen(buf), 40);
	t = tr_check_splits(C, &lim, buf, strlen(buf));
	ATF_REQUIRE(strncmp(t, "LINE ", 5) == 0);
	free(t);

	t = tr_check_splits(C, &lim, "a1 X (((x)))\r\n", 14);
	ATF_REQUIRE(strncmp(t, "LINE ", 5) == 0);
	free(t);
	t = tr_check_splits(C, &lim, "a1 X ((((x))))\r\na2 NOOP\r\n", 25);
	ATF_REQUIRE_STREQ(t, "ERROR Lists nested too deep tag=a1\n"
	    "LINE TAG'a2' ATOM'NOOP'\n");
	free(t);
	lim.cmd_args_max = 6;
	t = tr_check_splits(C, &lim, "a1 X 1 2 3 4\r\n", 14);
	ATF_REQUIRE_STREQ(t, "LINE TAG'a1' ATOM'X' NUMBER=1 NUMBER=2 "
	    "NUMBER=3 NUMBER=4\n");
	free(t);
	t = tr_check_splits(C, &lim, "a1 X 1 2 3 4 5\r\n", 16);
	ATF_REQUIRE_STREQ(t, "ERROR Too many arguments tag=a1\n");
	free(t);

	/* the default depth: 16 levels pass, 17 do not */
	imap_limits_default(&lim);
	strcpy(buf, "a1 X ");
	for (i = 0; i < 17; i++)
		strcat(buf, "(");
	for (i = 0; i < 17; i++)
		strcat(buf, ")");
	strcat(buf, "\r\n");
	t = tr_check_splits(C, &lim, buf, strlen(buf));
	ATF_REQUIRE_STREQ(t, "ERROR Lists nested too deep tag=a1\n");
	free(t);
	memmove(buf + 5, buf + 6, strlen(buf + 6) + 1);
	memmove(buf + 21, buf + 22, strlen(buf + 22) + 1);
	t = tr_check_splits(C, &lim, buf, strlen(buf));
	ATF_REQUIRE(strncmp(t, "LINE ", 5) == 0);
	free(t);
}

ATF_TC_WITHOUT_HEAD(responses);
ATF_TC_BODY(responses, tc)
{
	TR_EXPECT(S, "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR] "
	    "Dovecot ready.\r\n",
	    "LINE STAR'*' ATOM'OK' ['CAPABILITY IMAP4rev1 LITERAL+ SASL-IR'"
	    " ATOM'CAPABILITY' ATOM'IMAP4rev1' ATOM'LITERAL+' ATOM'SASL-IR'"
	    " ] TEXT'Dovecot ready.'\n");
	TR_EXPECT(S, "* PREAUTH welcome\r\n* BYE go away\r\n",
	    "LINE STAR'*' ATOM'PREAUTH' TEXT'welcome'\n"
	    "LINE STAR'*' ATOM'BYE' TEXT'go away'\n");
	TR_EXPECT(S, "+ \r\n+\r\n+ OK\r\n",
	    "LINE PLUS'+' TEXT''\nLINE PLUS'+' TEXT''\n"
	    "LINE PLUS'+' TEXT'OK'\n");
	TR_EXPECT(S, "a1 OK\r\na2 NO [TRYCREATE] x {5}\r\n",
	    "LINE TAG'a1' ATOM'OK' TEXT''\n"
	    "LINE TAG'a2' ATOM'NO' ['TRYCREATE' ATOM'TRYCREATE' ] TEXT'x {5}'\n");
	TR_EXPECT(S, "a]1 BAD [CLIENTBUG] oops\r\n",
	    "LINE TAG'a]1' ATOM'BAD' ['CLIENTBUG' ATOM'CLIENTBUG' ]"
	    " TEXT'oops'\n");
	TR_EXPECT(S, "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
	    "LINE STAR'*' ATOM'OK' ['PERMANENTFLAGS (\\x5cDeleted \\x5cSeen"
	    " \\x5c*)' ATOM'PERMANENTFLAGS' ( ATOM@1'\\x5cDeleted'"
	    " ATOM@1'\\x5cSeen' ATOM@1'\\x5c*' ) ] TEXT'Limited'\n");
	TR_EXPECT(S, "* OK [ALERT]\r\n* NO [REFERRAL imap://h/x] go\r\n",
	    "LINE STAR'*' ATOM'OK' ['ALERT' ATOM'ALERT' ] TEXT''\n"
	    "LINE STAR'*' ATOM'NO' ['REFERRAL imap://h/x' ATOM'REFERRAL'"
	    " ATOM'imap://h/x' ] TEXT'go'\n");
	/* not valid resp-text-code syntax: kept as text (Exchange) */
	TR_EXPECT(S, "a1 OK [Error=\"x\" Proxy=h:1993:SSL] done\r\n",
	    "LINE TAG'a1' ATOM'OK' ['Error=\"x\" Proxy=h:1993:SSL'"
	    " TEXT'Error=\"x\" Proxy=h:1993:SSL' ] TEXT'done'\n");
	TR_EXPECT(S, "* 3 EXISTS\r\n* 2 EXPUNGE\r\n* 0 RECENT\r\n",
	    "LINE STAR'*' NUMBER=3 ATOM'EXISTS'\n"
	    "LINE STAR'*' NUMBER=2 ATOM'EXPUNGE'\n"
	    "LINE STAR'*' NUMBER=0 ATOM'RECENT'\n");
	TR_EXPECT(S, "* CAPABILITY IMAP4rev1 COMPRESS=DEFLATE AUTH=PLAIN\r\n",
	    "LINE STAR'*' ATOM'CAPABILITY' ATOM'IMAP4rev1'"
	    " ATOM'COMPRESS=DEFLATE' ATOM'AUTH=PLAIN'\n");
	TR_EXPECT(S, "* LIST (\\Noselect) NIL \"\"\r\n"
	    "* LIST () \"/\" {7}\r\nlit\r\nnl\r\n"
	    "* LSUB () \"/\" \"quo\\\"te\"\r\n",
	    "LINE STAR'*' ATOM'LIST' ( ATOM@1'\\x5cNoselect' ) NIL'NIL'"
	    " QUOTED''\n"
	    "LINE+ STAR'*' ATOM'LIST' ( ) QUOTED'/' LITERAL=7\n"
	    "DATA lit\\x0d\\x0anl\n"
	    "LINE\n"
	    "LINE STAR'*' ATOM'LSUB' ( ) QUOTED'/' QUOTED'quo\"te'\n");
	TR_EXPECT(S, "* STATUS Secret (MESSAGES 2 UNSEEN 0)\r\n"
	    "* SEARCH 2 3 6\r\n* SEARCH\r\n",
	    "LINE STAR'*' ATOM'STATUS' ATOM'Secret' ( ATOM@1'MESSAGES'"
	    " NUMBER@1=2 ATOM@1'UNSEEN' NUMBER@1=0 )\n"
	    "LINE STAR'*' ATOM'SEARCH' NUMBER=2 NUMBER=3 NUMBER=6\n"
	    "LINE STAR'*' ATOM'SEARCH'\n");
	TR_EXPECT(S, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n"
	    "* ID (\"name\" \"Dovecot\")\r\n* ENABLED\r\n",
	    "LINE STAR'*' ATOM'NAMESPACE' ( (@2 QUOTED@2'' QUOTED@2'/' )@2"
	    " ) NIL'NIL' NIL'NIL'\n"
	    "LINE STAR'*' ATOM'ID' ( QUOTED@1'name' QUOTED@1'Dovecot' )\n"
	    "LINE STAR'*' ATOM'ENABLED'\n");
	/* unknown responses are parsed generically */
	TR_EXPECT(S, "* XAPPLE foo (1 \"two\") {3}\r\nabc\r\n",
	    "LINE+ STAR'*' ATOM'XAPPLE' ATOM'foo' ( NUMBER@1=1 QUOTED@1'two'"
	    " ) LITERAL=3\n"
	    "DATA abc\n"
	    "LINE\n");
	/* servers get some slack about spaces */
	TR_EXPECT(S, "* SEARCH 1  2 \r\n",
	    "LINE STAR'*' ATOM'SEARCH' NUMBER=1 NUMBER=2\n");
}

ATF_TC_WITHOUT_HEAD(bad_responses);
ATF_TC_BODY(bad_responses, tc)
{
	TR_EXPECT(S, "hello\r\n", "ERROR Invalid response tag=hello\n");
	TR_EXPECT(S, "a1 MAYBE done\r\n", "ERROR Invalid response tag=a1\n");
	TR_EXPECT(S, "*\r\n", "ERROR Invalid response\n");
	TR_EXPECT(S, "+OK pop3\r\n", "ERROR Invalid response\n");
	TR_EXPECT(S, "* OK bad\0text\r\n", "ERROR NUL octet outside a literal\n");
	TR_EXPECT(S, "* OK fine\n", "ERROR Line ends in LF without CR\n");
	TR_EXPECT(S, "* LIST () \"/\" Entw\xc3\xbcrfe\r\n",
	    "ERROR 8-bit octet in an atom\n");
	TR_EXPECT(S, "* 1 FETCH (BODY[] {5}\r\nabcde\r\n",
	    "LINE+ STAR'*' NUMBER=1 ATOM'FETCH' ( SECTION@1'BODY[]'"
	    " LITERAL@1=5\n"
	    "DATA abcde\n"
	    "ERROR Unclosed parenthesis\n");
}

/* Literals inside responses: contents that look like protocol. */
ATF_TC_WITHOUT_HEAD(fetch_literals);
ATF_TC_BODY(fetch_literals, tc)
{
	static const char body[] =
	    "Subject: test\r\n\r\n"
	    "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"
	    "a1 OK LOGIN completed\r\n"
	    "+ continuation\r\n"
	    "{5}\r\n12345\r\n"
	    "* 1 EXISTS\r\n"
	    ".\r\n"
	    "+OK pop3 looking line\r\n";
	char	 stream[1024], want[2048], *t;
	int	 n;

	n = snprintf(stream, sizeof(stream),
	    "* 2 FETCH (UID 7 BODY[] {%zu}\r\n%s)\r\na4 OK Fetch completed\r\n",
	    sizeof(body) - 1, body);
	t = tr_check_splits(S, NULL, stream, n);
	snprintf(want, sizeof(want),
	    "LINE+ STAR'*' NUMBER=2 ATOM'FETCH' ( ATOM@1'UID' NUMBER@1=7"
	    " SECTION@1'BODY[]' LITERAL@1=%zu\n", sizeof(body) - 1);
	ATF_REQUIRE(strncmp(t, want, strlen(want)) == 0);
	ATF_REQUIRE(strstr(t, "\nLINE )\nLINE TAG'a4' ATOM'OK'"
	    " TEXT'Fetch completed'\n") != NULL);
	ATF_REQUIRE_EQ(count(t, "LINE"), 3);
	free(t);

	/* several literals in one ENVELOPE */
	TR_EXPECT(S, "* 3 FETCH (ENVELOPE (\"Mon\" {13}\r\nQuote \" \\ {3}"
	    " ((\"S\" NIL \"s\" \"h\")) {4}\r\n\xc3\xbc\r\n))\r\n",
	    "LINE+ STAR'*' NUMBER=3 ATOM'FETCH' ( ATOM@1'ENVELOPE' (@2"
	    " QUOTED@2'Mon' LITERAL@2=13\n"
	    "DATA Quote \" \\x5c {3}\n"
	    "LINE+ (@3 (@4 QUOTED@4'S' NIL@4'NIL' QUOTED@4's' QUOTED@4'h'"
	    " )@4 )@3 LITERAL@2=4\n"
	    "DATA \\xc3\\xbc\\x0d\\x0a\n"
	    "LINE )@2 )\n");
	/* BINARY[] returns literal8 with a NUL; sections with partials */
	TR_EXPECT(S, "* 9 FETCH (BINARY[] ~{3}\r\na\0b BODY[HEADER.FIELDS "
	    "(SUBJECT)]<0> {2}\r\nhi BINARY.SIZE[1] 3)\r\n",
	    "LINE+ STAR'*' NUMBER=9 ATOM'FETCH' ( SECTION@1'BINARY[]'"
	    " LITERAL@1=~3\n"
	    "DATA a\\x00b\n"
	    "LINE+ SECTION@1'BODY[HEADER.FIELDS (SUBJECT)]<0>' LITERAL@1=2\n"
	    "DATA hi\n"
	    "LINE SECTION@1'BINARY.SIZE[1]' NUMBER@1=3 )\n");
}

ATF_TC_WITHOUT_HEAD(rfc3501_section8);
ATF_TC_BODY(rfc3501_section8, tc)
{
	char	*t;

	t = tr_check_splits(C, NULL, rfc3501_c, sizeof(rfc3501_c) - 1);
	ATF_REQUIRE_STREQ(t,
	    "LINE TAG'a001' ATOM'login' ATOM'mrc' ATOM'secret'\n"
	    "LINE TAG'a002' ATOM'select' ATOM'inbox'\n"
	    "LINE TAG'a003' ATOM'fetch' NUMBER=12 ATOM'full'\n"
	    "LINE TAG'a004' ATOM'fetch' NUMBER=12 SECTION'body[header]'\n"
	    "LINE TAG'a005' ATOM'store' NUMBER=12 ATOM'+flags'"
	    " ATOM'\\x5cdeleted'\n"
	    "LINE TAG'a006' ATOM'logout'\n");
	free(t);

	t = tr_check_splits(S, NULL, rfc3501_s, sizeof(rfc3501_s) - 1);
	ATF_REQUIRE(strstr(t, "ERROR") == NULL);
	ATF_REQUIRE_EQ(count(t, "LINE "), 16);
	ATF_REQUIRE_EQ(count(t, "LINE+ "), 1);
	ATF_REQUIRE(strstr(t, "LINE+ STAR'*' NUMBER=12 ATOM'FETCH' ("
	    " SECTION@1'BODY[HEADER]' LITERAL@1=342\n"
	    "DATA Date: Wed, 17 Jul 1996") != NULL);
	ATF_REQUIRE(strstr(t, "\\x0d\\x0a\\x0d\\x0a\nLINE )\n") != NULL);
	ATF_REQUIRE(strstr(t, "LINE STAR'*' ATOM'OK' ['UIDVALIDITY "
	    "3857529045' ATOM'UIDVALIDITY' NUMBER=3857529045 ]"
	    " TEXT'UIDs valid'\n") != NULL);
	ATF_REQUIRE(strstr(t, " QUOTED@4'Terry Gray' NIL@4'NIL'") != NULL);
	ATF_REQUIRE(strstr(t, " QUOTED@2'7BIT' NUMBER@2=3028 NUMBER@2=92"
	    " )@2 )\n") != NULL);
	free(t);
}

ATF_TC_WITHOUT_HEAD(rfc9051_examples);
ATF_TC_BODY(rfc9051_examples, tc)
{
	char	*t;

	t = tr_check_splits(S, NULL, rfc9051_s, sizeof(rfc9051_s) - 1);
	ATF_REQUIRE(strstr(t, "ERROR") == NULL);
	ATF_REQUIRE(strstr(t, "LINE PLUS'+' TEXT'dj02") != NULL);
	free(t);
	t = tr_check_splits(C, NULL, rfc9051_c, sizeof(rfc9051_c) - 1);
	ATF_REQUIRE(strstr(t, "ERROR") == NULL);
	free(t);
	TR_EXPECT(C, "t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n",
	    "LINE TAG't2' ATOM'ENABLE' ATOM'CONDSTORE' ATOM'X-GOOD-IDEA'\n");
	TR_EXPECT(S, "* ENABLED X-GOOD-IDEA\r\nt2 OK foo\r\n",
	    "LINE STAR'*' ATOM'ENABLED' ATOM'X-GOOD-IDEA'\n"
	    "LINE TAG't2' ATOM'OK' TEXT'foo'\n");
	/* ESEARCH */
	TR_EXPECT(C, "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE "
	    "1-Feb-1994 NOT FROM \"Smith\"\r\n",
	    "LINE TAG'A282' ATOM'SEARCH' ATOM'RETURN' ( ATOM@1'MIN'"
	    " ATOM@1'COUNT' ) ATOM'FLAGGED' ATOM'SINCE' ATOM'1-Feb-1994'"
	    " ATOM'NOT' ATOM'FROM' QUOTED'Smith'\n");
	TR_EXPECT(S, "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n"
	    "* ESEARCH (TAG \"A283\") UID ALL 3:15,27,29:103\r\n",
	    "LINE STAR'*' ATOM'ESEARCH' ( ATOM@1'TAG' QUOTED@1'A282' )"
	    " ATOM'MIN' NUMBER=2 ATOM'COUNT' NUMBER=3\n"
	    "LINE STAR'*' ATOM'ESEARCH' ( ATOM@1'TAG' QUOTED@1'A283' )"
	    " ATOM'UID' ATOM'ALL' SEQSET'3:15,27,29:103'\n");
	/* LIST-EXTENDED with OLDNAME and CHILDINFO */
	TR_EXPECT(S, "* LIST () \"/\" \"NewName\" (\"OLDNAME\" (\"OldName\"))\r\n"
	    "* LIST (\\Subscribed) \"/\" \"Foo\" (\"CHILDINFO\" "
	    "(\"SUBSCRIBED\"))\r\n",
	    "LINE STAR'*' ATOM'LIST' ( ) QUOTED'/' QUOTED'NewName' ("
	    " QUOTED@1'OLDNAME' (@2 QUOTED@2'OldName' )@2 )\n"
	    "LINE STAR'*' ATOM'LIST' ( ATOM@1'\\x5cSubscribed' ) QUOTED'/'"
	    " QUOTED'Foo' ( QUOTED@1'CHILDINFO' (@2 QUOTED@2'SUBSCRIBED'"
	    " )@2 )\n");
	/* literal8 and LITERAL- ({n+} of at most 4096) */
	TR_EXPECT(C, "A003 APPEND Drafts (\\Seen) ~{5+}\r\na\0\0b\n\r\n",
	    "LINE+ TAG'A003' ATOM'APPEND' ATOM'Drafts' ("
	    " ATOM@1'\\x5cSeen' ) LITERAL=~+5\n"
	    "DATA a\\x00\\x00b\\x0a\n"
	    "LINE\n");
	TR_EXPECT(C, "A004 APPEND Drafts {12+}\r\nHello world!\r\n",
	    "LINE+ TAG'A004' ATOM'APPEND' ATOM'Drafts' LITERAL=+12\n"
	    "DATA Hello world!\n"
	    "LINE\n");
}

/* Raw mode: AUTHENTICATE responses and DONE are not commands. */
ATF_TC_WITHOUT_HEAD(raw_lines);
ATF_TC_BODY(raw_lines, tc)
{
	struct imap_parser	 p;
	struct imap_event	 ev;
	const uint8_t		 l1[] = "AHRlc3R1c2VyAHRlc3RwYXNz\r\n";
	const uint8_t		 l2[] = "\r\n";
	const uint8_t		 l3[] = "a7 NOOP {5+}\r\n";
	const uint8_t		 l4[] = "d\xc3\xb6ne\r\n";
	const struct imap_token	*t;
	unsigned int		 n;

	ATF_REQUIRE(imap_parser_init(&p, C, NULL) == 0);
	imap_parser_set_raw(&p, 1);
	ATF_REQUIRE_EQ(imap_parser_feed(&p, l1, sizeof(l1) - 1, &ev),
	    sizeof(l1) - 1);
	ATF_REQUIRE_EQ(ev.type, IMAP_EV_LINE);
	ATF_REQUIRE(ev.final);
	t = imap_parser_tokens(&p, &n);
	ATF_REQUIRE_EQ(n, 1);
	ATF_REQUIRE_EQ(t[0].type, IMAP_TOK_TEXT);
	ATF_REQUIRE_EQ(t[0].len, sizeof(l1) - 3);
	/* SCRAM's empty final line */
	ATF_REQUIRE_EQ(imap_parser_feed(&p, l2, 2, &ev), 2);
	ATF_REQUIRE_EQ(ev.type, IMAP_EV_LINE);
	t = imap_parser_tokens(&p, &n);
	ATF_REQUIRE_EQ(n, 1);
	ATF_REQUIRE_EQ(t[0].len, 0);
	/* no literal in raw mode */
	ATF_REQUIRE_EQ(imap_parser_feed(&p, l3, sizeof(l3) - 1, &ev),
	    sizeof(l3) - 1);
	ATF_REQUIRE_EQ(ev.type, IMAP_EV_LINE);
	ATF_REQUIRE(ev.final);
	ATF_REQUIRE(imap_parser_idle(&p));
	ATF_REQUIRE_EQ(imap_parser_feed(&p, l4, sizeof(l4) - 1, &ev),
	    sizeof(l4) - 1);
	ATF_REQUIRE_EQ(ev.type, IMAP_EV_ERROR);
	ATF_REQUIRE_EQ(ev.err, IMAP_ERR_8BIT);
	ATF_REQUIRE(!ev.fatal);
	imap_parser_free(&p);
}

/* A refused synchronizing literal: the client never sends the octets. */
ATF_TC_WITHOUT_HEAD(abort_message);
ATF_TC_BODY(abort_message, tc)
{
	struct imap_parser	 p;
	struct imap_event	 ev;
	const uint8_t		 l1[] = "a7 APPEND NoSuchBox {5}\r\n";
	const uint8_t		 l2[] = "a8 NOOP\r\n";

	ATF_REQUIRE(imap_parser_init(&p, C, NULL) == 0);
	ATF_REQUIRE_EQ(imap_parser_feed(&p, l1, sizeof(l1) - 1, &ev),
	    sizeof(l1) - 1);
	ATF_REQUIRE_EQ(ev.type, IMAP_EV_LINE);
	ATF_REQUIRE(!ev.final);
	ATF_REQUIRE_EQ(ev.lit, IMAP_LIT_SYNC);
	ATF_REQUIRE_EQ(ev.litlen, 5);
	ATF_REQUIRE(imap_parser_in_literal(&p));
	imap_parser_abort_message(&p);
	ATF_REQUIRE(imap_parser_idle(&p));
	ATF_REQUIRE_EQ(imap_parser_feed(&p, l2, sizeof(l2) - 1, &ev),
	    sizeof(l2) - 1);
	ATF_REQUIRE_EQ(ev.type, IMAP_EV_LINE);
	ATF_REQUIRE(ev.final);
	ATF_REQUIRE_EQ(ev.seg, 0);
	imap_parser_free(&p);
}

/* Raw bytes are exactly what came in, so they can be forwarded as is. */
ATF_TC_WITHOUT_HEAD(raw_bytes);
ATF_TC_BODY(raw_bytes, tc)
{
	static const char s[] = "a1 LOGIN {3}\r\nabc \"p\\\"w\"\r\n";
	struct imap_parser	 p;
	struct imap_event	 ev;
	const uint8_t		*d = (const uint8_t *)s;
	size_t			 len = sizeof(s) - 1, n;
	char			 out[64];
	size_t			 olen = 0;

	ATF_REQUIRE(imap_parser_init(&p, C, NULL) == 0);
	while (len > 0) {
		n = imap_parser_feed(&p, d, 1, &ev);
		d += n;
		len -= n;
		if (ev.type == IMAP_EV_LINE) {
			memcpy(out + olen, ev.raw, ev.rawlen);
			olen += ev.rawlen;
		} else if (ev.type == IMAP_EV_LITDATA) {
			ATF_REQUIRE(ev.data == d - n);
			memcpy(out + olen, ev.data, ev.len);
			olen += ev.len;
		}
	}
	ATF_REQUIRE_EQ(olen, sizeof(s) - 1);
	ATF_REQUIRE(memcmp(out, s, olen) == 0);
	imap_parser_free(&p);
}

/* The buffers grow as a message does; earlier tokens follow them. */
ATF_TC_WITHOUT_HEAD(buffer_growth);
ATF_TC_BODY(buffer_growth, tc)
{
	static char		 msg[8192];
	struct imap_parser	 p;
	struct imap_event	 ev;
	const struct imap_token	*t;
	unsigned int		 n;
	size_t			 len, off, k;
	int			 lines = 0;

	len = snprintf(msg, sizeof(msg), "a1 SEARCH SUBJECT \"q\\\"x\" "
	    "FROM {3}\r\nabc");
	for (k = 0; k < 600; k++)
		len += snprintf(msg + len, sizeof(msg) - len, " \"%zu\\\\\"",
		    k);
	len += snprintf(msg + len, sizeof(msg) - len, "\r\n");
	ATF_REQUIRE(len > 4096 && len < sizeof(msg));
	ATF_REQUIRE(imap_parser_init(&p, C, NULL) == 0);
	for (off = 0; off < len; off += n) {
		n = imap_parser_feed(&p, (const uint8_t *)msg + off,
		    len - off < 7 ? len - off : 7, &ev);
		ATF_REQUIRE(ev.type != IMAP_EV_ERROR);
		if (ev.type == IMAP_EV_LINE)
			lines++;
	}
	ATF_REQUIRE_EQ(lines, 2);
	ATF_REQUIRE(ev.final);
	t = imap_parser_tokens(&p, &n);
	ATF_REQUIRE_EQ(n, 6 + 600);
	ATF_REQUIRE_EQ(t[3].type, IMAP_TOK_QUOTED);
	ATF_REQUIRE_EQ(t[3].len, 3);
	ATF_REQUIRE(memcmp(t[3].p, "q\"x", 3) == 0);
	ATF_REQUIRE(imap_tok_is(&t[4], "FROM"));
	ATF_REQUIRE_EQ(t[5].num, 3);
	ATF_REQUIRE_EQ(t[605].len, 4);
	ATF_REQUIRE(memcmp(t[605].p, "599\\", 4) == 0);
	imap_parser_free(&p);
}

/* Feed all of s; the last event's type, with its tokens counted in *n. */
static enum imap_ev_type
feed_all(struct imap_parser *p, const char *s, unsigned int *n)
{
	struct imap_event	 ev;
	size_t			 len = strlen(s), off, k;

	ev.type = IMAP_EV_NEED_MORE;
	for (off = 0; off < len; off += k) {
		k = imap_parser_feed(p, (const uint8_t *)s + off, len - off,
		    &ev);
		ATF_REQUIRE(k > 0);
	}
	(void)imap_parser_tokens(p, n);
	return ev.type;
}

/*
 * At rest the buffers go between messages, and only then: a line or a
 * literal under way keeps them, and the next message parses the same.
 */
ATF_TC_WITHOUT_HEAD(rest);
ATF_TC_BODY(rest, tc)
{
	struct imap_parser	 p;
	const struct imap_token	*t;
	unsigned int		 n;

	ATF_REQUIRE(imap_parser_init(&p, C, NULL) == 0);
	ATF_REQUIRE_EQ(feed_all(&p, "a1 NOOP\r\n", &n), IMAP_EV_LINE);
	ATF_REQUIRE_EQ(n, 2);
	imap_parser_rest(&p);
	ATF_CHECK(p.line == NULL && p.dec == NULL && p.tok == NULL);
	ATF_CHECK(imap_parser_idle(&p));
	(void)imap_parser_tokens(&p, &n);
	ATF_CHECK_EQ(n, 0);
	imap_parser_rest(&p);
	ATF_REQUIRE_EQ(feed_all(&p, "a2 SELECT \"IN\\\"BOX\"\r\n", &n),
	    IMAP_EV_LINE);
	t = imap_parser_tokens(&p, &n);
	ATF_REQUIRE_EQ(n, 3);
	ATF_CHECK(t[2].len == 6 && memcmp(t[2].p, "IN\"BOX", 6) == 0);
	/* Half a line stays. */
	ATF_REQUIRE_EQ(feed_all(&p, "a3 LOG", &n), IMAP_EV_NEED_MORE);
	imap_parser_rest(&p);
	ATF_CHECK(p.line != NULL);
	ATF_REQUIRE_EQ(feed_all(&p, "IN u pw\r\n", &n), IMAP_EV_LINE);
	t = imap_parser_tokens(&p, &n);
	ATF_REQUIRE_EQ(n, 4);
	ATF_CHECK(imap_tok_is(&t[1], "LOGIN") && imap_tok_is(&t[3], "pw"));
	/* So does a literal's message. */
	ATF_REQUIRE_EQ(feed_all(&p, "a4 LOGIN {2}\r\n", &n), IMAP_EV_LINE);
	imap_parser_rest(&p);
	ATF_CHECK(p.line != NULL);
	ATF_REQUIRE_EQ(feed_all(&p, "ab", &n), IMAP_EV_LITDATA);
	imap_parser_rest(&p);
	ATF_CHECK(p.line != NULL);
	ATF_REQUIRE_EQ(feed_all(&p, " pw\r\n", &n), IMAP_EV_LINE);
	t = imap_parser_tokens(&p, &n);
	ATF_REQUIRE_EQ(n, 4);
	ATF_CHECK(t[2].num == 2 && imap_tok_is(&t[3], "pw"));
	imap_parser_rest(&p);
	ATF_CHECK(p.line == NULL);
	imap_parser_free(&p);
}

/*
 * header-fld-name is an astring, so a literal may stand in a
 * HEADER.FIELDS list (RFC 3501 section 9): the SECTION token stops
 * before it (">") and goes on in the next segment ("<").
 */
ATF_TC_WITHOUT_HEAD(section_literals);
ATF_TC_BODY(section_literals, tc)
{
	TR_EXPECT(C, "c FETCH 1 (BODY.PEEK[HEADER.FIELDS ({7+}\r\nSUBJECT)])"
	    "\r\n",
	    "LINE+ TAG'c' ATOM'FETCH' NUMBER=1 ( SECTION@1>'BODY.PEEK["
	    "HEADER.FIELDS (' LITERAL@1=+7\n"
	    "DATA SUBJECT\n"
	    "LINE SECTION@1<')]' )\n");
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS (FROM {7}\r\nSUBJECT "
	    "{2}\r\nTO \"CC\")]<0.10> UID\r\n",
	    "LINE+ TAG'c' ATOM'FETCH' NUMBER=1 SECTION>'BODY[HEADER.FIELDS "
	    "(FROM ' LITERAL=7\n"
	    "DATA SUBJECT\n"
	    "LINE+ SECTION<>' ' LITERAL=2\n"
	    "DATA TO\n"
	    "LINE SECTION<' \"CC\")]<0.10>' ATOM'UID'\n");
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS.NOT ({0}\r\n)]\r\n",
	    "LINE+ TAG'c' ATOM'FETCH' NUMBER=1 SECTION>'BODY[HEADER.FIELDS.NOT"
	    " (' LITERAL=0\n"
	    "LINE SECTION<')]'\n");
	/* the next command is lexed as usual */
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS ({1}\r\nA)]\r\n"
	    "d FETCH 1 BODY[TEXT]\r\n",
	    "LINE+ TAG'c' ATOM'FETCH' NUMBER=1 SECTION>'BODY[HEADER.FIELDS "
	    "(' LITERAL=1\n"
	    "DATA A\n"
	    "LINE SECTION<')]'\n"
	    "LINE TAG'd' ATOM'FETCH' NUMBER=1 SECTION'BODY[TEXT]'\n");
	/* not a whole field name */
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS (A{1}\r\nB)]\r\n",
	    "ERROR Invalid section tag=c\n"
	    "ERROR Invalid tag\n");
	/* outside the list, not at the end of the line */
	TR_EXPECT(C, "c FETCH 1 BODY[{1}\r\n",
	    "ERROR Invalid section tag=c\n");
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS ({1}x)]\r\n",
	    "ERROR Invalid section tag=c\n");
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS (~{1}\r\n",
	    "ERROR Invalid section tag=c\n");
	/* after the literal: SP or ")" */
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS ({1}\r\nAB)]\r\n",
	    "LINE+ TAG'c' ATOM'FETCH' NUMBER=1 SECTION>'BODY[HEADER.FIELDS "
	    "(' LITERAL=1\n"
	    "DATA A\n"
	    "ERROR Invalid section tag=c\n");
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS ({1}\r\nA\r\n",
	    "LINE+ TAG'c' ATOM'FETCH' NUMBER=1 SECTION>'BODY[HEADER.FIELDS "
	    "(' LITERAL=1\n"
	    "DATA A\n"
	    "ERROR Invalid section tag=c\n");
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS ({1}\r\nA)\r\n",
	    "LINE+ TAG'c' ATOM'FETCH' NUMBER=1 SECTION>'BODY[HEADER.FIELDS "
	    "(' LITERAL=1\n"
	    "DATA A\n"
	    "ERROR Invalid section tag=c\n");
	TR_EXPECT(C, "c FETCH 1 BODY[HEADER.FIELDS ({1}\r\nA)]x\r\n",
	    "LINE+ TAG'c' ATOM'FETCH' NUMBER=1 SECTION>'BODY[HEADER.FIELDS "
	    "(' LITERAL=1\n"
	    "DATA A\n"
	    "ERROR Syntax error tag=c\n");
	/* a bad {n+} section line: the octets come anyway */
	TR_EXPECT(C, "c FETCH 1 BODY[TEXT {5+}\r\nhello\r\n",
	    "ERROR Invalid section fatal tag=c\n");
	/* servers do not send it: responses keep the old rule */
	TR_EXPECT(S, "* 1 FETCH (BODY[HEADER.FIELDS ({1}\r\n",
	    "ERROR Invalid section\n");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, simple_commands);
	ATF_TP_ADD_TC(tp, quoted);
	ATF_TP_ADD_TC(tp, literals);
	ATF_TP_ADD_TC(tp, malformed);
	ATF_TP_ADD_TC(tp, section_literals);
	ATF_TP_ADD_TC(tp, limits);
	ATF_TP_ADD_TC(tp, responses);
	ATF_TP_ADD_TC(tp, bad_responses);
	ATF_TP_ADD_TC(tp, fetch_literals);
	ATF_TP_ADD_TC(tp, rfc3501_section8);
	ATF_TP_ADD_TC(tp, rfc9051_examples);
	ATF_TP_ADD_TC(tp, raw_lines);
	ATF_TP_ADD_TC(tp, abort_message);
	ATF_TP_ADD_TC(tp, raw_bytes);
	ATF_TP_ADD_TC(tp, buffer_growth);
	ATF_TP_ADD_TC(tp, rest);
	return atf_no_error();
}
