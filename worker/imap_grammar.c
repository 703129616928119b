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
 * Files of one idea each hold part of the grammar, behind
 * imap_grammar_int.h: imap_grammar_prim.c (the state and RFC 3501's
 * types), imap_grammar_fetch.c (FETCH, STORE), imap_grammar_search.c
 * (SEARCH, SORT, THREAD, ESEARCH) and imap_grammar_mailbox.c (SELECT,
 * CREATE, LIST, APPEND...).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

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

/* RFC 2971 section 3.3 */

/* ---- the rest ---- */

static int
g_none(struct gs *s)
{
	(void)s;
	return 0;
}

static int
g_login(struct gs *s)
{
	if (gs_astring(s, "Invalid user name") == -1)
		return -1;
	return gs_astring(s, "Invalid password");
}

/* base64 of RFC 3501, or "=" for an empty response (RFC 4959) */
static int
is_base64(const struct imap_token *t)
{
	uint32_t	 k, pad = 0;
	uint8_t		 c;

	if (t->type != IMAP_TOK_ATOM && t->type != IMAP_TOK_NUMBER)
		return 0;
	if (t->flags & IMAP_TOKF_FLAG)
		return 0;
	if (t->len == 1 && t->p[0] == '=')
		return 1;
	if (t->len == 0 || t->len % 4 != 0)
		return 0;
	for (k = 0; k < t->len; k++) {
		c = t->p[k];
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || !(gs_isdig(c) || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || c == '+' || c == '/'))
			return 0;
	}
	return pad <= 2;
}

static int
g_authenticate(struct gs *s)
{
	const struct imap_token	*t;
	int			 r;

	if (gs_atom(s, "Invalid mechanism") == -1)
		return -1;
	if ((r = gs_end_of(s)) != 0)
		return r == 1 ? 0 : -1;
	t = &s->tok[s->i];
	if (gs_gate(s, IMAP_CAP_SASLIR, "SASL-IR not advertised") == -1)
		return -1;
	if (!is_base64(t))
		return gs_bad(s, "Invalid initial response");
	s->i++;
	return 0;
}

/* RFC 2971: "(" *(string SP nstring) ")" / nil; values may be atoms */
static int
g_id(struct gs *s)
{
	const struct imap_token	*t;
	int			 r;

	if ((t = gs_need(s, "Missing ID parameters")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_NIL) {
		s->i++;
		return 0;
	}
	if (gs_open_list(s, "Invalid ID parameters") == -1)
		return -1;
	/*
	 * RFC 2971's 30 pairs bind the sender; servers take more (Dovecot
	 * does), and real clients send 30 KB: only the line limit bounds it.
	 */
	while ((r = gs_at_close(s)) == 0) {
		if (gs_string(s, "Invalid ID field name") == -1)
			return -1;
		if ((t = gs_need(s, "Missing ID value")) == NULL)
			return -1;
		if (t->type == IMAP_TOK_NIL)
			s->i++;
		else if (gs_astring(s, "Invalid ID value") == -1)
			return -1;
	}
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

static int
g_enable(struct gs *s)
{
	int	 r;

	do {
		if (gs_atom(s, "Invalid capability") == -1)
			return -1;
	} while ((r = gs_end_of(s)) == 0);
	return r == 1 ? 0 : -1;
}

static int
g_compress(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Missing compression algorithm")) == NULL)
		return -1;
	if (!gs_kw(t, "DEFLATE"))
		return gs_bad(s, "Unknown compression algorithm");
	s->i++;
	return 0;
}

/* ACL, RFC 4314: identifier = astring, mod-rights = astring */
static int
g_acl_mbox_id(struct gs *s)
{
	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	return gs_astring(s, "Invalid identifier");
}

static int
g_setacl(struct gs *s)
{
	if (g_acl_mbox_id(s) == -1)
		return -1;
	return gs_astring(s, "Invalid rights");
}

/* QUOTA, RFC 9208: quota-root = astring */
static int
g_getquota(struct gs *s)
{
	return gs_astring(s, "Invalid quota root");
}

static int
g_setquota(struct gs *s)
{
	int	 r;

	if (gs_astring(s, "Invalid quota root") == -1 ||
	    gs_open_list(s, "Invalid quota resources") == -1)
		return -1;
	while ((r = gs_at_close(s)) == 0)
		if (gs_atom(s, "Invalid resource name") == -1 ||
		    gs_number(s, 0, MODSEQ_MAX, "Invalid resource limit") == -1)
			return -1;
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

/* METADATA, RFC 5464: entries are astrings under /private or /shared */
static int
entry(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Invalid entry name")) == NULL)
		return -1;
	if (t->type != IMAP_TOK_LITERAL &&
	    !((t->len >= 8 && strncasecmp((const char *)t->p, "/private", 8) ==
	    0 && (t->len == 8 || t->p[8] == '/')) ||
	    (t->len >= 7 && strncasecmp((const char *)t->p, "/shared", 7) ==
	    0 && (t->len == 7 || t->p[7] == '/'))))
		return gs_bad(s, "Invalid entry name");
	return gs_astring(s, "Invalid entry name");
}

static int
g_getmetadata(struct gs *s)
{
	const struct imap_token	*t;
	int			 r;

	if ((t = gs_need(s, "Missing GETMETADATA arguments")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_LIST_BEGIN) {
		s->i++;
		do {
			if ((t = gs_need(s, "Invalid GETMETADATA option")) ==
			    NULL)
				return -1;
			s->i++;
			if (gs_kw(t, "MAXSIZE")) {
				if (gs_number(s, 0, NUM32,
				    "Invalid MAXSIZE") == -1)
					return -1;
			} else if (gs_kw(t, "DEPTH")) {
				if ((t = gs_need(s, "Invalid DEPTH")) == NULL)
					return -1;
				if (!(t->type == IMAP_TOK_NUMBER &&
				    t->num <= 1 && t->len == 1) &&
				    !gs_kw(t, "infinity"))
					return gs_bad(s, "Invalid DEPTH");
				s->i++;
			} else
				return gs_bad(s, "Invalid GETMETADATA option");
		} while ((r = gs_at_close(s)) == 0);
		if (r == -1)
			return -1;
		s->i++;
	}
	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	if ((t = gs_need(s, "Missing entry")) == NULL)
		return -1;
	if (t->type != IMAP_TOK_LIST_BEGIN)
		return entry(s);
	s->i++;
	do {
		if (entry(s) == -1)
			return -1;
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

static int
g_setmetadata(struct gs *s)
{
	const struct imap_token	*t;
	int			 r;

	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1 ||
	    gs_open_list(s, "Invalid entry values") == -1)
		return -1;
	do {
		if (entry(s) == -1)
			return -1;
		/* value = nstring / literal8 */
		if ((t = gs_need(s, "Missing entry value")) == NULL)
			return -1;
		if (t->type == IMAP_TOK_NIL || t->type == IMAP_TOK_QUOTED)
			s->i++;
		else if (t->type == IMAP_TOK_LITERAL) {
			if (gs_literal(s, t, 1, 0) == -1)
				return -1;
			s->i++;
		} else
			return gs_bad(s, "Invalid entry value");
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

/*
 * NOTIFY, RFC 5465 section 8: "NONE", or "SET" [SP "STATUS"] then event
 * groups "(" filter-mailboxes SP events ")".
 */
static int
notify_events(struct gs *s, int selected)
{
	static const char *const other[] = {
		"MailboxName", "SubscriptionChange", "MailboxMetadataChange",
		"ServerMetadataChange"
	};
	const struct imap_token	*t;
	size_t			 k;
	int			 r, mnew = 0, mexp = 0, mflag = 0;

	if ((t = gs_need(s, "Missing events")) == NULL)
		return -1;
	if (gs_kw(t, "NONE")) {
		s->i++;
		return 0;
	}
	if (gs_open_list(s, "Invalid events") == -1)
		return -1;
	do {
		if ((t = gs_need(s, "Invalid event")) == NULL)
			return -1;
		s->i++;
		if (gs_kw(t, "MessageNew")) {
			mnew = 1;
			if ((r = gs_at_close(s)) == -1)
				return -1;
			if (r == 0 &&
			    s->tok[s->i].type == IMAP_TOK_LIST_BEGIN) {
				/* fetch attributes: for selected only */
				if (!selected)
					return gs_bad(s, "Fetch attributes "
					    "need a selected mailbox filter");
				s->i++;
				do {
					if (gs_fetch_att(s) == -1)
						return -1;
				} while ((r = gs_at_close(s)) == 0);
				if (r == -1)
					return -1;
				s->i++;
			}
			continue;
		}
		if (gs_kw(t, "MessageExpunge")) {
			mexp = 1;
			continue;
		}
		if (gs_kw(t, "FlagChange") || gs_kw(t, "AnnotationChange")) {
			mflag = 1;
			continue;
		}
		for (k = 0; k < sizeof(other) / sizeof(other[0]); k++)
			if (gs_kw(t, other[k]))
				break;
		if (k == sizeof(other) / sizeof(other[0]))
			return gs_bad(s, "Invalid event");
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	/* RFC 5465 section 5: these come together or not at all */
	if (mnew != mexp || (mflag && !mnew))
		return gs_bad(s, "MessageNew and MessageExpunge go together");
	return 0;
}

static int
g_notify(struct gs *s)
{
	const struct imap_token	*t;
	int			 r, sel;

	if ((t = gs_need(s, "Missing NOTIFY arguments")) == NULL)
		return -1;
	s->i++;
	if (gs_kw(t, "NONE"))
		return 0;
	if (!gs_kw(t, "SET"))
		return gs_bad(s, "Invalid NOTIFY arguments");
	if ((t = gs_need(s, "Missing event groups")) == NULL)
		return -1;
	if (gs_kw(t, "STATUS"))
		s->i++;
	do {
		if (gs_open_list(s, "Invalid event group") == -1 ||
		    gs_filter_mailboxes(s, 1, &sel) == -1 ||
		    notify_events(s, sel) == -1 ||
		    gs_close_list(s, "Invalid event group") == -1)
			return -1;
	} while ((r = gs_end_of(s)) == 0);
	return r == 1 ? 0 : -1;
}

/* URLAUTH, RFC 4467 section 9 */
static int
url(struct gs *s, const char *why)
{
	unsigned int	 i = s->i;

	if (gs_astring(s, why) == -1)
		return -1;
	gs_mbox_at(s, i, IMAP_MBOX_URL);
	return 0;
}

static int
g_genurlauth(struct gs *s)
{
	int	 r;

	do {
		if (url(s, "Invalid URL") == -1 ||
		    gs_atom(s, "Invalid mechanism") == -1)
			return -1;
	} while ((r = gs_end_of(s)) == 0);
	return r == 1 ? 0 : -1;
}

/*
 * RFC 5524: "(" url *(SP fetch-param) ")" asks for a body part's
 * structure, or its octets decoded.
 */
static int
urlfetch_ext(struct gs *s)
{
	const struct imap_token	*t;
	int			 r;

	if (gs_gate(s, IMAP_CAP_URLAUTH_BINARY, "URLAUTH=BINARY not advertised")
	    == -1 || gs_open_list(s, "Invalid URL") == -1 ||
	    url(s, "Invalid URL") == -1)
		return -1;
	while ((r = gs_at_close(s)) == 0) {
		t = &s->tok[s->i];
		if (!gs_kw(t, "BODYPARTSTRUCTURE") && !gs_kw(t, "BINARY") &&
		    !gs_kw(t, "BODY"))
			return gs_bad(s, "Invalid URLFETCH parameter");
		s->i++;
	}
	if (r == -1)
		return -1;
	return gs_close_list(s, "Invalid URL");
}

static int
g_urlfetch(struct gs *s)
{
	int	 r;

	do {
		if (s->i < s->n && s->tok[s->i].type == IMAP_TOK_LIST_BEGIN) {
			if (urlfetch_ext(s) == -1)
				return -1;
		} else if (url(s, "Invalid URL") == -1)
			return -1;
	} while ((r = gs_end_of(s)) == 0);
	return r == 1 ? 0 : -1;
}

static int
g_resetkey(struct gs *s)
{
	int	 r;

	if ((r = gs_end_of(s)) != 0)
		return r == 1 ? 0 : -1;
	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	while ((r = gs_end_of(s)) == 0)
		if (gs_atom(s, "Invalid mechanism") == -1)
			return -1;
	return r == 1 ? 0 : -1;
}

static const struct {
	const char	*name;
	int		(*fn)(struct gs *);
} grammars[] = {
	{ "APPEND", gram_append },
	{ "AUTHENTICATE", g_authenticate },
	{ "CAPABILITY", g_none },
	{ "CHECK", g_none },
	{ "CLOSE", g_none },
	{ "COMPRESS", g_compress },
	{ "COPY", gram_copy },
	{ "CREATE", gram_create },
	{ "DELETE", gram_mailbox },
	{ "DELETEACL", g_acl_mbox_id },
	{ "ENABLE", g_enable },
	{ "ESEARCH", gram_esearch },
	{ "EXAMINE", gram_select },
	{ "EXPUNGE", gram_expunge },
	{ "FETCH", gram_fetch },
	{ "GENURLAUTH", g_genurlauth },
	{ "GETACL", gram_mailbox },
	{ "GETMETADATA", g_getmetadata },
	{ "GETQUOTA", g_getquota },
	{ "GETQUOTAROOT", gram_mailbox },
	{ "ID", g_id },
	{ "IDLE", g_none },
	{ "LIST", gram_list },
	{ "LISTRIGHTS", g_acl_mbox_id },
	{ "LOGIN", g_login },
	{ "LOGOUT", g_none },
	{ "LSUB", gram_lsub },
	{ "MOVE", gram_copy },
	{ "MYRIGHTS", gram_mailbox },
	{ "NAMESPACE", g_none },
	{ "NOOP", g_none },
	{ "NOTIFY", g_notify },
	{ "RENAME", gram_rename },
	{ "RESETKEY", g_resetkey },
	{ "SEARCH", gram_search },
	{ "SELECT", gram_select },
	{ "SETACL", g_setacl },
	{ "SETMETADATA", g_setmetadata },
	{ "SETQUOTA", g_setquota },
	{ "SORT", gram_sort },
	{ "STARTTLS", g_none },
	{ "STATUS", gram_status },
	{ "STORE", gram_store },
	{ "SUBSCRIBE", gram_mailbox },
	{ "THREAD", gram_thread },
	{ "UNAUTHENTICATE", g_none },
	{ "UNSELECT", g_none },
	{ "UNSUBSCRIBE", gram_mailbox },
	{ "URLFETCH", g_urlfetch },
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
