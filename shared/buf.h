/*
 * A growable byte buffer with a hard limit.  Data is appended at the end
 * and consumed from the front; the buffer never grows past its limit, so a
 * peer that floods us gets an error instead of our memory.
 *
 * buf_free() clears the bytes that held data before it frees them; only
 * those, so that a 64 KiB buffer a session read 200 bytes into is not
 * paged in whole to be cleared.  buf_reserve() counts every byte it
 * offers as written, since its caller may write them all and commit
 * fewer; buf_reserve_read() is for a caller that writes only the bytes
 * it then commits (recv(2), SSL_read(3)), which alone count.
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;
	size_t	 rpos;		/* first unconsumed byte */
	size_t	 wpos;		/* one past the last byte */
	size_t	 size;		/* allocated bytes */
	size_t	 max;		/* hard limit on size */
	size_t	 dirty;		/* bytes from the start that ever held data */
};

void	 buf_init(struct buf *, size_t);
void	 buf_free(struct buf *);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
uint8_t	*buf_reserve(struct buf *, size_t);
uint8_t	*buf_reserve_read(struct buf *, size_t);
void	 buf_commit(struct buf *, size_t);
void	 buf_drain(struct buf *, size_t);
void	 buf_reset(struct buf *);

static inline size_t
buf_len(const struct buf *b)
{
	return b->wpos - b->rpos;
}

static inline const uint8_t *
buf_data(const struct buf *b)
{
	return b->data + b->rpos;
}

#endif
