/*
 * What the files of the IMAP argument grammar share, and nobody else:
 * the state of one check (struct gs), the primitives every command's
 * grammar is written in (imap_grammar_prim.c) and the grammar of each
 * command, which imap_grammar.c's table calls.  The rest of the worker
 * has imap_grammar.h.
 *
 * Every matcher returns 0 when it matched and consumed its tokens, -1
 * when it stopped, the reason in s->g->res (see imap_grammar.c).
 */
#ifndef POSTERN_WORKER_IMAP_GRAMMAR_INT_H
#define POSTERN_WORKER_IMAP_GRAMMAR_INT_H

#include <stdint.h>

#include "imap_grammar.h"
#include "imap_parse.h"

struct gs {
	const struct imap_token	*tok;
	unsigned int		 n;
	unsigned int		 i;	/* next token */
	int			 final;
	uint64_t		 caps;
	uint64_t		 enabled;
	struct imap_gram	*g;
};

#define NUM32		UINT32_MAX
#define MODSEQ_MAX	((uint64_t)INT64_MAX)

/* imap_grammar_prim.c: the state, and the types of RFC 3501's ABNF */
int	 gs_bad(struct gs *, const char *);
int	 gs_gate(struct gs *, uint64_t, const char *);
const struct imap_token *gs_need(struct gs *, const char *);
int	 gs_end_of(struct gs *);
int	 gs_at_close(struct gs *);
int	 gs_open_list(struct gs *, const char *);
int	 gs_close_list(struct gs *, const char *);
int	 gs_has_any(const struct imap_token *, const char *);
int	 gs_is_atom(const struct imap_token *);
int	 gs_kw(const struct imap_token *, const char *);
int	 gs_literal(struct gs *, const struct imap_token *, int, int);
void	 gs_mbox_at(struct gs *, unsigned int, enum imap_mbox_kind);
int	 gs_astring(struct gs *, const char *);
int	 gs_mailbox(struct gs *, enum imap_mbox_kind);
int	 gs_list_mailbox(struct gs *);
int	 gs_string(struct gs *, const char *);
int	 gs_atom(struct gs *, const char *);
int	 gs_number(struct gs *, uint64_t, uint64_t, const char *);
int	 gs_seq_numbers_ok(const struct imap_token *);
int	 gs_seqset(struct gs *, int, int);
int	 gs_isdig(uint8_t);
int	 gs_date(struct gs *);
int	 gs_is_date_time(const struct imap_token *);
int	 gs_flag(struct gs *);
int	 gs_flag_list(struct gs *);

/* imap_grammar_fetch.c */
int	 gs_fetch_att(struct gs *);
int	 gram_fetch(struct gs *);
int	 gram_store(struct gs *);

/* imap_grammar_search.c */
int	 gs_filter_mailboxes(struct gs *, int, int *);
int	 gram_search(struct gs *);
int	 gram_sort(struct gs *);
int	 gram_thread(struct gs *);
int	 gram_esearch(struct gs *);

/* imap_grammar_mailbox.c */
int	 gram_mailbox(struct gs *);
int	 gram_rename(struct gs *);
int	 gram_select(struct gs *);
int	 gram_create(struct gs *);
int	 gram_status(struct gs *);
int	 gram_list(struct gs *);
int	 gram_lsub(struct gs *);
int	 gram_append(struct gs *);
int	 gram_copy(struct gs *);
int	 gram_expunge(struct gs *);

/* imap_grammar_ext.c */
int	 gram_login(struct gs *);
int	 gram_authenticate(struct gs *);
int	 gram_id(struct gs *);
int	 gram_enable(struct gs *);
int	 gram_compress(struct gs *);
int	 gram_acl_mbox_id(struct gs *);
int	 gram_setacl(struct gs *);
int	 gram_getquota(struct gs *);
int	 gram_setquota(struct gs *);
int	 gram_getmetadata(struct gs *);
int	 gram_setmetadata(struct gs *);
int	 gram_notify(struct gs *);
int	 gram_genurlauth(struct gs *);
int	 gram_urlfetch(struct gs *);
int	 gram_resetkey(struct gs *);

#endif
