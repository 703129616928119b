#! /usr/bin/env atf-sh
# Policy enforcement in the worker: posternd with a policy store in front
# of the Dovecot fixture; each test loads rules with policyctl and talks
# through postern with raw sockets (converse.py) or imaplib, and checks
# what Dovecot saw through a direct connection (mailbox state).

. @OBJDIR@/regress/worker/enforce_lib
RELOAD=@TOPDIR@/regress/worker/reload.py

LOGIN='a LOGIN testuser testpass'

atf_test_case requests cleanup
requests_head()
{
	common_head
	atf_set descr "request verdicts: accept, reject (NO and BAD), drop," \
	    "abort, rewrite, respond; invalid state answered BAD"
}
requests_body()
{
	cat > rules <<'EOF2'
imap request NOOP     respond "OK NOOP answered by postern" untagged "OK [ALERT] from postern"
imap request DELETE   drop
imap request LSUB     abort
imap request EXAMINE  reject "not today"
imap request CHECK    reject "BAD no checks"
imap request SELECT   rewrite "EXAMINE $1"
imap request EXPUNGE  reject "no expunge"
imap request RENAME   reject "no renames"
imap request CREATE   respond "OK [ALERT] pretend created"
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF2
	setup
	$PYTHON "$CONV" $IMAP_PORT "$DIRECT" 'b CREATE Keep' 'c LOGOUT' > /dev/null
	atf_check -o match:'^\* OK \[ALERT\] from postern$' \
	    -o match:'^b OK NOOP answered by postern$' $PYTHON "$CONV" $PORT "$LOGIN" 'b NOOP'
	# rewritten to EXAMINE: Dovecot opens it read-only
	atf_check -o match:'^b OK \[READ-ONLY\]' $PYTHON "$CONV" $PORT "$LOGIN" 'b SELECT INBOX'
	atf_check -o match:'^b NO not today$' $PYTHON "$CONV" $PORT "$LOGIN" 'b EXAMINE INBOX'
	atf_check -o match:'^b BAD no checks$' $PYTHON "$CONV" $PORT "$LOGIN" 'b SELECT INBOX' \
	    'b CHECK'
	# rejected and answered by postern: Dovecot never saw them
	atf_check -o match:'^b NO no renames$' \
	    -o match:'^c OK \[ALERT\] pretend created$' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b RENAME Keep Kept' 'c CREATE New'
	$PYTHON "$CONV" $IMAP_PORT "$DIRECT" 'b LIST "" "*"' > dout
	atf_check -o match:' Keep$' cat dout
	atf_check -s exit:1 -o ignore grep -E ' (Kept|New)$' dout
	# dropped: no answer at all, and the mailbox is still there
	$PYTHON "$CONV" $PORT "$LOGIN" '!b DELETE Keep' 'c NOOP' > out
	atf_check -s exit:1 -o ignore grep '^b ' out
	atf_check -o match:'^\* LIST .* Keep$' $PYTHON "$CONV" $IMAP_PORT "$DIRECT" 'b LIST "" Keep'
	atf_check -o match:"^\* BYE Session ended by policy$" -o match:"^EOF$" \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b LSUB "" "*"' 'c NOOP'
	# a command postern does not know never reaches the server (which
	# would answer before reading its arguments), whatever the rules say
	atf_check -o match:'^b BAD Unknown command$' -o match:'^c OK' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b XYZZY' 'c NOOP'
	# EXPUNGE before SELECT, FETCH after CLOSE: not valid in that state,
	# postern says BAD before any rule; in the selected state the rules
	# decide
	atf_check -o match:'^b BAD Command not valid in this state$' \
	    -o match:'^c NO no expunge$' \
	    -o match:'^d BAD Command not valid in this state$' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b EXPUNGE' 'c SELECT INBOX' \
	    'c EXPUNGE' 'd CLOSE' 'd FETCH 1 FLAGS'
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
requests_cleanup()
{
	common_cleanup
}

atf_test_case rewrite_literal cleanup
rewrite_literal_head()
{
	common_head
	atf_set descr "a rewrite applies to commands of one line: one with" \
	    "a literal argument is refused, not rewritten"
}
rewrite_literal_body()
{
	cat > rules <<'EOF2'
imap request SELECT   rewrite "EXAMINE $1"
imap request STATUS   rewrite "STATUS INBOX (MESSAGES)"
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF2
	setup
	atf_check -o match:'^b OK \[READ-ONLY\]' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b SELECT INBOX'
	atf_check -o match:'^b NO \[CANNOT\] Rewrite failed' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b SELECT {5}|INBOX'
	# a rewritten line as long as the client's may be (9000 bytes here)
	long=$(printf '%09000d' 0)
	atf_check -o not-match:'CANNOT' -o match:'^b (NO|BAD)' \
	    $PYTHON "$CONV" $PORT "$LOGIN" "b SELECT X$long"
	atf_check -o match:'^b NO \[CANNOT\] Rewrite failed' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b STATUS {5}|INBOX (UIDNEXT)'
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
rewrite_literal_cleanup()
{
	common_cleanup
}

atf_test_case responses cleanup
responses_head()
{
	common_head
	atf_set descr "response verdicts: greeting rewrite keeping a" \
	    "filtered capability code, drop, rewrite, reject, abort"
}
responses_body()
{
	cat > rules <<'EOF2'
imap response GREETING untagged OK rewrite "postern ready"
imap response SELECT untagged FLAGS drop
imap response SELECT untagged EXISTS rewrite "OK [ALERT] rewritten"
imap response NOOP tagged OK reject "refused response"
imap response STATUS untagged STATUS abort
imap response * all * accept
imap request * accept
imap capability IDLE drop
imap capability * accept
EOF2
	setup
	$PYTHON "$CONV" $PORT "$LOGIN" 'b SELECT INBOX' 'c NOOP' > out
	atf_check -o match:'^\* OK \[CAPABILITY IMAP4rev1 .*\] postern ready$' \
	    head -1 out
	atf_check -s exit:1 -o ignore grep -E 'IDLE|STARTTLS' out
	atf_check -s exit:1 -o ignore grep '^\* FLAGS' out
	atf_check -s exit:1 -o ignore grep 'EXISTS' out
	atf_check -o match:'^\* OK \[ALERT\] rewritten$' cat out
	atf_check -o match:'^c NO refused response$' cat out
	atf_check -o match:"^\* BYE Session ended by policy$" -o match:"^EOF$" \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b STATUS INBOX (MESSAGES)' 'c NOOP'
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
responses_cleanup()
{
	common_cleanup
}

atf_test_case capabilities cleanup
capabilities_head()
{
	common_head
	atf_set descr "capability rules in the greeting code, CAPABILITY," \
	    "LOGIN's tagged OK code and ENABLE; postern's COMPRESS=DEFLATE" \
	    "hidden by its rule, and COMPRESS then refused"
}
capabilities_body()
{
	cat > rules <<'EOF2'
imap capability IDLE drop
imap capability CONDSTORE drop
imap capability ID drop if client 127.0.0.0/8
imap capability COMPRESS=DEFLATE drop
imap capability * accept
imap request * accept
imap response * all * accept
EOF2
	setup
	$PYTHON "$CONV" $PORT "$LOGIN" 'b CAPABILITY' 'c ENABLE CONDSTORE' 'd ENABLE QRESYNC' \
	    > out
	# the greeting, the tagged OK of LOGIN, the untagged CAPABILITY
	atf_check -o match:'^\* OK \[CAPABILITY IMAP4rev1' head -1 out
	atf_check -o match:'^a OK \[CAPABILITY IMAP4rev1' cat out
	atf_check -o match:'^\* CAPABILITY IMAP4rev1' cat out
	atf_check -s exit:1 -o ignore grep -E ' (IDLE|ID|CONDSTORE|STARTTLS|COMPRESS=DEFLATE)( |\]|$)' out
	# Dovecot has them all
	atf_check -o match:' IDLE' -o match:' COMPRESS=DEFLATE' \
	    -o match:' CONDSTORE' $PYTHON "$CONV" $IMAP_PORT "$DIRECT" 'b CAPABILITY'
	# ENABLE of a hidden capability enables nothing
	atf_check -o match:'^\* ENABLED$' cat out
	atf_check -o match:'^c OK ENABLE completed$' cat out
	atf_check -o match:'^\* ENABLED QRESYNC$' cat out
	atf_check -o match:'^b BAD COMPRESS is not offered' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b COMPRESS DEFLATE'
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
capabilities_cleanup()
{
	common_cleanup
}

atf_test_case list_hide cleanup
list_hide_head()
{
	common_head
	atf_set descr "list rules hide mailboxes (atoms, quoted, modified" \
	    "UTF-7) and change attributes; hidden ones are refused"
}
list_hide_body()
{
	cat > rules <<'EOF2'
imap list hide "Private*"
imap list hide "Secret Stuff"
imap list hide "Café"
imap list hide "Parent/*"
imap list attributes "\\Noselect" if mailbox "Archive"
imap request * accept
imap response * all * accept
imap capability * accept
EOF2
	setup
	$PYTHON "$CONV" $IMAP_PORT "$DIRECT" 'b CREATE Private' 'c CREATE "Secret Stuff"' \
	    'd CREATE Caf&AOk-' 'e CREATE Archive' 'f CREATE Open' \
	    'g CREATE Parent/Kid' > /dev/null
	$PYTHON "$CONV" $PORT "$LOGIN" 'b LIST "" "*"' 'c LSUB "" "*"' \
	    'd LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN)' > out
	atf_check -o match:'^\* LIST .* Open$' cat out
	atf_check -o match:'^\* LIST \(\\Noselect\) "/" Archive$' cat out
	atf_check -s exit:1 -o ignore grep -E 'Private|"Secret Stuff"|Caf' out
	# refused to every command that names a mailbox
	for c in 'SELECT Private' 'EXAMINE "Secret Stuff"' \
	    'STATUS Caf&AOk- (MESSAGES)' 'APPEND Private {3}|abc' \
	    'DELETE Private' 'RENAME Private Other' 'SUBSCRIBE Private'; do
		atf_check -o match:'^b NO \[NONEXISTENT\]' $PYTHON "$CONV" $PORT "$LOGIN" "b $c"
	done
	# a hidden name made to exist, or a parent of hidden ones moved or
	# deleted: the answer depends on the rules only, never on the server
	for c in 'CREATE Private' 'CREATE Private9' 'RENAME Open Private2' \
	    'DELETE Parent' 'RENAME Parent Elsewhere'; do
		atf_check -o match:'^b NO \[CANNOT\] Mailbox name not allowed' \
		    $PYTHON "$CONV" $PORT "$LOGIN" "b $c"
	done
	atf_check -o match:'^\* LIST .* Parent$' -o not-match:'Kid' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b LIST "" "*"'
	atf_check -o match:'^b NO \[NONEXISTENT\]' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'c SELECT INBOX' 'b COPY 1 Private'
	atf_check -o match:'^b NO \[NONEXISTENT\]' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'c SELECT INBOX' 'b UID MOVE 1 Private'
	# a name sent as a literal is held until the command is whole
	# (postern answers the "+"): the same tagged answer as quoted, and
	# the session goes on
	for c in 'SELECT {7}|Private' 'SELECT {7+}|Private' \
	    'RENAME {7}|Private {4}|Open' 'STATUS {7+}|Private (MESSAGES)'; do
		atf_check -o match:'^b NO \[NONEXISTENT\]' -o match:'^c OK' \
		    -o not-match:'^\* BYE' \
		    $PYTHON "$CONV" $PORT "$LOGIN" "b $c" 'c NOOP'
	done
	for c in 'RENAME {4}|Open {8}|Private3' 'RENAME {4}|Open Private4'; do
		atf_check -o match:'^b NO \[CANNOT\]' -o match:'^c OK' \
		    $PYTHON "$CONV" $PORT "$LOGIN" "b $c" 'c NOOP'
	done
	atf_check -o match:'^b OK' -o match:'^c OK' \
	    $PYTHON "$CONV" $PORT "$LOGIN" 'b SELECT {4}|Open' \
	    'c STATUS {7+}|Archive (MESSAGES)'
	# still there, untouched
	$PYTHON "$CONV" $IMAP_PORT "$DIRECT" 'b LIST "" "*"' > dout
	atf_check -o match:'Private$' -o match:'Open$' cat dout
	atf_check -s exit:1 -o ignore grep -E 'Private[234]' dout
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
list_hide_cleanup()
{
	common_cleanup
}

atf_test_case conditions cleanup
conditions_head()
{
	common_head
	atf_set descr "conditions see the user (LOGIN, AUTHENTICATE PLAIN)," \
	    "state, client, listener, port, TLS and arguments"
}
conditions_body()
{
	PORT=$(free_port)
	cat > rules <<EOF2
imap request NOOP    reject "user guest" if user "guest*"
imap request NOOP    reject "authenticated" if state authenticated and user "plain*"
imap request CHECK   reject "client" if client 127.0.0.0/8
imap request ID      reject "listener" if listener t1
imap request GETQUOTAROOT reject "port" if port $PORT and user "porty"
imap request GETQUOTAROOT reject "notls" unless tls
imap request EXAMINE reject "arg" if arg 1 ~ "Forbid*"
imap request *       accept
imap response * all * accept
imap capability *    accept
EOF2
	setup
	atf_check -o match:'^b NO user guest$' \
	    $PYTHON "$CONV" $PORT 'a LOGIN guest1 testpass' 'b NOOP'
	atf_check -o match:'^b OK' $PYTHON "$CONV" $PORT 'a LOGIN other testpass' 'b NOOP'
	# PLAIN with the initial response: "\0plainuser\0testpass"
	ir=$(printf '\0plainuser\0testpass' | base64)
	atf_check -o match:'^b NO authenticated$' \
	    $PYTHON "$CONV" $PORT "a AUTHENTICATE PLAIN $ir" 'b NOOP'
	atf_check -o match:'^b NO client$' $PYTHON "$CONV" $PORT "$LOGIN" 'b SELECT INBOX' 'b CHECK'
	atf_check -o match:'^b NO listener$' $PYTHON "$CONV" $PORT 'b ID NIL'
	atf_check -o match:'^b NO port$' $PYTHON "$CONV" $PORT \
	    'a LOGIN porty testpass' 'b GETQUOTAROOT INBOX'
	atf_check -o match:'^b NO notls$' $PYTHON "$CONV" $PORT "$LOGIN" 'b GETQUOTAROOT INBOX'
	atf_check -o match:'^b NO arg$' $PYTHON "$CONV" $PORT "$LOGIN" 'b EXAMINE Forbidden'
	atf_check -o match:'^b OK' $PYTHON "$CONV" $PORT "$LOGIN" 'b EXAMINE INBOX'
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
conditions_cleanup()
{
	common_cleanup
}

atf_test_case fail_closed cleanup
fail_closed_head()
{
	common_head
	atf_set descr "no generation loaded: the greeting gets no verdict" \
	    "and the session ends; policyd stopped: a command gets" \
	    "NO [UNAVAILABLE] after 'timeout policy'; policyd restarted:" \
	    "the workers get a channel to the new one"
}
fail_closed_body()
{
	setup 'timeout policy 300'
	atf_check -o match:'^\* BYE \[UNAVAILABLE\] Policy unavailable$' $PYTHON "$CONV" $PORT
	cat > rules <<'EOF2'
imap response GREETING untagged OK rewrite "postern ready"
imap request * accept
imap response * all * accept
imap capability * accept
EOF2
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	pd=$(sed -nE 's/^posternd: policyd pid ([0-9]+) ready$/\1/p' log | tail -1)
	$PYTHON - $PORT $pd > out <<'EOF2'
import os, signal, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
print(f.readline().decode().strip())
s.sendall(b"a LOGIN testuser testpass\r\n")
while not f.readline().startswith(b"a "):
    pass
os.kill(int(sys.argv[2]), signal.SIGSTOP)
t = time.monotonic()
s.sendall(b"b STATUS INBOX (MESSAGES)\r\n")
ln = f.readline().decode().strip()
el = time.monotonic() - t
os.kill(int(sys.argv[2]), signal.SIGCONT)
print(ln)
print("elapsed ok" if 0.25 <= el < 1.5 else "elapsed %.3f" % el)
EOF2
	atf_check -o match:'^\* OK' -o match:'^b NO \[UNAVAILABLE\]' \
	    -o match:'^elapsed ok$' cat out

	# policyd restarted: every worker gets a channel to the new one,
	# so no session fails for it, and none is relayed without verdicts
	kill -9 $pd
	wait_log "^posternd: policyd pid [0-9]+ ready$" 2
	for i in 1 2 3 4 5 6; do
		atf_check -o match:'^a OK' -o match:'\] postern ready$' \
		    $PYTHON "$CONV" $PORT "$LOGIN"
	done
	if grep -E "worker.*(killed by signal|SIGSYS)|fatal" log; then
		atf_fail "a worker died"
	fi
	oracle_check "$PWD/dv" "$PWD/audit"
}
fail_closed_cleanup()
{
	common_cleanup
}

atf_test_case reload cleanup
reload_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 300
	atf_set descr "rules reloaded 200 times while 50 sessions issue" \
	    "commands: no session lost, every answer from a generation" \
	    "current at the time"
}
reload_body()
{
	printf 'imap request NOOP respond "OK gen 0"\nimap request * accept\nimap response * all * accept\nimap capability * accept\n' > rules
	mkdir -m 700 audit
	setup "audit dir \"$PWD/audit\""
	pd=$(sed -nE 's/^posternd: policyd pid ([0-9]+) ready$/\1/p' log | tail -1)
	gen0=$("$POLICYCTL" -s "$PWD/store" history | sed -nE 's/^[* ]*generation ([0-9]+) .*/\1/p' | tail -1)
	atf_check -o save:out $PYTHON "$RELOAD" $PORT "$POLICYCTL" \
	    "$PWD/store" 50 200 $pd "$PWD/answers"
	cat out
	atf_check -o match:'^ok ' cat out
	# the cache answered most verdicts, and says so at session end
	wait_log "verdicts, [0-9]+ from the cache" 50
	no_deaths
	# Every NOOP's verdict record names the rule set and generation the
	# client's answer came from (rule set I is generation gen0 + I), and
	# the logs verify.
	atf_check -o match:": good, " -o not-match:"line [0-9]" \
	    "$POLICYCTL" audit verify audit/worker-*.log
	$PYTHON - "$gen0" "$PWD/answers" audit/worker-*.log <<'EOF2' ||
import json, re, sys
gen0 = int(sys.argv[1])
seen = sorted(int(l) for l in open(sys.argv[2]))
got = []
for f in sys.argv[3:]:
	for l in open(f):
		r = json.loads(l)
		if r["event"] != "verdict" or r["key"] != "NOOP":
			continue
		# rule set 0 is ./rules, generation gen0
		m = re.fullmatch(r"rules(?:\.(\d+))?:1", r["rule"])
		assert m, r
		i = int(m.group(1) or 0)
		assert r["generation"] == gen0 + i, r
		got.append(i)
got.sort()
assert got == seen, (len(got), len(seen))
print("%d verdict records match the answers" % len(got))
EOF2
	    atf_fail "audit records and answers differ"
	# LOGIN's verdicts are recorded, its password masked.
	grep -q '"key":"LOGIN","what":"a LOGIN testuser \*\*\*"' \
	    audit/worker-*.log || atf_fail "no masked LOGIN verdict record"
	if grep -rl testpass audit; then
		atf_fail "the password is in the audit logs"
	fi
}
reload_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case requests
	atf_add_test_case rewrite_literal
	atf_add_test_case responses
	atf_add_test_case capabilities
	atf_add_test_case list_hide
	atf_add_test_case conditions
	atf_add_test_case fail_closed
	atf_add_test_case reload
}
