#! /usr/bin/env atf-sh
# The password-guessing guard (postern.conf(5), "login"): failed logins
# counted by postern-policyd for every worker, the server's NO held as
# `login delay' says, a block after `login block', the sessions of a user
# limited; through the real posternd, in front of the Dovecot fixture
# with Dovecot's own delays off (DOVECOT_NODELAY), so that the times
# measured are postern's.  guessdrive.py logs in and times the answers.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/worker/guessdrive.py

# setup imap|pop3 [CONF-LINES [LISTEN-OPTIONS]]: Dovecot, a store that
# accepts everything, posternd with one listener of the protocol on $PORT.
setup()
{
	DOVECOT_NODELAY=1 atf_check -o ignore -e ignore "$FIXTURE" start \
	    "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=$(free_port)
	mkdir -p empty store audit
	chmod 755 empty
	chmod 700 store audit
	cat > rules <<'EOF2'
imap request * accept
imap response * all * accept
imap capability * accept
pop3 request * accept
pop3 response * * accept
pop3 capability * accept
EOF2
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	if [ "$1" = imap ]; then
		up=$IMAP_PORT
	else
		up=$POP3_PORT
	fi
	cat > postern.conf <<EOF2
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
audit dir "$PWD/audit"
pool min-idle 3 max 20 sessions 100
timeout start 10 drain 2
$2
listen on 127.0.0.1 port $PORT $1 name g1 $3 upstream 127.0.0.1 port $up
EOF2
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" 3
	wait_file log "policy enforced" 3
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 120
}

common_cleanup()
{
	[ -f posternd.pid ] && kill -9 "$(cat posternd.pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

no_deaths()
{
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a worker died"
	fi
}

GUARD="login delay 0 1 2
login block address after 5 within 1m for 1m
login block user after 50 within 1m for 1m"

# check_times FILE FAIL BLOCKED: the attempts in FILE (guessdrive.py's
# lines) got the server's answer FAIL, held 0, 1, 2, 2, 2 s (each to
# within 0.9 s more: Dovecot and the machine), then, blocked, BLOCKED
# at once.
check_times()
{
	awk -v fail="$2" -v blocked="$3" '
	BEGIN { want[1] = 0; want[2] = 1; want[3] = 2; want[4] = 2
		want[5] = 2 }
	{
		i = $1; st = $2; t = $3
		if (i <= 5) {
			if (st != fail || t < want[i] || t > want[i] + 0.9) {
				print "attempt " i ": " $0 " (want " fail \
				    " after " want[i] " s)"; bad = 1
			}
		} else if (index($0, blocked) == 0 || t > 0.9) {
			print "attempt " i ": " $0 " (want " blocked \
			    " at once)"; bad = 1
		}
	}
	END { exit bad }' "$1" || atf_fail "$(cat "$1")"
}

# other_address PROTO: while an answer from 127.0.0.1 is held 2 s, a
# correct login from 127.0.0.2 is answered at once.
other_address()
{
	wait_file log "failed login 3 of this address: its answer waits 2000 ms"
	$PYTHON "$DRIVE" "$1" "$PORT" 127.0.0.2 testuser testpass 1 > other ||
	    atf_fail "guessdrive.py from 127.0.0.2"
	cat other
	awk '$2 != "OK" && $2 != "+OK" || $3 > 0.5 { exit 1 }' other ||
	    atf_fail "the login from 127.0.0.2 was slowed: $(cat other)"
}

atf_test_case imap_guessing cleanup
imap_guessing_head()
{
	common_head
	atf_set descr "IMAP LOGIN guessed from 127.0.0.1: the NO comes" \
	    "after 0, 1, 2 s, then the address is blocked (NO" \
	    "[UNAVAILABLE], the server not asked), logged and audited;" \
	    "meanwhile a correct login from 127.0.0.2 is not slowed"
}
imap_guessing_body()
{
	guessing_imap
}
imap_guessing_cleanup()
{
	common_cleanup
}

atf_test_case imap_guessing_proxy cleanup
imap_guessing_proxy_head()
{
	common_head
	atf_set descr "the same through a login proxy listener: postern" \
	    "takes each login and replays it, the delays and the block are" \
	    "the same"
}
imap_guessing_proxy_body()
{
	guessing_imap "login proxy"
}
imap_guessing_proxy_cleanup()
{
	common_cleanup
}

# guessing_imap [LISTEN-OPTIONS]: imap_guessing's body.
guessing_imap()
{
	setup imap "$GUARD" "$1"
	$PYTHON "$DRIVE" imap "$PORT" 127.0.0.1 testuser wrong 7 > guesses &
	guesser=$!
	other_address imap
	wait $guesser
	cat guesses
	check_times guesses NO "NO [UNAVAILABLE] Too many failed logins"
	# Blocked is blocked, whatever the password.
	atf_check -o match:'^1 NO .*\[UNAVAILABLE\]' \
	    $PYTHON "$DRIVE" imap "$PORT" 127.0.0.1 testuser testpass 1
	# The server saw the five guesses, not what came after.
	n=$(grep -c 'imap-login: Info: Disconnected.*auth failed\|imap-login: Info: .*Aborted login.*auth failed' \
	    dv/dovecot-info.log)
	[ "$n" -le 5 ] || atf_fail "Dovecot saw $n failed logins, not 5"
	wait_log "login: address 127\.0\.0\.1 blocked for 60 s after 5 failures"
	wait_log "login refused: the address is blocked"
	wait_until 10 grep -q '"what":"blocked-address"' audit/worker-*.log ||
	    atf_fail "no blocked-address record in the audit logs"
	grep -q '"what":"delay","n":2000' audit/worker-*.log ||
	    atf_fail "no delay record in the audit logs"
	no_deaths
}

atf_test_case pop3_guessing cleanup
pop3_guessing_head()
{
	common_head
	atf_set descr "POP3 USER/PASS guessed from 127.0.0.1: the -ERR" \
	    "comes after 0, 1, 2 s, then -ERR [SYS/TEMP]; meanwhile a" \
	    "correct login from 127.0.0.2 is not slowed"
}
pop3_guessing_body()
{
	guessing_pop3
}
pop3_guessing_cleanup()
{
	common_cleanup
}

atf_test_case pop3_guessing_proxy cleanup
pop3_guessing_proxy_head()
{
	common_head
	atf_set descr "the same through a POP3 login proxy listener: postern" \
	    "answers USER and takes PASS, replays both; the delays and the" \
	    "block are the same"
}
pop3_guessing_proxy_body()
{
	guessing_pop3 "login proxy"
}
pop3_guessing_proxy_cleanup()
{
	common_cleanup
}

# guessing_pop3 [LISTEN-OPTIONS]: pop3_guessing's body.
guessing_pop3()
{
	setup pop3 "$GUARD" "$1"
	$PYTHON "$DRIVE" pop3 "$PORT" 127.0.0.1 testuser wrong 7 > guesses &
	guesser=$!
	other_address pop3
	wait $guesser
	cat guesses
	check_times guesses -ERR "-ERR [SYS/TEMP] Too many failed logins"
	atf_check -o match:'^1 -ERR .*\[SYS/TEMP\]' \
	    $PYTHON "$DRIVE" pop3 "$PORT" 127.0.0.1 testuser testpass 1
	wait_log "login: address 127\.0\.0\.1 blocked for 60 s after 5 failures"
	no_deaths
}

atf_test_case user_block cleanup
user_block_head()
{
	common_head
	atf_set descr "login block user: failures for one name from two" \
	    "addresses block the name, not another name"
}
user_block_body()
{
	setup imap "login delay 0
login block address after 50 within 1m for 1m
login block user after 4 within 1m for 1m"
	atf_check -o ignore $PYTHON "$DRIVE" imap "$PORT" 127.0.0.1 \
	    victim wrong 2
	atf_check -o ignore $PYTHON "$DRIVE" imap "$PORT" 127.0.0.2 \
	    victim wrong 2
	wait_log 'login: user "victim" blocked for 60 s after 4 failures'
	atf_check -o match:'^1 NO .*\[UNAVAILABLE\]' \
	    $PYTHON "$DRIVE" imap "$PORT" 127.0.0.3 victim testpass 1
	atf_check -o match:'^1 OK ' \
	    $PYTHON "$DRIVE" imap "$PORT" 127.0.0.1 other testpass 1
	no_deaths
}
user_block_cleanup()
{
	common_cleanup
}

atf_test_case sessions_per_user cleanup
sessions_per_user_head()
{
	common_head
	atf_set descr "limit sessions per-user 1: a second session of the" \
	    "user is ended after its login (BYE [LIMIT], -ERR [IN-USE]);" \
	    "once the first ends, the user may log in again"
}
sessions_per_user_body()
{
	setup imap "limit sessions per-user 1"
	atf_check -o inline:"first: OK
second: * BYE [LIMIT] Too many sessions for this user
second: EOF
third: OK
" $PYTHON "$DRIVE" sessions imap "$PORT" testuser testpass
	grep -q '"what":"sessions"' audit/worker-*.log ||
	    atf_fail "no sessions record in the audit logs"
	no_deaths
}
sessions_per_user_cleanup()
{
	common_cleanup
}

atf_test_case pop3_sessions_per_user cleanup
pop3_sessions_per_user_head()
{
	common_head
	atf_set descr "limit sessions per-user 1 with POP3"
}
pop3_sessions_per_user_body()
{
	setup pop3 "limit sessions per-user 1"
	atf_check -o inline:"first: +OK
second: -ERR [IN-USE] Too many sessions for this user
second: EOF
third: +OK
" $PYTHON "$DRIVE" sessions pop3 "$PORT" testuser testpass
	no_deaths
}
pop3_sessions_per_user_cleanup()
{
	common_cleanup
}

atf_test_case known_block cleanup
known_block_head()
{
	common_head
	atf_set descr "postern-policyd silent (stopped): a block the" \
	    "session learned of still holds, after timeout policy"
}
known_block_body()
{
	setup imap "login delay 0
login block address after 3 within 1m for 1m
timeout policy 500"
	atf_check -o ignore $PYTHON "$DRIVE" imap "$PORT" 127.0.0.1 \
	    testuser wrong 3
	wait_log "login: address 127\.0\.0\.1 blocked"
	$PYTHON - "$PORT" > session <<'EOF2' &
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
f = s.makefile("rb")
f.readline()
s.sendall(b"a LOGIN testuser testpass\r\n")
print(f.readline().decode().strip(), flush=True)
while not os.path.exists("go"):
    time.sleep(0.05)
s.sendall(b"b LOGIN testuser testpass\r\n")
print(f.readline().decode().strip(), flush=True)
EOF2
	session=$!
	wait_file session "^a NO \[UNAVAILABLE\] Too many failed logins"
	pd=$(pgrep -P "$(cat posternd.pid)" -x postern-policyd)
	[ -n "$pd" ] || atf_fail "no policyd"
	kill -STOP "$pd"
	touch go
	wait $session
	kill -CONT "$pd"
	cat session
	grep -q "^b NO \[UNAVAILABLE\] Too many failed logins" session ||
	    atf_fail "the second login was not refused as blocked"
	wait_log "logins of this session go uncounted"
	wait_log "the address is blocked after too many failed logins \(as postern-policyd said before\)"
	no_deaths
}
known_block_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case known_block
	atf_add_test_case imap_guessing
	atf_add_test_case imap_guessing_proxy
	atf_add_test_case pop3_guessing
	atf_add_test_case pop3_guessing_proxy
	atf_add_test_case user_block
	atf_add_test_case sessions_per_user
	atf_add_test_case pop3_sessions_per_user
}
