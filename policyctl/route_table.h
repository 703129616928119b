/*
 * policyctl route load FILE, route show [USER]: the store's per-user
 * route table (store.h), read from a file of "user upstream" lines.
 */
#ifndef POSTERN_POLICYCTL_ROUTE_TABLE_H
#define POSTERN_POLICYCTL_ROUTE_TABLE_H

#include <stddef.h>

#include "store.h"

/* Errors reported, at most, before "and N more". */
#define ROUTE_ERRORS_SHOWN	20

/*
 * The upstreams a route may name (postern.conf(5): "upstream NAME
 * routed", and those of login proxy listeners); nnames 0 with names
 * NULL: postern.conf could not be read, nothing is checked.
 */
struct route_targets {
	char		**names;
	size_t		  nnames;
	const char	 *conf;		/* the file they came from */
};

/*
 * Parse FILE's text: 0 and the routes (pointing into text, which it
 * writes NULs into), or -1 having printed every bad line (up to
 * ROUTE_ERRORS_SHOWN) as FILE:LINE: why.
 */
int	 route_table_parse(char *text, size_t len, const char *file,
	    const struct route_targets *, struct store_route **, size_t *);
/* 1: name may be routed to (or nothing is known to check against) */
int	 route_target_ok(const struct route_targets *, const char *);

#endif
