/*
 * Limits of the IMAP engine.  Every one has a default and is meant to be
 * set from the configuration file; a peer that goes past one gets a
 * defined answer (see imap_session.h), never our memory.
 */
#ifndef POSTERN_IMAP_LIMITS_H
#define POSTERN_IMAP_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A tag longer than this cannot be echoed in a tagged answer; the RFC sets
 * no bound, real clients use a handful of characters.
 */
#define IMAP_TAG_MAX		64

struct imap_limits {
	/*
	 * Bytes of one client command, all its line segments together,
	 * CRLFs included and literal octets excluded.  RFC 7162 section 4
	 * wants at least 8192.
	 */
	size_t		 cmd_line_max;		/* 64 KiB */
	/*
	 * The same for one server response.  Larger, because an untagged
	 * SEARCH on a big mailbox is one long line.
	 */
	size_t		 resp_line_max;		/* 4 MiB */
	/* Literal octets in APPEND (each message of a MULTIAPPEND). */
	uint64_t	 lit_append_max;	/* 64 MiB */
	/* Any other client literal (LOGIN, SEARCH, mailbox names...). */
	uint64_t	 lit_max;		/* 64 KiB */
	/* Parenthesis nesting; BODYSTRUCTURE of deep MIME needs more. */
	unsigned int	 cmd_depth_max;		/* 16 */
	unsigned int	 resp_depth_max;	/* 64 */
	/* Tokens of one message, tag and command name included. */
	unsigned int	 cmd_args_max;		/* 1024 */
	unsigned int	 resp_args_max;		/* 1 Mi (an untagged SEARCH) */
	/* Pipelined commands in flight before we answer BAD ourselves. */
	unsigned int	 inflight_max;		/* 128 */
};

#define IMAP_CMD_LINE_MAX	(64 * 1024)
#define IMAP_RESP_LINE_MAX	(4 * 1024 * 1024)
#define IMAP_LIT_APPEND_MAX	(64ULL * 1024 * 1024)
#define IMAP_LIT_MAX		(64ULL * 1024)
#define IMAP_CMD_DEPTH_MAX	16
#define IMAP_RESP_DEPTH_MAX	64
#define IMAP_CMD_ARGS_MAX	1024
#define IMAP_RESP_ARGS_MAX	(1024 * 1024)
#define IMAP_INFLIGHT_MAX	128

/* Depth is kept in a byte per token. */
#define IMAP_DEPTH_HARD_MAX	250

void	imap_limits_default(struct imap_limits *);

#endif
