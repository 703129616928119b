#! /usr/bin/env atf-sh
# Long command lines with a policy store (issue 15, case 4): below
# `limit line' a healthy postern-policyd gives every command a verdict,
# however long its arguments, on a cold worker whose cache knows
# nothing yet.  The same commands, sent to Dovecot directly and through
# posternd, get the same answers, byte for byte (longline.py leaves
# out the capability lists, which postern filters, and Dovecot's
# timings).  Over `limit line', postern's own answer: "* BYE Line too
# long".

. @OBJDIR@/regress/worker/enforce_lib
LONG=@TOPDIR@/regress/worker/longline.py

# Rules that accept everything the test sends, after trying rules on the
# long arguments that do not hold, one of them on an argument's end.
# Rules name no UID command (a key is one word): "*" holds those.
rules()
{
	cat > rules <<'EOF2'
imap request ID      reject "bad agent" if arg 1 ~ "*\"x-agent\" \"Bad*"
imap request *       reject "no such set" if arg 1 ~ "*,9999"
imap request *       reject "no" if arg 2 ~ "*:0" or arg 255 ~ "DELETED*"
imap request *       accept
imap response * all * accept
imap capability *    accept
imap list hide "Private*"
EOF2
}

atf_test_case same_answers cleanup
same_answers_head()
{
	atf_set descr "a 20 KB UID FETCH, a 30 KB ID and a 60 KB UID SEARCH" \
	    "get Dovecot's own answers through an enforcing posternd on" \
	    "a cold worker, and the audit records stay short"
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 120
}
same_answers_body()
{
	rules
	setup
	LOGIN_TAG=DIRECT $PYTHON "$LONG" $IMAP_PORT > direct 2> sizes ||
	    atf_fail "direct to Dovecot failed"
	$PYTHON "$LONG" $PORT > proxied 2>/dev/null ||
	    atf_fail "through posternd failed"
	cat sizes
	# What was sent: over the old 16 KiB, and near `limit line'.
	atf_check -o match:'^c: 2[0-9]{4} bytes' -o match:'^d: 3[0-9]{4} bytes' \
	    -o match:'^e: 6[01][0-9]{3} bytes' cat sizes
	atf_check -o match:'^c OK Fetch completed' -o match:'^d OK ID' \
	    -o match:'^e OK Search completed' cat direct
	if ! cmp direct proxied; then
		diff direct proxied | cut -c1-200
		atf_fail "postern answered otherwise than Dovecot"
	fi
	atf_check -s exit:1 grep -E 'no verdict|UNAVAILABLE' log proxied
	# Every command got its verdict from policyd: nothing was cached
	# before, and a verdict on arguments is not kept.
	for c in "UID FETCH" ID "UID SEARCH"; do
		atf_check -o match:'"action":"accept".*"cached":false' \
		    grep -h "\"table\":\"request\",\"key\":\"$c\"" \
		    audit/worker-*.log
	done
	# The audit records keep their cap: no 60 KB lines.
	atf_check -s exit:1 awk 'length($0) > 4096 { print FILENAME ": " length($0); found = 1 } END { exit !found }' audit/worker-*.log
	atf_check -o match:'good' "$POLICYCTL" audit verify "$PWD"/audit/worker-*.log
	# The list rule holds in the same sessions' setup.
	atf_check -o not-match:'Private' $PYTHON @TOPDIR@/regress/worker/converse.py \
	    $PORT 'a LOGIN testuser testpass' 'b LIST "" "*"'
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
same_answers_cleanup()
{
	common_cleanup
}

atf_test_case rule_on_long cleanup
rule_on_long_head()
{
	atf_set descr "a rule that looks at the end of a 60 KB argument" \
	    "decides as it would on a short one"
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 120
}
rule_on_long_body()
{
	rules
	# the set longline.py sends ends in 8499
	sed -i 's/"\*,9999"/"*,8499"/' rules
	setup
	$PYTHON "$LONG" $PORT > proxied 2>/dev/null
	atf_check -o match:'^c NO no such set$' -o match:'^d OK ID' \
	    -o match:'^e OK Search completed' cat proxied
	atf_check -s exit:1 grep -E 'no verdict' log
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
rule_on_long_cleanup()
{
	common_cleanup
}

atf_test_case over_limit cleanup
over_limit_head()
{
	atf_set descr "a command over limit line gets postern's answer," \
	    "* BYE Line too long, whatever the policy; one just under it" \
	    "gets its verdict"
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 120
}
over_limit_body()
{
	rules
	setup "limit line 20000"
	atf_check -o match:'^b OK ID completed' $PYTHON "$LONG" $PORT over 19990
	atf_check -o match:'^\* BYE Line too long$' -o match:'^EOF$' \
	    $PYTHON "$LONG" $PORT over 20100
	atf_check -s exit:1 grep -E 'no verdict' log
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
over_limit_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case same_answers
	atf_add_test_case rule_on_long
	atf_add_test_case over_limit
}
