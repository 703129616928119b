#! /usr/bin/env atf-sh
# Real clients through a login proxy listener (issue 21): imapflow and
# mbsync log in to postern itself, with LOGIN and with AUTHENTICATE
# PLAIN (SASL-IR, as both use it when offered), and with a wrong
# password; postern replays the login to a Dovecot.  Each session runs
# against a Dovecot directly and against a second, identical one
# through posternd: what the client got, or the Maildir it synced, must
# be the same.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
FIXTURE=@OBJDIR@/regress/fixture/dovecot
POSTERNCTL=@OBJDIR@/bin/posternctl
HERE=@TOPDIR@/regress/clients
MAILDIFF=$HERE/maildiff.py

# Dovecot dvd (direct, on $DIRECT) and dvp (behind posternd's login
# proxy listener on $PORT, its rawlog on).
setup()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dvd"
	DIRECT=$(. "$PWD/dvd/ports" && echo "$IMAP_PORT")
	DOVECOT_RAWLOG=1 DOVECOT_NODELAY=1 atf_check -o ignore -e ignore \
	    "$FIXTURE" start "$PWD/dvp"
	. "$PWD/dvp/ports"
	PORT=$(free_port)
	mkdir -p empty audit ctl
	chmod 755 empty
	chmod 700 audit ctl
	cat > postern.conf <<EOF2
user nobody
chroot "$PWD/empty"
worker "$WORKER"
audit dir "$PWD/audit"
control socket "$PWD/ctl/sock"
pool min-idle 2 max 16 sessions 100
upstream mail server 127.0.0.1 port $IMAP_PORT
upstream mail check every 1 timeout 2 capability rise 1 fall 1
listen on 127.0.0.1 port $PORT imap name front login proxy upstream mail
EOF2
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" 2
	# The check kept SASL-IR and AUTH=PLAIN: AUTHENTICATE PLAIN is
	# replayed as such, not as LOGIN.
	wait_until 10 sh -c "'$POSTERNCTL' -s '$PWD/ctl/sock' status -j |
	    grep -q '\"capability\":\"IMAP4rev1 '" ||
	    atf_fail "no capability kept by the check"
}

clients_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON $*"
	atf_set timeout 180
}

clients_cleanup()
{
	common_cleanup
	"$FIXTURE" stop "$PWD/dvd"
	"$FIXTURE" stop "$PWD/dvp"
}

no_deaths()
{
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a worker died"
	fi
}

# methods: the login commands Dovecot behind postern received (its
# pre-login rawlog), counted: "AUTHENTICATE N", "LOGIN N".
methods()
{
	cat dvp/run/login/rawlogs/*.in | awk '$3 == "LOGIN" ||
	    $3 == "AUTHENTICATE" { print $3 }' | sort | uniq -c |
	    awk '{ print $2, $1 }'
}

atf_test_case imapflow cleanup
imapflow_head()
{
	clients_head node
	atf_set descr "imapflow through login proxy: AUTHENTICATE PLAIN with" \
	    "SASL-IR, then LOGIN, each running flow.js's session the same" \
	    "as directly; a wrong password is refused with the server's NO"
}
imapflow_body()
{
	[ -f "$HERE/node_modules/imapflow/package.json" ] ||
	    atf_skip "imapflow is not installed: make deps"
	setup
	for m in "" LOGIN; do
		FLOW_LOGIN=$m atf_check -o save:direct.out node "$HERE/flow.js" \
		    $DIRECT
		FLOW_LOGIN=$m atf_check -o save:postern.out \
		    node "$HERE/flow.js" $PORT
		# \Marked comes and goes with Dovecot's index of a mailbox
		# a session before changed, whoever asks.
		sed -i 's/,"\\\\\(Un\)*Marked"//' direct.out postern.out
		atf_check -o empty diff -u direct.out postern.out
	done
	cat > wrong.js <<'EOF2'
'use strict';
const { ImapFlow } = require(process.argv[3] + '/node_modules/imapflow');
const c = new ImapFlow({ host: '127.0.0.1', port: Number(process.argv[2]),
    secure: false, doSTARTTLS: false, logger: false,
    auth: { user: 'testuser', pass: 'wrong' }, connectionTimeout: 10000 });
c.connect().then(() => { console.log('logged in'); process.exit(1); },
    e => { console.log(e.authenticationFailed ? 'refused' : 'error',
        e.serverResponseCode || ''); process.exit(0); });
EOF2
	atf_check -o inline:"refused AUTHENTICATIONFAILED\n" \
	    node wrong.js $PORT "$HERE"
	# flow.js logs in twice a run (a second session appends); the
	# wrong password came with AUTHENTICATE PLAIN.
	methods > methods.out
	atf_check -o inline:"AUTHENTICATE 3\nLOGIN 2\n" cat methods.out
	no_deaths
}
imapflow_cleanup()
{
	clients_cleanup
}

mbsync_conf()
{
	cat > "$1.rc" <<EOF2
IMAPAccount acct
Host 127.0.0.1
Port $2
User testuser
Pass ${4:-testpass}
SSLType None
AuthMechs $3
Timeout 20

IMAPStore far
Account acct

MaildirStore near
Path $PWD/$1/
Inbox $PWD/$1/INBOX
SubFolders Verbatim

Channel ch
Far :far:
Near :near:
Patterns *
Create Both
Expunge Both
SyncState *
Sync All
EOF2
	mkdir -p "$1"
}

# A message and a flag changed on the near side between two syncs.
local_changes()
{
	printf 'From: sync <sync@postern.test>\r\nSubject: made locally\r\n\r\n%s\r\n' \
	    "$2" > "$1/INBOX/new/1700000100.local.postern"
	f=$(cd "$1/Archive" && ls cur/* new/* 2>/dev/null | head -1)
	[ -n "$f" ] || atf_fail "$1/Archive is empty"
	case $f in
	*:2,*)	mv "$1/Archive/$f" "$1/Archive/cur/$(basename "$f")F" ;;
	*)	mv "$1/Archive/$f" "$1/Archive/cur/$(basename "$f"):2,F" ;;
	esac
}

atf_test_case mbsync cleanup
mbsync_head()
{
	clients_head mbsync
	atf_set descr "mbsync through login proxy, with LOGIN and with" \
	    "AUTHENTICATE PLAIN: a mailbox tree synced down, changed" \
	    "locally, synced up and down again; the Maildirs the same as" \
	    "directly; a wrong password fails the sync"
}
mbsync_body()
{
	setup
	for side in direct postern; do
		if [ $side = direct ]; then
			p=$DIRECT
		else
			p=$PORT
		fi
		mbsync_conf $side.a $p LOGIN
		atf_check -o ignore -e ignore mbsync -c $side.a.rc -a
		local_changes $side.a mbsync
		atf_check -o ignore -e ignore mbsync -c $side.a.rc -a
		mbsync_conf $side.b $p PLAIN
		atf_check -o ignore -e ignore mbsync -c $side.b.rc -a
		$PYTHON "$MAILDIFF" $side.a > $side.a.tree
		$PYTHON "$MAILDIFF" $side.b > $side.b.tree
	done
	atf_check -o empty diff -u direct.a.tree postern.a.tree
	atf_check -o empty diff -u direct.b.tree postern.b.tree
	# What was made locally went up through postern.
	atf_check -o match:'^Archive F' -o match:'^INBOX' cat postern.b.tree
	mbsync_conf wrong $PORT PLAIN wrong
	atf_check -s not-exit:0 -o ignore -e match:"AUTHENTICATIONFAILED" \
	    mbsync -c wrong.rc -a
	methods > methods.out
	atf_check -o match:"^LOGIN [1-9]" -o match:"^AUTHENTICATE [1-9]" \
	    cat methods.out
	no_deaths
}
mbsync_cleanup()
{
	clients_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case imapflow
	atf_add_test_case mbsync
}
