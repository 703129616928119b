/*
 * The bodies of the policy channel, both ways (policy_codec.h): the
 * layouts are proto_policy.h's, in host order, as the channel is a
 * local socketpair.
 */
#include <sys/socket.h>

#include <string.h>

#include "policy_codec.h"

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

#define NSTR	6	/* key, name, user, listener, mailbox, ja4 */

static void
strings(const struct rules_query *q, const char *str[NSTR])
{
	str[0] = q->key;
	str[1] = q->name;
	str[2] = q->user;
	str[3] = q->listener;
	str[4] = q->mailbox;
	str[5] = q->ja4;
}

/* Can the ID field be sent: a name, both without NULs and bounded. */
static int
idfield_ok(const struct rules_idfield *f)
{
	size_t	 k, v;

	if (f->key == NULL || f->value == NULL)
		return 0;
	k = strnlen(f->key, RULES_ID_KEY_MAX + 1);
	v = strnlen(f->value, RULES_ID_VALUE_MAX + 1);
	return k > 0 && k <= RULES_ID_KEY_MAX && v <= RULES_ID_VALUE_MAX;
}

size_t
policy_query_size(const struct rules_query *q, size_t max)
{
	const char	*str[NSTR];
	size_t		 n = sizeof(struct policy_query), i;

	strings(q, str);
	for (i = 0; i < NSTR; i++) {
		if (slen(str[i]) > POLICY_STR_MAX)
			return 0;
		n += slen(str[i]);
	}
	if (slen(q->ja4) > POLICY_JA4_MAX)
		return 0;
	if (q->nargs > POLICY_ARGS_MAX || q->port > 65535 ||
	    q->nid > POLICY_ID_MAX || (q->nid > 0 && q->id == NULL))
		return 0;
	for (i = 0; i < q->nid; i++) {
		if (!idfield_ok(&q->id[i]))
			return 0;
		n += sizeof(struct policy_idfield) + strlen(q->id[i].key) +
		    strlen(q->id[i].value);
	}
	n += q->nargs * sizeof(struct policy_arg);
	for (i = 0; i < q->nargs; i++) {
		if (q->args[i].len > UINT32_MAX)
			return 0;
		if (q->args[i].s != NULL)
			n += q->args[i].len;
	}
	return n > max ? 0 : n;
}

void
policy_query_encode(const struct rules_query *q, uint64_t id, void *out)
{
	const char		*str[NSTR];
	struct policy_query	 pq;
	struct policy_idfield	 pf;
	struct policy_arg	 pa;
	uint8_t			*o = out;
	size_t			 off = sizeof(pq), i, n;

	strings(q, str);
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
	memcpy(o, &pq, sizeof(pq));
	for (i = 0; i < NSTR; i++) {
		if ((n = slen(str[i])) > 0)
			memcpy(o + off, str[i], n);
		off += n;
	}
	for (i = 0; i < q->nid; i++) {
		pf.keylen = (uint16_t)strlen(q->id[i].key);
		pf.valuelen = (uint16_t)strlen(q->id[i].value);
		memcpy(o + off, &pf, sizeof(pf));
		off += sizeof(pf);
	}
	for (i = 0; i < q->nid; i++) {
		n = strlen(q->id[i].key);
		memcpy(o + off, q->id[i].key, n);
		off += n;
		n = strlen(q->id[i].value);
		if (n > 0)
			memcpy(o + off, q->id[i].value, n);
		off += n;
	}
	for (i = 0; i < q->nargs; i++) {
		pa.len = (uint32_t)q->args[i].len;
		pa.flags = q->args[i].s == NULL ? POLICY_ARG_LITERAL : 0;
		memcpy(o + off, &pa, sizeof(pa));
		off += sizeof(pa);
	}
	for (i = 0; i < q->nargs; i++)
		if (q->args[i].s != NULL && q->args[i].len > 0) {
			memcpy(o + off, q->args[i].s, q->args[i].len);
			off += q->args[i].len;
		}
}

/*
 * n bytes of string at *off into dst, NUL-terminated, at most max; NULL
 * if n is 0.
 */
static int
take_str(const uint8_t *b, size_t len, size_t *off, size_t n, size_t max,
    char *dst, const char **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	if (n > max || len - *off < n || memchr(b + *off, '\0', n))
		return -1;
	memcpy(dst, b + *off, n);
	dst[n] = '\0';
	*off += n;
	*out = dst;
	return 0;
}

/* The ID fields: nid headers at *off, then their text. */
static int
take_id(const uint8_t *b, size_t len, size_t *off, size_t nid,
    struct rules_query *q, struct policy_query_room *room)
{
	struct policy_idfield	 pf[POLICY_ID_MAX];
	size_t			 i;

	if (nid > POLICY_ID_MAX || (len - *off) / sizeof(pf[0]) < nid)
		return -1;
	memcpy(pf, b + *off, nid * sizeof(pf[0]));
	*off += nid * sizeof(pf[0]);
	for (i = 0; i < nid; i++) {
		room->id[i].value = "";
		if (pf[i].keylen == 0 ||
		    take_str(b, len, off, pf[i].keylen, RULES_ID_KEY_MAX,
		    room->idkey[i], &room->id[i].key) == -1 ||
		    take_str(b, len, off, pf[i].valuelen, RULES_ID_VALUE_MAX,
		    room->idvalue[i], &room->id[i].value) == -1)
			return -1;
		if (room->id[i].value == NULL)
			room->id[i].value = "";
	}
	q->id = nid > 0 ? room->id : NULL;
	q->nid = nid;
	return 0;
}

int
policy_query_decode(const void *body, size_t len, size_t max, uint64_t *id,
    struct rules_query *q, struct policy_query_room *room)
{
	struct policy_query	 pq;
	struct policy_arg	 pa;
	struct rules_arg	*args = room->args;
	const uint8_t		*b = body;
	size_t			 off, i, tail;

	if (len < sizeof(pq) || len > max)
		return -1;
	memcpy(&pq, b, sizeof(pq));
	*id = pq.id;
	if (pq.nargs > POLICY_ARGS_MAX || pq.tls > 1 ||
	    pq.kind > RULES_UNTAGGED || pq.state > RULES_ST_TRANSACTION ||
	    pq.port > 65535 ||
	    (pq.family != 0 && pq.family != AF_INET && pq.family != AF_INET6) ||
	    pq.nid > POLICY_ID_MAX || pq.pad != 0)
		return -1;
	memset(q, 0, sizeof(*q));
	q->proto = pq.proto;
	q->table = pq.table;
	q->kind = pq.kind;
	q->state = pq.state;
	q->tls = (int)pq.tls;
	q->family = (int)pq.family;
	memcpy(q->addr, pq.addr, sizeof(q->addr));
	q->port = pq.port;
	off = sizeof(pq);
	if (take_str(b, len, &off, pq.keylen, POLICY_STR_MAX, room->str[0],
	    &q->key) == -1 ||
	    take_str(b, len, &off, pq.namelen, POLICY_STR_MAX, room->str[1],
	    &q->name) == -1 ||
	    take_str(b, len, &off, pq.userlen, POLICY_STR_MAX, room->str[2],
	    &q->user) == -1 ||
	    take_str(b, len, &off, pq.listenerlen, POLICY_STR_MAX,
	    room->str[3], &q->listener) == -1 ||
	    take_str(b, len, &off, pq.mailboxlen, POLICY_STR_MAX,
	    room->str[4], &q->mailbox) == -1 ||
	    take_str(b, len, &off, pq.ja4len, POLICY_JA4_MAX, room->ja4,
	    &q->ja4) == -1 ||
	    take_id(b, len, &off, pq.nid, q, room) == -1)
		return -1;
	if ((len - off) / sizeof(pa) < pq.nargs)
		return -1;
	tail = off + pq.nargs * sizeof(pa);
	for (i = 0; i < pq.nargs; i++) {
		memcpy(&pa, b + off + i * sizeof(pa), sizeof(pa));
		if (pa.flags & ~(uint32_t)POLICY_ARG_LITERAL)
			return -1;
		args[i].len = pa.len;
		if (pa.flags & POLICY_ARG_LITERAL) {
			args[i].s = NULL;
			continue;
		}
		if (len - tail < pa.len)
			return -1;
		args[i].s = (const char *)b + tail;
		tail += pa.len;
	}
	if (tail != len)
		return -1;
	q->args = pq.nargs > 0 ? args : NULL;
	q->nargs = pq.nargs;
	return 0;
}

static int
put(uint8_t *out, size_t max, size_t *off, const void *p, size_t n)
{
	if (max - *off < n)
		return -1;
	if (n > 0)
		memcpy(out + *off, p, n);
	*off += n;
	return 0;
}

size_t
policy_verdict_encode(const struct policy_reply *r, void *out, size_t max)
{
	struct policy_verdict	 pv;
	uint8_t			*o = out;
	size_t			 off = sizeof(pv), i;
	uint16_t		 ul;

	if (max < sizeof(pv))
		return 0;
	memset(&pv, 0, sizeof(pv));
	pv.id = r->id;
	pv.gen = r->gen;
	pv.status = r->status;
	if (r->status == POLICY_OK) {
		if (r->text.len > UINT16_MAX || r->file.len > UINT16_MAX ||
		    r->nuntagged > UINT32_MAX)
			return 0;
		pv.action = r->action;
		pv.tls = r->tls;
		pv.cacheable = r->cacheable ? 1 : 0;
		pv.line = r->line;
		pv.col = r->col;
		pv.nuntagged = (uint32_t)r->nuntagged;
		pv.textlen = (uint16_t)r->text.len;
		pv.filelen = (uint16_t)r->file.len;
		if (put(o, max, &off, r->text.s, r->text.len) == -1 ||
		    put(o, max, &off, r->file.s, r->file.len) == -1)
			return 0;
		for (i = 0; i < r->nuntagged; i++) {
			if (r->untagged[i].len > UINT16_MAX)
				return 0;
			ul = (uint16_t)r->untagged[i].len;
			if (put(o, max, &off, &ul, sizeof(ul)) == -1 ||
			    put(o, max, &off, r->untagged[i].s, ul) == -1)
				return 0;
		}
	}
	memcpy(o, &pv, sizeof(pv));
	return off;
}

/* n bytes of string at *p, if that many are left. */
static int
take(const uint8_t **p, size_t *left, size_t n, struct policy_str *dst)
{
	if (*left < n)
		return -1;
	dst->s = (const char *)*p;
	dst->len = n;
	*p += n;
	*left -= n;
	return 0;
}

int
policy_verdict_decode(const void *body, size_t len, size_t max,
    struct policy_reply *r, struct policy_str lines[POLICY_UNTAGGED_MAX])
{
	struct policy_verdict	 pv;
	const uint8_t		*p = body;
	size_t			 left, i;
	uint16_t		 ul;

	memset(r, 0, sizeof(*r));
	if (len < sizeof(pv))
		return -1;
	memcpy(&pv, p, sizeof(pv));
	r->id = pv.id;
	if (len > max)
		return -1;
	r->gen = pv.gen;
	r->status = pv.status;
	if (pv.status != POLICY_OK)
		return 0;
	if (pv.nuntagged > POLICY_UNTAGGED_MAX || pv.cacheable > 1 ||
	    pv.action < RULES_ACCEPT || pv.action > RULES_ACTION_MAX)
		return -1;
	p += sizeof(pv);
	left = len - sizeof(pv);
	if (take(&p, &left, pv.textlen, &r->text) == -1 ||
	    take(&p, &left, pv.filelen, &r->file) == -1)
		return -1;
	for (i = 0; i < pv.nuntagged; i++) {
		if (left < sizeof(ul))
			return -1;
		memcpy(&ul, p, sizeof(ul));
		p += sizeof(ul);
		left -= sizeof(ul);
		if (take(&p, &left, ul, &lines[i]) == -1)
			return -1;
	}
	if (left != 0)
		return -1;
	r->action = pv.action;
	r->tls = pv.tls;
	r->cacheable = (int)pv.cacheable;
	r->line = pv.line;
	r->col = pv.col;
	r->nuntagged = pv.nuntagged;
	r->untagged = lines;
	return 0;
}
