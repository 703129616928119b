/*
 * JSON for the audit log (audit_json.h).  Records are flat objects of
 * strings, integers and booleans, so the reader is a scanner of one
 * level, not a general parser.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit_json.h"
#include "buf.h"

int
audit_json_str(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 esc[8];
	size_t			 i, run = 0;

	if (buf_add(b, "\"", 1) == -1)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' &&
		    p[i] != '\\') {
			run++;
			continue;
		}
		if (run > 0 && buf_add(b, p + i - run, run) == -1)
			return -1;
		run = 0;
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)p[i];
			esc[2] = '\0';
		} else
			(void)snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
		if (buf_add(b, esc, strlen(esc)) == -1)
			return -1;
	}
	if (run > 0 && buf_add(b, p + len - run, run) == -1)
		return -1;
	return buf_add(b, "\"", 1);
}

struct scan {
	const char	*p, *end;
};

static void
skip_ws(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t'))
		sc->p++;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at sc->p; unescaped into out when out is not NULL. */
static int
scan_string(struct scan *sc, char *out, size_t outlen, size_t *outn)
{
	size_t	 n = 0;
	int	 c, i, d;

	if (sc->p >= sc->end || *sc->p != '"')
		return -1;
	for (sc->p++; sc->p < sc->end && *sc->p != '"'; ) {
		c = (unsigned char)*sc->p++;
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (sc->p >= sc->end)
				return -1;
			switch ((c = *sc->p++)) {
			case '"': case '\\': case '/':
				break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (sc->end - sc->p < 4)
					return -1;
				for (c = 0, i = 0; i < 4; i++) {
					if ((d = hexval(*sc->p++)) == -1)
						return -1;
					c = c << 4 | d;
				}
				/* Only what audit_json_str() writes. */
				if (c == 0 || c > 0xff)
					return -1;
				break;
			default:
				return -1;
			}
		}
		if (out != NULL) {
			if (n + 1 >= outlen)
				return -1;
			out[n] = (char)c;
		}
		n++;
	}
	if (sc->p >= sc->end)
		return -1;
	sc->p++;
	if (out != NULL)
		out[n] = '\0';
	if (outn != NULL)
		*outn = n;
	return 0;
}

/* A number, true, false or null: a run of what such tokens are made of. */
static int
scan_atom(struct scan *sc, char *out, size_t outlen)
{
	const char	*start = sc->p;
	size_t		 n;

	while (sc->p < sc->end && (isalnum((unsigned char)*sc->p) ||
	    *sc->p == '-' || *sc->p == '+' || *sc->p == '.'))
		sc->p++;
	if ((n = (size_t)(sc->p - start)) == 0)
		return -1;
	if (out != NULL) {
		if (n >= outlen)
			return -1;
		memcpy(out, start, n);
		out[n] = '\0';
	}
	return 0;
}

int
audit_json_get(const char *s, size_t len, const char *name, char *out,
    size_t outlen)
{
	struct scan	 sc = { s, s + len };
	char		 key[64];
	int		 want, found = 0;

	skip_ws(&sc);
	if (sc.p >= sc.end || *sc.p++ != '{')
		return -1;
	skip_ws(&sc);
	if (sc.p < sc.end && *sc.p == '}')
		goto end;
	for (;;) {
		skip_ws(&sc);
		if (scan_string(&sc, key, sizeof(key), NULL) == -1)
			return -1;
		skip_ws(&sc);
		if (sc.p >= sc.end || *sc.p++ != ':')
			return -1;
		skip_ws(&sc);
		want = !found && strcmp(key, name) == 0;
		if (sc.p < sc.end && *sc.p == '"') {
			if (scan_string(&sc, want ? out : NULL, outlen,
			    NULL) == -1)
				return -1;
		} else if (scan_atom(&sc, want ? out : NULL, outlen) == -1)
			return -1;
		found |= want;
		skip_ws(&sc);
		if (sc.p < sc.end && *sc.p == ',') {
			sc.p++;
			continue;
		}
		break;
	}
 end:
	if (sc.p >= sc.end || *sc.p++ != '}')
		return -1;
	skip_ws(&sc);
	if (sc.p != sc.end)
		return -1;
	return found;
}
