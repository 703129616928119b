/*
 * A growable byte buffer with a hard limit.  Data is appended at the end
 * and consumed from the front; the buffer never grows past its limit, so a
 * peer that floods us gets an error instead of our memory.
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
};

void	 buf_init(struct buf *, size_t);
void	 buf_free(struct buf *);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
uint8_t	*buf_reserve(struct buf *, size_t);
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
