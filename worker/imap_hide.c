/*
 * Hiding mailboxes (imap_hide.h): the list rules' verdicts on every name
 * a command or a response carries.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "imap_hide.h"
#include "imap_list.h"
#include "imap_mailbox.h"

/* Places of one response that name mailboxes (an ESEARCH per mailbox). */
#define RESP_PLACES_MAX	64

static int
ask_list(struct imap_enforce *pol, const char *mailbox, struct verdict *v)
{
	struct verdict_q	 q = { .table = RULES_LIST, .key = "*",
				    .mailbox = mailbox };

	if (verdict_ask(&pol->vs, &q, v) == -1) {
		audit_verdict("list", "*", mailbox, strlen(mailbox), NULL, 0);
		return -1;
	}
	if (!(v->cached && v->action == RULES_ACCEPT))
		audit_verdict("list", "*", mailbox, strlen(mailbox), v->ans,
		    v->cached);
	return 0;
}

/*
 * 1: the name is of a hidden mailbox, or too long to tell; -1: no
 * verdict.  Both readings of a name a lenient server would decode
 * another way (imap_mailbox_name_alt()) are asked about; *v is the
 * verdict of the first.
 */
static int
hidden_name_v(struct imap_enforce *pol, const uint8_t *p, size_t len,
    struct verdict *v)
{
	char	 alt[POLICY_STR_MAX];
	int	 n;

	if (imap_mailbox_name(p, len, pol->name, sizeof(pol->name)) < 0)
		return 1;
	if ((n = imap_mailbox_name_alt(p, len, alt, sizeof(alt))) < 0)
		return 1;
	if (ask_list(pol, pol->name, v) == -1)
		return -1;
	if (v->action == RULES_HIDE)
		return 1;
	if (n == 0)
		return 0;
	if (ask_list(pol, alt, v) == -1)
		return -1;
	return v->action == RULES_HIDE;
}

static int
hidden_name(struct imap_enforce *pol, const uint8_t *p, size_t len)
{
	struct verdict	 v;

	return hidden_name_v(pol, p, len, &v);
}

/*
 * The mailbox an IMAP URL names: hidden, or unreadable (1), or not (0);
 * -1 no verdict.  A URL of a server alone names none; ";UID=n" names
 * the selected mailbox.
 */
static int
url_hidden(struct imap_enforce *pol, const uint8_t *p, size_t len)
{
	char	 name[POLICY_STR_MAX];

	switch (imap_url_mailbox(p, len, name, sizeof(name))) {
	case IMAP_URL_SERVER:
		return 0;
	case IMAP_URL_BASE:
		if (pol->selected[0] == '\0')
			return 0;
		return hidden_name(pol, (const uint8_t *)pol->selected,
		    strlen(pol->selected));
	case IMAP_URL_MAILBOX:
		return hidden_name(pol, (const uint8_t *)name, strlen(name));
	default:
		return 1;
	}
}

/*
 * The octets of a mailbox place, tok[i]: an atom's or a quoted string's
 * contents, a held literal's octets.  -1: none we can read.
 */
static int
place_bytes(const struct imap_session *s, const struct imap_token *tok,
    unsigned int i, const uint8_t **p, size_t *len)
{
	const struct imap_token	*t = &tok[i];

	switch (t->type) {
	case IMAP_TOK_ATOM:
	case IMAP_TOK_QUOTED:
	case IMAP_TOK_NUMBER:
	case IMAP_TOK_SEQSET:
		*p = t->p;
		*len = t->len;
		return 0;
	case IMAP_TOK_LITERAL:
		return imap_session_literal(s, i, p, len);
	default:
		return -1;
	}
}

/*
 * 1: the place names a hidden mailbox, or one we cannot read (counted as
 * hidden, postern.rules(5) MAILBOX NAMES); 0 not; -1 no verdict.
 */
static int
hidden_place(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_token *tok, const struct imap_gram_mbox *m)
{
	const uint8_t	*p;
	size_t		 len;

	if (m->kind == IMAP_MBOX_REFERENCE || m->kind == IMAP_MBOX_PATTERN)
		return 0;	/* LIST results are filtered instead */
	if (place_bytes(s, tok, m->tok, &p, &len) == -1)
		return 1;
	if (m->kind == IMAP_MBOX_URL)
		return url_hidden(pol, p, len);
	return hidden_name(pol, p, len);
}

/*
 * Could a hide rule match a name under this one (its name, a hierarchy
 * delimiter, anything)?  Asked with "*" standing for the anything, which
 * a rule's "*" matches: DELETE or RENAME of the parent would otherwise
 * move hidden mailboxes or tell that they exist.
 */
static int
hidden_below(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_token *tok, const struct imap_gram_mbox *m)
{
	static const char *const delims[] = { "/", "." };
	struct verdict	 v;
	const uint8_t	*p;
	char		 name[POLICY_STR_MAX], probe[POLICY_STR_MAX];
	size_t		 len, i;
	int		 n;

	if (place_bytes(s, tok, m->tok, &p, &len) == -1 ||
	    (n = imap_mailbox_name(p, len, name, sizeof(name))) < 0 ||
	    (size_t)n + 3 > sizeof(probe))
		return 1;
	for (i = 0; i < sizeof(delims) / sizeof(delims[0]); i++) {
		memcpy(probe, name, (size_t)n);
		probe[n] = delims[i][0];
		probe[n + 1] = '*';
		probe[n + 2] = '\0';
		if (ask_list(pol, probe, &v) == -1)
			return -1;
		if (v.action == RULES_HIDE)
			return 1;
	}
	return 0;
}


/*
 * Every mailbox place of the command from token first on.  N places are
 * checked before C ones: CREATE's name and RENAME's new name are C, and
 * so are DELETE's and RENAME's old name when a hidden name could be
 * under them.
 */
enum hide_answer
imap_hide_command(struct imap_enforce *pol, const struct imap_session *s,
    const char *cmd, unsigned int first)
{
	const struct imap_token	*tok;
	const struct imap_gram	*g = &s->gram;
	unsigned int		 ntok, i, names = 0;
	int			 h, create, rename, parent, c = 0;

	tok = imap_parser_tokens(&s->cli, &ntok);
	create = strcmp(cmd, "CREATE") == 0;
	rename = strcmp(cmd, "RENAME") == 0;
	parent = rename || strcmp(cmd, "DELETE") == 0;
	for (i = 0; i < g->nmbox; i++) {
		const struct imap_gram_mbox *m = &g->mbox[i];
		int	 nplace = -1;

		if (m->kind == IMAP_MBOX_NAME)
			nplace = (int)names++;

		if (m->tok < first || m->tok >= ntok)
			continue;
		if ((h = hidden_place(pol, s, tok, m)) == -1)
			return HIDE_UNAVAILABLE;
		if (create || (rename && nplace == 1)) {
			c |= h;
			continue;
		}
		if (h == 1)
			return HIDE_NONEXISTENT;
		if (parent && nplace == 0) {
			if ((h = hidden_below(pol, s, tok, m)) == -1)
				return HIDE_UNAVAILABLE;
			c |= h;
		}
	}
	return c ? HIDE_CANNOT : HIDE_PASS;
}

/*
 * The mailbox a SELECT or EXAMINE that passes opens: the base of a
 * relative URL (";UID=n") later.
 */
void
imap_hide_selected(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_sev *sev)
{
	const struct imap_token	*tok;
	const uint8_t		*p;
	unsigned int		 ntok;
	size_t			 len;

	if (sev->cmd->desc == NULL || !(sev->cmd->desc->flags &
	    IMAP_CMDF_SELECT) || s->gram.nmbox == 0)
		return;
	tok = imap_parser_tokens(&s->cli, &ntok);
	pol->selected[0] = '\0';
	if (place_bytes(s, tok, s->gram.mbox[0].tok, &p, &len) == 0 &&
	    imap_mailbox_name(p, len, pol->selected,
	    sizeof(pol->selected)) < 0)
		pol->selected[0] = '\0';
}

/* The responses that can name a mailbox (imap_mailbox.c says where). */
static int
resp_names_mailbox(const char *resp)
{
	static const char *const kinds[] = { "LIST", "LSUB", "XLIST",
	    "STATUS", "ACL", "LISTRIGHTS", "MYRIGHTS", "QUOTAROOT",
	    "METADATA", "ANNOTATION", "ESEARCH", "URLFETCH", "GENURLAUTH",
	    "MAILBOX" };
	size_t	 i;

	if (imap_enforce_is_status(resp))
		return 1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(resp, kinds[i]) == 0)
			return 1;
	return 0;
}

/* The octets of a held response's literal, by its token. */
static int
held_literal(const struct imap_enforce *pol, unsigned int tok,
    const uint8_t **p, size_t *len)
{
	unsigned int	 i;

	for (i = 0; i < pol->nhlit; i++)
		if (pol->hlit[i].tok == tok) {
			*p = buf_data(&pol->held) + pol->hlit[i].off;
			*len = pol->hlit[i].len;
			return 0;
		}
	return -1;
}

/* 1 hidden (or unreadable), 0 not, -1 no verdict; *v for a name. */
static int
resp_place_hidden(struct imap_enforce *pol, const struct imap_token *tok,
    const struct imap_mref *ref, struct verdict *v)
{
	const struct imap_token	*t = &tok[ref->tok];
	const uint8_t		*p;
	size_t			 len;

	if (t->type == IMAP_TOK_LITERAL) {
		if (held_literal(pol, ref->tok, &p, &len) == -1)
			return 1;
	} else {
		p = t->p + ref->off;
		len = ref->len;
	}
	if (ref->kind == IMAP_MREF_URL)
		return url_hidden(pol, p, len);
	return hidden_name_v(pol, p, len, v);
}

/* A status response with its response code left out (postern.rules(5)). */
static enum imap_pol_do
strip_code(const uint8_t *line, size_t len, const struct imap_token *tok,
    unsigned int ntok, struct buf *out)
{
	unsigned int	 i, cb = ntok, ce = ntok;
	size_t		 from, to;

	for (i = 0; i < ntok; i++) {
		if (tok[i].type == IMAP_TOK_CODE_BEGIN && cb == ntok)
			cb = i;
		else if (tok[i].type == IMAP_TOK_CODE_END && cb < ntok) {
			ce = i;
			break;
		}
	}
	if (ce == ntok)
		return IPOL_DROP;
	from = (size_t)(tok[cb].p - line);
	to = (size_t)(tok[ce].p - line) + 1;
	if (from > len || to > len)
		return IPOL_DROP;
	if (to < len && line[to] == ' ')
		to++;
	(void)buf_add(out, line, from);
	if (buf_add(out, line + to, len - to) == -1)
		return IPOL_DROP;
	return IPOL_REPLACE;
}

/* A LIST line's attributes as the list rule's attributes verdict says. */
static enum imap_pol_do
list_attrs(struct imap_enforce *pol, const uint8_t *line, size_t len,
    const struct imap_token *tok, unsigned int ntok, int copy,
    struct buf *out)
{
	size_t			 open = pol->lopen, close = pol->lclose;

	(void)tok;
	(void)ntok;
	if (pol->attrs[0] == '\0' || open == 0 || open > len ||
	    close > len || close < open)
		goto asis;
	(void)buf_add(out, line, open);
	imap_enforce_add_clean(out, pol->attrs);
	if (buf_add(out, line + close, len - close) == -1)
		return IPOL_DROP;
	return IPOL_REPLACE;
asis:
	if (!copy)
		return IPOL_PASS;
	if (buf_add(out, line, len) == -1)
		return IPOL_DROP;
	return IPOL_REPLACE;
}

/*
 * A whole response that may name mailboxes (line: its bytes, from the
 * parser or held; final: it ends here): left out when it names a hidden
 * one, or its code removed when it is a status response; else passed,
 * with a LIST's attributes as the rules say.
 */
static enum imap_pol_do
resp_decide(struct imap_enforce *pol, const struct imap_session *s,
    const char *resp, const uint8_t *line, size_t len, int final, int copy,
    struct buf *out)
{
	const struct imap_token	*tok;
	struct imap_mref	 refs[RESP_PLACES_MAX];
	struct imap_list_line	 l;
	struct verdict		 v;
	unsigned int		 ntok, i, name = UINT32_MAX;
	int			 n, h = 0;

	tok = imap_parser_tokens(&s->srv, &ntok);
	pol->attrs[0] = '\0';
	if ((n = imap_resp_mailboxes(tok, ntok, refs, RESP_PLACES_MAX)) < 0 ||
	    n > RESP_PLACES_MAX)
		h = 1;
	if (!imap_enforce_is_status(resp) && imap_list_parse(tok, ntok, &l) == 0)
		name = l.mbox;
	for (i = 0; h == 0 && n > 0 && i < (unsigned int)n; i++) {
		memset(&v, 0, sizeof(v));
		h = resp_place_hidden(pol, tok, &refs[i], &v);
		if (h == 0 && refs[i].tok == name &&
		    v.action == RULES_ATTRIBUTES && v.text != NULL)
			(void)snprintf(pol->attrs, sizeof(pol->attrs), "%s",
			    v.text);
	}
	if (h == -1) {
		pol->skip = 0;
		return imap_enforce_abort(out, "[UNAVAILABLE] Policy unavailable");
	}
	if (h == 1) {
		if (imap_enforce_is_status(resp) && final)
			return strip_code(line, len, tok, ntok, out);
		pol->skip = !final;
		return IPOL_DROP;
	}
	if (name != UINT32_MAX)
		return list_attrs(pol, line, len, tok, ntok, copy, out);
	if (!copy)
		return IPOL_PASS;
	if (buf_add(out, line, len) == -1)
		return IPOL_DROP;
	return IPOL_REPLACE;
}

/* A held response's literal: where its octets will be. */
static int
hold_literal(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_event *ev)
{
	unsigned int	 ntok;

	(void)imap_parser_tokens(&s->srv, &ntok);
	if (pol->nhlit == POL_HELD_LITS)
		return 0;	/* not found later: counted as hidden */
	pol->hlit[pol->nhlit].tok = ntok - 1;
	pol->hlit[pol->nhlit].off = buf_len(&pol->held);
	pol->hlit[pol->nhlit].len = (size_t)ev->litlen;
	pol->nhlit++;
	return 0;
}

/*
 * A response that may name a mailbox.  One that spans segments (a name
 * in a literal) is held whole and decided at its end; URLFETCH, whose
 * data may be a whole message, is decided on its first line, where its
 * URLs are.
 */
enum imap_pol_do
imap_hide_response(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	const struct imap_event	*ev = &sev->ev;
	const struct imap_token	*tok;
	struct imap_list_line	 l;
	unsigned int		 ntok;

	if (!resp_names_mailbox(sev->resp))
		return IPOL_PASS;
	/* Where a LIST's attributes are, in its first line. */
	pol->lopen = pol->lclose = 0;
	tok = imap_parser_tokens(&s->srv, &ntok);
	if (!imap_enforce_is_status(sev->resp) && imap_list_parse(tok, ntok, &l) == 0 &&
	    tok[l.attr_open].p >= ev->raw && tok[l.attr_close].p < ev->raw +
	    ev->rawlen) {
		pol->lopen = (size_t)(tok[l.attr_open].p - ev->raw) + 1;
		pol->lclose = (size_t)(tok[l.attr_close].p - ev->raw);
	}
	if (ev->final || strcmp(sev->resp, "URLFETCH") == 0)
		return resp_decide(pol, s, sev->resp, ev->raw, ev->rawlen,
		    ev->final, 0, out);
	buf_reset(&pol->held);
	pol->nhlit = 0;
	if (buf_add(&pol->held, ev->raw, ev->rawlen) == -1)
		return imap_enforce_abort(out, "Response too large to check");
	(void)hold_literal(pol, s, ev);
	(void)snprintf(pol->hold_resp, sizeof(pol->hold_resp), "%s",
	    sev->resp);
	pol->hold = 1;
	return IPOL_DROP;
}

/* The rest of a held response, then the decision on all of it. */
enum imap_pol_do
imap_hide_held(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_event *ev, struct buf *out)
{
	enum imap_pol_do	 r;

	if (ev->type == IMAP_EV_LITDATA) {
		if (buf_add(&pol->held, ev->data, ev->len) == -1)
			goto toolarge;
		return IPOL_DROP;
	}
	if (buf_add(&pol->held, ev->raw, ev->rawlen) == -1)
		goto toolarge;
	if (!ev->final) {
		(void)hold_literal(pol, s, ev);
		return IPOL_DROP;
	}
	pol->hold = 0;
	r = resp_decide(pol, s, pol->hold_resp, buf_data(&pol->held),
	    buf_len(&pol->held), 1, 1, out);
	buf_free(&pol->held);
	return r;
toolarge:
	pol->hold = 0;
	buf_free(&pol->held);
	pol->skip = 0;
	return imap_enforce_abort(out, "Response too large to check");
}

