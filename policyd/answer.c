/*
 * A worker's queries answered (answer.h).
 *
 * Each query renews the thread's read transaction, matches, answers and
 * resets it: no read transaction outlives a query, so policyctl's
 * writes never wait for policyd and old pages are freed.  What a query
 * needs for itself (the decoded query, the encoded verdict) is the
 * thread's own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "guard.h"
#include "log.h"
#include "policy_codec.h"
#include "proto_policy.h"
#include "rules.h"

static struct store	*store;
static int		 genfd = -1;
static size_t		 pagesize;

/* The calling thread's. */
static _Thread_local struct {
	struct store_reader		*rd;
	uint64_t			 checked_gen; /* passed blob check */
	void				(*seen)(uint64_t);
	struct policy_query_room	 room;
	uint8_t				 out[POLICY_VERDICT_MAX];
	struct policy_str		 lines[POLICY_VERDICT_LINES];
} th;

static int	 answer(struct wchan *, uint64_t, const struct rules_query *);
static int	 route_entry(struct policy_reply *, const char *);

void
answer_init(struct store *st, int fd, size_t ps)
{
	store = st;
	genfd = fd;
	pagesize = ps;
}

void
answer_thread(void (*seen)(uint64_t))
{
	if ((th.rd = store_reader_new(store)) == NULL)
		fatal("a read handle on the store");
	th.seen = seen;
}

/*
 * The channel takes the queries of the worker's `limit line' (maxbody,
 * proto_policy.h; 0 is the default): a long command line gets its
 * verdict like a short one.
 */
void
answer_add(struct chan_loop *l, int fd, uint32_t slot, uint32_t maxbody)
{
	struct policy_hello	 h = { .pagesize = (uint32_t)pagesize };
	struct wchan		*w;
	int			 pfd;

	if (guard_counts_sessions())
		h.flags |= POLICY_HELLO_SESSIONS;
	w = chan_loop_add(l, fd, slot, MSGCHAN_FDS, maxbody);
	/* msg_compose() takes the descriptor; the page stays ours. */
	if ((pfd = dup(genfd)) == -1) {
		chan_loop_end(l, w, "dup of the generation page failed");
		return;
	}
	if (msg_compose(&w->ch, MSG_P_HELLO, slot, pfd, &h, sizeof(h)) == -1) {
		close(pfd);
		chan_loop_end(l, w, "hello failed");
		return;
	}
	log_debug("worker %u: channel", slot);
}

int
answer_msg(struct wchan *w, const struct msg *m)
{
	struct rules_query	 q;
	uint64_t		 id;

	if (m->fd != -1) {
		close(m->fd);
		log_warnx("worker %u: sent a descriptor", w->slot);
		return -1;
	}
	switch (m->hdr.type) {
	case MSG_P_LOGIN_CHECK:
	case MSG_P_LOGIN_FAILED:
	case MSG_P_LOGIN_OK:
	case MSG_P_LOGIN_END:
		return guard_msg(w, m);
	}
	if (m->hdr.type != MSG_P_QUERY) {
		log_warnx("worker %u: sent type %u", w->slot, m->hdr.type);
		return -1;
	}
	if (policy_query_decode(m->body, m->len, w->ch.maxbody, &id, &q,
	    &th.room) == -1) {
		log_warnx("worker %u: malformed query, %zu bytes", w->slot,
		    m->len);
		return -1;
	}
	return answer(w, id, &q);
}

/*
 * The route table's entry for q's user, in the read transaction of
 * answer(): STORE_OK and the verdict in r, STORE_NOGEN (none), or
 * STORE_ERR.
 */
static int
route_entry(struct policy_reply *r, const char *user)
{
	const char	*up;
	size_t		 len;
	int		 rc;

	if ((rc = store_read_route(th.rd, r->gen, user, &up, &len)) !=
	    STORE_OK)
		return rc;
	r->status = POLICY_OK;
	r->action = RULES_ROUTE_TO;
	r->cacheable = 1;
	r->text.s = up;
	r->text.len = len;
	r->file.s = RULES_ROUTE_TABLE_FILE;
	r->file.len = strlen(RULES_ROUTE_TABLE_FILE);
	return STORE_OK;
}

/* The verdict v, encoded in the thread's out; its length, 0: too large. */
static size_t
encode(struct policy_reply *r, const struct rules_verdict *v)
{
	const char	*u;
	size_t		 i;

	r->status = POLICY_OK;
	r->action = v->action;
	r->tls = v->action == RULES_TLS ? v->tls : 0;
	r->cacheable = v->cacheable;
	r->line = v->line;
	r->col = v->col;
	r->text.s = v->text;
	r->text.len = v->text != NULL ? strlen(v->text) : 0;
	r->file.s = v->file;
	r->file.len = v->file != NULL ? strlen(v->file) : 0;
	/* More lines than lines[] could never fit in a body. */
	for (i = 0; i < v->nuntagged && i < POLICY_VERDICT_LINES; i++) {
		if ((u = rules_untagged(v, i)) == NULL)
			break;
		th.lines[i].s = u;
		th.lines[i].len = strlen(u);
	}
	r->nuntagged = i;
	r->untagged = th.lines;
	if (v->nuntagged > POLICY_VERDICT_LINES)
		return 0;
	return policy_verdict_encode(r, th.out, sizeof(th.out));
}

/*
 * One read transaction per query: begin, check the blob if this
 * generation is new to this thread, match, copy the answer out, end.
 */
static int
answer(struct wchan *w, uint64_t id, const struct rules_query *q)
{
	struct policy_reply	 r;
	struct rules_verdict	 v;
	const void		*blob;
	size_t			 len, n = 0;
	int			 rc;

	memset(&r, 0, sizeof(r));
	r.id = id;
	rc = store_read_begin(th.rd, &r.gen, &blob, &len);
	if (rc != STORE_OK) {
		if (rc != STORE_NOGEN)
			log_warnx("%s", store_reader_error(th.rd));
		r.status = rc == STORE_NOGEN ? POLICY_NOGEN : POLICY_ERROR;
		r.gen = 0;
		if (th.seen != NULL && rc == STORE_NOGEN)
			th.seen(0);
		goto send;
	}
	if (th.seen != NULL)
		th.seen(r.gen);
	r.status = POLICY_ERROR;
	if (r.gen != th.checked_gen) {
		if (rules_blob_check(blob, len) == -1) {
			log_warnx("generation %llu: compiled rules damaged",
			    (unsigned long long)r.gen);
			goto end;
		}
		th.checked_gen = r.gen;
	}
	/* A route: the user's entry in the route table comes first. */
	if (q->table == RULES_ROUTE && q->user != NULL &&
	    (rc = route_entry(&r, q->user)) != STORE_NOGEN) {
		if (rc == STORE_OK &&
		    (n = policy_verdict_encode(&r, th.out,
		    sizeof(th.out))) > 0)
			goto end;
		log_warnx("%s", store_reader_error(th.rd));
		r.status = POLICY_ERROR;
		goto end;
	}
	if (rules_match(blob, q, &v) == -1) {
		/* A bad protocol or table: the worker's bug, not ours. */
		log_warnx("worker %u: query for protocol %u table %u refused",
		    w->slot, q->proto, q->table);
		goto end;
	}
	/* The strings point into the blob: encoded before the end. */
	if ((n = encode(&r, &v)) > 0)
		goto end;
	log_warnx("generation %llu: verdict of %s:%u too large to send",
	    (unsigned long long)r.gen, v.file, v.line);
	r.status = POLICY_ERROR;
 end:
	store_read_end(th.rd);
 send:
	if (r.status != POLICY_OK)
		n = policy_verdict_encode(&r, th.out, sizeof(th.out));
	if (msg_compose(&w->ch, MSG_P_VERDICT, w->slot, -1, th.out, n) ==
	    -1 || msg_flush(&w->ch) == -1)
		return -1;
	return 0;
}
