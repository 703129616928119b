/*
 * The argument grammar of every command postern forwards.
 *
 * A server that does not know a command, or that refuses one before it
 * has read all of its arguments, skips the rest of that line and reads
 * the octets of a literal that followed as the next command: what
 * postern took for a mailbox name runs as "y DELETE Secret".  So postern
 * forwards only commands whose whole argument list it has matched
 * against the grammar of RFC 3501, RFC 9051 and the extensions the
 * upstream advertised, in a state where they are valid; and it learns
 * on the way where the mailbox names are.
 *
 * imap_grammar_check() is stateless: it is called on every segment of a
 * command with all the tokens so far (imap_parser_tokens()), and decides
 * again from the start.  The cost is linear in the tokens.
 */
#ifndef POSTERN_IMAP_GRAMMAR_H
#define POSTERN_IMAP_GRAMMAR_H

#include <stdint.h>

#include "imap_cmd.h"
#include "imap_parse.h"

enum imap_gram_res {
	IMAP_GRAM_OK,		/* the whole command matches (final segment) */
	IMAP_GRAM_MORE,		/* a valid prefix ending in a literal
				   announcement: octets and more segments
				   follow */
	IMAP_GRAM_BAD,		/* no command of this grammar: postern answers
				   "tag BAD why" and forwards nothing */
	IMAP_GRAM_UNKNOWN,	/* a command name postern does not know:
				   "tag BAD Unknown command" */
	IMAP_GRAM_NOTADV,	/* known, but needs a capability the server
				   did not advertise */
	IMAP_GRAM_STATE		/* known, not valid in this state */
};

enum imap_mbox_kind {
	/*
	 * An existing-or-new mailbox name: SELECT, EXAMINE, STATUS, CREATE,
	 * DELETE, RENAME (both), SUBSCRIBE, UNSUBSCRIBE, APPEND, COPY/MOVE,
	 * GETACL/SETACL/DELETEACL/LISTRIGHTS/MYRIGHTS, GETQUOTAROOT,
	 * GETMETADATA/SETMETADATA (may be ""), RESETKEY, NOTIFY and ESEARCH
	 * IN "mailboxes"/"subtree"/"subtree-one" specifiers.
	 */
	IMAP_MBOX_NAME,
	IMAP_MBOX_REFERENCE,	/* LIST/LSUB reference argument */
	IMAP_MBOX_PATTERN,	/* LIST/LSUB pattern (may contain % and *) */
	IMAP_MBOX_URL		/* an IMAP URL (RFC 5092) that names a mailbox:
				   CATENATE URL, GENURLAUTH, URLFETCH */
};

struct imap_gram_mbox {
	unsigned int		 tok;	/* index into the tokens */
	enum imap_mbox_kind	 kind;
};

#define IMAP_GRAM_MBOX_MAX	64

struct imap_gram {
	enum imap_gram_res	 res;
	/* BAD, NOTADV, STATE: the text for "tag BAD <why>" */
	const char		*why;
	/* the command (for UID X: X's entry), NULL if unknown */
	const struct imap_cmd_desc *desc;
	int			 uid;		/* "UID FETCH" form */
	/* mailbox-name places in the tokens (all segments so far) */
	unsigned int		 nmbox;
	struct imap_gram_mbox	 mbox[IMAP_GRAM_MBOX_MAX];
	int			 overflow;	/* more than IMAP_GRAM_MBOX_MAX */
	/*
	 * MORE only: the literal that ends the tokens so far is message
	 * data (APPEND message, CATENATE TEXT, UTF8 (~{n})) that postern
	 * streams, rather than an argument it holds whole (mailbox names,
	 * LOGIN, SEARCH strings, CATENATE URL...).
	 */
	int			 lit_stream;
};

/*
 * tok/ntok: all the tokens of the client message so far, TAG first, then
 * the name...; final: the message ended at this segment's CRLF (else it
 * ends in a literal announcement, the last token being that LITERAL).
 * caps: the upstream's advertised capability bits (IMAP_CAP_*); enabled:
 * bits from "* ENABLED"; st: the state the command runs in.
 * Returns g->res.
 */
int	 imap_grammar_check(const struct imap_token *, unsigned int, int,
	    uint64_t, uint64_t, enum imap_state, struct imap_gram *);

const char *imap_gram_res_str(enum imap_gram_res);

#endif
