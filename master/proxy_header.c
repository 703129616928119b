/*
 * The PROXY protocol header parser (proxy_header.h), after HAProxy's
 * doc/proxy-protocol.txt.  Strict where the specification is: exactly
 * one space between v1's fields, no leading zeros, CRLF within 107
 * bytes, version 2 and a known command, family and transport in v2, every
 * TLV within the header, a CRC32c TLV checked.  Refused early: a first
 * byte that starts neither signature, so a client that is not a proxy
 * is turned away at once rather than at the timeout.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "proxy_header.h"

static enum proxy_result parse_v1(const uint8_t *, size_t, size_t *,
		    struct proxy_header *, const char **);
static enum proxy_result parse_v2(const uint8_t *, size_t, size_t *,
		    struct proxy_header *, const char **);
static int	 v1_port(const char *, size_t, uint16_t *);
static int	 v1_addr(const char *, size_t, int, struct sockaddr_storage *,
		    socklen_t *, uint16_t);
static int	 v2_tlvs(const uint8_t *, size_t, const uint8_t *, size_t,
		    struct proxy_header *, const char **);
static int	 v2_ssl(const uint8_t *, size_t, struct proxy_header *,
		    const char **);
static void	 copy_text(char *, size_t, const uint8_t *, size_t);
static uint32_t	 crc32c(const uint8_t *, size_t, size_t);

#define V1_PREFIX	"PROXY "

enum proxy_result
proxy_header_parse(const uint8_t *buf, size_t len, size_t *used,
    struct proxy_header *h, const char **why)
{
	size_t	 n;

	*used = 0;
	*why = NULL;
	if (len == 0)
		return PROXY_MORE;
	/* The first bytes must start one signature or the other. */
	if (buf[0] == 'P') {
		n = len < sizeof(V1_PREFIX) - 1 ? len : sizeof(V1_PREFIX) - 1;
		if (memcmp(buf, V1_PREFIX, n) != 0) {
			*why = "not a PROXY header";
			return PROXY_BAD;
		}
		return parse_v1(buf, len, used, h, why);
	}
	n = len < PROXY_V2_SIG_LEN ? len : PROXY_V2_SIG_LEN;
	if (memcmp(buf, PROXY_V2_SIG, n) != 0) {
		*why = "not a PROXY header";
		return PROXY_BAD;
	}
	return parse_v2(buf, len, used, h, why);
}

/* ---- version 1 ---- */

/* A port: 0, or 1-5 digits without a leading zero, at most 65535. */
static int
v1_port(const char *s, size_t len, uint16_t *port)
{
	uint32_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* inet_pton's reading of an address of family af, with its port. */
static int
v1_addr(const char *s, size_t len, int af, struct sockaddr_storage *ss,
    socklen_t *sslen, uint16_t port)
{
	char			 a[INET6_ADDRSTRLEN];
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	if (len == 0 || len >= sizeof(a))
		return -1;
	memcpy(a, s, len);
	a[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		if (inet_pton(AF_INET, a, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof(*sin);
	} else {
		if (inet_pton(AF_INET6, a, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
	}
	return 0;
}

/*
 * "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n",
 * whose fields are split at single spaces: an empty field is an error.
 */
static enum proxy_result
parse_v1(const uint8_t *buf, size_t len, size_t *used,
    struct proxy_header *h, const char **why)
{
	const char	*f[7];
	size_t		 flen[7], i, nf, start, end, lim;
	const uint8_t	*lf;
	uint16_t	 sport, dport;
	int		 af;

	lim = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;
	if ((lf = memchr(buf, '\n', lim)) == NULL) {
		if (len >= PROXY_V1_MAX) {
			*why = "v1: no CRLF within 107 bytes";
			return PROXY_BAD;
		}
		return PROXY_MORE;
	}
	end = (size_t)(lf - buf);
	if (end == 0 || buf[end - 1] != '\r') {
		*why = "v1: line not ended by CRLF";
		return PROXY_BAD;
	}
	end--;		/* the line, without CRLF */
	for (i = 0; i < end; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e) {
			*why = "v1: control or 8-bit byte in the line";
			return PROXY_BAD;
		}
	memset(h, 0, sizeof(*h));
	h->version = 1;
	*used = end + 2;
	nf = 0;
	start = 0;
	for (i = 0; i <= end && nf < 7; i++) {
		if (i < end && buf[i] != ' ')
			continue;
		f[nf] = (const char *)buf + start;
		flen[nf++] = i - start;
		start = i + 1;
	}
	/* "PROXY UNKNOWN": the rest of the line is to be ignored. */
	if (nf >= 2 && flen[1] == 7 && memcmp(f[1], "UNKNOWN", 7) == 0) {
		h->local = 1;
		return PROXY_DONE;
	}
	if (nf >= 2 && flen[1] == 4 && memcmp(f[1], "TCP4", 4) == 0)
		af = AF_INET;
	else if (nf >= 2 && flen[1] == 4 && memcmp(f[1], "TCP6", 4) == 0)
		af = AF_INET6;
	else {
		*why = "v1: protocol neither TCP4, TCP6 nor UNKNOWN";
		return PROXY_BAD;
	}
	if (nf != 6 || i <= end) {
		*why = "v1: not four fields after the protocol";
		return PROXY_BAD;
	}
	for (i = 2; i < 6; i++)
		if (flen[i] == 0) {
			*why = "v1: an empty field (two spaces in a row)";
			return PROXY_BAD;
		}
	if (v1_port(f[4], flen[4], &sport) == -1 ||
	    v1_port(f[5], flen[5], &dport) == -1) {
		*why = "v1: a port that is not 0 to 65535 in decimal";
		return PROXY_BAD;
	}
	if (v1_addr(f[2], flen[2], af, &h->src, &h->srclen, sport) == -1 ||
	    v1_addr(f[3], flen[3], af, &h->dst, &h->dstlen, dport) == -1) {
		*why = "v1: an address that is not of the protocol's family";
		return PROXY_BAD;
	}
	return PROXY_DONE;
}

/* ---- version 2 ---- */

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Printable ASCII, anything else a '?', cut to fit with its NUL. */
static void
copy_text(char *dst, size_t size, const uint8_t *p, size_t len)
{
	size_t	 i;

	if (len >= size)
		len = size - 1;
	for (i = 0; i < len; i++)
		dst[i] = p[i] >= 0x20 && p[i] <= 0x7e ? (char)p[i] : '?';
	dst[len] = '\0';
}

static enum proxy_result
parse_v2(const uint8_t *buf, size_t len, size_t *used,
    struct proxy_header *h, const char **why)
{
	struct sockaddr_in	*s4, *d4;
	struct sockaddr_in6	*s6, *d6;
	size_t			 body, total, alen;
	uint8_t			 cmd, fam, proto;

	if (len < PROXY_V2_FIXED)
		return PROXY_MORE;
	if ((buf[12] & 0xf0) != PROXY_V2_VERSION) {
		*why = "v2: version not 2";
		return PROXY_BAD;
	}
	cmd = buf[12] & 0x0f;
	if (cmd != PROXY_V2_CMD_LOCAL && cmd != PROXY_V2_CMD_PROXY) {
		*why = "v2: command neither LOCAL nor PROXY";
		return PROXY_BAD;
	}
	if ((body = be16(buf + 14)) > PROXY_V2_BODY_MAX) {
		*why = "v2: addresses and TLVs over 1024 bytes";
		return PROXY_BAD;
	}
	total = PROXY_V2_FIXED + body;
	if (len < total)
		return PROXY_MORE;
	memset(h, 0, sizeof(*h));
	h->version = 2;
	*used = total;
	/* LOCAL: the block, family included, is discarded. */
	if (cmd == PROXY_V2_CMD_LOCAL) {
		h->local = 1;
		return PROXY_DONE;
	}
	fam = buf[13] >> 4;
	proto = buf[13] & 0x0f;
	if (fam > PROXY_V2_AF_UNIX || proto > PROXY_V2_DGRAM) {
		*why = "v2: unknown address family or transport";
		return PROXY_BAD;
	}
	if (proto == PROXY_V2_DGRAM) {
		*why = "v2: a datagram transport, not a stream";
		return PROXY_BAD;
	}
	/* Unspecified: the real endpoints, and no block to find TLVs in. */
	if (fam == PROXY_V2_AF_UNSPEC || proto == PROXY_V2_UNSPEC) {
		h->local = 1;
		return PROXY_DONE;
	}
	if (fam == PROXY_V2_AF_INET)
		alen = PROXY_V2_INET_LEN;
	else if (fam == PROXY_V2_AF_INET6)
		alen = PROXY_V2_INET6_LEN;
	else
		alen = PROXY_V2_UNIX_LEN;
	if (body < alen) {
		*why = "v2: address block shorter than its family's";
		return PROXY_BAD;
	}
	if (fam == PROXY_V2_AF_INET) {
		s4 = (struct sockaddr_in *)&h->src;
		d4 = (struct sockaddr_in *)&h->dst;
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, buf + 16, 4);
		memcpy(&d4->sin_addr, buf + 20, 4);
		memcpy(&s4->sin_port, buf + 24, 2);
		memcpy(&d4->sin_port, buf + 26, 2);
		h->srclen = h->dstlen = sizeof(*s4);
	} else if (fam == PROXY_V2_AF_INET6) {
		s6 = (struct sockaddr_in6 *)&h->src;
		d6 = (struct sockaddr_in6 *)&h->dst;
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, buf + 16, 16);
		memcpy(&d6->sin6_addr, buf + 32, 16);
		memcpy(&s6->sin6_port, buf + 48, 2);
		memcpy(&d6->sin6_port, buf + 50, 2);
		h->srclen = h->dstlen = sizeof(*s6);
	} else
		/* A Unix socket has no address a rule could name. */
		h->local = 1;
	if (v2_tlvs(buf, total, buf + PROXY_V2_FIXED + alen, body - alen, h,
	    why) == -1)
		return PROXY_BAD;
	return PROXY_DONE;
}

/*
 * The TLVs p[0..len) of the header hdr[0..hdrlen): those postern keeps
 * are copied, the others skipped; one that runs past the end is an
 * error, and so is a CRC32c that does not match.
 */
static int
v2_tlvs(const uint8_t *hdr, size_t hdrlen, const uint8_t *p, size_t len,
    struct proxy_header *h, const char **why)
{
	const uint8_t	*v;
	size_t		 off = 0, vlen;
	uint32_t	 want;

	while (off < len) {
		if (len - off < 3) {
			*why = "v2: a TLV cut short";
			return -1;
		}
		vlen = be16(p + off + 1);
		if (len - off - 3 < vlen) {
			*why = "v2: a TLV longer than the header";
			return -1;
		}
		v = p + off + 3;
		switch (p[off]) {
		case PP2_TYPE_ALPN:
			copy_text(h->alpn, sizeof(h->alpn), v, vlen);
			break;
		case PP2_TYPE_AUTHORITY:
			copy_text(h->authority, sizeof(h->authority), v, vlen);
			break;
		case PP2_TYPE_CRC32C:
			if (vlen != 4) {
				*why = "v2: a CRC32c TLV not of 4 bytes";
				return -1;
			}
			want = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
			    (uint32_t)v[2] << 8 | v[3];
			if (crc32c(hdr, hdrlen, (size_t)(v - hdr)) != want) {
				*why = "v2: CRC32c mismatch";
				return -1;
			}
			break;
		case PP2_TYPE_SSL:
			if (v2_ssl(v, vlen, h, why) == -1)
				return -1;
			break;
		default:
			/* NOOP, UNIQUE_ID, NETNS and the rest: skipped. */
			break;
		}
		off += 3 + vlen;
	}
	return 0;
}

/* PP2_TYPE_SSL: client, verify, then sub-TLVs in the same format. */
static int
v2_ssl(const uint8_t *v, size_t len, struct proxy_header *h, const char **why)
{
	const uint8_t	*s;
	size_t		 off, slen;
	uint32_t	 verify;

	if (len < PP2_SSL_FIXED) {
		*why = "v2: an SSL TLV shorter than 5 bytes";
		return -1;
	}
	verify = (uint32_t)v[1] << 24 | (uint32_t)v[2] << 16 |
	    (uint32_t)v[3] << 8 | v[4];
	if (v[0] & PP2_CLIENT_SSL)
		h->flags |= WORKER_PROXY_SSL;
	if ((v[0] & (PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS)) &&
	    verify == 0)
		h->flags |= WORKER_PROXY_CERT;
	for (off = PP2_SSL_FIXED; off < len; off += 3 + slen) {
		if (len - off < 3) {
			*why = "v2: an SSL sub-TLV cut short";
			return -1;
		}
		slen = be16(v + off + 1);
		if (len - off - 3 < slen) {
			*why = "v2: an SSL sub-TLV longer than its TLV";
			return -1;
		}
		s = v + off + 3;
		if (v[off] == PP2_SUBTYPE_SSL_VERSION)
			copy_text(h->tls_version, sizeof(h->tls_version), s,
			    slen);
		else if (v[off] == PP2_SUBTYPE_SSL_CIPHER)
			copy_text(h->tls_cipher, sizeof(h->tls_cipher), s,
			    slen);
	}
	return 0;
}

/*
 * CRC32c (Castagnoli, RFC 4960 appendix B) of the header, the 4 bytes
 * of its CRC32c TLV's value at off counted as zeros.
 */
static uint32_t
crc32c(const uint8_t *p, size_t len, size_t off)
{
	uint32_t	 crc = 0xffffffff;
	size_t		 i;
	int		 k;

	for (i = 0; i < len; i++) {
		crc ^= i >= off && i < off + 4 ? 0 : p[i];
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? crc >> 1 ^ 0x82f63b78 : crc >> 1;
	}
	return ~crc;
}
