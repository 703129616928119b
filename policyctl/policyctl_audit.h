/*
 * policyctl audit verify and policyctl audit show: the workers' audit
 * logs (audit_chain.h), checked against the keys posternd kept, and
 * filtered for a reader.
 */
#ifndef POSTERN_POLICYCTL_AUDIT_H
#define POSTERN_POLICYCTL_AUDIT_H

/* argv[0] is "audit".  Exit status: 0 good, 1 tampered or bad usage, 2 I/O. */
int	 policyctl_audit(int argc, char **argv);

#endif
