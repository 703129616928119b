/*
 * Where a server response names a mailbox, and which mailbox an IMAP URL
 * names, so that a hidden mailbox (postern.rules(5), "MAILBOX NAMES")
 * can be kept out of every response, not only LIST and LSUB.
 *
 * The command side (which arguments of a command are mailbox names) is
 * the command grammar's; the URLs it finds there (CATENATE, GENURLAUTH,
 * URLFETCH) are read with imap_url_mailbox() below.
 */
#ifndef POSTERN_IMAP_MAILBOX_H
#define POSTERN_IMAP_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

#include "imap_parse.h"

enum imap_mref_kind {
	IMAP_MREF_NAME,		/* a mailbox name: imap_mailbox_name() */
	IMAP_MREF_URL		/* an IMAP URL: imap_url_mailbox() */
};

/*
 * One place of a response that names a mailbox: the octets
 * tok[tok].p + off .. + len.  For a name or a URL sent as a LITERAL
 * token, off and len are 0: its octets are not among the tokens (the
 * parser hands them over separately) and the caller holds them.  A
 * place inside a response code ([REFERRAL url], [BADURL url],
 * [NEWNAME old new]) has tok on the CODE_BEGIN token for a URL, so that
 * a caller can strip the code from a tagged response it cannot drop.
 */
struct imap_mref {
	unsigned int		 tok;
	enum imap_mref_kind	 kind;
	uint32_t		 off;
	uint32_t		 len;
};

/*
 * tok[0..ntok): the tokens of one whole server response, all its
 * segments (imap_parser_tokens() at its final LINE).  Fills out[0..max)
 * with the places that name a mailbox, in token order, and returns how
 * many there are, which may be more than max (then the caller holds
 * too few: treat as malformed).  -1: the response is malformed for its
 * kind (a STATUS with no name, a LIST that is not one): the caller
 * cannot tell what it names and should treat it as naming a hidden
 * mailbox.  0: it names none (most responses; see imap_mailbox.c for
 * each).
 */
int	 imap_resp_mailboxes(const struct imap_token *, unsigned int,
	    struct imap_mref *, unsigned int);

/*
 * A mailbox name as the list rules see it, from the octets a client or
 * server sent (atom, quoted contents or literal): decoded from modified
 * UTF-7 when it is that (imap_list_name_bytes()), and "INBOX" in any
 * case as "INBOX", since INBOX alone is case-insensitive (RFC 3501
 * 5.1).  NUL-terminated in out: its length, or -1 (too long, or a NUL).
 */
int	 imap_mailbox_name(const uint8_t *, size_t, char *, size_t);
/*
 * The other reading of a name a lenient server would decode
 * differently: printable ASCII sent in modified UTF-7
 * ("&AFMAZQBjAHIAZQB0-" for "Secret"), which imap_mailbox_name() takes
 * as it is (RFC 3501 forbids it, Dovecot refuses it, others may open
 * "Secret").  Its length, NUL-terminated in out, when it differs from
 * imap_mailbox_name()'s; 0 when there is no other reading; -1 when it
 * does not fit.  A name is hidden when either reading is.
 */
int	 imap_mailbox_name_alt(const uint8_t *, size_t, char *, size_t);

/* What imap_url_mailbox() found. */
#define IMAP_URL_BAD		-1	/* unreadable: treat as hidden */
#define IMAP_URL_MAILBOX	0	/* out holds the mailbox */
#define IMAP_URL_SERVER		1	/* imap://host[/]: a server, no mailbox */
#define IMAP_URL_BASE		2	/* ";UID=n...": the base URL's mailbox */

/*
 * The mailbox an IMAP URL (RFC 5092) names, url[0..len), as
 * imap_mailbox_name() gives it, NUL-terminated in out.  Read are
 * "imap://[user[;AUTH=mech]@]host[:port][/command]", the network path
 * "//host/...", the absolute path "/mailbox..." CATENATE uses, and the
 * relative ";UID=n[/;SECTION=s]..." (IMAP_URL_BASE: the mailbox of
 * whatever base the server resolves it against).
 *
 * The mailbox is percent-decoded and, as RFC 5092 says, UTF-8 (not
 * modified UTF-7), which is the form imap_mailbox_name() gives for a
 * LIST name.  IMAP_URL_BAD for anything else: not IMAP, no host, a
 * bad %-escape, %00 or another control character, invalid UTF-8, a
 * name too long for out, parameters out of place, a relative path that
 * starts with a mailbox (whose meaning depends on the base), and an
 * ASCII name that is also valid modified UTF-7 for another name (a
 * client writing "&AOQ-" for U+00E4 against RFC 5092: which one the
 * server opens cannot be known).
 */
int	 imap_url_mailbox(const uint8_t *, size_t, char *, size_t);

#endif
