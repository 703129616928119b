#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "msg.h"

/* The header's flag for "a descriptor came with this message". */
#define HDR_FD	0x1

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	ATF_REQUIRE((d = opendir("/proc/self/fd")) != NULL);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
make_pair(int sv[2])
{
	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
}

static void
set_nonblock(int fd)
{
	int	fl;

	ATF_REQUIRE((fl = fcntl(fd, F_GETFL)) != -1);
	ATF_REQUIRE(fcntl(fd, F_SETFL, fl | O_NONBLOCK) != -1);
}

static int
same_file(int a, int b)
{
	struct stat	sa, sb;

	ATF_REQUIRE(fstat(a, &sa) == 0);
	ATF_REQUIRE(fstat(b, &sb) == 0);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void
raw_send(int sock, const void *data, size_t len, const int *fds, int nfds)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	}		 cbuf;

	ATF_REQUIRE(nfds <= 4);
	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	ATF_REQUIRE_EQ(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

static void
raw_hdr(int sock, uint32_t type, uint32_t len, uint32_t flags,
    uint32_t peerid, uint32_t pid, const int *fds, int nfds)
{
	struct msg_hdr	h = { type, len, flags, peerid, pid };

	raw_send(sock, &h, sizeof(h), fds, nfds);
}

/* The bytes msg_compose() puts on the wire, and the fd if one came. */
static size_t
capture(struct msgchan *ch, int peer, uint8_t *out, size_t max, int *fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cbuf;
	size_t		 got = 0;
	ssize_t		 n;

	*fd = -1;
	ATF_REQUIRE_EQ(msg_send(ch, 1000), 0);
	for (;;) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = out + got;
		iov.iov_len = max - got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(peer, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EAGAIN)
			break;
		ATF_REQUIRE(n > 0);
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			ATF_REQUIRE(*fd == -1);
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
		}
		got += (size_t)n;
	}
	return got;
}

static void
fill(uint8_t *p, size_t len, int seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
}

static int
check_fill(const uint8_t *p, size_t len, int seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed * 31 + i * 7))
			return 0;
	return 1;
}

/* Several messages, with and without descriptors, arrive as sent. */
ATF_TC_WITHOUT_HEAD(roundtrip);
ATF_TC_BODY(roundtrip, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	static uint8_t	 body[MSG_BODY_DEFAULT];
	size_t		 lens[6] = { 0, 1, 100, 0, MSG_BODY_DEFAULT, 5 };
	int		 sv[2], pfd[2], mine[6], i, before;

	before = count_fds();
	make_pair(sv);
	ATF_REQUIRE(pipe(pfd) == 0);
	msgchan_init(&a, sv[0], MSGCHAN_FDS, 0);
	msgchan_init(&b, sv[1], MSGCHAN_FDS, 0);
	for (i = 0; i < 6; i++) {
		mine[i] = -1;
		if (i == 1)
			mine[i] = pfd[0];
		else if (i == 3)
			mine[i] = pfd[1];
		else if (i == 4 || i == 5)
			ATF_REQUIRE((mine[i] = open(i == 4 ? "/dev/null" :
			    "/proc/self/exe", O_RDONLY | O_CLOEXEC)) != -1);
		fill(body, lens[i], i);
		ATF_REQUIRE_EQ(msg_compose(&a, 100 + i, 7 * i,
		    mine[i] == -1 ? -1 : dup(mine[i]), body, lens[i]), 0);
	}
	ATF_REQUIRE_EQ(msg_send(&a, 5000), 0);
	for (i = 0; i < 6; i++) {
		ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
		ATF_REQUIRE_EQ(m.hdr.type, 100 + i);
		ATF_REQUIRE_EQ(m.hdr.peerid, 7 * i);
		ATF_REQUIRE_EQ(m.hdr.pid, (uint32_t)getpid());
		ATF_REQUIRE_EQ(m.len, lens[i]);
		ATF_REQUIRE(check_fill(m.body, m.len, i));
		if (mine[i] == -1)
			ATF_REQUIRE_EQ(m.fd, -1);
		else {
			ATF_REQUIRE(m.fd >= 0);
			ATF_REQUIRE(same_file(m.fd, mine[i]));
			close(m.fd);
			close(mine[i]);
		}
	}
	ATF_REQUIRE_EQ(msg_get(&b, &m), 0);
	msgchan_clear(&a);
	msgchan_clear(&b);
	close(sv[0]);
	close(sv[1]);
	ATF_REQUIRE_EQ(count_fds(), before);
}

/* Without MSGCHAN_FDS the same works for bodies; an fd is refused at once. */
ATF_TC_WITHOUT_HEAD(roundtrip_nofds);
ATF_TC_BODY(roundtrip_nofds, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	int		 sv[2], fd, i;

	make_pair(sv);
	msgchan_init(&a, sv[0], 0, 0);
	msgchan_init(&b, sv[1], 0, 0);
	ATF_REQUIRE((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1);
	errno = 0;
	ATF_REQUIRE_EQ(msg_compose(&a, 1, 0, fd, "x", 1), -1);
	ATF_REQUIRE_EQ(errno, EINVAL);
	ATF_REQUIRE(!fd_is_open(fd));
	for (i = 0; i < 10; i++)
		ATF_REQUIRE_EQ(msg_compose(&a, i, i, -1, &i, sizeof(i)), 0);
	ATF_REQUIRE_EQ(msg_send(&a, 5000), 0);
	for (i = 0; i < 10; i++) {
		ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
		ATF_REQUIRE_EQ(m.hdr.type, (uint32_t)i);
		ATF_REQUIRE_EQ(m.len, sizeof(i));
		ATF_REQUIRE(memcmp(m.body, &i, sizeof(i)) == 0);
		ATF_REQUIRE_EQ(m.fd, -1);
	}
	msgchan_clear(&a);
	msgchan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/* Messages written one byte at a time come out whole, fd included. */
ATF_TC_WITHOUT_HEAD(split_bytes);
ATF_TC_BODY(split_bytes, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	uint8_t		 wire[512];
	size_t		 len, i;
	int		 sa[2], sb[2], fd, mine, got = 0, r;

	make_pair(sa);
	make_pair(sb);
	msgchan_init(&a, sa[0], MSGCHAN_FDS, 0);
	msgchan_init(&b, sb[1], MSGCHAN_FDS, 0);
	ATF_REQUIRE((mine = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1);
	ATF_REQUIRE_EQ(msg_compose(&a, 1, 11, dup(mine), "first", 5), 0);
	ATF_REQUIRE_EQ(msg_compose(&a, 2, 22, -1, "second body", 11), 0);
	len = capture(&a, sa[1], wire, sizeof(wire), &fd);
	ATF_REQUIRE_EQ(len, 2 * sizeof(struct msg_hdr) + 16);
	ATF_REQUIRE(fd >= 0);

	/* The fd travels with the first byte, as msg_flush() sends it. */
	raw_send(sb[0], wire, 1, &fd, 1);
	close(fd);
	ATF_REQUIRE(msg_read(&b) == 1);
	ATF_REQUIRE_EQ(msg_get(&b, &m), 0);
	for (i = 1; i < len; i++) {
		ATF_REQUIRE_EQ(write(sb[0], wire + i, 1), 1);
		ATF_REQUIRE(msg_read(&b) == 1);
		while ((r = msg_get(&b, &m)) == 1) {
			got++;
			if (got == 1) {
				ATF_REQUIRE_EQ(i, sizeof(struct msg_hdr) + 4);
				ATF_REQUIRE_EQ(m.hdr.peerid, 11);
				ATF_REQUIRE(memcmp(m.body, "first", 5) == 0);
				ATF_REQUIRE(same_file(m.fd, mine));
				close(m.fd);
			} else {
				ATF_REQUIRE_EQ(i, len - 1);
				ATF_REQUIRE_EQ(m.hdr.peerid, 22);
				ATF_REQUIRE_EQ(m.len, 11);
				ATF_REQUIRE(memcmp(m.body, "second body", 11) == 0);
				ATF_REQUIRE_EQ(m.fd, -1);
			}
		}
		ATF_REQUIRE_EQ(r, 0);
	}
	ATF_REQUIRE_EQ(got, 2);
	close(mine);
	msgchan_clear(&a);
	msgchan_clear(&b);
}

/*
 * A socket that takes a few KiB at a time: msg_flush() keeps the rest,
 * says so, and every fd still lands on its own message.
 */
ATF_TC_WITHOUT_HEAD(partial_writes);
ATF_TC_BODY(partial_writes, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	static uint8_t	 body[MSG_BODY_DEFAULT];
	int		 sv[2], mine[20], i, r, one = 1, got = 0, flushes = 0;
	int		 before, loops;

	before = count_fds();
	make_pair(sv);
	ATF_REQUIRE(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one,
	    sizeof(one)) == 0);
	set_nonblock(sv[0]);
	set_nonblock(sv[1]);
	msgchan_init(&a, sv[0], MSGCHAN_FDS, 0);
	msgchan_init(&b, sv[1], MSGCHAN_FDS, 0);
	for (i = 0; i < 20; i++) {
		mine[i] = -1;
		if (i % 3 == 1)
			ATF_REQUIRE((mine[i] = open(i % 2 ? "/dev/null" :
			    "/proc/self/exe", O_RDONLY | O_CLOEXEC)) != -1);
		fill(body, sizeof(body) - i, i);
		ATF_REQUIRE_EQ(msg_compose(&a, i, i, mine[i] == -1 ? -1 :
		    dup(mine[i]), body, sizeof(body) - i), 0);
	}
	for (loops = 0; got < 20 && loops < 100000; loops++) {
		if (msg_pending(&a)) {
			ATF_REQUIRE((r = msg_flush(&a)) != -1);
			flushes += r;
		}
		if (msg_read(&b) == -1)
			ATF_REQUIRE_EQ(errno, EAGAIN);
		while ((r = msg_get(&b, &m)) == 1) {
			ATF_REQUIRE_EQ(m.hdr.type, (uint32_t)got);
			ATF_REQUIRE_EQ(m.len, sizeof(body) - got);
			ATF_REQUIRE(check_fill(m.body, m.len, got));
			if (mine[got] == -1)
				ATF_REQUIRE_EQ(m.fd, -1);
			else {
				ATF_REQUIRE(same_file(m.fd, mine[got]));
				close(m.fd);
				close(mine[got]);
			}
			got++;
		}
		ATF_REQUIRE_EQ(r, 0);
	}
	ATF_REQUIRE_EQ(got, 20);
	ATF_REQUIRE(!msg_pending(&a));
	/* More than one call had to leave bytes for later. */
	ATF_REQUIRE(flushes >= 2);
	msgchan_clear(&a);
	msgchan_clear(&b);
	close(sv[0]);
	close(sv[1]);
	ATF_REQUIRE_EQ(count_fds(), before);
}

/* A peer that does not read: msg_send() gives up at its deadline. */
ATF_TC_WITHOUT_HEAD(send_timeout);
ATF_TC_BODY(send_timeout, tc)
{
	struct msgchan	 a;
	static uint8_t	 body[MSG_BODY_DEFAULT];
	int		 sv[2], one = 1, i;

	make_pair(sv);
	ATF_REQUIRE(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one,
	    sizeof(one)) == 0);
	msgchan_init(&a, sv[0], 0, 0);
	for (i = 0; i < 40; i++)
		ATF_REQUIRE_EQ(msg_compose(&a, 1, 0, -1, body, sizeof(body)),
		    0);
	errno = 0;
	ATF_REQUIRE_EQ(msg_send(&a, 100), -1);
	ATF_REQUIRE_EQ(errno, ETIMEDOUT);
	ATF_REQUIRE(msg_pending(&a));
	msgchan_clear(&a);
	close(sv[0]);
	close(sv[1]);
}

static volatile sig_atomic_t	 alarms;
static int			 eintr_sock = -1;
static uint8_t			 eintr_wire[256];
static size_t			 eintr_len;

static void
on_alarm(int sig)
{
	(void)sig;
	if (++alarms == 3 &&
	    write(eintr_sock, eintr_wire, eintr_len) != (ssize_t)eintr_len)
		alarms = -100;
}

/*
 * Signals without SA_RESTART interrupt the poll in msg_wait(): it goes
 * on waiting, and gets the message the third one sends.
 */
ATF_TC_WITHOUT_HEAD(eintr);
ATF_TC_BODY(eintr, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	struct sigaction sa;
	struct itimerval it;
	int		 sv[2], fd;

	make_pair(sv);
	msgchan_init(&a, sv[0], 0, 0);
	msgchan_init(&b, sv[1], 0, 0);
	ATF_REQUIRE_EQ(msg_compose(&a, 9, 99, -1, "late", 4), 0);
	eintr_len = capture(&a, sv[1], eintr_wire, sizeof(eintr_wire), &fd);
	eintr_sock = sv[0];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	ATF_REQUIRE(sigaction(SIGALRM, &sa, NULL) == 0);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = 20000;
	it.it_value.tv_usec = 20000;
	ATF_REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 10000), 1);
	memset(&it, 0, sizeof(it));
	ATF_REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0);
	ATF_REQUIRE(alarms >= 3);
	ATF_REQUIRE_EQ(m.hdr.type, 9);
	ATF_REQUIRE_EQ(m.len, 4);
	ATF_REQUIRE(memcmp(m.body, "late", 4) == 0);
	msgchan_clear(&a);
	msgchan_clear(&b);
}

/* The peer closes in the middle of a body, or of a header. */
ATF_TC_WITHOUT_HEAD(truncated_eof);
ATF_TC_BODY(truncated_eof, tc)
{
	struct msgchan	 b;
	struct msg	 m;
	int		 sv[2], pass;

	for (pass = 0; pass < 2; pass++) {
		make_pair(sv);
		msgchan_init(&b, sv[1], 0, 0);
		if (pass == 0) {
			raw_hdr(sv[0], 1, 10, 0, 0, 0, NULL, 0);
			ATF_REQUIRE_EQ(write(sv[0], "12345", 5), 5);
		} else
			ATF_REQUIRE_EQ(write(sv[0], "1234567", 7), 7);
		close(sv[0]);
		errno = 0;
		ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), -1);
		ATF_REQUIRE_EQ(errno, EPROTO);
		/* and the channel stays ended */
		ATF_REQUIRE_EQ(msg_get(&b, &m), -1);
		ATF_REQUIRE_EQ(msg_read(&b), -1);
		msgchan_clear(&b);
		close(sv[1]);
	}
}

/* A clean end of file after whole messages is not a protocol error. */
ATF_TC_WITHOUT_HEAD(clean_eof);
ATF_TC_BODY(clean_eof, tc)
{
	struct msgchan	 b;
	struct msg	 m;
	int		 sv[2];

	make_pair(sv);
	msgchan_init(&b, sv[1], 0, 0);
	raw_hdr(sv[0], 1, 0, 0, 0, 0, NULL, 0);
	close(sv[0]);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(msg_read(&b), 0);
	ATF_REQUIRE_EQ(msg_get(&b, &m), 0);
	errno = 0;
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), -1);
	ATF_REQUIRE_EQ(errno, ECONNRESET);
	msgchan_clear(&b);
	close(sv[1]);
}

/* A length over the channel's limit ends it before any body is read. */
ATF_TC_WITHOUT_HEAD(oversized);
ATF_TC_BODY(oversized, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	static uint8_t	 body[1025];
	uint32_t	 lens[2] = { 1025, 0xffffffff };
	int		 sv[2], i;

	for (i = 0; i < 2; i++) {
		make_pair(sv);
		msgchan_init(&b, sv[1], 0, 1024);
		raw_hdr(sv[0], 1, lens[i], 0, 0, 0, NULL, 0);
		errno = 0;
		ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), -1);
		ATF_REQUIRE_EQ(errno, EMSGSIZE);
		msgchan_clear(&b);
		close(sv[0]);
		close(sv[1]);
	}

	/* and nobody can queue one */
	make_pair(sv);
	msgchan_init(&a, sv[0], 0, 1024);
	errno = 0;
	ATF_REQUIRE_EQ(msg_compose(&a, 1, 0, -1, body, 1025), -1);
	ATF_REQUIRE_EQ(errno, EMSGSIZE);
	ATF_REQUIRE_EQ(msg_compose(&a, 1, 0, -1, body, 1024), 0);
	msgchan_clear(&a);
	close(sv[0]);
	close(sv[1]);

	/* the hard cap holds whatever the caller asks for */
	msgchan_init(&a, -1, 0, (size_t)MSG_BODY_MAX + 1);
	ATF_REQUIRE_EQ(a.maxbody, MSG_BODY_MAX);
	msgchan_clear(&a);
}

/*
 * Descriptors where none may come: refused, and closed, so none leaks.
 * Each case: what arrives, and the channel's flags.
 */
ATF_TC_WITHOUT_HEAD(fd_refused);
ATF_TC_BODY(fd_refused, tc)
{
	struct msgchan	 b;
	struct msg	 m;
	int		 sv[2], fd, before, pass, r;

	before = count_fds();
	for (pass = 0; pass < 4; pass++) {
		make_pair(sv);
		ATF_REQUIRE((fd = open("/dev/null", O_RDONLY | O_CLOEXEC))
		    != -1);
		switch (pass) {
		case 0:		/* an fd on a channel without fds */
			msgchan_init(&b, sv[1], 0, 0);
			raw_hdr(sv[0], 1, 0, HDR_FD, 0, 0, &fd, 1);
			break;
		case 1:		/* a header that claims one there */
			msgchan_init(&b, sv[1], 0, 0);
			raw_hdr(sv[0], 1, 0, HDR_FD, 0, 0, NULL, 0);
			break;
		case 2:		/* an fd no message claims */
			msgchan_init(&b, sv[1], MSGCHAN_FDS, 0);
			raw_hdr(sv[0], 1, 0, 0, 0, 0, &fd, 1);
			raw_hdr(sv[0], 2, 0, 0, 0, 0, NULL, 0);
			break;
		case 3:		/* a message that claims an fd not sent */
			msgchan_init(&b, sv[1], MSGCHAN_FDS, 0);
			raw_hdr(sv[0], 1, 0, HDR_FD, 0, 0, NULL, 0);
			break;
		}
		close(fd);
		errno = 0;
		/* the read that brings it already refuses an unwanted fd */
		if (pass == 0)
			ATF_REQUIRE_EQ(msg_read(&b), -1);
		r = msg_wait(&b, &m, 5000);
		if (r == 1 && m.fd != -1)
			close(m.fd);
		ATF_REQUIRE_EQ_MSG(r, -1, "pass %d", pass);
		ATF_REQUIRE_EQ_MSG(errno, EBADMSG, "pass %d", pass);
		ATF_REQUIRE_EQ_MSG(count_fds(), before + 2, "pass %d", pass);
		msgchan_clear(&b);
		close(sv[0]);
		close(sv[1]);
	}
	ATF_REQUIRE_EQ(count_fds(), before);
}

/*
 * More than one fd in a message: two fit our control buffer and are
 * refused, three overflow it (MSG_CTRUNC).  Either way none leaks.
 */
ATF_TC_WITHOUT_HEAD(ctrunc);
ATF_TC_BODY(ctrunc, tc)
{
	struct msgchan	 b;
	struct msg	 m;
	int		 sv[2], fds[3], before, n, i;

	before = count_fds();
	for (n = 2; n <= 3; n++) {
		make_pair(sv);
		msgchan_init(&b, sv[1], MSGCHAN_FDS, 0);
		for (i = 0; i < n; i++)
			ATF_REQUIRE((fds[i] = open("/dev/null",
			    O_RDONLY | O_CLOEXEC)) != -1);
		raw_hdr(sv[0], 1, 0, HDR_FD, 0, 0, fds, n);
		for (i = 0; i < n; i++)
			close(fds[i]);
		errno = 0;
		ATF_REQUIRE_EQ(msg_read(&b), -1);
		ATF_REQUIRE_EQ(errno, EBADMSG);
		ATF_REQUIRE_EQ(msg_get(&b, &m), -1);
		ATF_REQUIRE_EQ_MSG(count_fds(), before + 2, "%d fds", n);
		msgchan_clear(&b);
		close(sv[0]);
		close(sv[1]);
	}
	ATF_REQUIRE_EQ(count_fds(), before);
}

/*
 * One fd, but no room in our descriptor table for it: the kernel drops it
 * and says MSG_CTRUNC, and the message that counted on it is refused.
 */
ATF_TC_WITHOUT_HEAD(ctrunc_emfile);
ATF_TC_BODY(ctrunc_emfile, tc)
{
	struct msgchan	 b;
	struct msg	 m;
	struct rlimit	 rl, low;
	int		 sv[2], fd, lowest, before, r, err;

	before = count_fds();
	make_pair(sv);
	msgchan_init(&b, sv[1], MSGCHAN_FDS, 0);
	ATF_REQUIRE((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1);
	raw_hdr(sv[0], 1, 0, HDR_FD, 0, 0, &fd, 1);
	close(fd);

	/* The lowest free number becomes the limit: no new fd fits. */
	ATF_REQUIRE((lowest = fcntl(0, F_DUPFD, 0)) != -1);
	close(lowest);
	ATF_REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	low = rl;
	low.rlim_cur = (rlim_t)lowest;
	ATF_REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	errno = 0;
	r = (int)msg_read(&b);
	err = errno;
	ATF_REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	ATF_REQUIRE_EQ(r, -1);
	ATF_REQUIRE_EQ(err, EBADMSG);
	ATF_REQUIRE_EQ(msg_get(&b, &m), -1);
	msgchan_clear(&b);
	close(sv[0]);
	close(sv[1]);
	ATF_REQUIRE_EQ(count_fds(), before);
}

/* Descriptors queued but never sent are closed with the channel. */
ATF_TC_WITHOUT_HEAD(clear_closes);
ATF_TC_BODY(clear_closes, tc)
{
	struct msgchan	 a;
	int		 sv[2], fd, before;

	make_pair(sv);
	before = count_fds();
	msgchan_init(&a, sv[0], MSGCHAN_FDS, 0);
	ATF_REQUIRE((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1);
	ATF_REQUIRE_EQ(msg_compose(&a, 1, 0, fd, NULL, 0), 0);
	ATF_REQUIRE(fd_is_open(fd));
	msgchan_clear(&a);
	ATF_REQUIRE_EQ(count_fds(), before);
	ATF_REQUIRE(fd_is_open(sv[0]));
	close(sv[0]);
	close(sv[1]);
}

/* Whatever pid and peer id a header holds, the receiver sees them as is. */
ATF_TC_WITHOUT_HEAD(passthrough);
ATF_TC_BODY(passthrough, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	uint32_t	 ids[3] = { 0, 0xdeadbeef, 0xffffffff };
	int		 sv[2], i;

	make_pair(sv);
	msgchan_init(&a, sv[0], 0, 0);
	msgchan_init(&b, sv[1], 0, 0);
	for (i = 0; i < 3; i++)
		ATF_REQUIRE_EQ(msg_compose(&a, ids[i], ids[i], -1, NULL, 0),
		    0);
	ATF_REQUIRE_EQ(msg_send(&a, 5000), 0);
	raw_hdr(sv[0], 0xfffffff0, 0, 0, 77, 4242, NULL, 0);
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
		ATF_REQUIRE_EQ(m.hdr.type, ids[i]);
		ATF_REQUIRE_EQ(m.hdr.peerid, ids[i]);
		ATF_REQUIRE_EQ(m.hdr.pid, (uint32_t)getpid());
	}
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.type, 0xfffffff0);
	ATF_REQUIRE_EQ(m.hdr.peerid, 77);
	ATF_REQUIRE_EQ(m.hdr.pid, 4242);
	msgchan_clear(&a);
	msgchan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

static long long
elapsed_ms(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Nothing comes: msg_wait() returns 0 at its deadline, not before. */
ATF_TC_WITHOUT_HEAD(wait_timeout);
ATF_TC_BODY(wait_timeout, tc)
{
	struct msgchan	 b;
	struct msg	 m;
	struct timespec	 t0;
	long long	 ms;
	int		 sv[2];

	make_pair(sv);
	msgchan_init(&b, sv[1], 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 0), 0);
	ATF_REQUIRE(elapsed_ms(&t0) < 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 200), 0);
	ms = elapsed_ms(&t0);
	ATF_REQUIRE_MSG(ms >= 199 && ms < 5000, "waited %lld ms", ms);
	msgchan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}


/*
 * Each header carries its sender's pid, which msg.c asks of the kernel
 * once: a child forked after its parent sent sends its own, by
 * msg_compose() and by msg_commit().
 */
ATF_TC_WITHOUT_HEAD(pid_after_fork);
ATF_TC_BODY(pid_after_fork, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	uint8_t		*p;
	pid_t		 pid;
	int		 sv[2], status;

	make_pair(sv);
	msgchan_init(&a, sv[0], 0, 0);
	msgchan_init(&b, sv[1], 0, 0);
	ATF_REQUIRE_EQ(msg_compose(&a, 1, 0, -1, NULL, 0), 0);
	ATF_REQUIRE_EQ(msg_send(&a, 5000), 0);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.pid, (uint32_t)getpid());
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		if (msg_compose(&a, 2, 0, -1, NULL, 0) == -1 ||
		    (p = msg_reserve(&a, 1)) == NULL)
			_exit(1);
		*p = 'x';
		if (msg_commit(&a, 3, 0, 1) == -1 || msg_send(&a, 5000) == -1)
			_exit(2);
		_exit(0);
	}
	ATF_REQUIRE_EQ(waitpid(pid, &status, 0), pid);
	ATF_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.type, 2);
	ATF_REQUIRE_EQ(m.hdr.pid, (uint32_t)pid);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.type, 3);
	ATF_REQUIRE_EQ(m.hdr.pid, (uint32_t)pid);
	/* And the parent still sends its own. */
	ATF_REQUIRE_EQ(msg_compose(&a, 4, 0, -1, NULL, 0), 0);
	ATF_REQUIRE_EQ(msg_send(&a, 5000), 0);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.pid, (uint32_t)getpid());
	msgchan_clear(&a);
	msgchan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A body written in place arrives as composed; a large one, on a
 * channel whose limit allows it, arrives whole between small ones, and
 * the reader's buffer goes back to small after it.
 */
ATF_TC_WITHOUT_HEAD(reserve_commit);
ATF_TC_BODY(reserve_commit, tc)
{
	struct msgchan	 a, b;
	struct msg	 m;
	uint8_t		*p;
	size_t		 big = 3 * 1024 * 1024, i;
	pid_t		 pid;
	int		 sv[2], status;

	make_pair(sv);
	/* The writer is a child: the socket holds less than the body. */
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		msgchan_init(&a, sv[0], 0, big);
		if ((p = msg_reserve(&a, 5)) == NULL)
			_exit(1);
		memcpy(p, "hello", 5);
		if (msg_commit(&a, 7, 9, 5) == -1 ||
		    (p = msg_reserve(&a, big)) == NULL)
			_exit(2);
		for (i = 0; i < big; i++)
			p[i] = (uint8_t)(i * 7);
		if (msg_commit(&a, 8, 0, big) == -1 ||
		    msg_compose(&a, 9, 0, -1, "x", 1) == -1 ||
		    msg_send(&a, 5000) == -1)
			_exit(3);
		if (a.wbuf.size >= big)
			_exit(4);
		/* over the limit, or committing more than was reserved */
		if (msg_reserve(&a, big + 1) != NULL || errno != EMSGSIZE)
			_exit(5);
		if (msg_reserve(&a, 10) == NULL ||
		    msg_commit(&a, 1, 0, a.wbuf.size) != -1 ||
		    errno != EINVAL || msg_pending(&a))
			_exit(6);
		_exit(0);
	}
	close(sv[0]);
	msgchan_init(&b, sv[1], 0, big);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.type, 7);
	ATF_REQUIRE_EQ(m.hdr.peerid, 9);
	ATF_REQUIRE_EQ(m.len, 5);
	ATF_REQUIRE(memcmp(m.body, "hello", 5) == 0);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.type, 8);
	ATF_REQUIRE_EQ(m.len, big);
	for (i = 0; i < big; i++)
		if (((const uint8_t *)m.body)[i] != (uint8_t)(i * 7))
			atf_tc_fail("byte %zu of the large body differs", i);
	ATF_REQUIRE(b.rbuf.size >= big);
	ATF_REQUIRE_EQ(msg_wait(&b, &m, 5000), 1);
	ATF_REQUIRE_EQ(m.hdr.type, 9);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "writer: status %d", status);
	/*
	 * The next read gives the large buffer back.  9 may have come in
	 * the read that ended 8, so that read is the one after 9: the
	 * writer's end, here.
	 */
	ATF_REQUIRE_EQ(msg_read(&b), 0);
	ATF_REQUIRE(b.rbuf.size < big);
	msgchan_clear(&b);
	close(sv[1]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, reserve_commit);
	ATF_TP_ADD_TC(tp, roundtrip);
	ATF_TP_ADD_TC(tp, roundtrip_nofds);
	ATF_TP_ADD_TC(tp, split_bytes);
	ATF_TP_ADD_TC(tp, partial_writes);
	ATF_TP_ADD_TC(tp, send_timeout);
	ATF_TP_ADD_TC(tp, eintr);
	ATF_TP_ADD_TC(tp, truncated_eof);
	ATF_TP_ADD_TC(tp, clean_eof);
	ATF_TP_ADD_TC(tp, oversized);
	ATF_TP_ADD_TC(tp, fd_refused);
	ATF_TP_ADD_TC(tp, ctrunc);
	ATF_TP_ADD_TC(tp, ctrunc_emfile);
	ATF_TP_ADD_TC(tp, clear_closes);
	ATF_TP_ADD_TC(tp, passthrough);
	ATF_TP_ADD_TC(tp, wait_timeout);
	ATF_TP_ADD_TC(tp, pid_after_fork);
	return atf_no_error();
}
