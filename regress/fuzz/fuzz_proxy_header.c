/*
 * libFuzzer harness of the master's PROXY header parser
 * (master/proxy_header.c), which runs as root on bytes from the
 * network.  Input: the first bytes of a connection.
 *
 * Checks, for the whole input and for prefixes of it:
 *  - a header is at most PROXY_HEADER_MAX bytes, and "more" is never
 *    asked once that many are there: the reader's buffer is enough;
 *  - the parser reads only what it is given (ASan), and what it says
 *    was the header is within it;
 *  - the answers agree as bytes arrive: a prefix that needs more is all
 *    header (the reader consumes it), a prefix that holds the header
 *    says so with the same length and the same addresses, and a prefix
 *    refused stays refused;
 *  - what is kept for the logs and the session is NUL-terminated
 *    printable ASCII.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_header.h"

#define CHECK(c)	do {						\
	if (!(c))							\
		check_failed(__LINE__, #c);				\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_failed(int line, const char *what)
{
	fprintf(stderr, "fuzz_proxy_header.c:%d: check failed: %s\n", line,
	    what);
	abort();
}

static void
check_text(const char *s, size_t size)
{
	size_t	 i;

	CHECK(memchr(s, '\0', size) != NULL);
	for (i = 0; s[i] != '\0'; i++)
		CHECK(s[i] >= 0x20 && s[i] <= 0x7e);
}

static enum proxy_result
run(const uint8_t *data, size_t len, size_t *used, struct proxy_header *h)
{
	enum proxy_result	 r;
	const char		*why = NULL;
	uint8_t			*copy;

	/* A heap copy of exactly len bytes: a read past it is ASan's. */
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(copy, data, len);
	memset(h, 0xa5, sizeof(*h));
	r = proxy_header_parse(copy, len, used, h, &why);
	free(copy);
	CHECK(r == PROXY_MORE || r == PROXY_DONE || r == PROXY_BAD);
	CHECK((r == PROXY_BAD) == (why != NULL));
	if (r == PROXY_MORE)
		CHECK(len < PROXY_HEADER_MAX);
	if (r != PROXY_DONE)
		return r;
	CHECK(*used > 0 && *used <= len && *used <= PROXY_HEADER_MAX);
	CHECK(h->version == 1 || h->version == 2);
	if (h->version == 1)
		CHECK(*used <= PROXY_V1_MAX);
	CHECK(h->local == 0 || h->local == 1);
	if (!h->local) {
		CHECK(h->src.ss_family == AF_INET ||
		    h->src.ss_family == AF_INET6);
		CHECK(h->dst.ss_family == h->src.ss_family);
		CHECK(h->srclen == h->dstlen && h->srclen > 0 &&
		    h->srclen <= sizeof(h->src));
	}
	check_text(h->alpn, sizeof(h->alpn));
	check_text(h->authority, sizeof(h->authority));
	check_text(h->tls_version, sizeof(h->tls_version));
	check_text(h->tls_cipher, sizeof(h->tls_cipher));
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header	 h, hp;
	enum proxy_result	 r, rp;
	size_t			 used, usedp, cut[4], i;

	r = run(data, size, &used, &h);
	cut[0] = size / 2;
	cut[1] = size > 0 ? size - 1 : 0;
	cut[2] = r == PROXY_DONE ? used : size / 3;
	cut[3] = r == PROXY_DONE && used > 0 ? used - 1 : size / 4;
	for (i = 0; i < 4; i++) {
		rp = run(data, cut[i], &usedp, &hp);
		if (rp == PROXY_MORE)
			/* All of the prefix belongs to the header. */
			CHECK(r == PROXY_MORE || r == PROXY_BAD ||
			    used >= cut[i]);
		else if (rp == PROXY_BAD)
			CHECK(r == PROXY_BAD);
		else {
			CHECK(r == PROXY_DONE && usedp == used);
			CHECK(hp.version == h.version && hp.local == h.local);
			if (!h.local)
				CHECK(memcmp(&hp.src, &h.src, h.srclen) == 0 &&
				    memcmp(&hp.dst, &h.dst, h.dstlen) == 0);
		}
	}
	/* The header alone is the header. */
	if (r == PROXY_DONE) {
		CHECK(run(data, used, &usedp, &hp) == PROXY_DONE);
		CHECK(usedp == used);
		CHECK(used == 0 || run(data, used - 1, &usedp, &hp) ==
		    PROXY_MORE);
	}
	return 0;
}
