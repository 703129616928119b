/*
 * Feeds both directions of one IMAP session through the parser and
 * decides, message by message, what the relay forwards.  This is the
 * session logic the worker needs before the engine's own session layer
 * (imap_session.h) exists; when it does, it replaces the bookkeeping here
 * and imap_relay_input() stays the one place the relay calls.
 *
 * What is tracked, and why:
 *  - commands in flight, by tag: a tagged response ends one; their
 *    number is bounded (imap_limits.inflight_max);
 *  - a synchronizing literal {n}: the client's octets stay in the relay's
 *    input buffer until the server's "+"; a tagged answer instead means
 *    the client will not send them (RFC 9051 section 4.3);
 *  - continuation requests of IDLE and AUTHENTICATE, after which client
 *    lines are not commands (DONE, base64) and the parser goes raw;
 *  - whether the server's output is in the middle of a response, since
 *    our own answers may only go between two of them;
 *  - login, for the timers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bsd/sys/queue.h>

#include "buf.h"
#include "imap_limits.h"
#include "imap_parse.h"
#include "imap_relay.h"
#include "log.h"
#include "relay.h"

/* Inside IDLE the client may say nothing for 29 minutes (RFC 2177). */
#define IDLE_TIMEOUT_MIN	(30 * 60)
/* Our own answers waiting for the end of a server response. */
#define PENDING_MAX		(64 * 1024)

enum cmd_kind {
	CMD_OTHER,
	CMD_LOGIN,
	CMD_AUTHENTICATE,
	CMD_IDLE,
	CMD_LOGOUT,
	CMD_APPEND,
	CMD_COMPRESS,
	CMD_STARTTLS
};

struct cmd {
	TAILQ_ENTRY(cmd)	 entry;
	enum cmd_kind		 kind;
	size_t			 taglen;
	char			 tag[IMAP_TAG_MAX + 1];
};
TAILQ_HEAD(cmdlist, cmd);

struct imap_relay {
	struct relay			*relay;
	const struct worker_config	*conf;
	struct imap_limits		 lim;
	struct imap_parser		 cp;		/* client commands */
	struct imap_parser		 sp;		/* server responses */
	struct cmdlist			 inflight;
	unsigned int			 ninflight;
	/* The client command being received (between its segments). */
	struct cmd			*cur;		/* NULL once answered */
	enum cmd_kind			 cur_kind;
	int				 cur_fwd;	/* a segment went out */
	int				 cur_drop;	/* refused: skip the rest */
	int				 held;		/* {n}: wait for "+" */
	struct cmd			*cont;		/* IDLE, AUTHENTICATE */
	int				 raw;		/* client lines not commands */
	int				 greeted;
	int				 authed;
	int				 logout;
	int				 srv_mid;	/* in a server response */
	int				 closed;
	int				 byesent;
	struct buf			 pending;	/* our answers */
	struct buf			 scratch;	/* a rewritten line */
	uint32_t			 commands;
};

static size_t	 client_input(struct imap_relay *, const uint8_t *, size_t);
static void	 client_line(struct imap_relay *, const struct imap_event *);
static int	 client_start(struct imap_relay *, const struct imap_event *);
static int	 literal_ok(struct imap_relay *, const struct imap_event *);
static void	 client_error(struct imap_relay *, const struct imap_event *);
static void	 refuse(struct imap_relay *, const struct imap_event *,
		    const char *);
static size_t	 server_input(struct imap_relay *, const uint8_t *, size_t);
static void	 server_line(struct imap_relay *, const struct imap_event *);
static void	 server_tagged(struct imap_relay *, const struct imap_token *);
static void	 server_continue(struct imap_relay *);
static int	 capability_strip(struct imap_relay *,
		    const struct imap_event *);
static void	 answer(struct imap_relay *, const char *, size_t,
		    const char *);
static void	 deliver(struct imap_relay *);
static void	 fail(struct imap_relay *, const char *);
static void	 set_raw(struct imap_relay *, int);
static enum cmd_kind classify(const struct imap_token *);

struct imap_relay *
imap_relay_new(struct relay *r, const struct worker_config *conf)
{
	struct imap_relay	*ir;

	if ((ir = calloc(1, sizeof(*ir))) == NULL)
		return NULL;
	ir->relay = r;
	ir->conf = conf;
	TAILQ_INIT(&ir->inflight);
	imap_limits_default(&ir->lim);
	if (conf->max_line >= 1024)
		ir->lim.cmd_line_max = conf->max_line;
	/* An untagged SEARCH is one line: never below the default. */
	if (conf->max_line > ir->lim.resp_line_max)
		ir->lim.resp_line_max = conf->max_line;
	ir->lim.lit_append_max = conf->max_literal;
	if (ir->lim.lit_max > conf->max_literal)
		ir->lim.lit_max = conf->max_literal;
	buf_init(&ir->pending, PENDING_MAX);
	buf_init(&ir->scratch, ir->lim.resp_line_max);
	if (imap_parser_init(&ir->cp, IMAP_DIR_CLIENT, &ir->lim) == -1) {
		free(ir);
		return NULL;
	}
	if (imap_parser_init(&ir->sp, IMAP_DIR_SERVER, &ir->lim) == -1) {
		imap_parser_free(&ir->cp);
		free(ir);
		return NULL;
	}
	return ir;
}

void
imap_relay_free(struct imap_relay *ir)
{
	struct cmd	*c;

	while ((c = TAILQ_FIRST(&ir->inflight)) != NULL) {
		TAILQ_REMOVE(&ir->inflight, c, entry);
		free(c);
	}
	imap_parser_free(&ir->cp);
	imap_parser_free(&ir->sp);
	buf_free(&ir->pending);
	buf_free(&ir->scratch);
	free(ir);
}

uint32_t
imap_relay_commands(const struct imap_relay *ir)
{
	return ir->commands;
}

int
imap_relay_logout(const struct imap_relay *ir)
{
	return ir->logout;
}

size_t
imap_relay_input(struct imap_relay *ir, enum relay_side from,
    const uint8_t *data, size_t len)
{
	if (ir->closed)
		return 0;
	if (from == RELAY_CLIENT)
		return client_input(ir, data, len);
	return server_input(ir, data, len);
}

void
imap_relay_bye(struct imap_relay *ir, const char *text)
{
	if (ir->byesent || ir->srv_mid)
		return;
	ir->byesent = 1;
	/* Before the greeting, BYE is the greeting; our answers are moot. */
	if (!ir->greeted)
		buf_reset(&ir->pending);
	if (buf_printf(&ir->pending, "* BYE %s\r\n", text) == -1)
		buf_reset(&ir->pending);
	ir->greeted = 1;
	deliver(ir);
}

/* End the session with "* BYE text", for what cannot be answered BAD. */
static void
fail(struct imap_relay *ir, const char *text)
{
	imap_relay_bye(ir, text);
	relay_close(ir->relay, WORKER_END_ERROR);
	ir->closed = 1;
}

/* Our answer, once the client is between two server responses. */
static void
answer(struct imap_relay *ir, const char *tag, size_t taglen,
    const char *text)
{
	if (tag == NULL) {
		tag = "*";
		taglen = 1;
	}
	if (buf_printf(&ir->pending, "%.*s %s\r\n", (int)taglen, tag,
	    text) == -1) {
		buf_reset(&ir->pending);
		fail(ir, "Too many errors");
		return;
	}
	deliver(ir);
}

static void
deliver(struct imap_relay *ir)
{
	if (!ir->greeted || ir->srv_mid || buf_len(&ir->pending) == 0)
		return;
	relay_forward(ir->relay, RELAY_CLIENT, buf_data(&ir->pending),
	    buf_len(&ir->pending), 0);
	buf_reset(&ir->pending);
}

static void
set_raw(struct imap_relay *ir, int on)
{
	ir->raw = on;
	imap_parser_set_raw(&ir->cp, on);
}

static size_t
client_input(struct imap_relay *ir, const uint8_t *data, size_t len)
{
	struct imap_event	 ev;
	size_t			 used = 0;

	while (used < len && !ir->held && !ir->closed) {
		used += imap_parser_feed(&ir->cp, data + used, len - used,
		    &ev);
		switch (ev.type) {
		case IMAP_EV_NEED_MORE:
			break;
		case IMAP_EV_LINE:
			client_line(ir, &ev);
			break;
		case IMAP_EV_LITDATA:
			if (!ir->cur_drop)
				relay_forward(ir->relay, RELAY_UPSTREAM,
				    ev.data, ev.len, 1);
			break;
		case IMAP_EV_ERROR:
			client_error(ir, &ev);
			break;
		}
	}
	return used;
}

static enum cmd_kind
classify(const struct imap_token *t)
{
	static const struct {
		const char	*name;
		enum cmd_kind	 kind;
	} names[] = {
		{ "LOGIN", CMD_LOGIN },
		{ "AUTHENTICATE", CMD_AUTHENTICATE },
		{ "IDLE", CMD_IDLE },
		{ "LOGOUT", CMD_LOGOUT },
		{ "APPEND", CMD_APPEND },
		{ "COMPRESS", CMD_COMPRESS },
		{ "STARTTLS", CMD_STARTTLS },
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (imap_tok_is(t, names[i].name))
			return names[i].kind;
	return CMD_OTHER;
}

static void
client_line(struct imap_relay *ir, const struct imap_event *ev)
{
	if (ir->raw) {
		/* DONE, or an answer to an AUTHENTICATE challenge. */
		relay_forward(ir->relay, RELAY_UPSTREAM, ev->raw, ev->rawlen,
		    0);
		if (ir->cont != NULL && ir->cont->kind == CMD_IDLE) {
			/* Whatever it was, it ends IDLE on the server. */
			set_raw(ir, 0);
			ir->cont = NULL;
			relay_set_timeout(ir->relay, ir->conf->timeout_idle);
		}
		return;
	}
	if (ev->seg == 0) {
		if (client_start(ir, ev) == -1)
			return;
	} else if (ir->cur_drop) {
		if (ev->final)
			ir->cur_drop = 0;
		return;
	}
	if (ev->lit != IMAP_LIT_NONE && !literal_ok(ir, ev))
		return;
	relay_forward(ir->relay, RELAY_UPSTREAM, ev->raw, ev->rawlen, 0);
	ir->cur_fwd = 1;
	if (ev->final)
		ir->cur = NULL;
	else if (IMAP_LIT_KIND(ev->lit) == IMAP_LIT_SYNC)
		ir->held = 1;
}

/* A new command: refuse it here (-1), or start tracking it. */
static int
client_start(struct imap_relay *ir, const struct imap_event *ev)
{
	const struct imap_token	*tok;
	struct cmd		*c;
	unsigned int		 n;

	tok = imap_parser_tokens(&ir->cp, &n) + ev->tok_first;
	ir->commands++;
	ir->cur = NULL;
	ir->cur_fwd = 0;
	ir->cur_drop = 0;
	ir->cur_kind = ev->tok_count >= 2 ? classify(&tok[1]) : CMD_OTHER;
	if (ev->tok_count < 2 || tok[0].type != IMAP_TOK_TAG ||
	    tok[0].len > IMAP_TAG_MAX) {
		/* The parser lets no such command through; be sure. */
		fail(ir, "Command not understood");
		return -1;
	}
	switch (ir->cur_kind) {
	case CMD_COMPRESS:
		/* We could not parse what follows (RFC 4978). */
		refuse(ir, ev, "NO [CANNOT] COMPRESS is not available "
		    "through this proxy");
		return -1;
	case CMD_STARTTLS:
		refuse(ir, ev, "NO [CANNOT] STARTTLS is not available "
		    "through this proxy");
		return -1;
	default:
		break;
	}
	if (ir->ninflight >= ir->lim.inflight_max) {
		refuse(ir, ev, "BAD Too many commands in progress");
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fail(ir, "Out of memory");
		return -1;
	}
	c->kind = ir->cur_kind;
	c->taglen = tok[0].len;
	memcpy(c->tag, tok[0].p, tok[0].len);
	TAILQ_INSERT_TAIL(&ir->inflight, c, entry);
	ir->ninflight++;
	ir->cur = c;
	switch (c->kind) {
	case CMD_IDLE:
	case CMD_AUTHENTICATE:
		ir->cont = c;
		break;
	case CMD_LOGOUT:
		ir->logout = 1;
		break;
	default:
		break;
	}
	return 0;
}

/* A literal announced at the end of ev: within the limits? */
static int
literal_ok(struct imap_relay *ir, const struct imap_event *ev)
{
	uint64_t	 max;

	max = ir->cur_kind == CMD_APPEND ? ir->lim.lit_append_max :
	    ir->lim.lit_max;
	if (IMAP_LIT_KIND(ev->lit) == IMAP_LIT_MINUS) {
		refuse(ir, ev, "BAD Literal {n-} is not IMAP syntax");
		return 0;
	}
	if (ev->litlen > max) {
		refuse(ir, ev, "NO [TOOBIG] Literal too big");
		return 0;
	}
	return 1;
}

/*
 * Answer the command being received in the server's place and forward
 * none of it.  Its literal: a synchronizing one the client will not send
 * after our answer; any other comes anyway and is skipped.  Once part of
 * the command went out, the server waits for the rest: only BYE is left.
 */
static void
refuse(struct imap_relay *ir, const struct imap_event *ev, const char *text)
{
	const struct imap_token	*tok;
	unsigned int		 n;

	if (ir->cur_fwd) {
		fail(ir, text);
		return;
	}
	tok = imap_parser_tokens(&ir->cp, &n);
	answer(ir, (const char *)tok[0].p, tok[0].len, text);
	if (ir->cur != NULL) {
		TAILQ_REMOVE(&ir->inflight, ir->cur, entry);
		ir->ninflight--;
		if (ir->cont == ir->cur)
			ir->cont = NULL;
		free(ir->cur);
		ir->cur = NULL;
	}
	if (ev->final)
		return;
	if (IMAP_LIT_KIND(ev->lit) == IMAP_LIT_SYNC)
		imap_parser_abort_message(&ir->cp);
	else
		ir->cur_drop = 1;
}

static void
client_error(struct imap_relay *ir, const struct imap_event *ev)
{
	char	 text[128];

	if (ev->fatal || ir->raw || (ev->seg > 0 && ir->cur_fwd &&
	    !ir->cur_drop)) {
		fail(ir, imap_err_str(ev->err));
		return;
	}
	if (ir->cur_drop) {
		/* Refused already; the parser is past it now. */
		ir->cur_drop = 0;
		return;
	}
	if (ev->seg == 0)
		ir->commands++;
	(void)snprintf(text, sizeof(text), "BAD %s", imap_err_str(ev->err));
	answer(ir, (const char *)ev->tag, ev->taglen, text);
}

static size_t
server_input(struct imap_relay *ir, const uint8_t *data, size_t len)
{
	struct imap_event	 ev;
	size_t			 used = 0;

	while (used < len && !ir->closed) {
		used += imap_parser_feed(&ir->sp, data + used, len - used,
		    &ev);
		switch (ev.type) {
		case IMAP_EV_NEED_MORE:
			break;
		case IMAP_EV_LINE:
			server_line(ir, &ev);
			break;
		case IMAP_EV_LITDATA:
			relay_forward(ir->relay, RELAY_CLIENT, ev.data,
			    ev.len, 1);
			break;
		case IMAP_EV_ERROR:
			/*
			 * Its framing may differ from the client's reading
			 * of it: nothing more can go through.
			 */
			log_warnx("server response: %s: \"%.*s\"",
			    imap_err_str(ev.err),
			    (int)(ev.rawlen > 200 ? 200 : ev.rawlen),
			    ev.raw != NULL ? (const char *)ev.raw : "");
			fail(ir, "[UNAVAILABLE] Server response not "
			    "understood");
			break;
		}
	}
	return used;
}

static void
server_line(struct imap_relay *ir, const struct imap_event *ev)
{
	const struct imap_token	*tok;
	unsigned int		 n;

	tok = imap_parser_tokens(&ir->sp, &n) + ev->tok_first;
	if (ev->seg == 0 && ev->tok_count > 0) {
		if (!ir->greeted) {
			ir->greeted = 1;
			relay_greeted(ir->relay);
			if (ev->tok_count >= 2 && imap_tok_is(&tok[1],
			    "PREAUTH")) {
				ir->authed = 1;
				relay_set_timeout(ir->relay,
				    ir->conf->timeout_idle);
			}
		} else if (tok[0].type == IMAP_TOK_PLUS)
			server_continue(ir);
		else if (tok[0].type == IMAP_TOK_TAG)
			server_tagged(ir, tok);
	}
	if (!ev->final || !capability_strip(ir, ev))
		relay_forward(ir->relay, RELAY_CLIENT, ev->raw, ev->rawlen, 0);
	ir->srv_mid = !ev->final;
	deliver(ir);
}

/* A "+": for the held literal, or for IDLE or AUTHENTICATE. */
static void
server_continue(struct imap_relay *ir)
{
	unsigned int	 t;

	if (ir->held) {
		ir->held = 0;
		return;
	}
	if (ir->cont == NULL)
		return;
	set_raw(ir, 1);
	if (ir->cont->kind == CMD_IDLE) {
		t = ir->conf->timeout_imap_idle;
		relay_set_timeout(ir->relay, t < IDLE_TIMEOUT_MIN ?
		    IDLE_TIMEOUT_MIN : t);
	}
}

static void
server_tagged(struct imap_relay *ir, const struct imap_token *tok)
{
	struct cmd	*c;
	int		 ok;

	TAILQ_FOREACH(c, &ir->inflight, entry)
		if (c->taglen == tok[0].len &&
		    memcmp(c->tag, tok[0].p, c->taglen) == 0)
			break;
	if (c == NULL)
		return;
	ok = imap_tok_is(&tok[1], "OK");
	if (c == ir->cur) {
		/* Answered before the client sent all of it. */
		if (ir->held) {
			/* The client will not send the literal now. */
			imap_parser_abort_message(&ir->cp);
			ir->held = 0;
		}
		ir->cur = NULL;
	}
	if (c == ir->cont) {
		ir->cont = NULL;
		set_raw(ir, 0);
		if (c->kind == CMD_IDLE && ir->authed)
			relay_set_timeout(ir->relay, ir->conf->timeout_idle);
	}
	if (ok && (c->kind == CMD_LOGIN || c->kind == CMD_AUTHENTICATE) &&
	    !ir->authed) {
		ir->authed = 1;
		relay_set_timeout(ir->relay, ir->conf->timeout_idle);
	}
	TAILQ_REMOVE(&ir->inflight, c, entry);
	ir->ninflight--;
	free(c);
}

/* Capabilities we cannot offer through the proxy. */
static int
capability_hidden(const struct imap_token *t)
{
	return t->type == IMAP_TOK_ATOM && (imap_tok_is(t, "STARTTLS") ||
	    (t->len > 9 && strncasecmp((const char *)t->p, "COMPRESS=",
	    9) == 0));
}

/*
 * "* CAPABILITY ..." or a [CAPABILITY ...] code: forward the line without
 * the capabilities we hide, and say so (1); 0 to forward it as it is.
 */
static int
capability_strip(struct imap_relay *ir, const struct imap_event *ev)
{
	const struct imap_token	*tok;
	const uint8_t		*raw = ev->raw, *from;
	unsigned int		 i, n, start = 0;
	int			 found = 0;

	tok = imap_parser_tokens(&ir->sp, &n) + ev->tok_first;
	n = ev->tok_count;
	if (ev->seg != 0 || n < 2 || tok[0].type == IMAP_TOK_PLUS)
		return 0;
	if (tok[0].type == IMAP_TOK_STAR && imap_tok_is(&tok[1], "CAPABILITY"))
		start = 2;
	for (i = 1; start == 0 && i + 1 < n; i++)
		if (tok[i].type == IMAP_TOK_CODE_BEGIN &&
		    imap_tok_is(&tok[i + 1], "CAPABILITY"))
			start = i + 2;
	if (start == 0)
		return 0;
	for (i = start; i < n && tok[i].type != IMAP_TOK_CODE_END; i++)
		if (capability_hidden(&tok[i]))
			found = 1;
	if (!found)
		return 0;

	buf_reset(&ir->scratch);
	from = raw;
	for (i = start; i < n && tok[i].type != IMAP_TOK_CODE_END; i++) {
		/* Drop the atom and the space before it. */
		if (!capability_hidden(&tok[i]) || tok[i].p <= raw ||
		    tok[i].p + tok[i].len > raw + ev->rawlen ||
		    tok[i].p[-1] != ' ')
			continue;
		if (buf_add(&ir->scratch, from, (size_t)(tok[i].p - 1 -
		    from)) == -1)
			return 0;
		from = tok[i].p + tok[i].len;
	}
	if (buf_add(&ir->scratch, from, (size_t)(raw + ev->rawlen - from)) ==
	    -1)
		return 0;
	relay_forward(ir->relay, RELAY_CLIENT, buf_data(&ir->scratch),
	    buf_len(&ir->scratch), 0);
	return 1;
}
