/*
 * Mailbox names in IMAP's modified UTF-7 (RFC 3501 section 5.1.3), to
 * UTF-8, so that rules name mailboxes as people write them.
 */
#ifndef POSTERN_IMAP_MUTF7_H
#define POSTERN_IMAP_MUTF7_H

#include <stddef.h>
#include <stdint.h>

/*
 * in[0..len) to UTF-8 in out, NUL-terminated: the length, or -1 when the
 * name is not valid modified UTF-7 (then the caller uses it as it is) or
 * out is too small.
 */
int	 imap_mutf7_decode(const uint8_t *, size_t, char *, size_t);

/*
 * The same, but printable ASCII may be encoded ("&AFM-ecret" for
 * "Secret"): what servers that do not check read, so that a name can be
 * checked as they would see it too.
 */
int	 imap_mutf7_decode_lenient(const uint8_t *, size_t, char *, size_t);

#endif
