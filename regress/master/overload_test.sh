#! /usr/bin/env atf-sh
# Overload, with the real posternd and workers in front of the Dovecot
# fixture: a client that finds the pool full waits in the master's queue
# and is served when a session ends, or refused in words after
# "timeout queue" (IMAP * BYE [UNAVAILABLE], POP3 -ERR [SYS/TEMP]; an
# implicit TLS listener closes without a word); a full queue and "limit
# connections per-client" refuse at once; a client dribbling its login
# is cut at "timeout login" while another logs in.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
FIXTURE=@OBJDIR@/regress/fixture/dovecot
CLIENT=@TOPDIR@/regress/master/overload.py

# setup "STATEMENTS" [tls]: Dovecot, then posternd with an IMAP listener
# t1 on $PORT and a POP3 listener p1 on $PPORT (and, with tls, an IMAPS
# listener s1 on $SPORT), the statements added; min-idle workers ready.
setup()
{
	[ -f dv/ports ] ||
	    atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=$(free_port)
	PPORT=$(free_port)
	mkdir -p empty audit
	chmod 755 empty audit
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
audit dir "$PWD/audit"
pool min-idle 1 max 2 sessions 100
timeout start 10 drain 2
$1
listen on 127.0.0.1 port $PORT imap name t1 \
	upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $PPORT pop3 name p1 \
	upstream 127.0.0.1 port $POP3_PORT
EOF
	nready=2
	if [ "$2" = tls ]; then
		certs
		SPORT=$(free_port)
		cat >> postern.conf <<EOF
listen on 127.0.0.1 port $SPORT imap name s1 tls implicit \
	certificate "$PWD/rsa.crt" key "$PWD/rsa.key" \
	upstream 127.0.0.1 port $IMAP_PORT
EOF
		nready=3
	fi
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" $nready
}

certs()
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key \
	    -out rsa.crt -days 2 -subj /CN=rsa.test >/dev/null 2>&1 ||
	    atf_fail "openssl req"
	chmod 600 rsa.key
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON openssl"
	atf_set timeout 120
}

common_cleanup()
{
	for f in *.frozen; do
		[ -f "$f" ] && kill -CONT $(cat "$f") 2>/dev/null
	done
	[ -f posternd.pid ] && kill -9 "$(cat posternd.pid)" 2>/dev/null
	for f in *.pid; do
		[ "$f" != posternd.pid ] && [ -f "$f" ] &&
		    kill "$(cat "$f")" 2>/dev/null
	done
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# hold NAME PORT [tls]: a session that has its greeting and stays.
hold()
{
	$PYTHON "$CLIENT" hold $2 $3 > $1.out 2>&1 &
	echo $! > $1.pid
	wait_file $1.out "^held "
}

# release NAME: the held client goes; its session ends.
release()
{
	kill "$(cat $1.pid)"
	wait "$(cat $1.pid)" 2>/dev/null
	rm $1.pid
}

# after FILE LO HI: the "after S" line of FILE is within [LO, HI] s.
after()
{
	sed -n 's/^after //p' $1 | awk -v lo=$2 -v hi=$3 \
	    '{ ok = $1 >= lo && $1 <= hi } END { exit !(NR == 1 && ok) }' ||
	    { cat $1 >&2; atf_fail "$1: not within $2 to $3 s"; }
}

no_deaths()
{
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a worker died"
	fi
}

# freeze NAME PID...: stopped (SIGSTOP) until thaw NAME, or the cleanup.
freeze()
{
	n=$1
	shift
	kill -STOP "$@"
	echo "$@" > $n.frozen
}

thaw()
{
	kill -CONT $(cat $1.frozen)
	rm $1.frozen
}

# T1_TEMPLATE: the pid of listener t1's template.
t1_template()
{
	T1_TEMPLATE=$(sed -nE 's/^posternd: t1: template pid ([0-9]+) ready$/\1/p' \
	    log | head -1)
	[ -n "$T1_TEMPLATE" ] || atf_fail "no template of t1 in the log"
}

# waiting NAME [PORT]: a client in the background that writes its first
# line and how long it took (overload.py first) to NAME.out; its pid in
# NAME.pid.
waiting()
{
	$PYTHON "$CLIENT" first ${2:-$PORT} > $1.out 2>&1 &
	echo $! > $1.pid
}

# clients N: N clients connect at once and wait for their first line.
clients()
{
	for c in $(seq 1 $1); do
		waiting c$c
	done
}

# served N: each of the N clients had Dovecot's greeting; none refused.
served()
{
	for c in $(seq 1 $1); do
		wait_file c$c.out "^after "
		atf_check -o match:"^\* OK .*Dovecot" cat c$c.out
	done
	atf_check -o not-match:"refused" cat log
}

atf_test_case queue_timeout cleanup
queue_timeout_head()
{
	common_head
	atf_set descr "pool max 2 with two sessions held: a third IMAP" \
	    "client waits timeout queue, then gets * BYE [UNAVAILABLE]" \
	    "and the close, and the master logs it"
}
queue_timeout_body()
{
	setup "timeout queue 2"
	hold a $PORT
	hold b $PORT
	$PYTHON "$CLIENT" first $PORT > c.out
	after c.out 1.9 4.5
	atf_check -o match:"^\* BYE \[UNAVAILABLE\] Server busy, try again later$" \
	    -o match:"^eof$" cat c.out
	wait_log "^posternd: t1: pool full, client 127\.0\.0\.1 port [0-9]+ refused after [0-9]+ ms$"
	# The two held sessions were not disturbed.
	atf_check -o match:"^held \* OK" cat a.out
	atf_check -o match:"^held \* OK" cat b.out
	no_deaths
}
queue_timeout_cleanup()
{
	common_cleanup
}

atf_test_case queue_served cleanup
queue_served_head()
{
	common_head
	atf_set descr "a client waiting in the queue is served, in order," \
	    "as soon as a session ends"
}
queue_served_body()
{
	setup "timeout queue 30"
	hold a $PORT
	hold b $PORT
	# c and d keep their session once they have it
	waiting c
	wait_log "^posternd: t1: client 127\.0\.0\.1 port [0-9]+ waits for a worker, 1 waiting$"
	waiting d
	wait_log "^posternd: t1: client 127\.0\.0\.1 port [0-9]+ waits for a worker, 2 waiting$"
	release a
	wait_file c.out "^after "
	atf_check -o match:"^\* OK .*Dovecot" cat c.out
	after c.out 0 25
	# d came second: it still waits
	atf_check -o empty cat d.out
	release b
	wait_file d.out "^after "
	atf_check -o match:"^\* OK .*Dovecot" cat d.out
	wait_log "t1: client 127\.0\.0\.1 port [0-9]+ waited [0-9]+ ms for a worker" 2
	atf_check -o not-match:"refused" cat log
	no_deaths
}
queue_served_cleanup()
{
	common_cleanup
}

atf_test_case queue_full cleanup
queue_full_head()
{
	common_head
	atf_set descr "limit queue 1: with one client waiting, the next is" \
	    "refused at once"
}
queue_full_body()
{
	setup "timeout queue 30
limit queue 1"
	hold a $PORT
	hold b $PORT
	waiting c
	wait_log "^posternd: t1: client 127\.0\.0\.1 port [0-9]+ waits for a worker, 1 waiting$"
	$PYTHON "$CLIENT" first $PORT > d.out
	after d.out 0 1.5
	atf_check -o match:"^\* BYE \[UNAVAILABLE\] Server busy, try again later$" \
	    -o match:"^eof$" cat d.out
	wait_log "^posternd: t1: pool full and queue full \(limit queue 1\), client 127\.0\.0\.1 port [0-9]+ refused after 0 ms$"
	# the one waiting is served when a session ends
	release a
	wait_file c.out "^after "
	atf_check -o match:"^\* OK .*Dovecot" cat c.out
	# SIGTERM refuses who waits, and posternd exits 0, with nothing
	# left behind (the sanitizer build's LeakSanitizer would say)
	waiting e
	wait_log "^posternd: t1: client 127\.0\.0\.1 port [0-9]+ waits for a worker, 1 waiting$" 2
	cp posternd.pid pid
	kill -TERM "$(cat pid)"
	wait_file e.out "^eof$"
	atf_check -o match:"^\* BYE \[UNAVAILABLE\] Server busy, try again later$" \
	    cat e.out
	wait_log "^posternd: t1: listener closed, client 127\.0\.0\.1 port [0-9]+ refused after [0-9]+ ms$"
	wait_exit
	atf_check_equal 0 $status
	no_deaths
}
queue_full_cleanup()
{
	common_cleanup
}

atf_test_case burst cleanup
burst_head()
{
	common_head
	atf_set descr "a burst of clients beyond limit queue while the pool" \
	    "can still grow is served, not refused: they wait for the" \
	    "workers started for them"
}
burst_body()
{
	setup "timeout queue 30
limit queue 2
pool max 8"
	clients 8
	served 8
	no_deaths
}
burst_cleanup()
{
	common_cleanup
}

atf_test_case storm cleanup
storm_head()
{
	common_head
	atf_set descr "a storm beyond limit queue while the pool can grow" \
	    "leaves the listen backlog at once: with the template stopped," \
	    "no worker starts, and every client waits in posternd's queue;" \
	    "then each is served, none refused"
}
storm_body()
{
	setup "timeout queue 60
limit queue 1
pool min-idle 1 max 40"
	t1_template
	freeze template $T1_TEMPLATE
	clients 30
	# One takes the idle worker; 29 wait, 28 more than limit queue.
	wait_log "^posternd: t1: client 127\.0\.0\.1 port [0-9]+ waits for a worker, 29 waiting$"
	thaw template
	served 30
	no_deaths
}
storm_cleanup()
{
	common_cleanup
}

atf_test_case connecting cleanup
connecting_head()
{
	common_head
	atf_set descr "limit connecting 1: with Dovecot's login process" \
	    "stopped, one session waits for its greeting and the next" \
	    "client waits in posternd's queue, not in Dovecot's; both are" \
	    "served once Dovecot greets"
}
connecting_body()
{
	setup "timeout queue 60
limit connecting 1
pool min-idle 2 max 8"
	logins=$(pgrep -P "$(cat dv/run/master.pid)" -x imap-login)
	[ -n "$logins" ] || atf_fail "no imap-login of this Dovecot"
	freeze logins $logins
	waiting a
	wait_log "^posternd: t1: session [0-9]+ from 127\.0\.0\.1 port [0-9]+ to worker slot"
	waiting b
	wait_log "^posternd: t1: client 127\.0\.0\.1 port [0-9]+ waits for the server's greetings \(limit connecting\), 1 waiting$"
	thaw logins
	for c in a b; do
		wait_file $c.out "^after "
		atf_check -o match:"^\* OK .*Dovecot" cat $c.out
	done
	atf_check -o not-match:"refused" cat log
	no_deaths
}
connecting_cleanup()
{
	common_cleanup
}

atf_test_case stalled cleanup
stalled_head()
{
	common_head
	atf_set descr "while the pool may grow but no worker comes (the" \
	    "template stopped), a waiting client is refused timeout queue" \
	    "after it came, with no worker ready"
}
stalled_body()
{
	setup "timeout queue 2
pool min-idle 1 max 40"
	t1_template
	freeze template $T1_TEMPLATE
	hold a $PORT
	$PYTHON "$CLIENT" first $PORT > c.out
	after c.out 1.9 4.5
	atf_check -o match:"^\* BYE \[UNAVAILABLE\] Server busy, try again later$" \
	    cat c.out
	wait_log "^posternd: t1: no worker ready, client 127\.0\.0\.1 port [0-9]+ refused after [0-9]+ ms$"
	thaw template
	no_deaths
}
stalled_cleanup()
{
	common_cleanup
}

atf_test_case pop3 cleanup
pop3_head()
{
	common_head
	atf_set descr "POP3: a client that waited timeout queue gets" \
	    "-ERR [SYS/TEMP]"
}
pop3_body()
{
	setup "timeout queue 1"
	hold a $PPORT
	hold b $PPORT
	atf_check -o match:"^held \+OK" cat a.out
	$PYTHON "$CLIENT" first $PPORT > c.out
	after c.out 0.9 3.5
	atf_check -o match:"^-ERR \[SYS/TEMP\] Server busy, try again later$" \
	    -o match:"^eof$" cat c.out
	wait_log "^posternd: p1: pool full, client 127\.0\.0\.1 port [0-9]+ refused after [0-9]+ ms$"
	# The IMAP listener has its own pool.
	atf_check -o match:"^\* OK .*Dovecot" $PYTHON "$CLIENT" greet $PORT
	no_deaths
}
pop3_cleanup()
{
	common_cleanup
}

atf_test_case implicit_tls cleanup
implicit_tls_head()
{
	common_head
	atf_set descr "an implicit TLS listener's refusal is the close," \
	    "with no word in plaintext, and says so in the log"
}
implicit_tls_body()
{
	setup "timeout queue 1" tls
	hold a $SPORT tls
	hold b $SPORT tls
	$PYTHON "$CLIENT" first $SPORT tls > c.out
	after c.out 0.9 3.5
	atf_check -o match:"^closed" -o not-match:"BYE" cat c.out
	wait_log "^posternd: s1: pool full, client 127\.0\.0\.1 port [0-9]+ refused after [0-9]+ ms \(TLS listener: closed without a word\)$"
	no_deaths
}
implicit_tls_cleanup()
{
	common_cleanup
}

atf_test_case per_client cleanup
per_client_head()
{
	common_head
	atf_set descr "limit connections per-client 2: a third session from" \
	    "127.0.0.1, on any listener, is refused at once; once one" \
	    "ends, the next is served"
}
per_client_body()
{
	setup "limit connections per-client 2
pool max 4"
	hold a $PORT
	hold b $PPORT
	$PYTHON "$CLIENT" first $PORT > c.out
	after c.out 0 1.5
	atf_check -o match:"^\* BYE \[UNAVAILABLE\] Too many connections from your address$" \
	    -o match:"^eof$" cat c.out
	wait_log "^posternd: t1: client 127\.0\.0\.1 port [0-9]+ refused: 2 connections from 127\.0\.0\.1 \(limit connections per-client 2\)$"
	$PYTHON "$CLIENT" first $PPORT > d.out
	atf_check -o match:"^-ERR \[SYS/TEMP\] Too many connections from your address$" \
	    cat d.out
	wait_log "^posternd: p1: client 127\.0\.0\.1 port [0-9]+ refused: 2 connections"
	release a
	wait_log "t1: session [0-9]+ ended"
	atf_check -o match:"^\* OK .*Dovecot" $PYTHON "$CLIENT" greet $PORT
	no_deaths
}
per_client_cleanup()
{
	common_cleanup
}

atf_test_case slowloris cleanup
slowloris_head()
{
	common_head
	atf_set descr "a client that dribbles its login a byte every 0.3 s" \
	    "is cut at timeout login with * BYE [UNAVAILABLE] Login" \
	    "timeout (POP3: -ERR [SYS/TEMP]), logged and audited, while a" \
	    "client on the same listener logs in"
}
slowloris_body()
{
	setup "timeout login 2
pool min-idle 2 max 4"
	$PYTHON "$CLIENT" slow $PORT imap > slow.out 2>&1 &
	echo $! > slow.pid
	$PYTHON "$CLIENT" slow $PPORT pop3 > pslow.out 2>&1 &
	echo $! > pslow.pid
	wait_file slow.out "^greeting \* OK"
	atf_check -o inline:"login ok\n" $PYTHON "$CLIENT" login $PORT imap
	wait "$(cat slow.pid)"
	wait "$(cat pslow.pid)"
	after slow.out 1.9 4.5
	after pslow.out 1.9 4.5
	atf_check -o match:"^\* BYE \[UNAVAILABLE\] Login timeout$" \
	    -o match:"^eof$" cat slow.out
	atf_check -o match:"^-ERR \[SYS/TEMP\] Login timeout$" \
	    -o match:"^eof$" cat pslow.out
	wait_log "session [0-9]+: client 127\.0\.0\.1 port [0-9]+ not logged in after 2 s: closed" 2
	wait_until 10 sh -c "cat audit/worker-*.log |
	    grep -c '\"reason\":\"login-timeout\"' | grep -qx 2" ||
	    atf_fail "no two disconnect records with reason login-timeout"
	no_deaths
}
slowloris_cleanup()
{
	common_cleanup
}

atf_test_case login_owed cleanup
login_owed_head()
{
	common_head
	atf_set descr "a LOGIN the server has not answered when timeout" \
	    "login passes is the server's time: the client gets the" \
	    "answer (Dovecot delays a failed login 2 s), then the close"
}
login_owed_body()
{
	setup "timeout login 1"
	cat > owed.py <<EOF
import imaplib, sys, time
m = imaplib.IMAP4("127.0.0.1", $PORT, timeout=20)
t = time.monotonic()
try:
    m.login("testuser", "wrong")
    print("logged in")
except imaplib.IMAP4.abort as e:
    print("abort", e)
except imaplib.IMAP4.error as e:
    print("no", e)
print("after %.2f" % (time.monotonic() - t))
EOF
	$PYTHON owed.py > owed.out 2>&1
	cat owed.out
	atf_check -o match:"^no .*AUTHENTICATIONFAILED" cat owed.out
	# The answer came after the deadline, or this proves nothing.
	after owed.out 1.1 10
	wait_log "session [0-9]+: client 127\.0\.0\.1 port [0-9]+ not logged in after 1 s: closed"
	no_deaths
}
login_owed_cleanup()
{
	common_cleanup
}

atf_test_case reload cleanup
reload_head()
{
	common_head
	atf_set descr "SIGHUP keeps the clients waiting on a listener that" \
	    "stays, for the new pool, which serves them as the old" \
	    "configuration's sessions end; a removed listener's are refused"
}
reload_body()
{
	setup "timeout queue 30"
	hold a $PORT
	hold b $PORT
	hold pa $PPORT
	hold pb $PPORT
	waiting c
	waiting d $PPORT
	wait_log "^posternd: t1: client 127\.0\.0\.1 port [0-9]+ waits for a worker, 1 waiting$"
	wait_log "^posternd: p1: client 127\.0\.0\.1 port [0-9]+ waits for a worker, 1 waiting$"
	# p1 goes, t1 stays
	sed -i '/pop3 name p1/,+1d' postern.conf
	kill -HUP "$(cat posternd.pid)"
	wait_log "^posternd: postern.conf: reloaded$"
	wait "$(cat d.pid)"
	atf_check -o match:"^-ERR \[SYS/TEMP\] Server busy, try again later$" \
	    cat d.out
	wait_log "^posternd: p1: listener closed, client 127\.0\.0\.1 port [0-9]+ refused after [0-9]+ ms$"
	# t1's old workers keep a and b, and count against its pool max
	# (2): c waits until one of them ends, then the new pool serves it
	atf_check -o empty cat c.out
	atf_check -o match:"^held \* OK" cat a.out
	release a
	wait_file c.out "^\* OK .*Dovecot"
	atf_check -o match:"^held \* OK" cat b.out
	no_deaths
}
reload_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case queue_timeout
	atf_add_test_case queue_served
	atf_add_test_case queue_full
	atf_add_test_case burst
	atf_add_test_case storm
	atf_add_test_case stalled
	atf_add_test_case connecting
	atf_add_test_case pop3
	atf_add_test_case implicit_tls
	atf_add_test_case per_client
	atf_add_test_case slowloris
	atf_add_test_case login_owed
	atf_add_test_case reload
}
