/*
 * Ed25519 signing keys of rule bundles (policyctl keygen, export and
 * import; postern.conf's "policy trust FILE"), one line of text each:
 *
 *	postern-ed25519-public ID BASE64(32-byte public key)
 *	postern-ed25519-secret ID BASE64(64-byte libsodium secret key)
 *
 * ID is the first 8 bytes of the SHA-256 of the public key in lowercase
 * hex, so a bundle names the key it was signed with and a reader can
 * tell a wrong key from a damaged one.  Readers are strict: one line,
 * one space between words, a newline at its end, base64 with padding,
 * and an ID that is the key's.
 */
#ifndef POSTERN_SHARED_SIGNKEY_H
#define POSTERN_SHARED_SIGNKEY_H

#include <stddef.h>
#include <stdint.h>

#define SIGNKEY_ID_LEN		16	/* hex digits */
#define SIGNKEY_PUB_LEN		32
#define SIGNKEY_SEC_LEN		64
#define SIGNKEY_SIG_LEN		64
/* The longest key file read: a line and then some. */
#define SIGNKEY_FILE_MAX	256

struct signkey_pub {
	char		 id[SIGNKEY_ID_LEN + 1];
	uint8_t		 pk[SIGNKEY_PUB_LEN];
};

struct signkey_sec {
	char		 id[SIGNKEY_ID_LEN + 1];
	uint8_t		 sk[SIGNKEY_SEC_LEN];	/* its second half: pk */
};

void	 signkey_id(const uint8_t [SIGNKEY_PUB_LEN],
	    char [SIGNKEY_ID_LEN + 1]);
/* 0, or -1 with why in err (no file name: the caller adds it). */
int	 signkey_parse_pub(const char *, size_t, struct signkey_pub *,
	    char *, size_t);
int	 signkey_parse_sec(const char *, size_t, struct signkey_sec *,
	    char *, size_t);
/* The same from a file; a secret one may be read by its owner only. */
int	 signkey_read_pub(const char *, struct signkey_pub *, char *, size_t);
int	 signkey_read_sec(const char *, struct signkey_sec *, char *, size_t);
/* The line of a file, with its newline; -1 when len is too short. */
int	 signkey_format_pub(const struct signkey_pub *, char *, size_t);
int	 signkey_format_sec(const struct signkey_sec *, char *, size_t);

#endif
