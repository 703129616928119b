#! /usr/bin/env atf-sh
# The client's address (issue 20), with the real posternd and workers in
# front of the Dovecot fixture: PROXY v1 and v2 headers in, from a real
# HAProxy (send-proxy-v2) and by hand, taken only from "proxy-protocol
# from" and refused in every other case, and the address they carry used
# for the per-client limit, the rules, the audit and the logs; and each
# "forward" mode out, read back from what Dovecot logged for the login
# (rip, rport: the fixture's login_log_format_elements).  Clients bind
# their own loopback address (127.0.0.5...), HAProxy listens on 127.0.0.3
# and connects to posternd from 127.0.0.2, the one trusted network.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/master/proxydrive.py
HAPROXY=/usr/sbin/haproxy

# common_head [PROG]: root, Python, openssl and PROG.
common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON openssl $1"
	atf_set timeout 120
}

common_cleanup()
{
	[ -f haproxy.pid ] && kill "$(cat haproxy.pid)" 2>/dev/null
	[ -f pid ] && kill -9 "$(cat pid)" 2>/dev/null
	[ -f hold.pid ] && kill "$(cat hold.pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# dovecot_up [rawlog]: the fixture, its ports in the environment.
dovecot_up()
{
	if [ "$1" = rawlog ]; then
		atf_check -o ignore -e ignore env DOVECOT_RAWLOG=1 \
		    "$FIXTURE" start "$PWD/dv"
	else
		atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	fi
	. "$PWD/dv/ports"
}

certs()
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key \
	    -out rsa.crt -days 2 -subj /CN=mail.example >/dev/null 2>&1 ||
	    atf_fail "openssl req"
	chmod 600 rsa.key
	cat rsa.crt rsa.key > haproxy.pem
}

# posternd_up N "STATEMENTS": posternd with an audit dir, the statements
# (listeners), min-idle 1; waits until the N listeners' workers are ready.
posternd_up()
{
	mkdir -p empty audit
	chmod 755 empty
	chmod 700 audit
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
audit dir "$PWD/audit"
pool min-idle 1 max 8 sessions 100
timeout drain 1 proxy 2
$2
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" "$1"
}

port_open()
{
	$PYTHON -c "import socket; socket.create_connection(('$1', $2), 1)" \
	    2>/dev/null
}

# haproxy_up PORT: HAProxy in TCP mode on 127.0.0.3, a plain frontend
# on $HP1 and one that ends TLS on $HP2 (with the SSL, authority and
# CRC32c TLVs), both to posternd's PORT on 127.0.0.1 with send-proxy-v2,
# from 127.0.0.2.
haproxy_up()
{
	HP1=$(free_port)
	HP2=$(free_port)
	cat > haproxy.cfg <<EOF
global
	maxconn 64
defaults
	mode tcp
	timeout connect 5s
	timeout client 60s
	timeout server 60s
frontend plain
	bind 127.0.0.3:$HP1
	default_backend plain
frontend tls
	bind 127.0.0.3:$HP2 ssl crt $PWD/haproxy.pem alpn imap
	default_backend tls
backend plain
	server postern 127.0.0.1:$1 send-proxy-v2 source 127.0.0.2
backend tls
	server postern 127.0.0.1:$1 send-proxy-v2 source 127.0.0.2 proxy-v2-options ssl,ssl-cipher,authority,crc32c,unique-id
EOF
	atf_check -o ignore -e ignore "$HAPROXY" -c -f haproxy.cfg
	atf_check -o ignore -e ignore "$HAPROXY" -D -f haproxy.cfg \
	    -p "$PWD/haproxy.pid"
	wait_until 10 port_open 127.0.0.3 $HP1 ||
	    atf_fail "HAProxy does not listen on 127.0.0.3:$HP1"
}

# The client's source port, from the driver's output in FILE.
cport()
{
	sed -n 's/^port //p' "$1"
}

# login_line RIP LIP ERE [N]: N (1) Dovecot logins of testuser with
# these fields.
login_line()
{
	wait_file dv/dovecot-info.log \
	    "Login: user=<testuser>, method=PLAIN, rip=$1, lip=$2, .*$3" "${4:-1}"
}

# The audit's connect record of the session from client $1 port $2.
connect_record()
{
	cat audit/worker-*.log | grep '"event":"connect"' |
	    grep "\"client\":\"$1\",\"client_port\":$2,"
}

atf_test_case haproxy cleanup
haproxy_head()
{
	common_head "$HAPROXY"
	atf_set descr "HAProxy with send-proxy-v2 in front of posternd:" \
	    "Dovecot's log and the audit record have the client's address" \
	    "and port, not HAProxy's, through forward id and forward" \
	    "proxy-v2; the TLVs of HAProxy's TLS are in the audit record"
}
haproxy_body()
{
	dovecot_up
	certs
	PORT=$(free_port)
	PV2=$(free_port)
	posternd_up 2 "listen on 127.0.0.1 port $PORT imap name lb \
	proxy-protocol from 127.0.0.2 \
	upstream 127.0.0.1 port $IMAP_PORT forward id
listen on 127.0.0.1 port $PV2 imap name lbv2 \
	proxy-protocol from 127.0.0.2 \
	upstream 127.0.0.1 port $IMAP_HAPROXY_PORT forward proxy-v2"
	haproxy_up $PORT

	# Client, HAProxy, posternd, Dovecot: the client's address all along.
	atf_check -o save:c1 -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.3 $HP1 127.0.0.5
	p=$(cport c1)
	login_line 127.0.0.5 127.0.0.3 "rport=$p, lport=$HP1"
	wait_log "lb: session [0-9]+ from 127.0.0.5 port $p to worker"
	wait_log "lb: proxy 127.0.0.2 port [0-9]+: PROXY v2 header, client 127.0.0.5 port $p"
	wait_until 10 connect_record 127.0.0.5 $p ||
	    atf_fail "no connect record for 127.0.0.5 port $p"
	connect_record 127.0.0.5 $p > rec1
	atf_check -o ignore grep -E '"proxy_version":2,"proxy":"127.0.0.2","proxy_port":[0-9]+,"dest":"127.0.0.3","dest_port":'$HP1'[,}]' rec1
	# Dovecot's session id is postern's (x-session-id).
	sid=$(sed -n 's/.*"session":\([0-9]*\),.*/\1/p' rec1)
	login_line 127.0.0.5 127.0.0.3 "session=<$sid>, rport=$p"

	# HAProxy ends TLS: its TLVs say how the client came to it.
	atf_check -o save:c2 -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.3 $HP2 127.0.0.6 --tls
	p=$(cport c2)
	login_line 127.0.0.6 127.0.0.3 "rport=$p, lport=$HP2"
	wait_until 10 connect_record 127.0.0.6 $p ||
	    atf_fail "no connect record for 127.0.0.6 port $p"
	connect_record 127.0.0.6 $p > rec2
	atf_check -o ignore grep -F '"proxy_alpn":"imap","proxy_authority":"mail.example","proxy_tls":true,"proxy_tls_version":"TLSv1.3","proxy_tls_cipher":"TLS_' rec2

	# The same through forward proxy-v2 to Dovecot's haproxy listener.
	sed -i "s/127.0.0.1:$PORT /127.0.0.1:$PV2 /" haproxy.cfg
	kill "$(cat haproxy.pid)"
	wait_until 10 sh -c "! kill -0 $(cat haproxy.pid) 2>/dev/null"
	atf_check -o ignore -e ignore "$HAPROXY" -D -f haproxy.cfg \
	    -p "$PWD/haproxy.pid"
	wait_until 10 port_open 127.0.0.3 $HP1 ||
	    atf_fail "HAProxy does not listen again"
	atf_check -o save:c3 -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.3 $HP1 127.0.0.7
	p=$(cport c3)
	login_line 127.0.0.7 127.0.0.3 "rport=$p, lport=$HP1"
	wait_log "lbv2: session [0-9]+ from 127.0.0.7 port $p to worker"
	if grep -E "Login: .*rip=127\.0\.0\.[123]," dv/dovecot-info.log; then
		atf_fail "Dovecot logged a login from a proxy's address"
	fi
}
haproxy_cleanup()
{
	common_cleanup
}

atf_test_case refused cleanup
refused_head()
{
	common_head
	atf_set descr "a PROXY header from an untrusted address is refused;" \
	    "from a trusted one, a missing header is refused at" \
	    "'timeout proxy' and a malformed one at once; each closed" \
	    "without a word and logged with why"
}
refused_body()
{
	dovecot_up
	PORT=$(free_port)
	posternd_up 1 "listen on 127.0.0.1 port $PORT imap name lb \
	proxy-protocol from 127.0.0.2 \
	upstream 127.0.0.1 port $IMAP_PORT forward id"
	v1=$($PYTHON -c 'import sys; sys.stdout.write(
	    b"PROXY TCP4 192.0.2.7 198.51.100.1 50312 143\r\n".hex())')

	# A valid header, from an address outside the networks.
	atf_check -o match:"^closed" -o match:"^after 0\." \
	    $PYTHON "$DRIVE" raw 127.0.0.1 $PORT 127.0.0.9 $v1
	wait_log "lb: client 127.0.0.9 port [0-9]+ refused: not in the networks of proxy-protocol from"
	# Nothing, from a trusted address: closed at the timeout (2 s).
	atf_check -o save:none -o match:"^closed" \
	    $PYTHON "$DRIVE" raw 127.0.0.1 $PORT 127.0.0.2
	t=$(sed -n 's/^after //p' none)
	$PYTHON -c "import sys; sys.exit(not 1.9 <= $t < 4)" ||
	    atf_fail "closed after $t s, not at the 2 s of timeout proxy"
	wait_log "lb: proxy 127.0.0.2 port [0-9]+ refused after [0-9]+ ms: no PROXY header within 2 s \(0 bytes of one\); closed"
	# Half a header: the same.
	atf_check -o match:"^closed" \
	    $PYTHON "$DRIVE" raw 127.0.0.1 $PORT 127.0.0.2 \
	    $($PYTHON -c 'import sys; sys.stdout.write(b"PROXY TCP4 192.0".hex())')
	wait_log "no PROXY header within 2 s \(16 bytes of one\)"
	# A client that is no proxy: refused at its first byte.
	atf_check -o match:"^closed" -o match:"^after 0\." \
	    $PYTHON "$DRIVE" raw 127.0.0.1 $PORT 127.0.0.2 \
	    $($PYTHON -c 'import sys; sys.stdout.write(b"a1 LOGIN testuser testpass\r\n".hex())')
	wait_log "lb: proxy 127.0.0.2 port [0-9]+ refused after [0-9]+ ms: bad PROXY header: not a PROXY header; closed"
	# Malformed headers of either version.
	atf_check -o match:"^closed" -o match:"^after 0\." \
	    $PYTHON "$DRIVE" raw 127.0.0.1 $PORT 127.0.0.2 \
	    $($PYTHON -c 'import sys; sys.stdout.write(b"PROXY TCP4 192.0.2.7 198.51.100.1 050312 143\r\n".hex())')
	wait_log "bad PROXY header: v1: a port that is not 0 to 65535 in decimal; closed"
	atf_check -o match:"^closed" -o match:"^after 0\." \
	    $PYTHON "$DRIVE" raw 127.0.0.1 $PORT 127.0.0.2 \
	    0d0a0d0a000d0a515549540a21110008c000020700000000
	wait_log "bad PROXY header: v2: address block shorter than its family's; closed"
	atf_check -o match:"^closed" -o match:"^after 0\." \
	    $PYTHON "$DRIVE" raw 127.0.0.1 $PORT 127.0.0.2 \
	    0d0a0d0a000d0a515549540a21110401
	wait_log "bad PROXY header: v2: addresses and TLVs over 1024 bytes; closed"
	# None of them reached a worker, let alone Dovecot.
	if grep -E "lb: session [0-9]+ from" log; then
		atf_fail "a refused connection became a session"
	fi
	atf_check -s exit:1 grep "Login:" dv/dovecot-info.log
}
refused_cleanup()
{
	common_cleanup
}

atf_test_case by_hand cleanup
by_hand_head()
{
	common_head
	atf_set descr "PROXY headers made by hand: v1 TCP4, TCP6 and" \
	    "UNKNOWN, v2 and its LOCAL command (the connection's own" \
	    "addresses), and a header followed in the same segment by a" \
	    "TLS ClientHello, which the master leaves to the worker"
}
by_hand_body()
{
	dovecot_up
	certs
	PORT=$(free_port)
	SPORT=$(free_port)
	posternd_up 2 "listen on 127.0.0.1 port $PORT imap name lb \
	proxy-protocol from 127.0.0.2, 127.0.0.0/30 \
	upstream 127.0.0.1 port $IMAP_PORT forward id
listen on 127.0.0.1 port $SPORT imap name lbs \
	proxy-protocol from 127.0.0.2 tls implicit \
	certificate \"$PWD/rsa.crt\" key \"$PWD/rsa.key\" \
	upstream 127.0.0.1 port $IMAP_PORT forward id"

	atf_check -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $PORT 127.0.0.2 --hdr v1
	login_line 192.0.2.7 198.51.100.1 "rport=50312, lport=143"
	atf_check -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $PORT 127.0.0.2 --hdr v1-tcp6
	login_line 2001:db8::7 2001:db8::1 "rport=50312, lport=143"
	atf_check -o save:u -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $PORT 127.0.0.2 --hdr v1-unknown
	login_line 127.0.0.2 127.0.0.1 "rport=$(cport u), lport=$PORT"
	atf_check -o save:l -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $PORT 127.0.0.2 --hdr v2-local
	login_line 127.0.0.2 127.0.0.1 "rport=$(cport l), lport=$PORT"
	wait_log "lb: proxy 127.0.0.2 port $(cport l): PROXY v2 without an address \(LOCAL or UNKNOWN\), client 127.0.0.2 port $(cport l)"
	atf_check -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $PORT 127.0.0.2 --hdr v2
	login_line 192.0.2.7 198.51.100.1 "rport=50312, lport=143" 2
	# 127.0.0.1 is in 127.0.0.0/30 too.
	atf_check -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $PORT 127.0.0.1 --hdr v2
	login_line 192.0.2.7 198.51.100.1 "rport=50312, lport=143" 3
	# Header and ClientHello in one segment: the handshake still works.
	atf_check -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $SPORT 127.0.0.2 --hdr v1 \
	    --tls --together
	login_line 192.0.2.7 198.51.100.1 "rport=50312, lport=143" 4
	wait_log "lbs: session [0-9]+ from 192.0.2.7 port 50312 to worker"
}
by_hand_cleanup()
{
	common_cleanup
}

atf_test_case limits_rules cleanup
limits_rules_head()
{
	common_head "$HAPROXY"
	atf_set descr "behind HAProxy, 'limit connections per-client' and" \
	    "the rules' 'client' condition count and match each client's" \
	    "own address, not HAProxy's"
}
limits_rules_body()
{
	dovecot_up
	certs
	PORT=$(free_port)
	mkdir -p store
	chmod 700 store
	cat > rules <<'EOF'
imap request LOGIN reject "Not from your address" if client 127.0.0.6
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	posternd_up 1 "policy store \"$PWD/store\"
limit connections per-client 1
listen on 127.0.0.1 port $PORT imap name lb \
	proxy-protocol from 127.0.0.2 \
	upstream 127.0.0.1 port $IMAP_PORT forward id"
	haproxy_up $PORT

	$PYTHON "$DRIVE" hold 127.0.0.3 $HP1 127.0.0.5 > hold.out 2>&1 &
	echo $! > hold.pid
	wait_file hold.out "^held$"
	# 127.0.0.5 has its one session: refused, in words, through HAProxy.
	atf_check -o match:"Too many connections from your address" \
	    $PYTHON "$DRIVE" raw 127.0.0.3 $HP1 127.0.0.5
	wait_log "lb: client 127.0.0.5 port [0-9]+ refused: 1 connections from 127.0.0.5 \(limit connections per-client 1\)"
	# Others, from the same HAProxy, are not counted with it.
	atf_check -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.3 $HP1 127.0.0.7
	atf_check -o match:"^login a1 NO Not from your address" \
	    $PYTHON "$DRIVE" imap 127.0.0.3 $HP1 127.0.0.6
	login_line 127.0.0.7 127.0.0.3 "lport=$HP1"
	atf_check -s exit:1 grep "Login: .*rip=127.0.0.6," dv/dovecot-info.log
}
limits_rules_cleanup()
{
	common_cleanup
}

atf_test_case forward_id cleanup
forward_id_head()
{
	common_head
	atf_set descr "forward id in IMAP: Dovecot logs the client's address" \
	    "and port from postern's ID; the client's own ID cannot forge" \
	    "them; forward none leaves postern's; the oracle agrees"
}
forward_id_body()
{
	dovecot_up rawlog
	I1=$(free_port)
	I2=$(free_port)
	# The oracle reads the verdicts: a policy store that accepts all.
	mkdir -p store
	chmod 700 store
	cat > rules <<'EOF'
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	posternd_up 2 "policy store \"$PWD/store\"
listen on 127.0.0.1 port $I1 imap name fid \
	upstream 127.0.0.1 port $IMAP_PORT forward id
listen on 127.0.0.1 port $I2 imap name fnone \
	upstream 127.0.0.1 port $IMAP_PORT"

	atf_check -o save:i1 -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $I1 127.0.0.5
	login_line 127.0.0.5 127.0.0.1 "rport=$(cport i1), lport=$I1"
	# The client's own x-originating-ip goes nowhere.
	atf_check -o save:i2 -o match:'^id f1 OK' -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $I1 127.0.0.6 --forge
	login_line 127.0.0.6 127.0.0.1 "rport=$(cport i2), lport=$I1"
	wait_log "fid/[0-9]+: session [0-9]+: forward id: the client's ID goes without its x-originating-\* and like fields"
	atf_check -o ignore grep -F '"how":"id-filtered","line":"f1 ID (\"name\" \"proxydrive\")"' audit/worker-*.log
	# forward none: Dovecot sees postern.
	atf_check -o save:i3 -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $I2 127.0.0.7
	login_line 127.0.0.1 127.0.0.1 "lport=$IMAP_PORT"
	atf_check -s exit:1 grep "Login: .*rip=127.0.0.7," dv/dovecot-info.log
	oracle_check dv audit
}
forward_id_cleanup()
{
	common_cleanup
}

atf_test_case forward_xclient cleanup
forward_xclient_head()
{
	common_head
	atf_set descr "forward id in POP3: Dovecot logs the client's address" \
	    "and port from postern's XCLIENT, also over the upstream's" \
	    "STLS; the client's own XCLIENT is refused, and neither CAPA" \
	    "nor the greeting shows it"
}
forward_xclient_body()
{
	dovecot_up
	P1=$(free_port)
	P2=$(free_port)
	posternd_up 2 "listen on 127.0.0.1 port $P1 pop3 name pid \
	upstream 127.0.0.1 port $POP3_PORT forward id
listen on 127.0.0.1 port $P2 pop3 name pstls \
	upstream 127.0.0.1 port $POP3_PORT tls starttls verify off forward id"

	# POP3: XCLIENT, announced in Dovecot's greeting, is postern's.
	atf_check -o save:p1 -o match:"^greeting \+OK Dovecot" \
	    -o match:"^capa -$" -o match:"^xclient -ERR XCLIENT is postern's to send$" \
	    -o match:"^login ok$" \
	    $PYTHON "$DRIVE" pop3 127.0.0.1 $P1 127.0.0.5 --forge
	wait_file dv/dovecot-info.log "pop3-login: Info: Login: user=<testuser>, method=PLAIN, rip=127.0.0.5, lip=127.0.0.1, .*rport=$(cport p1), "
	atf_check -o save:p2 -o match:"^greeting \+OK postern ready" \
	    -o match:"^login ok$" \
	    $PYTHON "$DRIVE" pop3 127.0.0.1 $P2 127.0.0.6
	wait_file dv/dovecot-info.log "pop3-login: Info: Login: user=<testuser>, method=PLAIN, rip=127.0.0.6, lip=127.0.0.1, .*TLS.*rport=$(cport p2), "
	wait_log "pstls/[0-9]+: session [0-9]+: forward id: XCLIENT ADDR=127.0.0.6 PORT=$(cport p2): \+OK"
	if grep -F "[XCLIENT]" p1 p2; then
		atf_fail "the client was shown XCLIENT"
	fi
}
forward_xclient_cleanup()
{
	common_cleanup
}

atf_test_case forward_proxy_v2 cleanup
forward_proxy_v2_head()
{
	common_head
	atf_set descr "forward proxy-v2 to Dovecot's haproxy = yes listeners:" \
	    "the login Dovecot logs is the client's, IMAP, IMAPS (its TLS" \
	    "in the header: 'secured') and POP3; the client's own ID" \
	    "cannot change it"
}
forward_proxy_v2_body()
{
	dovecot_up
	certs
	I1=$(free_port)
	I2=$(free_port)
	P1=$(free_port)
	posternd_up 3 "listen on 127.0.0.1 port $I1 imap name v2 \
	upstream 127.0.0.1 port $IMAP_HAPROXY_PORT forward proxy-v2
listen on 127.0.0.1 port $I2 imap name v2s tls implicit \
	certificate \"$PWD/rsa.crt\" key \"$PWD/rsa.key\" \
	upstream 127.0.0.1 port $IMAP_HAPROXY_PORT forward proxy-v2
listen on 127.0.0.1 port $P1 pop3 name pv2 \
	upstream 127.0.0.1 port $POP3_HAPROXY_PORT forward proxy-v2"

	atf_check -o save:i1 -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $I1 127.0.0.5 --forge
	login_line 127.0.0.5 127.0.0.1 "rport=$(cport i1), lport=$I1"
	atf_check -o save:i2 -o match:"^login ok$" \
	    $PYTHON "$DRIVE" imap 127.0.0.1 $I2 127.0.0.6 --tls
	login_line 127.0.0.6 127.0.0.1 "secured, .*rport=$(cport i2), lport=$I2"
	atf_check -o save:p1 -o match:"^login ok$" \
	    $PYTHON "$DRIVE" pop3 127.0.0.1 $P1 127.0.0.7
	wait_file dv/dovecot-info.log "pop3-login: Info: Login: user=<testuser>, method=PLAIN, rip=127.0.0.7, lip=127.0.0.1, .*rport=$(cport p1), lport=$P1"
	atf_check -s exit:1 grep "rip=10.9.9.9" dv/dovecot-info.log
	atf_check -o ignore grep -F '"how":"proxy-v2"' audit/worker-*.log
}
forward_proxy_v2_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case haproxy
	atf_add_test_case refused
	atf_add_test_case by_hand
	atf_add_test_case limits_rules
	atf_add_test_case forward_id
	atf_add_test_case forward_xclient
	atf_add_test_case forward_proxy_v2
}
