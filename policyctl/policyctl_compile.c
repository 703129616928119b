/*
 * policyctl's one call into the rule compiler.  The blob is checked as
 * policyd will check it after reading it back, so a compiler bug shows
 * here, before anything is stored.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policyctl_compile.h"
#include "rules.h"

#define SRC_MAX		((size_t)16 << 20)

/* The whole of a regular file, NUL-terminated, at most 16 MiB. */
int
policyctl_readfile(const char *path, char **buf, size_t *len)
{
	struct stat	 sb;
	ssize_t		 r;
	size_t		 n = 0;
	char		*b;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		fprintf(stderr, "policyctl: %s: %s\n", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || (size_t)sb.st_size > SRC_MAX) {
		fprintf(stderr, "policyctl: %s: %s\n", path,
		    S_ISREG(sb.st_mode) ?
		    "larger than 16 MiB" : "not a regular file");
		close(fd);
		return -1;
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL) {
		fprintf(stderr, "policyctl: %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	while (n < (size_t)sb.st_size &&
	    (r = read(fd, b + n, (size_t)sb.st_size - n)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			fprintf(stderr, "policyctl: %s: read: %s\n", path,
			    strerror(errno));
			free(b);
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

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
