#! /usr/bin/env atf-sh
# The connect rules decide each connection's TLS mode: posternd with a
# policy store and an audit dir in front of the Dovecot fixture, clients
# (imaplib, raw sockets) from different loopback addresses, which the
# rules tell apart; the rules' tls condition after STARTTLS and with
# implicit TLS; refusal when no connect rule holds, and when policyd
# does not answer.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/worker/connectdrive.py

certs()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ec.key -out ec.crt -days 2 -subj /CN=ec.test \
	    -addext subjectAltName=DNS:ec.test >/dev/null 2>&1 ||
	    atf_fail "openssl req ec"
	chmod 600 ec.key
}

# setup: Dovecot, ./rules in the store, posternd with four listeners:
# st (STARTTLS, a certificate), imaps (implicit), plain (none) and pop
# (POP3, none).
setup()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	certs
	mkdir -p empty store audit
	chmod 755 empty audit
	chmod 700 store
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	ST=$(free_port)
	IMAPS=$(free_port)
	PLAIN=$(free_port)
	POP=$(free_port)
	cert="certificate \"$PWD/ec.crt\" key \"$PWD/ec.key\""
	cat > postern.conf <<EOF2
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
audit dir "$PWD/audit"
pool min-idle 1 max 20 sessions 100
timeout start 10 drain 2 policy 500
listen on 127.0.0.1 port $ST imap name st tls starttls $cert \
	upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $IMAPS imap name imaps tls implicit $cert \
	upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $PLAIN imap name plain \
	upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $POP pop3 name pop \
	upstream 127.0.0.1 port $POP3_PORT
EOF2
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" 4
	wait_file log "policy enforced" 4
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON openssl"
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
		atf_fail "a child died"
	fi
}

# The connect verdicts of the audit log, one line each:
# client listener what action rule.
connect_records()
{
	$PYTHON - audit/*.log <<'EOF2'
import json, sys
for p in sys.argv[1:]:
    for l in open(p):
        r = json.loads(l)
        if r.get("event") == "verdict" and r.get("table") == "connect":
            print(r.get("client"), r.get("listener"), r.get("what", "-"),
                  r.get("action"), r.get("rule"))
EOF2
}

# wait_events CLIENT EVENT: up to 10 s for EVENT among the audit
# records of CLIENT's sessions, which go to ./events, one a line: the
# event and its table or reason.
has_event()
{
	$PYTHON - "$1" audit/*.log > events <<'EOF2'
import json, sys
for p in sys.argv[2:]:
    for l in open(p):
        r = json.loads(l)
        if r.get("client") == sys.argv[1]:
            print(r.get("event"), r.get("table", r.get("reason", "-")))
EOF2
	grep -q "^$2 " events
}

wait_events()
{
	wait_until 10 has_event "$1" "$2" && return 0
	cat events >&2
	atf_fail "no $2 record of $1 in the audit log"
}

# wait_records N: up to 10 s for N connect verdicts in ./rec.
has_records()
{
	connect_records > rec
	[ "$(wc -l < rec)" -ge "$1" ]
}

wait_records()
{
	wait_until 10 has_records "$1" && return 0
	cat rec >&2
	atf_fail "not $1 connect verdicts in the audit log"
}

rules()
{
	cat > rules <<'EOF2'
imap connect tls implicit          if listener imaps and not client 127.0.0.6
imap connect tls starttls-required if client 127.0.0.2
imap connect tls starttls          if client 127.0.0.3
imap connect tls none              if client 127.0.0.4
imap connect tls implicit          if client 127.0.0.5
imap request LOGIN reject "[PRIVACYREQUIRED] Use TLS first" unless tls
imap request * accept
imap response * all * accept
imap capability * accept
pop3 connect tls none if client 127.0.0.2
pop3 request * accept
pop3 response * * accept
pop3 capability * accept
EOF2
}

atf_test_case modes cleanup
modes_head()
{
	common_head
	atf_set descr "connect rules by client address and listener:" \
	    "starttls-required, starttls, none; a rule the listener cannot" \
	    "honour gives the listener's mode; LOGIN reject unless tls" \
	    "holds in plaintext and not after STARTTLS or over implicit TLS;" \
	    "each verdict in the audit log"
}
modes_body()
{
	rules
	setup
	atf_check -o inline:"required ok\n" $PYTHON "$DRIVE" required $ST \
	    127.0.0.2
	# again: the worker's verdict cache keeps the mode too
	atf_check -o inline:"required ok\n" $PYTHON "$DRIVE" required $ST \
	    127.0.0.2
	atf_check -o inline:"offered ok\n" $PYTHON "$DRIVE" offered $ST \
	    127.0.0.3
	atf_check -o inline:"none ok\n" $PYTHON "$DRIVE" none $ST 127.0.0.4
	atf_check -o inline:"implicit ok\n" $PYTHON "$DRIVE" implicit \
	    $IMAPS 127.0.0.3
	# implicit on a plaintext-first listener: its mode, and a log line
	atf_check -o inline:"offered ok\n" $PYTHON "$DRIVE" offered $ST \
	    127.0.0.5
	wait_log "connect rule .*rules:5 asks for TLS implicit, which listener st cannot do: starttls"
	# STARTTLS needs a certificate: none on the plain listener
	atf_check -o inline:"none ok\n" $PYTHON "$DRIVE" none $PLAIN \
	    127.0.0.2
	wait_log "asks for TLS starttls-required, which listener plain cannot do: none"
	no_deaths
	wait_records 7
	atf_check -o match:"^127.0.0.2 st starttls-required tls .*rules:2$" \
	    -o match:"^127.0.0.3 st starttls tls .*rules:3$" \
	    -o match:"^127.0.0.4 st none tls .*rules:4$" \
	    -o match:"^127.0.0.3 imaps implicit tls .*rules:1$" \
	    -o match:"^127.0.0.5 st starttls tls .*rules:5$" \
	    -o match:"^127.0.0.2 plain none tls .*rules:2$" cat rec
	# the second from the cache, if the same worker had it, still
	# names its rule
	atf_check -o inline:"2\n" grep -c \
	    "^127.0.0.2 st starttls-required tls rules:2$" rec
	atf_check -o ignore "$POLICYCTL" audit verify audit/*.log
}
modes_cleanup()
{
	common_cleanup
}

atf_test_case refused cleanup
refused_head()
{
	common_head
	atf_set descr "no connect rule holds: * BYE, in plaintext or over" \
	    "implicit TLS, and nothing reaches Dovecot; a rule set without" \
	    "connect rules keeps each listener's mode"
}
refused_body()
{
	rules
	setup
	atf_check -o inline:"* BYE Connection refused\nEOF\n" \
	    $PYTHON "$DRIVE" first $ST 127.0.0.1
	atf_check -o inline:"* BYE Connection refused\nEOF\n" \
	    $PYTHON "$DRIVE" first $IMAPS 127.0.0.6 tls
	wait_log "connection from 127.0.0.6 refused: no connect rule holds"
	wait_records 2
	atf_check -o match:"^127.0.0.1 st - reject default$" \
	    -o match:"^127.0.0.6 imaps - reject default$" cat rec
	# No connect rule at all: the listeners' own modes.
	grep -v connect rules > rules2
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules2
	atf_check -o inline:"offered ok\n" $PYTHON "$DRIVE" offered $ST \
	    127.0.0.1
	atf_check -o inline:"none ok\n" $PYTHON "$DRIVE" none $PLAIN \
	    127.0.0.1
	atf_check -o inline:"implicit ok\n" $PYTHON "$DRIVE" implicit \
	    $IMAPS 127.0.0.6
	no_deaths
}
refused_cleanup()
{
	common_cleanup
}

atf_test_case fail_closed cleanup
fail_closed_head()
{
	common_head
	atf_set descr "policyd stopped: the connect verdict does not come," \
	    "the connection is refused with [UNAVAILABLE], audited as none"
}
fail_closed_body()
{
	rules
	setup
	pd=$(sed -nE 's/^posternd: policyd pid ([0-9]+) ready$/\1/p' log |
	    tail -1)
	[ -n "$pd" ] || atf_fail "no policyd pid in the log"
	kill -STOP "$pd"
	$PYTHON "$DRIVE" first $ST 127.0.0.2 > out
	kill -CONT "$pd"
	atf_check -o inline:"* BYE [UNAVAILABLE] Policy unavailable\nEOF\n" \
	    cat out
	wait_log "no connect verdict for 127.0.0.2: connection refused"
	wait_records 1
	atf_check -o match:"^127.0.0.2 st - none None$" cat rec
	# refused at connect: no other verdict asked, ended by the policy
	wait_events 127.0.0.2 disconnect
	atf_check -o inline:"connect -\nverdict connect\ndisconnect policy\n" \
	    grep -v -E "^(open|rotate|tls)" events
	# policyd answers again: so does the connect table
	atf_check -o inline:"required ok\n" $PYTHON "$DRIVE" required $ST \
	    127.0.0.2
	no_deaths
}
fail_closed_cleanup()
{
	common_cleanup
}

atf_test_case pop3 cleanup
pop3_head()
{
	common_head
	atf_set descr "POP3 asks its own connect table: -ERR when no" \
	    "pop3 connect rule holds, the session when one does"
}
pop3_body()
{
	rules
	setup
	atf_check -o inline:"-ERR Connection refused\nEOF\n" \
	    $PYTHON "$DRIVE" first $POP 127.0.0.1
	atf_check -o inline:"pop3 ok\n" $PYTHON "$DRIVE" pop3 $POP 127.0.0.2
	wait_records 2
	atf_check -o match:"^127.0.0.1 pop - reject default$" \
	    -o match:"^127.0.0.2 pop none tls .*rules:10$" cat rec
	no_deaths
}
pop3_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case pop3
	atf_add_test_case modes
	atf_add_test_case refused
	atf_add_test_case fail_closed
}
