/*
 * The worker's syscall filter.  Loaded last, after the privilege drop;
 * what it allows is said, with the reason for each call, in
 * sandbox_worker.c.
 */
#ifndef POSTERN_WORKER_SANDBOX_WORKER_H
#define POSTERN_WORKER_SANDBOX_WORKER_H

/* 0, or -1 with the reason in sandbox_error(). */
int	 sandbox_worker_load(void);

#endif
