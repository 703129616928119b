/*
 * Capabilities: the few the engine itself must know about, and the
 * rewriting of a capability list, wherever it is (the greeting's
 * [CAPABILITY] code, "* CAPABILITY", a tagged OK's code), so that the
 * policy can hide one (COMPRESS=DEFLATE, which postern cannot inspect).
 */
#ifndef POSTERN_IMAP_CAPS_H
#define POSTERN_IMAP_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "imap_parse.h"

#define IMAP_CAP_IMAP4REV1	0x0001
#define IMAP_CAP_IMAP4REV2	0x0002
#define IMAP_CAP_LITERALPLUS	0x0004
#define IMAP_CAP_LITERALMINUS	0x0008
#define IMAP_CAP_IDLE		0x0010
#define IMAP_CAP_STARTTLS	0x0020
#define IMAP_CAP_COMPRESS	0x0040	/* COMPRESS=DEFLATE */
#define IMAP_CAP_SASLIR		0x0080
#define IMAP_CAP_BINARY		0x0100
#define IMAP_CAP_MULTIAPPEND	0x0200
#define IMAP_CAP_CATENATE	0x0400
#define IMAP_CAP_LOGINDISABLED	0x0800
#define IMAP_CAP_UTF8ACCEPT	0x1000	/* also for ENABLE */
#define IMAP_CAP_CONDSTORE	0x2000
#define IMAP_CAP_QRESYNC	0x4000

/* Capability bit of one capability name, 0 if not one of those. */
unsigned int imap_cap_bit(const uint8_t *, size_t);

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
