/* A command's arguments for the rules: extraction and masking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap_args.h"

/*
 * Both views of the longest line `limit line' lets through, as need()
 * counts them: the text is bounded, and grows only as far as the
 * longest line seen.
 */
#define ARGS_TEXT_MAX	(3 * (size_t)WORKER_LINE_MAX + \
			    32 * (size_t)WORKER_ARGS_MAX + 64)
/* The arrays start with room for this many arguments. */
#define ARGS_FIRST	16

void
imap_args_init(struct imap_args *a)
{
	memset(a, 0, sizeof(*a));
	a->masked = -1;
	buf_init(&a->text, ARGS_TEXT_MAX);
}

void
imap_args_free(struct imap_args *a)
{
	free(a->val);
	free(a->raw);
	a->val = a->raw = NULL;
	a->n = a->cap = 0;
	buf_free(&a->text);
}

/* Room for argument number a->n: 0, or -1 (too many, or no memory). */
static int
grow(struct imap_args *a)
{
	struct rules_arg	*v, *r;
	size_t			 cap;

	if (a->n < a->cap)
		return 0;
	if (a->cap >= IMAP_ARGS_MAX)
		return -1;
	cap = a->cap == 0 ? ARGS_FIRST : 2 * a->cap;
	if ((v = reallocarray(a->val, cap, sizeof(*v))) == NULL)
		return -1;
	a->val = v;
	if ((r = reallocarray(a->raw, cap, sizeof(*r))) == NULL)
		return -1;
	a->raw = r;
	a->cap = cap;
	return 0;
}

/* Room for both views of every token: quoting doubles at worst. */
static size_t
need(const struct imap_token *tok, unsigned int ntok)
{
	size_t		 n = 64;
	unsigned int	 i;

	for (i = 0; i < ntok; i++)
		n += 3 * (size_t)tok[i].len + 32;
	return n;
}

/* One token's text into w: quoted again when raw. */
static char *
put_tok(char *w, const struct imap_token *t, int raw, int plus)
{
	uint32_t	 i;

	switch (t->type) {
	case IMAP_TOK_QUOTED:
		if (!raw)
			break;
		*w++ = '"';
		for (i = 0; i < t->len; i++) {
			if (t->p[i] == '"' || t->p[i] == '\\')
				*w++ = '\\';
			*w++ = (char)t->p[i];
		}
		*w++ = '"';
		return w;
	case IMAP_TOK_LITERAL:
		w += sprintf(w, "%s{%llu%s}", (t->lit & IMAP_LIT_BINARY) ?
		    "~" : "", (unsigned long long)t->num, plus &&
		    IMAP_LIT_KIND(t->lit) == IMAP_LIT_PLUS ? "+" : "");
		return w;
	case IMAP_TOK_NIL:
		memcpy(w, "NIL", 3);
		return w + 3;
	case IMAP_TOK_LIST_BEGIN:
		*w++ = '(';
		return w;
	case IMAP_TOK_LIST_END:
		*w++ = ')';
		return w;
	default:
		break;
	}
	memcpy(w, t->p, t->len);
	return w + t->len;
}

/* tok[*i..] as one argument's text, a list up to its ")" */
static char *
put_arg(char *w, const struct imap_token *tok, unsigned int ntok,
    unsigned int *i, int raw, int plus)
{
	unsigned int	 depth = 0, j = *i;

	do {
		if (j > *i && tok[j].type != IMAP_TOK_LIST_END &&
		    tok[j - 1].type != IMAP_TOK_LIST_BEGIN)
			*w++ = ' ';
		if (tok[j].type == IMAP_TOK_LIST_BEGIN)
			depth++;
		else if (tok[j].type == IMAP_TOK_LIST_END && depth > 0)
			depth--;
		w = put_tok(w, &tok[j], raw, plus);
		j++;
	} while (depth > 0 && j < ntok);
	*i = j;
	return w;
}

static unsigned int
first_arg(const struct imap_token *tok, unsigned int ntok)
{
	if (ntok > 2 && imap_tok_is(&tok[1], "UID") &&
	    tok[2].type == IMAP_TOK_ATOM)
		return 3;
	return 2;
}

/* Which argument holds a secret: LOGIN's password, SASL-IR. */
static int
secret(const struct imap_token *tok, unsigned int ntok)
{
	if (ntok > 1 && (imap_tok_is(&tok[1], "LOGIN") ||
	    imap_tok_is(&tok[1], "AUTHENTICATE")))
		return 1;
	return -1;
}

int
imap_args_parse(struct imap_args *a, const struct imap_token *tok,
    unsigned int ntok, int plus)
{
	unsigned int	 i, j;
	char		*base, *w;
	int		 mask;

	a->n = 0;
	a->masked = -1;
	buf_reset(&a->text);
	if ((base = (char *)buf_reserve(&a->text, need(tok, ntok))) == NULL)
		return -1;
	w = base;
	mask = secret(tok, ntok);
	for (i = first_arg(tok, ntok); i < ntok; ) {
		if (grow(a) == -1)
			return -1;
		j = i;
		a->raw[a->n].s = w;
		w = put_arg(w, tok, ntok, &j, 1, plus);
		a->raw[a->n].len = (size_t)(w - a->raw[a->n].s);
		if ((int)a->n == mask) {
			a->val[a->n].s = IMAP_ARGS_MASK;
			a->val[a->n].len = sizeof(IMAP_ARGS_MASK) - 1;
			a->masked = mask;
		} else if (tok[i].type == IMAP_TOK_LITERAL) {
			a->val[a->n].s = NULL;
			a->val[a->n].len = (size_t)tok[i].num;
		} else {
			a->val[a->n].s = w;
			w = put_arg(w, tok, ntok, &i, 0, plus);
			a->val[a->n].len = (size_t)(w - a->val[a->n].s);
		}
		i = j;
		a->n++;
	}
	return 0;
}

size_t
imap_args_masked_line(const struct imap_args *a, const char *tag,
    const char *name, char *out, size_t size)
{
	size_t	 n, i, k;
	int	 r;

	if (size == 0)
		return 0;
	r = snprintf(out, size, "%s %s", tag, name);
	n = r < 0 ? 0 : (size_t)r >= size ? size - 1 : (size_t)r;
	for (i = 0; i < a->n && n + 1 < size; i++) {
		const struct rules_arg *v = (int)i == a->masked ? &a->val[i] :
		    &a->raw[i];

		out[n++] = ' ';
		k = v->len < size - 1 - n ? v->len : size - 1 - n;
		memcpy(out + n, v->s, k);
		n += k;
	}
	out[n] = '\0';
	return n;
}
