/*
 * Unified diff by longest common subsequence.  The common head and tail
 * are cut first, so the quadratic table covers only the changed middle;
 * a middle too large for the table is shown as one replacement.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linediff.h"

#define CONTEXT		3
#define CELLS_MAX	((size_t)16 << 20)

struct line {
	const char	*s;
	size_t		 len;	/* without the newline */
	int		 nl;	/* ends in a newline */
};

struct text {
	struct line	*l;
	size_t		 n;
};

/* One step of the edit script: ' ' both, '-' old only, '+' new only. */
struct op {
	char		 kind;
	size_t		 a, b;	/* line indexes in old and new */
};

static int	 split(struct text *, const char *, size_t);
static int	 same(const struct line *, const struct line *);
static struct op *script(const struct text *, const struct text *,
		    size_t *);
static void	 hunks(FILE *, const struct text *, const struct text *,
		    const struct op *, size_t);
static void	 putline(FILE *, char, const struct line *);

static int
split(struct text *t, const char *s, size_t len)
{
	size_t	 i, n = 0, start = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	if (len > 0 && s[len - 1] != '\n')
		n++;
	t->n = 0;
	if ((t->l = calloc(n + 1, sizeof(*t->l))) == NULL)
		return -1;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		t->l[t->n].s = s + start;
		t->l[t->n].len = i - start;
		t->l[t->n].nl = i < len;
		t->n++;
		start = i + 1;
	}
	return 0;
}

static int
same(const struct line *x, const struct line *y)
{
	return x->len == y->len && x->nl == y->nl &&
	    memcmp(x->s, y->s, x->len) == 0;
}

static struct op *
script(const struct text *a, const struct text *b, size_t *nops)
{
	struct op	*ops;
	uint32_t	*t = NULL;
	size_t		 pre = 0, suf = 0, n, m, i, j, k = 0, w;

	while (pre < a->n && pre < b->n && same(&a->l[pre], &b->l[pre]))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre &&
	    same(&a->l[a->n - 1 - suf], &b->l[b->n - 1 - suf]))
		suf++;
	n = a->n - pre - suf;
	m = b->n - pre - suf;
	if ((ops = calloc(a->n + b->n + 1, sizeof(*ops))) == NULL)
		return NULL;
	w = m + 1;
	if (n > 0 && m > 0 && (n + 1) <= CELLS_MAX / w &&
	    (t = calloc((n + 1) * w, sizeof(*t))) == NULL) {
		free(ops);
		return NULL;
	}
	/* t[i][j]: LCS length of old[i..n) and new[j..m) of the middle */
	for (i = n; t != NULL && i-- > 0;)
		for (j = m; j-- > 0;)
			t[i * w + j] = same(&a->l[pre + i], &b->l[pre + j]) ?
			    t[(i + 1) * w + j + 1] + 1 :
			    (t[(i + 1) * w + j] >= t[i * w + j + 1] ?
			    t[(i + 1) * w + j] : t[i * w + j + 1]);
	for (i = 0; i < pre; i++)
		ops[k++] = (struct op){ ' ', i, i };
	i = j = 0;
	while (i < n || j < m) {
		if (t != NULL && i < n && j < m &&
		    same(&a->l[pre + i], &b->l[pre + j])) {
			ops[k++] = (struct op){ ' ', pre + i, pre + j };
			i++, j++;
		} else if (i < n && (j == m || t == NULL ||
		    t[(i + 1) * w + j] >= t[i * w + j + 1])) {
			ops[k++] = (struct op){ '-', pre + i, pre + j };
			i++;
		} else {
			ops[k++] = (struct op){ '+', pre + i, pre + j };
			j++;
		}
	}
	for (i = 0; i < suf; i++)
		ops[k++] = (struct op){ ' ', pre + n + i, pre + m + i };
	free(t);
	*nops = k;
	return ops;
}

static void
putline(FILE *out, char kind, const struct line *l)
{
	fputc(kind, out);
	fwrite(l->s, 1, l->len, out);
	fputc('\n', out);
	if (!l->nl)
		fputs("\\ No newline at end of file\n", out);
}

/* Changes closer than two contexts share a hunk. */
static void
hunks(FILE *out, const struct text *a, const struct text *b,
    const struct op *ops, size_t nops)
{
	size_t	 i = 0, start, end, last, k, na, nb;

	while (i < nops) {
		while (i < nops && ops[i].kind == ' ')
			i++;
		if (i == nops)
			break;
		start = i > CONTEXT ? i - CONTEXT : 0;
		last = i;
		for (k = i; k < nops; k++) {
			if (ops[k].kind != ' ')
				last = k;
			else if (k - last > 2 * CONTEXT)
				break;
		}
		end = last + CONTEXT + 1 < nops ? last + CONTEXT + 1 : nops;
		na = nb = 0;
		for (k = start; k < end; k++) {
			na += ops[k].kind != '+';
			nb += ops[k].kind != '-';
		}
		fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n",
		    ops[start].a + (na > 0), na, ops[start].b + (nb > 0), nb);
		for (k = start; k < end; k++)
			putline(out, ops[k].kind, ops[k].kind == '+' ?
			    &b->l[ops[k].b] : &a->l[ops[k].a]);
		i = end;
	}
}

int
linediff(FILE *out, const char *as, size_t alen, const char *bs,
    size_t blen, const char *alabel, const char *blabel)
{
	struct text	 a = { NULL, 0 }, b = { NULL, 0 };
	struct op	*ops = NULL;
	size_t		 nops;
	int		 rc = -1;

	if (alen == blen && memcmp(as, bs, alen) == 0)
		return 0;
	if (split(&a, as, alen) == -1 || split(&b, bs, blen) == -1 ||
	    (ops = script(&a, &b, &nops)) == NULL)
		goto out;
	fprintf(out, "--- %s\n+++ %s\n", alabel, blabel);
	hunks(out, &a, &b, ops, nops);
	rc = 1;
 out:
	free(ops);
	free(a.l);
	free(b.l);
	return rc;
}
