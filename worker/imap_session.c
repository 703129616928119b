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

/* What the session waits for from the upstream before the client. */
enum {
	WAIT_NONE,
	WAIT_OUT,		/* a held chunk's {n}: drop the upstream's + */
	WAIT_STREAM_SYNC,	/* streamed client {n}: forward its + */
	WAIT_STREAM_PLUS	/* streamed client {n+}, sent as {n}: drop */
};

/* imap_cmd.flags, beside IMAP_CMD_*: the upstream's "+" to this IDLE came. */
#define CMD_CONT_SEEN	0x100

/* Room in the hold buffer beyond a whole command and its literals. */
#define HOLD_SLACK	64

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
	buf_init(&s->hold, s->lim.cmd_line_max + s->lim.lit_max + HOLD_SLACK);
	if (imap_parser_init(&s->cli, IMAP_DIR_CLIENT, &s->lim) == -1) {
		buf_free(&s->hold);
		return -1;
	}
	if (imap_parser_init(&s->srv, IMAP_DIR_SERVER, &s->lim) == -1) {
		imap_parser_free(&s->cli);
		buf_free(&s->hold);
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
	buf_free(&s->hold);
	free(s->lits);
	s->lits = NULL;
	s->nlits = s->litcap = 0;
}

void
imap_session_rest(struct imap_session *s)
{
	imap_parser_rest(&s->cli);
	imap_parser_rest(&s->srv);
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
	/* one does not end the other: an IDLE refused, AUTHENTICATE on */
	if (s->idle == c) {
		s->idle = NULL;
		set_raw(s, 0);
	} else if (s->auth == c) {
		s->auth = NULL;
		/* raw lines while an IDLE is in flight are its DONE */
		if (s->idle == NULL)
			set_raw(s, 0);
	}
	if (s->starttls == c)
		s->starttls = NULL;
	if (s->srv_cmd == c)
		s->srv_cmd = NULL;
	if (s->upcmd == c)
		s->upcmd = NULL;
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

/*
 * A command that changes the state (LOGIN, AUTHENTICATE, SELECT,
 * EXAMINE, CLOSE, UNSELECT, UNAUTHENTICATE) is in flight: the commands
 * behind it are read once it is answered, so that each is checked in the
 * state the server runs it in, not in the one postern would have to
 * guess (a failed LOGIN leaves the server reading IDLE's DONE as a
 * command).  A SASL response the server asked for ("+") is still read.
 */
static int
state_pending(const struct imap_session *s)
{
	const struct imap_cmd	*c;

	TAILQ_FOREACH(c, &s->inflight, entry)
		if ((c->flags & IMAP_CMD_SENT) &&
		    !(c->flags & IMAP_CMD_PRIVATE) && c->desc != NULL &&
		    (c->desc->flags & (IMAP_CMDF_LOGIN | IMAP_CMDF_SELECT |
		    IMAP_CMDF_UNSELECT | IMAP_CMDF_UNAUTH)))
			return 1;
	return 0;
}

/*
 * A command of the relay's own is in flight (forward id's ID): the
 * client is read once it is answered, so that the server has read it
 * before anything of the client's, and its tag is never one of the
 * client's commands in flight.
 */
static int
private_pending(const struct imap_session *s)
{
	const struct imap_cmd	*c;

	TAILQ_FOREACH(c, &s->inflight, entry)
		if (c->flags & IMAP_CMD_PRIVATE)
			return 1;
	return 0;
}

int
imap_session_want_client(const struct imap_session *s)
{
	if (s->prelude || private_pending(s))
		return 0;
	if (!s->raw && state_pending(s))
		return 0;
	return !s->closed && s->wait == WAIT_NONE && !s->sending &&
	    !s->tls_switch;
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

/* Held bytes kept between commands: an idle session holds no more. */
#define HOLD_KEEP	4096

static void
hold_reset(struct imap_session *s)
{
	if (s->hold.size > HOLD_KEEP)
		buf_free(&s->hold);
	else
		buf_reset(&s->hold);
	s->nlits = 0;
	s->holding = 0;
	s->sending = 0;
	s->sent = 0;
	s->nextlit = 0;
}

/*
 * The rest of the client's message is not wanted: a {n} that nobody will
 * answer "+" is not sent (the parser starts afresh), a {n+}'s octets and
 * whatever follows them up to the command's end are read and dropped.
 */
static void
client_skip(struct imap_session *s, int litkind)
{
	if (litkind == IMAP_LIT_SYNC)
		imap_parser_abort_message(&s->cli);
	else
		s->cli_discard = 1;
}

/*
 * The command in progress is refused before any of it went upstream:
 * "tag BAD why", and none of its bytes will be.
 */
static void
refuse_cmd(struct imap_session *s, struct imap_sev *sev, const char *code,
    const char *why)
{
	struct imap_cmd	*c = s->cur;

	/* Octets on their way that we would only read to drop: too many. */
	if (!sev->ev.final && IMAP_LIT_KIND(sev->ev.lit) != IMAP_LIT_SYNC &&
	    sev->ev.litlen > s->lim.lit_max) {
		close_session(s, sev, why);
		return;
	}
	set_reply(s, sev, IMAP_ACT_REPLY, (const uint8_t *)c->tag,
	    strlen(c->tag), "BAD", code, why);
	sev->flags &= ~(IMAP_SEVF_CMD_START | IMAP_SEVF_WAIT_CONT |
	    IMAP_SEVF_LIT_CONVERT | IMAP_SEVF_HELD);
	sev->flags |= IMAP_SEVF_REFUSED;
	hold_reset(s);
	if (!sev->ev.final)
		client_skip(s, IMAP_LIT_KIND(sev->ev.lit));
	s->wait = WAIT_NONE;
	s->stream_end = 0;
	cmd_remove(s, c);
}

/* Refused after part of it went upstream: only the end will do. */
static void
refuse_late(struct imap_session *s, struct imap_sev *sev, const char *why)
{
	if (s->chunks == 0)
		refuse_cmd(s, sev, NULL, why);
	else
		close_session(s, sev, why);
}

/* A segment into the held chunk, a {n+} as {n}. */
static int
hold_segment(struct imap_session *s, const struct imap_event *ev)
{
	const uint8_t	*plus;
	size_t		 off;

	if (ev->final || IMAP_LIT_KIND(ev->lit) != IMAP_LIT_PLUS)
		return buf_add(&s->hold, ev->raw, ev->rawlen);
	plus = memchr(ev->raw + ev->lit_off, '+', ev->rawlen - ev->lit_off);
	off = (size_t)(plus - ev->raw);
	if (buf_add(&s->hold, ev->raw, off) == -1)
		return -1;
	return buf_add(&s->hold, plus + 1, ev->rawlen - off - 1);
}

static int
hold_literal(struct imap_session *s, const struct imap_event *ev)
{
	struct imap_heldlit	*l;
	unsigned int		 ntok;
	size_t			 cap;

	if (s->nlits == s->litcap) {
		cap = s->litcap == 0 ? 4 : (size_t)s->litcap * 2;
		if ((l = reallocarray(s->lits, cap, sizeof(*l))) == NULL)
			return -1;
		s->lits = l;
		s->litcap = (unsigned int)cap;
	}
	(void)imap_parser_tokens(&s->cli, &ntok);
	l = &s->lits[s->nlits++];
	l->tok = ntok - 1;
	l->off = buf_len(&s->hold);
	l->len = (size_t)ev->litlen;
	s->heldoct += ev->litlen;
	return 0;
}

/* The chunk is complete: the event that asks the relay to decide. */
static void
chunk_done(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;

	sev->act = IMAP_ACT_FORWARD;
	sev->flags |= s->chunks == 0 ? IMAP_SEVF_CMD_START : IMAP_SEVF_CHUNK;
	if (s->holding)
		sev->flags |= IMAP_SEVF_HELD;
	s->chunks++;
	s->upcmd = s->cur;
	if (ev->final) {
		message_complete(s);
		return;
	}
	sev->flags |= IMAP_SEVF_WAIT_CONT;
	if (s->holding) {
		/* the wait starts once the held bytes are sent */
		s->stream_end = IMAP_LIT_KIND(ev->lit);
		return;
	}
	if (IMAP_LIT_KIND(ev->lit) == IMAP_LIT_PLUS) {
		const uint8_t *plus = memchr(ev->raw + ev->lit_off, '+',
		    ev->rawlen - ev->lit_off);

		sev->plus_off = (size_t)(plus - ev->raw);
		sev->flags |= IMAP_SEVF_LIT_CONVERT;
		s->wait = WAIT_STREAM_PLUS;
	} else
		s->wait = WAIT_STREAM_SYNC;
}

/*
 * A segment of the command the grammar accepts so far: the chunk goes on
 * (a held literal: our own "+" for a {n}) or it is complete.
 */
static void
client_segment(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;
	int			 kind = IMAP_LIT_KIND(ev->lit);
	int			 streamed = !ev->final && s->gram.lit_stream;
	static const char	 plus[] = "+ Ready for literal data\r\n";

	if (!ev->final && kind == IMAP_LIT_MINUS) {
		close_session(s, sev, "Literal {n-} is in no IMAP grammar");
		return;
	}
	if (!ev->final && (ev->lit & IMAP_LIT_BINARY) && !streamed) {
		refuse_late(s, sev, "Literal8 not allowed here");
		return;
	}
	if (streamed && ev->litlen > s->lim.lit_append_max) {
		if (s->chunks == 0)
			refuse_cmd(s, sev, "TOOBIG", "Literal too big");
		else
			close_session(s, sev, "Literal too big");
		return;
	}
	if (!ev->final && !streamed &&
	    s->heldoct + ev->litlen > s->lim.lit_max) {
		if (s->chunks == 0)
			refuse_cmd(s, sev, "TOOBIG", "Literal too big");
		else
			close_session(s, sev, "Literal too big");
		return;
	}
	/* A chunk of one segment goes as it is, from the parser's buffer. */
	if (ev->final || streamed) {
		if (s->holding && hold_segment(s, ev) == -1) {
			close_session(s, sev, "Command too long to hold");
			return;
		}
		chunk_done(s, sev);
		return;
	}
	if (!s->holding) {
		hold_reset(s);
		s->holding = 1;
	}
	if (hold_segment(s, ev) == -1 || hold_literal(s, ev) == -1) {
		close_session(s, sev, "Command too long to hold");
		return;
	}
	if (kind == IMAP_LIT_SYNC) {
		sev->act = IMAP_ACT_REPLY;
		sev->reply = plus;
		sev->replylen = sizeof(plus) - 1;
	} else
		sev->act = IMAP_ACT_HOLD;
}

/*
 * {n-} is in no grammar, and whether its octets follow is anybody's
 * guess: nothing can be refused and read past with certainty.
 */
static int
minus_literal(struct imap_session *s, struct imap_sev *sev)
{
	if (sev->ev.final || IMAP_LIT_KIND(sev->ev.lit) != IMAP_LIT_MINUS)
		return 0;
	close_session(s, sev, "Literal {n-} is in no IMAP grammar");
	return 1;
}

/* The grammar's word on the tokens so far; 0 when they may go on. */
static int
client_grammar(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_token	*tok;
	unsigned int		 ntok;
	const char		*why;

	tok = imap_parser_tokens(&s->cli, &ntok);
	if (imap_grammar_check(tok, ntok, sev->ev.final, s->caps, s->enabled,
	    s->cur_state, &s->gram) == -1)
		s->gram.res = IMAP_GRAM_BAD;
	if (s->gram.res == IMAP_GRAM_OK || s->gram.res == IMAP_GRAM_MORE) {
		if ((s->gram.res == IMAP_GRAM_OK) == (sev->ev.final != 0) &&
		    !s->gram.overflow)
			return 0;
		why = s->gram.overflow ? "Too many mailbox names" :
		    "Invalid arguments";
	} else
		why = s->gram.why != NULL ? s->gram.why : "Invalid arguments";
	refuse_late(s, sev, why);
	return -1;
}

static void
client_command(struct imap_session *s, struct imap_sev *sev)
{
	const struct imap_token	*tok;
	struct imap_cmd		*c;
	unsigned int		 ntok;

	tok = imap_parser_tokens(&s->cli, &ntok);
	if (s->ninflight >= s->lim.inflight_max) {
		set_reply(s, sev, IMAP_ACT_REPLY, tok[0].p, tok[0].len, "BAD",
		    NULL, "Too many commands in flight");
		sev->flags |= IMAP_SEVF_REFUSED;
		if (!sev->ev.final)
			client_skip(s, IMAP_LIT_KIND(sev->ev.lit));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close_session(s, sev, "Out of memory");
		return;
	}
	memcpy(c->tag, tok[0].p, tok[0].len);
	upname(c->name, sizeof(c->name), tok[1].p, tok[1].len);
	if (imap_tok_is(&tok[1], "UID") && ntok > 2 &&
	    tok[2].type == IMAP_TOK_ATOM) {
		snprintf(c->name, sizeof(c->name), "UID ");
		upname(c->name + 4, sizeof(c->name) - 4, tok[2].p,
		    tok[2].len);
	}
	/* It runs in the state the commands before it leave. */
	s->cur_state = imap_session_projected_state(s);
	TAILQ_INSERT_TAIL(&s->inflight, c, entry);
	s->ninflight++;
	s->cur = c;
	s->chunks = 0;
	s->chunk_tok = 0;
	s->heldoct = 0;
	hold_reset(s);
	sev->cmd = c;
	sev->act = IMAP_ACT_FORWARD;
	if (minus_literal(s, sev) || client_grammar(s, sev) == -1)
		return;
	c->desc = s->gram.desc;
	if (c->desc != NULL && (c->desc->flags & IMAP_CMDF_COMPRESS))
		sev->flags |= IMAP_SEVF_COMPRESS;
	if (c->desc != NULL && (c->desc->flags & IMAP_CMDF_STARTTLS))
		sev->flags |= IMAP_SEVF_STARTTLS;
	client_segment(s, sev);
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
		/* the parser is at the next message: the command is over */
		sev->cmd = s->cur;
		if (s->cur != NULL && s->chunks == 0) {
			set_reply(s, sev, IMAP_ACT_REPLY,
			    (const uint8_t *)s->cur->tag, strlen(s->cur->tag),
			    "BAD", NULL, imap_err_str(ev->err));
			sev->flags |= IMAP_SEVF_REFUSED;
			hold_reset(s);
			cmd_remove(s, s->cur);
			return;
		}
		close_session(s, sev, imap_err_str(ev->err));
		return;
	}
	set_reply(s, sev, IMAP_ACT_REPLY, ev->tag, ev->taglen, "BAD", NULL,
	    imap_err_str(ev->err));
	sev->flags |= IMAP_SEVF_REFUSED;
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
	if (s->cur == NULL) {
		close_session(s, sev, "Internal error: no command");
		return;
	}
	if (!s->holding)
		s->chunk_tok = ev->tok_first;
	sev->act = IMAP_ACT_FORWARD;
	if (minus_literal(s, sev) || client_grammar(s, sev) == -1)
		return;
	client_segment(s, sev);
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
	if (len > 0 && (s->tls_switch || s->starttls != NULL)) {
		close_session(s, sev, "Data after STARTTLS");
		return len;
	}
	if (!imap_session_want_client(s)) {
		sev->act = IMAP_ACT_NONE;
		sev->flags = IMAP_SEVF_BLOCKED;
		return 0;
	}
	n = imap_parser_feed(&s->cli, data, len, &sev->ev);
	switch (sev->ev.type) {
	case IMAP_EV_NEED_MORE:
		sev->act = IMAP_ACT_NONE;
		break;
	case IMAP_EV_LITDATA:
		sev->cmd = s->cur;
		if (s->cli_discard)
			sev->act = IMAP_ACT_DROP;
		else if (!s->holding)
			sev->act = IMAP_ACT_FORWARD;
		else if (buf_add(&s->hold, sev->ev.data, sev->ev.len) == -1)
			close_session(s, sev, "Command too long to hold");
		else
			sev->act = IMAP_ACT_HOLD;
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

/*
 * A tagged answer to c.  Before the "+" we wait for, the server has read
 * exactly what we sent of c: drop the rest, and have the client send no
 * more of it (a {n} is not answered; a {n+}'s octets are read and
 * dropped).  While the client is still inside c at any other point, the
 * server answered a command it was reading: the session ends (-1).
 */
static int
early_answer(struct imap_session *s, struct imap_sev *sev, struct imap_cmd *c)
{
	int	 kind = 0;

	if (c == s->upcmd && (s->sending || s->wait != WAIT_NONE)) {
		if (s->sending)
			kind = s->stream_end;
		else if (s->wait == WAIT_STREAM_SYNC)
			kind = IMAP_LIT_SYNC;
		else if (s->wait == WAIT_STREAM_PLUS)
			kind = IMAP_LIT_PLUS;
		hold_reset(s);
		s->wait = WAIT_NONE;
		s->stream_end = 0;
		if (s->cur == c && kind != 0)
			client_skip(s, kind);
		return 0;
	}
	if (c == s->cur) {
		close_session(s, sev, "Upstream answered a command it was "
		    "still reading");
		return -1;
	}
	return 0;
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
		/*
		 * The server ran something we never sent as a command: the
		 * two of us read the stream differently.  Never guess on.
		 */
		sev->flags |= IMAP_SEVF_UNKNOWN_TAG;
		close_session(s, sev, "Upstream answered a command it was "
		    "never sent");
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
	/* imap_relay.c never forwards it: a server's OK is a stray. */
	if (ok && (f & IMAP_CMDF_COMPRESS))
		close_session(s, sev, "Compression cannot be inspected");
	if (early_answer(s, sev, c) == -1)
		return;
	cmd_remove(s, c);
}

static void
server_cont(struct imap_session *s, struct imap_sev *sev)
{
	snprintf(sev->resp, sizeof(sev->resp), "+");
	/*
	 * The server sends its "+"s in the order it reads the commands: an
	 * IDLE or AUTHENTICATE before the command whose literal we wait for
	 * gets its "+" first.  IDLE's is passed and the wait goes on.  One
	 * while AUTHENTICATE is unanswered is its challenge: the server took
	 * the later command's line for its SASL response, and would take
	 * that literal's octets for a command.
	 */
	if (s->wait != WAIT_NONE) {
		struct imap_cmd	*c;

		/* not s->idle, s->auth: the last ones, an older may wait */
		TAILQ_FOREACH(c, &s->inflight, entry) {
			if (c == s->upcmd)
				break;
			if (c->desc == NULL || !(c->flags & IMAP_CMD_SENT))
				continue;
			if (c->desc->flags & IMAP_CMDF_AUTHENTICATE) {
				close_session(s, sev, "Upstream read a "
				    "command as a SASL response");
				return;
			}
			if ((c->desc->flags & IMAP_CMDF_IDLE) &&
			    !(c->flags & CMD_CONT_SEEN)) {
				c->flags |= CMD_CONT_SEEN;
				sev->cmd = c;
				return;
			}
		}
	}
	sev->flags |= IMAP_SEVF_CONT;
	switch (s->wait) {
	case WAIT_OUT:
		sev->cmd = s->upcmd;
		sev->act = IMAP_ACT_DROP;
		s->wait = WAIT_NONE;
		return;
	case WAIT_STREAM_SYNC:
	case WAIT_STREAM_PLUS:
		sev->cmd = s->cur;
		sev->act = s->wait == WAIT_STREAM_SYNC ? IMAP_ACT_FORWARD :
		    IMAP_ACT_DROP;
		s->wait = WAIT_NONE;
		return;
	}
	sev->flags &= ~IMAP_SEVF_CONT;
	if (s->auth != NULL) {
		/*
		 * The server reads the next line as its SASL response: a
		 * command the client sent behind AUTHENTICATE, gone upstream
		 * or held to go, would be one thing to us, another to it.
		 */
		if (TAILQ_NEXT(s->auth, entry) != NULL) {
			close_session(s, sev, "Upstream read a command as a "
			    "SASL response");
			return;
		}
		sev->cmd = s->auth;
		set_raw(s, 1);
	} else if (s->idle != NULL) {
		struct imap_cmd	*c;

		/* the oldest IDLE without its "+" (tags may repeat) */
		TAILQ_FOREACH(c, &s->inflight, entry)
			if (c->desc != NULL && (c->desc->flags &
			    IMAP_CMDF_IDLE) && !(c->flags & CMD_CONT_SEEN))
				break;
		if (c == NULL)
			c = s->idle;
		c->flags |= CMD_CONT_SEEN;
		sev->cmd = c;
	}
	else
		/* It waits for bytes nobody will send: we cannot follow. */
		close_session(s, sev, "Upstream asked for data no command has");
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
	int		 kind = 0;

	if (!in_queue(s, cmd))
		return -1;
	if (s->cur == c) {
		/* decided at a streamed literal the client may be sending */
		if (s->holding)
			kind = s->stream_end;
		else if (s->wait == WAIT_STREAM_SYNC)
			kind = IMAP_LIT_SYNC;
		else if (s->wait == WAIT_STREAM_PLUS)
			kind = IMAP_LIT_PLUS;
		if (kind != 0)
			client_skip(s, kind);
	}
	if (s->upcmd == c || s->cur == c) {
		hold_reset(s);
		s->wait = WAIT_NONE;
		s->stream_end = 0;
	}
	cmd_remove(s, c);
	return 0;
}

void
imap_session_release(struct imap_session *s)
{
	if (!s->holding)
		return;
	s->holding = 0;
	s->sending = 1;
	s->sent = 0;
	s->nextlit = 0;
}

/* Where the outbox pauses next: before a literal's octets, or its end. */
static size_t
outbox_end(const struct imap_session *s)
{
	if (s->nextlit < s->nlits)
		return s->lits[s->nextlit].off;
	return buf_len(&s->hold);
}

int
imap_session_outbox(const struct imap_session *s, const uint8_t **p,
    size_t *len)
{
	if (!s->sending || s->wait != WAIT_NONE || s->closed)
		return 0;
	*p = buf_data(&s->hold) + s->sent;
	*len = outbox_end(s) - s->sent;
	return 1;
}

void
imap_session_outbox_sent(struct imap_session *s, size_t n)
{
	int	 kind;

	s->sent += n;
	if (s->sent < outbox_end(s))
		return;
	if (s->nextlit < s->nlits) {
		s->nextlit++;
		s->wait = WAIT_OUT;
		return;
	}
	kind = s->stream_end;
	hold_reset(s);
	s->stream_end = 0;
	if (kind == IMAP_LIT_SYNC)
		s->wait = WAIT_STREAM_SYNC;
	else if (kind != 0)
		s->wait = WAIT_STREAM_PLUS;
}

int
imap_session_literal(const struct imap_session *s, unsigned int tok,
    const uint8_t **p, size_t *len)
{
	unsigned int	 i;

	if (!s->holding && !s->sending)
		return -1;
	for (i = 0; i < s->nlits; i++)
		if (s->lits[i].tok == tok) {
			*p = buf_data(&s->hold) + s->lits[i].off;
			*len = s->lits[i].len;
			return 0;
		}
	return -1;
}

void
imap_session_prelude(struct imap_session *s, int on)
{
	s->prelude = on;
}

int
imap_session_inject(struct imap_session *s, const char *tag,
    const char *name)
{
	struct imap_cmd	*c;

	if (s->closed || s->cur != NULL || s->idle != NULL ||
	    s->auth != NULL || s->starttls != NULL || s->wait != WAIT_NONE ||
	    s->holding || s->sending ||
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
	s->prelude = 0;
	return 0;
}
