#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

#define MSGF_FD		0x1		/* an fd came with the first byte */

/*
 * Everything queued for writing on one channel, all messages together;
 * there is room for one more message of the channel's limit on top.
 */
#define MSG_WQUEUE_MAX	(1024 * 1024)

/*
 * What a read asks for when no larger message is on its way, and the
 * size a buffer goes back to once a larger message has passed: a
 * channel whose limit follows `limit line' takes the memory of a long
 * query only while it carries one.
 */
#define MSG_READ_MIN	(sizeof(struct msg_hdr) + MSG_BODY_DEFAULT)
#define MSG_KEEP_MAX	(2 * MSG_READ_MIN)

/*
 * Received descriptors not yet handed out.  Read and then get until
 * msg_get() returns 0 and at most one waits here; more means the caller
 * reads without getting, or the peer sends descriptors nobody claims.
 */
#define MSG_RFDS_MAX	16

/*
 * The sender's pid in every header, asked of the kernel once: glibc
 * caches no pid, and two getpid() were two of the eight syscalls of a
 * verdict's round trip (policy_client.c and postern-policyd).  A forked
 * child forgets it (pthread_atfork), so it never sends its parent's.
 */
static pid_t	 self_pid;
static int	 self_atfork;	/* 1: registered; -1: could not be */

static void
self_forget(void)
{
	self_pid = 0;
}

static uint32_t
self(void)
{
	pid_t	 pid;

	if (self_pid != 0)
		return (uint32_t)self_pid;
	pid = getpid();
	if (self_atfork == 0)
		self_atfork = pthread_atfork(NULL, NULL, self_forget) == 0 ?
		    1 : -1;
	/* Without the handler a child could inherit it: not kept. */
	if (self_atfork == 1)
		self_pid = pid;
	return (uint32_t)pid;
}

/*
 * A descriptor and where it sits in the byte stream.  To send: start is
 * the offset of its message.  Received: [start, end) are the bytes of the
 * recvmsg that brought it, which hold the first byte of its message.  The
 * kernel may join earlier bytes to that read, so the header's MSGF_FD says
 * which message claims it; the offsets check that it is that one.
 */
struct msgfd {
	TAILQ_ENTRY(msgfd)	 entry;
	int			 fd;
	uint64_t		 start;
	uint64_t		 end;
};

static void	 msgfd_closeall(struct msgfdq *);
static int	 msg_fail(struct msgchan *, int);
static int	 msg_takefds(struct msgchan *, struct msghdr *, size_t);
static size_t	 msg_want(const struct msgchan *);
static ssize_t	 msg_sendmsg(int, const void *, size_t, int);
static void	 msg_deadline(struct timespec *, int);
static int	 msg_poll(struct pollfd *, const struct timespec *);

void
msgchan_init(struct msgchan *ch, int fd, int flags, size_t maxbody)
{
	memset(ch, 0, sizeof(*ch));
	if (maxbody == 0)
		maxbody = MSG_BODY_DEFAULT;
	if (maxbody > MSG_BODY_MAX)
		maxbody = MSG_BODY_MAX;
	ch->fd = fd;
	ch->flags = flags;
	ch->maxbody = maxbody;
	/* Room for a whole message behind the tail of the one before. */
	buf_init(&ch->rbuf, 2 * (sizeof(struct msg_hdr) + maxbody));
	buf_init(&ch->wbuf, MSG_WQUEUE_MAX + sizeof(struct msg_hdr) + maxbody);
	TAILQ_INIT(&ch->rfds);
	TAILQ_INIT(&ch->wfds);
}

void
msgchan_clear(struct msgchan *ch)
{
	msgfd_closeall(&ch->rfds);
	msgfd_closeall(&ch->wfds);
	ch->nrfds = 0;
	buf_free(&ch->rbuf);
	buf_free(&ch->wbuf);
	ch->fd = -1;
}

void
msgchan_trim(struct msgchan *ch)
{
	if (buf_len(&ch->rbuf) == 0)
		buf_free(&ch->rbuf);
	if (buf_len(&ch->wbuf) == 0)
		buf_free(&ch->wbuf);
}

static void
msgfd_closeall(struct msgfdq *q)
{
	struct msgfd	*mf;

	while ((mf = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, mf, entry);
		close(mf->fd);
		free(mf);
	}
}

/* A protocol error ends the channel: every later call fails the same way. */
static int
msg_fail(struct msgchan *ch, int err)
{
	ch->error = err;
	msgfd_closeall(&ch->rfds);
	ch->nrfds = 0;
	errno = err;
	return -1;
}

/*
 * Queue one message.  The channel owns fd from here on, even when this
 * fails: it is closed once sent, or by msgchan_clear().
 */
int
msg_compose(struct msgchan *ch, uint32_t type, uint32_t peerid, int fd,
    const void *body, size_t len)
{
	struct msg_hdr	 hdr;
	struct msgfd	*mf = NULL;
	uint8_t		*p;
	int		 err;

	if (ch->error != 0) {
		err = ch->error;
		goto fail;
	}
	if (len > ch->maxbody) {
		err = EMSGSIZE;
		goto fail;
	}
	if (fd < -1 || (fd != -1 && !(ch->flags & MSGCHAN_FDS))) {
		err = EINVAL;
		goto fail;
	}
	if (fd != -1 && (mf = calloc(1, sizeof(*mf))) == NULL) {
		err = errno;
		goto fail;
	}
	if ((p = buf_reserve(&ch->wbuf, sizeof(hdr) + len)) == NULL) {
		err = errno;
		free(mf);
		goto fail;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)len;
	hdr.flags = fd != -1 ? MSGF_FD : 0;
	hdr.peerid = peerid;
	hdr.pid = self();
	memcpy(p, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(p + sizeof(hdr), body, len);
	if (mf != NULL) {
		mf->fd = fd;
		mf->start = ch->wstart + buf_len(&ch->wbuf);
		TAILQ_INSERT_TAIL(&ch->wfds, mf, entry);
	}
	buf_commit(&ch->wbuf, sizeof(hdr) + len);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	errno = err;
	return -1;
}

/*
 * Room for a body of len bytes at the end of the write queue, for the
 * caller to write in place, then msg_commit(): a long body is not
 * built in a buffer of its own first and copied.  Nothing else may be
 * queued between the two.  NULL and errno as msg_compose().
 */
void *
msg_reserve(struct msgchan *ch, size_t len)
{
	uint8_t	*p;

	if (ch->error != 0) {
		errno = ch->error;
		return NULL;
	}
	if (len > ch->maxbody) {
		errno = EMSGSIZE;
		return NULL;
	}
	if ((p = buf_reserve(&ch->wbuf, sizeof(struct msg_hdr) + len)) ==
	    NULL)
		return NULL;
	return p + sizeof(struct msg_hdr);
}

/* Queue the body msg_reserve() made room for, len bytes of it at most. */
int
msg_commit(struct msgchan *ch, uint32_t type, uint32_t peerid, size_t len)
{
	struct msg_hdr	 hdr;

	if (ch->error != 0) {
		errno = ch->error;
		return -1;
	}
	if (len > ch->maxbody ||
	    ch->wbuf.size - ch->wbuf.wpos < sizeof(hdr) + len) {
		errno = EINVAL;
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = (uint32_t)len;
	hdr.peerid = peerid;
	hdr.pid = self();
	memcpy(ch->wbuf.data + ch->wbuf.wpos, &hdr, sizeof(hdr));
	buf_commit(&ch->wbuf, sizeof(hdr) + len);
	return 0;
}

int
msg_pending(const struct msgchan *ch)
{
	return buf_len(&ch->wbuf) > 0;
}

/*
 * Write what the socket takes, never waiting, even on a blocking socket:
 * msg_send() is the one that waits, and only as long as it is told.
 * A descriptor goes with the write that
 * starts at its message, and that write stops before the next message
 * with a descriptor, so each one stays with the first byte of its own.
 */
int
msg_flush(struct msgchan *ch)
{
	struct msgfd	*mf, *next;
	size_t		 len;
	ssize_t		 n;
	int		 withfd;

	if (ch->error != 0) {
		errno = ch->error;
		return -1;
	}
	while ((len = buf_len(&ch->wbuf)) > 0) {
		mf = TAILQ_FIRST(&ch->wfds);
		withfd = mf != NULL && mf->start == ch->wstart;
		next = withfd ? TAILQ_NEXT(mf, entry) : mf;
		if (next != NULL && next->start - ch->wstart < len)
			len = next->start - ch->wstart;
		n = msg_sendmsg(ch->fd, buf_data(&ch->wbuf), len,
		    withfd ? mf->fd : -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return -1;
		}
		if (n == 0)
			return 1;
		if (withfd) {
			TAILQ_REMOVE(&ch->wfds, mf, entry);
			close(mf->fd);
			free(mf);
		}
		buf_drain(&ch->wbuf, (size_t)n);
		ch->wstart += (uint64_t)n;
	}
	if (ch->wbuf.size > MSG_KEEP_MAX)
		buf_free(&ch->wbuf);
	return 0;
}

static ssize_t
msg_sendmsg(int sock, const void *data, size_t len, int fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cbuf;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)data;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * Bytes the next read asks for: what the message at the front still
 * lacks when its header is in and it is larger than the usual read,
 * else the usual read.  Never more than a whole message, nor than the
 * buffer's room.  A header over the limit is not trusted here:
 * msg_get() ends the channel for it.
 */
static size_t
msg_want(const struct msgchan *ch)
{
	struct msg_hdr	 hdr;
	size_t		 len = buf_len(&ch->rbuf), want = MSG_READ_MIN;

	if (want > sizeof(hdr) + ch->maxbody)
		want = sizeof(hdr) + ch->maxbody;
	if (len >= sizeof(hdr)) {
		memcpy(&hdr, buf_data(&ch->rbuf), sizeof(hdr));
		if (hdr.len <= ch->maxbody && sizeof(hdr) + hdr.len > len &&
		    sizeof(hdr) + hdr.len - len > want)
			want = sizeof(hdr) + hdr.len - len;
	}
	if (want > ch->rbuf.max - len)
		want = ch->rbuf.max - len;
	return want;
}

/*
 * One recvmsg into the read buffer.  Room for one descriptor only: a read
 * never brings more than one legitimately, since the kernel ends a read
 * after the bytes that carried descriptors.
 */
ssize_t
msg_read(struct msgchan *ch)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cbuf;
	size_t		 want;
	ssize_t		 n;
	uint8_t		*p;

	if (ch->error != 0) {
		errno = ch->error;
		return -1;
	}
	if (ch->eof)
		return 0;
	/* The bodies handed out are ours again: a large buffer goes. */
	if (buf_len(&ch->rbuf) == 0 && ch->rbuf.size > MSG_KEEP_MAX)
		buf_free(&ch->rbuf);
	if ((want = msg_want(ch)) == 0) {
		errno = ENOBUFS;
		return -1;
	}
	if ((p = buf_reserve_read(&ch->rbuf, want)) == NULL)
		return -1;
	do {
		memset(&mh, 0, sizeof(mh));
		memset(&cbuf, 0, sizeof(cbuf));
		iov.iov_base = p;
		iov.iov_len = want;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (msg_takefds(ch, &mh, (size_t)n) == -1)
		return msg_fail(ch, EBADMSG);
	if (n == 0) {
		ch->eof = 1;
		return 0;
	}
	buf_commit(&ch->rbuf, (size_t)n);
	ch->rend += (uint64_t)n;
	return n;
}

/*
 * Keep the one descriptor a read may bring, or close every one that came
 * and fail: on a channel without descriptors, more than one, other control
 * messages, or a truncated control buffer.
 */
static int
msg_takefds(struct msgchan *ch, struct msghdr *mh, size_t n)
{
	struct cmsghdr	*cm;
	struct msgfd	*mf;
	size_t		 i, nfds;
	int		 fd, got = -1, bad = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			bad = 1;
			continue;
		}
		if (cm->cmsg_len < CMSG_LEN(0))
			continue;
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (fd < 0)
				continue;
			if (got == -1)
				got = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		bad = 1;
	if (got == -1 && !bad)
		return 0;
	if (!bad && (!(ch->flags & MSGCHAN_FDS) || n == 0 ||
	    ch->nrfds >= MSG_RFDS_MAX))
		bad = 1;
	if (!bad && (mf = calloc(1, sizeof(*mf))) == NULL)
		bad = 1;
	if (bad) {
		if (got != -1)
			close(got);
		return -1;
	}
	mf->fd = got;
	mf->start = ch->rend;
	mf->end = ch->rend + n;
	TAILQ_INSERT_TAIL(&ch->rfds, mf, entry);
	ch->nrfds++;
	return 0;
}

/*
 * Hand out the next whole message.  Its body points into the read buffer
 * and stays valid until the next msg_read().
 */
int
msg_get(struct msgchan *ch, struct msg *m)
{
	struct msg_hdr	 hdr;
	struct msgfd	*mf;
	size_t		 avail;

	if (ch->error != 0) {
		errno = ch->error;
		return -1;
	}
	avail = buf_len(&ch->rbuf);
	mf = TAILQ_FIRST(&ch->rfds);
	if (avail < sizeof(hdr)) {
		if (!ch->eof)
			return 0;
		if (avail > 0)
			return msg_fail(ch, EPROTO);
		if (mf != NULL)
			return msg_fail(ch, EBADMSG);
		return 0;
	}
	memcpy(&hdr, buf_data(&ch->rbuf), sizeof(hdr));
	if (hdr.len > ch->maxbody)
		return msg_fail(ch, EMSGSIZE);
	if (hdr.flags & ~(uint32_t)MSGF_FD)
		return msg_fail(ch, EBADMSG);
	/* The fd must have come with the message's first byte. */
	if ((hdr.flags & MSGF_FD) && (!(ch->flags & MSGCHAN_FDS) ||
	    mf == NULL || mf->start > ch->rstart))
		return msg_fail(ch, EBADMSG);
	if (avail - sizeof(hdr) < hdr.len)
		return ch->eof ? msg_fail(ch, EPROTO) : 0;
	/* An fd that came with no later message start is this one's or none's. */
	if (!(hdr.flags & MSGF_FD) && mf != NULL &&
	    mf->end <= ch->rstart + sizeof(hdr) + hdr.len)
		return msg_fail(ch, EBADMSG);

	memset(m, 0, sizeof(*m));
	m->hdr = hdr;
	m->body = buf_data(&ch->rbuf) + sizeof(hdr);
	m->len = hdr.len;
	m->fd = -1;
	if (hdr.flags & MSGF_FD) {
		m->fd = mf->fd;
		TAILQ_REMOVE(&ch->rfds, mf, entry);
		free(mf);
		ch->nrfds--;
	}
	buf_drain(&ch->rbuf, sizeof(hdr) + hdr.len);
	ch->rstart += sizeof(hdr) + hdr.len;
	return 1;
}

static void
msg_deadline(struct timespec *ts, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += timeout_ms / 1000;
	ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* poll one descriptor until the deadline, whatever signals come meanwhile */
static int
msg_poll(struct pollfd *pfd, const struct timespec *deadline)
{
	struct timespec	 now;
	long long	 ms;
	int		 r;

	for (;;) {
		ms = -1;
		if (deadline != NULL) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
			    (deadline->tv_nsec - now.tv_nsec + 999999) / 1000000;
			if (ms < 0)
				ms = 0;
			if (ms > 1000000000)
				ms = 1000000000;
		}
		pfd->revents = 0;
		r = poll(pfd, 1, (int)ms);
		if (r == -1 && errno == EINTR)
			continue;
		return r;
	}
}

/*
 * Write everything queued, waiting for the socket as long as it takes or
 * timeout_ms (-1: forever).  0 done, -1 error (ETIMEDOUT on timeout).
 */
int
msg_send(struct msgchan *ch, int timeout_ms)
{
	struct timespec	 deadline;
	struct pollfd	 pfd;
	int		 r;

	if (timeout_ms >= 0)
		msg_deadline(&deadline, timeout_ms);
	while ((r = msg_flush(ch)) == 1) {
		pfd.fd = ch->fd;
		pfd.events = POLLOUT;
		r = msg_poll(&pfd, timeout_ms >= 0 ? &deadline : NULL);
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return r;
}

/*
 * Wait for one whole message for at most timeout_ms (-1: forever).
 * 1 a message, 0 timeout, -1 error; end of file is ECONNRESET.
 */
int
msg_wait(struct msgchan *ch, struct msg *m, int timeout_ms)
{
	struct timespec	 deadline;
	struct pollfd	 pfd;
	int		 r;

	if (timeout_ms >= 0)
		msg_deadline(&deadline, timeout_ms);
	for (;;) {
		if ((r = msg_get(ch, m)) != 0)
			return r;
		if (ch->eof) {
			errno = ECONNRESET;
			return -1;
		}
		pfd.fd = ch->fd;
		pfd.events = POLLIN;
		r = msg_poll(&pfd, timeout_ms >= 0 ? &deadline : NULL);
		if (r <= 0)
			return r;
		if (msg_read(ch) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			return -1;
	}
}
