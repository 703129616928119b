#!/bin/sh
# make demo: a private Dovecot with a demo user and mail, and posternd in
# front of it on 127.0.0.1:10143 (IMAP), run in the foreground with the
# sample configuration.  Ctrl-C stops both.
#
# The sample etc/postern.conf is used as it is, but for what only this
# run can know: the Dovecot's ports, the chroot under the demo's own
# directory and, when the system has no _postern user, nobody.
TOPDIR=@TOPDIR@
OBJDIR=@OBJDIR@
FIXTURE=$OBJDIR/regress/fixture/dovecot
IMAP_DEMO_PORT=${DEMO_IMAP_PORT:-10143}
POP3_DEMO_PORT=${DEMO_POP3_PORT:-10110}

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo: run as root (posternd binds, chroots and drops" \
	    "privileges; the Dovecot fixture chowns its mail)" >&2
	exit 1
fi

dir=$(mktemp -d /tmp/postern-demo.XXXXXX) || exit 1
chmod 755 "$dir"
pid=

cleanup()
{
	trap - INT TERM EXIT
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	"$FIXTURE" stop "$dir/dovecot" >/dev/null 2>&1
	rm -rf "$dir"
	echo "demo stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$FIXTURE" start "$dir/dovecot" >/dev/null || exit 1
. "$dir/dovecot/ports"

user=_postern
if ! getent passwd "$user" >/dev/null; then
	user=nobody
fi
mkdir -m 755 "$dir/empty"
sed -e "s|^user .*|user $user|" \
    -e "s|^chroot .*|chroot $dir/empty|" \
    -e "s|port 10143 imap|port $IMAP_DEMO_PORT imap|" \
    -e "s|upstream 127.0.0.1 port 143\$|upstream 127.0.0.1 port $IMAP_PORT|" \
    -e "s|port 10110 pop3|port $POP3_DEMO_PORT pop3|" \
    -e "s|upstream 127.0.0.1 port 110\$|upstream 127.0.0.1 port $POP3_PORT|" \
    -e "s|^control socket .*|control socket \"$dir/run/control.sock\"|" \
    "$TOPDIR/etc/postern.conf" > "$dir/postern.conf"

cat <<MSG
postern demo: Dovecot on 127.0.0.1:$IMAP_PORT (IMAP); posternd in front of
it on 127.0.0.1:$IMAP_DEMO_PORT, workers run as $user in $dir/empty.

  user testuser (or any name), password testpass

  curl -s -u testuser:testpass imap://127.0.0.1:$IMAP_DEMO_PORT/INBOX -X 'FETCH 1:* (FLAGS)'
  curl -s -u testuser:testpass 'imap://127.0.0.1:$IMAP_DEMO_PORT/INBOX;UID=1'
  curl -s -u testuser:testpass pop3://127.0.0.1:$POP3_DEMO_PORT/1     (POP3 on $POP3_DEMO_PORT)
  openssl s_client -quiet -starttls imap -connect 127.0.0.1:$IMAP_PORT   (Dovecot itself: postern's TLS comes with a later release)

posternd logs below; Ctrl-C stops posternd and the Dovecot.
MSG

"$OBJDIR/bin/posternd" -d -f "$dir/postern.conf" \
    -w "$OBJDIR/bin/postern-worker" &
pid=$!
wait "$pid"
status=$?
pid=
exit $status
