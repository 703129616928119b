/* Modified UTF-7 (RFC 3501 section 5.1.3) to UTF-8. */
#include "imap_mutf7.h"

static int
b64(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

static int
put_utf8(char *out, size_t size, size_t *n, uint32_t cp)
{
	uint8_t	 b[4];
	size_t	 k, i;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (size - *n <= k)
		return -1;
	for (i = 0; i < k; i++)
		out[(*n)++] = (char)b[i];
	return 0;
}

/* One "&...-" run starting after the "&"; *i ends past the "-". */
static int
shifted(const uint8_t *in, size_t len, size_t *i, char *out, size_t size,
    size_t *n, int lenient)
{
	uint32_t	 bits = 0, hi = 0, u;
	int		 nbits = 0, v, units = 0;

	for (; *i < len && in[*i] != '-'; (*i)++) {
		if ((v = b64(in[*i])) == -1)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = (bits >> nbits) & 0xffff;
		units++;
		if (hi != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return -1;
			u = 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00);
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			hi = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff)
			return -1;
		/* Printable ASCII must not be encoded (RFC 3501). */
		if (u >= 0x20 && u < 0x7f && !lenient)
			return -1;
		if (put_utf8(out, size, n, u) == -1)
			return -1;
	}
	/* Unterminated, empty ("&-" is handled by the caller), a lone
	 * high surrogate, or leftover bits that are not zero padding. */
	if (*i == len || units == 0 || hi != 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	(*i)++;
	return 0;
}

static int
decode(const uint8_t *in, size_t len, char *out, size_t size, int lenient)
{
	size_t	 i = 0, n = 0;

	if (size == 0)
		return -1;
	while (i < len) {
		if (in[i] >= 0x80 || in[i] < 0x20)
			return -1;
		if (in[i] != '&') {
			if (size - n <= 1)
				return -1;
			out[n++] = (char)in[i++];
			continue;
		}
		if (i + 1 < len && in[i + 1] == '-') {
			if (size - n <= 1)
				return -1;
			out[n++] = '&';
			i += 2;
			continue;
		}
		i++;
		if (shifted(in, len, &i, out, size, &n, lenient) == -1)
			return -1;
	}
	out[n] = '\0';
	return n > 0x7fffffff ? -1 : (int)n;
}

int
imap_mutf7_decode(const uint8_t *in, size_t len, char *out, size_t size)
{
	return decode(in, len, out, size, 0);
}

int
imap_mutf7_decode_lenient(const uint8_t *in, size_t len, char *out,
    size_t size)
{
	return decode(in, len, out, size, 1);
}
