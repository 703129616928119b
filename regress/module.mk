# Every regress/<area>/<name>_test.c is an atf-c program and every
# <name>_test.sh an atf-sh program; other .sh files are helpers the tests call.
UNIT_TESTS += $(patsubst %.c,%,$(wildcard regress/*/*_test.c))
SH_TESTS += $(patsubst %.sh,%,$(wildcard regress/*/*_test.sh))
SH_HELPERS += $(patsubst %.sh,%,$(filter-out %_test.sh regress/deps.sh \
	regress/kyua-run.sh,$(wildcard regress/*.sh regress/*/*.sh)))
# Tests of the worker build policy stores for a real postern-policyd;
# fuzzers and benchmarks drive the engines and the matcher.
REGRESS_SEES_worker = rules
# policyd_test asks the real daemon through the worker's client.
REGRESS_SEES_policyd = worker
REGRESS_SEES_fuzz = worker rules
REGRESS_SEES_bench = worker rules
# grammar_test reads the command corpus it shares with imap_grammar_dovecot.py.
$(OBJ)/regress/worker/imap_grammar_test.o: ALL_CFLAGS += \
	-DGRAMMAR_CORPUS=\"$(abspath regress/worker/imap_grammar_corpus.txt)\"
# bundle_test checks policyctl's bundle format, which no archive holds.
$(OBJ)/regress/policyctl/bundle_test: $(OBJ)/policyctl/bundle.o
# route_table_test links the route table parser of policyctl it tests.
REGRESS_SEES_policyctl = rules
$(OBJ)/regress/policyctl/route_table_test: $(OBJ)/policyctl/route_table.o
