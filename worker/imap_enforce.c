/*
 * What verdicts do to an IMAP session (postern.rules(5), "ENFORCEMENT").
 *
 * Requests are decided before any of their bytes go upstream, on the
 * whole command (its argument literals held by the session, a literal
 * seen by the rules as its length) or on all of it up to a message
 * literal.  Responses are decided on their first line; what the verdict
 * says about the rest of the response (literal octets, later lines)
 * follows from it (skip).  Where mailbox names are and what hiding does
 * with them is imap_hide.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "imap_caps.h"
#include "imap_hide.h"
#include "imap_enforce.h"
#include "imap_reply.h"
#include "log.h"
#include "stats.h"

/* One past the audit record's 1024: a longer line is recorded as cut. */
#define LINE_MAX_AUDIT	1026
/*
 * A response that may name a mailbox and spans segments is held whole:
 * its lines and at most this many literal octets (METADATA values).
 */
#define HOLD_LIT_MAX	(1024 * 1024)

static const char unavailable[] = "Policy unavailable";

int
imap_enforce_init(struct imap_enforce *pol, struct policy_client *pc,
    int timeout_ms, const struct worker_session *ws, size_t linemax)
{
	memset(pol, 0, sizeof(*pol));
	/* a rewritten line may be as long as a line the client may send */
	pol->linemax = linemax;
	imap_args_init(&pol->args);
	buf_init(&pol->held, linemax + HOLD_LIT_MAX);
	imap_id_init(&pol->id);
	pol->state = IMAP_ST_GREETING;
	login_guard_init(&pol->guard, pc, timeout_ms, ws);
	if (verdict_init(&pol->vs, pc, timeout_ms, RULES_IMAP, ws) == -1) {
		imap_enforce_free(pol);
		return -1;
	}
	return 0;
}

void
imap_enforce_free(struct imap_enforce *pol)
{
	login_guard_end(&pol->guard);
	verdict_free(&pol->vs);
	imap_id_free(&pol->id);
	imap_args_free(&pol->args);
	buf_free(&pol->held);
}

void
imap_enforce_rest(struct imap_enforce *pol)
{
	verdict_rest(&pol->vs);
	imap_args_free(&pol->args);
}

int
imap_enforce_on(const struct imap_enforce *pol)
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
void
imap_enforce_add_clean(struct buf *out, const char *s)
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

enum imap_pol_do
imap_enforce_abort(struct buf *out, const char *text)
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
		imap_enforce_add_clean(out, v->untagged[i]);
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
rewrite(struct imap_enforce *pol, const struct imap_sev *sev,
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
plain_user(struct imap_enforce *pol, const uint8_t *p, size_t len)
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
track_login(struct imap_enforce *pol, const struct imap_session *s,
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
imap_enforce_sasl(struct imap_enforce *pol, const struct imap_sev *sev)
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

static enum imap_pol_do
refuse_hidden(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	switch (imap_hide_command(pol, s, sev->cmd->name, 0)) {
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

/* A hidden mailbox named after the first chunk: the session ends. */
static enum imap_pol_do
hidden_late(struct buf *out, int h)
{
	buf_reset(out);
	if (h == -1)
		return imap_enforce_abort(out, "[UNAVAILABLE] Policy unavailable");
	return imap_enforce_abort(out, "[NONEXISTENT] No such mailbox");
}

enum imap_pol_do
imap_enforce_client_more(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	if (!imap_enforce_on(pol) || sev->cmd == NULL ||
	    !(sev->flags & IMAP_SEVF_CHUNK))
		return IPOL_PASS;
	buf_reset(out);
	switch (imap_hide_command(pol, s, sev->cmd->name, s->chunk_tok)) {
	case HIDE_PASS:
		return IPOL_PASS;
	case HIDE_UNAVAILABLE:
		return hidden_late(out, -1);
	default:
		return hidden_late(out, 1);
	}
}

static int
cap_verdict(struct imap_enforce *pol, const uint8_t *p, size_t len)
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

/* What is decided without the rules: 1 keep, 0 hide; -1 ask them. */
static int
cap_fixed(const struct imap_token *t)
{
	/*
	 * The server's COMPRESS is never used: postern offers its own
	 * (imap_enforce_cap_offer()) and keeps the upstream leg plain.
	 */
	if (t->len >= 8 && strncasecmp((const char *)t->p, "COMPRESS", 8) ==
	    0)
		return 0;
	if (cap_unparsed(t))
		return 0;
	return imap_tls_cap_offer(t);
}

int
imap_enforce_cap_keep(struct imap_enforce *pol, const struct imap_token *t)
{
	int	 r;

	if ((r = cap_fixed(t)) != -1)
		return r;
	if (!imap_enforce_on(pol))
		return 1;
	return cap_verdict(pol, t->p, t->len);
}

void
imap_enforce_cap_prefetch(struct imap_enforce *pol,
    const struct imap_token *tok, unsigned int first, unsigned int last)
{
	char			 names[VERDICT_PREFETCH_MAX][VERDICT_KEY_MAX];
	struct verdict_q	 qs[VERDICT_PREFETCH_MAX];
	unsigned int		 i;
	size_t			 n = 0;

	if (!imap_enforce_on(pol))
		return;
	for (i = first; i < last && n < VERDICT_PREFETCH_MAX; i++) {
		/* cap_verdict() hides a longer one unasked. */
		if (cap_fixed(&tok[i]) != -1 || tok[i].len >= VERDICT_KEY_MAX)
			continue;
		memcpy(names[n], tok[i].p, tok[i].len);
		names[n][tok[i].len] = '\0';
		memset(&qs[n], 0, sizeof(qs[n]));
		qs[n].table = RULES_CAPABILITY;
		qs[n].key = names[n];
		/*
		 * A list whose first question is cached was asked before
		 * (every list after a worker's first, until a login):
		 * the cache has the rest, and the others are not built.
		 */
		if (n == 0 && verdict_cached(&pol->vs, &qs[0]))
			return;
		n++;
	}
	verdict_prefetch(&pol->vs, qs, n);
}

int
imap_enforce_cap_offer(struct imap_enforce *pol, const char *name)
{
	if (!imap_enforce_on(pol))
		return 1;
	return cap_verdict(pol, (const uint8_t *)name, strlen(name));
}

/* ENABLE asks only for what the capability rules let the client see. */
static enum imap_pol_do
enable(struct imap_enforce *pol, const struct imap_sev *sev,
    const struct imap_token *tok, unsigned int ntok, struct buf *out)
{
	unsigned int	 i, kept = 0, dropped = 0;

	(void)buf_printf(out, "%s ENABLE", sev->cmd->tag);
	for (i = 2; i < ntok; i++) {
		if (tok[i].type == IMAP_TOK_ATOM &&
		    imap_enforce_cap_keep(pol, &tok[i])) {
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

/*
 * A login the rules let through: unless its address or user is blocked
 * for guessing.  UNAVAILABLE (RFC 5530), not AUTHENTICATIONFAILED: the
 * password may be right, and a client should try again later rather
 * than ask its user for another.
 */
static enum imap_pol_do
guard(struct imap_enforce *pol, const struct imap_sev *sev, struct buf *out)
{
	uint32_t	 retry;

	if (!login_guard_check(&pol->guard, pol->user, pol->userlen, &retry))
		return IPOL_PASS;
	pol->login = NULL;
	pol->sasl_plain = 0;
	audit_guard(pol->guard.block == LOGIN_BLOCKED_USER ? "blocked-user" :
	    "blocked-address", retry);
	return reply(out, sev->cmd->tag, "NO", "UNAVAILABLE",
	    "Too many failed logins, try again later", IPOL_ANSWER);
}

static enum imap_pol_do
accepted(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_sev *sev,
    const struct imap_token *tok, unsigned int ntok, struct buf *out)
{
	enum imap_pol_do	 r;

	if ((r = refuse_hidden(pol, s, sev, out)) != IPOL_PASS)
		return r;
	imap_hide_selected(pol, s, sev);
	if (sev->cmd->desc != NULL &&
	    (sev->cmd->desc->flags & IMAP_CMDF_ENABLE) &&
	    (r = enable(pol, sev, tok, ntok, out)) != IPOL_PASS)
		return r;
	track_login(pol, s, sev);
	if (pol->login == sev->cmd)
		return guard(pol, sev, out);
	return IPOL_PASS;
}

enum imap_pol_do
imap_enforce_request(struct imap_enforce *pol, const struct imap_session *s,
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
	/* The client's ID is the session's, its own verdict included. */
	if (strcmp(c->name, "ID") == 0)
		imap_id_command(&pol->id, &pol->vs, s, c);
	tok = imap_parser_tokens(&s->cli, &ntok);
	plus = IMAP_LIT_KIND(sev->ev.lit) == IMAP_LIT_PLUS &&
	    !(sev->flags & IMAP_SEVF_LIT_CONVERT);
	if (!imap_enforce_on(pol)) {
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
		return imap_enforce_abort(out, v.text);
	case RULES_REWRITE:
		return rewrite(pol, sev, v.text, out);
	case RULES_RESPOND:
		return respond(out, c->tag, &v);
	default:
		return reject(out, c->tag, v.text);
	}
}

void
imap_enforce_observe(struct imap_enforce *pol, const struct imap_session *s,
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
	if (strcmp(sev->resp, "OK") != 0) {
		stats_login_failed();
		pol->delay_ms = login_guard_failed(&pol->guard, pol->user,
		    pol->userlen);
		if (pol->delay_ms > 0)
			audit_guard("delay", pol->delay_ms);
		return;
	}
	if (pol->userlen > 0) {
		verdict_set_user(&pol->vs, pol->user, pol->userlen);
		audit_set_user(pol->vs.user);
		stats_user(pol->vs.user);
	}
	if (login_guard_ok(&pol->guard, pol->user, pol->userlen)) {
		audit_guard("sessions", 0);
		pol->too_many = 1;
	}
}

int
imap_enforce_is_status(const char *resp)
{
	return strcmp(resp, "OK") == 0 || strcmp(resp, "NO") == 0 ||
	    strcmp(resp, "BAD") == 0 || strcmp(resp, "BYE") == 0 ||
	    strcmp(resp, "PREAUTH") == 0;
}

/* A [CAPABILITY ...] code at tok[2], with what the rules let through. */
static void
add_caps(struct imap_enforce *pol, struct buf *out,
    const struct imap_token *tok, unsigned int ntok)
{
	unsigned int	 first, last, i;

	if (!imap_caps_find(tok, ntok, &first, &last))
		return;
	(void)buf_add(out, "[CAPABILITY", 11);
	for (i = first; i < last; i++)
		if (imap_enforce_cap_keep(pol, &tok[i])) {
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
resp_rewrite(struct imap_enforce *pol, const struct imap_sev *sev,
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
	if (imap_enforce_is_status(sev->resp)) {
		(void)buf_printf(out, "%s ", sev->resp);
		add_caps(pol, out, tok, ntok);
	}
	imap_enforce_add_clean(out, text);
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
enabled(struct imap_enforce *pol, const struct imap_event *ev,
    const struct imap_token *tok, unsigned int ntok, struct buf *out)
{
	unsigned int	 i, hidden = 0;

	if (ntok < 2 || tok[0].type != IMAP_TOK_STAR ||
	    !imap_tok_is(&tok[1], "ENABLED") || !ev->final)
		return IPOL_PASS;
	(void)buf_add(out, "* ENABLED", 9);
	for (i = 2; i < ntok; i++) {
		if (tok[i].type == IMAP_TOK_ATOM &&
		    !imap_enforce_cap_keep(pol, &tok[i])) {
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

static enum imap_pol_do
resp_verdict(struct imap_enforce *pol, const struct imap_session *s,
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
		return imap_enforce_abort(out, "[UNAVAILABLE] Policy unavailable");
	}
	/* A cached accept is counted, not recorded (postern.rules(5)). */
	if (!(v.cached && v.action == RULES_ACCEPT))
		audit_verdict("response", q.key, q.name, strlen(q.name),
		    v.ans, v.cached);
	switch (v.action) {
	case RULES_ACCEPT:
		if (strcmp(sev->resp, "ENABLED") == 0)
			return enabled(pol, ev, tok, ntok, out);
		return imap_hide_response(pol, s, sev, out);
	case RULES_DROP:
		pol->skip = !ev->final;
		return IPOL_DROP;
	case RULES_ABORT:
		return imap_enforce_abort(out, v.text);
	case RULES_REWRITE:
		return resp_rewrite(pol, sev, tok, ntok, v.text, out);
	case RULES_REJECT:
		if (sev->flags & IMAP_SEVF_GREETING)
			return imap_enforce_abort(out, v.text);
		pol->skip = !ev->final;
		return reply(out, tag, "NO", NULL, v.text != NULL ? v.text :
		    "Response refused by policy", IPOL_REPLACE);
	default:
		return IPOL_PASS;
	}
}

enum imap_pol_do
imap_enforce_response(struct imap_enforce *pol, const struct imap_session *s,
    const struct imap_sev *sev, struct buf *out)
{
	const struct imap_event	*ev = &sev->ev;
	int			 skip;

	if (!imap_enforce_on(pol))
		return IPOL_PASS;
	buf_reset(out);
	/* LIMIT (RFC 5530): the login's OK never reaches the client. */
	if (pol->too_many)
		return imap_enforce_abort(out,
		    "[LIMIT] Too many sessions for this user");
	if (pol->hold)
		return imap_hide_held(pol, s, ev, out);
	if (ev->type != IMAP_EV_LINE || ev->seg > 0) {
		skip = pol->skip;
		if (ev->type == IMAP_EV_LINE && ev->final)
			pol->skip = 0;
		return skip ? IPOL_DROP : IPOL_PASS;
	}
	pol->skip = 0;
	return resp_verdict(pol, s, sev, out);
}
