/*
 * The arguments of SEARCH, SORT, THREAD and ESEARCH (RFC 3501, RFC 9051,
 * RFC 4731, 5182, 5256, 5267, 5465, 7377 and the search keys of the
 * extensions): search keys nest, and a client's OR chains run thousands
 * deep, so they are one grammar of their own, with its depth bound.  The
 * mailbox filters of ESEARCH IN serve NOTIFY too
 * (gs_filter_mailboxes()).
 */
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "imap_caps.h"
#include "imap_grammar.h"
#include "imap_grammar_int.h"

/* ---- SEARCH, SORT, THREAD, ESEARCH ---- */

/* Lists nested by SEARCH, NOT and OR: recursion is bounded here. */
#define SEARCH_DEPTH_MAX	64

enum sk_arg {
	SK_NONE, SK_ASTRING, SK_DATE, SK_NUMBER, SK_NZ, SK_SEQ, SK_KEY,
	SK_KEY2, SK_HEADER, SK_KEYWORD, SK_MODSEQ, SK_OBJID
};

static const struct {
	const char	*name;
	enum sk_arg	 arg;
	uint64_t	 cap;
	const char	*why;
} search_keys[] = {
	{ "ALL", SK_NONE, 0, NULL },
	{ "ANSWERED", SK_NONE, 0, NULL },
	{ "BCC", SK_ASTRING, 0, NULL },
	{ "BEFORE", SK_DATE, 0, NULL },
	{ "BODY", SK_ASTRING, 0, NULL },
	{ "CC", SK_ASTRING, 0, NULL },
	{ "DELETED", SK_NONE, 0, NULL },
	{ "DRAFT", SK_NONE, 0, NULL },
	{ "FLAGGED", SK_NONE, 0, NULL },
	{ "FROM", SK_ASTRING, 0, NULL },
	{ "HEADER", SK_HEADER, 0, NULL },
	{ "KEYWORD", SK_KEYWORD, 0, NULL },
	{ "LARGER", SK_NUMBER, 0, NULL },
	{ "NEW", SK_NONE, 0, NULL },
	{ "NOT", SK_KEY, 0, NULL },
	{ "OLD", SK_NONE, 0, NULL },
	{ "ON", SK_DATE, 0, NULL },
	{ "OR", SK_KEY2, 0, NULL },
	{ "RECENT", SK_NONE, 0, NULL },
	{ "SEEN", SK_NONE, 0, NULL },
	{ "SENTBEFORE", SK_DATE, 0, NULL },
	{ "SENTON", SK_DATE, 0, NULL },
	{ "SENTSINCE", SK_DATE, 0, NULL },
	{ "SINCE", SK_DATE, 0, NULL },
	{ "SMALLER", SK_NUMBER, 0, NULL },
	{ "SUBJECT", SK_ASTRING, 0, NULL },
	{ "TEXT", SK_ASTRING, 0, NULL },
	{ "TO", SK_ASTRING, 0, NULL },
	{ "UID", SK_SEQ, 0, NULL },
	{ "UNANSWERED", SK_NONE, 0, NULL },
	{ "UNDELETED", SK_NONE, 0, NULL },
	{ "UNDRAFT", SK_NONE, 0, NULL },
	{ "UNFLAGGED", SK_NONE, 0, NULL },
	{ "UNKEYWORD", SK_KEYWORD, 0, NULL },
	{ "UNSEEN", SK_NONE, 0, NULL },
	/* RFC 7162 section 3.1.5 */
	{ "MODSEQ", SK_MODSEQ, IMAP_CAP_CONDSTORE, "CONDSTORE not advertised" },
	/* RFC 5032 */
	{ "OLDER", SK_NZ, IMAP_CAP_WITHIN, "WITHIN not advertised" },
	{ "YOUNGER", SK_NZ, IMAP_CAP_WITHIN, "WITHIN not advertised" },
	/* RFC 8514: SAVED*, not SAVEDATE* */
	{ "SAVEDBEFORE", SK_DATE, IMAP_CAP_SAVEDATE,
	    "SAVEDATE not advertised" },
	{ "SAVEDON", SK_DATE, IMAP_CAP_SAVEDATE, "SAVEDATE not advertised" },
	{ "SAVEDSINCE", SK_DATE, IMAP_CAP_SAVEDATE,
	    "SAVEDATE not advertised" },
	{ "SAVEDATESUPPORTED", SK_NONE, IMAP_CAP_SAVEDATE,
	    "SAVEDATE not advertised" },
	/* RFC 8474 */
	{ "EMAILID", SK_OBJID, IMAP_CAP_OBJECTID, "OBJECTID not advertised" },
	{ "THREADID", SK_OBJID, IMAP_CAP_OBJECTID, "OBJECTID not advertised" },
	/* RFC 6203 */
	{ "FUZZY", SK_KEY, IMAP_CAP_FUZZY, "FUZZY not advertised" },
};

/* objectid = 1*255(ALPHA / DIGIT / "_" / "-") */
static int
objectid(struct gs *s)
{
	const struct imap_token	*t;
	uint32_t		 k;
	uint8_t			 c;

	if ((t = gs_need(s, "Invalid object id")) == NULL)
		return -1;
	if ((t->type != IMAP_TOK_ATOM && t->type != IMAP_TOK_NUMBER) ||
	    (t->flags & IMAP_TOKF_FLAG) || t->len > 255)
		return gs_bad(s, "Invalid object id");
	for (k = 0; k < t->len; k++) {
		c = t->p[k];
		if (!gs_isdig(c) && !(c >= 'A' && c <= 'Z') &&
		    !(c >= 'a' && c <= 'z') && c != '_' && c != '-')
			return gs_bad(s, "Invalid object id");
	}
	s->i++;
	return 0;
}

/*
 * "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer,
 * entry-name = DQUOTE "/flags/" attr-flag DQUOTE.
 */
static int
search_modseq(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Invalid MODSEQ")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_QUOTED) {
		if (t->len <= 7 ||
		    strncasecmp((const char *)t->p, "/flags/", 7) != 0)
			return gs_bad(s, "Invalid MODSEQ entry name");
		s->i++;
		if ((t = gs_need(s, "Invalid MODSEQ")) == NULL)
			return -1;
		if (!gs_kw(t, "priv") && !gs_kw(t, "shared") &&
		    !gs_kw(t, "all"))
			return gs_bad(s, "Invalid MODSEQ entry type");
		s->i++;
	}
	return gs_number(s, 0, MODSEQ_MAX, "Invalid MODSEQ");
}

static int
search_key(struct gs *s, unsigned int depth)
{
	const struct imap_token	*t;
	size_t			 k;
	int			 r;

	/*
	 * NOT's key and OR's second key are the key's last argument: they
	 * are read in this frame, so the long OR chains of real clients
	 * ("OR UID 1 OR UID 2 OR ...", thousands deep) cost no depth.
	 */
again:
	if (depth > SEARCH_DEPTH_MAX)
		return gs_bad(s, "Search keys nested too deep");
	if ((t = gs_need(s, "Missing search key")) == NULL)
		return -1;
	if (t->type == IMAP_TOK_LIST_BEGIN) {
		s->i++;
		do {
			if (search_key(s, depth + 1) == -1)
				return -1;
		} while ((r = gs_at_close(s)) == 0);
		if (r == -1)
			return -1;
		s->i++;
		return 0;
	}
	if (t->type == IMAP_TOK_NUMBER || t->type == IMAP_TOK_SEQSET ||
	    (t->type == IMAP_TOK_ATOM && t->len == 1 && t->p[0] == '$'))
		return gs_seqset(s, 1, 1);
	for (k = 0; k < sizeof(search_keys) / sizeof(search_keys[0]); k++)
		if (gs_kw(t, search_keys[k].name))
			break;
	if (k == sizeof(search_keys) / sizeof(search_keys[0]))
		return gs_bad(s, "Invalid search key");
	s->i++;
	if (search_keys[k].cap != 0 &&
	    gs_gate(s, search_keys[k].cap, search_keys[k].why) == -1)
		return -1;
	switch (search_keys[k].arg) {
	case SK_NONE:
		return 0;
	case SK_ASTRING:
		return gs_astring(s, "Invalid search string");
	case SK_DATE:
		return gs_date(s);
	case SK_NUMBER:
		return gs_number(s, 0, NUM32, "Invalid number");
	case SK_NZ:
		return gs_number(s, 1, NUM32, "Invalid number");
	case SK_SEQ:
		return gs_seqset(s, 1, 1);
	case SK_KEY:
		goto again;
	case SK_KEY2:
		if (search_key(s, depth + 1) == -1)
			return -1;
		goto again;
	case SK_HEADER:
		if (gs_astring(s, "Invalid header name") == -1)
			return -1;
		return gs_astring(s, "Invalid search string");
	case SK_KEYWORD:
		if ((t = gs_need(s, "Invalid keyword")) == NULL)
			return -1;
		if (!gs_is_atom(t) || t->type == IMAP_TOK_NIL)
			return gs_bad(s, "Invalid keyword");
		s->i++;
		return 0;
	case SK_MODSEQ:
		return search_modseq(s);
	case SK_OBJID:
		return objectid(s);
	}
	return gs_bad(s, "Invalid search key");
}

/* 1*(SP search-key) up to the end of the command */
static int
search_keys_to_end(struct gs *s)
{
	int	 r;

	do {
		if (search_key(s, 0) == -1)
			return -1;
	} while ((r = gs_end_of(s)) == 0);
	return r == 1 ? 0 : -1;
}

/* charset = atom / quoted */
static int
charset(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Missing charset")) == NULL)
		return -1;
	if (t->type != IMAP_TOK_QUOTED && !gs_is_atom(t))
		return gs_bad(s, "Invalid charset");
	s->i++;
	return 0;
}

enum ret_ctx { RET_SEARCH, RET_SORT, RET_MULTI };

/*
 * search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP
 * search-return-opt)] ")": RFC 4731, SAVE from RFC 5182, CONTEXT,
 * UPDATE and PARTIAL from RFC 5267.  ESEARCH IN (RFC 7377) takes only
 * the RFC 4731 ones.
 */
static int
return_opts(struct gs *s, enum ret_ctx ctx)
{
	const struct imap_token	*t;
	uint64_t		 ctxcap;
	int			 r;

	ctxcap = ctx == RET_SORT ? IMAP_CAP_CONTEXT_SORT :
	    IMAP_CAP_CONTEXT_SEARCH;
	if (gs_open_list(s, "Invalid RETURN options") == -1)
		return -1;
	while ((r = gs_at_close(s)) == 0) {
		t = &s->tok[s->i++];
		if (gs_kw(t, "MIN") || gs_kw(t, "MAX") || gs_kw(t, "ALL") ||
		    gs_kw(t, "COUNT"))
			continue;
		if (ctx == RET_MULTI)
			return gs_bad(s, "Invalid RETURN option");
		if (gs_kw(t, "SAVE")) {
			if (gs_gate(s, IMAP_CAP_SEARCHRES,
			    "SEARCHRES not advertised") == -1)
				return -1;
		} else if (gs_kw(t, "UPDATE") || gs_kw(t, "CONTEXT")) {
			if (gs_gate(s, ctxcap, "CONTEXT not advertised") == -1)
				return -1;
		} else if (gs_kw(t, "PARTIAL")) {
			if (gs_gate(s, ctxcap, "CONTEXT not advertised") == -1)
				return -1;
			/* partial-range = nz-number ":" nz-number */
			if ((t = gs_need(s, "Invalid PARTIAL range")) == NULL)
				return -1;
			if (t->type != IMAP_TOK_SEQSET || gs_has_any(t, ",*") ||
			    !gs_has_any(t, ":") || !gs_seq_numbers_ok(t))
				return gs_bad(s, "Invalid PARTIAL range");
			s->i++;
		} else
			return gs_bad(s, "Invalid RETURN option");
	}
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

int
gram_search(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Missing search keys")) == NULL)
		return -1;
	if (gs_kw(t, "RETURN")) {
		s->i++;
		if (gs_gate(s, IMAP_CAP_ESEARCH,
		    "ESEARCH not advertised") == -1 ||
		    return_opts(s, RET_SEARCH) == -1)
			return -1;
		if ((t = gs_need(s, "Missing search keys")) == NULL)
			return -1;
	}
	if (gs_kw(t, "CHARSET")) {
		s->i++;
		if (charset(s) == -1)
			return -1;
	}
	return search_keys_to_end(s);
}

/* sort-criteria = "(" sort-criterion *(SP sort-criterion) ")" */
static int
sort_criteria(struct gs *s)
{
	static const char *const keys[] = {
		"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO"
	};
	const struct imap_token	*t;
	size_t			 k;
	int			 r;

	if (gs_open_list(s, "Invalid sort criteria") == -1)
		return -1;
	do {
		if ((t = gs_need(s, "Invalid sort criteria")) == NULL)
			return -1;
		if (gs_kw(t, "REVERSE")) {
			s->i++;
			if ((t = gs_need(s, "Invalid sort criteria")) == NULL)
				return -1;
		}
		s->i++;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (gs_kw(t, keys[k]))
				break;
		if (k < sizeof(keys) / sizeof(keys[0]))
			continue;
		if (!gs_kw(t, "DISPLAYFROM") && !gs_kw(t, "DISPLAYTO"))
			return gs_bad(s, "Invalid sort criteria");
		if (gs_gate(s, IMAP_CAP_SORT_DISPLAY,
		    "SORT=DISPLAY not advertised") == -1)
			return -1;
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

int
gram_sort(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Missing sort criteria")) == NULL)
		return -1;
	if (gs_kw(t, "RETURN")) {
		s->i++;
		if (gs_gate(s, IMAP_CAP_ESORT, "ESORT not advertised") == -1 ||
		    return_opts(s, RET_SORT) == -1)
			return -1;
	}
	if (sort_criteria(s) == -1 || charset(s) == -1)
		return -1;
	return search_keys_to_end(s);
}

int
gram_thread(struct gs *s)
{
	const struct imap_token	*t;

	if ((t = gs_need(s, "Missing thread algorithm")) == NULL)
		return -1;
	s->i++;
	if (gs_kw(t, "ORDEREDSUBJECT")) {
		if (gs_gate(s, IMAP_CAP_THREAD_ORDEREDSUBJECT,
		    "THREAD=ORDEREDSUBJECT not advertised") == -1)
			return -1;
	} else if (gs_kw(t, "REFERENCES")) {
		if (gs_gate(s, IMAP_CAP_THREAD_REFERENCES,
		    "THREAD=REFERENCES not advertised") == -1)
			return -1;
	} else if (gs_kw(t, "REFS")) {
		if (gs_gate(s, IMAP_CAP_THREAD_REFS,
		    "THREAD=REFS not advertised") == -1)
			return -1;
	} else
		return gs_bad(s, "Invalid thread algorithm");
	if (charset(s) == -1)
		return -1;
	return search_keys_to_end(s);
}

/* one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")" */
static int
mailboxes(struct gs *s)
{
	const struct imap_token	*t;
	int			 r;

	if ((t = gs_need(s, "Missing mailbox")) == NULL)
		return -1;
	if (t->type != IMAP_TOK_LIST_BEGIN)
		return gs_mailbox(s, IMAP_MBOX_NAME);
	s->i++;
	do {
		if (gs_mailbox(s, IMAP_MBOX_NAME) == -1)
			return -1;
	} while ((r = gs_at_close(s)) == 0);
	if (r == -1)
		return -1;
	s->i++;
	return 0;
}

/*
 * filter-mailboxes of RFC 5465 section 8 ("selected" and
 * "selected-delayed" only for NOTIFY), "subtree-one" of RFC 7377 only
 * for ESEARCH.  Sets *selected for the selected ones.
 */
int
gs_filter_mailboxes(struct gs *s, int notify, int *selected)
{
	const struct imap_token	*t;

	*selected = 0;
	if ((t = gs_need(s, "Missing mailbox filter")) == NULL)
		return -1;
	s->i++;
	if (gs_kw(t, "selected") || gs_kw(t, "selected-delayed")) {
		*selected = 1;
		return 0;
	}
	if (gs_kw(t, "inboxes") || gs_kw(t, "personal") ||
	    gs_kw(t, "subscribed"))
		return 0;
	if (gs_kw(t, "subtree") || gs_kw(t, "mailboxes") ||
	    (!notify && gs_kw(t, "subtree-one")))
		return mailboxes(s);
	return gs_bad(s, "Invalid mailbox filter");
}

int
gram_esearch(struct gs *s)
{
	const struct imap_token	*t;
	int			 r, sel;

	if ((t = gs_need(s, "Missing search keys")) == NULL)
		return -1;
	if (gs_kw(t, "IN")) {
		/* "IN" SP "(" source-mbox [SP "(" scope-options ")"] ")";
		 * no scope option is defined, so none is taken */
		s->i++;
		if (gs_open_list(s, "Invalid ESEARCH source") == -1)
			return -1;
		do {
			if (gs_filter_mailboxes(s, 0, &sel) == -1)
				return -1;
		} while ((r = gs_at_close(s)) == 0);
		if (r == -1)
			return -1;
		s->i++;
		if ((t = gs_need(s, "Missing search keys")) == NULL)
			return -1;
	}
	if (gs_kw(t, "RETURN")) {
		s->i++;
		if (return_opts(s, RET_MULTI) == -1)
			return -1;
		if ((t = gs_need(s, "Missing search keys")) == NULL)
			return -1;
	}
	if (gs_kw(t, "CHARSET")) {
		s->i++;
		if (charset(s) == -1)
			return -1;
	}
	return search_keys_to_end(s);
}
