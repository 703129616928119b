/*
 * The worker's syscall filter, as data for confine() (confine.h): loaded
 * last, after the privilege drop; what it allows is said, with the
 * reason for each call, in sandbox_worker.c.
 */
#ifndef POSTERN_WORKER_SANDBOX_WORKER_H
#define POSTERN_WORKER_SANDBOX_WORKER_H

#include "sandbox.h"

extern const struct sandbox_list worker_filter;
/*
 * A template's (template.h): the worker's, and SB_SPAWN to fork the
 * workers, which stack worker_filter on it (confine_stack()).
 */
extern const struct sandbox_list template_filter;

#endif
