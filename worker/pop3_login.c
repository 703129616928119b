/*
 * login proxy, POP3: server capabilities, AUTH PLAIN's pieces and the
 * login replayed (pop3_login.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "pop3_login.h"

static int	 word_in(const char *, size_t, const char *);
static int	 clean(const uint8_t *, size_t);

int
pop3_capa_has(const char *caps, const char *tag)
{
	size_t	 len, t = strlen(tag);

	for (; *caps != '\0'; caps += len + (caps[len] == '\n')) {
		len = strcspn(caps, "\n");
		if (len >= t && strncasecmp(caps, tag, t) == 0 &&
		    (len == t || caps[t] == ' '))
			return 1;
	}
	return 0;
}

int
pop3_capa_sasl(const char *caps, const char *mech)
{
	size_t	 len;

	for (; *caps != '\0'; caps += len + (caps[len] == '\n')) {
		len = strcspn(caps, "\n");
		if (len > 5 && strncasecmp(caps, "SASL ", 5) == 0 &&
		    word_in(caps + 5, len - 5, mech))
			return 1;
	}
	return 0;
}

/* w is one of the space-separated words of s..len, in any case. */
static int
word_in(const char *s, size_t len, const char *w)
{
	size_t	 wl = strlen(w), n;

	while (len > 0) {
		if (*s == ' ') {
			s++;
			len--;
			continue;
		}
		for (n = 0; n < len && s[n] != ' '; n++)
			;
		if (n == wl && strncasecmp(s, w, wl) == 0)
			return 1;
		s += n;
		len -= n;
	}
	return 0;
}

/* No byte a command line cannot carry. */
static int
clean(const uint8_t *p, size_t len)
{
	return memchr(p, '\0', len) == NULL && memchr(p, '\r', len) == NULL &&
	    memchr(p, '\n', len) == NULL;
}

int
pop3_plain_decode(const char *b64, size_t len, uint8_t *bin, size_t size,
    struct pop3_plain *p)
{
	const uint8_t	*z1, *z2;
	size_t		 n;

	memset(p, 0, sizeof(*p));
	if (len == 0 || len > 4 * (size / 3) ||
	    sodium_base642bin(bin, size, b64, len, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    (z1 = memchr(bin, '\0', n)) == NULL ||
	    (z2 = memchr(z1 + 1, '\0', n - (size_t)(z1 + 1 - bin))) == NULL)
		return -1;
	p->authz = bin;
	p->authzlen = (size_t)(z1 - bin);
	p->authc = z1 + 1;
	p->authclen = (size_t)(z2 - p->authc);
	p->pass = z2 + 1;
	p->passlen = n - (size_t)(p->pass - bin);
	if (p->authclen == 0 || !clean(p->authz, p->authzlen) ||
	    !clean(p->authc, p->authclen) || !clean(p->pass, p->passlen))
		return -1;
	return 0;
}

int
pop3_login_replay(const char *caps, const struct pop3_plain *p,
    const char *b64, size_t b64len, char *out, size_t size)
{
	uint8_t		 bin[3 * POP3_LOGIN_ARG_MAX + 2];
	char		 enc[POP3_LOGIN_REPLAY_MAX];
	int		 splain, suser, other, n;
	size_t		 have;

	splain = pop3_capa_sasl(caps, "PLAIN");
	suser = *caps == '\0' || pop3_capa_has(caps, "USER");
	other = p->authzlen > 0 && (p->authzlen != p->authclen ||
	    memcmp(p->authz, p->authc, p->authclen) != 0);
	if (p->authclen > POP3_LOGIN_ARG_MAX || p->passlen >
	    POP3_LOGIN_ARG_MAX || p->authzlen > POP3_LOGIN_ARG_MAX)
		return 0;
	if (b64 != NULL && splain) {
		/* As the client said it, authorization identity and all. */
		n = snprintf(out, size, "AUTH PLAIN %.*s\r\n", (int)b64len,
		    b64);
		return n < 0 || (size_t)n >= size ? -1 : n;
	}
	if (!splain && (other || memchr(p->authc, ' ', p->authclen) != NULL))
		return 0;
	if (splain && (other || !suser ||
	    memchr(p->authc, ' ', p->authclen) != NULL)) {
		/* The client's USER and PASS as a PLAIN response. */
		have = 0;
		memcpy(bin, p->authz, p->authzlen);
		have += p->authzlen;
		bin[have++] = '\0';
		memcpy(bin + have, p->authc, p->authclen);
		have += p->authclen;
		bin[have++] = '\0';
		memcpy(bin + have, p->pass, p->passlen);
		have += p->passlen;
		sodium_bin2base64(enc, sizeof(enc), bin, have,
		    sodium_base64_VARIANT_ORIGINAL);
		sodium_memzero(bin, sizeof(bin));
		n = snprintf(out, size, "AUTH PLAIN %s\r\n", enc);
		sodium_memzero(enc, sizeof(enc));
		return n < 0 || (size_t)n >= size ? -1 : n;
	}
	n = snprintf(out, size, "USER %.*s\r\nPASS %.*s\r\n",
	    (int)p->authclen, (const char *)p->authc, (int)p->passlen,
	    (const char *)p->pass);
	return n < 0 || (size_t)n >= size ? -1 : n;
}
