#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MINSIZE	256

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_free(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->dirty);
	free(b->data);
	buf_init(b, b->max);
}

void
buf_reset(struct buf *b)
{
	b->rpos = b->wpos = 0;
}

static void
dirty_to(struct buf *b, size_t end)
{
	if (end > b->dirty)
		b->dirty = end;
}

/*
 * Make room for n more bytes at the end: first by sliding the unconsumed
 * bytes to the front, then by doubling, never past the limit.
 */
static uint8_t *
reserve(struct buf *b, size_t n)
{
	size_t	 len = buf_len(b), want, nsize;
	uint8_t	*p;

	if (n > b->max || len > b->max - n) {
		errno = ENOBUFS;
		return NULL;
	}
	want = len + n;
	if (b->size - b->wpos >= n)
		return b->data + b->wpos;
	if (b->size >= want) {
		/* Within what held data already: dirty stays as it is. */
		memmove(b->data, b->data + b->rpos, len);
		b->rpos = 0;
		b->wpos = len;
		return b->data + b->wpos;
	}
	nsize = b->size < BUF_MINSIZE ? BUF_MINSIZE : b->size;
	while (nsize < want)
		nsize = nsize > SIZE_MAX / 2 ? SIZE_MAX : nsize * 2;
	if (nsize > b->max)
		nsize = b->max;
	if ((p = malloc(nsize)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, b->data + b->rpos, len);
	if (b->data != NULL)
		explicit_bzero(b->data, b->dirty);
	free(b->data);
	b->data = p;
	b->size = nsize;
	b->dirty = len;
	b->rpos = 0;
	b->wpos = len;
	return b->data + b->wpos;
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	uint8_t	*p;

	if ((p = reserve(b, n)) != NULL)
		dirty_to(b, b->wpos + n);
	return p;
}

uint8_t *
buf_reserve_read(struct buf *b, size_t n)
{
	return reserve(b, n);
}

void
buf_commit(struct buf *b, size_t n)
{
	if (n > b->size - b->wpos)
		abort();
	b->wpos += n;
	dirty_to(b, b->wpos);
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	uint8_t	*dst;

	if (n == 0)
		return 0;
	if ((dst = buf_reserve(b, n)) == NULL)
		return -1;
	memcpy(dst, p, n);
	b->wpos += n;
	dirty_to(b, b->wpos);
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[256], *s = small;
	int	 n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(small)) {
		va_start(ap, fmt);
		n = vasprintf(&s, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
	}
	rc = buf_add(b, s, (size_t)n);
	if (s != small)
		free(s);
	return rc;
}

void
buf_drain(struct buf *b, size_t n)
{
	if (n > buf_len(b))
		abort();
	b->rpos += n;
	if (b->rpos == b->wpos)
		b->rpos = b->wpos = 0;
}
