/*
 * What an idle worker gives back (rest.h): the pages of the stack below
 * the caller's frame go, and nothing the caller's frames hold changes.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "msg.h"
#include "rest.h"

#define DEPTH	16		/* frames of a page and more, below */

static volatile char	*deepest;

/* What a session's deeper calls do: write pages of stack, then return. */
static int __attribute__((noinline))
deep(int n)
{
	volatile char	 page[4096];

	memset((char *)page, n + 1, sizeof(page));
	if (n == 0) {
		deepest = page;
		return page[100];
	}
	return deep(n - 1) + page[100];
}

static int
resident(volatile char *p)
{
	long		 pg = sysconf(_SC_PAGESIZE);
	unsigned char	 v = 0;
	void		*at = (void *)((uintptr_t)p & ~(uintptr_t)(pg - 1));

	ATF_REQUIRE(mincore(at, (size_t)pg, &v) == 0);
	return v & 1;
}

ATF_TC_WITHOUT_HEAD(stack);
ATF_TC_BODY(stack, tc)
{
	struct msgchan	 chan, pc;
	char		 keep[8192];
	size_t		 i;

	for (i = 0; i < sizeof(keep); i++)
		keep[i] = (char)(i * 7);
	msgchan_init(&chan, -1, MSGCHAN_FDS, 0);
	msgchan_init(&pc, -1, MSGCHAN_FDS, 0);
	ATF_REQUIRE(deep(DEPTH) > 0);
	ATF_REQUIRE(resident(deepest));
	rest_give_back(&chan, &pc);
	ATF_CHECK(!resident(deepest));
	for (i = 0; i < sizeof(keep); i++)
		if (keep[i] != (char)(i * 7))
			atf_tc_fail("the caller's frame changed at %zu", i);
	/* The stack serves deeper calls again. */
	ATF_CHECK(deep(DEPTH) > 0);
	rest_give_back(&chan, NULL);
	msgchan_clear(&chan);
	msgchan_clear(&pc);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, stack);
	return atf_no_error();
}
