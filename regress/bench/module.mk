# regress/bench: `make bench` builds and runs the micro-benchmarks, with
# the normal flags (-O2 and the hardening of the real build), linked with
# the archives of the engines and the matcher as the tests are.  A
# benchmark is regress/bench/<name>.c; add its name to
# BENCH_RUN and, if it takes arguments, set BENCH_ARGS_<name>.  Names must
# not end in _test, or regress/module.mk would take them for unit tests.
# The figures are printed; goals are reported as met or not, never
# asserted, so `make bench` fails only when a benchmark cannot run.
#
# After the micro-benchmarks, bench.sh (a helper, so the build copies it
# with the paths filled in) runs imapload against Dovecot directly, through
# posternd and through whichever of HAProxy, the nginx mail proxy and
# Perdition `make deps-bench` installed, and writes $(OBJ)/bench-results.md.
# BENCH_FLAGS passes options to it, e.g. BENCH_FLAGS="--rounds 3 --idle 2000".

BENCH_RUN	+= parse_bench
BENCH_ARGS_parse_bench ?=
BENCH_FLAGS	?=

BENCH_PROGS	= $(BENCH_RUN:%=$(OBJ)/regress/bench/%)
IMAPLOAD	= $(OBJ)/regress/bench/imapload

$(BENCH_PROGS): $(OBJ)/regress/bench/%: $(OBJ)/regress/bench/%.o \
    $(TEST_ARCHIVES)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# A client of its own: it needs nothing of postern, and zlib for idle -z.
$(IMAPLOAD): $(OBJ)/regress/bench/imapload.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lz

.PHONY: bench deps-bench
bench: $(BENCH_PROGS) $(IMAPLOAD) all $(OBJ)/regress/bench/bench \
    $(OBJ)/regress/fixture/dovecot
	$(foreach b,$(BENCH_RUN),$(OBJ)/regress/bench/$(b) $(BENCH_ARGS_$(b)) && ) true
	/usr/bin/python3 $(OBJ)/regress/bench/bench $(BENCH_FLAGS)

# The peers postern is compared with, from Debian.  Like regress/deps.sh:
# install when root, otherwise print the command.  Their system services
# are never used; bench.sh runs each with a configuration of its own.
BENCH_PKGS = haproxy nginx libnginx-mod-mail perdition
deps-bench:
	@missing=; for p in $(BENCH_PKGS); do \
		s=$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null); \
		[ "$$s" = installed ] || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "run: sudo apt-get install -y$$missing" >&2; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q --no-install-recommends $$missing
# TLS on both legs against direct Dovecot over TLS, with what a handshake
# costs in round trips to postern-keyd (tlsload.c, tlsbench.sh); run by
# make bench before the plaintext rounds.
TLSLOAD		= $(OBJ)/regress/bench/tlsload
$(TLSLOAD): $(OBJ)/regress/bench/tlsload.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lssl -lcrypto
.PHONY: bench-tls
bench-tls: $(TLSLOAD) all $(OBJ)/regress/bench/tlsbench \
    $(OBJ)/regress/bench/bench $(OBJ)/regress/fixture/dovecot
	/usr/bin/python3 $(OBJ)/regress/bench/tlsbench $(BENCH_TLS_FLAGS)
bench: bench-tls
# programs_test runs the micro-benchmarks once each under make check.
$(OBJ)/regress/bench/programs_test: $(BENCH_PROGS)
