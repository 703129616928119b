#! /usr/bin/env atf-sh
# The sample etc/postern.rules stays valid, and the man page's own
# example of a diagnostic is what a user gets.

P=@OBJDIR@/bin/policyctl
SAMPLE=@TOPDIR@/etc/postern.rules

atf_test_case sample
sample_head()
{
	atf_set descr "etc/postern.rules compiles"
}
sample_body()
{
	atf_check -o ignore "$P" check "$SAMPLE"
}

atf_test_case sample_broken
sample_broken_head()
{
	atf_set descr "a typo in the sample is reported at its line and column"
}
sample_broken_body()
{
	sed 's/^imap request \* accept$/imap request * acept/' "$SAMPLE" \
	    >broken.rules
	n=$(grep -n '^imap request \* acept$' broken.rules | cut -d: -f1)
	atf_check test -n "$n"
	atf_check -s exit:1 -o ignore \
	    -e match:"broken.rules:$n:16: expected an action \\(accept, reject, drop, abort, rewrite, respond\\), got \"acept\"" \
	    "$P" check broken.rules
}

atf_init_test_cases()
{
	atf_add_test_case sample
	atf_add_test_case sample_broken
}
