#! /usr/bin/env atf-sh
# Real clients through an enforcing postern (issue 15): Python's imaplib,
# imapflow, mbsync, offlineimap and curl each run the same session
# against a Dovecot directly and against a second, identical Dovecot
# through posternd (a policy store that accepts everything and hides
# "Secret*", and an audit dir).  What the client got must be the same
# byte for byte, the hidden mailboxes aside; the differential oracle then
# checks every command the second Dovecot received against postern's
# audit (regress/fixture/oracle.py, from its rawlog).

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
HERE=@TOPDIR@/regress/clients
MAILDIFF=$HERE/maildiff.py

# Dovecot dvd (direct, on $DIRECT) and dvp (rawlog on, behind posternd
# on $PORT).
setup()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dvd"
	DIRECT=$(. "$PWD/dvd/ports" && echo "$IMAP_PORT")
	DOVECOT_RAWLOG=1 atf_check -o ignore -e ignore "$FIXTURE" start \
	    "$PWD/dvp"
	. "$PWD/dvp/ports"
	PORT=$(free_port)
	mkdir -p empty store audit
	chmod 755 empty
	chmod 700 store audit
	cat > rules <<'EOF2'
imap request *        accept
imap response * all * accept
imap capability *     accept
imap list hide "Secret*"
EOF2
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	cat > postern.conf <<EOF2
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
audit dir "$PWD/audit"
pool min-idle 2 max 16 sessions 100
listen on 127.0.0.1 port $PORT imap name clients upstream 127.0.0.1 port $IMAP_PORT
EOF2
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" 2
	wait_log "policy enforced" 2
}

# clients_head PROGRAMS...: root, and the client programs.
clients_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON $*"
	atf_set timeout 120
}

clients_cleanup()
{
	common_cleanup
	"$FIXTURE" stop "$PWD/dvd"
	"$FIXTURE" stop "$PWD/dvp"
}

# same DIRECT-FILE POSTERN-FILE: the client got the same through postern,
# and never a hidden mailbox.
same()
{
	atf_check -o empty diff -u "$1" "$2"
	if grep -n 'Secret' "$2"; then
		atf_fail "a hidden mailbox reached the client through postern"
	fi
}

no_deaths()
{
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a worker died"
	fi
}

atf_test_case imaplib cleanup
imaplib_head()
{
	clients_head
	atf_set descr "Python's imaplib: list, select, fetch every message," \
	    "store, append, copy, status, the same through postern"
}
imaplib_body()
{
	setup
	atf_check -o save:direct.out $PYTHON "$HERE/imapsession.py" \
	    $DIRECT Secret
	atf_check -o save:postern.out $PYTHON "$HERE/imapsession.py" $PORT
	same direct.out postern.out
	no_deaths
	oracle_check "$PWD/dvp" "$PWD/audit"
}
imaplib_cleanup()
{
	clients_cleanup
}

atf_test_case imapflow cleanup
imapflow_head()
{
	clients_head node
	atf_set descr "imapflow: list, fetch, append, IDLE until an EXISTS" \
	    "another session causes, move, status; COMPRESS=DEFLATE" \
	    "(imapflow's default) terminated by postern"
}
imapflow_body()
{
	[ -f "$HERE/node_modules/imapflow/package.json" ] ||
	    atf_skip "imapflow is not installed: make deps"
	setup
	atf_check -o save:direct.out node "$HERE/flow.js" $DIRECT Secret
	atf_check -o save:postern.out node "$HERE/flow.js" $PORT
	same direct.out postern.out
	no_deaths
	oracle_check "$PWD/dvp" "$PWD/audit"
}
imapflow_cleanup()
{
	clients_cleanup
}

atf_test_case curl cleanup
curl_head()
{
	clients_head curl
	atf_set descr "curl: LIST, FETCH by UID, EXAMINE, SEARCH, APPEND;" \
	    "a hidden mailbox refused"
}
curl_body()
{
	setup
	printf 'From: curl <curl@postern.test>\r\nSubject: uploaded\r\n\r\nby curl\r\n' > up.eml
	for side in direct postern; do
		p=$PORT
		[ $side = direct ] && p=$DIRECT
		u=imap://127.0.0.1:$p
		C="curl -sS --max-time 20 -u testuser:testpass"
		{
			$C "$u/" | grep -v ' "/" Secret'
			$C "$u/INBOX;UID=2"
			$C "$u/INBOX;UID=3;SECTION=HEADER"
			$C "$u/Archive;UID=1"
			$C "$u/INBOX" -X 'EXAMINE INBOX' | grep -v UIDVALIDITY
			$C "$u/INBOX?SUBJECT%20protocol"
			$C -T up.eml "$u/Archive" && echo uploaded
			$C "$u/Archive;UID=2"
		} > $side.out || atf_fail "curl failed on the $side side"
	done
	same direct.out postern.out
	# hidden: no such mailbox through postern (curl: 78, not found)
	atf_check -s not-exit:0 -e ignore \
	    curl -sS --max-time 20 -u testuser:testpass \
	    "imap://127.0.0.1:$PORT/Secret;UID=1"
	no_deaths
	oracle_check "$PWD/dvp" "$PWD/audit"
}
curl_cleanup()
{
	clients_cleanup
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

mbsync_conf()
{
	cat > "$1.rc" <<EOF2
IMAPAccount acct
Host 127.0.0.1
Port $2
User testuser
Pass testpass
SSLType None
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
Patterns $3
Create Both
Expunge Both
SyncState *
Sync All
EOF2
	mkdir -p "$1"
}

atf_test_case mbsync cleanup
mbsync_head()
{
	clients_head mbsync
	atf_set descr "mbsync: a mailbox tree synced down, changed locally," \
	    "synced up and down again; the Maildirs the same through postern"
}
mbsync_body()
{
	setup
	for side in direct postern; do
		if [ $side = direct ]; then
			p=$DIRECT pat='* !Secret*'
		else
			p=$PORT pat='*'
		fi
		mbsync_conf $side.a $p "$pat"
		atf_check -o ignore -e ignore mbsync -c $side.a.rc -a
		local_changes $side.a mbsync
		atf_check -o ignore -e ignore mbsync -c $side.a.rc -a
		mbsync_conf $side.b $p "$pat"
		atf_check -o ignore -e ignore mbsync -c $side.b.rc -a
		$PYTHON "$MAILDIFF" $side.a > $side.a.tree
		$PYTHON "$MAILDIFF" $side.b > $side.b.tree
	done
	same direct.a.tree postern.a.tree
	same direct.b.tree postern.b.tree
	# what was made locally went up through postern
	atf_check -o match:'^Archive F' -o match:'^INBOX' cat postern.b.tree
	no_deaths
	oracle_check "$PWD/dvp" "$PWD/audit"
}
mbsync_cleanup()
{
	clients_cleanup
}

offlineimap_conf()
{
	filter=
	[ -n "$3" ] && filter="folderfilter = lambda f: not f.startswith('$3')"
	cat > "$1.rc" <<EOF2
[general]
accounts = t
metadata = $PWD/$1.meta
ui = quiet

[Account t]
localrepository = near
remoterepository = far

[Repository near]
type = Maildir
localfolders = $PWD/$1
sep = /

[Repository far]
type = IMAP
remotehost = 127.0.0.1
remoteport = $2
remoteuser = testuser
remotepass = testpass
ssl = no
starttls = no
timeout = 20
$filter
EOF2
	mkdir -p "$1"
}

atf_test_case offlineimap cleanup
offlineimap_head()
{
	clients_head offlineimap
	atf_set descr "offlineimap: a mailbox tree synced down, changed" \
	    "locally, synced up and down again; the same through postern"
}
offlineimap_body()
{
	setup
	for side in direct postern; do
		if [ $side = direct ]; then
			p=$DIRECT skip=Secret
		else
			p=$PORT skip=
		fi
		offlineimap_conf $side.a $p "$skip"
		atf_check -o ignore -e ignore offlineimap -o -c $side.a.rc
		local_changes $side.a offlineimap
		atf_check -o ignore -e ignore offlineimap -o -c $side.a.rc
		offlineimap_conf $side.b $p "$skip"
		atf_check -o ignore -e ignore offlineimap -o -c $side.b.rc
		$PYTHON "$MAILDIFF" $side.a > $side.a.tree
		$PYTHON "$MAILDIFF" $side.b > $side.b.tree
	done
	same direct.a.tree postern.a.tree
	same direct.b.tree postern.b.tree
	atf_check -o match:'^Archive F' cat postern.b.tree
	no_deaths
	oracle_check "$PWD/dvp" "$PWD/audit"
}
offlineimap_cleanup()
{
	clients_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case imaplib
	atf_add_test_case imapflow
	atf_add_test_case curl
	atf_add_test_case mbsync
	atf_add_test_case offlineimap
}
