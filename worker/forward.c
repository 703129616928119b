/*
 * The words of "forward" (forward.h).  Every value comes from the
 * master's session message: numeric addresses, ports, the session id,
 * and TLV strings the master kept to printable ASCII, so none needs
 * escaping in a quoted IMAP string or a POP3 line; a value that could
 * not be one is left out rather than sent.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "forward.h"
#include "log.h"
#include "proxy_proto.h"
#include "tls.h"

/* An address of the session as 16 bytes, IPv4 mapped; 4 or 6, or 0. */
static int
addr16(const char *s, uint8_t a[16])
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				    0xff, 0xff };

	if (inet_pton(AF_INET, s, a + 12) == 1) {
		memcpy(a, mapped, sizeof(mapped));
		return 4;
	}
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	return 0;
}

struct v2buf {
	uint8_t	*p;
	size_t	 size;
	size_t	 len;
	int	 over;
};

static void
put(struct v2buf *b, const void *p, size_t len)
{
	if (b->over || len > b->size - b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void
put16(struct v2buf *b, uint16_t v)
{
	uint8_t	 x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 2);
}

/* A TLV of a string, none when it is empty. */
static void
put_tlv(struct v2buf *b, uint8_t type, const char *s)
{
	size_t	 len = s != NULL ? strlen(s) : 0;

	if (len == 0)
		return;
	put(b, &type, 1);
	put16(b, (uint16_t)len);
	put(b, s, len);
}

/* PP2_TYPE_SSL: client bits, verify, the version and cipher sub-TLVs. */
static void
put_ssl(struct v2buf *b, uint8_t client, uint32_t verify,
    const char *version, const char *cipher)
{
	uint8_t	 type = PP2_TYPE_SSL, v[4];
	size_t	 vlen = version != NULL ? strlen(version) : 0;
	size_t	 clen = cipher != NULL ? strlen(cipher) : 0;
	size_t	 len;

	len = PP2_SSL_FIXED + (vlen > 0 ? 3 + vlen : 0) +
	    (clen > 0 ? 3 + clen : 0);
	put(b, &type, 1);
	put16(b, (uint16_t)len);
	put(b, &client, 1);
	v[0] = (uint8_t)(verify >> 24);
	v[1] = (uint8_t)(verify >> 16);
	v[2] = (uint8_t)(verify >> 8);
	v[3] = (uint8_t)verify;
	put(b, v, 4);
	put_tlv(b, PP2_SUBTYPE_SSL_VERSION, version);
	put_tlv(b, PP2_SUBTYPE_SSL_CIPHER, cipher);
}

ssize_t
forward_proxy_v2(uint8_t *buf, size_t size, const struct worker_session *s,
    const char *tls_version, const char *tls_cipher, const char *sni)
{
	struct v2buf	 b = { buf, size, 0, 0 };
	uint8_t		 src[16], dst[16], vc, fam;
	int		 sf, df;

	sf = addr16(s->client_addr, src);
	df = addr16(s->dest_addr, dst);
	put(&b, PROXY_V2_SIG, PROXY_V2_SIG_LEN);
	if (sf == 0 || df == 0) {
		/* No address to give: the server keeps the connection's. */
		vc = PROXY_V2_VERSION | PROXY_V2_CMD_LOCAL;
		fam = 0;
		put(&b, &vc, 1);
		put(&b, &fam, 1);
		put16(&b, 0);
		return b.over ? -1 : (ssize_t)b.len;
	}
	vc = PROXY_V2_VERSION | PROXY_V2_CMD_PROXY;
	put(&b, &vc, 1);
	if (sf == 4 && df == 4) {
		fam = PROXY_V2_AF_INET << 4 | PROXY_V2_STREAM;
		put(&b, &fam, 1);
		put16(&b, 0);		/* the length, set below */
		put(&b, src + 12, 4);
		put(&b, dst + 12, 4);
	} else {
		fam = PROXY_V2_AF_INET6 << 4 | PROXY_V2_STREAM;
		put(&b, &fam, 1);
		put16(&b, 0);
		put(&b, src, 16);
		put(&b, dst, 16);
	}
	put16(&b, s->client_port);
	put16(&b, s->dest_port);
	if (tls_version != NULL) {
		/* Our leg: TLS with no client certificate asked for. */
		put_tlv(&b, PP2_TYPE_AUTHORITY, sni);
		put_ssl(&b, PP2_CLIENT_SSL, 1, tls_version, tls_cipher);
	} else {
		/* A proxy in front of us may have had the client's TLS. */
		put_tlv(&b, PP2_TYPE_ALPN, s->proxy_alpn);
		put_tlv(&b, PP2_TYPE_AUTHORITY, s->proxy_authority);
		if (s->proxy_flags & WORKER_PROXY_SSL)
			put_ssl(&b, PP2_CLIENT_SSL |
			    (s->proxy_flags & WORKER_PROXY_CERT ?
			    PP2_CLIENT_CERT_CONN : 0),
			    s->proxy_flags & WORKER_PROXY_CERT ? 0 : 1,
			    s->proxy_tls_version, s->proxy_tls_cipher);
	}
	if (b.over || b.len - PROXY_V2_FIXED > 0xffff)
		return -1;
	buf[14] = (uint8_t)((b.len - PROXY_V2_FIXED) >> 8);
	buf[15] = (uint8_t)(b.len - PROXY_V2_FIXED);
	return (ssize_t)b.len;
}

int
forward_send(int fd, const void *p, size_t len, int64_t deadline,
    uint64_t id)
{
	size_t	 off = 0;
	ssize_t	 n;
	int	 rv;

	while (off < len) {
		n = send(fd, (const char *)p + off, len - off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				log_warn("session %llu: upstream write",
				    (unsigned long long)id);
				return -1;
			}
			if ((rv = tls_wait(fd, POLLOUT, deadline, id)) != 0) {
				if (rv == 1)
					log_warnx("session %llu: upstream "
					    "takes no bytes", (unsigned long long)
					    id);
				return -1;
			}
			continue;
		}
		off += (size_t)n;
	}
	return 0;
}

/* A value fit for a quoted string or a POP3 word: not empty, no blank. */
static int
plain(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

int
forward_id_line(char *buf, size_t size, const char *tag,
    const struct worker_session *s)
{
	int	 n;

	if (!plain(s->client_addr) || !plain(s->dest_addr))
		return -1;
	n = snprintf(buf, size, "%s ID (\"x-originating-ip\" \"%s\" "
	    "\"x-originating-port\" \"%u\" \"x-connected-ip\" \"%s\" "
	    "\"x-connected-port\" \"%u\" \"x-session-id\" \"%llu\")\r\n",
	    tag, s->client_addr, s->client_port, s->dest_addr, s->dest_port,
	    (unsigned long long)s->id);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

int
forward_xclient_line(char *buf, size_t size, const struct worker_session *s)
{
	int	 n;

	if (!plain(s->client_addr))
		return -1;
	n = snprintf(buf, size, "XCLIENT ADDR=%s PORT=%u SESSION=%llu\r\n",
	    s->client_addr, s->client_port, (unsigned long long)s->id);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

int
forward_id_reserved(const uint8_t *name, size_t len)
{
	static const struct {
		const char	*name;
		int		 prefix;
	} r[] = {
		{ "x-originating-", 1 },
		{ "x-connected-", 1 },
		{ "x-forward-", 1 },
		{ "x-session-id", 0 },
		{ "x-session-ext-id", 0 },
		{ "x-proxy-ttl", 0 },
		{ "x-multiplex", 0 },
	};
	size_t	 i, n;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		n = strlen(r[i].name);
		if ((r[i].prefix ? len >= n : len == n) &&
		    strncasecmp((const char *)name, r[i].name, n) == 0)
			return 1;
	}
	return 0;
}
