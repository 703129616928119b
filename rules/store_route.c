/*
 * The per-user route tables (store.h says what they are): a table is
 * written once, under a number of its own, and named by every generation
 * that carries it, so a rule load or a rollback takes a table without
 * copying it, and the table goes only when no generation kept names it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <lmdb.h>

#include "store.h"
#include "store_int.h"

static void	 routekey(uint8_t *, uint64_t, const char *, size_t);

static void
routekey(uint8_t *key, uint64_t table, const char *user, size_t len)
{
	store_genkey(key, 'r', table);
	memcpy(key + GENKEY_LEN, user, len);
}

/* 0 and *tr, MDB_NOTFOUND (no table), or another LMDB error. */
int
store_tab_get(MDB_txn *txn, uint64_t gen, struct tabref *tr)
{
	uint8_t	 kb[GENKEY_LEN];
	MDB_val	 k = { sizeof(kb), kb }, v;
	int	 rc;

	store_genkey(kb, 't', gen);
	if ((rc = mdb_get(txn, 1, &k, &v)) != 0)
		return rc;
	if (v.mv_size != sizeof(*tr))
		return MDB_CORRUPTED;
	memcpy(tr, v.mv_data, sizeof(*tr));
	return 0;
}

/*
 * The new generation's table: the one the load brought or the rollback
 * took (la->hastab), else the generation cur's, kept by a rule load.
 */
int
store_tab_set(struct store *st, MDB_txn *txn, struct loadarg *la, uint64_t cur,
    uint64_t gen)
{
	uint8_t	 kb[GENKEY_LEN];
	MDB_val	 k = { sizeof(kb), kb }, v;
	int	 rc;

	if (!la->hastab) {
		if (cur == 0 ||
		    (rc = store_tab_get(txn, cur, &la->tab)) == MDB_NOTFOUND)
			memset(&la->tab, 0, sizeof(la->tab));
		else if (rc != 0) {
			store_seterr(st, "generation %llu: route table: %s",
			    (unsigned long long)cur, mdb_strerror(rc));
			return rc;
		}
	}
	if (la->tab.table == 0)
		return 0;
	store_genkey(kb, 't', gen);
	v.mv_size = sizeof(la->tab);
	v.mv_data = &la->tab;
	return mdb_put(txn, 1, &k, &v, 0);
}

/* Drop route table t unless a generation still names it. */
int
store_tab_drop(MDB_txn *txn, uint64_t t)
{
	MDB_cursor	*c;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	struct tabref	 tr;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, 1, &c)) != 0)
		return rc;
	store_genkey(kb, 't', 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != GENKEY_LEN || ((uint8_t *)k.mv_data)[0] != 't')
			break;
		if (v.mv_size == sizeof(tr)) {
			memcpy(&tr, v.mv_data, sizeof(tr));
			if (tr.table == t) {
				mdb_cursor_close(c);
				return 0;
			}
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto out;
	k.mv_size = sizeof(kb);
	k.mv_data = kb;
	store_genkey(kb, 'r', t);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT)) {
		if (k.mv_size <= GENKEY_LEN || memcmp(k.mv_data, kb,
		    GENKEY_LEN) != 0)
			break;
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND || rc == EINVAL)
		rc = 0;
 out:
	mdb_cursor_close(c);
	return rc;
}

/* The current generation's rules with a new table of la->routes. */
static int
w_route_load(struct store *st, MDB_txn *txn, void *arg)
{
	struct loadarg	*la = arg;
	MDB_val		 sk = { 8, (void *)"seqroute" }, v;
	MDB_val		 k;
	uint8_t		 kb[GENKEY_LEN + STORE_ROUTE_USER_MAX];
	uint64_t	 cur, seq = 0;
	size_t		 i, ulen;
	int		 rc;

	if ((rc = store_get_current(txn, &cur)) == MDB_NOTFOUND) {
		store_seterr(st,
		    "store %s: no rule set loaded yet: load one before "
		    "a route table", st->dir);
		return rc;
	} else if (rc != 0) {
		store_seterr(st, "store %s: get current: %s", st->dir,
		    mdb_strerror(rc));
		return rc;
	}
	if ((rc = mdb_get(txn, 1, &sk, &v)) == 0 && v.mv_size == sizeof(seq))
		memcpy(&seq, v.mv_data, sizeof(seq));
	else if (rc != 0 && rc != MDB_NOTFOUND)
		goto err;
	seq++;
	v.mv_size = sizeof(seq);
	v.mv_data = &seq;
	if ((rc = mdb_put(txn, 1, &sk, &v, 0)) != 0)
		goto err;
	for (i = 0; i < la->nroutes; i++) {
		ulen = strlen(la->routes[i].user);
		if (ulen == 0 || ulen > STORE_ROUTE_USER_MAX ||
		    strlen(la->routes[i].upstream) > STORE_ROUTE_UP_MAX) {
			store_seterr(st,
			    "route %zu: user or upstream name too long "
			    "or empty", i + 1);
			return EINVAL;
		}
		routekey(kb, seq, la->routes[i].user, ulen);
		k.mv_size = GENKEY_LEN + ulen;
		k.mv_data = kb;
		v.mv_size = strlen(la->routes[i].upstream);
		v.mv_data = (void *)la->routes[i].upstream;
		if ((rc = mdb_put(txn, 1, &k, &v, MDB_NOOVERWRITE)) ==
		    MDB_KEYEXIST) {
			store_seterr(st,
			    "route %zu: user %s is in the table twice",
			    i + 1, la->routes[i].user);
			return rc;
		}
		if (rc != 0)
			goto err;
	}
	la->tab.table = seq;
	la->tab.count = la->nroutes;
	la->hastab = 1;
	la->from = cur;
	la->kind = STORE_KIND_ROUTES;
	return store_w_rollback(st, txn, la);
 err:
	if (rc != MDB_MAP_FULL)
		store_seterr(st, "store %s: route table: %s", st->dir,
		    mdb_strerror(rc));
	return rc;
}

int
store_route_load(struct store *st, const struct store_route *routes,
    size_t n, uint64_t *genp)
{
	struct loadarg	 la;
	int		 rc;

	memset(&la, 0, sizeof(la));
	la.routes = routes;
	la.nroutes = n;
	if ((rc = store_write_txn(st, w_route_load, &la)) == STORE_OK &&
	    genp != NULL)
		*genp = la.gen;
	return rc;
}

/* 0 and *v, MDB_NOTFOUND: no route (or no table), or an LMDB error. */
int
store_route_txn(MDB_txn *txn, uint64_t gen, const char *user, MDB_val *v)
{
	struct tabref	 tr;
	uint8_t		 kb[GENKEY_LEN + STORE_ROUTE_USER_MAX];
	MDB_val		 k;
	size_t		 ulen = strlen(user);
	int		 rc;

	if (ulen == 0 || ulen > STORE_ROUTE_USER_MAX)
		return MDB_NOTFOUND;
	if ((rc = store_tab_get(txn, gen, &tr)) != 0)
		return rc;
	routekey(kb, tr.table, user, ulen);
	k.mv_size = GENKEY_LEN + ulen;
	k.mv_data = kb;
	return mdb_get(txn, 1, &k, v);
}

int
store_route_get(struct store *st, uint64_t gen, const char *user,
    char *up, size_t size)
{
	MDB_txn	*txn;
	MDB_val	 v;
	int	 rc;

	if (store_read_txn(st, &txn) != STORE_OK)
		return STORE_ERR;
	if ((rc = store_route_txn(txn, gen, user, &v)) == 0)
		(void)snprintf(up, size, "%.*s", (int)v.mv_size,
		    (const char *)v.mv_data);
	else if (rc != MDB_NOTFOUND)
		store_seterr(st, "generation %llu: route table: %s",
		    (unsigned long long)gen, mdb_strerror(rc));
	mdb_txn_abort(txn);
	return store_rdresult(rc);
}

int
store_route_each(struct store *st, uint64_t gen,
    int (*fn)(void *, const char *, const char *), void *arg)
{
	MDB_txn		*txn;
	MDB_cursor	*c = NULL;
	struct tabref	 tr;
	uint8_t		 kb[GENKEY_LEN];
	MDB_val		 k = { sizeof(kb), kb }, v;
	char		 user[STORE_ROUTE_USER_MAX + 1];
	char		 up[STORE_ROUTE_UP_MAX + 1];
	int		 rc;

	if (store_read_txn(st, &txn) != STORE_OK)
		return STORE_ERR;
	if ((rc = store_tab_get(txn, gen, &tr)) != 0 ||
	    (rc = mdb_cursor_open(txn, 1, &c)) != 0)
		goto out;
	store_genkey(kb, 'r', tr.table);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= GENKEY_LEN || k.mv_size > GENKEY_LEN +
		    STORE_ROUTE_USER_MAX || memcmp(k.mv_data, kb,
		    GENKEY_LEN) != 0 || v.mv_size > STORE_ROUTE_UP_MAX)
			break;
		(void)snprintf(user, sizeof(user), "%.*s",
		    (int)(k.mv_size - GENKEY_LEN),
		    (const char *)k.mv_data + GENKEY_LEN);
		(void)snprintf(up, sizeof(up), "%.*s", (int)v.mv_size,
		    (const char *)v.mv_data);
		if (fn(arg, user, up) == -1)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
 out:
	if (rc == MDB_NOTFOUND)
		rc = 0;		/* no table: nothing to show */
	else if (rc != 0)
		store_seterr(st, "generation %llu: route table: %s",
		    (unsigned long long)gen, mdb_strerror(rc));
	if (c != NULL)
		mdb_cursor_close(c);
	mdb_txn_abort(txn);
	return store_rdresult(rc);
}
