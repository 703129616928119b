/*
 * policyd's side of the store: a read handle per answering thread gives
 * the current generation's blob, and a user's route, where they lie in
 * the map, without a copy, so a query costs no allocation; the handle's
 * transaction is reset after each query, so no snapshot is pinned
 * between them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <lmdb.h>

#include "store.h"
#include "store_int.h"

/* One thread's read handle (store_reader_new()). */
struct store_reader {
	struct store	*st;
	MDB_txn		*txn;		/* kept reset between queries */
	char		 err[256];
};

/*
 * A thread's read handle: begun once, then renewed per query and reset
 * after it, so no snapshot is pinned between queries.  Readers map the
 * store at its largest (store_open()), so MDB_MAP_RESIZED is not met.
 */
struct store_reader *
store_reader_new(struct store *st)
{
	struct store_reader	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->st = st;
	return r;
}

void
store_reader_free(struct store_reader *r)
{
	if (r == NULL)
		return;
	if (r->txn != NULL)
		mdb_txn_abort(r->txn);
	free(r);
}

const char *
store_reader_error(const struct store_reader *r)
{
	return r->err;
}

static void __attribute__((format(printf, 2, 3)))
rderr(struct store_reader *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

int
store_read_begin(struct store_reader *r, uint64_t *gen, const void **blob,
    size_t *len)
{
	uint8_t	 kb[GENKEY_LEN];
	MDB_val	 k = { sizeof(kb), kb }, v;
	int	 rc;

	if (r->txn == NULL)
		rc = mdb_txn_begin(r->st->env, NULL, MDB_RDONLY, &r->txn);
	else
		rc = mdb_txn_renew(r->txn);
	if (rc != 0) {
		if (r->txn != NULL)
			mdb_txn_abort(r->txn);
		r->txn = NULL;
		rderr(r, "store %s: read transaction: %s", r->st->dir,
		    mdb_strerror(rc));
		return STORE_ERR;
	}
	if ((rc = store_get_current(r->txn, gen)) != 0) {
		if (rc == MDB_NOTFOUND)
			rderr(r, "store %s: nothing loaded yet", r->st->dir);
		else
			rderr(r, "store %s: get current: %s", r->st->dir,
			    mdb_strerror(rc));
		mdb_txn_reset(r->txn);
		return store_rdresult(rc);
	}
	store_genkey(kb, 'b', *gen);
	if ((rc = mdb_get(r->txn, 1, &k, &v)) != 0) {
		rderr(r, "generation %llu: blob: %s",
		    (unsigned long long)*gen, mdb_strerror(rc));
		mdb_txn_reset(r->txn);
		return STORE_ERR;
	}
	*blob = v.mv_data;
	*len = v.mv_size;
	return STORE_OK;
}

void
store_read_end(struct store_reader *r)
{
	if (r->txn != NULL)
		mdb_txn_reset(r->txn);
}

int
store_read_route(struct store_reader *r, uint64_t gen, const char *user,
    const char **up, size_t *len)
{
	MDB_val	 v;
	int	 rc;

	if (r->txn == NULL)
		return STORE_ERR;
	if ((rc = store_route_txn(r->txn, gen, user, &v)) == 0) {
		*up = v.mv_data;
		*len = v.mv_size;
	} else if (rc != MDB_NOTFOUND)
		rderr(r, "generation %llu: route table: %s",
		    (unsigned long long)gen, mdb_strerror(rc));
	return store_rdresult(rc);
}
