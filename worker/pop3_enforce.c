/*
 * What verdicts do to a POP3 session (postern.rules(5), "POP3").
 *
 * Secrets never reach policyd nor the audit log: PASS's argument,
 * APOP's digest and AUTH's initial response are "***" in the query and
 * the record, and the lines of a SASL exchange are not asked about.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "log.h"
#include "pop3_enforce.h"
#include "stats.h"

#define LINE_MAX_AUDIT	512

static void	 request(void *, const struct pop3_session *,
		    const struct pop3_cmd *, int, struct pop3_verdict *);
static void	 response(void *, const struct pop3_session *, const char *,
		    const uint8_t *, size_t, struct pop3_verdict *);
static int	 capa(void *, const struct pop3_session *, const uint8_t *,
		    size_t);
static void	 state(void *, enum pop3_state, enum pop3_state);

const struct pop3_hooks_ops pop3_enforce_ops = {
	.request = request,
	.response = response,
	.capa = capa,
	.state = state,
};

static const char masked[] = "***";

int
pop3_enforce_init(struct pop3_enforce *pe, struct policy_client *pc,
    int timeout_ms, const struct worker_session *ws)
{
	memset(pe, 0, sizeof(*pe));
	login_guard_init(&pe->guard, pc, timeout_ms, ws);
	return verdict_init(&pe->vs, pc, timeout_ms, RULES_POP3, ws);
}

void
pop3_enforce_free(struct pop3_enforce *pe)
{
	login_guard_end(&pe->guard);
	verdict_free(&pe->vs);
	explicit_bzero(pe->text, sizeof(pe->text));
}

/* The rules' "tls" is the client leg's; a change is a new context. */
static void
tls_sync(struct pop3_enforce *pe, const struct pop3_session *s)
{
	if (pe->vs.tls != s->tls.active)
		verdict_set_tls(&pe->vs, s->tls.active, s->tls.ja4);
}

/* Which argument of kw is a secret: -1 none. */
static int
secret_arg(const char *kw)
{
	if (strcmp(kw, "PASS") == 0)
		return 0;
	if (strcmp(kw, "APOP") == 0 || strcmp(kw, "AUTH") == 0)
		return 1;
	return -1;
}

/* The arguments as the rules see them, and the masked line. */
static size_t
query_args(const struct pop3_cmd *c, struct rules_arg *a, size_t *na,
    char *line, size_t size)
{
	size_t		 i, n, len;
	int		 sec = secret_arg(c->kw);
	int		 w;

	*na = 0;
	if (sec == 0 && c->restlen > 0) {
		a[0].s = masked;
		a[0].len = 3;
		*na = 1;
	} else {
		n = c->nargs < POP3_ARGS_MAX ? c->nargs : POP3_ARGS_MAX;
		for (i = 0; i < n; i++) {
			a[i].s = (int)i == sec ? masked : c->arg[i];
			a[i].len = (int)i == sec ? 3 : c->arglen[i];
		}
		*na = n;
	}
	w = snprintf(line, size, "%s", c->kw);
	len = w > 0 && (size_t)w < size ? (size_t)w : 0;
	for (i = 0; i < *na; i++) {
		w = snprintf(line + len, size - len, " %.*s", (int)a[i].len,
		    a[i].s);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	return len;
}

/* Rule text into a line: nothing that could end it. */
static const char *
clean(struct pop3_enforce *pe, const char *prefix, const char *t)
{
	size_t	 n;

	n = (size_t)snprintf(pe->text, sizeof(pe->text), "%s", prefix);
	for (; t != NULL && *t != '\0' && n + 1 < sizeof(pe->text); t++)
		if ((unsigned char)*t >= 0x20 && *t != 0x7f)
			pe->text[n++] = *t;
	pe->text[n] = '\0';
	return pe->text;
}

/* reject's text: "+OK ..." and "-ERR ..." as they are, else "-ERR text". */
static const char *
status_text(struct pop3_enforce *pe, const char *t, const char *dflt)
{
	if (t == NULL)
		return clean(pe, "", dflt);
	if (strncmp(t, "+OK", 3) == 0 || strncmp(t, "-ERR", 4) == 0)
		return clean(pe, "", t);
	return clean(pe, "-ERR ", t);
}

/* abort's text, for the session's closing "-ERR text". */
static const char *
abort_text(struct pop3_enforce *pe, const char *t)
{
	if (t != NULL && strncmp(t, "-ERR ", 5) == 0)
		t += 5;
	return clean(pe, "", t != NULL ? t : "Session ended by policy");
}

/*
 * An unknown command passes only when a rule names it: a verdict that
 * the "*" key gives as well came from "*" (or the default).
 */
static int
named(struct pop3_enforce *pe, const struct verdict *v)
{
	struct verdict_q	 q = { .table = RULES_REQUEST, .key = "*" };
	struct verdict		 w;
	unsigned		 line, col;

	if (v->ans == NULL || v->ans->line == 0)
		return 0;
	line = v->ans->line;
	col = v->ans->col;
	if (verdict_ask(&pe->vs, &q, &w) == -1)
		return 0;
	return w.ans == NULL || w.ans->line != line || w.ans->col != col;
}

static void
track_user(struct pop3_enforce *pe, const struct pop3_cmd *c)
{
	if ((strcmp(c->kw, "USER") == 0 || strcmp(c->kw, "APOP") == 0) &&
	    c->nargs >= 1 && c->arglen[0] < sizeof(pe->user)) {
		memcpy(pe->user, c->arg[0], c->arglen[0]);
		pe->userlen = c->arglen[0];
	} else if (strcmp(c->kw, "AUTH") == 0)
		pe->userlen = 0;
}

/* A login command: the one whose answer says whether it worked. */
static int
is_login(const char *kw)
{
	return strcmp(kw, "PASS") == 0 || strcmp(kw, "APOP") == 0 ||
	    strcmp(kw, "AUTH") == 0;
}

/*
 * A login the rules let through, unless its address or user is blocked
 * for guessing.  SYS/TEMP (RFC 3206), not AUTH: the password may be
 * right, and the client should try again later rather than ask for
 * another.
 */
static void
guard(struct pop3_enforce *pe, const struct pop3_cmd *c,
    struct pop3_verdict *pv)
{
	uint32_t	 retry;

	if ((pv->act != POP3_V_ACCEPT && pv->act != POP3_V_APOP) ||
	    !is_login(c->kw) ||
	    !login_guard_check(&pe->guard, pe->user, pe->userlen, &retry))
		return;
	audit_guard(pe->guard.block == LOGIN_BLOCKED_USER ? "blocked-user" :
	    "blocked-address", retry);
	pv->act = POP3_V_REJECT;
	pv->text = "-ERR [SYS/TEMP] Too many failed logins, try again later";
}

/* The answer to a login: counted, held if it failed. */
static void
guard_answer(struct pop3_enforce *pe, const char *kw, const char *st,
    struct pop3_verdict *pv)
{
	if (!is_login(kw))
		return;
	if (st[0] != '+') {
		pe->delay_ms = login_guard_failed(&pe->guard, pe->user,
		    pe->userlen);
		if (pe->delay_ms > 0)
			audit_guard("delay", pe->delay_ms);
		return;
	}
	if (login_guard_ok(&pe->guard, pe->user, pe->userlen)) {
		audit_guard("sessions", 0);
		/* IN-USE (RFC 2449): the session is refused, not the login. */
		pv->act = POP3_V_ABORT;
		pv->text = "[IN-USE] Too many sessions for this user";
	}
}

uint32_t
pop3_enforce_delay(struct pop3_enforce *pe)
{
	uint32_t	 ms = pe->delay_ms;

	pe->delay_ms = 0;
	return ms;
}

static void
request(void *arg, const struct pop3_session *s, const struct pop3_cmd *c,
    int known, struct pop3_verdict *pv)
{
	struct pop3_enforce	*pe = arg;
	struct verdict_q	 q = { .table = RULES_REQUEST, .key = c->kw };
	struct verdict		 v;
	struct rules_arg	 a[POP3_ARGS_MAX];
	char			 line[LINE_MAX_AUDIT];
	size_t			 n;
	enum rules_action	 act;

	tls_sync(pe, s);
	n = query_args(c, a, &q.nargs, line, sizeof(line));
	q.args = a;
	if (verdict_ask(&pe->vs, &q, &v) == -1) {
		audit_verdict("request", c->kw, line, n, NULL, 0);
		pv->act = POP3_V_REJECT;
		pv->text = "-ERR [SYS/TEMP] Policy unavailable";
		return;
	}
	audit_verdict("request", c->kw, line, n, v.ans, v.cached);
	act = v.action;
	if (!known && (act == RULES_ACCEPT || act ==
	    RULES_ACCEPT_MULTILINE) && !named(pe, &v)) {
		pv->act = POP3_V_REJECT;
		pv->text = "-ERR Unknown command";
		return;
	}
	switch (act) {
	case RULES_ACCEPT:
		track_user(pe, c);
		pv->act = POP3_V_ACCEPT;
		break;
	case RULES_ACCEPT_MULTILINE:
		/* The engine knows the framing of the commands it knows. */
		pv->act = known ? POP3_V_ACCEPT : POP3_V_ACCEPT_MLINE;
		break;
	case RULES_APOP:
		track_user(pe, c);
		pv->act = POP3_V_APOP;
		break;
	case RULES_DROP:
		pv->act = POP3_V_DROP;
		break;
	case RULES_ABORT:
		pv->act = POP3_V_ABORT;
		pv->text = status_text(pe, v.text, "-ERR Session ended by "
		    "policy");
		break;
	case RULES_RESPOND:
		pv->act = POP3_V_REJECT;
		pv->text = status_text(pe, v.text, "+OK");
		break;
	case RULES_REWRITE:
		/* Its template is no answer: never sent as one. */
		log_warnx("%s: the rule's rewrite is not done for POP3 "
		    "requests: refused", c->kw);
		pv->act = POP3_V_REJECT;
		pv->text = "-ERR Refused by policy";
		break;
	default:
		pv->act = POP3_V_REJECT;
		pv->text = status_text(pe, v.text, "-ERR Refused by policy");
		break;
	}
	guard(pe, c, pv);
}

/* The status of a response line: "+OK" or "-ERR". */
static const char *
status_name(const uint8_t *p, size_t len)
{
	return len >= 1 && p[0] == '+' ? "+OK" : "-ERR";
}

static void
response(void *arg, const struct pop3_session *s, const char *kw,
    const uint8_t *p, size_t len, struct pop3_verdict *pv)
{
	struct pop3_enforce	*pe = arg;
	struct verdict_q	 q = { .table = RULES_RESPONSE, .key = kw,
				    .kind = RULES_ALL };
	struct verdict		 v;
	const char		*st = status_name(p, len);

	tls_sync(pe, s);
	q.name = st;
	if (verdict_ask(&pe->vs, &q, &v) == -1) {
		audit_verdict("response", kw, st, strlen(st), NULL, 0);
		pv->act = POP3_V_ABORT;
		pv->text = "Policy unavailable";
		return;
	}
	/* A cached accept is counted, not recorded (postern.rules(5)). */
	if (!(v.cached && v.action == RULES_ACCEPT))
		audit_verdict("response", kw, st, strlen(st), v.ans,
		    v.cached);
	switch (v.action) {
	case RULES_ACCEPT:
		pv->act = POP3_V_ACCEPT;
		break;
	case RULES_DROP:
		pv->act = POP3_V_DROP;
		break;
	case RULES_ABORT:
		pv->act = POP3_V_ABORT;
		pv->text = abort_text(pe, v.text);
		break;
	case RULES_REWRITE:
		pv->act = POP3_V_REPLACE;
		if (v.text != NULL && (strncmp(v.text, "+OK", 3) == 0 ||
		    strncmp(v.text, "-ERR", 4) == 0))
			pv->text = clean(pe, "", v.text);
		else
			pv->text = clean(pe, st[0] == '+' ? "+OK " : "-ERR ",
			    v.text);
		break;
	default:
		pv->act = POP3_V_REJECT;
		pv->text = status_text(pe, v.text,
		    "-ERR Response refused by policy");
		break;
	}
	if (pv->act != POP3_V_ABORT)
		guard_answer(pe, kw, st, pv);
}

static int
capa(void *arg, const struct pop3_session *s, const uint8_t *p, size_t len)
{
	struct pop3_enforce	*pe = arg;
	struct verdict_q	 q = { .table = RULES_CAPABILITY };
	struct verdict		 v;
	char			 name[VERDICT_KEY_MAX];
	size_t			 n;

	tls_sync(pe, s);
	for (n = 0; n < len && p[n] != ' '; n++)
		;
	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, p, n);
	name[n] = '\0';
	q.key = name;
	if (verdict_ask(&pe->vs, &q, &v) == -1) {
		audit_verdict("capability", name, NULL, 0, NULL, 0);
		return 0;
	}
	if (!(v.cached && v.action == RULES_ACCEPT))
		audit_verdict("capability", name, NULL, 0, v.ans, v.cached);
	return v.action == RULES_ACCEPT;
}

static const char *
state_name(enum pop3_state st)
{
	switch (st) {
	case POP3_S_TRANSACTION:
		return "transaction";
	case POP3_S_UPDATE:
		return "update";
	default:
		return "authorization";
	}
}

static void
state(void *arg, enum pop3_state from, enum pop3_state to)
{
	struct pop3_enforce	*pe = arg;

	audit_state(state_name(from), state_name(to));
	if (to == POP3_S_TRANSACTION) {
		verdict_set_state(&pe->vs, RULES_ST_TRANSACTION);
		if (pe->userlen > 0) {
			verdict_set_user(&pe->vs, pe->user, pe->userlen);
			audit_set_user(pe->vs.user);
			stats_user(pe->vs.user);
		}
	}
}
