/* STUB until the mailbox branch lands. */
#ifndef POSTERN_IMAP_MAILBOX_H
#define POSTERN_IMAP_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

int	 imap_url_mailbox(const uint8_t *, size_t, char *, size_t);

#endif
