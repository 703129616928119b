/*
 * Answers postern writes itself: "tag BAD [CODE] text" and
 * "* BYE text".  The text is cleaned of anything that could end the
 * line or smuggle a second response.
 */
#ifndef POSTERN_IMAP_REPLY_H
#define POSTERN_IMAP_REPLY_H

#include <stddef.h>

/*
 * Write "<tag> <status> [<code>] <text>\r\n" into buf, or "* ..." when
 * tag is NULL; code may be NULL.  Returns the length, or -1 if it does
 * not fit (buf then holds an empty string).
 */
int	 imap_reply(char *, size_t, const char *, size_t, const char *,
	    const char *, const char *);

#endif
