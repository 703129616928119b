/*
 * The one message framing of every channel between postern processes.
 *
 * A message is a fixed header and a body of at most the channel's limit.
 * It may carry one file descriptor, and only on a channel set up to pass
 * them; the descriptor travels by SCM_RIGHTS with the first byte of its
 * message.  Channels are local socketpairs, so the header is in host order.
 *
 * Writing is queued: msg_compose() adds a message (or msg_reserve() makes
 * room for a body written in place, and msg_commit() adds it), msg_flush()
 * writes what the socket takes.  Reading is msg_read() (one recvmsg) then
 * msg_get() until it returns 0.  Any error on a channel is final: the
 * caller ends it.
 */
#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <bsd/sys/queue.h>

#include "buf.h"

#define MSGCHAN_FDS		0x1		/* descriptors may pass */

#define MSG_BODY_DEFAULT	(16 * 1024)	/* maxbody 0 means this */
/*
 * No channel allows more.  The largest body is a verdict query for a
 * command line at the largest `limit line' (proto_policy.h); the other
 * channels ask for what their own messages need.  A channel's buffers
 * grow to a large body only while one is on its way (msg.c).
 */
#define MSG_BODY_MAX		(17 * 1024 * 1024)

struct msg_hdr {
	uint32_t	type;		/* see proto.h */
	uint32_t	len;		/* of the body, header excluded */
	uint32_t	flags;		/* framing only, e.g. "carries an fd" */
	uint32_t	peerid;		/* whatever the caller says; passed through */
	uint32_t	pid;		/* sender's getpid() */
};

struct msg {
	struct msg_hdr	 hdr;
	const void	*body;		/* valid until the next msg_read() */
	size_t		 len;
	int		 fd;		/* -1, or now the caller's to close */
};

struct msgfd;
TAILQ_HEAD(msgfdq, msgfd);

struct msgchan {
	int		 fd;
	int		 flags;
	int		 error;		/* errno of the error that ended it */
	int		 eof;
	size_t		 maxbody;
	struct buf	 rbuf;
	struct buf	 wbuf;
	uint64_t	 rstart;	/* stream offset of rbuf's first byte */
	uint64_t	 rend;		/* stream offset past the last byte read */
	uint64_t	 wstart;	/* stream offset of wbuf's first byte */
	struct msgfdq	 rfds;		/* received, not yet handed out */
	int		 nrfds;
	struct msgfdq	 wfds;		/* to send with their message */
};

void	 msgchan_init(struct msgchan *, int, int, size_t);
void	 msgchan_clear(struct msgchan *);
/*
 * Gives back the buffers of a channel that holds nothing, neither bytes
 * to write nor a part of a message read; the next message takes them
 * again.  For a process that waits long between messages.
 */
void	 msgchan_trim(struct msgchan *);
int	 msg_compose(struct msgchan *, uint32_t, uint32_t, int, const void *,
	    size_t);
void	*msg_reserve(struct msgchan *, size_t);
int	 msg_commit(struct msgchan *, uint32_t, uint32_t, size_t);
int	 msg_flush(struct msgchan *);
int	 msg_pending(const struct msgchan *);
ssize_t	 msg_read(struct msgchan *);
int	 msg_get(struct msgchan *, struct msg *);
int	 msg_send(struct msgchan *, int);
int	 msg_wait(struct msgchan *, struct msg *, int);

#endif
