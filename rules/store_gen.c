/*
 * Making generations: a load adds one and makes it current, dropping
 * the oldest beyond the keep (and a route table no generation kept names
 * any more).  A rollback records a new generation (kind rollback, from =
 * the old one) with the old source and blob, so the current generation
 * is always the newest and history never rewrites itself.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "store.h"
#include "store_int.h"

static int	 prune(struct store *, MDB_txn *);

/* Add a generation, make it current, drop the oldest beyond the keep. */
int
store_w_add(struct store *st, MDB_txn *txn, void *arg)
{
	struct loadarg	*la = arg;
	struct genrec	 r;
	struct passwd	*pw;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	MDB_val		 ck = { 7, (void *)"current" };
	uint64_t	 cur;
	int		 rc;

	if ((rc = store_get_current(txn, &cur)) == MDB_NOTFOUND)
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

	store_genkey(kb, 'g', r.gen);
	v.mv_size = sizeof(r) + la->srclen;
	if ((rc = mdb_put(txn, 1, &k, &v, MDB_RESERVE | MDB_NOOVERWRITE)))
		goto err;
	memcpy(v.mv_data, &r, sizeof(r));
	if (la->srclen > 0)
		memcpy((char *)v.mv_data + sizeof(r), la->src, la->srclen);

	store_genkey(kb, 'b', r.gen);
	v.mv_size = la->bloblen;
	if ((rc = mdb_put(txn, 1, &k, &v, MDB_RESERVE | MDB_NOOVERWRITE)))
		goto err;
	if (la->bloblen > 0)
		memcpy(v.mv_data, la->blob, la->bloblen);

	if ((rc = store_tab_set(st, txn, la, cur, r.gen)) != 0)
		goto err;
	v.mv_size = sizeof(r.gen);
	v.mv_data = &r.gen;
	if ((rc = mdb_put(txn, 1, &ck, &v, 0)) != 0)
		goto err;
	return prune(st, txn);
 err:
	if (rc != MDB_MAP_FULL)
		store_seterr(st, "store %s: add generation %llu: %s", st->dir,
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
	store_genkey(kb, 'g', 0);
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
	store_genkey(kb, 'g', 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	    rc == 0 && drop > 0; drop--) {
		gen = store_keygen(&k);
		store_genkey(bk, 'b', gen);
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			goto errc;
		if ((rc = mdb_del(txn, 1, &b, NULL)) != 0 &&
		    rc != MDB_NOTFOUND)
			goto errc;
		bk[0] = 'o';
		if ((rc = mdb_del(txn, 1, &b, NULL)) != 0 &&
		    rc != MDB_NOTFOUND)
			goto errc;
		if ((rc = store_tab_get(txn, gen, &tr)) == 0) {
			store_genkey(bk, 't', gen);
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
		if ((rc = store_tab_drop(txn, tabs[i])) != 0)
			goto err;
	return 0;
 errc:
	mdb_cursor_close(c);
 err:
	if (rc != MDB_MAP_FULL)
		store_seterr(st, "store %s: drop old generations: %s", st->dir,
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
	if ((rc = store_write_txn(st, store_w_add, &la)) == STORE_OK &&
	    genp != NULL)
		*genp = la.gen;
	return rc;
}

/* Copy generation `from' (0: the one before the current) as a new one. */
int
store_w_rollback(struct store *st, MDB_txn *txn, void *arg)
{
	struct loadarg	*la = arg;
	struct genrec	 r;
	const char	*src;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	uint64_t	 cur;
	char		*copy = NULL;
	int		 rc;

	if ((rc = store_get_current(txn, &cur)) == MDB_NOTFOUND) {
		store_seterr(st, "store %s: nothing loaded yet", st->dir);
		return rc;
	} else if (rc != 0) {
		store_seterr(st, "store %s: get current: %s", st->dir,
		    mdb_strerror(rc));
		return rc;
	}
	if (la->from == 0) {
		if ((rc = store_prev_txn(st, txn, cur, &la->from)) != 0)
			return rc;
	}
	if ((rc = store_get_rec(st, txn, la->from, &r, &src)) != 0)
		return rc;
	store_genkey(kb, 'b', la->from);
	if ((rc = mdb_get(txn, 1, &k, &v)) != 0) {
		store_seterr(st, "generation %llu: blob: %s",
		    (unsigned long long)la->from, mdb_strerror(rc));
		return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
	}
	/* Pages read in a write transaction may move under the puts. */
	if ((copy = malloc(r.srclen + v.mv_size + 1)) == NULL) {
		store_seterr(st, "rollback: %s", strerror(errno));
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
		if ((rc = store_tab_get(txn, la->from,
		    &la->tab)) == MDB_NOTFOUND)
			memset(&la->tab, 0, sizeof(la->tab));
		else if (rc != 0) {
			free(copy);
			store_seterr(st, "generation %llu: route table: %s",
			    (unsigned long long)la->from, mdb_strerror(rc));
			return rc;
		}
		la->hastab = 1;
	}
	rc = store_w_add(st, txn, la);
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
	if ((rc = store_write_txn(st, store_w_rollback, &la)) == STORE_OK &&
	    genp != NULL)
		*genp = la.gen;
	return rc;
}

/* The newest generation kept that is older than gen. */
int
store_prev_txn(struct store *st, MDB_txn *txn, uint64_t gen, uint64_t *prev)
{
	MDB_cursor	*c;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, 1, &c)) != 0) {
		store_seterr(st, "store %s: cursor: %s", st->dir,
		    mdb_strerror(rc));
		return rc;
	}
	store_genkey(kb, 'g', gen);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, rc == 0 ? MDB_PREV : MDB_LAST);
	if (rc == 0 && (k.mv_size != GENKEY_LEN ||
	    ((uint8_t *)k.mv_data)[0] != 'g'))
		rc = MDB_NOTFOUND;
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		store_seterr(st, "generation %llu: no older generation kept",
		    (unsigned long long)gen);
	else if (rc != 0)
		store_seterr(st, "store %s: cursor: %s", st->dir,
		    mdb_strerror(rc));
	else
		*prev = store_keygen(&k);
	return rc;
}
