#! /usr/bin/env atf-sh
# login proxy for POP3 (issue 21): postern greets, answers CAPA, STLS
# and QUIT, takes USER and PASS or AUTH PLAIN, and only then has the
# master connect the upstream, replays the login there and relays the
# answer (postern.conf(5), "login proxy").  poplib, raw lines and curl
# against the Dovecot fixture; every wait is for a log line or a state.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 120
}

common_cleanup()
{
	[ -f pid ] && kill -9 "$(cat pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# proxy_up [CHECK]: a Dovecot fixture and posternd with a POP3 login
# proxy listener to it, in $PORT; Dovecot's POP3 port in $POP3_PORT.
# CHECK: an upstream check line's options ("every 1 ... capability"),
# and then a second listener, $P2, to the same server unchecked.
proxy_up()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	mkdir -p empty audit
	chmod 755 empty
	chmod 700 audit
	PORT=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
audit dir "$PWD/audit"
pool min-idle 1 max 8 sessions 100
timeout drain 1
upstream pop server 127.0.0.1 port $POP3_PORT
${1:+upstream pop check $1}
listen on 127.0.0.1 port $PORT pop3 name front login proxy upstream pop
EOF
	if [ -n "$1" ]; then
		# The same server, unchecked, behind a second listener.
		P2=$(free_port)
		cat >> postern.conf <<EOF
upstream plain server 127.0.0.1 port $POP3_PORT
listen on 127.0.0.1 port $P2 pop3 name plain login proxy upstream plain
EOF
	fi
	start
	if [ -n "$1" ]; then
		wait_log "worker slot [0-9]+ pid [0-9]+ ready" 2
	else
		wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	fi
}

# logins: Dovecot's POP3 logins so far (dovecot-info.log).
logins()
{
	grep -c "pop3-login: Info: Login: user=<testuser>" \
	    dv/dovecot-info.log 2>/dev/null || true
}

# conns.py: established connections to a port (ss), for the scripts.
conns_py()
{
	cat > conns.py <<'EOF'
import subprocess

def conns(port):
    out = subprocess.run(["ss", "-Htn", "state", "established",
        "( dport = :%d )" % port], capture_output=True, text=True).stdout
    return len(out.splitlines())
EOF
}

atf_test_case logins cleanup
logins_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON curl"
	atf_set timeout 120
	atf_set descr "poplib and curl log in through login proxy with USER" \
	    "and PASS, AUTH PLAIN with an initial response and with a" \
	    "continuation, and after a wrong password; STAT, LIST and RETR" \
	    "give the bytes Dovecot gives directly"
}
logins_body()
{
	proxy_up
	atf_check -o save:out $PYTHON - "$PORT" "$POP3_PORT" <<'EOF'
import base64, poplib, sys

port, direct = int(sys.argv[1]), int(sys.argv[2])
ir = base64.b64encode(b"\0testuser\0testpass")

def mail(p):
    n, _ = p.stat()
    return [p.list()[1], p.uidl()[1]] + [p.retr(i)[1] for i in
        range(1, n + 1)] + [p.top(1, 0)[1]]

d = poplib.POP3("127.0.0.1", direct, timeout=10)
d.user("testuser")
d.pass_("testpass")
want = mail(d)
d.quit()

p = poplib.POP3("127.0.0.1", port, timeout=10)
print(p.getwelcome().decode())
print(p.user("testuser").decode())
print(p.pass_("testpass").decode().split(" ")[0])
assert mail(p) == want
print(p.quit().decode().split(" ")[0])

# A wrong password, then the right one, on the same connection.
p = poplib.POP3("127.0.0.1", port, timeout=10)
p.user("testuser")
try:
    p.pass_("wrong")
    print("wrong password taken")
except poplib.error_proto as e:
    print(e.args[0].decode().split(" ")[0])
p.user("testuser")
print(p.pass_("testpass").decode().split(" ")[0])
assert mail(p) == want
p.quit()

# AUTH PLAIN: an initial response, then a continuation, raw lines.
p = poplib.POP3("127.0.0.1", port, timeout=10)
print(p._shortcmd("AUTH PLAIN " + ir.decode()).decode().split(" ")[0])
assert mail(p) == want
p.quit()
p = poplib.POP3("127.0.0.1", port, timeout=10)
p._putcmd("AUTH PLAIN")
print(repr(p._getline()[0].decode()))
print(p._shortcmd(ir.decode()).decode().split(" ")[0])
assert mail(p) == want
p.quit()
# The login a byte at a time: lines put together across reads.
import socket
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
f.readline()
for b in b"USER testuser\r\nPASS testpass\r\n":
    s.send(bytes([b]))
print(f.readline().decode().rstrip(), f.readline().decode().split(" ")[0])
s.sendall(b"QUIT\r\n")
print("same mail")
EOF
	atf_check -o inline:"+OK postern ready
+OK
+OK
+OK
-ERR
+OK
+OK
'+ '
+OK
+OK +OK
same mail
" cat out
	# And one direct.
	wait_file dv/dovecot-info.log "pop3-login: Info: Login: user=<testuser>" 6
	atf_check_equal 6 "$(logins)"
	# curl: LIST and a RETR through it, as directly.
	for u in "" 1; do
		atf_check -o save:direct curl -sS \
		    "pop3://testuser:testpass@127.0.0.1:$POP3_PORT/$u"
		atf_check -o save:proxied curl -sS \
		    "pop3://testuser:testpass@127.0.0.1:$PORT/$u"
		atf_check cmp direct proxied
	done
	# curl's SASL: it takes AUTH PLAIN from our CAPA.
	atf_check -o save:proxied curl -sS --login-options AUTH=PLAIN \
	    "pop3://testuser:testpass@127.0.0.1:$PORT/1"
	atf_check cmp direct proxied
	atf_check -s exit:67 -o empty -e ignore curl -sS \
	    "pop3://testuser:wrong@127.0.0.1:$PORT/"
	# The audit log knows the server chosen and holds no password.
	atf_check -s exit:1 grep -r testpass audit
	atf_check -o match:'"upstream"' cat audit/worker-*.log
}
logins_cleanup()
{
	common_cleanup
}

atf_test_case before_login cleanup
before_login_head()
{
	common_head
	atf_set descr "nothing reaches Dovecot before the login: no" \
	    "connection while the client greets, asks and sends bad input" \
	    "(oversized USER and PASS, broken base64, a cancelled AUTH," \
	    "APOP, other mechanisms, unknown commands); the upstream down:" \
	    "-ERR [SYS/TEMP]"
}
before_login_body()
{
	proxy_up
	conns_py
	atf_check -o save:out $PYTHON - "$PORT" "$POP3_PORT" <<'EOF'
import socket, sys
from conns import conns

port, pop3 = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
def line():
    l = f.readline().decode().rstrip("\r\n")
    print(l)
    return l
line()
for c in [b"USER\r\n",
          b"USER " + b"u" * 300 + b"\r\n",
          b"PASS testpass\r\n",
          b"USER testuser\r\n",
          b"PASS " + b"p" * 300 + b"\r\n",
          b"PASS testpass\r\n",
          b"AUTH\r\n",
          b"AUTH PLAIN !!not-base64!!\r\n",
          b"AUTH PLAIN dGVzdHVzZXI=\r\n",
          b"AUTH PLAIN =\r\n",
          b"AUTH CRAM-MD5\r\n",
          b"AUTH SCRAM-SHA-256\r\n",
          b"APOP testuser 0123456789abcdef0123456789abcdef\r\n",
          b"STAT\r\n",
          b"NOOP\r\n",
          b"XFOO\r\n",
          b"STLS\r\n",
          b"USER a\0b\r\n",
          b"USER bare\n",
          b"X" * 9000 + b"\r\n"]:
    s.sendall(c)
    line()
s.sendall(b"AUTH PLAIN\r\n")
line()
s.sendall(b"*\r\n")
line()
s.sendall(b"AUTH PLAIN\r\n")
line()
s.sendall(b"!!\r\n")
line()
print("connections", conns(pop3))
# Pipelined: USER, PASS and STAT in one write; STAT waits for the login.
s.sendall(b"USER testuser\r\nPASS testpass\r\nSTAT\r\n")
line()
print(f.readline().decode().split(" ")[0])
print(f.readline().decode().split(" ")[0])
print("connections", conns(pop3))
s.sendall(b"QUIT\r\n")
print(f.readline().decode().split(" ")[0])
EOF
	atf_check -o inline:"+OK postern ready
-ERR Invalid arguments
-ERR User name too long
-ERR USER first
+OK
-ERR Password too long
-ERR USER first
-ERR AUTH needs a mechanism
-ERR Invalid base64 or PLAIN response
-ERR Invalid base64 or PLAIN response
-ERR Invalid base64 or PLAIN response
-ERR Only AUTH PLAIN through this proxy
-ERR Only AUTH PLAIN through this proxy
-ERR APOP is not available through this proxy: use USER and PASS or AUTH PLAIN
-ERR Command not valid in this state
-ERR Command not valid in this state
-ERR Unknown command
-ERR STLS is not available through this proxy
-ERR Control character in command
-ERR Line must end in CRLF
-ERR Line too long
+ 
-ERR Authentication cancelled
+ 
-ERR Invalid base64 or PLAIN response
connections 0
+OK
+OK
+OK
connections 1
+OK
" cat out
	wait_file dv/dovecot-info.log "pop3-login: Info: Login: user=<testuser>"
	atf_check_equal 1 "$(logins)"
	atf_check_equal 1 "$(grep -c 'login proxy: to upstream' log)"

	# Dovecot gone: the login gets -ERR [SYS/TEMP].
	"$FIXTURE" stop "$PWD/dv"
	atf_check -o inline:"+OK
-ERR [SYS/TEMP] Server unavailable\n" $PYTHON - "$PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"USER testuser\r\n")
print(f.readline().decode().rstrip("\r\n"))
s.sendall(b"PASS testpass\r\n")
print(f.readline().decode().rstrip("\r\n"))
EOF
}
before_login_cleanup()
{
	common_cleanup
}

atf_test_case capa cleanup
capa_head()
{
	common_head
	atf_set descr "CAPA before the login: Dovecot's lines as the health" \
	    "check kept them, without STLS and its SASL line, with USER and" \
	    "SASL PLAIN, which postern replays; a sane set while no check" \
	    "kept any; after the login, Dovecot's own CAPA"
}
capa_body()
{
	proxy_up "every 1 timeout 2 capability rise 1 fall 1"
	cat > capa.py <<'EOF'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
caps = p.capa()
print(" ".join(sorted(k + ("=" + ",".join(v) if v else "")
    for k, v in caps.items())))
if len(sys.argv) > 2:
    p.user("testuser")
    p.pass_("testpass")
    caps = p.capa()
    print(" ".join(sorted(k + ("=" + ",".join(v) if v else "")
        for k, v in caps.items())))
p.quit()
EOF
	# Unchecked: the sane set (Dovecot lists CAPA itself; it does not).
	atf_check -o inline:"AUTH-RESP-CODE PIPELINING RESP-CODES SASL=PLAIN TOP UIDL USER
" $PYTHON capa.py $P2
	wait_until 10 sh -c "'$PYTHON' capa.py $PORT | grep -q CAPA" ||
	    atf_fail "CAPA never had the check's lines"
	$PYTHON capa.py $POP3_PORT > direct
	atf_check -o match:"SASL=PLAIN,LOGIN,CRAM-MD5" -o match:STLS cat direct
	atf_check -o save:out $PYTHON capa.py $PORT after
	atf_check -o inline:"AUTH-RESP-CODE CAPA PIPELINING RESP-CODES SASL=PLAIN TOP UIDL USER
" head -1 out
	# After the login Dovecot's own list, which has no login lines then.
	atf_check -o inline:"AUTH-RESP-CODE CAPA PIPELINING RESP-CODES TOP UIDL
" tail -1 out
}
capa_cleanup()
{
	common_cleanup
}

atf_test_case stls cleanup
stls_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON curl openssl"
	atf_set timeout 120
	atf_set descr "STLS answered by postern before the login, on a" \
	    "starttls-required listener: no USER, PASS or AUTH before TLS," \
	    "CAPA without USER and SASL then; poplib and curl log in over" \
	    "it; bytes behind STLS end the session"
}
stls_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ec.key -out ec.crt -days 2 -subj /CN=ec.test \
	    >/dev/null 2>&1 || atf_fail "openssl req ec"
	chmod 600 ec.key
	mkdir -p empty
	chmod 755 empty
	PORT=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
pool min-idle 1 max 8 sessions 100
timeout drain 1
listen on 127.0.0.1 port $PORT pop3 name st login proxy \
    tls starttls-required certificate "$PWD/ec.crt" key "$PWD/ec.key" \
    upstream 127.0.0.1 port $POP3_PORT
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	atf_check -o save:out $PYTHON - "$PORT" <<'EOF'
import poplib, socket, ssl, sys

port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3("127.0.0.1", port, timeout=10)
print("before", " ".join(sorted(p.capa())))
for c in ("USER testuser", "AUTH PLAIN AHRlc3R1c2VyAHRlc3RwYXNz"):
    try:
        p._shortcmd(c)
    except poplib.error_proto as e:
        print(e.args[0].decode())
print("stls", p.stls(context=ctx).decode())
print("after", " ".join(sorted(p.capa())))
print("user", p.user("testuser").decode())
print("pass", p.pass_("testpass").decode().split(" ")[0])
print("stat", p.stat()[0] > 0)
p.quit()

# A command in the same segment as STLS is never run.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"STLS\r\nUSER testuser\r\n")
print(f.readline().decode().rstrip("\r\n"))
print("then", f.read().decode() or "closed")
EOF
	atf_check -o inline:"before AUTH-RESP-CODE PIPELINING RESP-CODES STLS TOP UIDL
-ERR Use STLS first
-ERR Use STLS first
stls +OK Begin TLS negotiation now
after AUTH-RESP-CODE PIPELINING RESP-CODES SASL TOP UIDL USER
user +OK
pass +OK
stat True
+OK Begin TLS negotiation now
then closed
" cat out
	wait_log "after STARTTLS, before TLS|after STLS"
	atf_check -o match:"^From: " curl -s --insecure --ssl-reqd \
	    "pop3://127.0.0.1:$PORT/1" -u testuser:testpass
	# Only the two logins were connected.
	atf_check_equal 2 "$(grep -c 'login proxy: to the listener.s upstream' log)"
}
stls_cleanup()
{
	common_cleanup
}

atf_test_case rules cleanup
rules_head()
{
	common_head
	atf_set descr "with a policy store: postern's greeting as the" \
	    "greeting rule rewrites it, CAPA through the capability rules," \
	    "a refused USER answered by the rule in PASS's place, no login" \
	    "sent, and another try; a greeting" \
	    "rule that aborts ends the session before anything is connected"
}
rules_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	mkdir -p empty store store2
	chmod 755 empty
	chmod 700 store store2
	cat > rules <<'EOF'
pop3 response GREETING +OK rewrite "postern POP3 ready"
pop3 response * * accept
pop3 capability TOP drop
pop3 capability * accept
pop3 request USER reject "[AUTH] not this one" if arg 1 ~ "nobody"
pop3 request * accept
EOF
	printf '%s\n' 'pop3 response GREETING * abort' \
	    'pop3 request * accept' > rules2
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store2" load rules2
	PORT=$(free_port)
	P2=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
pool min-idle 1 max 8 sessions 100
timeout drain 1
listen on 127.0.0.1 port $PORT pop3 name front login proxy \
    upstream 127.0.0.1 port $POP3_PORT
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	wait_log "policy enforced"
	atf_check -o save:out $PYTHON - "$PORT" <<'EOF'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
print(p.getwelcome().decode())
print(" ".join(sorted(p.capa())))
p.user("nobody")
try:
    p.pass_("testpass")
except poplib.error_proto as e:
    print(e.args[0].decode())
p.user("testuser")
print(p.pass_("testpass").decode().split(" ")[0])
print(p.stat()[0] > 0)
p.quit()
EOF
	atf_check -o inline:"+OK postern POP3 ready
AUTH-RESP-CODE PIPELINING RESP-CODES SASL UIDL USER
-ERR [AUTH] not this one
+OK
True
" cat out
	# The refused login reached no server: Dovecot saw one, and its
	# connection was closed with the refusal.
	wait_file dv/dovecot-info.log "pop3-login: Info: Login: user=<testuser>"
	atf_check_equal 0 "$(grep -c 'user=<nobody>' dv/dovecot-info.log)"

	# A greeting rule that aborts: -ERR, the end, nothing connected.
	kill "$(cat pid)"
	wait_exit
	sed -e "s|store\"|store2\"|" -e "s/port $PORT/port $P2/" \
	    postern.conf > p2.conf
	mv p2.conf postern.conf
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	wait_log "policy enforced"
	atf_check -o inline:"-ERR Session ended by policy\nEOF\n" \
	    $PYTHON - "$P2" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
print(f.readline().decode().rstrip())
print(f.readline().decode() or "EOF")
EOF
	atf_check_equal 0 "$(grep -c 'login proxy: to' log)"
}
rules_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case logins
	atf_add_test_case before_login
	atf_add_test_case capa
	atf_add_test_case stls
	atf_add_test_case rules
}
