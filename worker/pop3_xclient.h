/*
 * "forward id" in POP3 (postern.conf(5)): XCLIENT, which Dovecot takes
 * from a peer in its login_trusted_networks and announces in its
 * greeting ("+OK [XCLIENT] ..."), others in CAPA.  A short dialogue
 * between the server's greeting and the session's first byte: the
 * greeting is held, CAPA asked when the greeting does not say, then
 * "XCLIENT ADDR= PORT= SESSION=" sent, and the greeting (without its
 * [XCLIENT]) given to the session as if it had just come.  Nothing of
 * it reaches the client, whose bytes wait meanwhile (the session reads
 * none before its greeting).  A server that offers no XCLIENT, or
 * refuses ours, is logged and the session goes on without.
 */
#ifndef POSTERN_WORKER_POP3_XCLIENT_H
#define POSTERN_WORKER_POP3_XCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "forward.h"
#include "proto_worker.h"

/* The longest line of the dialogue, the greeting included. */
#define POP3_XCLIENT_LINE_MAX	1024

struct pop3_xclient {
	int		 state;		/* 0: over */
	int		 offered;
	char		 greeting[POP3_XCLIENT_LINE_MAX];
	size_t		 greetlen;
	char		 out[FORWARD_LINE_MAX];	/* to send upstream */
	size_t		 outlen;
};

void	 pop3_xclient_init(struct pop3_xclient *);
/* The dialogue is under way: server bytes go to pop3_xclient_server(). */
int	 pop3_xclient_running(const struct pop3_xclient *);
/*
 * Server bytes: how many it consumed (whole lines), or -1 when the
 * session is to end (logged).  After a call, x->outlen > 0: those
 * bytes of x->out go upstream; once it is over (not running), the
 * session gets x->greeting, x->greetlen bytes, as the server's
 * greeting.
 */
ssize_t	 pop3_xclient_server(struct pop3_xclient *,
	    const struct worker_session *, const uint8_t *, size_t);

#endif
