/*
 * Capabilities: the few the engine itself must know about, and the
 * rewriting of a capability list, wherever it is (the greeting's
 * [CAPABILITY] code, "* CAPABILITY", a tagged OK's code), so that the
 * policy can hide one.
 */
#ifndef POSTERN_IMAP_CAPS_H
#define POSTERN_IMAP_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "imap_parse.h"

/*
 * One bit per capability that changes which commands or arguments the
 * upstream takes (imap_grammar.c gates them) or how the engine frames
 * the stream.  64 bits: keep the count below that.
 */
#define IMAP_CAP_IMAP4REV1	(UINT64_C(1) << 0)
#define IMAP_CAP_IMAP4REV2	(UINT64_C(1) << 1)
#define IMAP_CAP_LITERALPLUS	(UINT64_C(1) << 2)
#define IMAP_CAP_LITERALMINUS	(UINT64_C(1) << 3)
#define IMAP_CAP_IDLE		(UINT64_C(1) << 4)
#define IMAP_CAP_STARTTLS	(UINT64_C(1) << 5)
#define IMAP_CAP_COMPRESS	(UINT64_C(1) << 6)
#define IMAP_CAP_SASLIR		(UINT64_C(1) << 7)
#define IMAP_CAP_BINARY		(UINT64_C(1) << 8)
#define IMAP_CAP_MULTIAPPEND	(UINT64_C(1) << 9)
#define IMAP_CAP_CATENATE	(UINT64_C(1) << 10)
#define IMAP_CAP_LOGINDISABLED	(UINT64_C(1) << 11)
#define IMAP_CAP_UTF8ACCEPT	(UINT64_C(1) << 12)	/* also for ENABLE */
#define IMAP_CAP_CONDSTORE	(UINT64_C(1) << 13)
#define IMAP_CAP_QRESYNC	(UINT64_C(1) << 14)
#define IMAP_CAP_ACL		(UINT64_C(1) << 15)	/* RFC 4314 */
#define IMAP_CAP_QUOTA		(UINT64_C(1) << 16)	/* RFC 2087, 9208 */
#define IMAP_CAP_METADATA	(UINT64_C(1) << 17)	/* RFC 5464 */
#define IMAP_CAP_METADATA_SERVER	(UINT64_C(1) << 18)
#define IMAP_CAP_NOTIFY		(UINT64_C(1) << 19)	/* RFC 5465 */
#define IMAP_CAP_URLAUTH	(UINT64_C(1) << 20)	/* RFC 4467 */
#define IMAP_CAP_MOVE		(UINT64_C(1) << 21)	/* RFC 6851 */
#define IMAP_CAP_UIDPLUS	(UINT64_C(1) << 22)	/* RFC 4315 */
#define IMAP_CAP_ESEARCH	(UINT64_C(1) << 23)	/* RFC 4731 */
#define IMAP_CAP_SEARCHRES	(UINT64_C(1) << 24)	/* RFC 5182 */
#define IMAP_CAP_SORT		(UINT64_C(1) << 25)	/* RFC 5256 */
#define IMAP_CAP_SORT_DISPLAY	(UINT64_C(1) << 26)	/* RFC 5957 */
#define IMAP_CAP_THREAD_ORDEREDSUBJECT	(UINT64_C(1) << 27)
#define IMAP_CAP_THREAD_REFERENCES	(UINT64_C(1) << 28)
#define IMAP_CAP_THREAD_REFS	(UINT64_C(1) << 29)	/* draft, Dovecot */
#define IMAP_CAP_LIST_EXTENDED	(UINT64_C(1) << 30)	/* RFC 5258 */
#define IMAP_CAP_LIST_STATUS	(UINT64_C(1) << 31)	/* RFC 5819 */
#define IMAP_CAP_SPECIAL_USE	(UINT64_C(1) << 32)	/* RFC 6154 */
#define IMAP_CAP_CREATE_SPECIAL_USE	(UINT64_C(1) << 33)
#define IMAP_CAP_ID		(UINT64_C(1) << 34)	/* RFC 2971 */
#define IMAP_CAP_NAMESPACE	(UINT64_C(1) << 35)	/* RFC 2342 */
#define IMAP_CAP_UNSELECT	(UINT64_C(1) << 36)	/* RFC 3691 */
#define IMAP_CAP_ENABLE		(UINT64_C(1) << 37)	/* RFC 5161 */
#define IMAP_CAP_CHILDREN	(UINT64_C(1) << 38)	/* RFC 3348 */
#define IMAP_CAP_MULTISEARCH	(UINT64_C(1) << 39)	/* RFC 7377 */
#define IMAP_CAP_CONTEXT_SEARCH	(UINT64_C(1) << 40)	/* RFC 5267 */
#define IMAP_CAP_CONTEXT_SORT	(UINT64_C(1) << 41)
#define IMAP_CAP_ESORT		(UINT64_C(1) << 42)
#define IMAP_CAP_WITHIN		(UINT64_C(1) << 43)	/* RFC 5032 */
#define IMAP_CAP_FUZZY		(UINT64_C(1) << 44)	/* RFC 6203 */
#define IMAP_CAP_I18NLEVEL1	(UINT64_C(1) << 45)	/* RFC 5255 */
#define IMAP_CAP_I18NLEVEL2	(UINT64_C(1) << 46)
#define IMAP_CAP_STATUS_SIZE	(UINT64_C(1) << 47)	/* RFC 8438 */
#define IMAP_CAP_SAVEDATE	(UINT64_C(1) << 48)	/* RFC 8514 */
#define IMAP_CAP_OBJECTID	(UINT64_C(1) << 49)	/* RFC 8474 */
#define IMAP_CAP_PREVIEW	(UINT64_C(1) << 50)	/* RFC 8970 */
#define IMAP_CAP_SNIPPET_FUZZY	(UINT64_C(1) << 51)	/* Dovecot's draft of PREVIEW */
#define IMAP_CAP_XLIST		(UINT64_C(1) << 52)
#define IMAP_CAP_LOGIN_REFERRALS	(UINT64_C(1) << 53)	/* RFC 2221 */
#define IMAP_CAP_UNAUTHENTICATE	(UINT64_C(1) << 54)	/* RFC 8437 */
#define IMAP_CAP_APPENDLIMIT	(UINT64_C(1) << 55)	/* RFC 7889, also APPENDLIMIT=n */
#define IMAP_CAP_UTF8ONLY	(UINT64_C(1) << 56)
#define IMAP_CAP_QUOTASET	(UINT64_C(1) << 57)	/* RFC 9208 */
#define IMAP_CAP_URLAUTH_BINARY	(UINT64_C(1) << 58)	/* RFC 5524 */

/*
 * Capability bit of one capability name, 0 if not one of those.
 * "APPENDLIMIT=n" counts as APPENDLIMIT.
 */
uint64_t imap_cap_bit(const uint8_t *, size_t);

/*
 * The capability atoms of a response line, as token indexes [first,
 * last), from "* CAPABILITY ..." or a [CAPABILITY ...] code.  Returns 0
 * when the line has none.
 */
int	 imap_caps_find(const struct imap_token *, unsigned int,
	    unsigned int *, unsigned int *);

/*
 * Copy the raw line of a server LINE event (first segment) to out,
 * leaving out each capability for which keep() returns 0.  Returns the
 * length written, or -1 if out is too small.  A line without
 * capabilities is copied unchanged.
 */
int	 imap_caps_filter(const struct imap_event *, const struct imap_token *,
	    unsigned int, int (*)(const struct imap_token *, void *), void *,
	    uint8_t *, size_t);

#endif
