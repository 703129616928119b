# posternd: the root master.
PROGS		+= posternd
posternd_SRCS	 = master/posternd.c master/pool.c master/listen.c
# The table of children (children.h): workers and helper daemons alike.
posternd_SRCS	+= master/children.c
MAN5		+= master/postern.conf.5
MAN8		+= master/posternd.8

# Where posternd finds the worker unless postern.conf or -w says otherwise.
$(OBJ)/master/posternd.o: ALL_CFLAGS += \
	-DPOSTERN_WORKER='"$(SBINDIR)/postern-worker"'

# Rebuild posternd when the install directory it names changes.
$(OBJ)/master/posternd.o: $(OBJ)/sbindir.txt
$(OBJ)/sbindir.txt: FORCE
	@mkdir -p $(@D)
	@echo '$(SBINDIR)' | cmp -s - $@ || echo '$(SBINDIR)' > $@
.PHONY: FORCE
FORCE:

# postern-policyd as posternd's child (policyd_child.h).
posternd_SRCS	+= master/policyd_child.c
posternd_SRCS	+= master/audit_files.c
# TLS: postern-keyd, the key holder (proto_keyd.h), as posternd's child,
# and what a TLS listener's workers are sent (listener_tls.h).
posternd_SRCS	+= master/keyd_child.c master/listener_tls.c
# A helper daemon as posternd's child: start, ready, restart, log relay,
# a channel per worker (daemon.h), for policyd_child.c and keyd_child.c.
posternd_SRCS	+= master/daemon.c
