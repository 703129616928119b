/*
 * What verdicts do to an IMAP session (postern.rules(5), "ENFORCEMENT").
 *
 * Requests are decided on the first line of a command, before any of
 * its bytes go upstream: the arguments the rules see are those of that
 * line (a literal as its length; what follows a literal is not known
 * yet).  Responses are decided on their first line; what the verdict
 * says about the rest of the response (literal octets, later lines)
 * follows from it (skip).  A LIST line whose mailbox name is a literal
 * is held until the name has arrived.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "imap_caps.h"
#include "imap_list.h"
#include "imap_mailbox.h"
#include "imap_policy.h"
#include "imap_reply.h"
#include "log.h"

/* One past the audit record's 1024: a longer line is recorded as cut. */
#define LINE_MAX_AUDIT	1026
/*
 * A response that may name a mailbox and spans segments is held whole:
 * its lines and at most this many literal octets (METADATA values).
 */
#define HOLD_LIT_MAX	(1024 * 1024)
/* Places of one response that name mailboxes (an ESEARCH per mailbox). */
#define RESP_PLACES_MAX	64

static const char unavailable[] = "Policy unavailable";

int
imap_policy_init(struct imap_policy *pol, struct policy_client *pc,
    int timeout_ms, const struct worker_session *ws, size_t linemax)
{
	memset(pol, 0, sizeof(*pol));
	/* a rewritten line may be as long as a line the client may send */
	pol->linemax = linemax;
	imap_args_init(&pol->args);
	buf_init(&pol->held, linemax + HOLD_LIT_MAX);
	pol->state = IMAP_ST_GREETING;
	if (verdict_init(&pol->vs, pc, timeout_ms, RULES_IMAP, ws) == -1) {
		imap_policy_free(pol);
		return -1;
	}
	return 0;
}

void
imap_policy_free(struct imap_policy *pol)
{
	verdict_free(&pol->vs);
	imap_args_free(&pol->args);
	buf_free(&pol->held);
}

int
imap_policy_on(const struct imap_policy *pol)
{
	return pol->vs.pc != NULL;
}

static enum rules_state
rstate(enum imap_state st)
{
	switch (st) {
	case IMAP_ST_AUTH:
		return RULES_ST_AUTHENTICATED;
	case IMAP_ST_SELECTED:
		return RULES_ST_SELECTED;
	case IMAP_ST_LOGOUT:
		return RULES_ST_LOGOUT;
	default:
		return RULES_ST_NOT_AUTHENTICATED;
	}
}

static const char *
rstate_str(enum imap_state st)
{
	static const char *const names[] = { "not-authenticated",
	    "not-authenticated", "authenticated", "selected", "logout" };

	return (unsigned)st < 5 ? names[st] : "?";
}

/* Rule text into a line: nothing that could end it. */
static void
add_clean(struct buf *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			(void)buf_add(out, s, 1);
}

static enum imap_pol_do
reply(struct buf *out, const char *tag, const char *status,
    const char *code, const char *text, enum imap_pol_do what)
{
	char	 line[IMAP_TAG_MAX + 512];
	int	 n;

	if ((n = imap_reply(line, sizeof(line), tag, tag != NULL ?
	    strlen(tag) : 0, status, code, text)) < 0)
		n = imap_reply(line, sizeof(line), tag, tag != NULL ?
		    strlen(tag) : 0, status, code, "Refused by policy");
	if (n > 0 && buf_add(out, line, (size_t)n) == -1)
		return IPOL_DROP;
	return what;
}

/* reject "BAD ..." answers BAD (the convention of postern.rules(5)). */
static enum imap_pol_do
reject(struct buf *out, const char *tag, const char *text)
{
	if (text != NULL && strncmp(text, "BAD ", 4) == 0)
		return reply(out, tag, "BAD", NULL, text + 4, IPOL_ANSWER);
	if (text != NULL && strncmp(text, "NO ", 3) == 0)
		text += 3;
	return reply(out, tag, "NO", NULL, text != NULL ? text :
	    "Refused by policy", IPOL_ANSWER);
}

static enum imap_pol_do
abort_line(struct buf *out, const char *text)
{
	return reply(out, NULL, "BYE", NULL, text != NULL ? text :
	    "Session ended by policy", IPOL_ABORT);
}

/* "STATUS rest" of a respond text: OK, NO or BAD, else OK is meant. */
static void
split_status(const char *text, char *status, size_t size, const char **rest)
{
	size_t	 n = strcspn(text, " ");

	if (n > 0 && n < size && (strncasecmp(text, "OK", n) == 0 ||
	    strncasecmp(text, "NO", n) == 0 || strncasecmp(text, "BAD", n) ==
	    0 || strncasecmp(text, "BYE", n) == 0 ||
	    strncasecmp(text, "PREAUTH", n) == 0)) {
		memcpy(status, text, n);
		status[n] = '\0';
		*rest = text[n] == ' ' ? text + n + 1 : text + n;
		return;
	}
	(void)snprintf(status, size, "OK");
	*rest = text;
}

static enum imap_pol_do
respond(struct buf *out, const char *tag, const struct verdict *v)
{
	char		 st[16];
	const char	*rest;
	size_t		 i;

	for (i = 0; i < v->nuntagged; i++) {
		(void)buf_add(out, "* ", 2);
		add_clean(out, v->untagged[i]);
		(void)buf_add(out, "\r\n", 2);
	}
	split_status(v->text != NULL ? v->text : "OK", st, sizeof(st), &rest);
	return reply(out, tag, st, NULL, rest, IPOL_ANSWER);
}

/*
 * rewrite: the tag kept, the template filled with the arguments as they
 * were sent.  A first line that ends in a literal must still end in that
 * literal, whose octets follow as they come.
 */
static enum imap_pol_do
rewrite(struct imap_policy *pol, const struct imap_sev *sev,
    const char *tmpl, struct buf *out)
{
	const struct imap_args	*a = &pol->args;
	char			*line;
	const struct rules_arg	*last;
	size_t			 max = pol->linemax;
	int			 n;

	/*
	 * Only a command of one line: its literals' octets are in no
	 * template, and every literal must go upstream as {n}.
	 */
	if (!sev->ev.final || (sev->flags & IMAP_SEVF_HELD))
		return reject(out, sev->cmd->tag,
		    "[CANNOT] Rewrite failed for these arguments");
	if (tmpl == NULL || (line = malloc(max)) == NULL)
		return reject(out, sev->cmd->tag, "[CANNOT] Rewrite failed");
	n = rules_expand(tmpl, a->raw, a->n, line, max);
	last = a->n > 0 ? &a->raw[a->n - 1] : NULL;
	if (n >= 0 && !sev->ev.final && (last == NULL ||
	    (size_t)n < last->len || memcmp(line + n - last->len, last->s,
	    last->len) != 0))
		n = -1;
	if (n < 0 || memchr(line, '\r', (size_t)n) != NULL ||
	    memchr(line, '\n', (size_t)n) != NULL) {
		free(line);
		return reject(out, sev->cmd->tag,
		    "[CANNOT] Rewrite failed for these arguments");
	}
	if (buf_printf(out, "%s %.*s\r\n", sev->cmd->tag, n, line) == -1) {
		free(line);
		return IPOL_DROP;
	}
	free(line);
	return IPOL_REPLACE;
}

/* Base64 of AUTHENTICATE PLAIN: "authzid NUL authcid NUL password". */
static void
plain_user(struct imap_policy *pol, const uint8_t *p, size_t len)
{
	static const char	 al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t			 dec[3 * 256];
	const char		*q;
	uint32_t		 bits = 0;
	size_t			 i, n = 0, z1, z2;
	int			 nb = 0;

	pol->userlen = 0;
	for (i = 0; i < len && p[i] != '='; i++) {
		if ((q = memchr(al, p[i], 64)) == NULL || n == sizeof(dec))
			return;
		bits = bits << 6 | (uint32_t)(q - al);
		if ((nb += 6) >= 8) {
			nb -= 8;
			dec[n++] = (uint8_t)(bits >> nb);
		}
	}
	for (z1 = 0; z1 < n && dec[z1] != 0; z1++)
		;
	for (z2 = z1 + 1; z2 < n && dec[z2] != 0; z2++)
		;
	if (z2 >= n)
		return;
	/* The authorization identity when given, else the login. */
	if (z1 > 0)
		z2 = z1, z1 = 0;
	else
		z1 = z1 + 1;
	if (z2 - z1 >= sizeof(pol->user))
		return;
	memcpy(pol->user, dec + z1, z2 - z1);
	pol->userlen = z2 - z1;
}

/* LOGIN and AUTHENTICATE PLAIN name the user the server may accept. */
static void
track_login(struct imap_policy *pol, const struct imap_session *s,
    const struct imap_sev *sev)
{
	const struct imap_args	*a = &pol->args;
	const struct imap_cmd	*c = sev->cmd;
	const struct imap_token	*tok;
	const uint8_t		*p;
	unsigned int		 ntok;
	size_t			 len;

	if (c->desc == NULL || !(c->desc->flags & (IMAP_CMDF_LOGIN |
	    IMAP_CMDF_AUTHENTICATE)))
		return;
	pol->login = c;
	pol->userlen = 0;
	pol->sasl_plain = 0;
	if (c->desc->flags & IMAP_CMDF_AUTHENTICATE) {
		if (a->n < 1 || a->val[0].s == NULL || a->val[0].len != 5 ||
		    strncasecmp(a->val[0].s, "PLAIN", 5) != 0)
			return;
		if (a->n >= 2 && a->raw[1].s != NULL)
			plain_user(pol, (const uint8_t *)a->raw[1].s,
			    a->raw[1].len);
		else
			pol->sasl_plain = 1;
		return;
	}
	if (a->n >= 1 && a->val[0].s != NULL &&
	    a->val[0].len < sizeof(pol->user)) {
		memcpy(pol->user, a->val[0].s, a->val[0].len);
		pol->userlen = a->val[0].len;
		return;
	}
	/* A user name sent as a literal: the session held it. */
	tok = imap_parser_tokens(&s->cli, &ntok);
	if (ntok > 2 && tok[2].type == IMAP_TOK_LITERAL &&
	    imap_session_literal(s, 2, &p, &len) == 0 &&
	    len < sizeof(pol->user) && memchr(p, '\0', len) == NULL) {
		memcpy(pol->user, p, len);
		pol->userlen = len;
	}
}

void
imap_policy_sasl(struct imap_policy *pol, const struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;
	size_t			 len = ev->rawlen;

	if (!pol->sasl_plain)
		return;
	pol->sasl_plain = 0;
	while (len > 0 && (ev->raw[len - 1] == '\n' || ev->raw[len - 1] ==
	    '\r'))
		len--;
	plain_user(pol, ev->raw, len);
}

static int
ask_list(struct imap_policy *pol, const char *mailbox, struct verdict *v)
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
hidden_name_v(struct imap_policy *pol, const uint8_t *p, size_t len,
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
hidden_name(struct imap_policy *pol, const uint8_t *p, size_t len)
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
url_hidden(struct imap_policy *pol, const uint8_t *p, size_t len)
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
hidden_place(struct imap_policy *pol, const struct imap_session *s,
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
hidden_below(struct imap_policy *pol, const struct imap_session *s,
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

/* What hiding answers a command (postern.rules(5), MAILBOX NAMES). */
enum hide_answer {
	HIDE_PASS,
	HIDE_NONEXISTENT,	/* N: the place must look missing */
	HIDE_CANNOT,		/* C: it would make a hidden name exist */
	HIDE_UNAVAILABLE	/* no verdict */
};

/*
 * Every mailbox place of the command from token first on.  N places are
 * checked before C ones: CREATE's name and RENAME's new name are C, and
 * so are DELETE's and RENAME's old name when a hidden name could be
 * under them.
 */
static enum hide_answer
hidden_places(struct imap_policy *pol, const struct imap_session *s,
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

static enum imap_pol_do
refuse_hidden(struct imap_policy *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	switch (hidden_places(pol, s, sev->cmd->name, 0)) {
	case HIDE_UNAVAILABLE:
		return reply(out, sev->cmd->tag, "NO", "UNAVAILABLE",
		    unavailable, IPOL_ANSWER);
	case HIDE_NONEXISTENT:
		return reply(out, sev->cmd->tag, "NO", "NONEXISTENT",
		    "No such mailbox", IPOL_ANSWER);
	case HIDE_CANNOT:
		return reply(out, sev->cmd->tag, "NO", "CANNOT",
		    "Mailbox name not allowed", IPOL_ANSWER);
	default:
		return IPOL_PASS;
	}
}

/*
 * The mailbox a SELECT or EXAMINE that passes opens: the base of a
 * relative URL (";UID=n") later.
 */
static void
track_selected(struct imap_policy *pol, const struct imap_session *s,
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

/* A hidden mailbox named after the first chunk: the session ends. */
static enum imap_pol_do
hidden_late(struct buf *out, int h)
{
	buf_reset(out);
	if (h == -1)
		return abort_line(out, "[UNAVAILABLE] Policy unavailable");
	return abort_line(out, "[NONEXISTENT] No such mailbox");
}

enum imap_pol_do
imap_policy_client_more(struct imap_policy *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	if (!imap_policy_on(pol) || sev->cmd == NULL ||
	    !(sev->flags & IMAP_SEVF_CHUNK))
		return IPOL_PASS;
	buf_reset(out);
	switch (hidden_places(pol, s, sev->cmd->name, s->chunk_tok)) {
	case HIDE_PASS:
		return IPOL_PASS;
	case HIDE_UNAVAILABLE:
		return hidden_late(out, -1);
	default:
		return hidden_late(out, 1);
	}
}

static int
cap_verdict(struct imap_policy *pol, const uint8_t *p, size_t len)
{
	struct verdict_q	 q = { .table = RULES_CAPABILITY };
	struct verdict		 v;
	char			 name[VERDICT_KEY_MAX];

	if (len >= sizeof(name))
		return 0;
	memcpy(name, p, len);
	name[len] = '\0';
	q.key = name;
	if (verdict_ask(&pol->vs, &q, &v) == -1) {
		audit_verdict("capability", name, NULL, 0, NULL, 0);
		return 0;
	}
	if (!(v.cached && v.action == RULES_ACCEPT))
		audit_verdict("capability", name, NULL, 0, v.ans, v.cached);
	return v.action == RULES_ACCEPT;
}

int
imap_tls_cap_offer(const struct imap_token *t)
{
	if (imap_tok_is(t, "STARTTLS"))
		return 0;
	if (imap_tok_is(t, "LOGINDISABLED"))
		return 1;
	return -1;
}

/*
 * Capabilities whose syntax postern's grammar does not read: a client
 * that used them would get postern's BAD, and some name mailboxes in
 * places no hide rule could check (Gmail's labels, Apple's push list).
 * They are not offered (postern.rules(5), MAILBOX NAMES).
 */
static int
cap_unparsed(const struct imap_token *t)
{
	static const char *const caps[] = { "X-GM-EXT-1", "XAPPLEPUSHSERVICE",
	    "XLIST", "SNIPPET=FUZZY", "PREVIEW=FUZZY", "LANGUAGE",
	    "I18NLEVEL=2", "X-SUN-IMAP", "XYMHIGHESTMODSEQ" };
	size_t	 i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (imap_tok_is(t, caps[i]))
			return 1;
	return 0;
}

int
imap_policy_cap_keep(struct imap_policy *pol, const struct imap_token *t)
{
	int	 r;

	/* Nobody could read what follows COMPRESS (RFC 4978). */
	if (t->len >= 8 && strncasecmp((const char *)t->p, "COMPRESS", 8) ==
	    0)
		return 0;
	if (cap_unparsed(t))
		return 0;
	if ((r = imap_tls_cap_offer(t)) != -1)
		return r;
	if (!imap_policy_on(pol))
		return 1;
	return cap_verdict(pol, t->p, t->len);
}

/* ENABLE asks only for what the capability rules let the client see. */
static enum imap_pol_do
enable(struct imap_policy *pol, const struct imap_sev *sev,
    const struct imap_token *tok, unsigned int ntok, struct buf *out)
{
	unsigned int	 i, kept = 0, dropped = 0;

	(void)buf_printf(out, "%s ENABLE", sev->cmd->tag);
	for (i = 2; i < ntok; i++) {
		if (tok[i].type == IMAP_TOK_ATOM &&
		    imap_policy_cap_keep(pol, &tok[i])) {
			(void)buf_add(out, " ", 1);
			(void)buf_add(out, tok[i].p, tok[i].len);
			kept++;
		} else
			dropped++;
	}
	(void)buf_add(out, "\r\n", 2);
	if (dropped == 0 || !sev->ev.final) {
		buf_reset(out);
		return IPOL_PASS;
	}
	if (kept > 0)
		return IPOL_REPLACE;
	buf_reset(out);
	(void)buf_add(out, "* ENABLED\r\n", 11);
	return reply(out, sev->cmd->tag, "OK", NULL, "ENABLE completed",
	    IPOL_ANSWER);
}

static enum imap_pol_do
accepted(struct imap_policy *pol, const struct imap_session *s,
    const struct imap_sev *sev,
    const struct imap_token *tok, unsigned int ntok, struct buf *out)
{
	enum imap_pol_do	 r;

	if ((r = refuse_hidden(pol, s, sev, out)) != IPOL_PASS)
		return r;
	track_selected(pol, s, sev);
	if (sev->cmd->desc != NULL &&
	    (sev->cmd->desc->flags & IMAP_CMDF_ENABLE) &&
	    (r = enable(pol, sev, tok, ntok, out)) != IPOL_PASS)
		return r;
	track_login(pol, s, sev);
	return IPOL_PASS;
}

enum imap_pol_do
imap_policy_request(struct imap_policy *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	const struct imap_token	*tok;
	const struct imap_cmd	*c = sev->cmd;
	struct verdict_q	 q = { .table = RULES_REQUEST };
	struct verdict		 v;
	char			 line[LINE_MAX_AUDIT];
	unsigned int		 ntok;
	size_t			 n;
	int			 plus;

	buf_reset(out);
	tok = imap_parser_tokens(&s->cli, &ntok);
	plus = IMAP_LIT_KIND(sev->ev.lit) == IMAP_LIT_PLUS &&
	    !(sev->flags & IMAP_SEVF_LIT_CONVERT);
	if (!imap_policy_on(pol)) {
		if (c->desc != NULL && (c->desc->flags & (IMAP_CMDF_LOGIN |
		    IMAP_CMDF_AUTHENTICATE)) &&
		    imap_args_parse(&pol->args, tok, ntok, plus) == 0)
			track_login(pol, s, sev);
		return IPOL_PASS;
	}
	if (imap_args_parse(&pol->args, tok, ntok, plus) == -1)
		return reply(out, c->tag, "BAD", NULL,
		    "Too many arguments for the policy", IPOL_ANSWER);
	n = imap_args_masked_line(&pol->args, c->tag, c->name, line,
	    sizeof(line));
	q.key = c->name;
	q.args = pol->args.val;
	q.nargs = pol->args.n;
	if (verdict_ask(&pol->vs, &q, &v) == -1) {
		audit_verdict("request", c->name, line, n, NULL, 0);
		return reply(out, c->tag, "NO", "UNAVAILABLE", unavailable,
		    IPOL_ANSWER);
	}
	audit_verdict("request", c->name, line, n, v.ans, v.cached);
	switch (v.action) {
	case RULES_ACCEPT:
		return accepted(pol, s, sev, tok, ntok, out);
	case RULES_DROP:
		return IPOL_DROP;
	case RULES_ABORT:
		return abort_line(out, v.text);
	case RULES_REWRITE:
		return rewrite(pol, sev, v.text, out);
	case RULES_RESPOND:
		return respond(out, c->tag, &v);
	default:
		return reject(out, c->tag, v.text);
	}
}

void
imap_policy_observe(struct imap_policy *pol, const struct imap_session *s,
    const struct imap_sev *sev)
{
	if (s->state != pol->state && s->state != IMAP_ST_GREETING) {
		/* The greeting's OK is where we were: no change to record. */
		if (rstate(pol->state) != rstate(s->state))
			audit_state(rstate_str(pol->state),
			    rstate_str(s->state));
		verdict_set_state(&pol->vs, rstate(s->state));
		pol->state = s->state;
	}
	if (pol->login == NULL || !(sev->flags & IMAP_SEVF_CMD_DONE) ||
	    sev->cmd != pol->login)
		return;
	pol->login = NULL;
	pol->sasl_plain = 0;
	if (strcmp(sev->resp, "OK") == 0 && pol->userlen > 0) {
		verdict_set_user(&pol->vs, pol->user, pol->userlen);
		audit_set_user(pol->vs.user);
	}
}

static int
is_status(const char *resp)
{
	return strcmp(resp, "OK") == 0 || strcmp(resp, "NO") == 0 ||
	    strcmp(resp, "BAD") == 0 || strcmp(resp, "BYE") == 0 ||
	    strcmp(resp, "PREAUTH") == 0;
}

/* A [CAPABILITY ...] code at tok[2], with what the rules let through. */
static void
add_caps(struct imap_policy *pol, struct buf *out,
    const struct imap_token *tok, unsigned int ntok)
{
	unsigned int	 first, last, i;

	if (!imap_caps_find(tok, ntok, &first, &last))
		return;
	(void)buf_add(out, "[CAPABILITY", 11);
	for (i = first; i < last; i++)
		if (imap_policy_cap_keep(pol, &tok[i])) {
			(void)buf_add(out, " ", 1);
			(void)buf_add(out, tok[i].p, tok[i].len);
		}
	(void)buf_add(out, "] ", 2);
}

/*
 * rewrite of a response: a status response (OK, NO, BAD, BYE, PREAUTH)
 * keeps its tag, status and a capability code and gets the rule's text;
 * any other response becomes "* TEXT", the rest of it dropped.
 */
static enum imap_pol_do
resp_rewrite(struct imap_policy *pol, const struct imap_sev *sev,
    const struct imap_token *tok, unsigned int ntok, const char *text,
    struct buf *out)
{
	char	 copy[1024];

	/* The capability verdicts below reuse the answer text lives in. */
	(void)snprintf(copy, sizeof(copy), "%s", text != NULL ? text : "");
	text = copy;
	if (tok[0].type == IMAP_TOK_TAG)
		(void)buf_add(out, tok[0].p, tok[0].len);
	else
		(void)buf_add(out, "*", 1);
	(void)buf_add(out, " ", 1);
	if (is_status(sev->resp)) {
		(void)buf_printf(out, "%s ", sev->resp);
		add_caps(pol, out, tok, ntok);
	}
	add_clean(out, text);
	if (buf_add(out, "\r\n", 2) == -1)
		return IPOL_DROP;
	pol->skip = !sev->ev.final;
	return IPOL_REPLACE;
}

/*
 * "* ENABLED ..." (RFC 5161) tells the client what it may now use: the
 * capability rules filter it like a capability list.
 */
static enum imap_pol_do
enabled(struct imap_policy *pol, const struct imap_event *ev,
    const struct imap_token *tok, unsigned int ntok, struct buf *out)
{
	unsigned int	 i, hidden = 0;

	if (ntok < 2 || tok[0].type != IMAP_TOK_STAR ||
	    !imap_tok_is(&tok[1], "ENABLED") || !ev->final)
		return IPOL_PASS;
	(void)buf_add(out, "* ENABLED", 9);
	for (i = 2; i < ntok; i++) {
		if (tok[i].type == IMAP_TOK_ATOM &&
		    !imap_policy_cap_keep(pol, &tok[i])) {
			hidden++;
			continue;
		}
		(void)buf_add(out, " ", 1);
		(void)buf_add(out, tok[i].p, tok[i].len);
	}
	if (hidden == 0 || buf_add(out, "\r\n", 2) == -1) {
		buf_reset(out);
		return IPOL_PASS;
	}
	return IPOL_REPLACE;
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

	if (is_status(resp))
		return 1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(resp, kinds[i]) == 0)
			return 1;
	return 0;
}

/* The octets of a held response's literal, by its token. */
static int
held_literal(const struct imap_policy *pol, unsigned int tok,
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
resp_place_hidden(struct imap_policy *pol, const struct imap_token *tok,
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
list_attrs(struct imap_policy *pol, const uint8_t *line, size_t len,
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
	add_clean(out, pol->attrs);
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
resp_decide(struct imap_policy *pol, const struct imap_session *s,
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
	if (!is_status(resp) && imap_list_parse(tok, ntok, &l) == 0)
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
		return abort_line(out, "[UNAVAILABLE] Policy unavailable");
	}
	if (h == 1) {
		if (is_status(resp) && final)
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
hold_literal(struct imap_policy *pol, const struct imap_session *s,
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
static enum imap_pol_do
mailbox_resp(struct imap_policy *pol, const struct imap_session *s,
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
	if (!is_status(sev->resp) && imap_list_parse(tok, ntok, &l) == 0 &&
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
		return abort_line(out, "Response too large to check");
	(void)hold_literal(pol, s, ev);
	(void)snprintf(pol->hold_resp, sizeof(pol->hold_resp), "%s",
	    sev->resp);
	pol->hold = 1;
	return IPOL_DROP;
}

/* The rest of a held response, then the decision on all of it. */
static enum imap_pol_do
held(struct imap_policy *pol, const struct imap_session *s,
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
	return abort_line(out, "Response too large to check");
}

static enum imap_pol_do
resp_verdict(struct imap_policy *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	const struct imap_event	*ev = &sev->ev;
	const struct imap_token	*tok;
	struct verdict_q	 q = { .table = RULES_RESPONSE };
	struct verdict		 v;
	unsigned int		 ntok;
	const char		*tag = NULL;
	char			 tagbuf[IMAP_TAG_MAX + 1];

	tok = imap_parser_tokens(&s->srv, &ntok);
	if (ntok == 0 || tok[0].type == IMAP_TOK_PLUS)
		return IPOL_PASS;
	if (tok[0].type == IMAP_TOK_TAG) {
		q.kind = RULES_TAGGED;
		(void)snprintf(tagbuf, sizeof(tagbuf), "%.*s",
		    (int)tok[0].len, tok[0].p);
		tag = tagbuf;
	} else
		q.kind = RULES_UNTAGGED;
	q.key = (sev->flags & IMAP_SEVF_GREETING) ? "GREETING" :
	    sev->cmd != NULL ? sev->cmd->name : "*";
	q.name = sev->resp;
	if (verdict_ask(&pol->vs, &q, &v) == -1) {
		audit_verdict("response", q.key, q.name, strlen(q.name), NULL,
		    0);
		return abort_line(out, "[UNAVAILABLE] Policy unavailable");
	}
	/* A cached accept is counted, not recorded (postern.rules(5)). */
	if (!(v.cached && v.action == RULES_ACCEPT))
		audit_verdict("response", q.key, q.name, strlen(q.name),
		    v.ans, v.cached);
	switch (v.action) {
	case RULES_ACCEPT:
		if (strcmp(sev->resp, "ENABLED") == 0)
			return enabled(pol, ev, tok, ntok, out);
		return mailbox_resp(pol, s, sev, out);
	case RULES_DROP:
		pol->skip = !ev->final;
		return IPOL_DROP;
	case RULES_ABORT:
		return abort_line(out, v.text);
	case RULES_REWRITE:
		return resp_rewrite(pol, sev, tok, ntok, v.text, out);
	case RULES_REJECT:
		if (sev->flags & IMAP_SEVF_GREETING)
			return abort_line(out, v.text);
		pol->skip = !ev->final;
		return reply(out, tag, "NO", NULL, v.text != NULL ? v.text :
		    "Response refused by policy", IPOL_REPLACE);
	default:
		return IPOL_PASS;
	}
}

enum imap_pol_do
imap_policy_response(struct imap_policy *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	const struct imap_event	*ev = &sev->ev;
	int			 skip;

	if (!imap_policy_on(pol))
		return IPOL_PASS;
	buf_reset(out);
	if (pol->hold)
		return held(pol, s, ev, out);
	if (ev->type != IMAP_EV_LINE || ev->seg > 0) {
		skip = pol->skip;
		if (ev->type == IMAP_EV_LINE && ev->final)
			pol->skip = 0;
		return skip ? IPOL_DROP : IPOL_PASS;
	}
	pol->skip = 0;
	return resp_verdict(pol, s, sev, out);
}
