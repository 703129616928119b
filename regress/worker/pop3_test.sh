#! /usr/bin/env atf-sh
# The POP3 engine behind the real posternd, in front of the Dovecot
# fixture's POP3: Python's poplib, curl's pop3:// and raw sockets.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/worker/pop3drive.py
MAILCHECK=@TOPDIR@/regress/fixture/mailcheck.py
MAIL=@TOPDIR@/regress/fixture/mail

# setup [limit ...] [UPSTREAM_PORT]: Dovecot, then posternd with a POP3
# listener on $PORT in front of its POP3 (or of UPSTREAM_PORT).
setup()
{
	[ -f dv/ports ] ||
	    atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=$(free_port)
	mkdir -p empty
	chmod 755 empty
	cat > postern.conf <<EOF2
user nobody
chroot "$PWD/empty"
worker "$WORKER"
pool min-idle 2 max 20 sessions 100
timeout start 10 drain 2
${1:+limit $1}
listen on 127.0.0.1 port $PORT pop3 name p1 \
	upstream 127.0.0.1 port ${2:-$POP3_PORT}
EOF2
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
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

no_deaths()
{
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a worker died"
	fi
}

atf_test_case session cleanup
session_head()
{
	common_head
	atf_set descr "STAT, LIST, UIDL, RETR of every message (the" \
	    "Maildir's bytes after un-stuffing), TOP, DELE, RSET, QUIT;" \
	    "poplib's whole check of the fixture"
}
session_body()
{
	setup
	atf_check -o inline:"session ok\n" $PYTHON "$DRIVE" session $PORT \
	    "$MAIL"
	atf_check -o match:"ok" $PYTHON "$MAILCHECK" pop3 plain $PORT "$MAIL"
	wait_file log "session [0-9]+ ended .*commands" 3
	no_deaths
}
session_cleanup()
{
	common_cleanup
}

atf_test_case curl cleanup
curl_head()
{
	common_head
	atf_set descr "curl's POP3 client lists and retrieves every INBOX" \
	    "message, byte for byte"
}
curl_body()
{
	setup
	atf_check -o match:"^3 " curl -s -u testuser:testpass \
	    "pop3://127.0.0.1:$PORT/"
	i=1
	for f in "$MAIL"/testuser/INBOX/*.eml; do
		atf_check -o file:"$f" curl -s -u testuser:testpass \
		    "pop3://127.0.0.1:$PORT/$i"
		i=$((i + 1))
	done
	no_deaths
}
curl_cleanup()
{
	common_cleanup
}

atf_test_case capa cleanup
capa_head()
{
	common_head
	atf_set descr "CAPA without STLS (Dovecot offers it), STLS refused" \
	    "by postern and never forwarded"
}
capa_body()
{
	setup
	# The server does offer it: hidden by postern, not absent.
	atf_check -o match:"STLS" $PYTHON -c "import poplib; \
	    print(poplib.POP3('127.0.0.1', $POP3_PORT).capa())"
	atf_check -o inline:"capa ok\n" $PYTHON "$DRIVE" capa $PORT
	no_deaths
}
capa_cleanup()
{
	common_cleanup
}

atf_test_case pipeline cleanup
pipeline_head()
{
	common_head
	atf_set descr "a whole session in one write (RFC 2449 PIPELINING):" \
	    "every answer in the order of its command, ours included"
}
pipeline_body()
{
	setup
	atf_check -o inline:"pipeline ok\n" $PYTHON "$DRIVE" pipeline $PORT
	no_deaths
}
pipeline_cleanup()
{
	common_cleanup
}

atf_test_case malformed cleanup
malformed_head()
{
	common_head
	atf_set descr "a 100 KB line, a NUL, message numbers that are not," \
	    "AUTH without a mechanism, a user name over limit username:" \
	    "each -ERR, and the session stays in its RFC 1939 state"
}
malformed_body()
{
	setup "pop3-line 1k username 64"
	atf_check -s exit:0 -o inline:"malformed ok\n" $PYTHON "$DRIVE" \
	    malformed $PORT 64
	atf_check -o match:"command line over 1024 bytes refused" cat log
	no_deaths
}
malformed_cleanup()
{
	common_cleanup
}

atf_test_case big cleanup
big_head()
{
	common_head
	atf_set descr "RETR of a 10 MB message full of dot-stuffed lines," \
	    "byte for byte"
}
big_body()
{
	setup
	# Written into the Maildir before anyone connects.
	md=dv/home/bigmail/Maildir
	mkdir -p $md/cur $md/new $md/tmp
	$PYTHON - big.eml <<'EOF2'
import sys
lines = [b"From: big@example.org", b"Subject: ten megabytes", b""]
i = 0
size = sum(len(l) + 2 for l in lines)
while size < 10 * 1024 * 1024:
    l = (b"." if i % 3 == 0 else b"") + b"line %d " % i + b"x" * (i % 200)
    if i % 1000 == 0:
        l = b"." * (i % 5 + 1)
    lines.append(l)
    size += len(l) + 2
    i += 1
open(sys.argv[1], "wb").write(b"\r\n".join(lines) + b"\r\n")
EOF2
	cp big.eml "$md/new/1700000000.M1P1.fixture,S=$(stat -c %s big.eml)"
	chown -R nobody:nogroup dv/home/bigmail
	atf_check -o inline:"big ok\n" -e save:big.err $PYTHON "$DRIVE" big \
	    $PORT bigmail big.eml
	cat big.err
	no_deaths
}
big_cleanup()
{
	common_cleanup
}

atf_test_case unavailable cleanup
unavailable_head()
{
	common_head
	atf_set descr "no server behind the listener: the client's greeting" \
	    "is a POP3 -ERR, then the close"
}
unavailable_body()
{
	setup "" "$(free_port)"
	atf_check_equal "-ERR [SYS/TEMP] Server unavailable" "$(greet $PORT)"
	no_deaths
}
unavailable_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case session
	atf_add_test_case curl
	atf_add_test_case capa
	atf_add_test_case pipeline
	atf_add_test_case malformed
	atf_add_test_case big
	atf_add_test_case unavailable
}
