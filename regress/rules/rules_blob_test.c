/*
 * The blob of postern.rules(5) as policyd reads it back from storage
 * (rules_blob.c): one cut short or with a byte changed is refused by
 * rules_blob_check() or still matches without a read outside it, and a
 * condition too deep for the matcher's stack is refused.
 */
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "rules.h"
#include "rules_blob.h"
#include "rules_harness.h"

/* A blob cut short anywhere, or with any byte changed, is refused or
 * still matches safely: never a read outside it. */
static const char small[] =
    "imap request LOGIN reject \"x\" unless tls and client 10.0.0.0/8\n"
    "imap request SELECT rewrite \"EXAMINE $1\" if arg 1 ~ \"P*\" or "
    "not client ::1\n"
    "imap request C respond \"OK\" untagged \"A\" untagged \"B\"\n"
    "imap response * untagged OK drop if user u and listener l\n"
    "imap list hide \"x*\" if mailbox y or port 3\n"
    "imap connect tls implicit if state selected\n"
    "imap capability IDLE drop if id name \"T*\" or ja4 \"t13*\"\n"
    "imap request * accept\n";

/* a string the matcher returns lies in the blob, NUL and all */
static void
inside(const unsigned char *b, size_t n, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	ATF_REQUIRE(p >= b && p < b + n);
	ATF_REQUIRE(memchr(p, '\0', (size_t)(b + n - p)) != NULL);
}

static void
poke(const unsigned char *b, size_t n)
{
	static const char	*keys[] = { "LOGIN", "SELECT", "C", "X",
	    "IDLE" };
	static const struct rules_idfield idf[1] = { { "name", "Tb" } };
	struct rules_arg	 arg = { "Pa", 2 };
	struct rules_query	 q;
	struct rules_verdict	 v;
	size_t			 i, t;

	if (rules_blob_check(b, n) != 0)
		return;
	for (t = RULES_CONNECT; t <= RULES_LIST; t++)
		for (i = 0; i < 5; i++) {
			q = query(RULES_IMAP, t, keys[i]);
			q.kind = RULES_UNTAGGED;
			q.name = "OK";
			q.user = "u";
			q.listener = "l";
			q.mailbox = "y";
			q.args = &arg;
			q.nargs = 1;
			q.tls = (int)i & 1;
			q.id = idf;
			q.nid = 1;
			q.ja4 = i & 2 ? "t13d0000h2_000000000000_000000000000" :
			    NULL;
			set_addr(&q, "::1");
			ATF_REQUIRE_EQ(rules_match(b, &q, &v), 0);
			if (v.text != NULL)
				inside(b, n, v.text);
			inside(b, n, v.file);
			for (size_t k = 0; k < v.nuntagged; k++)
				inside(b, n, rules_untagged(&v, k));
		}
}

ATF_TC_WITHOUT_HEAD(blob_truncated);
ATF_TC_BODY(blob_truncated, tc)
{
	unsigned char	*c;
	size_t		 n;

	compile_ok(small);
	poke(B.data, B.size);
	for (n = 0; n < B.size; n++) {
		/* an exact-size copy, so a read past it is caught */
		c = malloc(n ? n : 1);
		ATF_REQUIRE(c != NULL);
		memcpy(c, B.data, n);
		ATF_CHECK_EQ_MSG(rules_blob_check(c, n), -1, "length %zu", n);
		free(c);
	}
	ATF_CHECK_EQ(rules_blob_check(NULL, 0), -1);
	rules_blob_free(&B);
}

ATF_TC_WITHOUT_HEAD(blob_corrupted);
ATF_TC_BODY(blob_corrupted, tc)
{
	static const unsigned char	 flips[] = { 0x01, 0x02, 0x04, 0x08,
	    0x10, 0x20, 0x40, 0x80, 0xff };
	unsigned char			*c;
	size_t				 i, f, refused = 0;

	compile_ok(small);
	c = malloc(B.size);
	ATF_REQUIRE(c != NULL);
	for (i = 0; i < B.size; i++)
		for (f = 0; f < sizeof(flips); f++) {
			memcpy(c, B.data, B.size);
			c[i] ^= flips[f];
			if (rules_blob_check(c, B.size) != 0)
				refused++;
			poke(c, B.size);
		}
	/* the header, offsets and opcodes are all checked */
	ATF_CHECK(refused > B.size);
	memcpy(c, B.data, B.size);
	c[0] ^= 1;
	ATF_CHECK_EQ(rules_blob_check(c, B.size), -1);
	/* the string table's last string must end inside it */
	memcpy(c, B.data, B.size);
	c[B.size - 1] = 'x';
	ATF_CHECK_EQ(rules_blob_check(c, B.size), -1);
	free(c);
	rules_blob_free(&B);
}

/* A condition whose stack would outgrow the matcher's is refused. */
ATF_TC_WITHOUT_HEAD(blob_deep_stack);
ATF_TC_BODY(blob_deep_stack, tc)
{
	char		 src[1024] = "imap request A accept if tls";
	unsigned char	*b, *code;
	int		 i, leaves = RB_STACK_MAX + 1;

	for (i = 1; i < leaves; i++)
		strcat(src, " or tls");
	compile_ok(src);
	b = B.data;
	code = b + rb_get32(b + RB_H_CODE);
	ATF_REQUIRE_EQ(rb_get32(b + RB_H_CODELEN), 2 * leaves - 1);
	/* the same ops in another order: every leaf first */
	memset(code, RB_OP_TLS, leaves);
	memset(code + leaves, RB_OP_OR, leaves - 1);
	ATF_CHECK_EQ(rules_blob_check(B.data, B.size), -1);
	/* one leaf fewer fits */
	memset(code, RB_OP_TLS, 1);
	memset(code + 1, RB_OP_TLS, leaves - 2);
	memset(code + leaves - 1, RB_OP_OR, leaves - 2);
	code[2 * leaves - 3] = RB_OP_NOT;
	code[2 * leaves - 2] = RB_OP_NOT;
	ATF_CHECK_EQ(rules_blob_check(B.data, B.size), 0);
	rules_blob_free(&B);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, blob_truncated);
	ATF_TP_ADD_TC(tp, blob_corrupted);
	ATF_TP_ADD_TC(tp, blob_deep_stack);
	return atf_no_error();
}
