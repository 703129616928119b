/*
 * The COMPRESS=DEFLATE layer (worker/relay_deflate.c) against zlib used
 * as a client would use it: round trips both ways in pieces of every
 * size, each sync flush a point where the client can inflate everything
 * it was sent, the bound on what one inflate call gives (a decompression
 * bomb comes out a read's worth at a time, the memory flat), corrupt
 * input, a full output buffer, the memory zlib holds, and all of it
 * under the worker's seccomp filter.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <zlib.h>

#include "buf.h"
#include "relay_deflate.h"
#include "sandbox_worker.h"

#define READ_CAP	(64 * 1024)	/* RELAY_READ, relay_int.h */
#define OUT_MAX		(1024 * 1024)

/* Text that compresses like mail: lines, words, some noise. */
static uint8_t *
sample(size_t len, unsigned int seed)
{
	static const char *const words[] = { "* ", "FETCH ", "(FLAGS ",
	    "\\Seen) ", "BODY[] ", "Subject: ", "the ", "postern ",
	    "message ", "From: ", "alice@example.org ", "\r\n", "OK ",
	    "Received: by mail.example.org ", "=?UTF-8?Q?caf=C3=A9?= " };
	uint8_t		*p;
	size_t		 i = 0, n;
	const char	*w;

	ATF_REQUIRE((p = malloc(len)) != NULL);
	srandom(seed);
	while (i < len) {
		if (random() % 16 == 0) {
			p[i++] = (uint8_t)random();
			continue;
		}
		w = words[random() % (sizeof(words) / sizeof(words[0]))];
		n = strlen(w);
		if (n > len - i)
			n = len - i;
		memcpy(p + i, w, n);
		i += n;
	}
	return p;
}

/* The client's side: a raw inflater with RFC 4978's window. */
static void
client_inflate_init(z_stream *zs)
{
	memset(zs, 0, sizeof(*zs));
	ATF_REQUIRE_EQ(inflateInit2(zs, -15), Z_OK);
}

/* Inflate all of in; returns how many bytes came out into out. */
static size_t
client_inflate(z_stream *zs, const uint8_t *in, size_t len, uint8_t *out,
    size_t cap)
{
	int	 rc;

	zs->next_in = (Bytef *)(uintptr_t)in;
	zs->avail_in = (uInt)len;
	zs->next_out = out;
	zs->avail_out = (uInt)cap;
	rc = inflate(zs, Z_SYNC_FLUSH);
	ATF_REQUIRE_MSG(rc == Z_OK || rc == Z_BUF_ERROR, "inflate %d", rc);
	ATF_REQUIRE_EQ(zs->avail_in, 0);
	return cap - zs->avail_out;
}

/* The client's deflater, windowBits -15 as clients use. */
static uint8_t *
client_deflate(const uint8_t *p, size_t len, int level, size_t *zlen)
{
	z_stream	 zs;
	uint8_t		*out;
	size_t		 cap = deflateBound(NULL, len) + 64;

	memset(&zs, 0, sizeof(zs));
	ATF_REQUIRE_EQ(deflateInit2(&zs, level, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	ATF_REQUIRE((out = malloc(cap)) != NULL);
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	ATF_REQUIRE_EQ(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
	ATF_REQUIRE_EQ(zs.avail_in, 0);
	*zlen = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/*
 * What postern sends, in pieces of the given sizes with a flush after
 * every flush_every of them, inflates to what went in; at every flush
 * the client has all of it, and a flush ends on 00 00 ff ff.
 */
static void
roundtrip_out(size_t total, size_t piece, unsigned int flush_every)
{
	struct rdeflate	*z;
	struct buf	 out;
	z_stream	 zs;
	uint8_t		*src, *got;
	size_t		 off = 0, have = 0, n;
	unsigned int	 k = 0;

	src = sample(total, (unsigned int)(total + piece));
	ATF_REQUIRE((got = malloc(total + 1)) != NULL);
	ATF_REQUIRE((z = rdeflate_new()) != NULL);
	buf_init(&out, OUT_MAX);
	client_inflate_init(&zs);
	while (off < total) {
		n = piece < total - off ? piece : total - off;
		ATF_REQUIRE_EQ(rdeflate_deflate(z, &out, src + off, n), 0);
		ATF_REQUIRE(rdeflate_dirty(z));
		off += n;
		if (++k % flush_every != 0 && off < total)
			continue;
		ATF_REQUIRE_EQ(rdeflate_flush(z, &out), 0);
		ATF_REQUIRE(!rdeflate_dirty(z));
		ATF_REQUIRE(buf_len(&out) >= 4);
		ATF_REQUIRE(memcmp(buf_data(&out) + buf_len(&out) - 4,
		    "\0\0\377\377", 4) == 0);
		have += client_inflate(&zs, buf_data(&out), buf_len(&out),
		    got + have, total + 1 - have);
		buf_reset(&out);
		/* Everything sent so far, nothing held back. */
		ATF_REQUIRE_EQ(have, off);
		/* A flush with nothing new adds nothing. */
		ATF_REQUIRE_EQ(rdeflate_flush(z, &out), 0);
		ATF_REQUIRE_EQ(buf_len(&out), 0);
	}
	ATF_REQUIRE(memcmp(src, got, total) == 0);
	inflateEnd(&zs);
	buf_free(&out);
	rdeflate_free(z);
	free(src);
	free(got);
}

ATF_TC_WITHOUT_HEAD(deflate_roundtrip);
ATF_TC_BODY(deflate_roundtrip, tc)
{
	roundtrip_out(1, 1, 1);
	roundtrip_out(100, 7, 1);
	roundtrip_out(10000, 1, 50);
	roundtrip_out(300000, 4096, 3);
	roundtrip_out(3 * 1024 * 1024, 100000, 1);
	roundtrip_out(3 * 1024 * 1024, 65536, 1000);
}

/*
 * What the client sends, compressed by zlib, handed over in pieces of
 * the given size (and the first part as what followed COMPRESS in the
 * same read), inflated cap bytes at most a call, is what it sent.
 */
static void
roundtrip_in(size_t total, size_t piece, size_t cap, size_t behind)
{
	struct rdeflate	*z;
	uint8_t		*src, *zsrc, *got, *room;
	size_t		 zlen, off = 0, have = 0, n, len;
	ssize_t		 r;

	src = sample(total, (unsigned int)(total * 3 + piece));
	zsrc = client_deflate(src, total, 6, &zlen);
	ATF_REQUIRE((got = malloc(total + cap)) != NULL);
	ATF_REQUIRE((z = rdeflate_new()) != NULL);
	if (behind > zlen)
		behind = zlen;
	ATF_REQUIRE_EQ(rdeflate_in_add(z, zsrc, behind), 0);
	off = behind;
	for (;;) {
		while ((r = rdeflate_inflate(z, got + have, cap)) > 0) {
			ATF_REQUIRE((size_t)r <= cap);
			have += (size_t)r;
			ATF_REQUIRE(have <= total);
		}
		ATF_REQUIRE_EQ(r, 0);
		ATF_REQUIRE(!rdeflate_in_pending(z));
		if (off == zlen)
			break;
		ATF_REQUIRE((room = rdeflate_in_room(z, &len)) != NULL);
		ATF_REQUIRE_EQ(len, RDEFLATE_IN);
		n = piece < zlen - off ? piece : zlen - off;
		if (n > len)
			n = len;
		memcpy(room, zsrc + off, n);
		rdeflate_in_commit(z, n);
		off += n;
	}
	ATF_REQUIRE_EQ(have, total);
	ATF_REQUIRE(memcmp(src, got, total) == 0);
	rdeflate_free(z);
	free(src);
	free(zsrc);
	free(got);
}

ATF_TC_WITHOUT_HEAD(inflate_roundtrip);
ATF_TC_BODY(inflate_roundtrip, tc)
{
	roundtrip_in(1, 1, 1, 0);
	roundtrip_in(1000, 1, 3, 0);
	roundtrip_in(100000, 17, 100, 5);
	roundtrip_in(300000, RDEFLATE_IN, READ_CAP, 1000);
	roundtrip_in(4 * 1024 * 1024, 1000, READ_CAP, 200000);
	roundtrip_in(4 * 1024 * 1024, RDEFLATE_IN, 1, 0);
}

/*
 * A decompression bomb: 256 MB of one byte, about 250 KB deflated.
 * Every call gives at most what was asked, input waits (no new room)
 * until inflated, and zlib's memory does not move.
 */
ATF_TC_WITHOUT_HEAD(bomb);
ATF_TC_BODY(bomb, tc)
{
	struct rdeflate	*z;
	z_stream	 zs;
	uint8_t		*chunk, *zbuf, *out, *room;
	size_t		 zcap = 2 * 1024 * 1024, zlen, len, mem = 0;
	uint64_t	 total = 0, want = 256ULL * 1024 * 1024;
	uint64_t	 iz, ip, op, oz;
	unsigned int	 i, calls = 0;
	ssize_t		 r;

	ATF_REQUIRE((chunk = calloc(1, 1024 * 1024)) != NULL);
	ATF_REQUIRE((zbuf = malloc(zcap)) != NULL);
	ATF_REQUIRE((out = malloc(READ_CAP)) != NULL);
	memset(&zs, 0, sizeof(zs));
	ATF_REQUIRE_EQ(deflateInit2(&zs, 9, Z_DEFLATED, -15, 9,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_out = zbuf;
	zs.avail_out = (uInt)zcap;
	for (i = 0; i < 256; i++) {
		zs.next_in = chunk;
		zs.avail_in = 1024 * 1024;
		ATF_REQUIRE_EQ(deflate(&zs, i == 255 ? Z_SYNC_FLUSH :
		    Z_NO_FLUSH), Z_OK);
		ATF_REQUIRE(zs.avail_out > 0);
	}
	zlen = zcap - zs.avail_out;
	deflateEnd(&zs);
	printf("bomb: %llu bytes in %zu\n", (unsigned long long)want, zlen);
	ATF_REQUIRE(zlen < 512 * 1024);

	ATF_REQUIRE((z = rdeflate_new()) != NULL);
	/* In reads of RDEFLATE_IN, as relay.c does. */
	for (size_t off = 0; off < zlen;) {
		ATF_REQUIRE((room = rdeflate_in_room(z, &len)) != NULL);
		len = len < zlen - off ? len : zlen - off;
		memcpy(room, zbuf + off, len);
		rdeflate_in_commit(z, len);
		off += len;
		while ((r = rdeflate_inflate(z, out, READ_CAP)) > 0) {
			ATF_REQUIRE((size_t)r <= READ_CAP);
			total += (uint64_t)r;
			calls++;
			if (mem == 0)
				mem = rdeflate_memory(z);
			ATF_REQUIRE_EQ(rdeflate_memory(z), mem);
			/* No new input is taken while output waits. */
			if (rdeflate_in_pending(z))
				ATF_REQUIRE(rdeflate_in_room(z, &len) == NULL);
		}
		ATF_REQUIRE_EQ(r, 0);
	}
	ATF_REQUIRE_EQ(total, want);
	ATF_REQUIRE(calls >= want / READ_CAP);
	rdeflate_counts(z, &iz, &ip, &op, &oz);
	ATF_REQUIRE_EQ(iz, zlen);
	ATF_REQUIRE_EQ(ip, want);
	printf("bomb: %u calls, zlib holds %zu bytes\n", calls, mem);
	rdeflate_free(z);
	free(chunk);
	free(zbuf);
	free(out);
}

ATF_TC_WITHOUT_HEAD(corrupt);
ATF_TC_BODY(corrupt, tc)
{
	struct rdeflate	*z;
	uint8_t		 out[256], *zsrc, *room;
	size_t		 zlen, len;
	const char	*msg = "a1 NOOP\r\n";
	z_stream	 zs;
	uint8_t		 fin[64];

	/* Block type 3 does not exist (RFC 1951 3.2.3). */
	ATF_REQUIRE((z = rdeflate_new()) != NULL);
	ATF_REQUIRE_EQ(rdeflate_in_add(z, (const uint8_t *)"\xff\xff\xff", 3),
	    0);
	ATF_REQUIRE_EQ(rdeflate_inflate(z, out, sizeof(out)), -1);
	printf("corrupt: %s\n", rdeflate_error(z));
	ATF_REQUIRE(strstr(rdeflate_error(z), "block type") != NULL);
	ATF_REQUIRE(!rdeflate_in_pending(z));
	ATF_REQUIRE(rdeflate_in_room(z, &len) == NULL);
	ATF_REQUIRE_EQ(rdeflate_inflate(z, out, sizeof(out)), -1);
	rdeflate_free(z);

	/* Good bytes first, then noise: the good ones come out first. */
	zsrc = client_deflate((const uint8_t *)msg, strlen(msg), 6, &zlen);
	ATF_REQUIRE((z = rdeflate_new()) != NULL);
	ATF_REQUIRE_EQ(rdeflate_in_add(z, zsrc, zlen), 0);
	ATF_REQUIRE_EQ(rdeflate_inflate(z, out, sizeof(out)),
	    (ssize_t)strlen(msg));
	ATF_REQUIRE(memcmp(out, msg, strlen(msg)) == 0);
	ATF_REQUIRE((room = rdeflate_in_room(z, &len)) != NULL);
	memcpy(room, "\x07\xff\x00garbage", 10);
	rdeflate_in_commit(z, 10);
	ATF_REQUIRE_EQ(rdeflate_inflate(z, out, sizeof(out)), -1);
	printf("corrupt: %s\n", rdeflate_error(z));
	rdeflate_free(z);
	free(zsrc);

	/* A stream the client ended (a final block), then more. */
	memset(&zs, 0, sizeof(zs));
	ATF_REQUIRE_EQ(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)msg;
	zs.avail_in = (uInt)strlen(msg);
	zs.next_out = fin;
	zs.avail_out = sizeof(fin);
	ATF_REQUIRE_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
	zlen = sizeof(fin) - zs.avail_out;
	deflateEnd(&zs);
	ATF_REQUIRE((z = rdeflate_new()) != NULL);
	ATF_REQUIRE_EQ(rdeflate_in_add(z, fin, zlen), 0);
	ATF_REQUIRE_EQ(rdeflate_inflate(z, out, sizeof(out)),
	    (ssize_t)strlen(msg));
	ATF_REQUIRE_EQ(rdeflate_inflate(z, out, sizeof(out)), 0);
	ATF_REQUIRE_EQ(rdeflate_in_add(z, fin, zlen), 0);
	ATF_REQUIRE_EQ(rdeflate_inflate(z, out, sizeof(out)), -1);
	ATF_REQUIRE(strstr(rdeflate_error(z), "end of the compressed") !=
	    NULL);
	rdeflate_free(z);
}

/* An output buffer at its limit: -1, not a buffer past it. */
ATF_TC_WITHOUT_HEAD(output_full);
ATF_TC_BODY(output_full, tc)
{
	struct rdeflate	*z;
	struct buf	 out;
	uint8_t		*noise;
	size_t		 i;

	ATF_REQUIRE((noise = malloc(256 * 1024)) != NULL);
	srandom(7);
	for (i = 0; i < 256 * 1024; i++)
		noise[i] = (uint8_t)random();
	ATF_REQUIRE((z = rdeflate_new()) != NULL);
	buf_init(&out, 64 * 1024);
	ATF_REQUIRE_EQ(rdeflate_deflate(z, &out, noise, 256 * 1024), -1);
	ATF_REQUIRE(buf_len(&out) <= 64 * 1024);
	ATF_REQUIRE(strstr(rdeflate_error(z), "full") != NULL);
	ATF_REQUIRE_EQ(rdeflate_flush(z, &out), -1);
	/* The compressed input's buffer has its limit too. */
	ATF_REQUIRE_EQ(rdeflate_in_add(z, noise, 256 * 1024), 0);
	ATF_REQUIRE_EQ(rdeflate_in_add(z, noise, 1), -1);
	buf_free(&out);
	rdeflate_free(z);
	free(noise);
}

/*
 * What zlib holds per session, as relay_deflate.c's comment says: the
 * deflate side at once, inflate's window after its first output.
 */
ATF_TC_WITHOUT_HEAD(memory);
ATF_TC_BODY(memory, tc)
{
	struct rdeflate	*z;
	struct buf	 out;
	uint8_t		 o[64], *zsrc;
	size_t		 zlen, m0, m1, m2;

	ATF_REQUIRE((z = rdeflate_new()) != NULL);
	m0 = rdeflate_memory(z);
	buf_init(&out, OUT_MAX);
	ATF_REQUIRE_EQ(rdeflate_deflate(z, &out, (const uint8_t *)"* OK\r\n",
	    6), 0);
	ATF_REQUIRE_EQ(rdeflate_flush(z, &out), 0);
	m1 = rdeflate_memory(z);
	zsrc = client_deflate((const uint8_t *)"a NOOP\r\n", 8, 6, &zlen);
	ATF_REQUIRE_EQ(rdeflate_in_add(z, zsrc, zlen), 0);
	ATF_REQUIRE_EQ(rdeflate_inflate(z, o, sizeof(o)), 8);
	m2 = rdeflate_memory(z);
	printf("zlib: %zu bytes at the start, %zu after a deflate, %zu "
	    "after an inflate (its window)\n", m0, m1, m2);
	ATF_REQUIRE_EQ(m0, m1);
	ATF_REQUIRE_EQ(m2 - m1, 32 * 1024);
	/* deflate windowBits 13, memLevel 6: 64 KiB and its state */
	ATF_REQUIRE(m0 > 64 * 1024 && m0 < 80 * 1024);
	ATF_REQUIRE(m2 < 128 * 1024);
	buf_free(&out);
	rdeflate_free(z);
	free(zsrc);
}

/* The whole layer under the worker's filter: malloc (brk, mmap) only. */
ATF_TC_WITHOUT_HEAD(under_filter);
ATF_TC_BODY(under_filter, tc)
{
	pid_t	 pid;
	int	 status;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (sandbox_load_list(&worker_filter, 0) == -1)
			_exit(3);
		roundtrip_out(3 * 1024 * 1024, 100000, 1);
		roundtrip_in(4 * 1024 * 1024, RDEFLATE_IN, READ_CAP, 200000);
		_exit(0);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x", status);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, deflate_roundtrip);
	ATF_TP_ADD_TC(tp, inflate_roundtrip);
	ATF_TP_ADD_TC(tp, bomb);
	ATF_TP_ADD_TC(tp, corrupt);
	ATF_TP_ADD_TC(tp, output_full);
	ATF_TP_ADD_TC(tp, memory);
	ATF_TP_ADD_TC(tp, under_filter);
	return atf_no_error();
}
