# rules/: the rule language of postern.rules(5) (lexer, compiler, blob
# format, matcher) and the LMDB policy store.  A library, linked by
# postern-policyd and policyctl (and the tests, fuzzers and benchmarks)
# and never by the worker.
ARCHIVES	+= rules
rules_SRCS	:= rules/rules_lex.c rules/rules_compile.c rules/rules_blob.c \
		   rules/rules_match.c rules/store.c rules/store_gen.c \
		   rules/store_import.c rules/store_inspect.c \
		   rules/store_read.c rules/store_route.c
MAN5		+= rules/postern.rules.5
# The matcher at 100,000 rules, run by `make bench`.
BENCH_RUN	+= rules_bench
