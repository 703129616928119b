/*
 * policyctl keygen, export and import (bundle_cmd.h).  Import checks
 * everything it can before it opens the store for writing: the bundle's
 * form, its signature by a trusted key, the source's sha256 and that the
 * source compiles; the replay check and the new generation are then one
 * store transaction (store_import()), so a refused bundle changes
 * nothing.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bundle.h"
#include "bundle_cmd.h"
#include "conf.h"
#include "log.h"
#include "policyctl_compile.h"
#include "rules.h"
#include "signkey.h"
#include "store.h"

#define EX_DONE		0
#define EX_INPUT	1
#define EX_STORE	2

/* A bundle is its source and a header and trailer of a few hundred. */
#define BUNDLE_FILE_MAX	(BUNDLE_SOURCE_MAX + BUNDLE_HEAD_MAX + 256)

static int	 write_new(const char *, const char *, size_t, mode_t);
static int	 read_bundle(const char *, char **, size_t *);
static int	 blob_file(struct store *, uint64_t, char *, size_t);
static int	 read_trust(const char *, struct signkey_pub **, size_t *);

/* Written whole, or not there: O_EXCL, so no key is ever replaced. */
static int
write_new(const char *path, const char *s, size_t len, mode_t mode)
{
	ssize_t	 n;
	size_t	 off = 0;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1) {
		fprintf(stderr, "policyctl: %s: %s%s\n", path,
		    strerror(errno), errno == EEXIST ?
		    ": a key file is never overwritten" : "");
		return -1;
	}
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (off < len) {
		if ((n = write(fd, s + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
 fail:
	fprintf(stderr, "policyctl: %s: %s\n", path, strerror(errno));
	if (fd != -1)
		(void)close(fd);
	(void)unlink(path);
	return -1;
}

int
bundle_keygen(int argc, char **argv)
{
	struct signkey_sec	 sec;
	struct signkey_pub	 pub;
	const char		*secf = NULL, *pubf = NULL;
	char			 line[SIGNKEY_FILE_MAX];
	int			 ch, n;

	optind = 0;
	while ((ch = getopt(argc, argv, "+k:p:")) != -1) {
		switch (ch) {
		case 'k':
			secf = optarg;
			break;
		case 'p':
			pubf = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (secf == NULL || pubf == NULL || optind != argc)
		goto usage;
	if (sodium_init() == -1) {
		fprintf(stderr, "policyctl: keygen: libsodium failed to "
		    "initialise\n");
		return EX_STORE;
	}
	if (access(pubf, F_OK) == 0) {
		fprintf(stderr, "policyctl: %s: exists: a key file is never "
		    "overwritten\n", pubf);
		return EX_INPUT;
	}
	(void)crypto_sign_keypair(pub.pk, sec.sk);
	signkey_id(pub.pk, pub.id);
	memcpy(sec.id, pub.id, sizeof(sec.id));
	n = signkey_format_sec(&sec, line, sizeof(line));
	sodium_memzero(&sec, sizeof(sec));
	if (n == -1 || write_new(secf, line, (size_t)n, 0600) == -1) {
		sodium_memzero(line, sizeof(line));
		return EX_INPUT;
	}
	sodium_memzero(line, sizeof(line));
	if ((n = signkey_format_pub(&pub, line, sizeof(line))) == -1 ||
	    write_new(pubf, line, (size_t)n, 0644) == -1) {
		(void)unlink(secf);
		return EX_INPUT;
	}
	printf("key %s: secret %s, public %s\n", pub.id, secf, pubf);
	return EX_DONE;
 usage:
	fprintf(stderr, "usage: policyctl keygen -k secretfile -p "
	    "publicfile\n");
	return EX_INPUT;
}

/*
 * The file name generation gen was loaded from, which its verdicts cite:
 * the importing nodes compile with it, so that an audit record names
 * the same file:line on every node.
 */
static int
blob_file(struct store *st, uint64_t gen, char *name, size_t len)
{
	void	*blob;
	size_t	 bloblen;

	if (store_blob(st, gen, &blob, &bloblen) != STORE_OK) {
		fprintf(stderr, "policyctl: %s\n", store_error(st));
		return -1;
	}
	if (rules_blob_check(blob, bloblen) == -1) {
		fprintf(stderr, "policyctl: generation %" PRIu64 ": compiled "
		    "rules damaged\n", gen);
		free(blob);
		return -1;
	}
	(void)snprintf(name, len, "%s", rules_blob_file(blob));
	free(blob);
	if (!bundle_filename_valid(name)) {
		fprintf(stderr, "policyctl: generation %" PRIu64 ": file name "
		    "'%s': expected 1 to %d printable ASCII characters\n", gen,
		    name, BUNDLE_NAME_MAX);
		return -1;
	}
	return 0;
}

int
bundle_export(int argc, char **argv, const char *storedir)
{
	struct signkey_sec	 sec;
	struct store_opts	 o = { 0, 0 };
	struct store		*st;
	struct store_gen	 g;
	struct bundle		 b;
	const char		*secf = NULL, *host = NULL;
	char			 err[512], hostbuf[BUNDLE_HOST_MAX + 1];
	char			*src = NULL, *out = NULL, *end;
	uint8_t			 sha[32];
	size_t			 outlen;
	uint64_t		 gen = 0;
	int			 ch, rc = EX_STORE;

	optind = 0;
	while ((ch = getopt(argc, argv, "+k:o:")) != -1) {
		switch (ch) {
		case 'k':
			secf = optarg;
			break;
		case 'o':
			host = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (secf == NULL || argc - optind > 1)
		goto usage;
	if (argc - optind == 1) {
		errno = 0;
		gen = strtoull(argv[optind], &end, 10);
		if (argv[optind][0] < '0' || argv[optind][0] > '9' ||
		    *end != '\0' || errno != 0 || gen == 0) {
			fprintf(stderr, "policyctl: %s: not a generation "
			    "number\n", argv[optind]);
			return EX_INPUT;
		}
	}
	if (host == NULL) {
		if (gethostname(hostbuf, sizeof(hostbuf)) == -1) {
			fprintf(stderr, "policyctl: export: host name: %s\n",
			    strerror(errno));
			return EX_STORE;
		}
		hostbuf[sizeof(hostbuf) - 1] = '\0';
		host = hostbuf;
	}
	if (!bundle_hostname_valid(host)) {
		fprintf(stderr, "policyctl: export: origin '%s': expected a "
		    "host name of letters, digits, '.', '-' or '_' (-o)\n",
		    host);
		return EX_INPUT;
	}
	if (sodium_init() == -1 ||
	    signkey_read_sec(secf, &sec, err, sizeof(err)) == -1) {
		fprintf(stderr, "policyctl: %s: %s\n", secf, err);
		return EX_INPUT;
	}
	if (store_open(&st, storedir, STORE_RDONLY, &o, err,
	    sizeof(err)) != STORE_OK) {
		fprintf(stderr, "policyctl: %s\n", err);
		goto done;
	}
	if ((gen == 0 && (rc = store_current(st, &gen)) != STORE_OK) ||
	    (rc = store_info(st, gen, &g, &src)) != STORE_OK) {
		fprintf(stderr, "policyctl: %s\n", store_error(st));
		rc = rc == STORE_NOGEN ? EX_INPUT : EX_STORE;
		store_close(st);
		goto done;
	}
	rc = EX_STORE;
	/* What is signed must be what the store holds, not what it says. */
	crypto_hash_sha256(sha, (const uint8_t *)src, g.srclen);
	if (memcmp(sha, g.sha256, sizeof(sha)) != 0) {
		fprintf(stderr, "policyctl: generation %" PRIu64 ": the "
		    "source's sha256 is not the one recorded: store damaged\n",
		    gen);
		store_close(st);
		goto done;
	}
	memset(&b, 0, sizeof(b));
	if (blob_file(st, gen, b.file, sizeof(b.file)) == -1) {
		store_close(st);
		goto done;
	}
	store_close(st);
	(void)snprintf(b.origin, sizeof(b.origin), "%s", host);
	b.gen = gen;
	b.created = g.time;
	memcpy(b.sha256, sha, sizeof(b.sha256));
	b.src = src;
	b.srclen = g.srclen;
	if (bundle_make(&b, &sec, &out, &outlen, err, sizeof(err)) == -1) {
		fprintf(stderr, "policyctl: export: %s\n", err);
		rc = EX_INPUT;
		goto done;
	}
	if (fwrite(out, 1, outlen, stdout) != outlen) {
		fprintf(stderr, "policyctl: stdout: %s\n", strerror(errno));
		goto done;
	}
	rc = EX_DONE;
 done:
	sodium_memzero(&sec, sizeof(sec));
	free(src);
	free(out);
	return rc;
 usage:
	fprintf(stderr, "usage: policyctl [-c conf | -s dir] export -k "
	    "secretfile [-o origin] [gen]\n");
	return EX_INPUT;
}

static int
read_bundle(const char *path, char **bufp, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "policyctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(BUNDLE_FILE_MAX + 1)) == NULL) {
		fprintf(stderr, "policyctl: %s: %s\n", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	while (len <= BUNDLE_FILE_MAX) {
		n = read(fd, buf + len, BUNDLE_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n == -1 || len > BUNDLE_FILE_MAX) {
		fprintf(stderr, "policyctl: %s: %s\n", path, n == -1 ?
		    strerror(errno) : "larger than any bundle");
		(void)close(fd);
		free(buf);
		return -1;
	}
	(void)close(fd);
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* The keys postern.conf trusts; none is an error, as nothing could pass. */
static int
read_trust(const char *file, struct signkey_pub **keys, size_t *n)
{
	struct conf	*conf;
	uint32_t	 i;

	log_init(1, 0, "policyctl");
	if ((conf = conf_parse(file)) == NULL) {
		fprintf(stderr, "policyctl: %s: no trusted keys: the "
		    "configuration does not parse\n", file);
		return -1;
	}
	if (conf->ntrust == 0) {
		fprintf(stderr, "policyctl: %s: no 'policy trust' line: no "
		    "bundle can be imported\n", file);
		conf_free(conf);
		return -1;
	}
	if ((*keys = calloc(conf->ntrust, sizeof(**keys))) == NULL) {
		fprintf(stderr, "policyctl: %s\n", strerror(errno));
		conf_free(conf);
		return -1;
	}
	for (i = 0; i < conf->ntrust; i++)
		(*keys)[i] = conf->trust[i].key;
	*n = conf->ntrust;
	conf_free(conf);
	return 0;
}

int
bundle_import(const char *path, const char *conffile, const char *storedir,
    unsigned keep)
{
	struct signkey_pub	*keys = NULL;
	struct store_opts	 o = { 0, keep };
	struct store_origin	 origin;
	struct compiled		 c = { NULL, 0 };
	struct bundle		 b;
	struct store		*st = NULL;
	char			 err[512];
	char			*buf = NULL;
	size_t			 len, nkeys;
	uint64_t		 gen = 0, last = 0;
	int			 rc = EX_INPUT;

	if (sodium_init() == -1) {
		fprintf(stderr, "policyctl: libsodium failed to initialise\n");
		return EX_STORE;
	}
	if (read_trust(conffile, &keys, &nkeys) == -1)
		return EX_INPUT;
	if (read_bundle(path, &buf, &len) == -1)
		goto done;
	if (bundle_parse(buf, len, &b, err, sizeof(err)) == -1 ||
	    bundle_verify(&b, buf, keys, nkeys, err, sizeof(err)) == -1) {
		fprintf(stderr, "policyctl: %s: refused: %s\n", path, err);
		goto done;
	}
	if (policyctl_compile(b.src, b.srclen, b.file, &c) == -1) {
		fprintf(stderr, "policyctl: %s: refused: its rules do not "
		    "compile here\n", path);
		goto done;
	}
	memset(&origin, 0, sizeof(origin));
	(void)snprintf(origin.keyid, sizeof(origin.keyid), "%s", b.keyid);
	(void)snprintf(origin.host, sizeof(origin.host), "%s", b.origin);
	origin.gen = b.gen;
	origin.created = b.created;
	memcpy(origin.sha256, b.sha256, sizeof(origin.sha256));
	if (store_open(&st, storedir, 0, &o, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "policyctl: %s\n", err);
		rc = EX_STORE;
		goto done;
	}
	switch (store_import(st, b.src, b.srclen, c.data, c.size, &origin,
	    &gen, &last)) {
	case STORE_OK:
		printf("generation %" PRIu64 " imported from %s generation %"
		    PRIu64 " key %s\n", gen, b.origin, b.gen, b.keyid);
		rc = EX_DONE;
		break;
	case STORE_SAME:
		printf("%s: already imported as generation %" PRIu64 ", "
		    "nothing changed\n", path, gen);
		rc = EX_DONE;
		break;
	case STORE_STALE:
		fprintf(stderr, "policyctl: %s: refused as replayed: %s\n",
		    path, store_error(st));
		break;
	default:
		fprintf(stderr, "policyctl: %s\n", store_error(st));
		rc = EX_STORE;
	}
 done:
	store_close(st);
	policyctl_compiled_free(&c);
	free(buf);
	free(keys);
	return rc;
}
