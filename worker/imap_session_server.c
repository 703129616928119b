/*
 * The server side of the IMAP session.  Every response is tied to the
 * command it answers, and the state, the capabilities and the waits of
 * the client side follow the upstream's word, not postern's guess.  A
 * response postern cannot place (a tag it never sent, a "+" nobody asked
 * for, an answer to a command it is still sending) ends the session
 * rather than let the two ends read the stream differently.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "imap_session.h"
#include "imap_session_int.h"

/* imap_cmd.flags, beside IMAP_CMD_*: the upstream's "+" to this IDLE came. */
#define CMD_CONT_SEEN	0x100

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
		sess_close(s, sev, "Invalid greeting from upstream");
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
		sess_close(s, sev, "Invalid greeting from upstream");
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

	sess_upname(sev->resp, sizeof(sev->resp), tok[i].p, tok[i].len);
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
		sess_hold_reset(s);
		s->wait = WAIT_NONE;
		s->stream_end = 0;
		if (s->cur == c && kind != 0)
			sess_client_skip(s, kind);
		return 0;
	}
	if (c == s->cur) {
		sess_close(s, sev, "Upstream answered a command it was "
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

	sess_upname(sev->resp, sizeof(sev->resp), tok[1].p, tok[1].len);
	if ((c = find_tag(s, tok[0].p, tok[0].len)) == NULL) {
		/*
		 * The server ran something we never sent as a command: the
		 * two of us read the stream differently.  Never guess on.
		 */
		sev->flags |= IMAP_SEVF_UNKNOWN_TAG;
		sess_close(s, sev, "Upstream answered a command it was "
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
		set_state(s, sev, sess_after_success(s->state, c->desc));
	else if (no && (f & IMAP_CMDF_SELECT))
		set_state(s, sev, IMAP_ST_AUTH);
	if (ok && (f & IMAP_CMDF_STARTTLS)) {
		sev->flags |= IMAP_SEVF_STARTTLS;
		s->tls_switch = 1;
		s->caps = 0;
	}
	/* imap_relay.c never forwards it: a server's OK is a stray. */
	if (ok && (f & IMAP_CMDF_COMPRESS))
		sess_close(s, sev, "Compression cannot be inspected");
	if (early_answer(s, sev, c) == -1)
		return;
	sess_cmd_remove(s, c);
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
				sess_close(s, sev, "Upstream read a "
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
			sess_close(s, sev, "Upstream read a command as a "
			    "SASL response");
			return;
		}
		sev->cmd = s->auth;
		sess_set_raw(s, 1);
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
		sess_close(s, sev,
		    "Upstream asked for data no command has");
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
		sess_close(s, sev, "Invalid greeting from upstream");
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

	sess_sev_reset(s, sev);
	if (s->closed) {
		sess_close(s, sev, "Session closed");
		return len;
	}
	if (len > 0 && s->tls_switch) {
		sess_close(s, sev, "Upstream sent data after STARTTLS");
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
		sess_close(s, sev, why);
		break;
	case IMAP_EV_LINE:
		server_line(s, sev);
		break;
	}
	return n;
}
