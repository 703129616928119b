#! /usr/bin/env atf-sh
# TLS through posternd, with the Dovecot fixture and real clients
# (Python's imaplib, curl, openssl s_client): implicit TLS and STARTTLS
# towards the client with RSA and ECDSA certificates chosen by SNI,
# starttls-required, the STARTTLS injection cases of CVE-2011-0411 and
# "Why TLS is better without STARTTLS" (USENIX Security 2021) on both
# legs, upstream certificate verification, and the private keys absent
# from every worker's memory while they are in postern-keyd's.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/keyd/tlsdrive.py
MAILCHECK=@TOPDIR@/regress/fixture/mailcheck.py
MAIL=@TOPDIR@/regress/fixture/mail

# Two certificates, RSA and ECDSA, with names for SNI.
certs()
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key \
	    -out rsa.crt -days 2 -subj /CN=rsa.test \
	    -addext subjectAltName=DNS:rsa.test >/dev/null 2>&1 ||
	    atf_fail "openssl req rsa"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ec.key -out ec.crt -days 2 -subj /CN=ec.test \
	    -addext subjectAltName=DNS:ec.test >/dev/null 2>&1 ||
	    atf_fail "openssl req ec"
	chmod 600 rsa.key ec.key
}

dovecot()
{
	[ -f dv/ports ] ||
	    atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
}

# setup LISTENER-LINES N: certificates, posternd with the lines, N
# workers ready.
setup()
{
	[ -f rsa.crt ] || certs
	mkdir -p empty
	chmod 755 empty
	{
		echo "user nobody"
		echo "chroot \"$PWD/empty\""
		echo "worker \"$WORKER\""
		echo "pool min-idle 1 max 20 sessions 100"
		echo "timeout start 10 drain 2 upstream 10"
		echo "$1"
	} > postern.conf
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "keyd pid [0-9]+ ready|worker slot [0-9]+ pid [0-9]+ ready"
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" "$2"
}

certlines()
{
	printf '%s' "certificate \"$PWD/$1.crt\" key \"$PWD/$1.key\""
	printf ' %s' "certificate \"$PWD/$2.crt\" key \"$PWD/$2.key\""
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
	for f in *.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

no_deaths()
{
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a child died"
	fi
}

# A TLS session that answers CAPABILITY.
tls_caps()
{
	$PYTHON "$DRIVE" caps $PORT >/dev/null 2>&1
}

atf_test_case implicit cleanup
implicit_head()
{
	common_head
	atf_set descr "implicit TLS on both legs: imaplib IMAP4_SSL, curl" \
	    "imaps://, s_client; ECDSA by default and RSA by SNI, TLS 1.3" \
	    "and 1.2; no STARTTLS offered; TLS 1.1 refused"
}
implicit_body()
{
	dovecot
	PORT=$(free_port)
	setup "listen on 127.0.0.1 port $PORT imap name imaps tls implicit \
	    $(certlines ec rsa) upstream 127.0.0.1 port $IMAPS_PORT \
	    tls implicit ca \"$PWD/dv/cert.pem\" servername localhost" 1
	atf_check -o match:"ok" $PYTHON "$MAILCHECK" imap tls $PORT "$MAIL"
	atf_check -o inline:"caps ok\n" $PYTHON "$DRIVE" caps $PORT
	atf_check -o match:"^From: " curl -s --insecure \
	    "imaps://127.0.0.1:$PORT/INBOX;UID=1" -u testuser:testpass
	for k in "ec -tls1_3" "rsa -tls1_3 -servername rsa.test" \
	    "ec -tls1_2" "rsa -tls1_2 -servername rsa.test"; do
		set -- $k
		name=$1
		shift
		printf 'a LOGIN testuser testpass\r\na LOGOUT\r\n' |
		    openssl s_client -connect 127.0.0.1:$PORT "$@" -ign_eof \
		    > sc.out 2>&1
		atf_check -o match:"subject=CN = $name.test" cat sc.out
		atf_check -o match:"^a OK .*Logged in" cat sc.out
	done
	atf_check -s not-exit:0 -o ignore -e ignore sh -c \
	    "echo | openssl s_client -connect 127.0.0.1:$PORT -tls1_1 \
	    -cipher DEFAULT@SECLEVEL=0"
	wait_log "TLS handshake with the client: unsupported protocol"
	no_deaths
}
implicit_cleanup()
{
	common_cleanup
}

atf_test_case starttls cleanup
starttls_head()
{
	common_head
	atf_set descr "STARTTLS towards the client: imaplib starttls, curl" \
	    "--ssl-reqd, s_client -starttls imap; A STARTTLS + B NOOP in one" \
	    "segment never runs B; STARTTLS twice or after login refused"
}
starttls_body()
{
	dovecot
	PORT=$(free_port)
	setup "listen on 127.0.0.1 port $PORT imap name st tls starttls \
	    $(certlines rsa ec) upstream 127.0.0.1 port $IMAP_PORT" 1
	atf_check -o match:"ok" $PYTHON "$MAILCHECK" imap starttls $PORT \
	    "$MAIL"
	atf_check -o match:"^From: " curl -s --insecure --ssl-reqd \
	    "imap://127.0.0.1:$PORT/INBOX;UID=1" -u testuser:testpass
	printf 'a LOGIN testuser testpass\r\na LOGOUT\r\n' |
	    openssl s_client -connect 127.0.0.1:$PORT -starttls imap \
	    -ign_eof > sc.out 2>&1
	atf_check -o match:"^a OK .*Logged in" cat sc.out
	atf_check -o inline:"inject ok\n" $PYTHON "$DRIVE" inject $PORT
	wait_log "client sent 8 bytes after STARTTLS, before TLS"
	atf_check -o inline:"twice ok\n" $PYTHON "$DRIVE" twice $PORT
	atf_check -o inline:"afterlogin ok\n" $PYTHON "$DRIVE" afterlogin \
	    $PORT
	no_deaths
}
starttls_cleanup()
{
	common_cleanup
}

atf_test_case required cleanup
required_head()
{
	common_head
	atf_set descr "starttls-required, STARTTLS upstream: LOGIN and" \
	    "AUTHENTICATE refused with LOGINDISABLED shown until TLS, then" \
	    "LOGIN works; the injection case ends the session there too"
}
required_body()
{
	dovecot
	PORT=$(free_port)
	setup "listen on 127.0.0.1 port $PORT imap name req \
	    tls starttls-required $(certlines rsa ec) \
	    upstream 127.0.0.1 port $IMAP_PORT tls starttls \
	    ca \"$PWD/dv/cert.pem\" servername localhost" 1
	atf_check -o inline:"required ok\n" $PYTHON "$DRIVE" required $PORT
	atf_check -o inline:"inject ok\n" $PYTHON "$DRIVE" inject $PORT
	atf_check -o match:"ok" $PYTHON "$MAILCHECK" imap starttls $PORT \
	    "$MAIL"
	no_deaths
}
required_cleanup()
{
	common_cleanup
}

atf_test_case upstream_verify cleanup
upstream_verify_head()
{
	common_head
	atf_set descr "an upstream certificate for another name, or from" \
	    "an unknown CA, is refused with a log line and a BYE"
}
upstream_verify_body()
{
	dovecot
	P1=$(free_port)
	P2=$(free_port)
	P3=$(free_port)
	setup "listen on 127.0.0.1 port $P1 imap name badname \
	    upstream 127.0.0.1 port $IMAPS_PORT tls implicit \
	    ca \"$PWD/dv/cert.pem\" servername other.example
listen on 127.0.0.1 port $P2 imap name badca \
	    upstream 127.0.0.1 port $IMAP_PORT tls starttls \
	    servername localhost
listen on 127.0.0.1 port $P3 imap name good \
	    upstream 127.0.0.1 port $IMAP_PORT tls starttls \
	    ca \"$PWD/dv/cert.pem\" servername localhost" 3
	atf_check -o match:"^\* BYE .*TLS to the server failed" \
	    $PYTHON "$DRIVE" bye $P1
	wait_log "certificate of other.example refused: hostname mismatch"
	atf_check -o match:"^\* BYE .*TLS to the server failed" \
	    $PYTHON "$DRIVE" bye $P2
	wait_log "certificate of localhost refused: self-signed certificate"
	atf_check -o match:"^\* OK postern ready" $PYTHON "$DRIVE" bye $P3
	no_deaths
}
upstream_verify_cleanup()
{
	common_cleanup
}

atf_test_case upstream_injection cleanup
upstream_injection_head()
{
	common_head
	atf_set descr "a scripted upstream that glues CAPABILITY or B OK" \
	    "onto its STARTTLS OK, greets with PREAUTH or offers no" \
	    "STARTTLS: postern relays none of it"
}
upstream_injection_body()
{
	certs
	lines=
	for m in plain gluecaps glueok preauth nostarttls; do
		$PYTHON "$DRIVE" evil $m evil.$m.port rsa.crt rsa.key \
		    > evil.$m.log 2>&1 &
		echo $! > evil.$m.pid
	done
	for m in plain gluecaps glueok preauth nostarttls; do
		wait_file evil.$m.port "^[0-9]+$"
		p=$(free_port)
		eval P_$m=$p
		lines="$lines
listen on 127.0.0.1 port $p imap name e$m \
	    upstream 127.0.0.1 port $(cat evil.$m.port) tls starttls \
	    ca \"$PWD/rsa.crt\" servername rsa.test"
	done
	setup "$lines" 5
	# The well-behaved case: what the server says over TLS arrives.
	atf_check -o match:"^\* OK postern ready" $PYTHON "$DRIVE" bye \
	    $P_plain
	atf_check -o match:"INJECTED" curl -s --max-time 10 \
	    "imap://127.0.0.1:$P_plain/" -X CAPABILITY -u a:b
	for m in gluecaps glueok preauth nostarttls; do
		atf_check -o match:"^\* BYE .*TLS to the server failed" \
		    -o not-match:"INJECTED|AUTH=PLAIN" \
		    $PYTHON "$DRIVE" bye $(eval echo \$P_$m)
	done
	wait_log "upstream sent 55 bytes after its STARTTLS OK"
	wait_log "upstream sent 15 bytes after its STARTTLS OK"
	wait_log "upstream greets with PREAUTH, but TLS is required"
	wait_log "upstream does not offer STARTTLS, which is required"
	no_deaths
}
upstream_injection_cleanup()
{
	common_cleanup
}

atf_test_case key_isolation cleanup
key_isolation_head()
{
	common_head
	atf_set descr "while TLS sessions run, no worker's memory holds a" \
	    "private key's DER, primes, exponent or scalar; keyd's does;" \
	    "neither has posternd's environment"
}
key_isolation_body()
{
	dovecot
	PORT=$(free_port)
	POSTERN_LEAK_PROBE=leaked setup "listen on 127.0.0.1 port $PORT imap \
	    name imaps tls implicit $(certlines ec rsa) upstream 127.0.0.1 \
	    port $IMAP_PORT" 1
	$PYTHON "$DRIVE" secrets rsa.key > rsa.sec || atf_fail "rsa secrets"
	$PYTHON "$DRIVE" secrets ec.key > ec.sec || atf_fail "ec secrets"
	touch hold.rsa hold.ec
	$PYTHON "$DRIVE" hold $PORT rsa.test hold.rsa > hold.rsa.out 2>&1 &
	echo $! > holdrsa.pid
	$PYTHON "$DRIVE" hold $PORT - hold.ec > hold.ec.out 2>&1 &
	echo $! > holdec.pid
	wait_until 20 test -f hold.rsa.up -a -f hold.ec.up ||
	    atf_fail "sessions not up"
	master=$(cat posternd.pid)
	keyd=$(pgrep -P "$master" -x postern-keyd)
	workers=$(pgrep -P "$master" -x postern-worker)
	[ -n "$keyd" ] || atf_fail "no keyd"
	[ $(echo $workers | wc -w) -ge 2 ] || atf_fail "workers: $workers"
	# posternd's environment stops at posternd.
	atf_check -o inline:"1\n" grep -ac POSTERN_LEAK_PROBE=leaked \
	    /proc/$master/environ
	for p in $keyd $workers; do
		atf_check -s exit:1 grep -a POSTERN_LEAK_PROBE /proc/$p/environ
	done
	for w in $workers; do
		atf_check -o inline:"0\n" $PYTHON "$DRIVE" memscan $w rsa.sec
		atf_check -o inline:"0\n" $PYTHON "$DRIVE" memscan $w ec.sec
	done
	# The same search finds the keys where they are.
	atf_check -o not-inline:"0\n" $PYTHON "$DRIVE" memscan $keyd rsa.sec
	atf_check -o not-inline:"0\n" $PYTHON "$DRIVE" memscan $keyd ec.sec
	rm -f hold.rsa hold.ec
	wait_file hold.rsa.out "hold ok"
	wait_file hold.ec.out "hold ok"
	no_deaths
}
key_isolation_cleanup()
{
	common_cleanup
}

atf_test_case keyd_restart cleanup
keyd_restart_head()
{
	common_head
	atf_set descr "postern-keyd killed: posternd starts it again, the" \
	    "workers that held a channel to the old one get one to the" \
	    "new one, and TLS handshakes work again"
}
keyd_restart_body()
{
	dovecot
	PORT=$(free_port)
	setup "listen on 127.0.0.1 port $PORT imap name imaps tls implicit \
	    $(certlines rsa ec) upstream 127.0.0.1 port $IMAP_PORT" 1
	atf_check -o inline:"caps ok\n" $PYTHON "$DRIVE" caps $PORT
	keyd=$(pgrep -P "$(cat posternd.pid)" -x postern-keyd)
	[ -n "$keyd" ] || atf_fail "no keyd"
	kill -9 "$keyd"
	wait_log "keyd pid $keyd killed by signal 9"
	wait_log "keyd gone: TLS waits for its restart"
	wait_log "keyd pid [0-9]+ ready" 2
	wait_until 10 tls_caps || atf_fail "no TLS session after keyd's restart"
	[ "$(pgrep -P "$(cat posternd.pid)" -x postern-keyd)" != "$keyd" ] ||
	    atf_fail "the old keyd runs"
}
keyd_restart_cleanup()
{
	common_cleanup
}

atf_test_case timeouts cleanup
timeouts_head()
{
	common_head
	atf_set descr "a client that never starts its handshake is closed" \
	    "after timeout login; an upstream that never greets before" \
	    "STARTTLS gets the client a BYE after timeout upstream"
}
timeouts_body()
{
	dovecot
	certs
	$PYTHON "$DRIVE" evil silent evil.silent.port rsa.crt rsa.key \
	    > evil.silent.log 2>&1 &
	echo $! > evil.silent.pid
	P1=$(free_port)
	P2=$(free_port)
	wait_file evil.silent.port "^[0-9]+$"
	setup "timeout login 2 upstream 2
listen on 127.0.0.1 port $P1 imap name imaps tls implicit \
	    $(certlines rsa ec) upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $P2 imap name silent \
	    upstream 127.0.0.1 port $(cat evil.silent.port) tls starttls \
	    ca \"$PWD/rsa.crt\" servername rsa.test" 2
	atf_check -o match:"^closed after [23] s" $PYTHON "$DRIVE" silent $P1
	wait_log "TLS handshake with the client: timed out"
	atf_check -o match:"^\* BYE .*TLS to the server failed" \
	    $PYTHON "$DRIVE" bye $P2
	wait_log "upstream: no answer before TLS in time"
	no_deaths
}
timeouts_cleanup()
{
	common_cleanup
}

atf_test_case shutdown_handshake cleanup
shutdown_handshake_head()
{
	common_head
	atf_set descr "SIGTERM while a client's handshake waits: the worker" \
	    "hears the master's shutdown and posternd exits after its drain"
}
shutdown_handshake_body()
{
	dovecot
	PORT=$(free_port)
	setup "listen on 127.0.0.1 port $PORT imap name imaps tls implicit \
	    $(certlines rsa ec) upstream 127.0.0.1 port $IMAP_PORT" 1
	echo $(cat posternd.pid) > pid
	$PYTHON "$DRIVE" silent $PORT > silent.out 2>&1 &
	echo $! > silent.pid
	wait_log "worker imaps/[0-9]+: session [0-9]+ from 127.0.0.1"
	kill -TERM "$(cat posternd.pid)"
	wait_exit
	grep -F "TLS: the master ends the session" log ||
	    atf_fail "the handshake did not end at the shutdown"
}
shutdown_handshake_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case implicit
	atf_add_test_case starttls
	atf_add_test_case required
	atf_add_test_case upstream_verify
	atf_add_test_case upstream_injection
	atf_add_test_case key_isolation
	atf_add_test_case keyd_restart
	atf_add_test_case timeouts
	atf_add_test_case shutdown_handshake
}
