/*
 * The hash chain of audit records (audit_chain.h): the MAC, the key's
 * evolution and the fixed frame every record line has.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "audit_chain.h"

/* Domain separation: a key is never used for a MAC and an evolution alike. */
static const char evolve_label[] = "postern audit key evolution";
static const char seg_head[] = "{\"seg\":\"";
static const char seq_head[] = "\",\"seq\":";
static const char mac_head[] = ",\"mac\":\"";

void
audit_mac(const uint8_t key[AUDIT_KEY_LEN], const void *p, size_t len,
    uint8_t mac[AUDIT_MAC_LEN])
{
	crypto_generichash(mac, AUDIT_MAC_LEN, p, len, key, AUDIT_KEY_LEN);
}

void
audit_evolve(uint8_t key[AUDIT_KEY_LEN])
{
	uint8_t	 next[AUDIT_KEY_LEN];

	crypto_generichash(next, sizeof(next), (const uint8_t *)evolve_label,
	    sizeof(evolve_label) - 1, key, AUDIT_KEY_LEN);
	memcpy(key, next, AUDIT_KEY_LEN);
	sodium_memzero(next, sizeof(next));
}

size_t
audit_seal(const uint8_t key[AUDIT_KEY_LEN], char *body, size_t bodylen,
    uint8_t *out)
{
	uint8_t	 mac[AUDIT_MAC_LEN];
	char	*p = body + bodylen;

	audit_mac(key, body, bodylen, mac);
	if (out != NULL)
		memcpy(out, mac, sizeof(mac));
	memcpy(p, mac_head, sizeof(mac_head) - 1);
	p += sizeof(mac_head) - 1;
	audit_hex(mac, sizeof(mac), p);
	p += AUDIT_MAC_HEX;
	*p++ = '"';
	*p++ = '}';
	return bodylen + AUDIT_TAIL_LEN;
}

void
audit_hex(const uint8_t *p, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
audit_unhex(const char *s, size_t n, uint8_t *out)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = nibble(s[2 * i])) == -1 ||
		    (lo = nibble(s[2 * i + 1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
audit_seg_valid(const char *s)
{
	size_t	 i;

	for (i = 0; i < AUDIT_SEG_LEN; i++)
		if (nibble(s[i]) == -1)
			return 0;
	return s[i] == '\0';
}

/*
 * Strict: the writer puts seg and seq first and mac last, always in the
 * same spelling, so anything else is not a record of ours.
 */
int
audit_line_parse(const char *s, size_t len, struct audit_line *l)
{
	const char	*p, *end;
	uint64_t	 seq = 0;

	memset(l, 0, sizeof(*l));
	if (len < sizeof(seg_head) - 1 + AUDIT_SEG_LEN + sizeof(seq_head) -
	    1 + 2 + AUDIT_TAIL_LEN || memchr(s, '\0', len) != NULL)
		return -1;
	if (memcmp(s, seg_head, sizeof(seg_head) - 1) != 0)
		return -1;
	p = s + sizeof(seg_head) - 1;
	memcpy(l->seg, p, AUDIT_SEG_LEN);
	if (!audit_seg_valid(l->seg))
		return -1;
	p += AUDIT_SEG_LEN;
	if (memcmp(p, seq_head, sizeof(seq_head) - 1) != 0)
		return -1;
	p += sizeof(seq_head) - 1;
	end = s + len - AUDIT_TAIL_LEN;
	if (p >= end || !isdigit((unsigned char)*p) ||
	    (*p == '0' && isdigit((unsigned char)p[1])))
		return -1;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		if (seq > (UINT64_MAX - 9) / 10)
			return -1;
		seq = seq * 10 + (uint64_t)(*p - '0');
	}
	if (p >= end || (*p != ',' && *p != '}'))
		return -1;
	if (memcmp(end, mac_head, sizeof(mac_head) - 1) != 0 ||
	    audit_unhex(end + sizeof(mac_head) - 1, AUDIT_MAC_LEN, l->mac) ==
	    -1 || memcmp(s + len - 2, "\"}", 2) != 0)
		return -1;
	l->seq = seq;
	l->bodylen = (size_t)(end - s);
	return 0;
}
