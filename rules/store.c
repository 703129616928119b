/*
 * The policy store's LMDB environment (store.h): opened only on a local
 * filesystem, mapped so that a reader never has to adopt a resized map
 * under another thread, and the transactions every other file runs in,
 * a write one run again whole when the map must grow, so nothing
 * half-done is ever committed.  Also the keys and the generation record
 * as every file reads them (store_int.h has the layout).
 */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <sodium.h>

#include "store.h"
#include "store_int.h"

#define MAPSIZE_MAX	((size_t)1 << 40)
#define WRITE_TRIES	48

static int	 fs_check(struct store *, const char *);
static int	 grow(struct store *);
static int	 w_format(struct store *, MDB_txn *, void *);
static int	 main_dbi(struct store *);

void
store_seterr(struct store *st, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

const char *
store_error(const struct store *st)
{
	return st->err;
}

/*
 * LMDB relies on a shared memory map and POSIX locks behaving as on a
 * local disk; network and FUSE filesystems silently break both.
 */
static int
fs_check(struct store *st, const char *dir)
{
	static const struct {
		unsigned long	 magic;
		const char	*name;
	} bad[] = {
		{ 0x6969, "NFS" },
		{ 0x517b, "SMB" },
		{ 0xff534d42, "CIFS" },
		{ 0xfe534d42, "SMB2" },
		{ 0x01021997, "9p" },
		{ 0x65735546, "FUSE" },
		{ 0x73757245, "Coda" },
		{ 0x5346414f, "AFS" },
		{ 0x00c36400, "Ceph" },
		{ 0x01161970, "GFS2" },
	};
	struct statfs	 sfs;
	size_t		 i;

	if (statfs(dir, &sfs) == -1) {
		store_seterr(st, "statfs %s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((unsigned long)(unsigned int)sfs.f_type == bad[i].magic) {
			store_seterr(st,
			    "store %s is on %s, which LMDB does not "
			    "support (locks and shared maps); use a local "
			    "filesystem", dir, bad[i].name);
			return -1;
		}
	}
	return 0;
}

int
store_open(struct store **stp, const char *dir, int flags,
    const struct store_opts *opts, char *errbuf, size_t errlen)
{
	struct store	*st;
	struct stat	 sb;
	size_t		 mapsize = STORE_MAPSIZE_DEFAULT;
	unsigned int	 envflags = MDB_NOTLS;
	int		 rc, dead;

	*stp = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		(void)snprintf(errbuf, errlen, "store %s: %s", dir,
		    strerror(errno));
		return STORE_ERR;
	}
	st->flags = flags;
	st->keep = STORE_KEEP_DEFAULT;
	if (opts != NULL && opts->keep > 0)
		st->keep = opts->keep;
	if (opts != NULL && opts->mapsize > 0)
		mapsize = opts->mapsize;
	if (strlen(dir) >= sizeof(st->dir)) {
		store_seterr(st, "store %.64s...: path too long", dir);
		goto fail;
	}
	(void)strcpy(st->dir, dir);

	if (sodium_init() == -1) {
		store_seterr(st, "store %s: libsodium failed to initialise",
		    dir);
		goto fail;
	}
	if (stat(dir, &sb) == -1 && errno == ENOENT &&
	    !(flags & STORE_RDONLY) && mkdir(dir, 0700) == -1) {
		store_seterr(st, "store %s: mkdir: %s", dir, strerror(errno));
		goto fail;
	}
	if (stat(dir, &sb) == -1) {
		store_seterr(st, "store %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		store_seterr(st, "store %s: not a directory", dir);
		goto fail;
	}
	if (fs_check(st, dir) == -1)
		goto fail;

	/*
	 * A reader maps the most a writer may ever grow the store to
	 * (address space, not memory): it never meets MDB_MAP_RESIZED,
	 * whose remedy, mdb_env_set_mapsize(), would need every other
	 * thread's read transaction ended first (policyd's answering
	 * threads read at once).
	 */
	if (flags & STORE_RDONLY) {
		envflags |= MDB_RDONLY;
		mapsize = MAPSIZE_MAX;
	}
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, mapsize)) != 0) {
		store_seterr(st, "store %s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_env_open(st->env, dir, envflags, 0600)) != 0) {
		store_seterr(st, "store %s: open: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	/* Slots of readers that died would pin old pages forever. */
	if ((rc = mdb_reader_check(st->env, &dead)) != 0) {
		store_seterr(st, "store %s: reader check: %s", dir,
		    mdb_strerror(rc));
		goto fail;
	}
	if (main_dbi(st) == -1)
		goto fail;
	if (!(flags & STORE_RDONLY) &&
	    store_write_txn(st, w_format, NULL) != STORE_OK)
		goto fail;
	*stp = st;
	return STORE_OK;
 fail:
	(void)snprintf(errbuf, errlen, "%s", st->err);
	store_close(st);
	return STORE_ERR;
}

/* Opening the unnamed database once sets its key order for the env. */
static int
main_dbi(struct store *st)
{
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	int		 rc;

	if (store_read_txn(st, &txn) != STORE_OK)
		return -1;
	rc = mdb_dbi_open(txn, NULL, 0, &dbi);
	mdb_txn_abort(txn);
	if (rc != 0) {
		store_seterr(st, "store %s: open database: %s", st->dir,
		    mdb_strerror(rc));
		return -1;
	}
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st);
}

void
store_genkey(uint8_t key[GENKEY_LEN], char kind, uint64_t gen)
{
	int	 i;

	key[0] = (uint8_t)kind;
	for (i = 0; i < 8; i++)
		key[1 + i] = (uint8_t)(gen >> (56 - 8 * i));
}

uint64_t
store_keygen(const MDB_val *k)
{
	const uint8_t	*p = k->mv_data;
	uint64_t	 g = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		g = (g << 8) | p[1 + i];
	return g;
}

/* 0, MDB_NOTFOUND for an empty store, or another LMDB error. */
int
store_get_current(MDB_txn *txn, uint64_t *gen)
{
	MDB_val	 k = { 7, (void *)"current" }, v;
	int	 rc;

	if ((rc = mdb_get(txn, 1, &k, &v)) != 0)
		return rc;
	if (v.mv_size != sizeof(*gen))
		return MDB_CORRUPTED;
	memcpy(gen, v.mv_data, sizeof(*gen));
	return 0;
}

int
store_get_rec(struct store *st, MDB_txn *txn, uint64_t gen, struct genrec *r,
    const char **src)
{
	uint8_t	 kb[GENKEY_LEN];
	MDB_val	 k = { sizeof(kb), kb }, v;
	int	 rc;

	store_genkey(kb, 'g', gen);
	if ((rc = mdb_get(txn, 1, &k, &v)) == MDB_NOTFOUND) {
		store_seterr(st, "generation %llu: no such generation",
		    (unsigned long long)gen);
		return rc;
	}
	if (rc != 0) {
		store_seterr(st, "generation %llu: %s", (unsigned long long)gen,
		    mdb_strerror(rc));
		return rc;
	}
	if (v.mv_size < sizeof(*r))
		goto bad;
	memcpy(r, v.mv_data, sizeof(*r));
	if (r->format != STORE_FORMAT || r->gen != gen ||
	    r->srclen != v.mv_size - sizeof(*r))
		goto bad;
	if (src != NULL)
		*src = (const char *)v.mv_data + sizeof(*r);
	return 0;
 bad:
	store_seterr(st, "generation %llu: record damaged in %s",
	    (unsigned long long)gen, st->dir);
	return MDB_CORRUPTED;
}

/* A map grown by another process must be adopted before reading. */
int
store_read_txn(struct store *st, MDB_txn **txn)
{
	int	 rc, i;

	for (i = 0; i < 2; i++) {
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
		if (rc != MDB_MAP_RESIZED)
			break;
		(void)mdb_env_set_mapsize(st->env, 0);
	}
	if (rc != 0) {
		store_seterr(st, "store %s: read transaction: %s", st->dir,
		    mdb_strerror(rc));
		return STORE_ERR;
	}
	return STORE_OK;
}

static int
grow(struct store *st)
{
	MDB_envinfo	 info;
	int		 rc;

	if ((rc = mdb_env_info(st->env, &info)) != 0) {
		store_seterr(st, "store %s: env info: %s", st->dir,
		    mdb_strerror(rc));
		return -1;
	}
	if (info.me_mapsize >= MAPSIZE_MAX) {
		store_seterr(st, "store %s: map full at %zu bytes", st->dir,
		    info.me_mapsize);
		return -1;
	}
	if ((rc = mdb_env_set_mapsize(st->env, info.me_mapsize * 2)) != 0) {
		store_seterr(st, "store %s: grow map to %zu bytes: %s", st->dir,
		    info.me_mapsize * 2, mdb_strerror(rc));
		return -1;
	}
	return 0;
}

/*
 * Run fn in one write transaction.  A full map is grown and the whole
 * transaction run again, so nothing half-done is ever committed.  fn
 * returns 0, MDB_NOTFOUND for a missing generation, or an LMDB error,
 * having said what it was doing in st->err.
 */
int
store_write_txn(struct store *st, int (*fn)(struct store *, MDB_txn *, void *),
    void *arg)
{
	MDB_txn	*txn;
	int	 rc, i;

	if (st->flags & STORE_RDONLY) {
		store_seterr(st, "store %s: opened read-only", st->dir);
		return STORE_ERR;
	}
	for (i = 0; i < WRITE_TRIES; i++) {
		st->err[0] = '\0';
		rc = mdb_txn_begin(st->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			(void)mdb_env_set_mapsize(st->env, 0);
			continue;
		}
		if (rc != 0) {
			store_seterr(st, "store %s: write transaction: %s",
			    st->dir, mdb_strerror(rc));
			return STORE_ERR;
		}
		if ((rc = fn(st, txn, arg)) == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc == 0)
			return STORE_OK;
		if (rc == MDB_NOTFOUND)
			return STORE_NOGEN;
		if (rc == MDB_MAP_FULL) {
			if (grow(st) == -1)
				return STORE_ERR;
			continue;
		}
		if (st->err[0] == '\0')
			store_seterr(st, "store %s: commit: %s", st->dir,
			    mdb_strerror(rc));
		return STORE_ERR;
	}
	store_seterr(st, "store %s: gave up after %d tries", st->dir, i);
	return STORE_ERR;
}

static int
w_format(struct store *st, MDB_txn *txn, void *arg)
{
	MDB_val		 k = { 6, (void *)"format" }, v;
	uint32_t	 fmt = STORE_FORMAT;
	int		 rc;

	(void)arg;
	if ((rc = mdb_get(txn, 1, &k, &v)) == MDB_NOTFOUND) {
		v.mv_size = sizeof(fmt);
		v.mv_data = &fmt;
		if ((rc = mdb_put(txn, 1, &k, &v, 0)) != 0 &&
		    rc != MDB_MAP_FULL)
			store_seterr(st, "store %s: put format: %s", st->dir,
			    mdb_strerror(rc));
		return rc;
	}
	if (rc != 0) {
		store_seterr(st, "store %s: get format: %s", st->dir,
		    mdb_strerror(rc));
		return rc;
	}
	if (v.mv_size != sizeof(fmt) || memcmp(v.mv_data, &fmt,
	    sizeof(fmt)) != 0) {
		store_seterr(st, "store %s: unknown store format", st->dir);
		return MDB_INCOMPATIBLE;
	}
	return 0;
}

int
store_rdresult(int rc)
{
	if (rc == 0)
		return STORE_OK;
	if (rc == MDB_NOTFOUND)
		return STORE_NOGEN;
	return STORE_ERR;
}
