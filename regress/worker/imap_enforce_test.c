/*
 * The pure logic under IMAP enforcement: a command's arguments as the
 * rules see them (and the masking of secrets), the client's ID fields,
 * modified UTF-7 mailbox names, and the parts of LIST and LSUB lines.  Lines go through the
 * real parser, as in the worker.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "imap_args.h"
#include "imap_id.h"
#include "imap_limits.h"
#include "imap_list.h"
#include "imap_mutf7.h"
#include "imap_parse.h"

struct parsed {
	struct imap_parser	 p;
	struct imap_limits	 lim;
	const struct imap_token	*tok;
	unsigned int		 ntok;
	struct imap_event	 ev;
};

/* Feed s (one segment) and keep its tokens. */
static void
parse(struct parsed *x, enum imap_dir dir, const char *s)
{
	size_t	 n;

	imap_limits_default(&x->lim);
	ATF_REQUIRE(imap_parser_init(&x->p, dir, &x->lim) == 0);
	n = imap_parser_feed(&x->p, (const uint8_t *)s, strlen(s), &x->ev);
	ATF_REQUIRE_EQ_MSG(x->ev.type, IMAP_EV_LINE, "%s", s);
	ATF_REQUIRE_EQ(n, strlen(s));
	x->tok = imap_parser_tokens(&x->p, &x->ntok);
}

static void
check_arg(const struct rules_arg *a, const char *want)
{
	if (want == NULL) {
		ATF_CHECK(a->s == NULL);
		return;
	}
	ATF_REQUIRE(a->s != NULL);
	ATF_CHECK_EQ_MSG(a->len, strlen(want), "'%.*s' is not '%s'",
	    (int)a->len, a->s, want);
	ATF_CHECK_MSG(memcmp(a->s, want, a->len) == 0, "'%.*s' is not '%s'",
	    (int)a->len, a->s, want);
}

ATF_TC_WITHOUT_HEAD(args_views);
ATF_TC_BODY(args_views, tc)
{
	struct parsed	 x;
	struct imap_args a;

	imap_args_init(&a);
	parse(&x, IMAP_DIR_CLIENT,
	    "a1 STORE 1:3 +FLAGS (\\Seen \\Deleted)\r\n");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 0), 0);
	ATF_REQUIRE_EQ(a.n, 3);
	check_arg(&a.val[0], "1:3");
	check_arg(&a.val[1], "+FLAGS");
	check_arg(&a.val[2], "(\\Seen \\Deleted)");
	check_arg(&a.raw[2], "(\\Seen \\Deleted)");
	imap_parser_free(&x.p);

	/* quoted: its contents for the rules, quoted again for rewrite */
	parse(&x, IMAP_DIR_CLIENT, "a2 SELECT \"My \\\"Box\\\"\"\r\n");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 0), 0);
	ATF_REQUIRE_EQ(a.n, 1);
	check_arg(&a.val[0], "My \"Box\"");
	check_arg(&a.raw[0], "\"My \\\"Box\\\"\"");
	imap_parser_free(&x.p);

	/* UID: the arguments start after the real command's name */
	parse(&x, IMAP_DIR_CLIENT, "a3 UID COPY 1:* Trash\r\n");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 0), 0);
	ATF_REQUIRE_EQ(a.n, 2);
	check_arg(&a.val[1], "Trash");
	imap_parser_free(&x.p);

	/* a literal: only its length for the rules; {n} or {n+} raw */
	parse(&x, IMAP_DIR_CLIENT, "a4 APPEND INBOX (\\Seen) {310+}\r\n");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 1), 0);
	ATF_REQUIRE_EQ(a.n, 3);
	check_arg(&a.val[2], NULL);
	ATF_CHECK_EQ(a.val[2].len, 310);
	check_arg(&a.raw[2], "{310+}");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 0), 0);
	check_arg(&a.raw[2], "{310}");
	imap_parser_free(&x.p);

	parse(&x, IMAP_DIR_CLIENT, "a5 ID NIL\r\n");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 0), 0);
	check_arg(&a.val[0], "NIL");
	imap_parser_free(&x.p);
	imap_args_free(&a);
}

ATF_TC_WITHOUT_HEAD(args_masked);
ATF_TC_BODY(args_masked, tc)
{
	struct parsed	 x;
	struct imap_args a;
	char		 line[256];

	imap_args_init(&a);
	parse(&x, IMAP_DIR_CLIENT, "a1 LOGIN alice \"s3cr3t pw\"\r\n");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 0), 0);
	check_arg(&a.val[0], "alice");
	check_arg(&a.val[1], IMAP_ARGS_MASK);
	/* the rewrite view keeps it: it never leaves the worker */
	check_arg(&a.raw[1], "\"s3cr3t pw\"");
	imap_args_masked_line(&a, "a1", "LOGIN", line, sizeof(line));
	ATF_CHECK_STREQ(line, "a1 LOGIN alice ***");
	ATF_CHECK(strstr(line, "s3cr3t") == NULL);
	imap_parser_free(&x.p);

	parse(&x, IMAP_DIR_CLIENT, "a2 authenticate PLAIN AGFsaWNlAHB3\r\n");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 0), 0);
	check_arg(&a.val[0], "PLAIN");
	check_arg(&a.val[1], IMAP_ARGS_MASK);
	imap_args_masked_line(&a, "a2", "AUTHENTICATE", line, sizeof(line));
	ATF_CHECK_STREQ(line, "a2 AUTHENTICATE PLAIN ***");
	imap_parser_free(&x.p);

	/* nothing else is masked; a short buffer cuts, NUL-terminated */
	parse(&x, IMAP_DIR_CLIENT, "a3 SELECT alice\r\n");
	ATF_REQUIRE_EQ(imap_args_parse(&a, x.tok, x.ntok, 0), 0);
	ATF_CHECK_EQ(a.masked, -1);
	ATF_CHECK_EQ(imap_args_masked_line(&a, "a3", "SELECT", line, 8), 7);
	ATF_CHECK_STREQ(line, "a3 SELE");
	imap_parser_free(&x.p);
	imap_args_free(&a);
}

static void
mutf7(const char *in, const char *want)
{
	char	 out[64];
	int	 n;

	n = imap_mutf7_decode((const uint8_t *)in, strlen(in), out,
	    sizeof(out));
	if (want == NULL) {
		ATF_CHECK_EQ_MSG(n, -1, "'%s' decoded to '%s'", in, out);
		return;
	}
	ATF_CHECK_EQ_MSG(n, (int)strlen(want), "'%s'", in);
	if (n >= 0)
		ATF_CHECK_STREQ(out, want);
}

ATF_TC_WITHOUT_HEAD(mutf7_names);
ATF_TC_BODY(mutf7_names, tc)
{
	char	 out[4];

	mutf7("INBOX", "INBOX");
	mutf7("Caf&AOk-", "Caf\xc3\xa9");
	mutf7("&-Co", "&Co");
	/* RFC 3501's example: ~peter/mail/台北/日本語 */
	mutf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	    "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e");
	/* a surrogate pair: U+1F600 */
	mutf7("&2D3eAA-", "\xf0\x9f\x98\x80");
	mutf7("&AOk", NULL);		/* unterminated */
	mutf7("&-&AOk-x&-", "&\xc3\xa9x&");
	mutf7("&AGE-", NULL);		/* "a" must not be encoded */
	mutf7("&2D0-", NULL);		/* a lone high surrogate */
	mutf7("&AOl-", NULL);		/* bits left over that are not zero */
	mutf7("&AO!-", NULL);		/* not base64 */
	mutf7("Caf\xc3\xa9", NULL);	/* 8-bit: not modified UTF-7 */
	ATF_CHECK_EQ(imap_mutf7_decode((const uint8_t *)"Caf&AOk-", 8, out,
	    sizeof(out)), -1);		/* no room */
}

static void
list_line(const char *s, int ok, const char *name, const char *attrs)
{
	struct parsed		 x;
	struct imap_list_line	 l;
	char			 buf[64];
	const uint8_t		*o, *c;

	parse(&x, IMAP_DIR_SERVER, s);
	if (!ok) {
		ATF_CHECK_EQ_MSG(imap_list_parse(x.tok, x.ntok, &l), -1, "%s",
		    s);
		imap_parser_free(&x.p);
		return;
	}
	ATF_REQUIRE_EQ_MSG(imap_list_parse(x.tok, x.ntok, &l), 0, "%s", s);
	if (name != NULL) {
		ATF_REQUIRE(imap_list_name(&x.tok[l.mbox], buf,
		    sizeof(buf)) >= 0);
		ATF_CHECK_STREQ(buf, name);
	} else
		ATF_CHECK_EQ(x.tok[l.mbox].type, IMAP_TOK_LITERAL);
	o = x.tok[l.attr_open].p;
	c = x.tok[l.attr_close].p;
	ATF_CHECK_EQ(*o, '(');
	ATF_CHECK_EQ(*c, ')');
	ATF_CHECK_EQ((size_t)(c - o - 1), strlen(attrs));
	ATF_CHECK(memcmp(o + 1, attrs, strlen(attrs)) == 0);
	imap_parser_free(&x.p);
}

ATF_TC_WITHOUT_HEAD(list_lines);
ATF_TC_BODY(list_lines, tc)
{
	list_line("* LIST (\\HasNoChildren) \"/\" INBOX\r\n", 1, "INBOX",
	    "\\HasNoChildren");
	list_line("* LIST () \"/\" \"Secret Stuff\"\r\n", 1, "Secret Stuff",
	    "");
	list_line("* LSUB (\\Noselect) \".\" Caf&AOk-\r\n", 1, "Caf\xc3\xa9",
	    "\\Noselect");
	list_line("* LIST (\\Marked \\NoInferiors) NIL \"x\"\r\n", 1, "x",
	    "\\Marked \\NoInferiors");
	/* RFC 5258: extended data after the name */
	list_line("* LIST (\\Subscribed) \"/\" \"Foo\" (\"CHILDINFO\" "
	    "(\"SUBSCRIBED\"))\r\n", 1, "Foo", "\\Subscribed");
	/* a name as a literal: its octets follow the line */
	list_line("* LIST () \"/\" {8}\r\n", 1, NULL, "");
	list_line("* LIST (\\HasNoChildren) \"/\" 2024\r\n", 1, "2024",
	    "\\HasNoChildren");
	list_line("* STATUS INBOX (MESSAGES 3)\r\n", 0, NULL, NULL);
	list_line("* LIST \"/\" INBOX\r\n", 0, NULL, NULL);
	list_line("* LIST (\\X) \"/\"\r\n", 0, NULL, NULL);
	list_line("a1 OK LIST done\r\n", 0, NULL, NULL);
}

/* The ID fields the rules and the audit get (imap_id.h). */
ATF_TC_WITHOUT_HEAD(id_fields);
ATF_TC_BODY(id_fields, tc)
{
	static char	 line[64 * 1024], text[2048];
	struct parsed	 x;
	struct imap_id	 id;
	size_t		 i, n;
	int		 cut;

	imap_id_init(&id);
	parse(&x, IMAP_DIR_CLIENT, "a1 ID (\"name\" \"Thunderbird\" "
	    "\"version\" \"115.3.1\" \"os\" NIL \"x-q\" \"say \\\"hi\\\"\" "
	    "\"vendor\" Mozilla \"x-empty\" \"\")\r\n");
	ATF_REQUIRE_EQ(imap_id_parse(&id, NULL, x.tok, x.ntok), 0);
	ATF_CHECK_EQ(id.sent, 6);
	ATF_REQUIRE_EQ(id.n, 5);
	ATF_CHECK_STREQ(id.f[0].key, "name");
	ATF_CHECK_STREQ(id.f[0].value, "Thunderbird");
	ATF_CHECK_STREQ(id.f[1].value, "115.3.1");
	/* os NIL is left out; quoted strings decoded, atoms as they are */
	ATF_CHECK_STREQ(id.f[2].key, "x-q");
	ATF_CHECK_STREQ(id.f[2].value, "say \"hi\"");
	ATF_CHECK_STREQ(id.f[3].value, "Mozilla");
	ATF_CHECK_STREQ(id.f[4].value, "");
	n = imap_id_text(&id, text, sizeof(text), &cut);
	ATF_CHECK_STREQ(text, "(\"name\" \"Thunderbird\" \"version\" "
	    "\"115.3.1\" \"x-q\" \"say \\\"hi\\\"\" \"vendor\" \"Mozilla\" "
	    "\"x-empty\" \"\")");
	ATF_CHECK_EQ(n, strlen(text));
	ATF_CHECK(!cut);
	/* Cut: whole fields only, and the list closed. */
	n = imap_id_text(&id, text, 30, &cut);
	ATF_CHECK_STREQ(text, "(\"name\" \"Thunderbird\")");
	ATF_CHECK(cut);
	n = imap_id_text(&id, text, 5, &cut);
	ATF_CHECK_STREQ(text, "()");
	ATF_CHECK(cut);
	imap_parser_free(&x.p);

	/* ID NIL: no fields, and the text says so. */
	parse(&x, IMAP_DIR_CLIENT, "a2 ID NIL\r\n");
	ATF_REQUIRE_EQ(imap_id_parse(&id, NULL, x.tok, x.ntok), 0);
	ATF_CHECK_EQ(id.n, 0);
	ATF_CHECK_EQ(id.sent, 0);
	ATF_CHECK(id.nil);
	(void)imap_id_text(&id, text, sizeof(text), &cut);
	ATF_CHECK_STREQ(text, "NIL");
	imap_parser_free(&x.p);

	/*
	 * RFC 2971's bounds: a name of 31 octets, a value of 1025, and
	 * fields past the 30th are left out, counted as sent.
	 */
	n = (size_t)snprintf(line, sizeof(line), "a3 ID (\"%031d\" \"v\" "
	    "\"long\" \"%01025d\" \"%030d\" \"%01024d\"", 0, 0, 0, 0);
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    " \"f%zu\" \"v%zu\"", i, i);
	(void)snprintf(line + n, sizeof(line) - n, ")\r\n");
	parse(&x, IMAP_DIR_CLIENT, line);
	ATF_REQUIRE_EQ(imap_id_parse(&id, NULL, x.tok, x.ntok), 0);
	ATF_CHECK_EQ(id.sent, 43);
	ATF_REQUIRE_EQ(id.n, RULES_ID_MAX);
	ATF_CHECK_EQ(strlen(id.f[0].key), RULES_ID_KEY_MAX);
	ATF_CHECK_EQ(strlen(id.f[0].value), RULES_ID_VALUE_MAX);
	ATF_CHECK_STREQ(id.f[1].key, "f0");
	ATF_CHECK_STREQ(id.f[29].key, "f28");
	/* The audit's text stays within its bound. */
	n = imap_id_text(&id, text, 1025, &cut);
	ATF_CHECK(n <= 1024);
	ATF_CHECK(cut);
	ATF_CHECK_EQ(text[n - 1], ')');
	imap_parser_free(&x.p);
	imap_id_free(&id);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, id_fields);
	ATF_TP_ADD_TC(tp, args_views);
	ATF_TP_ADD_TC(tp, args_masked);
	ATF_TP_ADD_TC(tp, mutf7_names);
	ATF_TP_ADD_TC(tp, list_lines);
	return atf_no_error();
}
