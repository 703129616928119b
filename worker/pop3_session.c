/*
 * The POP3 session layer (pop3_session.h).  Each client command becomes
 * an entry of the queue: forwarded (its response is the server's next)
 * or answered here (its line waits in the entry until every entry before
 * it is done).  The head entry is always one whose response is awaited
 * from the server, or nothing.
 *
 * Never logged: PASS's argument, APOP's digest, any line of an AUTH
 * exchange.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apop.h"
#include "log.h"
#include "pop3_hooks.h"
#include "pop3_session.h"
#include "stats.h"

enum pop3_kind {
	K_OTHER = 0,	/* not in the table; a rule let it through */
	K_USER, K_PASS, K_APOP, K_AUTH, K_STLS, K_CAPA, K_QUIT,
	K_STAT, K_LIST, K_RETR, K_DELE, K_NOOP, K_RSET, K_TOP, K_UIDL,
};

/* States a command is valid in. */
#define IN_AUTHZ	0x01
#define IN_TRANS	0x02

/* Arguments a command takes. */
enum pop3_args {
	A_NONE,		/* none */
	A_NAME,		/* USER: one word */
	A_REST,		/* PASS: the rest of the line, spaces and all */
	A_APOP,		/* name and 32 hex digits */
	A_MECH,		/* AUTH: a mechanism and maybe an initial response */
	A_OPTMSG,	/* LIST, UIDL: maybe a message number */
	A_MSG,		/* RETR, DELE: a message number */
	A_TOP,		/* a message number and a count of lines */
};

static const struct pop3_desc {
	const char	*kw;
	enum pop3_kind	 kind;
	unsigned int	 states;
	enum pop3_args	 args;
	int		 barrier;
} desc[] = {
	{ "APOP", K_APOP, IN_AUTHZ, A_APOP, 1 },
	{ "AUTH", K_AUTH, IN_AUTHZ, A_MECH, 1 },
	{ "CAPA", K_CAPA, IN_AUTHZ | IN_TRANS, A_NONE, 0 },
	{ "DELE", K_DELE, IN_TRANS, A_MSG, 0 },
	{ "LIST", K_LIST, IN_TRANS, A_OPTMSG, 0 },
	{ "NOOP", K_NOOP, IN_TRANS, A_NONE, 0 },
	{ "PASS", K_PASS, IN_AUTHZ, A_REST, 1 },
	{ "QUIT", K_QUIT, IN_AUTHZ | IN_TRANS, A_NONE, 1 },
	{ "RETR", K_RETR, IN_TRANS, A_MSG, 0 },
	{ "RSET", K_RSET, IN_TRANS, A_NONE, 0 },
	{ "STAT", K_STAT, IN_TRANS, A_NONE, 0 },
	{ "STLS", K_STLS, IN_AUTHZ, A_NONE, 1 },
	{ "TOP", K_TOP, IN_TRANS, A_TOP, 0 },
	{ "UIDL", K_UIDL, IN_TRANS, A_OPTMSG, 0 },
	{ "USER", K_USER, IN_AUTHZ, A_NAME, 1 },
};

#define PEND_LOCAL	0x01	/* answered here: reply[] */
#define PEND_MULTI	0x02	/* +OK is followed by a body */
#define PEND_BARRIER	0x04
#define PEND_CAPA	0x08	/* body read line by line, filtered */
#define PEND_ABORT	0x10	/* the session ends after reply[] */

struct pop3_pend {
	enum pop3_kind	 kind;		/* answered here too */
	char		 kw[POP3_KEYWORD_MAX + 1];	/* for the policy */
	unsigned int	 flags;
	size_t		 replylen;
	char		 reply[POP3_REPLY_MAX];
};

static const struct pop3_desc *lookup(const char *);
static int	 args_valid(struct pop3_session *, const struct pop3_desc *,
		    const struct pop3_cmd *, const char **);
static void	 command(struct pop3_session *, const uint8_t *, size_t,
		    size_t);
static void	 sasl_line(struct pop3_session *, const uint8_t *, size_t);
static void	 apop_pass(struct pop3_session *, const struct pop3_cmd *);
static void	 forward(struct pop3_session *, const struct pop3_desc *,
		    const struct pop3_cmd *, const uint8_t *, size_t, int);
static struct pop3_pend *enqueue(struct pop3_session *);
static void	 local(struct pop3_session *, const char *, int);
static void	 done(struct pop3_session *);
static void	 flush_local(struct pop3_session *);
static struct pop3_pend *head(struct pop3_session *);
static void	 status_line(struct pop3_session *);
static void	 greeting(struct pop3_session *, const uint8_t *, size_t);
static void	 effects(struct pop3_session *, struct pop3_pend *,
		    enum pop3_status);
static size_t	 body(struct pop3_session *, const uint8_t *, size_t);
static size_t	 capa_body(struct pop3_session *, const uint8_t *, size_t);
static void	 line_out(struct pop3_session *);
static void	 text_out(struct pop3_session *, const char *);
static void	 fail(struct pop3_session *, const char *);
static int	 front_answer(struct pop3_session *, enum pop3_kind, int);

void
pop3_limits_default(struct pop3_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->line_max = POP3_LINE_DEFAULT;
	l->user_max = POP3_USER_DEFAULT;
	l->pass_max = POP3_PASS_DEFAULT;
	l->inflight_max = POP3_INFLIGHT_DEFAULT;
}

int
pop3_session_init(struct pop3_session *s, const struct pop3_limits *lim,
    const struct pop3_io *io)
{
	memset(s, 0, sizeof(*s));
	s->lim = *lim;
	if (s->lim.line_max < POP3_LINE_MIN)
		s->lim.line_max = POP3_LINE_MIN;
	if (s->lim.inflight_max == 0)
		s->lim.inflight_max = POP3_INFLIGHT_DEFAULT;
	s->io = *io;
	if ((s->q = calloc(s->lim.inflight_max, sizeof(*s->q))) == NULL)
		return -1;
	if (pop3_line_init(&s->cl, s->lim.line_max) == -1 ||
	    pop3_line_init(&s->sl, s->lim.line_max) == -1) {
		pop3_session_free(s);
		return -1;
	}
	return 0;
}

void
pop3_session_free(struct pop3_session *s)
{
	/* The client line may have held a password. */
	if (s->cl.p != NULL)
		explicit_bzero(s->cl.p, s->cl.max);
	pop3_line_free(&s->cl);
	pop3_line_free(&s->sl);
	free(s->q);
	s->q = NULL;
	free(s->user);
	s->user = NULL;
}

int
pop3_session_want_client(const struct pop3_session *s)
{
	if (s->closed || s->state == POP3_S_GREETING || s->stls ||
	    s->front_failed)
		return 0;
	if (s->sasl_turn)
		return 1;
	return s->barriers == 0 && s->qlen < s->lim.inflight_max;
}

void
pop3_session_tls_done(struct pop3_session *s)
{
	s->stls = 0;
	s->tls.active = 1;
	s->tls.offered = 0;
	s->user_ok = 0;
	free(s->user);
	s->user = NULL;
}

int
pop3_session_mid_response(const struct pop3_session *s)
{
	/* Status lines go out whole: only a body can be half sent. */
	return s->body;
}

static const struct pop3_desc *
lookup(const char *kw)
{
	size_t	 i;

	for (i = 0; i < sizeof(desc) / sizeof(desc[0]); i++)
		if (strcmp(desc[i].kw, kw) == 0)
			return &desc[i];
	return NULL;
}

size_t
pop3_session_client(struct pop3_session *s, const uint8_t *p, size_t len)
{
	const uint8_t		*t;
	size_t			 used = 0, n, tlen;
	enum pop3_line_st	 st;

	while (used < len && pop3_session_want_client(s)) {
		st = pop3_line_feed(&s->cl, p + used, len - used, &n);
		used += n;
		if (st == POP3_LINE_MORE)
			continue;
		s->commands++;
		s->kind_now = K_OTHER;
		if (st == POP3_LINE_LONG) {
			if (s->sasl_turn) {
				fail(s, "SASL line too long");
				break;
			}
			log_info("command line over %zu bytes refused",
			    s->lim.line_max);
			local(s, "-ERR Line too long", 0);
			continue;
		}
		tlen = pop3_line_text(&s->cl, &t);
		if (s->sasl_turn)
			sasl_line(s, t, tlen);
		else if (pop3_line_bare_lf(&s->cl))
			local(s, "-ERR Line must end in CRLF", 0);
		else
			command(s, t, tlen, s->cl.len);
	}
	return used;
}

/* A line of the client's side of an AUTH exchange: forwarded as it is. */
static void
sasl_line(struct pop3_session *s, const uint8_t *t, size_t tlen)
{
	s->sasl_turn = 0;
	if (pop3_line_bare_lf(&s->cl) || memchr(t, '\0', tlen) != NULL ||
	    memchr(t, '\r', tlen) != NULL) {
		fail(s, "Malformed SASL line");
		return;
	}
	s->io.to_server(s->io.arg, s->cl.p, s->cl.len);
}

static void
command(struct pop3_session *s, const uint8_t *t, size_t tlen, size_t rawlen)
{
	const struct pop3_desc	*d;
	struct pop3_cmd		 c;
	struct pop3_verdict	 v;
	enum pop3_cmd_err	 e;
	const char		*why;
	unsigned int		 in;

	if ((e = pop3_cmd_parse(t, tlen, &c)) != POP3_CMD_OK) {
		log_info("command refused: %s", pop3_cmd_err_str(e));
		local(s, e == POP3_CMD_CTL ? "-ERR Control character in "
		    "command" : "-ERR Invalid command", 0);
		return;
	}
	d = lookup(c.kw);
	s->kind_now = d != NULL ? d->kind : K_OTHER;
	in = s->state == POP3_S_AUTHORIZATION ? IN_AUTHZ :
	    s->state == POP3_S_TRANSACTION ? IN_TRANS : 0;
	if (d != NULL && (!(d->states & in) ||
	    (d->kind == K_PASS && !s->user_ok))) {
		local(s, "-ERR Command not valid in this state", 0);
		return;
	}
	if (d != NULL && !args_valid(s, d, &c, &why)) {
		local(s, why, 0);
		return;
	}
	pop3_hooks_request(s, &c, d != NULL, &v);
	switch (v.act) {
	case POP3_V_REJECT:
	case POP3_V_ABORT:
		local(s, v.text != NULL ? v.text : "-ERR Command refused",
		    v.act == POP3_V_ABORT);
		return;
	case POP3_V_DROP:
		return;
	case POP3_V_STLS:
		/* The relay answers it, once nothing follows it. */
		s->stls = 1;
		return;
	case POP3_V_APOP:
		if (d == NULL)
			break;
		if (d->kind == K_USER) {
			free(s->user);
			if ((s->user = strndup(c.rest, c.restlen)) == NULL) {
				fail(s, "Out of memory");
				return;
			}
			s->user_ok = 1;
			local(s, "+OK Password required", 0);
			return;
		}
		/* The server took USER itself: PASS goes as it is. */
		if (d->kind == K_PASS && s->user != NULL) {
			apop_pass(s, &c);
			return;
		}
		break;
	case POP3_V_ACCEPT:
	case POP3_V_ACCEPT_MLINE:
	case POP3_V_REPLACE:
		break;
	}
	if (d != NULL && d->kind == K_QUIT)
		s->quit = 1;
	if (d != NULL && d->kind == K_USER) {
		/* A name the server holds: none of ours for APOP. */
		free(s->user);
		s->user = NULL;
	}
	forward(s, d, &c, t, rawlen, v.act == POP3_V_ACCEPT_MLINE);
}

/* The engine's own checks of a known command's arguments. */
static int
args_valid(struct pop3_session *s, const struct pop3_desc *d,
    const struct pop3_cmd *c, const char **why)
{
	uint32_t	 n;

	*why = "-ERR Invalid arguments";
	switch (d->args) {
	case A_NONE:
		return c->nargs == 0;
	case A_NAME:
		if (c->nargs != 1 || c->arglen[0] == 0)
			return 0;
		if (c->arglen[0] > s->lim.user_max) {
			log_info("USER: name over %zu bytes refused",
			    s->lim.user_max);
			*why = "-ERR User name too long";
			return 0;
		}
		return 1;
	case A_REST:
		if (c->restlen == 0)
			return 0;
		if (c->restlen > s->lim.pass_max) {
			log_info("PASS: password over %zu bytes refused",
			    s->lim.pass_max);
			*why = "-ERR Password too long";
			return 0;
		}
		return 1;
	case A_APOP:
		if (c->nargs != 2 || c->arglen[0] == 0 ||
		    !apop_digest_valid(c->arg[1], c->arglen[1]))
			return 0;
		if (c->arglen[0] > s->lim.user_max) {
			*why = "-ERR User name too long";
			return 0;
		}
		return 1;
	case A_MECH:
		/* RFC 5034: the mechanism is not optional here. */
		*why = "-ERR AUTH needs a mechanism";
		return (c->nargs == 1 || c->nargs == 2) && c->arglen[0] > 0 &&
		    (c->nargs == 1 || c->arglen[1] > 0);
	case A_OPTMSG:
		*why = "-ERR Invalid message number";
		return c->nargs == 0 ||
		    (c->nargs == 1 && pop3_msgno(c->arg[0], c->arglen[0],
		    &n) == 0);
	case A_MSG:
		*why = "-ERR Invalid message number";
		return c->nargs == 1 &&
		    pop3_msgno(c->arg[0], c->arglen[0], &n) == 0;
	case A_TOP:
		*why = "-ERR TOP needs a message number and a line count";
		return c->nargs == 2 &&
		    pop3_msgno(c->arg[0], c->arglen[0], &n) == 0 &&
		    pop3_count(c->arg[1], c->arglen[1], &n) == 0;
	}
	return 0;
}

/*
 * Zorp's USER/PASS to APOP conversion, the PASS half: the client's
 * password and the greeting's timestamp make the digest, and the server
 * sees only "APOP name digest".  Its answer goes to the client as PASS's.
 */
static void
apop_pass(struct pop3_session *s, const struct pop3_cmd *c)
{
	char	 hex[APOP_DIGEST_HEX + 1];
	char	 line[POP3_USER_DEFAULT + APOP_DIGEST_HEX + 16];
	char	*big = line;
	size_t	 need;
	int	 n;

	if (s->timestamp[0] == '\0') {
		log_warnx("APOP login for USER/PASS impossible: the server's "
		    "greeting has no timestamp");
		s->user_ok = 0;
		local(s, "-ERR [AUTH] The server does not offer APOP", 0);
		return;
	}
	need = strlen(s->user) + APOP_DIGEST_HEX + 16;
	if (need > sizeof(line) && (big = malloc(need)) == NULL) {
		fail(s, "Out of memory");
		return;
	}
	apop_digest(s->timestamp, c->rest, c->restlen, hex);
	n = snprintf(big, need > sizeof(line) ? need : sizeof(line),
	    "APOP %s %s\r\n", s->user, hex);
	forward(s, lookup("APOP"), NULL, (const uint8_t *)big, (size_t)n, 0);
	explicit_bzero(hex, sizeof(hex));
	explicit_bzero(big, (size_t)n);
	if (big != line)
		free(big);
}

/* raw: the line as received; its response is the server's next. */
static void
forward(struct pop3_session *s, const struct pop3_desc *d,
    const struct pop3_cmd *c, const uint8_t *raw, size_t rawlen, int mline)
{
	struct pop3_pend	*e;

	if ((e = enqueue(s)) == NULL)
		return;
	e->kind = d != NULL ? d->kind : K_OTHER;
	(void)snprintf(e->kw, sizeof(e->kw), "%s", d != NULL ? d->kw : c->kw);
	if (d != NULL && d->barrier) {
		e->flags |= PEND_BARRIER;
		s->barriers++;
	}
	if (mline)
		e->flags |= PEND_MULTI;
	else if (d != NULL) {
		switch (d->kind) {
		case K_CAPA:
			e->flags |= PEND_MULTI | PEND_CAPA;
			break;
		case K_RETR:
		case K_TOP:
			e->flags |= PEND_MULTI;
			break;
		case K_LIST:
		case K_UIDL:
			if (c != NULL && c->nargs == 0)
				e->flags |= PEND_MULTI;
			break;
		default:
			break;
		}
	}
	s->io.to_server(s->io.arg, raw, rawlen);
}

static struct pop3_pend *
enqueue(struct pop3_session *s)
{
	struct pop3_pend	*e;

	if (s->qlen == s->lim.inflight_max) {
		/* want_client() keeps this from happening. */
		fail(s, "Too many commands in flight");
		return NULL;
	}
	e = &s->q[(s->qhead + s->qlen++) % s->lim.inflight_max];
	memset(e, 0, sizeof(*e));
	return e;
}

/* Our own answer, in its turn; abort: the session ends after it. */
static void
local(struct pop3_session *s, const char *text, int abort)
{
	struct pop3_pend	*e;
	int			 n;

	if ((e = enqueue(s)) == NULL)
		return;
	e->flags = PEND_LOCAL | (abort ? PEND_ABORT : 0);
	e->kind = (enum pop3_kind)s->kind_now;
	n = snprintf(e->reply, sizeof(e->reply), "%s\r\n", text);
	if (n < 0 || (size_t)n >= sizeof(e->reply))
		n = snprintf(e->reply, sizeof(e->reply), "-ERR Refused\r\n");
	e->replylen = (size_t)n;
	flush_local(s);
}

static struct pop3_pend *
head(struct pop3_session *s)
{
	return s->qlen > 0 ? &s->q[s->qhead] : NULL;
}

/* The head entry is done; our answers now at the head go out. */
static void
done(struct pop3_session *s)
{
	struct pop3_pend	*e = head(s);

	if (e->flags & PEND_BARRIER)
		s->barriers--;
	s->qhead = (s->qhead + 1) % s->lim.inflight_max;
	s->qlen--;
	flush_local(s);
}

static void
flush_local(struct pop3_session *s)
{
	struct pop3_pend	*e;

	while (!s->closed && (e = head(s)) != NULL &&
	    (e->flags & PEND_LOCAL)) {
		if (front_answer(s, e->kind, e->reply[0] == '+'))
			s->io.to_client(s->io.arg, (const uint8_t *)e->reply,
			    e->replylen, 0);
		if (e->flags & PEND_ABORT) {
			fail(s, NULL);
			return;
		}
		s->qhead = (s->qhead + 1) % s->lim.inflight_max;
		s->qlen--;
	}
}

size_t
pop3_session_server(struct pop3_session *s, const uint8_t *p, size_t len)
{
	size_t			 used = 0, n;
	enum pop3_line_st	 st;

	while (used < len && !s->closed) {
		if (s->body) {
			if (head(s)->flags & PEND_CAPA)
				used += capa_body(s, p + used, len - used);
			else
				used += body(s, p + used, len - used);
			continue;
		}
		st = pop3_line_feed(&s->sl, p + used, len - used, &n);
		used += n;
		if (st == POP3_LINE_LONG) {
			log_warnx("server line over %zu bytes",
			    s->lim.line_max);
			fail(s, "Error in protocol");
		} else if (st == POP3_LINE_DONE) {
			/* Whole in p: it can go out from there, uncopied. */
			s->slraw = s->sl.len == n ? p + used - n : NULL;
			status_line(s);
			s->sl.len = 0;
			s->slraw = NULL;
		}
	}
	return used;
}

/* The first line of a response, or the greeting. */
static void
status_line(struct pop3_session *s)
{
	struct pop3_pend	*e;
	struct pop3_verdict	 v;
	const uint8_t		*t;
	size_t			 tlen;
	enum pop3_status	 st;
	int			 ours;

	tlen = pop3_line_text(&s->sl, &t);
	st = pop3_status_parse(t, tlen);
	if (s->state == POP3_S_GREETING) {
		greeting(s, t, tlen);
		return;
	}
	if ((e = head(s)) == NULL) {
		/* "-ERR" before a close (Dovecot's idle timeout) is news. */
		if (st == POP3_ST_ERR) {
			line_out(s);
			return;
		}
		log_warnx("server sent \"%.*s\" unasked", (int)(tlen > 80 ? 80 :
		    tlen), t);
		fail(s, "Error in protocol");
		return;
	}
	if (st == POP3_ST_CONT && e->kind == K_AUTH && s->front) {
		/* The replay had its initial response: the client is done. */
		log_warnx("server asked for more of a replayed AUTH");
		fail(s, "Error in protocol");
		return;
	}
	if (st == POP3_ST_CONT && e->kind == K_AUTH) {
		line_out(s);
		s->sasl_turn = 1;
		return;
	}
	if (st != POP3_ST_OK && st != POP3_ST_ERR) {
		log_warnx("server response \"%.*s\" is not +OK or -ERR",
		    (int)(tlen > 80 ? 80 : tlen), t);
		fail(s, "Error in protocol");
		return;
	}
	pop3_hooks_response(s, e->kw, t, tlen, &v);
	if (v.act == POP3_V_ABORT) {
		fail(s, v.text != NULL ? v.text : "Session ended by policy");
		return;
	}
	effects(s, e, st);
	ours = v.act == POP3_V_REJECT || v.act == POP3_V_REPLACE;
	/* login proxy: not USER's +OK, the client had postern's. */
	if (front_answer(s, e->kind, ours ? v.text != NULL &&
	    v.text[0] == '+' : st == POP3_ST_OK)) {
		if (ours)
			text_out(s, v.text);
		else if (v.act != POP3_V_DROP)
			line_out(s);
	}
	if (st == POP3_ST_OK && (e->flags & PEND_MULTI)) {
		s->body = 1;
		s->skip = v.act == POP3_V_REJECT || v.act == POP3_V_DROP;
		pop3_ml_start(&s->ml);
		return;
	}
	done(s);
}

/* A line of the policy's in place of the server's. */
static void
text_out(struct pop3_session *s, const char *text)
{
	char	 line[POP3_REPLY_MAX];
	int	 n;

	n = snprintf(line, sizeof(line), "%s\r\n", text != NULL ? text :
	    "-ERR Response refused by policy");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = snprintf(line, sizeof(line), "-ERR Refused\r\n");
	s->io.to_client(s->io.arg, (const uint8_t *)line, (size_t)n, 0);
}

static void
greeting(struct pop3_session *s, const uint8_t *t, size_t tlen)
{
	struct pop3_verdict	 v;
	int			 ok;

	pop3_hooks_response(s, "GREETING", t, tlen, &v);
	ok = pop3_status_parse(t, tlen) == POP3_ST_OK;
	if (s->front && ok && (v.act == POP3_V_ACCEPT ||
	    v.act == POP3_V_REPLACE)) {
		/* login proxy: the client had postern's greeting. */
	} else if (v.act == POP3_V_REPLACE && ok)
		text_out(s, v.text);
	else if (v.act != POP3_V_ACCEPT) {
		/* No greeting, no session. */
		fail(s, v.act == POP3_V_ABORT && v.text != NULL ? v.text :
		    "Server greeting refused by policy");
		return;
	} else
		line_out(s);
	if (!ok) {
		log_warnx("server greeting \"%.*s\"", (int)(tlen > 80 ? 80 :
		    tlen), t);
		fail(s, NULL);
		return;
	}
	if (apop_timestamp(t, tlen, s->timestamp, sizeof(s->timestamp)) == -1)
		s->timestamp[0] = '\0';
	s->state = POP3_S_AUTHORIZATION;
	if (s->io.greeted != NULL)
		s->io.greeted(s->io.arg);
}

/* What a response does to the state (RFC 1939 sections 4 to 6). */
static void
effects(struct pop3_session *s, struct pop3_pend *e, enum pop3_status st)
{
	int		 ok = st == POP3_ST_OK;
	enum pop3_state	 was = s->state;

	switch (e->kind) {
	case K_USER:
		s->user_ok = ok;
		break;
	case K_PASS:
	case K_APOP:
	case K_AUTH:
		s->user_ok = 0;
		s->sasl_turn = 0;
		if (ok) {
			s->state = POP3_S_TRANSACTION;
			if (s->io.authenticated != NULL)
				s->io.authenticated(s->io.arg);
		} else
			stats_login_failed();
		break;
	case K_QUIT:
		if (ok)
			s->state = POP3_S_UPDATE;
		break;
	default:
		break;
	}
	if (s->state != was && s->ops != NULL && s->ops->state != NULL)
		s->ops->state(s->opsarg, was, s->state);
}

/* A multi-line body, by pointer: only its end is looked for. */
static size_t
body(struct pop3_session *s, const uint8_t *p, size_t len)
{
	size_t	 n;
	int	 end;

	end = pop3_ml_scan(&s->ml, p, len, &n);
	if (!s->skip)
		s->io.to_client(s->io.arg, p, n, 1);
	if (end) {
		s->body = 0;
		s->skip = 0;
		done(s);
	}
	return n;
}

/* CAPA's body, a line at a time, without what the worker hides. */
static size_t
capa_body(struct pop3_session *s, const uint8_t *p, size_t len)
{
	const uint8_t		*t;
	size_t			 n, tlen;
	enum pop3_line_st	 st;

	st = pop3_line_feed(&s->sl, p, len, &n);
	if (st == POP3_LINE_LONG) {
		log_warnx("CAPA line over %zu bytes", s->lim.line_max);
		fail(s, "Error in protocol");
		return n;
	}
	if (st == POP3_LINE_MORE)
		return n;
	tlen = pop3_line_text(&s->sl, &t);
	if (tlen == 1 && t[0] == '.') {
		/* STLS is ours: listed when we offer it. */
		if (s->tls.offered && !s->tls.active && !s->skip)
			s->io.to_client(s->io.arg, (const uint8_t *)"STLS\r\n",
			    6, 0);
		if (!s->skip)
			line_out(s);
		s->skip = 0;
		s->sl.len = 0;
		s->body = 0;
		done(s);
		return n;
	}
	if (tlen > 0 && t[0] == '.') {
		t++;
		tlen--;
	}
	if (!s->skip && pop3_hooks_capa(s, t, tlen))
		line_out(s);
	s->sl.len = 0;
	return n;
}

/* The server line just read goes to the client as it came. */
static void
line_out(struct pop3_session *s)
{
	if (s->slraw != NULL)
		s->io.to_client(s->io.arg, s->slraw, s->sl.len, 1);
	else
		s->io.to_client(s->io.arg, s->sl.p, s->sl.len, 0);
}

/*
 * login proxy (s->front): whether the answer to a replayed command of
 * kind k goes to the client.  USER's "+OK" does not, the client had
 * postern's; a "-ERR" to USER, PASS or AUTH is the login's answer, and
 * the rest of the replay is not read.
 */
static int
front_answer(struct pop3_session *s, enum pop3_kind k, int ok)
{
	if (!s->front || s->state != POP3_S_AUTHORIZATION ||
	    (k != K_USER && k != K_PASS && k != K_AUTH && k != K_APOP))
		return 1;
	if (k == K_USER && ok)
		return 0;
	if (!ok) {
		s->front_failed = 1;
		if (s->io.login_failed != NULL)
			s->io.login_failed(s->io.arg);
	}
	return 1;
}

/* The end: "-ERR text" unless text is NULL. */
static void
fail(struct pop3_session *s, const char *text)
{
	if (s->closed)
		return;
	s->closed = 1;
	s->io.close(s->io.arg, text);
}
