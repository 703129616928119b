/*
 * The session fuzzer's corpus, replayed: every file of
 * regress/fuzz/corpus/session runs through the same checks as
 * fuzz_imap_session (regress/fuzz/session_model.c, built in here), with
 * the normal build, so a regression of the stream model shows in
 * `make check` without a fuzzing campaign.
 */
#include <sys/types.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "session_model.h"
#include "../fuzz/session_model.c"

#ifndef SESSION_CORPUS
#define SESSION_CORPUS	"regress/fuzz/corpus/session"
#endif

static const char	*replay_file;

static void	replay_fail(int, const char *) __attribute__((noreturn));

static void
replay_fail(int line, const char *what)
{
	atf_tc_fail("%s: session_model.c:%d: invariant broken: %s",
	    replay_file, line, what);
	abort();
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	*fp;
	uint8_t	*p = NULL;
	size_t	 cap = 0, n;

	ATF_REQUIRE_MSG((fp = fopen(path, "rb")) != NULL, "%s", path);
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			ATF_REQUIRE((p = realloc(p, cap)) != NULL);
		}
		n = fread(p + *len, 1, cap - *len, fp);
		*len += n;
	} while (n > 0);
	ATF_REQUIRE(!ferror(fp));
	fclose(fp);
	return p;
}

ATF_TC_WITHOUT_HEAD(corpus);
ATF_TC_BODY(corpus, tc)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[4096];
	uint8_t		*data;
	size_t		 len;
	unsigned int	 files = 0;

	session_model_fail = replay_fail;
	ATF_REQUIRE_MSG((d = opendir(SESSION_CORPUS)) != NULL, "%s",
	    SESSION_CORPUS);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", SESSION_CORPUS,
		    de->d_name);
		replay_file = path;
		data = read_file(path, &len);
		session_model_run(data, len);
		free(data);
		files++;
	}
	closedir(d);
	/* the issue cases are there: an empty directory proves nothing */
	ATF_REQUIRE(files >= 20);
}

/* The input that once broke the refuse() invariant (39 bytes). */
ATF_TC_WITHOUT_HEAD(refuse_plus_literal);
ATF_TC_BODY(refuse_plus_literal, tc)
{
	static const char in[] =
	    "a L {11+}\r\n\n1 =====\n   {5}\r\n1 1\r\n=====\n";

	ATF_REQUIRE_EQ(sizeof(in) - 1, 39);
	session_model_fail = replay_fail;
	replay_file = "refuse_plus_literal";
	session_model_run((const uint8_t *)in, sizeof(in) - 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, corpus);
	ATF_TP_ADD_TC(tp, refuse_plus_literal);
	return atf_no_error();
}
