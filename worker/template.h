/*
 * The template (proto_worker.h): a postern-worker that has read its
 * config slice and TLS slice and confined itself as a worker does, and
 * then forks workers at the master's request instead of serving
 * sessions.  Its workers share its pages copy-on-write: the shared
 * libraries' relocations, OpenSSL's tables and TLS contexts, which an
 * exec'd worker writes into pages of its own.
 */
#ifndef POSTERN_WORKER_TEMPLATE_H
#define POSTERN_WORKER_TEMPLATE_H

#include <stdint.h>

#include "msg.h"

/*
 * Says MSG_READY on chan, then forks a worker for each MSG_T_FORK until
 * MSG_SHUTDOWN or the end of the channel, and exits.  Returns only in a
 * forked worker: chan is then the worker's own channel, the template's
 * closed, and slot the worker's pool slot.
 */
void	 template_run(struct msgchan *chan, uint32_t *slot);

#endif
