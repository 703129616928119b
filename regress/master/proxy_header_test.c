/*
 * The PROXY header parser of the master (master/proxy_header.h) against
 * the cases of HAProxy's doc/proxy-protocol.txt: both versions whole and
 * byte by byte, what follows a header left alone, LOCAL and UNKNOWN, the
 * TLVs postern keeps, and the malformed headers it must refuse.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include "proxy_header.h"

static uint8_t	 v2[PROXY_HEADER_MAX + 64];
static size_t	 v2len;

/* A v2 header: signature, ver_cmd, fam, then the body added below. */
static void
v2_begin(uint8_t ver_cmd, uint8_t fam)
{
	memcpy(v2, PROXY_V2_SIG, PROXY_V2_SIG_LEN);
	v2[12] = ver_cmd;
	v2[13] = fam;
	v2len = PROXY_V2_FIXED;
}

static void
v2_add(const void *p, size_t len)
{
	memcpy(v2 + v2len, p, len);
	v2len += len;
}

static void
v2_tlv(uint8_t type, const void *p, size_t len)
{
	uint8_t	 h[3] = { type, (uint8_t)(len >> 8), (uint8_t)len };

	v2_add(h, 3);
	v2_add(p, len);
}

/* The length field, from what was added. */
static void
v2_end(void)
{
	size_t	 body = v2len - PROXY_V2_FIXED;

	v2[14] = (uint8_t)(body >> 8);
	v2[15] = (uint8_t)body;
}

static void
v2_inet(const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	uint8_t		 a[4];
	uint16_t	 p;

	ATF_REQUIRE(inet_pton(AF_INET, src, a) == 1);
	v2_add(a, 4);
	ATF_REQUIRE(inet_pton(AF_INET, dst, a) == 1);
	v2_add(a, 4);
	p = htons(sport);
	v2_add(&p, 2);
	p = htons(dport);
	v2_add(&p, 2);
}

static const char *
addr(const struct sockaddr_storage *ss, uint16_t *port)
{
	static char	 buf[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    buf, sizeof(buf));
		*port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, buf,
		    sizeof(buf));
		*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	} else
		snprintf(buf, sizeof(buf), "family %d", ss->ss_family);
	return buf;
}

static enum proxy_result
parse(const void *p, size_t len, size_t *used, struct proxy_header *h,
    const char **why)
{
	return proxy_header_parse(p, len, used, h, why);
}

/* Every proper prefix wants more; the whole is the header, used exactly. */
static void
whole(const void *p, size_t hlen, size_t extra, struct proxy_header *h)
{
	const char	*why;
	size_t		 i, used;

	for (i = 0; i < hlen; i++)
		ATF_REQUIRE_EQ_MSG(parse(p, i, &used, h, &why), PROXY_MORE,
		    "prefix of %zu bytes: %s", i, why ? why : "");
	ATF_REQUIRE_EQ_MSG(parse(p, hlen + extra, &used, h, &why), PROXY_DONE,
	    "%s", why ? why : "");
	ATF_REQUIRE_EQ(used, hlen);
}

static void
bad(const void *p, size_t len, const char *want)
{
	struct proxy_header	 h;
	const char		*why;
	size_t			 used;

	ATF_REQUIRE_EQ_MSG(parse(p, len, &used, &h, &why), PROXY_BAD,
	    "not refused: %.*s", (int)len, (const char *)p);
	ATF_REQUIRE(why != NULL);
	if (want != NULL)
		ATF_REQUIRE_MATCH(want, why);
}

ATF_TC_WITHOUT_HEAD(v1_tcp4);
ATF_TC_BODY(v1_tcp4, tc)
{
	const char		 s[] = "PROXY TCP4 192.0.2.7 198.51.100.1 "
				    "50312 993\r\n\x16\x03\x01";
	struct proxy_header	 h;
	uint16_t		 port;

	whole(s, sizeof(s) - 1 - 3, 3, &h);
	ATF_REQUIRE_EQ(h.version, 1);
	ATF_REQUIRE_EQ(h.local, 0);
	ATF_REQUIRE_STREQ(addr(&h.src, &port), "192.0.2.7");
	ATF_REQUIRE_EQ(port, 50312);
	ATF_REQUIRE_STREQ(addr(&h.dst, &port), "198.51.100.1");
	ATF_REQUIRE_EQ(port, 993);
}

ATF_TC_WITHOUT_HEAD(v1_tcp6_unknown);
ATF_TC_BODY(v1_tcp6_unknown, tc)
{
	const char	 s6[] = "PROXY TCP6 2001:db8::7 2001:db8::1 0 65535\r\n";
	const char	 u1[] = "PROXY UNKNOWN\r\n";
	const char	 u2[] = "PROXY UNKNOWN ffff:f::f ffff::f 65535 65535\r\n";
	char		 longest[PROXY_V1_MAX + 1];
	struct proxy_header h;
	uint16_t	 port;

	whole(s6, sizeof(s6) - 1, 0, &h);
	ATF_REQUIRE_STREQ(addr(&h.src, &port), "2001:db8::7");
	ATF_REQUIRE_EQ(port, 0);
	ATF_REQUIRE_EQ(h.dst.ss_family, AF_INET6);
	whole(u1, sizeof(u1) - 1, 0, &h);
	ATF_REQUIRE_EQ(h.local, 1);
	whole(u2, sizeof(u2) - 1, 0, &h);
	ATF_REQUIRE_EQ(h.local, 1);
	/* The longest line there may be: 107 bytes with its CRLF. */
	memset(longest, 'x', sizeof(longest));
	memcpy(longest, "PROXY UNKNOWN ", 14);
	memcpy(longest + PROXY_V1_MAX - 2, "\r\n", 2);
	whole(longest, PROXY_V1_MAX, 0, &h);
	ATF_REQUIRE_EQ(h.local, 1);
}

ATF_TC_WITHOUT_HEAD(v1_bad);
ATF_TC_BODY(v1_bad, tc)
{
	char	 longline[PROXY_V1_MAX + 10];

	bad("PROXY TCP4  192.0.2.7 198.51.100.1 1 2\r\n", 40, "four fields");
	bad("PROXY TCP4 192.0.2.7 198.51.100.1 01 2\r\n", 40, "port");
	bad("PROXY TCP4 192.0.2.7 198.51.100.1 65536 2\r\n", 43, "port");
	bad("PROXY TCP4 192.0.2.7 198.51.100.1 -1 2\r\n", 40, "port");
	bad("PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n", 41, "address");
	bad("PROXY TCP4 192.0.2.007 198.51.100.1 1 2\r\n", 41, "address");
	bad("PROXY TCP6 192.0.2.7 198.51.100.1 1 2\r\n", 39, "address");
	bad("PROXY TCP4 192.0.2.7 198.51.100.1 1 2 3\r\n", 41, "four");
	bad("PROXY TCP4 192.0.2.7 198.51.100.1 1\r\n", 37, "four");
	bad("PROXY TCP4 192.0.2.7 198.51.100.1 1 2 \r\n", 40, "four");
	bad("PROXY tcp4 192.0.2.7 198.51.100.1 1 2\r\n", 39, "protocol");
	bad("PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n", 39, "protocol");
	bad("PROXY TCP4 192.0.2.7 198.51.100.1 1 2\n", 38, "CRLF");
	bad("PROXY TCP4 192.0.2.7\r198.51.100.1 1 2\r\n", 39, "control");
	bad("PROXY TCP4 192.0.2.\xe9 198.51.100.1 1 2\r\n", 39, "8-bit");
	bad("PROXY\r\n", 7, "not a PROXY");
	bad("PROXYTCP4", 9, "not a PROXY");
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "PROXY UNKNOWN ", 14);
	bad(longline, PROXY_V1_MAX, "107");
	memcpy(longline + PROXY_V1_MAX - 1, "\r\n", 2);
	bad(longline, PROXY_V1_MAX + 1, "107");
}

/* Not a proxy at all: refused at its first byte, not at the timeout. */
ATF_TC_WITHOUT_HEAD(not_proxy);
ATF_TC_BODY(not_proxy, tc)
{
	bad("a1 LOGIN u p\r\n", 1, "not a PROXY");
	bad("\x16\x03\x01", 1, "not a PROXY");
	bad("GET / HTTP/1.0", 1, "not a PROXY");
	bad("\r\n\r\n\0\r\nQUIX", 12, "not a PROXY");
	bad("PRO\r", 4, "not a PROXY");
}

ATF_TC_WITHOUT_HEAD(v2_inet_tlvs);
ATF_TC_BODY(v2_inet_tlvs, tc)
{
	static const uint8_t	 ssl[] = { PP2_CLIENT_SSL, 0, 0, 0, 1,
				    PP2_SUBTYPE_SSL_VERSION, 0, 7,
				    'T', 'L', 'S', 'v', '1', '.', '3',
				    PP2_SUBTYPE_SSL_CN, 0, 1, 'x',
				    PP2_SUBTYPE_SSL_CIPHER, 0, 22,
				    'T', 'L', 'S', '_', 'A', 'E', 'S', '_',
				    '1', '2', '8', '_', 'G', 'C', 'M', '_',
				    'S', 'H', 'A', '2', '5', '6' };
	struct proxy_header	 h;
	uint16_t		 port;

	v2_begin(0x21, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 50312, 993);
	v2_tlv(PP2_TYPE_NOOP, "", 0);
	v2_tlv(PP2_TYPE_ALPN, "imap", 4);
	v2_tlv(PP2_TYPE_AUTHORITY, "mail.example\n", 13);
	v2_tlv(PP2_TYPE_UNIQUE_ID, "abc", 3);
	v2_tlv(PP2_TYPE_SSL, ssl, sizeof(ssl));
	v2_tlv(0xe0, "custom", 6);
	v2_end();
	v2_add("\x16\x03\x01", 3);
	whole(v2, v2len - 3, 3, &h);
	ATF_REQUIRE_EQ(h.version, 2);
	ATF_REQUIRE_EQ(h.local, 0);
	ATF_REQUIRE_STREQ(addr(&h.src, &port), "192.0.2.7");
	ATF_REQUIRE_EQ(port, 50312);
	ATF_REQUIRE_STREQ(addr(&h.dst, &port), "198.51.100.1");
	ATF_REQUIRE_EQ(port, 993);
	ATF_REQUIRE_STREQ(h.alpn, "imap");
	/* Printable ASCII only. */
	ATF_REQUIRE_STREQ(h.authority, "mail.example?");
	ATF_REQUIRE_STREQ(h.tls_version, "TLSv1.3");
	ATF_REQUIRE_STREQ(h.tls_cipher, "TLS_AES_128_GCM_SHA256");
	ATF_REQUIRE_EQ(h.flags, WORKER_PROXY_SSL);
}

ATF_TC_WITHOUT_HEAD(v2_inet6_local_unix);
ATF_TC_BODY(v2_inet6_local_unix, tc)
{
	struct proxy_header	 h;
	uint8_t			 a[16], unix_addrs[PROXY_V2_UNIX_LEN];
	uint16_t		 p, port;

	v2_begin(0x21, 0x21);
	ATF_REQUIRE(inet_pton(AF_INET6, "2001:db8::7", a) == 1);
	v2_add(a, 16);
	ATF_REQUIRE(inet_pton(AF_INET6, "2001:db8::1", a) == 1);
	v2_add(a, 16);
	p = htons(1234);
	v2_add(&p, 2);
	p = htons(143);
	v2_add(&p, 2);
	v2_end();
	whole(v2, v2len, 0, &h);
	ATF_REQUIRE_STREQ(addr(&h.src, &port), "2001:db8::7");
	ATF_REQUIRE_EQ(port, 1234);
	ATF_REQUIRE_STREQ(addr(&h.dst, &port), "2001:db8::1");
	ATF_REQUIRE_EQ(port, 143);

	/* LOCAL, as HAProxy's health checks send it: real endpoints. */
	v2_begin(0x20, 0x00);
	v2_end();
	whole(v2, v2len, 0, &h);
	ATF_REQUIRE_EQ(h.local, 1);
	/* LOCAL with a block: skipped whatever it holds, family too. */
	v2_begin(0x20, 0x77);
	v2_add("junk", 4);
	v2_end();
	whole(v2, v2len, 0, &h);
	ATF_REQUIRE_EQ(h.local, 1);
	/* PROXY of an unspecified family: real endpoints as well. */
	v2_begin(0x21, 0x00);
	v2_add("junk", 4);
	v2_end();
	whole(v2, v2len, 0, &h);
	ATF_REQUIRE_EQ(h.local, 1);
	/* A Unix socket: no address to take, the TLVs after it read. */
	v2_begin(0x21, 0x31);
	memset(unix_addrs, 0, sizeof(unix_addrs));
	v2_add(unix_addrs, sizeof(unix_addrs));
	v2_tlv(PP2_TYPE_ALPN, "pop3", 4);
	v2_end();
	whole(v2, v2len, 0, &h);
	ATF_REQUIRE_EQ(h.local, 1);
	ATF_REQUIRE_STREQ(h.alpn, "pop3");
}

ATF_TC_WITHOUT_HEAD(v2_crc32c);
ATF_TC_BODY(v2_crc32c, tc)
{
	struct proxy_header	 h;
	const char		*why;
	size_t			 used, at;
	uint32_t		 crc = 0xffffffff;
	size_t			 i;
	int			 k;

	v2_begin(0x21, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_tlv(PP2_TYPE_ALPN, "imap", 4);
	at = v2len + 3;
	v2_tlv(PP2_TYPE_CRC32C, "\0\0\0\0", 4);
	v2_end();
	/* RFC 4960 appendix B's CRC32c, computed here the slow way. */
	for (i = 0; i < v2len; i++) {
		crc ^= v2[i];
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	crc = ~crc;
	v2[at] = (uint8_t)(crc >> 24);
	v2[at + 1] = (uint8_t)(crc >> 16);
	v2[at + 2] = (uint8_t)(crc >> 8);
	v2[at + 3] = (uint8_t)crc;
	ATF_REQUIRE_EQ(parse(v2, v2len, &used, &h, &why), PROXY_DONE);
	v2[at + 3] ^= 1;
	bad(v2, v2len, "CRC32c mismatch");
	/* The known answer of RFC 3720 B.4: 32 zero bytes. */
	memset(v2, 0, 32);
	crc = 0xffffffff;
	for (i = 0; i < 32; i++) {
		crc ^= v2[i];
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	ATF_REQUIRE_EQ(~crc, 0x8a9136aaU);
}

ATF_TC_WITHOUT_HEAD(v2_bad);
ATF_TC_BODY(v2_bad, tc)
{
	static const uint8_t	 ssl_long[] = { 1, 0, 0, 0, 0,
				    PP2_SUBTYPE_SSL_VERSION, 0, 9, 'x' };
	uint8_t			 big[PROXY_V2_BODY_MAX + 1];

	v2_begin(0x11, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_end();
	bad(v2, v2len, "version");
	v2_begin(0x22, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_end();
	bad(v2, v2len, "command");
	v2_begin(0x21, 0x41);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_end();
	bad(v2, v2len, "family");
	v2_begin(0x21, 0x13);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_end();
	bad(v2, v2len, "transport");
	v2_begin(0x21, 0x12);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_end();
	bad(v2, v2len, "datagram");
	v2_begin(0x21, 0x21);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_end();
	bad(v2, v2len, "shorter");
	/* Refused from its 16 fixed bytes on, without waiting for the rest. */
	v2_begin(0x21, 0x11);
	memset(big, 0, sizeof(big));
	v2_add(big, sizeof(big));
	v2_end();
	bad(v2, PROXY_V2_FIXED, "1024");
	v2_begin(0x21, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_add("\x01\x00", 2);
	v2_end();
	bad(v2, v2len, "cut short");
	v2_begin(0x21, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_add("\x01\x00\x05xy", 5);
	v2_end();
	bad(v2, v2len, "longer than the header");
	v2_begin(0x21, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_tlv(PP2_TYPE_SSL, ssl_long, sizeof(ssl_long));
	v2_end();
	bad(v2, v2len, "sub-TLV longer");
	v2_begin(0x21, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_tlv(PP2_TYPE_SSL, "\1\0\0", 3);
	v2_end();
	bad(v2, v2len, "shorter than 5");
	v2_begin(0x21, 0x11);
	v2_inet("192.0.2.7", "198.51.100.1", 1, 2);
	v2_tlv(PP2_TYPE_CRC32C, "\0\0", 2);
	v2_end();
	bad(v2, v2len, "4 bytes");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, v1_tcp4);
	ATF_TP_ADD_TC(tp, v1_tcp6_unknown);
	ATF_TP_ADD_TC(tp, v1_bad);
	ATF_TP_ADD_TC(tp, not_proxy);
	ATF_TP_ADD_TC(tp, v2_inet_tlvs);
	ATF_TP_ADD_TC(tp, v2_inet6_local_unix);
	ATF_TP_ADD_TC(tp, v2_crc32c);
	ATF_TP_ADD_TC(tp, v2_bad);
	return atf_no_error();
}
