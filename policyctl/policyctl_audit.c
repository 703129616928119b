/*
 * policyctl audit (policyctl_audit.h).  verify reads each log line by
 * line through the shared verifier and stops at the first bad record;
 * show prints the records that match every filter given, as they are.
 */
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_chain.h"
#include "audit_json.h"
#include "audit_verify.h"
#include "policyctl_audit.h"

#define EX_DONE		0
#define EX_INPUT	1
#define EX_IO		2

struct filter {
	const char	*field;
	const char	*value;
};

static int	 audit_usage(void);
static int	 verify_file(const char *, const char *);
static int	 last_segment(const char *, const char *, FILE *, char *);
static int	 show_file(const char *, const struct filter *, size_t);

static int
audit_usage(void)
{
	fprintf(stderr, "usage: policyctl audit verify [-k keydir] log ...\n"
	    "       policyctl audit show [-a action] [-e event] [-i session] "
	    "[-u user] log ...\n");
	return EX_INPUT;
}

/* keydir/<log>.current names the segment posternd began last in file. */
static int
last_segment(const char *keydir, const char *log, FILE *fp, char *seg)
{
	char		 path[PATH_MAX], id[32];
	struct stat	 st;
	uintmax_t	 dev, ino;
	FILE		*cf;
	int		 n;

	seg[0] = '\0';
	if (log[0] == '\0' || strchr(log, '/') != NULL ||
	    fstat(fileno(fp), &st) == -1)
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s.current", keydir, log);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (cf = fopen(path, "re")) == NULL)
		return 0;
	n = fscanf(cf, "%31s %ju %ju", id, &dev, &ino);
	fclose(cf);
	if (n == 3 && audit_seg_valid(id) && dev == (uintmax_t)st.st_dev &&
	    ino == (uintmax_t)st.st_ino) {
		memcpy(seg, id, AUDIT_SEG_SIZE);
		return 1;
	}
	return 0;
}

static int
verify_file(const char *path, const char *keyflag)
{
	struct audit_verify	 v;
	char			 keydir[PATH_MAX], copy[PATH_MAX];
	char			 last[AUDIT_SEG_SIZE], *line = NULL;
	size_t			 linesz = 0;
	ssize_t			 n;
	FILE			*fp;
	int			 rc = 0, have;

	if (keyflag != NULL)
		(void)snprintf(keydir, sizeof(keydir), "%s", keyflag);
	else {
		(void)snprintf(copy, sizeof(copy), "%s", path);
		(void)snprintf(keydir, sizeof(keydir), "%s/keys",
		    dirname(copy));
	}
	if ((fp = fopen(path, "re")) == NULL) {
		fprintf(stderr, "policyctl: %s: %s\n", path, strerror(errno));
		return EX_IO;
	}
	audit_verify_init(&v, keydir);
	while ((n = getline(&line, &linesz, fp)) != -1) {
		if (n == 0 || line[n - 1] != '\n') {
			(void)snprintf(v.error, sizeof(v.error), "line %lu: "
			    "no newline at the end: the log was cut inside "
			    "a record", v.line + 1);
			rc = -1;
			break;
		}
		if ((size_t)n > AUDIT_LINE_MAX) {
			(void)snprintf(v.error, sizeof(v.error), "line %lu: "
			    "%zd bytes, longer than any record", v.line + 1,
			    n);
			rc = -1;
			break;
		}
		if ((rc = audit_verify_line(&v, line, (size_t)n - 1)) == -1)
			break;
	}
	free(line);
	if (ferror(fp)) {
		fprintf(stderr, "policyctl: %s: %s\n", path, strerror(errno));
		fclose(fp);
		audit_verify_clear(&v);
		return EX_IO;
	}
	if (rc == 0) {
		(void)snprintf(copy, sizeof(copy), "%s", path);
		have = last_segment(keydir, v.log[0] ? v.log : basename(copy),
		    fp, last);
		rc = audit_verify_end(&v, have ? last : NULL);
	}
	fclose(fp);
	audit_verify_clear(&v);
	if (rc == -1) {
		printf("%s: %s\n", path, v.error);
		return EX_INPUT;
	}
	printf("%s: good, %llu records in %u segments\n", path,
	    (unsigned long long)v.records, v.segments);
	return EX_DONE;
}

static int
show_file(const char *path, const struct filter *f, size_t nf)
{
	char	*line = NULL, val[AUDIT_LINE_MAX];
	size_t	 linesz = 0, i, len;
	ssize_t	 n;
	FILE	*fp;

	if ((fp = fopen(path, "re")) == NULL) {
		fprintf(stderr, "policyctl: %s: %s\n", path, strerror(errno));
		return EX_IO;
	}
	while ((n = getline(&line, &linesz, fp)) != -1) {
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		for (i = 0; i < nf; i++)
			if (audit_json_get(line, len, f[i].field, val,
			    sizeof(val)) != 1 || strcmp(val, f[i].value) != 0)
				break;
		if (i == nf)
			printf("%.*s\n", (int)len, line);
	}
	free(line);
	if (ferror(fp)) {
		fprintf(stderr, "policyctl: %s: %s\n", path, strerror(errno));
		fclose(fp);
		return EX_IO;
	}
	fclose(fp);
	return EX_DONE;
}

int
policyctl_audit(int argc, char **argv)
{
	struct filter	 f[4];
	const char	*keyflag = NULL;
	size_t		 nf = 0;
	int		 ch, i, rc = EX_DONE, r, verify;

	if (argc < 2)
		return audit_usage();
	if (strcmp(argv[1], "verify") == 0)
		verify = 1;
	else if (strcmp(argv[1], "show") == 0)
		verify = 0;
	else
		return audit_usage();
	argc--;
	argv++;
	optind = 0;
	while ((ch = getopt(argc, argv, verify ? "+k:" : "+a:e:i:u:")) !=
	    -1) {
		if (ch == 'k') {
			keyflag = optarg;
			continue;
		}
		if (ch == '?' || ch == ':' || nf == sizeof(f) / sizeof(f[0]))
			return audit_usage();
		f[nf].value = optarg;
		f[nf++].field = ch == 'a' ? "action" : ch == 'e' ? "event" :
		    ch == 'i' ? "session" : "user";
	}
	if (optind >= argc)
		return audit_usage();
	for (i = optind; i < argc; i++) {
		r = verify ? verify_file(argv[i], keyflag) :
		    show_file(argv[i], f, nf);
		if (r > rc)
			rc = r;
	}
	return rc;
}
