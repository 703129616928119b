/*
 * COMPRESS=DEFLATE (RFC 4978) on the client leg: raw deflate (RFC 1951)
 * in both directions, zlib's inflate for what the client sends and its
 * deflate for what the client gets.  relay.c calls this at its read and
 * write points; TLS, when on, is below (compress, then encrypt).
 *
 * Bounded: the compressed input waits in a buffer of RDEFLATE_IN bytes,
 * read from the socket only once it is inflated; one inflate call gives
 * at most the bytes asked for, so a small stream that inflates to
 * gigabytes comes out a read's worth at a time, into the relay's input
 * buffer and its existing limits (the longest line, a literal's size).
 * The deflate output goes into the relay's output buffer, whose limit
 * stands.  The zlib state is what relay_deflate.c's RDEFLATE_* say:
 * inflate's 32 KiB window (windowBits -15, as the RFC requires of a
 * receiver) and a deflate of 8 KiB window and memLevel 6.
 */
#ifndef POSTERN_WORKER_RELAY_DEFLATE_H
#define POSTERN_WORKER_RELAY_DEFLATE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Compressed input held at most: one read of the socket. */
#define RDEFLATE_IN	(16 * 1024)

struct rdeflate;

/* Both directions' state, or NULL (out of memory). */
struct rdeflate	*rdeflate_new(void);
void		 rdeflate_free(struct rdeflate *);

/*
 * Compressed input from the client.  rdeflate_in_room() is where a read
 * may put up to *len bytes, NULL while what was read before is not all
 * inflated yet (rdeflate_in_pending()); rdeflate_in_commit() says how
 * many it put there.
 * rdeflate_in_add() takes bytes read before compression started (what
 * followed the COMPRESS command in the same read): -1 if over
 * RDEFLATE_IN.
 */
uint8_t		*rdeflate_in_room(struct rdeflate *, size_t *len);
void		 rdeflate_in_commit(struct rdeflate *, size_t);
int		 rdeflate_in_add(struct rdeflate *, const uint8_t *, size_t);
/*
 * Inflate into p, at most cap bytes.  Returns how many, 0 when the
 * input held so far gives nothing more, -1 when the stream is corrupt
 * (or ended, and the client sent more): rdeflate_error() says why.
 */
ssize_t		 rdeflate_inflate(struct rdeflate *, uint8_t *p, size_t cap);
/* Inflating would give more without another read. */
int		 rdeflate_in_pending(const struct rdeflate *);

/*
 * Compress len bytes onto out, as far as out's limit lets it: 0, or -1
 * when out is full or zlib fails.  Nothing is flushed: the bytes may
 * wait inside zlib until rdeflate_flush().
 */
int		 rdeflate_deflate(struct rdeflate *, struct buf *out,
		    const uint8_t *, size_t);
/*
 * Z_SYNC_FLUSH, when anything was compressed since the last one: all
 * of it onto out, ending on a byte boundary so that the client can
 * inflate every response whole.  0, or -1 as above.
 */
int		 rdeflate_flush(struct rdeflate *, struct buf *out);
/* Compressed since the last flush. */
int		 rdeflate_dirty(const struct rdeflate *);

const char	*rdeflate_error(const struct rdeflate *);
/* Bytes zlib holds now (its states and windows), for the docs and tests. */
size_t		 rdeflate_memory(const struct rdeflate *);
/* Plaintext and compressed bytes, each way, so far. */
void		 rdeflate_counts(const struct rdeflate *, uint64_t *in_z,
		    uint64_t *in_plain, uint64_t *out_plain, uint64_t *out_z);

#endif
