/*
 * The audit log's hash chain (DESIGN.md, "Audit logs"), shared by the
 * worker that writes records and by policyctl that checks them.
 *
 * A log file is a sequence of segments.  A segment starts when the master
 * opens the file for a worker: it draws a 32-byte key and a segment id,
 * keeps both outside every chroot, and gives them to the worker.  Record n
 * of a segment (seq n, from 0) is one line:
 *
 *	{"seg":"<id>","seq":<n>,...the record's fields...,"mac":"<hex>"}
 *
 * The MAC is keyed BLAKE2b-256 of every byte before ,"mac": under key n;
 * key n+1 is keyed BLAKE2b-256 of a fixed label under key n, and key n is
 * wiped.  So whoever holds key n can write record n and later ones but
 * cannot recompute records before n: only the first key, which the worker
 * never keeps, can check them all.
 */
#ifndef POSTERN_AUDIT_CHAIN_H
#define POSTERN_AUDIT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_KEY_LEN	32
#define AUDIT_MAC_LEN	32
#define AUDIT_SEG_LEN	16		/* hex digits of a segment id */
#define AUDIT_SEG_SIZE	(AUDIT_SEG_LEN + 1)
#define AUDIT_MAC_HEX	(2 * AUDIT_MAC_LEN)
/* What follows the MAC'd bytes of a record: ,"mac":"<hex>"} */
#define AUDIT_TAIL_LEN	(sizeof(",\"mac\":\"") - 1 + AUDIT_MAC_HEX + 2)
/* The longest line a record may be, its newline included. */
#define AUDIT_LINE_MAX	8192

/* One line taken apart; body is the MAC'd prefix. */
struct audit_line {
	size_t		 bodylen;
	char		 seg[AUDIT_SEG_SIZE];
	uint64_t	 seq;
	uint8_t		 mac[AUDIT_MAC_LEN];
};

void	 audit_mac(const uint8_t key[AUDIT_KEY_LEN], const void *, size_t,
	    uint8_t mac[AUDIT_MAC_LEN]);
/* The next key, in place; the old one is gone. */
void	 audit_evolve(uint8_t key[AUDIT_KEY_LEN]);
/*
 * Appends ,"mac":"<hex>"} to body (bodylen bytes, room for the tail);
 * the MAC also goes to mac unless it is NULL.  The new length.
 */
size_t	 audit_seal(const uint8_t key[AUDIT_KEY_LEN], char *body,
	    size_t bodylen, uint8_t *mac);
/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void	 audit_hex(const uint8_t *, size_t n, char *out);
/* n bytes from exactly 2n hex digits: 0, or -1. */
int	 audit_unhex(const char *, size_t n, uint8_t *out);
int	 audit_seg_valid(const char *);
/* A line without its newline: 0, or -1 when it has not a record's shape. */
int	 audit_line_parse(const char *, size_t, struct audit_line *);

#endif
