/*
 * policyctl's one call into the rule compiler.  The blob is checked as
 * policyd will check it after reading it back, so a compiler bug shows
 * here, before anything is stored.
 */
#include <stdio.h>
#include <stdlib.h>

#include "policyctl_compile.h"
#include "rules.h"

int
policyctl_compile(const char *src, size_t len, const char *file,
    struct compiled *c)
{
	struct rules_blob	 b;
	struct rules_error	 err;

	c->data = NULL;
	c->size = 0;
	if (rules_compile(src, len, file, &b, &err) == -1) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	if (rules_blob_check(b.data, b.size) == -1) {
		fprintf(stderr, "%s: the compiler made a blob that does not "
		    "pass its own check\n", file);
		rules_blob_free(&b);
		return -1;
	}
	c->data = b.data;
	c->size = b.size;
	return 0;
}

void
policyctl_compiled_free(struct compiled *c)
{
	struct rules_blob	 b = { c->data, c->size };

	rules_blob_free(&b);
	c->data = NULL;
	c->size = 0;
}
