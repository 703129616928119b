/*
 * Until the rule compiler is in the build, a rule file is only checked
 * to be text (no NUL byte), and the stored blob is empty; policyd's
 * rules_blob_check() refuses an empty blob, so nothing half-checked is
 * ever enforced.  Switching to rules_compile() changes this file only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policyctl_compile.h"

int
policyctl_compile(const char *src, size_t len, const char *file,
    struct compiled *c)
{
	const char	*nul;
	size_t		 line = 1, i;

	c->data = NULL;
	c->size = 0;
	if ((nul = memchr(src, '\0', len)) != NULL) {
		for (i = 0; src + i < nul; i++)
			line += src[i] == '\n';
		fprintf(stderr, "%s:%zu: NUL byte in a rule file\n", file,
		    line);
		return -1;
	}
	return 0;
}

void
policyctl_compiled_free(struct compiled *c)
{
	free(c->data);
	c->data = NULL;
	c->size = 0;
}
