/*
 * A unified diff of two texts, line by line (longest common subsequence),
 * for `policyctl diff'.  Nothing external is run.
 */
#ifndef POSTERN_LINEDIFF_H
#define POSTERN_LINEDIFF_H

#include <stddef.h>
#include <stdio.h>

/* 0: the texts are equal, 1: a diff was printed, -1: out of memory. */
int	 linediff(FILE *, const char *, size_t, const char *, size_t,
	    const char *, const char *);

#endif
