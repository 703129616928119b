/*
 * login proxy for POP3: postern greets and takes the login itself
 * (pop3_front.h).  Lines are collected by pop3_parse.h's framing, so
 * a line over the limit is consumed and answered, never held.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "log.h"
#include "pop3_front.h"
#include "pop3_login.h"
#include "pop3_parse.h"
#include "pop3_session.h"
#include "pop3_relay.h"
#include "relay.h"
#include "relay_tls.h"

struct pop3_front {
	struct relay			*r;
	const struct worker_config	*conf;
	struct pop3_limits		 lim;
	struct pop3_line		 line;
	/* USER was taken: PASS next. */
	char				 user[POP3_LOGIN_ARG_MAX];
	size_t				 userlen;
	int				 user_ok;
	/* AUTH PLAIN: our "+ " went out, its response awaited. */
	int				 auth;
	int				 done;
	/* QUIT or STLS answered: nothing more is read in this call. */
	int				 stop;
	char				 replay[POP3_LOGIN_REPLAY_MAX];
	size_t				 replaylen;
	/* The user of the login taken, for its route (relay_front). */
	char				 login_user[POP3_LOGIN_ARG_MAX + 1];
};

static void	*front_new(struct relay *, const struct worker_config *);
static void	 front_free(void *);
static void	 front_greet(void *);
static size_t	 front_input(void *, const uint8_t *, size_t);
static void	 front_again(void *);
static int	 front_login(const void *, const uint8_t **, size_t *);
static const char *front_user(const void *);
static void	 say(struct pop3_front *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 command(struct pop3_front *, const uint8_t *, size_t);
static void	 capa(struct pop3_front *);
static void	 stls(struct pop3_front *);
static void	 auth(struct pop3_front *, const struct pop3_cmd *);
static void	 plain(struct pop3_front *, const char *, size_t);
static void	 take(struct pop3_front *, const struct pop3_plain *,
		    const char *, size_t);
static int	 tls_first(struct pop3_front *);
static int	 tag(const char *, size_t, const char *);

const struct relay_front pop3_front_ops = {
	.f_new = front_new,
	.f_free = front_free,
	.f_greet = front_greet,
	.f_input = front_input,
	.f_again = front_again,
	.f_login = front_login,
	.f_user = front_user,
	.replay_max = POP3_LOGIN_REPLAY_MAX,
};

static void *
front_new(struct relay *r, const struct worker_config *conf)
{
	struct pop3_front	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->r = r;
	f->conf = conf;
	pop3_relay_limits(conf, &f->lim);
	/* What the replay can carry (pop3_login.h). */
	if (f->lim.user_max > POP3_LOGIN_ARG_MAX)
		f->lim.user_max = POP3_LOGIN_ARG_MAX;
	if (f->lim.pass_max > POP3_LOGIN_ARG_MAX)
		f->lim.pass_max = POP3_LOGIN_ARG_MAX;
	if (pop3_line_init(&f->line, f->lim.line_max) == -1) {
		free(f);
		return NULL;
	}
	return f;
}

static void
front_free(void *arg)
{
	struct pop3_front	*f = arg;

	/* A password was here. */
	if (f->line.p != NULL)
		sodium_memzero(f->line.p, f->line.max);
	pop3_line_free(&f->line);
	sodium_memzero(f, sizeof(*f));
	free(f);
}

static void
front_again(void *arg)
{
	struct pop3_front	*f = arg;

	sodium_memzero(f->replay, sizeof(f->replay));
	sodium_memzero(f->user, sizeof(f->user));
	sodium_memzero(f->login_user, sizeof(f->login_user));
	f->replaylen = 0;
	f->userlen = 0;
	f->user_ok = 0;
	f->done = 0;
	f->auth = 0;
}

static int
front_login(const void *arg, const uint8_t **p, size_t *len)
{
	const struct pop3_front	*f = arg;

	if (!f->done)
		return 0;
	*p = (const uint8_t *)f->replay;
	*len = f->replaylen;
	return 1;
}

static const char *
front_user(const void *arg)
{
	const struct pop3_front	*f = arg;

	return f->done ? f->login_user : NULL;
}

static void
say(struct pop3_front *f, const char *fmt, ...)
{
	char	 line[POP3_REPLY_MAX + 8];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	relay_forward(f->r, RELAY_CLIENT, (const uint8_t *)line, (size_t)n, 0);
}

/* "+OK", or the greeting rules' rewrite; their refusal ends it. */
static void
front_greet(void *arg)
{
	struct pop3_front	*f = arg;
	char			 line[POP3_REPLY_MAX];

	if (relay_greeting(f->r, "+OK postern ready", line, sizeof(line)))
		say(f, "%s\r\n", line);
	else {
		say(f, "-ERR %s\r\n", line);
		relay_close(f->r, WORKER_END_POLICY);
	}
}

/* starttls-required and no TLS yet: no login. */
static int
tls_first(struct pop3_front *f)
{
	return relay_tls_mode(f->r) == WORKER_TLS_STARTTLS_REQUIRED &&
	    !relay_tls_active(f->r, RELAY_CLIENT);
}

static size_t
front_input(void *arg, const uint8_t *buf, size_t len)
{
	struct pop3_front	*f = arg;
	const uint8_t		*t;
	size_t			 used = 0, n, tlen;
	enum pop3_line_st	 st;
	int			 a;

	f->stop = 0;
	while (!f->done && !f->stop && used < len) {
		st = pop3_line_feed(&f->line, buf + used, len - used, &n);
		used += n;
		if (st == POP3_LINE_MORE)
			continue;
		a = f->auth;
		f->auth = 0;
		if (st == POP3_LINE_LONG) {
			log_info("login proxy: line over %zu bytes refused",
			    f->lim.line_max);
			say(f, a ? "-ERR Authentication line too long\r\n" :
			    "-ERR Line too long\r\n");
			sodium_memzero(f->line.p, f->line.len);
			continue;
		}
		tlen = pop3_line_text(&f->line, &t);
		if (pop3_line_bare_lf(&f->line))
			say(f, "-ERR Line must end in CRLF\r\n");
		else if (a)
			plain(f, (const char *)t, tlen);
		else
			command(f, t, tlen);
		/* A whole line, done with: it may have held a password. */
		sodium_memzero(f->line.p, f->line.len);
	}
	return used;
}

static void
command(struct pop3_front *f, const uint8_t *t, size_t tlen)
{
	static const char *const later[] = { "STAT", "LIST", "RETR", "DELE",
	    "NOOP", "RSET", "TOP", "UIDL" };
	struct pop3_cmd		 c;
	struct pop3_plain	 p;
	enum pop3_cmd_err	 e;
	size_t			 i;

	if ((e = pop3_cmd_parse(t, tlen, &c)) != POP3_CMD_OK) {
		say(f, e == POP3_CMD_CTL ? "-ERR Control character in "
		    "command\r\n" : "-ERR Invalid command\r\n");
		return;
	}
	if (strcmp(c.kw, "CAPA") == 0 && c.nargs == 0)
		capa(f);
	else if (strcmp(c.kw, "QUIT") == 0 && c.nargs == 0) {
		say(f, "+OK Logging out\r\n");
		relay_close(f->r, WORKER_END_LOGOUT);
		f->stop = 1;
	} else if (strcmp(c.kw, "STLS") == 0 && c.nargs == 0)
		stls(f);
	else if (strcmp(c.kw, "USER") == 0) {
		f->user_ok = 0;
		if (tls_first(f))
			say(f, "-ERR Use STLS first\r\n");
		else if (c.nargs != 1 || c.arglen[0] == 0)
			say(f, "-ERR Invalid arguments\r\n");
		else if (c.arglen[0] > f->lim.user_max) {
			log_info("login proxy: USER: name over %zu bytes "
			    "refused", f->lim.user_max);
			say(f, "-ERR User name too long\r\n");
		} else {
			memcpy(f->user, c.arg[0], c.arglen[0]);
			f->userlen = c.arglen[0];
			f->user_ok = 1;
			say(f, "+OK\r\n");
		}
	} else if (strcmp(c.kw, "PASS") == 0) {
		if (!f->user_ok)
			say(f, "-ERR USER first\r\n");
		else if (c.restlen == 0)
			say(f, "-ERR Invalid arguments\r\n");
		else if (c.restlen > f->lim.pass_max) {
			log_info("login proxy: PASS: password over %zu bytes "
			    "refused", f->lim.pass_max);
			say(f, "-ERR Password too long\r\n");
		} else {
			memset(&p, 0, sizeof(p));
			p.authz = (const uint8_t *)"";
			p.authc = (const uint8_t *)f->user;
			p.authclen = f->userlen;
			p.pass = (const uint8_t *)c.rest;
			p.passlen = c.restlen;
			take(f, &p, NULL, 0);
		}
		f->user_ok = 0;
	} else if (strcmp(c.kw, "AUTH") == 0)
		auth(f, &c);
	else if (strcmp(c.kw, "APOP") == 0)
		say(f, "-ERR APOP is not available through this proxy: use "
		    "USER and PASS or AUTH PLAIN\r\n");
	else {
		for (i = 0; i < sizeof(later) / sizeof(later[0]); i++)
			if (strcmp(c.kw, later[i]) == 0)
				break;
		say(f, i < sizeof(later) / sizeof(later[0]) ?
		    "-ERR Command not valid in this state\r\n" :
		    "-ERR Unknown command\r\n");
	}
}

/*
 * The server's CAPA lines as its health check kept them
 * (worker_session.capability), or a sane set when none did, without
 * what is postern's to offer (STLS, SASL, USER), through the capability
 * rules; then postern's own: USER and SASL PLAIN, which it replays in a
 * form the server takes (pop3_login.h), and STLS when offered.
 */
static void
capa(struct pop3_front *f)
{
	static const char	 sane[] = "TOP\nUIDL\nRESP-CODES\n"
	    "AUTH-RESP-CODE\nPIPELINING";
	const char		*src = relay_session(f->r)->capability;
	const char		*w;
	size_t			 len;
	int			 plaintext, login;

	plaintext = !relay_tls_active(f->r, RELAY_CLIENT);
	login = !tls_first(f);
	if (*src == '\0')
		src = sane;
	say(f, "+OK Capability list follows\r\n");
	for (w = src; *w != '\0'; w += len + (w[len] == '\n')) {
		len = strcspn(w, "\n");
		if (len == 0 || len > POP3_REPLY_MAX || tag(w, len, "STLS") ||
		    tag(w, len, "USER") || tag(w, len, "SASL") ||
		    !relay_cap_kept(f->r, w, len))
			continue;
		say(f, "%.*s\r\n", (int)len, w);
	}
	if (login && relay_cap_kept(f->r, "USER", 4))
		say(f, "USER\r\n");
	if (login && relay_cap_kept(f->r, "SASL PLAIN", 10))
		say(f, "SASL PLAIN\r\n");
	if (plaintext && (relay_tls_mode(f->r) == WORKER_TLS_STARTTLS ||
	    relay_tls_mode(f->r) == WORKER_TLS_STARTTLS_REQUIRED))
		say(f, "STLS\r\n");
	say(f, ".\r\n");
}

/* The CAPA line w..len is capability t's (RFC 2449 section 6). */
static int
tag(const char *w, size_t len, const char *t)
{
	size_t	 n = strlen(t);

	return len >= n && strncasecmp(w, t, n) == 0 && (len == n ||
	    w[n] == ' ');
}

static void
stls(struct pop3_front *f)
{
	enum worker_tls_mode	 m = relay_tls_mode(f->r);

	if (relay_tls_active(f->r, RELAY_CLIENT))
		say(f, "-ERR TLS is already active\r\n");
	else if (m != WORKER_TLS_STARTTLS && m != WORKER_TLS_STARTTLS_REQUIRED)
		say(f, "-ERR STLS is not available through this proxy\r\n");
	else if (f->user_ok)
		say(f, "-ERR STLS only before USER\r\n");
	else {
		say(f, "+OK Begin TLS negotiation now\r\n");
		/* What follows it is refused there (relay_tls.h). */
		relay_starttls(f->r);
		f->stop = 1;
	}
}

/* AUTH mechanism [initial-response] (RFC 5034). */
static void
auth(struct pop3_front *f, const struct pop3_cmd *c)
{
	f->user_ok = 0;
	if (c->nargs == 0 || c->nargs > 2 || c->many)
		say(f, "-ERR AUTH needs a mechanism\r\n");
	else if (c->arglen[0] != 5 || strncasecmp(c->arg[0], "PLAIN", 5) !=
	    0)
		say(f, "-ERR Only AUTH PLAIN through this proxy\r\n");
	else if (tls_first(f))
		say(f, "-ERR Use STLS first\r\n");
	else if (c->nargs == 2 && c->arglen[1] == 1 && c->arg[1][0] == '=')
		/* The empty response: PLAIN needs its three parts. */
		plain(f, "", 0);
	else if (c->nargs == 2)
		plain(f, c->arg[1], c->arglen[1]);
	else {
		f->auth = 1;
		say(f, "+ \r\n");
	}
}

/* AUTH PLAIN's response, base64; "*" cancels (RFC 5034 section 4). */
static void
plain(struct pop3_front *f, const char *b64, size_t len)
{
	uint8_t			 bin[3 * POP3_LOGIN_ARG_MAX + 3];
	struct pop3_plain	 p;

	if (len == 1 && b64[0] == '*')
		say(f, "-ERR Authentication cancelled\r\n");
	else if (pop3_plain_decode(b64, len, bin, sizeof(bin), &p) == -1)
		say(f, "-ERR Invalid base64 or PLAIN response\r\n");
	else if (p.authclen > f->lim.user_max || p.passlen >
	    f->lim.pass_max || p.authzlen > f->lim.user_max)
		say(f, "-ERR User name or password too long\r\n");
	else
		take(f, &p, b64, len);
	sodium_memzero(bin, sizeof(bin));
}

/* The login taken: the lines relay.c replays, and the upstream asked. */
static void
take(struct pop3_front *f, const struct pop3_plain *p, const char *b64,
    size_t b64len)
{
	int	 n;

	n = pop3_login_replay(relay_session(f->r)->capability, p, b64,
	    b64len, f->replay, sizeof(f->replay));
	if (n <= 0) {
		say(f, "-ERR [AUTH] This login cannot be passed on to the "
		    "server: no authorization identity other than the "
		    "user's, no space in the name\r\n");
		sodium_memzero(f->replay, sizeof(f->replay));
		return;
	}
	f->replaylen = (size_t)n;
	f->done = 1;
	/* pop3_login_replay() refused a longer one, or one with a NUL. */
	(void)snprintf(f->login_user, sizeof(f->login_user), "%.*s",
	    (int)(p->authclen < sizeof(f->login_user) ? p->authclen :
	    sizeof(f->login_user) - 1), (const char *)p->authc);
	log_debug("login proxy: login of %.*s taken", (int)(p->authclen > 64 ?
	    64 : p->authclen), (const char *)p->authc);
}
