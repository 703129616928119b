#! /usr/bin/env atf-sh
# counters redis (postern.conf(5)): the login guard's counters of three
# posternd nodes kept in one real Redis, so that a guesser spread over
# the nodes is blocked at the fleet's threshold, not three times it; and
# with Redis gone, each node counting alone within `timeout counters',
# saying so once, and counting with the fleet again once Redis is back.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/worker/guessdrive.py
. @OBJDIR@/regress/fixture/redis

# node N GUARD [COUNTERS [nowait]]: posternd number N, its own store,
# port and log (logN), counting in the Redis of $RPORT or as COUNTERS
# says; it waits for Redis's answer unless told nowait.
node()
{
	mkdir -p "n$1/empty" "n$1/store"
	chmod 755 "n$1/empty"
	chmod 700 "n$1/store"
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/n$1/store" \
	    load rules
	eval "P$1=\$(free_port)"
	eval "port=\$P$1"
	cat > "n$1/postern.conf" <<EOF2
user nobody
chroot "$PWD/n$1/empty"
worker "$WORKER"
policy store "$PWD/n$1/store"
pool min-idle 2 max 10 sessions 100
timeout start 10 drain 2
${3:-counters redis 127.0.0.1:$RPORT}
timeout counters 300
$2
listen on 127.0.0.1 port $port imap name node$1 upstream 127.0.0.1 port $IMAP_PORT
EOF2
	"$POSTERND" -d -v -f "n$1/postern.conf" > "log$1" 2>&1 &
	echo $! > "n$1/pid"
	wait_file "log$1" "policy enforced"
	[ "$4" = nowait ] ||
	    wait_file "log$1" "counters: Redis at [^ ]+ answers"
}

setup()
{
	DOVECOT_NODELAY=1 atf_check -o ignore -e ignore "$FIXTURE" start \
	    "$PWD/dv"
	. "$PWD/dv/ports"
	redis_start
	cat > rules <<'EOF2'
imap request * accept
imap response * all * accept
imap capability * accept
EOF2
	for n in 1 2 3; do
		node $n "$1"
	done
	PORTS=$P1,$P2,$P3
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON /usr/bin/redis-server /usr/bin/redis-cli"
	atf_set timeout 120
}

common_cleanup()
{
	for n in 1 2 3; do
		[ -f "n$n/pid" ] && kill -9 "$(cat "n$n/pid")" 2>/dev/null
	done
	redis_stop
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# want FILE FIRST LAST STATUS: attempts FIRST..LAST of guessdrive.py's
# lines in FILE got STATUS (a word of the answer).
want()
{
	awk -v a="$2" -v b="$3" -v w="$4" '$1 >= a && $1 <= b &&
	    index($0, w) == 0 { print "attempt " $1 ": " $0 " (want " w ")";
	    bad = 1 } END { exit bad }' "$1" || atf_fail "$(cat "$1")"
}

GUARD="login delay 0
login block address after 6 within 1m for 1m
login block user after 100 within 1m for 1m"

atf_test_case fleet_block cleanup
fleet_block_head()
{
	common_head
	atf_set descr "a guesser from one address spread evenly over three" \
	    "nodes sharing Redis: the server's NO six times in all (two per" \
	    "node), then blocked on every node, not after eighteen"
}
fleet_block_body()
{
	setup "$GUARD"
	$PYTHON "$DRIVE" imap "$PORTS" 127.0.0.1 testuser wrong 9 > tries ||
	    atf_fail "guessdrive.py"
	cat tries
	want tries 1 6 "AUTHENTICATIONFAILED"
	want tries 7 9 "UNAVAILABLE"
	cat log1 log2 log3 > logs
	atf_check -o match:"^1$" -x "grep -c 'blocked for 60 s after 6 failures across the fleet' logs"
	# The block holds for the user's rightful login from this address.
	$PYTHON "$DRIVE" imap "$P2" 127.0.0.1 testuser testpass 1 > right
	want right 1 1 "UNAVAILABLE"
	# ...and not from another address.
	$PYTHON "$DRIVE" imap "$P3" 127.0.0.2 testuser testpass 1 > other
	want other 1 1 "OK"
}
fleet_block_cleanup()
{
	common_cleanup
}

atf_test_case fleet_fallback cleanup
fleet_fallback_head()
{
	common_head
	atf_set descr "Redis stopped: each node answers within timeout" \
	    "counters, says once that it counts alone, and blocks at its" \
	    "own count; Redis back: the nodes count together again"
}
fleet_fallback_body()
{
	setup "$GUARD"
	redis_stop
	# Three attempts per node: answered, none waiting past 300 ms for
	# Redis plus the server's own time.
	$PYTHON "$DRIVE" imap "$PORTS" 127.0.0.1 testuser wrong 9 > tries ||
	    atf_fail "guessdrive.py"
	cat tries
	want tries 1 9 "AUTHENTICATIONFAILED"
	awk '$3 > 1.5 { print; bad = 1 } END { exit bad }' tries ||
	    atf_fail "a login waited for Redis"
	for n in 1 2 3; do
		wait_file "log$n" "counters: Redis at 127.0.0.1:$RPORT: .*counting on this node alone"
		atf_check -o match:"^1$" -x "grep -c 'counting on this node alone' log$n"
	done
	# Alone, node 1 has seen 3 and blocks at its sixth.
	$PYTHON "$DRIVE" imap "$P1" 127.0.0.1 testuser wrong 4 > alone
	cat alone
	want alone 1 3 "AUTHENTICATIONFAILED"
	want alone 4 4 "UNAVAILABLE"
	# Back: the nodes reconnect by themselves, with a fresh count.
	redis_start
	for n in 1 2 3; do
		wait_file "log$n" "counters: Redis at 127.0.0.1:$RPORT answers" 2
	done
	$PYTHON "$DRIVE" imap "$P2,$P3" 127.0.0.3 testuser wrong 8 > back
	cat back
	want back 1 6 "AUTHENTICATIONFAILED"
	want back 7 8 "UNAVAILABLE"
}
fleet_fallback_cleanup()
{
	common_cleanup
}

atf_test_case fleet_sessions cleanup
fleet_sessions_head()
{
	common_head
	atf_set descr "limit sessions per-user 1 across the fleet: a session" \
	    "on node 1 makes a second one on node 2 end with BYE [LIMIT]"
}
fleet_sessions_body()
{
	setup "$GUARD
limit sessions per-user 1"
	$PYTHON "$DRIVE" sessions2 imap "$P1" "$P2" testuser testpass > s ||
	    atf_fail "guessdrive.py sessions2: $(cat s)"
	cat s
	atf_check -o match:"second: .*LIMIT" cat s
	atf_check -o match:"third: OK" cat s
}
fleet_sessions_cleanup()
{
	common_cleanup
}

atf_test_case fleet_auth cleanup
fleet_auth_head()
{
	common_head
	atf_set descr "counters redis over Redis's Unix socket with a" \
	    "password file: the node counts with the fleet; a wrong" \
	    "password: refused by Redis, the node counts alone and says why"
}
fleet_auth_body()
{
	DOVECOT_NODELAY=1 atf_check -o ignore -e ignore "$FIXTURE" start \
	    "$PWD/dv"
	. "$PWD/dv/ports"
	redis_start
	redis-cli -p "$RPORT" config set requirepass sesame > /dev/null ||
	    atf_fail "redis-cli config set requirepass"
	# A Unix socket is set at start only: a second server for it.
	redis-server --port 0 --unixsocket "$PWD/redis.sock" \
	    --unixsocketperm 700 --requirepass sesame --save '' \
	    --appendonly no --dir "$PWD" --daemonize yes \
	    --pidfile "$PWD/redis2.pid" --logfile "$PWD/redis2.log" ||
	    atf_fail "redis-server on a socket did not start"
	wait_until 10 sh -c "[ \"\$(redis-cli -s '$PWD/redis.sock' -a sesame --no-auth-warning ping 2>/dev/null)\" = PONG ]" ||
	    atf_fail "redis-server on $PWD/redis.sock does not answer"
	cat > rules <<'EOF'
imap request * accept
imap response * all * accept
imap capability * accept
EOF
	printf 'sesame\n' > good.pass
	printf 'open sesame\n' > bad.pass
	chmod 600 good.pass bad.pass
	node 1 "$GUARD" "counters redis $PWD/redis.sock password \"$PWD/good.pass\""
	node 2 "$GUARD" "counters redis 127.0.0.1:$RPORT password \"$PWD/bad.pass\"" \
	    nowait
	wait_file log2 "counters: Redis at 127.0.0.1:$RPORT: WRONGPASS.*counting on this node alone"
	# Node 1 counts in Redis: the failures are there.
	$PYTHON "$DRIVE" imap "$P1" 127.0.0.1 testuser wrong 2 > tries ||
	    atf_fail "guessdrive.py"
	want tries 1 2 "AUTHENTICATIONFAILED"
	n=$(redis-cli -s "$PWD/redis.sock" -a sesame --no-auth-warning \
	    --scan --pattern 'postern:fa:*' | wc -l)
	[ "$n" -eq 1 ] || atf_fail "$n failure keys in Redis, not 1"
}
fleet_auth_cleanup()
{
	[ -f redis2.pid ] && kill "$(cat redis2.pid)" 2>/dev/null
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case fleet_block
	atf_add_test_case fleet_fallback
	atf_add_test_case fleet_sessions
	atf_add_test_case fleet_auth
}
