/*
 * The argument grammar of every command postern forwards: RFC 3501 and
 * RFC 9051 section 9, and the ABNF of each extension the command table
 * knows.  A recursive descent over the tokens of imap_parse.c.
 *
 * Every matcher returns 0 when it matched and consumed its tokens, -1
 * when it stopped; the reason is then in g->res: BAD (no command of the
 * grammar), NOTADV (the argument needs a capability the upstream lacks)
 * or MORE (the tokens ran out after a literal: all of them so far are a
 * valid prefix).  Running out of tokens at the end of a final segment is
 * BAD where an argument is due, and the end where one is optional.
 *
 * Strict on purpose: where the RFCs and Dovecot disagree, the narrower
 * of the two wins, since a command the server refuses halfway through
 * its arguments desynchronises the stream.
 *
 * This file holds the command table and the check; the grammar is spread
 * over files of one idea each, behind imap_grammar_int.h:
 * imap_grammar_prim.c (the state and RFC 3501's types),
 * imap_grammar_fetch.c (FETCH, STORE), imap_grammar_search.c (SEARCH,
 * SORT, THREAD, ESEARCH), imap_grammar_mailbox.c (SELECT, CREATE, LIST,
 * APPEND...) and imap_grammar_ext.c (LOGIN, ID, ACL, QUOTA, METADATA,
 * NOTIFY, URLAUTH...).
 */
#include <stdint.h>
#include <string.h>

#include "imap_caps.h"
#include "imap_grammar.h"
#include "imap_grammar_int.h"

/* What IMAP4rev2 has built in (RFC 9051 section 1, appendix E). */
#define REV2_CAPS	(IMAP_CAP_NAMESPACE | IMAP_CAP_UNSELECT | \
	IMAP_CAP_UIDPLUS | IMAP_CAP_ESEARCH | IMAP_CAP_SEARCHRES | \
	IMAP_CAP_ENABLE | IMAP_CAP_IDLE | IMAP_CAP_SASLIR | \
	IMAP_CAP_LIST_EXTENDED | IMAP_CAP_LIST_STATUS | IMAP_CAP_MOVE | \
	IMAP_CAP_LITERALMINUS | IMAP_CAP_BINARY | IMAP_CAP_SPECIAL_USE | \
	IMAP_CAP_STATUS_SIZE | IMAP_CAP_CHILDREN)

/* ---- the commands and their grammars ---- */

static int
g_none(struct gs *s)
{
	(void)s;
	return 0;
}

static const struct {
	const char	*name;
	int		(*fn)(struct gs *);
} grammars[] = {
	{ "APPEND", gram_append },
	{ "AUTHENTICATE", gram_authenticate },
	{ "CAPABILITY", g_none },
	{ "CHECK", g_none },
	{ "CLOSE", g_none },
	{ "COMPRESS", gram_compress },
	{ "COPY", gram_copy },
	{ "CREATE", gram_create },
	{ "DELETE", gram_mailbox },
	{ "DELETEACL", gram_acl_mbox_id },
	{ "ENABLE", gram_enable },
	{ "ESEARCH", gram_esearch },
	{ "EXAMINE", gram_select },
	{ "EXPUNGE", gram_expunge },
	{ "FETCH", gram_fetch },
	{ "GENURLAUTH", gram_genurlauth },
	{ "GETACL", gram_mailbox },
	{ "GETMETADATA", gram_getmetadata },
	{ "GETQUOTA", gram_getquota },
	{ "GETQUOTAROOT", gram_mailbox },
	{ "ID", gram_id },
	{ "IDLE", g_none },
	{ "LIST", gram_list },
	{ "LISTRIGHTS", gram_acl_mbox_id },
	{ "LOGIN", gram_login },
	{ "LOGOUT", g_none },
	{ "LSUB", gram_lsub },
	{ "MOVE", gram_copy },
	{ "MYRIGHTS", gram_mailbox },
	{ "NAMESPACE", g_none },
	{ "NOOP", g_none },
	{ "NOTIFY", gram_notify },
	{ "RENAME", gram_rename },
	{ "RESETKEY", gram_resetkey },
	{ "SEARCH", gram_search },
	{ "SELECT", gram_select },
	{ "SETACL", gram_setacl },
	{ "SETMETADATA", gram_setmetadata },
	{ "SETQUOTA", gram_setquota },
	{ "SORT", gram_sort },
	{ "STARTTLS", g_none },
	{ "STATUS", gram_status },
	{ "STORE", gram_store },
	{ "SUBSCRIBE", gram_mailbox },
	{ "THREAD", gram_thread },
	{ "UNAUTHENTICATE", g_none },
	{ "UNSELECT", g_none },
	{ "UNSUBSCRIBE", gram_mailbox },
	{ "URLFETCH", gram_urlfetch },
};

int
imap_grammar_check(const struct imap_token *tok, unsigned int ntok,
    int final, uint64_t caps, uint64_t enabled, enum imap_state st,
    struct imap_gram *g)
{
	const struct imap_cmd_desc	*d;
	struct gs			 s;
	size_t				 k;
	int				 r;

	memset(g, 0, sizeof(*g));
	memset(&s, 0, sizeof(s));
	s.tok = tok;
	s.n = ntok;
	s.final = final;
	s.caps = caps;
	if (caps & IMAP_CAP_IMAP4REV2)
		s.caps |= REV2_CAPS;
	s.enabled = enabled;
	s.g = g;
	if (ntok < 2 || tok[0].type != IMAP_TOK_TAG ||
	    tok[1].type != IMAP_TOK_ATOM) {
		g->res = IMAP_GRAM_BAD;
		g->why = "Missing command";
		return g->res;
	}
	if ((d = imap_cmd_lookup((const char *)tok[1].p, tok[1].len)) ==
	    NULL) {
		g->res = IMAP_GRAM_UNKNOWN;
		g->why = "Unknown command";
		return g->res;
	}
	s.i = 2;
	if (strcmp(d->name, "UID") == 0) {
		if (ntok < 3 || tok[2].type != IMAP_TOK_ATOM) {
			g->res = IMAP_GRAM_BAD;
			g->why = "Missing command after UID";
			return g->res;
		}
		d = imap_cmd_lookup((const char *)tok[2].p, tok[2].len);
		if (d == NULL || !(d->flags & IMAP_CMDF_UID)) {
			g->res = IMAP_GRAM_UNKNOWN;
			g->why = "Unknown UID command";
			return g->res;
		}
		g->uid = 1;
		s.i = 3;
	}
	g->desc = d;
	if (d->cap != 0 && !(s.caps & d->cap)) {
		g->res = IMAP_GRAM_NOTADV;
		g->why = "Command not advertised by the server";
		return g->res;
	}
	if (g->uid && strcmp(d->name, "EXPUNGE") == 0 &&
	    !(s.caps & IMAP_CAP_UIDPLUS)) {
		g->res = IMAP_GRAM_NOTADV;
		g->why = "UIDPLUS not advertised";
		return g->res;
	}
	if (!(d->states & IMAP_STB(st))) {
		g->res = IMAP_GRAM_STATE;
		g->why = "Command not valid in this state";
		return g->res;
	}
	for (k = 0; k < sizeof(grammars) / sizeof(grammars[0]); k++)
		if (strcmp(grammars[k].name, d->name) == 0)
			break;
	if (k == sizeof(grammars) / sizeof(grammars[0])) {
		/* a table entry without a grammar is never forwarded */
		g->res = IMAP_GRAM_BAD;
		g->why = "No grammar for this command";
		return g->res;
	}
	r = grammars[k].fn(&s);
	if (r == 0) {
		if (s.i < s.n)
			gs_bad(&s, "Too many arguments");
		else if (!final)
			g->res = IMAP_GRAM_MORE;
	}
	if (g->res != IMAP_GRAM_MORE)
		g->lit_stream = 0;
	if (g->res == IMAP_GRAM_MORE)
		g->why = NULL;
	return g->res;
}

const char *
imap_gram_res_str(enum imap_gram_res res)
{
	switch (res) {
	case IMAP_GRAM_OK:
		return "OK";
	case IMAP_GRAM_MORE:
		return "MORE";
	case IMAP_GRAM_BAD:
		return "BAD";
	case IMAP_GRAM_UNKNOWN:
		return "UNKNOWN";
	case IMAP_GRAM_NOTADV:
		return "NOTADV";
	case IMAP_GRAM_STATE:
		return "STATE";
	}
	return "?";
}
