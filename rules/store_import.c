/*
 * Generations from other nodes (policyctl's signed bundles): each is
 * kept with its origin, and the newest imported from an origin is
 * remembered for good, so a bundle replayed, or one older than what
 * came before, is refused even after its generation was dropped.
 */
#include <string.h>

#include <lmdb.h>

#include "store.h"
#include "store_int.h"

struct originrec {
	uint32_t		 format;
	uint32_t		 pad;
	struct store_origin	 o;
};

#define LASTKEY_MAX	(1 + sizeof(((struct store_origin *)0)->keyid) + \
			    sizeof(((struct store_origin *)0)->host))

static size_t
lastkey(uint8_t *kb, const struct store_origin *o)
{
	size_t	 ki = strnlen(o->keyid, sizeof(o->keyid));
	size_t	 hi = strnlen(o->host, sizeof(o->host));

	kb[0] = 'h';
	memcpy(kb + 1, o->keyid, ki);
	kb[1 + ki] = ' ';
	memcpy(kb + 2 + ki, o->host, hi);
	return 2 + ki + hi;
}

/*
 * The replay check and the new generation in one transaction, so two
 * imports at once cannot both pass the check.  A refusal aborts with
 * MDB_KEYEXIST and la->verdict saying which.
 */
static int
w_import(struct store *st, MDB_txn *txn, void *arg)
{
	struct loadarg		*la = arg;
	const struct store_origin *o = la->origin;
	struct originrec	 r;
	struct lastrec		 last;
	uint8_t			 kb[LASTKEY_MAX], gk[GENKEY_LEN];
	MDB_val			 k = { 0, kb }, v, ok = { sizeof(gk), gk };
	int			 rc;

	k.mv_size = lastkey(kb, o);
	if ((rc = mdb_get(txn, 1, &k, &v)) == 0) {
		if (v.mv_size != sizeof(last)) {
			store_seterr(st, "store %s: origin %s key %s: record "
			    "damaged", st->dir, o->host, o->keyid);
			return MDB_CORRUPTED;
		}
		memcpy(&la->last, v.mv_data, sizeof(la->last));
		if (o->gen < la->last.gen || (o->gen == la->last.gen &&
		    memcmp(o->sha256, la->last.sha256, 32) != 0))
			la->verdict = STORE_STALE;
		else if (o->gen == la->last.gen)
			la->verdict = STORE_SAME;
		if (la->verdict != 0) {
			store_seterr(st,
			    "generation %llu of %s (key %s) is not "
			    "newer than generation %llu imported from there "
			    "before (as generation %llu here)",
			    (unsigned long long)o->gen, o->host, o->keyid,
			    (unsigned long long)la->last.gen,
			    (unsigned long long)la->last.local);
			return MDB_KEYEXIST;
		}
	} else if (rc != MDB_NOTFOUND) {
		store_seterr(st, "store %s: origin %s: %s", st->dir, o->host,
		    mdb_strerror(rc));
		return rc;
	}
	la->kind = STORE_KIND_IMPORT;
	if ((rc = store_w_add(st, txn, la)) != 0)
		return rc;
	memset(&r, 0, sizeof(r));
	r.format = STORE_FORMAT;
	r.o = *o;
	store_genkey(gk, 'o', la->gen);
	v.mv_size = sizeof(r);
	v.mv_data = &r;
	if ((rc = mdb_put(txn, 1, &ok, &v, 0)) != 0)
		goto err;
	memset(&last, 0, sizeof(last));
	last.gen = o->gen;
	last.local = la->gen;
	memcpy(last.sha256, o->sha256, sizeof(last.sha256));
	v.mv_size = sizeof(last);
	v.mv_data = &last;
	if ((rc = mdb_put(txn, 1, &k, &v, 0)) != 0)
		goto err;
	return 0;
 err:
	if (rc != MDB_MAP_FULL)
		store_seterr(st, "store %s: import generation %llu: %s",
		    st->dir, (unsigned long long)la->gen, mdb_strerror(rc));
	return rc;
}

int
store_import(struct store *st, const char *src, size_t srclen,
    const void *blob, size_t bloblen, const struct store_origin *o,
    uint64_t *genp, uint64_t *lastp)
{
	struct loadarg	 la;
	int		 rc;

	memset(&la, 0, sizeof(la));
	la.src = src;
	la.srclen = srclen;
	la.blob = blob;
	la.bloblen = bloblen;
	la.origin = o;
	rc = store_write_txn(st, w_import, &la);
	if (rc == STORE_OK && genp != NULL)
		*genp = la.gen;
	if (rc != STORE_OK && la.verdict != 0) {
		if (genp != NULL)
			*genp = la.last.local;
		if (lastp != NULL)
			*lastp = la.last.gen;
		return la.verdict;
	}
	return rc;
}

int
store_origin(struct store *st, uint64_t gen, struct store_origin *o)
{
	MDB_txn			*txn;
	struct originrec	 r;
	uint8_t			 kb[GENKEY_LEN];
	MDB_val			 k = { sizeof(kb), kb }, v;
	int			 rc;

	if (store_read_txn(st, &txn) != STORE_OK)
		return STORE_ERR;
	store_genkey(kb, 'o', gen);
	if ((rc = mdb_get(txn, 1, &k, &v)) == MDB_NOTFOUND)
		store_seterr(st, "generation %llu: not imported",
		    (unsigned long long)gen);
	else if (rc != 0)
		store_seterr(st, "generation %llu: origin: %s",
		    (unsigned long long)gen, mdb_strerror(rc));
	else if (v.mv_size != sizeof(r) ||
	    (memcpy(&r, v.mv_data, sizeof(r)), r.format != STORE_FORMAT)) {
		store_seterr(st, "generation %llu: origin record damaged in %s",
		    (unsigned long long)gen, st->dir);
		rc = MDB_CORRUPTED;
	} else {
		*o = r.o;
		o->keyid[sizeof(o->keyid) - 1] = '\0';
		o->host[sizeof(o->host) - 1] = '\0';
	}
	mdb_txn_abort(txn);
	return store_rdresult(rc);
}
