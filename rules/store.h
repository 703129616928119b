/*
 * The policy store: an LMDB environment in one directory holding every
 * loaded rule set as a generation (number, time, user, sha256 of the
 * source, the source, the compiled blob).  One write transaction adds a
 * generation and makes it current, so a reader sees one whole generation
 * or the one before, never a mix.  Compiled blobs are opaque here.
 *
 * Functions return STORE_OK, STORE_NOGEN (no such generation, or nothing
 * loaded yet) or STORE_ERR; store_error() says why.
 */
#ifndef POSTERN_STORE_H
#define POSTERN_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef STORE_DEFAULT_DIR
#define STORE_DEFAULT_DIR	"/var/db/postern/policy"
#endif
#define STORE_KEEP_DEFAULT	20
#define STORE_MAPSIZE_DEFAULT	((size_t)16 << 20)

#define STORE_OK	0
#define STORE_NOGEN	1
#define STORE_ERR	(-1)
/* store_import(): refused, nothing changed. */
#define STORE_STALE	2	/* not newer than one imported before */
#define STORE_SAME	3	/* that very one was imported before */

/* store_open() flags */
#define STORE_RDONLY	0x01	/* policyd: read-only, no directory created */

/* How a generation came to be. */
#define STORE_KIND_LOAD		1
#define STORE_KIND_ROLLBACK	2	/* a copy of generation `from' */
#define STORE_KIND_IMPORT	3	/* from a signed bundle: store_origin() */
#define STORE_KIND_ROUTES	4	/* generation `from''s rules, a new
					   route table (store_route_load) */

/*
 * The per-user route table (policyctl route load): user name -> the
 * upstream's name.  A generation has one table or none; a rule load
 * keeps the current generation's table, a rollback takes the table of
 * the generation it copies, a route load keeps the rules and brings a
 * new table.  A table is kept as long as a generation kept names it.
 */
#define STORE_ROUTE_USER_MAX	255	/* bytes of a user name */
#define STORE_ROUTE_UP_MAX	31	/* bytes of an upstream name */

struct store_route {
	const char	*user;
	const char	*upstream;
};

struct store;

struct store_opts {
	size_t		 mapsize;	/* first map size; 0: the default */
	unsigned	 keep;		/* generations kept; 0: the default */
};

struct store_gen {
	uint64_t	 gen;
	int64_t		 time;		/* seconds since the epoch */
	uid_t		 uid;
	char		 user[32];
	int		 kind;		/* STORE_KIND_* */
	uint64_t	 from;		/* rollback: the generation copied */
	uint8_t		 sha256[32];	/* of the source */
	size_t		 srclen;
	size_t		 bloblen;
	uint64_t	 table;		/* its route table; 0: none */
	uint64_t	 nroutes;	/* the table's entries */
};

/*
 * Where an imported generation came from: the signing key, the node and
 * its generation there.  An origin is the pair (keyid, host); its
 * generations must only grow (store_import()).
 */
struct store_origin {
	char		 keyid[24];
	char		 host[256];
	uint64_t	 gen;
	int64_t		 created;	/* seconds since the epoch, there */
	uint8_t		 sha256[32];	/* of the source */
};

int	 store_open(struct store **, const char *, int,
	    const struct store_opts *, char *, size_t);
void	 store_close(struct store *);
const char *store_error(const struct store *);

/* Writers (policyctl).  *genp: the generation made current. */
int	 store_load(struct store *, const char *, size_t, const void *,
	    size_t, uint64_t *);
int	 store_rollback(struct store *, uint64_t, uint64_t *);
/*
 * A generation from another node, made current, unless a generation of
 * that origin as new or newer was imported before: STORE_STALE, or
 * STORE_SAME when it was this one (same number and sha256).  Then
 * *lastp: the origin's newest generation imported, *genp: its number
 * here.
 */
int	 store_import(struct store *, const char *, size_t, const void *,
	    size_t, const struct store_origin *, uint64_t *, uint64_t *);
/* STORE_NOGEN: gen was not imported (or is not kept). */
int	 store_origin(struct store *, uint64_t, struct store_origin *);
/*
 * A new generation: the current one's rules and these routes (users
 * unique, names within the bounds above).  STORE_NOGEN: no rules yet.
 */
int	 store_route_load(struct store *, const struct store_route *, size_t,
	    uint64_t *);
/* A generation's route of one user: STORE_OK, or STORE_NOGEN: none. */
int	 store_route_get(struct store *, uint64_t, const char *, char *,
	    size_t);
/* Every route of a generation, in user order; fn returns -1 to stop. */
int	 store_route_each(struct store *, uint64_t,
	    int (*)(void *, const char *, const char *), void *);

/* Inspection: copies, the caller frees *src and *list. */
int	 store_current(struct store *, uint64_t *);
int	 store_previous(struct store *, uint64_t, uint64_t *);
int	 store_info(struct store *, uint64_t, struct store_gen *, char **);
int	 store_history(struct store *, struct store_gen **, size_t *);
int	 store_blob(struct store *, uint64_t, void **, size_t *);

/*
 * Readers (policyd): a read handle per thread, each with one read
 * transaction renewed by store_read_begin() and reset by
 * store_read_end(); never held between queries.  *blob points into the
 * map, is valid only until store_read_end(), and has no alignment
 * guarantee.  A handle is for one thread at a time; handles of one
 * store may read at once.  NULL: out of memory.
 */
struct store_reader;
struct store_reader *store_reader_new(struct store *);
void	 store_reader_free(struct store_reader *);
const char *store_reader_error(const struct store_reader *);
int	 store_read_begin(struct store_reader *, uint64_t *, const void **,
	    size_t *);
void	 store_read_end(struct store_reader *);
/*
 * Between the two: the route table entry of a user in the generation
 * store_read_begin() gave.  STORE_OK and *up (not NUL-terminated, in
 * the map), STORE_NOGEN: none.
 */
int	 store_read_route(struct store_reader *, uint64_t, const char *,
	    const char **, size_t *);

#endif
