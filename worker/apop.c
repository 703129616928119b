/*
 * APOP: the timestamp is the greeting's text from the first '<' to the
 * first '>' after it (RFC 1939 section 7: "msg-id" syntax); the digest
 * is MD5 over the timestamp and the shared secret, in hex.  MD5 comes
 * from libmd: plain code, nothing loaded lazily under the filter.
 */
#include <sys/types.h>

#include <ctype.h>
#include <md5.h>
#include <string.h>

#include "apop.h"

int
apop_timestamp(const uint8_t *p, size_t len, char *ts, size_t tslen)
{
	const uint8_t	*lt, *gt;
	size_t		 n, i;

	if ((lt = memchr(p, '<', len)) == NULL ||
	    (gt = memchr(lt, '>', len - (size_t)(lt - p))) == NULL)
		return -1;
	n = (size_t)(gt - lt) + 1;
	if (n < 3 || n >= tslen)
		return -1;
	/* Inside the brackets: printable, no space (a msg-id). */
	for (i = 1; i + 1 < n; i++)
		if (lt[i] <= ' ' || lt[i] >= 0x7f || lt[i] == '<')
			return -1;
	memcpy(ts, lt, n);
	ts[n] = '\0';
	return 0;
}

void
apop_digest(const char *ts, const char *pass, size_t passlen,
    char hex[APOP_DIGEST_HEX + 1])
{
	static const char	 xd[] = "0123456789abcdef";
	MD5_CTX			 ctx;
	uint8_t			 d[MD5_DIGEST_LENGTH];
	int			 i;

	MD5Init(&ctx);
	MD5Update(&ctx, (const uint8_t *)ts, strlen(ts));
	MD5Update(&ctx, (const uint8_t *)pass, passlen);
	MD5Final(d, &ctx);
	for (i = 0; i < MD5_DIGEST_LENGTH; i++) {
		hex[2 * i] = xd[d[i] >> 4];
		hex[2 * i + 1] = xd[d[i] & 0xf];
	}
	hex[APOP_DIGEST_HEX] = '\0';
	explicit_bzero(&ctx, sizeof(ctx));
}

int
apop_digest_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len != APOP_DIGEST_HEX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}
