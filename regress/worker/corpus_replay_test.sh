#! /usr/bin/env atf-sh
# The fuzzers' corpora through a real Dovecot: every client stream of
# regress/fuzz/corpus/session and .../client is replayed through posternd
# (an accepting policy that hides "Secret*"), as it is and with its line
# ends made CRLF, and the differential oracle then checks that every
# command Dovecot received is one postern accepted, framed alike.  The
# fuzzers assert the same stream agreement against a model server; this
# holds them to the real one.  Bounded: each replay ends when postern
# closes, within replay.py's timeout.

. @OBJDIR@/regress/worker/enforce_lib
REPLAY=@TOPDIR@/regress/worker/replay.py
CORPUS=@TOPDIR@/regress/fuzz/corpus

atf_test_case corpora cleanup
corpora_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set descr "the session and client fuzz corpora replayed through" \
	    "posternd to Dovecot agree with the oracle"
	atf_set timeout 300
}
corpora_body()
{
	cat > rules <<'EOF2'
imap list hide "Secret*"
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF2
	setup
	$PYTHON "$REPLAY" $PORT "$CORPUS"/session/* "$CORPUS"/client/* \
	    > replays || { grep HUNG replays; atf_fail "a replay hung"; }
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
corpora_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case corpora
}
