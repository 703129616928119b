# worker/: postern-worker, one IMAP or POP3 session at a time.  The
# engines live in libworker.a so that the unit tests, the fuzzers and the
# benchmarks link the very code the worker runs; worker.c, with main(),
# is the program's only own source.
ARCHIVES	+= worker
worker_SRCS	:= $(filter-out worker/worker.c,$(wildcard worker/*.c))
PROGS		+= postern-worker
postern-worker_SRCS = worker/worker.c
postern-worker_ARCHIVES = worker
MAN8		+= worker/postern-worker.8
# MD5 for APOP (libmd, from libbsd's dependencies).
LIBS		+= -lmd
# COMPRESS=DEFLATE on the client leg (relay_deflate.c).
LIBS		+= -lz
# verdict_test starts the real postern-policyd, by absolute path.
$(OBJ)/regress/worker/verdict_test.o: ALL_CFLAGS += \
	-DPOLICYD_PATH=\"$(abspath $(OBJ))/bin/postern-policyd\"
$(OBJ)/regress/worker/verdict_test: | $(OBJ)/bin/postern-policyd
