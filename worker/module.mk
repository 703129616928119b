# worker/: the IMAP engine lives in libpostern.a so that the unit tests,
# the fuzzers and the benchmarks link the very code the worker runs.
LIB_SRCS += worker/imap_limits.c worker/imap_lex.c worker/imap_parse.c
ALL_CFLAGS += -Iworker
