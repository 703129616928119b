#! /usr/bin/env atf-sh
# The command grammar against the real server: every command of
# imap_grammar_corpus.txt that imap_grammar_check() passes must not be answered
# BAD by Dovecot (grammar_test checks the grammar's side of the same list).

FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVER=@TOPDIR@/regress/worker/imap_grammar_dovecot.py
CORPUS=@TOPDIR@/regress/worker/imap_grammar_corpus.txt
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

atf_test_case agreement cleanup
agreement_head()
{
	atf_set descr "No command the grammar passes is answered BAD by Dovecot"
	atf_set require.user root
	atf_set require.progs "/usr/sbin/dovecot"
	atf_set timeout 300
}
agreement_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	# the list of commands the grammar refuses and Dovecot takes goes
	# to stdout, for the record; laxer ones fail the test
	atf_check -o match:"LAXER than Dovecot .*: 0$" \
	    "$PYTHON" "$DRIVER" "$IMAP_PORT" "$CORPUS" testuser
}
agreement_cleanup()
{
	"$FIXTURE" stop "$PWD/dv"
}

atf_init_test_cases()
{
	atf_add_test_case agreement
}
