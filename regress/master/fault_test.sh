#! /usr/bin/env atf-sh
# Faults an administrator meets with sessions open: the mail server
# stopped and started again under a logged-in session, and rule loads
# with configuration reloads under fifty busy sessions.  Each case waits
# for events (log lines, ports, answers), never for a fixed time.

. @OBJDIR@/regress/worker/enforce_lib
RELOAD=@TOPDIR@/regress/worker/reload.py
NET=@TOPDIR@/regress/fixture/net.py
DOVECOT=/usr/sbin/dovecot

atf_test_case reload_hup cleanup
reload_hup_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 300
	atf_set descr "200 rule loads and 20 SIGHUPs under 50 busy sessions:" \
	    "no session error, every answer from one generation current" \
	    "at the time"
}
reload_hup_body()
{
	printf 'imap request NOOP respond "OK gen 0"\nimap request * accept\nimap response * all * accept\nimap capability * accept\n' > rules
	setup
	pd=$(sed -nE 's/^posternd: policyd pid ([0-9]+) ready$/\1/p' log | tail -1)
	[ -n "$pd" ] || atf_fail "no policyd pid in the log"
	RELOAD_HUP="$(cat posternd.pid) 20" atf_check -o save:out \
	    $PYTHON "$RELOAD" $PORT "$POLICYCTL" "$PWD/store" 50 200 $pd
	cat out
	atf_check -o match:'^ok ' cat out
	wait_log "reloaded" 20
	# The same configuration reloaded keeps policyd: every worker's
	# channel stays, no verdict fails.
	[ "$(grep -c 'policyd pid [0-9]* ready' log)" -eq 1 ] ||
	    atf_fail "policyd was restarted by a reload of the same file"
	no_deaths
	if grep -E "Policy unavailable|failed in a row" log; then
		atf_fail "a client was refused during the reloads"
	fi
}
reload_hup_cleanup()
{
	common_cleanup
}

# imap_session PORT: log in, then read commands from stdin, one a line,
# and print every line the server sends until EOF.
imap_session()
{
	[ -f session.py ] || cat > session.py <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True)
s.sendall(b"a LOGIN testuser testpass\r\n")
while True:
	ln = f.readline().decode().strip()
	print(ln, flush=True)
	if ln.startswith("a "):
		break
for cmd in sys.stdin:
	s.sendall(cmd.encode().rstrip(b"\n") + b"\r\n")
	tag = cmd.split()[0]
	while True:
		ln = f.readline().decode()
		if not ln:
			print("EOF", flush=True)
			sys.exit(0)
		print(ln.strip(), flush=True)
		if ln.startswith(tag + " "):
			break
EOF
	$PYTHON -u session.py "$1"
}

# fifo_session PORT: imap_session fed from ./cmds (a FIFO), output in
# ./sess.out, so the test sends commands when it chooses.
fifo_session()
{
	mkfifo cmds
	imap_session "$1" < cmds > sess.out 2>&1 &
	echo $! > sess.pid
	exec 7> cmds
}

atf_test_case dovecot_restart cleanup
dovecot_restart_head()
{
	common_head
	atf_set descr "Dovecot stopped under a logged-in session: the client" \
	    "gets its BYE, new clients a clear refusal; started again," \
	    "new sessions are served at once, with no back-off"
}
dovecot_restart_body()
{
	printf 'imap request * accept\nimap response * all * accept\nimap capability * accept\n' > rules
	setup
	fifo_session $PORT
	wait_file sess.out '^a OK'
	echo "b NOOP" >&7
	wait_file sess.out '^b OK'

	# Dovecot's shutdown: the session ends with the server's words.
	# Dovecot's master leaves its imap processes running when it stops;
	# a service manager stopping Dovecot ends them all, as here.  NOOPs
	# until the session ends (a write to one already gone is no error).
	inst=$(sed -n 's/^instance_name = //p' dv/dovecot.conf)
	[ -n "$inst" ] || atf_fail "no instance_name in dv/dovecot.conf"
	"$FIXTURE" stop "$PWD/dv"
	pkill -TERM -f "^dovecot-$inst/"
	trap '' PIPE
	i=0
	until grep -q '^EOF$' sess.out; do
		[ $i -lt 200 ] || atf_fail "the session outlived Dovecot by 20 s"
		echo "c$i NOOP" >&7 2>/dev/null
		sleep 0.1
		i=$((i + 1))
	done
	exec 7>&-
	grep -q '^\* BYE' sess.out || { cat sess.out; atf_fail "no BYE"; }
	# posternd says how the session ended
	wait_log "t1: session [0-9]+ ended \(slot [0-9]+, client 127\.0\.0\.1\): server closed"

	# No server: a new client is told so, and the worker that told it
	# is not a failure of the pool.
	for i in 1 2 3 4 5 6 7 8; do
		atf_check -o match:'^\* BYE \[UNAVAILABLE\]' -x \
		    "$PYTHON $CONV $PORT </dev/null"
	done

	# Dovecot again, on its ports: served at once.
	atf_check -o ignore -e ignore "$DOVECOT" -c "$PWD/dv/dovecot.conf"
	atf_check -o ignore -e ignore $PYTHON "$NET" wait 20 "imap:$IMAP_PORT"
	echo "x NOOP" | imap_session $PORT > again.out 2>&1
	grep -q '^x OK' again.out || { cat again.out; atf_fail "not served"; }
	if grep -E "failed in a row|next in" log; then
		atf_fail "the pool backed off while the server was away"
	fi
	no_deaths
}
dovecot_restart_cleanup()
{
	[ -f sess.pid ] && kill "$(cat sess.pid)" 2>/dev/null
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case reload_hup
	atf_add_test_case dovecot_restart
}
