#! /usr/bin/env atf-sh
# posternd with the real postern-worker in front of the Dovecot fixture:
# the hand-off, the upstream socket and the config slice work end to end,
# and the worker runs as the configured user inside the chroot.

WORKER=@OBJDIR@/bin/postern-worker
FIXTURE=@OBJDIR@/regress/fixture/dovecot
. @OBJDIR@/regress/master/daemon_lib

# conf PORT UPSTREAM_PORT: one IMAP listener in front of UPSTREAM_PORT.
conf()
{
	mkdir -p empty
	chmod 755 empty
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
pool min-idle 1 max 4
timeout drain 1
listen on 127.0.0.1 port $1 imap name imap upstream 127.0.0.1 port $2
EOF
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON /usr/sbin/dovecot"
	atf_set timeout 60
}

fixture_cleanup()
{
	common_cleanup
	"$FIXTURE" stop "$PWD/dv"
}

atf_test_case session cleanup
session_head()
{
	common_head
	atf_set descr "a client logs in to Dovecot through posternd; the" \
	    "worker is nobody, chrooted, filtered, without posternd's" \
	    "environment (its own malloc and linker settings only); the" \
	    "master logs the session"
}
session_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	p=$(free_port)
	conf $p $IMAP_PORT
	POSTERN_LEAK_PROBE=leaked start
	wait_log "^posternd: worker slot 0 pid [0-9]+ ready$"
	wpid=$(sed -nE 's/^posternd: worker slot 0 pid ([0-9]+) ready$/\1/p' log)
	# posternd's environment stops at posternd.
	atf_check -o inline:"1\n" grep -ac POSTERN_LEAK_PROBE=leaked \
	    /proc/$(cat pid)/environ
	atf_check -s exit:1 grep -a POSTERN_LEAK_PROBE /proc/$wpid/environ
	# What it has is its own (proto_worker.h): malloc and the linker.
	tr '\0' '\n' < /proc/$wpid/environ > wenv
	want="GLIBC_TUNABLES=glibc.malloc.tcache_count=0\nLD_BIND_NOW=1\n"
	atf_check -o inline:"$want" grep -v '^[A-Z]*SAN_OPTIONS=' wenv
	atf_check -o match:"^Uid:	65534	65534	65534	65534$" \
	    grep "^Uid:" /proc/$wpid/status
	atf_check -o inline:"$PWD/empty\n" readlink /proc/$wpid/root
	atf_check -o match:"^Seccomp:	2$" grep "^Seccomp:" /proc/$wpid/status

	$PYTHON - $p > client.out <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
print(m.welcome.decode())
print(m.login("alice", "testpass")[0])
print(m.select("INBOX")[0])
print(m.logout()[0])
PY
	atf_check -o match:"^\* OK .*Dovecot" head -1 client.out
	atf_check -o inline:"OK\nOK\nBYE\n" tail -3 client.out
	wait_log "^posternd: imap: session [0-9]+ ended \(slot 0, client 127\.0\.0\.1\): client logout; client [1-9][0-9]* bytes in"
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
session_cleanup()
{
	fixture_cleanup
}

atf_test_case upstream_down cleanup
upstream_down_head()
{
	common_head
	atf_set descr "with nothing at the upstream port the client is told" \
	    "so, and the worker serves the next session"
}
upstream_down_body()
{
	p=$(free_port)
	conf $p $(free_port)
	start
	wait_log "ready"
	for i in 1 2; do
		greet $p > out
		atf_check -o match:"^\* BYE " cat out
	done
	wait_log "^posternd: imap: session [0-9]+ ended" 2
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
upstream_down_cleanup()
{
	common_cleanup
}

atf_test_case term_bye cleanup
term_bye_head()
{
	common_head
	atf_set descr "SIGTERM: after the drain the worker closes a logged-in" \
	    "session with * BYE, and posternd exits 0"
}
term_bye_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	p=$(free_port)
	conf $p $IMAP_PORT
	start
	wait_log "ready"
	$PYTHON - $p > client.out 2>&1 <<'PY' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True)
s.sendall(b"a LOGIN alice testpass\r\n")
for line in f:
	print(line.decode().strip(), flush=True)
PY
	client=$!
	wait_file client.out "^a OK "
	kill -TERM $(cat pid)
	wait $client
	atf_check -o match:"^\* BYE " tail -1 client.out
	wait_exit
	atf_check_equal 0 $status
}
term_bye_cleanup()
{
	fixture_cleanup
}

atf_test_case beside cleanup
beside_head()
{
	common_head
	atf_set descr "without -w or a worker line, posternd run from the" \
	    "build tree starts the postern-worker beside it, which serves" \
	    "a session"
}
beside_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	p=$(free_port)
	conf $p $IMAP_PORT
	sed -i '/^worker /d' postern.conf
	start
	wait_log "^posternd: worker slot 0 pid [0-9]+ ready$"
	wpid=$(sed -nE 's/^posternd: worker slot 0 pid ([0-9]+) ready$/\1/p' log)
	atf_check -o inline:"$WORKER\n" readlink /proc/$wpid/exe
	$PYTHON - $p > client.out <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
print(m.welcome.decode())
print(m.login("alice", "testpass")[0])
print(m.logout()[0])
PY
	atf_check -o match:"^\* OK .*Dovecot" head -1 client.out
	atf_check -o inline:"OK\nBYE\n" tail -2 client.out
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
}
beside_cleanup()
{
	fixture_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case session
	atf_add_test_case beside
	atf_add_test_case upstream_down
	atf_add_test_case term_bye
}
