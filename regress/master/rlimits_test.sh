#! /usr/bin/env atf-sh
# The limits a configuration implies (master/rlimits.c, issue 17): posternd
# -n and posternd's start refuse a configuration whose descriptors the
# hard limit cannot hold, with an error that names the knob, instead of a
# postern-policyd that dies on setrlimit and is restarted forever; under
# a hard limit that is just enough, everything starts once and serves.
#
# posternd as root raises its hard limit when it may: each test that
# wants a refusal takes CAP_SYS_RESOURCE away with setpriv, so that it
# cannot.

WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
. @OBJDIR@/regress/master/daemon_lib

# No CAP_SYS_RESOURCE: as on a system where root may not pass the limit.
NOCAP="setpriv --bounding-set -sys_resource"

# conf POOL UPSTREAM_PORT PORT...: a policy store, the pool line, one
# IMAP listener per port.
conf()
{
	mkdir -p empty store
	chmod 755 empty
	chmod 700 store
	printf '%s\n' 'imap request * accept' 'imap response * all * accept' \
	    'imap capability * accept' > rules
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	_pool=$1
	_up=$2
	shift 2
	{
		echo "user nobody"
		echo "chroot \"$PWD/empty\""
		echo "worker \"$WORKER\""
		echo "policy store \"$PWD/store\""
		# Two answering threads, so the counts do not hang on cores.
		echo "policy threads 2"
		echo "timeout drain 1"
		[ -n "$_pool" ] && echo "$_pool"
		for _p in "$@"; do
			echo "listen on 127.0.0.1 port $_p imap name l$_p" \
			    "upstream 127.0.0.1 port $_up"
		done
	} > postern.conf
}

# common_head [PROGS]: root, python, prlimit, setpriv, and PROGS.
common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON prlimit setpriv $1"
	atf_set timeout 60
}

atf_test_case check_refused
check_refused_head()
{
	common_head
	atf_set descr "posternd -n under ulimit -Hn 512 with the default" \
	    "pool (max 256) on two listeners: exit 1, and an error for" \
	    "posternd and one for postern-policyd naming pool max"
}
check_refused_body()
{
	conf "" 143 $(free_port) $(free_port)
	atf_check -s exit:1 -o empty -e save:err \
	    $NOCAP prlimit --nofile=512:512 "$POSTERND" -n -f postern.conf
	pool='posternd: pool max 256 on 2 listeners needs'
	hard='the hard limit is 512 (ulimit -Hn)'
	knob='lower "pool max" or raise the limit'
	atf_check -o inline:"$pool 604 descriptors for posternd; $hard: $knob\n" \
	    grep -F "for posternd;" err
	atf_check -o inline:"$pool 534 descriptors for postern-policyd; $hard: $knob\n" \
	    grep -F "for postern-policyd;" err
	# What is enough passes, and -nv prints nothing when it does not.
	atf_check -s exit:0 -o empty -e empty \
	    $NOCAP prlimit --nofile=604:604 "$POSTERND" -n -f postern.conf
	atf_check -s exit:1 -o empty -e ignore \
	    $NOCAP prlimit --nofile=603:603 "$POSTERND" -nv -f postern.conf
}

atf_test_case fsize_refused
fsize_refused_head()
{
	common_head
	atf_set descr "posternd -n with audit max-size over the hard file" \
	    "size limit: exit 1, naming max-size"
}
fsize_refused_body()
{
	conf "pool max 4" 143 $(free_port)
	echo "audit dir \"$PWD/audit\" max-size 64m" >> postern.conf
	atf_check -s exit:1 -o empty -e save:err \
	    $NOCAP prlimit --fsize=1048576:1048576 "$POSTERND" -n -f postern.conf
	atf_check -o match:"^posternd: audit max-size 67108864 bytes is over" \
	    cat err
	atf_check -o match:'1048576 bytes \(ulimit -Hf\): lower "max-size" or' \
	    cat err
}

atf_test_case start_refused cleanup
start_refused_head()
{
	common_head
	atf_set descr "posternd that may not raise its hard limit does not" \
	    "start at all: exit 1 with the error, no child started"
}
start_refused_body()
{
	conf "pool min-idle 1 max 20" 143 $(free_port)
	# 32 + 6 + 20 + 6 x 1 = 64 for posternd, 16 + 6 + 20 = 42 for policyd.
	$NOCAP prlimit --nofile=60:60 "$POSTERND" -d -v -f postern.conf \
	    > log 2>&1 &
	echo $! > pid
	wait_exit
	atf_check_equal 1 $status
	atf_check -o match:'needs 64 descriptors for posternd; the hard limit is' \
	    cat log
	if grep -E "policyd pid|worker slot" log; then
		atf_fail "a child was started"
	fi
}
start_refused_cleanup()
{
	common_cleanup
}

atf_test_case just_enough cleanup
just_enough_head()
{
	common_head /usr/sbin/dovecot
	atf_set descr "under a hard limit of exactly what posternd needs," \
	    "policyd starts once and holds what it was counted, and a" \
	    "client gets Dovecot's greeting"
}
just_enough_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	p=$(free_port)
	conf "pool min-idle 2 max 20" $IMAP_PORT $p
	# 32 + 6 + 20 + 6 x 2 = 70 for posternd; 16 + 6 (its second thread)
	# + 20 = 42 for policyd.
	$NOCAP prlimit --nofile=70:70 "$POSTERND" -d -v -f postern.conf \
	    > log 2>&1 &
	echo $! > pid
	wait_log "^posternd: policyd pid [0-9]+ ready$"
	wait_log "^posternd: worker slot [01] pid [0-9]+ ready$" 2
	greet $p > out
	atf_check -o match:"^\* OK .*Dovecot" cat out
	pd=$(sed -nE 's/^posternd: policyd pid ([0-9]+) ready$/\1/p' log)
	atf_check -o match:"^Max open files +42 +42 " \
	    grep "^Max open files" /proc/$pd/limits
	atf_check -o match:"^Max open files +70 +70 " \
	    grep "^Max open files" /proc/$(cat pid)/limits
	# The pool at its max, 20 sessions at once: policyd holds a channel
	# to each worker within the 42 it was counted, and is still the one
	# that started (no restart loop).
	$PYTHON - $p > full <<'EOF' || atf_fail "20 sessions: $(cat full)"
import socket, sys
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1])),
                                  timeout=20) for _ in range(20)]
print(sum(s.makefile("rb").readline().startswith(b"* OK") for s in socks))
EOF
	atf_check -o inline:"20\n" cat full
	kill -0 "$pd" || atf_fail "policyd pid $pd is gone"
	atf_check -o inline:"1\n" \
	    grep -Ec "^posternd: policyd pid [0-9]+ started" log
	if grep -E "policyd pid [0-9]+ (exited|killed)|policyd: restart" log ||
	    grep -E "setrlimit|descriptors wanted" log; then
		atf_fail "policyd did not stay up"
	fi
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
just_enough_cleanup()
{
	common_cleanup
	"$FIXTURE" stop "$PWD/dv"
}

atf_test_case raised cleanup
raised_head()
{
	common_head
	atf_set descr "posternd as root with CAP_SYS_RESOURCE raises its hard" \
	    "limit to what the configuration needs, and policyd starts"
}
raised_body()
{
	# CAP_SYS_RESOURCE is bit 24 of the effective set.
	cap=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
	if [ $(((0x$cap >> 24) & 1)) -ne 1 ]; then
		atf_skip "no CAP_SYS_RESOURCE here: posternd may not raise a" \
		    "hard limit"
	fi
	conf "pool min-idle 1 max 20" 143 $(free_port)
	prlimit --nofile=60:60 "$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > pid
	wait_log "^posternd: descriptors: hard limit raised from 60 to 64"
	wait_log "^posternd: policyd pid [0-9]+ ready$"
	atf_check -o match:"^Max open files +64 +64 " \
	    grep "^Max open files" /proc/$(cat pid)/limits
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
raised_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case check_refused
	atf_add_test_case fsize_refused
	atf_add_test_case start_refused
	atf_add_test_case just_enough
	atf_add_test_case raised
}
