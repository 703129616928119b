/*
 * The policy channel's codec (policy_codec.h): queries and verdicts
 * round trip, their bodies are laid out as proto_policy.h says byte for
 * byte, and a body that is not exactly one is refused.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include "policy_codec.h"

#define BODY_MAX	(1024 * 1024)

static uint8_t	 body[BODY_MAX];
static uint8_t	 want[BODY_MAX];

/* The client's ID: a field with an empty value, one with a space. */
static const struct rules_idfield idfields[3] = {
	{ "name", "Thunderbird" }, { "x-empty", "" },
	{ "os", "Linux 6.1" } };

/* A query with every field set and three kinds of argument. */
static void
full_query(struct rules_query *q, struct rules_arg *a)
{
	static const uint8_t	 addr[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
				    0, 0, 0, 0, 0, 0, 0, 0, 0x42 };

	memset(q, 0, sizeof(*q));
	q->proto = RULES_IMAP;
	q->table = RULES_RESPONSE;
	q->key = "SELECT";
	q->kind = RULES_UNTAGGED;
	q->name = "EXISTS";
	q->tls = 1;
	q->state = RULES_ST_SELECTED;
	q->user = "alice@example.org";
	q->family = AF_INET6;
	memcpy(q->addr, addr, sizeof(q->addr));
	q->listener = "imaps";
	q->port = 993;
	q->mailbox = "Archive/2024";
	a[0].s = "INBOX";
	a[0].len = 5;
	a[1].s = NULL;			/* a literal of 4096 bytes */
	a[1].len = 4096;
	a[2].s = "";
	a[2].len = 0;
	a[3].s = "(\\Seen)";
	a[3].len = 7;
	q->args = a;
	q->nargs = 4;
	q->id = idfields;
	q->nid = 3;
	q->ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
}

static size_t
encode(const struct rules_query *q, uint64_t id)
{
	size_t	 n;

	n = policy_query_size(q, sizeof(body));
	ATF_REQUIRE(n > 0);
	policy_query_encode(q, id, body);
	return n;
}

static void
check_str(const char *got, const char *sent)
{
	if (sent == NULL)
		ATF_CHECK(got == NULL);
	else {
		ATF_REQUIRE(got != NULL);
		ATF_CHECK_STREQ(got, sent);
	}
}

/* q decoded from the body is the query sent. */
static void
check_query(const struct rules_query *got, const struct rules_query *q)
{
	size_t	 i;

	ATF_CHECK_EQ(got->proto, q->proto);
	ATF_CHECK_EQ(got->table, q->table);
	ATF_CHECK_EQ(got->kind, q->kind);
	ATF_CHECK_EQ(got->state, q->state);
	ATF_CHECK_EQ(got->tls, q->tls ? 1 : 0);
	ATF_CHECK_EQ(got->family, q->family);
	ATF_CHECK(memcmp(got->addr, q->addr, sizeof(q->addr)) == 0);
	ATF_CHECK_EQ(got->port, q->port);
	check_str(got->key, q->key);
	check_str(got->name, q->name);
	check_str(got->user, q->user);
	check_str(got->listener, q->listener);
	check_str(got->mailbox, q->mailbox);
	check_str(got->ja4, q->ja4);
	ATF_REQUIRE_EQ(got->nid, q->nid);
	if (q->nid == 0)
		ATF_CHECK(got->id == NULL);
	for (i = 0; i < q->nid; i++) {
		check_str(got->id[i].key, q->id[i].key);
		check_str(got->id[i].value, q->id[i].value);
	}
	ATF_REQUIRE_EQ(got->nargs, q->nargs);
	if (q->nargs == 0)
		ATF_CHECK(got->args == NULL);
	for (i = 0; i < q->nargs; i++) {
		ATF_CHECK_EQ_MSG(got->args[i].len, q->args[i].len, "arg %zu",
		    i);
		if (q->args[i].s == NULL) {
			ATF_CHECK_MSG(got->args[i].s == NULL, "arg %zu", i);
			continue;
		}
		ATF_REQUIRE_MSG(got->args[i].s != NULL, "arg %zu", i);
		ATF_CHECK_MSG(memcmp(got->args[i].s, q->args[i].s,
		    q->args[i].len) == 0, "arg %zu", i);
	}
}

static void
append(uint8_t *b, size_t *off, const void *p, size_t n)
{
	if (n > 0)
		memcpy(b + *off, p, n);
	*off += n;
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

/* The body as proto_policy.h lays it out, written out by hand. */
static size_t
layout_query(const struct rules_query *q, uint64_t id, uint8_t *b)
{
	struct policy_query	 pq;
	struct policy_idfield	 pf;
	struct policy_arg	 pa;
	size_t			 off = 0, i;

	memset(&pq, 0, sizeof(pq));
	pq.id = id;
	pq.proto = q->proto;
	pq.table = q->table;
	pq.kind = q->kind;
	pq.state = q->state;
	pq.tls = q->tls ? 1 : 0;
	pq.family = (uint32_t)q->family;
	memcpy(pq.addr, q->addr, sizeof(pq.addr));
	pq.port = q->port;
	pq.nargs = (uint32_t)q->nargs;
	pq.keylen = (uint16_t)slen(q->key);
	pq.namelen = (uint16_t)slen(q->name);
	pq.userlen = (uint16_t)slen(q->user);
	pq.listenerlen = (uint16_t)slen(q->listener);
	pq.mailboxlen = (uint16_t)slen(q->mailbox);
	pq.ja4len = (uint16_t)slen(q->ja4);
	pq.nid = (uint16_t)q->nid;
	append(b, &off, &pq, sizeof(pq));
	append(b, &off, q->key, slen(q->key));
	append(b, &off, q->name, slen(q->name));
	append(b, &off, q->user, slen(q->user));
	append(b, &off, q->listener, slen(q->listener));
	append(b, &off, q->mailbox, slen(q->mailbox));
	append(b, &off, q->ja4, slen(q->ja4));
	for (i = 0; i < q->nid; i++) {
		pf.keylen = (uint16_t)slen(q->id[i].key);
		pf.valuelen = (uint16_t)slen(q->id[i].value);
		append(b, &off, &pf, sizeof(pf));
	}
	for (i = 0; i < q->nid; i++) {
		append(b, &off, q->id[i].key, slen(q->id[i].key));
		append(b, &off, q->id[i].value, slen(q->id[i].value));
	}
	for (i = 0; i < q->nargs; i++) {
		pa.len = (uint32_t)q->args[i].len;
		pa.flags = q->args[i].s == NULL ? POLICY_ARG_LITERAL : 0;
		append(b, &off, &pa, sizeof(pa));
	}
	for (i = 0; i < q->nargs; i++)
		if (q->args[i].s != NULL)
			append(b, &off, q->args[i].s, q->args[i].len);
	return off;
}

/* Every prefix of a good body is refused, and so is one more byte. */
static void
check_cut(size_t n, size_t step)
{
	static struct policy_query_room	 room;
	struct rules_query		 got;
	uint64_t			 id;
	size_t				 k;

	for (k = 0; k < n; k += k + step < n ? step : 1)
		ATF_CHECK_EQ_MSG(policy_query_decode(body, k, sizeof(body), &id,
		    &got, &room), -1, "%zu of %zu bytes", k, n);
	body[n] = 'x';
	ATF_CHECK_EQ(policy_query_decode(body, n + 1, sizeof(body), &id, &got,
	    &room), -1);
}

ATF_TC_WITHOUT_HEAD(query_round_trip);
ATF_TC_BODY(query_round_trip, tc)
{
	static struct policy_query_room	 room;
	struct rules_query		 q, got;
	struct rules_arg		 a[4];
	uint64_t			 id = 0;
	size_t				 n;

	full_query(&q, a);
	n = encode(&q, 0x1122334455667788ULL);
	ATF_REQUIRE_EQ(layout_query(&q, 0x1122334455667788ULL, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(policy_query_decode(body, n, n, &id, &got, &room), 0);
	ATF_CHECK_EQ(id, 0x1122334455667788ULL);
	check_query(&got, &q);
	/* The arguments' text is the body's, the strings are copies. */
	ATF_CHECK((const uint8_t *)got.args[0].s > body &&
	    (const uint8_t *)got.args[0].s < body + n);
	ATF_CHECK(got.key == room.str[0]);
	check_cut(n, 1);
}

ATF_TC_WITHOUT_HEAD(query_absent);
ATF_TC_BODY(query_absent, tc)
{
	static struct policy_query_room	 room;
	struct rules_query		 q, got;
	uint64_t			 id;
	size_t				 n;

	memset(&q, 0, sizeof(q));
	q.proto = RULES_POP3;
	q.table = RULES_CONNECT;
	q.family = AF_INET;
	q.addr[0] = 192;
	q.addr[3] = 7;
	n = encode(&q, 1);
	ATF_CHECK_EQ(n, sizeof(struct policy_query));
	ATF_REQUIRE_EQ(layout_query(&q, 1, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(policy_query_decode(body, n, n, &id, &got, &room), 0);
	ATF_CHECK_EQ(id, 1);
	check_query(&got, &q);
}

ATF_TC_WITHOUT_HEAD(query_args_max);
ATF_TC_BODY(query_args_max, tc)
{
	static struct policy_query_room	 room;
	static struct rules_arg		 a[POLICY_ARGS_MAX + 1];
	static char			 text[POLICY_ARGS_MAX + 1][8];
	struct rules_query		 q, got;
	struct policy_query		 pq;
	uint64_t			 id;
	size_t				 n, i;

	memset(&q, 0, sizeof(q));
	q.proto = RULES_IMAP;
	q.table = RULES_REQUEST;
	q.key = "STORE";
	for (i = 0; i < POLICY_ARGS_MAX + 1; i++) {
		if (i % 3 == 2) {
			a[i].s = NULL;
			a[i].len = i * 1000;
			continue;
		}
		a[i].len = (size_t)snprintf(text[i], sizeof(text[i]), "a%zu",
		    i);
		a[i].s = text[i];
	}
	q.args = a;
	q.nargs = POLICY_ARGS_MAX;
	n = encode(&q, 256);
	ATF_REQUIRE_EQ(layout_query(&q, 256, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(policy_query_decode(body, n, n, &id, &got, &room), 0);
	check_query(&got, &q);
	check_cut(n, 7);

	/* One more is not sent, and not taken. */
	q.nargs = POLICY_ARGS_MAX + 1;
	ATF_CHECK_EQ(policy_query_size(&q, sizeof(body)), 0);
	n = layout_query(&q, 257, body);
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);
	/* Nor many more announced than there are. */
	q.nargs = 0;
	n = layout_query(&q, 258, body);
	memcpy(&pq, body, sizeof(pq));
	pq.nargs = UINT32_MAX;
	memcpy(body, &pq, sizeof(pq));
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);
}

ATF_TC_WITHOUT_HEAD(query_str_max);
ATF_TC_BODY(query_str_max, tc)
{
	static struct policy_query_room	 room;
	static char			 s[5][POLICY_STR_MAX + 2];
	struct rules_query		 q, got;
	struct policy_query		 pq;
	uint64_t			 id;
	size_t				 n, i;

	for (i = 0; i < 5; i++) {
		memset(s[i], 'a' + (int)i, POLICY_STR_MAX);
		s[i][POLICY_STR_MAX] = '\0';
	}
	memset(&q, 0, sizeof(q));
	q.proto = RULES_IMAP;
	q.table = RULES_LIST;
	q.key = s[0];
	q.name = s[1];
	q.user = s[2];
	q.listener = s[3];
	q.mailbox = s[4];
	n = encode(&q, 9);
	ATF_CHECK_EQ(n, sizeof(struct policy_query) + 5 * POLICY_STR_MAX);
	ATF_REQUIRE_EQ(layout_query(&q, 9, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(policy_query_decode(body, n, n, &id, &got, &room), 0);
	check_query(&got, &q);
	check_cut(n, 13);

	/* One byte longer, in any of the five: not sent, not taken. */
	for (i = 0; i < 5; i++) {
		s[i][POLICY_STR_MAX] = 'z';
		s[i][POLICY_STR_MAX + 1] = '\0';
		ATF_CHECK_EQ_MSG(policy_query_size(&q, sizeof(body)), 0,
		    "string %zu", i);
		n = layout_query(&q, 10, body);
		ATF_CHECK_EQ_MSG(policy_query_decode(body, n, sizeof(body),
		    &id, &got, &room), -1, "string %zu", i);
		s[i][POLICY_STR_MAX] = '\0';
	}

	/* A NUL inside a string. */
	n = layout_query(&q, 11, body);
	body[sizeof(pq) + 3] = '\0';
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);
}

/* The client's ID at its bounds: 30 fields, names 30, values 1024. */
ATF_TC_WITHOUT_HEAD(query_id_max);
ATF_TC_BODY(query_id_max, tc)
{
	static struct policy_query_room	 room;
	static char			 key[POLICY_ID_MAX + 1][RULES_ID_KEY_MAX
					    + 2];
	static char			 val[POLICY_ID_MAX + 1][
					    RULES_ID_VALUE_MAX + 2];
	static char			 ja4[POLICY_JA4_MAX + 2];
	struct rules_idfield		 f[POLICY_ID_MAX + 1];
	struct rules_query		 q, got;
	uint64_t			 id;
	size_t				 n, i;

	for (i = 0; i < POLICY_ID_MAX + 1; i++) {
		memset(key[i], 'a' + (int)(i % 26), RULES_ID_KEY_MAX);
		key[i][RULES_ID_KEY_MAX] = '\0';
		memset(val[i], 'A' + (int)(i % 26), RULES_ID_VALUE_MAX);
		val[i][RULES_ID_VALUE_MAX] = '\0';
		f[i].key = key[i];
		f[i].value = val[i];
	}
	memset(ja4, 'j', POLICY_JA4_MAX);
	memset(&q, 0, sizeof(q));
	q.proto = RULES_IMAP;
	q.table = RULES_CAPABILITY;
	q.key = "IDLE";
	q.id = f;
	q.nid = POLICY_ID_MAX;
	q.ja4 = ja4;
	n = encode(&q, 30);
	ATF_CHECK_EQ(n, sizeof(struct policy_query) + 4 + POLICY_JA4_MAX +
	    POLICY_ID_MAX * (sizeof(struct policy_idfield) +
	    RULES_ID_KEY_MAX + RULES_ID_VALUE_MAX));
	ATF_REQUIRE_EQ(layout_query(&q, 30, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(policy_query_decode(body, n, n, &id, &got, &room), 0);
	check_query(&got, &q);
	check_cut(n, 97);
	/* Within what a channel must carry for any query at all. */
	ATF_CHECK(n <= POLICY_QUERY_FIXED);

	/* One field more, or one byte more anywhere: not sent, not taken. */
	q.nid = POLICY_ID_MAX + 1;
	ATF_CHECK_EQ(policy_query_size(&q, sizeof(body)), 0);
	q.nid = POLICY_ID_MAX;
	key[3][RULES_ID_KEY_MAX] = 'z';
	ATF_CHECK_EQ(policy_query_size(&q, sizeof(body)), 0);
	n = layout_query(&q, 31, body);
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);
	key[3][RULES_ID_KEY_MAX] = '\0';
	val[29][RULES_ID_VALUE_MAX] = 'z';
	ATF_CHECK_EQ(policy_query_size(&q, sizeof(body)), 0);
	n = layout_query(&q, 32, body);
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);
	val[29][RULES_ID_VALUE_MAX] = '\0';
	ja4[POLICY_JA4_MAX] = 'j';
	ATF_CHECK_EQ(policy_query_size(&q, sizeof(body)), 0);
	n = layout_query(&q, 33, body);
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);
	ja4[POLICY_JA4_MAX] = '\0';
	/* An empty name is not sent either. */
	key[0][0] = '\0';
	ATF_CHECK_EQ(policy_query_size(&q, sizeof(body)), 0);
	key[0][0] = 'a';
	/* Nor fields without their array. */
	q.id = NULL;
	ATF_CHECK_EQ(policy_query_size(&q, sizeof(body)), 0);
	/* An empty value is. */
	q.id = f;
	val[7][0] = '\0';
	n = encode(&q, 34);
	ATF_REQUIRE_EQ(policy_query_decode(body, n, n, &id, &got, &room), 0);
	check_query(&got, &q);
	ATF_CHECK_STREQ(got.id[7].value, "");
}

ATF_TC_WITHOUT_HEAD(query_malformed);
ATF_TC_BODY(query_malformed, tc)
{
	static struct policy_query_room	 room;
	struct rules_query		 q, got;
	struct rules_arg		 a[4];
	struct policy_query		 pq;
	struct policy_arg		 pa;
	uint64_t			 id;
	size_t				 n, i;
	struct {
		const char	*what;
		size_t		 off;		/* of a uint32_t or uint16_t */
		size_t		 size;
		uint32_t	 val;
	} bad[] = {
		{ "key past the end", offsetof(struct policy_query, keylen),
		    2, POLICY_STR_MAX },
		{ "mailbox past the end", offsetof(struct policy_query,
		    mailboxlen), 2, POLICY_STR_MAX },
		{ "too many arguments", offsetof(struct policy_query, nargs),
		    4, POLICY_ARGS_MAX + 1 },
		{ "arguments past the end", offsetof(struct policy_query,
		    nargs), 4, 5 },
		{ "tls 2", offsetof(struct policy_query, tls), 4, 2 },
		{ "kind", offsetof(struct policy_query, kind), 4,
		    RULES_UNTAGGED + 1 },
		{ "state", offsetof(struct policy_query, state), 4,
		    RULES_ST_TRANSACTION + 1 },
		{ "port", offsetof(struct policy_query, port), 4, 65536 },
		{ "family", offsetof(struct policy_query, family), 4,
		    AF_UNIX },
		{ "padding", offsetof(struct policy_query, pad), 2, 1 },
		{ "ja4 too long", offsetof(struct policy_query, ja4len), 2,
		    POLICY_JA4_MAX + 1 },
		{ "too many ID fields", offsetof(struct policy_query, nid), 2,
		    POLICY_ID_MAX + 1 },
		{ "ID fields past the end", offsetof(struct policy_query,
		    nid), 2, 4 },
		{ "fewer ID fields than sent", offsetof(struct policy_query,
		    nid), 2, 2 },
	};
	uint16_t			 v16;

	full_query(&q, a);
	n = encode(&q, 5);
	memcpy(want, body, n);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(body, want, n);
		if (bad[i].size == 4)
			memcpy(body + bad[i].off, &bad[i].val, 4);
		else {
			v16 = (uint16_t)bad[i].val;
			memcpy(body + bad[i].off, &v16, 2);
		}
		ATF_CHECK_EQ_MSG(policy_query_decode(body, n, sizeof(body),
		    &id, &got, &room), -1, "%s", bad[i].what);
	}

	/* An ID field's name empty, too long, past the end; a value too. */
	memcpy(&pq, want, sizeof(pq));
	i = sizeof(pq) + pq.keylen + pq.namelen + pq.userlen + pq.listenerlen +
	    pq.mailboxlen + pq.ja4len;
	{
		struct policy_idfield	 pf, pf1;
		uint16_t		 kl[] = { 0, RULES_ID_KEY_MAX + 1,
					    4 + 11 + 7 + 1 };

		memcpy(&pf, want + i, sizeof(pf));
		ATF_REQUIRE_EQ(pf.keylen, 4);
		ATF_REQUIRE_EQ(pf.valuelen, 11);
		for (size_t k = 0; k < sizeof(kl) / sizeof(kl[0]); k++) {
			memcpy(body, want, n);
			pf1 = pf;
			pf1.keylen = kl[k];
			memcpy(body + i, &pf1, sizeof(pf1));
			ATF_CHECK_EQ_MSG(policy_query_decode(body, n,
			    sizeof(body), &id, &got, &room), -1,
			    "ID name of %u", kl[k]);
		}
		memcpy(body, want, n);
		pf1 = pf;
		pf1.valuelen = RULES_ID_VALUE_MAX + 1;
		memcpy(body + i, &pf1, sizeof(pf1));
		ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id,
		    &got, &room), -1);
		/* One byte moved from the name to the value still parses. */
		memcpy(body, want, n);
		pf1 = pf;
		pf1.keylen = 3;
		pf1.valuelen = 12;
		memcpy(body + i, &pf1, sizeof(pf1));
		ATF_REQUIRE_EQ(policy_query_decode(body, n, sizeof(body), &id,
		    &got, &room), 0);
		ATF_CHECK_STREQ(got.id[0].key, "nam");
		ATF_CHECK_STREQ(got.id[0].value, "eThunderbird");
		/* A NUL in a name, then in a value. */
		memcpy(body, want, n);
		body[i + 3 * sizeof(pf) + 1] = '\0';
		ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id,
		    &got, &room), -1);
		memcpy(body, want, n);
		body[i + 3 * sizeof(pf) + 4 + 5] = '\0';
		ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id,
		    &got, &room), -1);
		/* A NUL in the ja4. */
		memcpy(body, want, n);
		body[i - 1] = '\0';
		ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id,
		    &got, &room), -1);
	}

	/* An argument's text past the end, and an unknown flag. */
	i += 3 * sizeof(struct policy_idfield) + 4 + 11 + 7 + 2 + 9;
	memcpy(body, want, n);
	memcpy(&pa, body + i, sizeof(pa));
	pa.len += 1;
	memcpy(body + i, &pa, sizeof(pa));
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);
	memcpy(body, want, n);
	pa.len -= 1;
	pa.flags = 0x2;
	memcpy(body + i, &pa, sizeof(pa));
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);
	/* A literal's text would be trailing bytes. */
	memcpy(body, want, n);
	memcpy(&pa, body + i + sizeof(pa), sizeof(pa));
	ATF_REQUIRE_EQ(pa.flags, POLICY_ARG_LITERAL);
	pa.flags = 0;
	memcpy(body + i + sizeof(pa), &pa, sizeof(pa));
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), -1);

	/* And the good one is still good. */
	memcpy(body, want, n);
	ATF_CHECK_EQ(policy_query_decode(body, n, sizeof(body), &id, &got,
	    &room), 0);
}

ATF_TC_WITHOUT_HEAD(query_limit);
ATF_TC_BODY(query_limit, tc)
{
	static struct policy_query_room	 room;
	struct rules_query		 q, got;
	struct rules_arg		 a[4];
	uint64_t			 id;
	size_t				 n;

	full_query(&q, a);
	n = encode(&q, 3);
	ATF_CHECK_EQ(policy_query_size(&q, n), n);
	ATF_CHECK_EQ(policy_query_size(&q, n - 1), 0);
	ATF_CHECK_EQ(policy_query_decode(body, n, n, &id, &got, &room), 0);
	ATF_CHECK_EQ(policy_query_decode(body, n, n - 1, &id, &got, &room),
	    -1);
	/* A port no listener has is not sent. */
	q.port = 65536;
	ATF_CHECK_EQ(policy_query_size(&q, sizeof(body)), 0);
}

/* A respond verdict with text, file and untagged lines. */
static void
full_reply(struct policy_reply *r, struct policy_str *l, size_t nl)
{
	static const char	*line[] = { "CAPABILITY IMAP4rev1 IDLE", "",
				    "OK [ALERT] hello" };
	size_t			 i;

	memset(r, 0, sizeof(*r));
	r->id = 0x0102030405060708ULL;
	r->gen = 42;
	r->status = POLICY_OK;
	r->action = RULES_RESPOND;
	r->tls = 0;
	r->cacheable = 1;
	r->line = 17;
	r->col = 5;
	r->text.s = "OK CAPABILITY completed";
	r->text.len = strlen(r->text.s);
	r->file.s = "/etc/postern/postern.rules";
	r->file.len = strlen(r->file.s);
	for (i = 0; i < nl; i++) {
		l[i].s = line[i % 3];
		l[i].len = strlen(l[i].s);
	}
	r->nuntagged = nl;
	r->untagged = l;
}

static size_t
layout_verdict(const struct policy_reply *r, uint8_t *b)
{
	struct policy_verdict	 pv;
	size_t			 off = 0, i;
	uint16_t		 ul;

	memset(&pv, 0, sizeof(pv));
	pv.id = r->id;
	pv.gen = r->gen;
	pv.status = r->status;
	pv.action = r->action;
	pv.tls = r->tls;
	pv.cacheable = (uint32_t)r->cacheable;
	pv.line = r->line;
	pv.col = r->col;
	pv.nuntagged = (uint32_t)r->nuntagged;
	pv.textlen = (uint16_t)r->text.len;
	pv.filelen = (uint16_t)r->file.len;
	append(b, &off, &pv, sizeof(pv));
	append(b, &off, r->text.s, r->text.len);
	append(b, &off, r->file.s, r->file.len);
	for (i = 0; i < r->nuntagged; i++) {
		ul = (uint16_t)r->untagged[i].len;
		append(b, &off, &ul, sizeof(ul));
		append(b, &off, r->untagged[i].s, ul);
	}
	return off;
}

static int
same_str(const struct policy_str *a, const struct policy_str *b)
{
	return a->len == b->len && (a->len == 0 ||
	    memcmp(a->s, b->s, a->len) == 0);
}

static void
check_reply(const struct policy_reply *got, const struct policy_reply *r)
{
	size_t	 i;

	ATF_CHECK_EQ(got->id, r->id);
	ATF_CHECK_EQ(got->gen, r->gen);
	ATF_CHECK_EQ(got->status, r->status);
	ATF_CHECK_EQ(got->action, r->action);
	ATF_CHECK_EQ(got->tls, r->tls);
	ATF_CHECK_EQ(got->cacheable, r->cacheable);
	ATF_CHECK_EQ(got->line, r->line);
	ATF_CHECK_EQ(got->col, r->col);
	ATF_CHECK(same_str(&got->text, &r->text));
	ATF_CHECK(same_str(&got->file, &r->file));
	ATF_REQUIRE_EQ(got->nuntagged, r->nuntagged);
	for (i = 0; i < r->nuntagged; i++)
		ATF_CHECK_MSG(same_str(&got->untagged[i], &r->untagged[i]),
		    "line %zu", i);
}

static int
vdecode(size_t n, size_t max, struct policy_reply *got,
    struct policy_str lines[POLICY_UNTAGGED_MAX])
{
	return policy_verdict_decode(body, n, max, got, lines);
}

ATF_TC_WITHOUT_HEAD(verdict_round_trip);
ATF_TC_BODY(verdict_round_trip, tc)
{
	struct policy_str	 l[3], lines[POLICY_UNTAGGED_MAX];
	struct policy_reply	 r, got;
	size_t			 n, k;

	full_reply(&r, l, 3);
	n = policy_verdict_encode(&r, body, POLICY_VERDICT_MAX);
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(layout_verdict(&r, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(vdecode(n, POLICY_VERDICT_MAX, &got, lines), 0);
	check_reply(&got, &r);
	/* The strings point into the body. */
	ATF_CHECK((const uint8_t *)got.text.s == body +
	    sizeof(struct policy_verdict));

	/* Cut anywhere, or one byte more: refused, the id still read. */
	for (k = sizeof(struct policy_verdict); k < n; k++) {
		ATF_CHECK_EQ_MSG(vdecode(k, POLICY_VERDICT_MAX, &got, lines),
		    -1, "%zu of %zu bytes", k, n);
		ATF_CHECK_EQ(got.id, r.id);
	}
	for (k = 0; k < sizeof(struct policy_verdict); k++)
		ATF_CHECK_EQ(vdecode(k, POLICY_VERDICT_MAX, &got, lines), -1);
	body[n] = 0;
	ATF_CHECK_EQ(vdecode(n + 1, POLICY_VERDICT_MAX, &got, lines), -1);
	ATF_CHECK_EQ(got.id, r.id);
}

ATF_TC_WITHOUT_HEAD(verdict_plain);
ATF_TC_BODY(verdict_plain, tc)
{
	struct policy_str	 lines[POLICY_UNTAGGED_MAX];
	struct policy_reply	 r, got;
	size_t			 n;

	/* The table's default: no text, no file, no line. */
	memset(&r, 0, sizeof(r));
	r.id = 7;
	r.gen = 3;
	r.status = POLICY_OK;
	r.action = RULES_TLS;
	r.tls = RULES_TLS_STARTTLS_REQUIRED;
	n = policy_verdict_encode(&r, body, POLICY_VERDICT_MAX);
	ATF_CHECK_EQ(n, sizeof(struct policy_verdict));
	ATF_REQUIRE_EQ(layout_verdict(&r, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(vdecode(n, POLICY_VERDICT_MAX, &got, lines), 0);
	check_reply(&got, &r);
	ATF_CHECK_EQ(got.text.len, 0);
	ATF_CHECK_EQ(got.file.len, 0);
}

ATF_TC_WITHOUT_HEAD(verdict_status);
ATF_TC_BODY(verdict_status, tc)
{
	struct policy_str	 l[3], lines[POLICY_UNTAGGED_MAX];
	struct policy_reply	 r, got, alone;
	uint32_t		 st[] = { POLICY_NOGEN, POLICY_ERROR };
	size_t			 n, i;

	for (i = 0; i < 2; i++) {
		/* Whatever else it had, a failed verdict is its status. */
		full_reply(&r, l, 3);
		r.status = st[i];
		n = policy_verdict_encode(&r, body, POLICY_VERDICT_MAX);
		ATF_CHECK_EQ(n, sizeof(struct policy_verdict));
		memset(&alone, 0, sizeof(alone));
		alone.id = r.id;
		alone.gen = r.gen;
		alone.status = r.status;
		ATF_REQUIRE_EQ(layout_verdict(&alone, want), n);
		ATF_CHECK(memcmp(body, want, n) == 0);
		ATF_REQUIRE_EQ(vdecode(n, POLICY_VERDICT_MAX, &got, lines), 0);
		check_reply(&got, &alone);
	}
}

ATF_TC_WITHOUT_HEAD(verdict_untagged_max);
ATF_TC_BODY(verdict_untagged_max, tc)
{
	struct policy_str	 l[POLICY_UNTAGGED_MAX + 1];
	struct policy_str	 lines[POLICY_UNTAGGED_MAX];
	struct policy_reply	 r, got;
	size_t			 n;

	full_reply(&r, l, POLICY_UNTAGGED_MAX);
	n = policy_verdict_encode(&r, body, POLICY_VERDICT_MAX);
	ATF_REQUIRE(n > 0);
	ATF_REQUIRE_EQ(layout_verdict(&r, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(vdecode(n, POLICY_VERDICT_MAX, &got, lines), 0);
	check_reply(&got, &r);

	/* policyd sends what the rule has; a worker takes no more. */
	full_reply(&r, l, POLICY_UNTAGGED_MAX + 1);
	n = policy_verdict_encode(&r, body, POLICY_VERDICT_MAX);
	ATF_REQUIRE(n > 0);
	ATF_CHECK_EQ(vdecode(n, POLICY_VERDICT_MAX, &got, lines), -1);
}

ATF_TC_WITHOUT_HEAD(verdict_malformed);
ATF_TC_BODY(verdict_malformed, tc)
{
	struct policy_str	 l[3], lines[POLICY_UNTAGGED_MAX];
	struct policy_reply	 r, got;
	struct policy_verdict	 pv;
	size_t			 n, i;
	struct {
		const char	*what;
		size_t		 off;
		size_t		 size;
		uint32_t	 val;
	} bad[] = {
		{ "action 0", offsetof(struct policy_verdict, action), 4, 0 },
		{ "action past the last", offsetof(struct policy_verdict,
		    action), 4, RULES_ACTION_MAX + 1 },
		{ "cacheable 2", offsetof(struct policy_verdict, cacheable), 4,
		    2 },
		{ "more lines than sent", offsetof(struct policy_verdict,
		    nuntagged), 4, 4 },
		{ "fewer lines than sent", offsetof(struct policy_verdict,
		    nuntagged), 4, 2 },
		{ "text past the end", offsetof(struct policy_verdict,
		    textlen), 2, 60000 },
		{ "file past the end", offsetof(struct policy_verdict,
		    filelen), 2, 60000 },
		{ "a line past the end", 0, 2, 1000 },	/* off: below */
	};
	uint16_t		 v16;

	full_reply(&r, l, 3);
	n = policy_verdict_encode(&r, body, POLICY_VERDICT_MAX);
	ATF_REQUIRE(n > 0);
	memcpy(want, body, n);
	/* The first line's length. */
	bad[7].off = sizeof(pv) + r.text.len + r.file.len;
	memcpy(&v16, body + bad[7].off, 2);
	ATF_REQUIRE_EQ(v16, l[0].len);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(body, want, n);
		if (bad[i].size == 4)
			memcpy(body + bad[i].off, &bad[i].val, 4);
		else {
			v16 = (uint16_t)bad[i].val;
			memcpy(body + bad[i].off, &v16, 2);
		}
		ATF_CHECK_EQ_MSG(vdecode(n, POLICY_VERDICT_MAX, &got, lines),
		    -1, "%s", bad[i].what);
		ATF_CHECK_EQ_MSG(got.id, r.id, "%s", bad[i].what);
	}

	/* Over the limit, whatever it holds. */
	memcpy(body, want, n);
	ATF_CHECK_EQ(vdecode(n, n - 1, &got, lines), -1);
	ATF_CHECK_EQ(got.id, r.id);
	ATF_CHECK_EQ(vdecode(n, n, &got, lines), 0);
	ATF_CHECK_EQ(policy_verdict_encode(&r, body, n - 1), 0);
	ATF_CHECK_EQ(policy_verdict_encode(&r, body, n), n);
}

ATF_TC_WITHOUT_HEAD(verdict_too_large);
ATF_TC_BODY(verdict_too_large, tc)
{
	static char		 big[UINT16_MAX + 2];
	struct policy_str	 l[1];
	struct policy_reply	 r;

	memset(big, 'x', sizeof(big));
	full_reply(&r, l, 1);
	/* A text that would fill the body by itself. */
	r.text.s = big;
	r.text.len = POLICY_VERDICT_MAX;
	ATF_CHECK_EQ(policy_verdict_encode(&r, body, POLICY_VERDICT_MAX), 0);
	/* Longer than its length's field, in any room. */
	r.text.len = UINT16_MAX + 1;
	ATF_CHECK_EQ(policy_verdict_encode(&r, body, sizeof(body)), 0);
	full_reply(&r, l, 1);
	r.file.s = big;
	r.file.len = UINT16_MAX + 1;
	ATF_CHECK_EQ(policy_verdict_encode(&r, body, sizeof(body)), 0);
	full_reply(&r, l, 1);
	l[0].s = big;
	l[0].len = UINT16_MAX + 1;
	ATF_CHECK_EQ(policy_verdict_encode(&r, body, sizeof(body)), 0);
	/* Not even the fixed part fits. */
	full_reply(&r, l, 0);
	ATF_CHECK_EQ(policy_verdict_encode(&r, body,
	    sizeof(struct policy_verdict) - 1), 0);
	/* The most lines a body holds, all empty. */
	ATF_CHECK(sizeof(struct policy_verdict) + POLICY_VERDICT_LINES *
	    sizeof(uint16_t) <= POLICY_VERDICT_MAX);
	ATF_CHECK(sizeof(struct policy_verdict) + (POLICY_VERDICT_LINES + 1) *
	    sizeof(uint16_t) > POLICY_VERDICT_MAX);
}

/*
 * A route query (login proxy, once the user is known) and its answers:
 * a rule's, the route table's and the listener's default, both ways.
 */
ATF_TC_WITHOUT_HEAD(route_round_trip);
ATF_TC_BODY(route_round_trip, tc)
{
	static struct policy_query_room	 room;
	struct policy_str		 lines[POLICY_UNTAGGED_MAX];
	struct rules_query		 q, got;
	struct policy_reply		 r, rgot;
	uint64_t			 id;
	size_t				 n, i;

	memset(&q, 0, sizeof(q));
	q.proto = RULES_POP3;
	q.table = RULES_ROUTE;
	q.state = RULES_ST_AUTHORIZATION;
	q.user = "bob@b.example";
	q.listener = "pop3-front";
	q.port = 110;
	q.family = AF_INET;
	q.addr[0] = 10;
	q.addr[3] = 9;
	n = encode(&q, 99);
	ATF_REQUIRE_EQ(layout_query(&q, 99, want), n);
	ATF_CHECK(memcmp(body, want, n) == 0);
	ATF_REQUIRE_EQ(policy_query_decode(body, n, n, &id, &got, &room), 0);
	ATF_CHECK_EQ(id, 99);
	check_query(&got, &q);
	check_cut(n, 1);

	for (i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		r.id = 99;
		r.gen = 8;
		r.status = POLICY_OK;
		r.cacheable = 1;
		r.action = i < 2 ? RULES_ROUTE_TO : RULES_ACCEPT;
		if (i < 2) {
			r.text.s = "north";
			r.text.len = 5;
		}
		r.file.s = i == 0 ? "t.rules" : RULES_ROUTE_TABLE_FILE;
		r.file.len = i < 2 ? strlen(r.file.s) : 0;
		r.line = i == 0 ? 4 : 0;
		r.col = i == 0 ? 1 : 0;
		n = policy_verdict_encode(&r, body, POLICY_VERDICT_MAX);
		ATF_REQUIRE(n > 0);
		ATF_REQUIRE_EQ(layout_verdict(&r, want), n);
		ATF_CHECK(memcmp(body, want, n) == 0);
		ATF_REQUIRE_EQ(vdecode(n, POLICY_VERDICT_MAX, &rgot, lines),
		    0);
		check_reply(&rgot, &r);
	}
	/* An action past route is refused. */
	r.action = RULES_ACTION_MAX + 1;
	n = layout_verdict(&r, body);
	ATF_CHECK_EQ(vdecode(n, POLICY_VERDICT_MAX, &rgot, lines), -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, route_round_trip);
	ATF_TP_ADD_TC(tp, query_round_trip);
	ATF_TP_ADD_TC(tp, query_absent);
	ATF_TP_ADD_TC(tp, query_args_max);
	ATF_TP_ADD_TC(tp, query_str_max);
	ATF_TP_ADD_TC(tp, query_id_max);
	ATF_TP_ADD_TC(tp, query_malformed);
	ATF_TP_ADD_TC(tp, query_limit);
	ATF_TP_ADD_TC(tp, verdict_round_trip);
	ATF_TP_ADD_TC(tp, verdict_plain);
	ATF_TP_ADD_TC(tp, verdict_status);
	ATF_TP_ADD_TC(tp, verdict_untagged_max);
	ATF_TP_ADD_TC(tp, verdict_malformed);
	ATF_TP_ADD_TC(tp, verdict_too_large);
	return atf_no_error();
}
