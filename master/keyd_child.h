/*
 * postern-keyd as a child of posternd (proto_keyd.h; daemon.h does the
 * process): started when a listener has certificates, sent its config
 * and the key files it is to read at each start, and one end of a
 * channel per worker of a TLS listener.
 */
#ifndef POSTERN_MASTER_KEYD_CHILD_H
#define POSTERN_MASTER_KEYD_CHILD_H

#include "conf.h"
#include "daemon.h"

extern struct daemon	 keyd_daemon;

/* Start, keep, restart (keys or user changed) or stop keyd. */
void	 keyd_child_configure(const struct conf *, const char *worker,
	    int verbose);

#endif
