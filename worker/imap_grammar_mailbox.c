/*
 * The arguments of the commands about mailboxes: SELECT and EXAMINE
 * (with CONDSTORE and QRESYNC), CREATE, DELETE, RENAME, SUBSCRIBE,
 * STATUS, LIST (RFC 5258's extended form) and LSUB, APPEND (with
 * MULTIAPPEND, CATENATE, BINARY and UTF8), COPY, MOVE and EXPUNGE.
 * Here are most of the places where mailbox names are learnt, and the
 * message data postern streams rather than holds.
 */
#include <stddef.h>
#include <stdint.h>

#include "imap_caps.h"
#include "imap_grammar.h"
#include "imap_grammar_int.h"

/* ---- mailboxes ---- */

int
gram_mailbox(struct gs *s)
{
	return gs_mailbox(s, IMAP_MBOX_NAME);
}

int
gram_rename(struct gs *s)
{
	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	return gs_mailbox(s, IMAP_MBOX_NAME);
}

/*
 * select-params (RFC 4466): CONDSTORE and QRESYNC (RFC 7162 sections
 * 3.1.8, 3.2.5): QRESYNC (uidvalidity modseq [known-uids [seq-match]]).
 */
int
gram_select(struct gs *s)
{
	const struct imap_token	*t;
	int			 r, cs = 0, qr = 0;

	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	if ((r = gs_end_of(s)) != 0)
		return r == 1 ? 0 : -1;
	if (gs_open_list(s, "Invalid SELECT parameters") == -1)
		return -1;
	do {
		if ((t = gs_need(s, "Invalid SELECT parameter")) == NULL)
			return -1;
		s->i++;
		if (gs_kw(t, "CONDSTORE") && !cs) {
			if (gs_gate(s, IMAP_CAP_CONDSTORE,
			    "CONDSTORE not advertised") == -1)
				return -1;
			cs = 1;
			continue;
		}
		if (!gs_kw(t, "QRESYNC") || qr)
			return gs_bad(s, "Invalid SELECT parameter");
		qr = 1;
		if (gs_gate(s, IMAP_CAP_QRESYNC,
		    "QRESYNC not advertised") == -1)
			return -1;
		if (!(s->enabled & IMAP_CAP_QRESYNC))
			return gs_bad(s, "QRESYNC not enabled");
		if (gs_open_list(s, "Invalid QRESYNC parameter") == -1 ||
		    gs_number(s, 1, NUM32, "Invalid UIDVALIDITY") == -1 ||
		    gs_number(s, 1, MODSEQ_MAX, "Invalid mod-sequence") == -1)
			return -1;
		if ((r = gs_at_close(s)) == -1)
			return -1;
		if (r == 0 && s->tok[s->i].type != IMAP_TOK_LIST_BEGIN) {
			/* known-uids: "*" is not allowed */
			if (gs_seqset(s, 0, 0) == -1 ||
			    (r = gs_at_close(s)) == -1)
				return -1;
		}
		if (r == 0) {
			/* seq-match-data */
			if (gs_open_list(s,
			    "Invalid QRESYNC parameter") == -1 ||
			    gs_seqset(s, 0, 0) == -1 ||
			    gs_seqset(s, 0, 0) == -1 ||
			    gs_close_list(s,
			    "Invalid QRESYNC parameter") == -1)
				return -1;
		}
		if (gs_close_list(s, "Invalid QRESYNC parameter") == -1)
			return -1;
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

/* CREATE mailbox [SP "(" "USE" SP "(" use-attr ... ")" ")"] (RFC 6154) */
int
gram_create(struct gs *s)
{
	static const char *const use[] = {
		"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk",
		"\\Sent", "\\Trash", "\\Important"
	};
	const struct imap_token	*t;
	size_t			 k;
	int			 r;

	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	if ((r = gs_end_of(s)) != 0)
		return r == 1 ? 0 : -1;
	if (gs_open_list(s, "Invalid CREATE parameters") == -1)
		return -1;
	if ((t = gs_need(s, "Invalid CREATE parameter")) == NULL)
		return -1;
	if (!gs_kw(t, "USE"))
		return gs_bad(s, "Invalid CREATE parameter");
	s->i++;
	if (gs_gate(s, IMAP_CAP_CREATE_SPECIAL_USE,
	    "CREATE-SPECIAL-USE not advertised") == -1 ||
	    gs_open_list(s, "Invalid USE attributes") == -1)
		return -1;
	do {
		if ((t = gs_need(s, "Invalid USE attribute")) == NULL)
			return -1;
		for (k = 0; k < sizeof(use) / sizeof(use[0]); k++)
			if (t->type == IMAP_TOK_ATOM && imap_tok_is(t, use[k]))
				break;
		if (k == sizeof(use) / sizeof(use[0]))
			return gs_bad(s, "Invalid USE attribute");
		s->i++;
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	return gs_close_list(s, "Invalid CREATE parameters");
}

/* status-att-list = status-att *(SP status-att), in parentheses */
static int
status_atts(struct gs *s)
{
	static const char *const base[] = {
		"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"
	};
	static const struct {
		const char	*name;
		uint64_t	 cap;
		const char	*why;
	} ext[] = {
		{ "SIZE", IMAP_CAP_STATUS_SIZE, "STATUS=SIZE not advertised" },
		{ "HIGHESTMODSEQ", IMAP_CAP_CONDSTORE,
		    "CONDSTORE not advertised" },
		{ "DELETED", IMAP_CAP_IMAP4REV2, "IMAP4rev2 not advertised" },
		{ "APPENDLIMIT", IMAP_CAP_APPENDLIMIT,
		    "APPENDLIMIT not advertised" },
		{ "MAILBOXID", IMAP_CAP_OBJECTID, "OBJECTID not advertised" },
	};
	const struct imap_token	*t;
	size_t			 k;
	int			 r;

	if (gs_open_list(s, "Invalid status attributes") == -1)
		return -1;
	do {
		if ((t = gs_need(s, "Invalid status attribute")) == NULL)
			return -1;
		s->i++;
		for (k = 0; k < sizeof(base) / sizeof(base[0]); k++)
			if (gs_kw(t, base[k]))
				break;
		if (k < sizeof(base) / sizeof(base[0]))
			continue;
		for (k = 0; k < sizeof(ext) / sizeof(ext[0]); k++)
			if (gs_kw(t, ext[k].name))
				break;
		if (k == sizeof(ext) / sizeof(ext[0]))
			return gs_bad(s, "Invalid status attribute");
		if (gs_gate(s, ext[k].cap, ext[k].why) == -1)
			return -1;
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

int
gram_status(struct gs *s)
{
	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	return status_atts(s);
}

/*
 * LIST [SP list-select-opts] SP mailbox SP mbox-or-pat
 * [SP list-return-opts] (RFC 5258, 5819, 6154); plain RFC 3501 LIST
 * without the brackets.
 */
int
gram_list(struct gs *s)
{
	const struct imap_token	*t;
	const char		*ext = "LIST-EXTENDED not advertised";
	int			 r, base = 0, recursive = 0;

	if ((t = gs_need(s, "Missing LIST arguments")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_LIST_BEGIN) {
		s->i++;
		if (gs_gate(s, IMAP_CAP_LIST_EXTENDED, ext) == -1)
			return -1;
		while ((r = gs_at_close(s)) == 0) {
			t = &s->tok[s->i++];
			if (gs_kw(t, "SUBSCRIBED") || gs_kw(t, "REMOTE"))
				base = 1;
			else if (gs_kw(t, "RECURSIVEMATCH"))
				recursive = 1;
			else if (gs_kw(t, "SPECIAL-USE")) {
				if (gs_gate(s, IMAP_CAP_SPECIAL_USE,
				    "SPECIAL-USE not advertised") == -1)
					return -1;
				base = 1;
			} else
				return gs_bad(s,
				    "Invalid LIST selection option");
		}
		if (r == -1)
			return -1;
		s->i++;
		/* RFC 5258 section 3.1 */
		if (recursive && !base)
			return gs_bad(s, "RECURSIVEMATCH needs another option");
	}
	if (gs_mailbox(s, IMAP_MBOX_REFERENCE) == -1)
		return -1;
	if ((t = gs_need(s, "Missing mailbox pattern")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_LIST_BEGIN) {
		s->i++;
		if (gs_gate(s, IMAP_CAP_LIST_EXTENDED, ext) == -1)
			return -1;
		do {
			if (gs_list_mailbox(s) == -1)
				return -1;
		} while ((r = gs_at_close(s)) == 0);
		if (r == -1)
			return -1;
		s->i++;
	} else if (gs_list_mailbox(s) == -1)
		return -1;
	if ((r = gs_end_of(s)) != 0)
		return r == 1 ? 0 : -1;
	if (!gs_kw(&s->tok[s->i], "RETURN"))
		return gs_bad(s, "Invalid LIST arguments");
	s->i++;
	if (gs_gate(s, IMAP_CAP_LIST_EXTENDED, ext) == -1 ||
	    gs_open_list(s, "Invalid LIST return options") == -1)
		return -1;
	while ((r = gs_at_close(s)) == 0) {
		t = &s->tok[s->i++];
		if (gs_kw(t, "SUBSCRIBED") || gs_kw(t, "CHILDREN"))
			continue;
		if (gs_kw(t, "SPECIAL-USE")) {
			if (gs_gate(s, IMAP_CAP_SPECIAL_USE,
			    "SPECIAL-USE not advertised") == -1)
				return -1;
		} else if (gs_kw(t, "STATUS")) {
			if (gs_gate(s, IMAP_CAP_LIST_STATUS,
			    "LIST-STATUS not advertised") == -1 ||
			    status_atts(s) == -1)
				return -1;
		} else
			return gs_bad(s, "Invalid LIST return option");
	}
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

int
gram_lsub(struct gs *s)
{
	if (gs_mailbox(s, IMAP_MBOX_REFERENCE) == -1)
		return -1;
	return gs_list_mailbox(s);
}

/* ---- APPEND (RFC 3501, 3502, 4469, 3516, 6855) ---- */

/* cat-part = text-literal / url: "TEXT" SP literal, "URL" SP astring */
static int
catenate(struct gs *s)
{
	const struct imap_token	*t;
	unsigned int		 i;
	int			 r;

	if (gs_gate(s, IMAP_CAP_CATENATE, "CATENATE not advertised") == -1 ||
	    gs_open_list(s, "Invalid CATENATE parts") == -1)
		return -1;
	do {
		if ((t = gs_need(s, "Invalid CATENATE part")) == NULL)
			return -1;
		s->i++;
		if (gs_kw(t, "URL")) {
			i = s->i;
			if (gs_astring(s, "Invalid CATENATE URL") == -1)
				return -1;
			gs_mbox_at(s, i, IMAP_MBOX_URL);
		} else if (gs_kw(t, "TEXT")) {
			if ((t = gs_need(s, "Invalid CATENATE TEXT")) == NULL)
				return -1;
			if (t->type != IMAP_TOK_LITERAL)
				return gs_bad(s, "Invalid CATENATE TEXT");
			if ((t->lit & IMAP_LIT_BINARY) && gs_gate(s,
			    IMAP_CAP_BINARY, "BINARY not advertised") == -1)
				return -1;
			if (gs_literal(s, t, 1, 1) == -1)
				return -1;
			s->i++;
		} else
			return gs_bad(s, "Invalid CATENATE part");
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

static int
append_data(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Missing message")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_LITERAL) {
		if ((t->lit & IMAP_LIT_BINARY) &&
		    gs_gate(s, IMAP_CAP_BINARY, "BINARY not advertised") == -1)
			return -1;
		if (gs_literal(s, t, 1, 1) == -1)
			return -1;
		s->i++;
		return 0;
	}
	s->i++;
	if (gs_kw(t, "CATENATE"))
		return catenate(s);
	if (!gs_kw(t, "UTF8"))
		return gs_bad(s, "Invalid APPEND arguments");
	/* "UTF8" SP "(" literal8 ")" (RFC 6855 section 4) */
	if (gs_gate(s, IMAP_CAP_UTF8ACCEPT, "UTF8=ACCEPT not advertised") == -1)
		return -1;
	if (!(s->enabled & IMAP_CAP_UTF8ACCEPT))
		return gs_bad(s, "UTF8=ACCEPT not enabled");
	if (gs_open_list(s, "Invalid UTF8 data") == -1 ||
	    (t = gs_need(s, "Invalid UTF8 data")) == NULL)
		return -1;
	if (t->type != IMAP_TOK_LITERAL || !(t->lit & IMAP_LIT_BINARY))
		return gs_bad(s, "UTF8 data must be a literal8");
	if (gs_literal(s, t, 1, 1) == -1)
		return -1;
	s->i++;
	return gs_close_list(s, "Invalid UTF8 data");
}

int
gram_append(struct gs *s)
{
	const struct imap_token	*t;
	int			 r, nmsg = 0;

	if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
		return -1;
	do {
		if (nmsg++ > 0 && gs_gate(s, IMAP_CAP_MULTIAPPEND,
		    "MULTIAPPEND not advertised") == -1)
			return -1;
		if ((t = gs_need(s, "Missing message")) == NULL)
			return -1;
		if (t->type == IMAP_TOK_LIST_BEGIN) {
			if (gs_flag_list(s) == -1)
				return -1;
			if ((t = gs_need(s, "Missing message")) == NULL)
				return -1;
		}
		if (t->type == IMAP_TOK_QUOTED) {
			if (!gs_is_date_time(t))
				return gs_bad(s, "Invalid date-time");
			s->i++;
		}
		if (append_data(s) == -1)
			return -1;
	} while ((r = gs_end_of(s)) == 0);
	return r == 1 ? 0 : -1;
}

int
gram_copy(struct gs *s)
{
	if (gs_seqset(s, 1, 1) == -1)
		return -1;
	return gs_mailbox(s, IMAP_MBOX_NAME);
}

int
gram_expunge(struct gs *s)
{
	/* UID EXPUNGE sequence-set (RFC 4315); its gate is checked first */
	if (s->g->uid)
		return gs_seqset(s, 1, 1);
	return 0;
}
