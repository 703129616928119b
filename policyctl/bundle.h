/*
 * Signed rule bundles, format 1 (policyctl(8), BUNDLES): a generation's
 * rule source and what it was, signed with Ed25519 over every byte
 * before the signature line:
 *
 *	postern-bundle 1
 *	key: ID			signing key (signkey.h)
 *	origin: HOST		the exporting node
 *	generation: N		its number there
 *	created: T		seconds since the epoch, when it was loaded
 *	file: NAME		the rule file's name there, which verdicts cite
 *	sha256: HEX		of the source
 *	length: L		bytes of source
 *	(an empty line)
 *	L bytes of source
 *	signature: BASE64(64 bytes)
 *
 * Every line ends in one "\n"; fields come in this order, once each; the
 * file ends right after the signature line.  Anything else is refused.
 */
#ifndef POSTERN_POLICYCTL_BUNDLE_H
#define POSTERN_POLICYCTL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "signkey.h"

#define BUNDLE_VERSION		1
#define BUNDLE_HOST_MAX		255
#define BUNDLE_NAME_MAX		255
/* The longest source a bundle may carry, and so the longest bundle. */
#define BUNDLE_SOURCE_MAX	((size_t)16 << 20)	/* policyctl load's */
#define BUNDLE_HEAD_MAX		1024

struct bundle {
	char		 keyid[SIGNKEY_ID_LEN + 1];
	char		 origin[BUNDLE_HOST_MAX + 1];
	uint64_t	 gen;
	int64_t		 created;
	char		 file[BUNDLE_NAME_MAX + 1];
	uint8_t		 sha256[32];
	const char	*src;		/* into the parsed buffer */
	size_t		 srclen;
	size_t		 signedlen;	/* bytes the signature covers */
	uint8_t		 sig[SIGNKEY_SIG_LEN];
};

/*
 * A bundle of the fields of b (all but src's place, signedlen and sig),
 * signed; *out is malloc'd.  0, or -1 with why in err.
 */
int	 bundle_make(const struct bundle *, const struct signkey_sec *,
	    char **, size_t *, char *, size_t);
/* The structure alone: nothing is trusted yet.  0 or -1, why in err. */
int	 bundle_parse(const char *, size_t, struct bundle *, char *, size_t);
/*
 * The signature by the trusted key b names, then the source's SHA-256.
 * 0, or -1 with why in err.
 */
int	 bundle_verify(const struct bundle *, const char *,
	    const struct signkey_pub *, size_t, char *, size_t);
int	 bundle_hostname_valid(const char *);
int	 bundle_filename_valid(const char *);

#endif
