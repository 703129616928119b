/*
 * The worker's client of postern-policyd: one synchronous query at a
 * time with a request id and a deadline, and the generation page.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy_client.h"

static int	 client_msg(struct policy_client *, struct msg *, uint64_t,
		    struct policy_answer *);
static int	 hello(struct policy_client *, struct msg *);
static int	 verdict(const struct msg *, struct policy_answer *);
static int	 remaining(const struct timespec *);

int
policy_client_init(struct policy_client *pc, int fd, size_t maxbody)
{
	int	 fl;

	memset(pc, 0, sizeof(*pc));
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	msgchan_init(&pc->ch, fd, MSGCHAN_FDS, maxbody);
	pc->nextid = 1;
	return 0;
}

void
policy_client_close(struct policy_client *pc)
{
	if (pc->page != NULL)
		(void)munmap((void *)(uintptr_t)pc->page, pc->pagesize);
	pc->page = NULL;
	if (pc->ch.fd != -1)
		close(pc->ch.fd);
	msgchan_clear(&pc->ch);
	pc->ch.fd = -1;
}

int
policy_client_renew(struct policy_client *pc, int fd, size_t maxbody)
{
	policy_client_close(pc);
	if (policy_client_init(pc, fd, maxbody) == -1) {
		close(fd);
		msgchan_init(&pc->ch, -1, MSGCHAN_FDS, 0);
		return -1;
	}
	return 0;
}

uint64_t
policy_generation(const struct policy_client *pc)
{
	if (pc->page == NULL)
		return 0;
	return __atomic_load_n(pc->page, __ATOMIC_ACQUIRE);
}

/* Milliseconds left until the deadline, at least 0. */
static int
remaining(const struct timespec *deadline)
{
	struct timespec	 now;
	long long	 ms;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 0;
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms;
}

static int
hello(struct policy_client *pc, struct msg *m)
{
	struct policy_hello	 h;
	void			*p;
	int			 fd = m->fd;

	m->fd = -1;
	if (pc->page != NULL || fd == -1 || m->len != sizeof(h)) {
		if (fd != -1)
			close(fd);
		errno = EPROTO;
		return -1;
	}
	memcpy(&h, m->body, sizeof(h));
	if (h.pagesize < sizeof(uint64_t) || h.pagesize > 65536) {
		close(fd);
		errno = EPROTO;
		return -1;
	}
	p = mmap(NULL, h.pagesize, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	pc->page = p;
	pc->pagesize = h.pagesize;
	return 0;
}

static int
take(const uint8_t **p, size_t *left, size_t n, char **dst)
{
	if (*left < n)
		return -1;
	memcpy(*dst, *p, n);
	(*dst)[n] = '\0';
	*dst += n + 1;
	*p += n;
	*left -= n;
	return 0;
}

/*
 * The body into *ans, strings copied with NULs: every length is checked
 * against what is left, and nothing may follow.  The copies take at most
 * the body's size (a NUL per string, each of which comes after its
 * length's two bytes or the fixed part), so a body that buf_ holds is
 * one whose copies it holds.  The channel takes long queries, so it
 * would take a long verdict too: that is refused here.
 */
static int
verdict(const struct msg *m, struct policy_answer *ans)
{
	struct policy_verdict	 pv;
	const uint8_t		*p;
	char			*dst = ans->buf_;
	size_t			 left, i;
	uint16_t		 ul;

	if (m->len > sizeof(ans->buf_))
		goto bad;
	memcpy(&pv, m->body, sizeof(pv));
	if (pv.status != POLICY_OK) {
		errno = pv.status == POLICY_NOGEN ? ENOENT : EIO;
		return -1;
	}
	if (pv.nuntagged > POLICY_UNTAGGED_MAX || pv.cacheable > 1 ||
	    pv.action < RULES_ACCEPT || pv.action > RULES_ACTION_MAX)
		goto bad;
	p = (const uint8_t *)m->body + sizeof(pv);
	left = m->len - sizeof(pv);
	ans->text = pv.textlen > 0 ? dst : NULL;
	if (take(&p, &left, pv.textlen, &dst) == -1)
		goto bad;
	ans->file = dst;
	if (take(&p, &left, pv.filelen, &dst) == -1)
		goto bad;
	for (i = 0; i < pv.nuntagged; i++) {
		if (left < sizeof(ul))
			goto bad;
		memcpy(&ul, p, sizeof(ul));
		p += sizeof(ul);
		left -= sizeof(ul);
		ans->untagged[i] = dst;
		if (take(&p, &left, ul, &dst) == -1)
			goto bad;
	}
	if (left != 0)
		goto bad;
	ans->gen = pv.gen;
	ans->action = pv.action;
	ans->tls = pv.tls;
	ans->cacheable = (int)pv.cacheable;
	ans->line = pv.line;
	ans->col = pv.col;
	ans->nuntagged = pv.nuntagged;
	return 0;
 bad:
	errno = EPROTO;
	return -1;
}

/* 1: the answer to id is in *ans; 0: something else, handled; -1 error */
static int
client_msg(struct policy_client *pc, struct msg *m, uint64_t id,
    struct policy_answer *ans)
{
	struct policy_verdict	 pv;

	switch (m->hdr.type) {
	case MSG_P_HELLO:
		return hello(pc, m) == -1 ? -1 : 0;
	case MSG_P_VERDICT:
		if (m->fd != -1 || m->len < sizeof(pv))
			break;
		memcpy(&pv, m->body, sizeof(pv));
		/* An answer to a query given up on earlier. */
		if (pv.id != id)
			return pv.id < id ? 0 : -1;
		return verdict(m, ans) == -1 ? -1 : 1;
	}
	if (m->fd != -1)
		close(m->fd);
	errno = EPROTO;
	return -1;
}

int
policy_client_start(struct policy_client *pc, int timeout_ms)
{
	struct timespec	 deadline;
	struct msg	 m;
	int		 rc;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) == -1)
		return -1;
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	while (pc->page == NULL) {
		if ((rc = msg_wait(&pc->ch, &m, remaining(&deadline))) == -1)
			return -1;
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (m.hdr.type != MSG_P_HELLO) {
			if (m.fd != -1)
				close(m.fd);
			errno = EPROTO;
			return -1;
		}
		if (hello(pc, &m) == -1)
			return -1;
	}
	return 0;
}

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

/*
 * The query's body, or 0 when it cannot be one: a string over
 * POLICY_STR_MAX, more than POLICY_ARGS_MAX arguments (verdict.c sends
 * no more), a port out of range.
 */
static size_t
encoded_len(const struct rules_query *q, const char *const str[5])
{
	size_t	 n = sizeof(struct policy_query), i;

	for (i = 0; i < 5; i++) {
		if (slen(str[i]) > POLICY_STR_MAX)
			return 0;
		n += slen(str[i]);
	}
	if (q->nargs > POLICY_ARGS_MAX || q->port > 65535)
		return 0;
	n += q->nargs * sizeof(struct policy_arg);
	for (i = 0; i < q->nargs; i++) {
		if (q->args[i].len > UINT32_MAX)
			return 0;
		if (q->args[i].s != NULL)
			n += q->args[i].len;
	}
	return n;
}

/* Into out, which has room for encoded_len() bytes. */
static void
encode(const struct rules_query *q, const char *const str[5], uint64_t id,
    uint8_t *out)
{
	struct policy_query	 pq;
	struct policy_arg	 pa;
	size_t			 off = sizeof(pq), i, n;

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
	memcpy(out, &pq, sizeof(pq));
	for (i = 0; i < 5; i++) {
		if ((n = slen(str[i])) > 0)
			memcpy(out + off, str[i], n);
		off += n;
	}
	for (i = 0; i < q->nargs; i++) {
		pa.len = (uint32_t)q->args[i].len;
		pa.flags = q->args[i].s == NULL ? POLICY_ARG_LITERAL : 0;
		memcpy(out + off, &pa, sizeof(pa));
		off += sizeof(pa);
	}
	for (i = 0; i < q->nargs; i++)
		if (q->args[i].s != NULL && q->args[i].len > 0) {
			memcpy(out + off, q->args[i].s, q->args[i].len);
			off += q->args[i].len;
		}
}

int
policy_query(struct policy_client *pc, const struct rules_query *q,
    int timeout_ms, struct policy_answer *ans)
{
	const char	*str[5] = { q->key, q->name, q->user, q->listener,
			    q->mailbox };
	struct timespec	 deadline;
	struct msg	 m;
	uint64_t	 id;
	uint8_t		*out;
	size_t		 len;
	int		 rc;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) == -1)
		return -1;
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	id = pc->nextid++;
	/*
	 * Over the channel's limit is EMSGSIZE: a query that policy_query_max()
	 * did not foresee, which fails closed and is logged by the caller.
	 */
	if ((len = encoded_len(q, str)) == 0 || len > pc->ch.maxbody) {
		errno = EMSGSIZE;
		return -1;
	}
	/* Written where it is sent from: one copy of the arguments. */
	if ((out = msg_reserve(&pc->ch, len)) == NULL)
		return -1;
	encode(q, str, id, out);
	if (msg_commit(&pc->ch, MSG_P_QUERY, 0, len) == -1 ||
	    msg_send(&pc->ch, timeout_ms) == -1)
		return -1;
	for (;;) {
		if ((rc = msg_wait(&pc->ch, &m, remaining(&deadline))) == -1)
			return -1;
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if ((rc = client_msg(pc, &m, id, ans)) != 0)
			return rc == 1 ? 0 : -1;
	}
}
