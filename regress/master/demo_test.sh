#! /usr/bin/env atf-sh
# make demo, as a newcomer runs it: it serves mail through posternd, and
# Ctrl-C (SIGINT to its process group) stops posternd and the Dovecot and
# leaves nothing behind.

OBJDIR=@OBJDIR@
TOPDIR=@TOPDIR@
. @OBJDIR@/regress/master/daemon_lib

atf_test_case demo cleanup
demo_head()
{
	atf_set descr "make demo serves mail through posternd; Ctrl-C stops all"
	atf_set require.user root
	atf_set require.progs "curl setsid"
	atf_set timeout 120
}
demo_body()
{
	port=$(free_port)
	pport=$(free_port)
	DEMO_IMAP_PORT=$port DEMO_POP3_PORT=$pport setsid sh "$OBJDIR/regress/demo" > out 2>&1 &
	echo $! > demo.pid
	wait_file out 'Ctrl-C stops posternd'
	dir=$(sed -n 's|.*workers run as [a-z_]* in \(/tmp/postern-demo\.[A-Za-z0-9]*\)/empty.*|\1|p' out)
	[ -d "$dir" ] || atf_fail "no demo directory in the banner"
	echo "$dir" > demo.dir

	# The listener may not have its first worker yet: retry a bounded
	# number of times until curl gets the message.
	i=0
	while ! curl -s -u testuser:testpass \
	    "imap://127.0.0.1:$port/INBOX;UID=1" > got 2>/dev/null ||
	    [ ! -s got ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat out; atf_fail "no mail through the demo"; }
		sleep 0.1
	done
	atf_check cmp got "$TOPDIR/regress/fixture/mail/testuser/INBOX/1-plain.eml"
	# The sample's POP3 listener serves the same mail.
	atf_check -o file:"$TOPDIR/regress/fixture/mail/testuser/INBOX/1-plain.eml" \
	    curl -s -u testuser:testpass "pop3://127.0.0.1:$pport/1"
	dvpid=$(cat "$dir/dovecot/run/master.pid")

	# Ctrl-C: the terminal sends SIGINT to the whole process group.
	kill -INT -- -"$(cat demo.pid)"
	wait_file out '^demo stopped$'
	wait "$(cat demo.pid)"
	[ ! -e "$dir" ] || atf_fail "demo left $dir behind"
	# An exited Dovecot master may wait a while for init to reap it.
	case "$(ps -o stat= -p "$dvpid")" in
	""|Z*)	;;
	*)	atf_fail "Dovecot $dvpid still runs after Ctrl-C" ;;
	esac
	pgrep -f "$dir/postern.conf" && atf_fail "posternd still runs"
	return 0
}
demo_cleanup()
{
	[ -f demo.pid ] && kill -TERM -- -"$(cat demo.pid)" 2>/dev/null
	if [ -f demo.dir ] && [ -d "$(cat demo.dir)" ]; then
		@OBJDIR@/regress/fixture/dovecot stop "$(cat demo.dir)/dovecot"
		rm -rf "$(cat demo.dir)"
	fi
	return 0
}

atf_init_test_cases()
{
	atf_add_test_case demo
}
