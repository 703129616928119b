/*
 * APOP (RFC 1939 section 7): the greeting's timestamp and the digest.
 */
#ifndef POSTERN_WORKER_APOP_H
#define POSTERN_WORKER_APOP_H

#include <stddef.h>
#include <stdint.h>

#define APOP_DIGEST_HEX	32

/*
 * The "<...>" of a greeting line into ts (NUL-terminated): 0, or -1 when
 * there is none or it does not fit in tslen.
 */
int	 apop_timestamp(const uint8_t *, size_t, char *, size_t);
/* MD5(timestamp password) in lower-case hex, NUL-terminated. */
void	 apop_digest(const char *, const char *, size_t,
	    char[APOP_DIGEST_HEX + 1]);
/* Whether s is 32 hex digits, as APOP's digest argument must be. */
int	 apop_digest_valid(const char *, size_t);

#endif
