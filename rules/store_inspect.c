/*
 * What policyctl shows of the store: the current generation, the one
 * before, a generation's record, source and blob, the history.  Each
 * call reads in a transaction of its own and hands back copies, so
 * nothing the caller keeps points into the map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "store.h"
#include "store_int.h"

static void	 rec_to_gen(const struct genrec *, struct store_gen *);
static void	 gen_tab(MDB_txn *, struct store_gen *);

static void
rec_to_gen(const struct genrec *r, struct store_gen *g)
{
	memset(g, 0, sizeof(*g));
	g->gen = r->gen;
	g->time = r->time;
	g->uid = r->uid;
	memcpy(g->user, r->user, sizeof(g->user));
	g->user[sizeof(g->user) - 1] = '\0';
	g->kind = (int)r->kind;
	g->from = r->from;
	memcpy(g->sha256, r->sha256, sizeof(g->sha256));
	g->srclen = r->srclen;
	g->bloblen = r->bloblen;
}

static void
gen_tab(MDB_txn *txn, struct store_gen *g)
{
	struct tabref	 tr;

	if (store_tab_get(txn, g->gen, &tr) == 0) {
		g->table = tr.table;
		g->nroutes = tr.count;
	}
}

int
store_current(struct store *st, uint64_t *gen)
{
	MDB_txn	*txn;
	int	 rc;

	if (store_read_txn(st, &txn) != STORE_OK)
		return STORE_ERR;
	if ((rc = store_get_current(txn, gen)) == MDB_NOTFOUND)
		store_seterr(st, "store %s: nothing loaded yet", st->dir);
	else if (rc != 0)
		store_seterr(st, "store %s: get current: %s", st->dir,
		    mdb_strerror(rc));
	mdb_txn_abort(txn);
	return store_rdresult(rc);
}

int
store_previous(struct store *st, uint64_t gen, uint64_t *prev)
{
	MDB_txn	*txn;
	int	 rc;

	if (store_read_txn(st, &txn) != STORE_OK)
		return STORE_ERR;
	rc = store_prev_txn(st, txn, gen, prev);
	mdb_txn_abort(txn);
	return store_rdresult(rc);
}

/* *src, if asked for, is a NUL-terminated copy the caller frees. */
int
store_info(struct store *st, uint64_t gen, struct store_gen *g, char **src)
{
	MDB_txn		*txn;
	struct genrec	 r;
	const char	*s;
	int		 rc;

	if (store_read_txn(st, &txn) != STORE_OK)
		return STORE_ERR;
	if ((rc = store_get_rec(st, txn, gen, &r, &s)) == 0) {
		rec_to_gen(&r, g);
		gen_tab(txn, g);
		if (src != NULL) {
			if ((*src = malloc(r.srclen + 1)) == NULL) {
				store_seterr(st, "generation %llu: %s",
				    (unsigned long long)gen, strerror(errno));
				rc = ENOMEM;
			} else {
				memcpy(*src, s, r.srclen);
				(*src)[r.srclen] = '\0';
			}
		}
	}
	mdb_txn_abort(txn);
	return store_rdresult(rc);
}

/* A copy of a generation's blob (malloc'd even when empty). */
int
store_blob(struct store *st, uint64_t gen, void **blob, size_t *len)
{
	MDB_txn	*txn;
	uint8_t	 kb[GENKEY_LEN];
	MDB_val	 k = { sizeof(kb), kb }, v;
	int	 rc;

	if (store_read_txn(st, &txn) != STORE_OK)
		return STORE_ERR;
	store_genkey(kb, 'b', gen);
	if ((rc = mdb_get(txn, 1, &k, &v)) != 0)
		store_seterr(st, "generation %llu: %s", (unsigned long long)gen,
		    rc == MDB_NOTFOUND ? "no such generation" :
		    mdb_strerror(rc));
	else if ((*blob = malloc(v.mv_size + 1)) == NULL) {
		store_seterr(st, "generation %llu: %s", (unsigned long long)gen,
		    strerror(errno));
		rc = ENOMEM;
	} else {
		memcpy(*blob, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	mdb_txn_abort(txn);
	return store_rdresult(rc);
}

/* Every generation kept, oldest first. */
int
store_history(struct store *st, struct store_gen **listp, size_t *np)
{
	MDB_txn		*txn;
	MDB_cursor	*c = NULL;
	struct store_gen *list = NULL, *nl;
	struct genrec	 r;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	size_t		 n = 0, cap = 0;
	int		 rc;

	*listp = NULL;
	*np = 0;
	if (store_read_txn(st, &txn) != STORE_OK)
		return STORE_ERR;
	if ((rc = mdb_cursor_open(txn, 1, &c)) != 0)
		goto err;
	store_genkey(kb, 'g', 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != GENKEY_LEN || ((uint8_t *)k.mv_data)[0] != 'g')
			break;
		if ((rc = store_get_rec(st, txn, store_keygen(&k), &r,
		    NULL)) != 0)
			goto out;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nl = reallocarray(list, cap, sizeof(*nl))) ==
			    NULL) {
				rc = ENOMEM;
				store_seterr(st, "history: %s",
				    strerror(errno));
				goto out;
			}
			list = nl;
		}
		rec_to_gen(&r, &list[n]);
		gen_tab(txn, &list[n++]);
	}
	if (rc == MDB_NOTFOUND || rc == 0) {
		rc = 0;
		goto out;
	}
 err:
	store_seterr(st, "store %s: history: %s", st->dir, mdb_strerror(rc));
 out:
	if (c != NULL)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (rc != 0) {
		free(list);
		return STORE_ERR;
	}
	*listp = list;
	*np = n;
	return STORE_OK;
}
