#include <errno.h>
#include <string.h>

#include <atf-c.h>

#include "buf.h"

ATF_TC_WITHOUT_HEAD(add_and_drain);
ATF_TC_BODY(add_and_drain, tc)
{
	struct buf	b;

	buf_init(&b, 1024);
	ATF_REQUIRE_EQ(buf_add(&b, "hello ", 6), 0);
	ATF_REQUIRE_EQ(buf_printf(&b, "%s %d", "world", 42), 0);
	ATF_REQUIRE_EQ(buf_len(&b), 14);
	ATF_REQUIRE(memcmp(buf_data(&b), "hello world 42", 14) == 0);
	buf_drain(&b, 6);
	ATF_REQUIRE_EQ(buf_len(&b), 8);
	ATF_REQUIRE(memcmp(buf_data(&b), "world 42", 8) == 0);
	buf_drain(&b, 8);
	ATF_REQUIRE_EQ(buf_len(&b), 0);
	buf_free(&b);
}

/* The limit holds however the bytes arrive, and a refusal changes nothing. */
ATF_TC_WITHOUT_HEAD(hard_limit);
ATF_TC_BODY(hard_limit, tc)
{
	struct buf	b;
	char		chunk[100];
	int		i;

	memset(chunk, 'x', sizeof(chunk));
	buf_init(&b, 1000);
	for (i = 0; i < 10; i++)
		ATF_REQUIRE_EQ(buf_add(&b, chunk, sizeof(chunk)), 0);
	ATF_REQUIRE_EQ(buf_len(&b), 1000);
	errno = 0;
	ATF_REQUIRE_EQ(buf_add(&b, "y", 1), -1);
	ATF_REQUIRE_EQ(errno, ENOBUFS);
	ATF_REQUIRE_EQ(buf_len(&b), 1000);
	ATF_REQUIRE(b.size <= 1000);
	ATF_REQUIRE_EQ(buf_reserve(&b, SIZE_MAX), NULL);
	buf_free(&b);
}

/* Consumed space is reused before the buffer grows. */
ATF_TC_WITHOUT_HEAD(reuse_consumed);
ATF_TC_BODY(reuse_consumed, tc)
{
	struct buf	 b;
	uint8_t		*p;
	char		 chunk[600];

	memset(chunk, 'a', sizeof(chunk));
	buf_init(&b, 1024);
	ATF_REQUIRE_EQ(buf_add(&b, chunk, sizeof(chunk)), 0);
	buf_drain(&b, 500);
	ATF_REQUIRE((p = buf_reserve(&b, 900)) != NULL);
	memset(p, 'b', 900);
	buf_commit(&b, 900);
	ATF_REQUIRE_EQ(buf_len(&b), 1000);
	ATF_REQUIRE_EQ(buf_data(&b)[99], 'a');
	ATF_REQUIRE_EQ(buf_data(&b)[100], 'b');
	buf_free(&b);
}

/*
 * What buf_free() clears: the bytes that held data.  A read reservation
 * counts only what is committed; a plain one all it offered, since its
 * caller may have written there without committing.
 */
ATF_TC_WITHOUT_HEAD(dirty_extent);
ATF_TC_BODY(dirty_extent, tc)
{
	struct buf	 b;
	uint8_t		*p;

	buf_init(&b, 128 * 1024);
	ATF_REQUIRE((p = buf_reserve_read(&b, 64 * 1024)) != NULL);
	ATF_REQUIRE(b.size >= 64 * 1024);
	memcpy(p, "a1 LOGIN", 8);
	buf_commit(&b, 8);
	ATF_REQUIRE_EQ(b.dirty, 8);
	buf_drain(&b, 8);
	ATF_REQUIRE((p = buf_reserve_read(&b, 64 * 1024)) != NULL);
	memcpy(p, "abc", 3);
	buf_commit(&b, 3);
	ATF_REQUIRE_EQ(b.dirty, 8);
	ATF_REQUIRE((p = buf_reserve(&b, 100)) != NULL);
	ATF_REQUIRE_EQ(b.dirty, 103);
	ATF_REQUIRE_EQ(buf_add(&b, "x", 1), 0);
	ATF_REQUIRE_EQ(b.dirty, 103);
	/* Grown: the new buffer held only what was copied over. */
	ATF_REQUIRE((p = buf_reserve_read(&b, 128 * 1024 - 4)) != NULL);
	ATF_REQUIRE_EQ(b.size, 128 * 1024);
	ATF_REQUIRE_EQ(b.dirty, 4);
	ATF_REQUIRE(memcmp(buf_data(&b), "abcx", 4) == 0);
	buf_free(&b);
	ATF_REQUIRE_EQ(b.dirty, 0);
	ATF_REQUIRE_EQ(b.data, NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dirty_extent);
	ATF_TP_ADD_TC(tp, add_and_drain);
	ATF_TP_ADD_TC(tp, hard_limit);
	ATF_TP_ADD_TC(tp, reuse_consumed);
	return atf_no_error();
}
