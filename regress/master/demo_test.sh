#! /usr/bin/env atf-sh
# make demo, as a newcomer runs it: once it says it is ready, every
# command it prints works when pasted, and shows what the demo says it
# shows (the sample rules at work: a hidden folder, a rewritten greeting,
# a dropped capability, LOGIN refused until STARTTLS; policyctl naming
# the rules; the audit logs good); Ctrl-C (SIGINT to its process group)
# stops posternd and the Dovecot and leaves nothing behind.
# DEMO_ONESHOT=1 runs the same commands itself and stops.

OBJDIR=@OBJDIR@
TOPDIR=@TOPDIR@
. @OBJDIR@/regress/master/daemon_lib
RULES=$TOPDIR/etc/postern.rules

# start_demo [VAR=VALUE...]: the demo on free ports, in a process group
# of its own, with SIGINT as a terminal would deliver it (a shell's
# background job would ignore it), output in ./out.
start_demo()
{
	port=$(free_port)
	iport=$(free_port)
	pport=$(free_port)
	env "$@" DEMO_IMAP_PORT=$port DEMO_IMAPS_PORT=$iport \
	    DEMO_POP3_PORT=$pport setsid env --default-signal=INT \
	    sh "$OBJDIR/regress/demo" > out 2>&1 &
	echo $! > demo.pid
}

# The demo's directory, from its banner.
demo_dir()
{
	sed -n 's|.*this run, \(/tmp/postern-demo\.[A-Za-z0-9]*\)/cert\.pem.*|\1|p' out
}

# cmd TEXT: the command printed under the description that has TEXT.
cmd()
{
	c=$(awk -v t="$1" 'found { sub(/^ +/, ""); print; exit }
	    /^ *[0-9]+\. / && index($0, t) { found = 1 }' out)
	[ -n "$c" ] || { cat out; atf_fail "no command under '$1'"; }
	echo "$c"
}

# run NAME TEXT: run the command under TEXT as pasted into sh, output in
# ./NAME; it must succeed.
run()
{
	c=$(cmd "$2")
	echo "\$ $c" >&2
	sh -c "$c" > "$1" 2>&1 < /dev/null ||
	    { cat "$1" >&2; atf_fail "'$c' failed"; }
	cat "$1" >&2
}

# rule_line PATTERN: the line number of the first rule matching PATTERN.
rule_line()
{
	grep -n -- "$1" "$RULES" | head -1 | cut -d: -f1
}

has_line()
{
	grep -Eq -- "$2" "$1" || { cat "$1" >&2; atf_fail "$1: no '$2'"; }
}

hasnt_line()
{
	! grep -Eq -- "$2" "$1" || { cat "$1" >&2; atf_fail "$1: '$2'"; }
}

atf_test_case walk cleanup
walk_head()
{
	atf_set descr "make demo: every command it prints shows what it says;" \
	    "Ctrl-C stops posternd and the Dovecot and removes its directory"
	atf_set require.user root
	atf_set require.progs "curl openssl setsid $PYTHON"
	atf_set timeout 240
}
walk_body()
{
	start_demo
	wait_until 90 grep -q 'Ctrl-C stops posternd' out ||
	    { cat out; atf_fail "the demo did not get ready"; }
	dir=$(demo_dir)
	[ -d "$dir" ] || { cat out; atf_fail "no demo directory in the banner"; }
	echo "$dir" > demo.dir
	. "$dir/dovecot/ports"

	# The LIST through postern, after STARTTLS: Secret and Secret/Sub
	# hidden; from Dovecot itself, there.
	cmd "The mailboxes through postern" | grep -q -- \
	    "--ssl-reqd .*imap://127.0.0.1:$port/\$" ||
	    atf_fail "the LIST through postern is not over STARTTLS on $port"
	run list "The mailboxes through postern"
	has_line list '^\* LIST .* "/" INBOX'
	has_line list '^\* LIST .* "/" Private/Sub'
	hasnt_line list 'Secret'
	cmd "The same from Dovecot itself" |
	    grep -q "imap://127.0.0.1:$IMAP_PORT/\$" ||
	    atf_fail "the direct LIST is not Dovecot's"
	run direct "The same from Dovecot itself"
	has_line direct '^\* LIST .* "/" Secret[[:space:]]*$'
	has_line direct '^\* LIST .* "/" Secret/Sub[[:space:]]*$'

	# LOGIN on the STARTTLS listener before TLS: refused by the rule;
	# after STARTTLS: accepted, ID answered by postern and dropped from
	# the capabilities, Secret nonexistent.
	cmd "LOGIN without TLS" | grep -q "\"127.0.0.1\", $port)" ||
	    atf_fail "LOGIN without TLS is not tried on $port"
	run plain "LOGIN without TLS"
	has_line plain "^\('NO', \[b'\[PRIVACYREQUIRED\] Use TLS first'\]\)$"
	cmd "LOGIN after STARTTLS" |
	    grep -q -- "-starttls imap -connect 127.0.0.1:$port " ||
	    atf_fail "LOGIN after STARTTLS is not on $port"
	run starttls "LOGIN after STARTTLS"
	has_line starttls '^a OK .*Logged in'
	has_line starttls '^\* CAPABILITY IMAP4rev1 '
	grep '^\* CAPABILITY' starttls | grep -qw ID &&
	    atf_fail "ID among the capabilities after login"
	has_line starttls '^\* ID NIL'
	has_line starttls '^b OK ID completed'
	has_line starttls '^c NO \[NONEXISTENT\]'
	has_line starttls '^d OK Logout completed'

	# The greeting: rewritten, without ID, through postern; Dovecot's
	# own has both.
	cmd "The greeting through postern" | grep -q -- "-connect 127.0.0.1:$iport " ||
	    atf_fail "the greeting is not from the IMAPS listener $iport"
	run greeting "The greeting through postern"
	has_line greeting '^\* OK \[CAPABILITY IMAP4rev1 .*\] postern ready'
	head -1 greeting | grep -qw ID && atf_fail "ID in postern's greeting"
	run dvgreeting "The greeting from Dovecot itself"
	has_line dvgreeting '^\* OK \[CAPABILITY .* ID .*\] Dovecot .*ready'

	# POP3 after STLS serves the mail.
	cmd "A message over POP3" | grep -q "pop3://127.0.0.1:$pport/1" ||
	    atf_fail "POP3 not on $pport"
	run pop3 "A message over POP3"
	atf_check cmp pop3 "$TOPDIR/regress/fixture/mail/testuser/INBOX/1-plain.eml"

	# policyctl names the rule (file:line) and the generation.
	run why "Why LOGIN without TLS is refused"
	n=$(rule_line '^imap request LOGIN .*reject')
	has_line why "^generation 1: reject \"\[PRIVACYREQUIRED\] Use TLS first\" by $RULES:$n:1"
	run whytls "why it is accepted over TLS"
	n=$(rule_line '^imap request \* accept')
	has_line whytls "^generation 1: accept by $RULES:$n:1"
	run whylist "Why Secret/Sub is not listed"
	n=$(rule_line '^imap list hide "Secret/\*"')
	has_line whylist "^generation 1: hide by $RULES:$n:1"
	run history "The rule sets loaded"
	has_line history "^\* generation 1 .* load sha256 $(sha256sum < "$RULES" | cut -d' ' -f1)\$"

	# The audit logs: good, and they have what was just done.
	run verify "The audit logs"
	nlogs=$(ls "$dir"/audit/worker-*.log | wc -l)
	[ "$nlogs" -gt 0 ] || atf_fail "no audit logs"
	atf_check -o inline:"$nlogs\n" grep -c ': good, [0-9]* records' verify
	"$OBJDIR/bin/policyctl" audit show -a reject "$dir"/audit/*.log > rejects
	n=$(rule_line '^imap request LOGIN .*reject')
	has_line rejects "\"key\":\"LOGIN\",.*\"rule\":\"$RULES:$n\",\"generation\":1,"

	# posternctl: the listeners and daemons, the generation loaded; the
	# sessions (none open now: every command above has ended its own);
	# the verdicts of the commands above in the metrics.
	run ctl "posternd's listeners"
	for l in imap:starttls imaps:implicit pop3:starttls; do
		has_line ctl "^${l%%:*} +127\\.0\\.0\\.1:[0-9]+ +[a-z0-9]+ +${l#*:} "
	done
	has_line ctl '^policyd +ready, pid [0-9]+'
	has_line ctl '^keyd +ready, pid [0-9]+'
	has_line ctl "^rules +generation 1, sha256 $(sha256sum < "$RULES" | cut -d' ' -f1),"
	run sessions "The sessions open now"
	run metrics "The metrics a Prometheus server scrapes"
	has_line metrics '^postern_verdicts_total\{.*action="reject".*\} [1-9]'

	dvpid=$(cat "$dir/dovecot/run/master.pid")
	pdpid=$(pgrep -f "posternd -d -f $dir/postern.conf")
	[ -n "$pdpid" ] || atf_fail "no posternd of the demo"
	echo "$pdpid" > posternd.pid

	# Ctrl-C: the terminal sends SIGINT to the whole process group.
	kill -INT -- -"$(cat demo.pid)"
	wait_until 60 grep -q '^demo stopped$' out ||
	    { cat out; atf_fail "the demo did not stop"; }
	wait "$(cat demo.pid)"
	has_line out '^posternd: exiting$'
	[ ! -e "$dir" ] || atf_fail "demo left $dir behind"
	# An exited Dovecot master may wait a while for init to reap it.
	for p in $dvpid $pdpid; do
		case "$(ps -o stat= -p "$p")" in
		""|Z*)	;;
		*)	atf_fail "$p ($(ps -o args= -p "$p")) runs after Ctrl-C" ;;
		esac
	done
	return 0
}
walk_cleanup()
{
	demo_cleanup
}

atf_test_case oneshot cleanup
oneshot_head()
{
	atf_set descr "DEMO_ONESHOT=1: the demo runs what it prints, then stops"
	atf_set require.user root
	atf_set require.progs "curl openssl setsid $PYTHON"
	atf_set timeout 180
}
oneshot_body()
{
	start_demo DEMO_ONESHOT=1
	wait "$(cat demo.pid)"
	status=$?
	dir=$(demo_dir)
	echo "$dir" > demo.dir
	cat out
	[ $status -eq 0 ] || atf_fail "exit $status"
	hasnt_line out '^== [0-9]+ failed'
	has_line out '^== 1\. '
	has_line out '^\$ curl -s --ssl-reqd '
	has_line out '\] postern ready'
	has_line out '^demo stopped$'
	[ -n "$dir" ] && [ ! -e "$dir" ] || atf_fail "demo left $dir behind"
}
oneshot_cleanup()
{
	demo_cleanup
}

demo_cleanup()
{
	[ -f demo.pid ] && kill -TERM -- -"$(cat demo.pid)" 2>/dev/null
	if [ -f demo.dir ] && [ -d "$(cat demo.dir)" ]; then
		d=$(cat demo.dir)
		[ -f posternd.pid ] && kill -TERM "$(cat posternd.pid)" 2>/dev/null
		@OBJDIR@/regress/fixture/dovecot stop "$d/dovecot"
		rm -rf "$d"
	fi
	return 0
}

atf_init_test_cases()
{
	atf_add_test_case walk
	atf_add_test_case oneshot
}
