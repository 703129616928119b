#! /usr/bin/env atf-sh
# Audit logs with the real posternd in front of the Dovecot fixture:
# records for real imaplib sessions, byte counts that match posternd's
# own, no password in them, policyctl audit verify on the logs as they
# are and as they are broken, SIGUSR1 rotation, and what a worker holds.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/worker/imapdrive.py

# setup [max-size [sessions]]: Dovecot, then posternd on $PORT with audit
# logs in $PWD/audit and two workers ready.
setup()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=$(free_port)
	mkdir -p empty audit
	chmod 755 empty audit
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
audit dir "$PWD/audit"${1:+ max-size $1}
pool min-idle 2 max 20 sessions ${2:-100}
timeout start 10 drain 2
listen on 127.0.0.1 port $PORT imap name t1 \
	upstream 127.0.0.1 port $IMAP_PORT
EOF
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" 2
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
	[ -f hold.pid ] && kill "$(cat hold.pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# One imaplib session: LOGIN with the fixture's password, SELECT, LOGOUT.
login_session()
{
	$PYTHON - $PORT <<'EOF' || atf_fail "imaplib session"
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=20)
m.login("testuser", "testpass")
m.select("INBOX")
m.logout()
EOF
}

# rotated N: N logs have their rotate record.
rotated()
{
	[ "$(grep -l '"event":"rotate"' audit/worker-*.log 2>/dev/null |
	    wc -l)" -ge "$1" ]
}

disconnect_seen()
{
	grep -q '"event":"disconnect"' audit/worker-*.log 2>/dev/null
}

# anchored LOG: the anchor of LOG's last segment counts all its records
# (posternd writes anchors with its next sync, within a second).
anchored()
{
	_seg=$(tail -1 "$1" | sed 's/^{"seg":"\([0-9a-f]*\)".*/\1/')
	_n=$(grep -c "^{\"seg\":\"$_seg\"" "$1")
	grep -qx "records $_n" "audit/keys/$_seg.anchor" 2>/dev/null
}

# session_log [N]: once N sessions ended, the log with a disconnect record,
# anchored.
session_log()
{
	wait_file log "session [0-9]+ ended" ${1:-1}
	wait_until 10 disconnect_seen ||
	    atf_fail "no disconnect record in audit/"
	_f=$(grep -l '"event":"disconnect"' audit/worker-*.log | head -1)
	wait_until 10 anchored "$_f" ||
	    atf_fail "$_f: no anchor of its records in audit/keys"
	echo "$_f"
}

atf_test_case records cleanup
records_head()
{
	common_head
	atf_set descr "a session gives connect and disconnect records whose" \
	    "byte counts are posternd's; the password is in no log; verify" \
	    "passes on every log"
}
records_body()
{
	setup
	login_session
	f=$(session_log)
	grep -q '"event":"connect"' "$f" || atf_fail "no connect record"
	# The counts of the disconnect record are those of posternd's log.
	$PYTHON - "$f" log <<'EOF' || atf_fail "byte counts differ"
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
d = [r for r in recs if r["event"] == "disconnect"][0]
c = [r for r in recs if r["event"] == "connect"][0]
assert c["session"] == d["session"] and c["client"] == "127.0.0.1", c
m = re.search(r"session %d ended .*; client (\d+) bytes in, (\d+) out; "
    r"upstream (\d+) in, (\d+) out; (\d+) commands" % d["session"],
    open(sys.argv[2]).read())
got = [d[k] for k in ("client_in", "client_out", "upstream_in",
    "upstream_out", "commands")]
assert m and [int(x) for x in m.groups()] == got, (m and m.groups(), got)
assert got[0] > 0 and got[1] > 0, got
for r in recs:
	assert r["seg"] == recs[0]["seg"] and r["slot"] == recs[0]["slot"], r
assert [r["seq"] for r in recs] == list(range(len(recs)))
EOF
	if grep -r testpass audit; then
		atf_fail "the password is in the audit logs"
	fi
	atf_check -s exit:0 -o match:"good, [0-9]+ records in 1 segments" \
	    "$POLICYCTL" audit verify audit/worker-*.log
	# show picks the session's records out.
	id=$(sed -n 's/.*"event":"connect","session":\([0-9]*\).*/\1/p' "$f")
	atf_check -s exit:0 -o match:'"event":"disconnect"' \
	    "$POLICYCTL" audit show -i "$id" -e disconnect "$f"
	# No policy store: the session's own records, no verdicts.
	ev=$("$POLICYCTL" audit show -i "$id" "$f" |
	    sed 's/.*"event":"\([a-z-]*\)".*/\1/' | tr '\n' ' ')
	atf_check_equal "connect state user state state disconnect " "$ev"
	# The keys are root's alone.
	atf_check -o inline:"700 0\n" stat -c "%a %u" audit/keys
	for k in audit/keys/worker-*.log.current; do
		atf_check -o inline:"600 0\n" stat -c "%a %u" "$k"
	done
	for k in audit/keys/*.key; do
		atf_check -o inline:"600 0 32\n" stat -c "%a %u %s" "$k"
	done
}
records_cleanup()
{
	common_cleanup
}

# broken FILE WHAT LINE: verify exits 1 and names line LINE.
broken()
{
	atf_check -s exit:1 -o match:"^$1: line $3: " -e empty \
	    "$POLICYCTL" audit verify "$1"
}

atf_test_case corruption cleanup
corruption_head()
{
	common_head
	atf_set descr "verify names the record of each corruption: a byte" \
	    "changed, a record removed, two swapped, one inserted, the file" \
	    "cut at a record boundary and inside a record"
}
corruption_body()
{
	setup
	login_session
	login_session
	f=$(session_log 2)
	n=$(wc -l < "$f")
	[ "$n" -ge 3 ] || atf_fail "only $n records in $f"
	cd audit
	f=${f#audit/}
	atf_check -s exit:0 -o ignore "$POLICYCTL" audit verify "$f"
	sed '2s/"tls":false/"tls":true/' "$f" > t1.log
	broken t1.log "changed" 2
	sed '2d' "$f" > t2.log
	broken t2.log "removed" 2
	awk 'NR == 2 { h = $0; next } NR == 3 { print; print h; next }
	    { print }' "$f" > t3.log
	broken t3.log "swapped" 2
	sed '2p' "$f" > t4.log
	broken t4.log "inserted" 3
	sed '$d' "$f" > t5.log
	broken t5.log "cut at a boundary" "$n"
	head -c $(($(wc -c < "$f") - 10)) "$f" > t6.log
	broken t6.log "cut inside a record" "$n"
	# The log itself, cut in place, then emptied: the same file, so
	# keys/worker-NN.log.current still names its last segment.
	truncate -s "$(head -n $((n - 1)) "$f" | wc -c)" "$f"
	broken "$f" "cut in place" "$n"
	: > "$f"
	broken "$f" "emptied" 1
}
corruption_cleanup()
{
	common_cleanup
}

atf_test_case replaced cleanup
replaced_head()
{
	common_head
	atf_set descr "workers replaced after each session: a slot's log" \
	    "holds one segment per worker, chained; verify passes, and fails" \
	    "when a whole segment is taken out"
}
replaced_body()
{
	setup 1m 1
	for i in 1 2 3 4 5 6; do
		login_session
	done
	wait_file log "session [0-9]+ ended" 6
	# The busiest log, once its last worker's records are all there.
	f=$(grep -c '"event":"open"' audit/worker-*.log | sort -t: -k2 -n |
	    tail -1 | cut -d: -f1)
	n=$(grep -c '"event":"open"' "$f")
	[ "$n" -ge 2 ] || atf_fail "no log with two segments: $(ls audit)"
	atf_check -s exit:0 -o match:"good, [0-9]+ records in $n segments" \
	    "$POLICYCTL" audit verify "$f"
	cd audit
	f=${f#audit/}
	# Without its first segment; without its second.
	second=$(grep -n '"event":"open"' "$f" | sed -n 2p | cut -d: -f1)
	sed "1,$((second - 1))d" "$f" > t1.log
	broken t1.log "first segment removed" 1
	third=$(grep -n '"event":"open"' "$f" | sed -n 3p | cut -d: -f1)
	if [ -n "$third" ]; then
		sed "$second,$((third - 1))d" "$f" > t2.log
	else
		sed "$second,\$d" "$f" > t2.log
	fi
	broken t2.log "second segment removed" "$second"
}
replaced_cleanup()
{
	common_cleanup
}

atf_test_case rotation cleanup
rotation_head()
{
	common_head
	atf_set descr "SIGUSR1 after the logs were moved: new files, each" \
	    "with a new segment and its own key; a session under way goes on" \
	    "in the new file; old and new verify"
}
rotation_body()
{
	setup
	mkfifo hold.in
	$PYTHON "$DRIVE" hold $PORT testuser < hold.in > hold.out 2>&1 &
	echo $! > hold.pid
	exec 7>hold.in
	wait_file hold.out "^held$"
	mkdir old
	for f in audit/worker-*.log; do
		mv "$f" old/
	done
	kill -USR1 "$(cat posternd.pid)"
	wait_file log "SIGUSR1: reopening the audit logs"
	n=$(ls old | wc -l)
	wait_until 10 rotated "$n" || atf_fail "not every log was reopened"
	echo go >&7
	wait "$(cat hold.pid)" || atf_fail "held session: $(cat hold.out)"
	rm hold.pid
	f=$(session_log)
	grep -q '"event":"connect"' "$f" &&
	    atf_fail "the connect record should be in the old file"
	for g in audit/worker-*.log; do
		old=$(head -1 "old/${g#audit/}" |
		    sed 's/^{"seg":"\([0-9a-f]*\)".*/\1/')
		new=$(head -1 "$g" | sed 's/^{"seg":"\([0-9a-f]*\)".*/\1/')
		[ "$old" != "$new" ] ||
		    atf_fail "$g: same segment after rotation"
		cmp -s "audit/keys/$old.key" "audit/keys/$new.key" &&
		    atf_fail "$g: the same key"
		grep -q '"event":"rotate".*"prev":""' "$g" ||
		    atf_fail "$g: chained to $old"
	done
	atf_check -s exit:0 -o match:"good" -o not-match:"line" \
	    "$POLICYCTL" audit verify -k audit/keys old/worker-*.log \
	    audit/worker-*.log
}
rotation_cleanup()
{
	common_cleanup
}

atf_test_case full cleanup
full_head()
{
	common_head
	atf_set descr "a log at its max-size: posternd warns, the worker dies" \
	    "of SIGXFSZ at its first record; once the log is moved, the" \
	    "slot's next worker serves sessions again"
}
full_body()
{
	mkdir -p audit
	chmod 755 audit
	head -c 65536 /dev/zero > audit/worker-00.log
	chmod 600 audit/worker-00.log
	setup 64k
	wait_file log "worker-00.log: 65536 bytes, max-size is 65536"
	wait_file log \
	    "worker slot 0 pid [0-9]+ killed by SIGXFSZ: its audit log reached"
	mv audit/worker-00.log full.log
	n=$(grep -c "worker slot 0 pid [0-9]+ ready" log)
	wait_file log "worker slot 0 pid [0-9]+ ready" $((n + 1))
	login_session
	login_session
	login_session
	f=$(session_log 3)
	atf_check -s exit:0 -o match:"good" "$POLICYCTL" audit verify \
	    audit/worker-*.log
	atf_check_equal 65536 "$(wc -c < full.log)"
}
full_cleanup()
{
	common_cleanup
}

atf_test_case confinement cleanup
confinement_head()
{
	common_head
	atf_set descr "an idle worker holds its own log write-only and" \
	    "append-only and no other file, under its filter, with the" \
	    "configured file size limit"
}
confinement_body()
{
	setup 1m
	grep -E "worker slot [0-9]+ pid [0-9]+ ready" log | head -1 |
	    sed 's/.*slot \([0-9]*\) pid \([0-9]*\).*/\1 \2/' > w
	read slot pid < w
	log=$(printf "%s/audit/worker-%02d.log" "$PWD" "$slot")
	files=0
	for fd in /proc/$pid/fd/*; do
		t=$(readlink "$fd")
		case "$t" in
		socket:*|pipe:*|/dev/null) continue ;;
		esac
		[ "$t" = "$log" ] || atf_fail "worker holds $t"
		flags=$(sed -n 's/^flags:[[:space:]]*//p' \
		    /proc/$pid/fdinfo/${fd##*/})
		# O_WRONLY | O_APPEND: nothing to read back or write over.
		[ $((0$flags & 03)) -eq 1 ] || atf_fail "$t: flags $flags"
		[ $((0$flags & 02000)) -ne 0 ] || atf_fail "$t: not O_APPEND"
		files=$((files + 1))
	done
	atf_check_equal 1 "$files"
	atf_check -o match:"^Seccomp:[[:space:]]*2" cat /proc/$pid/status
	atf_check -o match:"^Max file size +1048576 +1048576 " \
	    cat /proc/$pid/limits
	# The keys are outside the worker's root.
	atf_check -o inline:"$PWD/empty\n" readlink /proc/$pid/root
}
confinement_cleanup()
{
	common_cleanup
}

atf_test_case config
config_head()
{
	atf_set require.user root
	atf_set descr "audit dir: printed back with its default max-size;" \
	    "relative, inside the chroot, or not root's: refused"
}
config_body()
{
	mkdir -p empty audit
	chmod 755 empty audit
	printf 'user nobody\nchroot "%s/empty"\naudit dir "%s/audit"\n' \
	    "$PWD" "$PWD" > c.conf
	echo "listen on 127.0.0.1 port 1 imap upstream 127.0.0.1 port 2" \
	    >> c.conf
	atf_check -o match:"^audit dir \"$PWD/audit\" max-size 1073741824\$" \
	    "$POSTERND" -nv -f c.conf
	printf 'audit dir relative\n' > r.conf
	atf_check -s exit:1 -e match:"r.conf:1: expected absolute path" \
	    "$POSTERND" -n -f r.conf
	printf 'audit dir /x max-size 10\n' > s.conf
	atf_check -s exit:1 -e match:"s.conf:1: .*audit log size" \
	    "$POSTERND" -n -f s.conf
	# posternd itself refuses what -n cannot see.
	mkdir -p empty/audit
	sed "s|$PWD/audit|$PWD/empty/audit|" c.conf > in.conf
	atf_check -s exit:1 -e match:"shares a tree with" \
	    "$POSTERND" -d -w /bin/true -f in.conf
	rmdir empty/audit
	chown nobody audit
	atf_check -s exit:1 -e match:"audit dir .*owned by uid" \
	    "$POSTERND" -d -w /bin/true -f c.conf
}

atf_test_case hostile
hostile_head()
{
	atf_set descr "policyctl audit on garbage, NULs, huge lines, a" \
	    "missing file and bad command lines: an answer, never a crash"
}
hostile_body()
{
	mkdir keys
	$PYTHON - <<'EOF'
import random
r = random.Random(7)
files = {
	"empty": b"",
	"nul": b'{"seg":"0123456789abcdef","seq":0,"a":"\0"}\n',
	"huge": b"{" + b"x" * 100000 + b"}\n",
	"nonl": b'{"seg":"0123456789abcdef","seq":0',
	"json": b'{"seg":"0123456789abcdef","seq":0,"event":"open","prev":"",'
	    b'"mac":"' + b"0" * 64 + b'"}\n',
}
for i in range(20):
	files["random%d" % i] = bytes(r.randrange(256)
	    for _ in range(r.randrange(1, 3000)))
for name, data in files.items():
	open(name + ".log", "wb").write(data)
EOF
	for f in *.log; do
		case $f in
		empty.log)
			atf_check -s exit:0 -o match:"good, 0 records" \
			    "$POLICYCTL" audit verify "$f" ;;
		*)
			atf_check -s exit:1 -o match:"^$f: line 1: " \
			    "$POLICYCTL" audit verify "$f" ;;
		esac
		atf_check -s exit:0 -o ignore "$POLICYCTL" audit show \
		    -e open -u x "$f"
	done
	atf_check -s exit:1 -o match:"no key|No such file" \
	    "$POLICYCTL" audit verify json.log
	atf_check -s exit:2 -e match:"nothere.log: No such file" \
	    "$POLICYCTL" audit verify nothere.log
	atf_check -s exit:1 -e match:"^usage: " "$POLICYCTL" audit
	atf_check -s exit:1 -e match:"^usage: " "$POLICYCTL" audit verify
	atf_check -s exit:1 -e match:"^usage: " "$POLICYCTL" audit frob x
	atf_check -s exit:1 -e match:"^usage: " "$POLICYCTL" audit show \
	    -a 1 -a 2 -a 3 -a 4 -a 5 x.log
}

atf_init_test_cases()
{
	atf_add_test_case hostile
	atf_add_test_case records
	atf_add_test_case corruption
	atf_add_test_case replaced
	atf_add_test_case rotation
	atf_add_test_case confinement
	atf_add_test_case full
	atf_add_test_case config
}
