/*
 * The checks behind fuzz_imap_client and fuzz_imap_server.
 *
 * One input is one direction of a connection.  It is parsed several
 * times: in one feed, one byte per feed, and in chunks whose sizes come
 * from the data (each chunk in its own exact-size heap copy, so a read
 * past it is an ASan report), first with the default limits, then with
 * tiny limits derived from the data.  Within a run every event is
 * checked against the input; across runs with the same limits the event
 * logs must be identical, since where a read() happens to split the
 * stream must never change what the proxy sees.
 *
 * The invariants:
 *  - progress: a feed of n > 0 bytes consumes 1..n of them;
 *  - accounting: the raw segments and literal octets reported, in order,
 *    are exactly the bytes consumed, and what is consumed but not yet
 *    reported is the start of the unfinished segment in the parser;
 *  - tokens: every token of the message lies in the parser's line or
 *    decode buffer, is well formed for its type, and the tokens of
 *    earlier segments are unchanged when later segments arrive;
 *  - framing: a non-final segment ends with its LITERAL token and the
 *    announced length; the LITDATA that follows counts it down to 0;
 *  - limits: tokens, line bytes, decode bytes and depth stay within the
 *    limits given to imap_parser_init();
 *  - errors: a non-fatal error consumed its whole line and leaves the
 *    parser idle; after a fatal one every feed eats everything and
 *    returns the same error.
 *
 * The client runs emulate what a session does: raw mode after
 * AUTHENTICATE and IDLE until "DONE", "*" or an empty line, and
 * abort_message() for a synchronizing literal over lit_max.  The
 * emulation only reacts to events, so it is the same in every chunking.
 *
 * The checks read the parser's private fields (linelen, segoff, line,
 * dec...) on purpose: the bounds they promise are about them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_imap.h"

#define CHECK(c)	do {						\
	if (!(c))							\
		check_failed(__LINE__, #c);				\
} while (0)

#define FUZZ_LINE_MAX	(64 * 1024)

struct evlog {
	uint8_t		*b;
	size_t		 len;
	size_t		 cap;
};

struct run {
	enum imap_dir		 dir;
	const struct imap_limits *lim;
	struct imap_parser	 p;
	const uint8_t		*in;
	size_t			 inlen;
	size_t			 consumed;	/* bytes the parser took */
	size_t			 pos;		/* bytes reported back */
	struct evlog		 log;
	uint64_t		 litleft;	/* literal octets still due */
	uint64_t		 litacc;	/* literal octets not logged */
	uint64_t		 msg_hash;	/* tokens of earlier segments */
	unsigned int		 msg_ntok;
	unsigned int		 msg_depth;
	unsigned int		 segno;
	int			 raw;
	int			 dead;
	enum imap_err		 dead_err;
};

static void check_failed(int, const char *) __attribute__((noreturn));

static void
check_failed(int line, const char *what)
{
	fprintf(stderr, "fuzz_imap.c:%d: invariant broken: %s\n", line, what);
	abort();
}

static void
log_put(struct evlog *l, const void *p, size_t n)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (l->len + n > l->cap) {
		ncap = l->cap ? l->cap : 1024;
		while (ncap < l->len + n)
			ncap *= 2;
		nb = realloc(l->b, ncap);
		CHECK(nb != NULL);
		l->b = nb;
		l->cap = ncap;
	}
	memcpy(l->b + l->len, p, n);
	l->len += n;
}

static void
log_u64(struct evlog *l, uint64_t v)
{
	log_put(l, &v, sizeof(v));
}

static uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t	*s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
in_buf(const uint8_t *p, size_t len, const uint8_t *buf, size_t buflen)
{
	return buf != NULL && p >= buf && len <= buflen &&
	    (size_t)(p - buf) <= buflen - len;
}

/* Where a token lies: 0 the line buffer, 1 the decode buffer. */
static int
tok_where(const struct run *r, const struct imap_token *t, size_t *off)
{
	if (in_buf(t->p, t->len, r->p.line, r->p.linelen)) {
		*off = t->p - r->p.line;
		return 0;
	}
	CHECK(in_buf(t->p, t->len, r->p.dec, r->p.declen));
	*off = t->p - r->p.dec;
	return 1;
}

static uint64_t
tok_hash(const struct run *r, const struct imap_token *t, unsigned int n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 off;
	unsigned int	 i;
	int		 where;

	for (i = 0; i < n; i++) {
		where = tok_where(r, &t[i], &off);
		h = hash_bytes(h, &t[i].type, 1);
		h = hash_bytes(h, &t[i].depth, 1);
		h = hash_bytes(h, &t[i].lit, 1);
		h = hash_bytes(h, &t[i].flags, 1);
		h = hash_bytes(h, &t[i].num, sizeof(t[i].num));
		h = hash_bytes(h, &t[i].len, sizeof(t[i].len));
		h = hash_bytes(h, &where, sizeof(where));
		h = hash_bytes(h, &off, sizeof(off));
		h = hash_bytes(h, t[i].p, t[i].len);
	}
	return h;
}

static void
log_token(struct run *r, const struct imap_token *t)
{
	size_t	 off;
	int	 where = tok_where(r, t, &off);

	log_put(&r->log, &t->type, 1);
	log_put(&r->log, &t->depth, 1);
	log_put(&r->log, &t->lit, 1);
	log_put(&r->log, &t->flags, 1);
	log_u64(&r->log, t->num);
	log_u64(&r->log, t->len);
	log_u64(&r->log, (uint64_t)where << 32 | off);
	log_put(&r->log, t->p, t->len);
}

static int
is_ctl_or_8bit(uint8_t c)
{
	return c < 0x20 || c >= 0x7f;
}

static int
all_in(const struct imap_token *t, size_t from, const char *set)
{
	size_t	 i;

	for (i = from; i < t->len; i++)
		if (strchr(set, t->p[i]) == NULL || t->p[i] == '\0')
			return 0;
	return 1;
}

/* Characters no atom, tag or flag may hold. */
static int
atomish(const struct imap_token *t, size_t from, const char *also_bad)
{
	size_t	 i;

	for (i = from; i < t->len; i++)
		if (is_ctl_or_8bit(t->p[i]) || strchr(" (){\"", t->p[i]) ||
		    strchr(also_bad, t->p[i]))
			return 0;
	return 1;
}

static void
check_literal_tok(const struct imap_token *t)
{
	const uint8_t	*s = t->p, *end = t->p + t->len;
	uint64_t	 v = 0;
	int		 kind = IMAP_LIT_SYNC;

	if (s < end && *s == '~') {
		kind |= IMAP_LIT_BINARY;
		s++;
	}
	CHECK(s < end && *s == '{');
	for (s++; s < end && *s >= '0' && *s <= '9'; s++) {
		CHECK(v <= (UINT64_MAX - 9) / 10);
		v = v * 10 + (*s - '0');
	}
	if (s < end && *s == '+') {
		kind = (kind & ~0x0f) | IMAP_LIT_PLUS;
		s++;
	} else if (s < end && *s == '-') {
		kind = (kind & ~0x0f) | IMAP_LIT_MINUS;
		s++;
	}
	CHECK(s + 1 == end && *s == '}');
	CHECK(t->num == v);
	CHECK(t->lit == kind);
	CHECK(v <= ((kind & IMAP_LIT_BINARY) ? (uint64_t)INT64_MAX :
	    UINT32_MAX));
}

static void
check_number_tok(const struct imap_token *t)
{
	uint64_t	 v = 0;
	size_t		 i;
	int		 over = 0;

	CHECK(t->len > 0 && all_in(t, 0, "0123456789"));
	for (i = 0; i < t->len; i++) {
		if (v > (UINT64_MAX >> 1) / 10) {
			over = 1;
			break;
		}
		v = v * 10 + (t->p[i] - '0');
	}
	if (v > (UINT64_MAX >> 1))
		over = 1;
	CHECK(over == !!(t->flags & IMAP_TOKF_OVERFLOW));
	CHECK(t->num == (over ? UINT64_MAX : v));
}

static void
check_token(struct run *r, const struct imap_token *t)
{
	size_t	 i, off;
	int	 where = tok_where(r, t, &off);

	CHECK(t->type <= IMAP_TOK_TEXT);
	CHECK(strcmp(imap_tok_type_str(t->type), "?") != 0);
	for (i = 0; i < t->len; i++)
		CHECK(t->p[i] != '\r' && t->p[i] != '\n' && t->p[i] != '\0');
	CHECK(t->type == IMAP_TOK_LITERAL || t->lit == 0);
	CHECK(t->type == IMAP_TOK_QUOTED || where == 0);

	switch (t->type) {
	case IMAP_TOK_LIST_BEGIN:
		r->msg_depth++;
		CHECK(r->msg_depth <= r->p.depth_max);
		CHECK(t->len == 1 && t->p[0] == '(');
		break;
	case IMAP_TOK_LIST_END:
		CHECK(r->msg_depth > 0);
		CHECK(t->len == 1 && t->p[0] == ')');
		break;
	default:
		break;
	}
	CHECK(t->depth == r->msg_depth);
	if (t->type == IMAP_TOK_LIST_END)
		r->msg_depth--;

	switch (t->type) {
	case IMAP_TOK_TAG:
		CHECK(t->len >= 1 && t->len <= IMAP_TAG_MAX);
		CHECK(atomish(t, 0, "%*+\\"));
		break;
	case IMAP_TOK_STAR:
		CHECK(t->len == 1 && t->p[0] == '*');
		break;
	case IMAP_TOK_PLUS:
		CHECK(t->len == 1 && t->p[0] == '+');
		break;
	case IMAP_TOK_ATOM:
		CHECK(t->len >= 1);
		if (t->flags & IMAP_TOKF_FLAG) {
			CHECK(t->p[0] == '\\' && t->len >= 2);
			CHECK(atomish(t, 1, "\\"));
		} else
			CHECK(atomish(t, 0, "\\"));
		break;
	case IMAP_TOK_NUMBER:
		check_number_tok(t);
		break;
	case IMAP_TOK_SEQSET:
		CHECK(t->len > 0 && all_in(t, 0, "0123456789:,*"));
		break;
	case IMAP_TOK_QUOTED:
		if (t->flags & IMAP_TOKF_ESCAPED)
			CHECK(where == 1);
		else {
			CHECK(where == 0 && off >= 1 && t->p[-1] == '"');
			CHECK(off + t->len < r->p.linelen &&
			    t->p[t->len] == '"');
		}
		break;
	case IMAP_TOK_LITERAL:
		check_literal_tok(t);
		break;
	case IMAP_TOK_NIL:
		CHECK(imap_tok_is(t, "NIL"));
		break;
	case IMAP_TOK_SECTION:
		/* a literal field name splits a section in parts */
		if (!(t->flags & IMAP_TOKF_SECT_CONT))
			CHECK(memchr(t->p, '[', t->len) != NULL);
		if (!(t->flags & IMAP_TOKF_SECT_OPEN))
			CHECK(memchr(t->p, ']', t->len) != NULL);
		break;
	case IMAP_TOK_CODE_BEGIN:
		CHECK(off >= 1 && t->p[-1] == '[');
		CHECK(off + t->len < r->p.linelen && t->p[t->len] == ']');
		break;
	case IMAP_TOK_CODE_END:
		CHECK(t->len == 1 && t->p[0] == ']');
		break;
	case IMAP_TOK_TEXT:
		if (r->raw)
			for (i = 0; i < t->len; i++)
				CHECK(t->p[i] >= 0x20 && t->p[i] < 0x7f);
		break;
	}
}

static void
check_limits(const struct run *r)
{
	const struct imap_parser	*p = &r->p;

	CHECK(p->ntok <= p->tokcap);
	CHECK(p->tokcap <= p->tok_max);
	CHECK(p->linecap <= p->line_max);
	CHECK(p->linelen <= p->linecap);
	CHECK(p->declen <= p->linecap);
	CHECK(p->segoff <= p->linelen);
	CHECK(p->declen <= p->line_max);
	CHECK(p->depth <= p->depth_max);
	if (r->dir == IMAP_DIR_CLIENT) {
		CHECK(p->line_max == r->lim->cmd_line_max);
		CHECK(p->tok_max == r->lim->cmd_args_max);
		CHECK(p->depth_max == r->lim->cmd_depth_max);
	} else {
		CHECK(p->line_max == r->lim->resp_line_max);
		CHECK(p->tok_max == r->lim->resp_args_max);
		CHECK(p->depth_max == r->lim->resp_depth_max);
	}
}

static void
msg_end(struct run *r)
{
	r->msg_hash = tok_hash(r, NULL, 0);
	r->msg_ntok = 0;
	r->msg_depth = 0;
	r->segno = 0;
}

static void
log_litdata(struct run *r)
{
	if (r->litacc == 0)
		return;
	log_put(&r->log, "D", 1);
	log_u64(&r->log, r->litacc);
	r->litacc = 0;
}

/* What a session would do after a client message; events only. */
static void
emulate_session(struct run *r, const struct imap_event *ev)
{
	const struct imap_token	*t;
	unsigned int		 n;

	if (r->dir != IMAP_DIR_CLIENT)
		return;
	t = imap_parser_tokens(&r->p, &n);
	if (ev->type == IMAP_EV_ERROR) {
		if (r->raw)
			imap_parser_set_raw(&r->p, r->raw = 0);
		return;
	}
	if (!ev->final) {
		if (!r->raw && IMAP_LIT_KIND(ev->lit) == IMAP_LIT_SYNC &&
		    ev->litlen > r->lim->lit_max) {
			/* the server said NO to the "+": no octets come */
			imap_parser_abort_message(&r->p);
			CHECK(imap_parser_idle(&r->p));
			CHECK(!imap_parser_in_literal(&r->p));
			r->litleft = 0;
			msg_end(r);
			log_put(&r->log, "A", 1);
		}
		return;
	}
	if (r->raw) {
		CHECK(n == 1 && t[0].type == IMAP_TOK_TEXT);
		if (t[0].len == 0 || imap_tok_is(&t[0], "*") ||
		    imap_tok_is(&t[0], "DONE"))
			imap_parser_set_raw(&r->p, r->raw = 0);
	} else if (n >= 2 && (imap_tok_is(&t[1], "AUTHENTICATE") ||
	    imap_tok_is(&t[1], "IDLE")))
		imap_parser_set_raw(&r->p, r->raw = 1);
}

static void
check_first_segment(const struct run *r, const struct imap_token *t,
    unsigned int n)
{
	if (r->dir == IMAP_DIR_SERVER) {
		CHECK(n >= 1);
		CHECK(t[0].type == IMAP_TOK_TAG || t[0].type == IMAP_TOK_STAR ||
		    t[0].type == IMAP_TOK_PLUS);
	} else if (r->raw) {
		CHECK(n == 1 && t[0].type == IMAP_TOK_TEXT);
	} else {
		CHECK(n >= 2);
		CHECK(t[0].type == IMAP_TOK_TAG && t[1].type == IMAP_TOK_ATOM);
	}
}

/* The raw bytes of a LINE or ERROR are the next bytes of the input. */
static void
account_raw(struct run *r, const struct imap_event *ev)
{
	CHECK(ev->rawlen >= 1);
	CHECK(in_buf(ev->raw, ev->rawlen, r->p.line, r->p.linelen));
	CHECK(ev->raw[ev->rawlen - 1] == '\n');
	CHECK(ev->rawlen <= r->inlen - r->pos);
	CHECK(memcmp(ev->raw, r->in + r->pos, ev->rawlen) == 0);
	r->pos += ev->rawlen;
	log_u64(&r->log, ev->rawlen);
	log_put(&r->log, ev->raw, ev->rawlen);
}

static void
on_line(struct run *r, const struct imap_event *ev)
{
	const struct imap_token	*t;
	unsigned int		 n, i;

	log_put(&r->log, "L", 1);
	account_raw(r, ev);
	CHECK(ev->rawlen >= 2 && ev->raw[ev->rawlen - 2] == '\r');
	CHECK(ev->seg == r->segno);
	t = imap_parser_tokens(&r->p, &n);
	CHECK(n <= r->p.tok_max);
	CHECK(ev->tok_first == r->msg_ntok);
	CHECK(ev->tok_first + ev->tok_count == n);
	CHECK(tok_hash(r, t, ev->tok_first) == r->msg_hash);
	for (i = ev->tok_first; i < n; i++) {
		check_token(r, &t[i]);
		CHECK(t[i].type != IMAP_TOK_LITERAL || i == n - 1);
	}
	if (ev->seg == 0)
		check_first_segment(r, t, n);
	log_u64(&r->log, ev->seg);
	log_u64(&r->log, ev->final);
	log_u64(&r->log, ev->tok_count);
	for (i = ev->tok_first; i < n; i++)
		log_token(r, &t[i]);
	if (ev->final) {
		CHECK(r->msg_depth == 0);
		CHECK(ev->tok_count == 0 || t[n - 1].type != IMAP_TOK_LITERAL);
		CHECK(ev->lit == IMAP_LIT_NONE && ev->litlen == 0);
		CHECK(imap_parser_idle(&r->p));
		msg_end(r);
		emulate_session(r, ev);
		return;
	}
	CHECK(ev->tok_count >= 1 && t[n - 1].type == IMAP_TOK_LITERAL);
	CHECK(t[n - 1].num == ev->litlen && t[n - 1].lit == ev->lit);
	CHECK(ev->lit_off < ev->rawlen && t[n - 1].p == ev->raw + ev->lit_off);
	CHECK(ev->raw[ev->lit_off] == '{' || ev->raw[ev->lit_off] == '~');
	CHECK(!imap_parser_idle(&r->p));
	CHECK(imap_parser_in_literal(&r->p) == (ev->litlen > 0));
	log_u64(&r->log, ev->lit);
	log_u64(&r->log, ev->litlen);
	log_u64(&r->log, ev->lit_off);
	r->litleft = ev->litlen;
	r->segno++;
	r->msg_ntok = n;
	r->msg_hash = tok_hash(r, t, n);
	emulate_session(r, ev);
}

static void
on_error(struct run *r, const struct imap_event *ev, size_t n, size_t len)
{
	const struct imap_token	*t;
	unsigned int		 ntok;

	CHECK(ev->err > IMAP_ERR_NONE && ev->err < IMAP_ERR_MAX);
	CHECK(strcmp(imap_err_str(ev->err), "Unknown error") != 0);
	log_put(&r->log, "E", 1);
	log_u64(&r->log, ev->err);
	log_u64(&r->log, ev->fatal);
	if (ev->raw != NULL)
		account_raw(r, ev);
	else
		CHECK(ev->fatal && ev->err == IMAP_ERR_LINE_TOO_LONG);
	if (ev->err == IMAP_ERR_LINE_TOO_LONG)
		CHECK(ev->fatal && ev->raw == NULL);
	t = imap_parser_tokens(&r->p, &ntok);
	if (ev->tag != NULL) {
		CHECK(ntok >= 1 && t[0].type == IMAP_TOK_TAG);
		CHECK(ev->tag == t[0].p && ev->taglen == t[0].len);
		log_u64(&r->log, ev->taglen);
		log_put(&r->log, ev->tag, ev->taglen);
	}
	if (ev->fatal) {
		if (ev->err == IMAP_ERR_LINE_TOO_LONG)
			CHECK(n == len);
		r->dead = 1;
		r->dead_err = ev->err;
		return;
	}
	CHECK(ev->raw != NULL);
	CHECK(imap_parser_idle(&r->p));
	CHECK(!imap_parser_in_literal(&r->p));
	msg_end(r);
	emulate_session(r, ev);
}

static void
on_litdata(struct run *r, const struct imap_event *ev, const uint8_t *data,
    size_t n)
{
	CHECK(r->litleft > 0);
	CHECK(ev->data == data && ev->len == n && n > 0);
	CHECK(n <= r->litleft);
	CHECK(ev->litleft == r->litleft - n);
	CHECK(memcmp(ev->data, r->in + r->pos, n) == 0);
	r->pos += n;
	r->litleft -= n;
	r->litacc += n;
	CHECK(imap_parser_in_literal(&r->p) == (r->litleft > 0));
	if (r->litleft == 0)
		log_litdata(r);
}

/* Consumed but unreported bytes are the unfinished segment. */
static void
check_pending(const struct run *r)
{
	size_t	 pending;

	check_limits(r);
	if (imap_parser_in_literal(&r->p) || imap_parser_idle(&r->p)) {
		CHECK(r->pos == r->consumed);
		return;
	}
	pending = r->p.linelen - r->p.segoff;
	CHECK(r->pos + pending == r->consumed);
	CHECK(memcmp(r->p.line + r->p.segoff, r->in + r->pos, pending) == 0);
}

static void
check_dead(struct run *r, const uint8_t *data, size_t len)
{
	struct imap_event	 ev;

	CHECK(imap_parser_feed(&r->p, data, len, &ev) == len);
	CHECK(ev.type == IMAP_EV_ERROR && ev.fatal && ev.err == r->dead_err);
	CHECK(!imap_parser_idle(&r->p) && !imap_parser_in_literal(&r->p));
}

static void
feed(struct run *r, const uint8_t *data, size_t len)
{
	struct imap_event	 ev;
	size_t			 n;

	if (r->dead) {
		check_dead(r, data, len);
		return;
	}
	while (len > 0) {
		n = imap_parser_feed(&r->p, data, len, &ev);
		CHECK(n > 0 && n <= len);
		switch (ev.type) {
		case IMAP_EV_NEED_MORE:
			CHECK(n == len);
			break;
		case IMAP_EV_LINE:
			on_line(r, &ev);
			break;
		case IMAP_EV_LITDATA:
			on_litdata(r, &ev, data, n);
			break;
		case IMAP_EV_ERROR:
			on_error(r, &ev, n, len);
			break;
		default:
			CHECK(!"unknown event type");
		}
		r->consumed += n;
		data += n;
		len -= n;
		if (r->dead) {
			/* the rest of this read after a fatal error */
			if (len > 0)
				check_dead(r, data, len);
			return;
		}
		check_pending(r);
	}
}

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Chunk sizes from the data: tiny ones, mid-sized ones, and cuts just
 * before, at and after the next LF, where framing bugs live.
 */
static size_t
chunk_len(const uint8_t *in, size_t left, uint64_t *rs)
{
	uint64_t	 x = next_rand(rs);
	const uint8_t	*lf;
	size_t		 n;

	switch (x & 3) {
	case 0:
		n = 1 + (x >> 8) % 3;
		break;
	case 1:
		n = 1 + (x >> 8) % 64;
		break;
	case 2:
		n = 1 + (x >> 8) % 1024;
		break;
	default:
		lf = memchr(in, '\n', left);
		n = lf != NULL ? (size_t)(lf - in) + 1 : left;
		if (((x >> 8) % 3) == 0 && n > 1)
			n--;
		else if (((x >> 8) % 3) == 1)
			n++;
		break;
	}
	return n < left ? n : left;
}

enum chunking {
	CH_WHOLE,
	CH_BYTES,
	CH_DATA
};

static void
run_one(struct run *r, enum imap_dir dir, const struct imap_limits *lim,
    const uint8_t *in, size_t inlen, enum chunking how)
{
	uint64_t	 rs;
	uint8_t		*chunk;
	size_t		 i, n;

	memset(r, 0, sizeof(*r));
	r->dir = dir;
	r->lim = lim;
	r->in = in;
	r->inlen = inlen;
	CHECK(imap_parser_init(&r->p, dir, lim) == 0);
	msg_end(r);
	CHECK(imap_parser_idle(&r->p));
	check_limits(r);

	switch (how) {
	case CH_WHOLE:
		feed(r, in, inlen);
		break;
	case CH_BYTES:
		for (i = 0; i < inlen && !r->dead; i++)
			feed(r, in + i, 1);
		if (i < inlen)
			feed(r, in + i, 1);
		break;
	case CH_DATA:
		rs = hash_bytes(0xcbf29ce484222325ULL, in, inlen) | 1;
		for (i = 0; i < inlen; i += n) {
			n = chunk_len(in + i, inlen - i, &rs);
			chunk = malloc(n);
			CHECK(chunk != NULL);
			memcpy(chunk, in + i, n);
			feed(r, chunk, n);
			/* no pointer into a chunk may outlive it */
			memset(chunk, 0xa5, n);
			free(chunk);
		}
		break;
	}
	if (r->dead)
		check_dead(r, in, inlen);
	else {
		struct imap_event	 ev;

		CHECK(imap_parser_feed(&r->p, in, 0, &ev) == 0);
		CHECK(ev.type == IMAP_EV_NEED_MORE);
		check_pending(r);
		CHECK(r->consumed == inlen);
		log_litdata(r);
	}
	imap_parser_free(&r->p);
}

static void
compare(struct run *a, struct run *b)
{
	CHECK(a->log.len == b->log.len);
	CHECK(a->log.len == 0 ||
	    memcmp(a->log.b, b->log.b, a->log.len) == 0);
	CHECK(a->dead == b->dead);
	CHECK(a->pos == b->pos);
}

static void
run_free(struct run *r)
{
	free(r->log.b);
	r->log.b = NULL;
}

/* Limits small enough for an 8 KiB input to cross every one of them. */
static void
tiny_limits(struct imap_limits *lim, const uint8_t *in, size_t inlen)
{
	uint64_t	 h = hash_bytes(0x84222325cbf29ce4ULL, in, inlen);

	imap_limits_default(lim);
	lim->cmd_line_max = 16 + h % 512;
	lim->resp_line_max = 16 + (h >> 9) % 2048;
	lim->cmd_depth_max = (h >> 20) % 6;
	lim->resp_depth_max = (h >> 23) % 9;
	lim->cmd_args_max = 4 + (h >> 27) % 40;
	lim->resp_args_max = 4 + (h >> 33) % 80;
	lim->lit_max = (h >> 40) % 256;
}

int
fuzz_imap_one(enum imap_dir dir, const uint8_t *in, size_t inlen)
{
	struct imap_limits	 lim, tiny;
	struct run		 whole, bytes, data;

	/*
	 * The defaults, but a line buffer of 64 KiB instead of 4 MiB: no
	 * input is that long (-max_len), so nothing changes but the cost
	 * of allocating it five times per input under ASan.
	 */
	imap_limits_default(&lim);
	if (lim.resp_line_max > FUZZ_LINE_MAX)
		lim.resp_line_max = FUZZ_LINE_MAX;
	if (lim.cmd_line_max > FUZZ_LINE_MAX)
		lim.cmd_line_max = FUZZ_LINE_MAX;
	run_one(&whole, dir, &lim, in, inlen, CH_WHOLE);
	run_one(&bytes, dir, &lim, in, inlen, CH_BYTES);
	compare(&whole, &bytes);
	run_free(&bytes);
	run_one(&data, dir, &lim, in, inlen, CH_DATA);
	compare(&whole, &data);
	run_free(&data);
	run_free(&whole);

	tiny_limits(&tiny, in, inlen);
	run_one(&whole, dir, &tiny, in, inlen, CH_WHOLE);
	run_one(&data, dir, &tiny, in, inlen, CH_DATA);
	compare(&whole, &data);
	run_free(&data);
	run_free(&whole);
	return 0;
}
