#ifndef POSTERN_POLICYCTL_CONF_H
#define POSTERN_POLICYCTL_CONF_H

#include <stddef.h>

/* The configuration file policyctl reads when neither -s nor -c is given. */
#define POLICYCTL_CONF	"/etc/postern/postern.conf"

int	policyctl_conf_store(const char *, int, char *, size_t);

#endif
