#! /usr/bin/env atf-sh
# The layout holds: each program's folder includes only its own headers
# and shared/'s (policyd/ and policyctl/ also rules/'s), and the jailed
# worker carries no object of the rule compiler, the matcher or the store.
# The build enforces the first with per-folder include paths; this test
# names the offending line when someone widens them.

TOP=@TOPDIR@
OBJ=@OBJDIR@

# sees FOLDER: the folders a source of FOLDER may include from.
sees()
{
	case $1 in
	policyd|policyctl)	echo "$1 shared rules" ;;
	*)			echo "$1 shared" ;;
	esac
}

atf_test_case includes
includes_head()
{
	atf_set descr "no folder includes a header of another program's folder"
}
includes_body()
{
	bad=
	for dir in master worker policyd keyd policyctl posternctl rules \
	    shared; do
		for f in "$TOP/$dir"/*.[ch]; do
			for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
				found=
				for s in $(sees $dir); do
					[ -f "$TOP/$s/$h" ] && found=$s
				done
				[ -n "$found" ] ||
				    bad="$bad ${f#$TOP/}:$h"
			done
		done
	done
	[ -z "$bad" ] || atf_fail "includes across folders:$bad"
	# The test sees something: the worker does include shared/ headers.
	grep -q '^#include "msg.h"' "$TOP/worker/worker.c" ||
	    atf_fail "worker.c includes no shared header: the scan is wrong"
}

atf_test_case worker_objects
worker_objects_head()
{
	atf_set descr "postern-worker links nothing of rules/"
	atf_set require.progs "nm"
}
worker_objects_body()
{
	nm "$OBJ/bin/postern-policyd" | grep -q ' T rules_match$' ||
	    atf_fail "postern-policyd has no rules_match: the check is wrong"
	syms=$(nm "$OBJ/bin/postern-worker" |
	    grep -E ' [TtDdBbRr] (rules_(compile|match|blob_check|untagged|lex)|store_)' |
	    awk '{print $3}' | tr '\n' ' ')
	[ -z "$syms" ] || atf_fail "postern-worker links rules/ code: $syms"
	nm "$OBJ/bin/postern-worker" | grep -q ' T rules_expand$' ||
	    atf_fail "postern-worker lacks rules_expand (shared/policy_text.c)"
}

atf_init_test_cases()
{
	atf_add_test_case includes
	atf_add_test_case worker_objects
}
