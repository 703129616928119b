/*
 * Where the audit chain's secrets live: for each segment (audit_chain.h)
 * its first key, DIR/keys/<seg>.key, 32 bytes, and its anchor,
 * DIR/keys/<seg>.anchor, what the worker last reported of it.  posternd
 * writes both as root, mode 0600, in a directory no worker can reach;
 * policyctl audit verify reads them.
 */
#ifndef POSTERN_AUDIT_STORE_H
#define POSTERN_AUDIT_STORE_H

#include <stdint.h>

#include "audit_chain.h"

/*
 * An anchor: the worker said it had written records records, the last
 * with MAC mac; next is the segment the master began after this one in
 * the same file ("" none yet).  A log shorter than its anchor was cut.
 */
struct audit_anchor {
	uint64_t	 records;
	uint8_t		 mac[AUDIT_MAC_LEN];
	char		 next[AUDIT_SEG_SIZE];
};

/* 0, or -1 with errno set. */
int	 audit_key_write(const char *keydir, const char *seg,
	    const uint8_t key[AUDIT_KEY_LEN]);
int	 audit_key_read(const char *keydir, const char *seg,
	    uint8_t key[AUDIT_KEY_LEN]);
/* Replaced atomically (a new file renamed over the old). */
int	 audit_anchor_write(const char *keydir, const char *seg,
	    const struct audit_anchor *);
/* 0; -1 with errno (ENOENT: no anchor yet; EINVAL: malformed). */
int	 audit_anchor_read(const char *keydir, const char *seg,
	    struct audit_anchor *);

/*
 * Each file is synced as it is written, unless deferred: then
 * audit_store_fsync() only notes that something waits, and
 * audit_store_sync() makes everything written since durable at once,
 * with one syncfs(2) of dir's file system.  posternd defers: an fsync
 * per key and anchor, several per worker started, was a fifth of its
 * time in a login storm, and blocked its loop.
 */
void	 audit_store_defer(int);
int	 audit_store_fsync(int fd);
int	 audit_store_pending(void);
int	 audit_store_sync(const char *dir);

#endif
