/* Formatting the responses postern sends in the server's place. */
#include <stdio.h>
#include <string.h>

#include "imap_reply.h"

/* TEXT-CHAR without "]" (for codes) and anything outside printable ASCII. */
static size_t
clean(char *dst, size_t size, const char *src, int code)
{
	size_t	 n = 0;

	for (; *src != '\0' && n + 1 < size; src++) {
		unsigned char	 c = *src;

		if (c < 0x20 || c >= 0x7f || (code && c == ']'))
			c = '?';
		dst[n++] = c;
	}
	dst[n] = '\0';
	return n;
}

int
imap_reply(char *buf, size_t size, const char *tag, size_t taglen,
    const char *status, const char *code, const char *text)
{
	char	 c[128], t[256];
	int	 n;

	if (size == 0)
		return -1;
	if (tag == NULL) {
		tag = "*";
		taglen = 1;
	}
	if (taglen > 255)
		taglen = 255;
	clean(t, sizeof(t), text != NULL ? text : "", 0);
	if (code != NULL) {
		clean(c, sizeof(c), code, 1);
		n = snprintf(buf, size, "%.*s %s [%s] %s\r\n", (int)taglen,
		    tag, status, c, t);
	} else
		n = snprintf(buf, size, "%.*s %s %s\r\n", (int)taglen, tag,
		    status, t);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}
