# policyd/: the rule language (compiler, blob format, matcher) lives in
# libpostern.a so that tests, fuzzers and policyctl link the same code.
# Several engineers append here; only ever append.
MAN5 += policyd/postern.rules.5
# The LMDB policy store (store.h): generations, rollback, the reader.
LIB_SRCS += policyd/store.c
ALL_CFLAGS += -Ipolicyd
# policyctl(8): check, load, show, history, diff, rollback.
PROGS += policyctl
policyctl_SRCS = policyd/policyctl.c policyd/policyctl_compile.c \
	policyd/linediff.c policyd/policyctl_conf.c master/parse.c
MAN8 += policyd/policyctl.8
LIB_SRCS += policyd/rules_lex.c policyd/rules_compile.c policyd/rules_blob.c \
	policyd/rules_match.c policyd/rules_expand.c
policyctl_SRCS += policyd/dryrun.c
# The matcher at 100,000 rules, run by `make bench`.
BENCH_RUN += rules_bench
# postern-policyd: answers the workers' verdict queries (proto_policy.h).
PROGS += postern-policyd
postern-policyd_SRCS = policyd/policyd.c
# policyd_test starts the program it tests, by absolute path.
$(OBJ)/regress/policyd/policyd_test.o: ALL_CFLAGS += \
	-DPOLICYD_PATH=\"$(abspath $(OBJ))/bin/postern-policyd\"
$(OBJ)/regress/policyd/policyd_test: | $(OBJ)/bin/postern-policyd
# A verdict's round trip through postern-policyd, run by `make bench`.
BENCH_RUN += policyd_bench
$(OBJ)/regress/bench/policyd_bench.o: ALL_CFLAGS += \
	-DPOLICYD_PATH=\"$(abspath $(OBJ))/bin/postern-policyd\"
$(OBJ)/regress/bench/policyd_bench: | $(OBJ)/bin/postern-policyd
# policyctl reads the store's place from postern.conf with posternd's parser.
$(OBJ)/policyd/policyctl_conf.o: ALL_CFLAGS += -Imaster
policyctl_SRCS += policyd/policyctl_audit.c
