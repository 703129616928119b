/*
 * `policyctl test': the verdict a query would get from the current (or a
 * given) generation, or from a rule file; see policyctl(8).
 */
#ifndef POSTERN_DRYRUN_H
#define POSTERN_DRYRUN_H

/* argv[0] is "test"; returns policyctl's exit status. */
int	 dryrun_main(int, char **, const char *);

#endif
