#! /usr/bin/env atf-sh
# posternd's pool, hand-off and signals, with a test double for the
# worker (fakeworker.py) so that only the master is under test: pre-fork,
# session quota, SIGSYS as a security event, start timeout, upstream
# socket passing, SIGHUP with good and bad files, SIGTERM's drain.

FAKE=@TOPDIR@/regress/master/fakeworker.py
. @OBJDIR@/regress/master/daemon_lib

# conf PORT UPSTREAM_PORT [extra statements]: a one-listener file.  The
# fake worker is exec'd for each worker: it cannot be a template.
conf()
{
	mkdir -p empty
	chmod 755 empty
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$PWD/fakeworker"
timeout start 3 drain 2
pool template-forks 0
$3
listen on 127.0.0.1 port $1 imap name t1 upstream 127.0.0.1 port $2
EOF
	fake_worker
}

# fake_worker: ./fakeworker, the worker conf names, runs $FAKE with
# FAKE_MODE (ok if unset) set: none of posternd's environment reaches
# its workers.
fake_worker()
{
	printf '#!/bin/sh\nFAKE_MODE=%s exec %s\n' "${FAKE_MODE:-ok}" \
	    "$FAKE" > fakeworker
	chmod 755 fakeworker
}

# start [flags]: daemon_lib's, with the worker in FAKE_MODE.
start()
{
	fake_worker
	"$POSTERND" -d -v -f postern.conf "$@" > log 2>&1 &
	echo $! > pid
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 60
}


atf_test_case prefork_quota cleanup
prefork_quota_head()
{
	common_head
	atf_set descr "min-idle workers start and say ready; a worker is" \
	    "replaced after its session quota; slots are reused"
}
prefork_quota_body()
{
	p=$(free_port)
	conf $p $(free_port) "pool min-idle 2 max 4 sessions 2"
	start
	wait_log "worker slot [01] pid [0-9]+ ready" 2
	wait_log "fake worker slot [01] of t1, idle timeout 1800" 2
	for i in 1 2 3 4 5; do
		greet $p > out.$i
		atf_check -o match:"^\* OK fake slot [0-9] listener t1 session [0-9]+ from 127\.0\.0\.1 upstream \[error 111\]" \
		    cat out.$i
	done
	wait_log "t1: session [0-9]+ ended" 5
	wait_log "worker slot [0-9] pid [0-9]+: 2 sessions, replaced" 2
	# Slots are reused: never more than min-idle + the busy one + the
	# ones being replaced.
	if grep -E "worker slot [4-9] pid" log; then
		atf_fail "slots not reused"
	fi
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
	atf_check -o match:"^posternd: exiting$" tail -1 log
}
prefork_quota_cleanup()
{
	common_cleanup
}

atf_test_case sigsys cleanup
sigsys_head()
{
	common_head
	atf_set descr "a worker killed by SIGSYS is a security event with" \
	    "its slot and pid; dying workers are replaced with back-off"
}
sigsys_body()
{
	conf $(free_port) $(free_port) "pool min-idle 1 max 2"
	FAKE_MODE=sigsys start
	wait_log "^posternd: security: worker slot 0 pid [0-9]+ killed by SIGSYS" 3
	pid=$(sed -nE 's/^posternd: worker slot 0 pid ([0-9]+) ready$/\1/p' log | head -1)
	atf_check -o ignore grep -E "^posternd: security: worker slot 0 pid $pid killed by SIGSYS$" log
	wait_log "t1: [0-9]+ workers failed in a row, next in [0-9]+ ms"
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
sigsys_cleanup()
{
	common_cleanup
}

atf_test_case start_timeout cleanup
start_timeout_head()
{
	common_head
	atf_set descr "a worker that is not ready in time is killed"
}
start_timeout_body()
{
	conf $(free_port) $(free_port) "pool min-idle 1
timeout start 1"
	FAKE_MODE=noready start
	wait_log "^posternd: worker slot 0 pid [0-9]+: not ready after 1 s"
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
start_timeout_cleanup()
{
	common_cleanup
}

atf_test_case upstream cleanup
upstream_head()
{
	common_head
	atf_set descr "the master connects upstream and passes the socket:" \
	    "a listener whose upstream is another listener greets with" \
	    "the greeting of the worker behind it"
}
upstream_body()
{
	p1=$(free_port)
	p2=$(free_port)
	conf $p1 $p2 "pool min-idle 1 max 4"
	echo "listen on 127.0.0.1 port $p2 pop3 name t2 upstream 127.0.0.1 port 9" >> postern.conf
	start
	wait_log "ready" 2
	greet $p1 > out
	atf_check -o match:"^\* OK fake slot [0-9] listener t1 session [0-9]+ from 127\.0\.0\.1 upstream \[\* OK fake slot [0-9] listener t2 session [0-9]+ from 127\.0\.0\.1 upstream \[error 111\]\]$" \
	    cat out
}
upstream_cleanup()
{
	common_cleanup
}

atf_test_case reload cleanup
reload_head()
{
	common_head
	atf_set descr "SIGHUP: a broken file keeps the old configuration" \
	    "and says why; a good one adds and removes listeners"
}
reload_body()
{
	p1=$(free_port)
	p2=$(free_port)
	conf $p1 $(free_port) "pool min-idle 1"
	start
	wait_log "ready"
	cp postern.conf good.conf
	echo "frobnicate" >> postern.conf
	kill -HUP $(cat pid)
	wait_log "^posternd: postern.conf:8: expected .* near 'frobnicate'$"
	wait_log "^posternd: postern.conf: not reloaded, the running configuration stays$"
	greet $p1 > out
	atf_check -o match:"listener t1 " cat out

	sed "s/port $p1 imap name t1/port $p2 imap name t2/" good.conf > postern.conf
	kill -HUP $(cat pid)
	wait_log "^posternd: postern.conf: reloaded$"
	greet $p2 > out
	atf_check -o match:"listener t2 " cat out
	# the old port is closed
	if greet $p1 > out 2>&1; then
		atf_fail "old listener still open"
	fi
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
reload_cleanup()
{
	common_cleanup
}

atf_test_case reload_inflight cleanup
reload_inflight_head()
{
	common_head
	atf_set descr "SIGHUP does not cut a session in flight: its worker" \
	    "keeps it until SIGTERM's BYE, while new clients get new workers"
}
reload_inflight_body()
{
	p=$(free_port)
	conf $p $(free_port) "pool min-idle 1"
	FAKE_MODE=hold start
	wait_log "ready"
	$PYTHON - $p > client.out 2>&1 <<'EOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True)
print(f.readline().decode().strip(), flush=True)
EOF
	client=$!
	wait_file client.out "^\\* OK fake slot 0 "
	# the idle worker that replaced slot 0 is ready before the reload
	# (else the reload may stop it before it says so)
	wait_log "ready" 2
	sed -i "s/timeout start 3/timeout start 4/" postern.conf
	kill -HUP $(cat pid)
	wait_log "^posternd: postern.conf: reloaded$"
	# a new client gets a worker of the new pool
	wait_log "ready" 3
	greet $p > out
	atf_check -o match:"^\\* OK fake slot [1-9] " cat out
	# had the reload closed it, the BYE would say "reconfigured"
	kill -TERM $(cat pid)
	wait $client
	atf_check -o match:"^\\* BYE postern shutting down$" tail -1 client.out
	wait_exit
	atf_check_equal 0 $status
}
reload_inflight_cleanup()
{
	common_cleanup
}

atf_test_case runtime_checks cleanup
runtime_checks_head()
{
	common_head
	atf_set descr "posternd will not start with a chroot that is not" \
	    "empty or that others may write, or without its worker"
}
runtime_checks_body()
{
	conf $(free_port) $(free_port)
	touch empty/secret
	atf_check -s exit:1 -o empty \
	    -e match:"^posternd: chroot $PWD/empty: not empty, it holds secret$" \
	    "$POSTERND" -d -f postern.conf
	rm empty/secret
	chmod 777 empty
	atf_check -s exit:1 -o empty -e match:"^posternd: chroot $PWD/empty: " \
	    "$POSTERND" -d -f postern.conf
	chmod 755 empty
	atf_check -s exit:1 -o empty \
	    -e match:"^posternd: worker program /nonexistent/worker: " \
	    "$POSTERND" -d -f postern.conf -w /nonexistent/worker
	# -n looks at the file only
	atf_check -s exit:0 -o empty -e empty \
	    "$POSTERND" -n -f postern.conf -w /nonexistent/worker
}
runtime_checks_cleanup()
{
	common_cleanup
}

atf_test_case grow cleanup
grow_head()
{
	common_head
	atf_set descr "the pool grows while clients keep workers busy, up" \
	    "to max and no further; a client beyond waits in the queue," \
	    "and SIGTERM refuses it in words"
}
grow_body()
{
	p=$(free_port)
	conf $p $(free_port) "pool min-idle 1 max 2"
	FAKE_MODE=hold start
	wait_log "ready"
	for c in a b c; do
		# b may wait for the pool's second worker too: c's wait is
		# the one after those already logged.
		[ $c = c ] && nwait=$(grep -c "waits for a worker" log)
		$PYTHON - $p > $c.out 2>&1 <<'EOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True)
print(f.readline().decode().strip(), flush=True)
EOF
		echo $! > $c.pid
		[ $c = c ] || wait_file $c.out "^\\* OK fake slot [01] "
	done
	wait_log "ready" 2
	wait_log "t1: client 127\.0\.0\.1 port [0-9]+ waits for a worker, 1 waiting" \
	    $((nwait + 1))
	atf_check -o not-match:"slot 2" cat log
	[ "$(cut -c1-16 a.out)" != "$(cut -c1-16 b.out)" ] ||
	    atf_fail "a and b on the same worker"
	kill -TERM $(cat pid)
	wait $(cat a.pid) $(cat b.pid) $(cat c.pid)
	atf_check -o match:"^\\* BYE postern shutting down$" tail -1 a.out
	atf_check -o match:"^\\* BYE postern shutting down$" tail -1 b.out
	atf_check -o match:"^\* BYE \[UNAVAILABLE\] Server busy, try again later$" \
	    cat c.out
	wait_log "t1: listener closed, client 127\.0\.0\.1 port [0-9]+ refused after [0-9]+ ms"
	wait_exit
	atf_check_equal 0 $status
}
grow_cleanup()
{
	common_cleanup
}

atf_test_case reload_budget cleanup
reload_budget_head()
{
	common_head
	atf_set descr "after SIGHUP the old pool's busy workers count" \
	    "against pool max: with both of max 2 held, the new pool starts" \
	    "none and a client waits; one old session ends, and the client" \
	    "gets a worker of the new pool"
}
reload_budget_body()
{
	p=$(free_port)
	conf $p $(free_port) "pool min-idle 1 max 2"
	FAKE_MODE=eof start
	wait_log "ready"
	for c in a b; do
		$PYTHON - $p > $c.out 2>&1 <<'EOF2' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True)
print(f.readline().decode().strip(), flush=True)
EOF2
		echo $! > $c.pid
		wait_file $c.out "^\\* OK fake slot [01] "
	done
	wait_log "ready" 2
	sed -i "s/timeout start 3/timeout start 4/" postern.conf
	kill -HUP $(cat pid)
	wait_log "^posternd: postern.conf: reloaded$"
	nwait=$(grep -c "waits for a worker" log)
	$PYTHON - $p > c.out 2>&1 <<'EOF2' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True)
EOF2
	echo $! > c.pid
	wait_log "t1: client 127\.0\.0\.1 port [0-9]+ waits for a worker" \
	    $((nwait + 1))
	atf_check -o not-match:"slot 2" cat log
	atf_check -o empty cat c.out
	# a's session ends: its retired worker exits, the listener has room.
	kill $(cat a.pid)
	wait_file c.out "^\\* OK fake slot [0-9]+ "
	kill -TERM $(cat pid)
	wait $(cat b.pid) $(cat c.pid)
	wait_exit
	atf_check_equal 0 $status
}
reload_budget_cleanup()
{
	common_cleanup
}

atf_test_case idle_timeout cleanup
idle_timeout_head()
{
	common_head
	atf_set descr "idle workers above min-idle exit after the pool's" \
	    "idle-timeout, as many as the pool grew by, and no more; their" \
	    "exits are no failures and start no replacement"
}
# The live workers: posternd's children (no policyd or keyd here).
nworkers()
{
	ps -o pid= --ppid "$(cat pid)" | wc -l
}
nworkers_is()
{
	[ "$(nworkers)" -eq "$1" ]
}
idle_timeout_body()
{
	p=$(free_port)
	conf $p $(free_port) "pool min-idle 1 max 8 idle-timeout 1"
	FAKE_MODE=eof start
	wait_log "ready"
	# Four sessions at once make the pool grow to five.
	mkfifo go
	$PYTHON - $p > clients.out 2>&1 <<'EOF' &
import socket, sys
ss = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
    for i in range(4)]
for s in ss:
	print(s.makefile("rb").readline().decode().strip(), flush=True)
open("go").read()
EOF
	echo $! > clients.pid
	wait_file clients.out "^\* OK fake slot" 4
	wait_until 10 nworkers_is 5 || atf_fail "$(nworkers) workers, not 5"
	echo go > go
	wait "$(cat clients.pid)"
	wait_log "t1: session [0-9]+ ended" 4
	wait_log "t1: [0-9]+ idle workers let go after 1 s idle"
	wait_until 10 nworkers_is 1 || atf_fail "$(nworkers) workers, not 1"
	wait_log "worker slot [0-9] pid [0-9]+ exited" 4
	if grep -E "failed in a row|exited with|killed by" log; then
		atf_fail "an idle worker's exit counted as a failure"
	fi
	# The one left is min-idle's: it stays, and takes the next client.
	greet $p > next.out
	atf_check -o match:"^\* OK fake slot" cat next.out
	kill -TERM "$(cat pid)"
	wait_exit
	atf_check_equal 0 $status
}
idle_timeout_cleanup()
{
	[ -f clients.pid ] && kill "$(cat clients.pid)" 2>/dev/null
	common_cleanup
}

atf_test_case drain cleanup
drain_head()
{
	common_head
	atf_set descr "SIGTERM: sessions in flight go on until the drain" \
	    "timeout, then get * BYE; posternd exits 0"
}
drain_body()
{
	p=$(free_port)
	conf $p $(free_port) "pool min-idle 1"
	FAKE_MODE=hold start
	wait_log "ready"
	$PYTHON - $p > client.out 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True)
print(f.readline().decode().strip(), flush=True)
EOF
	client=$!
	wait_file client.out "^\\* OK fake"
	kill -TERM $(cat pid)
	wait_log "^posternd: stopping: draining sessions for up to 2 s$"
	# still draining: the session is not cut
	atf_check -o match:"^\* OK fake" cat client.out
	if grep -q BYE client.out; then
		atf_fail "session cut before the drain timeout"
	fi
	wait $client
	atf_check -o match:"^\* BYE postern shutting down$" tail -1 client.out
	wait_exit
	atf_check_equal 0 $status
}
drain_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case prefork_quota
	atf_add_test_case sigsys
	atf_add_test_case start_timeout
	atf_add_test_case upstream
	atf_add_test_case reload
	atf_add_test_case reload_inflight
	atf_add_test_case runtime_checks
	atf_add_test_case grow
	atf_add_test_case reload_budget
	atf_add_test_case idle_timeout
	atf_add_test_case drain
}
