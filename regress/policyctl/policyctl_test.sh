#! /usr/bin/env atf-sh
# policyctl(8) on a store in the test's own directory: every subcommand,
# what it prints, and its exit codes (0 done, 1 invalid input, 2 store).

P=@OBJDIR@/bin/policyctl

rules()
{
	printf 'imap request LOGIN reject "Use TLS" unless tls\n' >a.rules
	printf 'imap request * accept\n' >>a.rules
	printf 'imap request LOGIN reject "Use TLS" unless tls\n' >b.rules
	printf 'imap request DELETE drop\n' >>b.rules
	printf 'imap request * accept\n' >>b.rules
}

atf_test_case check
check_body()
{
	rules
	atf_check -o inline:'a.rules: ok\n' "$P" check a.rules
	atf_check -s exit:1 -e match:'missing.rules: No such file' \
	    "$P" check missing.rules
	printf 'imap request * accept\nimap request * frobnicate\n' >bad.rules
	atf_check -s exit:1 -e match:'^bad.rules:2:[0-9]+: .*frobnicate' \
	    "$P" check bad.rules
	# a rule file that does not compile never reaches the store
	atf_check -s exit:1 -e match:'^bad.rules:2:' "$P" -s st load bad.rules
	atf_check -s exit:1 test -e st
	atf_check -s exit:1 -e match:'not a regular file' "$P" check .
	# check never touches a store
	atf_check -o ignore "$P" -s nostore check a.rules
	atf_check -s exit:1 test -e nostore
}

atf_test_case load_show_history
load_show_history_body()
{
	rules
	atf_check -o match:'^generation 1 .* load sha256 [0-9a-f]{64}$' \
	    "$P" -s st load a.rules
	# -s after the subcommand too
	atf_check -o match:'^generation 2 ' "$P" load -s st b.rules
	sha=$(sha256sum b.rules | cut -d' ' -f1)
	atf_check -o match:"^# generation 2 .* sha256 $sha\$" "$P" -s st show
	"$P" -s st show | tail -n +2 >shown
	atf_check cmp shown b.rules
	"$P" -s st show 1 | tail -n +2 >shown
	atf_check cmp shown a.rules
	atf_check -s exit:1 -e match:'generation 7: no such generation' \
	    "$P" -s st show 7
	atf_check -s exit:1 -e match:'not a generation number' \
	    "$P" -s st show 1x
	atf_check -o save:hist "$P" -s st history
	atf_check -o match:'^  generation 1 .* load ' cat hist
	atf_check -o match:'^\* generation 2 .* load ' cat hist
	atf_check -o inline:'2\n' sh -c 'wc -l <hist'
}

atf_test_case diff
diff_body()
{
	rules
	atf_check -o ignore "$P" -s st load a.rules
	atf_check -o ignore "$P" -s st load b.rules
	cat >expout <<'EOF'
@@ -1,2 +1,3 @@
 imap request LOGIN reject "Use TLS" unless tls
+imap request DELETE drop
 imap request * accept
EOF
	"$P" -s st diff >out
	atf_check -o match:'^--- generation 1	' head -1 out
	atf_check -o match:'^\+\+\+ generation 2	' sed -n 2p out
	tail -n +3 out >hunks
	atf_check -o file:expout cat hunks
	"$P" -s st diff 2 1 | tail -n +3 >hunks
	atf_check -o match:'^-imap request DELETE drop$' cat hunks
	atf_check -o match:'^@@ -1,3 \+1,2 @@$' cat hunks
	atf_check -o match:'^generations 1 and 1 have the same source$' \
	    "$P" -s st diff 1 1
	atf_check -s exit:1 -e match:'generation 5: no such generation' \
	    "$P" -s st diff 5
}

atf_test_case rollback
rollback_body()
{
	rules
	atf_check -s exit:1 -e match:'nothing loaded yet' \
	    "$P" -s st rollback
	atf_check -o ignore "$P" -s st load a.rules
	atf_check -s exit:1 -e match:'no older generation' \
	    "$P" -s st rollback
	atf_check -o ignore "$P" -s st load b.rules
	atf_check -o match:'^generation 3 .* rollback to 1 ' \
	    "$P" -s st rollback
	"$P" -s st show | tail -n +2 >shown
	atf_check cmp shown a.rules
	atf_check -o match:'^generation 4 .* rollback to 2 ' \
	    "$P" -s st rollback 2
	atf_check -s exit:1 -e match:'generation 9: no such' \
	    "$P" -s st rollback 9
	atf_check -o save:hist "$P" -s st history
	atf_check -o match:'^  generation 3 .* rollback to 1 sha256' cat hist
	atf_check -o match:'^\* generation 4 .* rollback to 2 sha256' cat hist
	# retention: -k keeps the newest KEEP generations
	atf_check -o match:'^generation 5 ' "$P" -s st load -k 2 a.rules
	atf_check -o inline:'2\n' sh -c "'$P' -s st history | wc -l"
	atf_check -s exit:1 -e match:'generation 3: no such' \
	    "$P" -s st show 3
	atf_check -s exit:1 -e match:'-k 0: ' "$P" -s st load -k 0 a.rules
}

atf_test_case dryrun
dryrun_body()
{
	rules
	atf_check -o ignore "$P" -s st load a.rules
	atf_check -o ignore "$P" -s st load b.rules
	atf_check -o inline:'generation 2: reject "Use TLS" by b.rules:1:1, cacheable\n' \
	    "$P" -s st test request LOGIN bob secret
	atf_check -o match:'^generation 2: accept by b.rules:3:1' \
	    "$P" -s st test -T request LOGIN bob secret
	atf_check -o match:'^generation 2: drop by b.rules:2:1' \
	    "$P" -s st test request DELETE INBOX
	atf_check -o match:'^generation 1: accept by a.rules:2:1' \
	    "$P" -s st test -g 1 request DELETE INBOX
	atf_check -o match:'^generation 2: drop by default' \
	    "$P" -s st test capability IDLE
	printf '%s\n' \
	    'imap request SELECT reject "No access" if arg 1 ~ "Private/*"' \
	    'imap request SELECT rewrite "EXAMINE $1" if user "guest*"' \
	    'imap request * accept' >r.rules
	atf_check -o match:'^file r.rules: reject "No access" by r.rules:1:1, depends on arguments$' \
	    "$P" test -f r.rules request SELECT Private/x
	atf_check -o match:'^rewritten "EXAMINE INBOX"$' \
	    "$P" test -f r.rules -u guest7 request SELECT INBOX
	# {n} is a literal, which no glob matches; any string matches "*"
	printf '%s\n' 'imap request EXAMINE reject "any" if arg 1 ~ "*"' \
	    'imap request * accept' >l.rules
	atf_check -o match:'^file l.rules: accept by l.rules:2:1' \
	    "$P" test -f l.rules request EXAMINE '{9}'
	atf_check -o match:'^file l.rules: reject "any" by l.rules:1:1' \
	    "$P" test -f l.rules request EXAMINE '{9'
	atf_check -s exit:1 -e match:'generation 9: no such generation' \
	    "$P" -s st test -g 9 request NOOP
	atf_check -s exit:1 -e match:'bogus: not an IPv4' \
	    "$P" -s st test -a bogus request NOOP
	atf_check -s exit:1 -e match:'expected request' "$P" -s st test frob
	# A whole command line as one word is refused, not matched as "*".
	atf_check -s exit:1 -e match:'without the tag: request SELECT INBOX' \
	    "$P" -s st test request 'a1 SELECT INBOX'
	# Zorp's example 4.16: USER and PASS become an APOP login.
	printf '%s\n' 'pop3 request USER apop unless tls' \
	    'pop3 request PASS apop unless tls' 'pop3 request * accept' >p.rules
	atf_check -o inline:'file p.rules: apop by p.rules:2:1, cacheable
postern answers USER and PASS; the server sees "APOP user digest"\n' \
	    "$P" test -f p.rules -p pop3 request PASS secret
	atf_check -o match:'^file p.rules: accept by p.rules:3:1' \
	    "$P" test -f p.rules -p pop3 -T request USER bob
	# The connect table: the mode, a refusal, no connect rule at all.
	printf '%s\n' 'imap connect tls starttls if client 10.0.0.0/8' \
	    'imap request * accept' >c.rules
	atf_check -o match:'^file c.rules: tls starttls by c.rules:1:1' \
	    "$P" test -f c.rules -a 10.1.2.3 connect
	atf_check -o match:'^file c.rules: reject by default' \
	    "$P" test -f c.rules -a 192.0.2.1 connect
	atf_check -o match:"^file c.rules: accept \\(no connect rule: the listener's mode\\)" \
	    "$P" test -f c.rules -p pop3 connect
	echo 'pop3 request QUIT apop' >bad.rules
	atf_check -s exit:1 -e match:'apop is an action of the USER and PASS' \
	    "$P" test -f bad.rules -p pop3 request QUIT
	echo 'imap request * frob' >bad.rules
	atf_check -s exit:1 -e match:'^bad.rules:1:' \
	    "$P" test -f bad.rules request X
	atf_check -s exit:2 -e match:'store nowhere: No such file' \
	    "$P" -s nowhere test request NOOP
}

atf_test_case dryrun_identity
dryrun_identity_head()
{
	atf_set descr "policyctl test with the client's ID fields (-i) and JA4 (-j)"
}
dryrun_identity_body()
{
	printf '%s\n' \
	    'imap capability IDLE drop if id name "Thunderbird*"' \
	    'imap capability * accept' \
	    'imap request LOGIN reject "Update your app" if id version "1.*"' \
	    'imap request * reject "No scanners" if ja4 "t12i*"' \
	    'imap request * accept' >i.rules
	atf_check -o match:'^file i.rules: drop by i.rules:1:1, cacheable$' \
	    "$P" test -f i.rules -i name=Thunderbird -i version=115.3 \
	    capability IDLE
	atf_check -o match:'^file i.rules: accept by i.rules:2:1' \
	    "$P" test -f i.rules -i name=K-9 capability IDLE
	atf_check -o match:'^file i.rules: accept by i.rules:2:1' \
	    "$P" test -f i.rules capability IDLE
	# Names are compared without regard to case.
	atf_check -o match:'^file i.rules: reject "Update your app" by i.rules:3:1' \
	    "$P" test -f i.rules -i NAME=x -i Version=1.0 request LOGIN a b
	atf_check -o match:'^file i.rules: reject "No scanners" by i.rules:4:1' \
	    "$P" test -f i.rules -j t12i030700_0f2cb44170f4_5c4c70b73fa0 \
	    request NOOP
	atf_check -o match:'^file i.rules: accept by i.rules:5:1' \
	    "$P" test -f i.rules -j t13d1516h2_8daaf6152771_e5627efa2ab1 \
	    request NOOP
	atf_check -s exit:1 -e match:'not NAME=VALUE' \
	    "$P" test -f i.rules -i name request NOOP
	atf_check -s exit:1 -e match:'not NAME=VALUE' \
	    "$P" test -f i.rules -i =x request NOOP
	atf_check -s exit:1 -e match:'longer than a JA4' \
	    "$P" test -f i.rules -j t13d1516h2_8daaf6152771_e5627efa2ab1x \
	    request NOOP
	args=
	for i in $(seq 1 31); do args="$args -i f$i=v"; done
	atf_check -s exit:1 -e match:'more than 30 ID fields' \
	    "$P" test -f i.rules $args request NOOP
}

atf_test_case store_errors
store_errors_body()
{
	rules
	touch plain
	atf_check -s exit:2 -e match:'store plain: not a directory' \
	    "$P" -s plain load a.rules
	atf_check -s exit:2 -e match:'store plain: not a directory' \
	    "$P" -s plain history
	atf_check -s exit:2 -e match:'store /dev/null/st: Not a directory' \
	    "$P" -s /dev/null/st load a.rules
	# even root cannot make a directory in /proc
	atf_check -s exit:2 -e match:'store /proc/postern-st: mkdir' \
	    "$P" -s /proc/postern-st load a.rules
	atf_check -s exit:2 -e match:'store missing: No such file' \
	    "$P" -s missing show
	mkdir empty
	atf_check -s exit:2 -e match:'store empty: open' \
	    "$P" -s empty history
	# invalid input wins over a broken store: nothing is opened
	atf_check -s exit:1 -e ignore "$P" -s plain load missing.rules
}

atf_test_case usage
usage_body()
{
	atf_check -s exit:1 -e match:'^usage: ' "$P"
	atf_check -s exit:1 -e match:'frob: unknown command' "$P" frob
	atf_check -s exit:1 -e match:'^usage: .* check FILE' "$P" check
	atf_check -s exit:1 -e match:'^usage: ' "$P" show 1 2
	atf_check -s exit:1 -e match:'^usage: ' "$P" -x history
}

atf_test_case conf
conf_body()
{
	rules
	printf 'user nobody\npolicy store %s/st\n%s\n' "$PWD" \
	    'listen on 127.0.0.1 port 10143 imap upstream 127.0.0.1 port 143' \
	    >p.conf
	atf_check -o match:'^generation 1 ' "$P" -c p.conf load a.rules
	atf_check -o match:'^\* generation 1 ' "$P" -s st history
	atf_check -o match:'^generation 1: accept' \
	    "$P" -c p.conf test request NOOP
	# -s wins over the configuration file
	atf_check -o match:'^generation 1 ' "$P" -c p.conf -s other load b.rules
	atf_check -o match:'^\* generation 1 ' "$P" -c p.conf history
	grep -v '^policy' p.conf >q.conf
	atf_check -s exit:1 -e match:"q.conf: no 'policy store' line" \
	    "$P" -c q.conf history
	atf_check -s exit:1 -e match:'nope.conf' "$P" -c nope.conf history
}

atf_init_test_cases()
{
	atf_add_test_case conf
	atf_add_test_case check
	atf_add_test_case load_show_history
	atf_add_test_case diff
	atf_add_test_case rollback
	atf_add_test_case dryrun
	atf_add_test_case dryrun_identity
	atf_add_test_case store_errors
	atf_add_test_case usage
}
