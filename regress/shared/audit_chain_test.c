/*
 * The audit chain's pieces (audit_chain.c, audit_json.c): the MAC and
 * the key's evolution against libsodium's BLAKE2b called directly, the
 * record frame, and JSON escaping that no byte can break out of.
 */
#include <string.h>

#include <atf-c.h>
#include <sodium.h>

#include "audit_chain.h"
#include "audit_json.h"
#include "buf.h"

static const char label[] = "postern audit key evolution";

/* MAC n is BLAKE2b-256 keyed with key n; key n+1 is keyed BLAKE2b of the label. */
ATF_TC_WITHOUT_HEAD(mac_chain);
ATF_TC_BODY(mac_chain, tc)
{
	uint8_t	 key[AUDIT_KEY_LEN], want[AUDIT_KEY_LEN], k0[AUDIT_KEY_LEN];
	uint8_t	 mac[AUDIT_MAC_LEN], mac2[AUDIT_MAC_LEN];
	int	 i;

	ATF_REQUIRE(sodium_init() != -1);
	for (i = 0; i < AUDIT_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	memcpy(k0, key, sizeof(k0));
	audit_mac(key, "abc", 3, mac);
	crypto_generichash(want, sizeof(want), (const uint8_t *)"abc", 3,
	    key, sizeof(key));
	ATF_REQUIRE(memcmp(mac, want, sizeof(mac)) == 0);
	audit_evolve(key);
	crypto_generichash(want, sizeof(want), (const uint8_t *)label,
	    sizeof(label) - 1, k0, sizeof(k0));
	ATF_REQUIRE(memcmp(key, want, sizeof(key)) == 0);
	ATF_REQUIRE(memcmp(key, k0, sizeof(key)) != 0);
	/* The same body under the next key has another MAC. */
	audit_mac(key, "abc", 3, mac2);
	ATF_REQUIRE(memcmp(mac, mac2, sizeof(mac)) != 0);
}

ATF_TC_WITHOUT_HEAD(seal_parse);
ATF_TC_BODY(seal_parse, tc)
{
	uint8_t			 key[AUDIT_KEY_LEN] = { 7 };
	uint8_t			 mac[AUDIT_MAC_LEN], mac2[AUDIT_MAC_LEN];
	char			 line[256];
	const char		*body = "{\"seg\":\"0123456789abcdef\",\"seq\":42"
				    ",\"event\":\"x\"";
	struct audit_line	 l;
	size_t			 n;

	ATF_REQUIRE(sodium_init() != -1);
	strcpy(line, body);
	n = audit_seal(key, line, strlen(body), mac2);
	ATF_REQUIRE_EQ(n, strlen(body) + AUDIT_TAIL_LEN);
	line[n] = '\0';
	ATF_REQUIRE(strncmp(line + strlen(body), ",\"mac\":\"", 8) == 0);
	ATF_REQUIRE(strcmp(line + n - 2, "\"}") == 0);
	ATF_REQUIRE_EQ(audit_line_parse(line, n, &l), 0);
	ATF_REQUIRE_STREQ(l.seg, "0123456789abcdef");
	ATF_REQUIRE_EQ(l.seq, 42);
	ATF_REQUIRE_EQ(l.bodylen, strlen(body));
	audit_mac(key, body, strlen(body), mac);
	ATF_REQUIRE(memcmp(mac, l.mac, sizeof(mac)) == 0);
	ATF_REQUIRE(memcmp(mac, mac2, sizeof(mac)) == 0);
	/* Its fields read back with the JSON reader. */
	ATF_REQUIRE_EQ(audit_json_get(line, n, "event", (char *)mac,
	    sizeof(mac)), 1);
	ATF_REQUIRE_STREQ((char *)mac, "x");
}

/* Anything not in the writer's exact frame is not a record. */
ATF_TC_WITHOUT_HEAD(parse_rejects);
ATF_TC_BODY(parse_rejects, tc)
{
	static const char *const bad[] = {
		"",
		"{}",
		"{\"seq\":1,\"seg\":\"0123456789abcdef\",\"mac\":\""
		    "0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"seg\":\"0123456789abcdeF\",\"seq\":1,\"a\":1,\"mac\":\""
		    "0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"seg\":\"0123456789abcdef\",\"seq\":01,\"a\":1,\"mac\":\""
		    "0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"seg\":\"0123456789abcdef\",\"seq\":-1,\"a\":1,\"mac\":\""
		    "0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"seg\":\"0123456789abcdef\",\"seq\":99999999999999999999,"
		    "\"a\":1,\"mac\":\""
		    "0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"seg\":\"0123456789abcdef\",\"seq\":1,\"a\":1,\"mac\":\""
		    "000000000000000000000000000000000000000000000000000000000000000g\"}",
		"{\"seg\":\"0123456789abcdef\",\"seq\":1,\"a\":1,\"mac\":\""
		    "0000000000000000000000000000000000000000000000000000000000000000\"",
		"{\"seg\":\"0123456789abcdef\",\"seq\":1,\"a\":1,\"mac\":\""
		    "00000000000000000000000000000000000000000000000000000000000000\"}",
	};
	struct audit_line	 l;
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(audit_line_parse(bad[i], strlen(bad[i]), &l),
		    -1, "accepted: %s", bad[i]);
}

static char *
esc(const char *s, size_t len)
{
	static char	 out[2048];
	struct buf	 b;

	buf_init(&b, 4096);
	ATF_REQUIRE_EQ(audit_json_str(&b, s, len), 0);
	ATF_REQUIRE(buf_len(&b) < sizeof(out));
	memcpy(out, buf_data(&b), buf_len(&b));
	out[buf_len(&b)] = '\0';
	buf_free(&b);
	return out;
}

ATF_TC_WITHOUT_HEAD(json_escape);
ATF_TC_BODY(json_escape, tc)
{
	ATF_CHECK_STREQ(esc("plain text", 10), "\"plain text\"");
	ATF_CHECK_STREQ(esc("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	ATF_CHECK_STREQ(esc("\r\n\t\x01\x1f\x7f", 6),
	    "\"\\u000d\\u000a\\u0009\\u0001\\u001f\\u007f\"");
	ATF_CHECK_STREQ(esc("\xc3\xa9\xff", 3), "\"\\u00c3\\u00a9\\u00ff\"");
	ATF_CHECK_STREQ(esc("a\0b", 3), "\"a\\u0000b\"");
	ATF_CHECK_STREQ(esc("", 0), "\"\"");
	/* A line break or a quote from a client never ends the record. */
	ATF_CHECK_STREQ(esc("x\",\"mac\":\"00\"}\n{", 16),
	    "\"x\\\",\\\"mac\\\":\\\"00\\\"}\\u000a{\"");
}

/* Every byte but NUL comes back as it went in; the output is 7-bit. */
ATF_TC_WITHOUT_HEAD(json_roundtrip);
ATF_TC_BODY(json_roundtrip, tc)
{
	char		 in[255], obj[2048], out[512];
	struct buf	 b;
	size_t		 i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i + 1);
	buf_init(&b, sizeof(obj) - 1);
	ATF_REQUIRE_EQ(buf_add(&b, "{\"k\":", 5), 0);
	ATF_REQUIRE_EQ(audit_json_str(&b, in, sizeof(in)), 0);
	ATF_REQUIRE_EQ(buf_add(&b, ",\"n\":12}", 8), 0);
	memcpy(obj, buf_data(&b), buf_len(&b));
	for (i = 0; i < buf_len(&b); i++)
		ATF_REQUIRE((unsigned char)obj[i] >= 0x20 &&
		    (unsigned char)obj[i] < 0x7f);
	ATF_REQUIRE_EQ(audit_json_get(obj, buf_len(&b), "k", out,
	    sizeof(out)), 1);
	ATF_REQUIRE_EQ(strlen(out), sizeof(in));
	ATF_REQUIRE(memcmp(out, in, sizeof(in)) == 0);
	ATF_REQUIRE_EQ(audit_json_get(obj, buf_len(&b), "n", out,
	    sizeof(out)), 1);
	ATF_REQUIRE_STREQ(out, "12");
	ATF_REQUIRE_EQ(audit_json_get(obj, buf_len(&b), "x", out,
	    sizeof(out)), 0);
	/* Too small for the value: refused, not cut. */
	ATF_REQUIRE_EQ(audit_json_get(obj, buf_len(&b), "k", out, 10), -1);
	buf_free(&b);
}

ATF_TC_WITHOUT_HEAD(json_malformed);
ATF_TC_BODY(json_malformed, tc)
{
	static const char *const bad[] = {
		"", "{", "}", "[]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
		"{\"a\":\"x}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\u0100\"}",
		"{\"a\":\"\\q\"}", "{\"a\":1} x", "{\"a\":\"\x01\"}",
		"{a:1}", "{\"a\":{\"b\":1}}",
	};
	char	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ATF_CHECK_EQ_MSG(audit_json_get(bad[i], strlen(bad[i]), "a",
		    out, sizeof(out)), -1, "accepted: %s", bad[i]);
	ATF_CHECK_EQ(audit_json_get("{}", 2, "a", out, sizeof(out)), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mac_chain);
	ATF_TP_ADD_TC(tp, seal_parse);
	ATF_TP_ADD_TC(tp, parse_rejects);
	ATF_TP_ADD_TC(tp, json_escape);
	ATF_TP_ADD_TC(tp, json_roundtrip);
	ATF_TP_ADD_TC(tp, json_malformed);
	return atf_no_error();
}
