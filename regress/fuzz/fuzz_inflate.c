/*
 * libFuzzer harness of the COMPRESS=DEFLATE layer (worker/relay_deflate.c)
 * as the relay drives it: the input is what a compressed client sends.
 *
 * Input: one byte that picks how much one inflate call may give and how
 * big each read is, then the compressed bytes.  They are handed over read
 * by read (rdeflate_in_room() and _commit()), the first read partly as
 * what followed COMPRESS (rdeflate_in_add()), and inflated after each.
 *
 * Checks, on every call:
 *  - a call gives at most what was asked; no new input is taken while
 *    inflate still has output (rdeflate_in_room() is NULL);
 *  - an error is final: no more output, no room, not pending;
 *  - zlib's memory is what it was after the first output, at most
 *    128 KiB, however the stream inflates;
 *  - the plaintext (its first MAX_PLAIN bytes) deflated again by the
 *    layer, with a sync flush, inflates with plain zlib to the same
 *    bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "relay_deflate.h"

#define CHECK(c)	do {						\
	if (!(c)) {							\
		fprintf(stderr, "fuzz_inflate.c:%d: %s\n", __LINE__, #c); \
		abort();						\
	}								\
} while (0)

#define MAX_PLAIN	(256 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	 plain[MAX_PLAIN];
static uint8_t	 back[MAX_PLAIN + 1];
static uint8_t	 out[64 * 1024];

/* The plaintext, deflated by the layer, inflates to itself. */
static void
roundtrip(const uint8_t *p, size_t len)
{
	struct rdeflate	*z;
	struct buf	 o;
	z_stream	 zs;
	int		 rc;

	CHECK((z = rdeflate_new()) != NULL);
	buf_init(&o, 2 * MAX_PLAIN);
	CHECK(rdeflate_deflate(z, &o, p, len) == 0);
	CHECK(rdeflate_flush(z, &o) == 0);
	memset(&zs, 0, sizeof(zs));
	CHECK(inflateInit2(&zs, -15) == Z_OK);
	zs.next_in = buf_len(&o) > 0 ? (Bytef *)(uintptr_t)buf_data(&o) :
	    Z_NULL;
	zs.avail_in = (uInt)buf_len(&o);
	zs.next_out = back;
	zs.avail_out = sizeof(back);
	rc = inflate(&zs, Z_SYNC_FLUSH);
	CHECK(rc == Z_OK || (rc == Z_BUF_ERROR && len == 0));
	CHECK(zs.avail_in == 0);
	CHECK(sizeof(back) - zs.avail_out == len);
	CHECK(memcmp(back, p, len) == 0);
	inflateEnd(&zs);
	buf_free(&o);
	rdeflate_free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 caps[] = { 1, 7, 512, sizeof(out) };
	static const size_t	 reads[] = { 1, 3, 100, RDEFLATE_IN };
	struct rdeflate		*z;
	uint8_t			*room;
	size_t			 cap, rd, off, n, len, have = 0, mem = 0;
	ssize_t			 r;
	uint8_t			 cfg;

	if (size < 1)
		return 0;
	cfg = data[0];
	cap = caps[cfg & 3];
	rd = reads[(cfg >> 2) & 3];
	data++;
	size--;
	CHECK((z = rdeflate_new()) != NULL);
	/* What came behind COMPRESS in the same read. */
	off = (cfg & 0x10) ? (size < 32 ? size : 32) : 0;
	CHECK(rdeflate_in_add(z, data, off) == 0);
	for (;;) {
		while ((r = rdeflate_inflate(z, out, cap)) > 0) {
			CHECK((size_t)r <= cap);
			if (rdeflate_in_pending(z))
				CHECK(rdeflate_in_room(z, &len) == NULL);
			if (mem == 0)
				mem = rdeflate_memory(z);
			CHECK(rdeflate_memory(z) == mem);
			CHECK(mem <= 128 * 1024);
			n = (size_t)r;
			if (n > MAX_PLAIN - have)
				n = MAX_PLAIN - have;
			memcpy(plain + have, out, n);
			have += n;
		}
		if (r == -1) {
			CHECK(!rdeflate_in_pending(z));
			CHECK(rdeflate_in_room(z, &len) == NULL);
			CHECK(rdeflate_inflate(z, out, cap) == -1);
			break;
		}
		CHECK(!rdeflate_in_pending(z));
		if (off == size)
			break;
		CHECK((room = rdeflate_in_room(z, &len)) != NULL);
		CHECK(len == RDEFLATE_IN);
		n = rd < size - off ? rd : size - off;
		memcpy(room, data + off, n);
		rdeflate_in_commit(z, n);
		off += n;
	}
	rdeflate_free(z);
	roundtrip(plain, have);
	return 0;
}
