#! /usr/bin/env atf-sh
# posternd's children dying under live sessions, with the Dovecot
# fixture: postern-policyd and postern-keyd killed with SIGKILL are
# started again and reach every live worker, idle or busy, without
# costing a client and without the pool's back-off (a session whose
# policyd stays away longer than `timeout policy' ends); a busy worker
# killed by a signal leaves its session's end in posternd's log.  Every
# wait is for an event (a log line, a file, a process), bounded.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/master/restartdrive.py

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON openssl"
	atf_set timeout 180
}

common_cleanup()
{
	[ -f pid ] && kill -9 "$(cat pid)" 2>/dev/null
	[ -f hold.pid ] && kill "$(cat hold.pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# setup LISTEN-LINE WORKERS [extra postern.conf lines]: Dovecot, posternd
# with the line and WORKERS workers ready.
setup()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	mkdir -p empty
	chmod 755 empty
	PORT=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
pool min-idle $2 max 40 sessions 100
timeout start 10 drain 2
$3
$(echo "$1" | sed "s/@PORT@/$PORT/; s/@IMAP@/$IMAP_PORT/")
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" "$2"
}

# The rules of the policy cases: SELECT has an argument a rule reads, so
# its verdict is asked of policyd each time; "Private" is refused.
store()
{
	mkdir -p store
	chmod 700 store
	cat > rules <<EOF
imap request SELECT reject "No access" if arg 1 ~ "Private*"
imap request * accept
imap response * all * accept
imap capability * accept
EOF
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
}

certs()
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key \
	    -out rsa.crt -days 2 -subj /CN=rsa.test >/dev/null 2>&1 ||
	    atf_fail "openssl req"
	chmod 600 rsa.key
}

# hold plain|tls policy|nopolicy: a logged-in session in the
# background, up when hold/up is.
hold()
{
	mkdir -p hold
	$PYTHON "$DRIVE" hold $PORT $1 $2 "$PWD/hold" > hold.out 2>&1 &
	echo $! > hold.pid
	wait_until 20 test -f hold/up || { cat hold.out; atf_fail "no hold"; }
}

# hold_end: the held session goes on, and says so.
hold_end()
{
	touch hold/go
	wait "$(cat hold.pid)"
	atf_check -o inline:"hold ok\n" cat hold.out
}

no_backoff()
{
	if grep -E "workers failed in a row" log; then
		atf_fail "the pool backed off"
	fi
}

no_worker_deaths()
{
	if grep -E "worker slot [0-9]+ pid [0-9]+ (killed|exited)|SIGSYS|a new worker takes over|to be replaced" log; then
		atf_fail "a worker died or left"
	fi
}

# old_workers N: the pids of the N workers ready so far, in ./old.pids.
old_workers()
{
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" "$1"
	sed -nE 's/^posternd: worker slot [0-9]+ pid ([0-9]+) ready$/\1/p' log \
	    > old.pids
}

# on_old_workers N: the last N sessions went to workers of old.pids.
on_old_workers()
{
	grep -E "session [0-9]+ from .* to worker slot [0-9]+ pid [0-9]+$" log |
	    tail -n "$1" | awk 'NR == FNR { old[$1] = 1; next }
	    !old[$NF] { print "session on a new worker: " $0; bad = 1 }
	    END { exit bad }' old.pids - ||
	    atf_fail "sessions went to workers started after the kill"
}

child_pid()
{
	pgrep -P "$(cat pid)" -x "$1"
}

atf_test_case policyd cleanup
policyd_head()
{
	common_head
	atf_set descr "postern-policyd killed with idle workers and a busy" \
	    "logged-in session: the new policyd reaches every worker; the" \
	    "busy session's verdicts work, 40 sessions on the old workers" \
	    "all succeed, and the pool does not back off"
}
policyd_body()
{
	store
	setup "listen on 127.0.0.1 port @PORT@ imap name t1 upstream 127.0.0.1 port @IMAP@" \
	    4 "policy store \"$PWD/store\""
	wait_log "policy enforced" 4
	hold plain policy
	old_workers 5
	pd=$(child_pid postern-policyd)
	[ -n "$pd" ] || atf_fail "no policyd"
	kill -9 "$pd"
	wait_log "^posternd: policyd pid $pd killed by signal 9$"
	wait_log "^posternd: policyd pid [0-9]+ ready$" 2
	wait_log "^posternd: policyd: a new channel to each of [5-9] workers$"
	[ "$(child_pid postern-policyd)" != "$pd" ] ||
	    atf_fail "the old policyd runs"
	hold_end
	atf_check -o inline:"sessions ok 40\n" \
	    $PYTHON "$DRIVE" sessions $PORT plain 40
	# They went to workers that had a channel to the old policyd.
	on_old_workers 40
	no_backoff
	no_worker_deaths
	if grep -E "Policy unavailable|verdicts fail closed|no verdict" log; then
		atf_fail "a verdict failed"
	fi
}
policyd_cleanup()
{
	common_cleanup
}

atf_test_case policyd_away cleanup
policyd_away_head()
{
	common_head
	atf_set descr "postern-policyd killed, and not back within" \
	    "'timeout policy': a logged-in session that has lost its" \
	    "channel ends with BYE [UNAVAILABLE], logged with the cause" \
	    "policy; once policyd is back, sessions work"
}
policyd_away_body()
{
	store
	# policyd is back a second after its death: later than this.
	setup "listen on 127.0.0.1 port @PORT@ imap name t1 upstream 127.0.0.1 port @IMAP@" \
	    2 "policy store \"$PWD/store\"
timeout policy 200"
	wait_log "policy enforced" 2
	hold plain policy
	line=$(grep -E "^posternd: t1: session [0-9]+ from 127\.0\.0\.1 port [0-9]+ to worker slot [0-9]+ pid [0-9]+$" log | tail -1)
	set -- $line
	sess=$4
	pd=$(child_pid postern-policyd)
	[ -n "$pd" ] || atf_fail "no policyd"
	kill -9 "$pd"
	wait_log "^posternd: t1: session $sess ended \(slot [0-9]+, client 127\.0\.0\.1\): policy; "
	wait_log "session $sess: postern-policyd not back within 200 ms"
	touch hold/go
	wait "$(cat hold.pid)"
	atf_check -o match:"BYE \[UNAVAILABLE\] Policy unavailable" cat hold.out
	wait_log "^posternd: policyd: a new channel to each of [2-9] workers$"
	atf_check -o inline:"sessions ok 5\n" \
	    $PYTHON "$DRIVE" sessions $PORT plain 5
	no_backoff
	no_worker_deaths
}
policyd_away_cleanup()
{
	common_cleanup
}

atf_test_case keyd cleanup
keyd_head()
{
	common_head
	atf_set descr "postern-keyd killed with a busy IMAPS session open:" \
	    "the session keeps its TLS; once keyd is back a new handshake" \
	    "succeeds within 3 s; no worker leaves and the pool does not" \
	    "back off"
}
keyd_body()
{
	certs
	setup "listen on 127.0.0.1 port @PORT@ imap name imaps tls implicit certificate \"$PWD/rsa.crt\" key \"$PWD/rsa.key\" upstream 127.0.0.1 port @IMAP@" \
	    3
	atf_check -o match:"^handshake ok" $PYTHON "$DRIVE" handshake $PORT
	hold tls nopolicy
	old_workers 4
	kd=$(child_pid postern-keyd)
	[ -n "$kd" ] || atf_fail "no keyd"
	kill -9 "$kd"
	wait_log "^posternd: keyd pid $kd killed by signal 9$"
	wait_log "^posternd: keyd pid [0-9]+ ready$" 2
	wait_log "^posternd: keyd: a new channel to each of [3-9] workers$"
	$PYTHON "$DRIVE" handshake $PORT > hs.out 2>&1 ||
	    { cat hs.out; atf_fail "no handshake after keyd's restart"; }
	cat hs.out
	awk '$1 == "handshake" && $2 == "ok" && $3 < 3 { ok = 1 }
	    END { exit !ok }' hs.out || atf_fail "handshake took 3 s or more"
	hold_end
	atf_check -o inline:"sessions ok 10\n" \
	    $PYTHON "$DRIVE" sessions $PORT tls 10
	on_old_workers 11
	no_backoff
	no_worker_deaths
}
keyd_cleanup()
{
	common_cleanup
}

atf_test_case worker_signal cleanup
worker_signal_head()
{
	common_head
	atf_set descr "a busy worker killed by SIGKILL: posternd logs its" \
	    "session's end with the session, the slot, the client and the" \
	    "signal; a session that ends well is logged with its cause"
}
worker_signal_body()
{
	setup "listen on 127.0.0.1 port @PORT@ imap name t1 upstream 127.0.0.1 port @IMAP@" 2
	atf_check -o inline:"sessions ok 1\n" $PYTHON "$DRIVE" sessions $PORT plain 1
	wait_log "^posternd: t1: session [0-9]+ ended \(slot [0-9]+, client 127\.0\.0\.1\): client logout; client [0-9]+ bytes in"
	hold plain nopolicy
	line=$(grep -E "^posternd: t1: session [0-9]+ from 127\.0\.0\.1 port [0-9]+ to worker slot [0-9]+ pid [0-9]+$" log | tail -1)
	set -- $line
	sess=$4 slot=${12} wpid=${14}
	kill -9 "$wpid"
	wait_log "^posternd: t1: session $sess ended \(slot $slot, client 127\.0\.0\.1\): worker killed by signal 9$"
	touch hold/go
	wait "$(cat hold.pid)"
	atf_check -o not-inline:"hold ok\n" cat hold.out
}
worker_signal_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case policyd
	atf_add_test_case policyd_away
	atf_add_test_case keyd
	atf_add_test_case worker_signal
}
