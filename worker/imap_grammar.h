/*
 * STUB until the grammar branch lands: the argument grammar of every
 * command postern forwards.
 */
#ifndef POSTERN_IMAP_GRAMMAR_H
#define POSTERN_IMAP_GRAMMAR_H

#include <stdint.h>

#include "imap_cmd.h"
#include "imap_parse.h"

enum imap_gram_res {
	IMAP_GRAM_OK,
	IMAP_GRAM_MORE,
	IMAP_GRAM_BAD,
	IMAP_GRAM_UNKNOWN,
	IMAP_GRAM_NOTADV,
	IMAP_GRAM_STATE
};

enum imap_mbox_kind {
	IMAP_MBOX_NAME,
	IMAP_MBOX_REFERENCE,
	IMAP_MBOX_PATTERN,
	IMAP_MBOX_URL
};

struct imap_gram_mbox {
	unsigned int		 tok;
	enum imap_mbox_kind	 kind;
};

#define IMAP_GRAM_MBOX_MAX	64

struct imap_gram {
	enum imap_gram_res	 res;
	const char		*why;
	const struct imap_cmd_desc *desc;
	int			 uid;
	unsigned int		 nmbox;
	struct imap_gram_mbox	 mbox[IMAP_GRAM_MBOX_MAX];
	int			 overflow;
	int			 lit_stream;
};

int	 imap_grammar_check(const struct imap_token *, unsigned int, int,
	    uint64_t, uint64_t, enum imap_state, struct imap_gram *);

#endif
