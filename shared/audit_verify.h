/*
 * Checking an audit log (audit_chain.h): line by line, each segment with
 * its first key and its anchor (audit_store.h), stopping at the first
 * record that was changed, removed, reordered or inserted, or where the
 * file was cut.  policyctl audit verify drives it; so do the unit tests.
 */
#ifndef POSTERN_AUDIT_VERIFY_H
#define POSTERN_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "audit_store.h"

struct audit_verify {
	const char		*keydir;
	unsigned long		 line;		/* lines read so far */
	uint64_t		 records;	/* good records, all segments */
	unsigned		 segments;
	/* The segment under way. */
	int			 inseg;
	char			 seg[AUDIT_SEG_SIZE];
	unsigned long		 seg_line;	/* line of its first record */
	uint64_t		 next;		/* seq expected next */
	uint8_t			 key[AUDIT_KEY_LEN];
	int			 anchored;
	struct audit_anchor	 anchor;
	char			 log[64];	/* the file's name, its record 0 */
	char			 error[512];	/* the first failure */
};

void	 audit_verify_init(struct audit_verify *, const char *keydir);
/* One line, newline removed: 0, or -1 with v->error naming it. */
int	 audit_verify_line(struct audit_verify *, const char *, size_t);
/*
 * End of file.  last: the segment the master wrote to this file last
 * (its DIR/keys/<log>.current), or NULL if not known.  0, or -1.
 */
int	 audit_verify_end(struct audit_verify *, const char *last);
/* Wipes the key. */
void	 audit_verify_clear(struct audit_verify *);

#endif
