/* Finding the parts of a LIST or LSUB response line. */
#include <string.h>

#include "imap_list.h"
#include "imap_mutf7.h"

int
imap_list_parse(const struct imap_token *tok, unsigned int ntok,
    struct imap_list_line *l)
{
	unsigned int	 i;

	if (ntok < 6 || tok[0].type != IMAP_TOK_STAR ||
	    tok[1].type != IMAP_TOK_ATOM || (!imap_tok_is(&tok[1], "LIST") &&
	    !imap_tok_is(&tok[1], "LSUB")) ||
	    tok[2].type != IMAP_TOK_LIST_BEGIN)
		return -1;
	for (i = 3; i < ntok && tok[i].type != IMAP_TOK_LIST_END; i++)
		if (tok[i].type != IMAP_TOK_ATOM)
			return -1;
	if (i + 2 >= ntok)
		return -1;
	l->attr_open = 2;
	l->attr_close = i;
	if (tok[i + 1].type != IMAP_TOK_QUOTED &&
	    tok[i + 1].type != IMAP_TOK_NIL)
		return -1;
	switch (tok[i + 2].type) {
	case IMAP_TOK_ATOM:
	case IMAP_TOK_NUMBER:
	case IMAP_TOK_QUOTED:
	case IMAP_TOK_LITERAL:
	case IMAP_TOK_NIL:
		l->mbox = i + 2;
		return 0;
	default:
		return -1;
	}
}

int
imap_list_name_bytes(const uint8_t *p, size_t len, char *out, size_t size)
{
	int	 n;

	if ((n = imap_mutf7_decode(p, len, out, size)) >= 0)
		return n;
	/* Not modified UTF-7 (UTF8=ACCEPT, or a server's own idea). */
	if (len >= size || memchr(p, '\0', len) != NULL)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return (int)len;
}

int
imap_list_name(const struct imap_token *t, char *out, size_t size)
{
	if (t->type == IMAP_TOK_LITERAL)
		return -1;
	if (t->type == IMAP_TOK_NIL)
		return imap_list_name_bytes((const uint8_t *)"NIL", 3, out,
		    size);
	return imap_list_name_bytes(t->p, t->len, out, size);
}
