/*
 * The command grammar (imap_grammar.h): every command of
 * imap_grammar_corpus.txt through the real parser and the checker, segment by
 * segment (every segment but the last of a command that passes must be a
 * valid prefix: MORE); then mailbox places, lit_stream and MORE on
 * prefixes, case by case.  imap_grammar_dovecot.py sends the same corpus to
 * Dovecot.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <atf-c.h>

#include "imap_caps.h"
#include "imap_grammar.h"
#include "imap_parse.h"

#ifndef GRAMMAR_CORPUS
#define GRAMMAR_CORPUS "imap_grammar_corpus.txt"
#endif

/* The last verdict of a command fed whole, and what came before it. */
struct run {
	enum imap_gram_res	 res;
	int			 lexerr;	/* the parser refused it */
	int			 prefix_ok;	/* every earlier segment: MORE */
	int			 nseg;
	struct imap_gram	 g;		/* of the last segment checked */
	int			 stream[8];	/* lit_stream of segments 0..7 */
};

static void
run_cmd(const uint8_t *cmd, size_t len, uint64_t caps, uint64_t enabled,
    enum imap_state st, struct run *r)
{
	struct imap_parser	 p;
	struct imap_event	 ev;
	const struct imap_token	*tok;
	unsigned int		 ntok;
	size_t			 n;

	memset(r, 0, sizeof(*r));
	r->prefix_ok = 1;
	r->res = IMAP_GRAM_BAD;
	ATF_REQUIRE(imap_parser_init(&p, IMAP_DIR_CLIENT, NULL) == 0);
	while (len > 0) {
		n = imap_parser_feed(&p, cmd, len, &ev);
		cmd += n;
		len -= n;
		if (ev.type == IMAP_EV_ERROR) {
			r->lexerr = 1;
			r->res = IMAP_GRAM_BAD;
			break;
		}
		if (ev.type != IMAP_EV_LINE)
			continue;
		tok = imap_parser_tokens(&p, &ntok);
		r->res = imap_grammar_check(tok, ntok, ev.final, caps,
		    enabled, st, &r->g);
		if (r->nseg < 8)
			r->stream[r->nseg] = r->g.lit_stream;
		r->nseg++;
		if (ev.final)
			break;
		if (r->res != IMAP_GRAM_MORE) {
			r->prefix_ok = 0;
			break;
		}
	}
	imap_parser_free(&p);
}

/* ---- the corpus ---- */

#define MAXPROF	16

struct prof {
	char		 name[32];
	uint64_t	 caps;
};

static struct prof	profs[MAXPROF];
static int		nprof;

static uint64_t
capbits(const char *name)
{
	uint64_t	 b;

	if (strcasecmp(name, "ALL") == 0)
		return UINT64_MAX;
	b = imap_cap_bit((const uint8_t *)name, strlen(name));
	if (b == 0)
		atf_tc_fail("corpus: unknown capability %s", name);
	return b;
}

/* "dv", "dv+ACL+QUOTA", "dv!MOVE", "rev1/QRESYNC" (enabled after /) */
static void
parse_caps(char *spec, uint64_t *caps, uint64_t *enabled)
{
	char	*en, *p, *q, op, name[64];
	int	 i;

	*enabled = 0;
	if ((en = strchr(spec, '/')) != NULL) {
		*en++ = '\0';
		for (p = strtok(en, ","); p != NULL; p = strtok(NULL, ","))
			*enabled |= capbits(p);
	}
	q = spec + strcspn(spec, "+!");
	op = *q;
	*q = '\0';
	for (i = 0; i < nprof; i++)
		if (strcmp(profs[i].name, spec) == 0)
			break;
	if (i == nprof)
		atf_tc_fail("corpus: unknown profile %s", spec);
	*caps = profs[i].caps;
	while (op != '\0') {
		p = q + 1;
		q = p + strcspn(p, "+!");
		snprintf(name, sizeof(name), "%.*s", (int)(q - p), p);
		if (op == '+')
			*caps |= capbits(name);
		else
			*caps &= ~capbits(name);
		op = *q;
	}
}

/* \r \n \\ \xHH; CRLF appended */
static size_t
unescape(const char *s, uint8_t *out, size_t size)
{
	size_t		 n = 0;
	unsigned int	 v;

	while (*s != '\0' && n + 3 < size) {
		if (*s != '\\') {
			out[n++] = (uint8_t)*s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'r':
			out[n++] = '\r';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'x':
			ATF_REQUIRE(sscanf(s + 1, "%2x", &v) == 1);
			out[n++] = (uint8_t)v;
			s += 2;
			break;
		default:
			out[n++] = (uint8_t)*s;
			break;
		}
		s++;
	}
	out[n++] = '\r';
	out[n++] = '\n';
	return n;
}

static enum imap_state
parse_state(const char *s)
{
	if (strcmp(s, "N") == 0)
		return IMAP_ST_NOTAUTH;
	if (strcmp(s, "A") == 0)
		return IMAP_ST_AUTH;
	if (strcmp(s, "S") == 0)
		return IMAP_ST_SELECTED;
	if (strcmp(s, "L") == 0)
		return IMAP_ST_LOGOUT;
	atf_tc_fail("corpus: bad state %s", s);
	return IMAP_ST_LOGOUT;
}

static int
parse_res(const char *s)
{
	static const char *const n[] = {
		"OK", "MORE", "BAD", "UNKNOWN", "NOTADV", "STATE"
	};
	int	 i;

	for (i = 0; i < 6; i++)
		if (strcmp(s, n[i]) == 0)
			return i;
	atf_tc_fail("corpus: bad verdict %s", s);
	return -1;
}

ATF_TC_WITHOUT_HEAD(corpus);
ATF_TC_BODY(corpus, tc)
{
	FILE		*f;
	char		 line[8192], *v, *st, *cs, *cmd, *p;
	uint8_t		 buf[8192];
	uint64_t	 caps, enabled;
	struct run	 r;
	size_t		 len;
	int		 lineno = 0, want, fails = 0, ncmd = 0;

	if ((f = fopen(GRAMMAR_CORPUS, "r")) == NULL)
		atf_tc_fail("open %s", GRAMMAR_CORPUS);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "@profile ", 9) == 0) {
			ATF_REQUIRE(nprof < MAXPROF);
			p = strtok(line + 9, " ");
			snprintf(profs[nprof].name, sizeof(profs[nprof].name),
			    "%s", p);
			profs[nprof].caps = 0;
			while ((p = strtok(NULL, " ")) != NULL)
				if (strncmp(p, "AUTH=", 5) != 0 &&
				    strcmp(p, "URL-PARTIAL") != 0 &&
				    strcmp(p, "PREVIEW=FUZZY") != 0)
					profs[nprof].caps |= capbits(p);
			nprof++;
			continue;
		}
		v = strtok(line, " \t");
		st = strtok(NULL, " \t");
		cs = strtok(NULL, " \t");
		cmd = strtok(NULL, "");
		if (v == NULL || st == NULL || cs == NULL || cmd == NULL)
			atf_tc_fail("corpus line %d: malformed", lineno);
		while (*cmd == ' ' || *cmd == '\t')
			cmd++;
		want = parse_res(v);
		parse_caps(cs, &caps, &enabled);
		len = unescape(cmd, buf, sizeof(buf));
		run_cmd(buf, len, caps, enabled, parse_state(st), &r);
		ncmd++;
		if ((int)r.res != want || (want == IMAP_GRAM_OK &&
		    !r.prefix_ok)) {
			fprintf(stderr, "line %d: %s: want %s got %s%s "
			    "(%s)\n", lineno, cmd,
			    imap_gram_res_str((enum imap_gram_res)want),
			    imap_gram_res_str(r.res),
			    r.lexerr ? " (lexer)" : "",
			    r.g.why != NULL ? r.g.why : "");
			fails++;
		}
	}
	fclose(f);
	printf("%d commands\n", ncmd);
	ATF_REQUIRE(ncmd > 300);
	if (fails > 0)
		atf_tc_fail("%d of %d corpus commands disagree", fails, ncmd);
}

/* ---- mailbox places, literals, prefixes ---- */

#define ALLCAPS	UINT64_MAX

static void
check(const char *cmd, enum imap_state st, uint64_t caps, uint64_t en,
    struct run *r)
{
	run_cmd((const uint8_t *)cmd, strlen(cmd), caps, en, st, r);
}

/* "3N 5R": token 3 a NAME, token 5 a REFERENCE... */
static void
expect_mbox(const char *cmd, enum imap_state st, const char *want)
{
	struct run	 r;
	char		 got[512];
	size_t		 n = 0;
	unsigned int	 i;
	static const char kinds[] = "NRPU";

	check(cmd, st, ALLCAPS, IMAP_CAP_QRESYNC | IMAP_CAP_UTF8ACCEPT, &r);
	got[0] = '\0';
	for (i = 0; i < r.g.nmbox && n < sizeof(got) - 16; i++)
		n += snprintf(got + n, sizeof(got) - n, "%s%u%c",
		    i > 0 ? " " : "", r.g.mbox[i].tok,
		    kinds[r.g.mbox[i].kind]);
	if (r.res != IMAP_GRAM_OK || strcmp(got, want) != 0)
		atf_tc_fail_nonfatal("%s: %s [%s], want OK [%s]", cmd,
		    imap_gram_res_str(r.res), got, want);
}

ATF_TC_WITHOUT_HEAD(mailbox_places);
ATF_TC_BODY(mailbox_places, tc)
{
	const enum imap_state A = IMAP_ST_AUTH, S = IMAP_ST_SELECTED;

	expect_mbox("a SELECT INBOX\r\n", A, "2N");
	expect_mbox("a EXAMINE \"Secret\" (CONDSTORE)\r\n", A, "2N");
	expect_mbox("a CREATE Foo\r\n", A, "2N");
	expect_mbox("a CREATE Foo (USE (\\Drafts))\r\n", A, "2N");
	expect_mbox("a DELETE {6+}\r\nSecret\r\n", A, "2N");
	expect_mbox("a RENAME A {1+}\r\nB\r\n", A, "2N 3N");
	expect_mbox("a SUBSCRIBE S\r\n", A, "2N");
	expect_mbox("a UNSUBSCRIBE S\r\n", A, "2N");
	expect_mbox("a STATUS Secret (MESSAGES)\r\n", A, "2N");
	expect_mbox("a LIST \"\" *\r\n", A, "2R 3P");
	expect_mbox("a LSUB Ref %\r\n", A, "2R 3P");
	expect_mbox("a LIST (SUBSCRIBED) \"\" (a b* c%) RETURN (CHILDREN)\r\n",
	    A, "5R 7P 8P 9P");
	expect_mbox("a APPEND Box (\\Seen) {1+}\r\nx\r\n", A, "2N");
	expect_mbox("a APPEND Box CATENATE (URL \"/Other;UID=1\" TEXT {1+}\r\n"
	    "x URL /Third)\r\n", A, "2N 6U 10U");
	expect_mbox("a COPY 1:* Dest\r\n", S, "3N");
	expect_mbox("a UID MOVE 1 {4+}\r\nDest\r\n", S, "4N");
	expect_mbox("a GETACL Box\r\n", A, "2N");
	expect_mbox("a SETACL Box fred +r\r\n", A, "2N");
	expect_mbox("a DELETEACL Box fred\r\n", A, "2N");
	expect_mbox("a LISTRIGHTS Box fred\r\n", A, "2N");
	expect_mbox("a MYRIGHTS Box\r\n", A, "2N");
	expect_mbox("a GETQUOTAROOT Box\r\n", A, "2N");
	expect_mbox("a GETQUOTA \"\"\r\n", A, "");
	expect_mbox("a GETMETADATA \"\" /shared/comment\r\n", A, "2N");
	expect_mbox("a GETMETADATA (DEPTH 1) Box (/private/a /shared/b)\r\n",
	    A, "6N");
	expect_mbox("a SETMETADATA Box (/private/comment {3+}\r\nabc)\r\n", A,
	    "2N");
	expect_mbox("a RESETKEY Box INTERNAL\r\n", A, "2N");
	expect_mbox("a GENURLAUTH \"imap://u@h/A;UID=1;urlauth=anonymous\" "
	    "INTERNAL \"imap://u@h/B\" INTERNAL\r\n", A, "2U 4U");
	expect_mbox("a URLFETCH url1 url2\r\n", A, "2U 3U");
	expect_mbox("a NOTIFY SET (selected (MessageNew MessageExpunge)) "
	    "(subtree (A B) (MailboxName)) (mailboxes C (FlagChange "
	    "MessageNew MessageExpunge))\r\n", S, "13N 14N 22N");
	expect_mbox("a ESEARCH IN (mailboxes (A {1+}\r\nB) subtree-one C) "
	    "ALL\r\n", S, "6N 7N 10N");
	expect_mbox("a UID SEARCH SUBJECT Box\r\n", S, "");
}

/* lit_stream of each segment: '1' streamed, '0' held, '-' final. */
static void
expect_stream_in(enum imap_state st, const char *cmd, uint64_t en,
    const char *want)
{
	struct run	 r;
	char		 got[16];
	int		 i;

	check(cmd, st, ALLCAPS, en, &r);
	for (i = 0; i < r.nseg && i < 8; i++)
		got[i] = i == r.nseg - 1 ? '-' : '0' + r.stream[i];
	got[i] = '\0';
	if (r.res != IMAP_GRAM_OK || !r.prefix_ok || strcmp(got, want) != 0)
		atf_tc_fail_nonfatal("%s: %s %s, want OK %s", cmd,
		    imap_gram_res_str(r.res), got, want);
}

static void
expect_stream(const char *cmd, uint64_t en, const char *want)
{
	expect_stream_in(IMAP_ST_SELECTED, cmd, en, want);
}

ATF_TC_WITHOUT_HEAD(lit_stream);
ATF_TC_BODY(lit_stream, tc)
{
	expect_stream("a APPEND Box {3}\r\nabc\r\n", 0, "1-");
	expect_stream("a APPEND Box ~{3}\r\na\001b\r\n", 0, "1-");
	expect_stream("a APPEND {3}\r\nBox {3}\r\nabc\r\n", 0, "01-");
	expect_stream("a APPEND Box {1}\r\na (\\Seen) {1+}\r\nb\r\n", 0,
	    "11-");
	expect_stream("a APPEND Box CATENATE (URL {6}\r\n/A;U=1 TEXT {2}\r\n"
	    "ab TEXT ~{2}\r\nab)\r\n", 0, "011-");
	expect_stream("a APPEND Box UTF8 (~{3}\r\nabc)\r\n",
	    IMAP_CAP_UTF8ACCEPT, "1-");
	expect_stream_in(IMAP_ST_NOTAUTH, "a LOGIN {4}\r\nuser {4}\r\npass\r\n",
	    0, "00-");
	expect_stream("a SEARCH CHARSET UTF-8 SUBJECT {3}\r\nabc\r\n", 0,
	    "0-");
	expect_stream("a SELECT {5}\r\nINBOX\r\n", 0, "0-");
	expect_stream("a SETMETADATA Box (/private/a ~{3}\r\nabc)\r\n", 0,
	    "0-");
	expect_stream("a FETCH 1 BODY[HEADER.FIELDS ({7}\r\nSUBJECT)]\r\n", 0,
	    "0-");
	expect_stream("a ID (\"name\" {3}\r\nabc)\r\n", 0, "0-");
}

/* Every segment but the last is MORE, including the empty final one. */
ATF_TC_WITHOUT_HEAD(prefixes);
ATF_TC_BODY(prefixes, tc)
{
	struct run	 r;

	check("a LOGIN {4}\r\nuser {4}\r\npass\r\n", IMAP_ST_NOTAUTH, 0, 0,
	    &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_OK);
	ATF_CHECK_EQ(r.nseg, 3);
	ATF_CHECK(r.prefix_ok);
	/* a prefix that cannot go on is BAD at once, not MORE */
	check("a NOOP {4}\r\nuser\r\n", IMAP_ST_NOTAUTH, 0, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_BAD);
	ATF_CHECK_EQ(r.nseg, 1);
	check("x GETACL {17+}\r\ny DELETE Secret\r\n\r\n", IMAP_ST_AUTH,
	    IMAP_CAP_IMAP4REV1, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_NOTADV);
	ATF_CHECK_EQ(r.nseg, 1);
	/* with ACL it is GETACL of a strange mailbox name, all of it */
	check("x GETACL {17+}\r\ny DELETE Secret\r\n\r\n", IMAP_ST_AUTH,
	    IMAP_CAP_ACL, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_OK);
	ATF_CHECK_EQ(r.nseg, 2);
	ATF_CHECK_EQ(r.g.nmbox, 1);
	ATF_CHECK_EQ(r.g.mbox[0].tok, 2);
	/* the mailbox done, a second literal is one argument too many */
	check("a SELECT {5}\r\nINBOX {3}\r\nabc\r\n", IMAP_ST_AUTH, 0, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_BAD);
	ATF_CHECK_EQ(r.nseg, 2);
	/* a literal in a place for an atom */
	check("a FETCH {1}\r\n1 FLAGS\r\n", IMAP_ST_SELECTED, 0, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_BAD);
	ATF_CHECK_EQ(r.nseg, 1);
	/* {n-} is no IMAP literal; ~{n} only where literal8 is */
	check("a SELECT {5-}\r\nINBOX\r\n", IMAP_ST_AUTH, 0, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_BAD);
	check("a LOGIN ~{3}\r\nabc x\r\n", IMAP_ST_NOTAUTH, 0, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_BAD);
	ATF_CHECK_EQ(r.nseg, 1);
	/* literal8 message without BINARY */
	check("a APPEND Box ~{3}\r\nabc\r\n", IMAP_ST_AUTH,
	    IMAP_CAP_IMAP4REV1, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_NOTADV);
	ATF_CHECK_EQ(r.nseg, 1);
	/* the second message of a MULTIAPPEND, without MULTIAPPEND */
	check("a APPEND Box {1}\r\na {1}\r\nb\r\n", IMAP_ST_AUTH,
	    IMAP_CAP_IMAP4REV1, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_NOTADV);
	ATF_CHECK_EQ(r.nseg, 2);
	/* UID forms: desc is the command's, uid is set */
	check("a UID FETCH 1:* (FLAGS)\r\n", IMAP_ST_SELECTED, 0, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_OK);
	ATF_CHECK(r.g.uid);
	ATF_REQUIRE(r.g.desc != NULL);
	ATF_CHECK_STREQ(r.g.desc->name, "FETCH");
	check("a XYZZY\r\n", IMAP_ST_SELECTED, 0, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_UNKNOWN);
	ATF_CHECK(r.g.desc == NULL);
	ATF_CHECK(r.g.why != NULL);
}

/* More mailbox names than IMAP_GRAM_MBOX_MAX: overflow, still OK. */
ATF_TC_WITHOUT_HEAD(mbox_overflow);
ATF_TC_BODY(mbox_overflow, tc)
{
	char		 cmd[2048];
	struct run	 r;
	size_t		 n;
	int		 i;

	n = snprintf(cmd, sizeof(cmd), "a NOTIFY SET (mailboxes (");
	for (i = 0; i < IMAP_GRAM_MBOX_MAX + 2; i++)
		n += snprintf(cmd + n, sizeof(cmd) - n, "%sm%d",
		    i > 0 ? " " : "", i);
	snprintf(cmd + n, sizeof(cmd) - n, ") (MailboxName))\r\n");
	check(cmd, IMAP_ST_AUTH, ALLCAPS, 0, &r);
	ATF_CHECK_EQ(r.res, IMAP_GRAM_OK);
	ATF_CHECK_EQ(r.g.nmbox, IMAP_GRAM_MBOX_MAX);
	ATF_CHECK(r.g.overflow);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, corpus);
	ATF_TP_ADD_TC(tp, mailbox_places);
	ATF_TP_ADD_TC(tp, lit_stream);
	ATF_TP_ADD_TC(tp, prefixes);
	ATF_TP_ADD_TC(tp, mbox_overflow);
	return atf_no_error();
}
