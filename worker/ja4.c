/*
 * JA4 of a ClientHello (ja4.h): the message read with a bounds check at
 * every step (RFC 8446 section 4.1.2, which RFC 5246's ClientHello is a
 * case of), then the fingerprint built as technical_details/JA4.md of
 * FoxIO's repository says.  SHA-256 is libsodium's: nothing here makes
 * a system call, so it runs under the worker's filter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ja4.h"

#define HS_CLIENT_HELLO		1
#define EXT_SNI			0x0000
#define EXT_SIGALGS		0x000d
#define EXT_ALPN		0x0010
#define EXT_VERSIONS		0x002b

/* A cursor over bytes not yet read. */
struct rd {
	const uint8_t	*p;
	size_t		 left;
};

/* One part of the fingerprint: hashed, and kept in clear for JA4_r. */
struct part {
	crypto_hash_sha256_state st;
	size_t		 n;		/* bytes hashed */
	char		*raw;		/* NULL: none wanted */
	size_t		 rawsize;
	size_t		*rawlen;
};

static int
get16(struct rd *r, uint16_t *v)
{
	if (r->left < 2)
		return -1;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return 0;
}

/* n bytes into sub (may be NULL: skipped). */
static int
take(struct rd *r, size_t n, struct rd *sub)
{
	if (r->left < n)
		return -1;
	if (sub != NULL) {
		sub->p = r->p;
		sub->left = n;
	}
	r->p += n;
	r->left -= n;
	return 0;
}

/* A vector with a length of lenbytes (1 or 2) in front. */
static int
vec(struct rd *r, int lenbytes, struct rd *sub)
{
	uint16_t	 n;

	if (lenbytes == 1) {
		if (r->left < 1)
			return -1;
		n = r->p[0];
		r->p++;
		r->left--;
	} else if (get16(r, &n) == -1)
		return -1;
	return take(r, n, sub);
}

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static int
grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static int
cmp16(const void *a, const void *b)
{
	uint16_t	 x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return x < y ? -1 : x > y;
}

static void
raw_add(struct part *pt, const char *s, size_t n)
{
	size_t	 room;

	if (pt->raw == NULL || pt->rawsize == 0)
		return;
	room = pt->rawsize - 1 - *pt->rawlen;
	if (n > room)
		n = room;
	memcpy(pt->raw + *pt->rawlen, s, n);
	*pt->rawlen += n;
	pt->raw[*pt->rawlen] = '\0';
}

static void
part_begin(struct part *pt, char *raw, size_t rawsize, size_t *rawlen)
{
	crypto_hash_sha256_init(&pt->st);
	pt->n = 0;
	pt->raw = raw;
	pt->rawsize = rawsize;
	pt->rawlen = rawlen;
	raw_add(pt, "_", 1);
}

static void
part_add(struct part *pt, const char *s, size_t n)
{
	crypto_hash_sha256_update(&pt->st, (const uint8_t *)s, n);
	pt->n += n;
	raw_add(pt, s, n);
}

/* The values as 4-digit lower-case hex, joined by commas. */
static void
part_list(struct part *pt, const uint16_t *v, size_t n, int comma)
{
	char	 hex[6];
	size_t	 i;

	for (i = 0; i < n; i++) {
		(void)snprintf(hex, sizeof(hex), "%s%04x",
		    comma || i > 0 ? "," : "", v[i]);
		part_add(pt, hex, strlen(hex));
	}
}

/* 12 hex digits of the hash, or 12 zeros for nothing at all. */
static void
part_end(struct part *pt, char out[13])
{
	uint8_t	 h[crypto_hash_sha256_BYTES];
	size_t	 i;

	crypto_hash_sha256_final(&pt->st, h);
	if (pt->n == 0) {
		memcpy(out, "000000000000", 13);
		return;
	}
	for (i = 0; i < 6; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static const char *
version(uint16_t v)
{
	switch (v) {
	case 0x0304:
		return "13";
	case 0x0303:
		return "12";
	case 0x0302:
		return "11";
	case 0x0301:
		return "10";
	case 0x0300:
		return "s3";
	case 0x0002:
		return "s2";
	case 0xfeff:
		return "d1";
	case 0xfefd:
		return "d2";
	case 0xfefc:
		return "d3";
	default:
		return "00";
	}
}

/* The highest version of supported_versions, GREASE aside; 0: none. */
static uint16_t
highest(struct rd d)
{
	struct rd	 l;
	uint16_t	 v, best = 0;

	if (vec(&d, 1, &l) == -1)
		return 0;
	while (get16(&l, &v) == 0)
		if (!grease(v) && v > best)
			best = v;
	return best;
}

static int
alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

/*
 * The first and last character of the first ALPN value; when either is
 * not alphanumeric, the first and last hex digit of the value instead;
 * "00" without a value.
 */
static void
alpn(const struct rd *ext, char out[3])
{
	static const char	 hx[] = "0123456789abcdef";
	struct rd		 d = *ext, l, v;

	memcpy(out, "00", 3);
	if (ext->p == NULL || vec(&d, 2, &l) == -1 || vec(&l, 1, &v) == -1 ||
	    v.left == 0)
		return;
	if (alnum(v.p[0]) && alnum(v.p[v.left - 1])) {
		out[0] = (char)v.p[0];
		out[1] = (char)v.p[v.left - 1];
	} else {
		out[0] = hx[v.p[0] >> 4];
		out[1] = hx[v.p[v.left - 1] & 0x0f];
	}
}

/* The signature algorithms, GREASE aside, in their order. */
static size_t
sigalgs(const struct rd *ext, uint16_t *out, size_t max)
{
	struct rd	 d = *ext, l;
	uint16_t	 v;
	size_t		 n = 0;

	if (ext->p == NULL || vec(&d, 2, &l) == -1)
		return 0;
	while (n < max && get16(&l, &v) == 0)
		if (!grease(v))
			out[n++] = v;
	return n;
}

static int
fingerprint(struct rd *b, char out[JA4_LEN + 1], char *raw, size_t rawsize,
    uint16_t *cs, uint16_t *ext, uint16_t *sig)
{
	struct rd	 ciphers, exts, d, sv = { NULL, 0 }, al = { NULL, 0 },
			 sa = { NULL, 0 };
	struct part	 pt;
	uint16_t	 legacy, t, v;
	size_t		 ncs = 0, next = 0, nsorted = 0, nsig, rawlen = 0, i;
	char		 head[11], a[3], hc[13], he[13];
	int		 sni = 0;

	if (get16(b, &legacy) == -1 || take(b, 32, NULL) == -1 ||
	    vec(b, 1, NULL) == -1 || vec(b, 2, &ciphers) == -1 ||
	    (ciphers.left & 1) || vec(b, 1, NULL) == -1)
		return -1;
	/* No extensions at all is a TLS 1.2 ClientHello still. */
	exts.p = NULL;
	exts.left = 0;
	if (b->left > 0 && (vec(b, 2, &exts) == -1 || b->left != 0))
		return -1;
	while (get16(&ciphers, &v) == 0)
		if (!grease(v))
			cs[ncs++] = v;
	while (exts.left > 0) {
		if (get16(&exts, &t) == -1 || vec(&exts, 2, &d) == -1)
			return -1;
		if (grease(t))
			continue;
		ext[next++] = t;
		if (t == EXT_SNI)
			sni = 1;
		else if (t == EXT_VERSIONS && sv.p == NULL)
			sv = d;
		else if (t == EXT_ALPN && al.p == NULL)
			al = d;
		else if (t == EXT_SIGALGS && sa.p == NULL)
			sa = d;
	}
	v = sv.p != NULL ? highest(sv) : legacy;
	alpn(&al, a);
	(void)snprintf(head, sizeof(head), "t%s%c%02zu%02zu%s", version(v),
	    sni ? 'd' : 'i', ncs > 99 ? (size_t)99 : ncs,
	    next > 99 ? (size_t)99 : next, a);
	if (raw != NULL && rawsize > 0) {
		(void)snprintf(raw, rawsize, "%s", head);
		rawlen = strlen(raw);
	}

	qsort(cs, ncs, sizeof(cs[0]), cmp16);
	part_begin(&pt, raw, rawsize, &rawlen);
	part_list(&pt, cs, ncs, 0);
	part_end(&pt, hc);

	for (i = 0; i < next; i++)
		if (ext[i] != EXT_SNI && ext[i] != EXT_ALPN)
			ext[nsorted++] = ext[i];
	qsort(ext, nsorted, sizeof(ext[0]), cmp16);
	nsig = sigalgs(&sa, sig, SIZE_MAX);
	part_begin(&pt, raw, rawsize, &rawlen);
	part_list(&pt, ext, nsorted, 0);
	if (nsig > 0) {
		part_add(&pt, "_", 1);
		part_list(&pt, sig, nsig, 0);
	}
	part_end(&pt, he);

	(void)snprintf(out, JA4_LEN + 1, "%s_%s_%s", head, hc, he);
	return 0;
}

int
ja4_client_hello(const uint8_t *msg, size_t len, char out[JA4_LEN + 1],
    char *raw, size_t rawsize)
{
	struct rd	 b;
	uint16_t	*cs = NULL, *ext = NULL, *sig = NULL;
	size_t		 body;
	int		 rc = -1;

	out[0] = '\0';
	if (raw != NULL && rawsize > 0)
		raw[0] = '\0';
	if (len < 4 || msg[0] != HS_CLIENT_HELLO)
		return -1;
	body = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
	if (body != len - 4)
		return -1;
	b.p = msg + 4;
	b.left = body;
	/*
	 * At most a value per two bytes of the message: the cipher suites
	 * and the signature algorithms, and an extension per four.
	 */
	if ((cs = calloc(body / 2 + 1, sizeof(*cs))) == NULL ||
	    (ext = calloc(body / 4 + 1, sizeof(*ext))) == NULL ||
	    (sig = calloc(body / 2 + 1, sizeof(*sig))) == NULL)
		goto out;
	rc = fingerprint(&b, out, raw, rawsize, cs, ext, sig);
	if (rc == -1) {
		out[0] = '\0';
		if (raw != NULL && rawsize > 0)
			raw[0] = '\0';
	}
 out:
	free(cs);
	free(ext);
	free(sig);
	return rc;
}
