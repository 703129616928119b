#! /usr/bin/env atf-sh
# login proxy (issue 21): postern greets the client and takes the login
# itself; the master connects the upstream only then, and the session
# goes on as in relay mode (postern.conf(5), "login proxy").  Python's
# imaplib against the Dovecot fixture; every wait is for a log line or
# a state, none a fixed sleep.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
POSTERNCTL=@OBJDIR@/bin/posternctl
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

# proxy_up: a Dovecot fixture and posternd with a login proxy listener
# to it, in $PORT; Dovecot's IMAP port in $IMAP_PORT.
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
upstream mail server 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $PORT imap name front login proxy upstream mail
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
}

# logins: Dovecot's logins so far (dovecot-info.log).
logins()
{
	grep -c "imap-login: Info: Login: user=<testuser>" dv/dovecot-info.log \
	    2>/dev/null || true
}

atf_test_case logins cleanup
logins_head()
{
	common_head
	atf_set descr "imaplib logs in through login proxy with LOGIN," \
	    "AUTHENTICATE PLAIN with and without SASL-IR, and after a wrong" \
	    "password; postern's greeting; a FETCH gives the bytes Dovecot" \
	    "gives directly"
}
logins_body()
{
	proxy_up
	atf_check -o save:out $PYTHON - "$PORT" "$IMAP_PORT" <<'EOF'
import base64, imaplib, sys

port, direct = int(sys.argv[1]), int(sys.argv[2])

def fetch(m):
    typ, _ = m.select("INBOX", readonly=True)
    assert typ == "OK"
    typ, data = m.fetch("1:*", "(BODY.PEEK[] FLAGS)")
    assert typ == "OK"
    return data

m = imaplib.IMAP4("127.0.0.1", direct)
m.login("testuser", "testpass")
want = fetch(m)
m.logout()

m = imaplib.IMAP4("127.0.0.1", port)
print(m.welcome.decode())
print(m.capability()[1][0].decode())
print(m.noop()[0])
print(m.xatom("ID", "NIL")[0])
typ, data = m.login("testuser", "testpass")
print("login", typ, b"COMPRESS=DEFLATE" in data[0])
print("fetch same", fetch(m) == want)
m.logout()

# AUTHENTICATE PLAIN with SASL-IR (imaplib has none of its own).
m = imaplib.IMAP4("127.0.0.1", port)
typ, _ = m._simple_command("AUTHENTICATE", "PLAIN",
    base64.b64encode(b"\0testuser\0testpass").decode())
print("sasl-ir", typ)
m.state = "AUTH"
print("fetch same", fetch(m) == want)
m.logout()

# Without SASL-IR: the credentials after a "+".
m = imaplib.IMAP4("127.0.0.1", port)
print("continuation", m.authenticate("PLAIN",
    lambda c: b"testuser\0testuser\0testpass")[0])
m.logout()

# A wrong password, then the right one, in one session.
m = imaplib.IMAP4("127.0.0.1", port)
try:
    m.login("testuser", "wrong")
    print("wrong accepted")
except imaplib.IMAP4.error as e:
    print("wrong", e)
print("noop", m.noop()[0])
print("right", m.login("testuser", "testpass")[0])
print("fetch same", fetch(m) == want)
m.logout()
EOF
	atf_check -o inline:"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] postern ready
IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN
OK
OK
login OK True
fetch same True
sasl-ir OK
fetch same True
continuation OK
wrong b'[AUTHENTICATIONFAILED] Authentication failed.'
noop OK
right OK
fetch same True
" cat out
	# The failed login's connection was closed, and the next made anew.
	wait_log "login proxy: login failed: upstream closed"
	atf_check_equal 5 "$(grep -c 'login proxy: to upstream mail server' log)"
	# The audit names the server from the connect on; verify holds.
	wait_until 10 sh -c "cat audit/worker-*.log | grep -c \
	    '\"event\":\"upstream\".*\"upstream_name\":\"mail\"' |
	    grep -qx 5" || atf_fail "no 5 upstream records"
	atf_check -o match:"\"event\":\"disconnect\".*\"upstream\":\"127.0.0.1\",\"upstream_port\":$IMAP_PORT," \
	    sh -c "cat audit/worker-*.log"
	if grep -r testpass audit; then
		atf_fail "the password is in the audit logs"
	fi
	atf_check -s exit:0 -o match:"good, [0-9]+ records" \
	    "$POLICYCTL" audit verify audit/worker-*.log
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
	    "connection while the client greets, asks and sends bad input;" \
	    "LOGIN with literals; the upstream down: BYE [UNAVAILABLE]"
}
before_login_body()
{
	proxy_up
	# While the client talks to postern, Dovecot has no connection.
	atf_check -o save:out $PYTHON - "$PORT" "$IMAP_PORT" <<'EOF'
import socket, subprocess, sys

port, imap = int(sys.argv[1]), int(sys.argv[2])

def conns():
    # Established connections to Dovecot's IMAP port (ss -H).
    out = subprocess.run(["ss", "-Htn", "state", "established",
        "( dport = :%d )" % imap], capture_output=True, text=True).stdout
    return len(out.splitlines())

s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
def line():
    l = f.readline().decode().rstrip("\r\n")
    print(l)
    return l
line()
for c in [b"a1 LOGIN\r\n",
          b"a2 LOGIN " + b"u" * 2000 + b" pass\r\n",
          b"a3 LOGIN {5000}\r\n",
          b"a4 AUTHENTICATE PLAIN !!not-base64!!\r\n",
          b"a5 AUTHENTICATE PLAIN dGVzdHVzZXI=\r\n",
          b"a6 AUTHENTICATE CRAM-MD5\r\n",
          b"a7 SELECT INBOX\r\n"]:
    s.sendall(c)
    line()
s.sendall(b"a8 AUTHENTICATE PLAIN\r\n")
line()
s.sendall(b"*\r\n")
line()
print("connections", conns())
# LOGIN with a synchronizing literal, then a non-synchronizing one,
# each in pieces: one "+" only.
s.sendall(b"a9 LOGIN {8}\r\n")
line()
s.sendall(b"test")
s.sendall(b"user {8+}\r\ntest")
s.sendall(b"pass\r\n")
# The server's answer, its capabilities aside (Dovecot's to say).
print(f.readline().decode().split(" [")[0])
print("connections", conns())
s.sendall(b"b1 LOGOUT\r\n")
print(f.readline().decode().rstrip("\r\n"))
print(" ".join(f.readline().decode().split()[:2]))
EOF
	atf_check -o inline:"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] postern ready
a1 BAD Missing arguments to LOGIN
a2 BAD [TOOBIG] Login argument over 1024 bytes
a3 BAD [TOOBIG] Login argument over 1024 bytes
a4 BAD Invalid base64 or PLAIN response
a5 BAD Invalid base64 or PLAIN response
a6 NO [CANNOT] Mechanism not offered in login proxy mode
a7 BAD Log in first: only CAPABILITY, ID, NOOP, STARTTLS, LOGIN, AUTHENTICATE and LOGOUT before the login
+ 
a8 BAD Authentication cancelled
connections 0
+ Ready for literal data
a9 OK
connections 1
* BYE Logging out
b1 OK
" cat out
	# Dovecot saw one login, the one with literals, and no other client.
	wait_file dv/dovecot-info.log "imap-login: Info: Login: user=<testuser>" ||
	    atf_fail "Dovecot logged no login"
	atf_check_equal 1 "$(logins)"
	atf_check_equal 1 "$(grep -c 'login proxy: to upstream' log)"

	# Dovecot gone: the login gets BYE [UNAVAILABLE].
	"$FIXTURE" stop "$PWD/dv"
	atf_check -o inline:"* BYE [UNAVAILABLE] Server unavailable\n" \
	    $PYTHON - "$PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"a LOGIN testuser testpass\r\n")
print(f.readline().decode().rstrip("\r\n"))
EOF
}
before_login_cleanup()
{
	common_cleanup
}

atf_test_case relay_default cleanup
relay_default_head()
{
	common_head
	atf_set descr "login relay stays the default: the server's greeting," \
	    "and conf -n prints login proxy only where it is, pop3 too"
}
relay_default_body()
{
	proxy_up
	P2=$(free_port)
	sed "s/^listen .*/listen on 127.0.0.1 port $P2 imap name back upstream mail/" \
	    postern.conf > relay.conf
	atf_check -o match:"login proxy upstream mail" \
	    "$POSTERND" -nv -f postern.conf
	atf_check -o not-match:"login (proxy|relay)" "$POSTERND" -nv -f relay.conf
	atf_check -o match:"pop3 name pop3-$P2 login proxy" \
	    "$POSTERND" -nv -f /dev/stdin <<EOF
user nobody
chroot "$PWD/empty"
listen on 127.0.0.1 port $P2 pop3 login proxy upstream 127.0.0.1 port 1
EOF
	atf_check -s exit:1 -e match:"expected 'relay' or 'proxy'" \
	    "$POSTERND" -nv -f /dev/stdin <<EOF
user nobody
chroot "$PWD/empty"
listen on 127.0.0.1 port $P2 pop3 login apop upstream 127.0.0.1 port 1
EOF
}
relay_default_cleanup()
{
	common_cleanup
}

atf_test_case starttls cleanup
starttls_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON curl openssl"
	atf_set timeout 120
	atf_set descr "STARTTLS answered by postern before the login:" \
	    "imaplib and curl log in over it; bytes behind STARTTLS end the" \
	    "session"
}
starttls_body()
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
listen on 127.0.0.1 port $PORT imap name st login proxy tls starttls \
    certificate "$PWD/ec.crt" key "$PWD/ec.key" \
    upstream 127.0.0.1 port $IMAP_PORT
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	atf_check -o save:out $PYTHON - "$PORT" <<'EOF'
import imaplib, socket, ssl, sys

port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4("127.0.0.1", port)
print("before", " ".join(m.capabilities))
print("starttls", m.starttls(ssl_context=ctx)[0])
print("after", " ".join(m.capabilities))
print("login", m.login("testuser", "testpass")[0])
print("select", m.select("INBOX")[0])
m.logout()

# A command in the same segment as STARTTLS is never run.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"a STARTTLS\r\nb LOGIN testuser testpass\r\n")
print(f.readline().decode().rstrip("\r\n"))
print("then", f.read().decode() or "closed")
EOF
	atf_check -o inline:"before IMAP4REV1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN
starttls OK
after IMAP4REV1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN
login OK
select OK
a OK Begin TLS negotiation now
then closed
" cat out
	wait_log "client sent [0-9]+ bytes after STARTTLS, before TLS"
	atf_check -o match:"^From: " curl -s --insecure --ssl-reqd \
	    "imap://127.0.0.1:$PORT/INBOX;UID=1" -u testuser:testpass
	# The connection refused by the injection was never made.
	atf_check_equal 2 "$(grep -c 'login proxy: to the listener.s upstream' log)"
}
starttls_cleanup()
{
	common_cleanup
}

atf_test_case capabilities cleanup
capabilities_head()
{
	common_head
	atf_set descr "postern's greeting lists what the health check kept" \
	    "of the server's capabilities, through the capability rules;" \
	    "a sane set while no check kept any"
}
capabilities_body()
{
	# A server that only greets and answers CAPABILITY, as a check sees.
	cat > fake.py <<'EOF'
import socketserver, sys

class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"* OK fake ready\r\n")
        for line in self.rfile:
            tag = line.split()[0]
            if line.split()[1:2] == [b"CAPABILITY"]:
                self.wfile.write(b"* CAPABILITY IMAP4rev1 XFAKE STARTTLS "
                    b"AUTH=GSSAPI LOGINDISABLED IDLE UNSELECT\r\n")
                self.wfile.write(tag + b" OK done\r\n")
            else:
                self.wfile.write(tag + b" BAD no\r\n")
                return

socketserver.ThreadingTCPServer.allow_reuse_address = True
s = socketserver.ThreadingTCPServer(("127.0.0.1", int(sys.argv[1])), H)
print("ready", flush=True)
s.serve_forever()
EOF
	FAKE=$(free_port)
	$PYTHON fake.py $FAKE > fake.out 2>&1 &
	echo $! > fake.pid
	wait_file fake.out "^ready" || atf_fail "fake server did not start"
	mkdir -p empty store
	chmod 755 empty
	chmod 700 store
	printf '%s\n' 'imap capability UNSELECT drop' 'imap capability * accept' \
	    'imap request * accept' 'imap response * all * accept' > rules
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	PORT=$(free_port)
	P2=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
pool min-idle 1 max 8 sessions 100
timeout drain 1
upstream fake server 127.0.0.1 port $FAKE
upstream fake check every 1 timeout 2 capability rise 1 fall 1
upstream none server 127.0.0.1 port $FAKE
listen on 127.0.0.1 port $PORT imap name front login proxy upstream fake
listen on 127.0.0.1 port $P2 imap name plain login proxy upstream none
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" 2
	cat > greeting.py <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
print(s.makefile("rb").readline().decode().rstrip())
EOF
	# The check keeps the list at its first pass.
	wait_until 10 sh -c "'$PYTHON' greeting.py $PORT | grep -q XFAKE" ||
	    atf_fail "the greeting never had the check's capabilities"
	atf_check -o inline:"* OK [CAPABILITY IMAP4rev1 XFAKE IDLE AUTH=PLAIN] postern ready\n" \
	    $PYTHON greeting.py $PORT
	# No check: the sane set, through the same rules.
	atf_check -o inline:"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] postern ready\n" \
	    $PYTHON greeting.py $P2
}
capabilities_cleanup()
{
	[ -f fake.pid ] && kill "$(cat fake.pid)" 2>/dev/null
	[ -f pid ] && kill -9 "$(cat pid)" 2>/dev/null
	return 0
}

atf_test_case authenticate cleanup
authenticate_head()
{
	common_head
	atf_set descr "when the health check saw SASL-IR and AUTH=PLAIN," \
	    "AUTHENTICATE PLAIN goes to the server as AUTHENTICATE PLAIN with" \
	    "SASL-IR, an authorization identity too; a wrong password then" \
	    "the right one"
}
authenticate_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	mkdir -p empty ctl
	chmod 755 empty
	chmod 700 ctl
	PORT=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
control socket "$PWD/ctl/sock"
pool min-idle 1 max 8 sessions 100
timeout drain 1
upstream mail server 127.0.0.1 port $IMAP_PORT
upstream mail check every 1 timeout 2 capability rise 1 fall 1
listen on 127.0.0.1 port $PORT imap name front login proxy upstream mail
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	wait_until 10 sh -c "'$POSTERNCTL' -s '$PWD/ctl/sock' status -j |
	    grep -q '\"capability\":\"[^\"]*SASL-IR'" ||
	    atf_fail "no capability kept by the check"
	atf_check -o save:out $PYTHON - "$PORT" <<'EOF'
import imaplib, sys

port = int(sys.argv[1])
m = imaplib.IMAP4("127.0.0.1", port)
try:
    m.authenticate("PLAIN", lambda c: b"testuser\0testuser\0wrong")
    print("wrong accepted")
except imaplib.IMAP4.error as e:
    print("wrong", e)
print("right", m.authenticate("PLAIN",
    lambda c: b"testuser\0testuser\0testpass")[0])
print("select", m.select("INBOX")[0])
m.logout()
EOF
	atf_check -o inline:"wrong [AUTHENTICATIONFAILED] Authentication failed.
right OK
select OK
" cat out
	atf_check_equal 2 "$(grep -c 'login proxy: AUTHENTICATE PLAIN of testuser taken' log)"
	wait_log "login proxy: login failed: upstream closed"
}
authenticate_cleanup()
{
	common_cleanup
}

atf_test_case oauth cleanup
oauth_head()
{
	common_head
	atf_set descr "AUTHENTICATE OAUTHBEARER and XOAUTH2 through login" \
	    "proxy, offered only when the check saw the server take them:" \
	    "tokens replayed byte for byte (Dovecot's rawlog), with SASL-IR" \
	    "and a continuation; a refused token's challenge (RFC 7628)" \
	    "relayed as Dovecot sends it, the client's answer too, then NO" \
	    "and another try; bad tokens get BAD and reach no server"
}
oauth_body()
{
	# Dovecot's static passdb checks a bearer token as the password.
	DOVECOT_RAWLOG=1 DOVECOT_NODELAY=1 atf_check -o ignore -e ignore \
	    "$FIXTURE" start "$PWD/dv"
	atf_check -o ignore -e ignore "$FIXTURE" stop "$PWD/dv"
	sed -i 's/^auth_mechanisms = .*/& oauthbearer xoauth2/' dv/dovecot.conf
	atf_check -o ignore -e ignore "$FIXTURE" restart "$PWD/dv"
	. "$PWD/dv/ports"
	mkdir -p empty audit
	chmod 755 empty
	chmod 700 audit
	PORT=$(free_port)
	P2=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
audit dir "$PWD/audit"
pool min-idle 1 max 8 sessions 100
timeout drain 1
upstream mail server 127.0.0.1 port $IMAP_PORT
upstream mail check every 1 timeout 2 capability rise 1 fall 1
upstream plain server 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $PORT imap name front login proxy upstream mail
listen on 127.0.0.1 port $P2 imap name plain login proxy upstream plain
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" 2
	cat > greeting.py <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
print(s.makefile("rb").readline().decode().rstrip())
EOF
	wait_until 10 sh -c "'$PYTHON' greeting.py $PORT | grep -q OAUTHBEARER" ||
	    atf_fail "the greeting never offered OAUTHBEARER"
	atf_check -o save:out $PYTHON - "$PORT" "$P2" "$IMAP_PORT" <<'EOF'
import base64, socket, sys

port, plain, direct = (int(a) for a in sys.argv[1:])

def bearer(t):
    return base64.b64encode(b"n,a=testuser,\x01auth=Bearer %s\x01\x01" %
        t).decode()

def xoauth2(t):
    return base64.b64encode(b"user=testuser\x01auth=Bearer %s\x01\x01" %
        t).decode()

class C:
    def __init__(self, p):
        self.s = socket.create_connection(("127.0.0.1", p), timeout=10)
        self.f = self.s.makefile("rb")
        self.greeting = self.line()
    def line(self):
        return self.f.readline().decode().rstrip("\r\n")
    def say(self, l):
        self.s.sendall(l.encode() + b"\r\n")
        return self.line()

def short(l):
    # A tagged OK's capabilities are Dovecot's to list.
    return l.split(" [CAPABILITY ")[0]

# What Dovecot says itself to a refused token: the challenge relayed.
d = C(direct)
want = d.say("d1 AUTHENTICATE OAUTHBEARER " + bearer(b"wrong"))
d.say("AQ==")
wantx = d.say("d2 AUTHENTICATE XOAUTH2 " + xoauth2(b"wrong"))

c = C(plain)
print("plain offers", "OAUTHBEARER" in c.greeting)
print(c.say("p1 AUTHENTICATE OAUTHBEARER " + bearer(b"testpass")))

c = C(port)
print("AUTH=OAUTHBEARER AUTH=XOAUTH2]" in c.greeting)
print(c.say("a1 AUTHENTICATE OAUTHBEARER !!!!"))
print(c.say("a2 AUTHENTICATE XOAUTH2 ="))
print(c.say("a3 AUTHENTICATE OAUTHBEARER"))
print(c.say("*"))
print(c.say("a4 AUTHENTICATE OAUTHBEARER " + "QUFB" * 2100))
l = c.say("a5 AUTHENTICATE OAUTHBEARER " + bearer(b"wrong"))
print("challenge as Dovecot's", l == want, l)
print(c.say("AQ=="))
print(short(c.say("a6 AUTHENTICATE OAUTHBEARER " + bearer(b"testpass"))))
print(c.say("a7 LOGOUT"))

c = C(port)
print(c.say("b1 AUTHENTICATE XOAUTH2"))
l = c.say(xoauth2(b"wrong"))
print("challenge as Dovecot's", l == wantx)
print(c.say(""))
print(short(c.say("b2 AUTHENTICATE XOAUTH2 " + xoauth2(b"testpass"))))
print(c.say("b3 LOGOUT"))

c = C(port)
print(c.say("c1 AUTHENTICATE OAUTHBEARER"))
print(short(c.say(bearer(b"testpass"))))
EOF
	atf_check -o inline:"plain offers False
p1 NO [CANNOT] Mechanism not offered in login proxy mode
True
a1 BAD Invalid base64 response
a2 BAD Invalid base64 response
+ 
a3 BAD Authentication cancelled
a4 BAD [TOOBIG] OAUTHBEARER response over 8192 bytes
challenge as Dovecot's True + eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=
a5 NO [AUTHENTICATIONFAILED] Authentication failed.
a6 OK
* BYE Logging out
+ 
challenge as Dovecot's True
b1 NO [AUTHENTICATIONFAILED] Authentication failed.
b2 OK
* BYE Logging out
+ 
c1 OK
" cat out
	# The tokens reached Dovecot as the clients sent them.
	tok=$($PYTHON -c 'import base64; print(base64.b64encode(b"n,a=testuser,\x01auth=Bearer testpass\x01\x01").decode())')
	wait_until 10 sh -c "cat dv/run/login/rawlogs/*.in | grep -qF 'a6 AUTHENTICATE OAUTHBEARER $tok'" ||
	    atf_fail "no replayed OAUTHBEARER in Dovecot's rawlog"
	atf_check -o match:"c1 AUTHENTICATE OAUTHBEARER $tok" \
	    sh -c 'cat dv/run/login/rawlogs/*.in'
	atf_check -o match:"[0-9] AQ==" sh -c 'cat dv/run/login/rawlogs/*.in'
	atf_check -o match:"Login: user=<testuser>, method=XOAUTH2" \
	    cat dv/dovecot-info.log
}
oauth_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case authenticate
	atf_add_test_case oauth
	atf_add_test_case capabilities
	atf_add_test_case starttls
	atf_add_test_case logins
	atf_add_test_case before_login
	atf_add_test_case relay_default
}
