/*
 * policyd's connection to Redis (fleet.h).
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/sys/queue.h>
#include <hiredis/hiredis.h>

#include "clock.h"
#include "fleet.h"
#include "log.h"

#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	30000
/* Arguments of one EVAL: EVAL, script, numkeys, keys, args. */
#define ARGV_MAX	16

enum fleet_state {
	F_OFF,		/* not configured */
	F_DOWN,		/* no connection; ask at retry_at */
	F_ASKED,	/* the master is connecting */
	F_HELLO,	/* AUTH and PING sent */
	F_UP,
};

struct call {
	TAILQ_ENTRY(call)	 entry;
	fleet_cb		*cb;		/* NULL: the hello's own */
	void			*arg;
	int64_t			 deadline;
};
TAILQ_HEAD(callq, call);

static struct fleet_conf fc;
static void		 (*ask)(void);
static enum fleet_state	 state = F_OFF;
static int		 fd = -1;
static redisReader	*reader;
static char		*out;		/* formatted, not yet written */
static size_t		 outlen, outsize;
static struct callq	 calls = TAILQ_HEAD_INITIALIZER(calls);
static int64_t		 retry_at;
static int64_t		 backoff = BACKOFF_MIN_MS;
static int		 told_down;	/* this outage is logged */
static int		 ever_up;

static void	 down(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	 queue(int, const char **, const size_t *, fleet_cb *,
		    void *);
static void	 reply(const redisReply *);
static void	 flush(void);
static void	 input(void);

void
fleet_init(const struct fleet_conf *c, void (*ask_fn)(void))
{
	fc = *c;
	ask = ask_fn;
	if (!fc.redis)
		return;
	fc.where[sizeof(fc.where) - 1] = '\0';
	if (fc.passlen >= sizeof(fc.password))
		fatalx("config: a Redis password of %u bytes", fc.passlen);
	state = F_DOWN;
	retry_at = 0;
}

int
fleet_up(void)
{
	return state == F_UP;
}

/*
 * Lost: every waiting caller falls back to this node's counters now,
 * and a new connection is asked for after the back-off.
 */
static void
down(const char *fmt, ...)
{
	struct call	*c;
	char		 why[256];
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!told_down)
		log_warnx("counters: Redis at %s: %s; counting on this node "
		    "alone until it is back", fc.where, why);
	else
		log_debug("counters: Redis at %s: %s", fc.where, why);
	told_down = 1;
	if (fd != -1)
		close(fd);
	fd = -1;
	if (reader != NULL)
		redisReaderFree(reader);
	reader = NULL;
	outlen = 0;
	while ((c = TAILQ_FIRST(&calls)) != NULL) {
		TAILQ_REMOVE(&calls, c, entry);
		if (c->cb != NULL)
			c->cb(c->arg, NULL);
		free(c);
	}
	state = F_DOWN;
	retry_at = now_ms() + backoff;
	backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
}

void
fleet_socket(int sfd, int error)
{
	const char	*auth[2] = { "AUTH", fc.password };
	const size_t	 authlen[2] = { 4, fc.passlen };
	const char	*ping[1] = { "PING" };
	const size_t	 pinglen[1] = { 4 };

	if (state != F_ASKED) {
		if (sfd != -1)
			close(sfd);
		return;
	}
	if (sfd == -1) {
		down("connect: %s", strerror(error));
		return;
	}
	fd = sfd;
	if ((reader = redisReaderCreate()) == NULL)
		fatal("redisReaderCreate");
	state = F_HELLO;
	if ((fc.passlen > 0 && queue(2, auth, authlen, NULL, NULL) == -1) ||
	    queue(1, ping, pinglen, NULL, NULL) == -1)
		down("no memory for the hello");
}

/* Format argv onto the output, and wait for its reply. */
static int
queue(int argc, const char **argv, const size_t *argvlen, fleet_cb *cb,
    void *arg)
{
	struct call	*c;
	char		*cmd, *n;
	int		 len;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if ((len = redisFormatCommandArgv(&cmd, argc, argv, argvlen)) < 0) {
		free(c);
		return -1;
	}
	if (outlen + (size_t)len > outsize) {
		if ((n = realloc(out, outlen + (size_t)len)) == NULL) {
			redisFreeCommand(cmd);
			free(c);
			return -1;
		}
		out = n;
		outsize = outlen + (size_t)len;
	}
	memcpy(out + outlen, cmd, (size_t)len);
	outlen += (size_t)len;
	redisFreeCommand(cmd);
	c->cb = cb;
	c->arg = arg;
	c->deadline = now_ms() + fc.timeout_ms;
	TAILQ_INSERT_TAIL(&calls, c, entry);
	return 0;
}

int
fleet_eval(const char *script, const char *const *keys, size_t nkeys,
    const char *const *args, size_t nargs, fleet_cb *cb, void *arg)
{
	const char	*argv[ARGV_MAX];
	size_t		 argvlen[ARGV_MAX], i, n = 0;
	char		 nk[16];

	if (state != F_UP || 3 + nkeys + nargs > ARGV_MAX)
		return -1;
	(void)snprintf(nk, sizeof(nk), "%zu", nkeys);
	argv[n++] = "EVAL";
	argv[n++] = script;
	argv[n++] = nk;
	for (i = 0; i < nkeys; i++)
		argv[n++] = keys[i];
	for (i = 0; i < nargs; i++)
		argv[n++] = args[i];
	for (i = 0; i < n; i++)
		argvlen[i] = strlen(argv[i]);
	if (queue((int)n, argv, argvlen, cb, arg) == -1) {
		log_warnx("counters: no memory for a Redis request");
		return -1;
	}
	return 0;
}

int
fleet_pollfd(short *events)
{
	*events = POLLIN | (outlen > 0 ? POLLOUT : 0);
	return fd;
}

int
fleet_timeout(int64_t now)
{
	struct call	*c = TAILQ_FIRST(&calls);
	int64_t		 at;

	if (c != NULL)
		at = c->deadline;
	else if (state == F_DOWN)
		at = retry_at;
	else
		return -1;
	return at <= now ? 0 : (int)(at - now);
}

void
fleet_run(short revents, int64_t now)
{
	struct call	*c;

	if (state == F_OFF)
		return;
	if (fd != -1 && (revents & POLLOUT))
		flush();
	if (fd != -1 && (revents & (POLLIN | POLLHUP | POLLERR)))
		input();
	if ((c = TAILQ_FIRST(&calls)) != NULL && c->deadline <= now)
		down("no answer within %u ms (timeout counters)",
		    fc.timeout_ms);
	if (state == F_DOWN && now >= retry_at) {
		state = F_ASKED;
		ask();
	}
}

static void
flush(void)
{
	ssize_t	 n;

	while (outlen > 0) {
		if ((n = write(fd, out, outlen)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			down("write: %s", strerror(errno));
			return;
		}
		memmove(out, out + n, outlen - (size_t)n);
		outlen -= (size_t)n;
	}
}

static void
input(void)
{
	char		 buf[4096];
	void		*r;
	ssize_t		 n;

	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) == 0) {
			down("it closed the connection");
			return;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			down("read: %s", strerror(errno));
			return;
		}
		if (redisReaderFeed(reader, buf, (size_t)n) != REDIS_OK) {
			down("a reply hiredis cannot read");
			return;
		}
		for (;;) {
			r = NULL;
			if (redisReaderGetReply(reader, &r) != REDIS_OK) {
				down("a reply hiredis cannot read: %s",
				    reader->errstr);
				return;
			}
			if (r == NULL)
				break;
			reply(r);
			freeReplyObject(r);
			if (state == F_DOWN)
				return;
		}
	}
}

/* Numbers out of an integer or an array of integers. */
static int
numbers(const redisReply *r, struct fleet_reply *fr)
{
	size_t	 i;

	memset(fr, 0, sizeof(*fr));
	if (r->type == REDIS_REPLY_INTEGER) {
		fr->v[0] = r->integer;
		fr->n = 1;
		return 0;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements > 4)
		return -1;
	for (i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_INTEGER)
			return -1;
		fr->v[i] = r->element[i]->integer;
	}
	fr->n = r->elements;
	return 0;
}

/* The reply to the oldest call. */
static void
reply(const redisReply *r)
{
	struct call		*c = TAILQ_FIRST(&calls);
	struct fleet_reply	 fr;
	int			 ok;

	if (c == NULL) {
		down("a reply nobody asked for");
		return;
	}
	TAILQ_REMOVE(&calls, c, entry);
	if (c->cb == NULL) {
		free(c);
		if (r->type == REDIS_REPLY_ERROR) {
			down("%.*s", (int)(r->len > 120 ? 120 : r->len),
			    r->str);
			return;
		}
		if (state == F_HELLO && TAILQ_EMPTY(&calls)) {
			state = F_UP;
			backoff = BACKOFF_MIN_MS;
			if (told_down || !ever_up)
				log_info("counters: Redis at %s answers: "
				    "counting with the fleet", fc.where);
			told_down = 0;
			ever_up = 1;
		}
		return;
	}
	ok = numbers(r, &fr) == 0;
	if (!ok)
		log_warnx("counters: Redis at %s: unexpected reply%s%.*s",
		    fc.where, r->type == REDIS_REPLY_ERROR ? ": " : "",
		    r->type == REDIS_REPLY_ERROR ? (int)(r->len > 120 ? 120 :
		    r->len) : 0, r->type == REDIS_REPLY_ERROR ? r->str : "");
	c->cb(c->arg, ok ? &fr : NULL);
	free(c);
}
