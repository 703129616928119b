/*
 * "forward id" in IMAP (imap_forward.h).  Dovecot takes the x-* fields
 * of the first ID command of a trusted peer and ignores them after it,
 * and ours is the first; the client's are dropped anyway, so that no
 * server, whatever it does with a second ID, hears a client's word for
 * its own address.
 */
#include <stdint.h>
#include <string.h>

#include "forward.h"
#include "imap_forward.h"
#include "imap_parse.h"
#include "log.h"

int
imap_forward_greeting(struct imap_session *s, const struct worker_session *ws,
    struct buf *out)
{
	char	 line[FORWARD_LINE_MAX];
	int	 n;

	if (s->state != IMAP_ST_NOTAUTH) {
		log_info("session %llu: forward id: the greeting is not OK "
		    "(PREAUTH or BYE): no ID sent, the client's address is not "
		    "forwarded", (unsigned long long)ws->id);
		imap_session_prelude(s, 0);
		return 0;
	}
	if ((n = forward_id_line(line, sizeof(line), FORWARD_ID_TAG, ws)) ==
	    -1) {
		log_warnx("session %llu: forward id: client address %s is "
		    "not one to send", (unsigned long long)ws->id,
		    ws->client_addr);
		return -1;
	}
	if (imap_session_inject(s, FORWARD_ID_TAG, "ID") == -1) {
		log_warnx("session %llu: forward id: the session takes no "
		    "command of ours", (unsigned long long)ws->id);
		return -1;
	}
	buf_reset(out);
	if (buf_add(out, line, (size_t)n) == -1)
		return -1;
	return 1;
}

/* A string token's octets: quoted, atom, or a held literal. */
static int
tok_bytes(const struct imap_session *s, const struct imap_token *tok,
    unsigned int i, const uint8_t **p, size_t *len)
{
	switch (tok[i].type) {
	case IMAP_TOK_QUOTED:
	case IMAP_TOK_ATOM:
		*p = tok[i].p;
		*len = tok[i].len;
		return 0;
	case IMAP_TOK_LITERAL:
		return imap_session_literal(s, i, p, len);
	default:
		return -1;
	}
}

/* A quoted string of p, with the two escapes IMAP has. */
static int
add_quoted(struct buf *out, const uint8_t *p, size_t len)
{
	size_t	 i;

	if (buf_add(out, "\"", 1) == -1)
		return -1;
	for (i = 0; i < len; i++)
		if (((p[i] == '"' || p[i] == '\\') &&
		    buf_add(out, "\\", 1) == -1) || buf_add(out, &p[i], 1) == -1)
			return -1;
	return buf_add(out, "\"", 1);
}

int
imap_forward_client_id(const struct imap_session *s, const struct imap_sev *sev,
    struct buf *out)
{
	const struct imap_token	*tok;
	const uint8_t		*k, *v;
	size_t			 klen, vlen;
	unsigned int		 ntok, i, kept = 0, dropped = 0;

	tok = imap_parser_tokens(&s->cli, &ntok);
	if (ntok < 3 || tok[2].type != IMAP_TOK_LIST_BEGIN)
		return 0;
	/* First: is there anything to drop? */
	for (i = 3; i + 1 < ntok && tok[i].type != IMAP_TOK_LIST_END; i += 2) {
		if (tok_bytes(s, tok, i, &k, &klen) == -1)
			return -1;
		if (forward_id_reserved(k, klen))
			dropped++;
	}
	if (dropped == 0)
		return 0;
	/* One line, no literal: rebuilt from its tokens. */
	if (!sev->ev.final || (sev->flags & IMAP_SEVF_HELD))
		return -1;
	buf_reset(out);
	if (buf_printf(out, "%s ID (", sev->cmd->tag) == -1)
		return -1;
	for (i = 3; i + 1 < ntok && tok[i].type != IMAP_TOK_LIST_END; i += 2) {
		if (tok_bytes(s, tok, i, &k, &klen) == -1)
			return -1;
		if (forward_id_reserved(k, klen))
			continue;
		if ((kept++ > 0 && buf_add(out, " ", 1) == -1) ||
		    add_quoted(out, k, klen) == -1 || buf_add(out, " ", 1) == -1)
			return -1;
		if (tok[i + 1].type == IMAP_TOK_NIL) {
			if (buf_add(out, "NIL", 3) == -1)
				return -1;
		} else if (tok_bytes(s, tok, i + 1, &v, &vlen) == -1 ||
		    add_quoted(out, v, vlen) == -1)
			return -1;
	}
	if (kept == 0) {
		buf_reset(out);
		if (buf_printf(out, "%s ID NIL\r\n", sev->cmd->tag) == -1)
			return -1;
	} else if (buf_add(out, ")\r\n", 3) == -1)
		return -1;
	return 1;
}
