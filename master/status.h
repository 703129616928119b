/*
 * What "posternctl status" and "posternctl sessions" show, as text for
 * a person or as JSON (-j), made by the master from its own tables:
 * listeners and their pools and queues, postern-policyd and postern-keyd,
 * the rule generation, and the sessions under way with what their
 * workers told of them (proto_worker.h).  Whatever a worker told (a user
 * name) is escaped: in text every byte that is not printable ASCII is
 * \xHH, in JSON it is \u00HH.
 */
#ifndef POSTERN_MASTER_STATUS_H
#define POSTERN_MASTER_STATUS_H

#include <time.h>

#include "conf.h"

struct buf;

/* posternd itself: when it started, where its configuration is from. */
struct status_self {
	time_t		 since;
	const char	*conffile;
};

/* 0, or -1 when b is full. */
int	 status_render(struct buf *, const struct conf *,
	    const struct status_self *, int json);
int	 sessions_render(struct buf *, int json);

#endif
