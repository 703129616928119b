/* STUB until the mailbox branch lands: every URL counts as unreadable. */
#include "imap_mailbox.h"

int
imap_url_mailbox(const uint8_t *url, size_t len, char *out, size_t size)
{
	(void)url;
	(void)len;
	(void)out;
	(void)size;
	return -1;
}
