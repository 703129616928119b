/*
 * imapload: an IMAP load generator for `make bench` (regress/bench/bench.sh
 * runs it against Dovecot directly and through each proxy).
 *
 *	imapload fetch    -p PORT [-u USER]
 *	imapload noop     -p PORT [-u USER] [-n COUNT] [-C COMMAND]
 *	imapload sessions -p PORT [-u USER] [-c CLIENTS] [-t SECONDS]
 *	imapload idle     -p PORT [-u USER] [-c SESSIONS] [-z]
 *	imapload storm    -p PORT [-u USER] [-c CLIENTS]
 *	imapload pop3     -p PORT [-u USER]
 *
 * Every connection is a non-blocking socket on one epoll loop.  Responses
 * are framed the way RFC 3501 says: a line ending in {N} is followed by N
 * octets of literal and then the rest of the same response, so a message
 * body that looks like a tagged reply never ends a command early.  A
 * command is done when the line carrying its own tag arrives.
 *
 * The result is one line of key=value pairs on stdout; bench.sh parses it.
 * idle prints "ready N" once N sessions sit in IDLE, then waits for stdin
 * to close, so the caller can measure the proxy meanwhile; then each
 * session ends its IDLE and sends a NOOP, and "answered=N of M" says how
 * many were answered.  noop times
 * COMMAND (NOOP by default) COUNT times in one session.  idle -z sends
 * COMPRESS DEFLATE (RFC 4978) after SELECT and IDLE inside the
 * compressed stream, so that what a compressed idle session costs the
 * proxy can be measured.
 *
 * storm connects CLIENTS at once, each to LOGIN, SELECT and IDLE, and
 * reports how long until every one is in IDLE or has failed, and how
 * many failed (a refusal, a NO, a closed connection): a login storm.
 *
 * pop3 logs in to a POP3 server and RETRs every message, up to
 * POP3_WINDOW commands pipelined (RFC 2449 PIPELINING), on one blocking
 * socket; a response ends at the ".CRLF" line, dot-stuffed lines aside.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#define RBUF_SIZE	(64 * 1024)
#define HEAD_MAX	256	/* first bytes of a response kept for a look */
#define WBUF_SIZE	512
#define MAX_EVENTS	256
#define SETUP_MAX	64	/* idle: sessions logging in at once */
#define IDLE_STALL_S	60
#define IDLE_STALL	(IDLE_STALL_S * 1000000000ull)

enum workload { W_FETCH, W_NOOP, W_SESSIONS, W_IDLE, W_STORM, W_POP3 };

#define POP3_WINDOW	16	/* RETRs in flight */

enum step { S_GREETING, S_LOGIN, S_SELECT, S_COMPRESS, S_WORK, S_LOGOUT,
    S_IDLING, S_DONE, S_CHECK };

/* One session's two deflate streams (RFC 4978: raw deflate, no header). */
struct zpair {
	z_stream	 out;
	z_stream	 in;
};

struct conn {
	int		 fd;
	enum step	 step;
	unsigned	 tagno;
	uint64_t	 lit_left;	/* octets of literal still to skip */
	size_t		 head_len;	/* bytes in head */
	int		 in_resp;	/* head holds part of a response */
	char		 head[HEAD_MAX];
	size_t		 line_len;	/* bytes of the current line */
	char		 tail[24];	/* last bytes of the current line */
	size_t		 tail_len;
	uint64_t	 t_start;	/* session start, ns */
	uint64_t	 t_cmd;		/* start of the timed command, ns */
	unsigned	 noops;
	unsigned	 gen;		/* changes when the slot reconnects */
	struct zpair	*z;		/* after COMPRESS DEFLATE; NULL before */
};

struct opts {
	enum workload	 w;
	struct sockaddr_in addr;
	const char	*user;
	const char	*cmd;		/* noop: the command timed */
	unsigned	 count;		/* noop: commands */
	unsigned	 clients;	/* sessions, idle */
	double		 seconds;	/* sessions */
	int		 compress;	/* idle: COMPRESS DEFLATE after SELECT */
};

struct stats {
	uint64_t	 bytes;		/* fetch: octets of the FETCH reply */
	uint64_t	 t_fetch;	/* fetch: ns */
	uint64_t	*lat;		/* ns samples */
	size_t		 nlat;
	size_t		 caplat;
	uint64_t	 untagged;	/* fetch, noop: untagged responses */
	uint64_t	 literals;	/* fetch: literals skipped */
	uint64_t	 lit_bytes;	/* fetch: their octets */
	unsigned	 errors;
	unsigned	 sessions;
	unsigned	 idling;
	unsigned	 answered;	/* idle: NOOPs answered after IDLE */
	unsigned	 setting_up;
	unsigned	 opened;
	int		 done;
};

static struct opts	 o;
static struct stats	 st;
static int		 ep;
static uint64_t		 t_end;
static unsigned		 generation;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
add_sample(uint64_t ns)
{
	if (st.nlat == st.caplat) {
		st.caplat = st.caplat ? st.caplat * 2 : 4096;
		st.lat = reallocarray(st.lat, st.caplat, sizeof(*st.lat));
		if (st.lat == NULL)
			err(1, "reallocarray %zu samples", st.caplat);
	}
	st.lat[st.nlat++] = ns;
}

static void	 write_all(struct conn *, const char *, size_t);

/* Commands go out deflated once COMPRESS is active, each sync-flushed. */
static void
send_all(struct conn *c, const char *buf, size_t len)
{
	char	 zbuf[WBUF_SIZE * 2];

	if (c->z == NULL) {
		write_all(c, buf, len);
		return;
	}
	c->z->out.next_in = (Bytef *)(uintptr_t)buf;
	c->z->out.avail_in = (uInt)len;
	do {
		c->z->out.next_out = (Bytef *)zbuf;
		c->z->out.avail_out = sizeof(zbuf);
		if (deflate(&c->z->out, Z_SYNC_FLUSH) == Z_STREAM_ERROR)
			errx(1, "deflate: %s", c->z->out.msg ? c->z->out.msg :
			    "stream error");
		write_all(c, zbuf, sizeof(zbuf) - c->z->out.avail_out);
	} while (c->z->out.avail_out == 0);
}

static void
write_all(struct conn *c, const char *buf, size_t len)
{
	ssize_t n;

	/* Commands are short; the socket buffer always takes them whole. */
	while (len > 0) {
		n = write(c->fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			err(1, "write to 127.0.0.1:%d",
			    ntohs(o.addr.sin_port));
		buf += n;
		len -= (size_t)n;
	}
}

static void
send_cmd(struct conn *c, const char *cmd)
{
	char buf[WBUF_SIZE];
	int n;

	c->tagno++;
	n = snprintf(buf, sizeof(buf), "a%u %s\r\n", c->tagno, cmd);
	if (n < 0 || (size_t)n >= sizeof(buf))
		errx(1, "command too long: %s", cmd);
	send_all(c, buf, (size_t)n);
}

static void
conn_open(struct conn *c)
{
	struct epoll_event ev;
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->gen = ++generation;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		err(1, "socket");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&o.addr, sizeof(o.addr)) == -1 &&
	    errno != EINPROGRESS)
		err(1, "connect 127.0.0.1:%d", ntohs(o.addr.sin_port));
	c->step = S_GREETING;
	c->t_start = now_ns();
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		err(1, "epoll_ctl add");
	st.opened++;
	if (o.w == W_IDLE || o.w == W_STORM)
		st.setting_up++;
}

static void
conn_close(struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->z != NULL) {
		deflateEnd(&c->z->out);
		inflateEnd(&c->z->in);
		free(c->z);
		c->z = NULL;
	}
}

/* The server said OK to COMPRESS DEFLATE: both directions deflate now. */
static void
z_begin(struct conn *c)
{
	if ((c->z = calloc(1, sizeof(*c->z))) == NULL)
		err(1, "calloc");
	if (deflateInit2(&c->z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15,
	    8, Z_DEFAULT_STRATEGY) != Z_OK ||
	    inflateInit2(&c->z->in, -15) != Z_OK)
		errx(1, "zlib init");
}

/*
 * storm: why sessions failed, "step N: why: the line", counted, for
 * stderr at the end (a proxy's refusal and the server's read alike).
 */
#define WHY_MAX		16
static struct {
	char		 text[128];
	unsigned	 n;
} whys[WHY_MAX];

static void
why_count(const struct conn *c, const char *why)
{
	char	 t[128];
	size_t	 len = c->head_len;
	int	 i;

	while (len > 0 && (c->head[len - 1] == '\r' ||
	    c->head[len - 1] == '\n'))
		len--;
	(void)snprintf(t, sizeof(t), "step %d: %s: %.*s", c->step, why,
	    (int)(len > 60 ? 60 : len), c->head);
	for (i = 0; i < WHY_MAX && whys[i].n > 0; i++)
		if (strcmp(whys[i].text, t) == 0) {
			whys[i].n++;
			return;
		}
	if (i == WHY_MAX)
		i--;			/* the last one stands for the rest */
	(void)snprintf(whys[i].text, sizeof(whys[i].text), "%s", t);
	whys[i].n++;
}

/* A session that failed: counted for sessions, fatal elsewhere. */
static void
conn_fail(struct conn *c, const char *why)
{
	if (o.w == W_STORM) {
		why_count(c, why);
		st.errors++;
		st.setting_up--;
		conn_close(c);
		return;
	}
	/* idle's NOOP after IDLE: counted, not fatal (idle_check()). */
	if (c->step == S_DONE || c->step == S_CHECK) {
		warnx("session failed after IDLE at step %d: %s", c->step,
		    why);
		st.errors++;
		conn_close(c);
		return;
	}
	if (o.w != W_SESSIONS)
		errx(1, "session failed at step %d: %s", c->step, why);
	st.errors++;
	conn_close(c);
	if (now_ns() < t_end)
		conn_open(c);
}

static void
work_start(struct conn *c)
{
	char buf[64];

	c->t_cmd = now_ns();
	switch (o.w) {
	case W_FETCH:
		send_cmd(c, "FETCH 1:* BODY.PEEK[]");
		break;
	case W_NOOP:
		send_cmd(c, o.cmd);
		break;
	case W_SESSIONS:
		snprintf(buf, sizeof(buf), "FETCH 1:10 (FLAGS UID)");
		send_cmd(c, buf);
		break;
	case W_IDLE:
	case W_STORM:
		send_cmd(c, "IDLE");
		c->step = S_IDLING;
		return;
	case W_POP3:
		/* run_pop3(), not this loop */
		return;
	}
	c->step = S_WORK;
}

static void
work_done(struct conn *c)
{
	uint64_t t = now_ns();

	switch (o.w) {
	case W_FETCH:
		st.t_fetch = t - c->t_cmd;
		break;
	case W_NOOP:
		add_sample(t - c->t_cmd);
		if (++c->noops < o.count) {
			c->t_cmd = now_ns();
			send_cmd(c, o.cmd);
			return;
		}
		break;
	default:
		break;
	}
	c->step = S_LOGOUT;
	send_cmd(c, "LOGOUT");
}

/* The tagged reply to our last command, or the greeting, has arrived. */
static void
advance(struct conn *c)
{
	char buf[WBUF_SIZE];

	switch (c->step) {
	case S_GREETING:
		c->step = S_LOGIN;
		snprintf(buf, sizeof(buf), "LOGIN %s testpass", o.user);
		send_cmd(c, buf);
		break;
	case S_LOGIN:
		c->step = S_SELECT;
		send_cmd(c, "SELECT INBOX");
		break;
	case S_SELECT:
		if (o.compress) {
			c->step = S_COMPRESS;
			send_cmd(c, "COMPRESS DEFLATE");
			break;
		}
		work_start(c);
		break;
	case S_COMPRESS:
		z_begin(c);
		work_start(c);
		break;
	case S_WORK:
		work_done(c);
		break;
	case S_LOGOUT:
		/* Wait for the server to close; then the session is over. */
		break;
	case S_IDLING:
		break;
	case S_DONE:
		c->step = S_CHECK;
		send_cmd(c, "NOOP");
		break;
	case S_CHECK:
		st.answered++;
		c->step = S_LOGOUT;
		send_cmd(c, "LOGOUT");
		break;
	}
}

static int
is_ok(const char *p, size_t len)
{
	return len >= 3 && strncasecmp(p, "OK ", 3) == 0;
}

/* One whole response (with its literals skipped) has been read. */
static void
response(struct conn *c)
{
	char tag[16];
	int n;
	size_t len = c->head_len;
	const char *h = c->head;

	if (c->step == S_GREETING) {
		if (len < 5 || strncasecmp(h, "* OK ", 5) != 0)
			conn_fail(c, "greeting is not * OK");
		else
			advance(c);
		return;
	}
	if (len >= 2 && h[0] == '+' && h[1] == ' ' && c->step == S_IDLING) {
		st.idling++;
		st.setting_up--;
		return;
	}
	if (len >= 2 && h[0] == '*' && h[1] == ' ') {
		if (c->step == S_WORK)
			st.untagged++;
		return;
	}
	n = snprintf(tag, sizeof(tag), "a%u ", c->tagno);
	if ((size_t)n > len || memcmp(h, tag, (size_t)n) != 0) {
		conn_fail(c, "unexpected response");
		return;
	}
	if (!is_ok(h + n, len - (size_t)n)) {
		conn_fail(c, "command not OK");
		return;
	}
	advance(c);
}

/* Does the line so far (its tail) end in a literal's "{N}"? */
static int
tail_literal(struct conn *c, uint64_t *n)
{
	size_t i = c->tail_len;
	uint64_t v = 0, mul = 1;

	if (i < 3 || c->tail[i - 1] != '}')
		return 0;
	i--;
	if (c->tail[i - 1] == '+')
		i--;
	if (i == 0 || c->tail[i - 1] < '0' || c->tail[i - 1] > '9')
		return 0;
	while (i > 0 && c->tail[i - 1] >= '0' && c->tail[i - 1] <= '9') {
		v += (uint64_t)(c->tail[i - 1] - '0') * mul;
		mul *= 10;
		i--;
	}
	if (i == 0 || c->tail[i - 1] != '{')
		return 0;
	*n = v;
	return 1;
}

static void
keep_byte(struct conn *c, char ch)
{
	if (c->head_len < HEAD_MAX)
		c->head[c->head_len++] = ch;
	if (c->tail_len == sizeof(c->tail)) {
		memmove(c->tail, c->tail + 1, sizeof(c->tail) - 1);
		c->tail_len--;
	}
	c->tail[c->tail_len++] = ch;
}

/*
 * Feeds n received octets through the framing; returns 0 if the
 * connection closed (or was replaced by a new one) on the way.
 */
static int
feed(struct conn *c, const char *p, size_t n)
{
	uint64_t lit;
	size_t k;
	unsigned gen = c->gen;

	while (n > 0 && c->fd != -1 && c->gen == gen) {
		if (c->lit_left > 0) {
			k = n < c->lit_left ? n : (size_t)c->lit_left;
			c->lit_left -= k;
			if (c->step == S_WORK)
				st.lit_bytes += k;
			p += k;
			n -= k;
			continue;
		}
		if (*p != '\n') {
			if (*p != '\r')
				keep_byte(c, *p);
			p++;
			n--;
			continue;
		}
		p++;
		n--;
		if (tail_literal(c, &lit)) {
			if (c->step == S_WORK)
				st.literals++;
			c->lit_left = lit;
			c->tail_len = 0;
			continue;
		}
		response(c);
		c->head_len = 0;
		c->tail_len = 0;
	}
	return c->fd != -1 && c->gen == gen;
}

/* Inflates n received octets and feeds what they hold; as feed(). */
static int
z_feed(struct conn *c, const char *p, size_t n)
{
	static char	 out[RBUF_SIZE];
	size_t		 k;
	int		 rc;

	c->z->in.next_in = (Bytef *)(uintptr_t)p;
	c->z->in.avail_in = (uInt)n;
	do {
		c->z->in.next_out = (Bytef *)out;
		c->z->in.avail_out = sizeof(out);
		rc = inflate(&c->z->in, Z_SYNC_FLUSH);
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			conn_fail(c, "server's compressed stream is bad");
			return 0;
		}
		k = sizeof(out) - c->z->in.avail_out;
		if (k > 0 && !feed(c, out, k))
			return 0;
	} while (c->z->in.avail_out == 0 || c->z->in.avail_in > 0);
	return 1;
}

static void
on_readable(struct conn *c)
{
	static char buf[RBUF_SIZE];
	ssize_t n;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		if (o.w == W_FETCH && c->step == S_WORK)
			st.bytes += (uint64_t)n;
		if (c->z != NULL ? !z_feed(c, buf, (size_t)n) :
		    !feed(c, buf, (size_t)n))
			return;
		if ((size_t)n < sizeof(buf))
			return;
	}
	if (c->step != S_LOGOUT) {
		conn_fail(c, n == 0 ? "closed by server" : strerror(errno));
		return;
	}
	/* The end of a session that went to plan. */
	if (o.w == W_SESSIONS)
		add_sample(now_ns() - c->t_start);
	st.sessions++;
	conn_close(c);
	if (o.w == W_SESSIONS && now_ns() < t_end)
		conn_open(c);
	else if (o.w != W_SESSIONS)
		st.done = 1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_us(double p)
{
	size_t i;

	if (st.nlat == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(st.nlat - 1) + 0.5);
	return (double)st.lat[i] / 1000.0;
}

static void
report(uint64_t elapsed)
{
	if (st.nlat > 0)
		qsort(st.lat, st.nlat, sizeof(*st.lat), cmp_u64);
	switch (o.w) {
	case W_FETCH:
		printf("bytes=%llu seconds=%.6f bytes_per_s=%.0f "
		    "responses=%llu literals=%llu literal_bytes=%llu\n",
		    (unsigned long long)st.bytes, (double)st.t_fetch / 1e9,
		    (double)st.bytes / ((double)st.t_fetch / 1e9),
		    (unsigned long long)st.untagged,
		    (unsigned long long)st.literals,
		    (unsigned long long)st.lit_bytes);
		break;
	case W_NOOP:
		printf("count=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f\n",
		    st.nlat, pct_us(50), pct_us(90), pct_us(99));
		break;
	case W_SESSIONS:
		printf("sessions=%u seconds=%.3f sessions_per_s=%.1f "
		    "p50_ms=%.3f p99_ms=%.3f errors=%u\n", st.sessions,
		    (double)elapsed / 1e9,
		    (double)st.sessions / ((double)elapsed / 1e9),
		    pct_us(50) / 1000, pct_us(99) / 1000, st.errors);
		break;
	case W_IDLE:
	case W_STORM:
	case W_POP3:
		break;
	}
	fflush(stdout);
}

/* ---- pop3 ---- */

struct pop3c {
	int		 fd;
	char		 buf[RBUF_SIZE];
	size_t		 off, len;
	int		 bol;		/* at the start of a line */
	uint64_t	 bytes;		/* read in all */
};

static void
pop3_fill(struct pop3c *p)
{
	ssize_t n;

	if (p->off == p->len)
		p->off = p->len = 0;
	if (p->len == sizeof(p->buf)) {
		memmove(p->buf, p->buf + p->off, p->len - p->off);
		p->len -= p->off;
		p->off = 0;
	}
	do
		n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		errx(1, "pop3: connection closed or failed");
	p->len += (size_t)n;
	p->bytes += (uint64_t)n;
}

/* The next line into line (cut at size); returns its length. */
static size_t
pop3_line(struct pop3c *p, char *line, size_t size)
{
	char *lf;
	size_t n, k = 0;

	for (;;) {
		lf = memchr(p->buf + p->off, '\n', p->len - p->off);
		n = lf != NULL ? (size_t)(lf - (p->buf + p->off)) + 1 :
		    p->len - p->off;
		if (k + n < size) {
			memcpy(line + k, p->buf + p->off, n);
			k += n;
		}
		p->off += n;
		if (lf != NULL)
			break;
		pop3_fill(p);
	}
	line[k] = '\0';
	return k;
}

/* Skips a multi-line body to its ".CRLF"; returns the octets skipped. */
static uint64_t
pop3_body(struct pop3c *p)
{
	uint64_t total = 0;
	char *lf;
	size_t n;

	p->bol = 1;
	for (;;) {
		if (p->off == p->len)
			pop3_fill(p);
		if (p->bol) {
			/* The terminator: whole in the buffer, or wait. */
			if (p->buf[p->off] == '.') {
				while (p->len - p->off < 3)
					pop3_fill(p);
				if (memcmp(p->buf + p->off, ".\r\n", 3) == 0) {
					p->off += 3;
					return total;
				}
			}
			p->bol = 0;
		}
		lf = memchr(p->buf + p->off, '\n', p->len - p->off);
		n = lf != NULL ? (size_t)(lf - (p->buf + p->off)) + 1 :
		    p->len - p->off;
		p->off += n;
		total += n;
		p->bol = lf != NULL;
	}
}

static void __attribute__((format(printf, 2, 3)))
pop3_send(struct pop3c *p, const char *fmt, ...)
{
	char cmd[600];
	va_list ap;
	int n;
	ssize_t w;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	do
		w = write(p->fd, cmd, (size_t)n);
	while (w == -1 && errno == EINTR);
	if (w != n)
		err(1, "pop3: write");
}

static void
pop3_expect(struct pop3c *p, const char *what)
{
	char line[512];

	pop3_line(p, line, sizeof(line));
	if (strncmp(line, "+OK", 3) != 0)
		errx(1, "pop3: %s: %s", what, line);
}

static void
run_pop3(void)
{
	struct pop3c *p;
	char line[512];
	unsigned n, sent, got;
	uint64_t t0, dt, body = 0;
	int one = 1;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		err(1, "calloc");
	if ((p->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(p->fd, (struct sockaddr *)&o.addr, sizeof(o.addr)) == -1)
		err(1, "connect 127.0.0.1:%d", ntohs(o.addr.sin_port));
	pop3_expect(p, "greeting");
	snprintf(line, sizeof(line), "USER %s\r\n", o.user);
	pop3_send(p, "%s", line);
	pop3_expect(p, "USER");
	pop3_send(p, "PASS testpass\r\n");
	pop3_expect(p, "PASS");
	pop3_send(p, "STAT\r\n");
	pop3_line(p, line, sizeof(line));
	if (sscanf(line, "+OK %u", &n) != 1 || n == 0)
		errx(1, "pop3: STAT: %s", line);
	t0 = now_ns();
	p->bytes = 0;
	for (sent = got = 0; got < n; got++) {
		while (sent < n && sent - got < POP3_WINDOW)
			pop3_send(p, "RETR %u\r\n", ++sent);
		pop3_expect(p, "RETR");
		body += pop3_body(p);
	}
	dt = now_ns() - t0;
	pop3_send(p, "QUIT\r\n");
	printf("messages=%u body_bytes=%llu bytes=%llu seconds=%.6f "
	    "bytes_per_s=%.0f\n", n, (unsigned long long)body,
	    (unsigned long long)p->bytes, dt / 1e9, p->bytes / (dt / 1e9));
	close(p->fd);
	free(p);
}

static void
usage(void)
{
	fprintf(stderr, "usage: imapload fetch|noop|sessions|idle|storm|pop3 "
	    "-p port [-u user] [-n count] [-C command] [-c clients] "
	    "[-t seconds] [-z]\n");
	exit(2);
}

static unsigned
number(const char *s, unsigned max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > max)
		errx(2, "%s: not a number from 1 to %u", s, max);
	return (unsigned)v;
}

static void
parse_args(int argc, char **argv)
{
	int ch;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "fetch") == 0)
		o.w = W_FETCH;
	else if (strcmp(argv[1], "noop") == 0)
		o.w = W_NOOP;
	else if (strcmp(argv[1], "sessions") == 0)
		o.w = W_SESSIONS;
	else if (strcmp(argv[1], "idle") == 0)
		o.w = W_IDLE;
	else if (strcmp(argv[1], "storm") == 0)
		o.w = W_STORM;
	else if (strcmp(argv[1], "pop3") == 0)
		o.w = W_POP3;
	else
		usage();
	o.user = "testuser";
	o.cmd = "NOOP";
	o.count = 20000;
	o.clients = o.w == W_IDLE ? 1000 : o.w == W_STORM ? 2000 : 32;
	o.seconds = 5;
	o.addr.sin_family = AF_INET;
	o.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	optind = 2;
	while ((ch = getopt(argc, argv, "C:c:n:p:t:u:z")) != -1) {
		switch (ch) {
		case 'C':
			o.cmd = optarg;
			break;
		case 'c':
			o.clients = number(optarg, 100000);
			break;
		case 'n':
			o.count = number(optarg, 100000000);
			break;
		case 'p':
			o.addr.sin_port = htons((uint16_t)number(optarg, 65535));
			break;
		case 't':
			o.seconds = number(optarg, 3600);
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'z':
			o.compress = 1;
			break;
		default:
			usage();
		}
	}
	if (o.addr.sin_port == 0 || optind != argc ||
	    (o.compress && o.w != W_IDLE))
		usage();
}

static void
raise_nofile(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit");
	if (rl.rlim_cur < need + 16)
		errx(1, "%u sessions need %u descriptors, the limit is %llu",
		    need, need + 16, (unsigned long long)rl.rlim_cur);
}

static void
loop_once(int timeout_ms)
{
	struct epoll_event ev[MAX_EVENTS];
	int i, n;

	n = epoll_wait(ep, ev, MAX_EVENTS, timeout_ms);
	if (n == -1 && errno != EINTR)
		err(1, "epoll_wait");
	for (i = 0; i < n; i++) {
		if (ev[i].data.ptr == NULL) {
			st.done = 1;	/* idle: stdin closed */
			continue;
		}
		on_readable(ev[i].data.ptr);
	}
}

/* idle: open sessions a few at a time, so no listen queue overflows. */
static void
run_idle(struct conn *cs)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int announced = 0;
	unsigned last = 0;
	uint64_t t_last = now_ns();

	while (!st.done) {
		while (st.opened < o.clients && st.setting_up < SETUP_MAX)
			conn_open(&cs[st.opened]);
		/* A proxy out of workers may hold sessions without a word. */
		if (st.idling != last) {
			last = st.idling;
			t_last = now_ns();
		} else if (!announced && now_ns() - t_last > IDLE_STALL)
			errx(1, "%u of %u sessions in IDLE, none more for %d s",
			    st.idling, o.clients, IDLE_STALL_S);
		if (!announced && st.idling == o.clients) {
			printf("ready %u\n", st.idling);
			fflush(stdout);
			if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == -1)
				err(1, "epoll_ctl stdin");
			announced = 1;
		}
		loop_once(1000);
	}
}

/*
 * idle, once stdin closed: every session ends its IDLE and must answer
 * a NOOP; "answered=N of M" says how many did.
 */
static void
idle_check(struct conn *cs)
{
	unsigned i, want = 0, errors = st.errors, last = 0;
	uint64_t t_last = now_ns();

	if (epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL) == -1)
		err(1, "epoll_ctl stdin");
	for (i = 0; i < o.clients; i++) {
		if (cs[i].fd == -1 || cs[i].step != S_IDLING)
			continue;
		cs[i].step = S_DONE;
		send_all(&cs[i], "DONE\r\n", 6);
		want++;
	}
	while (st.answered + st.errors - errors < want) {
		if (st.answered + st.errors != last) {
			last = st.answered + st.errors;
			t_last = now_ns();
		} else if (now_ns() - t_last > IDLE_STALL)
			break;
		loop_once(1000);
	}
	printf("answered=%u of %u\n", st.answered, o.clients);
	fflush(stdout);
}

/*
 * storm: every client at once.  Ends when each is in IDLE or has
 * failed, or when nothing moved for IDLE_STALL_S (the rest count as
 * failed).
 */
static void
run_storm(struct conn *cs)
{
	unsigned i, last = 0, moved;
	uint64_t t0 = now_ns(), t_last = t0, t1;

	for (i = 0; i < o.clients; i++)
		conn_open(&cs[i]);
	while (st.idling + st.errors < o.clients) {
		moved = st.idling + st.errors;
		if (moved != last) {
			last = moved;
			t_last = now_ns();
		} else if (now_ns() - t_last > IDLE_STALL)
			break;
		loop_once(1000);
	}
	t1 = now_ns();
	printf("clients=%u idling=%u errors=%u seconds=%.3f\n", o.clients,
	    st.idling, o.clients - st.idling, (double)(t1 - t0) / 1e9);
	fflush(stdout);
	for (i = 0; i < WHY_MAX && whys[i].n > 0; i++)
		fprintf(stderr, "failed %u: %s\n", whys[i].n, whys[i].text);
	if (st.idling + st.errors < o.clients)
		fprintf(stderr, "failed %u: no answer for %d s\n",
		    o.clients - st.idling - st.errors, IDLE_STALL_S);
	for (i = 0; i < o.clients; i++)
		if (cs[i].fd != -1)
			close(cs[i].fd);
}

int
main(int argc, char **argv)
{
	struct conn *cs;
	uint64_t t0;
	unsigned i, n, open;

	parse_args(argc, argv);
	if (o.w == W_POP3) {
		run_pop3();
		return 0;
	}
	n = (o.w == W_SESSIONS || o.w == W_IDLE || o.w == W_STORM) ?
	    o.clients : 1;
	raise_nofile(n);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	if ((cs = calloc(n, sizeof(*cs))) == NULL)
		err(1, "calloc %u connections", n);
	t0 = now_ns();
	t_end = t0 + (uint64_t)(o.seconds * 1e9);
	if (o.w == W_IDLE || o.w == W_STORM) {
		if (o.w == W_IDLE) {
			run_idle(cs);
			idle_check(cs);
		} else
			run_storm(cs);
		free(cs);
		return 0;
	}
	for (i = 0; i < n; i++)
		conn_open(&cs[i]);
	if (o.w == W_SESSIONS) {
		/* Ends when the last session begun before t_end is over. */
		do {
			loop_once(100);
			for (open = 0, i = 0; i < n; i++)
				open += cs[i].fd != -1;
		} while (open > 0);
	} else {
		while (!st.done)
			loop_once(-1);
	}
	report(now_ns() - t0);
	for (i = 0; i < n; i++)
		if (cs[i].fd != -1)
			close(cs[i].fd);
	free(cs);
	free(st.lat);
	close(ep);
	return 0;
}
