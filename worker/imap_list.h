/*
 * LIST and LSUB responses (RFC 3501 7.2.2, RFC 5258 LIST-EXTENDED):
 * where the attributes and the mailbox name are among a line's tokens,
 * so that the list rules can hide a mailbox or change its attributes
 * (VPOP3's DoListResult).
 */
#ifndef POSTERN_IMAP_LIST_H
#define POSTERN_IMAP_LIST_H

#include <stddef.h>

#include "imap_parse.h"

struct imap_list_line {
	unsigned int	 attr_open;	/* token index of "(" */
	unsigned int	 attr_close;	/* of ")" */
	unsigned int	 mbox;		/* of the name (LITERAL: octets follow) */
};

/* 0 and *l when tok[0..ntok) is "* LIST|LSUB (...) delim name ...", else -1 */
int	 imap_list_parse(const struct imap_token *, unsigned int,
	    struct imap_list_line *);
/*
 * The name at token t (not a literal), decoded from modified UTF-7 when
 * it is valid, NUL-terminated in out: its length, or -1 if too long.
 */
int	 imap_list_name(const struct imap_token *, char *, size_t);
/* The same for a name given as octets (a literal's). */
int	 imap_list_name_bytes(const uint8_t *, size_t, char *, size_t);

#endif
