/*
 * policyctl route load's file (route_table.h): "user upstream" lines,
 * comments and blank lines; every bad line refused, none loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "route_table.h"

static char		*names[] = { "north", "south" };
static struct route_targets T = { names, 2, "postern.conf" };
static char		*kept;	/* the text the last routes point into */

/* parse src (a copy); the bad lines' messages in err */
static int
parse(const char *src, const struct route_targets *t, struct store_route **r,
    size_t *n, char *err, size_t errlen)
{
	char	*text = strdup(src);
	FILE	*saved;
	int	 rc;

	ATF_REQUIRE(text != NULL);
	free(kept);
	kept = NULL;
	fflush(stderr);
	saved = stderr;
	ATF_REQUIRE((stderr = fmemopen(err, errlen, "w")) != NULL);
	rc = route_table_parse(text, strlen(text), "t", t, r, n);
	fclose(stderr);
	stderr = saved;
	if (rc == -1)
		free(text);
	else
		kept = text;	/* the routes point into it */
	return rc;
}

ATF_TC_WITHOUT_HEAD(good);
ATF_TC_BODY(good, tc)
{
	struct store_route	*r;
	char			 err[1024] = "";
	size_t			 n;

	ATF_REQUIRE_EQ(parse("# the table\n\nann@a north\n"
	    "  bob@b\tsouth   # bob moved\r\n"
	    "carol@c south#no space\n"
	    "dave north", &T, &r, &n, err, sizeof(err)), 0);
	ATF_CHECK_STREQ(err, "");
	ATF_REQUIRE_EQ(n, 4);
	/* sorted by user */
	ATF_CHECK_STREQ(r[0].user, "ann@a");
	ATF_CHECK_STREQ(r[0].upstream, "north");
	ATF_CHECK_STREQ(r[1].user, "bob@b");
	ATF_CHECK_STREQ(r[1].upstream, "south");
	ATF_CHECK_STREQ(r[2].user, "carol@c");
	ATF_CHECK_STREQ(r[2].upstream, "south");
	ATF_CHECK_STREQ(r[3].user, "dave");
	free(r);

	/* Empty, or comments only: an empty table. */
	ATF_REQUIRE_EQ(parse("# nothing\n\n", &T, &r, &n, err, sizeof(err)),
	    0);
	ATF_CHECK_EQ(n, 0);
	ATF_CHECK(r == NULL);
	/* No postern.conf to check against: any well-formed name. */
	ATF_REQUIRE_EQ(parse("x west\n", NULL, &r, &n, err, sizeof(err)), 0);
	ATF_CHECK_EQ(n, 1);
	free(r);
	free(kept);
	kept = NULL;
}

ATF_TC_WITHOUT_HEAD(bad);
ATF_TC_BODY(bad, tc)
{
	struct store_route	*r;
	char			 err[4096] = "", *src, *p;
	size_t			 n, i;

	ATF_CHECK_EQ(parse("a@x north\nb@x south more\nc@x\n"
	    "d@x west\ne@x no/name\na@x south\n", &T, &r, &n, err,
	    sizeof(err)), -1);
	ATF_CHECK_STREQ(err,
	    "policyctl: t:2: expected end of line after the upstream, got "
	    "\"more\"\n"
	    "policyctl: t:3: user c@x: expected an upstream name after it\n"
	    "policyctl: t:4: upstream west: postern.conf does not route to "
	    "it (expected 'upstream west routed imap|pop3' there)\n"
	    "policyctl: t:5: upstream \"no/name\": expected a name of "
	    "letters, digits, '-', '_', '.' (1 to 31 bytes)\n"
	    "policyctl: t:6: user a@x is on line 1 already\n"
	    "policyctl: t: 5 bad lines: nothing loaded\n");
	ATF_CHECK(r == NULL);
	ATF_CHECK_EQ(n, 0);

	/* A NUL: not text. */
	ATF_CHECK_EQ(route_table_parse((char []){ 'a', ' ', 'b', 0, 'c' }, 5,
	    "t", &T, &r, &n), -1);

	/* A user of 256 bytes, an upstream of 32. */
	ATF_REQUIRE((src = malloc(400)) != NULL);
	memset(src, 'u', 256);
	strcpy(src + 256, " north\nv 12345678901234567890123456789012\n");
	ATF_CHECK_EQ(parse(src, &T, &r, &n, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "t:1: user uuuu") != NULL);
	ATF_CHECK(strstr(err, "longer than 255 bytes") != NULL);
	ATF_CHECK(strstr(err, "t:2: upstream \"1234") != NULL);
	free(src);

	/* 30 bad lines: 20 told, then how many more. */
	ATF_REQUIRE((src = malloc(30 * 8 + 1)) != NULL);
	for (p = src, i = 0; i < 30; i++)
		p += sprintf(p, "u%02zu\n", i);
	ATF_CHECK_EQ(parse(src, &T, &r, &n, err, sizeof(err)), -1);
	ATF_CHECK(strstr(err, "t:20: user u19:") != NULL);
	ATF_CHECK(strstr(err, "t:21:") == NULL);
	ATF_CHECK(strstr(err, "t: and 10 more bad lines\n") != NULL);
	ATF_CHECK(strstr(err, "t: 30 bad lines: nothing loaded\n") != NULL);
	free(src);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, good);
	ATF_TP_ADD_TC(tp, bad);
	return atf_no_error();
}
