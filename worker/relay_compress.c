/*
 * COMPRESS=DEFLATE (RFC 4978) on the client leg, between the relay's
 * socket reads and writes and the engine: what the relay does around
 * relay_deflate.c's streams when a session turns compression on
 * (relay_tls.h).
 */
#include <sys/socket.h>

#include <errno.h>

#include "clock.h"
#include "log.h"
#include "relay_deflate.h"
#include "relay_int.h"
#include "relay_tls.h"

int
relay_compress(struct relay *r)
{
	struct side	*s = &r->s[RELAY_CLIENT];

	if (s->z != NULL)
		return -1;
	if ((s->z = rdeflate_new()) == NULL) {
		log_warnx("session %llu: no memory for compression",
		    (unsigned long long)r->sess->id);
		s->dead = 1;
		relay_close(r, WORKER_END_ERROR);
		return -1;
	}
	r->zstart = 1;
	log_debug("session %llu: client COMPRESS=DEFLATE",
	    (unsigned long long)r->sess->id);
	return 0;
}

int
relay_compressed(const struct relay *r)
{
	return r->s[RELAY_CLIENT].z != NULL;
}

/*
 * Compression started: what the client sent behind the COMPRESS command
 * and the engine left in the input buffer is compressed, and is
 * inflated with the rest.
 */
void
relay_z_begin(struct relay *r)
{
	struct side	*s = &r->s[RELAY_CLIENT];

	if (!r->zstart)
		return;
	r->zstart = 0;
	if (buf_len(&s->in) > 0 && rdeflate_in_add(s->z, buf_data(&s->in),
	    buf_len(&s->in)) == -1) {
		log_warnx("session %llu: client sent %zu bytes behind COMPRESS",
		    (unsigned long long)r->sess->id, buf_len(&s->in));
		relay_close(r, WORKER_END_ERROR);
	}
	buf_reset(&s->in);
}

/*
 * A compressed client's plaintext, like recv(): from what was read
 * before, else from one read of compressed bytes.  Inflate gives at most
 * RELAY_READ bytes a call, however small its input.  A corrupt stream
 * ends the session here and looks like EAGAIN to side_read().
 */
ssize_t
relay_z_read(struct relay *r, struct side *s, uint8_t *p)
{
	uint8_t		*q;
	size_t		 room;
	ssize_t		 n;

	if ((n = rdeflate_inflate(s->z, p, RELAY_READ)) == 0 &&
	    (q = rdeflate_in_room(s->z, &room)) != NULL) {
		if (s->ssl != NULL)
			n = relay_tls_read_more(s, q, room);
		else
			n = recv(s->fd, q, room, MSG_DONTWAIT);
		if (n <= 0)
			return n;
		rdeflate_in_commit(s->z, (size_t)n);
		s->nin += (uint64_t)n;
		r->last_client = now_ms();
		n = rdeflate_inflate(s->z, p, RELAY_READ);
	}
	if (n == -1) {
		log_warnx("session %llu: client's compressed stream: %s: "
		    "session closed", (unsigned long long)r->sess->id,
		    rdeflate_error(s->z));
		relay_bye(r, "Invalid compressed stream");
		relay_close(r, WORKER_END_ERROR);
	}
	if (n <= 0) {
		errno = EAGAIN;
		return -1;
	}
	return n;
}

/* The end of a write batch: Z_SYNC_FLUSH what the client is owed. */
int
relay_z_flush(struct relay *r)
{
	struct side	*s = &r->s[RELAY_CLIENT];

	if (s->z == NULL || s->dead || !rdeflate_dirty(s->z))
		return 0;
	if (rdeflate_flush(s->z, &s->out) == -1) {
		log_warnx("session %llu: compressing for the client: %s",
		    (unsigned long long)r->sess->id, rdeflate_error(s->z));
		s->dead = 1;
		relay_close(r, WORKER_END_ERROR);
		return -1;
	}
	return 0;
}
