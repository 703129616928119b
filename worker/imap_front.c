/*
 * login proxy: postern greets and takes the login itself
 * (imap_front.h).  The client's lines are read whole; a LOGIN with
 * literals waits here, in the relay's input buffer, until the last one
 * is in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "imap_front.h"
#include "imap_limits.h"
#include "log.h"
#include "relay.h"
#include "relay_tls.h"

/* A command line before the login, literals aside: a token fits. */
#define FRONT_LINE_MAX	(IMAP_FRONT_TOKEN_MAX + 256)

/* AUTHENTICATE's mechanisms taken (struct imap_front, auth). */
enum mech {
	M_NONE = 0,
	M_PLAIN,
	M_OAUTHBEARER,
	M_XOAUTH2,
};

static const char *const mech_name[] = { "", "PLAIN", "OAUTHBEARER",
    "XOAUTH2" };

struct imap_front {
	struct relay			*r;
	const struct worker_config	*conf;
	/* AUTHENTICATE: our "+" went out, its response awaited. */
	enum mech			 auth;
	char				 tag[IMAP_TAG_MAX + 1];
	/* LOGIN: synchronizing literals we said "+" to, of lits so far. */
	unsigned int			 acked;
	unsigned int			 lits;
	int				 done;
	char				 replay[IMAP_FRONT_REPLAY_MAX];
	size_t				 replaylen;
	char				 user[IMAP_FRONT_ARG_MAX + 1];
};

static void	 say(struct imap_front *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 capability(struct imap_front *, char *, size_t);
static int	 arg(struct imap_front *, const uint8_t **, const uint8_t *,
		    char *, size_t *);
static size_t	 login(struct imap_front *, const uint8_t *,
		    const uint8_t *, const uint8_t *);
static void	 plain(struct imap_front *, const char *, size_t);
static int	 server_plain(const struct imap_front *);
static int	 server_token(const struct imap_front *, enum mech);
static void	 token(struct imap_front *, enum mech, const char *, size_t);
static void	 authenticate(struct imap_front *, const uint8_t *,
		    const uint8_t *);
static int	 word(const char *, const char *);
static void	 take(struct imap_front *, const char *, size_t,
		    const char *, size_t);

static void	*front_new(struct relay *, const struct worker_config *);
static void	 front_free(void *);
static void	 front_greet(void *);
static size_t	 front_input(void *, const uint8_t *, size_t);
static void	 front_again(void *);
static int	 front_login(const void *, const uint8_t **, size_t *);
static const char *front_user(const void *);

const struct relay_front imap_front_ops = {
	.f_new = front_new,
	.f_free = front_free,
	.f_greet = front_greet,
	.f_input = front_input,
	.f_again = front_again,
	.f_login = front_login,
	.f_user = front_user,
	.replay_max = IMAP_FRONT_REPLAY_MAX,
};

static void *
front_new(struct relay *r, const struct worker_config *conf)
{
	return imap_front_new(r, conf);
}

static void
front_free(void *f)
{
	imap_front_free(f);
}

static void
front_greet(void *f)
{
	imap_front_greet(f);
}

static size_t
front_input(void *f, const uint8_t *p, size_t len)
{
	return imap_front_input(f, p, len);
}

static void
front_again(void *f)
{
	imap_front_again(f);
}

static int
front_login(const void *f, const uint8_t **p, size_t *len)
{
	return imap_front_login(f, p, len);
}

static void
say(struct imap_front *f, const char *fmt, ...)
{
	char	 line[WORKER_CAPA_MAX + 256];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	relay_forward(f->r, RELAY_CLIENT, (const uint8_t *)line, (size_t)n, 0);
}

/*
 * What a client may do before its login: the server's capabilities as
 * its health check last kept them (worker_session.capability), or a
 * sane set when none did, without what is postern's to offer before the
 * login (STARTTLS, LOGINDISABLED, AUTH=, COMPRESS=), through the
 * capability rules; then postern's own.  The server's list after the
 * login comes with its answer, filtered as in relay mode.
 */
static void
capability(struct imap_front *f, char *buf, size_t size)
{
	static const char	 sane[] = "IMAP4rev1 SASL-IR LOGIN-REFERRALS "
	    "ID ENABLE IDLE LITERAL+";
	const char		*src = relay_session(f->r)->capability;
	enum worker_tls_mode	 m = relay_tls_mode(f->r);
	const char		*w, *e, *add[5];
	size_t			 have = 0, len, i, n = 0;
	int			 plaintext, k;

	plaintext = !relay_tls_active(f->r, RELAY_CLIENT);
	if (*src == '\0')
		src = sane;
	buf[0] = '\0';
	for (w = src; *w != '\0'; w = e) {
		while (*w == ' ')
			w++;
		if ((len = strcspn(w, " ")) == 0)
			break;
		e = w + len;
		if ((len == 8 && strncasecmp(w, "STARTTLS", 8) == 0) ||
		    (len == 13 && strncasecmp(w, "LOGINDISABLED", 13) == 0) ||
		    (len > 5 && strncasecmp(w, "AUTH=", 5) == 0) ||
		    (len > 9 && strncasecmp(w, "COMPRESS=", 9) == 0) ||
		    !relay_cap_kept(f->r, w, len))
			continue;
		if (have + len + 1 >= size)
			break;
		k = snprintf(buf + have, size - have, "%s%.*s",
		    have > 0 ? " " : "", (int)len, w);
		have += (size_t)k;
	}
	if (plaintext && (m == WORKER_TLS_STARTTLS ||
	    m == WORKER_TLS_STARTTLS_REQUIRED))
		add[n++] = "STARTTLS";
	if (plaintext && m == WORKER_TLS_STARTTLS_REQUIRED)
		add[n++] = "LOGINDISABLED";
	else {
		if (relay_cap_kept(f->r, "AUTH=PLAIN", 10))
			add[n++] = "AUTH=PLAIN";
		/* Passed through: only when the server takes them. */
		if (server_token(f, M_OAUTHBEARER))
			add[n++] = "AUTH=OAUTHBEARER";
		if (server_token(f, M_XOAUTH2))
			add[n++] = "AUTH=XOAUTH2";
	}
	for (i = 0; i < n; i++) {
		len = strlen(add[i]);
		if (have + len + 1 >= size)
			break;
		k = snprintf(buf + have, size - have, "%s%s",
		    have > 0 ? " " : "", add[i]);
		have += (size_t)k;
	}
}

struct imap_front *
imap_front_new(struct relay *r, const struct worker_config *conf)
{
	struct imap_front	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->r = r;
	f->conf = conf;
	return f;
}

void
imap_front_greet(struct imap_front *f)
{
	char	 caps[WORKER_CAPA_MAX + 64];

	capability(f, caps, sizeof(caps));
	say(f, "* OK [CAPABILITY %s] postern ready\r\n", caps);
}

void
imap_front_free(struct imap_front *f)
{
	if (f == NULL)
		return;
	sodium_memzero(f, sizeof(*f));	/* a password was here */
	free(f);
}

void
imap_front_again(struct imap_front *f)
{
	sodium_memzero(f->replay, sizeof(f->replay));
	f->replaylen = 0;
	f->done = 0;
	f->auth = M_NONE;
	f->acked = 0;
}

int
imap_front_login(const struct imap_front *f, const uint8_t **p,
    size_t *len)
{
	if (!f->done)
		return 0;
	*p = (const uint8_t *)f->replay;
	*len = f->replaylen;
	return 1;
}

/*
 * One astring of LOGIN at *pp: an atom, a quoted string or a literal.
 * 1 taken, 0 more input needed, -1 refused (answered).
 */
static int
arg(struct imap_front *f, const uint8_t **pp, const uint8_t *end, char *out,
    size_t *outlen)
{
	const uint8_t	*p = *pp;
	size_t		 n = 0;
	unsigned long	 len;
	char		*e, num[16];
	int		 plus;

	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (*p == '\r' || *p == '\n' || n == IMAP_FRONT_ARG_MAX)
				goto bad;
			out[n++] = (char)*p;
		}
		if (p == end)
			goto bad;
		*pp = p + 1;
		*outlen = n;
		return 1;
	}
	if (p < end && *p == '{') {
		for (p++; p < end && *p != '}' && n < sizeof(num) - 1; p++)
			num[n++] = (char)*p;
		num[n] = '\0';
		if (p == end || *p != '}' || n == 0)
			goto bad;
		plus = num[n - 1] == '+';
		if (plus)
			num[n - 1] = '\0';
		errno = 0;
		len = strtoul(num, &e, 10);
		if (*e != '\0' || errno != 0 || num[0] < '0' || num[0] > '9')
			goto bad;
		if (len > IMAP_FRONT_ARG_MAX) {
			say(f, "%s BAD [TOOBIG] Login argument over %d "
			    "bytes\r\n", f->tag, IMAP_FRONT_ARG_MAX);
			return -1;
		}
		p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			goto bad;
		p += 2;
		f->lits++;
		if ((size_t)(end - p) < len) {
			/*
			 * A synchronizing literal waits for our "+", said
			 * once: the command is parsed again as more comes.
			 */
			if (!plus && f->lits > f->acked) {
				say(f, "+ Ready for literal data\r\n");
				f->acked = f->lits;
			}
			return 0;
		}
		memcpy(out, p, len);
		*outlen = len;
		*pp = p + len;
		return 1;
	}
	for (; p < end && *p > ' ' && *p < 0x7f && *p != '(' && *p != ')' &&
	    *p != '{' && *p != '"' && *p != '%' && *p != '*'; p++) {
		if (n == IMAP_FRONT_ARG_MAX) {
			say(f, "%s BAD [TOOBIG] Login argument over %d "
			    "bytes\r\n", f->tag, IMAP_FRONT_ARG_MAX);
			return -1;
		}
		out[n++] = (char)*p;
	}
	if (n == 0)
		goto bad;
	*pp = p;
	*outlen = n;
	return 1;
 bad:
	say(f, "%s BAD Invalid arguments to LOGIN\r\n", f->tag);
	return -1;
}

/*
 * LOGIN user pass, from p (after "LOGIN ") in the input buf..end.  The
 * bytes consumed: 0 while a literal is still to come.
 */
static size_t
login(struct imap_front *f, const uint8_t *buf, const uint8_t *p,
    const uint8_t *end)
{
	char		 user[IMAP_FRONT_ARG_MAX], pass[IMAP_FRONT_ARG_MAX];
	size_t		 ulen, plen;
	const uint8_t	*nl;
	int		 rc;

	f->lits = 0;
	if ((rc = arg(f, &p, end, user, &ulen)) != 1)
		goto out;
	if (p >= end || *p != ' ') {
		rc = -1;
		say(f, "%s BAD Invalid arguments to LOGIN\r\n", f->tag);
		goto out;
	}
	p++;
	if ((rc = arg(f, &p, end, pass, &plen)) != 1)
		goto out;
	if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
		/* A literal's line goes on, or junk follows. */
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			rc = 0;
			goto out;
		}
		say(f, "%s BAD Invalid arguments to LOGIN\r\n", f->tag);
		rc = -1;
		p = nl + 1;
		goto out;
	}
	p += 2;
	take(f, user, ulen, pass, plen);
 out:
	sodium_memzero(pass, sizeof(pass));
	if (rc == 0)
		return 0;
	f->acked = 0;
	if (rc == -1) {
		/* Skip to the end of what is read of the command. */
		if ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
			return (size_t)(nl + 1 - buf);
		return (size_t)(end - buf);
	}
	return (size_t)(p - buf);
}

/* Appends s as a quoted string: the engine parses what it replays. */
static void
quote(struct imap_front *f, const char *s, size_t len)
{
	size_t	 i;

	f->replay[f->replaylen++] = '"';
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			f->replay[f->replaylen++] = '\\';
		f->replay[f->replaylen++] = s[i];
	}
	f->replay[f->replaylen++] = '"';
}

/* The login taken: the line relay.c replays, and the upstream asked. */
static void
take(struct imap_front *f, const char *user, size_t ulen, const char *pass,
    size_t plen)
{
	if (memchr(user, '\0', ulen) != NULL || memchr(pass, '\0', plen) !=
	    NULL || memchr(user, '\r', ulen) != NULL || memchr(pass, '\r',
	    plen) != NULL || memchr(user, '\n', ulen) != NULL ||
	    memchr(pass, '\n', plen) != NULL) {
		say(f, "%s NO [AUTHENTICATIONFAILED] Invalid characters in "
		    "the login\r\n", f->tag);
		return;
	}
	f->replaylen = (size_t)snprintf(f->replay, sizeof(f->replay),
	    "%s LOGIN ", f->tag);
	quote(f, user, ulen);
	f->replay[f->replaylen++] = ' ';
	quote(f, pass, plen);
	f->replay[f->replaylen++] = '\r';
	f->replay[f->replaylen++] = '\n';
	/* No NUL in it (above), and ulen is at most IMAP_FRONT_ARG_MAX. */
	memcpy(f->user, user, ulen);
	f->user[ulen] = '\0';
	f->done = 1;
	log_debug("login proxy: login of %.*s taken", (int)(ulen > 64 ? 64 :
	    ulen), user);
}

/*
 * The upstream's servers take AUTHENTICATE PLAIN with SASL-IR, as their
 * health check said (worker_session.capability).
 */
static int
server_plain(const struct imap_front *f)
{
	const char	*caps = relay_session(f->r)->capability;

	return word(caps, "SASL-IR") && word(caps, "AUTH=PLAIN");
}

/*
 * OAUTHBEARER and XOAUTH2 are offered when the health check saw the
 * server take them with SASL-IR, the one line replayed, and the
 * capability rules keep them.
 */
static int
server_token(const struct imap_front *f, enum mech m)
{
	const char	*caps = relay_session(f->r)->capability;
	char		 cap[32];
	int		 n;

	n = snprintf(cap, sizeof(cap), "AUTH=%s", mech_name[m]);
	return word(caps, "SASL-IR") && word(caps, cap) &&
	    relay_cap_kept(f->r, cap, (size_t)n);
}

/*
 * An OAUTHBEARER or XOAUTH2 response: base64, opaque to us (the token
 * is the server's to check), replayed as it came.  A failure's
 * challenge from the server (RFC 7628 section 3.2.3) and the client's
 * answer to it are relayed (relay_login_challenge()).
 */
static void
token(struct imap_front *f, enum mech m, const char *b64, size_t len)
{
	size_t	 i;

	if (len == 1 && b64[0] == '*') {
		say(f, "%s BAD Authentication cancelled\r\n", f->tag);
		return;
	}
	if (len > IMAP_FRONT_TOKEN_MAX) {
		say(f, "%s BAD [TOOBIG] %s response over %d bytes\r\n", f->tag,
		    mech_name[m], IMAP_FRONT_TOKEN_MAX);
		return;
	}
	for (i = 0; i < len; i++)
		if (!((b64[i] >= 'A' && b64[i] <= 'Z') || (b64[i] >= 'a' &&
		    b64[i] <= 'z') || (b64[i] >= '0' && b64[i] <= '9') ||
		    b64[i] == '+' || b64[i] == '/' || (b64[i] == '=' &&
		    i >= len - 2)))
			break;
	if (len == 0 || len % 4 != 0 || i < len) {
		say(f, "%s BAD Invalid base64 response\r\n", f->tag);
		return;
	}
	f->replaylen = (size_t)snprintf(f->replay, sizeof(f->replay),
	    "%s AUTHENTICATE %s %.*s\r\n", f->tag, mech_name[m], (int)len,
	    b64);
	f->done = 1;
	log_debug("login proxy: AUTHENTICATE %s taken", mech_name[m]);
}

/* w is one of the space-separated words of list, in any case. */
static int
word(const char *list, const char *w)
{
	size_t	 len = strlen(w), n;

	while (*list != '\0') {
		while (*list == ' ')
			list++;
		n = strcspn(list, " ");
		if (n == len && strncasecmp(list, w, len) == 0)
			return 1;
		list += n;
	}
	return 0;
}

/* AUTHENTICATE PLAIN's response, base64 (RFC 4616). */
static void
plain(struct imap_front *f, const char *b64, size_t len)
{
	unsigned char	 bin[3 * IMAP_FRONT_ARG_MAX];
	size_t		 n;
	const unsigned char *authz, *authc, *pass, *z1, *z2;

	if (len == 1 && b64[0] == '*') {
		say(f, "%s BAD Authentication cancelled\r\n", f->tag);
		return;
	}
	if (len > 4 * sizeof(bin) / 3 || sodium_base642bin(bin, sizeof(bin),
	    b64, len, NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    (z1 = memchr(bin, '\0', n)) == NULL ||
	    (z2 = memchr(z1 + 1, '\0', n - (size_t)(z1 + 1 - bin))) == NULL) {
		say(f, "%s BAD Invalid base64 or PLAIN response\r\n", f->tag);
		sodium_memzero(bin, sizeof(bin));
		return;
	}
	authz = bin;
	authc = z1 + 1;
	pass = z2 + 1;
	if (server_plain(f) && len < sizeof(f->replay) - IMAP_TAG_MAX - 32) {
		/*
		 * The server takes it as the client said it, an
		 * authorization identity too.
		 */
		f->replaylen = (size_t)snprintf(f->replay, sizeof(f->replay),
		    "%s AUTHENTICATE PLAIN %.*s\r\n", f->tag, (int)len, b64);
		/* The route is the authentication identity's. */
		(void)snprintf(f->user, sizeof(f->user), "%.*s",
		    (int)(z2 - authc), (const char *)authc);
		f->done = 1;
		log_debug("login proxy: AUTHENTICATE PLAIN of %.*s taken",
		    (int)((size_t)(z2 - authc) > 64 ? 64 : z2 - authc),
		    (const char *)authc);
	} else if (z1 != authz && ((size_t)(z1 - authz) !=
	    (size_t)(z2 - authc) ||
	    memcmp(authz, authc, (size_t)(z2 - authc)) != 0))
		say(f, "%s NO [CANNOT] No authorization identity other than "
		    "the user's in login proxy mode\r\n", f->tag);
	else if ((size_t)(z2 - authc) > IMAP_FRONT_ARG_MAX ||
	    (size_t)(bin + n - pass) > IMAP_FRONT_ARG_MAX)
		say(f, "%s BAD [TOOBIG] Login argument over %d bytes\r\n",
		    f->tag, IMAP_FRONT_ARG_MAX);
	else
		take(f, (const char *)authc, (size_t)(z2 - authc),
		    (const char *)pass, (size_t)(bin + n - pass));
	sodium_memzero(bin, sizeof(bin));
}

/* AUTHENTICATE's arguments, sp (at the space after it) to end. */
static void
authenticate(struct imap_front *f, const uint8_t *sp, const uint8_t *end)
{
	enum mech	 m;
	size_t		 n;

	for (n = 0; sp + 1 + n < end && sp[1 + n] != ' '; n++)
		;
	for (m = M_PLAIN; m <= M_XOAUTH2; m++)
		if (sp < end && *sp == ' ' && n == strlen(mech_name[m]) &&
		    strncasecmp((const char *)sp + 1, mech_name[m], n) == 0)
			break;
	if (m > M_XOAUTH2 || (m != M_PLAIN && !server_token(f, m))) {
		say(f, "%s NO [CANNOT] Mechanism not offered in login proxy "
		    "mode\r\n", f->tag);
		return;
	}
	if (relay_tls_mode(f->r) == WORKER_TLS_STARTTLS_REQUIRED &&
	    !relay_tls_active(f->r, RELAY_CLIENT)) {
		say(f, "%s NO [PRIVACYREQUIRED] Use STARTTLS first\r\n",
		    f->tag);
		return;
	}
	sp += 1 + n;
	if (sp == end) {
		f->auth = m;
		say(f, "+ \r\n");
		return;
	}
	/* SASL-IR; "=" is the empty response. */
	sp++;
	if (m != M_PLAIN)
		token(f, m, (const char *)sp, (size_t)(end - sp));
	else if (end - sp == 1 && *sp == '=')
		plain(f, "", 0);
	else
		plain(f, (const char *)sp, (size_t)(end - sp));
}

size_t
imap_front_input(struct imap_front *f, const uint8_t *buf, size_t len)
{
	const uint8_t	*end = buf + len, *nl, *p, *sp;
	char		 cmd[32], caps[WORKER_CAPA_MAX + 64];
	size_t		 n, used = 0, cl;
	enum worker_tls_mode m;

	while (!f->done && used < len) {
		p = buf + used;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			if (end - p > FRONT_LINE_MAX) {
				say(f, "* BYE Line too long\r\n");
				relay_close(f->r, WORKER_END_ERROR);
				return len;
			}
			return used;
		}
		cl = (size_t)(nl - p);		/* the line without LF */
		if (cl > 0 && p[cl - 1] == '\r')
			cl--;
		if (f->auth != M_NONE) {
			if (f->auth == M_PLAIN)
				plain(f, (const char *)p, cl);
			else
				token(f, f->auth, (const char *)p, cl);
			f->auth = M_NONE;
			used = (size_t)(nl + 1 - buf);
			continue;
		}
		/* The tag. */
		if ((sp = memchr(p, ' ', cl)) == NULL || sp == p ||
		    (size_t)(sp - p) > IMAP_TAG_MAX || *p == '+' || *p == '*') {
			say(f, "* BAD Invalid tag\r\n");
			used = (size_t)(nl + 1 - buf);
			continue;
		}
		memcpy(f->tag, p, (size_t)(sp - p));
		f->tag[sp - p] = '\0';
		for (n = 0; f->tag[n] != '\0'; n++)
			if (f->tag[n] <= ' ' || f->tag[n] >= 0x7f ||
			    strchr("(){%*\"\\]", f->tag[n]) != NULL)
				break;
		if (f->tag[n] != '\0') {
			say(f, "* BAD Invalid tag\r\n");
			used = (size_t)(nl + 1 - buf);
			continue;
		}
		sp++;
		for (n = 0; sp + n < p + cl && sp[n] != ' ' && n <
		    sizeof(cmd) - 1; n++)
			cmd[n] = (char)sp[n];
		cmd[n] = '\0';
		sp += n;
		if (strcasecmp(cmd, "LOGIN") == 0) {
			m = relay_tls_mode(f->r);
			if (m == WORKER_TLS_STARTTLS_REQUIRED &&
			    !relay_tls_active(f->r, RELAY_CLIENT)) {
				say(f, "%s NO [PRIVACYREQUIRED] Use STARTTLS "
				    "first\r\n", f->tag);
				used = (size_t)(nl + 1 - buf);
				continue;
			}
			if (sp >= p + cl || *sp != ' ') {
				say(f, "%s BAD Missing arguments to LOGIN\r\n",
				    f->tag);
				used = (size_t)(nl + 1 - buf);
				continue;
			}
			if ((n = login(f, buf + used, sp + 1, end)) == 0)
				return used;
			used += n;
			continue;
		}
		used = (size_t)(nl + 1 - buf);
		if (strcasecmp(cmd, "CAPABILITY") == 0) {
			capability(f, caps, sizeof(caps));
			say(f, "* CAPABILITY %s\r\n%s OK Capability completed"
			    "\r\n", caps, f->tag);
		} else if (strcasecmp(cmd, "NOOP") == 0)
			say(f, "%s OK NOOP completed\r\n", f->tag);
		else if (strcasecmp(cmd, "ID") == 0)
			say(f, "* ID (\"name\" \"postern\")\r\n%s OK ID "
			    "completed\r\n", f->tag);
		else if (strcasecmp(cmd, "LOGOUT") == 0) {
			say(f, "* BYE Logging out\r\n%s OK Logout completed"
			    "\r\n", f->tag);
			relay_close(f->r, WORKER_END_LOGOUT);
			return len;
		} else if (strcasecmp(cmd, "STARTTLS") == 0) {
			m = relay_tls_mode(f->r);
			if ((m != WORKER_TLS_STARTTLS &&
			    m != WORKER_TLS_STARTTLS_REQUIRED) ||
			    relay_tls_active(f->r, RELAY_CLIENT))
				say(f, "%s BAD STARTTLS not available\r\n",
				    f->tag);
			else {
				say(f, "%s OK Begin TLS negotiation now\r\n",
				    f->tag);
				/* Bytes behind it are refused there. */
				relay_starttls(f->r);
				return used;
			}
		} else if (strcasecmp(cmd, "AUTHENTICATE") == 0)
			authenticate(f, sp, p + cl);
		else
			say(f, "%s BAD Log in first: only CAPABILITY, ID, "
			    "NOOP, STARTTLS, LOGIN, AUTHENTICATE and LOGOUT "
			    "before the login\r\n", f->tag);
	}
	return used;
}

/* The user of the login taken (route.h asks its upstream). */
static const char *
front_user(const void *arg)
{
	const struct imap_front	*f = arg;

	return f->done ? f->user : NULL;
}
