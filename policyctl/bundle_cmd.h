/*
 * policyctl keygen, export and import (policyctl(8), BUNDLES): the
 * commands around the bundle format of bundle.h.  Each returns
 * policyctl's exit code.
 */
#ifndef POSTERN_POLICYCTL_BUNDLE_CMD_H
#define POSTERN_POLICYCTL_BUNDLE_CMD_H

struct store;

int	 bundle_keygen(int, char **);
/* argv[0] is the command; the store is the directory given. */
int	 bundle_export(int, char **, const char *);
/* One bundle file into the store, with the trust of the conf file. */
int	 bundle_import(const char *, const char *, const char *, unsigned);

#endif
