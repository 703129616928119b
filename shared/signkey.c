/*
 * Ed25519 key files of rule bundles (signkey.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "signkey.h"

#define PUB_MAGIC	"postern-ed25519-public"
#define SEC_MAGIC	"postern-ed25519-secret"

static int	 parse_line(const char *, size_t, const char *, char *,
		    uint8_t *, size_t, char *, size_t);
static int	 read_small(const char *, int, char *, size_t *, char *,
		    size_t);
static int	 format_line(const char *, const char *, const uint8_t *,
		    size_t, char *, size_t);

void
signkey_id(const uint8_t pk[SIGNKEY_PUB_LEN], char id[SIGNKEY_ID_LEN + 1])
{
	uint8_t	 h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, SIGNKEY_PUB_LEN);
	(void)sodium_bin2hex(id, SIGNKEY_ID_LEN + 1, h, SIGNKEY_ID_LEN / 2);
}

/* "MAGIC ID BASE64\n", nothing more or less; the ID still to check. */
static int
parse_line(const char *s, size_t len, const char *magic, char *id,
    uint8_t *key, size_t keylen, char *err, size_t errlen)
{
	const char	*p = s, *end = s + len, *b64end;
	size_t		 mlen = strlen(magic), n, i;
	char		 again[sodium_base64_ENCODED_LEN(SIGNKEY_SEC_LEN,
			    sodium_base64_VARIANT_ORIGINAL)];
	int		 ok;

	if (len == 0 || s[len - 1] != '\n') {
		(void)snprintf(err, errlen, "expected one line ending in a "
		    "newline");
		return -1;
	}
	end--;
	if (memchr(s, '\n', len - 1) != NULL || memchr(s, '\0', len) != NULL) {
		(void)snprintf(err, errlen, "expected one line of text");
		return -1;
	}
	if ((size_t)(end - p) < mlen + 1 || memcmp(p, magic, mlen) != 0 ||
	    p[mlen] != ' ') {
		(void)snprintf(err, errlen, "expected '%s ID KEY'", magic);
		return -1;
	}
	p += mlen + 1;
	if (end - p < SIGNKEY_ID_LEN + 1 || p[SIGNKEY_ID_LEN] != ' ') {
		(void)snprintf(err, errlen, "expected a key ID of %d hex "
		    "digits", SIGNKEY_ID_LEN);
		return -1;
	}
	for (i = 0; i < SIGNKEY_ID_LEN; i++)
		if (strchr("0123456789abcdef", p[i]) == NULL || p[i] == '\0') {
			(void)snprintf(err, errlen, "expected a key ID of %d "
			    "lowercase hex digits", SIGNKEY_ID_LEN);
			return -1;
		}
	memcpy(id, p, SIGNKEY_ID_LEN);
	id[SIGNKEY_ID_LEN] = '\0';
	p += SIGNKEY_ID_LEN + 1;
	/* Encoded again and compared: libsodium takes some bytes > 0x7f. */
	ok = sodium_base642bin(key, keylen, p, (size_t)(end - p), NULL, &n,
	    &b64end, sodium_base64_VARIANT_ORIGINAL) == 0 && n == keylen &&
	    b64end == end && sodium_bin2base64(again, sizeof(again), key,
	    keylen, sodium_base64_VARIANT_ORIGINAL) != NULL &&
	    strlen(again) == (size_t)(end - p) &&
	    memcmp(again, p, (size_t)(end - p)) == 0;
	sodium_memzero(again, sizeof(again));
	if (!ok) {
		(void)snprintf(err, errlen, "expected a key of %zu bytes in "
		    "base64", keylen);
		return -1;
	}
	return 0;
}

int
signkey_parse_pub(const char *s, size_t len, struct signkey_pub *k,
    char *err, size_t errlen)
{
	char	 id[SIGNKEY_ID_LEN + 1];

	if (parse_line(s, len, PUB_MAGIC, k->id, k->pk, sizeof(k->pk), err,
	    errlen) == -1)
		return -1;
	signkey_id(k->pk, id);
	if (strcmp(id, k->id) != 0) {
		(void)snprintf(err, errlen, "key ID %s is not that of the key "
		    "(%s): the file was changed", k->id, id);
		return -1;
	}
	return 0;
}

int
signkey_parse_sec(const char *s, size_t len, struct signkey_sec *k,
    char *err, size_t errlen)
{
	uint8_t	 pk[SIGNKEY_PUB_LEN], sk[SIGNKEY_SEC_LEN];
	char	 id[SIGNKEY_ID_LEN + 1];
	int	 same;

	if (parse_line(s, len, SEC_MAGIC, k->id, k->sk, sizeof(k->sk), err,
	    errlen) == -1)
		return -1;
	/* libsodium's secret key is seed then public key: they must agree. */
	same = crypto_sign_seed_keypair(pk, sk, k->sk) == 0 &&
	    sodium_memcmp(sk, k->sk, sizeof(sk)) == 0;
	sodium_memzero(sk, sizeof(sk));
	signkey_id(pk, id);
	if (!same || strcmp(id, k->id) != 0) {
		(void)snprintf(err, errlen, "key ID %s is not that of the key: "
		    "the file was changed", k->id);
		sodium_memzero(k, sizeof(*k));
		return -1;
	}
	return 0;
}

/*
 * A key file whole, NUL-terminated, into buf.  A secret file that
 * others could read is refused, as ssh does: its key may be known.
 */
static int
read_small(const char *path, int secret, char *buf, size_t *len, char *err,
    size_t errlen)
{
	struct stat	 sb;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		(void)snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		(void)snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		(void)snprintf(err, errlen, "not a regular file");
		goto fail;
	}
	if (secret && (sb.st_mode & 077) != 0) {
		(void)snprintf(err, errlen, "secret key readable by others "
		    "(mode %03o): expected mode 600", sb.st_mode & 0777);
		goto fail;
	}
	while (got < SIGNKEY_FILE_MAX) {
		n = read(fd, buf + got, SIGNKEY_FILE_MAX - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			(void)snprintf(err, errlen, "%s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == SIGNKEY_FILE_MAX) {
		(void)snprintf(err, errlen, "longer than a key file (%d "
		    "bytes)", SIGNKEY_FILE_MAX);
		goto fail;
	}
	(void)close(fd);
	buf[got] = '\0';
	*len = got;
	return 0;
 fail:
	(void)close(fd);
	return -1;
}

int
signkey_read_pub(const char *path, struct signkey_pub *k, char *err,
    size_t errlen)
{
	char	 buf[SIGNKEY_FILE_MAX + 1];
	size_t	 len;

	if (read_small(path, 0, buf, &len, err, errlen) == -1)
		return -1;
	return signkey_parse_pub(buf, len, k, err, errlen);
}

int
signkey_read_sec(const char *path, struct signkey_sec *k, char *err,
    size_t errlen)
{
	char	 buf[SIGNKEY_FILE_MAX + 1];
	size_t	 len;
	int	 rc;

	if (read_small(path, 1, buf, &len, err, errlen) == -1)
		return -1;
	rc = signkey_parse_sec(buf, len, k, err, errlen);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

static int
format_line(const char *magic, const char *id, const uint8_t *key,
    size_t keylen, char *buf, size_t len)
{
	char	 b64[sodium_base64_ENCODED_LEN(SIGNKEY_SEC_LEN,
		    sodium_base64_VARIANT_ORIGINAL)];
	int	 n;

	(void)sodium_bin2base64(b64, sizeof(b64), key, keylen,
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(buf, len, "%s %s %s\n", magic, id, b64);
	sodium_memzero(b64, sizeof(b64));
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
signkey_format_pub(const struct signkey_pub *k, char *buf, size_t len)
{
	return format_line(PUB_MAGIC, k->id, k->pk, sizeof(k->pk), buf, len);
}

int
signkey_format_sec(const struct signkey_sec *k, char *buf, size_t len)
{
	return format_line(SEC_MAGIC, k->id, k->sk, sizeof(k->sk), buf, len);
}
