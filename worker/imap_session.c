/*
 * The IMAP session: both parsers, the queue of commands in flight, the
 * state machine, and the answers postern gives on its own.  See
 * imap_session.h for the contract with the relay.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_reply.h"
#include "imap_session.h"

enum {
	WAIT_NONE,
	WAIT_SYNC,		/* client {n}: forward the upstream's + */
	WAIT_CONVERT		/* client {n+} sent as {n}: drop the + */
};

/* RFC 7888 section 4 and RFC 9051 section 4.3. */
#define LITMINUS_MAX	4096

int
imap_session_init(struct imap_session *s, const struct imap_limits *lim)
{
	memset(s, 0, sizeof(*s));
	if (lim != NULL)
		s->lim = *lim;
	else
		imap_limits_default(&s->lim);
	TAILQ_INIT(&s->inflight);
	s->state = IMAP_ST_GREETING;
	if (imap_parser_init(&s->cli, IMAP_DIR_CLIENT, &s->lim) == -1)
		return -1;
	if (imap_parser_init(&s->srv, IMAP_DIR_SERVER, &s->lim) == -1) {
		imap_parser_free(&s->cli);
		return -1;
	}
	return 0;
}

void
imap_session_free(struct imap_session *s)
{
	struct imap_cmd	*c;

	while ((c = TAILQ_FIRST(&s->inflight)) != NULL) {
		TAILQ_REMOVE(&s->inflight, c, entry);
		free(c);
	}
	free(s->done);
	s->done = NULL;
	imap_parser_free(&s->cli);
	imap_parser_free(&s->srv);
}

static void
upname(char *dst, size_t size, const uint8_t *p, size_t len)
{
	size_t	 i;

	if (len > size - 1)
		len = size - 1;
	for (i = 0; i < len; i++)
		dst[i] = (p[i] >= 'a' && p[i] <= 'z') ? p[i] - 32 : p[i];
	dst[len] = '\0';
}

static void
set_reply(struct imap_session *s, struct imap_sev *sev, enum imap_act act,
    const uint8_t *tag, size_t taglen, const char *status, const char *code,
    const char *text)
{
	int	 n;

	n = imap_reply(s->reply, sizeof(s->reply), (const char *)tag, taglen,
	    status, code, text);
	if (n < 0)
		n = imap_reply(s->reply, sizeof(s->reply), NULL, 0, status,
		    NULL, "Error");
	sev->act = act;
	sev->reply = s->reply;
	sev->replylen = n;
}

static void
close_session(struct imap_session *s, struct imap_sev *sev, const char *why)
{
	set_reply(s, sev, IMAP_ACT_CLOSE, NULL, 0, "BYE", NULL, why);
	s->closed = 1;
}

static void
set_raw(struct imap_session *s, int on)
{
	s->raw = on;
	imap_parser_set_raw(&s->cli, on);
}

/* Out of the queue; kept until the next call so sev.cmd stays valid. */
static void
cmd_remove(struct imap_session *s, struct imap_cmd *c)
{
	TAILQ_REMOVE(&s->inflight, c, entry);
	s->ninflight--;
	if (s->cur == c)
		s->cur = NULL;
	if (s->idle == c || s->auth == c) {
		s->idle = s->auth = NULL;
		set_raw(s, 0);
	}
	if (s->starttls == c)
		s->starttls = NULL;
	if (s->srv_cmd == c)
		s->srv_cmd = NULL;
	free(s->done);
	s->done = c;
}

static struct imap_cmd *
find_tag(struct imap_session *s, const uint8_t *tag, size_t len)
{
	struct imap_cmd	*c;

	TAILQ_FOREACH(c, &s->inflight, entry)
		if (strlen(c->tag) == len && memcmp(c->tag, tag, len) == 0)
			return c;
	return NULL;
}

/* The oldest command in flight that asks for this untagged response. */
static struct imap_cmd *
find_solicitor(struct imap_session *s, const char *resp)
{
	struct imap_cmd	*c;

	TAILQ_FOREACH(c, &s->inflight, entry) {
		if (c->desc != NULL ? imap_cmd_solicits(c->desc, resp) :
		    strcmp(c->name, resp) == 0)
			return c;
	}
	return NULL;
}

static struct imap_cmd *
find_flag(struct imap_session *s, unsigned int flag)
{
	struct imap_cmd	*c;

	TAILQ_FOREACH(c, &s->inflight, entry)
		if (c->desc != NULL && (c->desc->flags & flag))
			return c;
	return NULL;
}

static enum imap_state
after_success(enum imap_state st, const struct imap_cmd_desc *d)
{
	if (d == NULL)
		return st;
	if (d->flags & IMAP_CMDF_LOGIN)
		return IMAP_ST_AUTH;
	if (d->flags & IMAP_CMDF_SELECT)
		return IMAP_ST_SELECTED;
	if (d->flags & IMAP_CMDF_UNSELECT)
		return IMAP_ST_AUTH;
	if (d->flags & IMAP_CMDF_LOGOUT)
		return IMAP_ST_LOGOUT;
	if (d->flags & IMAP_CMDF_UNAUTH)
		return IMAP_ST_NOTAUTH;
	return st;
}

enum imap_state
imap_session_projected_state(const struct imap_session *s)
{
	const struct imap_cmd	*c;
	enum imap_state		 st = s->state;

	if (st == IMAP_ST_GREETING)
		st = IMAP_ST_NOTAUTH;
	TAILQ_FOREACH(c, &s->inflight, entry)
		st = after_success(st, c->desc);
	return st;
}

int
imap_session_want_client(const struct imap_session *s)
{
	return !s->closed && s->wait == WAIT_NONE && !s->tls_switch;
}

void
imap_session_tls_done(struct imap_session *s)
{
	s->tls_switch = 0;
	s->caps = 0;
	imap_parser_abort_message(&s->cli);
	imap_parser_abort_message(&s->srv);
}

/* ---- client side ---- */

/* The client's message for the current command is complete. */
static void
message_complete(struct imap_session *s)
{
	struct imap_cmd	*c = s->cur;

	if (c == NULL)
		return;
	c->flags |= IMAP_CMD_SENT;
	s->cur = NULL;
	if (c->desc == NULL)
		return;
	if (c->desc->flags & IMAP_CMDF_IDLE) {
		s->idle = c;
		set_raw(s, 1);
	} else if (c->desc->flags & IMAP_CMDF_AUTHENTICATE)
		/* raw lines only after a "+": with SASL-IR the client may
		 * pipeline its next command */
		s->auth = c;
	else if (c->desc->flags & IMAP_CMDF_STARTTLS)
		s->starttls = c;
}

/*
 * Refuse the literal just announced.  Only a synchronizing one in the
 * first line can be refused and the session go on: the client then sends
 * nothing more of the command.
 */
static void
refuse_literal(struct imap_session *s, struct imap_sev *sev,
    const char *code, const char *text)
{
	struct imap_cmd	*c = s->cur;

	if (sev->ev.seg > 0 || IMAP_LIT_KIND(sev->ev.lit) != IMAP_LIT_SYNC) {
		close_session(s, sev, text);
		return;
	}
	set_reply(s, sev, IMAP_ACT_REPLY, (const uint8_t *)c->tag,
	    strlen(c->tag), "BAD", code, text);
	imap_parser_abort_message(&s->cli);
	sev->flags &= ~IMAP_SEVF_CMD_START;
	cmd_remove(s, c);
}

static void
client_literal(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;
	struct imap_cmd		*c = s->cur;
	const uint8_t		*plus;
	uint64_t		 max;
	int			 append;

	append = c->desc != NULL && (c->desc->flags & IMAP_CMDF_APPEND);
	max = append ? s->lim.lit_append_max : s->lim.lit_max;
	if (IMAP_LIT_KIND(ev->lit) == IMAP_LIT_MINUS) {
		close_session(s, sev, "Literal {n-} is in no IMAP grammar");
		return;
	}
	if ((ev->lit & IMAP_LIT_BINARY) && !append) {
		refuse_literal(s, sev, NULL, "Literal8 not allowed here");
		return;
	}
	if (ev->litlen > max) {
		refuse_literal(s, sev, "TOOBIG", "Literal too big");
		return;
	}
	if (IMAP_LIT_KIND(ev->lit) == IMAP_LIT_SYNC) {
		s->wait = WAIT_SYNC;
		sev->flags |= IMAP_SEVF_WAIT_CONT;
		return;
	}
	if ((s->caps & IMAP_CAP_LITERALPLUS) ||
	    ((s->caps & (IMAP_CAP_LITERALMINUS | IMAP_CAP_IMAP4REV2)) &&
	    ev->litlen <= LITMINUS_MAX))
		return;
	/* The upstream cannot take it unannounced: ask it for a "+". */
	plus = memchr(ev->raw + ev->lit_off, '+', ev->rawlen - ev->lit_off);
	sev->plus_off = plus - ev->raw;
	s->wait = WAIT_CONVERT;
	sev->flags |= IMAP_SEVF_WAIT_CONT | IMAP_SEVF_LIT_CONVERT;
}

static void
client_command(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_token	*tok;
	const struct imap_cmd_desc *d, *sub;
	struct imap_cmd		*c;
	unsigned int		 ntok;
	enum imap_state		 st;
	int			 invalid = 0;

	tok = imap_parser_tokens(&s->cli, &ntok);
	if (s->ninflight >= s->lim.inflight_max) {
		if (!sev->ev.final &&
		    IMAP_LIT_KIND(sev->ev.lit) != IMAP_LIT_SYNC) {
			close_session(s, sev, "Too many commands in flight");
			return;
		}
		set_reply(s, sev, IMAP_ACT_REPLY, tok[0].p, tok[0].len, "BAD",
		    NULL, "Too many commands in flight");
		if (!sev->ev.final)
			imap_parser_abort_message(&s->cli);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close_session(s, sev, "Out of memory");
		return;
	}
	memcpy(c->tag, tok[0].p, tok[0].len);
	upname(c->name, sizeof(c->name), tok[1].p, tok[1].len);
	d = imap_cmd_lookup((const char *)tok[1].p, tok[1].len);
	if (d != NULL && strcmp(d->name, "UID") == 0 && ntok > 2 &&
	    tok[2].type == IMAP_TOK_ATOM) {
		sub = imap_cmd_lookup((const char *)tok[2].p, tok[2].len);
		snprintf(c->name, sizeof(c->name), "UID ");
		upname(c->name + 4, sizeof(c->name) - 4, tok[2].p,
		    tok[2].len);
		if (sub == NULL || !(sub->flags & IMAP_CMDF_UID))
			invalid = 1;
		d = sub;
	}
	c->desc = d;
	st = imap_session_projected_state(s);
	if (invalid || (d != NULL && !(d->states & IMAP_STB(st))))
		sev->flags |= IMAP_SEVF_INVALID_STATE;
	if (d != NULL && (d->flags & IMAP_CMDF_COMPRESS))
		sev->flags |= IMAP_SEVF_COMPRESS;
	if (d != NULL && (d->flags & IMAP_CMDF_STARTTLS))
		sev->flags |= IMAP_SEVF_STARTTLS;
	TAILQ_INSERT_TAIL(&s->inflight, c, entry);
	s->ninflight++;
	s->cur = c;
	sev->cmd = c;
	sev->flags |= IMAP_SEVF_CMD_START;
	sev->act = IMAP_ACT_FORWARD;
	if (sev->ev.final)
		message_complete(s);
	else
		client_literal(s, sev);
}

static int
base64_ok(const struct imap_token *t)
{
	size_t	 i, pad = 0;

	for (i = 0; i < t->len; i++) {
		uint8_t	 c = t->p[i];

		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return 0;
	}
	return pad <= 2;
}

/*
 * A line that is not a command: DONE ends IDLE; during AUTHENTICATE a
 * base64 line, "" or "*".  Anything else is not passed on: the upstream
 * gets the line that ends the exchange (DONE, or "*"), so no server can
 * take the bad line for a command.
 */
static void
client_raw(struct imap_session *s, struct imap_sev *sev, int valid)
{
	const struct imap_token	*tok;
	unsigned int		 ntok;

	tok = imap_parser_tokens(&s->cli, &ntok);
	if (s->idle != NULL) {
		sev->cmd = s->idle;
		sev->flags |= IMAP_SEVF_DONE;
		set_raw(s, 0);
		if (valid && imap_tok_is(&tok[0], "DONE"))
			sev->act = IMAP_ACT_FORWARD;
		else {
			sev->act = IMAP_ACT_SUBST;
			sev->reply = "DONE\r\n";
			sev->replylen = 6;
		}
		return;
	}
	sev->cmd = s->auth;
	sev->flags |= IMAP_SEVF_SASL;
	set_raw(s, 0);
	if (valid && tok[0].len == 1 && tok[0].p[0] == '*') {
		sev->flags |= IMAP_SEVF_SASL_CANCEL;
		sev->act = IMAP_ACT_FORWARD;
	} else if (valid && base64_ok(&tok[0]))
		sev->act = IMAP_ACT_FORWARD;
	else {
		sev->flags |= IMAP_SEVF_SASL_CANCEL;
		sev->act = IMAP_ACT_SUBST;
		sev->reply = "*\r\n";
		sev->replylen = 3;
	}
}

static void
client_error(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;

	if (ev->fatal) {
		close_session(s, sev, imap_err_str(ev->err));
		return;
	}
	if (ev->seg == 0 && s->raw) {
		client_raw(s, sev, 0);
		return;
	}
	if (s->cli_discard) {
		s->cli_discard = 0;
		sev->act = IMAP_ACT_DROP;
		return;
	}
	if (ev->seg > 0) {
		close_session(s, sev, imap_err_str(ev->err));
		return;
	}
	set_reply(s, sev, IMAP_ACT_REPLY, ev->tag, ev->taglen, "BAD", NULL,
	    imap_err_str(ev->err));
}

static void
client_line(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;

	if (ev->seg == 0 && s->raw) {
		client_raw(s, sev, 1);
		return;
	}
	if (ev->seg == 0) {
		client_command(s, sev);
		return;
	}
	sev->cmd = s->cur;
	if (s->cli_discard) {
		sev->act = IMAP_ACT_DROP;
		/*
		 * A {n} nobody will answer "+": the client, which has its
		 * tagged answer, sends no octets and goes on with its next
		 * command.
		 */
		if (!ev->final && IMAP_LIT_KIND(ev->lit) == IMAP_LIT_SYNC) {
			imap_parser_abort_message(&s->cli);
			s->cli_discard = 0;
		} else if (ev->final)
			s->cli_discard = 0;
		return;
	}
	sev->act = IMAP_ACT_FORWARD;
	if (ev->final)
		message_complete(s);
	else
		client_literal(s, sev);
}

static void
sev_reset(struct imap_session *s, struct imap_sev *sev)
{
	free(s->done);
	s->done = NULL;
	memset(sev, 0, sizeof(*sev));
}

size_t
imap_session_client(struct imap_session *s, const uint8_t *data, size_t len,
    struct imap_sev *sev)
{
	size_t	 n;

	sev_reset(s, sev);
	if (s->closed) {
		close_session(s, sev, "Session closed");
		return len;
	}
	if (s->wait != WAIT_NONE) {
		sev->act = IMAP_ACT_NONE;
		sev->flags = IMAP_SEVF_BLOCKED;
		return 0;
	}
	if (len > 0 && (s->tls_switch || s->starttls != NULL)) {
		close_session(s, sev, "Data after STARTTLS");
		return len;
	}
	n = imap_parser_feed(&s->cli, data, len, &sev->ev);
	switch (sev->ev.type) {
	case IMAP_EV_NEED_MORE:
		sev->act = IMAP_ACT_NONE;
		break;
	case IMAP_EV_LITDATA:
		sev->cmd = s->cur;
		sev->act = s->cli_discard ? IMAP_ACT_DROP : IMAP_ACT_FORWARD;
		break;
	case IMAP_EV_ERROR:
		client_error(s, sev);
		break;
	case IMAP_EV_LINE:
		client_line(s, sev);
		break;
	}
	return n;
}

/* ---- server side ---- */

/* A list of capability atoms from tok[i] on replaces what we knew. */
static void
caps_from(struct imap_session *s, struct imap_sev *sev,
    const struct imap_token *tok, unsigned int i, unsigned int ntok)
{
	uint64_t	 caps = 0;

	for (; i < ntok && tok[i].type == IMAP_TOK_ATOM; i++)
		caps |= imap_cap_bit(tok[i].p, tok[i].len);
	s->caps = caps;
	sev->flags |= IMAP_SEVF_CAPS;
}

/* The name of a response code at tok[i], or NULL. */
static const struct imap_token *
code_name(const struct imap_token *tok, unsigned int i, unsigned int ntok)
{
	if (i + 1 < ntok && tok[i].type == IMAP_TOK_CODE_BEGIN &&
	    tok[i + 1].type == IMAP_TOK_ATOM)
		return &tok[i + 1];
	return NULL;
}

static void
code_caps(struct imap_session *s, struct imap_sev *sev,
    const struct imap_token *tok, unsigned int i, unsigned int ntok)
{
	const struct imap_token	*code = code_name(tok, i, ntok);

	if (code != NULL && imap_tok_is(code, "CAPABILITY"))
		caps_from(s, sev, tok, i + 2, ntok);
}

static void
set_state(struct imap_session *s, struct imap_sev *sev, enum imap_state st)
{
	if (s->state != st)
		sev->flags |= IMAP_SEVF_STATE;
	s->state = st;
}

static void
server_greeting(struct imap_session *s, struct imap_sev *sev,
    const struct imap_token *tok, unsigned int ntok)
{
	if (tok[0].type != IMAP_TOK_STAR || tok[1].type != IMAP_TOK_ATOM) {
		close_session(s, sev, "Invalid greeting from upstream");
		return;
	}
	sev->flags |= IMAP_SEVF_GREETING;
	if (strcmp(sev->resp, "OK") == 0)
		set_state(s, sev, IMAP_ST_NOTAUTH);
	else if (strcmp(sev->resp, "PREAUTH") == 0)
		set_state(s, sev, IMAP_ST_AUTH);
	else if (strcmp(sev->resp, "BYE") == 0)
		set_state(s, sev, IMAP_ST_LOGOUT);
	else {
		close_session(s, sev, "Invalid greeting from upstream");
		return;
	}
	code_caps(s, sev, tok, 2, ntok);
}

static void
server_untagged(struct imap_session *s, struct imap_sev *sev,
    const struct imap_token *tok, unsigned int ntok)
{
	const struct imap_token	*code;
	struct imap_cmd		*c = NULL;
	unsigned int		 i = tok[1].type == IMAP_TOK_NUMBER ? 2 : 1;

	upname(sev->resp, sizeof(sev->resp), tok[i].p, tok[i].len);
	if (s->state == IMAP_ST_GREETING) {
		server_greeting(s, sev, tok, ntok);
		return;
	}
	code = code_name(tok, i + 1, ntok);
	if (strcmp(sev->resp, "CAPABILITY") == 0)
		caps_from(s, sev, tok, i + 1, ntok);
	else if (i == 1)
		code_caps(s, sev, tok, i + 1, ntok);
	if (strcmp(sev->resp, "ENABLED") == 0)
		for (i = 2; i < ntok; i++)
			if (tok[i].type == IMAP_TOK_ATOM)
				s->enabled |= imap_cap_bit(tok[i].p,
				    tok[i].len);

	if (strcmp(sev->resp, "BYE") == 0) {
		c = find_flag(s, IMAP_CMDF_LOGOUT);
		set_state(s, sev, IMAP_ST_LOGOUT);
	} else if (strcmp(sev->resp, "NO") == 0 ||
	    strcmp(sev->resp, "BAD") == 0 ||
	    strcmp(sev->resp, "PREAUTH") == 0)
		c = NULL;
	else if (strcmp(sev->resp, "OK") == 0)
		c = code != NULL && imap_tok_is(code, "ALERT") ? NULL :
		    find_solicitor(s, "OK");
	else if (strcmp(sev->resp, "ESEARCH") == 0 && ntok > 5 &&
	    tok[2].type == IMAP_TOK_LIST_BEGIN && imap_tok_is(&tok[3], "TAG") &&
	    tok[4].type == IMAP_TOK_QUOTED)
		c = find_tag(s, tok[4].p, tok[4].len);
	else
		c = find_solicitor(s, sev->resp);
	sev->cmd = c;
	if (c == NULL)
		sev->flags |= IMAP_SEVF_UNSOLICITED;
	else if (c->flags & IMAP_CMD_PRIVATE) {
		sev->flags |= IMAP_SEVF_PRIVATE;
		sev->act = IMAP_ACT_DROP;
	}
}

static void
server_tagged(struct imap_session *s, struct imap_sev *sev,
    const struct imap_token *tok, unsigned int ntok)
{
	struct imap_cmd	*c;
	unsigned int	 f;
	int		 ok, no;

	upname(sev->resp, sizeof(sev->resp), tok[1].p, tok[1].len);
	if ((c = find_tag(s, tok[0].p, tok[0].len)) == NULL) {
		sev->flags |= IMAP_SEVF_UNKNOWN_TAG;
		sev->act = IMAP_ACT_DROP;
		return;
	}
	sev->cmd = c;
	sev->flags |= IMAP_SEVF_CMD_DONE;
	if (c->flags & IMAP_CMD_PRIVATE) {
		sev->flags |= IMAP_SEVF_PRIVATE;
		sev->act = IMAP_ACT_DROP;
	}
	code_caps(s, sev, tok, 2, ntok);
	ok = strcmp(sev->resp, "OK") == 0;
	no = strcmp(sev->resp, "NO") == 0;
	f = c->desc != NULL ? c->desc->flags : 0;
	if (ok)
		set_state(s, sev, after_success(s->state, c->desc));
	else if (no && (f & IMAP_CMDF_SELECT))
		set_state(s, sev, IMAP_ST_AUTH);
	if (ok && (f & IMAP_CMDF_STARTTLS)) {
		sev->flags |= IMAP_SEVF_STARTTLS;
		s->tls_switch = 1;
		s->caps = 0;
	}
	if (ok && (f & IMAP_CMDF_COMPRESS))
		close_session(s, sev, "Compression cannot be inspected");
	/* Answered before the client sent all of it. */
	if (s->cur == c) {
		if (s->wait == WAIT_SYNC)
			imap_parser_abort_message(&s->cli);
		else
			s->cli_discard = 1;
		s->wait = WAIT_NONE;
	}
	cmd_remove(s, c);
}

static void
server_cont(struct imap_session *s, struct imap_sev *sev)
{
	snprintf(sev->resp, sizeof(sev->resp), "+");
	if (s->wait != WAIT_NONE) {
		sev->cmd = s->cur;
		sev->flags |= IMAP_SEVF_CONT;
		sev->act = s->wait == WAIT_SYNC ? IMAP_ACT_FORWARD :
		    IMAP_ACT_DROP;
		s->wait = WAIT_NONE;
	} else if (s->auth != NULL) {
		sev->cmd = s->auth;
		set_raw(s, 1);
	}
	else if (s->idle != NULL)
		sev->cmd = s->idle;
	else {
		/* Nobody asked: a client could take it for its own. */
		sev->flags |= IMAP_SEVF_UNSOLICITED;
		sev->act = IMAP_ACT_DROP;
	}
}

static void
server_line(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_token	*tok;
	unsigned int		 ntok;

	if (sev->ev.seg > 0) {
		sev->cmd = s->srv_cmd;
		sev->flags = s->srv_flags;
		memcpy(sev->resp, s->srv_resp, sizeof(sev->resp));
		sev->act = (s->srv_flags & IMAP_SEVF_PRIVATE) ?
		    IMAP_ACT_DROP : IMAP_ACT_FORWARD;
		return;
	}
	tok = imap_parser_tokens(&s->srv, &ntok);
	sev->act = IMAP_ACT_FORWARD;
	if (s->state == IMAP_ST_GREETING && tok[0].type != IMAP_TOK_STAR) {
		close_session(s, sev, "Invalid greeting from upstream");
		return;
	}
	switch (tok[0].type) {
	case IMAP_TOK_PLUS:
		server_cont(s, sev);
		break;
	case IMAP_TOK_STAR:
		server_untagged(s, sev, tok, ntok);
		break;
	default:
		server_tagged(s, sev, tok, ntok);
		break;
	}
	s->srv_cmd = (sev->flags & IMAP_SEVF_CMD_DONE) ? NULL :
	    (struct imap_cmd *)sev->cmd;
	s->srv_flags = sev->flags & (IMAP_SEVF_UNSOLICITED | IMAP_SEVF_PRIVATE);
	memcpy(s->srv_resp, sev->resp, sizeof(s->srv_resp));
}

size_t
imap_session_server(struct imap_session *s, const uint8_t *data, size_t len,
    struct imap_sev *sev)
{
	char	 why[128];
	size_t	 n;

	sev_reset(s, sev);
	if (s->closed) {
		close_session(s, sev, "Session closed");
		return len;
	}
	if (len > 0 && s->tls_switch) {
		close_session(s, sev, "Upstream sent data after STARTTLS");
		return len;
	}
	n = imap_parser_feed(&s->srv, data, len, &sev->ev);
	switch (sev->ev.type) {
	case IMAP_EV_NEED_MORE:
		sev->act = IMAP_ACT_NONE;
		break;
	case IMAP_EV_LITDATA:
		sev->cmd = s->srv_cmd;
		sev->flags = s->srv_flags;
		memcpy(sev->resp, s->srv_resp, sizeof(sev->resp));
		sev->act = (s->srv_flags & IMAP_SEVF_PRIVATE) ?
		    IMAP_ACT_DROP : IMAP_ACT_FORWARD;
		break;
	case IMAP_EV_ERROR:
		snprintf(why, sizeof(why), "Upstream protocol error: %s",
		    imap_err_str(sev->ev.err));
		close_session(s, sev, why);
		break;
	case IMAP_EV_LINE:
		server_line(s, sev);
		break;
	}
	return n;
}

/* ---- for the relay and the policy ---- */

static int
in_queue(struct imap_session *s, const struct imap_cmd *cmd)
{
	struct imap_cmd	*c;

	TAILQ_FOREACH(c, &s->inflight, entry)
		if (c == cmd)
			return 1;
	return 0;
}

int
imap_session_refuse(struct imap_session *s, const struct imap_cmd *cmd)
{
	struct imap_cmd	*c = (struct imap_cmd *)cmd;

	if (!in_queue(s, cmd))
		return -1;
	if (s->cur == c) {
		/* a {n+} the client is sending anyway: drop it as it comes */
		if (s->wait == WAIT_SYNC || imap_parser_idle(&s->cli))
			imap_parser_abort_message(&s->cli);
		else
			s->cli_discard = 1;
		s->wait = WAIT_NONE;
	}
	cmd_remove(s, c);
	return 0;
}

int
imap_session_inject(struct imap_session *s, const char *tag,
    const char *name)
{
	struct imap_cmd	*c;

	if (s->closed || s->cur != NULL || s->idle != NULL ||
	    s->auth != NULL || s->starttls != NULL || s->wait != WAIT_NONE ||
	    !imap_parser_idle(&s->cli) || strlen(tag) > IMAP_TAG_MAX ||
	    s->ninflight >= s->lim.inflight_max)
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	snprintf(c->tag, sizeof(c->tag), "%s", tag);
	upname(c->name, sizeof(c->name), (const uint8_t *)name, strlen(name));
	c->desc = imap_cmd_lookup(name, strlen(name));
	c->flags = IMAP_CMD_PRIVATE | IMAP_CMD_SENT;
	TAILQ_INSERT_TAIL(&s->inflight, c, entry);
	s->ninflight++;
	return 0;
}
