/*
 * The resource limits a configuration implies, computed in this one
 * place: the descriptors posternd, postern-policyd and postern-keyd hold
 * at most (RLIMIT_NOFILE), and the size a worker's audit log may reach
 * (RLIMIT_FSIZE).  posternd checks them against its own hard limits
 * before it starts anything, at start, at each reload and with -n; as
 * root it raises its limits to what is needed, so that its children
 * inherit hard limits that let each take what it was sent.  A child
 * never raises a hard limit: after its privilege drop it cannot.
 */
#ifndef POSTERN_MASTER_RLIMITS_H
#define POSTERN_MASTER_RLIMITS_H

#include <stdint.h>

#include "conf.h"

/* RLIMIT_NOFILE for postern-policyd: 0 without a policy store. */
uint32_t	 rlimits_policyd_nofile(const struct conf *);
/* RLIMIT_NOFILE for postern-keyd: 0 without a TLS listener. */
uint32_t	 rlimits_keyd_nofile(const struct conf *);
/*
 * Raise posternd's limits to what c needs, if they are lower: 0, or -1
 * with one error logged per process whose need is over what the system
 * allows, naming the knob of postern.conf to turn.
 */
int		 rlimits_check(const struct conf *);

#endif
