#! /usr/bin/env atf-sh
# Routing in login proxy mode (issue 21): three Dovecot fixtures as the
# servers of two upstreams, each holding different mail; users sent to
# one or the other by a route rule of the policy store, by its per-user
# route table, or by default to the listener's upstream, every answer
# checked against the mailbox of the backend it must come from; a
# backend stopped mid-test is taken out by the health check and its
# users go to the backup server, then come back; POP3 routed alike.
# And policyctl route
# load: 50,000 lines, and bad lines refused with nothing committed.
# Every wait is for a log line or a state, none a fixed sleep.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot

USERS="ann@north.example bob@south.example carol@north.example dave@south.example erin@north.example"

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 150
}

common_cleanup()
{
	[ -f pid ] && kill -9 "$(cat pid)" 2>/dev/null
	for d in dv1 dv2 dv3; do
		"$FIXTURE" stop "$PWD/$d"
	done
	return 0
}

# backend DIR VAR N: a fixture in DIR, its IMAP port in $VAR, and N
# messages in the INBOX of every user of $USERS, each with the subject
# "DIR n": the count and the subject tell the backends apart.
backend()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/$1"
	. "$PWD/$1/ports"
	eval "$2=$IMAP_PORT"
	for u in $USERS; do
		md=$PWD/$1/home/$u/Maildir
		mkdir -p "$md/cur" "$md/new" "$md/tmp"
		i=1
		while [ $i -le $3 ]; do
			printf 'From: t@example.org\r\nTo: %s\r\nSubject: %s %s\r\n\r\nbody\r\n' \
			    "$u" "$1" $i > "$md/new/100000000$i.M${i}P1.route"
			i=$((i + 1))
		done
		chown -R nobody:nogroup "$PWD/$1/home/$u"
	done
}

# answers PORT USER...: for each user, through postern on PORT with
# imaplib's LOGIN: "USER EXISTS SUBJECT-OF-1".
answers()
{
	port=$1
	shift
	$PYTHON - "$port" "$@" <<'EOF'
import imaplib, re, sys
port = int(sys.argv[1])
for user in sys.argv[2:]:
    m = imaplib.IMAP4("127.0.0.1", port)
    typ, _ = m.login(user, "testpass")
    assert typ == "OK", (user, typ)
    typ, data = m.select("INBOX", readonly=True)
    assert typ == "OK", (user, typ)
    typ, f = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", (user, typ)
    subj = re.search(rb"Subject: ([^\r\n]*)", f[0][1]).group(1).decode()
    print(user, data[0].decode(), subj)
    m.logout()
EOF
}

atf_test_case route cleanup
route_head()
{
	common_head
	atf_set descr "users routed by a domain rule and by the route" \
	    "table (which comes first), others to the listener's upstream;" \
	    "each answer from the right backend; an upstream postern.conf" \
	    "does not route to is logged and the listener's taken; a" \
	    "backend stopped goes, its users to the backup, and comes back"
}
route_body()
{
	backend dv1 A 1
	backend dv2 B 2
	backend dv3 C 3
	mkdir -p empty audit store
	chmod 755 empty
	chmod 700 audit store
	PORT=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
audit dir "$PWD/audit"
policy store "$PWD/store"
pool min-idle 1 max 8 sessions 100
timeout drain 1
upstream north server 127.0.0.1 port $A
upstream north check every 1 timeout 2 rise 1 fall 1
upstream south server 127.0.0.1 port $B
upstream south server 127.0.0.1 port $C backup
upstream south check every 1 timeout 2 rise 1 fall 1
upstream south routed imap
listen on 127.0.0.1 port $PORT imap name front login proxy upstream north
EOF
	cat > site.rules <<'EOF'
imap request * accept
imap response * all * accept
imap capability * accept
imap route south if user "*@south.example"
imap route nowhere if user "erin@*"
EOF
	# The rule naming an upstream postern.conf lacks: a warning only.
	atf_check -o ignore -e match:"warning: site.rules:5: imap route to upstream nowhere" \
	    "$POLICYCTL" -c postern.conf load site.rules
	printf '%s\n' '# exceptions to the domain rule' \
	    'carol@north.example south' '' 'dave@south.example   north  # back' \
	    > table
	atf_check -o match:"^generation 2 .* routes on 1 .* routes 2\$" \
	    "$POLICYCTL" -c postern.conf route load table
	atf_check -o inline:"carol@north.example south\n" \
	    "$POLICYCTL" -c postern.conf route show carol@north.example
	# policyctl test shows each route as policyd will answer it.
	atf_check -o inline:"generation 2: route \"south\" by the route table (carol@north.example's entry), cacheable\n" \
	    "$POLICYCTL" -c postern.conf test -u carol@north.example route
	atf_check -o inline:"generation 2: route \"south\" by site.rules:4:1, cacheable\n" \
	    "$POLICYCTL" -c postern.conf test -u bob@south.example -l front \
	    -a 192.0.2.1 route
	atf_check -o inline:"generation 2: accept by default (no route: the listener's upstream), cacheable\n" \
	    "$POLICYCTL" -c postern.conf test -u ann@north.example route
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	wait_log "upstream south: server 127.0.0.1 port $B is up|worker"

	answers $PORT $USERS > a1
	atf_check -o inline:"ann@north.example 1 dv1 1
bob@south.example 2 dv2 1
carol@north.example 2 dv2 1
dave@south.example 1 dv1 1
erin@north.example 1 dv1 1
" cat a1
	# Dovecot saw each login on the backend of its route only.
	atf_check -o match:"user=<bob@south.example>" \
	    -o match:"user=<carol@north.example>" \
	    -o not-match:"user=<ann@" -o not-match:"user=<dave@" \
	    cat dv2/dovecot-info.log
	wait_log "login proxy: carol@north.example routed to upstream south by route-table"
	wait_log "login proxy: bob@south.example routed to upstream south by site.rules:4"
	wait_log "login proxy: ann@north.example routed to the listener's upstream by default"
	wait_log "front: session [0-9]+: route to upstream nowhere, which postern.conf does not define: the listener's upstream instead"
	wait_until 10 sh -c "cat audit/worker-*.log |
	    grep -q '\"route_upstream\":\"south\",\"route_by\":\"route-table\",\"generation\":2'" ||
	    atf_fail "no audit route record of the table"
	atf_check -o match:'"route_upstream":"south","route_by":"site.rules:4"' \
	    sh -c "cat audit/worker-*.log"
	atf_check -o match:'"route_upstream":"","route_by":"default"' \
	    sh -c "cat audit/worker-*.log"
	atf_check -o ignore "$POLICYCTL" audit verify audit/worker-*.log

	# south's primary goes: its users go to the backup.
	"$FIXTURE" stop "$PWD/dv2" || atf_fail "stop dv2"
	wait_log "upstream south: server 127.0.0.1 port $B is down"
	answers $PORT bob@south.example carol@north.example ann@north.example \
	    > a2
	atf_check -o inline:"bob@south.example 3 dv3 1
carol@north.example 3 dv3 1
ann@north.example 1 dv1 1
" cat a2
	# Back: used again.
	atf_check -o ignore -e ignore "$FIXTURE" restart "$PWD/dv2"
	wait_log "upstream south: server 127.0.0.1 port $B is up"
	answers $PORT bob@south.example carol@north.example > a3
	atf_check -o inline:"bob@south.example 2 dv2 1
carol@north.example 2 dv2 1
" cat a3

	# A rollback to the rules alone: the table is gone with it.
	atf_check -o match:"rollback to 1" \
	    "$POLICYCTL" -c postern.conf rollback 1
	answers $PORT carol@north.example dave@south.example > a4
	atf_check -o inline:"carol@north.example 1 dv1 1
dave@south.example 2 dv2 1
" cat a4
}
route_cleanup()
{
	common_cleanup
}

# pop3_answers PORT USER...: for each user, through postern on PORT
# with poplib's USER and PASS: "USER COUNT SUBJECT-OF-1".
pop3_answers()
{
	port=$1
	shift
	$PYTHON - "$port" "$@" <<'EOF'
import poplib, re, sys
port = int(sys.argv[1])
for user in sys.argv[2:]:
    p = poplib.POP3("127.0.0.1", port, timeout=20)
    p.user(user)
    p.pass_("testpass")
    n, _ = p.stat()
    _, lines, _ = p.top(1, 0)
    subj = [l for l in lines if l.startswith(b"Subject: ")][0][9:].decode()
    print(user, n, subj)
    p.quit()
EOF
}

atf_test_case pop3_route cleanup
pop3_route_head()
{
	common_head
	atf_set descr "a POP3 login proxy listener routes as IMAP's does:" \
	    "by a pop3 route rule, by the route table, else to the" \
	    "listener's upstream; each mailbox from the right backend"
}
pop3_route_body()
{
	backend dv1 A 1
	backend dv2 B 2
	. "$PWD/dv1/ports"
	A=$POP3_PORT
	. "$PWD/dv2/ports"
	B=$POP3_PORT
	mkdir -p empty store
	chmod 755 empty
	chmod 700 store
	PORT=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
pool min-idle 1 max 8 sessions 100
timeout drain 1
upstream north server 127.0.0.1 port $A
upstream south server 127.0.0.1 port $B
upstream south routed pop3
listen on 127.0.0.1 port $PORT pop3 name front login proxy upstream north
EOF
	cat > site.rules <<'EOF'
pop3 request * accept
pop3 response * * accept
pop3 capability * accept
pop3 route south if user "*@south.example"
EOF
	atf_check -o ignore "$POLICYCTL" -c postern.conf load site.rules
	printf 'carol@north.example south\n' > table
	atf_check -o ignore "$POLICYCTL" -c postern.conf route load table
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	pop3_answers $PORT ann@north.example bob@south.example \
	    carol@north.example > p1
	atf_check -o inline:"ann@north.example 1 dv1 1
bob@south.example 2 dv2 1
carol@north.example 2 dv2 1
" cat p1
	wait_log "login proxy: carol@north.example routed to upstream south by route-table"
	wait_log "login proxy: bob@south.example routed to upstream south by site.rules:4"
}
pop3_route_cleanup()
{
	common_cleanup
}

atf_test_case table_load
table_load_head()
{
	atf_set descr "policyctl route load: 50,000 lines in one" \
	    "generation, looked up by route show; bad lines refused with" \
	    "their numbers, nothing committed; upstreams postern.conf does" \
	    "not route to refused"
	atf_set require.progs "$PYTHON"
}
table_load_body()
{
	cat > postern.conf <<EOF
user nobody
policy store "$PWD/store"
upstream north server 127.0.0.1 port 1
upstream south server 127.0.0.1 port 2
upstream south routed imap
upstream east server 127.0.0.1 port 3
upstream east routed imap
listen on 127.0.0.1 port 1 imap name front login proxy upstream north
EOF
	echo 'imap request * accept' > rules
	atf_check -o ignore "$POLICYCTL" -c postern.conf load rules
	$PYTHON - <<'EOF'
ups = ["north", "south", "east"]
with open("big", "w") as f:
    f.write("# 50,000 users\n")
    for i in range(50000):
        f.write("user%05d@example.org %s\n" % (i, ups[i % 3]))
EOF
	t0=$($PYTHON -c 'import time; print(time.monotonic())')
	atf_check -o match:"^generation 2 .* routes 50000\$" \
	    "$POLICYCTL" -c postern.conf route load big
	$PYTHON -c "import time; print('route load of 50000 lines: %.3f s' % (time.monotonic() - $t0))" |
	    tee /dev/stderr > timing
	atf_check -o inline:"user49999@example.org south\n" \
	    "$POLICYCTL" -c postern.conf route show user49999@example.org
	atf_check -o inline:"user00003@example.org north\n" \
	    "$POLICYCTL" -c postern.conf route show user00003@example.org
	atf_check -s exit:1 -e match:"not in the route table of generation 2" \
	    "$POLICYCTL" -c postern.conf route show nobody@example.org
	"$POLICYCTL" -c postern.conf route show > all
	atf_check -o inline:"50001\n" sh -c "wc -l < all"

	printf '%s\n' 'ok@a north' 'x@a south extra' 'y@a' 'z@a west' \
	    'w@a no/name' 'ok@a east' > bad
	atf_check -s exit:1 -e inline:"policyctl: bad:2: expected end of line after the upstream, got \"extra\"
policyctl: bad:3: user y@a: expected an upstream name after it
policyctl: bad:4: upstream west: postern.conf does not route to it (expected 'upstream west routed imap|pop3' there)
policyctl: bad:5: upstream \"no/name\": expected a name of letters, digits, '-', '_', '.' (1 to 31 bytes)
policyctl: bad:6: user ok@a is on line 1 already
policyctl: bad: 5 bad lines: nothing loaded
" "$POLICYCTL" -c postern.conf route load bad
	# Nothing committed: generation 2 is still the current one.
	atf_check -o match:"^\\* generation 2 " \
	    "$POLICYCTL" -c postern.conf history
	# A bad line among the 50,000: refused too, by its number.
	sed -i '30002s/ north$/ nowhere/' big
	atf_check -s exit:1 -e match:"^policyctl: big:30002: upstream nowhere" \
	    -e match:"1 bad line: nothing loaded" \
	    "$POLICYCTL" -c postern.conf route load big
	# A rule load keeps the table.
	atf_check -o match:"^generation 3 .* load .* routes 50000\$" \
	    "$POLICYCTL" -c postern.conf load rules
}

atf_init_test_cases()
{
	atf_add_test_case route
	atf_add_test_case pop3_route
	atf_add_test_case table_load
}
