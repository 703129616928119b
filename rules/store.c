/*
 * The policy store on LMDB (store.h).  Its keys and records are in
 * store_int.h.
 */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "store.h"
#include "store_int.h"

#define MAPSIZE_MAX	((size_t)1 << 40)
#define WRITE_TRIES	48

static int	 fs_check(struct store *, const char *);
static int	 grow(struct store *);
static int	 w_format(struct store *, MDB_txn *, void *);
static int	 prune(struct store *, MDB_txn *);
static int	 main_dbi(struct store *);

void
seterr(struct store *st, const char *fmt, ...)
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
		seterr(st, "statfs %s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((unsigned long)(unsigned int)sfs.f_type == bad[i].magic) {
			seterr(st, "store %s is on %s, which LMDB does not "
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
		seterr(st, "store %.64s...: path too long", dir);
		goto fail;
	}
	(void)strcpy(st->dir, dir);

	if (sodium_init() == -1) {
		seterr(st, "store %s: libsodium failed to initialise", dir);
		goto fail;
	}
	if (stat(dir, &sb) == -1 && errno == ENOENT &&
	    !(flags & STORE_RDONLY) && mkdir(dir, 0700) == -1) {
		seterr(st, "store %s: mkdir: %s", dir, strerror(errno));
		goto fail;
	}
	if (stat(dir, &sb) == -1) {
		seterr(st, "store %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		seterr(st, "store %s: not a directory", dir);
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
		seterr(st, "store %s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	if ((rc = mdb_env_open(st->env, dir, envflags, 0600)) != 0) {
		seterr(st, "store %s: open: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	/* Slots of readers that died would pin old pages forever. */
	if ((rc = mdb_reader_check(st->env, &dead)) != 0) {
		seterr(st, "store %s: reader check: %s", dir,
		    mdb_strerror(rc));
		goto fail;
	}
	if (main_dbi(st) == -1)
		goto fail;
	if (!(flags & STORE_RDONLY) &&
	    write_txn(st, w_format, NULL) != STORE_OK)
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

	if (read_txn(st, &txn) != STORE_OK)
		return -1;
	rc = mdb_dbi_open(txn, NULL, 0, &dbi);
	mdb_txn_abort(txn);
	if (rc != 0) {
		seterr(st, "store %s: open database: %s", st->dir,
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
genkey(uint8_t key[GENKEY_LEN], char kind, uint64_t gen)
{
	int	 i;

	key[0] = (uint8_t)kind;
	for (i = 0; i < 8; i++)
		key[1 + i] = (uint8_t)(gen >> (56 - 8 * i));
}

uint64_t
keygen(const MDB_val *k)
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
get_current(MDB_txn *txn, uint64_t *gen)
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
get_rec(struct store *st, MDB_txn *txn, uint64_t gen, struct genrec *r,
    const char **src)
{
	uint8_t	 kb[GENKEY_LEN];
	MDB_val	 k = { sizeof(kb), kb }, v;
	int	 rc;

	genkey(kb, 'g', gen);
	if ((rc = mdb_get(txn, 1, &k, &v)) == MDB_NOTFOUND) {
		seterr(st, "generation %llu: no such generation",
		    (unsigned long long)gen);
		return rc;
	}
	if (rc != 0) {
		seterr(st, "generation %llu: %s", (unsigned long long)gen,
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
	seterr(st, "generation %llu: record damaged in %s",
	    (unsigned long long)gen, st->dir);
	return MDB_CORRUPTED;
}

/* A map grown by another process must be adopted before reading. */
int
read_txn(struct store *st, MDB_txn **txn)
{
	int	 rc, i;

	for (i = 0; i < 2; i++) {
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
		if (rc != MDB_MAP_RESIZED)
			break;
		(void)mdb_env_set_mapsize(st->env, 0);
	}
	if (rc != 0) {
		seterr(st, "store %s: read transaction: %s", st->dir,
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
		seterr(st, "store %s: env info: %s", st->dir,
		    mdb_strerror(rc));
		return -1;
	}
	if (info.me_mapsize >= MAPSIZE_MAX) {
		seterr(st, "store %s: map full at %zu bytes", st->dir,
		    info.me_mapsize);
		return -1;
	}
	if ((rc = mdb_env_set_mapsize(st->env, info.me_mapsize * 2)) != 0) {
		seterr(st, "store %s: grow map to %zu bytes: %s", st->dir,
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
write_txn(struct store *st, int (*fn)(struct store *, MDB_txn *, void *),
    void *arg)
{
	MDB_txn	*txn;
	int	 rc, i;

	if (st->flags & STORE_RDONLY) {
		seterr(st, "store %s: opened read-only", st->dir);
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
			seterr(st, "store %s: write transaction: %s",
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
			seterr(st, "store %s: commit: %s", st->dir,
			    mdb_strerror(rc));
		return STORE_ERR;
	}
	seterr(st, "store %s: gave up after %d tries", st->dir, i);
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
			seterr(st, "store %s: put format: %s", st->dir,
			    mdb_strerror(rc));
		return rc;
	}
	if (rc != 0) {
		seterr(st, "store %s: get format: %s", st->dir,
		    mdb_strerror(rc));
		return rc;
	}
	if (v.mv_size != sizeof(fmt) || memcmp(v.mv_data, &fmt,
	    sizeof(fmt)) != 0) {
		seterr(st, "store %s: unknown store format", st->dir);
		return MDB_INCOMPATIBLE;
	}
	return 0;
}

/* Add a generation, make it current, drop the oldest beyond the keep. */
int
w_add(struct store *st, MDB_txn *txn, void *arg)
{
	struct loadarg	*la = arg;
	struct genrec	 r;
	struct passwd	*pw;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	MDB_val		 ck = { 7, (void *)"current" };
	uint64_t	 cur;
	int		 rc;

	if ((rc = get_current(txn, &cur)) == MDB_NOTFOUND)
		cur = 0;
	else if (rc != 0)
		goto err;
	memset(&r, 0, sizeof(r));
	r.format = STORE_FORMAT;
	r.gen = la->gen = cur + 1;
	r.time = (int64_t)time(NULL);
	r.uid = (uint32_t)getuid();
	if ((pw = getpwuid(getuid())) != NULL)
		(void)snprintf(r.user, sizeof(r.user), "%s", pw->pw_name);
	else
		(void)snprintf(r.user, sizeof(r.user), "%u", r.uid);
	r.kind = (uint32_t)la->kind;
	r.from = la->from;
	r.srclen = la->srclen;
	r.bloblen = la->bloblen;
	if (la->sha256 != NULL)
		memcpy(r.sha256, la->sha256, sizeof(r.sha256));
	else
		crypto_hash_sha256(r.sha256, (const unsigned char *)la->src,
		    la->srclen);

	genkey(kb, 'g', r.gen);
	v.mv_size = sizeof(r) + la->srclen;
	if ((rc = mdb_put(txn, 1, &k, &v, MDB_RESERVE | MDB_NOOVERWRITE)))
		goto err;
	memcpy(v.mv_data, &r, sizeof(r));
	if (la->srclen > 0)
		memcpy((char *)v.mv_data + sizeof(r), la->src, la->srclen);

	genkey(kb, 'b', r.gen);
	v.mv_size = la->bloblen;
	if ((rc = mdb_put(txn, 1, &k, &v, MDB_RESERVE | MDB_NOOVERWRITE)))
		goto err;
	if (la->bloblen > 0)
		memcpy(v.mv_data, la->blob, la->bloblen);

	if ((rc = tab_set(st, txn, la, cur, r.gen)) != 0)
		goto err;
	v.mv_size = sizeof(r.gen);
	v.mv_data = &r.gen;
	if ((rc = mdb_put(txn, 1, &ck, &v, 0)) != 0)
		goto err;
	return prune(st, txn);
 err:
	if (rc != MDB_MAP_FULL)
		seterr(st, "store %s: add generation %llu: %s", st->dir,
		    (unsigned long long)(cur + 1), mdb_strerror(rc));
	return rc;
}

static int
prune(struct store *st, MDB_txn *txn)
{
	MDB_cursor	*c;
	uint8_t		 kb[GENKEY_LEN], bk[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v, b = { sizeof(bk), bk };
	struct tabref	 tr;
	uint64_t	 gen, tabs[64];
	size_t		 n = 0, drop, ntabs = 0, i;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, 1, &c)) != 0)
		goto err;
	genkey(kb, 'g', 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != GENKEY_LEN || ((uint8_t *)k.mv_data)[0] != 'g')
			break;
		n++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto errc;
	drop = n > st->keep ? n - st->keep : 0;
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	genkey(kb, 'g', 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	    rc == 0 && drop > 0; drop--) {
		gen = keygen(&k);
		genkey(bk, 'b', gen);
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			goto errc;
		if ((rc = mdb_del(txn, 1, &b, NULL)) != 0 &&
		    rc != MDB_NOTFOUND)
			goto errc;
		bk[0] = 'o';
		if ((rc = mdb_del(txn, 1, &b, NULL)) != 0 &&
		    rc != MDB_NOTFOUND)
			goto errc;
		if ((rc = tab_get(txn, gen, &tr)) == 0) {
			genkey(bk, 't', gen);
			if ((rc = mdb_del(txn, 1, &b, NULL)) != 0)
				goto errc;
			if (tr.table != 0 && ntabs < sizeof(tabs) /
			    sizeof(tabs[0]))
				tabs[ntabs++] = tr.table;
		} else if (rc != MDB_NOTFOUND)
			goto errc;
		rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
	}
	mdb_cursor_close(c);
	/* A table no generation kept names any more goes too. */
	for (i = 0; i < ntabs; i++)
		if ((rc = tab_drop(txn, tabs[i])) != 0)
			goto err;
	return 0;
 errc:
	mdb_cursor_close(c);
 err:
	if (rc != MDB_MAP_FULL)
		seterr(st, "store %s: drop old generations: %s", st->dir,
		    mdb_strerror(rc));
	return rc;
}

int
store_load(struct store *st, const char *src, size_t srclen,
    const void *blob, size_t bloblen, uint64_t *genp)
{
	struct loadarg	 la;
	int		 rc;

	memset(&la, 0, sizeof(la));
	la.src = src;
	la.srclen = srclen;
	la.blob = blob;
	la.bloblen = bloblen;
	la.kind = STORE_KIND_LOAD;
	if ((rc = write_txn(st, w_add, &la)) == STORE_OK && genp != NULL)
		*genp = la.gen;
	return rc;
}

/* Copy generation `from' (0: the one before the current) as a new one. */
int
w_rollback(struct store *st, MDB_txn *txn, void *arg)
{
	struct loadarg	*la = arg;
	struct genrec	 r;
	const char	*src;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	uint64_t	 cur;
	char		*copy = NULL;
	int		 rc;

	if ((rc = get_current(txn, &cur)) == MDB_NOTFOUND) {
		seterr(st, "store %s: nothing loaded yet", st->dir);
		return rc;
	} else if (rc != 0) {
		seterr(st, "store %s: get current: %s", st->dir,
		    mdb_strerror(rc));
		return rc;
	}
	if (la->from == 0) {
		if ((rc = prev_txn(st, txn, cur, &la->from)) != 0)
			return rc;
	}
	if ((rc = get_rec(st, txn, la->from, &r, &src)) != 0)
		return rc;
	genkey(kb, 'b', la->from);
	if ((rc = mdb_get(txn, 1, &k, &v)) != 0) {
		seterr(st, "generation %llu: blob: %s",
		    (unsigned long long)la->from, mdb_strerror(rc));
		return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
	}
	/* Pages read in a write transaction may move under the puts. */
	if ((copy = malloc(r.srclen + v.mv_size + 1)) == NULL) {
		seterr(st, "rollback: %s", strerror(errno));
		return ENOMEM;
	}
	memcpy(copy, src, r.srclen);
	memcpy(copy + r.srclen, v.mv_data, v.mv_size);
	la->src = copy;
	la->srclen = r.srclen;
	la->blob = copy + r.srclen;
	la->bloblen = v.mv_size;
	la->sha256 = r.sha256;
	/* A route load (kind set) brings its table; a rollback takes. */
	if (la->kind == 0) {
		la->kind = STORE_KIND_ROLLBACK;
		if ((rc = tab_get(txn, la->from, &la->tab)) == MDB_NOTFOUND)
			memset(&la->tab, 0, sizeof(la->tab));
		else if (rc != 0) {
			free(copy);
			seterr(st, "generation %llu: route table: %s",
			    (unsigned long long)la->from, mdb_strerror(rc));
			return rc;
		}
		la->hastab = 1;
	}
	rc = w_add(st, txn, la);
	la->sha256 = NULL;
	free(copy);
	return rc;
}

int
store_rollback(struct store *st, uint64_t to, uint64_t *genp)
{
	struct loadarg	 la;
	int		 rc;

	memset(&la, 0, sizeof(la));
	la.from = to;
	la.kind = 0;
	if ((rc = write_txn(st, w_rollback, &la)) == STORE_OK && genp != NULL)
		*genp = la.gen;
	return rc;
}

/* The newest generation kept that is older than gen. */
int
prev_txn(struct store *st, MDB_txn *txn, uint64_t gen, uint64_t *prev)
{
	MDB_cursor	*c;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, 1, &c)) != 0) {
		seterr(st, "store %s: cursor: %s", st->dir, mdb_strerror(rc));
		return rc;
	}
	genkey(kb, 'g', gen);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, rc == 0 ? MDB_PREV : MDB_LAST);
	if (rc == 0 && (k.mv_size != GENKEY_LEN ||
	    ((uint8_t *)k.mv_data)[0] != 'g'))
		rc = MDB_NOTFOUND;
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		seterr(st, "generation %llu: no older generation kept",
		    (unsigned long long)gen);
	else if (rc != 0)
		seterr(st, "store %s: cursor: %s", st->dir, mdb_strerror(rc));
	else
		*prev = keygen(&k);
	return rc;
}

int
rdresult(int rc)
{
	if (rc == 0)
		return STORE_OK;
	if (rc == MDB_NOTFOUND)
		return STORE_NOGEN;
	return STORE_ERR;
}
