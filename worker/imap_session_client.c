/*
 * The client side of the IMAP session.  A command is checked against its
 * grammar on every segment, before any of it goes upstream, and the
 * literals among its arguments are held until the whole chunk can be
 * decided: nothing of the client's reaches the server that postern has
 * not read the way the server will.  The lines that are no command
 * (IDLE's DONE, AUTHENTICATE's SASL responses) and the answers to
 * malformed client input are here too: they are the client's bytes that
 * must not be read as a command.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap_session.h"
#include "imap_session_int.h"

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
		sess_set_raw(s, 1);
	} else if (c->desc->flags & IMAP_CMDF_AUTHENTICATE)
		/* raw lines only after a "+": with SASL-IR the client may
		 * pipeline its next command */
		s->auth = c;
	else if (c->desc->flags & IMAP_CMDF_STARTTLS)
		s->starttls = c;
}

/*
 * The rest of the client's message is not wanted: a {n} that nobody will
 * answer "+" is not sent (the parser starts afresh), a {n+}'s octets and
 * whatever follows them up to the command's end are read and dropped.
 */
void
sess_client_skip(struct imap_session *s, int litkind)
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
		sess_close(s, sev, why);
		return;
	}
	sess_set_reply(s, sev, IMAP_ACT_REPLY, (const uint8_t *)c->tag,
	    strlen(c->tag), "BAD", code, why);
	sev->flags &= ~(IMAP_SEVF_CMD_START | IMAP_SEVF_WAIT_CONT |
	    IMAP_SEVF_LIT_CONVERT | IMAP_SEVF_HELD);
	sev->flags |= IMAP_SEVF_REFUSED;
	sess_hold_reset(s);
	if (!sev->ev.final)
		sess_client_skip(s, IMAP_LIT_KIND(sev->ev.lit));
	s->wait = WAIT_NONE;
	s->stream_end = 0;
	sess_cmd_remove(s, c);
}

/* Refused after part of it went upstream: only the end will do. */
static void
refuse_late(struct imap_session *s, struct imap_sev *sev, const char *why)
{
	if (s->chunks == 0)
		refuse_cmd(s, sev, NULL, why);
	else
		sess_close(s, sev, why);
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
		sess_close(s, sev, "Literal {n-} is in no IMAP grammar");
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
			sess_close(s, sev, "Literal too big");
		return;
	}
	if (!ev->final && !streamed &&
	    s->heldoct + ev->litlen > s->lim.lit_max) {
		if (s->chunks == 0)
			refuse_cmd(s, sev, "TOOBIG", "Literal too big");
		else
			sess_close(s, sev, "Literal too big");
		return;
	}
	/* A chunk of one segment goes as it is, from the parser's buffer. */
	if (ev->final || streamed) {
		if (s->holding && hold_segment(s, ev) == -1) {
			sess_close(s, sev, "Command too long to hold");
			return;
		}
		chunk_done(s, sev);
		return;
	}
	if (!s->holding) {
		sess_hold_reset(s);
		s->holding = 1;
	}
	if (hold_segment(s, ev) == -1 || hold_literal(s, ev) == -1) {
		sess_close(s, sev, "Command too long to hold");
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
	sess_close(s, sev, "Literal {n-} is in no IMAP grammar");
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
		sess_set_reply(s, sev, IMAP_ACT_REPLY, tok[0].p, tok[0].len,
		    "BAD", NULL, "Too many commands in flight");
		sev->flags |= IMAP_SEVF_REFUSED;
		if (!sev->ev.final)
			sess_client_skip(s, IMAP_LIT_KIND(sev->ev.lit));
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sess_close(s, sev, "Out of memory");
		return;
	}
	memcpy(c->tag, tok[0].p, tok[0].len);
	sess_upname(c->name, sizeof(c->name), tok[1].p, tok[1].len);
	if (imap_tok_is(&tok[1], "UID") && ntok > 2 &&
	    tok[2].type == IMAP_TOK_ATOM) {
		snprintf(c->name, sizeof(c->name), "UID ");
		sess_upname(c->name + 4, sizeof(c->name) - 4, tok[2].p,
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
	sess_hold_reset(s);
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
		sess_set_raw(s, 0);
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
	sess_set_raw(s, 0);
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
		sess_close(s, sev, imap_err_str(ev->err));
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
			sess_set_reply(s, sev, IMAP_ACT_REPLY,
			    (const uint8_t *)s->cur->tag, strlen(s->cur->tag),
			    "BAD", NULL, imap_err_str(ev->err));
			sev->flags |= IMAP_SEVF_REFUSED;
			sess_hold_reset(s);
			sess_cmd_remove(s, s->cur);
			return;
		}
		sess_close(s, sev, imap_err_str(ev->err));
		return;
	}
	sess_set_reply(s, sev, IMAP_ACT_REPLY, ev->tag, ev->taglen, "BAD", NULL,
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
		sess_close(s, sev, "Internal error: no command");
		return;
	}
	if (!s->holding)
		s->chunk_tok = ev->tok_first;
	sev->act = IMAP_ACT_FORWARD;
	if (minus_literal(s, sev) || client_grammar(s, sev) == -1)
		return;
	client_segment(s, sev);
}

size_t
imap_session_client(struct imap_session *s, const uint8_t *data, size_t len,
    struct imap_sev *sev)
{
	size_t	 n;

	sess_sev_reset(s, sev);
	if (s->closed) {
		sess_close(s, sev, "Session closed");
		return len;
	}
	if (len > 0 && (s->tls_switch || s->starttls != NULL)) {
		sess_close(s, sev, "Data after STARTTLS");
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
			sess_close(s, sev, "Command too long to hold");
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
