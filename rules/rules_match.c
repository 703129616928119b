/*
 * Answering a query from a checked blob in place: a binary search for
 * each candidate key, then the key's rules in order, each condition run
 * as postfix bytecode over a bit stack.  No allocation, no unpacking;
 * the blob must have passed rules_blob_check(), so offsets are trusted.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "rules_blob.h"

struct blob {
	const unsigned char	*b;
	const char		*str;
	const unsigned char	*code;
	const unsigned char	*keys;
	const unsigned char	*rules;
	uint32_t		 nkeys;
};

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

/* the query's key, upper-cased, against a stored (upper-case) key */
static int
cmp_ci(const char *q, const char *s)
{
	const unsigned char	*a = (const unsigned char *)q;
	const unsigned char	*b = (const unsigned char *)s;

	for (; upper(*a) == *b; a++, b++)
		if (*a == '\0')
			return 0;
	return upper(*a) - *b;
}

static int
key_cmp(const struct blob *bl, const unsigned char *k, int proto, int table,
    const char *k1, int kind, const char *k3)
{
	int	 c;

	if (proto != k[RB_K_PROTO])
		return proto - k[RB_K_PROTO];
	if (table != k[RB_K_TABLE])
		return table - k[RB_K_TABLE];
	if ((c = cmp_ci(k1, bl->str + rb_get32(k + RB_K_K1))) != 0)
		return c;
	if (kind != k[RB_K_KIND])
		return kind - k[RB_K_KIND];
	return cmp_ci(k3, bl->str + rb_get32(k + RB_K_K3));
}

static const unsigned char *
key_find(const struct blob *bl, int proto, int table, const char *k1,
    int kind, const char *k3)
{
	uint32_t		 lo = 0, hi = bl->nkeys, mid;
	const unsigned char	*k;
	int			 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = bl->keys + (size_t)mid * RB_KEY_SIZE;
		if ((c = key_cmp(bl, k, proto, table, k1, kind, k3)) == 0)
			return k;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* '*' any run, '?' any byte, '\' quotes the next; case matters */
static int
glob(const char *p, const char *s, size_t len)
{
	const char	*star = NULL;
	size_t		 i = 0, mark = 0;

	while (i < len) {
		if (*p == '*') {
			star = ++p;
			mark = i;
			continue;
		}
		if (*p == '?') {
			p++;
			i++;
			continue;
		}
		if (*p != '\0') {
			const char	*lit = p;
			size_t		 adv = 1;

			if (*p == '\\' && p[1] != '\0') {
				lit = p + 1;
				adv = 2;
			}
			if (*lit == s[i]) {
				p += adv;
				i++;
				continue;
			}
		}
		if (star == NULL)
			return 0;
		p = star;
		i = ++mark;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static int
glob_str(const char *p, const char *s)
{
	return s != NULL && glob(p, s, strlen(s));
}

static int
prefix_eq(const uint8_t *a, const unsigned char *net, unsigned bits)
{
	unsigned	 n = bits / 8, r = bits % 8;

	if (memcmp(a, net, n) != 0)
		return 0;
	return r == 0 || ((a[n] ^ net[n]) & (0xff00 >> r) & 0xff) == 0;
}

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
client_v4(const struct rules_query *q, const unsigned char *op)
{
	if (q->family == AF_INET)
		return prefix_eq(q->addr, op + 2, op[1]);
	if (q->family == AF_INET6 && memcmp(q->addr, v4mapped, 12) == 0)
		return prefix_eq(q->addr + 12, op + 2, op[1]);
	return 0;
}

static int
arg_match(const struct rules_query *q, uint32_t n, const char *p)
{
	const struct rules_arg	*a;

	if (n == 0 || n > q->nargs)
		return 0;
	a = &q->args[n - 1];
	return a->s != NULL && glob(p, a->s, a->len);
}

/* ASCII only, as the field names of RFC 2971 are. */
static int
same_name(const char *a, const char *b)
{
	for (; upper((unsigned char)*a) == upper((unsigned char)*b); a++, b++)
		if (*a == '\0')
			return 1;
	return 0;
}

/* The first ID field of that name, its value against the glob. */
static int
id_match(const struct rules_query *q, const char *name, const char *p)
{
	size_t	 i;

	for (i = 0; i < q->nid; i++)
		if (q->id[i].key != NULL && same_name(name, q->id[i].key))
			return glob_str(p, q->id[i].value);
	return 0;
}

static int
eval(const struct blob *bl, const unsigned char *c, uint32_t len,
    const struct rules_query *q)
{
	const char	*str = bl->str;
	uint64_t	 st = 0;
	uint32_t	 i = 0;
	int		 v;

	if (len == 0)
		return 1;
	while (i < len) {
		switch (c[i]) {
		case RB_OP_NOT:
			st ^= 1;
			i++;
			continue;
		case RB_OP_AND:
			st = (st >> 1) & ((st & 1) | ~(uint64_t)1);
			i++;
			continue;
		case RB_OP_OR:
			st = (st >> 1) | (st & 1);
			i++;
			continue;
		case RB_OP_TLS:
			v = q->tls != 0;
			i += 1;
			break;
		case RB_OP_STATE:
			v = q->state == c[i + 1];
			i += 2;
			break;
		case RB_OP_USER:
			v = glob_str(str + rb_get32(c + i + 1), q->user);
			i += 5;
			break;
		case RB_OP_MAILBOX:
			v = glob_str(str + rb_get32(c + i + 1), q->mailbox);
			i += 5;
			break;
		case RB_OP_LISTENER:
			v = q->listener != NULL &&
			    strcmp(str + rb_get32(c + i + 1), q->listener) == 0;
			i += 5;
			break;
		case RB_OP_PORT:
			v = q->port == rb_get32(c + i + 1);
			i += 5;
			break;
		case RB_OP_CLIENT4:
			v = client_v4(q, c + i);
			i += 6;
			break;
		case RB_OP_CLIENT6:
			v = q->family == AF_INET6 &&
			    prefix_eq(q->addr, c + i + 2, c[i + 1]);
			i += 18;
			break;
		case RB_OP_ARG:
			v = arg_match(q, rb_get32(c + i + 1),
			    str + rb_get32(c + i + 5));
			i += 9;
			break;
		case RB_OP_ID:
			v = id_match(q, str + rb_get32(c + i + 1),
			    str + rb_get32(c + i + 5));
			i += 9;
			break;
		case RB_OP_JA4:
			v = glob_str(str + rb_get32(c + i + 1), q->ja4);
			i += 5;
			break;
		default:
			/* rules_blob_check() lets none through */
			return 0;
		}
		st = (st << 1) | (uint64_t)v;
	}
	return (int)(st & 1);
}

static void
blob_open(struct blob *bl, const void *data)
{
	bl->b = data;
	bl->str = (const char *)bl->b + rb_get32(bl->b + RB_H_STR);
	bl->code = bl->b + rb_get32(bl->b + RB_H_CODE);
	bl->keys = bl->b + rb_get32(bl->b + RB_H_KEYS);
	bl->rules = bl->b + rb_get32(bl->b + RB_H_RULES);
	bl->nkeys = rb_get32(bl->b + RB_H_NKEYS);
}

static void
decide(const struct blob *bl, const unsigned char *r,
    struct rules_verdict *v)
{
	uint32_t	 text = rb_get32(r + RB_R_TEXT);

	v->action = r[RB_R_ACTION];
	v->tls = r[RB_R_TLS];
	v->text = text == RB_NONE ? NULL : bl->str + text;
	v->line = rb_get32(r + RB_R_LINE);
	v->col = rb_get32(r + RB_R_COL);
	v->plist_ = rb_get32(r + RB_R_PLIST);
	v->nuntagged = rb_get32(r + RB_R_PCOUNT);
}

/* the rules of one key; 1 when one of them decided */
static int
try_key(const struct blob *bl, const unsigned char *k,
    const struct rules_query *q, struct rules_verdict *v)
{
	uint32_t		 i, first, count;
	const unsigned char	*r;

	if (k == NULL)
		return 0;
	first = rb_get32(k + RB_K_FIRST);
	count = rb_get32(k + RB_K_COUNT);
	for (i = 0; i < count; i++) {
		r = bl->rules + (size_t)(first + i) * RB_RULE_SIZE;
		if (r[RB_R_FLAGS] & RB_RF_ARGS)
			v->cacheable = 0;
		if (eval(bl, bl->code + rb_get32(r + RB_R_CODE),
		    rb_get32(r + RB_R_CODELEN), q)) {
			decide(bl, r, v);
			return 1;
		}
	}
	return 0;
}

/*
 * Responses try (command, kind, name) with "*" for the command, then
 * "*" for the name, then "all" for the kind, most specific first:
 * command before name before kind.
 */
static int
match_response(const struct blob *bl, const struct rules_query *q,
    struct rules_verdict *v)
{
	const char	*cmd[2] = { q->key ? q->key : "", "*" };
	const char	*name[2] = { q->name ? q->name : "", "*" };
	int		 kind[2] = { q->kind, RULES_ALL };
	int		 c, n, t, nk;

	nk = q->proto == RULES_POP3 || q->kind == RULES_ALL ? 1 : 2;
	if (q->proto == RULES_POP3)
		kind[0] = RULES_ALL;
	for (c = 0; c < 2; c++)
		for (n = 0; n < 2; n++)
			for (t = 0; t < nk; t++)
				if (try_key(bl, key_find(bl, q->proto,
				    RULES_RESPONSE, cmd[c], kind[t], name[n]),
				    q, v))
					return 1;
	return 0;
}

int
rules_match(const void *data, const struct rules_query *q,
    struct rules_verdict *v)
{
	struct blob		 bl;
	const unsigned char	*k;
	const char		*key = q->key != NULL ? q->key : "";
	int			 done;

	memset(v, 0, sizeof(*v));
	if ((q->proto != RULES_IMAP && q->proto != RULES_POP3) ||
	    q->table < RULES_CONNECT || q->table > RULES_TABLE_MAX)
		return -1;
	blob_open(&bl, data);
	v->blob_ = bl.b;
	v->file = bl.str + rb_get32(bl.b + RB_H_FILE);
	v->cacheable = 1;
	switch (q->table) {
	case RULES_RESPONSE:
		done = match_response(&bl, q, v);
		break;
	case RULES_CONNECT:
		/*
		 * No connect rule at all: accept, line 0, which the worker
		 * takes as "the listener's mode"; rules none of which
		 * holds refuse the connection, below.
		 */
		k = key_find(&bl, q->proto, q->table, "tls", 0, "");
		if (k == NULL) {
			v->action = RULES_ACCEPT;
			return 0;
		}
		done = try_key(&bl, k, q, v);
		break;
	case RULES_ROUTE:
		/* No route holds: accept, line 0, the listener's upstream. */
		if (!try_key(&bl, key_find(&bl, q->proto, q->table, "*", 0,
		    ""), q, v))
			v->action = RULES_ACCEPT;
		return 0;
	case RULES_LIST:
		key = "*";
		/* FALLTHROUGH */
	default:
		done = try_key(&bl, key_find(&bl, q->proto, q->table, key, 0,
		    ""), q, v) || (strcmp(key, "*") != 0 && try_key(&bl,
		    key_find(&bl, q->proto, q->table, "*", 0, ""), q, v));
		break;
	}
	if (!done)
		v->action = q->table == RULES_CAPABILITY ? RULES_DROP :
		    q->table == RULES_LIST ? RULES_ACCEPT : RULES_REJECT;
	return 0;
}

const char *
rules_untagged(const struct rules_verdict *v, size_t i)
{
	const unsigned char	*b = v->blob_;
	const char		*str;

	if (b == NULL || i >= v->nuntagged)
		return NULL;
	str = (const char *)b + rb_get32(b + RB_H_STR);
	return str + rb_get32(b + rb_get32(b + RB_H_PLIST) +
	    (size_t)(v->plist_ + i) * 4);
}

void
rules_each_route(const void *data, void (*fn)(void *, enum rules_proto,
    const char *, unsigned), void *arg)
{
	struct blob		 bl;
	const unsigned char	*k, *r;
	uint32_t		 i, j, first, count, text;

	blob_open(&bl, data);
	for (i = 0; i < bl.nkeys; i++) {
		k = bl.keys + (size_t)i * RB_KEY_SIZE;
		if (k[RB_K_TABLE] != RULES_ROUTE)
			continue;
		first = rb_get32(k + RB_K_FIRST);
		count = rb_get32(k + RB_K_COUNT);
		for (j = 0; j < count; j++) {
			r = bl.rules + (size_t)(first + j) * RB_RULE_SIZE;
			text = rb_get32(r + RB_R_TEXT);
			if (r[RB_R_ACTION] == RULES_ROUTE_TO && text != RB_NONE)
				fn(arg, k[RB_K_PROTO], bl.str + text,
				    rb_get32(r + RB_R_LINE));
		}
	}
}
