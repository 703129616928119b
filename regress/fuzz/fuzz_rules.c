/*
 * libFuzzer entry point for postern.rules(5): the input is rule text.
 * Whatever it is, the compiler answers with a blob or a placed error;
 * a blob it makes passes rules_blob_check() and answers queries with
 * strings inside itself; the same blob with one byte changed is refused
 * or still answers safely.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
in_blob(const unsigned char *b, size_t n, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	if (p < b || p >= b + n || memchr(p, '\0', (size_t)(b + n - p)) == NULL)
		abort();
}

static void
queries(const unsigned char *b, size_t n)
{
	static const char	*keys[] = { "LOGIN", "*", "GREETING", "X",
	    NULL };
	static const struct rules_idfield id[2] = { { "name", "T" },
	    { "Version", "" } };
	struct rules_arg	 args[2] = { { "INBOX", 5 }, { NULL, 7 } };
	struct rules_query	 q;
	struct rules_verdict	 v;
	char			 out[256];
	size_t			 i, k;
	int			 p, t;

	for (p = RULES_IMAP; p <= RULES_POP3; p++)
		for (t = RULES_CONNECT; t <= RULES_LIST; t++)
			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
				memset(&q, 0, sizeof(q));
				q.proto = p;
				q.table = t;
				q.key = keys[i];
				q.kind = (int)i % 3;
				q.name = i & 1 ? "OK" : "*";
				q.tls = (int)i & 1;
				q.state = (int)i;
				q.user = i & 2 ? "guest1" : NULL;
				q.family = i & 1 ? AF_INET6 : AF_INET;
				q.addr[0] = 10;
				q.listener = "imaps";
				q.port = 993;
				q.mailbox = "Private/x";
				q.args = args;
				q.nargs = i % 3;
				q.id = id;
				q.nid = i % 3;
				q.ja4 = i & 1 ?
				    "t13d1516h2_8daaf6152771_e5627efa2ab1" :
				    NULL;
				if (rules_match(b, &q, &v) != 0)
					abort();
				in_blob(b, n, v.file);
				if (v.text != NULL) {
					in_blob(b, n, v.text);
					(void)rules_expand(v.text, args,
					    q.nargs, out, sizeof(out));
				}
				for (k = 0; k < v.nuntagged; k++)
					in_blob(b, n, rules_untagged(&v, k));
			}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_blob	 b;
	struct rules_error	 e;
	unsigned char		*c;

	if (rules_compile((const char *)data, size, "f.rules", &b, &e) != 0) {
		if (b.data != NULL || strncmp(e.msg, "f.rules:", 8) != 0)
			abort();
		return 0;
	}
	if (rules_blob_check(b.data, b.size) != 0)
		abort();
	queries(b.data, b.size);
	/* one byte of the blob changed, chosen by the input */
	if (size > 0 && (c = malloc(b.size)) != NULL) {
		memcpy(c, b.data, b.size);
		c[(data[0] * 257u + size) % b.size] ^= data[size - 1] | 1;
		if (rules_blob_check(c, b.size) == 0)
			queries(c, b.size);
		free(c);
	}
	rules_blob_free(&b);
	return 0;
}
