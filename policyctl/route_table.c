/*
 * The route table's file: one "user upstream" a line, '#' to the end of
 * a line a comment, blank lines ignored.  Every bad line is reported
 * with its number and nothing is loaded: a user named twice, a name
 * too long, an upstream postern.conf does not route to, a third word.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_table.h"

struct entry {
	const char	*user;
	const char	*up;
	size_t		 line;
};

static int
isblank_(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
name_ok(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return n > 0 && n <= STORE_ROUTE_UP_MAX;
}

int
route_target_ok(const struct route_targets *t, const char *name)
{
	size_t	 i;

	if (t == NULL || t->names == NULL)
		return 1;
	for (i = 0; i < t->nnames; i++)
		if (strcmp(t->names[i], name) == 0)
			return 1;
	return 0;
}

static int	 bad(size_t *, const char *, size_t, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

/* One bad line more, told while there are few: 0. */
static int
bad(size_t *nbad, const char *file, size_t line, const char *fmt, ...)
{
	va_list	 ap;

	if (++*nbad <= ROUTE_ERRORS_SHOWN) {
		fprintf(stderr, "policyctl: %s:%zu: ", file, line);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	return 0;
}

/* The next word of *p, NUL-terminated in place; NULL at the line's end. */
static char *
word(char **p)
{
	char	*s = *p, *w;

	while (isblank_(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return NULL;
	w = s;
	while (*s != '\0' && !isblank_(*s) && *s != '#')
		s++;
	if (*s == '#')
		*s = '\0';	/* the comment goes, the word stays whole */
	else if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return w;
}

static int
by_user(const void *a, const void *b)
{
	const struct entry	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->user, y->user)) != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* One line: an entry in *e (1), nothing (0), or counted as bad (-1). */
static int
one_line(char *s, size_t line, const char *file,
    const struct route_targets *t, struct entry *e, size_t *nbad)
{
	char	*user, *up, *extra;

	if ((user = word(&s)) == NULL)
		return 0;
	if ((up = word(&s)) == NULL)
		return bad(nbad, file, line, "user %.64s: expected an upstream "
		    "name after it", user) - 1;
	if ((extra = word(&s)) != NULL)
		return bad(nbad, file, line, "expected end of line after the "
		    "upstream, got \"%.64s\"", extra) - 1;
	if (strlen(user) > STORE_ROUTE_USER_MAX)
		return bad(nbad, file, line, "user %.64s...: longer than 255 "
		    "bytes", user) - 1;
	if (!name_ok(up))
		return bad(nbad, file, line, "upstream \"%.64s\": expected a "
		    "name of letters, digits, '-', '_', '.' (1 to 31 bytes)",
		    up) - 1;
	if (!route_target_ok(t, up))
		return bad(nbad, file, line, "upstream %s: %s does not route "
		    "to it (expected 'upstream %s routed imap|pop3' there)",
		    up, t->conf, up) - 1;
	e->user = user;
	e->up = up;
	e->line = line;
	return 1;
}

int
route_table_parse(char *text, size_t len, const char *file,
    const struct route_targets *t, struct store_route **out, size_t *nout)
{
	struct entry		*ent = NULL;
	struct store_route	*r = NULL;
	size_t			 n = 0, cap = 0, line = 0, nbad = 0, i;
	char			*p = text, *nl, *end = text + len;
	int			 rc;

	*out = NULL;
	*nout = 0;
	if (memchr(text, '\0', len) != NULL) {
		fprintf(stderr, "policyctl: %s: a NUL byte: not a text file\n",
		    file);
		return -1;
	}
	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((ent = reallocarray(ent, cap, sizeof(*ent))) ==
			    NULL) {
				perror("policyctl: route table");
				return -1;
			}
		}
		if ((rc = one_line(p, line, file, t, &ent[n], &nbad)) == 1)
			n++;
	}
	/* Sorted by user, a user twice is two neighbours. */
	if (n > 0)
		qsort(ent, n, sizeof(*ent), by_user);
	for (i = 1; i < n; i++)
		if (strcmp(ent[i - 1].user, ent[i].user) == 0)
			bad(&nbad, file, ent[i].line, "user %.64s is on line "
			    "%zu already", ent[i].user, ent[i - 1].line);
	if (nbad > ROUTE_ERRORS_SHOWN)
		fprintf(stderr, "policyctl: %s: and %zu more bad lines\n",
		    file, nbad - ROUTE_ERRORS_SHOWN);
	if (nbad > 0) {
		fprintf(stderr, "policyctl: %s: %zu bad line%s: nothing "
		    "loaded\n", file, nbad, nbad == 1 ? "" : "s");
		free(ent);
		return -1;
	}
	if (n > 0 && (r = calloc(n, sizeof(*r))) == NULL) {
		perror("policyctl: route table");
		free(ent);
		return -1;
	}
	for (i = 0; i < n; i++) {
		r[i].user = ent[i].user;
		r[i].upstream = ent[i].up;
	}
	free(ent);
	*out = r;
	*nout = n;
	return 0;
}
