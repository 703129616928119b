/*
 * One run of an imap_session as imap_relay.c drives it, against a model
 * of the server, with the stream-agreement invariant asserted: for every
 * byte, postern and the server agree on whether it is command text,
 * literal data or a response (DESIGN.md, "Front door and fleet").
 *
 * Input: the client's bytes, a line "=====", the server's bytes (no such
 * line: the first half is the client's).  The client's bytes are fed as
 * they are, in pieces whose sizes come from the data, honouring flow
 * control (imap_session_want_client()).  The server's bytes are split
 * into whole responses, and a model server decides what of them the
 * session sees: the model reads everything the session lets go upstream
 * (forwarded lines and literal octets, the outbox of held commands, SUBST
 * lines, {n+} lines converted, the relay's own injected commands) with a
 * fresh client-direction parser, as the server would, and answers like a
 * well-behaved server:
 *  - "+" only for a {n} it is waiting for, or to an AUTHENTICATE or IDLE
 *    it runs; a synchronizing literal is sometimes answered with a
 *    tagged NO instead, before its octets (NO [TRYCREATE]);
 *  - tagged answers only to commands it has read, oldest first, with the
 *    status and text of the input's next tagged response if there is one;
 *  - the input's untagged responses between them; its "+" and malformed
 *    responses are dropped.
 * A quarter of the inputs (by their hash) are hostile: the server's
 * responses go to the session as they are, and only the checks that do
 * not depend on the server behaving are made.
 *
 * The policy refuses one in eight commands at their decision event
 * (IMAP_SEVF_CMD_START) and answers them itself, refuses STARTTLS and
 * COMPRESS as the relay does, and injects CAPABILITY commands of its own.
 *
 * Invariants:
 *  (a) every command the model server reads is the next one the session
 *      passed (CMD_START, FORWARD, not refused; or injected): same tag,
 *      same name, in order; none the policy or the grammar refused;
 *      and every SASL response and DONE postern sends is read by the
 *      server as such a line, not as a command;
 *  (b) no literal octets (and no later segment) go upstream before the
 *      server's "+" for that literal was consumed by the session; every
 *      literal upstream is a {n};
 *  (c) after imap_session_refuse() nothing more of that command is
 *      forwarded and the outbox is empty;
 *  (d) every command the client started gets a tagged answer (the
 *      server's, postern's or the policy's) unless the session ended
 *      or the client did not finish it; every tagged answer the client
 *      gets is for a command it started; the session never blocks for a
 *      "+" the model server will not send;
 * and, as before: a call consumes at most what it was given (nothing
 * only when BLOCKED); the bytes of one side's events are that side's
 * input in order up to what the parser still collects; REPLY and CLOSE
 * texts are valid server responses, SUBST texts valid client lines;
 * CLOSE is final; what reaches the client parses without error.
 *
 * One race is a known limit of the protocol and not reported: a command
 * a client pipelines behind AUTHENTICATE, which the server may read as
 * its SASL response once it has sent "+".  That command is never
 * answered, and a SASL line postern sends later may reach a server that
 * reads commands again: it must then fail to parse (it can never be a
 * command); anything else is still checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_session.h"
#include "session_model.h"

static void	default_fail(int, const char *);
void		(*session_model_fail)(int, const char *) = default_fail;

static void	fail_at(int, const char *) __attribute__((noreturn));

#define CHECK(c)	do {						\
	if (!(c))							\
		fail_at(__LINE__, #c);					\
} while (0)
/* A check of the model's view: off once the model cannot know. */
#define MCHECK(f, c)	do {						\
	if (!(f)->moff && !(c))						\
		fail_at(__LINE__, #c);					\
} while (0)

#define TAGSZ	(IMAP_TAG_MAX + 1)

struct bb {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
};

struct side {
	const uint8_t	*in;
	size_t		 len;
	size_t		 fed;		/* consumed by the session */
	size_t		 pos;		/* reported in events */
};

/* What postern announced before its bytes went upstream. */
struct expect {
	char		 tag[TAGSZ];
	char		 name[IMAP_NAME_MAX];
	int		 raw;		/* a SASL response or DONE */
};

/* A command the model server read whole and has not answered. */
enum { K_NORM, K_AUTH, K_IDLE };
struct mcmd {
	char		 tag[TAGSZ];
	int		 kind;
	int		 plus_owed;	/* "+" to send when at the head */
	int		 waiting;	/* for the raw line after it */
	const char	*status;	/* forced answer */
};

/* A command the client started: owed a tagged answer. */
struct owed {
	char		 tag[TAGSZ];
	int		 answered;
	int		 lost;		/* read by the server as SASL */
};

/* A whole response of the input's server half. */
enum { U_BAD = -1 };
struct unit {
	size_t		 off;
	size_t		 len;
	int		 type;		/* IMAP_TOK_{PLUS,STAR,TAG}, U_BAD */
	int		 greeting;
};

struct sm {
	struct imap_session	 s;
	struct imap_limits	 lim;
	struct side		 c;		/* client bytes */
	struct side		 v;		/* server bytes, = sq */
	struct bb		 sq;
	const uint8_t		*vin;		/* the input's server half */
	size_t			 vinlen;
	struct unit		*units;
	size_t			 nunits;
	size_t			 nextunit;
	struct imap_parser	 down;		/* what reaches the client */
	struct bb		 pending;	/* our answers, between resps */
	struct owed		*owed;
	size_t			 nowed;
	struct imap_parser	 up;		/* the model server's reader */
	struct expect		*exp;
	size_t			 nexp;
	size_t			 expoff;
	struct mcmd		*mq;
	size_t			 nmq;
	char			 curtag[TAGSZ];	/* command being read */
	int			 litwait;	/* {n} read, octets due */
	int			 plus_sent;
	int			 plus_ok;	/* its "+" reached the session */
	size_t			 plus_end;
	int			 mraw;		/* K_AUTH, K_IDLE: raw line next */
	uint64_t		 rs;
	int			 closed;
	int			 hostile;
	int			 moff;
	int			 refused;	/* refused cmd still arriving */
	unsigned int		 injected;
};

static void
default_fail(int line, const char *what)
{
	fprintf(stderr, "session_model.c:%d: invariant broken: %s\n", line,
	    what);
	abort();
}

static void
fail_at(int line, const char *what)
{
	session_model_fail(line, what);
	abort();
}

static void
bb_add(struct bb *b, const void *p, size_t n)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (b->len + n > b->cap) {
		ncap = b->cap ? b->cap : 256;
		while (ncap < b->len + n)
			ncap *= 2;
		CHECK((nb = realloc(b->p, ncap)) != NULL);
		b->p = nb;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Grow an array of n elements to hold one more. */
static void *
grow(void *a, size_t n, size_t size)
{
	void	*na;

	CHECK((na = realloc(a, (n + 1) * size)) != NULL);
	return na;
}

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t
hash(const uint8_t *p, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h | 1;
}

static void
copy_tag(char *dst, const void *p, size_t len)
{
	CHECK(len < TAGSZ);
	memcpy(dst, p, len);
	dst[len] = '\0';
}

/* The command's name as imap_session_client.c spells it ("UID FETCH"). */
static void
cmd_name(char *dst, const struct imap_token *tok, unsigned int ntok)
{
	size_t	 i, o = 0, len;
	const struct imap_token *t = &tok[1];

	if (imap_tok_is(&tok[1], "UID") && ntok > 2 &&
	    tok[2].type == IMAP_TOK_ATOM) {
		memcpy(dst, "UID ", 4);
		o = 4;
		t = &tok[2];
	}
	len = t->len;
	if (len > IMAP_NAME_MAX - 1 - o)
		len = IMAP_NAME_MAX - 1 - o;
	for (i = 0; i < len; i++)
		dst[o + i] = (t->p[i] >= 'a' && t->p[i] <= 'z') ?
		    t->p[i] - 32 : t->p[i];
	dst[o + len] = '\0';
}

/* One whole message, parsed by a fresh parser of direction dir. */
static void
check_text(enum imap_dir dir, const char *text, size_t len)
{
	struct imap_parser	 p;
	struct imap_event	 ev;
	struct imap_limits	 lim;
	size_t			 n;

	CHECK(text != NULL && len >= 2);
	CHECK(text[len - 2] == '\r' && text[len - 1] == '\n');
	imap_limits_default(&lim);
	lim.resp_line_max = 64 * 1024;
	CHECK(imap_parser_init(&p, dir, &lim) == 0);
	if (dir == IMAP_DIR_CLIENT && memchr(text, ' ', len) == NULL)
		imap_parser_set_raw(&p, 1);	/* DONE, "*" */
	n = imap_parser_feed(&p, (const uint8_t *)text, len, &ev);
	CHECK(n == len);
	CHECK(ev.type == IMAP_EV_LINE && ev.final);
	imap_parser_free(&p);
}

/* ---- the client's side: what it receives ---- */

static void
owed_push(struct sm *f, const char *tag, size_t len)
{
	f->owed = grow(f->owed, f->nowed, sizeof(*f->owed));
	copy_tag(f->owed[f->nowed].tag, tag, len);
	f->owed[f->nowed].lost = 0;
	f->owed[f->nowed++].answered = 0;
}

static void
owed_answer(struct sm *f, const uint8_t *tag, size_t len)
{
	size_t	 i;
	int	 lost;

	/* a lost command's tag on a later one: the client cannot tell */
	for (lost = 0; lost < 2; lost++)
		for (i = 0; i < f->nowed; i++)
			if (!f->owed[i].answered &&
			    f->owed[i].lost == lost &&
			    strlen(f->owed[i].tag) == len &&
			    memcmp(f->owed[i].tag, tag, len) == 0) {
				f->owed[i].answered = 1;
				return;
			}
	/* (d) a tagged answer for a command the client never started */
	CHECK(!"tagged answer to no command of the client");
}

/*
 * The AUTHENTICATE race: the server never answers this command, the
 * newest with the tag (the AUTHENTICATE itself may have the same).
 */
static void
owed_lost(struct sm *f, const char *tag)
{
	size_t	 i;

	for (i = f->nowed; i-- > 0; )
		if (!f->owed[i].answered && !f->owed[i].lost &&
		    strcmp(f->owed[i].tag, tag) == 0) {
			f->owed[i].lost = 1;
			return;
		}
}

static void
down_parse(struct sm *f, const uint8_t *p, size_t len)
{
	const struct imap_token	*tok;
	struct imap_event	 ev;
	unsigned int		 ntok;
	size_t			 n;

	while (len > 0) {
		n = imap_parser_feed(&f->down, p, len, &ev);
		CHECK(ev.type != IMAP_EV_ERROR);
		if (ev.type == IMAP_EV_LINE && ev.seg == 0) {
			tok = imap_parser_tokens(&f->down, &ntok);
			if (ntok > 0 && tok[0].type == IMAP_TOK_TAG)
				owed_answer(f, tok[0].p, tok[0].len);
		}
		CHECK(n > 0);
		p += n;
		len -= n;
	}
}

/* Our own answers wait for the end of a server response (the relay's). */
static void
down_flush(struct sm *f)
{
	struct bb	 b;

	if (f->pending.len == 0 || !imap_parser_idle(&f->down))
		return;
	b = f->pending;
	memset(&f->pending, 0, sizeof(f->pending));
	down_parse(f, b.p, b.len);
	free(b.p);
}

static void
down_server(struct sm *f, const uint8_t *p, size_t len)
{
	down_parse(f, p, len);
	down_flush(f);
}

static void
down_reply(struct sm *f, const char *p, size_t len)
{
	bb_add(&f->pending, p, len);
	down_flush(f);
}

/* ---- the model server ---- */

static void
sq_add(struct sm *f, const void *p, size_t len)
{
	bb_add(&f->sq, p, len);
	f->v.in = f->sq.p;
	f->v.len = f->sq.len;
}

static void
sq_str(struct sm *f, const char *s)
{
	sq_add(f, s, strlen(s));
}

static void
exp_push(struct sm *f, const char *tag, const char *name, int raw)
{
	struct expect	*e;

	f->exp = grow(f->exp, f->nexp, sizeof(*f->exp));
	e = &f->exp[f->nexp++];
	memset(e, 0, sizeof(*e));
	if (tag != NULL)
		copy_tag(e->tag, tag, strlen(tag));
	if (name != NULL)
		snprintf(e->name, sizeof(e->name), "%s", name);
	e->raw = raw;
}

static void
model_raw_mode(struct sm *f, int kind)
{
	f->mraw = kind;
	imap_parser_set_raw(&f->up, kind != 0);
}

/*
 * A client line the server reads as a SASL response or DONE; not valid:
 * one its parser rejects (8-bit, a bare LF...), a failed SASL response.
 */
static void
model_raw(struct sm *f, const struct imap_event *ev, int valid)
{
	struct mcmd	*m;
	size_t		 len = ev->raw != NULL ? ev->rawlen : 0;

	if (f->expoff < f->nexp && !f->exp[f->expoff].raw) {
		/* postern passed a command here; the server takes it as a
		 * SASL response: the AUTHENTICATE race (see the top) */
		MCHECK(f, f->mraw == K_AUTH);
		owed_lost(f, f->exp[f->expoff].tag);
	}
	MCHECK(f, f->expoff < f->nexp);
	f->expoff++;
	while (len > 0 && (ev->raw[len - 1] == '\n' || ev->raw[len - 1] == '\r'))
		len--;
	MCHECK(f, f->nmq > 0);
	if (f->nmq == 0) {
		model_raw_mode(f, 0);
		return;
	}
	m = &f->mq[f->nmq - 1];
	m->waiting = 0;
	if (f->mraw == K_IDLE) {
		MCHECK(f, valid && len == 4 && strncasecmp((const char *)ev->raw,
		    "DONE", 4) == 0);
		model_raw_mode(f, 0);
		return;
	}
	model_raw_mode(f, 0);
	if (!valid || (len == 1 && ev->raw[0] == '*'))
		m->status = "BAD";
	else if (next_rand(&f->rs) % 3 == 0) {
		/* another round trip: the next line is raw again */
		m->plus_owed = 1;
		m->waiting = 1;
		model_raw_mode(f, K_AUTH);
	}
}

static void
model_line(struct sm *f, const struct imap_event *ev)
{
	const struct imap_token	*tok;
	struct mcmd		*m;
	struct expect		*e;
	unsigned int		 ntok;
	char			 name[IMAP_NAME_MAX];

	if (f->litwait) {
		/* (b) a {0} too waits for the "+" */
		MCHECK(f, f->plus_ok);
		f->litwait = 0;
	}
	if (ev->seg == 0 && f->mraw) {
		model_raw(f, ev, 1);
		return;
	}
	tok = imap_parser_tokens(&f->up, &ntok);
	if (ev->seg == 0) {
		copy_tag(f->curtag, tok[0].p, tok[0].len);
		cmd_name(name, tok, ntok);
		/* (a) */
		MCHECK(f, f->expoff < f->nexp);
		if (f->expoff < f->nexp) {
			e = &f->exp[f->expoff++];
			MCHECK(f, !e->raw);
			MCHECK(f, strcmp(e->tag, f->curtag) == 0);
			MCHECK(f, strcmp(e->name, name) == 0);
		}
	}
	if (!ev->final) {
		/* (b) every literal upstream is a {n} */
		MCHECK(f, IMAP_LIT_KIND(ev->lit) == IMAP_LIT_SYNC);
		f->litwait = 1;
		f->plus_sent = 0;
		f->plus_ok = 0;
		return;
	}
	f->mq = grow(f->mq, f->nmq, sizeof(*f->mq));
	m = &f->mq[f->nmq++];
	memset(m, 0, sizeof(*m));
	snprintf(m->tag, sizeof(m->tag), "%s", f->curtag);
	cmd_name(name, tok, ntok);
	if (strcmp(name, "AUTHENTICATE") == 0 && ntok == 3) {
		m->kind = K_AUTH;
		m->plus_owed = m->waiting = 1;
		model_raw_mode(f, K_AUTH);
	} else if (strcmp(name, "IDLE") == 0) {
		m->kind = K_IDLE;
		m->plus_owed = m->waiting = 1;
		model_raw_mode(f, K_IDLE);
	}
}

/* Bytes postern sends upstream, read as the server reads them. */
static void
up_send(struct sm *f, const void *data, size_t len)
{
	const uint8_t		*p = data;
	struct imap_event	 ev;
	size_t			 n;

	while (len > 0) {
		n = imap_parser_feed(&f->up, p, len, &ev);
		CHECK(n > 0);
		p += n;
		len -= n;
		switch (ev.type) {
		case IMAP_EV_ERROR:
			/* the model cannot follow a stream it lost */
			MCHECK(f, !ev.fatal);
			if (ev.fatal) {
				f->moff = 1;
				break;
			}
			if (ev.seg == 0 && f->mraw) {
				model_raw(f, &ev, 0);
				break;
			}
			/*
			 * The server could not parse what postern sent.  Only
			 * a SASL line after the AUTHENTICATE race may be so:
			 * it can never be a command.
			 */
			MCHECK(f, f->expoff < f->nexp && f->exp[f->expoff].raw &&
			    ev.seg == 0);
			f->expoff++;
			break;
		case IMAP_EV_LITDATA:
			/* (b) */
			MCHECK(f, f->plus_ok);
			break;
		case IMAP_EV_LINE:
			model_line(f, &ev);
			break;
		default:
			break;
		}
	}
}

/* A tagged answer to the oldest command, from the input if it has one. */
static void
model_answer(struct sm *f, const char *status)
{
	const struct unit	*u;
	const uint8_t		*sp;
	struct mcmd		*m = &f->mq[0];
	char			 line[TAGSZ + 64];

	u = f->nextunit < f->nunits ? &f->units[f->nextunit] : NULL;
	if (status == NULL && !f->hostile && u != NULL &&
	    u->type == IMAP_TOK_TAG &&
	    (sp = memchr(f->vin + u->off, ' ', u->len)) != NULL) {
		sq_str(f, m->tag);
		sq_add(f, sp, f->vin + u->off + u->len - sp);
		f->nextunit++;
	} else {
		snprintf(line, sizeof(line), "%s %s done\r\n", m->tag,
		    status != NULL ? status : "OK");
		sq_str(f, line);
	}
	if (m->waiting)
		model_raw_mode(f, 0);
	memmove(&f->mq[0], &f->mq[1], (f->nmq - 1) * sizeof(*f->mq));
	f->nmq--;
}

/* The oldest command the server read: its "+" or its answer. */
static int
model_head(struct sm *f)
{
	struct mcmd	*m;

	if (f->nmq == 0)
		return 0;
	m = &f->mq[0];
	if (m->plus_owed) {
		sq_str(f, m->kind == K_IDLE ? "+ idling\r\n" :
		    "+ UGFzc3dvcmQ6\r\n");
		m->plus_owed = 0;
		return 1;
	}
	if (m->waiting) {
		/* only once the client has nothing more to say */
		if (f->c.fed < f->c.len)
			return 0;
		model_answer(f, m->kind == K_AUTH ? "NO" : "OK");
		return 1;
	}
	model_answer(f, m->status);
	return 1;
}

/* A {n} waits: the server's "+", or (seldom) its NO before the octets. */
static int
model_literal(struct sm *f, uint64_t x)
{
	char	 line[TAGSZ + 64];

	if (!f->litwait || f->plus_sent)
		return 0;
	if ((x & 0x70) == 0) {
		while (f->nmq > 0)
			(void)model_head(f);
		snprintf(line, sizeof(line), "%s NO [TRYCREATE] early\r\n",
		    f->curtag);
		sq_str(f, line);
		imap_parser_abort_message(&f->up);
		f->litwait = 0;
		return 1;
	}
	sq_str(f, "+ OK\r\n");
	f->plus_sent = 1;
	f->plus_end = f->sq.len;
	return 1;
}

/* The input's next response, as the model server lets it through. */
static int
model_unit(struct sm *f)
{
	const struct unit	*u;

	if (f->nextunit >= f->nunits)
		return 0;
	u = &f->units[f->nextunit];
	if (f->hostile || u->type == IMAP_TOK_STAR) {
		sq_add(f, f->vin + u->off, u->len);
		f->nextunit++;
		return 1;
	}
	if (u->type == IMAP_TOK_TAG && f->nmq > 0 && !f->mq[0].plus_owed &&
	    !f->mq[0].waiting)
		return model_head(f);
	f->nextunit++;		/* a "+", a stray tag, garbage */
	return 1;
}

static int
model_step(struct sm *f, uint64_t x)
{
	unsigned int	 i, start = (unsigned int)(x >> 20) % 3;

	for (i = 0; i < 3; i++) {
		switch ((start + i) % 3) {
		case 0:
			if (model_literal(f, x))
				return 1;
			break;
		case 1:
			if (model_head(f))
				return 1;
			break;
		default:
			if (model_unit(f))
				return 1;
			break;
		}
	}
	return 0;
}

/* The input's server half, cut into whole responses. */
static void
units_split(struct sm *f)
{
	struct imap_parser	 p;
	struct imap_event	 ev;
	const struct imap_token	*tok;
	struct unit		*u;
	unsigned int		 ntok;
	size_t			 off = 0, start = 0, n;
	int			 type = U_BAD, greeting = 0;

	CHECK(imap_parser_init(&p, IMAP_DIR_SERVER, &f->lim) == 0);
	while (off < f->vinlen) {
		n = imap_parser_feed(&p, f->vin + off, f->vinlen - off, &ev);
		off += n;
		if (ev.type == IMAP_EV_LINE && ev.seg == 0) {
			tok = imap_parser_tokens(&p, &ntok);
			type = tok[0].type;
			greeting = type == IMAP_TOK_STAR && ntok > 1 &&
			    (imap_tok_is(&tok[1], "OK") ||
			    imap_tok_is(&tok[1], "PREAUTH") ||
			    imap_tok_is(&tok[1], "BYE"));
		}
		if ((ev.type == IMAP_EV_LINE && ev.final) ||
		    ev.type == IMAP_EV_ERROR || off == f->vinlen) {
			f->units = grow(f->units, f->nunits,
			    sizeof(*f->units));
			u = &f->units[f->nunits++];
			u->off = start;
			u->len = (ev.type == IMAP_EV_ERROR && ev.fatal) ?
			    f->vinlen - start : off - start;
			u->type = ev.type == IMAP_EV_LINE && ev.final ? type :
			    U_BAD;
			u->greeting = greeting;
			start = off;
			if (ev.type == IMAP_EV_ERROR && ev.fatal)
				break;
		}
		if (n == 0)
			break;
	}
	imap_parser_free(&p);
}

/* ---- the relay ---- */

static void
account(struct side *sd, const struct imap_event *ev)
{
	switch (ev->type) {
	case IMAP_EV_LINE:
	case IMAP_EV_ERROR:
		if (ev->raw == NULL)
			break;
		CHECK(ev->rawlen <= sd->len - sd->pos);
		CHECK(memcmp(ev->raw, sd->in + sd->pos, ev->rawlen) == 0);
		sd->pos += ev->rawlen;
		break;
	case IMAP_EV_LITDATA:
		CHECK(ev->len <= sd->len - sd->pos);
		CHECK(ev->data == sd->in + sd->pos);
		sd->pos += ev->len;
		break;
	default:
		break;
	}
}

/* Consumed bytes not yet in an event are the parser's open segment. */
static void
check_pending(const struct side *sd, const struct imap_parser *p)
{
	size_t	 pending;

	if (p->dead != IMAP_ERR_NONE)	/* the session is closing */
		return;
	if (imap_parser_in_literal(p) || imap_parser_idle(p))
		pending = 0;
	else
		pending = p->linelen - p->segoff;
	CHECK(sd->pos + pending == sd->fed);
	CHECK(memcmp(p->line + p->segoff, sd->in + sd->pos, pending) == 0);
}

static void
check_sev(struct sm *f, const struct imap_sev *sev)
{
	switch (sev->act) {
	case IMAP_ACT_REPLY:
		check_text(IMAP_DIR_SERVER, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_CLOSE:
		check_text(IMAP_DIR_SERVER, sev->reply, sev->replylen);
		CHECK(memmem(sev->reply, sev->replylen, "BYE", 3) != NULL);
		f->closed = 1;
		break;
	case IMAP_ACT_SUBST:
		check_text(IMAP_DIR_CLIENT, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_NONE:
	case IMAP_ACT_FORWARD:
	case IMAP_ACT_DROP:
	case IMAP_ACT_HOLD:
		break;
	default:
		CHECK(!"unknown action");
	}
}

/* What a held command lets go upstream now (flush_up). */
static void
flush_up(struct sm *f)
{
	const uint8_t	*p;
	size_t		 len;

	while (!f->closed && imap_session_outbox(&f->s, &p, &len)) {
		up_send(f, p, len);
		imap_session_outbox_sent(&f->s, len);
	}
}

/* The relay refuses it and answers itself (policy, STARTTLS, COMPRESS). */
static void
policy_refuse(struct sm *f, const struct imap_sev *sev)
{
	const uint8_t	*p;
	size_t		 len;
	char		 line[TAGSZ + 64];

	CHECK(imap_session_refuse(&f->s, sev->cmd) == 0);
	/* (c) nothing of it goes upstream, now or later */
	CHECK(!imap_session_outbox(&f->s, &p, &len));
	f->refused = f->s.cli_discard;
	/* sev->cmd is valid until the next call */
	snprintf(line, sizeof(line), "%s NO Refused\r\n", sev->cmd->tag);
	down_reply(f, line, strlen(line));
}

static void
client_event(struct sm *f, const struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;
	const char		*sp;

	account(&f->c, ev);
	check_sev(f, sev);
	if (f->refused) {
		/* (c) */
		CHECK(sev->act != IMAP_ACT_FORWARD &&
		    sev->act != IMAP_ACT_HOLD);
		if ((ev->type == IMAP_EV_LINE && ev->final) ||
		    ev->type == IMAP_EV_ERROR)
			f->refused = 0;
	}
	switch (sev->act) {
	case IMAP_ACT_FORWARD:
		if (sev->flags & IMAP_SEVF_CMD_START) {
			CHECK(sev->cmd != NULL);
			owed_push(f, sev->cmd->tag, strlen(sev->cmd->tag));
			if ((sev->flags & (IMAP_SEVF_STARTTLS |
			    IMAP_SEVF_COMPRESS)) ||
			    (next_rand(&f->rs) & 7) == 0) {
				policy_refuse(f, sev);
				return;
			}
			exp_push(f, sev->cmd->tag, sev->cmd->name, 0);
		}
		if (sev->flags & (IMAP_SEVF_SASL | IMAP_SEVF_DONE))
			exp_push(f, NULL, NULL, 1);
		if (sev->flags & IMAP_SEVF_HELD) {
			imap_session_release(&f->s);
			flush_up(f);
		} else if (ev->type == IMAP_EV_LITDATA)
			up_send(f, ev->data, ev->len);
		else if (sev->flags & IMAP_SEVF_LIT_CONVERT) {
			CHECK(sev->plus_off < ev->rawlen &&
			    ev->raw[sev->plus_off] == '+');
			up_send(f, ev->raw, sev->plus_off);
			up_send(f, ev->raw + sev->plus_off + 1,
			    ev->rawlen - sev->plus_off - 1);
		} else
			up_send(f, ev->raw, ev->rawlen);
		break;
	case IMAP_ACT_SUBST:
		CHECK(sev->flags & (IMAP_SEVF_SASL | IMAP_SEVF_DONE));
		exp_push(f, NULL, NULL, 1);
		up_send(f, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_REPLY:
		if ((sev->flags & IMAP_SEVF_REFUSED) &&
		    (sp = memchr(sev->reply, ' ', sev->replylen)) != NULL &&
		    !(sp - sev->reply == 1 && sev->reply[0] == '*'))
			owed_push(f, sev->reply, sp - sev->reply);
		down_reply(f, sev->reply, sev->replylen);
		break;
	default:
		break;
	}
}

static void
server_event(struct sm *f, const struct imap_sev *sev)
{
	const struct imap_event	*ev = &sev->ev;

	account(&f->v, ev);
	check_sev(f, sev);
	if (f->litwait && f->plus_sent && f->v.fed >= f->plus_end)
		f->plus_ok = 1;
	switch (sev->act) {
	case IMAP_ACT_FORWARD:
		if (ev->type == IMAP_EV_LITDATA)
			down_server(f, ev->data, ev->len);
		else {
			CHECK(ev->type == IMAP_EV_LINE);
			down_server(f, ev->raw, ev->rawlen);
		}
		break;
	case IMAP_ACT_REPLY:
		down_reply(f, sev->reply, sev->replylen);
		break;
	case IMAP_ACT_SUBST:
		down_server(f, (const uint8_t *)sev->reply, sev->replylen);
		break;
	default:
		break;
	}
}

/* Feed up to len bytes of one side; returns 0 when it could not. */
static int
feed(struct sm *f, int server, size_t len)
{
	struct side		*sd = server ? &f->v : &f->c;
	struct imap_sev		 sev;
	size_t			 n, done = 0;
	char			 tag[16], line[32];

	if (len > sd->len - sd->fed)
		len = sd->len - sd->fed;
	while (len > 0 && !f->closed) {
		if (server)
			n = imap_session_server(&f->s, sd->in + sd->fed, len,
			    &sev);
		else
			n = imap_session_client(&f->s, sd->in + sd->fed, len,
			    &sev);
		CHECK(n <= len);
		if (n == 0) {
			CHECK(!server && (sev.flags & IMAP_SEVF_BLOCKED));
			CHECK(!imap_session_want_client(&f->s));
			CHECK(sev.act == IMAP_ACT_NONE);
			return done > 0;
		}
		sd->fed += n;
		if (server)
			server_event(f, &sev);
		else
			client_event(f, &sev);
		flush_up(f);
		if (f->closed)
			return 1;
		check_pending(sd, server ? &f->s.srv : &f->s.cli);
		len -= n;
		done += n;
		if ((next_rand(&f->rs) & 31) == 0 && f->injected < 8) {
			snprintf(tag, sizeof(tag), "pst%u", f->injected);
			if (imap_session_inject(&f->s, tag, "CAPABILITY") ==
			    0) {
				f->injected++;
				exp_push(f, tag, "CAPABILITY", 0);
				snprintf(line, sizeof(line),
				    "%s CAPABILITY\r\n", tag);
				up_send(f, line, strlen(line));
			}
		}
	}
	return 1;
}

static void
split(struct sm *f, const uint8_t *data, size_t size)
{
	const uint8_t	*sep;

	sep = memmem(data, size, "\n=====\n", 7);
	if (sep == NULL) {
		f->c.in = data;
		f->c.len = size / 2;
		f->vin = data + size / 2;
		f->vinlen = size - size / 2;
		return;
	}
	f->c.in = data;
	f->c.len = sep + 1 - data;
	f->vin = sep + 7;
	f->vinlen = size - (sep + 7 - data);
}

/* (d) at the end: every command the client finished was answered. */
static void
check_end(struct sm *f)
{
	size_t	 i;

	if (f->closed || f->moff || f->hostile)
		return;
	/* nothing more will come from the server: no wait is legitimate */
	CHECK(f->c.fed == f->c.len);
	CHECK(f->pending.len == 0);
	for (i = 0; i < f->nowed; i++)
		CHECK(f->owed[i].answered || f->owed[i].lost ||
		    (f->s.cur != NULL &&
		    strcmp(f->s.cur->tag, f->owed[i].tag) == 0));
}

void
session_model_run(const uint8_t *data, size_t size)
{
	struct sm	*f;
	struct imap_limits ulim;
	uint64_t	 x;
	size_t		 len;
	unsigned int	 i, start;
	int		 did;

	CHECK((f = calloc(1, sizeof(*f))) != NULL);
	split(f, data, size);
	f->rs = hash(data, size);
	f->hostile = ((f->rs >> 5) & 3) == 0;
	f->moff = f->hostile;
	imap_limits_default(&f->lim);
	/* inputs are far shorter: spare ASan a 4 MiB buffer per parser */
	f->lim.resp_line_max = 64 * 1024;
	if (f->rs & 2) {
		/* small limits, so the limit paths are reached */
		f->lim.lit_max = 64;
		f->lim.lit_append_max = 1024;
		f->lim.cmd_line_max = 256;
		f->lim.inflight_max = 4;
	}
	CHECK(imap_session_init(&f->s, &f->lim) == 0);
	CHECK(imap_parser_init(&f->down, IMAP_DIR_SERVER, &f->lim) == 0);
	ulim = f->lim;
	ulim.cmd_line_max = 1024 * 1024;
	ulim.lit_max = ulim.lit_append_max = IMAP_LIT_APPEND_MAX;
	CHECK(imap_parser_init(&f->up, IMAP_DIR_CLIENT, &ulim) == 0);
	units_split(f);
	if (!f->hostile) {
		if (f->nunits > 0 && f->units[0].greeting)
			(void)model_unit(f);
		else
			sq_str(f, "* OK [CAPABILITY IMAP4rev1 LITERAL+ "
			    "SASL-IR IDLE AUTH=PLAIN] ready\r\n");
	}

	while (!f->closed) {
		x = next_rand(&f->rs);
		len = (x >> 8) & 4 ? 1 + (x >> 16) % 8 : 1 + (x >> 16) % 512;
		start = (unsigned int)(x & 0xff) % 3;
		did = 0;
		for (i = 0; i < 3 && !did; i++) {
			switch ((start + i) % 3) {
			case 0:
				if (f->c.fed < f->c.len &&
				    imap_session_want_client(&f->s))
					did = feed(f, 0, len);
				break;
			case 1:
				if (f->v.fed < f->v.len)
					did = feed(f, 1, len);
				break;
			default:
				did = model_step(f, x);
				break;
			}
		}
		if (!did)
			break;
	}
	check_end(f);

	imap_session_free(&f->s);
	imap_parser_free(&f->down);
	imap_parser_free(&f->up);
	free(f->sq.p);
	free(f->pending.p);
	free(f->units);
	free(f->owed);
	free(f->exp);
	free(f->mq);
	free(f);
}
