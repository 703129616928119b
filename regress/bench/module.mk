# regress/bench: `make bench` builds and runs the micro-benchmarks, with
# the normal flags (-O2 and the hardening of the real build), linked with
# libpostern.a.  A benchmark is regress/bench/<name>.c; add its name to
# BENCH_RUN and, if it takes arguments, set BENCH_ARGS_<name>.  Names must
# not end in _test, or regress/module.mk would take them for unit tests.
# (libpostern.a is named in full: GNUmakefile sets LIB after including us.)
# The figures are printed; goals are reported as met or not, never
# asserted, so `make bench` fails only when a benchmark cannot run.

BENCH_RUN	+= parse_bench
BENCH_ARGS_parse_bench ?=

BENCH_PROGS	= $(BENCH_RUN:%=$(OBJ)/regress/bench/%)

$(BENCH_PROGS): $(OBJ)/regress/bench/%: $(OBJ)/regress/bench/%.o \
    $(OBJ)/libpostern.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

.PHONY: bench
bench: $(BENCH_PROGS)
	$(foreach b,$(BENCH_RUN),$(OBJ)/regress/bench/$(b) $(BENCH_ARGS_$(b)) && ) true
