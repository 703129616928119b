#!/bin/sh
# make demo: a private Dovecot with test mail (regress/fixture), and
# posternd in front of it enforcing the sample rules, etc/postern.rules:
#
#	127.0.0.1:10143	imap, STARTTLS offered; LOGIN refused until TLS
#	127.0.0.1:10993	imaps, TLS from the first byte
#	127.0.0.1:10110	pop3, STLS required
#
# with a certificate made for this run (its key read by postern-keyd
# alone), a policy store and the audit logs, all in one temporary
# directory.  Once every listener greets, it prints commands to try, each
# one to copy and paste, then shows posternd's log until Ctrl-C stops
# posternd and the Dovecot and removes the directory.
#
# The sample etc/postern.conf is used as it is, but for what only this
# run can know: the user (nobody when the system has no _postern), the
# chroot, the policy store, the audit dir, the control socket and the
# listeners, which are the demo's own.
#
# DEMO_IMAP_PORT, DEMO_IMAPS_PORT, DEMO_POP3_PORT: other ports.
# DEMO_ONESHOT=1: run each command it prints, show what it shows, then
# stop; the exit status is 1 if any command failed.
TOPDIR=@TOPDIR@
OBJDIR=@OBJDIR@
BIN=$OBJDIR/bin
FIXTURE=$OBJDIR/regress/fixture/dovecot
IMAP_DEMO_PORT=${DEMO_IMAP_PORT:-10143}
IMAPS_DEMO_PORT=${DEMO_IMAPS_PORT:-10993}
POP3_DEMO_PORT=${DEMO_POP3_PORT:-10110}
ONESHOT=${DEMO_ONESHOT:-0}
# Seconds for posternd's listeners to greet.
READY_TIMEOUT=30
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo: run as root (posternd binds, chroots and drops" \
	    "privileges; the Dovecot fixture chowns its mail)" >&2
	exit 1
fi

dir=$(mktemp -d /tmp/postern-demo.XXXXXX) || exit 1
chmod 755 "$dir"
pid=
tailpid=

cleanup()
{
	trap - EXIT
	# A second Ctrl-C while posternd drains its sessions: at once.
	trap 'kill -KILL "$pid" 2>/dev/null' INT TERM
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		while kill -0 "$pid" 2>/dev/null; do
			wait "$pid" 2>/dev/null
		done
	fi
	# tail ends by itself (--pid) once it has shown posternd's last lines.
	[ -n "$tailpid" ] && wait "$tailpid" 2>/dev/null
	"$FIXTURE" stop "$dir/dovecot" >/dev/null 2>&1
	rm -rf "$dir"
	echo "demo stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail()
{
	echo "make demo: $*" >&2
	exit 1
}

"$FIXTURE" start "$dir/dovecot" >/dev/null || exit 1
. "$dir/dovecot/ports"

# The listeners' certificate, for 127.0.0.1 and localhost.  Clients check
# it with --cacert or -CAfile; posternd hands the key to postern-keyd.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 7 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    >"$dir/openssl.log" 2>&1 ||
    { cat "$dir/openssl.log" >&2; fail "openssl req failed"; }
chmod 600 "$dir/key.pem"
chmod 644 "$dir/cert.pem"

mkdir -m 755 "$dir/empty"
mkdir -m 700 "$dir/store"
mkdir -m 750 "$dir/audit"
"$BIN/policyctl" -s "$dir/store" load "$TOPDIR/etc/postern.rules" \
    >"$dir/load.out" || fail "policyctl load $TOPDIR/etc/postern.rules failed"
gen=$(sed -n 's/^generation \([0-9]*\) .*/\1/p' "$dir/load.out")

user=_postern
if ! getent passwd "$user" >/dev/null; then
	user=nobody
fi
# The sample without its listeners (a "listen on" line and the lines it
# continues with a backslash), then the demo's.
cert="certificate \"$dir/cert.pem\" key \"$dir/key.pem\""
{
	sed -e "s|^user .*|user $user|" \
	    -e "s|^chroot .*|chroot \"$dir/empty\"|" \
	    -e "s|^#\{0,1\}policy store .*|policy store \"$dir/store\"|" \
	    -e "s|^#\{0,1\}audit dir .*|audit dir \"$dir/audit\"|" \
	    -e "s|^control socket .*|control socket \"$dir/run/control.sock\"|" \
	    "$TOPDIR/etc/postern.conf" |
	awk 'cont { cont = /\\$/; next }
	    /^listen on/ { cont = /\\$/; next }
	    { print }'
	cat <<-EOF

	# make demo's listeners, in front of the Dovecot fixture.  The sample
	# rules name the implicit one "imaps".
	listen on 127.0.0.1 port $IMAP_DEMO_PORT imap name imap tls starttls \\
	    $cert \\
	    upstream 127.0.0.1 port $IMAP_PORT
	listen on 127.0.0.1 port $IMAPS_DEMO_PORT imap name imaps tls implicit \\
	    $cert \\
	    upstream 127.0.0.1 port $IMAP_PORT
	listen on 127.0.0.1 port $POP3_DEMO_PORT pop3 name pop3 tls starttls \\
	    $cert \\
	    upstream 127.0.0.1 port $POP3_PORT
	EOF
} >"$dir/postern.conf"

# In a session of its own, so that Ctrl-C reaches the demo and not
# posternd's children: the demo stops posternd with SIGTERM, which ends
# its sessions and children in order.
setsid "$BIN/posternd" -d -f "$dir/postern.conf" >"$dir/posternd.log" 2>&1 &
pid=$!

# Ready: each listener greets, which takes a worker with its TLS context
# (keyd's key for the IMAPS handshake) and policyd's verdict on the
# greeting; and posternd still runs (a port it could not bind ends it).
i=0
until "$PYTHON" "$TOPDIR/regress/fixture/net.py" wait 1 \
    "imap:$IMAP_DEMO_PORT" "imap:$IMAPS_DEMO_PORT:tls" \
    "pop3:$POP3_DEMO_PORT" 2>/dev/null; do
	i=$((i + 1))
	if ! kill -0 "$pid" 2>/dev/null || [ $i -ge $READY_TIMEOUT ]; then
		cat "$dir/posternd.log" >&2
		fail "posternd did not get ready"
	fi
done
kill -0 "$pid" 2>/dev/null ||
    { cat "$dir/posternd.log" >&2; fail "posternd exited"; }

# The commands to try, a description and a command each, in ./items.
item()
{
	printf '%s\n%s\n' "$1" "$2" >>"$dir/items"
}
login="-u testuser:testpass"
sclient="openssl s_client -quiet -verify_quiet -servername localhost"
item "The mailboxes through postern, after STARTTLS: no Secret, no Secret/Sub" \
    "curl -s --ssl-reqd --cacert $dir/cert.pem $login imap://127.0.0.1:$IMAP_DEMO_PORT/"
item "The same from Dovecot itself: Secret and Secret/Sub are there" \
    "curl -s $login imap://127.0.0.1:$IMAP_PORT/"
item "LOGIN without TLS: refused by a rule, NO [PRIVACYREQUIRED]" \
    "python3 -c 'import imaplib; print(imaplib.IMAP4(\"127.0.0.1\", $IMAP_DEMO_PORT).xatom(\"LOGIN\", \"testuser\", \"testpass\"))'"
item "LOGIN after STARTTLS: accepted; no ID in the capabilities, postern answers ID, Secret does not exist" \
    "printf 'a LOGIN testuser testpass\\r\\nb ID NIL\\r\\nc STATUS Secret (MESSAGES)\\r\\nd LOGOUT\\r\\n' | $sclient -starttls imap -connect 127.0.0.1:$IMAP_DEMO_PORT -CAfile $dir/cert.pem"
item "The greeting through postern (IMAPS): rewritten, and no ID" \
    "printf 'a LOGOUT\\r\\n' | $sclient -connect 127.0.0.1:$IMAPS_DEMO_PORT -CAfile $dir/cert.pem"
item "The greeting from Dovecot itself" \
    "printf 'a LOGOUT\\r\\n' | $sclient -connect 127.0.0.1:$IMAPS_PORT -CAfile $dir/dovecot/cert.pem"
item "A message over POP3, after STLS" \
    "curl -s --ssl-reqd --cacert $dir/cert.pem $login pop3://127.0.0.1:$POP3_DEMO_PORT/1"
item "Why LOGIN without TLS is refused: the verdict, its rule (file:line) and generation" \
    "$BIN/policyctl -s $dir/store test request LOGIN testuser testpass"
item "... and why it is accepted over TLS (-T)" \
    "$BIN/policyctl -s $dir/store test -T request LOGIN testuser testpass"
item "Why Secret/Sub is not listed" \
    "$BIN/policyctl -s $dir/store test -u testuser list Secret/Sub"
item "The rule sets loaded: one generation each" \
    "$BIN/policyctl -s $dir/store history"
item "The audit logs, every verdict above in them: each record MACed, in one chain" \
    "$BIN/policyctl audit verify $dir/audit/*.log"
# posternctl reaches posternd through the control socket postern.conf
# names.
item "posternd's listeners, pools, daemons, rule generation and sessions" \
    "$BIN/posternctl -c $dir/postern.conf status"
item "The sessions open now: id, client, user, listener, TLS, since, bytes" \
    "$BIN/posternctl -c $dir/postern.conf sessions"
item "The metrics a Prometheus server scrapes: the verdicts above, by table and action" \
    "$BIN/posternctl -c $dir/postern.conf metrics | grep -E '^postern_verdicts_total.* [1-9]'"

cat <<MSG
postern demo: ready.

Dovecot with test mail on 127.0.0.1:$IMAP_PORT (IMAP), $IMAPS_PORT (IMAPS) and
$POP3_PORT (POP3); posternd in front of it, enforcing $TOPDIR/etc/postern.rules
(generation $gen):
  127.0.0.1:$IMAP_DEMO_PORT  imap   STARTTLS offered; LOGIN refused until TLS
  127.0.0.1:$IMAPS_DEMO_PORT  imaps  TLS from the first byte
  127.0.0.1:$POP3_DEMO_PORT  pop3   STLS required
TLS: a certificate made for this run, $dir/cert.pem;
its key is read by postern-keyd alone, never by a worker.
Workers run as $user, chrooted to $dir/empty.
Audit logs: $dir/audit.

User testuser (or any name), password testpass.  Try, in another terminal,
as root:
MSG
n=0
while IFS= read -r desc && IFS= read -r cmd; do
	n=$((n + 1))
	printf '\n%3d. %s\n     %s\n' "$n" "$desc" "$cmd"
done <"$dir/items"
echo

if [ "$ONESHOT" = 1 ]; then
	echo "DEMO_ONESHOT: each of them, then the end."
	n=0
	failed=0
	while IFS= read -r desc && IFS= read -r cmd; do
		n=$((n + 1))
		printf '\n== %d. %s\n$ %s\n' "$n" "$desc" "$cmd"
		if ! sh -c "$cmd" </dev/null 2>&1; then
			echo "== $n failed"
			failed=$((failed + 1))
		fi
	done <"$dir/items"
	echo
	[ $failed -eq 0 ] || fail "$failed of $n commands failed"
	exit 0
fi

echo "posternd's log follows.  Ctrl-C stops posternd and the Dovecot, and removes $dir."
lines=$(wc -l <"$dir/posternd.log")
tail --pid="$pid" -n +$((lines + 1)) -f "$dir/posternd.log" &
tailpid=$!
wait "$pid"
status=$?
pid=
exit $status
