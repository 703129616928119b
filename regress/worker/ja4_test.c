/*
 * JA4 of a ClientHello (worker/ja4.c) against the published examples of
 * FoxIO's specification (technical_details/JA4.md of
 * github.com/FoxIO-LLC/ja4): its example's cipher suites, extensions and
 * signature algorithms, built here into ClientHello messages with
 * GREASE values a browser would add, give the example's fingerprint,
 * its raw form (JA4_r) and its other published hash; the spec's table of
 * ALPN values gives its characters; and a message cut short, or with a
 * byte too many, gives none.
 *
 * Checked by hand once, not here (the captures are not this project's):
 * the ClientHellos of 16 of the repository's test captures (pcap/),
 * through ja4_client_hello(), against python/test/testdata: 138 of 140
 * fingerprints and raw forms the same; of the other two, one has no
 * expected value (a TLS inside HTTP CONNECT), and one has a non-ASCII
 * ALPN value, which the Python reference writes "99" where the
 * specification, which this follows, says the hex digits ("bd").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "ja4.h"

#define MSG_MAX		(64 * 1024)

/* The specification's example, in the order the client sent them. */
static const uint16_t spec_ciphers[] = { 0x1301, 0x1302, 0x1303, 0xc02b,
	0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
	0x009d, 0x002f, 0x0035 };
static const uint16_t spec_exts[] = { 0x001b, 0x0000, 0x0033, 0x0010,
	0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
	0xff01, 0x000b, 0x000a, 0x0015 };
static const uint16_t spec_sigalgs[] = { 0x0403, 0x0804, 0x0401, 0x0503,
	0x0805, 0x0501, 0x0806, 0x0601 };
static const char spec_ja4[] = "t13d1516h2_8daaf6152771_e5627efa2ab1";
static const char spec_ja4_r[] = "t13d1516h2_002f,0035,009c,009d,1301,1302,"
    "1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,"
    "0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,"
    "0503,0805,0501,0806,0601";

/* What a ClientHello is made of, for hello(). */
struct spec {
	uint16_t	 legacy;		/* legacy_version */
	const uint16_t	*ciphers;
	size_t		 nciphers;
	const uint16_t	*exts;			/* in order; GREASE as is */
	size_t		 nexts;
	const uint16_t	*versions;		/* supported_versions */
	size_t		 nversions;
	const uint16_t	*sigalgs;
	size_t		 nsigalgs;
	const uint8_t	*alpn;			/* the first value */
	size_t		 alpnlen;
	int		 noext;			/* no extensions block */
};

struct out {
	uint8_t		 b[MSG_MAX];
	size_t		 n;
};

static void
put8(struct out *o, unsigned v)
{
	ATF_REQUIRE(o->n < sizeof(o->b));
	o->b[o->n++] = (uint8_t)v;
}

static void
put16(struct out *o, unsigned v)
{
	put8(o, v >> 8);
	put8(o, v & 0xff);
}

static void
putn(struct out *o, const void *p, size_t n)
{
	ATF_REQUIRE(n <= sizeof(o->b) - o->n);
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

/* A length of bytes bytes at off, filled in with what follows it. */
static void
patch(struct out *o, size_t off, int bytes)
{
	size_t	 n = o->n - off - (size_t)bytes;
	int	 i;

	for (i = 0; i < bytes; i++)
		o->b[off + (size_t)i] = (uint8_t)(n >> (8 * (bytes - 1 - i)));
}

static void
ext_data(struct out *o, const struct spec *s, uint16_t t)
{
	static const char	 host[] = "imap.example.org";
	static const char	 h11[] = "http/1.1";
	size_t			 l, m, i;

	switch (t) {
	case 0x0000:
		l = o->n;
		put16(o, 0);
		put8(o, 0);
		put16(o, sizeof(host) - 1);
		putn(o, host, sizeof(host) - 1);
		patch(o, l, 2);
		break;
	case 0x0010:
		l = o->n;
		put16(o, 0);
		put8(o, (unsigned)s->alpnlen);
		putn(o, s->alpn, s->alpnlen);
		put8(o, sizeof(h11) - 1);
		putn(o, h11, sizeof(h11) - 1);
		patch(o, l, 2);
		break;
	case 0x002b:
		l = o->n;
		put8(o, 0);
		for (i = 0; i < s->nversions; i++)
			put16(o, s->versions[i]);
		patch(o, l, 1);
		break;
	case 0x000d:
		l = o->n;
		put16(o, 0);
		for (i = 0; i < s->nsigalgs; i++)
			put16(o, s->sigalgs[i]);
		patch(o, l, 2);
		break;
	case 0x0033:
		/* key_share: one X25519 share, its bytes made up */
		l = o->n;
		put16(o, 0);
		put16(o, 0x001d);
		put16(o, 32);
		for (m = 0; m < 32; m++)
			put8(o, (unsigned)m);
		patch(o, l, 2);
		break;
	default:
		/* GREASE extensions carry a byte, as Chrome's last one does */
		if ((t & 0x0f0f) == 0x0a0a)
			put8(o, 0);
		break;
	}
}

/* The ClientHello handshake message: its header, then its body. */
static void
hello(struct out *o, const struct spec *s)
{
	size_t	 i, l, e;

	o->n = 0;
	put8(o, 1);
	put8(o, 0);
	put16(o, 0);
	put16(o, s->legacy);
	for (i = 0; i < 32; i++)
		put8(o, (unsigned)(0xa0 + i));
	put8(o, 32);				/* legacy_session_id */
	for (i = 0; i < 32; i++)
		put8(o, (unsigned)i);
	l = o->n;
	put16(o, 0);
	for (i = 0; i < s->nciphers; i++)
		put16(o, s->ciphers[i]);
	patch(o, l, 2);
	put8(o, 1);
	put8(o, 0);				/* null compression */
	if (!s->noext) {
		l = o->n;
		put16(o, 0);
		for (i = 0; i < s->nexts; i++) {
			put16(o, s->exts[i]);
			e = o->n;
			put16(o, 0);
			ext_data(o, s, s->exts[i]);
			patch(o, e, 2);
		}
		patch(o, l, 2);
	}
	patch(o, 1, 3);
}

/* The spec's example with GREASE where a Chrome puts it. */
static void
spec_example(struct spec *s, uint16_t *ciphers, uint16_t *exts,
    uint16_t *versions)
{
	static const uint8_t	 h2[] = "h2";

	memset(s, 0, sizeof(*s));
	s->legacy = 0x0303;
	ciphers[0] = 0x2a2a;
	memcpy(ciphers + 1, spec_ciphers, sizeof(spec_ciphers));
	s->ciphers = ciphers;
	s->nciphers = 1 + sizeof(spec_ciphers) / 2;
	exts[0] = 0xdada;
	memcpy(exts + 1, spec_exts, sizeof(spec_exts));
	exts[1 + sizeof(spec_exts) / 2] = 0x3a3a;
	s->exts = exts;
	s->nexts = 2 + sizeof(spec_exts) / 2;
	versions[0] = 0x7a7a;
	versions[1] = 0x0304;
	versions[2] = 0x0303;
	s->versions = versions;
	s->nversions = 3;
	s->sigalgs = spec_sigalgs;
	s->nsigalgs = sizeof(spec_sigalgs) / 2;
	s->alpn = h2;
	s->alpnlen = 2;
}

static int
ja4(const struct out *o, char *fp, char *raw, size_t rawsize)
{
	return ja4_client_hello(o->b, o->n, fp, raw, rawsize);
}

ATF_TC_WITHOUT_HEAD(spec_example);
ATF_TC_BODY(spec_example, tc)
{
	static struct out	 o;
	struct spec		 s;
	uint16_t		 c[32], e[32], v[4];
	char			 fp[JA4_LEN + 1], raw[2048];

	spec_example(&s, c, e, v);
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, raw, sizeof(raw)), 0);
	ATF_CHECK_STREQ(fp, spec_ja4);
	ATF_CHECK_STREQ(raw, spec_ja4_r);
	ATF_CHECK_EQ(strlen(fp), JA4_LEN);
	/* Without the raw form, the same fingerprint. */
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_STREQ(fp, spec_ja4);
	/* A raw buffer too small is cut, the fingerprint is whole. */
	ATF_REQUIRE_EQ(ja4(&o, fp, raw, 20), 0);
	ATF_CHECK_STREQ(fp, spec_ja4);
	ATF_CHECK_STREQ(raw, "t13d1516h2_002f,003");

	/* GREASE counts nowhere, wherever it is. */
	v[0] = 0x0304;
	v[1] = 0x0303;
	v[2] = 0xfafa;
	c[0] = 0x0a0a;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_STREQ(fp, spec_ja4);

	/*
	 * signature_algorithms with none in it: the spec's second hash,
	 * of "0005,000a,...,ff01" without an "_".
	 */
	s.nsigalgs = 0;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, raw, sizeof(raw)), 0);
	ATF_CHECK_STREQ(fp, "t13d1516h2_8daaf6152771_6d807ffa2a79");
	ATF_CHECK(strstr(raw, "4469,ff01") != NULL &&
	    strchr(strstr(raw, "4469,ff01"), '_') == NULL);
}

ATF_TC_WITHOUT_HEAD(version_sni_counts);
ATF_TC_BODY(version_sni_counts, tc)
{
	static struct out	 o;
	struct spec		 s;
	uint16_t		 c[256], e[32], v[4];
	char			 fp[JA4_LEN + 1], raw[4096];
	size_t			 i;

	spec_example(&s, c, e, v);
	/* No SNI: "i"; the other counts still count it out. */
	memmove(e + 2, e + 3, (s.nexts - 3) * 2);
	s.nexts--;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_STREQ(fp, "t13i1515h2_8daaf6152771_e5627efa2ab1");

	/* No supported_versions: the legacy version. */
	spec_example(&s, c, e, v);
	s.nversions = 0;
	for (i = 0; i < s.nexts; i++)
		if (e[i] == 0x002b)
			e[i] = 0x0031;		/* post_handshake_auth */
	s.legacy = 0x0303;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_EQ(strncmp(fp, "t12d1516h2_8daaf6152771_", 24), 0);
	s.legacy = 0x0301;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_EQ(strncmp(fp, "t10d", 4), 0);
	s.legacy = 0x0300;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_EQ(strncmp(fp, "ts3d", 4), 0);
	s.legacy = 0x0305;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_EQ(strncmp(fp, "t00d", 4), 0);

	/* The highest of supported_versions, in any order. */
	spec_example(&s, c, e, v);
	v[0] = 0x0302;
	v[1] = 0x0303;
	v[2] = 0x0a0a;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_EQ(strncmp(fp, "t12d", 4), 0);

	/* More than 99: 99, the hash over all of them. */
	spec_example(&s, c, e, v);
	for (i = 0; i < 120; i++)
		c[i] = (uint16_t)(0x0100 + i);
	s.nciphers = 120;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, raw, sizeof(raw)), 0);
	ATF_CHECK_EQ(strncmp(fp, "t13d9916h2_", 11), 0);
	ATF_CHECK(strstr(raw, ",0177_") != NULL);

	/*
	 * An old client: no extensions at all, one cipher suite, TLS 1.2;
	 * no ALPN "00", and nothing to hash of the extensions.
	 */
	memset(&s, 0, sizeof(s));
	s.legacy = 0x0303;
	c[0] = 0x009c;
	s.ciphers = c;
	s.nciphers = 1;
	s.noext = 1;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, raw, sizeof(raw)), 0);
	ATF_CHECK_EQ(strncmp(fp, "t12i010000_", 11), 0);
	ATF_CHECK_STREQ(fp + 24, "000000000000");
	ATF_CHECK_STREQ(raw, "t12i010000_009c_");
	/* And no cipher suites either: zeros for their hash too. */
	s.nciphers = 0;
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_STREQ(fp, "t12i000000_000000000000_000000000000");
}

ATF_TC_WITHOUT_HEAD(alpn);
ATF_TC_BODY(alpn, tc)
{
	/* The specification's table, then the plain cases. */
	static const struct {
		const char	*v;
		size_t		 len;
		const char	*want;
	} t[] = {
		{ "\xab", 1, "ab" },
		{ "\x20", 1, "20" },
		{ "\xab\xcd", 2, "ad" },
		{ "\x20\x61", 2, "21" },
		{ "\x30\xab", 2, "3b" },
		{ "\x61\x20", 2, "60" },
		{ "\x30\x31\xab\xcd", 4, "3d" },
		{ "\x30\xab\xcd\x31", 4, "01" },
		{ "h2", 2, "h2" },
		{ "http/1.1", 8, "h1" },
		{ "imap", 4, "ip" },
		{ "x", 1, "xx" },
		{ "", 0, "00" },
	};
	static struct out	 o;
	struct spec		 s;
	uint16_t		 c[32], e[32], v[4];
	char			 fp[JA4_LEN + 1];
	size_t			 i;

	spec_example(&s, c, e, v);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s.alpn = (const uint8_t *)t[i].v;
		s.alpnlen = t[i].len;
		hello(&o, &s);
		ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
		ATF_CHECK_MSG(strncmp(fp + 8, t[i].want, 2) == 0,
		    "ALPN %zu: %.2s, want %s", i, fp + 8, t[i].want);
		/* The rest is the same fingerprint. */
		ATF_CHECK_STREQ(fp + 10, spec_ja4 + 10);
	}
	/* No ALPN extension: "00", and one extension fewer. */
	for (i = 0; i < s.nexts; i++)
		if (e[i] == 0x0010) {
			memmove(e + i, e + i + 1, (s.nexts - i - 1) * 2);
			s.nexts--;
			break;
		}
	hello(&o, &s);
	ATF_REQUIRE_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_STREQ(fp, "t13d151500_8daaf6152771_e5627efa2ab1");
}

ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	static struct out	 o, bad;
	struct spec		 s;
	uint16_t		 c[32], e[32], v[4];
	char			 fp[JA4_LEN + 1], raw[64];
	size_t			 n, body;

	spec_example(&s, c, e, v);
	hello(&o, &s);
	/* Cut anywhere, with the header's length made to agree or not. */
	for (n = 0; n < o.n; n++) {
		memcpy(bad.b, o.b, n);
		bad.n = n;
		strcpy(fp, "x");
		ATF_CHECK_EQ_MSG(ja4(&bad, fp, raw, sizeof(raw)), -1,
		    "%zu of %zu bytes", n, o.n);
		ATF_CHECK_STREQ(fp, "");
		if (n < 4)
			continue;
		body = n - 4;
		bad.b[1] = (uint8_t)(body >> 16);
		bad.b[2] = (uint8_t)(body >> 8);
		bad.b[3] = (uint8_t)body;
		/* Up to the compression methods it is a ClientHello still. */
		if (n == 4 + 2 + 32 + 1 + 32 + 2 + 2 * s.nciphers + 2) {
			ATF_CHECK_EQ(ja4(&bad, fp, NULL, 0), 0);
			ATF_CHECK_STREQ(fp, "t12i150000_8daaf6152771_"
			    "000000000000");
			continue;
		}
		ATF_CHECK_EQ_MSG(ja4(&bad, fp, raw, sizeof(raw)), -1,
		    "%zu of %zu bytes, length agreeing", n, o.n);
		ATF_CHECK_STREQ(raw, "");
	}
	/* A byte after the extensions. */
	memcpy(bad.b, o.b, o.n);
	bad.b[o.n] = 0;
	bad.n = o.n + 1;
	body = bad.n - 4;
	bad.b[1] = (uint8_t)(body >> 16);
	bad.b[2] = (uint8_t)(body >> 8);
	bad.b[3] = (uint8_t)body;
	ATF_CHECK_EQ(ja4(&bad, fp, NULL, 0), -1);
	/* Not a ClientHello. */
	memcpy(bad.b, o.b, o.n);
	bad.n = o.n;
	bad.b[0] = 2;
	ATF_CHECK_EQ(ja4(&bad, fp, NULL, 0), -1);
	/* An odd length of the cipher suites. */
	memcpy(bad.b, o.b, o.n);
	ATF_REQUIRE_EQ(bad.b[4 + 2 + 32 + 1 + 32 + 1], 2 * s.nciphers);
	bad.b[4 + 2 + 32 + 1 + 32 + 1] ^= 1;
	ATF_CHECK_EQ(ja4(&bad, fp, NULL, 0), -1);
	/* An extension longer than the block. */
	memcpy(bad.b, o.b, o.n);
	bad.b[4 + 2 + 32 + 1 + 32 + 2 + 2 * s.nciphers + 2 + 2 + 3] = 0xff;
	ATF_CHECK_EQ(ja4(&bad, fp, NULL, 0), -1);
	/* And the good one is still good. */
	ATF_CHECK_EQ(ja4(&o, fp, NULL, 0), 0);
	ATF_CHECK_STREQ(fp, spec_ja4);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, spec_example);
	ATF_TP_ADD_TC(tp, version_sni_counts);
	ATF_TP_ADD_TC(tp, alpn);
	ATF_TP_ADD_TC(tp, malformed);
	return atf_no_error();
}
