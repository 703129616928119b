/*
 * Signed rule bundles (bundle.h).  The parser walks the header line by
 * line against the one order format 1 allows, so a bundle is either
 * exactly what export writes or refused; the signature is checked over
 * the bytes as they are, never over a re-encoding.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bundle.h"

#define MAGIC		"postern-bundle "
#define SIG_FIELD	"signature: "
#define SIG_B64_LEN	(sodium_base64_ENCODED_LEN(SIGNKEY_SIG_LEN, \
			    sodium_base64_VARIANT_ORIGINAL) - 1)

struct cursor {
	const char	*p, *end;
	int		 line;
	char		*err;
	size_t		 errlen;
};

static int	 field(struct cursor *, const char *, const char **, size_t *);
static int	 number(struct cursor *, const char *, uint64_t, uint64_t *);
static int	 bad(struct cursor *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

int
bundle_hostname_valid(const char *h)
{
	size_t	 n = strlen(h), i;

	if (n == 0 || n > BUNDLE_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", h[i]) == NULL)
			return 0;
	return 1;
}

/* Printable ASCII, so that it stays one line of the header. */
int
bundle_filename_valid(const char *f)
{
	size_t	 n = strlen(f), i;

	if (n == 0 || n > BUNDLE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (f[i] < 0x20 || f[i] > 0x7e)
			return 0;
	return 1;
}

int
bundle_make(const struct bundle *b, const struct signkey_sec *k, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	char	 head[BUNDLE_HEAD_MAX], hex[65];
	char	 sig64[SIG_B64_LEN + 1];
	uint8_t	 sig[SIGNKEY_SIG_LEN];
	size_t	 hlen, tlen, len;
	char	*buf;
	int	 n;

	if (!bundle_hostname_valid(b->origin)) {
		(void)snprintf(err, errlen, "host name '%s': expected letters, "
		    "digits, '.', '-' or '_'", b->origin);
		return -1;
	}
	if (!bundle_filename_valid(b->file)) {
		(void)snprintf(err, errlen, "file name '%s': expected 1 to %d "
		    "printable ASCII characters", b->file, BUNDLE_NAME_MAX);
		return -1;
	}
	if (b->srclen > BUNDLE_SOURCE_MAX) {
		(void)snprintf(err, errlen, "source of %zu bytes: more than "
		    "a bundle carries (%zu)", b->srclen, BUNDLE_SOURCE_MAX);
		return -1;
	}
	(void)sodium_bin2hex(hex, sizeof(hex), b->sha256, sizeof(b->sha256));
	n = snprintf(head, sizeof(head), "%s%d\nkey: %s\norigin: %s\n"
	    "generation: %" PRIu64 "\ncreated: %" PRId64 "\nfile: %s\n"
	    "sha256: %s\nlength: %zu\n\n", MAGIC, BUNDLE_VERSION, k->id,
	    b->origin, b->gen, b->created < 0 ? 0 : b->created, b->file, hex,
	    b->srclen);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		(void)snprintf(err, errlen, "bundle header too long");
		return -1;
	}
	hlen = (size_t)n;
	tlen = strlen(SIG_FIELD) + SIG_B64_LEN + 1;
	len = hlen + b->srclen + tlen;
	if ((buf = malloc(len + 1)) == NULL) {
		(void)snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, b->src, b->srclen);
	(void)crypto_sign_detached(sig, NULL, (const uint8_t *)buf,
	    hlen + b->srclen, k->sk);
	(void)sodium_bin2base64(sig64, sizeof(sig64), sig, sizeof(sig),
	    sodium_base64_VARIANT_ORIGINAL);
	(void)snprintf(buf + hlen + b->srclen, tlen + 1, "%s%s\n", SIG_FIELD,
	    sig64);
	*out = buf;
	*outlen = len;
	return 0;
}

static int
bad(struct cursor *c, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(c->err, c->errlen, "line %d: %s", c->line, msg);
	return -1;
}

/* "NAME: VALUE\n": *val and *len the value, non-empty. */
static int
field(struct cursor *c, const char *name, const char **val, size_t *len)
{
	const char	*nl;
	size_t		 n = strlen(name);

	c->line++;
	if ((nl = memchr(c->p, '\n', (size_t)(c->end - c->p))) == NULL)
		return bad(c, "expected '%s: ...' and a newline: the bundle "
		    "is cut short", name);
	if ((size_t)(nl - c->p) < n + 3 || memcmp(c->p, name, n) != 0 ||
	    c->p[n] != ':' || c->p[n + 1] != ' ')
		return bad(c, "expected '%s: ...'", name);
	*val = c->p + n + 2;
	*len = (size_t)(nl - *val);
	if (memchr(*val, '\0', *len) != NULL || memchr(*val, '\r', *len))
		return bad(c, "%s: expected text", name);
	c->p = nl + 1;
	return 0;
}

/* A decimal number without sign or leading zeros, at most max. */
static int
number(struct cursor *c, const char *name, uint64_t max, uint64_t *v)
{
	const char	*s;
	size_t		 len, i;
	uint64_t	 n = 0;

	if (field(c, name, &s, &len) == -1)
		return -1;
	if (len > 20 || (len > 1 && s[0] == '0'))
		return bad(c, "%s: expected a decimal number", name);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    n > (max - (uint64_t)(s[i] - '0')) / 10)
			return bad(c, "%s: expected a decimal number of at "
			    "most %" PRIu64, name, max);
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	*v = n;
	return 0;
}

int
bundle_parse(const char *buf, size_t len, struct bundle *b, char *err,
    size_t errlen)
{
	struct cursor	 c = { buf, buf + len, 1, err, errlen };
	const char	*v, *tail;
	size_t		 vlen, mlen = strlen(MAGIC), n, i;
	uint64_t	 u;
	char		 first[32], again[SIG_B64_LEN + 1];

	memset(b, 0, sizeof(*b));
	(void)snprintf(first, sizeof(first), "%s%d\n", MAGIC, BUNDLE_VERSION);
	if (len < mlen || memcmp(buf, MAGIC, mlen) != 0)
		return bad(&c, "expected '%s%d': not a postern rule bundle",
		    MAGIC, BUNDLE_VERSION);
	if (len < strlen(first) || memcmp(buf, first, strlen(first)) != 0)
		return bad(&c, "expected '%s%d': a bundle of another format",
		    MAGIC, BUNDLE_VERSION);
	c.p += strlen(first);

	if (field(&c, "key", &v, &vlen) == -1)
		return -1;
	if (vlen != SIGNKEY_ID_LEN)
		return bad(&c, "key: expected %d hex digits", SIGNKEY_ID_LEN);
	for (i = 0; i < vlen; i++)
		if (strchr("0123456789abcdef", v[i]) == NULL)
			return bad(&c, "key: expected lowercase hex digits");
	memcpy(b->keyid, v, vlen);

	if (field(&c, "origin", &v, &vlen) == -1)
		return -1;
	if (vlen > BUNDLE_HOST_MAX)
		return bad(&c, "origin: longer than %d bytes",
		    BUNDLE_HOST_MAX);
	memcpy(b->origin, v, vlen);
	if (!bundle_hostname_valid(b->origin))
		return bad(&c, "origin: expected a host name");

	if (number(&c, "generation", UINT64_MAX, &b->gen) == -1)
		return -1;
	if (b->gen == 0)
		return bad(&c, "generation: expected 1 or more");
	if (number(&c, "created", INT64_MAX, &u) == -1)
		return -1;
	b->created = (int64_t)u;

	if (field(&c, "file", &v, &vlen) == -1)
		return -1;
	if (vlen > BUNDLE_NAME_MAX)
		return bad(&c, "file: longer than %d bytes", BUNDLE_NAME_MAX);
	memcpy(b->file, v, vlen);
	if (!bundle_filename_valid(b->file))
		return bad(&c, "file: expected printable ASCII");

	if (field(&c, "sha256", &v, &vlen) == -1)
		return -1;
	for (i = 0; i < vlen && strchr("0123456789abcdef", v[i]) != NULL; i++)
		;
	if (vlen != 64 || i != vlen || sodium_hex2bin(b->sha256,
	    sizeof(b->sha256), v, vlen, NULL, &n, NULL) != 0 || n != 32)
		return bad(&c, "sha256: expected 64 lowercase hex digits");

	if (number(&c, "length", BUNDLE_SOURCE_MAX, &u) == -1)
		return -1;
	b->srclen = (size_t)u;

	c.line++;
	if (c.p >= c.end || *c.p != '\n')
		return bad(&c, c.p >= c.end ? "the bundle is cut short before "
		    "the source" : "expected an empty line before the source");
	c.p++;
	if ((size_t)(c.end - c.p) < b->srclen)
		return bad(&c, "expected %zu bytes of source, the bundle has "
		    "%zu: it is cut short", b->srclen,
		    (size_t)(c.end - c.p));
	b->src = c.p;
	c.p += b->srclen;
	b->signedlen = (size_t)(c.p - buf);

	/* The trailer: exactly one signature line, then the end. */
	tail = c.p;
	n = strlen(SIG_FIELD);
	if ((size_t)(c.end - tail) < n || memcmp(tail, SIG_FIELD, n) != 0)
		return bad(&c, "expected '%s...' right after the %zu bytes "
		    "of source: %s", SIG_FIELD, b->srclen,
		    c.end == tail ? "the bundle is unsigned or cut short" :
		    "the length is wrong or the bundle unsigned");
	tail += n;
	if ((size_t)(c.end - tail) != SIG_B64_LEN + 1 ||
	    tail[SIG_B64_LEN] != '\n')
		return bad(&c, "signature: expected %zu base64 characters, a "
		    "newline and the end of the bundle", (size_t)SIG_B64_LEN);
	/*
	 * Encoded again and compared, since libsodium's decoder takes some
	 * bytes above 0x7f for base64 letters: the line is unsigned, and
	 * must have one spelling only.
	 */
	if (sodium_base642bin(b->sig, sizeof(b->sig), tail, SIG_B64_LEN, NULL,
	    &n, &v, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != sizeof(b->sig) || v != tail + SIG_B64_LEN ||
	    sodium_bin2base64(again, sizeof(again), b->sig, sizeof(b->sig),
	    sodium_base64_VARIANT_ORIGINAL) == NULL ||
	    memcmp(again, tail, SIG_B64_LEN) != 0)
		return bad(&c, "signature: expected %d bytes in base64",
		    SIGNKEY_SIG_LEN);
	return 0;
}

int
bundle_verify(const struct bundle *b, const char *buf,
    const struct signkey_pub *keys, size_t nkeys, char *err, size_t errlen)
{
	const struct signkey_pub	*k = NULL;
	uint8_t				 sha[32];
	size_t				 i;

	for (i = 0; i < nkeys && k == NULL; i++)
		if (strcmp(keys[i].id, b->keyid) == 0)
			k = &keys[i];
	if (k == NULL) {
		(void)snprintf(err, errlen, "signed with key %s, which is not "
		    "trusted ('policy trust' in postern.conf)", b->keyid);
		return -1;
	}
	if (crypto_sign_verify_detached(b->sig, (const uint8_t *)buf,
	    b->signedlen, k->pk) != 0) {
		(void)snprintf(err, errlen, "bad signature for key %s: the "
		    "bundle was changed or not signed with that key",
		    b->keyid);
		return -1;
	}
	/* Signed, so export wrote it: a mismatch is export's own bug. */
	crypto_hash_sha256(sha, (const uint8_t *)b->src, b->srclen);
	if (sodium_memcmp(sha, b->sha256, sizeof(sha)) != 0) {
		(void)snprintf(err, errlen, "the source's sha256 is not the "
		    "one the bundle names");
		return -1;
	}
	return 0;
}
