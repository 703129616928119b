/*
 * The compiler of postern.rules(5): a recursive descent parser over the
 * tokens of rules_lex.c that emits rules, strings and postfix condition
 * bytecode, then sorts the rules by key (stably: source order decides
 * within a key) and lays everything out as the blob of rules_blob.h.
 * The first error stops it, reported as file:line:col with what was
 * expected and what was found.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "rules.h"
#include "rules_blob.h"
#include "rules_lex.h"

#define MAX_PARENS	12
#define MAX_SOURCE	((size_t)64 << 20)

struct prule {
	uint8_t		 proto, table, kind, action, flags, tls;
	uint32_t	 k1, k3;
	uint32_t	 seq, line, col;
	uint32_t	 text, plist, pcount, code, codelen;
};

struct buf {
	unsigned char	*p;
	size_t		 len, cap;
};

struct cc {
	struct lexer		 lx;
	struct tok		 t;
	const char		*file;
	struct rules_error	*err;
	struct buf		 str, code, pl, rules;
	uint32_t		*hash;	/* string offsets + 1, 0: free */
	size_t			 hsize, hused;
	struct prule		*r;	/* the rule being parsed */
	uint32_t		 file_ref;
	int			 sp;
	int			 parens;
};

static int
buf_add(struct buf *b, const void *p, size_t n)
{
	unsigned char	*np;
	size_t		 ncap;

	if (n == 0)
		return 0;
	if (n > MAX_SOURCE * 4 - b->len)
		return -1;
	if (b->len + n > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return -1;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int	fail_at(struct cc *, unsigned, unsigned, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

static int
fail_at(struct cc *cc, unsigned line, unsigned col, const char *fmt, ...)
{
	char	 m[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	cc->err->line = line;
	cc->err->col = col;
	if (line == 0)
		snprintf(cc->err->msg, sizeof(cc->err->msg), "%s: %s",
		    cc->file, m);
	else
		snprintf(cc->err->msg, sizeof(cc->err->msg), "%s:%u:%u: %s",
		    cc->file, line, col, m);
	return -1;
}

static int
nomem(struct cc *cc)
{
	return fail_at(cc, 0, 0, "out of memory or rule set too large");
}

/* "expected X, got Y", Y describing the current token */
static int
expected(struct cc *cc, const char *what)
{
	const struct tok	*t = &cc->t;

	switch (t->type) {
	case TK_WORD:
		return fail_at(cc, t->line, t->col,
		    "expected %s, got \"%.40s\"", what, t->s);
	case TK_STRING:
		return fail_at(cc, t->line, t->col,
		    "expected %s, got string \"%.40s\"", what, t->s);
	case TK_LPAREN:
	case TK_RPAREN:
		return fail_at(cc, t->line, t->col, "expected %s, got \"%s\"",
		    what, t->s);
	case TK_EOL:
		return fail_at(cc, t->line, t->col,
		    "expected %s, got end of line", what);
	default:
		return fail_at(cc, t->line, t->col,
		    "expected %s, got end of file", what);
	}
}

static int
next(struct cc *cc)
{
	if (lex_next(&cc->lx, &cc->t) == -1)
		return nomem(cc);
	if (cc->t.type == TK_ERROR)
		return fail_at(cc, cc->t.line, cc->t.col, "%s", cc->t.s);
	return 0;
}

static int
is(const struct cc *cc, const char *word)
{
	return cc->t.type == TK_WORD && strcmp(cc->t.s, word) == 0;
}

static size_t
str_hash(const char *s, size_t len)
{
	size_t	 h = 2166136261u, i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* the slot of s, or the free slot where it goes */
static uint32_t *
str_slot(struct cc *cc, const char *s, size_t len)
{
	size_t		 i = str_hash(s, len) & (cc->hsize - 1);
	const char	*t;

	for (;; i = (i + 1) & (cc->hsize - 1)) {
		if (cc->hash[i] == 0)
			return &cc->hash[i];
		t = (const char *)cc->str.p + cc->hash[i] - 1;
		if (strncmp(t, s, len) == 0 && t[len] == '\0')
			return &cc->hash[i];
	}
}

static int
str_grow(struct cc *cc)
{
	uint32_t	*old = cc->hash;
	size_t		 osize = cc->hsize, i;
	const char	*t;

	cc->hsize = osize ? osize * 2 : 1024;
	if ((cc->hash = calloc(cc->hsize, sizeof(*cc->hash))) == NULL) {
		cc->hash = old;
		cc->hsize = osize;
		return -1;
	}
	for (i = 0; i < osize; i++)
		if (old[i] != 0) {
			t = (const char *)cc->str.p + old[i] - 1;
			*str_slot(cc, t, strlen(t)) = old[i];
		}
	free(old);
	return 0;
}

/* Strings are stored once: rule sets repeat their keys and globs. */
static uint32_t
intern(struct cc *cc, const char *s, size_t len)
{
	size_t		 off = cc->str.len;
	uint32_t	*slot;

	if ((cc->hused + 1) * 2 > cc->hsize && str_grow(cc) == -1)
		return RB_NONE;
	slot = str_slot(cc, s, len);
	if (*slot != 0)
		return *slot - 1;
	if (off >= UINT32_MAX - len - 1 || buf_add(&cc->str, s, len) == -1 ||
	    buf_add(&cc->str, "", 1) == -1)
		return RB_NONE;
	*slot = (uint32_t)off + 1;
	cc->hused++;
	return (uint32_t)off;
}

/* the current word or string, as a string reference; then next */
static int
take_str(struct cc *cc, int upper, uint32_t *ref)
{
	size_t	 i;

	if (upper)
		for (i = 0; i < cc->t.len; i++)
			if (cc->t.s[i] >= 'a' && cc->t.s[i] <= 'z')
				cc->t.s[i] -= 'a' - 'A';
	if ((*ref = intern(cc, cc->t.s, cc->t.len)) == RB_NONE)
		return nomem(cc);
	return next(cc);
}

static int
take_quoted(struct cc *cc, const char *what, uint32_t *ref)
{
	if (cc->t.type != TK_STRING)
		return expected(cc, what);
	return take_str(cc, 0, ref);
}

static int
take_glob(struct cc *cc, const char *what, uint32_t *ref)
{
	if (cc->t.type != TK_WORD && cc->t.type != TK_STRING)
		return expected(cc, what);
	return take_str(cc, 0, ref);
}

/* ---- conditions: postfix bytecode ---- */

static int
emit(struct cc *cc, int op, const void *arg, size_t arglen)
{
	unsigned char	 o = (unsigned char)op;

	if (op == RB_OP_AND || op == RB_OP_OR)
		cc->sp--;
	else if (op != RB_OP_NOT && ++cc->sp > RB_STACK_MAX)
		return fail_at(cc, cc->t.line, cc->t.col,
		    "condition too complex");
	if (buf_add(&cc->code, &o, 1) == -1 ||
	    (arglen && buf_add(&cc->code, arg, arglen) == -1))
		return nomem(cc);
	cc->r->codelen += 1 + arglen;
	return 0;
}

static int
emit_str(struct cc *cc, int op, uint32_t ref)
{
	unsigned char	 a[4];

	rb_put32(a, ref);
	return emit(cc, op, a, 4);
}

static int
number(struct cc *cc, const char *what, unsigned long max, unsigned long *n)
{
	char	*end;

	if (cc->t.type != TK_WORD || cc->t.s[0] < '0' || cc->t.s[0] > '9')
		return expected(cc, what);
	*n = strtoul(cc->t.s, &end, 10);
	if (*end != '\0' || *n < 1 || *n > max)
		return expected(cc, what);
	return next(cc);
}

static int
cond_state(struct cc *cc)
{
	static const struct {
		const char	*name;
		int		 proto, st;
	} st[] = {
		{ "not-authenticated", RULES_IMAP, RULES_ST_NOT_AUTHENTICATED },
		{ "authenticated", RULES_IMAP, RULES_ST_AUTHENTICATED },
		{ "selected", RULES_IMAP, RULES_ST_SELECTED },
		{ "logout", RULES_IMAP, RULES_ST_LOGOUT },
		{ "authorization", RULES_POP3, RULES_ST_AUTHORIZATION },
		{ "transaction", RULES_POP3, RULES_ST_TRANSACTION },
	};
	unsigned char	 s;
	size_t		 i;

	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		if (st[i].proto == cc->r->proto && is(cc, st[i].name)) {
			s = (unsigned char)st[i].st;
			if (emit(cc, RB_OP_STATE, &s, 1) == -1)
				return -1;
			return next(cc);
		}
	return expected(cc, cc->r->proto == RULES_IMAP ?
	    "a state (not-authenticated, authenticated, selected, logout)" :
	    "a state (authorization, transaction)");
}

static int
cond_client(struct cc *cc)
{
	unsigned char	 a[17];
	char		*slash, *end;
	unsigned long	 pfx;
	int		 v6;

	if (cc->t.type != TK_WORD)
		return expected(cc, "an address or CIDR");
	v6 = strchr(cc->t.s, ':') != NULL;
	pfx = v6 ? 128 : 32;
	if ((slash = strchr(cc->t.s, '/')) != NULL) {
		*slash = '\0';
		if (slash[1] < '0' || slash[1] > '9')
			goto bad;
		pfx = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || pfx > (v6 ? 128u : 32u) || end - slash > 4)
			goto bad;
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, cc->t.s, a + 1) != 1)
		goto bad;
	a[0] = (unsigned char)pfx;
	if (emit(cc, v6 ? RB_OP_CLIENT6 : RB_OP_CLIENT4, a, v6 ? 17 : 5) == -1)
		return -1;
	return next(cc);
bad:
	if (slash != NULL)
		*slash = '/';
	return expected(cc, "an address or CIDR");
}

/*
 * id NAME GLOB: a field of the client's ID (RFC 2971), an IMAP command;
 * names are at most RULES_ID_KEY_MAX bytes, as RFC 2971 says.
 */
static int
cond_id(struct cc *cc)
{
	unsigned char	 a[8];
	uint32_t	 name, ref;

	if (cc->r->proto != RULES_IMAP)
		return fail_at(cc, cc->t.line, cc->t.col,
		    "id is a condition of imap rules: POP3 has no ID");
	if (next(cc) == -1)
		return -1;
	if ((cc->t.type != TK_WORD && cc->t.type != TK_STRING) ||
	    cc->t.len == 0 || cc->t.len > RULES_ID_KEY_MAX)
		return expected(cc, "an ID field name (1-30 bytes)");
	if (take_str(cc, 0, &name) == -1 ||
	    take_glob(cc, "a glob", &ref) == -1)
		return -1;
	rb_put32(a, name);
	rb_put32(a + 4, ref);
	return emit(cc, RB_OP_ID, a, 8);
}

static int	cond_or(struct cc *);

static int
cond_primary(struct cc *cc)
{
	unsigned char	 a[8];
	unsigned long	 n;
	uint32_t	 ref = 0;

	if (cc->t.type == TK_LPAREN) {
		if (++cc->parens > MAX_PARENS)
			return fail_at(cc, cc->t.line, cc->t.col,
			    "parentheses nested too deep");
		if (next(cc) == -1 || cond_or(cc) == -1)
			return -1;
		if (cc->t.type != TK_RPAREN)
			return expected(cc, "\")\", \"and\" or \"or\"");
		cc->parens--;
		return next(cc);
	}
	if (is(cc, "not")) {
		/* a loop, not recursion: a long run of "not" costs no stack */
		int	 odd = 0;

		while (is(cc, "not")) {
			odd = !odd;
			if (next(cc) == -1)
				return -1;
		}
		if (cond_primary(cc) == -1)
			return -1;
		return odd ? emit(cc, RB_OP_NOT, NULL, 0) : 0;
	}
	if (is(cc, "tls")) {
		if (emit(cc, RB_OP_TLS, NULL, 0) == -1)
			return -1;
		return next(cc);
	}
	if (is(cc, "state"))
		return next(cc) == -1 ? -1 : cond_state(cc);
	if (is(cc, "client"))
		return next(cc) == -1 ? -1 : cond_client(cc);
	if (is(cc, "user") || is(cc, "mailbox") || is(cc, "listener")) {
		int	 op = is(cc, "user") ? RB_OP_USER :
		    is(cc, "mailbox") ? RB_OP_MAILBOX : RB_OP_LISTENER;

		if (op == RB_OP_MAILBOX)
			cc->r->flags |= RB_RF_ARGS;
		if (next(cc) == -1 || take_glob(cc, op == RB_OP_LISTENER ?
		    "a listener name" : "a glob", &ref) == -1)
			return -1;
		return emit_str(cc, op, ref);
	}
	if (is(cc, "id"))
		return cond_id(cc);
	if (is(cc, "ja4")) {
		if (next(cc) == -1 ||
		    take_glob(cc, "a glob of a JA4 fingerprint", &ref) == -1)
			return -1;
		return emit_str(cc, RB_OP_JA4, ref);
	}
	if (is(cc, "port")) {
		if (next(cc) == -1 ||
		    number(cc, "a port number (1-65535)", 65535, &n) == -1)
			return -1;
		rb_put32(a, (uint32_t)n);
		return emit(cc, RB_OP_PORT, a, 4);
	}
	if (is(cc, "arg")) {
		cc->r->flags |= RB_RF_ARGS;
		if (next(cc) == -1 ||
		    number(cc, "an argument number (1-255)", 255, &n) == -1)
			return -1;
		if (!is(cc, "~"))
			return expected(cc, "\"~\"");
		if (next(cc) == -1 || take_glob(cc, "a glob", &ref) == -1)
			return -1;
		rb_put32(a, (uint32_t)n);
		rb_put32(a + 4, ref);
		return emit(cc, RB_OP_ARG, a, 8);
	}
	return expected(cc, "a condition (tls, state, user, client, "
	    "listener, port, arg, mailbox, id, ja4, not, \"(\")");
}

static int
cond_and(struct cc *cc)
{
	if (cond_primary(cc) == -1)
		return -1;
	while (is(cc, "and")) {
		if (next(cc) == -1 || cond_primary(cc) == -1 ||
		    emit(cc, RB_OP_AND, NULL, 0) == -1)
			return -1;
	}
	return 0;
}

static int
cond_or(struct cc *cc)
{
	if (cond_and(cc) == -1)
		return -1;
	while (is(cc, "or")) {
		if (next(cc) == -1 || cond_and(cc) == -1 ||
		    emit(cc, RB_OP_OR, NULL, 0) == -1)
			return -1;
	}
	return 0;
}

/* ---- actions ---- */

/* $n must be $1..$255 or $$ */
static int
check_template(struct cc *cc, const char *s, unsigned line, unsigned col)
{
	const char	*p;
	unsigned long	 n;
	char		*end;

	for (p = s; (p = strchr(p, '$')) != NULL; p++) {
		if (p[1] == '$') {
			p++;
			continue;
		}
		n = strtoul(p + 1, &end, 10);
		if (p[1] < '1' || p[1] > '9' || n > 255)
			return fail_at(cc, line, col,
			    "expected $1..$255 or $$ in the rewrite text, got "
			    "\"%.10s\"", p);
		cc->r->flags |= RB_RF_ARGS;
	}
	return 0;
}

static int
act_simple(struct cc *cc, int action)
{
	cc->r->action = (uint8_t)action;
	return next(cc);
}

static int
act_reject(struct cc *cc)
{
	cc->r->action = RULES_REJECT;
	if (next(cc) == -1)
		return -1;
	if (cc->t.type == TK_STRING)
		return take_str(cc, 0, &cc->r->text);
	return 0;
}

static int
act_rewrite(struct cc *cc)
{
	unsigned	 line, col;

	cc->r->action = RULES_REWRITE;
	if (next(cc) == -1)
		return -1;
	line = cc->t.line;
	col = cc->t.col;
	if (cc->t.type == TK_STRING &&
	    check_template(cc, cc->t.s, line, col) == -1)
		return -1;
	return take_quoted(cc, "the rewritten text in quotes", &cc->r->text);
}

static int
act_respond(struct cc *cc)
{
	uint32_t	 ref = 0;
	unsigned char	 a[4];

	cc->r->action = RULES_RESPOND;
	if (next(cc) == -1 ||
	    take_quoted(cc, "the tagged response in quotes",
	    &cc->r->text) == -1)
		return -1;
	cc->r->plist = (uint32_t)(cc->pl.len / 4);
	while (cc->r->proto == RULES_IMAP && is(cc, "untagged")) {
		/* A worker takes no more (proto_policy.h): a longer respond
		 * would fail closed on every use. */
		if (cc->r->pcount == POLICY_UNTAGGED_MAX)
			return fail_at(cc, cc->t.line, cc->t.col,
			    "more than %d untagged lines", POLICY_UNTAGGED_MAX);
		if (next(cc) == -1 ||
		    take_quoted(cc, "the untagged line in quotes", &ref) == -1)
			return -1;
		rb_put32(a, ref);
		if (buf_add(&cc->pl, a, 4) == -1)
			return nomem(cc);
		cc->r->pcount++;
	}
	return 0;
}

/*
 * Zorp's USER/PASS to APOP conversion: the worker answers USER and PASS
 * itself and logs in upstream with APOP.  Only those two keys mean it.
 */
static int
act_apop(struct cc *cc)
{
	const char	*key = (const char *)cc->str.p + cc->r->k1;

	if (strcmp(key, "USER") != 0 && strcmp(key, "PASS") != 0)
		return fail_at(cc, cc->t.line, cc->t.col,
		    "apop is an action of the USER and PASS keys only, "
		    "not \"%.40s\"", key);
	return act_simple(cc, RULES_APOP);
}

static int
action_request(struct cc *cc)
{
	int	 pop3 = cc->r->proto == RULES_POP3;

	if (is(cc, "accept"))
		return act_simple(cc, RULES_ACCEPT);
	if (pop3 && is(cc, "accept-multiline"))
		return act_simple(cc, RULES_ACCEPT_MULTILINE);
	if (pop3 && is(cc, "apop"))
		return act_apop(cc);
	if (is(cc, "reject"))
		return act_reject(cc);
	if (is(cc, "drop"))
		return act_simple(cc, RULES_DROP);
	if (is(cc, "abort"))
		return act_simple(cc, RULES_ABORT);
	if (is(cc, "rewrite"))
		return act_rewrite(cc);
	if (is(cc, "respond"))
		return act_respond(cc);
	return expected(cc, pop3 ? "an action (accept, accept-multiline, "
	    "apop, reject, drop, abort, rewrite, respond)" :
	    "an action (accept, reject, drop, abort, rewrite, respond)");
}

static int
action_response(struct cc *cc)
{
	if (is(cc, "accept"))
		return act_simple(cc, RULES_ACCEPT);
	if (is(cc, "reject"))
		return act_reject(cc);
	if (is(cc, "drop"))
		return act_simple(cc, RULES_DROP);
	if (is(cc, "abort"))
		return act_simple(cc, RULES_ABORT);
	if (is(cc, "rewrite"))
		return act_rewrite(cc);
	return expected(cc, "an action (accept, reject, drop, abort, rewrite)");
}

/* ---- keys and tables ---- */

static int
command_key(struct cc *cc, const char *what)
{
	size_t	 i;
	char	 c;

	if (cc->t.type != TK_WORD)
		return expected(cc, what);
	if (strcmp(cc->t.s, "*") != 0)
		for (i = 0; i < cc->t.len; i++) {
			c = cc->t.s[i];
			if (!((c >= 'A' && c <= 'Z') ||
			    (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') ||
			    c == '-' || c == '_' || c == '.'))
				return expected(cc, what);
		}
	return take_str(cc, 1, &cc->r->k1);
}

static int
table_connect(struct cc *cc)
{
	static const char *const modes[] = { "none", "starttls",
	    "starttls-required", "implicit" };
	size_t	 i;

	if (!is(cc, "tls"))
		return expected(cc, "\"tls\"");
	if (take_str(cc, 1, &cc->r->k1) == -1)
		return -1;
	for (i = 0; i < 4; i++)
		if (is(cc, modes[i])) {
			cc->r->tls = (uint8_t)(RULES_TLS_NONE + i);
			return act_simple(cc, RULES_TLS);
		}
	return expected(cc,
	    "a TLS mode (none, starttls, starttls-required, implicit)");
}

static int
table_response(struct cc *cc)
{
	if (command_key(cc, "a command name, GREETING or \"*\"") == -1)
		return -1;
	if (cc->r->proto == RULES_IMAP) {
		if (is(cc, "tagged"))
			cc->r->kind = RULES_TAGGED;
		else if (is(cc, "untagged"))
			cc->r->kind = RULES_UNTAGGED;
		else if (is(cc, "all"))
			cc->r->kind = RULES_ALL;
		else
			return expected(cc, "tagged, untagged or all");
		if (next(cc) == -1)
			return -1;
	}
	if (cc->t.type != TK_WORD)
		return expected(cc, "a response name or \"*\"");
	if (take_str(cc, 1, &cc->r->k3) == -1)
		return -1;
	return action_response(cc);
}

static int
table_capability(struct cc *cc)
{
	if (cc->t.type != TK_WORD)
		return expected(cc, "a capability name or \"*\"");
	if (take_str(cc, 1, &cc->r->k1) == -1)
		return -1;
	if (is(cc, "accept"))
		return act_simple(cc, RULES_ACCEPT);
	if (is(cc, "drop"))
		return act_simple(cc, RULES_DROP);
	return expected(cc, "accept or drop");
}

static int
table_list(struct cc *cc)
{
	uint32_t	 ref = 0;

	if ((cc->r->k1 = intern(cc, "*", 1)) == RB_NONE)
		return nomem(cc);
	if (is(cc, "hide")) {
		cc->r->action = RULES_HIDE;
		cc->r->flags |= RB_RF_ARGS;
		if (next(cc) == -1 ||
		    take_glob(cc, "a mailbox glob", &ref) == -1)
			return -1;
		return emit_str(cc, RB_OP_MAILBOX, ref);
	}
	if (is(cc, "attributes")) {
		cc->r->action = RULES_ATTRIBUTES;
		if (next(cc) == -1)
			return -1;
		return take_quoted(cc, "the attributes in quotes",
		    &cc->r->text);
	}
	return expected(cc, "hide or attributes");
}

/*
 * route UPSTREAM: the upstream a login proxy connects for the session,
 * a name as postern.conf(5) spells one; key "*", so the rules are tried
 * in the order of the file.
 */
static int
table_route(struct cc *cc)
{
	size_t	 i;
	char	 c;

	if ((cc->r->k1 = intern(cc, "*", 1)) == RB_NONE)
		return nomem(cc);
	if (cc->t.type != TK_WORD || cc->t.len == 0 ||
	    cc->t.len >= RULES_UPSTREAM_MAX)
		return expected(cc, "an upstream name (at most 31 bytes)");
	for (i = 0; i < cc->t.len; i++) {
		c = cc->t.s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			return expected(cc, "an upstream name of letters, "
			    "digits, '-', '_', '.'");
	}
	cc->r->action = RULES_ROUTE_TO;
	return take_str(cc, 0, &cc->r->text);
}

static int
table(struct cc *cc)
{
	int	 imap = cc->r->proto == RULES_IMAP;

	if (is(cc, "connect")) {
		cc->r->table = RULES_CONNECT;
		return next(cc) == -1 ? -1 : table_connect(cc);
	}
	if (is(cc, "request")) {
		cc->r->table = RULES_REQUEST;
		if (next(cc) == -1 ||
		    command_key(cc, "a command name or \"*\"") == -1)
			return -1;
		return action_request(cc);
	}
	if (is(cc, "response")) {
		cc->r->table = RULES_RESPONSE;
		return next(cc) == -1 ? -1 : table_response(cc);
	}
	if (is(cc, "capability")) {
		cc->r->table = RULES_CAPABILITY;
		return next(cc) == -1 ? -1 : table_capability(cc);
	}
	if (imap && is(cc, "list")) {
		cc->r->table = RULES_LIST;
		return next(cc) == -1 ? -1 : table_list(cc);
	}
	if (is(cc, "route")) {
		cc->r->table = RULES_ROUTE;
		return next(cc) == -1 ? -1 : table_route(cc);
	}
	return expected(cc, imap ?
	    "a table (connect, request, response, capability, list, route)" :
	    "a table (connect, request, response, capability, route)");
}

static int
rule(struct cc *cc, struct prule *r)
{
	int	 unless, hide;

	cc->r = r;
	cc->sp = 0;
	cc->parens = 0;
	r->line = cc->t.line;
	r->col = cc->t.col;
	r->text = RB_NONE;
	r->code = (uint32_t)cc->code.len;
	if (is(cc, "imap"))
		r->proto = RULES_IMAP;
	else if (is(cc, "pop3"))
		r->proto = RULES_POP3;
	else
		return expected(cc, "\"imap\" or \"pop3\"");
	if (next(cc) == -1 || table(cc) == -1)
		return -1;
	hide = r->action == RULES_HIDE;
	if (is(cc, "if") || is(cc, "unless")) {
		unless = is(cc, "unless");
		if (next(cc) == -1 || cond_or(cc) == -1)
			return -1;
		if (unless && emit(cc, RB_OP_NOT, NULL, 0) == -1)
			return -1;
		if (hide && emit(cc, RB_OP_AND, NULL, 0) == -1)
			return -1;
	}
	if (cc->t.type != TK_EOL && cc->t.type != TK_EOF)
		return expected(cc, "\"if\", \"unless\" or end of line");
	return 0;
}

static int
parse(struct cc *cc)
{
	struct prule	 r;

	if (next(cc) == -1)
		return -1;
	for (;;) {
		if (cc->t.type == TK_EOF)
			return 0;
		if (cc->t.type == TK_EOL) {
			if (next(cc) == -1)
				return -1;
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.seq = (uint32_t)(cc->rules.len / sizeof(r));
		if (rule(cc, &r) == -1)
			return -1;
		if (buf_add(&cc->rules, &r, sizeof(r)) == -1)
			return nomem(cc);
	}
}

static int
rule_cmp(const void *a, const void *b, void *arg)
{
	const struct prule	*x = a, *y = b;
	const char		*s = arg;
	int			 c;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	if (x->table != y->table)
		return x->table - y->table;
	if ((c = strcmp(s + x->k1, s + y->k1)) != 0)
		return c;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if ((c = strcmp(s + x->k3, s + y->k3)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
same_key(const struct prule *x, const struct prule *y, const char *s)
{
	return x->proto == y->proto && x->table == y->table &&
	    x->kind == y->kind && strcmp(s + x->k1, s + y->k1) == 0 &&
	    strcmp(s + x->k3, s + y->k3) == 0;
}

static void
put_rule(unsigned char *p, const struct prule *r)
{
	memset(p, 0, RB_RULE_SIZE);
	p[RB_R_ACTION] = r->action;
	p[RB_R_FLAGS] = r->flags;
	p[RB_R_TLS] = r->tls;
	rb_put32(p + RB_R_LINE, r->line);
	rb_put32(p + RB_R_COL, r->col);
	rb_put32(p + RB_R_TEXT, r->text);
	rb_put32(p + RB_R_PLIST, r->plist);
	rb_put32(p + RB_R_PCOUNT, r->pcount);
	rb_put32(p + RB_R_CODE, r->code);
	rb_put32(p + RB_R_CODELEN, r->codelen);
}

static void
put_key(unsigned char *p, const struct prule *r, uint32_t first,
    uint32_t count)
{
	memset(p, 0, RB_KEY_SIZE);
	p[RB_K_PROTO] = r->proto;
	p[RB_K_TABLE] = r->table;
	p[RB_K_KIND] = r->kind;
	rb_put32(p + RB_K_K1, r->k1);
	rb_put32(p + RB_K_K3, r->k3);
	rb_put32(p + RB_K_FIRST, first);
	rb_put32(p + RB_K_COUNT, count);
}

static int
layout(struct cc *cc, struct rules_blob *out)
{
	struct prule	*r = (struct prule *)(void *)cc->rules.p;
	size_t		 nr = cc->rules.len / sizeof(*r), nk, i, j, size;
	size_t		 koff, roff, ploff, coff, soff;
	unsigned char	*b;

	if (nr > 0)
		qsort_r(r, nr, sizeof(*r), rule_cmp, cc->str.p);
	for (nk = 0, i = 0; i < nr; i++)
		if (i == 0 || !same_key(&r[i - 1], &r[i], (char *)cc->str.p))
			nk++;
	koff = RB_HDR_SIZE;
	roff = koff + nk * RB_KEY_SIZE;
	ploff = roff + nr * RB_RULE_SIZE;
	coff = ploff + cc->pl.len;
	soff = coff + cc->code.len;
	size = soff + cc->str.len;
	if (size > UINT32_MAX || (b = calloc(1, size)) == NULL)
		return nomem(cc);
	rb_put32(b + RB_H_MAGIC, RB_MAGIC);
	rb_put32(b + RB_H_VERSION, RB_VERSION);
	rb_put32(b + RB_H_SIZE, (uint32_t)size);
	rb_put32(b + RB_H_NKEYS, (uint32_t)nk);
	rb_put32(b + RB_H_KEYS, (uint32_t)koff);
	rb_put32(b + RB_H_NRULES, (uint32_t)nr);
	rb_put32(b + RB_H_RULES, (uint32_t)roff);
	rb_put32(b + RB_H_NPLIST, (uint32_t)(cc->pl.len / 4));
	rb_put32(b + RB_H_PLIST, (uint32_t)ploff);
	rb_put32(b + RB_H_CODELEN, (uint32_t)cc->code.len);
	rb_put32(b + RB_H_CODE, (uint32_t)coff);
	rb_put32(b + RB_H_STRLEN, (uint32_t)cc->str.len);
	rb_put32(b + RB_H_STR, (uint32_t)soff);
	rb_put32(b + RB_H_FILE, cc->file_ref);
	for (i = 0, j = 0; i < nr; i++) {
		put_rule(b + roff + i * RB_RULE_SIZE, &r[i]);
		if (i == 0 || !same_key(&r[i - 1], &r[i], (char *)cc->str.p))
			put_key(b + koff + j++ * RB_KEY_SIZE, &r[i],
			    (uint32_t)i, 0);
		rb_put32(b + koff + (j - 1) * RB_KEY_SIZE + RB_K_COUNT,
		    (uint32_t)(i + 1 - rb_get32(b + koff +
		    (j - 1) * RB_KEY_SIZE + RB_K_FIRST)));
	}
	if (cc->pl.len)
		memcpy(b + ploff, cc->pl.p, cc->pl.len);
	if (cc->code.len)
		memcpy(b + coff, cc->code.p, cc->code.len);
	memcpy(b + soff, cc->str.p, cc->str.len);
	out->data = b;
	out->size = size;
	return 0;
}

int
rules_compile(const char *src, size_t len, const char *filename,
    struct rules_blob *out, struct rules_error *err)
{
	struct cc	 cc;
	int		 rv = -1;

	memset(&cc, 0, sizeof(cc));
	memset(err, 0, sizeof(*err));
	out->data = NULL;
	out->size = 0;
	cc.file = filename != NULL ? filename : "<rules>";
	cc.err = err;
	if (len > MAX_SOURCE) {
		fail_at(&cc, 0, 0, "rule text larger than %zu bytes",
		    MAX_SOURCE);
		return -1;
	}
	lex_init(&cc.lx, src, len);
	/* string 0 is "", the default k3 */
	if (intern(&cc, "", 0) == RB_NONE || (cc.file_ref = intern(&cc,
	    cc.file, strlen(cc.file))) == RB_NONE)
		nomem(&cc);
	else if (parse(&cc) == 0)
		rv = layout(&cc, out);
	lex_free(&cc.lx);
	free(cc.hash);
	free(cc.str.p);
	free(cc.code.p);
	free(cc.pl.p);
	free(cc.rules.p);
	return rv;
}
