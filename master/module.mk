# posternd: the root master.
PROGS		+= posternd
posternd_SRCS	 = master/posternd.c master/pool.c master/pool_worker.c \
		   master/pool_session.c master/pool_template.c \
		   master/pool_view.c master/listen.c
# The table of children (children.h): workers and helper daemons alike.
posternd_SRCS	+= master/children.c
# A peer's address as the logs show it (addr_text.h).
posternd_SRCS	+= master/addr_text.c
MAN5		+= master/postern.conf.5
MAN8		+= master/posternd.8

# The worker, postern-policyd and postern-keyd are found beside posternd
# (posternd.c, worker_init()), so nothing here names an install directory.

# postern-policyd as posternd's child (policyd_child.h).
posternd_SRCS	+= master/policyd_child.c
posternd_SRCS	+= master/audit_files.c
# TLS: postern-keyd, the key holder (proto_keyd.h), as posternd's child,
# and what a TLS listener's workers are sent (listener_tls.h).
posternd_SRCS	+= master/keyd_child.c master/listener_tls.c
# A helper daemon as posternd's child: start, ready, restart, log relay,
# a channel per worker (daemon.h), for policyd_child.c and keyd_child.c.
posternd_SRCS	+= master/daemon.c
# The limits a configuration implies, checked and raised at start (rlimits.h).
posternd_SRCS	+= master/rlimits.c
# Clients waiting for a worker, and refused in words when they cannot
# have one (waitq.h); sessions per client address (client_limit.h).
posternd_SRCS	+= master/waitq.c master/client_limit.c
# posternctl's control socket and the metrics listener (control.h), what
# status and sessions show (status.h), the metrics (metrics.h).
posternd_SRCS	+= master/control.c master/status.c master/metrics.c
# Clients whose PROXY header is awaited (proxy_in.h), and its parser
# (proxy_header.h), which the fuzzer and the unit test build alone.
posternd_SRCS	+= master/proxy_in.c master/proxy_header.c
# Upstreams: their servers' health checks and the choice of a server for
# each session (upstream.h).
posternd_SRCS	+= master/upstream.c
# The PROXY header parser's unit test links it alone.
$(OBJ)/regress/master/proxy_header_test: $(OBJ)/master/proxy_header.o
