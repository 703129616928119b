/*
 * The arguments of the commands of the session and of the extensions:
 * LOGIN, AUTHENTICATE (SASL-IR), ID, ENABLE, COMPRESS, ACL (RFC 4314),
 * QUOTA (RFC 9208), METADATA (RFC 5464), NOTIFY (RFC 5465) and
 * URLAUTH (RFC 4467, 5524).  Each is short, and none is about messages
 * or the mailbox list; NOTIFY borrows FETCH's attributes and ESEARCH's
 * mailbox filters.
 */
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "imap_caps.h"
#include "imap_grammar.h"
#include "imap_grammar_int.h"

int
gram_login(struct gs *s)
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

int
gram_authenticate(struct gs *s)
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
int
gram_id(struct gs *s)
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

int
gram_enable(struct gs *s)
{
	int	 r;

	do {
		if (gs_atom(s, "Invalid capability") == -1)
			return -1;
	} while ((r = gs_end_of(s)) == 0);
	return r == 1 ? 0 : -1;
}

int
gram_compress(struct gs *s)
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
int
gram_acl_mbox_id(struct gs *s)
{
	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	return gs_astring(s, "Invalid identifier");
}

int
gram_setacl(struct gs *s)
{
	if (gram_acl_mbox_id(s) == -1)
		return -1;
	return gs_astring(s, "Invalid rights");
}

/* QUOTA, RFC 9208: quota-root = astring */
int
gram_getquota(struct gs *s)
{
	return gs_astring(s, "Invalid quota root");
}

int
gram_setquota(struct gs *s)
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

int
gram_getmetadata(struct gs *s)
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

int
gram_setmetadata(struct gs *s)
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

int
gram_notify(struct gs *s)
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

int
gram_genurlauth(struct gs *s)
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

int
gram_urlfetch(struct gs *s)
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

int
gram_resetkey(struct gs *s)
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
