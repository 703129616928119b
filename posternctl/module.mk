# posternctl/: the administrator's view of a running posternd: status,
# sessions, kick, reload and metrics, over the control socket
# (master/control.h).  It finds the socket in postern.conf with the
# reader posternd uses (shared/conf.h).
PROGS		+= posternctl
posternctl_SRCS	= posternctl/posternctl.c
MAN8		+= posternctl/posternctl.8
