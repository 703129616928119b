/*
 * The worker's real filter (sandbox_worker.c) on a forked child: the
 * calls a worker must never make, and those it has no use for, kill it
 * with SIGSYS, and the relay itself (relay.c, imap_relay.c, from
 * libworker.a) runs a session under it, with this process playing
 * client, server and master.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>
#include <zlib.h>

#include "msg.h"
#include "proto.h"
#include "proto_worker.h"
#include "relay.h"
#include "sandbox.h"
#include "sandbox_worker.h"

static int	report_fd = -1;
static void	end_wait(struct msgchan *, struct msg *);

static void __attribute__((noreturn))
child_fail(const char *what)
{
	(void)!write(report_fd, what, strlen(what));
	_exit(3);
}

static void
load(void)
{
	if (sandbox_load_list(&worker_filter, 0) == -1)
		child_fail(sandbox_error());
	(void)!write(report_fd, "L", 1);
}

static void __attribute__((noreturn))
survived(void)
{
	(void)!write(report_fd, "X", 1);
	_exit(0);
}

/* Run fn in a child; its wait status, and what it wrote, in out. */
static int
run(void (*fn)(void), char *out, size_t len)
{
	int	 p[2], status;
	size_t	 off = 0;
	ssize_t	 n;
	pid_t	 pid;

	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		fn();
		_exit(4);
	}
	close(p[1]);
	while (off + 1 < len && (n = read(p[0], out + off,
	    len - 1 - off)) > 0)
		off += (size_t)n;
	out[off] = '\0';
	close(p[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	return status;
}

static void
check_killed(void (*fn)(void))
{
	char	 out[256];
	int	 st;

	st = run(fn, out, sizeof(out));
	ATF_CHECK_STREQ_MSG("L", out, "child wrote \"%s\"", out);
	ATF_CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "status %#x, not killed by SIGSYS", st);
}

static void
do_socket(void)
{
	load();
	(void)socket(AF_INET, SOCK_STREAM, 0);
	survived();
}

static void
do_connect(void)
{
	struct sockaddr_un	 sun;
	int			 s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/nonexistent");
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		child_fail("socket");
	load();
	(void)connect(s, (struct sockaddr *)&sun, sizeof(sun));
	survived();
}

static void
do_openat(void)
{
	load();
	(void)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	survived();
}

static void
do_execve(void)
{
	char	*argv[] = { (char *)"true", NULL };

	load();
	(void)execve("/bin/true", argv, argv + 1);
	survived();
}

/*
 * What the worker does not call is not on its list (sandbox_worker.c):
 * epoll, sleeping, socket names, a look at a file.
 */
static void
do_epoll(void)
{
	load();
	(void)epoll_create1(EPOLL_CLOEXEC);
	survived();
}

static void
do_nanosleep(void)
{
	struct timespec	 ts = { 0, 1000 };

	load();
	(void)nanosleep(&ts, NULL);
	survived();
}

static void
do_clock_nanosleep(void)
{
	struct timespec	 ts = { 0, 1000 };

	load();
	(void)syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL);
	survived();
}

static void
do_getpeername(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		child_fail("socketpair");
	load();
	(void)getpeername(sv[0], (struct sockaddr *)&ss, &len);
	survived();
}

static void
do_fstat(void)
{
	struct stat	 st;

	load();
	(void)fstat(report_fd, &st);
	survived();
}

ATF_TC_WITHOUT_HEAD(socket_killed);
ATF_TC_BODY(socket_killed, tc)
{
	check_killed(do_socket);
}

ATF_TC_WITHOUT_HEAD(epoll_killed);
ATF_TC_BODY(epoll_killed, tc)
{
	check_killed(do_epoll);
}

ATF_TC_WITHOUT_HEAD(nanosleep_killed);
ATF_TC_BODY(nanosleep_killed, tc)
{
	check_killed(do_nanosleep);
	check_killed(do_clock_nanosleep);
}

ATF_TC_WITHOUT_HEAD(getpeername_killed);
ATF_TC_BODY(getpeername_killed, tc)
{
	check_killed(do_getpeername);
}

ATF_TC_WITHOUT_HEAD(fstat_killed);
ATF_TC_BODY(fstat_killed, tc)
{
	check_killed(do_fstat);
}

ATF_TC_WITHOUT_HEAD(connect_killed);
ATF_TC_BODY(connect_killed, tc)
{
	check_killed(do_connect);
}

ATF_TC_WITHOUT_HEAD(openat_killed);
ATF_TC_BODY(openat_killed, tc)
{
	check_killed(do_openat);
}

ATF_TC_WITHOUT_HEAD(execve_killed);
ATF_TC_BODY(execve_killed, tc)
{
	check_killed(do_execve);
}

/*
 * A session under the filter.  The child gets one end of each pair; this
 * process keeps the other ends: t_chan as the master, t_cli as the
 * client, t_up as the server.
 */
static int	 t_chan[2], t_cli[2], t_up[2];

static void
relay_child(void)
{
	struct worker_config	 conf;
	struct worker_session	 sess;
	struct msgchan		 chan;
	struct worker_env	 env = { .policy = NULL };
	int			 rc;

	close(t_chan[0]);
	close(t_cli[0]);
	close(t_up[0]);
	memset(&conf, 0, sizeof(conf));
	conf.protocol = WORKER_PROTO_IMAP;
	conf.max_line = 65536;
	conf.max_literal = 1024 * 1024;
	conf.timeout_login = 60;
	conf.timeout_idle = 1800;
	conf.timeout_imap_idle = 1800;
	conf.timeout_upstream = 30;
	memset(&sess, 0, sizeof(sess));
	sess.id = 42;
	(void)fcntl(t_chan[1], F_SETFL, O_NONBLOCK);
	msgchan_init(&chan, t_chan[1], MSGCHAN_FDS, 0);
	load();
	rc = relay_run(&conf, &env, &chan, &sess, t_cli[1], t_up[1], 0);
	if (rc == 0 && msg_send(&chan, 5000) == -1)
		child_fail("send session end");
	if (rc == 0)
		survived();
	(void)!write(report_fd, "Q", 1);
	_exit(0);
}

static void
put(int fd, const char *s)
{
	ATF_REQUIRE(write(fd, s, strlen(s)) == (ssize_t)strlen(s));
}

/* One line from fd, within 5 s. */
static void
expect_line(int fd, const char *want)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	char		 line[512];
	size_t		 n = 0;

	while (n + 1 < sizeof(line)) {
		ATF_REQUIRE_MSG(poll(&pfd, 1, 5000) == 1, "no line, want %s",
		    want);
		if (read(fd, line + n, 1) != 1)
			break;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	/* Without the CRLF, or kyua takes a two-line reason as broken. */
	ATF_REQUIRE_MSG(strcmp(want, line) == 0, "got \"%.*s\", want \"%.*s\"",
	    (int)strcspn(line, "\r\n"), line, (int)strcspn(want, "\r\n"),
	    want);
}

/* Nothing arrives on fd: a check for something that must not happen. */
static void
expect_nothing(int fd, int ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };

	ATF_REQUIRE_EQ_MSG(0, poll(&pfd, 1, ms), "bytes came too early");
}

/* Deflate s (a client after COMPRESS, with a sync flush) onto fd. */
static size_t
put_deflated(int fd, z_stream *zs, const char *s)
{
	uint8_t	 out[512];
	size_t	 n;

	zs->next_in = (Bytef *)(uintptr_t)s;
	zs->avail_in = (uInt)strlen(s);
	zs->next_out = out;
	zs->avail_out = sizeof(out);
	ATF_REQUIRE_EQ(deflate(zs, Z_SYNC_FLUSH), Z_OK);
	ATF_REQUIRE_EQ(zs->avail_in, 0);
	n = sizeof(out) - zs->avail_out;
	ATF_REQUIRE(write(fd, out, n) == (ssize_t)n);
	return n;
}

/* What arrives on fd, inflated, is want (a whole flush), within 5 s. */
static void
expect_inflated(int fd, z_stream *zs, const char *want)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	uint8_t		 in[512];
	char		 line[512];
	size_t		 n = 0;
	ssize_t		 r;

	while (n < strlen(want)) {
		ATF_REQUIRE_MSG(poll(&pfd, 1, 5000) == 1, "nothing, want %s",
		    want);
		ATF_REQUIRE((r = read(fd, in, sizeof(in))) > 0);
		zs->next_in = in;
		zs->avail_in = (uInt)r;
		zs->next_out = (Bytef *)line + n;
		zs->avail_out = (uInt)(sizeof(line) - 1 - n);
		ATF_REQUIRE_EQ(inflate(zs, Z_SYNC_FLUSH), Z_OK);
		ATF_REQUIRE_EQ(zs->avail_in, 0);
		n = sizeof(line) - 1 - zs->avail_out;
	}
	line[n] = '\0';
	ATF_REQUIRE_MSG(strcmp(want, line) == 0, "got \"%.*s\", want \"%.*s\"",
	    (int)strcspn(line, "\r\n"), line, (int)strcspn(want, "\r\n"),
	    want);
}

static pid_t
relay_start(int *report)
{
	int	 p[2];
	pid_t	 pid;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, t_chan) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, t_cli) == 0);
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, t_up) == 0);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		relay_child();
	}
	close(p[1]);
	close(t_chan[1]);
	close(t_cli[1]);
	close(t_up[1]);
	*report = p[0];
	return pid;
}

static void
relay_finish(pid_t pid, int report, const char *want)
{
	char	 out[64];
	ssize_t	 n;
	size_t	 off = 0;
	int	 st;

	while (off + 1 < sizeof(out) && (n = read(report, out + off,
	    sizeof(out) - 1 - off)) > 0)
		off += (size_t)n;
	out[off] = '\0';
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "relay child status %#x", st);
	ATF_CHECK_STREQ(want, out);
}

ATF_TC_WITHOUT_HEAD(relay_works);
ATF_TC_BODY(relay_works, tc)
{
	struct worker_session_end	 end;
	struct msgchan			 chan;
	struct msg			 m;
	z_stream			 zc, zd;
	size_t				 zin;
	int				 report;
	pid_t				 pid;

	pid = relay_start(&report);
	put(t_up[0], "* OK [CAPABILITY IMAP4rev1 STARTTLS LITERAL+ "
	    "COMPRESS=DEFLATE] ready\r\n");
	expect_line(t_cli[0], "* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n");
	put(t_cli[0], "a1 NOOP\r\n");
	expect_line(t_up[0], "a1 NOOP\r\n");
	put(t_up[0], "a1 OK done\r\n");
	expect_line(t_cli[0], "a1 OK done\r\n");
	/*
	 * An argument in a literal is held: postern says "+" itself and
	 * decides on the whole command; upstream, the octets still wait
	 * for the server's own "+", which the client never sees.
	 */
	put(t_cli[0], "a2 LOGIN {4}\r\n");
	expect_line(t_cli[0], "+ Ready for literal data\r\n");
	expect_nothing(t_up[0], 100);
	put(t_cli[0], "user pass\r\n");
	expect_line(t_up[0], "a2 LOGIN {4}\r\n");
	expect_nothing(t_up[0], 100);
	put(t_up[0], "+ go on\r\n");
	expect_line(t_up[0], "user pass\r\n");
	/* The server's COMPRESS out, postern's own in. */
	put(t_up[0], "a2 OK [CAPABILITY IMAP4rev1 COMPRESS=GZIP] in\r\n");
	expect_line(t_cli[0], "a2 OK [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] "
	    "in\r\n");
	/*
	 * Answered by postern, never forwarded; from there on, zlib (its
	 * malloc) under the filter: the next command is inflated, the
	 * answer deflated, the upstream leg plain.
	 */
	put(t_cli[0], "a3 COMPRESS DEFLATE\r\n");
	expect_line(t_cli[0], "a3 OK DEFLATE active\r\n");
	memset(&zc, 0, sizeof(zc));
	memset(&zd, 0, sizeof(zd));
	ATF_REQUIRE_EQ(deflateInit2(&zc, 6, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	ATF_REQUIRE_EQ(inflateInit2(&zd, -15), Z_OK);
	zin = put_deflated(t_cli[0], &zc, "a4 NOOP\r\n");
	expect_line(t_up[0], "a4 NOOP\r\n");
	put(t_up[0], "* 3 EXISTS\r\na4 OK done\r\n");
	expect_inflated(t_cli[0], &zd, "* 3 EXISTS\r\na4 OK done\r\n");
	deflateEnd(&zc);
	inflateEnd(&zd);
	close(t_cli[0]);
	msgchan_init(&chan, t_chan[0], MSGCHAN_FDS, 0);
	end_wait(&chan, &m);
	ATF_REQUIRE_EQ(sizeof(end), m.len);
	memcpy(&end, m.body, sizeof(end));
	ATF_CHECK_EQ(42, end.id);
	ATF_CHECK_EQ(WORKER_END_CLIENT_EOF, end.reason);
	ATF_CHECK_EQ(4, end.commands);
	/* What the client sent on the wire, compressed bytes as such. */
	ATF_CHECK_EQ(strlen("a1 NOOP\r\na2 LOGIN {4}\r\nuser pass\r\n"
	    "a3 COMPRESS DEFLATE\r\n") + zin, end.client_in);
	ATF_CHECK_EQ(strlen("a1 NOOP\r\na2 LOGIN {4}\r\nuser pass\r\n"
	    "a4 NOOP\r\n"), end.upstream_out);
	relay_finish(pid, report, "LX");
	msgchan_clear(&chan);
	close(t_chan[0]);
	close(t_up[0]);
}

/* len bytes from fd, equal to want, within 5 s each read. */
static void
expect_bytes(int fd, const char *want, size_t len)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	char		*got;
	size_t		 off = 0;
	ssize_t		 n;

	ATF_REQUIRE((got = malloc(len)) != NULL);
	while (off < len) {
		ATF_REQUIRE_MSG(poll(&pfd, 1, 5000) == 1, "%zu of %zu bytes",
		    off, len);
		n = read(fd, got + off, len - off);
		ATF_REQUIRE_MSG(n > 0, "closed after %zu of %zu bytes", off,
		    len);
		off += (size_t)n;
	}
	ATF_REQUIRE_MSG(memcmp(got, want, len) == 0, "%zu bytes differ", len);
	free(got);
}

/*
 * The worker's end of session, past what it tells the master on the way
 * (the server's greeting, who logged in, TLS, the session's counters).
 */
static void
end_wait(struct msgchan *chan, struct msg *m)
{
	do {
		ATF_REQUIRE_EQ(1, msg_wait(chan, m, 5000));
	} while (m->hdr.type == MSG_W_SESSION_INFO ||
	    m->hdr.type == MSG_W_SESSION_STATS ||
	    m->hdr.type == MSG_W_GREETED);
	ATF_REQUIRE_EQ(MSG_W_SESSION_END, m->hdr.type);
}

/* fd is closed by the other end within 5 s, with nothing more on it. */
static void
expect_eof(int fd)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	char		 c;

	ATF_REQUIRE_MSG(poll(&pfd, 1, 5000) == 1, "not closed");
	ATF_REQUIRE_EQ_MSG(0, read(fd, &c, 1), "more bytes before the end");
}

/*
 * What the session layer decides, carried out by the relay: capability
 * lists without STARTTLS and COMPRESS, STARTTLS refused, {n+} to an
 * upstream without LITERAL+ sent as {n} (its "+" not shown to the
 * client), an oversized {n} answered BAD, an answered command whose later
 * {n} gets no "+" and no octets, IDLE, a server literal passed whole, and
 * an oversized {n+}: BYE.
 */
ATF_TC_WITHOUT_HEAD(relay_session);
ATF_TC_BODY(relay_session, tc)
{
	struct worker_session_end	 end;
	struct msgchan			 chan;
	struct msg			 m;
	char				*big, *resp;
	size_t				 biglen = 100000, n;
	int				 report;
	pid_t				 pid;

	pid = relay_start(&report);
	put(t_up[0], "* OK [CAPABILITY IMAP4rev1 STARTTLS IDLE] ready\r\n");
	expect_line(t_cli[0], "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n");
	put(t_cli[0], "b1 CAPABILITY\r\n");
	expect_line(t_up[0], "b1 CAPABILITY\r\n");
	put(t_up[0], "* CAPABILITY IMAP4rev1 STARTTLS compress=deflate "
	    "AUTH=PLAIN IDLE\r\nb1 OK done\r\n");
	expect_line(t_cli[0], "* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE\r\n");
	expect_line(t_cli[0], "b1 OK done\r\n");
	put(t_cli[0], "b2 STARTTLS\r\n");
	expect_line(t_cli[0], "b2 NO [CANNOT] STARTTLS is not available "
	    "through this proxy\r\n");
	/* No LITERAL+ upstream: each {n+} goes as {n} and waits. */
	put(t_cli[0], "b3 LOGIN {4+}\r\nuser {4+}\r\npass\r\n");
	expect_line(t_up[0], "b3 LOGIN {4}\r\n");
	expect_nothing(t_up[0], 100);
	put(t_up[0], "+ go\r\n");
	expect_line(t_up[0], "user {4}\r\n");
	put(t_up[0], "+ go\r\n");
	expect_line(t_up[0], "pass\r\n");
	put(t_up[0], "b3 OK in\r\n");
	/* the "+"s were the relay's business: the client sees the OK */
	expect_line(t_cli[0], "b3 OK in\r\n");
	/* lit_max is 64 KiB outside APPEND */
	put(t_cli[0], "b4 SELECT {70000}\r\nb5 SELECT INBOX\r\n");
	expect_line(t_cli[0], "b4 BAD [TOOBIG] Literal too big\r\n");
	expect_line(t_up[0], "b5 SELECT INBOX\r\n");
	put(t_up[0], "b5 OK [READ-WRITE] done\r\n");
	expect_line(t_cli[0], "b5 OK [READ-WRITE] done\r\n");
	/* answered early: "hello {2}" gets no "+", b7 is a command */
	put(t_cli[0], "b6 APPEND Nope {5+}\r\nhello {2}\r\n");
	expect_line(t_up[0], "b6 APPEND Nope {5}\r\n");
	put(t_up[0], "b6 NO [TRYCREATE] no such mailbox\r\n");
	expect_line(t_cli[0], "b6 NO [TRYCREATE] no such mailbox\r\n");
	put(t_cli[0], "b7 IDLE\r\n");
	expect_line(t_up[0], "b7 IDLE\r\n");
	put(t_up[0], "+ idling\r\n");
	expect_line(t_cli[0], "+ idling\r\n");
	put(t_cli[0], "DONE\r\n");
	expect_line(t_up[0], "DONE\r\n");
	put(t_up[0], "b7 OK done\r\n");
	expect_line(t_cli[0], "b7 OK done\r\n");
	/* a server literal, byte for byte */
	put(t_cli[0], "b8 FETCH 1 BODY[]\r\n");
	expect_line(t_up[0], "b8 FETCH 1 BODY[]\r\n");
	ATF_REQUIRE((big = malloc(biglen + 64)) != NULL);
	n = (size_t)snprintf(big, 64, "* 1 FETCH (BODY[] {%zu}\r\n", biglen);
	for (resp = big + n; resp < big + n + biglen; resp++)
		*resp = "abc\r\n\0{}"[(resp - big) % 8];
	memcpy(resp, ")\r\nb8 OK done\r\n", 15);
	n += biglen + 15;
	ATF_REQUIRE(write(t_up[0], big, n) == (ssize_t)n);
	expect_bytes(t_cli[0], big, n);
	free(big);
	/* octets on their way anyway: only the end is left */
	put(t_cli[0], "b9 SELECT {70000+}\r\n");
	expect_line(t_cli[0], "* BYE Literal too big\r\n");
	expect_eof(t_cli[0]);
	/* nothing of b9 went upstream */
	expect_eof(t_up[0]);
	msgchan_init(&chan, t_chan[0], MSGCHAN_FDS, 0);
	end_wait(&chan, &m);
	memcpy(&end, m.body, sizeof(end));
	ATF_CHECK_EQ(WORKER_END_ERROR, end.reason);
	ATF_CHECK_EQ(9, end.commands);
	relay_finish(pid, report, "LX");
	msgchan_clear(&chan);
	close(t_chan[0]);
	close(t_cli[0]);
	close(t_up[0]);
}

ATF_TC_WITHOUT_HEAD(relay_shutdown);
ATF_TC_BODY(relay_shutdown, tc)
{
	struct worker_shutdown	 sd;
	struct msgchan		 chan;
	int			 report;
	pid_t			 pid;

	pid = relay_start(&report);
	put(t_up[0], "* OK ready\r\n");
	expect_line(t_cli[0], "* OK ready\r\n");
	msgchan_init(&chan, t_chan[0], MSGCHAN_FDS, 0);
	memset(&sd, 0, sizeof(sd));
	strcpy(sd.text, "postern going down");
	ATF_REQUIRE(msg_compose(&chan, MSG_SHUTDOWN, 0, -1, &sd,
	    sizeof(sd)) == 0);
	ATF_REQUIRE(msg_send(&chan, 5000) == 0);
	expect_line(t_cli[0], "* BYE postern going down\r\n");
	relay_finish(pid, report, "LQ");
	msgchan_clear(&chan);
	close(t_chan[0]);
	close(t_cli[0]);
	close(t_up[0]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, socket_killed);
	ATF_TP_ADD_TC(tp, epoll_killed);
	ATF_TP_ADD_TC(tp, nanosleep_killed);
	ATF_TP_ADD_TC(tp, getpeername_killed);
	ATF_TP_ADD_TC(tp, fstat_killed);
	ATF_TP_ADD_TC(tp, connect_killed);
	ATF_TP_ADD_TC(tp, openat_killed);
	ATF_TP_ADD_TC(tp, execve_killed);
	ATF_TP_ADD_TC(tp, relay_works);
	ATF_TP_ADD_TC(tp, relay_session);
	ATF_TP_ADD_TC(tp, relay_shutdown);
	return atf_no_error();
}
