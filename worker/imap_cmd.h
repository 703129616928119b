/*
 * What postern knows about IMAP commands: the session states (RFC 3501
 * section 3, RFC 9051 section 3), the states each command is valid in
 * (section 6 of both), and what each one means to the session layer.
 */
#ifndef POSTERN_IMAP_CMD_H
#define POSTERN_IMAP_CMD_H

#include <stddef.h>
#include <stdint.h>

enum imap_state {
	IMAP_ST_GREETING,	/* no greeting from the server yet */
	IMAP_ST_NOTAUTH,
	IMAP_ST_AUTH,
	IMAP_ST_SELECTED,
	IMAP_ST_LOGOUT
};
#define IMAP_STB(st)		(1u << (st))
#define IMAP_ST_ANY		(IMAP_STB(IMAP_ST_NOTAUTH) | \
				 IMAP_STB(IMAP_ST_AUTH) | \
				 IMAP_STB(IMAP_ST_SELECTED))

/* What a command does to the session. */
#define IMAP_CMDF_UID		0x0001	/* has a UID form */
#define IMAP_CMDF_LOGIN		0x0002	/* OK: authenticated */
#define IMAP_CMDF_AUTHENTICATE	0x0004	/* SASL lines follow */
#define IMAP_CMDF_SELECT	0x0008	/* OK: selected; NO: authenticated */
#define IMAP_CMDF_UNSELECT	0x0010	/* OK: authenticated */
#define IMAP_CMDF_LOGOUT	0x0020	/* OK: logout */
#define IMAP_CMDF_IDLE		0x0040	/* DONE follows */
#define IMAP_CMDF_STARTTLS	0x0080	/* OK: TLS starts */
#define IMAP_CMDF_COMPRESS	0x0100	/* OK: DEFLATE starts (postern's) */
#define IMAP_CMDF_APPEND	0x0200	/* big literals, literal8 allowed */
#define IMAP_CMDF_ENABLE	0x0400	/* * ENABLED changes the grammar */
#define IMAP_CMDF_UNAUTH	0x0800	/* RFC 8437 UNAUTHENTICATE */

struct imap_cmd_desc {
	const char	*name;		/* upper case */
	unsigned int	 states;	/* IMAP_STB() of valid states */
	unsigned int	 flags;		/* IMAP_CMDF_* */
	/* The untagged responses it asks for, space-separated. */
	const char	*resp;
	/*
	 * IMAP_CAP_* bits of which the upstream must advertise at least
	 * one for the command to exist there; 0 for the IMAP4rev1 base
	 * (RFC 3501 section 6), which every server has.  Arguments that
	 * need a capability of their own are gated in imap_grammar.c.
	 */
	uint64_t	 cap;
};

/* By name, ignoring case; NULL for a command postern does not know. */
const struct imap_cmd_desc *imap_cmd_lookup(const char *, size_t);
/*
 * Is the command valid in that state?  1 yes, 0 no, -1 unknown command.
 * "UID FETCH" and the like are looked up as the UID form of FETCH.
 */
int	 imap_cmd_valid_in(const char *, enum imap_state);
/* Does the command ask for that untagged response (upper case name)? */
int	 imap_cmd_solicits(const struct imap_cmd_desc *, const char *);
const char *imap_state_str(enum imap_state);

#endif
