#! /usr/bin/env atf-sh
# Issue 15: every row of the tables of postern.rules(5) MAILBOX NAMES
# that Dovecot 2.3 can exercise (the fixture enables ACL, QUOTA,
# METADATA, URLAUTH and NOTIFY), through posternd with rules that hide
# "Secret*" and accept everything else, with a hidden name and with a
# visible one.  Hidden: the exact answer of the table, the session goes
# on, and a direct look at Dovecot shows nothing changed.  Visible: the
# command reaches Dovecot and gets Dovecot's own answer, compared with
# the same command sent straight to Dovecot.  Responses: whatever names
# a hidden mailbox never reaches the client.  Every body ends with the
# oracle: each command Dovecot received is one postern accepted.

. @OBJDIR@/regress/worker/enforce_lib

LOGIN='>a LOGIN testuser testpass\r\n'
# the oracle leaves out sessions whose first tag is DIRECT: our own look
DLOGIN='>DIRECT LOGIN testuser testpass\r\n'
N='b NO [NONEXISTENT] No such mailbox'
C='b NO [CANNOT] Mailbox name not allowed'

rows_setup()
{
	cat > rules <<'EOF2'
imap list hide "Secret*"
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF2
	setup
	URL="imap://testuser@127.0.0.1:$IMAP_PORT"
}

# Dovecot's "(0.001 + 0.000 secs)" timings, which differ every time, and
# "* n RECENT", which only the first session to open a mailbox gets.
untimed()
{
	sed -E -e 's/ \([0-9.]+( \+ [0-9.]+)* secs\)\.$/./' \
	    -e '/^\* [0-9]+ RECENT$/d'
}

# row_fail WHAT: a row that does not do what the table says.  The body
# goes on, so that one run names every such row; rows_done fails then.
row_fail()
{
	echo "$1" >> failures
	echo "ROW FAILED: $1" >&2
}

rows_done()
{
	if [ -s failures ]; then
		echo "Rows that do not do what the table says:"
		cat failures
		atf_fail "$(wc -l < failures) rows do not do what the table says (stdout lists them); the first: $(head -1 failures)"
	fi
}

# through STEP...: rawtalk through posternd after its LOGIN; what the
# client received after the LOGIN's answer, untimed.
through()
{
	$PYTHON "$RAW" $PORT "$LOGIN" '<a ' "$@" | sed -e '1,/^a /d' | untimed
}

# direct STEP...: the same straight to Dovecot.
direct()
{
	$PYTHON "$RAW" $IMAP_PORT "$DLOGIN" '<DIRECT ' "$@" |
	    sed -e '1,/^DIRECT /d' | untimed
}

# refused WANT [-s] CMD...: in one session (after SELECT INBOX with -s),
# each CMD (its bytes after the tag, rawtalk's escapes, no CRLF) sent as
# command bN is answered exactly WANT ($N or $C) with the tag bN, nothing
# else the client gets names Secret, and a NOOP after them answers OK.
# Each CMD that is not is a row that fails.
refused()
{
	_want=${1#b }
	shift
	_pre=
	if [ "$1" = -s ]; then
		_pre='>s SELECT INBOX\r\n'
		shift
	fi
	: > cmds
	_k=$#
	_n=0
	for _c; do
		_n=$((_n + 1))
		printf '%s\n' "$_c" >> cmds
		set -- "$@" ">b$_n $_c\\r\\n" "<b$_n "
	done
	shift $_k
	if [ -n "$_pre" ]; then
		through "$_pre" '<s ' "$@" '>c NOOP\r\n' '<c ' > out
	else
		through "$@" '>c NOOP\r\n' '<c ' > out
	fi
	_n=0
	while IFS= read -r _c; do
		_n=$((_n + 1))
		grep -qFx "b$_n $_want" out ||
		    row_fail "$_c: not answered '$_want'"
	done < cmds
	if ! grep -q '^c OK' out; then
		cat cmds out >&2
		row_fail "$(head -1 cmds)...: the session did not go on"
	fi
	if grep -v '^b[0-9]* ' out | grep -qi 'secret'; then
		cat out >&2
		row_fail "$(head -1 cmds)...: a response named Secret"
	fi
	return 0
}

# same STEP...: the steps (the last sends command b) get the same answer
# through postern as straight from Dovecot, and b is answered at all.
same()
{
	through "$@" '<b ' > via
	direct "$@" '<b ' > dir
	if ! grep -q '^b ' via || ! diff -u dir via >&2; then
		row_fail "$*: postern's answer is not Dovecot's"
	fi
}

# filtered STEP...: the answer through postern is Dovecot's with the
# lines that name Secret or Secret/Sub left out, and Dovecot's had some.
filtered()
{
	through "$@" '<b ' > via
	direct "$@" '<b ' > dir
	# Dovecot lists in no fixed order, and \Marked or \UnMarked says
	# whether a session saw new mail first: the later of the two looks
	# never gets it, whichever went through postern.
	for _f in via dir; do
		sed -E 's/ ?\\(Un)?Marked//g; s/\( /(/' $_f | sort > $_f.s
		mv $_f.s $_f
	done
	grep -Ev '^\* [A-Z]+ (.* )?"?Secret(/Sub)?"?( |$)' dir > dir.f
	if ! grep -q '^b OK' via || cmp -s dir dir.f ||
	    ! diff -u dir.f via >&2; then
		cat dir >&2
		row_fail "$*: not Dovecot's answer less the hidden lines"
	fi
}

# has FILE ERE...: every ERE matches a line of FILE; hasnt: none does.
has()
{
	_f=$1
	shift
	for _re; do
		grep -Eq -- "$_re" "$_f" ||
		    { cat "$_f" >&2; row_fail "no line '$_re' in $_f"; }
	done
}
hasnt()
{
	if grep -Eq -- "$2" "$1"; then
		cat "$1" >&2
		row_fail "a line '$2' in $1"
	fi
}

# look LINE: what Dovecot answers a command straight, untimed.
look()
{
	direct ">z $1\\r\\n" '<z '
}

# Secret and Secret/Sub exist with their mail; ACL, metadata and
# subscription of Secret as the fixture made them.
secret_unchanged()
{
	look 'STATUS Secret (MESSAGES)' > now
	grep -qx '\* STATUS Secret (MESSAGES 2)' now ||
	    { cat now; row_fail "Secret changed"; }
	look 'STATUS Secret/Sub (MESSAGES)' > now
	grep -qx '\* STATUS Secret/Sub (MESSAGES 1)' now ||
	    { cat now; row_fail "Secret/Sub changed"; }
	look 'GETACL Secret' > now
	grep -qx '\* ACL Secret testuser lrwstipekxacd' now ||
	    { cat now; row_fail "Secret's ACL changed"; }
	look 'GETMETADATA Secret (/private/comment)' > now
	grep -qx '\* METADATA Secret (/private/comment NIL)' now ||
	    { cat now; row_fail "Secret's metadata changed"; }
	look 'LSUB "" "*"' > now
	grep -q 'Secret' now && { cat now; row_fail "Secret subscribed"; }
	look 'LIST "" "*"' > now
	grep -Eq 'Secret(9|2|/New)|Other' now &&
	    { cat now; row_fail "a mailbox was made or renamed"; }
	return 0
}

atf_test_case commands_hidden cleanup
commands_hidden_head()
{
	common_head
	atf_set descr "MAILBOX NAMES, Commands: each command with a hidden" \
	    "name (atom, quoted, literal, encoded) answered as the table says"
}
commands_hidden_body()
{
	rows_setup
	for name in 'Secret' '"Secret"' '{6+}\r\nSecret' 'Secret/Sub' \
	    '"Secret/Sub"' '{10+}\r\nSecret/Sub' '"&AFMAZQBjAHIAZQB0-"'; do
		# N: the mailbox must look missing
		refused "$N" "SELECT $name" "EXAMINE $name" \
		    "STATUS $name (MESSAGES)" "DELETE $name" \
		    "RENAME $name Other" "RENAME $name Secret9" \
		    "SUBSCRIBE $name" "UNSUBSCRIBE $name" \
		    "APPEND $name {5+}\\r\\nhello" \
		    "APPEND $name (\\\\Seen) {5+}\\r\\nhello"
		refused "$N" -s "COPY 1 $name" "MOVE 1 $name" \
		    "UID COPY 1:* $name" "UID MOVE 1 $name"
	done
	# MULTIAPPEND: one hidden name for all the messages
	refused "$N" 'APPEND Secret {5+}\r\nhello {5+}\r\nworld'
	# a synchronizing literal: postern's own "+", then the same answer
	for cmd in 'SELECT' 'STATUS' 'UNSUBSCRIBE'; do
		args=
		[ $cmd = STATUS ] && args=' (MESSAGES)'
		through ">b $cmd {6}\\r\\n" '<(\+|b )' ">Secret$args\\r\\n" \
		    '<b ' '>c NOOP\r\n' '<c ' > out
		grep -qFx "$N" out && grep -q '^c OK' out ||
		    row_fail "$cmd {6}: not answered '$N'"
	done
	# C: the command would make a hidden name exist
	for name in 'Secret9' '"Secret9"' '{7+}\r\nSecret9' 'Secret' \
	    'Secret/New' '"&AFMAZQBjAHIAZQB0-9"'; do
		refused "$C" "CREATE $name" "RENAME Drafts $name"
		# Dovecot does not advertise CREATE-SPECIAL-USE: postern's
		# BAD comes first, nothing forwarded either way
		refused "b BAD CREATE-SPECIAL-USE not advertised" \
		    "CREATE $name (USE (\\\\Archive))"
	done
	secret_unchanged
	# INBOX kept its three messages (COPY and MOVE went nowhere)
	look 'STATUS INBOX (MESSAGES)' > now
	grep -qx '\* STATUS INBOX (MESSAGES 3)' now || row_fail "INBOX changed"
	look 'STATUS Drafts (MESSAGES)' > now
	grep -qx '\* STATUS Drafts (MESSAGES 0)' now || row_fail "Drafts changed"
	no_deaths
	rows_done
	oracle_check "$PWD/dv" "$PWD/audit"
}
commands_hidden_cleanup()
{
	common_cleanup
}

atf_test_case commands_visible cleanup
commands_visible_head()
{
	common_head
	atf_set descr "MAILBOX NAMES, Commands: the same commands with visible" \
	    "names reach Dovecot and get its own answers"
}
commands_visible_body()
{
	rows_setup
	# deterministic answers: the same as Dovecot's straight
	for name in 'INBOX' '"InBoX"' '{5+}\r\nINBOX' 'Drafts' '"Drafts"' \
	    'Private/Sub' '"&AOQ-bad-&-utf7"'; do
		same ">b EXAMINE $name\\r\\n"
		same ">b STATUS $name (MESSAGES UIDNEXT UIDVALIDITY)\\r\\n"
	done
	# names that do not exist: Dovecot's NO, not postern's
	same '>b EXAMINE Nonexistent\r\n'
	same '>b SELECT Nonexistent\r\n'
	same '>b STATUS Nonexistent (MESSAGES)\r\n'
	same '>b DELETE Nonexistent\r\n'
	same '>b RENAME Nonexistent Other\r\n'
	same '>b SUBSCRIBE Nonexistent\r\n'
	same '>b APPEND Nonexistent {5+}\r\nhello\r\n'
	same '>s SELECT INBOX\r\n' '<s ' '>b COPY 1 Nonexistent\r\n'
	same '>s SELECT INBOX\r\n' '<s ' '>b MOVE 1 Nonexistent\r\n'
	# SELECT opens it read-write
	through '>b SELECT INBOX\r\n' '<b ' > out
	has out '^b OK \[READ-WRITE\] Select completed\.$'
	# state changes: postern's session makes them, a direct look sees them
	through '>b CREATE Visible1\r\n' '<b ' > out
	has out '^b OK Create completed\.$'
	look 'LIST "" Visible1' > out
	has out '^\* LIST \(\\HasNoChildren\) "/" Visible1$'
	same '>b CREATE Visible1\r\n'
	through '>b CREATE {8+}\r\nVisible2\r\n' '<b ' > out
	has out '^b OK Create completed\.$'
	through '>b SUBSCRIBE Visible1\r\n' '<b ' > out
	has out '^b OK Subscribe completed\.$'
	look 'LSUB "" Visible1' > out
	has out '^\* LSUB \(\) "/" Visible1$'
	through '>b UNSUBSCRIBE "Visible1"\r\n' '<b ' > out
	has out '^b OK Unsubscribe completed\.$'
	look 'LSUB "" "*"' > out
	hasnt out 'Visible1'
	through '>b APPEND Visible1 {5+}\r\nhello\r\n' '<b ' > out
	has out '^b OK \[APPENDUID [0-9]+ 1\] Append completed\.$'
	through '>b APPEND Drafts {5+}\r\nhello {5+}\r\nworld\r\n' '<b ' > out
	has out '^b OK \[APPENDUID [0-9]+ 1:2\] Append completed\.$'
	for c in 'COPY 1' 'UID COPY 1'; do
		through '>s SELECT INBOX\r\n' '<s ' ">b $c Visible1\\r\\n" \
		    '<b ' > out
		has out '^b OK \[COPYUID [0-9]+ 1 [0-9]+\] Copy completed\.$'
	done
	for c in 'MOVE 1' 'UID MOVE 2'; do
		through '>s SELECT Visible1\r\n' '<s ' ">b $c Drafts\\r\\n" \
		    '<b ' > out
		has out '^\* OK \[COPYUID [0-9]+ [12] [0-9]+\] Moved UIDs\.$' \
		    '^b OK Move completed\.$'
	done
	look 'STATUS Drafts (MESSAGES)' > now
	grep -qx '\* STATUS Drafts (MESSAGES 4)' now || { cat now; row_fail "Drafts"; }
	through '>b RENAME Visible1 "Visible3"\r\n' '<b ' > out
	has out '^b OK Rename completed\.$'
	through '>b DELETE {8+}\r\nVisible3\r\n' '<b ' > out
	has out '^b OK Delete completed\.$'
	look 'LIST "" "*"' > out
	hasnt out 'Visible[13]'
	# a parent no hide rule reaches under may be deleted and renamed
	through '>b DELETE Private\r\n' '<b ' > out
	has out '^b OK Delete completed\.$'
	through '>b RENAME Visible2 Visible4\r\n' '<b ' > out
	has out '^b OK Rename completed\.$'
	secret_unchanged
	no_deaths
	rows_done
	oracle_check "$PWD/dv" "$PWD/audit"
}
commands_visible_cleanup()
{
	common_cleanup
}

atf_test_case responses_list_status cleanup
responses_list_status_head()
{
	common_head
	atf_set descr "MAILBOX NAMES, Responses: LIST, LSUB, LIST-EXTENDED and" \
	    "LIST-STATUS leave out every line that names a hidden mailbox"
}
responses_list_status_body()
{
	rows_setup
	# Secret subscribed behind postern's back: LSUB would name it
	look 'SUBSCRIBE Secret' > out
	has out '^z OK'
	look 'SUBSCRIBE Secret/Sub' > out
	has out '^z OK'
	filtered '>b LIST "" "*"\r\n'
	filtered '>b LIST "" "*" RETURN (STATUS (MESSAGES))\r\n'
	filtered '>b LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN) SPECIAL-USE CHILDREN)\r\n'
	filtered '>b LIST (SUBSCRIBED) "" "*" RETURN (SPECIAL-USE CHILDREN)\r\n'
	filtered '>b LIST (SUBSCRIBED RECURSIVEMATCH) "" "*" RETURN (CHILDREN)\r\n'
	filtered '>b LSUB "" "*"\r\n'
	filtered '>b LIST "" "S%"\r\n'
	filtered '>b LIST "" {1+}\r\n*\r\n'
	# LIST-STATUS: the STATUS line that follows a hidden LIST is gone too
	through '>b LIST "" "*" RETURN (STATUS (MESSAGES))\r\n' '<b ' > out
	grep -qx '\* STATUS INBOX (MESSAGES 3)' out || row_fail "no STATUS INBOX"
	grep -q 'Secret' out && row_fail "LIST-STATUS names Secret"
	# patterns that match only hidden mailboxes: empty answers
	for p in '"" "Secret"' '"" "Secret/%"' '"Secret/" "*"' '"" "Secret*"' \
	    '"" "Sec%"'; do
		through ">b LIST $p\\r\\n" '<b ' > out
		atf_check -o inline:'b OK List completed.\n' cat out
		direct ">b LIST $p\\r\\n" '<b ' > dir
		grep -q '^\* LIST .*Secret' dir || atf_fail "$p: Dovecot lists none"
	done
	through '>b LSUB "" "Secret*"\r\n' '<b ' > out
	atf_check -o inline:'b OK Lsub completed.\n' cat out
	# STATUS of a visible mailbox, a STATUS response of its own
	same '>b STATUS INBOX (MESSAGES UNSEEN UIDNEXT)\r\n'
	no_deaths
	rows_done
	oracle_check "$PWD/dv" "$PWD/audit"
}
responses_list_status_cleanup()
{
	common_cleanup
}

atf_test_case acl_quota_metadata cleanup
acl_quota_metadata_head()
{
	common_head
	atf_set descr "MAILBOX NAMES: ACL (RFC 4314), QUOTA (RFC 9208) and" \
	    "METADATA (RFC 5464) commands and responses, hidden and visible"
}
acl_quota_metadata_body()
{
	rows_setup
	for name in 'Secret' '"Secret"' '{6+}\r\nSecret' 'Secret/Sub' \
	    '"&AFMAZQBjAHIAZQB0-"'; do
		refused "$N" "GETACL $name" "MYRIGHTS $name" \
		    "LISTRIGHTS $name otheruser" "SETACL $name otheruser lr" \
		    "SETACL $name testuser -w" "DELETEACL $name testuser" \
		    "GETQUOTAROOT $name" "GETMETADATA $name (/private/comment)" \
		    "GETMETADATA (DEPTH infinity) $name (/private)" \
		    "SETMETADATA $name (/private/comment \"x\")" \
		    "SETMETADATA $name (/private/comment NIL)"
	done
	secret_unchanged
	# visible: Dovecot's own answers
	for name in 'INBOX' '"INBOX"' '{5+}\r\nINBOX' 'Drafts'; do
		same ">b GETACL $name\\r\\n"
		same ">b MYRIGHTS $name\\r\\n"
		same ">b LISTRIGHTS $name otheruser\\r\\n"
		same ">b GETQUOTAROOT $name\\r\\n"
		same ">b GETMETADATA $name (/private/comment)\\r\\n"
	done
	through '>b GETQUOTAROOT INBOX\r\n' '<b ' > out
	has out '^\* QUOTAROOT INBOX "User quota"$' \
	    '^\* QUOTA "User quota" \(STORAGE [0-9]+ 1048576 MESSAGE 8 100000\)$'
	# a quota root is not a mailbox: forwarded
	same '>b GETQUOTA "User quota"\r\n'
	# the server's metadata ("") is not a mailbox
	same '>b GETMETADATA "" (/private/comment)\r\n'
	# changes to visible mailboxes reach Dovecot
	through '>b SETACL Drafts otheruser lr\r\n' '<b ' > out
	has out '^b OK Setacl complete'
	look 'GETACL Drafts' > out
	has out '^\* ACL Drafts .*otheruser lr'
	through '>b DELETEACL Drafts otheruser\r\n' '<b ' > out
	has out '^b OK Deleteacl complete'
	look 'GETACL Drafts' > out
	hasnt out 'otheruser'
	through '>b SETMETADATA INBOX (/private/comment "seen")\r\n' '<b ' > out
	has out '^b OK Setmetadata completed\.$'
	look 'GETMETADATA INBOX (/private/comment)' > out
	has out '^\* METADATA INBOX \(/private/comment (\{4\}|"seen"\))$'
	same '>b GETMETADATA INBOX (/private/comment)\r\n'
	# Secret's metadata set behind postern: a GETMETADATA of INBOX is
	# still answered, and the value never shows
	look 'SETMETADATA Secret (/private/comment "hush")' > out
	has out '^z OK'
	through '>b GETMETADATA INBOX (/private/comment)\r\n' '<b ' > out
	grep -q '^b OK' out || row_fail "GETMETADATA INBOX"
	grep -q hush out && row_fail "Secret's metadata shown"
	look 'SETMETADATA Secret (/private/comment NIL)' > out
	has out '^z OK'
	secret_unchanged
	no_deaths
	rows_done
	oracle_check "$PWD/dv" "$PWD/audit"
}
acl_quota_metadata_cleanup()
{
	common_cleanup
}

# notify_events OUT PORT LOGINSTEPS...: a session that sets NOTIFY for
# personal mailboxes (in the background), then, once it is set, an
# APPEND to Secret and one to Archive straight to Dovecot; the session
# waits for Archive's event, sends a NOOP and ends with its answer.
notify_events()
{
	_out=$1
	_port=$2
	_login=$3
	_lt=$4
	rm -f "$_out"
	$PYTHON "$RAW" "$_port" "$_login" "<$_lt " \
	    '>b NOTIFY SET (personal (MessageNew MessageExpunge))\r\n' '<b ' \
	    '<\* STATUS Archive ' '>c NOOP\r\n' '<c ' > "$_out" &
	_bg=$!
	wait_file "$_out" '^b OK'
	look 'APPEND Secret {5+}\r\nhello' > out
	has out '^z OK \[APPENDUID'
	look 'APPEND Archive {5+}\r\nhello' > out
	has out '^z OK \[APPENDUID'
	# rawtalk's own timeout bounds the wait
	wait $_bg || { cat "$_out"; atf_fail "no NOTIFY event within 15 s"; }
}

atf_test_case notify cleanup
notify_head()
{
	common_head
	atf_set descr "MAILBOX NAMES: NOTIFY SET naming a hidden mailbox is" \
	    "refused; events about hidden mailboxes never reach the client"
}
notify_body()
{
	rows_setup
	refused "$N" 'NOTIFY SET (mailboxes Secret (MessageNew MessageExpunge))' \
	    'NOTIFY SET (mailboxes "Secret" (MessageNew MessageExpunge))' \
	    'NOTIFY SET (mailboxes (INBOX Secret) (MessageNew MessageExpunge))' \
	    'NOTIFY SET (subtree Secret (MessageNew MessageExpunge))' \
	    'NOTIFY SET (subtree (Drafts "Secret/Sub") (MessageNew MessageExpunge))' \
	    'NOTIFY SET (personal (MessageNew MessageExpunge)) (mailboxes Secret (MessageNew MessageExpunge))' \
	    'NOTIFY SET (mailboxes "&AFMAZQBjAHIAZQB0-" (MessageNew MessageExpunge))' \
	    'NOTIFY SET STATUS (mailboxes Secret (MessageNew MessageExpunge))' \
	    'NOTIFY SET (selected (MessageNew MessageExpunge)) (subtree Secret (MailboxName))'
	refused "$N" 'NOTIFY SET (mailboxes {6+}\r\nSecret (MessageNew MessageExpunge))'
	# visible specifiers: Dovecot's answers
	same '>b NOTIFY SET (mailboxes INBOX (MessageNew MessageExpunge))\r\n'
	same '>b NOTIFY SET (subtree Private (MessageNew MessageExpunge))\r\n'
	same '>b NOTIFY SET (personal (MessageNew MessageExpunge))\r\n'
	same '>b NOTIFY NONE\r\n'
	# Dovecot does send the events: straight, Secret's arrives
	notify_events direct.out $IMAP_PORT "$DLOGIN" DIRECT
	grep -q '^\* STATUS Secret ' direct.out ||
	    { cat direct.out; atf_fail "Dovecot sent no event about Secret"; }
	# through postern: Archive's arrives, Secret's never does
	notify_events via.out $PORT "$LOGIN" a
	cat via.out
	grep -q '^\* STATUS Archive ' via.out || row_fail "no Archive event"
	grep -q '^c OK' via.out || row_fail "NOOP not answered"
	grep -qi 'Secret' via.out && row_fail "an event about Secret arrived"
	look 'STATUS Secret (MESSAGES)' > now
	grep -qx '\* STATUS Secret (MESSAGES 4)' now || row_fail "appends"
	no_deaths
	rows_done
	oracle_check "$PWD/dv" "$PWD/audit"
}
notify_cleanup()
{
	common_cleanup
}

atf_test_case catenate_urlauth cleanup
catenate_urlauth_head()
{
	common_head
	atf_set descr "MAILBOX NAMES: CATENATE (RFC 4469) and URLAUTH" \
	    "(RFC 4467) URLs that name a hidden mailbox are refused"
}
catenate_urlauth_body()
{
	rows_setup
	for u in '/Secret/;UID=1' '/Secret/;UID=1/;SECTION=TEXT' \
	    '/Secret;UIDVALIDITY=1/;UID=1' '/Secret/Sub/;UID=1' \
	    "$URL/Secret/;UID=1" '/%53ecret/;UID=1' \
	    '/&AFMAZQBjAHIAZQB0-/;UID=1'; do
		refused "$N" "APPEND Drafts CATENATE (URL \"$u\")" \
		    "APPEND Drafts (\\\\Seen) CATENATE (URL \"$u\" TEXT {2+}\\r\\nhi)"
		# the URL after a TEXT part (message data, streamed): the
		# command's beginning went upstream, so the session ends
		# (postern.rules(5), MAILBOX NAMES); its own session
		through ">b APPEND Drafts CATENATE (TEXT {5+}\\r\\nhello URL \"$u\")\\r\\n" \
		    '=' > out
		grep -qx '\* BYE \[NONEXISTENT\] No such mailbox' out ||
		    row_fail "CATENATE (TEXT ... URL $u): no BYE"
	done
	# a relative URL whose base is the hidden mailbox: the APPEND's own
	refused "$N" 'APPEND Secret CATENATE (URL ";UID=1")'
	look 'STATUS Drafts (MESSAGES)' > now
	grep -qx '\* STATUS Drafts (MESSAGES 0)' now || row_fail "Drafts changed"
	# visible URLs: Dovecot builds the message
	d0=$(sed -n 's/^\* STATUS Drafts (MESSAGES \([0-9]*\))$/\1/p' now)
	through '>b APPEND Drafts CATENATE (URL "/INBOX/;UID=1")\r\n' '<b ' > out
	has out '^b OK \[APPENDUID [0-9]+ [0-9]+\] Append completed\.$'
	# (Dovecot takes only relative URLs in CATENATE: "[BADURL ...]
	# Relative URL required" for $URL/Archive/;UID=1)
	through '>b APPEND Drafts CATENATE (URL "/Archive/;UID=1" TEXT {5+}\r\nhello)\r\n' \
	    '<b ' > out
	has out '^b OK \[APPENDUID [0-9]+ [0-9]+\] Append completed\.$'
	look 'STATUS Drafts (MESSAGES)' > now
	grep -qx "\\* STATUS Drafts (MESSAGES $((d0 + 2)))" now ||
	    row_fail "CATENATE of visible URLs: Drafts did not get 2 messages"
	# URLAUTH: GENURLAUTH and URLFETCH of a Secret URL refused
	for u in "$URL/Secret/;UID=1;urlauth=user+testuser" \
	    "$URL/Secret/Sub/;UID=1;urlauth=user+testuser" \
	    "$URL/&AFMAZQBjAHIAZQB0-/;UID=1;urlauth=user+testuser"; do
		refused "$N" "GENURLAUTH \"$u\" INTERNAL" \
		    "GENURLAUTH \"$URL/INBOX/;UID=1;urlauth=user+testuser\" INTERNAL \"$u\" INTERNAL"
	done
	direct ">g GENURLAUTH \"$URL/Secret/;UID=1;urlauth=user+testuser\" INTERNAL\\r\\n" \
	    '<g ' > gen
	su=$(sed -n 's/^\* GENURLAUTH //p' gen)
	[ -n "$su" ] || { cat gen; atf_fail "no URLAUTH for Secret"; }
	refused "$N" "URLFETCH \"$su\"" "URLFETCH {${#su}+}\\r\\n$su" \
	    "URLFETCH (\"$su\" BODYPARTSTRUCTURE)" "RESETKEY Secret"
	# an INBOX URL: answered, as Dovecot answers it
	through ">b GENURLAUTH \"$URL/INBOX/;UID=1;urlauth=user+testuser\" INTERNAL\\r\\n" \
	    '<b ' > gen
	grep -q '^b OK' gen || { cat gen; row_fail "GENURLAUTH INBOX"; }
	iu=$(sed -n 's/^\* GENURLAUTH //p' gen)
	case "$iu" in
	"$URL/INBOX/;UID=1;urlauth=user+testuser:internal:"*) ;;
	*)	cat gen; row_fail "GENURLAUTH INBOX: $iu" ;;
	esac
	same ">b URLFETCH \"$iu\"\\r\\n"
	grep -q '^Subject: Plain test message' via || row_fail "URLFETCH INBOX"
	same '>b RESETKEY INBOX\r\n'
	secret_unchanged
	no_deaths
	rows_done
	oracle_check "$PWD/dv" "$PWD/audit"
}
catenate_urlauth_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case commands_hidden
	atf_add_test_case commands_visible
	atf_add_test_case responses_list_status
	atf_add_test_case acl_quota_metadata
	atf_add_test_case notify
	atf_add_test_case catenate_urlauth
}
