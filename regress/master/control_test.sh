#! /usr/bin/env atf-sh
# posternctl and the control socket, and the metrics, with the real
# posternd in front of the Dovecot fixture: status, sessions and their
# JSON during a scripted load (controldrive.py: five sessions held open,
# three logged in, one in TLS, one refused login), checked against the
# audit log; kick, reload; the socket refuses whoever is not root, and
# survives garbage, requests too long and clients that say nothing; the
# metrics pass promtool and Python's OpenMetrics parser, and their
# values are those of the audit log and of posternctl.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
POSTERNCTL=@OBJDIR@/bin/posternctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/master/controldrive.py

# setup [LINE]: Dovecot; the store with the rules below; posternd with
# an IMAP listener (t1, STARTTLS offered) and a POP3 one (p1), and LINE,
# audit logs, the control socket in ./run and the metrics on $MPORT.
setup()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=$(free_port)
	PPORT=$(free_port)
	MPORT=$(free_port)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ec.key -out ec.crt -days 2 -subj /CN=ec.test \
	    >/dev/null 2>&1 || atf_fail "openssl req"
	chmod 600 ec.key
	mkdir -p empty store audit run
	chmod 755 empty
	chmod 700 store audit run
	cat > rules <<'EOF'
imap request DELETE reject "Not here"
imap request * accept
imap response * all * accept
imap capability * accept
pop3 request CAPA accept-multiline
pop3 request * accept
pop3 response * * accept
pop3 capability * accept
EOF
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	SOCK=$PWD/run/control.sock
	CTL="$POSTERNCTL -s $SOCK"
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
audit dir "$PWD/audit"
pool min-idle 1 max 20 sessions 100
timeout start 10 drain 2 login 300
control socket "$SOCK"
metrics listen on 127.0.0.1 port $MPORT
listen on 127.0.0.1 port $PORT imap name t1 tls starttls \
	certificate "$PWD/ec.crt" key "$PWD/ec.key" \
	upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $PPORT pop3 name p1 \
	upstream 127.0.0.1 port $POP3_PORT
$1
EOF
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" 2
	wait_file log "policy enforced" 2
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON openssl setpriv curl promtool"
	atf_set timeout 120
}

common_cleanup()
{
	[ -f posternd.pid ] && kill -9 "$(cat posternd.pid)" 2>/dev/null
	[ -f drive.pid ] && kill "$(cat drive.pid)" 2>/dev/null
	[ -f silent.pid ] && kill "$(cat silent.pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# drive: controldrive.py in the background, its commands through the
# fifo on descriptor 3, what it says in drive.out; back once it holds
# its five sessions.
drive()
{
	mkfifo drive.in
	$PYTHON "$DRIVE" "$PORT" "$PPORT" < drive.in > drive.out 2>&1 &
	echo $! > drive.pid
	exec 3> drive.in
	wait_file drive.out "^ready$"
}

# port NAME: the client port of the driver's session NAME.
port()
{
	sed -n "s/^session $1 port \([0-9]*\) .*/\1/p" drive.out
}

# json CMD PYTHON-EXPRESSION: the expression of j, posternctl -j CMD's
# answer, printed.
json()
{
	$CTL -j "$1" > j.json || atf_fail "posternctl -j $1"
	$PYTHON -c "import json; j = json.load(open('j.json')); print($2)"
}

# status_sessions N: posternctl status counts N sessions.
status_sessions()
{
	[ "$(json status 'j["sessions"]')" = "$1" ]
}

# users_told: the workers have told the master the three users.
users_told()
{
	[ "$(json sessions 'sum(1 for s in j["sessions"] if s["user"])')" = 3 ]
}

# metric NAME{LABELS}: its value in ./metrics.txt.
metric()
{
	awk -v k="$1" '$1 == k { print $2 }' metrics.txt
}

atf_test_case load cleanup
load_head()
{
	common_head
	atf_set descr "during a scripted load: status, sessions and their" \
	    "JSON agree with the driver and the audit log; kick ends the" \
	    "named session with a BYE and cause kicked; reload; afterwards" \
	    "the metrics pass promtool and agree with the audit log"
}
load_cleanup()
{
	common_cleanup
}

load_body()
{
	setup
	drive

	# status: every session counted by its listener, the pools busy,
	# policyd and keyd ready, the generation policyctl loaded.
	wait_until 10 status_sessions 5 ||
	    atf_fail "posternctl status: not 5 sessions: $(cat j.json)"
	$CTL -j status > status.json || atf_fail "posternctl -j status"
	sha=$("$POLICYCTL" -s "$PWD/store" history |
	    sed -n 's/^[* ]*generation 1 .* sha256 \([0-9a-f]*\)$/\1/p')
	[ -n "$sha" ] || atf_fail "no sha256 in policyctl history"
	$PYTHON - status.json "$sha" "$PORT" "$(cat posternd.pid)" <<'EOF' ||
import json, sys
j = json.load(open(sys.argv[1]))
l = {x["name"]: x for x in j["listeners"]}
assert j["pid"] == int(sys.argv[4]) and j["sessions"] == 5, j
assert l["t1"]["port"] == int(sys.argv[3]) and l["t1"]["tls"] == "starttls", l
assert l["t1"]["sessions"] == 4 and l["p1"]["sessions"] == 1, l
assert l["t1"]["pool"]["busy"] == 4 and l["p1"]["pool"]["busy"] == 1, l
assert l["t1"]["pool"]["max"] == 20 and l["t1"]["queued"] == 0, l
t = l["t1"]["pool"]["template"]
assert t["state"] == "ready" and t["pid"] > 0 and t["every"] == 256, t
assert t["forks"] >= 4, t
for d in ("policyd", "keyd"):
    assert j["daemons"][d]["state"] == "ready", j["daemons"]
    assert j["daemons"][d]["pid"] > 0 and j["daemons"][d]["restarts"] == 0
r = j["rules"]
assert r["generation"] == 1 and r["sha256"] == sys.argv[2], r
assert r["user"] == "root", r
EOF
	    atf_fail "posternctl -j status: $(cat status.json)"
	atf_check -o save:status.txt $CTL status
	atf_check -o match:"^t1 +127\.0\.0\.1:$PORT +imap +starttls +[0-9]+ +4 +[0-9]+ +20 +0 +4\$" \
	    cat status.txt
	atf_check -o match:"^p1 +127\.0\.0\.1:$PPORT +pop3 +none +[0-9]+ +1 +[0-9]+ +20 +0 +1\$" \
	    cat status.txt
	atf_check -o match:"^policyd +ready, pid [0-9]+, up since 20[0-9-]+T[0-9:]+Z, restarts 0\$" \
	    cat status.txt
	atf_check -o match:"^rules +generation 1, sha256 $sha, loaded .* by root\$" \
	    cat status.txt
	atf_check -o match:"^sessions +5\$" cat status.txt
	atf_check -o match:"^template +t1 ready, pid [0-9]+, [0-9]+ of 256 forks before it is replaced\$" \
	    cat status.txt

	# sessions: each of the driver's, with its user, its TLS and, in
	# plaintext, the very bytes it sent and read; each in the audit
	# log under the same id, with the same user and TLS.
	wait_until 10 users_told || atf_fail "no 3 users: $(cat j.json)"
	$CTL -j sessions > sessions.json || atf_fail "posternctl -j sessions"
	$PYTHON - sessions.json drive.out audit <<'EOF' ||
import glob, json, sys
got = {s["port"]: s for s in json.load(open(sys.argv[1]))["sessions"]}
recs = [json.loads(l) for f in glob.glob(sys.argv[3] + "/worker-*.log")
    for l in open(f)]
assert len(got) == 5, got
for line in open(sys.argv[2]):
    w = line.split()
    if w[0] != "session":
        continue
    name, port, user, tls = w[1], int(w[3]), w[5], w[7]
    s = got[port]
    assert s["listener"] == ("p1" if name == "e" else "t1"), s
    assert s["client"] == "127.0.0.1", s
    assert s["user"] == (None if user == "-" else user), (name, s)
    assert (s["tls"] is None) == (tls == "-"), (name, s)
    assert s["tls"] is None or s["tls"] == tls, (name, s)
    if tls == "-":
        assert (s["client_in"], s["client_out"]) == (int(w[9]), int(w[11])), \
            (name, s, w)
    assert s["upstream_in"] > 0 and s["commands"] > 0, s
    mine = [r for r in recs if r.get("session") == s["id"]]
    ev = [r["event"] for r in mine]
    assert ev.count("connect") == 1 and "disconnect" not in ev, (name, ev)
    assert [r["user"] for r in mine if r["event"] == "user"] == \
        ([] if user == "-" else [user]), (name, mine)
    assert ev.count("tls") == (0 if tls == "-" else 1), (name, ev)
# The audit log holds no other session that is open.
ids = {r["session"] for r in recs if r["event"] == "connect"} - \
    {r["session"] for r in recs if r["event"] == "disconnect"}
assert ids == {s["id"] for s in got.values()}, (ids, got)
EOF
	    atf_fail "posternctl -j sessions: $(cat sessions.json)"
	atf_check -o save:sessions.txt $CTL sessions
	id_b=$($PYTHON -c "import json; print([s['id'] for s in json.load(open('sessions.json'))['sessions'] if s['port'] == $(port b)][0])")
	atf_check -o match:"^$id_b +t1 +127\.0\.0\.1:$(port b) +TLSv1\.[23] +20[0-9-]+T[0-9:]+Z +[0-9]+ +[0-9]+ testuser\$" \
	    cat sessions.txt
	[ "$(grep -c '^[0-9]' sessions.txt)" -eq 5 ] ||
	    atf_fail "not 5 sessions in posternctl sessions"

	# The metrics while they are open: the same sessions.
	curl -sf "http://127.0.0.1:$MPORT/metrics" > metrics.txt ||
	    atf_fail "GET /metrics"
	[ "$(metric 'postern_sessions_active{listener="t1"}')" = 4 ] &&
	    [ "$(metric 'postern_sessions_active{listener="p1"}')" = 1 ] &&
	    [ "$(metric 'postern_workers{listener="t1",state="busy"}')" = 4 ] ||
	    atf_fail "active sessions in the metrics: $(grep active metrics.txt)"

	# kick: the client reads the BYE, the log and the audit say kicked.
	id_a=$($PYTHON -c "import json; print([s['id'] for s in json.load(open('sessions.json'))['sessions'] if s['port'] == $(port a)][0])")
	atf_check -o inline:"session $id_a: told to end\n" $CTL kick "$id_a"
	echo "bye a" >&3
	wait_file drive.out "^bye a "
	atf_check -o match:"^bye a \* BYE Session ended by the administrator\$" \
	    grep "^bye a " drive.out
	wait_file log "t1: session $id_a ended \(slot [0-9]+, client 127\.0\.0\.1\): kicked; "
	wait_until 10 grep -q "\"event\":\"disconnect\",\"session\":$id_a,.*\"reason\":\"kicked\"" \
	    audit/worker-*.log || atf_fail "no kicked disconnect record"
	wait_until 10 status_sessions 4 || atf_fail "not 4 sessions after kick"
	atf_check -s exit:1 -e inline:"posternctl: no such session\n" \
	    $CTL kick "$id_a"

	# reload: the sessions go on under the old pools.
	atf_check -o inline:"reloaded\n" $CTL reload
	wait_file log "posternctl reload: reloading "
	wait_file log "postern.conf: reloaded"
	status_sessions 4 || atf_fail "not 4 sessions after reload"

	echo end >&3
	wait_file drive.out "^ended$"
	wait_file log "session [0-9]+ ended" 5
	wait_until 20 status_sessions 0 || atf_fail "sessions left"
	wait_until 20 sessions_over dv audit || atf_fail "no disconnect records"

	# The metrics: a real parser takes them, by posternctl as by HTTP,
	# and they count what the audit log holds.
	curl -sf "http://127.0.0.1:$MPORT/metrics" > metrics.txt ||
	    atf_fail "GET /metrics"
	atf_check promtool check metrics < metrics.txt
	atf_check -o save:ctlmetrics.txt $CTL metrics
	atf_check promtool check metrics < ctlmetrics.txt
	# The same series either way.
	for f in metrics.txt ctlmetrics.txt; do
		awk '!/^#/ { print $1 }' $f > $f.names
	done
	atf_check cmp metrics.txt.names ctlmetrics.txt.names
	$PYTHON - metrics.txt audit <<'EOF' || atf_fail "metrics and audit differ"
import collections, glob, json, re, sys
m = {}
for line in open(sys.argv[1]):
    if not line.startswith("#"):
        k, v = line.rsplit(" ", 1)
        m[k] = float(v)
recs = [json.loads(l) for f in glob.glob(sys.argv[2] + "/worker-*.log")
    for l in open(f)]
def count(**kw):
    return sum(1 for r in recs if all(r.get(k) == v for k, v in kw.items()))
for l in ("t1", "p1"):
    assert m['postern_sessions_opened_total{listener="%s"}' % l] == \
        count(event="connect", listener=l), l
    assert m['postern_sessions_active{listener="%s"}' % l] == 0, l
ends = collections.Counter((r["listener"], r["reason"]) for r in recs
    if r["event"] == "disconnect")
for (l, why), n in ends.items():
    assert m['postern_sessions_ended_total{listener="%s",cause="%s"}' %
        (l, why)] == n, (l, why, n)
assert ends[("t1", "kicked")] == 1 and ends[("t1", "logout")] == 3, ends
v = collections.Counter((r["table"], r["action"]) for r in recs
    if r["event"] == "verdict")
assert v[("request", "reject")] == 1, v
for k, re_ in m.items():
    t = re.match(r'postern_verdicts_total\{table="(\w+)",action="([\w-]+)"\}', k)
    if t:
        assert re_ == v.get(t.groups(), 0), (k, re_, v)
assert sum(v.values()) == sum(re_ for k, re_ in m.items()
    if k.startswith("postern_verdicts_total{")), v
hits = count(event="verdict", cached=True)
assert m["postern_verdict_cache_hits_total"] == hits
assert m["postern_verdict_cache_misses_total"] == sum(v.values()) - hits
assert m["postern_policyd_round_trip_seconds_count"] == sum(v.values()) - \
    hits - v[("request", "none")]
assert m['postern_policyd_round_trip_seconds_bucket{le="+Inf"}'] == \
    m["postern_policyd_round_trip_seconds_count"]
assert m['postern_login_failures_total{listener="t1"}'] == 1
assert m['postern_login_failures_total{listener="p1"}'] == 0
assert m['postern_tls_handshakes_total{listener="t1",side="client",result="ok"}'] \
    == count(event="tls", listener="t1") == 1
assert m['postern_tls_handshakes_total{listener="t1",side="client",result="failed"}'] == 0
assert m['postern_upstream_connect_failures_total{listener="t1"}'] == 0
assert m['postern_worker_starts_total{listener="t1"}'] >= 4
assert m['postern_queue_refusals_total{listener="t1",reason="queue"}'] == 0
assert m['postern_daemon_up{daemon="policyd"}'] == 1
assert m['postern_daemon_restarts_total{daemon="keyd"}'] == 0
assert m["postern_rules_generation"] == 1
EOF
	# OpenMetrics when the scraper asks for it, as Prometheus does.
	curl -sf -D om.head -H "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5" \
	    "http://127.0.0.1:$MPORT/metrics" > om.txt || atf_fail "GET OpenMetrics"
	atf_check -o match:"^Content-Type: application/openmetrics-text; version=1\.0\.0" \
	    cat om.head
	atf_check -o inline:"# EOF\n" tail -1 om.txt
	if $PYTHON -c 'import prometheus_client' 2>/dev/null; then
		$PYTHON - om.txt <<'EOF' || atf_fail "OpenMetrics parser"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
f = {x.name: x for x in text_string_to_metric_families(open(sys.argv[1]).read())}
assert f["postern_sessions_opened"].type == "counter", f["postern_sessions_opened"]
assert f["postern_policyd_round_trip_seconds"].type == "histogram"
assert f["postern_sessions_active"].type == "gauge"
EOF
	fi
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a child died"
	fi
}

atf_test_case failures cleanup
failures_head()
{
	common_head
	atf_set descr "what goes wrong is counted: a server that is not" \
	    "there, a TLS handshake that fails, a POP3 login the server" \
	    "refuses, a kicked POP3 session"
}
failures_cleanup()
{
	common_cleanup
}

failures_body()
{
	DEAD=$(free_port)
	XPORT=$(free_port)
	setup "listen on 127.0.0.1 port $XPORT imap name x1 upstream 127.0.0.1 port $DEAD"
	greet "$XPORT" > greet.out
	atf_check -o match:"^\* BYE \[UNAVAILABLE\] Server unavailable" cat greet.out
	# STARTTLS, then bytes that are no ClientHello.
	$PYTHON - "$PORT" <<'EOF' || atf_fail "STARTTLS"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
f.readline()
s.sendall(b"a STARTTLS\r\n")
assert f.readline().startswith(b"a OK"), "no OK to STARTTLS"
s.sendall(b"\x16\x03\x01\x00\x05hello, this is no TLS\r\n" * 4)
s.recv(100)
EOF
	# POP3: a refused PASS, then a session kicked in the middle.
	$PYTHON - "$PPORT" > pop3.out <<'EOF' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
f = s.makefile("rb")
f.readline()
for cmd, want in ((b"USER testuser", b"+OK"), (b"PASS nottheone", b"-ERR")):
    s.sendall(cmd + b"\r\n")
    assert f.readline().startswith(want), cmd
print("refused", flush=True)
print(f.readline().decode().strip(), flush=True)
EOF
	wait_file pop3.out "^refused$"
	id=$(json sessions '[s["id"] for s in j["sessions"] if s["listener"] == "p1"][0]')
	atf_check -o ignore $CTL kick "$id"
	wait_file pop3.out "^-ERR Session ended by the administrator$"
	wait_file log "p1: session $id ended .*: kicked; "
	wait_until 20 status_sessions 0 || atf_fail "sessions left"

	$CTL metrics > metrics.txt || atf_fail "posternctl metrics"
	atf_check promtool check metrics < metrics.txt
	for m in 'postern_upstream_connect_failures_total{listener="x1"} 1' \
	    'postern_sessions_ended_total{listener="x1",cause="error"} 1' \
	    'postern_tls_handshakes_total{listener="t1",side="client",result="failed"} 1' \
	    'postern_tls_handshakes_total{listener="t1",side="client",result="ok"} 0' \
	    'postern_login_failures_total{listener="p1"} 1' \
	    'postern_sessions_ended_total{listener="p1",cause="kicked"} 1' \
	    'postern_worker_failures_total{listener="t1",cause="crashed"} 0'; do
		[ "$(metric "${m% *}")" = "${m##* }" ] ||
		    atf_fail "${m% *} is $(metric "${m% *}"), not ${m##* }"
	done
}

atf_test_case refused cleanup
refused_head()
{
	common_head
	atf_set descr "the socket is 0600 in a 0700 directory of root's;" \
	    "nobody cannot reach it, and nobody with CAP_DAC_OVERRIDE is" \
	    "refused by its uid; garbage, NULs, requests too long and" \
	    "unknown words get an error and the close; clients that say" \
	    "nothing stall neither posternctl nor a session"
}
refused_cleanup()
{
	common_cleanup
}

refused_body()
{
	setup
	atf_check -o inline:"700 0:0\n" stat -c '%a %u:%g' run
	atf_check -o inline:"600 0:0 socket\n" stat -c '%a %u:%g %F' "$SOCK"

	atf_check -s exit:2 -e match:"Permission denied \(root only\)" \
	    setpriv --reuid=65534 --regid=65534 --clear-groups \
	    $CTL status
	atf_check -s exit:1 -e inline:"posternctl: permission denied: root only\n" \
	    setpriv --reuid=65534 --regid=65534 --clear-groups \
	    --inh-caps=+dac_override --ambient-caps=+dac_override \
	    $CTL status
	wait_log "control socket: uid 65534 pid [0-9]+ refused: root only"

	# What the socket answers to what posternctl would never send.
	$PYTHON - "$SOCK" > garbage.out <<'EOF' || atf_fail "garbage"
import socket, sys
for req in [b"\x00\xff\x01garbage\n", b"x" * 200, b"a" * 100 + b"\n" + b"b" * 9000,
        b"status a b c\n", b"\n", b"kick 12x\n", b"kick\n",
        b"metrics json\n", b"STATUS\n", b"status\t\n"]:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    try:
        s.sendall(req)
    except OSError:
        pass
    got = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
    print(got.decode().strip())
EOF
	atf_check -o inline:"error malformed request
error request too long
error unknown request: expected status, sessions, kick ID, reload or metrics
error too many words
error empty request
error expected a session id
error unknown request: expected status, sessions, kick ID, reload or metrics
error unknown request: expected status, sessions, kick ID, reload or metrics
error unknown request: expected status, sessions, kick ID, reload or metrics
error malformed request
" cat garbage.out

	# The metrics listener: one GET /metrics; else 400, 404, 405, 431.
	$PYTHON - "$MPORT" > http.out <<'EOF' || atf_fail "http"
import socket, sys
for req in [b"garbage\r\n\r\n", b"GET /other HTTP/1.1\r\n\r\n",
        b"POST /metrics HTTP/1.0\r\n\r\n", b"GET /metrics HTTP/1.0\r\n" +
        b"X: " + b"y" * 5000 + b"\r\n\r\n", b"GET /metrics HTTP/2.0\r\n\r\n",
        b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n"]:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    try:
        s.sendall(req)
    except OSError:
        pass
    got = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
    print(got.split(b"\r\n")[0].decode())
EOF
	atf_check -o inline:"HTTP/1.0 400 Bad Request
HTTP/1.0 404 Not Found
HTTP/1.0 405 Method Not Allowed
HTTP/1.0 431 Request Header Fields Too Large
HTTP/1.0 400 Bad Request
HTTP/1.0 200 OK
" cat http.out

	# Forty clients that connect and say nothing, to both servers: a
	# session goes through at once, posternctl is answered.
	$PYTHON - "$SOCK" "$MPORT" > silent.out <<'EOF' &
import socket, sys, time
held = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    held.append(s)
    held.append(socket.create_connection(("127.0.0.1", int(sys.argv[2]))))
print("held", flush=True)
time.sleep(30)
EOF
	echo $! > silent.pid
	wait_file silent.out "^held$"
	$PYTHON - "$PORT" <<'EOF' || atf_fail "a session while the control clients wait"
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=3)
m.login("testuser", "testpass")
m.logout()
EOF
	atf_check -o match:"^sessions +0\$" $CTL status
	kill "$(cat silent.pid)"
	atf_check -o match:'^postern_sessions_opened_total\{listener="t1"\} 1$' \
	    $CTL metrics
	kill -0 "$(cat posternd.pid)" || atf_fail "posternd is gone"
}

atf_test_case socket cleanup
socket_head()
{
	common_head
	atf_set descr "postern.conf's control socket and metrics listen:" \
	    "checked and printed back; a stale socket replaced, a" \
	    "directory others may enter and a socket another posternd" \
	    "listens on refused; a reload moves the socket to a directory" \
	    "it makes 0700; SIGTERM removes it"
}
socket_cleanup()
{
	common_cleanup
}

socket_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	mkdir -p empty
	chmod 755 empty
	base()
	{
		cat <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
pool min-idle 1 max 4 sessions 100
timeout start 10 drain 1
listen on 127.0.0.1 port $1 imap upstream 127.0.0.1 port $IMAP_PORT
EOF
	}
	PORT=$(free_port)
	{ base "$PORT"; echo "control socket \"$PWD/ctl/s.sock\""
	  echo "metrics listen on ::1 port 9187"; } > postern.conf
	atf_check -o match:"^control socket \"$PWD/ctl/s\.sock\"\$" \
	    "$POSTERND" -nv -f postern.conf
	atf_check -o match:"^metrics listen on ::1 port 9187\$" \
	    "$POSTERND" -nv -f postern.conf
	{ base "$PORT"; echo "metrics listen on 192.0.2.1 port 9187"; } > bad.conf
	atf_check -s exit:1 -e match:"bad\.conf:7: expected a loopback address near '192\.0\.2\.1'" \
	    "$POSTERND" -n -f bad.conf
	{ base "$PORT"; echo "control socket run/s.sock"; } > bad.conf
	atf_check -s exit:1 -e match:"bad\.conf:7: expected absolute path" \
	    "$POSTERND" -n -f bad.conf
	{ base "$PORT"; echo "metrics listen on 127.0.0.1 port $PORT"; } > bad.conf
	atf_check -s exit:1 -e match:"is the metrics listener's" \
	    "$POSTERND" -n -f bad.conf

	# A directory others may enter: refused at start.
	mkdir -m 755 open
	{ base "$PORT"; echo "control socket \"$PWD/open/s.sock\""; } > open.conf
	atf_check -s exit:1 -e match:"control socket $PWD/open/s\.sock: $PWD/open must be a directory of root's, mode 0700, not uid 0 mode 0755" \
	    "$POSTERND" -d -f open.conf

	# A stale socket, left by a posternd that is gone: replaced.
	mkdir -m 700 ctl
	$PYTHON -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" \
	    "$PWD/ctl/s.sock"
	{ base "$PORT"; echo "control socket \"$PWD/ctl/s.sock\""; } > postern.conf
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > pid
	cp pid posternd.pid
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	atf_check -o inline:"600 0:0\n" stat -c '%a %u:%g' ctl/s.sock
	atf_check -o match:"^sessions +0\$" $POSTERNCTL -c postern.conf status

	# Another posternd on the same socket: refused, the first one's kept.
	{ base "$(free_port)"; echo "control socket \"$PWD/ctl/s.sock\""; } > two.conf
	atf_check -s exit:1 -e match:"control socket $PWD/ctl/s\.sock: another process listens there" \
	    "$POSTERND" -d -f two.conf
	atf_check -o match:"^posternd +pid $(cat posternd.pid), " \
	    $POSTERNCTL -c postern.conf status

	# A reload moves it, to a directory made 0700; SIGTERM removes it.
	sed -i "s|ctl/s.sock|ctl2/s.sock|" postern.conf
	atf_check -o inline:"reloaded\n" $POSTERNCTL -s "$PWD/ctl/s.sock" reload
	atf_check test ! -e ctl/s.sock
	atf_check -o inline:"700 0:0\n600 0:0\n" stat -c '%a %u:%g' ctl2 ctl2/s.sock
	atf_check -o match:"^sessions +0\$" $POSTERNCTL -c postern.conf status
	kill -TERM "$(cat posternd.pid)"
	wait_exit
	atf_check_equal 0 $status
	atf_check test ! -e ctl2/s.sock
	atf_check -s exit:2 -e match:"No such file or directory \(is posternd running\?\)" \
	    $POSTERNCTL -c postern.conf status
}

atf_init_test_cases()
{
	atf_add_test_case load
	atf_add_test_case failures
	atf_add_test_case refused
	atf_add_test_case socket
}
