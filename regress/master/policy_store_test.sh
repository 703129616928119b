#! /usr/bin/env atf-sh
# posternd with "policy store": it starts postern-policyd confined in the
# store, hands every worker its own channel to it, and starts it again
# when it dies.  No upstream is needed: no client connects.

WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
. @OBJDIR@/regress/master/daemon_lib

conf()
{
	mkdir -p empty store
	chmod 755 empty
	chmod 700 store
	echo 'imap request * accept' > rules
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
pool min-idle 2 max 4
timeout drain 1
listen on 127.0.0.1 port $1 imap name imap upstream 127.0.0.1 port $1
EOF
}

policyd_pid()
{
	sed -nE 's/^posternd: policyd pid ([0-9]+) ready$/\1/p' log | tail -1
}

atf_test_case policyd cleanup
policyd_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 60
	atf_set descr "posternd starts policyd confined in the store and" \
	    "without its own environment, gives each worker a channel to" \
	    "it, and restarts it when it dies"
}
policyd_body()
{
	conf $(free_port)
	atf_check -o match:"^policy store \"$PWD/store\"$" \
	    "$POSTERND" -n -v -f postern.conf
	POSTERN_LEAK_PROBE=leaked start
	wait_log "^posternd: policyd pid [0-9]+ ready$"
	wait_log "^posternd: worker slot [01] pid [0-9]+ ready$" 2
	pd=$(policyd_pid)
	# posternd's environment stops at posternd.
	atf_check -o inline:"1\n" grep -ac POSTERN_LEAK_PROBE=leaked \
	    /proc/$(cat pid)/environ
	atf_check -s exit:1 grep -a POSTERN_LEAK_PROBE /proc/$pd/environ
	atf_check -o match:"^Seccomp:	2$" grep "^Seccomp:" /proc/$pd/status
	atf_check -o match:"^Uid:	65534	65534	65534	65534$" \
	    grep "^Uid:" /proc/$pd/status
	atf_check -o inline:"$PWD/store\n" readlink /proc/$pd/root
	# Both workers' channels reached policyd, and the workers took theirs.
	wait_log "policyd: worker 0: channel$"
	wait_log "policyd: worker 1: channel$"
	if grep -E "unexpected|master sent type" log; then
		atf_fail "a worker refused its policyd channel"
	fi

	kill -9 $pd
	wait_log "^posternd: policyd pid $pd killed by signal 9$"
	wait_log "^posternd: policyd pid [0-9]+ ready$" 2
	[ "$(policyd_pid)" != "$pd" ] || atf_fail "policyd not restarted"

	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
policyd_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case policyd
}
