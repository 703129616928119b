/*
 * The rule matcher at scale: 100,000 rules over 10,000 command keys, ten
 * rules a key with the deciding one last, each tested with a user glob,
 * a client CIDR or an argument glob.  Queries pick keys at random (so the
 * binary search and the rules are not all in cache), half of them keys
 * with no rules, which fall through to the "*" key.  Printed: compile
 * time, blob size, and the p50/p99 of the time per query, measured in
 * batches of BATCH queries (clock reads would dominate one).  The goal is
 * printed as met or not, never asserted; a wrong verdict is an error
 * (exit 1), since then the figure measures the wrong thing.
 */
#include <sys/socket.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules.h"

#define NKEYS		10000
#define PER_KEY		10
#define BATCH		64
#define NBATCH		20000
#define GOAL_P50_NS	1000.0

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
dcmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
make_rules(size_t *len)
{
	size_t	 cap = (size_t)NKEYS * PER_KEY * 96, n = 0;
	char	*s;
	int	 k, r;

	if ((s = malloc(cap)) == NULL)
		err(1, "malloc");
	for (k = 0; k < NKEYS; k++)
		for (r = 0; r < PER_KEY - 1; r++)
			n += (size_t)snprintf(s + n, cap - n, r % 3 == 0 ?
			    "imap request XCMD%d reject \"r%d\" if user \"u%d*\"\n" :
			    r % 3 == 1 ?
			    "imap request XCMD%d drop if client 10.%d.%d.0/24\n" :
			    "imap request XCMD%d abort if arg 1 ~ \"nomatch%d*\"\n",
			    k, r, r);
	for (k = 0; k < NKEYS; k++)
		n += (size_t)snprintf(s + n, cap - n,
		    "imap request XCMD%d accept if tls and not user \"z*\"\n", k);
	n += (size_t)snprintf(s + n, cap - n, "imap request * respond "
	    "\"NO unknown\" unless state not-authenticated\n");
	*len = n;
	return s;
}

int
main(void)
{
	static double		 t[NBATCH];
	struct rules_blob	 b;
	struct rules_error	 e;
	struct rules_query	 q[BATCH];
	struct rules_verdict	 v;
	struct rules_arg	 arg = { "INBOX", 5 };
	char			 keys[BATCH][32];
	char			*src;
	size_t			 len, i, j;
	double			 t0, ns;
	unsigned		 seed = 1;

	src = make_rules(&len);
	t0 = now();
	if (rules_compile(src, len, "bench.rules", &b, &e) != 0)
		errx(1, "%s", e.msg);
	printf("rules_bench: %d rules compiled in %.0f ms, blob %zu bytes\n",
	    NKEYS * PER_KEY + 1, (now() - t0) / 1e6, b.size);
	t0 = now();
	if (rules_blob_check(b.data, b.size) != 0)
		errx(1, "blob_check refuses the blob");
	printf("rules_bench: blob checked in %.0f ms\n", (now() - t0) / 1e6);
	for (j = 0; j < NBATCH; j++) {
		for (i = 0; i < BATCH; i++) {
			seed = seed * 1103515245 + 12345;
			snprintf(keys[i], sizeof(keys[i]), "%s%u",
			    i & 1 ? "YCMD" : "xcmd", (seed >> 8) % NKEYS);
			memset(&q[i], 0, sizeof(q[i]));
			q[i].proto = RULES_IMAP;
			q[i].table = RULES_REQUEST;
			q[i].key = keys[i];
			q[i].tls = 1;
			q[i].state = RULES_ST_SELECTED;
			q[i].user = "someone@example.org";
			q[i].family = AF_INET;
			memcpy(q[i].addr, "\x0a\x63\x01\x02", 4);
			q[i].args = &arg;
			q[i].nargs = 1;
		}
		t0 = now();
		for (i = 0; i < BATCH; i++) {
			rules_match(b.data, &q[i], &v);
			if (v.action != (i & 1 ? RULES_RESPOND : RULES_ACCEPT))
				errx(1, "%s: %s at line %u", keys[i],
				    rules_action_name(v.action), v.line);
		}
		t[j] = (now() - t0) / BATCH;
	}
	qsort(t, NBATCH, sizeof(t[0]), dcmp);
	ns = t[NBATCH / 2];
	printf("rules_bench: match p50 %.0f ns, p99 %.0f ns per query "
	    "(%d keys x %d rules, half falling to \"*\")\n", ns,
	    t[NBATCH * 99 / 100], NKEYS, PER_KEY);
	printf("rules_bench: goal p50 < %.0f ns: %s\n", GOAL_P50_NS,
	    ns < GOAL_P50_NS ? "met" : "NOT met");
	rules_blob_free(&b);
	free(src);
	return 0;
}
