/*
 * The rule language of postern.rules(5): a compiler from text to a flat,
 * position-independent blob (stored in LMDB as is), a validator for a
 * blob read back from storage, and a matcher that answers a query from
 * the blob without unpacking it and without allocating.
 *
 * Lookup is Zorp's: the rules of the query's key are tried in order and
 * the first whose condition holds decides; then those of the "*" key;
 * nothing holds: the table's default (reject; for capabilities drop;
 * for the list table the entry is shown unchanged).
 */
#ifndef POSTERN_RULES_H
#define POSTERN_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "policy_wire.h"

/* A compiled rule set: malloc'd bytes, free with rules_blob_free(). */
struct rules_blob {
	void		*data;
	size_t		 size;
};

struct rules_error {
	unsigned	 line;		/* 1-based; 0: no place */
	unsigned	 col;		/* 1-based, in bytes */
	char		 msg[320];	/* file:line:col: expected X, got Y */
};

/*
 * A verdict; its strings point into the blob.  line 0: no rule held and
 * this is the table's default.  cacheable: no rule tried read an
 * argument or a mailbox, so the verdict holds for the whole session.
 */
struct rules_verdict {
	enum rules_action	 action;
	const char		*text;	/* NULL if none */
	enum rules_tls		 tls;	/* RULES_TLS: the mode */
	size_t			 nuntagged;	/* rules_untagged() */
	const char		*file;
	unsigned		 line;
	unsigned		 col;
	int			 cacheable;
	const unsigned char	*blob_;	/* private */
	uint32_t		 plist_;	/* private */
};

/* 0 and *out (src, its length, the name verdicts cite), or -1 and *err */
int	 rules_compile(const char *, size_t, const char *, struct rules_blob *,
	    struct rules_error *);
void	 rules_blob_free(struct rules_blob *);
/* 0: every offset of the blob lies inside it; -1: refuse it */
int	 rules_blob_check(const void *, size_t);
/* on a checked blob: the name verdicts cite (rules_compile()'s) */
const char	*rules_blob_file(const void *);
/* on a checked blob: 0 and *verdict, or -1 for a bad proto or table */
int	 rules_match(const void *, const struct rules_query *,
	    struct rules_verdict *);
/* on a checked blob: fn(arg, proto, upstream, line) for each route rule */
void	 rules_each_route(const void *, void (*)(void *, enum rules_proto,
	    const char *, unsigned), void *);
/* respond's untagged line i, or NULL */
const char	*rules_untagged(const struct rules_verdict *, size_t);

#endif
