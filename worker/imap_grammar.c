/* STUB until the grammar branch lands. */
#include <string.h>
#include <strings.h>

#include "imap_grammar.h"

int
imap_grammar_check(const struct imap_token *tok, unsigned int ntok,
    int final, uint64_t caps, uint64_t enabled, enum imap_state st,
    struct imap_gram *g)
{
	const struct imap_cmd_desc	*d;
	unsigned int			 i = 1;

	(void)caps;
	(void)enabled;
	memset(g, 0, sizeof(*g));
	d = imap_cmd_lookup((const char *)tok[1].p, tok[1].len);
	if (d != NULL && strcmp(d->name, "UID") == 0 && ntok > 2) {
		d = imap_cmd_lookup((const char *)tok[2].p, tok[2].len);
		g->uid = 1;
		i = 2;
		if (d != NULL && !(d->flags & IMAP_CMDF_UID)) {
			g->res = IMAP_GRAM_BAD;
			g->why = "Invalid UID command";
			return 0;
		}
	}
	g->desc = d;
	if (d == NULL) {
		g->res = IMAP_GRAM_UNKNOWN;
		g->why = "Unknown command";
		return 0;
	}
	if (!(d->states & IMAP_STB(st == IMAP_ST_GREETING ? IMAP_ST_NOTAUTH :
	    st))) {
		g->res = IMAP_GRAM_STATE;
		g->why = "Command not valid in this state";
		return 0;
	}
	if (strcmp(d->name, "SELECT") == 0 || strcmp(d->name, "EXAMINE") == 0 ||
	    strcmp(d->name, "STATUS") == 0 || strcmp(d->name, "DELETE") == 0 ||
	    strcmp(d->name, "CREATE") == 0 || strcmp(d->name, "APPEND") == 0 ||
	    strcmp(d->name, "SUBSCRIBE") == 0 || strcmp(d->name, "RENAME") == 0)
		if (ntok > i + 1) {
			g->mbox[g->nmbox].tok = i + 1;
			g->mbox[g->nmbox++].kind = IMAP_MBOX_NAME;
		}
	if (strcmp(d->name, "RENAME") == 0 && ntok > i + 2) {
		g->mbox[g->nmbox].tok = i + 2;
		g->mbox[g->nmbox++].kind = IMAP_MBOX_NAME;
	}
	if ((strcmp(d->name, "COPY") == 0 || strcmp(d->name, "MOVE") == 0) &&
	    ntok > i + 2) {
		g->mbox[g->nmbox].tok = i + 2;
		g->mbox[g->nmbox++].kind = IMAP_MBOX_NAME;
	}
	if (!final && strcmp(d->name, "APPEND") == 0 && ntok - 1 > i + 1)
		g->lit_stream = 1;
	g->res = final ? IMAP_GRAM_OK : IMAP_GRAM_MORE;
	return 0;
}
