/*
 * The client's ID (RFC 2971): the fields of its latest ID command, for
 * the rules' "id FIELD GLOB" (postern.rules(5)) and the audit log.
 *
 * ID is valid in every state and may come more than once; each one
 * replaces the fields of the one before, "ID NIL" leaves none.  What
 * is kept is bounded as RFC 2971 bounds the sender (policy_wire.h):
 * the first RULES_ID_MAX fields whose name has 1 to RULES_ID_KEY_MAX
 * octets and whose value has at most RULES_ID_VALUE_MAX and no NUL;
 * a field sent as NIL, or out of those bounds, is left out and counted.
 * The grammar (imap_grammar.c) lets longer IDs through to the server, as
 * servers take them.
 *
 * What the worker does with the fields on the way upstream (forwarding
 * the client's ID, or postern's own) is imap_enforce.c's business and
 * the relay's; this file only reads them.
 */
#ifndef POSTERN_WORKER_IMAP_ID_H
#define POSTERN_WORKER_IMAP_ID_H

#include <stddef.h>

#include "imap_parse.h"
#include "imap_session.h"
#include "policy_wire.h"

struct verdict_session;

struct imap_id {
	struct rules_idfield	 f[RULES_ID_MAX];
	size_t			 n;		/* fields kept */
	size_t			 sent;		/* fields the client sent */
	int			 nil;		/* "ID NIL" */
	char			*text;		/* names and values, NUL-ended */
};

void	 imap_id_init(struct imap_id *);
void	 imap_id_free(struct imap_id *);
/*
 * The fields of the ID command whose tokens are tok[0..ntok) (TAG, ID,
 * then its one argument, as the grammar matched it), a literal's octets
 * read from the session that holds them.  They replace id's.  0, or -1:
 * no memory, and id holds no fields.
 */
int	 imap_id_parse(struct imap_id *, const struct imap_session *,
	    const struct imap_token *, unsigned int);
/*
 * The fields kept, as an ID list: ("name" "Thunderbird" ...), or NIL;
 * quoted strings with " and \ escaped.  The length written, at most
 * size - 1 and NUL-terminated; *cut set when that is not all of it.
 */
size_t	 imap_id_text(const struct imap_id *, char *, size_t, int *);
/*
 * Client: an ID command is about to get its verdict (imap_enforce.c).
 * Its fields become the session's: recorded in the audit log, and given
 * to every verdict from this one on (a new context of the cache).
 */
void	 imap_id_command(struct imap_id *, struct verdict_session *,
	    const struct imap_session *, const struct imap_cmd *);

#endif
