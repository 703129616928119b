/*
 * The rule bundle format (policyctl/bundle.h) and its key files
 * (shared/signkey.h): what export makes verifies; any byte changed, any
 * cut, anything added, another key, a wrong sha256 is refused.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>
#include <sodium.h>

#include "bundle.h"
#include "signkey.h"

static const char src[] =
    "imap request LOGIN reject \"[PRIVACYREQUIRED] TLS first\" unless tls\n"
    "imap request * accept\n";

static void
keypair(struct signkey_sec *sec, struct signkey_pub *pub)
{
	ATF_REQUIRE(sodium_init() != -1);
	ATF_REQUIRE(crypto_sign_keypair(pub->pk, sec->sk) == 0);
	signkey_id(pub->pk, pub->id);
	memcpy(sec->id, pub->id, sizeof(sec->id));
}

static char *
make(const struct signkey_sec *sec, const char *s, size_t len, int badsha,
    size_t *outlen)
{
	struct bundle	 b;
	char		 err[256], *out;

	memset(&b, 0, sizeof(b));
	(void)snprintf(b.origin, sizeof(b.origin), "mx1.example.org");
	b.gen = 42;
	b.created = 1796654957;
	(void)snprintf(b.file, sizeof(b.file), "/etc/postern/postern.rules");
	crypto_hash_sha256(b.sha256, (const uint8_t *)s, len);
	b.sha256[7] ^= (uint8_t)badsha;
	b.src = s;
	b.srclen = len;
	if (bundle_make(&b, sec, &out, outlen, err, sizeof(err)) == -1)
		atf_tc_fail("bundle_make: %s", err);
	return out;
}

/* 0 when the bundle passes both parse and verify; else -1, why in err. */
static int
check(const char *buf, size_t len, const struct signkey_pub *keys,
    size_t nkeys, char *err, size_t errlen)
{
	struct bundle	 b;

	if (bundle_parse(buf, len, &b, err, errlen) == -1)
		return -1;
	return bundle_verify(&b, buf, keys, nkeys, err, errlen);
}

ATF_TC_WITHOUT_HEAD(roundtrip);
ATF_TC_BODY(roundtrip, tc)
{
	struct signkey_sec	 sec;
	struct signkey_pub	 pub;
	struct bundle		 b;
	char			 err[256], *buf;
	size_t			 len;

	keypair(&sec, &pub);
	buf = make(&sec, src, strlen(src), 0, &len);
	ATF_CHECK(strncmp(buf, "postern-bundle 1\nkey: ", 22) == 0);
	if (bundle_parse(buf, len, &b, err, sizeof(err)) == -1)
		atf_tc_fail("parse: %s", err);
	if (bundle_verify(&b, buf, &pub, 1, err, sizeof(err)) == -1)
		atf_tc_fail("verify: %s", err);
	ATF_CHECK_STREQ(b.keyid, pub.id);
	ATF_CHECK_STREQ(b.origin, "mx1.example.org");
	ATF_CHECK_EQ(b.gen, 42);
	ATF_CHECK_EQ(b.created, 1796654957);
	ATF_CHECK_STREQ(b.file, "/etc/postern/postern.rules");
	ATF_CHECK_EQ(b.srclen, strlen(src));
	ATF_CHECK(memcmp(b.src, src, b.srclen) == 0);
	free(buf);
	/* An empty source is a rule set too. */
	buf = make(&sec, "", 0, 0, &len);
	ATF_CHECK(check(buf, len, &pub, 1, err, sizeof(err)) == 0);
	free(buf);
}

/*
 * Every byte of the header, the source and the signature line, each
 * changed to each of the 255 other values: never accepted.  (libsodium's
 * base64 decoder alone takes 0xaf for '/'.)
 */
ATF_TC_WITHOUT_HEAD(every_byte);
ATF_TC_BODY(every_byte, tc)
{
	struct signkey_sec	 sec;
	struct signkey_pub	 pub;
	struct bundle		 b;
	char			 err[256], *buf;
	size_t			 len, i, j, tried = 0, where[3] = { 0, 0, 0 };

	keypair(&sec, &pub);
	buf = make(&sec, src, strlen(src), 0, &len);
	ATF_REQUIRE(bundle_parse(buf, len, &b, err, sizeof(err)) == 0);
	for (i = 0; i < len; i++) {
		for (j = 1; j < 256; j++) {
			buf[i] ^= (char)j;
			if (check(buf, len, &pub, 1, err, sizeof(err)) == 0)
				atf_tc_fail("byte %zu ^ 0x%02zx accepted", i,
				    j);
			buf[i] ^= (char)j;
			tried++;
		}
		where[i < (size_t)(b.src - buf) ? 0 :
		    i < b.signedlen ? 1 : 2]++;
	}
	ATF_CHECK(check(buf, len, &pub, 1, err, sizeof(err)) == 0);
	ATF_CHECK(where[0] > 100 && where[1] == strlen(src) &&
	    where[2] == 100);
	printf("%zu changes refused: header %zu, source %zu, signature %zu "
	    "bytes\n", tried, where[0], where[1], where[2]);
	free(buf);
}

/* Cut at every length, and one byte more than made: refused. */
ATF_TC_WITHOUT_HEAD(truncated);
ATF_TC_BODY(truncated, tc)
{
	struct signkey_sec	 sec;
	struct signkey_pub	 pub;
	char			 err[256], *buf, *more;
	size_t			 len, i;

	keypair(&sec, &pub);
	buf = make(&sec, src, strlen(src), 0, &len);
	for (i = 0; i < len; i++)
		if (check(buf, i, &pub, 1, err, sizeof(err)) == 0)
			atf_tc_fail("cut to %zu of %zu bytes accepted", i,
			    len);
	/* Cut inside the source: the message says so. */
	ATF_CHECK(check(buf, len - 120, &pub, 1, err, sizeof(err)) == -1);
	ATF_CHECK_MSG(strstr(err, "cut short") != NULL, "%s", err);
	ATF_CHECK(check(buf, 20, &pub, 1, err, sizeof(err)) == -1);
	ATF_CHECK_MSG(strstr(err, "cut short") != NULL, "%s", err);
	ATF_REQUIRE((more = malloc(len + 1)) != NULL);
	memcpy(more, buf, len);
	more[len] = '\n';
	ATF_CHECK(check(more, len + 1, &pub, 1, err, sizeof(err)) == -1);
	free(more);
	free(buf);
}

/* Not trusted; a trusted key under the signer's ID; no trust at all. */
ATF_TC_WITHOUT_HEAD(wrong_key);
ATF_TC_BODY(wrong_key, tc)
{
	struct signkey_sec	 sec, sec2;
	struct signkey_pub	 pub, pub2, keys[2];
	char			 err[256], *buf;
	size_t			 len;

	keypair(&sec, &pub);
	keypair(&sec2, &pub2);
	buf = make(&sec, src, strlen(src), 0, &len);
	ATF_CHECK(check(buf, len, &pub2, 1, err, sizeof(err)) == -1);
	ATF_CHECK_MSG(strstr(err, "not trusted") != NULL, "%s", err);
	ATF_CHECK(check(buf, len, NULL, 0, err, sizeof(err)) == -1);
	keys[0] = pub2;
	keys[1] = pub2;
	memcpy(keys[1].id, pub.id, sizeof(pub.id));
	ATF_CHECK(check(buf, len, keys, 2, err, sizeof(err)) == -1);
	ATF_CHECK_MSG(strstr(err, "bad signature") != NULL, "%s", err);
	keys[1] = pub;
	ATF_CHECK(check(buf, len, keys, 2, err, sizeof(err)) == 0);
	free(buf);
}

/* Signed, but the sha256 is not the source's: refused all the same. */
ATF_TC_WITHOUT_HEAD(sha_mismatch);
ATF_TC_BODY(sha_mismatch, tc)
{
	struct signkey_sec	 sec;
	struct signkey_pub	 pub;
	char			 err[256], *buf;
	size_t			 len;

	keypair(&sec, &pub);
	buf = make(&sec, src, strlen(src), 1, &len);
	ATF_CHECK(check(buf, len, &pub, 1, err, sizeof(err)) == -1);
	ATF_CHECK_MSG(strstr(err, "sha256") != NULL, "%s", err);
	free(buf);
}

/* Hand-made bundles of almost the format, each refused by the parser. */
ATF_TC_WITHOUT_HEAD(strict);
ATF_TC_BODY(strict, tc)
{
	static const char *bad[] = {
	    "",
	    "postern-bundle 2\n",
	    "postern-bundle 1\r\nkey: 0123456789abcdef\n",
	    "postern-bundle 1\norigin: a\nkey: 0123456789abcdef\n",
	    "postern-bundle 1\nkey: 0123456789ABCDEF\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a b\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 0\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 07\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 18446744073709551616\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 1\ncreated: -1\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 1\ncreated: 1\nfile: \x01\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 1\ncreated: 1\nsha256: "
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 1\ncreated: 1\nfile: r\nsha256: 00\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 1\ncreated: 1\nfile: r\nsha256: "
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "\nlength: 0\nsignature: x\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 1\ncreated: 1\nfile: r\nsha256: "
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "\nlength: 0\n\n",
	    "postern-bundle 1\nkey: 0123456789abcdef\norigin: a\n"
	    "generation: 1\ncreated: 1\nfile: r\nsha256: "
	    "0000000000000000000000000000000000000000000000000000000000000000"
	    "\nlength: 16777217\n\n",
	};
	struct bundle	 b;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ATF_CHECK_MSG(bundle_parse(bad[i], strlen(bad[i]), &b, err,
		    sizeof(err)) == -1, "bad[%zu] parsed", i);
		printf("bad[%zu]: %s\n", i, err);
	}
}

ATF_TC_WITHOUT_HEAD(key_files);
ATF_TC_BODY(key_files, tc)
{
	struct signkey_sec	 sec, sec2;
	struct signkey_pub	 pub, pub2;
	char			 line[SIGNKEY_FILE_MAX], err[256];
	size_t			 i, j;
	int			 n;

	keypair(&sec, &pub);
	ATF_REQUIRE((n = signkey_format_pub(&pub, line, sizeof(line))) > 0);
	ATF_REQUIRE(signkey_parse_pub(line, (size_t)n, &pub2, err,
	    sizeof(err)) == 0);
	ATF_CHECK(memcmp(&pub, &pub2, sizeof(pub)) == 0);
	/* Without its newline, with another ID, as a secret key: refused. */
	ATF_CHECK(signkey_parse_pub(line, (size_t)n - 1, &pub2, err,
	    sizeof(err)) == -1);
	line[25] = line[25] == '0' ? '1' : '0';
	ATF_CHECK(signkey_parse_pub(line, (size_t)n, &pub2, err,
	    sizeof(err)) == -1);
	ATF_CHECK_MSG(strstr(err, "not that of the key") != NULL, "%s", err);
	ATF_CHECK(signkey_parse_sec(line, (size_t)n, &sec2, err,
	    sizeof(err)) == -1);
	/* Any byte of the line changed, 0xaf for '/' too: refused. */
	ATF_REQUIRE((n = signkey_format_pub(&pub, line, sizeof(line))) > 0);
	for (i = 0; i < (size_t)n; i++)
		for (j = 1; j < 256; j++) {
			line[i] ^= (char)j;
			ATF_CHECK_MSG(signkey_parse_pub(line, (size_t)n, &pub2,
			    err, sizeof(err)) == -1, "byte %zu ^ %zu", i, j);
			line[i] ^= (char)j;
		}

	ATF_REQUIRE((n = signkey_format_sec(&sec, line, sizeof(line))) > 0);
	ATF_REQUIRE(signkey_parse_sec(line, (size_t)n, &sec2, err,
	    sizeof(err)) == 0);
	ATF_CHECK(memcmp(&sec, &sec2, sizeof(sec)) == 0);
	/* A secret key whose public half is not its seed's. */
	sec2.sk[40] ^= 1;
	ATF_REQUIRE((n = signkey_format_sec(&sec2, line, sizeof(line))) > 0);
	ATF_CHECK(signkey_parse_sec(line, (size_t)n, &sec2, err,
	    sizeof(err)) == -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, roundtrip);
	ATF_TP_ADD_TC(tp, every_byte);
	ATF_TP_ADD_TC(tp, truncated);
	ATF_TP_ADD_TC(tp, wrong_key);
	ATF_TP_ADD_TC(tp, sha_mismatch);
	ATF_TP_ADD_TC(tp, strict);
	ATF_TP_ADD_TC(tp, key_files);
	return atf_no_error();
}
