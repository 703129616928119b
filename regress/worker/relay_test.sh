#! /usr/bin/env atf-sh
# postern-worker behind the real posternd, in front of the Dovecot
# fixture: real clients (Python's imaplib, curl) through the relay, the
# worker's confinement seen in /proc, a worker killed in mid-session, and
# many sessions at once.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/worker/imapdrive.py
MAILCHECK=@TOPDIR@/regress/fixture/mailcheck.py
MAIL=@TOPDIR@/regress/fixture/mail

# setup [UPSTREAM_PORT] [more timeouts] [limit line]: Dovecot, then
# posternd in front of it (or of UPSTREAM_PORT) on $PORT, with min-idle
# workers ready.
setup()
{
	[ -f dv/ports ] ||
	    atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=$(free_port)
	mkdir -p empty
	chmod 755 empty
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
pool min-idle 2 max 300 sessions 100
timeout start 10 drain 2 $2
${3:+limit $3}
listen on 127.0.0.1 port $PORT imap name t1 \
	upstream 127.0.0.1 port ${1:-$IMAP_PORT}
EOF
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" 2
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON curl"
	atf_set timeout 120
}

common_cleanup()
{
	[ -f posternd.pid ] && kill -9 "$(cat posternd.pid)" 2>/dev/null
	for f in hold*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# No worker died of a forbidden syscall, or of anything else.
no_deaths()
{
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a worker died"
	fi
}

# hold N: a session logged in and waiting (imapdrive.py hold) whose
# worker's pid ends up in hold.N.wpid (the test fails without one);
# "release N" lets it finish.
hold()
{
	mkfifo hold.$1.in
	$PYTHON "$DRIVE" hold $PORT testuser < hold.$1.in > hold.$1.out 2>&1 &
	echo $! > hold.$1.pid
	eval "exec $(($1 + 6))>hold.$1.in"
	wait_file hold.$1.out "^held$"
	grep -E "to worker slot [0-9]+ pid [0-9]+$" log | tail -1 |
	    sed 's/.* pid //' > hold.$1.wpid
	[ -s hold.$1.wpid ] || atf_fail "no worker pid in the log"
}

release()
{
	echo go >&$(($1 + 6))
	wait "$(cat hold.$1.pid)"
	st=$?
	cat hold.$1.out
	atf_check_equal 0 $st
}

atf_test_case imaplib cleanup
imaplib_head()
{
	common_head
	atf_set descr "LOGIN, LIST, SELECT, FETCH of every message, APPEND" \
	    "with {n} and {n+}, oversized literals (BAD, BYE), IDLE woken by" \
	    "an EXISTS, STORE, EXPUNGE," \
	    "LOGOUT; STARTTLS refused and not advertised, COMPRESS only" \
	    "postern's"
}
imaplib_body()
{
	setup
	atf_check -o match:"ok" $PYTHON "$MAILCHECK" imap plain $PORT "$MAIL"
	atf_check -o inline:"session ok\n" $PYTHON "$DRIVE" session $PORT \
	    "$MAIL" testuser
	# mailcheck, the raw clients, imaplib's two
	wait_file log "session [0-9]+ ended .*commands" 5
	no_deaths
}
imaplib_cleanup()
{
	common_cleanup
}

atf_test_case rest cleanup
rest_head()
{
	common_head
	atf_set descr "a session quiet for a second gives back its buffers" \
	    "and takes them again for the next command"
}
rest_body()
{
	setup
	hold 1
	wait_file log "session [0-9]+: quiet, buffers given back"
	release 1
	atf_check -o match:"released" cat hold.1.out
	no_deaths
}
rest_cleanup()
{
	common_cleanup
}

atf_test_case curl cleanup
curl_head()
{
	common_head
	atf_set descr "curl's IMAP client lists and fetches every INBOX" \
	    "message by UID, byte for byte"
}
curl_body()
{
	setup
	atf_check -o match:'INBOX' curl -s imap://127.0.0.1:$PORT/ \
	    -u testuser:testpass
	uid=1
	for f in "$MAIL"/testuser/INBOX/*.eml; do
		atf_check curl -s -o msg.$uid \
		    "imap://127.0.0.1:$PORT/INBOX;UID=$uid" \
		    -u testuser:testpass
		atf_check cmp msg.$uid "$f"
		uid=$((uid + 1))
	done
	no_deaths
}
curl_cleanup()
{
	common_cleanup
}

atf_test_case confinement cleanup
confinement_head()
{
	common_head
	atf_set descr "a worker serving a session runs as nobody, with" \
	    "no_new_privs, a seccomp filter, chrooted, with only sockets" \
	    "open and no core, file or process allowance"
}
confinement_body()
{
	setup
	hold 1
	pid=$(cat hold.1.wpid)
	atf_check -o match:"^Uid:	65534	65534	65534	65534$" \
	    -o match:"^Gid:	65534	65534	65534	65534$" \
	    -o match:"^NoNewPrivs:	1$" -o match:"^Seccomp:	2$" \
	    cat /proc/$pid/status
	atf_check -o inline:"$PWD/empty\n" readlink /proc/$pid/root
	ls -l /proc/$pid/fd | tail -n +2 > fds
	# 0-2 (a dead socket), the channel, the client, the upstream
	atf_check -o inline:"6\n" sh -c "wc -l < fds"
	if grep -v -- '-> socket:\[' fds; then
		atf_fail "a descriptor that is not a socket"
	fi
	atf_check -o match:"^Max core file size +0 +0 " \
	    -o match:"^Max file size +0 +0 " \
	    -o match:"^Max processes +0 +0 " cat /proc/$pid/limits
	release 1
	no_deaths
}
confinement_cleanup()
{
	common_cleanup
}

atf_test_case nodelay cleanup
nodelay_head()
{
	common_head
	atf_set descr "both TCP sockets of a worker's session have" \
	    "TCP_NODELAY (set by posternd: the worker may not), the" \
	    "client's from the listener, the server's before its connect"
}
nodelay_body()
{
	setup
	hold 1
	pid=$(cat hold.1.wpid)
	# Each TCP socket of the worker, taken with pidfd_getfd(2).
	atf_check -o inline:"2 tcp sockets, nodelay 1 1\n" $PYTHON - "$pid" <<'EOF'
import ctypes, os, socket, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
pidfd = os.pidfd_open(pid)
vals = []
for name in os.listdir(f"/proc/{pid}/fd"):
    if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
        continue
    fd = libc.syscall(438, pidfd, int(name), 0)	# pidfd_getfd
    if fd < 0:
        sys.exit(f"pidfd_getfd {name}: {os.strerror(ctypes.get_errno())}")
    s = socket.socket(fileno=fd)
    if s.family in (socket.AF_INET, socket.AF_INET6) and \
            s.type == socket.SOCK_STREAM:
        vals.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    s.detach()
    os.close(fd)
print(f"{len(vals)} tcp sockets, nodelay", *sorted(vals))
EOF
	release 1
	no_deaths
}
nodelay_cleanup()
{
	common_cleanup
}

atf_test_case kill_worker cleanup
kill_worker_head()
{
	common_head
	atf_set descr "kill -9 of a worker in mid-session: the other" \
	    "session goes on, the pool starts a new worker, new sessions work"
}
kill_worker_body()
{
	setup
	hold 1
	hold 2
	victim=$(cat hold.1.wpid)
	other=$(cat hold.2.wpid)
	[ "$victim" != "$other" ] || atf_fail "one worker, two sessions"
	before=$(grep -Ec "worker slot [0-9]+ pid [0-9]+ ready" log)
	kill -9 "$victim"
	# The master sees the channel close, then reaps it.
	wait_file log "worker slot [0-9]+ pid $victim (killed by signal 9|exited)"
	# The client of the dead worker sees its connection close.
	echo go >&7
	wait "$(cat hold.1.pid)" && atf_fail "session of the killed worker went on"
	release 2
	# Sessions after it: the pool grows again to take them.
	atf_check -o match:"ok" $PYTHON "$MAILCHECK" imap plain $PORT "$MAIL"
	atf_check -o inline:"20 sessions ok\n" $PYTHON "$DRIVE" many $PORT \
	    20 "$MAIL"
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" $((before + 1))
}
kill_worker_cleanup()
{
	common_cleanup
}

atf_test_case concurrent cleanup
concurrent_head()
{
	common_head
	atf_set descr "200 concurrent sessions fetch INBOX without error"
}
concurrent_body()
{
	setup
	atf_check -o inline:"200 sessions ok\n" $PYTHON "$DRIVE" many $PORT \
	    200 "$MAIL"
	wait_file log "session [0-9]+ ended" 200
	no_deaths
}
concurrent_cleanup()
{
	common_cleanup
}

atf_test_case timeouts cleanup
timeouts_head()
{
	common_head
	atf_set descr "a client that does not log in gets * BYE after the" \
	    "login timeout; a dead upstream gets * BYE [UNAVAILABLE]"
}
timeouts_body()
{
	setup "" "login 1"
	cat > silent.py <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
f = s.makefile("rb")
t = time.monotonic()
print(f.readline().decode().split(" ")[1])
print(f.readline().decode().strip())
print("after %.1f" % (time.monotonic() - t))
print("eof" if f.readline() == b"" else "more")
EOF
	atf_check -o match:"^OK$" -o match:"^\* BYE \\[UNAVAILABLE\\] Login timeout$" \
	    -o match:"^after (0\\.[89]|1\\.[0-9])$" -o match:"^eof$" $PYTHON silent.py $PORT
	wait_file log "session [0-9]+ ended"
	kill -9 "$(cat posternd.pid)"
	rm posternd.pid

	# Nobody listens upstream.
	setup "$(free_port)"
	atf_check -o match:"^\* BYE \[UNAVAILABLE\]" $PYTHON -c "
import socket
s = socket.create_connection(('127.0.0.1', $PORT), timeout=15)
print(s.makefile('rb').readline().decode())"
	no_deaths
}
timeouts_cleanup()
{
	common_cleanup
}

atf_test_case limits cleanup
limits_head()
{
	common_head
	atf_set descr "limit depth, args and inflight from postern.conf" \
	    "reach the worker: past each, postern answers BAD itself"
}
limits_body()
{
	setup "" "" "depth 2 args 16 inflight 2"
	cat > limits.py <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
f = s.makefile("rb")
f.readline()
def cmd(line, tag):
    s.sendall(line)
    while True:
        l = f.readline().decode().rstrip()
        if l.startswith(tag + " "):
            return l
print(cmd(b"a1 LOGIN testuser testpass\r\n", "a1"))
print(cmd(b"a2 STATUS INBOX (MESSAGES)\r\n", "a2"))
print(cmd(b"a3 SEARCH CHARSET UTF-8 (((ALL)))\r\n", "a3"))
print(cmd(b"a4 STATUS INBOX (" + b" ".join([b"MESSAGES"] * 14) + b")\r\n", "a4"))
s.sendall(b"b1 NOOP\r\nb2 NOOP\r\nb3 NOOP\r\n")
got = {}
while len(got) < 3:
    l = f.readline().decode().rstrip()
    if l[:2] in ("b1", "b2", "b3"):
        got[l[:2]] = l
for t in ("b1", "b2", "b3"):
    print(got[t])
print(cmd(b"a5 LOGOUT\r\n", "a5"))
EOF
	atf_check -o save:out $PYTHON limits.py $PORT
	cat out
	atf_check -o match:"^a1 OK" -o match:"^a2 OK" \
	    -o match:"^a3 BAD .*[Nn]est" -o match:"^a4 BAD .*(argument|token)" \
	    -o match:"^b1 OK" -o match:"^b2 OK" -o match:"^b3 BAD" \
	    -o match:"^a5 OK" cat out
	no_deaths
}
limits_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case limits
	atf_add_test_case imaplib
	atf_add_test_case rest
	atf_add_test_case curl
	atf_add_test_case confinement
	atf_add_test_case nodelay
	atf_add_test_case kill_worker
	atf_add_test_case concurrent
	atf_add_test_case timeouts
}
