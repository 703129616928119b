/*
 * What the policy store's files share (store.c: the environment, its
 * transactions and the keys; store_gen.c: making generations;
 * store_import.c: imports and their origins; store_route.c: the route
 * tables; store_inspect.c: what policyctl shows; store_read.c: policyd's
 * read handles).  Not for the store's users, which have store.h.
 *
 * The policy store on LMDB.  Everything lives in the unnamed database,
 * so a reader needs no named-database handle and an empty store is just
 * one without keys:
 *
 *	"format"		uint32_t STORE_FORMAT
 *	"current"		uint64_t, the current generation
 *	'g' + be64(gen)		struct genrec, then the source
 *	'b' + be64(gen)		the compiled blob
 *	'o' + be64(gen)		struct originrec: an imported generation's
 *				origin, dropped with the generation
 *	'h' + keyid + host	struct lastrec: the newest generation of
 *				that origin imported, never dropped, so a
 *				replayed bundle stays refused
 *	't' + be64(gen)		struct tabref: its route table, if any
 *	'r' + be64(table) + user	the user's upstream (no NUL)
 *	"seqroute"		uint64_t, the last route table made
 *
 * Generation keys are big-endian so that a cursor walks them in order.
 */
#ifndef POSTERN_STORE_INT_H
#define POSTERN_STORE_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "store.h"

#define STORE_FORMAT	1
#define GENKEY_LEN	9

/* The on-disk header of a generation; native byte order like LMDB's own. */
struct genrec {
	uint32_t	 format;
	uint32_t	 uid;
	uint64_t	 gen;
	int64_t		 time;
	uint64_t	 from;
	uint64_t	 srclen;
	uint64_t	 bloblen;
	uint32_t	 kind;
	uint32_t	 pad;
	uint8_t		 sha256[32];
	char		 user[32];
};

struct lastrec {
	uint64_t	 gen;		/* the origin's */
	uint64_t	 local;		/* its number here */
	uint8_t		 sha256[32];
};

/* A generation's route table; no 't' key: none (a store made before). */
struct tabref {
	uint64_t	 table;
	uint64_t	 count;
};

struct store {
	MDB_env		*env;
	int		 flags;
	unsigned	 keep;
	char		 dir[PATH_MAX];
	char		 err[512];
};

/* What a write transaction's function is given, and gives back. */
struct loadarg {
	const char	*src;
	size_t		 srclen;
	const void	*blob;
	size_t		 bloblen;
	uint64_t	 from;
	int		 kind;
	const uint8_t	*sha256;
	const struct store_origin *origin;
	struct tabref	 tab;		/* the new generation's table */
	int		 hastab;	/* tab set; else the current's */
	const struct store_route *routes;	/* route load */
	size_t		 nroutes;
	uint64_t	 gen;		/* out */
	int		 verdict;	/* out: import's STORE_STALE, _SAME */
	struct lastrec	 last;		/* out: when refused */
};

/* store.c */
void	 store_seterr(struct store *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 store_genkey(uint8_t [GENKEY_LEN], char, uint64_t);
uint64_t store_keygen(const MDB_val *);
int	 store_get_current(MDB_txn *, uint64_t *);
int	 store_get_rec(struct store *, MDB_txn *, uint64_t, struct genrec *,
	    const char **);
int	 store_read_txn(struct store *, MDB_txn **);
int	 store_write_txn(struct store *,
	    int (*)(struct store *, MDB_txn *, void *), void *);
int	 store_rdresult(int);

/* store_route.c */
int	 store_tab_get(MDB_txn *, uint64_t, struct tabref *);
int	 store_tab_set(struct store *, MDB_txn *, struct loadarg *, uint64_t,
	    uint64_t);
int	 store_tab_drop(MDB_txn *, uint64_t);
int	 store_route_txn(MDB_txn *, uint64_t, const char *, MDB_val *);

/* store_gen.c */
int	 store_w_add(struct store *, MDB_txn *, void *);
int	 store_w_rollback(struct store *, MDB_txn *, void *);
int	 store_prev_txn(struct store *, MDB_txn *, uint64_t, uint64_t *);

#endif
