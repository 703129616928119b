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

#include "clock.h"
#include "policy_client.h"
#include "policy_codec.h"

static int	 client_msg(struct policy_client *, struct msg *, uint64_t,
		    struct policy_answer *, struct policy_login_status *);
static int	 await(struct policy_client *, const struct timespec *,
		    uint64_t, struct policy_answer *,
		    struct policy_login_status *);
static void	 deadline_in(struct timespec *, int);
static int	 hello(struct policy_client *, struct msg *);
static int	 verdict(const struct policy_reply *, struct policy_answer *);
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

int
policy_no_blocks(const struct policy_client *pc)
{
	uint64_t	 until;

	if (pc->page == NULL ||
	    pc->pagesize < (POLICY_PAGE_BLOCKS + 1) * sizeof(uint64_t))
		return 0;
	until = __atomic_load_n(pc->page + POLICY_PAGE_BLOCKS,
	    __ATOMIC_ACQUIRE);
	return until == 0 || (until != UINT64_MAX &&
	    (uint64_t)now_ms() >= until);
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
	if (h.pagesize < sizeof(uint64_t) || h.pagesize > 65536 ||
	    (h.flags & ~(uint32_t)POLICY_HELLO_SESSIONS) != 0) {
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
	pc->count_sessions = (h.flags & POLICY_HELLO_SESSIONS) != 0;
	return 0;
}

/* s into *dst with its NUL; dst moves past it. */
static const char *
copy(char **dst, const struct policy_str *s)
{
	char	*p = *dst;

	memcpy(p, s->s, s->len);
	p[s->len] = '\0';
	*dst += s->len + 1;
	return p;
}

/*
 * The decoded verdict into *ans, strings copied with NULs.  The copies
 * take at most the body's size (a NUL per string, each of which comes
 * after its length's two bytes or the fixed part), so a body that buf_
 * holds, the decoder's limit, is one whose copies it holds.  The
 * channel takes long queries, so it would take a long verdict too: that
 * is refused by the decoder.
 */
static int
verdict(const struct policy_reply *r, struct policy_answer *ans)
{
	char	*dst = ans->buf_;
	size_t	 i;

	if (r->status != POLICY_OK) {
		errno = r->status == POLICY_NOGEN ? ENOENT : EIO;
		return -1;
	}
	ans->text = r->text.len > 0 ? copy(&dst, &r->text) : NULL;
	ans->file = copy(&dst, &r->file);
	for (i = 0; i < r->nuntagged; i++)
		ans->untagged[i] = copy(&dst, &r->untagged[i]);
	ans->gen = r->gen;
	ans->action = r->action;
	ans->tls = r->tls;
	ans->cacheable = r->cacheable;
	ans->line = r->line;
	ans->col = r->col;
	ans->nuntagged = r->nuntagged;
	return 0;
}

/*
 * 1: the answer to id is in *ans (a verdict) or *st (a login status),
 * whichever the caller waits for (the other NULL); 0: something else,
 * handled; -1 error.
 */
static int
client_msg(struct policy_client *pc, struct msg *m, uint64_t id,
    struct policy_answer *ans, struct policy_login_status *st)
{
	struct policy_str	 lines[POLICY_UNTAGGED_MAX];
	struct policy_reply	 r;
	struct policy_login_status ls;
	int			 rc;

	switch (m->hdr.type) {
	case MSG_P_HELLO:
		return hello(pc, m) == -1 ? -1 : 0;
	case MSG_P_VERDICT:
		if (m->fd != -1 || m->len < sizeof(struct policy_verdict))
			break;
		rc = policy_verdict_decode(m->body, m->len, POLICY_VERDICT_MAX,
		    &r, lines);
		/* An answer to a query given up on earlier. */
		if (r.id != id)
			return r.id < id ? 0 : -1;
		if (rc == -1 || ans == NULL)
			break;
		return verdict(&r, ans) == -1 ? -1 : 1;
	case MSG_P_LOGIN_STATUS:
		if (m->fd != -1 || m->len != sizeof(ls))
			break;
		memcpy(&ls, m->body, sizeof(ls));
		if (ls.id != id)
			return ls.id < id ? 0 : -1;
		if (st == NULL)
			break;
		*st = ls;
		return 1;
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

int
policy_query(struct policy_client *pc, const struct rules_query *q,
    int timeout_ms, struct policy_answer *ans)
{
	uint64_t	 id;

	if (policy_query_queue(pc, q, &id) == -1 ||
	    msg_send(&pc->ch, timeout_ms) == -1)
		return -1;
	return policy_answer_wait(pc, id, timeout_ms, ans);
}

int
policy_query_queue(struct policy_client *pc, const struct rules_query *q,
    uint64_t *idp)
{
	uint64_t	 id;
	uint8_t		*out;
	size_t		 len;

	id = pc->nextid++;
	/*
	 * Over the channel's limit is EMSGSIZE: a query that policy_query_max()
	 * did not foresee, which fails closed and is logged by the caller.
	 */
	if ((len = policy_query_size(q, pc->ch.maxbody)) == 0) {
		errno = EMSGSIZE;
		return -1;
	}
	/* Written where it is sent from: one copy of the arguments. */
	if ((out = msg_reserve(&pc->ch, len)) == NULL)
		return -1;
	policy_query_encode(q, id, out);
	if (msg_commit(&pc->ch, MSG_P_QUERY, 0, len) == -1)
		return -1;
	*idp = id;
	return 0;
}

int
policy_queries_send(struct policy_client *pc, int timeout_ms)
{
	return msg_send(&pc->ch, timeout_ms);
}

int
policy_answer_wait(struct policy_client *pc, uint64_t id, int timeout_ms,
    struct policy_answer *ans)
{
	struct timespec	 deadline;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) == -1)
		return -1;
	deadline_in(&deadline, timeout_ms);
	return await(pc, &deadline, id, ans, NULL);
}

/* Until the answer to id, the deadline, or an error. */
static int
await(struct policy_client *pc, const struct timespec *deadline, uint64_t id,
    struct policy_answer *ans, struct policy_login_status *st)
{
	struct msg	 m;
	int		 rc;

	for (;;) {
		if ((rc = msg_wait(&pc->ch, &m, remaining(deadline))) == -1)
			return -1;
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if ((rc = client_msg(pc, &m, id, ans, st)) != 0)
			return rc == 1 ? 0 : -1;
	}
}

static void
deadline_in(struct timespec *deadline, int timeout_ms)
{
	deadline->tv_sec += timeout_ms / 1000;
	deadline->tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

int
policy_login(struct policy_client *pc, uint32_t type, int family,
    const uint8_t *addr, const char *user, size_t userlen, int timeout_ms,
    struct policy_login_status *st)
{
	struct policy_login	 pl;
	struct timespec		 deadline;
	uint8_t			*out;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) == -1)
		return -1;
	deadline_in(&deadline, timeout_ms);
	if (pc->ch.fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	memset(&pl, 0, sizeof(pl));
	pl.id = pc->nextid++;
	pl.family = (uint32_t)family;
	memcpy(pl.addr, addr, sizeof(pl.addr));
	/* The counters keep a name's beginning and a hash of the rest. */
	if (userlen > POLICY_STR_MAX)
		userlen = POLICY_STR_MAX;
	pl.userlen = (uint16_t)userlen;
	if ((out = msg_reserve(&pc->ch, sizeof(pl) + userlen)) == NULL)
		return -1;
	memcpy(out, &pl, sizeof(pl));
	if (userlen > 0)
		memcpy(out + sizeof(pl), user, userlen);
	if (msg_commit(&pc->ch, type, 0, sizeof(pl) + userlen) == -1 ||
	    msg_send(&pc->ch, timeout_ms) == -1)
		return -1;
	return await(pc, &deadline, pl.id, NULL, st);
}

int
policy_login_end(struct policy_client *pc, int timeout_ms)
{
	if (pc->ch.fd == -1) {
		errno = ENOTCONN;
		return -1;
	}
	if (msg_compose(&pc->ch, MSG_P_LOGIN_END, 0, -1, NULL, 0) == -1 ||
	    msg_send(&pc->ch, timeout_ms) == -1)
		return -1;
	return 0;
}
