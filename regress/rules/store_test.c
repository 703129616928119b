#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <lmdb.h>
#include <sodium.h>

#include "store.h"

#define DIR	"store"

/*
 * A blob that says which generation it was loaded as, with a body whose
 * every byte and a trailing checksum depend on that number: a torn or
 * mixed read cannot pass blob_ok().  Odd generations are small, even ones
 * large (overflow pages), so the two alternate between page layouts.
 */
static uint8_t *
mkblob(uint64_t gen, size_t *len)
{
	uint8_t		*b;
	uint32_t	 sum = 0;
	size_t		 i, n;

	n = (gen % 2) ? 600 : 50000;
	*len = n;
	ATF_REQUIRE((b = malloc(n)) != NULL);
	memcpy(b, &gen, 8);
	for (i = 8; i < n - 4; i++)
		b[i] = (uint8_t)(gen * 31 + i * 7);
	for (i = 0; i < n - 4; i++)
		sum = sum * 33 + b[i];
	memcpy(b + n - 4, &sum, 4);
	return b;
}

static int
blob_ok(uint64_t gen, const void *blob, size_t len)
{
	const uint8_t	*b = blob;
	uint64_t	 g;
	uint32_t	 sum = 0, want;
	size_t		 i;

	if (len != ((gen % 2) ? 600 : 50000))
		return 0;
	memcpy(&g, b, 8);
	if (g != gen)
		return 0;
	for (i = 8; i < len - 4; i++)
		if (b[i] != (uint8_t)(gen * 31 + i * 7))
			return 0;
	for (i = 0; i < len - 4; i++)
		sum = sum * 33 + b[i];
	memcpy(&want, b + len - 4, 4);
	return sum == want;
}

static struct store *
xopen(int flags, const struct store_opts *o)
{
	struct store	*st;
	char		 err[512];

	if (store_open(&st, DIR, flags, o, err, sizeof(err)) != STORE_OK)
		atf_tc_fail("store_open: %s", err);
	return st;
}

static uint64_t
xload(struct store *st, const char *src, uint64_t want)
{
	uint8_t		*b;
	size_t		 len;
	uint64_t	 gen;

	b = mkblob(want, &len);
	if (store_load(st, src, strlen(src), b, len, &gen) != STORE_OK)
		atf_tc_fail("store_load: %s", store_error(st));
	free(b);
	ATF_REQUIRE_EQ(gen, want);
	return gen;
}

static void
check_read(struct store *st, uint64_t want, uint64_t blobgen)
{
	struct store_reader	*rd;
	const void		*blob;
	size_t			 len;
	uint64_t		 gen;

	ATF_REQUIRE((rd = store_reader_new(st)) != NULL);
	if (store_read_begin(rd, &gen, &blob, &len) != STORE_OK)
		atf_tc_fail("store_read_begin: %s", store_reader_error(rd));
	ATF_CHECK_EQ(gen, want);
	ATF_CHECK(blob_ok(blobgen, blob, len));
	store_read_end(rd);
	store_reader_free(rd);
}

ATF_TC_WITHOUT_HEAD(roundtrip);
ATF_TC_BODY(roundtrip, tc)
{
	struct store		*st;
	struct store_reader	*rd;
	struct store_gen	 g;
	const void		*blob;
	void			*copy;
	char			*src;
	uint8_t			 sha[32];
	size_t			 len;
	uint64_t		 gen;

	st = xopen(0, NULL);
	ATF_CHECK_EQ(store_current(st, &gen), STORE_NOGEN);
	ATF_REQUIRE((rd = store_reader_new(st)) != NULL);
	ATF_CHECK_EQ(store_read_begin(rd, &gen, &blob, &len), STORE_NOGEN);
	store_read_end(rd);
	store_reader_free(rd);
	xload(st, "imap request * accept\n", 1);
	xload(st, "imap request * reject\n", 2);
	ATF_REQUIRE_EQ(store_current(st, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 2);
	ATF_REQUIRE_EQ(store_info(st, 1, &g, &src), STORE_OK);
	ATF_CHECK_STREQ(src, "imap request * accept\n");
	ATF_CHECK_EQ(g.gen, 1);
	ATF_CHECK_EQ(g.kind, STORE_KIND_LOAD);
	ATF_CHECK_EQ(g.uid, getuid());
	ATF_CHECK_EQ(g.srclen, strlen(src));
	ATF_CHECK_EQ(g.bloblen, 600);
	ATF_CHECK(g.time > 0 && g.user[0] != '\0');
	crypto_hash_sha256(sha, (const unsigned char *)src, strlen(src));
	ATF_CHECK(memcmp(sha, g.sha256, 32) == 0);
	free(src);
	ATF_CHECK_EQ(store_info(st, 3, &g, NULL), STORE_NOGEN);
	ATF_REQUIRE_EQ(store_blob(st, 1, &copy, &len), STORE_OK);
	ATF_CHECK(blob_ok(1, copy, len));
	free(copy);
	ATF_CHECK_EQ(store_blob(st, 3, &copy, &len), STORE_NOGEN);
	check_read(st, 2, 2);
	store_close(st);

	/* What was committed is there for the next process, read-only. */
	st = xopen(STORE_RDONLY, NULL);
	check_read(st, 2, 2);
	check_read(st, 2, 2);
	ATF_CHECK_EQ(store_load(st, "x", 1, "y", 1, &gen), STORE_ERR);
	store_close(st);
}

ATF_TC_WITHOUT_HEAD(rollback_history);
ATF_TC_BODY(rollback_history, tc)
{
	struct store		*st;
	struct store_gen	*h;
	char			*src;
	size_t			 n;
	uint64_t		 gen, prev;

	st = xopen(0, NULL);
	ATF_CHECK_EQ(store_rollback(st, 0, &gen), STORE_NOGEN);
	xload(st, "one\n", 1);
	ATF_CHECK_EQ(store_rollback(st, 0, &gen), STORE_NOGEN);
	xload(st, "two\n", 2);
	xload(st, "three\n", 3);

	/* Without a generation: the one before the current. */
	ATF_REQUIRE_EQ(store_rollback(st, 0, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 4);
	check_read(st, 4, 2);
	ATF_REQUIRE_EQ(store_rollback(st, 1, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 5);
	check_read(st, 5, 1);
	ATF_CHECK_EQ(store_rollback(st, 9, &gen), STORE_NOGEN);
	ATF_REQUIRE_EQ(store_current(st, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 5);
	ATF_REQUIRE_EQ(store_previous(st, 5, &prev), STORE_OK);
	ATF_CHECK_EQ(prev, 4);
	ATF_CHECK_EQ(store_previous(st, 1, &prev), STORE_NOGEN);

	ATF_REQUIRE_EQ(store_history(st, &h, &n), STORE_OK);
	ATF_REQUIRE_EQ(n, 5);
	ATF_CHECK_EQ(h[0].gen, 1);
	ATF_CHECK_EQ(h[2].kind, STORE_KIND_LOAD);
	ATF_CHECK_EQ(h[3].gen, 4);
	ATF_CHECK_EQ(h[3].kind, STORE_KIND_ROLLBACK);
	ATF_CHECK_EQ(h[3].from, 2);
	ATF_CHECK_EQ(h[4].kind, STORE_KIND_ROLLBACK);
	ATF_CHECK_EQ(h[4].from, 1);
	ATF_CHECK(memcmp(h[4].sha256, h[0].sha256, 32) == 0);
	free(h);
	ATF_REQUIRE_EQ(store_info(st, 5, &(struct store_gen){ 0 }, &src),
	    STORE_OK);
	ATF_CHECK_STREQ(src, "one\n");
	free(src);
	store_close(st);
}

ATF_TC_WITHOUT_HEAD(retention);
ATF_TC_BODY(retention, tc)
{
	struct store_opts	 o = { 0, 5 };
	struct store		*st;
	struct store_gen	*h, g;
	size_t			 n, i;
	uint64_t		 gen;

	st = xopen(0, &o);
	for (gen = 1; gen <= 12; gen++)
		xload(st, "rules\n", gen);
	ATF_REQUIRE_EQ(store_history(st, &h, &n), STORE_OK);
	ATF_REQUIRE_EQ(n, 5);
	for (i = 0; i < n; i++)
		ATF_CHECK_EQ(h[i].gen, 8 + i);
	free(h);
	ATF_CHECK_EQ(store_info(st, 7, &g, NULL), STORE_NOGEN);
	ATF_CHECK_EQ(store_rollback(st, 3, &gen), STORE_NOGEN);
	ATF_REQUIRE_EQ(store_rollback(st, 8, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 13);
	check_read(st, 13, 8);
	ATF_REQUIRE_EQ(store_history(st, &h, &n), STORE_OK);
	ATF_CHECK_EQ(n, 5);
	ATF_CHECK_EQ(h[0].gen, 9);
	free(h);
	store_close(st);
}

static int
ximport(struct store *st, const char *host, uint64_t ogen, const char *src,
    uint64_t *gen, uint64_t *last)
{
	struct store_origin	 o;
	uint8_t			 blob[16] = "blob";

	memset(&o, 0, sizeof(o));
	(void)snprintf(o.keyid, sizeof(o.keyid), "0123456789abcdef");
	(void)snprintf(o.host, sizeof(o.host), "%s", host);
	o.gen = ogen;
	o.created = 1000 + (int64_t)ogen;
	crypto_hash_sha256(o.sha256, (const uint8_t *)src, strlen(src));
	return store_import(st, src, strlen(src), blob, sizeof(blob), &o, gen,
	    last);
}

/*
 * Imports: the origin recorded and shown; a generation of an origin not
 * newer than the last one imported from it refused (the same one a
 * no-op), even once the generation that recorded it is dropped; another
 * origin counts on its own.
 */
ATF_TC_WITHOUT_HEAD(import_origin);
ATF_TC_BODY(import_origin, tc)
{
	struct store_opts	 o = { 0, 2 };
	struct store_origin	 og;
	struct store_gen	 g, *h;
	struct store		*st;
	uint64_t		 gen, last;
	size_t			 n;

	st = xopen(0, &o);
	xload(st, "local\n", 1);
	ATF_REQUIRE_EQ(ximport(st, "a", 5, "five\n", &gen, &last), STORE_OK);
	ATF_CHECK_EQ(gen, 2);
	ATF_REQUIRE_EQ(store_info(st, 2, &g, NULL), STORE_OK);
	ATF_CHECK_EQ(g.kind, STORE_KIND_IMPORT);
	ATF_REQUIRE_EQ(store_origin(st, 2, &og), STORE_OK);
	ATF_CHECK_STREQ(og.host, "a");
	ATF_CHECK_EQ(og.gen, 5);
	ATF_CHECK_EQ(og.created, 1005);
	ATF_CHECK(memcmp(og.sha256, g.sha256, 32) == 0);
	ATF_CHECK_EQ(store_origin(st, 1, &og), STORE_NOGEN);

	/* The same again: nothing changes, and it says where it went. */
	ATF_CHECK_EQ(ximport(st, "a", 5, "five\n", &gen, &last), STORE_SAME);
	ATF_CHECK_EQ(gen, 2);
	ATF_CHECK_EQ(last, 5);
	/* Same number, other source; an older one: replayed. */
	ATF_CHECK_EQ(ximport(st, "a", 5, "other\n", &gen, &last),
	    STORE_STALE);
	ATF_CHECK_EQ(ximport(st, "a", 4, "four\n", &gen, &last), STORE_STALE);
	ATF_CHECK_EQ(last, 5);
	ATF_REQUIRE_EQ(store_current(st, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 2);

	/* Another origin has numbers of its own. */
	ATF_REQUIRE_EQ(ximport(st, "b", 1, "b1\n", &gen, &last), STORE_OK);
	ATF_CHECK_EQ(gen, 3);
	ATF_REQUIRE_EQ(ximport(st, "a", 6, "six\n", &gen, &last), STORE_OK);
	ATF_CHECK_EQ(gen, 4);
	/* Keep 2: generation 2 and its origin record are gone, the mark not. */
	ATF_REQUIRE_EQ(store_history(st, &h, &n), STORE_OK);
	ATF_CHECK_EQ(n, 2);
	free(h);
	ATF_CHECK_EQ(store_origin(st, 2, &og), STORE_NOGEN);
	ATF_CHECK_EQ(ximport(st, "a", 5, "five\n", &gen, &last), STORE_STALE);
	ATF_CHECK_EQ(ximport(st, "a", 6, "six\n", &gen, &last), STORE_SAME);
	ATF_CHECK_EQ(gen, 4);
	store_close(st);
}

/*
 * From a 64 KiB map, 60 generations of up to 50 KB (and one of 2 MB)
 * must fit by growing; a reader opened before the growth follows it.
 */
ATF_TC_WITHOUT_HEAD(map_growth);
ATF_TC_BODY(map_growth, tc)
{
	struct store_opts	 o = { 64 << 10, 0 };
	struct store		*st, *rd;
	struct store_gen	 g;
	char			*big;
	uint64_t		 gen;

	st = xopen(0, &o);
	xload(st, "first\n", 1);
	rd = xopen(STORE_RDONLY, &o);
	check_read(rd, 1, 1);
	for (gen = 2; gen <= 60; gen++)
		xload(st, "more\n", gen);
	ATF_REQUIRE((big = malloc(2 << 20)) != NULL);
	memset(big, 'r', 2 << 20);
	big[(2 << 20) - 1] = '\0';
	xload(st, big, 61);
	check_read(rd, 61, 61);
	for (gen = 42; gen <= 61; gen++)
		ATF_CHECK_EQ(store_info(st, gen, &g, NULL), STORE_OK);
	ATF_CHECK_EQ(g.srclen, (2 << 20) - 1);
	store_close(rd);
	store_close(st);
	free(big);

	st = xopen(STORE_RDONLY, &o);
	check_read(st, 61, 61);
	store_close(st);
}

#define READS	100000
#define LOADS	1000

static int
reader(int ready)
{
	struct store	*st;
	struct store_reader *rd;
	const void	*blob;
	char		 err[512];
	size_t		 len;
	uint64_t	 gen, last = 0, seen = 0;
	int		 i;

	if (store_open(&st, DIR, STORE_RDONLY, NULL, err, sizeof(err)))
		return 10;
	if ((rd = store_reader_new(st)) == NULL)
		return 10;
	if (write(ready, "r", 1) != 1)
		return 11;
	for (i = 0; i < READS; i++) {
		if (store_read_begin(rd, &gen, &blob, &len) != STORE_OK) {
			fprintf(stderr, "read %d: %s\n", i,
			    store_reader_error(rd));
			return 12;
		}
		if (!blob_ok(gen, blob, len)) {
			fprintf(stderr, "read %d: generation %llu torn\n", i,
			    (unsigned long long)gen);
			return 13;
		}
		store_read_end(rd);
		if (gen < last)
			return 14;
		if (gen != last)
			seen++;
		last = gen;
	}
	fprintf(stderr, "reader saw %llu generations\n",
	    (unsigned long long)seen);
	store_close(st);
	return 0;
}

/*
 * Only the current generation is kept, so a reader that strayed across
 * two snapshots, or a writer that made a generation current before its
 * blob was in, shows as a missing blob; a mix shows in blob_ok().
 */
ATF_TC_WITHOUT_HEAD(atomic_readers);
ATF_TC_BODY(atomic_readers, tc)
{
	struct store_opts	 o = { 0, 1 };
	struct store		*st;
	pid_t			 pid;
	uint64_t		 gen;
	int			 p[2], status;
	char			 c;

	st = xopen(0, &o);
	xload(st, "a\n", 1);
	store_close(st);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		_exit(reader(p[1]));
	}
	close(p[1]);
	ATF_REQUIRE_EQ(read(p[0], &c, 1), 1);
	st = xopen(0, &o);
	for (gen = 2; gen <= LOADS + 1; gen++)
		xload(st, (gen % 2) ? "a\n" : "b\n", gen);
	store_close(st);
	ATF_REQUIRE_EQ(waitpid(pid, &status, 0), pid);
	ATF_REQUIRE(WIFEXITED(status));
	ATF_CHECK_EQ_MSG(WEXITSTATUS(status), 0, "reader exit %d",
	    WEXITSTATUS(status));
}

/* Raw LMDB: start a load by hand (the keys store_int.h describes) and stop. */
static void
half_writer(int ready)
{
	MDB_env		*env;
	MDB_txn		*txn;
	MDB_dbi		 dbi;
	uint8_t		 kb[9] = { 'b', 0, 0, 0, 0, 0, 0, 0, 2 };
	MDB_val		 k = { sizeof(kb), kb }, v;
	MDB_val		 ck = { 7, (void *)"current" };
	uint64_t	 two = 2;
	static char	 junk[100000];

	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, 16 << 20) ||
	    mdb_env_open(env, DIR, MDB_NOTLS, 0600) ||
	    mdb_txn_begin(env, NULL, 0, &txn) ||
	    mdb_dbi_open(txn, NULL, 0, &dbi))
		_exit(20);
	v.mv_size = sizeof(junk);
	v.mv_data = junk;
	if (mdb_put(txn, dbi, &k, &v, 0))
		_exit(21);
	v.mv_size = sizeof(two);
	v.mv_data = &two;
	if (mdb_put(txn, dbi, &ck, &v, 0))
		_exit(22);
	if (write(ready, "w", 1) != 1)
		_exit(23);
	for (;;)
		pause();
}

ATF_TC_WITHOUT_HEAD(killed_writer);
ATF_TC_BODY(killed_writer, tc)
{
	struct store	*st;
	pid_t		 pid;
	uint64_t	 gen;
	int		 p[2], status;
	char		 c;

	st = xopen(0, NULL);
	xload(st, "before\n", 1);
	store_close(st);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		half_writer(p[1]);
	}
	close(p[1]);
	/* The byte comes only once the transaction holds the write lock. */
	ATF_REQUIRE_EQ_MSG(read(p[0], &c, 1), 1, "half writer failed");
	ATF_REQUIRE(kill(pid, SIGKILL) == 0);
	ATF_REQUIRE_EQ(waitpid(pid, &status, 0), pid);
	ATF_REQUIRE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	st = xopen(STORE_RDONLY, NULL);
	check_read(st, 1, 1);
	store_close(st);
	/* The dead writer's lock is recovered: the next load goes through. */
	st = xopen(0, NULL);
	ATF_REQUIRE_EQ(store_current(st, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 1);
	xload(st, "after\n", 2);
	check_read(st, 2, 2);
	store_close(st);
}

ATF_TC_WITHOUT_HEAD(not_a_dir);
ATF_TC_BODY(not_a_dir, tc)
{
	struct store	*st;
	char		 err[512];
	FILE		*f;

	ATF_REQUIRE((f = fopen("plain", "w")) != NULL);
	fclose(f);
	ATF_CHECK_EQ(store_open(&st, "plain", 0, NULL, err, sizeof(err)),
	    STORE_ERR);
	ATF_CHECK(strstr(err, "not a directory") != NULL);
	ATF_CHECK_EQ(store_open(&st, "missing", STORE_RDONLY, NULL, err,
	    sizeof(err)), STORE_ERR);
	ATF_CHECK(strstr(err, "missing") != NULL);
}

static int
count_route(void *arg, const char *user, const char *up)
{
	size_t	*n = arg;

	(void)user;
	(void)up;
	(*n)++;
	return 0;
}

/* The route of user in the reader's view of generation want. */
static void
check_route(struct store *st, uint64_t want, const char *user,
    const char *up)
{
	struct store_reader *rd;
	const void	*blob;
	const char	*r;
	size_t		 len, rlen;
	uint64_t	 gen;
	int		 rc;

	ATF_REQUIRE((rd = store_reader_new(st)) != NULL);
	ATF_REQUIRE_EQ(store_read_begin(rd, &gen, &blob, &len), STORE_OK);
	ATF_CHECK_EQ(gen, want);
	rc = store_read_route(rd, gen, user, &r, &rlen);
	if (up == NULL)
		ATF_CHECK_EQ_MSG(rc, STORE_NOGEN, "%s: a route", user);
	else if (rc != STORE_OK)
		atf_tc_fail("%s: no route in generation %llu", user,
		    (unsigned long long)gen);
	else
		ATF_CHECK_MSG(rlen == strlen(up) && memcmp(r, up, rlen) == 0,
		    "%s: %.*s, want %s", user, (int)rlen, r, up);
	store_read_end(rd);
	store_reader_free(rd);
}

/*
 * The route table belongs to a generation: a route load keeps the rules
 * and brings a table, a rule load keeps the table, a rollback takes the
 * table of the generation it copies; a table goes with the last
 * generation that names it.
 */
ATF_TC_WITHOUT_HEAD(route_table);
ATF_TC_BODY(route_table, tc)
{
	struct store_opts	 o = { 0, 3 };
	struct store		*st;
	struct store_route	*rt;
	struct store_gen	 g;
	char			 users[20000][24], up[64];
	size_t			 n = 20000, i, seen;
	uint64_t		 gen;
	MDB_env			*env;
	MDB_txn			*txn;
	MDB_stat		 ms;

	st = xopen(0, &o);
	ATF_REQUIRE((rt = calloc(n, sizeof(*rt))) != NULL);
	for (i = 0; i < n; i++) {
		(void)snprintf(users[i], sizeof(users[i]), "u%zu@b.example",
		    i);
		rt[i].user = users[i];
		rt[i].upstream = i % 2 ? "odd" : "even";
	}
	/* No rules yet: no generation to hang a table on. */
	ATF_CHECK_EQ(store_route_load(st, rt, n, &gen), STORE_NOGEN);
	xload(st, "rules 1\n", 1);
	check_route(st, 1, "u1@b.example", NULL);
	ATF_REQUIRE_EQ(store_route_load(st, rt, n, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 2);
	check_read(st, 2, 1);	/* generation 1's rules */
	check_route(st, 2, "u1@b.example", "odd");
	check_route(st, 2, "u19998@b.example", "even");
	check_route(st, 2, "u20000@b.example", NULL);
	check_route(st, 2, "", NULL);
	ATF_REQUIRE_EQ(store_info(st, 2, &g, NULL), STORE_OK);
	ATF_CHECK_EQ(g.kind, STORE_KIND_ROUTES);
	ATF_CHECK_EQ(g.from, 1);
	ATF_CHECK_EQ(g.nroutes, n);
	ATF_CHECK_EQ(store_route_get(st, 2, "u7@b.example", up, sizeof(up)),
	    STORE_OK);
	ATF_CHECK_STREQ(up, "odd");
	ATF_CHECK_EQ(store_route_get(st, 1, "u7@b.example", up, sizeof(up)),
	    STORE_NOGEN);
	seen = 0;
	ATF_CHECK_EQ(store_route_each(st, 2, count_route, &seen), STORE_OK);
	ATF_CHECK_EQ(seen, n);

	/* A user twice: refused, nothing committed. */
	rt[5].user = users[4];
	ATF_CHECK_EQ(store_route_load(st, rt, n, &gen), STORE_ERR);
	ATF_CHECK(strstr(store_error(st), "twice") != NULL);
	rt[5].user = users[5];
	ATF_REQUIRE_EQ(store_current(st, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 2);

	/* A rule load keeps the table. */
	xload(st, "rules 3\n", 3);
	check_route(st, 3, "u1@b.example", "odd");
	/* A smaller table: the old one's users are gone from it. */
	ATF_REQUIRE_EQ(store_route_load(st, rt, 10, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 4);
	check_read(st, 4, 3);
	check_route(st, 4, "u9@b.example", "odd");
	check_route(st, 4, "u11@b.example", NULL);
	/* Rollback to 2: its rules and its table. */
	ATF_REQUIRE_EQ(store_rollback(st, 2, &gen), STORE_OK);
	ATF_CHECK_EQ(gen, 5);
	check_read(st, 5, 1);
	check_route(st, 5, "u11@b.example", "odd");

	/* Keep 3: 3, 4, 5 remain; table 1 (of 2, 3, 5) stays. */
	ATF_CHECK_EQ(store_info(st, 2, &g, NULL), STORE_NOGEN);
	/* Six loads later no generation names either table. */
	for (gen = 6; gen <= 8; gen++)
		xload(st, "rules\n", gen);
	check_route(st, 8, "u11@b.example", "odd");
	ATF_REQUIRE_EQ(store_route_load(st, rt, 1, &gen), STORE_OK);
	for (gen = 10; gen <= 12; gen++)
		xload(st, "rules\n", gen);
	check_route(st, 12, "u0@b.example", "even");
	check_route(st, 12, "u1@b.example", NULL);
	store_close(st);
	free(rt);
	/* Only table 3's one entry is left in the database. */
	ATF_REQUIRE_EQ(mdb_env_create(&env), 0);
	ATF_REQUIRE_EQ(mdb_env_open(env, DIR, MDB_RDONLY, 0600), 0);
	ATF_REQUIRE_EQ(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	ATF_REQUIRE_EQ(mdb_stat(txn, 1, &ms), 0);
	/* format, current, seqroute, 3 x (g, b, t), one route */
	ATF_CHECK_EQ_MSG(ms.ms_entries, 3 + 3 * 3 + 1, "%zu entries",
	    ms.ms_entries);
	mdb_txn_abort(txn);
	mdb_env_close(env);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, roundtrip);
	ATF_TP_ADD_TC(tp, rollback_history);
	ATF_TP_ADD_TC(tp, retention);
	ATF_TP_ADD_TC(tp, import_origin);
	ATF_TP_ADD_TC(tp, map_growth);
	ATF_TP_ADD_TC(tp, atomic_readers);
	ATF_TP_ADD_TC(tp, killed_writer);
	ATF_TP_ADD_TC(tp, not_a_dir);
	ATF_TP_ADD_TC(tp, route_table);
	return atf_no_error();
}
