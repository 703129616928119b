/*
 * Validating a blob read back from storage: after rules_blob_check()
 * accepts it, the matcher may follow every offset in it without a bounds
 * check, so a corrupt store makes policyd refuse the blob, never crash.
 */
#include <stdlib.h>

#include "rules.h"
#include "rules_blob.h"

struct sect {
	uint32_t	 off;
	uint64_t	 len;
};

void
rules_blob_free(struct rules_blob *b)
{
	free(b->data);
	b->data = NULL;
	b->size = 0;
}

static int
sect_ok(const struct sect *s, size_t size)
{
	return s->off >= RB_HDR_SIZE && s->off <= size &&
	    s->len <= size - s->off;
}

static int
str_ok(uint32_t ref, uint32_t strlen_)
{
	return ref < strlen_;
}

static int
code_ok(const unsigned char *c, uint32_t len, uint32_t strlen_)
{
	uint32_t	 i = 0;
	int		 sp = 0;

	if (len == 0)
		return 1;
	while (i < len) {
		uint32_t	 need;

		switch (c[i]) {
		case RB_OP_TLS:
			need = 0;
			break;
		case RB_OP_STATE:
			need = 1;
			break;
		case RB_OP_USER:
		case RB_OP_LISTENER:
		case RB_OP_MAILBOX:
		case RB_OP_PORT:
		case RB_OP_JA4:
			need = 4;
			break;
		case RB_OP_CLIENT4:
			need = 5;
			break;
		case RB_OP_CLIENT6:
			need = 17;
			break;
		case RB_OP_ARG:
		case RB_OP_ID:
			need = 8;
			break;
		case RB_OP_NOT:
			if (sp < 1)
				return 0;
			i++;
			continue;
		case RB_OP_AND:
		case RB_OP_OR:
			if (sp < 2)
				return 0;
			sp--;
			i++;
			continue;
		default:
			return 0;
		}
		if (need > len - i - 1)
			return 0;
		switch (c[i]) {
		case RB_OP_USER:
		case RB_OP_LISTENER:
		case RB_OP_MAILBOX:
		case RB_OP_JA4:
			if (!str_ok(rb_get32(c + i + 1), strlen_))
				return 0;
			break;
		case RB_OP_ID:
			if (!str_ok(rb_get32(c + i + 1), strlen_))
				return 0;
			/* FALLTHROUGH */
		case RB_OP_ARG:
			if (!str_ok(rb_get32(c + i + 5), strlen_))
				return 0;
			break;
		case RB_OP_CLIENT4:
			if (c[i + 1] > 32)
				return 0;
			break;
		case RB_OP_CLIENT6:
			if (c[i + 1] > 128)
				return 0;
			break;
		}
		if (++sp > RB_STACK_MAX)
			return 0;
		i += 1 + need;
	}
	return sp == 1;
}

static int
rule_ok(const unsigned char *r, const struct sect *code, uint32_t nplist,
    uint32_t strlen_, const unsigned char *codep)
{
	uint32_t	 text, pl, pc, co, cl;

	if (r[RB_R_ACTION] < RULES_ACCEPT || r[RB_R_ACTION] > RULES_ACTION_MAX)
		return 0;
	if (r[RB_R_TLS] > RULES_TLS_IMPLICIT)
		return 0;
	text = rb_get32(r + RB_R_TEXT);
	if (text != RB_NONE && !str_ok(text, strlen_))
		return 0;
	pl = rb_get32(r + RB_R_PLIST);
	pc = rb_get32(r + RB_R_PCOUNT);
	if (pl > nplist || pc > nplist - pl)
		return 0;
	co = rb_get32(r + RB_R_CODE);
	cl = rb_get32(r + RB_R_CODELEN);
	if (co > code->len || cl > code->len - co)
		return 0;
	return code_ok(codep + co, cl, strlen_);
}

static int
key_cmp(const unsigned char *a, const unsigned char *b, const char *str)
{
	int	 c;

	if (a[RB_K_PROTO] != b[RB_K_PROTO])
		return a[RB_K_PROTO] - b[RB_K_PROTO];
	if (a[RB_K_TABLE] != b[RB_K_TABLE])
		return a[RB_K_TABLE] - b[RB_K_TABLE];
	if ((c = strcmp(str + rb_get32(a + RB_K_K1),
	    str + rb_get32(b + RB_K_K1))) != 0)
		return c;
	if (a[RB_K_KIND] != b[RB_K_KIND])
		return a[RB_K_KIND] - b[RB_K_KIND];
	return strcmp(str + rb_get32(a + RB_K_K3), str + rb_get32(b + RB_K_K3));
}

static int
keys_ok(const unsigned char *k, uint32_t nkeys, uint32_t nrules,
    const char *str, uint32_t strlen_)
{
	uint32_t	 i, first, count;

	for (i = 0; i < nkeys; i++, k += RB_KEY_SIZE) {
		if (!str_ok(rb_get32(k + RB_K_K1), strlen_) ||
		    !str_ok(rb_get32(k + RB_K_K3), strlen_))
			return 0;
		if (k[RB_K_KIND] > RULES_UNTAGGED)
			return 0;
		first = rb_get32(k + RB_K_FIRST);
		count = rb_get32(k + RB_K_COUNT);
		if (first > nrules || count > nrules - first)
			return 0;
		/* binary search needs strict order */
		if (i > 0 && key_cmp(k - RB_KEY_SIZE, k, str) >= 0)
			return 0;
	}
	return 1;
}

int
rules_blob_check(const void *data, size_t size)
{
	const unsigned char	*b = data;
	struct sect		 keys, rules, plist, code, str;
	uint32_t		 nkeys, nrules, nplist, i, file;

	if (b == NULL || size < RB_HDR_SIZE || size > UINT32_MAX)
		return -1;
	if (rb_get32(b + RB_H_MAGIC) != RB_MAGIC ||
	    rb_get32(b + RB_H_VERSION) != RB_VERSION ||
	    rb_get32(b + RB_H_SIZE) != size)
		return -1;
	nkeys = rb_get32(b + RB_H_NKEYS);
	nrules = rb_get32(b + RB_H_NRULES);
	nplist = rb_get32(b + RB_H_NPLIST);
	keys = (struct sect){ rb_get32(b + RB_H_KEYS),
	    (uint64_t)nkeys * RB_KEY_SIZE };
	rules = (struct sect){ rb_get32(b + RB_H_RULES),
	    (uint64_t)nrules * RB_RULE_SIZE };
	plist = (struct sect){ rb_get32(b + RB_H_PLIST), (uint64_t)nplist * 4 };
	code = (struct sect){ rb_get32(b + RB_H_CODE),
	    rb_get32(b + RB_H_CODELEN) };
	str = (struct sect){ rb_get32(b + RB_H_STR),
	    rb_get32(b + RB_H_STRLEN) };
	if (!sect_ok(&keys, size) || !sect_ok(&rules, size) ||
	    !sect_ok(&plist, size) || !sect_ok(&code, size) ||
	    !sect_ok(&str, size))
		return -1;
	/* every string ends inside the table */
	if (str.len == 0 || b[str.off + str.len - 1] != '\0')
		return -1;
	file = rb_get32(b + RB_H_FILE);
	if (!str_ok(file, str.len))
		return -1;
	for (i = 0; i < nplist; i++)
		if (!str_ok(rb_get32(b + plist.off + 4 * i), str.len))
			return -1;
	for (i = 0; i < nrules; i++)
		if (!rule_ok(b + rules.off + (size_t)i * RB_RULE_SIZE, &code,
		    nplist, str.len, b + code.off))
			return -1;
	if (!keys_ok(b + keys.off, nkeys, nrules, (const char *)b + str.off,
	    str.len))
		return -1;
	return 0;
}

const char *
rules_blob_file(const void *data)
{
	const uint8_t	*b = data;

	return (const char *)b + rb_get32(b + RB_H_STR) +
	    rb_get32(b + RB_H_FILE);
}
