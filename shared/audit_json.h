/*
 * The little JSON the audit log needs: strings escaped so that whatever
 * a client sent stays inside its field, and fields read back out of one
 * flat record (policyctl audit verify and show).
 */
#ifndef POSTERN_AUDIT_JSON_H
#define POSTERN_AUDIT_JSON_H

#include <stddef.h>

struct buf;

/*
 * Appends "s" (len bytes, NULs and all) as a JSON string.  Records stay
 * 7-bit ASCII: quote, backslash, control characters, DEL and every byte
 * from 0x80 are escaped as \uXXXX (a byte b as U+00bb), so no byte a
 * client sent can end the line, the string or the record.  0, or -1
 * when the buffer is full.
 */
int	 audit_json_str(struct buf *, const char *s, size_t len);
/*
 * Top-level field name of the flat object in s (len bytes): a string's
 * value unescaped (U+0000..U+00FF back to bytes, NUL refused), any other
 * value as written.  1 found, 0 not there, -1 not a flat JSON object or
 * the value does not fit outlen with its NUL.
 */
int	 audit_json_get(const char *s, size_t len, const char *name,
	    char *out, size_t outlen);

#endif
