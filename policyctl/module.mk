# policyctl/: the administrator's command: check, load, show, history,
# diff, rollback, test (a dry run), audit verify, and keygen, export and
# import of signed rule bundles.  It reads the store's
# place from postern.conf with the reader posternd uses (shared/conf.h).
PROGS		+= policyctl
policyctl_SRCS	= policyctl/policyctl.c policyctl/policyctl_compile.c \
		  policyctl/linediff.c policyctl/policyctl_conf.c \
		  policyctl/dryrun.c policyctl/policyctl_audit.c \
		  policyctl/bundle.c policyctl/bundle_cmd.c \
		  policyctl/route_table.c
policyctl_ARCHIVES = rules
policyctl_SEES	= rules
MAN8		+= policyctl/policyctl.8
