#! /usr/bin/env atf-sh
# Enforcement that holds: postern and Dovecot agree on every byte of the
# client's stream, so nothing a rule hides or refuses reaches the server
# through a corner of the grammar.  Raw bytes through posternd (an
# accepting policy that hides "Secret*") to the Dovecot fixture, the
# mailbox state checked through a direct connection afterwards, and
# every session's commands as Dovecot received them compared with those
# postern accepted (oracle_check).

. @OBJDIR@/regress/worker/enforce_lib

LOGIN='>a LOGIN testuser testpass\r\n'

# The accepting rules, Dovecot, posternd, and a Secret mailbox with mail.
stream_setup()
{
	cat > rules <<'EOF2'
imap list hide "Secret*"
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF2
	setup
	secret_there
}

# Secret (the fixture's) still exists, and holds its two messages.
secret_there()
{
	atf_check -o match:'^\* STATUS Secret \(MESSAGES 2\)' \
	    $PYTHON "$CONV" $IMAP_PORT "$DIRECT" 'b STATUS Secret (MESSAGES)'
}

atf_test_case literal_taken_for_command cleanup
literal_taken_for_command_head()
{
	common_head
	atf_set descr "a literal's octets are never run as a command: commands" \
	    "the server does not know, does not advertise, answers before" \
	    "reading their arguments, or not in this state"
}
literal_taken_for_command_body()
{
	stream_setup
	# The octets of each {17+} literal are "y DELETE Secret\r\n": a
	# server that stops reading at the end of the line runs them.
	for cmd in 'GETACL' 'MYRIGHTS' 'GETQUOTAROOT' 'LISTRIGHTS' \
	    'SETMETADATA' 'XFOO' 'NOOP' 'CAPABILITY' 'LOGOUT' 'CHECK' \
	    'LOGIN' 'AUTHENTICATE' 'STARTTLS' 'UNSELECT' 'NAMESPACE' \
	    'IDLE' 'ID' 'ENABLE' 'EXPUNGE' 'SELECT INBOX' 'LSUB ""'; do
		$PYTHON "$RAW" $PORT "$LOGIN" '<a ' \
		    ">x $cmd {17+}\\r\\ny DELETE Secret\\r\\n\\r\\n" \
		    '>z NOOP\r\n' '<z ' > out || { cat out; atf_fail "$cmd: no answer"; }
		grep -q '^z OK' out || { cat out; atf_fail "$cmd: session lost"; }
		if grep -q '^y ' out; then
			cat out
			atf_fail "$cmd: the literal ran as a command"
		fi
		secret_there
	done
	# The same with a synchronizing literal: refused at once, no "+",
	# so the client sends no octets.
	for cmd in 'CAPABILITY' 'NOOP' 'XFOO' 'LOGIN' 'LOGOUT' 'CHECK'; do
		$PYTHON "$RAW" $PORT "$LOGIN" '<a ' ">x $cmd {17}\\r\\n" \
		    '<(x |\+)' '>z NOOP\r\n' '<z ' > out ||
		    atf_fail "$cmd: no answer"
		grep -q '^x BAD' out || { cat out; atf_fail "$cmd {17}: no BAD"; }
		grep -q '^+' out && atf_fail "$cmd {17}: a + for it"
		secret_there
	done
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
literal_taken_for_command_cleanup()
{
	common_cleanup
}

atf_test_case answered_before_literal cleanup
answered_before_literal_head()
{
	common_head
	atf_set descr "an APPEND answered before its {n+} octets arrive:" \
	    "the octets are not taken for commands, nor commands for octets"
}
answered_before_literal_body()
{
	stream_setup
	# 31 octets, in a later write than the announcement
	atf_check -o match:'^b NO \[TRYCREATE\]' -o match:'^c OK' \
	    -o match:'^d OK' -o not-match:'^TIMEOUT' \
	    $PYTHON "$RAW" $PORT "$LOGIN" '<a ' \
	    '>b APPEND nonexist {31+}\r\n' '<b ' \
	    '>Subject: hi\r\n\r\nhello there!!!\r\n' '>\r\n' \
	    '>c NOOP\r\n' '<c ' '>d LOGOUT\r\n' '<d '
	# the octets did not become a command: INBOX gained nothing odd, and
	# a mailbox the octets would have made is not there
	atf_check -o match:'^b OK' -o match:'^c OK' -o not-match:'^TIMEOUT' \
	    $PYTHON "$RAW" $PORT "$LOGIN" '<a ' \
	    '>b APPEND nonexist {19+}\r\nc CREATE Injected\r\n\r\n' \
	    '<b ' '>b SELECT INBOX\r\n' '<b ' '>c NOOP\r\n' '<c '
	atf_check -o not-match:'Injected' \
	    $PYTHON "$CONV" $IMAP_PORT "$DIRECT" 'b LIST "" "*"'
	# a good APPEND whose octets come in a later write still works
	atf_check -o match:'^b OK \[APPENDUID' \
	    $PYTHON "$RAW" $PORT "$LOGIN" '<a ' \
	    '>b APPEND INBOX {31+}\r\n' '>Subject: hi\r\n\r\nhello there!!!\r\n' \
	    '>\r\n' '<b '
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
answered_before_literal_cleanup()
{
	common_cleanup
}

atf_test_case hidden_in_literal cleanup
hidden_in_literal_head()
{
	common_head
	atf_set descr "a hidden mailbox named in a literal gets the tagged" \
	    "answer a quoted one gets, and the session goes on"
}
hidden_in_literal_body()
{
	stream_setup
	for cmd in 'SELECT {6}\r\nSecret\r\n' 'SELECT {6+}\r\nSecret\r\n' \
	    'STATUS {6+}\r\nSecret (MESSAGES)\r\n' \
	    'DELETE {6+}\r\nSecret\r\n' 'RENAME {6+}\r\nSecret Other\r\n' \
	    'APPEND {6+}\r\nSecret {5+}\r\nhello\r\n'; do
		$PYTHON "$RAW" $PORT "$LOGIN" '<a ' ">b $cmd" '<b ' \
		    '>c NOOP\r\n' '<c ' > out
		grep -q '^b NO \[NONEXISTENT\] No such mailbox$' out ||
		    { cat out; atf_fail "$cmd: not refused as missing"; }
		grep -q '^c OK' out || { cat out; atf_fail "$cmd: session lost"; }
	done
	# a hidden name made to exist: CANNOT, literal or not
	atf_check -o match:'^b NO \[CANNOT\] Mailbox name not allowed$' \
	    -o match:'^c OK' \
	    $PYTHON "$RAW" $PORT "$LOGIN" '<a ' \
	    '>b RENAME Drafts {7+}\r\nSecret2\r\n' '<b ' '>c NOOP\r\n' '<c '
	# the quoted form answers the same
	atf_check -o match:'^b NO \[NONEXISTENT\] No such mailbox$' \
	    $PYTHON "$RAW" $PORT "$LOGIN" '<a ' '>b SELECT "Secret"\r\n' '<b '
	secret_there
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
hidden_in_literal_cleanup()
{
	common_cleanup
}

atf_test_case literal_in_section cleanup
literal_in_section_head()
{
	common_head
	atf_set descr "a header field name sent as a literal inside" \
	    "BODY[HEADER.FIELDS (...)], where RFC 3501 allows one, gets" \
	    "Dovecot's own answer"
}
literal_in_section_body()
{
	stream_setup
	for form in '{7+}\r\n' '{7}\r\n'; do
		$PYTHON "$RAW" $PORT "$LOGIN" '<a ' '>b SELECT INBOX\r\n' '<b ' \
		    ">c FETCH 1 (BODY.PEEK[HEADER.FIELDS (${form}SUBJECT)])\\r\\n" \
		    '<c ' > out
		grep -q '^\* 1 FETCH (BODY\[HEADER.FIELDS (' out &&
		    grep -q '^c OK' out || { cat out; atf_fail "$form: $(tail -1 out)"; }
	done
	# the same bytes straight to Dovecot
	$PYTHON "$RAW" $IMAP_PORT '>DIRECT LOGIN testuser testpass\r\n' \
	    '<DIRECT ' '>b SELECT INBOX\r\n' '<b ' \
	    '>c FETCH 1 (BODY.PEEK[HEADER.FIELDS ({7+}\r\nSUBJECT)])\r\n' \
	    '<c ' > direct
	atf_check -o save:want grep -v '^\*\|OK\|^c ' direct
	grep -q '^c OK' direct || atf_fail "Dovecot refused it directly"
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
literal_in_section_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case literal_in_section
	atf_add_test_case literal_taken_for_command
	atf_add_test_case answered_before_literal
	atf_add_test_case hidden_in_literal
}
