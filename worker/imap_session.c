/*
 * The IMAP session: what both of its directions work on -- the queue of
 * commands in flight, the state each command runs in, the held chunk on
 * its way upstream -- and the calls the relay and the policy make
 * between events.  Kept apart from either direction because both change
 * it: a client's command joins the queue and a tagged answer takes it
 * out, a held chunk is collected from the client and let go as the
 * upstream's "+"s come.  The client's bytes are read in
 * imap_session_client.c, the upstream's in imap_session_server.c; what
 * the three share is in imap_session_int.h.  See imap_session.h for the
 * contract with the relay.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap_reply.h"
#include "imap_session.h"
#include "imap_session_int.h"

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

void
sess_upname(char *dst, size_t size, const uint8_t *p, size_t len)
{
	size_t	 i;

	if (len > size - 1)
		len = size - 1;
	for (i = 0; i < len; i++)
		dst[i] = (p[i] >= 'a' && p[i] <= 'z') ? p[i] - 32 : p[i];
	dst[len] = '\0';
}

void
sess_set_reply(struct imap_session *s, struct imap_sev *sev, enum imap_act act,
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

void
sess_close(struct imap_session *s, struct imap_sev *sev, const char *why)
{
	sess_set_reply(s, sev, IMAP_ACT_CLOSE, NULL, 0, "BYE", NULL, why);
	s->closed = 1;
}

void
sess_set_raw(struct imap_session *s, int on)
{
	s->raw = on;
	imap_parser_set_raw(&s->cli, on);
}

/* Out of the queue; kept until the next call so sev.cmd stays valid. */
void
sess_cmd_remove(struct imap_session *s, struct imap_cmd *c)
{
	TAILQ_REMOVE(&s->inflight, c, entry);
	s->ninflight--;
	if (s->cur == c)
		s->cur = NULL;
	/* one does not end the other: an IDLE refused, AUTHENTICATE on */
	if (s->idle == c) {
		s->idle = NULL;
		sess_set_raw(s, 0);
	} else if (s->auth == c) {
		s->auth = NULL;
		/* raw lines while an IDLE is in flight are its DONE */
		if (s->idle == NULL)
			sess_set_raw(s, 0);
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

enum imap_state
sess_after_success(enum imap_state st, const struct imap_cmd_desc *d)
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
		st = sess_after_success(st, c->desc);
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

/* Held bytes kept between commands: an idle session holds no more. */
#define HOLD_KEEP	4096

void
sess_hold_reset(struct imap_session *s)
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

void
sess_sev_reset(struct imap_session *s, struct imap_sev *sev)
{
	free(s->done);
	s->done = NULL;
	memset(sev, 0, sizeof(*sev));
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
			sess_client_skip(s, kind);
	}
	if (s->upcmd == c || s->cur == c) {
		sess_hold_reset(s);
		s->wait = WAIT_NONE;
		s->stream_end = 0;
	}
	sess_cmd_remove(s, c);
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
	sess_hold_reset(s);
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
	sess_upname(c->name, sizeof(c->name), (const uint8_t *)name,
	    strlen(name));
	c->desc = imap_cmd_lookup(name, strlen(name));
	c->flags = IMAP_CMD_PRIVATE | IMAP_CMD_SENT;
	TAILQ_INSERT_TAIL(&s->inflight, c, entry);
	s->ninflight++;
	s->prelude = 0;
	return 0;
}
