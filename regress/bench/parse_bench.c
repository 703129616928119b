/*
 * Throughput of the IMAP parser on the two streams that matter most:
 *
 *  (a) server to client: FETCH responses each carrying a 50 KB literal,
 *      the bulk of what a mail client downloads;
 *  (b) client to server: short pipelined commands, where the per-line
 *      cost (framing, tokenising) dominates.
 *
 * Both streams are built in memory and fed in 16 KiB pieces, as the relay
 * gets them from read(), and every event is handled the way the relay
 * minimally would (tokens looked at, literal octets passed by pointer).
 * The figure is the median of several runs, in MB/s (10^6 bytes).  The
 * goals are printed as met or not met, never asserted: the machine the
 * test suite runs on is not the one that matters.  A parse that does not
 * produce the expected events is an error, though (exit 1): then the
 * figure would measure the wrong thing.
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imap_parse.h"

#define READ_SIZE	(16 * 1024)
#define LIT_SIZE	51200
#define GOAL_FETCH	2000.0		/* MB/s */
#define GOAL_CMDS	300.0

struct stream {
	uint8_t		*b;
	size_t		 len;
	size_t		 cap;
	uint64_t	 messages;	/* final lines expected */
};

struct counts {
	uint64_t	 final;
	uint64_t	 segments;
	uint64_t	 tokens;
	uint64_t	 litbytes;
	uint64_t	 errors;
	uint64_t	 sum;		/* keeps the token loop alive */
};

static void
put(struct stream *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		if ((s->b = realloc(s->b, s->cap)) == NULL)
			err(1, "realloc %zu", s->cap);
	}
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

/*
 * Message text with CRLF lines, some of which look like protocol
 * (the parser must not look at literal octets at all).
 */
static void
fill_literal(uint8_t *lit, size_t n)
{
	static const char *lines[] = {
		"Received: from mx.example.org by imap.example.org; "
		"Mon, 7 Feb 1994 21:52:25 -0800\r\n",
		"Subject: quarterly figures\r\n",
		"a1 LOGOUT\r\n",
		"* BYE not really\r\n",
		"Lorem ipsum dolor sit amet, consectetur adipiscing elit, "
		"sed do eiusmod tempor incididunt ut labore.\r\n",
		"{5}\r\n",
		"\r\n"
	};
	size_t	 off = 0, i = 0, l;

	while (off < n) {
		l = strlen(lines[i % 7]);
		if (l > n - off)
			l = n - off;
		memcpy(lit + off, lines[i % 7], l);
		off += l;
		i++;
	}
}

static void
build_fetch(struct stream *s, size_t target)
{
	uint8_t		*lit;
	char		 head[128];
	int		 n;
	uint64_t	 i;

	if ((lit = malloc(LIT_SIZE)) == NULL)
		err(1, "malloc");
	fill_literal(lit, LIT_SIZE);
	for (i = 1; s->len < target; i++) {
		n = snprintf(head, sizeof(head),
		    "* %llu FETCH (UID %llu BODY[] {%d}\r\n",
		    (unsigned long long)i, (unsigned long long)i + 1000,
		    LIT_SIZE);
		put(s, head, n);
		put(s, lit, LIT_SIZE);
		put(s, ")\r\n", 3);
		s->messages++;
	}
	free(lit);
}

static void
build_cmds(struct stream *s, size_t target)
{
	static const char *cmds[] = {
		"NOOP",
		"UID FETCH 1:* (FLAGS)",
		"SELECT INBOX",
		"STORE 1 +FLAGS (\\Seen)",
		"UID FETCH 4827:4850 (UID RFC822.SIZE FLAGS "
		"BODY.PEEK[HEADER.FIELDS (From To Cc Subject Date)])",
		"STATUS \"Sent Items\" (MESSAGES UIDNEXT UNSEEN)",
		"UID SEARCH UNSEEN SINCE 1-Feb-1994",
		"LIST \"\" \"%\"",
		"UID STORE 17,19:23 -FLAGS.SILENT (\\Deleted $Junk)",
		"EXAMINE \"Archive/2023\"",
		"UID EXPUNGE 3000:3002",
		"CHECK"
	};
	char		 line[256];
	int		 n;
	uint64_t	 i;

	for (i = 1; s->len < target; i++) {
		n = snprintf(line, sizeof(line), "a%llu %s\r\n",
		    (unsigned long long)i, cmds[i % 12]);
		put(s, line, n);
		s->messages++;
	}
}

static void
handle(struct imap_parser *p, const struct imap_event *ev, struct counts *c)
{
	const struct imap_token	*t;
	unsigned int		 n, i;

	switch (ev->type) {
	case IMAP_EV_LINE:
		c->segments++;
		t = imap_parser_tokens(p, &n);
		for (i = ev->tok_first; i < ev->tok_first + ev->tok_count;
		    i++)
			c->sum += t[i].type + t[i].len;
		c->tokens += ev->tok_count;
		if (ev->final)
			c->final++;
		break;
	case IMAP_EV_LITDATA:
		c->litbytes += ev->len;
		c->sum += ev->data[0];
		break;
	case IMAP_EV_ERROR:
		c->errors++;
		break;
	case IMAP_EV_NEED_MORE:
		break;
	}
}

static double
now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One pass over the stream; returns the seconds it took. */
static double
run(const struct stream *s, enum imap_dir dir, struct counts *c)
{
	struct imap_parser	 p;
	struct imap_event	 ev;
	const uint8_t		*d;
	size_t			 off, len, n;
	double			 t0, t1;

	if (imap_parser_init(&p, dir, NULL) == -1)
		errx(1, "imap_parser_init failed");
	memset(c, 0, sizeof(*c));
	t0 = now();
	for (off = 0; off < s->len; off += READ_SIZE) {
		d = s->b + off;
		len = s->len - off < READ_SIZE ? s->len - off : READ_SIZE;
		while (len > 0) {
			n = imap_parser_feed(&p, d, len, &ev);
			handle(&p, &ev, c);
			d += n;
			len -= n;
		}
	}
	t1 = now();
	imap_parser_free(&p);
	return t1 - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
bench(const char *name, const struct stream *s, enum imap_dir dir,
    int runs, double goal)
{
	struct counts	 c;
	double		*mbs, med;
	int		 i;

	if ((mbs = calloc(runs, sizeof(*mbs))) == NULL)
		err(1, "calloc");
	for (i = 0; i < runs; i++) {
		mbs[i] = s->len / 1e6 / run(s, dir, &c);
		if (c.errors != 0 || c.final != s->messages) {
			fprintf(stderr, "%s: %llu errors, %llu of %llu "
			    "messages parsed\n", name,
			    (unsigned long long)c.errors,
			    (unsigned long long)c.final,
			    (unsigned long long)s->messages);
			free(mbs);
			return -1;
		}
	}
	qsort(mbs, runs, sizeof(*mbs), cmp_double);
	med = mbs[runs / 2];
	printf("%-28s %8.1f MB/s  (min %.1f, max %.1f; %.1f MB, "
	    "%llu messages, %llu tokens, %d runs)  goal >= %.0f MB/s: %s\n",
	    name, med, mbs[0], mbs[runs - 1], s->len / 1e6,
	    (unsigned long long)s->messages, (unsigned long long)c.tokens,
	    runs, goal, med >= goal ? "met" : "NOT MET");
	free(mbs);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: parse_bench [-n runs] [-s megabytes]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct stream	 fetch = { 0 }, cmds = { 0 };
	const char	*errstr = NULL;
	long		 runs = 7, mb = 64;
	int		 ch, rc = 0;

	while ((ch = getopt(argc, argv, "n:s:")) != -1) {
		switch (ch) {
		case 'n':
			runs = strtol(optarg, NULL, 10);
			if (runs < 1 || runs > 1000)
				errstr = "-n";
			break;
		case 's':
			mb = strtol(optarg, NULL, 10);
			if (mb < 1 || mb > 4096)
				errstr = "-s";
			break;
		default:
			usage();
		}
	}
	if (errstr != NULL || optind != argc)
		usage();
	build_fetch(&fetch, (size_t)mb * 1000000);
	build_cmds(&cmds, (size_t)mb * 1000000 / 2);
	printf("parse_bench: %d KiB reads, median of %ld runs\n",
	    READ_SIZE / 1024, runs);
	if (bench("(a) FETCH, 50 KB literals", &fetch, IMAP_DIR_SERVER,
	    (int)runs, GOAL_FETCH) == -1)
		rc = 1;
	if (bench("(b) short commands", &cmds, IMAP_DIR_CLIENT, (int)runs,
	    GOAL_CMDS) == -1)
		rc = 1;
	free(fetch.b);
	free(cmds.b);
	return rc;
}
