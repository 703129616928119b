# Every regress/<area>/<name>_test.c is an atf-c program and every
# <name>_test.sh an atf-sh program; other .sh files are helpers the tests call.
UNIT_TESTS += $(patsubst %.c,%,$(wildcard regress/*/*_test.c))
SH_TESTS += $(patsubst %.sh,%,$(wildcard regress/*/*_test.sh))
SH_HELPERS += $(patsubst %.sh,%,$(filter-out %_test.sh regress/deps.sh \
	regress/kyua-run.sh,$(wildcard regress/*.sh regress/*/*.sh)))
# grammar_test reads the command corpus it shares with grammar_dovecot.py.
$(OBJ)/regress/imap/grammar_test.o: ALL_CFLAGS += \
	-DGRAMMAR_CORPUS=\"$(abspath regress/imap/grammar_corpus.txt)\"
