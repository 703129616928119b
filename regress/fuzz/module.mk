# regress/fuzz: libFuzzer harnesses of the IMAP engine, built with clang
# into their own tree (the flags differ from the main build) and run for a
# bounded time each by `make fuzz`.  Nothing here is added to the main
# build's variables.
#
#   make fuzz                       every harness, FUZZ_TIME seconds each
#   make fuzz FUZZ_TIME=600         longer
#   make fuzz-fuzz_imap_client      one harness
#   obj-fuzz/regress/fuzz/fuzz_imap_server CRASHFILE   replay a reproducer
#
# A harness is regress/fuzz/<name>.c plus FUZZ_COMMON_SRCS, linked with the
# engine (objects first, then the archive, whatever rule added them); its seeds are FUZZ_CORPUS_<name>.  The work corpus grows in
# $(FUZZ_OBJ)/corpus/<name> across runs; crashes land in
# $(FUZZ_OBJ)/artifacts/.  libFuzzer exits non-zero on a crash, a leak, a
# timeout or the RSS limit, and so does `make fuzz`.

FUZZ_OBJ	?= obj-fuzz
FUZZ_CC		?= clang-14
FUZZ_TIME	?= 60
FUZZ_MAX_LEN	?= 8192
FUZZ_RSS_MB	?= 2048
FUZZ_TIMEOUT	?= 10
FUZZ_FLAGS	?=

FUZZ_TARGETS	:= fuzz_imap_client fuzz_imap_server fuzz_imap_session
FUZZ_COMMON_SRCS := regress/fuzz/fuzz_imap.c
FUZZ_CORPUS_fuzz_imap_client := regress/fuzz/corpus/client
FUZZ_CORPUS_fuzz_imap_server := regress/fuzz/corpus/server
FUZZ_CORPUS_fuzz_imap_session := regress/fuzz/corpus/session
FUZZ_DICT	:= regress/fuzz/imap.dict
# The rule compiler's harness: the rules/rules_* files of librules.a
# are linked into it beside the engine.
FUZZ_TARGETS	+= fuzz_rules
FUZZ_CORPUS_fuzz_rules := regress/fuzz/corpus/rules
# The session harness's checks live in session_model.c, shared with the
# corpus replay of `make check` (regress/worker/imap_session_replay_test.c).
$(FUZZ_OBJ)/regress/fuzz/fuzz_imap_session: \
    $(FUZZ_OBJ)/regress/fuzz/session_model.o
$(FUZZ_OBJ)/regress/fuzz/fuzz_rules: $(patsubst %.c,$(FUZZ_OBJ)/%.o,\
    $(filter rules/rules_%.c,$(rules_SRCS)) $(FUZZ_OBJ)/shared/policy_text.o)

# The engine as the worker has it: every worker/imap_* file of the
# library, and shared/ for whatever they call.  An archive, so that a
# harness pulls in only the objects it uses.
FUZZ_ENGINE_SRCS = $(filter worker/imap_%.c,$(worker_SRCS)) $(shared_SRCS)
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=all \
		  -fno-omit-frame-pointer
FUZZ_CFLAGS	= $(WARN) -g -O1 -D_GNU_SOURCE -Ishared -Iworker \
		  -Iregress/fuzz $(FUZZ_SAN)
FUZZ_ENGINE	= $(FUZZ_OBJ)/libengine.a

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
	    -c -o $@ $<

$(FUZZ_ENGINE): $(FUZZ_ENGINE_SRCS:%.c=$(FUZZ_OBJ)/%.o)
	rm -f $@
	$(AR) rcs $@ $^

define fuzz_rule
$(FUZZ_OBJ)/regress/fuzz/$(1): $(FUZZ_OBJ)/regress/fuzz/$(1).o \
    $(FUZZ_COMMON_SRCS:%.c=$(FUZZ_OBJ)/%.o) $(FUZZ_ENGINE)
	$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ \
	    $$(filter %.o,$$^) $$(filter %.a,$$^) $$(LIBS)

.PHONY: fuzz-$(1)
fuzz-$(1): $(FUZZ_OBJ)/regress/fuzz/$(1)
	@mkdir -p $(FUZZ_OBJ)/corpus/$(1) $(FUZZ_OBJ)/artifacts
	cp $(FUZZ_CORPUS_$(1))/* $(FUZZ_OBJ)/corpus/$(1)/
	$(FUZZ_OBJ)/regress/fuzz/$(1) -max_total_time=$(FUZZ_TIME) \
	    -max_len=$(FUZZ_MAX_LEN) -rss_limit_mb=$(FUZZ_RSS_MB) \
	    -timeout=$(FUZZ_TIMEOUT) -dict=$(FUZZ_DICT) \
	    -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_OBJ)/artifacts/$(1)- $(FUZZ_FLAGS) \
	    $(FUZZ_OBJ)/corpus/$(1)
endef
$(foreach f,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(f))))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_OBJ)/regress/fuzz/%)
fuzz: $(FUZZ_TARGETS:%=fuzz-%)

-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
# The POP3 session layer's harness: the worker/pop3_* and apop files of
# the library beside the engine, and after them the shared objects they
# log with (the archive comes first on the command line).
FUZZ_CORPUS_fuzz_pop3_session := regress/fuzz/corpus/pop3
$(FUZZ_OBJ)/regress/fuzz/fuzz_pop3_session: $(patsubst %.c,$(FUZZ_OBJ)/%.o,\
    $(filter worker/pop3_parse.c worker/pop3_session.c \
    worker/pop3_hooks.c worker/apop.c worker/stats.c,$(worker_SRCS))) \
    $(FUZZ_OBJ)/shared/log.o $(FUZZ_OBJ)/shared/msg.o $(FUZZ_OBJ)/shared/buf.o
$(eval $(call fuzz_rule,fuzz_pop3_session))
fuzz-build: $(FUZZ_OBJ)/regress/fuzz/fuzz_pop3_session
fuzz: fuzz-fuzz_pop3_session
# JA4 of a ClientHello (worker/ja4.c), which the worker computes from
# bytes OpenSSL has not checked yet.
FUZZ_CORPUS_fuzz_ja4 := regress/fuzz/corpus/ja4
$(FUZZ_OBJ)/regress/fuzz/fuzz_ja4: $(FUZZ_OBJ)/worker/ja4.o
$(eval $(call fuzz_rule,fuzz_ja4))
fuzz-build: $(FUZZ_OBJ)/regress/fuzz/fuzz_ja4
fuzz: fuzz-fuzz_ja4
# The worker's headers include the rule language's (rules.h, via verdict.h).
FUZZ_CFLAGS += -Irules
# The corpus replay of `make check` builds session_model.c in (it includes
# it) and reads the corpus from the source tree.
$(OBJ)/regress/worker/imap_session_replay_test.o: ALL_CFLAGS += -Iregress/fuzz \
	-DSESSION_CORPUS=\"$(abspath regress/fuzz/corpus/session)\"
# The COMPRESS=DEFLATE layer's harness (fuzz_inflate.c): worker/relay_deflate.c
# and the buffer it writes into; zlib comes with LIBS.
FUZZ_CORPUS_fuzz_inflate := regress/fuzz/corpus/inflate
$(FUZZ_OBJ)/regress/fuzz/fuzz_inflate: $(FUZZ_OBJ)/worker/relay_deflate.o \
    $(FUZZ_OBJ)/shared/buf.o
$(eval $(call fuzz_rule,fuzz_inflate))
fuzz-build: $(FUZZ_OBJ)/regress/fuzz/fuzz_inflate
fuzz: fuzz-fuzz_inflate
# The master's PROXY header parser (master/proxy_header.c), alone: it
# is the one parser the root master runs on bytes from the network.
FUZZ_CORPUS_fuzz_proxy_header := regress/fuzz/corpus/proxy
$(FUZZ_OBJ)/regress/fuzz/fuzz_proxy_header.o: FUZZ_CFLAGS += -Imaster
$(FUZZ_OBJ)/master/proxy_header.o: FUZZ_CFLAGS += -Imaster
$(FUZZ_OBJ)/regress/fuzz/fuzz_proxy_header: \
    $(FUZZ_OBJ)/master/proxy_header.o
$(eval $(call fuzz_rule,fuzz_proxy_header))
fuzz-build: $(FUZZ_OBJ)/regress/fuzz/fuzz_proxy_header
fuzz: fuzz-fuzz_proxy_header
