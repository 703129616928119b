# policyd/: postern-policyd, which answers the workers' verdict queries
# (proto_policy.h) from the current generation of the store (rules/).
PROGS		+= postern-policyd
postern-policyd_SRCS = policyd/policyd.c policyd/answer.c policyd/answerers.c \
	policyd/counters.c policyd/guard.c \
	policyd/fleet.c
postern-policyd_LIBS = -lhiredis -pthread
MAN8		+= policyd/postern-policyd.8
postern-policyd_ARCHIVES = rules
policyd_SEES	= rules
# policyd_test starts the program it tests, by absolute path.
$(OBJ)/regress/policyd/policyd_test.o: ALL_CFLAGS += \
	-DPOLICYD_PATH=\"$(abspath $(OBJ))/bin/postern-policyd\"
$(OBJ)/regress/policyd/policyd_test: | $(OBJ)/bin/postern-policyd
# A verdict's round trip through postern-policyd, run by `make bench`.
BENCH_RUN	+= policyd_bench
$(OBJ)/regress/bench/policyd_bench.o: ALL_CFLAGS += \
	-DPOLICYD_PATH=\"$(abspath $(OBJ))/bin/postern-policyd\"
$(OBJ)/regress/bench/policyd_bench: | $(OBJ)/bin/postern-policyd
# counters_test drives the counter table itself, which no archive holds.
$(OBJ)/regress/policyd/counters_test: $(OBJ)/policyd/counters.o
