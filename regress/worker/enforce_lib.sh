# What the enforcement tests share (enforce_test.sh, stream_test.sh):
# posternd with a policy store in front of the Dovecot fixture.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
CONV=@TOPDIR@/regress/worker/converse.py
RAW=@TOPDIR@/regress/worker/rawtalk.py
# A look at Dovecot's state without postern: the oracle leaves out the
# sessions that start with this tag.
DIRECT='DIRECT LOGIN testuser testpass'

# setup [extra postern.conf lines]: Dovecot, the store with ./rules loaded
# (unless there is no ./rules), posternd on $PORT with min-idle workers.
# In the extra lines, @IMAP_PORT@ is Dovecot's IMAP port.
setup()
{
	# Dovecot records what it received, postern what it accepted: the
	# oracle (oracle_check) compares the two.
	DOVECOT_RAWLOG=1 atf_check -o ignore -e ignore "$FIXTURE" start \
	    "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=${PORT:-$(free_port)}
	mkdir -p empty store audit
	chmod 755 empty
	chmod 700 store audit
	if [ -f rules ]; then
		atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" \
		    load rules
	else
		# a store with no generation in it
		printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\nDATA=END\n' |
		    mdb_load -f /dev/stdin store || atf_fail "mdb_load"
	fi
	cat > postern.conf <<EOF2
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
audit dir "$PWD/audit"
pool min-idle 2 max 80 sessions 100
timeout start 10 drain 2
$(printf '%s\n' "$1" | sed "s/@IMAP_PORT@/$IMAP_PORT/g")
listen on 127.0.0.1 port $PORT imap name t1 upstream 127.0.0.1 port $IMAP_PORT
EOF2
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" 2
	wait_file log "policy enforced" 2
}


common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
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

