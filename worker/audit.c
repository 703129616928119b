/*
 * The worker's audit writer (audit.h).  Records are built one at a time
 * in a line buffer, sealed with the MAC of the current key (audit_chain.h)
 * and queued; the key evolves at once and the old one is wiped, so a
 * worker taken over later holds no key to the records it already made.
 * audit_flush() hands the queue to the O_APPEND descriptor in one write.
 *
 * Field values are capped before they are escaped (a command line at
 * AUDIT_WHAT_MAX bytes, a user name at AUDIT_USER_MAX), so a record
 * always fits AUDIT_LINE_MAX, escaped six times over and all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "audit_chain.h"
#include "audit_json.h"
#include "buf.h"
#include "log.h"
#include "msg.h"
#include "policy_client.h"
#include "stats.h"

#define AUDIT_WHAT_MAX	1024
#define AUDIT_USER_MAX	256
#define AUDIT_SHORT_MAX	128
/* Records waiting for audit_flush(); one session rarely makes more. */
#define AUDIT_QUEUE_MAX	(1024 * 1024)
/*
 * A long session is anchored on the way too, not only at its end, so
 * that a cut in it is found to within this many records.
 */
#define AUDIT_ANCHOR_EVERY 64

static struct {
	int			 fd;		/* -1: no log */
	uint8_t			 key[AUDIT_KEY_LEN];
	char			 seg[AUDIT_SEG_SIZE];
	uint64_t		 seq;		/* of the next record */
	uint64_t		 anchored;	/* seq the last anchor gave */
	uint8_t			 lastmac[AUDIT_MAC_LEN];
	uint32_t		 slot;
	/*
	 * Asked once (glibc caches no pid; it was a syscall a record):
	 * audit_init() runs again in a worker its template forked.
	 */
	pid_t			 pid;
	struct msgchan		*chan;
	struct buf		 queue;
	int			 warned;	/* a write failed, said once */
	int			 sodium;	/* sodium_init() done */
	struct buf		 rec;		/* in recmem */
	int			 recbad;

	int			 insession;
	struct worker_session	 sess;
	char			 user[AUDIT_USER_MAX + 1];
	int			 tls;
} a = { .fd = -1 };

/*
 * The record under construction: its bytes here, its buffer (a.rec) with
 * the state above, on a page a worker writes anyway.
 */
static char		 recmem[AUDIT_LINE_MAX];

static void	 rec_begin(const char *);
static void	 rec_str(const char *, const char *, size_t);
static void	 rec_num(const char *, uint64_t);
static void	 rec_bool(const char *, int);
static void	 rec_end(void);
static void	 rec_context(void);
static void	 rec_proxy(void);
static void	 segment_close(void);

int
audit_init(struct msgchan *chan, uint32_t slot)
{
	a.chan = chan;
	a.slot = slot;
	a.pid = getpid();
	buf_init(&a.queue, AUDIT_QUEUE_MAX);
	/*
	 * Once: a worker forked by the template has libsodium ready, and
	 * sodium_init() would take its lock again, which makes a page of
	 * libsodium's data a copy of its own in every worker.
	 */
	if (a.sodium)
		return 0;
	if (sodium_init() == -1) {
		log_warnx("audit: libsodium failed to initialise");
		return -1;
	}
	a.sodium = 1;
	return 0;
}

static void
rec_raw(const char *s)
{
	if (buf_add(&a.rec, s, strlen(s)) == -1)
		a.recbad = 1;
}

/* ,"name": */
static void
rec_name(const char *name)
{
	rec_raw(",\"");
	rec_raw(name);
	rec_raw("\":");
}

static void
rec_str(const char *name, const char *s, size_t len)
{
	rec_name(name);
	if (audit_json_str(&a.rec, s != NULL ? s : "", s != NULL ? len : 0) ==
	    -1)
		a.recbad = 1;
}

static void
rec_cstr(const char *name, const char *s, size_t max)
{
	rec_str(name, s, s != NULL ? strnlen(s, max) : 0);
}

/*
 * v in decimal, NUL-terminated, in num (at least 21 bytes): its length.
 * A session writes a dozen records of ten numbers each; snprintf() was
 * a tenth of a worker's time with audit logs.
 */
static size_t
dec(char *num, uint64_t v)
{
	char	 tmp[20];
	size_t	 n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		num[i] = tmp[n - 1 - i];
	num[n] = '\0';
	return n;
}

static void
rec_num(const char *name, uint64_t v)
{
	char	 num[24];

	(void)dec(num, v);
	rec_name(name);
	rec_raw(num);
}

/*
 * The time, to the millisecond, as ISO 8601 in UTC; the part to the
 * second is made once a second.
 */
static void
rec_when(char when[32])
{
	static time_t	 sec = -1;
	static char	 prefix[24];
	static size_t	 plen;
	struct timespec	 ts;
	struct tm	 tm;
	long		 ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != sec) {
		gmtime_r(&ts.tv_sec, &tm);
		plen = strftime(prefix, sizeof(prefix), "%Y-%m-%dT%H:%M:%S",
		    &tm);
		sec = ts.tv_sec;
	}
	ms = ts.tv_nsec / 1000000;
	memcpy(when, prefix, plen);
	when[plen] = '.';
	when[plen + 1] = (char)('0' + ms / 100);
	when[plen + 2] = (char)('0' + ms / 10 % 10);
	when[plen + 3] = (char)('0' + ms % 10);
	when[plen + 4] = 'Z';
	when[plen + 5] = '\0';
}

static void
rec_bool(const char *name, int v)
{
	rec_name(name);
	rec_raw(v ? "true" : "false");
}

/* The frame audit_line_parse() expects, then what every record says. */
static void
rec_begin(const char *event)
{
	char		 when[32], num[24];

	/* The tail (MAC) and the newline must still fit. */
	a.rec.data = (uint8_t *)recmem;
	a.rec.rpos = a.rec.wpos = 0;
	a.rec.size = a.rec.max = sizeof(recmem) - AUDIT_TAIL_LEN - 1;
	a.recbad = 0;
	rec_raw("{\"seg\":\"");
	rec_raw(a.seg);
	rec_raw("\",\"seq\":");
	(void)dec(num, a.seq);
	rec_raw(num);
	rec_when(when);
	rec_cstr("ts", when, sizeof(when));
	rec_num("slot", a.slot);
	rec_num("pid", (uint64_t)a.pid);
	rec_cstr("event", event, AUDIT_SHORT_MAX);
	if (a.insession)
		rec_context();
}

static void
rec_context(void)
{
	const struct worker_session	*s = &a.sess;

	rec_num("session", s->id);
	rec_cstr("listener", s->listener, sizeof(s->listener));
	rec_cstr("client", s->client_addr, sizeof(s->client_addr));
	rec_num("client_port", s->client_port);
	rec_cstr("upstream", s->upstream_addr, sizeof(s->upstream_addr));
	rec_num("upstream_port", s->upstream_port);
	rec_bool("tls", a.tls);
	rec_cstr("user", a.user, sizeof(a.user));
}

/* Seal, queue, and move the key on. */
static void
rec_end(void)
{
	uint8_t	 mac[AUDIT_MAC_LEN];
	size_t	 len;

	if (a.recbad) {
		/* Cannot happen with the caps above; never a torn record. */
		log_warnx("audit: record %" PRIu64 " too long, not written",
		    a.seq);
		return;
	}
	len = audit_seal(a.key, recmem, a.rec.wpos, mac);
	recmem[len++] = '\n';
	if (buf_len(&a.queue) + len > AUDIT_QUEUE_MAX)
		audit_flush();
	if (buf_add(&a.queue, recmem, len) == -1) {
		log_warnx("audit: %zu bytes queued, record %" PRIu64 " lost",
		    buf_len(&a.queue), a.seq);
		return;
	}
	memcpy(a.lastmac, mac, sizeof(mac));
	audit_evolve(a.key);
	a.seq++;
}

void
audit_flush(void)
{
	ssize_t	 n;

	if (a.fd == -1) {
		buf_reset(&a.queue);
		return;
	}
	while (buf_len(&a.queue) > 0) {
		n = write(a.fd, buf_data(&a.queue), buf_len(&a.queue));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!a.warned)
				log_warn("audit: write to segment %s", a.seg);
			a.warned = 1;
			return;
		}
		buf_drain(&a.queue, (size_t)n);
	}
	if (a.seq - a.anchored >= AUDIT_ANCHOR_EVERY)
		audit_anchor();
}

void
audit_rest(void)
{
	if (buf_len(&a.queue) == 0)
		buf_free(&a.queue);
}

void
audit_anchor(void)
{
	struct worker_audit_anchor	 an;

	if (a.fd == -1 || a.chan == NULL)
		return;
	memset(&an, 0, sizeof(an));
	memcpy(an.seg, a.seg, sizeof(a.seg));
	an.records = a.seq;
	memcpy(an.mac, a.lastmac, sizeof(an.mac));
	if (msg_compose(a.chan, MSG_W_AUDIT_ANCHOR, 0, -1, &an,
	    sizeof(an)) == -1)
		log_warn("audit: queue the anchor of segment %s", a.seg);
	a.anchored = a.seq;
}

static void
segment_close(void)
{
	if (a.fd == -1)
		return;
	audit_flush();
	audit_anchor();
	close(a.fd);
	a.fd = -1;
	sodium_memzero(a.key, sizeof(a.key));
	buf_reset(&a.queue);
}

int
audit_open_segment(int fd, const struct worker_audit *wa, uint32_t slot)
{
	if (fd == -1)
		return -1;
	if (memchr(wa->seg, '\0', sizeof(wa->seg)) == NULL ||
	    memchr(wa->prev, '\0', sizeof(wa->prev)) == NULL ||
	    memchr(wa->log, '\0', sizeof(wa->log)) == NULL ||
	    !audit_seg_valid(wa->seg) ||
	    (wa->prev[0] != '\0' && !audit_seg_valid(wa->prev))) {
		log_warnx("audit: malformed segment from the master");
		close(fd);
		return -1;
	}
	segment_close();
	a.fd = fd;
	a.slot = slot;
	a.warned = 0;
	a.seq = a.anchored = 0;
	memcpy(a.key, wa->key, sizeof(a.key));
	memcpy(a.seg, wa->seg, sizeof(a.seg));
	rec_begin(wa->rotate ? "rotate" : "open");
	rec_cstr("log", wa->log, sizeof(wa->log));
	rec_cstr("prev", wa->prev, sizeof(wa->prev));
	rec_end();
	audit_flush();
	audit_anchor();
	return 0;
}

int
audit_open(int fd, const uint8_t key[AUDIT_KEY_LEN], uint32_t slot)
{
	static const char	 label[] = "postern audit segment id";
	struct worker_audit	 wa;
	uint8_t			 id[AUDIT_SEG_LEN / 2];
	int			 rc;

	memset(&wa, 0, sizeof(wa));
	crypto_generichash(id, sizeof(id), (const uint8_t *)label,
	    sizeof(label) - 1, key, AUDIT_KEY_LEN);
	audit_hex(id, sizeof(id), wa.seg);
	memcpy(wa.key, key, sizeof(wa.key));
	(void)snprintf(wa.log, sizeof(wa.log), "worker-%02u", slot);
	rc = audit_open_segment(fd, &wa, slot);
	sodium_memzero(&wa, sizeof(wa));
	return rc;
}

int
audit_msg(const struct msg *m)
{
	struct worker_audit	 wa;
	int			 rc;

	if (m->hdr.type != MSG_W_AUDIT || m->len != sizeof(wa) ||
	    m->fd == -1) {
		if (m->fd != -1)
			close(m->fd);
		return -1;
	}
	memcpy(&wa, m->body, sizeof(wa));
	/* The key must not outlive the message in the channel's buffer. */
	sodium_memzero((void *)(uintptr_t)m->body, m->len);
	rc = audit_open_segment(m->fd, &wa, a.slot);
	sodium_memzero(&wa, sizeof(wa));
	return rc;
}

void
audit_session(const struct worker_session *s)
{
	memcpy(&a.sess, s, sizeof(a.sess));
	a.insession = 1;
	a.user[0] = '\0';
	a.tls = 0;
}

void
audit_set_user(const char *user)
{
	(void)snprintf(a.user, sizeof(a.user), "%s", user != NULL ? user : "");
	if (a.fd == -1)
		return;
	rec_begin("user");
	rec_end();
}

void
audit_set_tls(int on, const char *version, const char *cipher,
    const char *sni, const char *ja4)
{
	a.tls = on != 0;
	if (a.fd == -1)
		return;
	rec_begin("tls");
	rec_cstr("version", version, AUDIT_SHORT_MAX);
	rec_cstr("cipher", cipher, AUDIT_SHORT_MAX);
	rec_cstr("sni", sni, AUDIT_USER_MAX);
	if (ja4 != NULL && ja4[0] != '\0')
		rec_cstr("ja4", ja4, AUDIT_SHORT_MAX);
	rec_end();
}

void
audit_id(const char *fields, size_t len, int cut, size_t sent, size_t kept)
{
	if (a.fd == -1)
		return;
	rec_begin("id");
	rec_num("fields", sent);
	rec_num("kept", kept);
	rec_str("id", fields, len > AUDIT_WHAT_MAX ? AUDIT_WHAT_MAX : len);
	if (cut || len > AUDIT_WHAT_MAX)
		rec_bool("id_cut", 1);
	rec_end();
}

void
audit_set_tls_upstream(int on, const char *version, const char *cipher,
    const char *sni)
{
	if (a.fd == -1 || !on)
		return;
	rec_begin("tls-upstream");
	rec_cstr("version", version, AUDIT_SHORT_MAX);
	rec_cstr("cipher", cipher, AUDIT_SHORT_MAX);
	rec_cstr("sni", sni, AUDIT_USER_MAX);
	rec_end();
}

void
audit_connect(void)
{
	if (a.fd == -1 || !a.insession)
		return;
	rec_begin("connect");
	rec_cstr("local", a.sess.local_addr, sizeof(a.sess.local_addr));
	rec_num("local_port", a.sess.local_port);
	/* Which upstream's server "upstream" is, when it has a name. */
	if (a.sess.upstream_name[0] != '\0')
		rec_cstr("upstream_name", a.sess.upstream_name,
		    sizeof(a.sess.upstream_name));
	rec_proxy();
	rec_end();
}

void
audit_set_upstream(const char *name, const char *addr, uint16_t port)
{
	(void)snprintf(a.sess.upstream_name, sizeof(a.sess.upstream_name),
	    "%s", name);
	(void)snprintf(a.sess.upstream_addr, sizeof(a.sess.upstream_addr),
	    "%s", addr);
	a.sess.upstream_port = port;
	if (a.fd == -1 || !a.insession)
		return;
	rec_begin("upstream");
	if (a.sess.upstream_name[0] != '\0')
		rec_cstr("upstream_name", a.sess.upstream_name,
		    sizeof(a.sess.upstream_name));
	rec_end();
}

/*
 * The PROXY header the client came with: who sent it, where the client
 * connected, and the TLVs that were there.  "client" above is already
 * the header's.
 */
static void
rec_proxy(void)
{
	const struct worker_session	*s = &a.sess;

	if (s->proxy == 0)
		return;
	rec_num("proxy_version", s->proxy);
	rec_cstr("proxy", s->proxy_addr, sizeof(s->proxy_addr));
	rec_num("proxy_port", s->proxy_port);
	if (s->proxy_flags & WORKER_PROXY_LOCAL)
		rec_bool("proxy_local", 1);
	rec_cstr("dest", s->dest_addr, sizeof(s->dest_addr));
	rec_num("dest_port", s->dest_port);
	if (s->proxy_alpn[0] != '\0')
		rec_cstr("proxy_alpn", s->proxy_alpn, sizeof(s->proxy_alpn));
	if (s->proxy_authority[0] != '\0')
		rec_cstr("proxy_authority", s->proxy_authority,
		    sizeof(s->proxy_authority));
	if (s->proxy_flags & WORKER_PROXY_SSL) {
		rec_bool("proxy_tls", 1);
		rec_cstr("proxy_tls_version", s->proxy_tls_version,
		    sizeof(s->proxy_tls_version));
		rec_cstr("proxy_tls_cipher", s->proxy_tls_cipher,
		    sizeof(s->proxy_tls_cipher));
		if (s->proxy_flags & WORKER_PROXY_CERT)
			rec_bool("proxy_tls_cert", 1);
	}
}

void
audit_forward(const char *how, const char *line, size_t len)
{
	if (a.fd == -1 || !a.insession)
		return;
	while (line != NULL && len > 0 && (line[len - 1] == '\n' ||
	    line[len - 1] == '\r'))
		len--;
	rec_begin("forward");
	rec_cstr("how", how, AUDIT_SHORT_MAX);
	if (line != NULL)
		rec_str("line", line, len > AUDIT_WHAT_MAX ? AUDIT_WHAT_MAX :
		    len);
	rec_end();
}

void
audit_verdict(const char *table, const char *key, const char *what,
    size_t whatlen, const struct policy_answer *ans, int cached)
{
	char	 rule[WORKER_PATH_MAX + 16];

	/* The metrics count what the audit records, log or no log. */
	stats_verdict(table, ans, cached);
	if (a.fd == -1)
		return;
	rec_begin("verdict");
	rec_cstr("table", table, AUDIT_SHORT_MAX);
	rec_cstr("key", key, AUDIT_SHORT_MAX);
	if (what != NULL) {
		rec_str("what", what, whatlen > AUDIT_WHAT_MAX ?
		    AUDIT_WHAT_MAX : whatlen);
		if (whatlen > AUDIT_WHAT_MAX)
			rec_bool("what_cut", 1);
	}
	if (ans == NULL)
		rec_cstr("action", "none", AUDIT_SHORT_MAX);
	else {
		rec_cstr("action", rules_action_name(ans->action),
		    AUDIT_SHORT_MAX);
		if (ans->line > 0)
			(void)snprintf(rule, sizeof(rule), "%s:%u",
			    ans->file != NULL ? ans->file : "?", ans->line);
		else
			(void)snprintf(rule, sizeof(rule), "default");
		rec_cstr("rule", rule, sizeof(rule));
		rec_num("generation", ans->gen);
	}
	rec_bool("cached", cached);
	rec_end();
}

void
audit_state(const char *from, const char *to)
{
	if (a.fd == -1)
		return;
	rec_begin("state");
	rec_cstr("from", from, AUDIT_SHORT_MAX);
	rec_cstr("to", to, AUDIT_SHORT_MAX);
	rec_end();
}

void
audit_guard(const char *what, uint64_t n)
{
	if (a.fd == -1)
		return;
	rec_begin("guard");
	rec_cstr("what", what, AUDIT_SHORT_MAX);
	rec_num("n", n);
	rec_end();
}

/*
 * login proxy: the upstream the session is routed to ("": the
 * listener's), what chose it ("route-table", FILE:LINE, "default") and
 * the generation (0: no policy store).
 */
void
audit_route(const char *upstream, const char *by, uint64_t gen)
{
	if (a.fd == -1)
		return;
	rec_begin("route");
	rec_cstr("route_upstream", upstream, WORKER_NAME_MAX);
	rec_cstr("route_by", by, AUDIT_WHAT_MAX);
	rec_num("generation", gen);
	rec_end();
}

void
audit_answered(const char *line, size_t len)
{
	if (a.fd == -1)
		return;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	rec_begin("answered");
	rec_str("line", line, len > AUDIT_WHAT_MAX ? AUDIT_WHAT_MAX : len);
	rec_end();
}

const char *
audit_end_reason(uint32_t r)
{
	static const char *const names[] = { "logout", "client-eof",
	    "upstream-eof", "timeout", "policy", "error", "shutdown",
	    "kicked" };

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

void
audit_disconnect(const char *reason, const struct worker_session_end *e)
{
	if (a.fd != -1 && a.insession) {
		rec_begin("disconnect");
		rec_cstr("reason", reason, AUDIT_SHORT_MAX);
		rec_num("client_in", e->client_in);
		rec_num("client_out", e->client_out);
		rec_num("upstream_in", e->upstream_in);
		rec_num("upstream_out", e->upstream_out);
		rec_num("commands", e->commands);
		rec_end();
	}
	a.insession = 0;
	a.user[0] = '\0';
	a.tls = 0;
}
