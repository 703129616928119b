/*
 * COMPRESS=DEFLATE on the client leg (relay_deflate.h): two zlib
 * streams, raw deflate both ways, and the compressed input the relay
 * read and inflate has not taken yet.
 *
 * Sizes, from zlib.h's formulas and counted by our allocator
 * (rdeflate_memory(), regress/worker/relay_deflate_test.c):
 *  - inflate: windowBits -15, since RFC 4978 lets the client compress
 *    with any window up to 32 KiB: 32 KiB of window, allocated at the
 *    first output, and about 7 KiB of state;
 *  - deflate: windowBits -13 and memLevel 6: 16 KiB of window, 16 KiB
 *    of chain, 16 KiB of hash heads and 16 KiB of pending output, about
 *    6 KiB of state: 70 KiB against zlib's default 262 KiB (windowBits
 *    15, memLevel 8).  On mail and IMAP listings that costs about a
 *    quarter more compressed bytes than the default (0.28 of the
 *    plaintext against 0.22, level 6 with a sync flush per batch).
 *  - the compressed input: RDEFLATE_IN, more only for what a client sent
 *    behind COMPRESS in one read.
 * zlib's memory comes from malloc through zalloc below, nothing else:
 * the worker's seccomp filter needs nothing new.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "relay_deflate.h"

#define RDEFLATE_LEVEL		6	/* zlib's default, Dovecot's too */
#define RDEFLATE_WBITS		13	/* deflate's window: 8 KiB */
#define RDEFLATE_MEMLEVEL	6
#define RDEFLATE_INFLATE_WBITS	15	/* RFC 4978: any sender's window */
/* The compressed input buffer's limit: a read, or what came behind COMPRESS. */
#define RDEFLATE_IN_MAX		(256 * 1024)
/* Output reserved per deflate call. */
#define RDEFLATE_CHUNK		(16 * 1024)

struct rdeflate {
	z_stream	 inf;
	z_stream	 def;
	int		 inf_init;
	int		 def_init;
	struct buf	 in;		/* compressed, not inflated yet */
	int		 outfull;	/* inflate filled its output */
	int		 ended;		/* the client's stream ended */
	int		 dirty;		/* deflated since the last flush */
	const char	*err;
	size_t		 mem;		/* zlib's allocations */
	uint64_t	 in_z, in_plain, out_plain, out_z;
};

/* Each allocation carries its size, so that the total can be told. */
union zhdr {
	size_t		 size;
	max_align_t	 align;
};

static voidpf
zalloc_count(voidpf opaque, uInt items, uInt size)
{
	struct rdeflate	*z = opaque;
	union zhdr	*h;
	size_t		 n;

	if (size != 0 && items > (SIZE_MAX - sizeof(*h)) / size)
		return Z_NULL;
	n = (size_t)items * size;
	if ((h = calloc(1, sizeof(*h) + n)) == NULL)
		return Z_NULL;
	h->size = n;
	z->mem += n;
	return h + 1;
}

static void
zfree_count(voidpf opaque, voidpf p)
{
	struct rdeflate	*z = opaque;
	union zhdr	*h;

	if (p == Z_NULL)
		return;
	h = (union zhdr *)p - 1;
	z->mem -= h->size;
	free(h);
}

struct rdeflate *
rdeflate_new(void)
{
	struct rdeflate	*z;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	buf_init(&z->in, RDEFLATE_IN_MAX);
	z->inf.zalloc = z->def.zalloc = zalloc_count;
	z->inf.zfree = z->def.zfree = zfree_count;
	z->inf.opaque = z->def.opaque = z;
	if (inflateInit2(&z->inf, -RDEFLATE_INFLATE_WBITS) != Z_OK) {
		rdeflate_free(z);
		return NULL;
	}
	z->inf_init = 1;
	if (deflateInit2(&z->def, RDEFLATE_LEVEL, Z_DEFLATED, -RDEFLATE_WBITS,
	    RDEFLATE_MEMLEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
		rdeflate_free(z);
		return NULL;
	}
	z->def_init = 1;
	return z;
}

void
rdeflate_free(struct rdeflate *z)
{
	if (z == NULL)
		return;
	if (z->inf_init)
		(void)inflateEnd(&z->inf);
	if (z->def_init)
		(void)deflateEnd(&z->def);
	buf_free(&z->in);
	free(z);
}

uint8_t *
rdeflate_in_room(struct rdeflate *z, size_t *len)
{
	uint8_t	*p;

	/* Nothing new while inflate may still give output. */
	if (buf_len(&z->in) > 0 || z->outfull || z->err != NULL)
		return NULL;
	if ((p = buf_reserve(&z->in, RDEFLATE_IN)) == NULL)
		return NULL;
	*len = RDEFLATE_IN;
	return p;
}

void
rdeflate_in_commit(struct rdeflate *z, size_t n)
{
	buf_commit(&z->in, n);
	z->in_z += n;
}

int
rdeflate_in_add(struct rdeflate *z, const uint8_t *p, size_t len)
{
	if (buf_add(&z->in, p, len) == -1)
		return -1;
	z->in_z += len;
	return 0;
}

ssize_t
rdeflate_inflate(struct rdeflate *z, uint8_t *p, size_t cap)
{
	size_t	 avail = buf_len(&z->in), used, got;
	int	 rc;

	if (z->err != NULL)
		return -1;
	if (cap > UINT_MAX)
		cap = UINT_MAX;
	if (avail > UINT_MAX)
		avail = UINT_MAX;
	if (cap == 0 || (avail == 0 && !z->outfull))
		return 0;
	if (z->ended) {
		if (avail == 0)
			return 0;
		z->err = "data after the end of the compressed stream";
		return -1;
	}
	/* An empty buffer may have no memory yet: no pointer into it. */
	z->inf.next_in = avail > 0 ? (Bytef *)(uintptr_t)buf_data(&z->in) :
	    Z_NULL;
	z->inf.avail_in = (uInt)avail;
	z->inf.next_out = p;
	z->inf.avail_out = (uInt)cap;
	rc = inflate(&z->inf, Z_SYNC_FLUSH);
	used = avail - z->inf.avail_in;
	got = cap - z->inf.avail_out;
	buf_drain(&z->in, used);
	z->in_plain += got;
	z->outfull = got == cap;
	switch (rc) {
	case Z_OK:
	case Z_BUF_ERROR:	/* no progress: more input needed */
		break;
	case Z_STREAM_END:
		z->ended = 1;
		z->outfull = 0;
		if (buf_len(&z->in) > 0) {
			z->err = "data after the end of the compressed stream";
			return -1;
		}
		break;
	case Z_MEM_ERROR:
		z->err = "out of memory";
		return -1;
	default:
		z->err = z->inf.msg != NULL ? z->inf.msg :
		    "not a deflate stream";
		return -1;
	}
	return (ssize_t)got;
}

int
rdeflate_in_pending(const struct rdeflate *z)
{
	return z->err == NULL && (buf_len(&z->in) > 0 || z->outfull);
}

/* Run deflate with flush until it wants no more room. */
static int
zout(struct rdeflate *z, struct buf *out, int flush)
{
	uint8_t	*p;
	size_t	 want, room, made;
	int	 rc;

	do {
		room = out->max - buf_len(out);
		want = RDEFLATE_CHUNK;
		if (want > room)
			want = room;
		if (want == 0 || (p = buf_reserve(out, want)) == NULL) {
			z->err = "output to the client full";
			return -1;
		}
		z->def.next_out = p;
		z->def.avail_out = (uInt)want;
		rc = deflate(&z->def, flush);
		made = want - z->def.avail_out;
		buf_commit(out, made);
		z->out_z += made;
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			z->err = z->def.msg != NULL ? z->def.msg :
			    "deflate failed";
			return -1;
		}
	} while (z->def.avail_out == 0);
	return 0;
}

int
rdeflate_deflate(struct rdeflate *z, struct buf *out, const uint8_t *p,
    size_t len)
{
	size_t	 n;

	if (z->err != NULL)
		return -1;
	while (len > 0) {
		n = len > UINT_MAX ? UINT_MAX : len;
		z->def.next_in = (Bytef *)(uintptr_t)p;
		z->def.avail_in = (uInt)n;
		if (zout(z, out, Z_NO_FLUSH) == -1)
			return -1;
		/* With room to spare, deflate took all of it. */
		n -= z->def.avail_in;
		z->out_plain += n;
		p += n;
		len -= n;
		z->dirty = 1;
	}
	z->def.next_in = Z_NULL;
	z->def.avail_in = 0;
	return 0;
}

int
rdeflate_flush(struct rdeflate *z, struct buf *out)
{
	if (z->err != NULL)
		return -1;
	if (!z->dirty)
		return 0;
	z->dirty = 0;
	z->def.next_in = Z_NULL;
	z->def.avail_in = 0;
	return zout(z, out, Z_SYNC_FLUSH);
}

int
rdeflate_dirty(const struct rdeflate *z)
{
	return z->dirty;
}

const char *
rdeflate_error(const struct rdeflate *z)
{
	return z->err != NULL ? z->err : "no error";
}

size_t
rdeflate_memory(const struct rdeflate *z)
{
	return z->mem;
}

void
rdeflate_counts(const struct rdeflate *z, uint64_t *in_z, uint64_t *in_plain,
    uint64_t *out_plain, uint64_t *out_z)
{
	*in_z = z->in_z;
	*in_plain = z->in_plain;
	*out_plain = z->out_plain;
	*out_z = z->out_z;
}
