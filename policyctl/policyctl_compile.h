/*
 * The one place policyctl meets the rule compiler (rules.h): compile a
 * source into the blob the store keeps, printing file:line errors.
 */
#ifndef POSTERN_POLICYCTL_COMPILE_H
#define POSTERN_POLICYCTL_COMPILE_H

#include <stddef.h>

struct compiled {
	void		*data;
	size_t		 size;
};

int	 policyctl_readfile(const char *, char **, size_t *);
int	 policyctl_compile(const char *, size_t, const char *,
	    struct compiled *);
void	 policyctl_compiled_free(struct compiled *);

#endif
