/*
 * imap_mailbox.h: the places of a server response that name a mailbox,
 * on tokens from the real parser, and the mailbox an IMAP URL names.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "imap_mailbox.h"
#include "imap_parse.h"

#define LITS	8

/*
 * Feed one server response and describe its places, each as
 * "N'name'" (a name, canonical) or "U'url'", a space between; a literal
 * is read from the octets that followed it.  "malformed" for -1.
 */
static void
places(const char *resp, char *desc, size_t size)
{
	struct imap_parser	 p;
	struct imap_limits	 lim;
	struct imap_event	 ev;
	struct imap_mref	 m[16];
	const struct imap_token	*tok;
	const uint8_t		*d = (const uint8_t *)resp, *s;
	static uint8_t		 lit[LITS][512];
	size_t			 litlen[LITS], len = strlen(resp), n, slen;
	unsigned int		 ntok, nlit = 0, k, t, li;
	int			 r = -2, c;
	char			 name[1024];

	imap_limits_default(&lim);
	ATF_REQUIRE(imap_parser_init(&p, IMAP_DIR_SERVER, &lim) == 0);
	memset(litlen, 0, sizeof(litlen));
	desc[0] = '\0';
	while (len > 0 && r == -2) {
		n = imap_parser_feed(&p, d, len, &ev);
		d += n;
		len -= n;
		ATF_REQUIRE_MSG(ev.type != IMAP_EV_ERROR, "parse: %s",
		    imap_err_str(ev.err));
		if (ev.type == IMAP_EV_LITDATA) {
			ATF_REQUIRE(nlit > 0 && litlen[nlit - 1] + ev.len <=
			    sizeof(lit[0]));
			memcpy(lit[nlit - 1] + litlen[nlit - 1], ev.data,
			    ev.len);
			litlen[nlit - 1] += ev.len;
		} else if (ev.type == IMAP_EV_LINE && !ev.final) {
			ATF_REQUIRE(nlit < LITS);
			nlit++;
		} else if (ev.type == IMAP_EV_LINE) {
			tok = imap_parser_tokens(&p, &ntok);
			r = imap_resp_mailboxes(tok, ntok, m, 16);
			if (r == -1) {
				snprintf(desc, size, "malformed");
				break;
			}
			ATF_REQUIRE(r <= 16);
			for (k = 0; k < (unsigned)r; k++) {
				t = m[k].tok;
				ATF_REQUIRE(t < ntok);
				if (tok[t].type == IMAP_TOK_LITERAL) {
					/* which literal of the response */
					for (li = 0, c = 0; c < (int)t; c++)
						if (tok[c].type ==
						    IMAP_TOK_LITERAL)
							li++;
					s = lit[li];
					slen = litlen[li];
					ATF_REQUIRE(m[k].len == 0);
				} else {
					ATF_REQUIRE(m[k].off + m[k].len <=
					    tok[t].len);
					s = tok[t].p + m[k].off;
					slen = m[k].len;
				}
				if (m[k].kind == IMAP_MREF_NAME) {
					ATF_REQUIRE(imap_mailbox_name(s, slen,
					    name, sizeof(name)) >= 0);
					snprintf(desc + strlen(desc),
					    size - strlen(desc), "%sN'%s'",
					    k ? " " : "", name);
				} else
					snprintf(desc + strlen(desc),
					    size - strlen(desc), "%sU'%.*s'",
					    k ? " " : "", (int)slen, s);
			}
		}
	}
	ATF_REQUIRE_MSG(r != -2, "no final line in %s", resp);
	imap_parser_free(&p);
}

#define PLACES(resp, want) do {						\
	char	 got_[1024];						\
									\
	places((resp), got_, sizeof(got_));				\
	ATF_CHECK_STREQ_MSG((want), got_, "%s", (resp));		\
} while (0)

ATF_TC_WITHOUT_HEAD(list);
ATF_TC_BODY(list, tc)
{
	PLACES("* LIST (\\HasNoChildren) \"/\" Secret\r\n", "N'Secret'");
	PLACES("* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe\r\n",
	    "N'Entw\xc3\xbcrfe'");
	PLACES("* LIST (\\HasNoChildren) \"/\" \"My Folder\"\r\n",
	    "N'My Folder'");
	PLACES("* LIST (\\HasNoChildren) \"/\" \"quo\\\"te\"\r\n",
	    "N'quo\"te'");
	PLACES("* LIST (\\HasNoChildren) \"/\" \"back\\\\slash\"\r\n",
	    "N'back\\slash'");
	PLACES("* LIST (\\HasNoChildren) \"/\" \"pct%star*\"\r\n",
	    "N'pct%star*'");
	PLACES("* LIST (\\Noselect) NIL \"\"\r\n", "N''");
	PLACES("* LIST () \"/\" {7}\r\nlit\r\nnl\r\n", "N'lit\r\nnl'");
	PLACES("* LIST () \".\" inbox\r\n", "N'INBOX'");
	PLACES("* LIST () \".\" 2024\r\n", "N'2024'");
	PLACES("* LSUB (\\Noselect) \"/\" Secret\r\n", "N'Secret'");
	PLACES("* XLIST (\\HasNoChildren \\Inbox) \"/\" \"Inbox\"\r\n",
	    "N'INBOX'");
	/* LIST-EXTENDED: CHILDINFO names none, OLDNAME does */
	PLACES("* LIST (\\Subscribed) \"/\" \"Foo\" (\"CHILDINFO\" "
	    "(\"SUBSCRIBED\"))\r\n", "N'Foo'");
	PLACES("* LIST () \"/\" \"New\" (\"OLDNAME\" (\"Old\"))\r\n",
	    "N'New' N'Old'");
	PLACES("* LIST () \"/\" New (\"CHILDINFO\" (\"SUBSCRIBED\") "
	    "\"OLDNAME\" (Secret&AOQ-))\r\n", "N'New' N'Secret\xc3\xa4'");
	PLACES("* LIST () \"/\" New (\"OLDNAME\" ({6}\r\nSecret))\r\n",
	    "N'New' N'Secret'");
	PLACES("* LIST () \"/\" {3}\r\nNew (\"OLDNAME\" ({6}\r\nSecret))\r\n",
	    "N'New' N'Secret'");
	PLACES("* LIST (\\NonExistent) \"/\" Gone (\"X-FOO\" 12)\r\n",
	    "N'Gone'");
	/* malformed: what it names cannot be told */
	PLACES("* LIST (\\HasNoChildren) \"/\"\r\n", "malformed");
	PLACES("* LIST \"/\" Secret\r\n", "malformed");
	PLACES("* LIST () \"/\" New (\"OLDNAME\" Old)\r\n", "malformed");
	PLACES("* LIST () \"/\" New (\"OLDNAME\" (A B))\r\n", "malformed");
	PLACES("* LIST () \"/\" New (\"OLDNAME\")\r\n", "malformed");
	PLACES("* LIST () \"/\" New junk\r\n", "malformed");
	PLACES("* LIST () \"/\" New (\"X\" 1) (\"Y\" 2)\r\n", "malformed");
	PLACES("* LIST () \"/\" (x)\r\n", "malformed");
}

ATF_TC_WITHOUT_HEAD(status);
ATF_TC_BODY(status, tc)
{
	PLACES("* STATUS Secret (MESSAGES 2 UNSEEN 0)\r\n", "N'Secret'");
	PLACES("* STATUS \"My Secret\" (MESSAGES 2)\r\n", "N'My Secret'");
	PLACES("* STATUS {6}\r\nSecret (MESSAGES 2)\r\n", "N'Secret'");
	PLACES("* STATUS Entw&APw-rfe (MESSAGES 2)\r\n",
	    "N'Entw\xc3\xbcrfe'");
	PLACES("* STATUS InBoX (MESSAGES 2)\r\n", "N'INBOX'");
	PLACES("* STATUS \"a\\\\b\" ()\r\n", "N'a\\b'");
	PLACES("* STATUS\r\n", "malformed");
	PLACES("* STATUS Secret\r\n", "malformed");
	PLACES("* STATUS (MESSAGES 2)\r\n", "malformed");
}

ATF_TC_WITHOUT_HEAD(acl_quota_metadata);
ATF_TC_BODY(acl_quota_metadata, tc)
{
	PLACES("* ACL Secret Fred rwipslxetad -Susan r\r\n", "N'Secret'");
	PLACES("* ACL \"Sec ret\" Fred rwipslxetad\r\n", "N'Sec ret'");
	PLACES("* LISTRIGHTS {6}\r\nSecret smith la r swicdkxte\r\n",
	    "N'Secret'");
	PLACES("* MYRIGHTS Secret rwiptsldaex\r\n", "N'Secret'");
	/* the roots are not mailboxes */
	PLACES("* QUOTAROOT Secret \"\" Secret\r\n", "N'Secret'");
	PLACES("* QUOTAROOT Secret\r\n", "N'Secret'");
	PLACES("* QUOTA \"\" (STORAGE 10 512)\r\n", "");
	PLACES("* METADATA Secret (/private/comment \"My comment\")\r\n",
	    "N'Secret'");
	PLACES("* METADATA \"Secret\" /shared/comment /private/comment\r\n",
	    "N'Secret'");
	PLACES("* METADATA \"\" (/shared/comment \"server\")\r\n", "");
	PLACES("* ANNOTATION Secret \"/comment\" (\"value.shared\" "
	    "\"x\")\r\n", "N'Secret'");
	PLACES("* MAILBOX Secret\r\n", "N'Secret'");
	PLACES("* ACL\r\n", "malformed");
	PLACES("* MYRIGHTS (x) r\r\n", "malformed");
	PLACES("* METADATA\r\n", "malformed");
}

ATF_TC_WITHOUT_HEAD(esearch);
ATF_TC_BODY(esearch, tc)
{
	PLACES("* ESEARCH (TAG \"a1\" MAILBOX \"Secret\" UIDVALIDITY 1) "
	    "UID ALL 1:3\r\n", "N'Secret'");
	PLACES("* ESEARCH (TAG \"a1\" MAILBOX Entw&APw-rfe UIDVALIDITY 7)"
	    " UID COUNT 2\r\n", "N'Entw\xc3\xbcrfe'");
	PLACES("* ESEARCH (tag \"a1\" mailbox {6}\r\nSecret uidvalidity 1)"
	    " UID ALL 1\r\n", "N'Secret'");
	PLACES("* ESEARCH (TAG \"a1\") UID MIN 2 MAX 9\r\n", "");
	PLACES("* ESEARCH UID COUNT 2\r\n", "");
	PLACES("* ESEARCH (TAG \"a1\" MAILBOX) UID ALL 1\r\n", "malformed");
	PLACES("* ESEARCH (TAG \"a1\" MAILBOX (x) UIDVALIDITY 1) ALL 1\r\n",
	    "malformed");
}

ATF_TC_WITHOUT_HEAD(urls);
ATF_TC_BODY(urls, tc)
{
	PLACES("* URLFETCH \"imap://joe@example.com/Secret/;uid=20/"
	    ";section=1.2;urlauth=anonymous:internal:91354a47\" {5}\r\n"
	    "Hello\r\n", "U'imap://joe@example.com/Secret/;uid=20/"
	    ";section=1.2;urlauth=anonymous:internal:91354a47'");
	PLACES("* URLFETCH imap://h/A/;UID=1 NIL imap://h/B/;UID=2 \"x\"\r\n",
	    "U'imap://h/A/;UID=1' U'imap://h/B/;UID=2'");
	PLACES("* URLFETCH imap://h/A/;UID=1 (BODYPARTSTRUCTURE (\"TEXT\" "
	    "\"PLAIN\")) (BINARY {2}\r\nab) imap://h/B/;UID=2 NIL\r\n",
	    "U'imap://h/A/;UID=1' U'imap://h/B/;UID=2'");
	PLACES("* URLFETCH {17}\r\nimap://h/S/;UID=1 NIL\r\n",
	    "U'imap://h/S/;UID=1'");
	PLACES("* GENURLAUTH \"imap://joe@example.com/INBOX/;uid=20;"
	    "urlauth=submit+fred:internal:91354a473744909de610943775f92038\""
	    "\r\n", "U'imap://joe@example.com/INBOX/;uid=20;urlauth=submit"
	    "+fred:internal:91354a473744909de610943775f92038'");
	PLACES("* URLFETCH\r\n", "malformed");
	PLACES("* URLFETCH imap://h/A/;UID=1\r\n", "malformed");
	PLACES("* URLFETCH (x) NIL\r\n", "malformed");
}

ATF_TC_WITHOUT_HEAD(codes);
ATF_TC_BODY(codes, tc)
{
	PLACES("a1 NO [BADURL /Secret;UIDVALIDITY=7/;UID=1] bad\r\n",
	    "U'/Secret;UIDVALIDITY=7/;UID=1'");
	/* url-resp-text runs to "]", spaces and all (RFC 4469 erratum) */
	PLACES("a1 NO [BADURL /INBOX;UIDVALIDITY=785799047/;UID=113330; "
	    "section=1.5.9] failed\r\n", "U'/INBOX;UIDVALIDITY=785799047/"
	    ";UID=113330; section=1.5.9'");
	PLACES("* NO [REFERRAL imap://h/x] go\r\n", "U'imap://h/x'");
	PLACES("a2 NO [REFERRAL imap://a/x imap://b/Secret] go\r\n",
	    "U'imap://a/x' U'imap://b/Secret'");
	PLACES("* BYE [REFERRAL imap://h/] elsewhere\r\n", "U'imap://h/'");
	PLACES("a3 OK [NEWNAME Old \"New Name\"] renamed\r\n",
	    "N'Old' N'New Name'");
	PLACES("a4 NO [REFERRAL] go\r\n", "malformed");
	PLACES("a4 OK [NEWNAME Old] x\r\n", "malformed");
	/* codes that name none */
	PLACES("a5 OK [APPENDUID 38505 3955] done\r\n", "");
	PLACES("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] x\r\n", "");
	PLACES("a6 NO [TRYCREATE] no such mailbox\r\n", "");
	PLACES("a7 OK done\r\n", "");
	PLACES("* OK [Error=\"x\" Proxy=h:1993:SSL] done\r\n", "");
}

/* Responses that name no mailbox. */
ATF_TC_WITHOUT_HEAD(none);
ATF_TC_BODY(none, tc)
{
	PLACES("* CAPABILITY IMAP4rev1 LIST-STATUS NOTIFY\r\n", "");
	PLACES("* 3 EXISTS\r\n", "");
	PLACES("* 1 FETCH (UID 7 FLAGS (\\Seen))\r\n", "");
	PLACES("* SEARCH 1 2 3\r\n", "");
	PLACES("* NAMESPACE ((\"\" \"/\")) NIL ((\"Shared/\" \"/\"))\r\n",
	    "");
	PLACES("* FLAGS (\\Answered \\Seen)\r\n", "");
	PLACES("* ENABLED UTF8=ACCEPT\r\n", "");
	PLACES("+ go ahead\r\n", "");
	PLACES("* ID (\"name\" \"Dovecot\")\r\n", "");
}

/* More places than room: the count says so. */
ATF_TC_WITHOUT_HEAD(overflow);
ATF_TC_BODY(overflow, tc)
{
	struct imap_parser	 p;
	struct imap_limits	 lim;
	struct imap_event	 ev;
	struct imap_mref	 m[1];
	const struct imap_token	*tok;
	const char		*r = "* LIST () \"/\" New (\"OLDNAME\" (Old))\r\n";
	unsigned int		 ntok;

	imap_limits_default(&lim);
	ATF_REQUIRE(imap_parser_init(&p, IMAP_DIR_SERVER, &lim) == 0);
	ATF_REQUIRE(imap_parser_feed(&p, (const uint8_t *)r, strlen(r),
	    &ev) == strlen(r));
	ATF_REQUIRE(ev.type == IMAP_EV_LINE && ev.final);
	tok = imap_parser_tokens(&p, &ntok);
	ATF_CHECK_EQ(imap_resp_mailboxes(tok, ntok, m, 1), 2);
	ATF_CHECK_EQ(m[0].kind, IMAP_MREF_NAME);
	ATF_CHECK(m[0].len == 3 && memcmp(tok[m[0].tok].p, "New", 3) == 0);
	ATF_CHECK_EQ(imap_resp_mailboxes(tok, ntok, NULL, 0), 2);
	imap_parser_free(&p);
}

static int
url(const char *u, char *out, size_t size)
{
	return imap_url_mailbox((const uint8_t *)u, strlen(u), out, size);
}

#define URL(u, want) do {						\
	char	 out_[1100];						\
									\
	ATF_CHECK_EQ_MSG(url((u), out_, sizeof(out_)), IMAP_URL_MAILBOX,\
	    "%s", (u));							\
	ATF_CHECK_STREQ_MSG((want), out_, "%s", (u));			\
} while (0)

#define URL_IS(u, code) do {						\
	char	 out_[1100];						\
									\
	ATF_CHECK_EQ_MSG(url((u), out_, sizeof(out_)), (code), "%s", (u));\
} while (0)

ATF_TC_WITHOUT_HEAD(url_absolute);
ATF_TC_BODY(url_absolute, tc)
{
	URL("imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/"
	    ";UID=20/;PARTIAL=0.1024", "gray-council");
	URL("imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/"
	    "%E5%8F%B0%E5%8C%97", "~peter/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"
	    "/\xe5\x8f\xb0\xe5\x8c\x97");
	URL("imap://michael@example.org/Secret", "Secret");
	URL("IMAP://h/Secret", "Secret");
	URL("imap://h:143/Secret/Sub", "Secret/Sub");
	URL("imap://h/Secret/Sub/;UID=1", "Secret/Sub");
	URL("imap://h/Secret%2FSub/;UID=1", "Secret/Sub");
	URL("imap://fred;AUTH=GSSAPI@h/Secret?SUBJECT%20x", "Secret");
	URL("imap://;AUTH=*@h/Secret", "Secret");
	URL("imap://fred@[2001:db8::1]:993/Secret", "Secret");
	URL("imap://h/inbox", "INBOX");
	URL("imap://h/Inbox/;uid=5", "INBOX");
	URL("imap://h/inbox%2Fsub", "inbox/sub");
	URL("imap://h/Entw%C3%BCrfe", "Entw\xc3\xbcrfe");
	URL("imap://h/A&B", "A&B");
	URL("imap://h/A%26B", "A&B");
	URL("imap://h/My%20Folder/;UID=3/;SECTION=1.2/;PARTIAL=0.100",
	    "My Folder");
	URL("imap://joe@example.com/INBOX/;uid=20/;section=1.2;"
	    "urlauth=submit+fred:internal:91354a473744909de610943775f92038",
	    "INBOX");
	URL("imap://joe@example.com/Secret/;uid=20;expire=2006-10-20T00:00:"
	    "00Z;urlauth=anonymous", "Secret");
	URL("//h/Secret/;UID=1", "Secret");
	/* a name with a trailing delimiter, then UIDVALIDITY */
	URL("imap://h/Secret/;UIDVALIDITY=5/;UID=1", "Secret/");
}

/* The relative forms CATENATE uses (RFC 4469). */
ATF_TC_WITHOUT_HEAD(url_relative);
ATF_TC_BODY(url_relative, tc)
{
	char	 out[64];

	URL("/Secret/;UID=1", "Secret");
	URL("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER", "Drafts");
	URL("/Drafts;UIDVALIDITY=385759045/;UID=30", "Drafts");
	URL("/Sec%72et/;UID=1", "Secret");
	URL_IS(";UID=20", IMAP_URL_BASE);
	URL_IS(";UID=20/;SECTION=1.2", IMAP_URL_BASE);
	URL_IS("imap://h", IMAP_URL_SERVER);
	URL_IS("imap://h/", IMAP_URL_SERVER);
	URL_IS("imap://fred@h:143/", IMAP_URL_SERVER);
	/* too small: refused, not cut */
	ATF_CHECK_EQ(url("/Secret/;UID=1", out, 6), IMAP_URL_BAD);
	ATF_CHECK_EQ(url("/Secret/;UID=1", out, 7), IMAP_URL_MAILBOX);
	ATF_CHECK_STREQ(out, "Secret");
}

ATF_TC_WITHOUT_HEAD(url_bad);
ATF_TC_BODY(url_bad, tc)
{
	char	 big[1200];

	URL_IS("imap://", IMAP_URL_BAD);
	URL_IS("imap:///Secret", IMAP_URL_BAD);
	URL_IS("imap://@h/Secret", IMAP_URL_BAD);
	URL_IS("imap://h:x/Secret", IMAP_URL_BAD);
	URL_IS("imap://[zz]/Secret", IMAP_URL_BAD);
	URL_IS("/;UID=1", IMAP_URL_BAD);
	URL_IS("imap://h/;UID=1", IMAP_URL_BAD);
	URL_IS("/", IMAP_URL_BAD);
	URL_IS("", IMAP_URL_BAD);
	URL_IS("/Sec%zzret", IMAP_URL_BAD);
	URL_IS("/Sec%2", IMAP_URL_BAD);
	URL_IS("/Secret%00/;UID=1", IMAP_URL_BAD);
	URL_IS("/Secret%0A", IMAP_URL_BAD);
	URL_IS("/Secret%7F", IMAP_URL_BAD);
	URL_IS("/Sec ret", IMAP_URL_BAD);
	URL_IS("/Sec\"ret", IMAP_URL_BAD);
	URL_IS("/Entw\xc3\xbcrfe", IMAP_URL_BAD);	/* 8-bit, unescaped */
	URL_IS("/Entw%C3rfe", IMAP_URL_BAD);		/* invalid UTF-8 */
	URL_IS("/%C0%AF", IMAP_URL_BAD);		/* overlong */
	URL_IS("/%ED%A0%80", IMAP_URL_BAD);		/* surrogate */
	/* modified UTF-7 in a URL: which mailbox is meant is unknown */
	URL_IS("/Entw&APw-rfe/;UID=1", IMAP_URL_BAD);
	URL_IS("/A&-B", IMAP_URL_BAD);
	URL_IS("/&AFM-ecret", IMAP_URL_BAD);
	/* relative paths that start with a name depend on the base */
	URL_IS("Secret/;UID=1", IMAP_URL_BAD);
	URL_IS("http://h/Secret", IMAP_URL_BAD);
	URL_IS("imap://h/Secret#frag", IMAP_URL_BAD);
	URL_IS("imap://h/Secret;UIDVALIDITY=0", IMAP_URL_BAD);
	URL_IS("imap://h/Secret;UIDVALIDITY=", IMAP_URL_BAD);
	URL_IS("imap://h/Secret;UID=1", IMAP_URL_BAD);
	URL_IS("imap://h/Secret/;UID=x", IMAP_URL_BAD);
	URL_IS("imap://h/Secret/;UID=1/;SECTION=", IMAP_URL_BAD);
	URL_IS("imap://h/Secret/;UID=1;FOO=2", IMAP_URL_BAD);
	URL_IS("imap://h/Secret/;UID=1;EXPIRE=x", IMAP_URL_BAD);
	URL_IS("imap://h/Secret?", IMAP_URL_BAD);
	URL_IS("imap://h/Secret?a;b", IMAP_URL_BAD);
	URL_IS(";UIDVALIDITY=5", IMAP_URL_BAD);
	URL_IS(";UID=0", IMAP_URL_BAD);
	/* too long to look up */
	memset(big, 'a', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	URL_IS(big, IMAP_URL_BAD);
}

ATF_TC_WITHOUT_HEAD(mailbox_name);
ATF_TC_BODY(mailbox_name, tc)
{
	char	 out[64];

	ATF_CHECK_EQ(imap_mailbox_name((const uint8_t *)"iNbOx", 5, out,
	    sizeof(out)), 5);
	ATF_CHECK_STREQ(out, "INBOX");
	ATF_CHECK_EQ(imap_mailbox_name((const uint8_t *)"inbox/x", 7, out,
	    sizeof(out)), 7);
	ATF_CHECK_STREQ(out, "inbox/x");
	ATF_CHECK_EQ(imap_mailbox_name((const uint8_t *)"&AOQ-", 5, out,
	    sizeof(out)), 2);
	ATF_CHECK_STREQ(out, "\xc3\xa4");
	/* not canonical modified UTF-7: taken as it is, as in LIST */
	ATF_CHECK_EQ(imap_mailbox_name((const uint8_t *)"&AFM-ecret", 10,
	    out, sizeof(out)), 10);
	ATF_CHECK_STREQ(out, "&AFM-ecret");
	ATF_CHECK_EQ(imap_mailbox_name((const uint8_t *)"a\0b", 3, out,
	    sizeof(out)), -1);
	ATF_CHECK_EQ(imap_mailbox_name((const uint8_t *)"Secret", 6, out,
	    6), -1);
}

/* The reading of a lenient server, for names RFC 3501 forbids. */
ATF_TC_WITHOUT_HEAD(mailbox_name_alt);
ATF_TC_BODY(mailbox_name_alt, tc)
{
	char	 out[64];

#define ALT(s) imap_mailbox_name_alt((const uint8_t *)(s), strlen(s), out, \
	sizeof(out))
	ATF_CHECK_EQ(ALT("&AFMAZQBjAHIAZQB0-"), 6);
	ATF_CHECK_STREQ(out, "Secret");
	ATF_CHECK_EQ(ALT("&AFM-ecret"), 6);
	ATF_CHECK_STREQ(out, "Secret");
	ATF_CHECK_EQ(ALT("&AEkATgBCAE8AWA-"), 5);
	ATF_CHECK_STREQ(out, "INBOX");
	ATF_CHECK_EQ(ALT("&AOQ-bad-&AFM-"), 7);
	ATF_CHECK_STREQ(out, "\xc3\xa4" "bad-S");
	/* one reading only */
	ATF_CHECK_EQ(ALT("Secret"), 0);
	ATF_CHECK_EQ(ALT("Entw&APw-rfe"), 0);
	ATF_CHECK_EQ(ALT("A&B"), 0);
	ATF_CHECK_EQ(ALT("&AFM"), 0);
	ATF_CHECK_EQ(imap_mailbox_name_alt((const uint8_t *)"&AFM-ecret", 10,
	    out, 10), -1);
#undef ALT
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, list);
	ATF_TP_ADD_TC(tp, status);
	ATF_TP_ADD_TC(tp, acl_quota_metadata);
	ATF_TP_ADD_TC(tp, esearch);
	ATF_TP_ADD_TC(tp, urls);
	ATF_TP_ADD_TC(tp, codes);
	ATF_TP_ADD_TC(tp, none);
	ATF_TP_ADD_TC(tp, overflow);
	ATF_TP_ADD_TC(tp, url_absolute);
	ATF_TP_ADD_TC(tp, url_relative);
	ATF_TP_ADD_TC(tp, url_bad);
	ATF_TP_ADD_TC(tp, mailbox_name);
	ATF_TP_ADD_TC(tp, mailbox_name_alt);
	return atf_no_error();
}
