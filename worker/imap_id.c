/*
 * The client's ID fields (imap_id.h): read from the ID command's
 * tokens, kept within RFC 2971's bounds, told to the verdicts and the
 * audit log.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "imap_id.h"
#include "log.h"
#include "verdict.h"

/* What the audit record holds of the fields, as AUDIT_WHAT_MAX does. */
#define ID_AUDIT_MAX	1024

void
imap_id_init(struct imap_id *id)
{
	memset(id, 0, sizeof(*id));
}

void
imap_id_free(struct imap_id *id)
{
	free(id->text);
	memset(id, 0, sizeof(*id));
}

/* The octets of a string token: quoted, an atom, or a held literal. */
static int
tok_bytes(const struct imap_session *s, const struct imap_token *tok,
    unsigned int i, const uint8_t **p, size_t *len)
{
	switch (tok[i].type) {
	case IMAP_TOK_QUOTED:
	case IMAP_TOK_ATOM:
	case IMAP_TOK_NUMBER:
	case IMAP_TOK_SEQSET:
		*p = tok[i].p;
		*len = tok[i].len;
		return 0;
	case IMAP_TOK_LITERAL:
		if (s == NULL)
			return -1;
		return imap_session_literal(s, i, p, len);
	default:
		return -1;
	}
}

/* Is the pair at tok[i], tok[i + 1] one to keep?  Its octets if so. */
static int
keep(const struct imap_session *s, const struct imap_token *tok,
    unsigned int i, const uint8_t **k, size_t *klen, const uint8_t **v,
    size_t *vlen)
{
	if (tok[i + 1].type == IMAP_TOK_NIL)
		return 0;
	if (tok_bytes(s, tok, i, k, klen) == -1 ||
	    tok_bytes(s, tok, i + 1, v, vlen) == -1)
		return 0;
	return *klen > 0 && *klen <= RULES_ID_KEY_MAX &&
	    *vlen <= RULES_ID_VALUE_MAX && memchr(*k, '\0', *klen) == NULL &&
	    (*vlen == 0 || memchr(*v, '\0', *vlen) == NULL);
}

int
imap_id_parse(struct imap_id *id, const struct imap_session *s,
    const struct imap_token *tok, unsigned int ntok)
{
	const uint8_t	*k, *v;
	size_t		 klen, vlen, need = 0, off = 0, n = 0;
	unsigned int	 i, end;
	char		*text;

	imap_id_free(id);
	if (ntok < 3 || tok[2].type == IMAP_TOK_NIL) {
		id->nil = 1;
		return 0;
	}
	if (tok[2].type != IMAP_TOK_LIST_BEGIN)
		return 0;
	/* The pairs, up to the list's end: what the grammar matched. */
	for (end = 3; end + 1 < ntok && tok[end].type != IMAP_TOK_LIST_END;
	    end += 2) {
		id->sent++;
		if (n < RULES_ID_MAX &&
		    keep(s, tok, end, &k, &klen, &v, &vlen)) {
			need += klen + vlen + 2;
			n++;
		}
	}
	if (n == 0)
		return 0;
	if ((text = malloc(need)) == NULL) {
		id->sent = 0;
		return -1;
	}
	for (i = 3, n = 0; i < end && n < RULES_ID_MAX; i += 2) {
		if (!keep(s, tok, i, &k, &klen, &v, &vlen))
			continue;
		id->f[n].key = text + off;
		memcpy(text + off, k, klen);
		off += klen;
		text[off++] = '\0';
		id->f[n].value = text + off;
		if (vlen > 0)
			memcpy(text + off, v, vlen);
		off += vlen;
		text[off++] = '\0';
		n++;
	}
	id->text = text;
	id->n = n;
	return 0;
}

/*
 * sp then s as a quoted string at out + *off, if it fits before lim;
 * sp is " " or "".
 */
static int
quote(char *out, size_t lim, size_t *off, const char *sp, const char *s)
{
	size_t	 need = strlen(sp) + 2, i, o = *off;

	for (i = 0; s[i] != '\0'; i++)
		need += s[i] == '"' || s[i] == '\\' ? 2 : 1;
	if (o > lim || lim - o < need)
		return -1;
	memcpy(out + o, sp, strlen(sp));
	o += strlen(sp);
	out[o++] = '"';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '"' || s[i] == '\\')
			out[o++] = '\\';
		out[o++] = s[i];
	}
	out[o++] = '"';
	*off = o;
	return 0;
}

size_t
imap_id_text(const struct imap_id *id, char *out, size_t size, int *cut)
{
	size_t	 off = 0, i, lim;

	*cut = 0;
	if (size < sizeof("NIL")) {
		*cut = size > 0 && id->n > 0;
		if (size > 0)
			out[0] = '\0';
		return 0;
	}
	if (id->n == 0) {
		memcpy(out, "NIL", sizeof("NIL"));
		return strlen("NIL");
	}
	/* Whole fields only, and room left for the ")" and the NUL. */
	lim = size - 2;
	out[off++] = '(';
	for (i = 0; i < id->n; i++) {
		size_t	 mark = off;

		if (quote(out, lim, &off, i > 0 ? " " : "",
		    id->f[i].key) == -1 ||
		    quote(out, lim, &off, " ", id->f[i].value) == -1) {
			off = mark;
			*cut = 1;
			break;
		}
	}
	out[off++] = ')';
	out[off] = '\0';
	return off;
}

void
imap_id_command(struct imap_id *id, struct verdict_session *vs,
    const struct imap_session *s, const struct imap_cmd *c)
{
	const struct imap_token	*tok;
	char			 text[ID_AUDIT_MAX + 1];
	unsigned int		 ntok;
	size_t			 len;
	int			 cut;

	(void)c;
	tok = imap_parser_tokens(&s->cli, &ntok);
	if (imap_id_parse(id, s, tok, ntok) == -1)
		log_warnx("ID: out of memory, the client's fields are lost");
	len = imap_id_text(id, text, sizeof(text), &cut);
	audit_id(text, len, cut, id->sent, id->n);
	verdict_set_id(vs, id->f, id->n);
}
