/*
 * Mailboxes the list rules hide, wherever a name appears: in every
 * mailbox place of a command (the grammar finds them, imap_grammar.h) and
 * in every response that names one (imap_mailbox.h), postern.rules(5)
 * MAILBOX NAMES.  imap_enforce.c asks and answers; this file knows where
 * names are and what hiding makes of a command or a response.
 */
#ifndef POSTERN_IMAP_HIDE_H
#define POSTERN_IMAP_HIDE_H

#include "buf.h"
#include "imap_enforce.h"
#include "imap_session.h"

/* What hiding answers a command (postern.rules(5), MAILBOX NAMES). */
enum hide_answer {
	HIDE_PASS,
	HIDE_NONEXISTENT,	/* N: the place must look missing */
	HIDE_CANNOT,		/* C: it would make a hidden name exist */
	HIDE_UNAVAILABLE	/* no verdict */
};

/*
 * The mailbox places of the command in progress from token first on:
 * what hiding answers it.  N places are checked before C ones.
 */
enum hide_answer imap_hide_command(struct imap_enforce *,
	    const struct imap_session *, const char *, unsigned int);
/* A SELECT or EXAMINE that passes: its mailbox, the base of ";UID=n". */
void	 imap_hide_selected(struct imap_enforce *, const struct imap_session *,
	    const struct imap_sev *);
/*
 * A response the rules accepted: left out, its code removed, held (a
 * name in a literal), or passed with a LIST's attributes as ruled.
 */
enum imap_pol_do imap_hide_response(struct imap_enforce *,
	    const struct imap_session *, const struct imap_sev *,
	    struct buf *);
/* The rest of a held response (pol->hold), and the decision at its end. */
enum imap_pol_do imap_hide_held(struct imap_enforce *,
	    const struct imap_session *, const struct imap_event *,
	    struct buf *);

#endif
