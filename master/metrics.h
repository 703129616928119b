/*
 * The metrics: counters the master keeps of its listeners, workers and
 * sessions, the counters each worker reports when a session ends
 * (MSG_W_SESSION_STATS), and gauges read at the moment of a scrape, as
 * Prometheus text (version 0.0.4) or OpenMetrics 1.0.0, for the metrics
 * listener and "posternctl metrics" (control.c).  posternd(8), METRICS,
 * lists the series.
 *
 * Counters are kept by listener name, from posternd's start: a listener
 * a reload removes keeps its series, with their last values.
 */
#ifndef POSTERN_MASTER_METRICS_H
#define POSTERN_MASTER_METRICS_H

#include <stdint.h>

#include "conf.h"
#include "proto_worker.h"

struct buf;

/* A session's end for metrics_session_ended(): its worker died. */
#define METRICS_END_WORKER	100

void	 metrics_session_opened(const char *listener);
/* reason: enum worker_end_reason, or METRICS_END_WORKER. */
void	 metrics_session_ended(const char *listener, uint32_t reason);
void	 metrics_session_stats(const char *listener,
	    const struct worker_session_stats *);
void	 metrics_worker_started(const char *listener);
/*
 * posternd gives up on a worker: cause "start-timeout", "stop-timeout",
 * "protocol" or "channel".
 */
void	 metrics_worker_failed(const char *listener, const char *cause);
/*
 * A worker is gone: its wait status; told, it had been told to go;
 * failed, posternd had given up on it.
 */
void	 metrics_worker_exited(const char *listener, int status, int told,
	    int failed);
/*
 * A client refused by the wait queue (reason 0), over its per-client
 * limit (1), or because no server of its upstream is up (2).
 */
void	 metrics_refused(const char *listener, int reason);

/*
 * Every series, for conf's listeners and those seen before, into b:
 * OpenMetrics when openmetrics, else the Prometheus text format.  0, or
 * -1 when b is full.
 */
int	 metrics_render(struct buf *b, const struct conf *, int openmetrics);

#endif
