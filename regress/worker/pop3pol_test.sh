#! /usr/bin/env atf-sh
# POP3 policy enforcement, STLS and POP3S behind the real posternd, in
# front of the Dovecot fixture's POP3: rules loaded with policyctl, raw
# sockets (pop3talk.py), Python's poplib, curl and openssl s_client.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
TALK=@TOPDIR@/regress/worker/pop3talk.py
DRIVE=@TOPDIR@/regress/worker/pop3drive.py

# setup [LISTENER-EXTRA [UPSTREAM-EXTRA [CONF-LINE]]]: Dovecot, the store
# with ./rules loaded (none: no policy store), posternd with a POP3
# listener on $PORT.
setup()
{
	[ -f dv/ports ] ||
	    atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=$(free_port)
	# $T LINE...: a conversation through postern (pop3talk.py talk)
	T="$PYTHON $TALK talk $PORT"
	mkdir -p empty store
	chmod 755 empty
	chmod 700 store
	pol=
	if [ -f rules ]; then
		atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" \
		    load rules
		pol="policy store \"$PWD/store\""
	fi
	cat > postern.conf <<EOF2
user nobody
chroot "$PWD/empty"
worker "$WORKER"
$pol
pool min-idle 2 max 20 sessions 100
timeout start 10 drain 2
$3
listen on 127.0.0.1 port $PORT pop3 name p1 $1 \
	upstream 127.0.0.1 port ${UP_PORT:-$POP3_PORT} $2
EOF2
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" 2
	[ -z "$pol" ] || wait_file log "policy enforced" 2
}

certs()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ec.key -out ec.crt -days 2 -subj /CN=ec.test \
	    >/dev/null 2>&1 || atf_fail "openssl req"
	chmod 600 ec.key
	CERT="certificate \"$PWD/ec.crt\" key \"$PWD/ec.key\""
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON curl openssl"
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

LOGIN="USER testuser|PASS testpass"


# disconnects N: the audit logs hold N disconnect records.
disconnects()
{
	[ "$(cat audit/worker-*.log | grep -c '"event":"disconnect"')" -ge "$1" ]
}

atf_test_case requests cleanup
requests_head()
{
	common_head
	atf_set descr "request verdicts: accept, reject (-ERR and +OK)," \
	    "respond, drop, abort, rewrite refused; unknown commands only" \
	    "when a rule names them"
}
requests_body()
{
	cat > rules <<'EOF2'
pop3 request NOOP  reject "+OK noop answered by postern"
pop3 request DELE  reject "no deleting"
pop3 request RSET  drop
pop3 request XYZZY abort
pop3 request LAST  accept
pop3 request XTND  accept-multiline
pop3 request TOP   rewrite "RETR $1"
pop3 request UIDL  respond "+OK 1 by-postern"
pop3 request *     accept
pop3 response * * accept
pop3 capability * accept
EOF2
	setup
	atf_check -o match:'^\+OK noop answered by postern$' \
	    $T "USER testuser" "PASS testpass" NOOP
	# rewrite is not done for POP3: refused; respond answers
	atf_check -o match:'^-ERR Refused by policy$' \
	    -o match:'^\+OK 1 by-postern$' \
	    $T "USER testuser" "PASS testpass" "TOP 1 0" "UIDL 1"
	grep -q "TOP: the rule's rewrite is not done" log ||
	    atf_fail "no log line for the refused rewrite"
	atf_check -o match:'^-ERR no deleting$' \
	    $T "USER testuser" "PASS testpass" "DELE 1" QUIT
	# refused by postern: Dovecot still has all three
	atf_check -o match:'^\+OK 3 ' \
	    $T "USER testuser" "PASS testpass" STAT
	# dropped: no answer, the next command's answer comes next
	$T "USER testuser" "PASS testpass" "!RSET" "STAT" > out
	atf_check -o inline:"1\n" grep -c '^+OK 3 ' out
	atf_check -s exit:1 -o ignore grep -i 'reset\|maildrop' out
	atf_check -o match:'^-ERR Session ended by policy$' -o match:'^EOF$' \
	    $T "USER testuser" "PASS testpass" XYZZY STAT
	# named by a rule: Dovecot answers (its own -ERR); not named: postern
	atf_check -o match:'^-ERR Unknown command: LAST' \
	    -o match:'^-ERR Unknown command: XTND' \
	    -o match:'^-ERR Unknown command$' \
	    $T "USER testuser" "PASS testpass" LAST XTND FOOBAR
	no_deaths
}
requests_cleanup()
{
	common_cleanup
}

atf_test_case responses cleanup
responses_head()
{
	common_head
	atf_set descr "response verdicts: rewrite (greeting and STAT), reject" \
	    "of a multi-line answer (its body dropped), abort; CAPA filtered" \
	    "by capability rules"
}
responses_body()
{
	cat > rules <<'EOF2'
pop3 response GREETING +OK rewrite "postern POP3 ready"
pop3 response STAT +OK rewrite "+OK 0 0"
pop3 response UIDL +OK reject "no uidl"
pop3 response LIST -ERR abort
pop3 response * * accept
pop3 capability TOP drop
pop3 capability UIDL drop
pop3 capability * accept
pop3 request * accept
EOF2
	setup
	atf_check -o match:'^\+OK postern POP3 ready$' \
	    -o match:'^\+OK 0 0$' -o match:'^-ERR no uidl$' \
	    -o match:'^\+OK 3 messages' \
	    $T "USER testuser" "PASS testpass" STAT @UIDL @LIST
	$T @CAPA > capa
	atf_check -o match:'^USER$' -o match:'^PIPELINING$' cat capa
	atf_check -s exit:1 -o ignore grep -E '^(TOP|UIDL|STLS)' capa
	atf_check -o match:'^-ERR Session ended by policy$' -o match:'^EOF$' \
	    $T "USER testuser" "PASS testpass" "LIST 99" STAT
	# the same through curl pop3://
	atf_check -o match:'^1 ' curl -s "pop3://127.0.0.1:$PORT/" \
	    -u testuser:testpass
	no_deaths
}
responses_cleanup()
{
	common_cleanup
}

atf_test_case apop cleanup
apop_head()
{
	common_head
	atf_set descr "Zorp's example 4.16 by the rule: USER and PASS" \
	    "answered by postern, an APOP login upstream (Dovecot says" \
	    "method=APOP); a greeting without timestamp: a clear -ERR"
}
apop_body()
{
	cat > rules <<'EOF2'
pop3 request USER apop
pop3 request PASS apop
pop3 request * accept
pop3 response * * accept
pop3 capability * accept
EOF2
	setup
	atf_check -o match:'^\+OK Password required$' -o match:'^\+OK 3 ' \
	    $T "USER testuser" "PASS testpass" STAT
	wait_file dv/dovecot-info.log "user=<testuser>, method=APOP" 1
	if grep "method=PLAIN" dv/dovecot-info.log; then
		atf_fail "a USER/PASS login reached Dovecot as such"
	fi
	if grep testpass log; then
		atf_fail "the password is in posternd's log"
	fi
	atf_check -o match:'^-ERR ' \
	    $T "USER testuser" "PASS wrong"
	# a wrong password fails, the client's own APOP still works
	atf_check -o inline:"apop ok\n" $PYTHON "$DRIVE" apop $PORT
	no_deaths
}
apop_cleanup()
{
	common_cleanup
}

atf_test_case apop_only cleanup
apop_only_head()
{
	common_head
	atf_set descr "Zorp's example 4.15: only APOP; USER, PASS and AUTH" \
	    "refused by postern, APOP logs in"
}
apop_only_body()
{
	cat > rules <<'EOF2'
pop3 request USER reject "-ERR Use APOP"
pop3 request PASS reject "-ERR Use APOP"
pop3 request AUTH reject "-ERR Use APOP"
pop3 request * accept
pop3 response * * accept
pop3 capability * accept
EOF2
	setup
	atf_check -o inline:"apoponly ok\n" $PYTHON "$TALK" apoponly $PORT
	atf_check -o match:'^-ERR Use APOP$' $T "AUTH PLAIN"
	wait_file dv/dovecot-info.log "user=<testuser>, method=APOP" 1
	no_deaths
}
apop_only_cleanup()
{
	common_cleanup
}

atf_test_case audit cleanup
audit_head()
{
	common_head
	atf_set descr "audit records of a POP3 session: verdicts, state" \
	    "changes, the user; no password or digest anywhere; verify good"
}
audit_body()
{
	cat > rules <<'EOF2'
pop3 request NOOP reject "no noop"
pop3 request * accept
pop3 response * * accept
pop3 capability * accept
EOF2
	mkdir -p audit
	chmod 755 audit
	setup "" "" "audit dir \"$PWD/audit\""
	$T "USER testuser" "PASS testpass" NOOP STAT QUIT > /dev/null
	$PYTHON - $PORT <<'EOF2' || atf_fail "APOP login"
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]))
p.apop("testuser", "testpass")
p.quit()
EOF2
	wait_file log "session [0-9]+ ended" 2
	wait_until 10 disconnects 2 || atf_fail "not 2 disconnect records"
	cat audit/worker-*.log > all
	atf_check -o match:'"event":"verdict".*"table":"request".*"key":"PASS"' \
	    -o match:'"key":"NOOP"' \
	    -o match:'"event":"state".*"from":"authorization","to":"transaction"' \
	    -o match:'"to":"update"' -o match:'"event":"user".*testuser' \
	    -o match:'"key":"APOP"' cat all
	if grep -r testpass audit log; then
		atf_fail "the password is in a log"
	fi
	# the APOP digest is masked: no 32 hex digits after APOP
	if grep -E 'APOP testuser [0-9a-f]{32}' all; then
		atf_fail "the APOP digest is in the audit log"
	fi
	atf_check -s exit:0 -o match:"good, [0-9]+ records" \
	    "$POLICYCTL" audit verify audit/worker-*.log
	no_deaths
}
audit_cleanup()
{
	common_cleanup
}

atf_test_case stls cleanup
stls_head()
{
	common_head
	atf_set descr "STLS answered by postern: poplib stls(), STLS in CAPA" \
	    "only when offered and not done, once; curl --ssl-reqd," \
	    "openssl s_client -starttls pop3"
}
stls_body()
{
	certs
	setup "tls starttls $CERT"
	atf_check -o inline:"stls ok\n" $PYTHON "$TALK" stls $PORT
	atf_check -o match:'^1 ' curl -s --ssl-reqd --insecure \
	    "pop3://127.0.0.1:$PORT/" -u testuser:testpass
	printf 'USER testuser\r\nPASS testpass\r\nSTAT\r\nQUIT\r\n' |
	    openssl s_client -quiet -ign_eof -starttls pop3 -connect 127.0.0.1:$PORT \
	    > sc.out 2> sc.err || true
	atf_check -o match:'^\+OK 3 ' cat sc.out
	no_deaths
}
stls_cleanup()
{
	common_cleanup
}

atf_test_case stls_injection cleanup
stls_injection_head()
{
	common_head
	atf_set descr "\"STLS\\r\\nSTAT\\r\\n\" in one segment: no +OK for" \
	    "STLS, no STAT answer, the session aborted and logged"
}
stls_injection_body()
{
	certs
	setup "tls starttls $CERT"
	$PYTHON "$TALK" inject $PORT > out
	atf_check -o match:'^-ERR Data after STLS: session aborted$' \
	    -o match:'^EOF$' cat out
	atf_check -s exit:1 -o ignore grep -E '^\+OK (Begin|[0-9])' out
	wait_file log "client sent [0-9]+ bytes after STLS" 1
	# without TLS offered, STLS is refused and the session goes on
	kill -9 "$(cat posternd.pid)"
	rm -f posternd.pid
	setup
	atf_check -o match:'^-ERR STLS is not available' -o match:'^\+OK 3 ' \
	    $T STLS "USER testuser" "PASS testpass" STAT
	no_deaths
}
stls_injection_cleanup()
{
	common_cleanup
}

atf_test_case stls_required cleanup
stls_required_head()
{
	common_head
	atf_set descr "starttls-required: USER, APOP and AUTH refused until" \
	    "TLS is up, then the login works"
}
stls_required_body()
{
	certs
	setup "tls starttls-required $CERT"
	atf_check -o inline:"required ok\n" $PYTHON "$TALK" required $PORT
	no_deaths
}
stls_required_cleanup()
{
	common_cleanup
}

atf_test_case pop3s cleanup
pop3s_head()
{
	common_head
	atf_set descr "POP3S: implicit TLS to the client (poplib POP3_SSL," \
	    "curl pop3s://), and to the server implicit or by STLS"
}
pop3s_body()
{
	certs
	dvup=$PWD/dv
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	UP_PORT=$POP3S_PORT
	setup "tls implicit $CERT" "tls implicit ca \"$dvup/cert.pem\" servername localhost"
	atf_check -o inline:"ssl ok\n" $PYTHON "$TALK" ssl $PORT
	atf_check -o match:'^1 ' curl -s --insecure \
	    "pop3s://127.0.0.1:$PORT/" -u testuser:testpass
	kill -9 "$(cat posternd.pid)"
	rm -f posternd.pid
	UP_PORT=
	# upstream STLS, APOP through it (the greeting's timestamp kept)
	cat > rules <<'EOF2'
pop3 request USER apop
pop3 request PASS apop
pop3 request * accept
pop3 response * * accept
pop3 capability * accept
EOF2
	setup "" "tls starttls ca \"$dvup/cert.pem\" servername localhost"
	atf_check -o match:'^\+OK postern ready <' -o match:'^\+OK 3 ' \
	    $T "USER testuser" "PASS testpass" STAT
	no_deaths
}
pop3s_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case requests
	atf_add_test_case responses
	atf_add_test_case apop
	atf_add_test_case apop_only
	atf_add_test_case audit
	atf_add_test_case stls
	atf_add_test_case stls_injection
	atf_add_test_case stls_required
	atf_add_test_case pop3s
}
