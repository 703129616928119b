/*
 * The text of a verdict, on either side of the policy channel: a
 * rewrite template filled, and an action's name.  In shared/ so that a
 * worker uses them without linking the matcher.
 *
 * Filling a rewrite template: $1..$255 become the command's arguments
 * as they were sent, $$ a dollar.  A literal's contents never reach the
 * rules, so a template that names a literal cannot be filled.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy_wire.h"

static int
put(char *buf, size_t sz, size_t *n, const char *s, size_t len)
{
	if (len >= sz - *n)
		return -1;
	memcpy(buf + *n, s, len);
	*n += len;
	return 0;
}

/* Returns the length written (NUL-terminated), or -1: no such argument,
 * a literal, or no room. */
int
rules_expand(const char *tmpl, const struct rules_arg *args, size_t nargs,
    char *buf, size_t sz)
{
	const char	*p = tmpl, *d;
	unsigned long	 k;
	size_t		 n = 0;
	char		*end;

	if (sz == 0)
		return -1;
	while ((d = strchr(p, '$')) != NULL) {
		if (put(buf, sz, &n, p, (size_t)(d - p)) == -1)
			return -1;
		if (d[1] == '$') {
			if (put(buf, sz, &n, "$", 1) == -1)
				return -1;
			p = d + 2;
			continue;
		}
		if (d[1] < '1' || d[1] > '9')
			return -1;
		k = strtoul(d + 1, &end, 10);
		if (k > nargs || args[k - 1].s == NULL ||
		    put(buf, sz, &n, args[k - 1].s, args[k - 1].len) == -1)
			return -1;
		p = end;
	}
	if (put(buf, sz, &n, p, strlen(p)) == -1)
		return -1;
	buf[n] = '\0';
	return n > INT32_MAX ? -1 : (int)n;
}

const char *
rules_action_name(enum rules_action a)
{
	static const char *const names[] = { "?", "accept", "reject", "drop",
	    "abort", "rewrite", "respond", "accept-multiline", "hide",
	    "attributes", "tls", "apop", "route" };

	if ((unsigned)a >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[a];
}
