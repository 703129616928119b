#ifndef POSTERN_POLICYCTL_CONF_H
#define POSTERN_POLICYCTL_CONF_H

#include <stddef.h>

/* The configuration file policyctl reads when neither -s nor -c is given. */
#define POLICYCTL_CONF	"/etc/postern/postern.conf"

int	policyctl_conf_store(const char *, int, char *, size_t);

struct route_targets;
/* 1 and the upstreams a route may name, 0: no file, -1: it is bad */
int	policyctl_conf_targets(const char *, int, struct route_targets *);
void	policyctl_conf_targets_free(struct route_targets *);

#endif
