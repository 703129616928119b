#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <atf-c.h>

#include "log.h"
#include "msg.h"
#include "proto.h"

static char	out[8192];

/*
 * Run fn in a child whose stderr is a pipe; return what it wrote and
 * how it ended.
 */
static const char *
run_child(void (*fn)(void), int *status)
{
	size_t	got = 0;
	ssize_t	n;
	pid_t	pid;
	int	p[2];

	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(99);
		fn();
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	ATF_REQUIRE(n == 0);
	close(p[0]);
	out[got] = '\0';
	ATF_REQUIRE(waitpid(pid, status, 0) == pid);
	return out;
}

/* Call fn here with stderr caught; return what it wrote. */
static const char *
capture(void (*fn)(void))
{
	ssize_t	n;
	int	mfd, saved;

	ATF_REQUIRE((mfd = memfd_create("stderr", MFD_CLOEXEC)) != -1);
	ATF_REQUIRE((saved = dup(STDERR_FILENO)) != -1);
	ATF_REQUIRE(dup2(mfd, STDERR_FILENO) != -1);
	fn();
	ATF_REQUIRE(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	ATF_REQUIRE((n = pread(mfd, out, sizeof(out) - 1, 0)) >= 0);
	out[n] = '\0';
	close(mfd);
	return out;
}

static int
exited(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void
foreground_lines(void)
{
	log_init(1, 0, "tproc");
	errno = ENOENT;
	log_warn("open %s", "/nowhere");
	if (errno != ENOENT)
		_exit(2);
	log_warnx("plain %d", 3);
	log_info("info %s", "line");
}

ATF_TC_WITHOUT_HEAD(foreground);
ATF_TC_BODY(foreground, tc)
{
	const char	*s;
	int		 status;

	s = run_child(foreground_lines, &status);
	ATF_REQUIRE(exited(status, 0));
	ATF_REQUIRE_STREQ(s,
	    "tproc: open /nowhere: No such file or directory\n"
	    "tproc: plain 3\n"
	    "tproc: info line\n");
}

static void
debug_lines(void)
{
	log_init(1, 0, "d");
	log_debug("hidden %d", 1);
	log_procname("v");
	log_init(1, 1, NULL);
	log_debug("shown %d", 2);
}

ATF_TC_WITHOUT_HEAD(debug_needs_verbose);
ATF_TC_BODY(debug_needs_verbose, tc)
{
	int	status;

	ATF_REQUIRE_STREQ(run_child(debug_lines, &status), "v: shown 2\n");
	ATF_REQUIRE(exited(status, 0));
}

static void
say_atexit(void)
{
	(void)!write(STDERR_FILENO, "atexit\n", 7);
}

static void
do_fatal(void)
{
	log_init(1, 0, "f");
	atexit(say_atexit);
	errno = EACCES;
	fatal("boom %d", 1);
}

static void
do_fatalx(void)
{
	log_init(1, 0, "f");
	atexit(say_atexit);
	errno = EACCES;
	fatalx("boom %d", 2);
}

static void
do_fatal_child(void)
{
	log_init(1, 0, "kid");
	log_child();
	atexit(say_atexit);
	fatalx("gone");
}

ATF_TC_WITHOUT_HEAD(fatal_exits);
ATF_TC_BODY(fatal_exits, tc)
{
	int	status;

	ATF_REQUIRE_STREQ(run_child(do_fatal, &status),
	    "f: fatal: boom 1: Permission denied\natexit\n");
	ATF_REQUIRE(exited(status, 1));
	ATF_REQUIRE_STREQ(run_child(do_fatalx, &status),
	    "f: fatal: boom 2\natexit\n");
	ATF_REQUIRE(exited(status, 1));
	/* A child leaves by _exit(): no atexit handler runs. */
	ATF_REQUIRE_STREQ(run_child(do_fatal_child, &status),
	    "kid: fatal: gone\n");
	ATF_REQUIRE(exited(status, 1));
}

static void
control_chars(void)
{
	log_init(1, 0, "e");
	log_warnx("a\nb\x1b[31mc\td\\x7f\x7f\xc3\xa9\r");
	log_warnx("%s", "fake\ne: forged line");
}

ATF_TC_WITHOUT_HEAD(escapes);
ATF_TC_BODY(escapes, tc)
{
	int	status;

	ATF_REQUIRE_STREQ(run_child(control_chars, &status),
	    "e: a\\x0ab\\x1b[31mc\\x09d\\x7f\\x7f\\xc3\\xa9\\x0d\n"
	    "e: fake\\x0ae: forged line\n");
	ATF_REQUIRE(exited(status, 0));
}

/* An overlong line is cut, never in the middle of an escape. */
static void
long_line(void)
{
	char	s[LOG_LINE_MAX * 2];

	memset(s, '\n', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	log_init(1, 0, "l");
	log_warnx("%s", s);
}

ATF_TC_WITHOUT_HEAD(long_lines);
ATF_TC_BODY(long_lines, tc)
{
	const char	*s;
	size_t		 len;
	int		 status;

	s = run_child(long_line, &status);
	ATF_REQUIRE(exited(status, 0));
	len = strlen(s);
	ATF_REQUIRE(len > 3 + 4 && len <= 3 + LOG_LINE_MAX);
	ATF_REQUIRE(strncmp(s, "l: \\x0a", 7) == 0);
	ATF_REQUIRE(strcmp(s + len - 5, "\\x0a\n") == 0);
	ATF_REQUIRE_EQ((len - 4) % 4, 0);
}

static int		 chan_sock = -1;

static void
child_logs(void)
{
	struct msgchan	ch;

	log_init(1, 0, "kid");
	msgchan_init(&ch, chan_sock, 0, 0);
	log_to_channel(&ch);
	errno = EPIPE;
	log_warn("hello\n%s", "x");
	log_debug("not verbose");
	log_init(1, 1, NULL);
	log_debug("verbose");
	fatalx("bye");
}

static const struct msg	*from_child;
static int		 from_rc;

static void
master_logs(void)
{
	log_init(1, 0, "master");
	from_rc = log_from_msg(from_child);
}

/*
 * A child's lines arrive as MSG_LOG, nothing on its stderr, and the
 * master logs them under its own name.
 */
ATF_TC_WITHOUT_HEAD(to_channel);
ATF_TC_BODY(to_channel, tc)
{
	struct msgchan	 ch;
	struct msg	 m;
	uint32_t	 pri;
	int		 sv[2], status;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv) == 0);
	chan_sock = sv[1];
	ATF_REQUIRE_STREQ(run_child(child_logs, &status), "");
	ATF_REQUIRE(exited(status, 1));
	close(sv[1]);
	msgchan_init(&ch, sv[0], 0, 0);

	ATF_REQUIRE_EQ(msg_wait(&ch, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.type, MSG_LOG);
	memcpy(&pri, m.body, sizeof(pri));
	ATF_REQUIRE_EQ(pri, LOG_WARNING);
	ATF_REQUIRE_EQ(m.len, sizeof(pri) + strlen("kid: hello\\x0ax: Broken pipe"));
	ATF_REQUIRE(memcmp((const char *)m.body + sizeof(pri),
	    "kid: hello\\x0ax: Broken pipe", m.len - sizeof(pri)) == 0);
	from_child = &m;
	ATF_REQUIRE_STREQ(capture(master_logs),
	    "master: kid: hello\\x0ax: Broken pipe\n");
	ATF_REQUIRE_EQ(from_rc, 0);

	/* debug: sent once the child is verbose, shown if the master is */
	ATF_REQUIRE_EQ(msg_wait(&ch, &m, 5000), 1);
	memcpy(&pri, m.body, sizeof(pri));
	ATF_REQUIRE_EQ(pri, LOG_DEBUG);
	ATF_REQUIRE_STREQ(capture(master_logs), "");
	ATF_REQUIRE_EQ(from_rc, 0);

	ATF_REQUIRE_EQ(msg_wait(&ch, &m, 5000), 1);
	memcpy(&pri, m.body, sizeof(pri));
	ATF_REQUIRE_EQ(pri, LOG_CRIT);
	ATF_REQUIRE_STREQ(capture(master_logs), "master: kid: fatal: bye\n");
	ATF_REQUIRE_EQ(from_rc, 0);

	errno = 0;
	ATF_REQUIRE_EQ(msg_wait(&ch, &m, 5000), -1);
	ATF_REQUIRE_EQ(errno, ECONNRESET);
	msgchan_clear(&ch);
	close(sv[0]);
}

static int
try_body(uint32_t type, const void *body, size_t len)
{
	struct msg	 m;
	const char	*s;

	memset(&m, 0, sizeof(m));
	m.hdr.type = type;
	m.hdr.len = (uint32_t)len;
	m.body = body;
	m.len = len;
	m.fd = -1;
	from_child = &m;
	s = capture(master_logs);
	if (from_rc == -1)
		ATF_REQUIRE_STREQ(s, "");
	return from_rc;
}

/* Bodies a child must not get away with; nothing of them is logged. */
ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	struct {
		uint32_t	pri;
		char		text[LOG_LINE_MAX + 8];
	}		b;
	struct msgchan	a, r;
	struct msg	m;
	int		sv[2];

	b.pri = LOG_INFO;
	memset(b.text, 'x', sizeof(b.text));
	ATF_REQUIRE_EQ(try_body(MSG_LOG, &b, 3), -1);		/* short */
	ATF_REQUIRE_EQ(try_body(MSG_READY, &b, 5), -1);		/* type */
	ATF_REQUIRE_EQ(try_body(MSG_LOG, &b,			/* long */
	    sizeof(b.pri) + LOG_LINE_MAX + 1), -1);
	b.text[3] = '\0';
	ATF_REQUIRE_EQ(try_body(MSG_LOG, &b, 8), -1);		/* NUL */
	b.text[3] = 'x';
	b.pri = LOG_DEBUG + 1;
	ATF_REQUIRE_EQ(try_body(MSG_LOG, &b, 8), -1);		/* priority */
	b.pri = 0xffffffff;
	ATF_REQUIRE_EQ(try_body(MSG_LOG, &b, 8), -1);
	b.pri = LOG_ERR;
	ATF_REQUIRE_EQ(try_body(MSG_LOG, &b, sizeof(b.pri)), 0);	/* empty ok */
	ATF_REQUIRE_EQ(try_body(MSG_LOG, &b,
	    sizeof(b.pri) + LOG_LINE_MAX), 0);			/* longest ok */

	/* The same over a real channel, from a child that does not escape. */
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv) == 0);
	msgchan_init(&a, sv[0], 0, 0);
	msgchan_init(&r, sv[1], 0, 0);
	memcpy(b.text, "x\nmaster: forged\x1b", 17);
	ATF_REQUIRE_EQ(msg_compose(&a, MSG_LOG, 0, -1, &b, 4 + 17), 0);
	b.text[2] = '\0';
	ATF_REQUIRE_EQ(msg_compose(&a, MSG_LOG, 0, -1, &b, 4 + 17), 0);
	ATF_REQUIRE_EQ(msg_send(&a, 5000), 0);
	ATF_REQUIRE_EQ(msg_wait(&r, &m, 5000), 1);
	from_child = &m;
	ATF_REQUIRE_STREQ(capture(master_logs),
	    "master: x\\x0amaster: forged\\x1b\n");
	ATF_REQUIRE_EQ(from_rc, 0);
	ATF_REQUIRE_EQ(msg_wait(&r, &m, 5000), 1);
	ATF_REQUIRE_STREQ(capture(master_logs), "");
	ATF_REQUIRE_EQ(from_rc, -1);
	msgchan_clear(&a);
	msgchan_clear(&r);
	close(sv[0]);
	close(sv[1]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, foreground);
	ATF_TP_ADD_TC(tp, debug_needs_verbose);
	ATF_TP_ADD_TC(tp, fatal_exits);
	ATF_TP_ADD_TC(tp, escapes);
	ATF_TP_ADD_TC(tp, long_lines);
	ATF_TP_ADD_TC(tp, to_channel);
	ATF_TP_ADD_TC(tp, malformed);
	return atf_no_error();
}
