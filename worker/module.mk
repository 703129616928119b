# worker/: the IMAP engine and the relay live in libpostern.a so that the
# unit tests, the fuzzers and the benchmarks link the very code the worker
# runs; worker.c, with main(), is the program's only own source.
LIB_SRCS += worker/imap_limits.c worker/imap_lex.c worker/imap_parse.c \
	worker/imap_caps.c worker/imap_cmd.c worker/imap_grammar.c \
	worker/imap_reply.c \
	worker/imap_session.c worker/relay.c worker/imap_relay.c \
	worker/sandbox_worker.c
ALL_CFLAGS += -Iworker
PROGS += postern-worker
postern-worker_SRCS = worker/worker.c
# The worker's client of postern-policyd (policy_client.h).
LIB_SRCS += worker/policy_client.c
# The audit log writer (audit.h).
LIB_SRCS += worker/audit.c
# TLS on both sides, the private keys in postern-keyd (tls.h,
# tls_keyproxy.h, tls_upstream.h).
LIB_SRCS += worker/tls.c worker/tls_keyproxy.c worker/tls_upstream.c
# The POP3 engine: framing, session, policy hook, APOP, relay engine.
LIB_SRCS += worker/pop3_parse.c worker/pop3_session.c worker/pop3_policy.c \
	worker/apop.c worker/pop3_relay.c
# MD5 for APOP (libmd, from libbsd's dependencies).
LIBS += -lmd
# Policy enforcement: verdicts and their cache (verdict.h, any protocol),
# and what they mean for IMAP (imap_policy.h, LIST results, arguments).
LIB_SRCS += worker/verdict.c worker/imap_policy.c worker/imap_args.c \
	worker/imap_list.c worker/imap_mutf7.c worker/imap_mailbox.c worker/imap_hide.c
# verdict_test starts the real postern-policyd, by absolute path.
$(OBJ)/regress/worker/verdict_test.o: ALL_CFLAGS += \
	-DPOLICYD_PATH=\"$(abspath $(OBJ))/bin/postern-policyd\"
$(OBJ)/regress/worker/verdict_test: | $(OBJ)/bin/postern-policyd
# POP3 policy enforcement: the pop3 rules' verdicts, the audit records.
LIB_SRCS += worker/pop3_enforce.c
