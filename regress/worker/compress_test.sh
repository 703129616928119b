#! /usr/bin/env atf-sh
# COMPRESS=DEFLATE (RFC 4978) on the client leg: postern offers it when
# the capability rules keep it, answers COMPRESS itself, inflates what
# the client sends and deflates what it gets, and goes on parsing and
# enforcing every command inside the compressed stream; the upstream leg
# stays plain (the oracle reads Dovecot's rawlog).  Clients: imapflow
# (node) and Python (imaplib with a deflating subclass, and raw sockets,
# regress/worker/zimap.py), against the Dovecot fixture through posternd
# with a policy store.

. @OBJDIR@/regress/worker/enforce_lib
ZIMAP=@TOPDIR@/regress/worker/zimap.py
CLIENTS=@TOPDIR@/regress/clients

# Rules that accept everything and hide one mailbox.
accept_rules()
{
	cat > rules <<'EOF2'
imap request *        accept
imap response * all * accept
imap capability *     accept
imap list hide "Secret*"
EOF2
}

# z_head [PROGRAMS]: root, Python and the programs.
z_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON $*"
	atf_set timeout 180
}

# The records of the COMPRESS postern took, in the audit logs.
deflates()
{
	cat audit/worker-*.log | grep -c '"event":"answered".*OK DEFLATE active'
}

atf_test_case clients cleanup
clients_head()
{
	z_head node
	atf_set descr "imapflow and imaplib with COMPRESS DEFLATE through" \
	    "an enforcing postern get the same mail, byte for byte, as" \
	    "directly from Dovecot (its own COMPRESS); the oracle agrees"
}
clients_body()
{
	[ -f "$CLIENTS/node_modules/imapflow/package.json" ] ||
	    atf_skip "imapflow is not installed: make deps"
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dvd"
	DIRECT=$(. "$PWD/dvd/ports" && echo "$IMAP_PORT")
	accept_rules
	setup
	# imapflow compresses on its own after login (disableCompression
	# unset); flow.js appends, IDLEs and moves: one Dovecot each, the
	# direct one with Dovecot's own COMPRESS.  \Marked and \UnMarked
	# (RFC 3348) follow Dovecot's own timing: left out.
	atf_check -o save:flow-direct.out node "$CLIENTS/flow.js" $DIRECT Secret
	atf_check -o save:flow-postern.out node "$CLIENTS/flow.js" $PORT
	for f in flow-direct.out flow-postern.out; do
		sed -E 's/,"\\\\(Un)?[Mm]arked"//' $f > $f.cmp
	done
	atf_check -o empty diff -u flow-direct.out.cmp flow-postern.out.cmp
	atf_check -o match:FETCH -o match:EXISTS cat flow-postern.out
	# imaplib, read-only.
	atf_check -o save:py-direct.out $PYTHON "$ZIMAP" session $DIRECT Secret
	atf_check -o save:py-postern.out $PYTHON "$ZIMAP" session $PORT
	atf_check -o empty diff -u py-direct.out py-postern.out
	atf_check -o match:'^COMPRESS OK$' -o match:'^FETCH .*BODY\[\] \{' \
	    cat py-postern.out
	if grep -n Secret py-postern.out flow-postern.out; then
		atf_fail "a hidden mailbox reached a client"
	fi
	# imaplib once, imapflow's two connections: three compressed sessions
	wait_until 10 sh -c '[ "$(cat audit/worker-*.log |
	    grep -c "\"event\":\"answered\".*OK DEFLATE active")" -ge 3 ]' ||
	    atf_fail "not 3 compressed sessions in the audit: $(deflates)"
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
clients_cleanup()
{
	common_cleanup
	"$FIXTURE" stop "$PWD/dvd"
}

atf_test_case hidden cleanup
hidden_head()
{
	z_head
	atf_set descr "a mailbox a list rule hides stays hidden inside the" \
	    "compressed stream: LIST, LIST-STATUS, STATUS and SELECT"
}
hidden_body()
{
	accept_rules
	setup
	atf_check -o match:'^STATUS .* NO \[NONEXISTENT\]' -o match:'^ok$' \
	    $PYTHON "$ZIMAP" hidden $PORT Secret
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
hidden_cleanup()
{
	common_cleanup
}

atf_test_case offer cleanup
offer_head()
{
	z_head
	atf_set descr "COMPRESS=DEFLATE is offered only when the capability" \
	    "rules keep it, and COMPRESS refused (BAD) when not; a request" \
	    "rule can refuse COMPRESS (NO); a reload changes the offer"
}
offer_body()
{
	cat > rules <<'EOF2'
imap request *        accept
imap response * all * accept
imap capability COMPRESS=DEFLATE drop
imap capability *     accept
EOF2
	setup
	atf_check -o match:'^COMPRESS z1 BAD' -o match:'^ok$' \
	    $PYTHON "$ZIMAP" offer $PORT no BAD
	cat > rules <<'EOF2'
imap request COMPRESS reject "Not through this door" if user "testuser"
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF2
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	atf_check -o match:'^COMPRESS z1 NO Not through this door' \
	    -o match:'^ok$' $PYTHON "$ZIMAP" offer $PORT yes NO
	accept_rules
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	atf_check -o match:'^COMPRESS z1 OK DEFLATE active' -o match:'^ok$' \
	    $PYTHON "$ZIMAP" offer $PORT yes OK
	# the capability and the request verdicts are in the audit
	atf_check -o match:'"table":"capability".*COMPRESS=DEFLATE' \
	    -o match:'"table":"request".*"COMPRESS"' cat audit/worker-*.log
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
offer_cleanup()
{
	common_cleanup
}

atf_test_case twice cleanup
twice_head()
{
	z_head
	atf_set descr "COMPRESS before login and with an unknown mechanism:" \
	    "BAD; a second COMPRESS: NO [COMPRESSIONACTIVE]; pipelined" \
	    "commands inside the compressed stream; compressed bytes in" \
	    "the same write as COMPRESS"
}
twice_body()
{
	accept_rules
	setup
	atf_check -o match:'^before login b1 BAD' \
	    -o match:'^unknown b2 BAD' \
	    -o match:'^second z2 NO \[COMPRESSIONACTIVE\]' \
	    -o match:'^behind o2 OK' -o match:'^ok$' \
	    $PYTHON "$ZIMAP" twice $PORT
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
twice_cleanup()
{
	common_cleanup
}

# The largest peak resident size (KiB) of the workers now running.
workers_hwm()
{
	for p in $(pgrep -x postern-worker); do
		awk '/^VmHWM:/ { print $2 }' /proc/$p/status 2>/dev/null
	done | sort -n | tail -1
}

atf_test_case garbage cleanup
garbage_head()
{
	z_head
	atf_set descr "what is not a deflate stream after COMPRESS ends the" \
	    "session with a log line; a 200 MB line deflated to 200 KB" \
	    "(a decompression bomb) is refused without the worker growing"
}
garbage_body()
{
	accept_rules
	setup
	atf_check -o match:'^closed' $PYTHON "$ZIMAP" garbage $PORT
	wait_log "client's compressed stream: .*: session closed"
	atf_check -o match:'sent [0-9]+ compressed bytes' \
	    -o match:'(a1 BAD|BYE|a2 OK|closed)' \
	    $PYTHON "$ZIMAP" bomb $PORT 200
	hwm=$(workers_hwm)
	echo "largest worker VmHWM after the bomb: $hwm KiB"
	[ "$hwm" -lt 32768 ] || atf_fail "a worker grew to $hwm KiB"
	# the next session is served as usual
	atf_check -o match:'^ok$' $PYTHON "$ZIMAP" twice $PORT
	no_deaths
}
garbage_cleanup()
{
	common_cleanup
}

atf_test_case tls cleanup
tls_head()
{
	z_head openssl
	atf_set descr "COMPRESS over implicit TLS and after STARTTLS: TLS" \
	    "below, deflate above; the same mail as plain and direct"
}
tls_body()
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ec.key -out ec.crt -days 2 -subj /CN=ec.test \
	    >/dev/null 2>&1 || atf_fail "openssl req"
	chmod 600 ec.key
	cat > rules <<'EOF2'
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF2
	IMAPS=$(free_port)
	ST=$(free_port)
	cert="certificate \"$PWD/ec.crt\" key \"$PWD/ec.key\""
	up="upstream 127.0.0.1 port @IMAP_PORT@"
	l1="listen on 127.0.0.1 port $IMAPS imap name imaps tls implicit"
	l2="listen on 127.0.0.1 port $ST imap name st tls starttls"
	setup "$(printf '%s\n%s' "$l1 $cert $up" "$l2 $cert $up")"
	# Dovecot's own COMPRESS, on another Dovecot: the oracle cannot read
	# a compressed rawlog.
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dvd"
	DIRECT=$(. "$PWD/dvd/ports" && echo "$IMAP_PORT")
	atf_check -o save:direct.out $PYTHON "$ZIMAP" session $DIRECT
	atf_check -o save:implicit.out $PYTHON "$ZIMAP" session $IMAPS \
	    --tls implicit
	atf_check -o save:starttls.out $PYTHON "$ZIMAP" session $ST \
	    --tls starttls
	atf_check -o save:plain.out $PYTHON "$ZIMAP" session $PORT
	atf_check -o empty diff -u direct.out implicit.out
	atf_check -o empty diff -u direct.out starttls.out
	atf_check -o empty diff -u direct.out plain.out
	# TLS was on in two of them, and all three compressed
	atf_check -o match:'"tls":true' cat audit/worker-*.log
	[ "$(deflates)" -ge 3 ] || atf_fail "not 3 compressed sessions"
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
tls_cleanup()
{
	common_cleanup
	"$FIXTURE" stop "$PWD/dvd"
}

# The private memory (USS: Private_Clean + Private_Dirty, KiB) and the
# PSS of the worker holding the one session on port $1.  PSS moves with
# the number of workers sharing the libraries' pages: USS is compared.
session_mem()
{
	pid=$(ss -Htnp state established "( sport = :$1 )" |
	    sed -n 's/.*"postern-worker",pid=\([0-9]*\).*/\1/p' | head -1)
	[ -n "$pid" ] || return 1
	awk '/^Private_/ { u += $2 } /^Pss:/ { p = $2 }
	    END { print u, p }' /proc/$pid/smaps_rollup
}

atf_test_case memory cleanup
memory_head()
{
	z_head
	atf_set descr "the memory of a worker in an idle compressed session" \
	    "against an uncompressed one (USS and PSS, smaps_rollup):" \
	    "reported, and below 512 KiB more"
}
memory_body()
{
	accept_rules
	setup
	for mode in plain compressed; do
		flag=
		[ $mode = plain ] && flag=--plain
		rested=$(grep -c 'quiet, buffers given back' log)
		$PYTHON "$ZIMAP" idle $PORT 4 $flag > $mode.out 2>&1 &
		client=$!
		wait_file $mode.out '^ready' 1
		# Measured at rest, as make bench measures: once the relay
		# has given back what a quiet session does not need.
		wait_file log 'quiet, buffers given back' $((rested + 1))
		session_mem $PORT > $mode.mem || atf_fail "no worker for $mode"
		wait $client || atf_fail "the $mode session: $(cat $mode.out)"
	done
	read pu pp < plain.mem
	read cu cp < compressed.mem
	echo "a worker in an idle session: plain USS $pu KiB PSS $pp KiB," \
	    "compressed USS $cu KiB PSS $cp KiB: $((cu - pu)) KiB more"
	# ASan keeps what is freed in its quarantine: no figure to hold to.
	if grep -q __asan_init "$WORKER"; then
		echo "a sanitizer build: not compared"
	elif [ $((cu - pu)) -ge 512 ]; then
		atf_fail "compression costs $((cu - pu)) KiB"
	fi
	no_deaths
}
memory_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case clients
	atf_add_test_case hidden
	atf_add_test_case offer
	atf_add_test_case twice
	atf_add_test_case garbage
	atf_add_test_case tls
	atf_add_test_case memory
}
