/*
 * What the files of the IMAP session share, and nobody else: what the
 * session waits for from the upstream, and the helpers both directions
 * call (postern's own answers, the queue, the held chunk), named sess_.
 * The rest of the worker has imap_session.h.
 */
#ifndef POSTERN_WORKER_IMAP_SESSION_INT_H
#define POSTERN_WORKER_IMAP_SESSION_INT_H

#include <stddef.h>
#include <stdint.h>

#include "imap_session.h"

/* What the session waits for from the upstream before the client. */
enum {
	WAIT_NONE,
	WAIT_OUT,		/* a held chunk's {n}: drop the upstream's + */
	WAIT_STREAM_SYNC,	/* streamed client {n}: forward its + */
	WAIT_STREAM_PLUS	/* streamed client {n+}, sent as {n}: drop */
};

/* imap_session.c */
void	 sess_upname(char *, size_t, const uint8_t *, size_t);
void	 sess_set_reply(struct imap_session *, struct imap_sev *, enum imap_act,
	    const uint8_t *, size_t, const char *, const char *, const char *);
void	 sess_close(struct imap_session *, struct imap_sev *,
	    const char *);
void	 sess_set_raw(struct imap_session *, int);
void	 sess_cmd_remove(struct imap_session *, struct imap_cmd *);
enum imap_state sess_after_success(enum imap_state,
	    const struct imap_cmd_desc *);
void	 sess_hold_reset(struct imap_session *);
void	 sess_sev_reset(struct imap_session *, struct imap_sev *);

/* imap_session_client.c */
void	 sess_client_skip(struct imap_session *, int);

#endif
