#! /usr/bin/env atf-sh
# A fleet (posternd(8), FLEET): a real HAProxy in front of three posternd
# nodes (own ports, stores, audit dirs and control sockets) that take the
# PROXY v2 header HAProxy sends, one Redis for their login counters, two
# Dovecot fixtures as the servers of their upstream.  Sessions spread
# over the nodes; a node killed is routed around by HAProxy's checks and
# no session on another node breaks; brought back, it serves again; a
# guesser spread over the nodes is blocked at the fleet's threshold; a
# signed rule set exported on one node and imported on the others gives
# the same sha256 and the same answers everywhere.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
POSTERNCTL=@OBJDIR@/bin/posternctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/master/fleetdrive.py
GUESS=@TOPDIR@/regress/worker/guessdrive.py
HAPROXY=/usr/sbin/haproxy
. @OBJDIR@/regress/fixture/redis

# node_conf N: node N's directory and postern.conf, its port in $PN.
node_conf()
{
	mkdir -p "n$1/empty" "n$1/store" "n$1/audit" "n$1/ctl"
	chmod 755 "n$1/empty"
	chmod 700 "n$1/store" "n$1/audit" "n$1/ctl"
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/n$1/store" \
	    load rules
	eval "P$1=\$(free_port)"
	eval "port=\$P$1"
	cat > "n$1/postern.conf" <<EOF
user nobody
chroot "$PWD/n$1/empty"
worker "$WORKER"
policy store "$PWD/n$1/store"
policy trust "$PWD/sign.pub"
audit dir "$PWD/n$1/audit"
control socket "$PWD/n$1/ctl/sock"
pool min-idle 2 max 16 sessions 100
timeout start 10 drain 1 proxy 5
counters redis 127.0.0.1:$RPORT
login delay 0
login block address after 6 within 1m for 1m
upstream mail server 127.0.0.1 port $D1
upstream mail server 127.0.0.1 port $D2
listen on 127.0.0.1 port $port imap name imap \
	proxy-protocol from 127.0.0.1 upstream mail
EOF
}

# node_start N: posternd of node N, its log in logN (appended).
node_start()
{
	_seen=$(grep -c 'policy enforced' "log$1" 2>/dev/null)
	"$POSTERND" -d -v -f "n$1/postern.conf" >> "log$1" 2>&1 &
	echo $! > "n$1/pid"
	wait_file "log$1" "policy enforced" $((${_seen:-0} + 1))
}

haproxy_up()
{
	HP=$(free_port)
	cat > haproxy.cfg <<EOF
global
	stats socket $PWD/haproxy.sock level admin
	maxconn 256
defaults
	mode tcp
	timeout connect 2s
	timeout client 31m
	timeout server 31m
	timeout check 2s
	retries 2
	option redispatch
frontend imap
	bind 127.0.0.1:$HP
	default_backend nodes
backend nodes
	balance roundrobin
	option tcp-check
	tcp-check expect string "* OK"
	default-server inter 300 fall 2 rise 2 send-proxy-v2 check-send-proxy
	server n1 127.0.0.1:$P1 check
	server n2 127.0.0.1:$P2 check
	server n3 127.0.0.1:$P3 check
EOF
	"$HAPROXY" -c -f haproxy.cfg > haproxy.check 2>&1 ||
	    atf_fail "haproxy -c: $(cat haproxy.check)"
	"$HAPROXY" -D -p "$PWD/haproxy.pid" -f haproxy.cfg ||
	    atf_fail "haproxy did not start"
	for n in n1 n2 n3; do
		wait_until 20 server_is "$n" UP ||
		    atf_fail "HAProxy does not see $n UP"
	done
}

# server_is NAME STATE: HAProxy's stats socket says NAME is STATE.
server_is()
{
	$PYTHON "$DRIVE" state "$PWD/haproxy.sock" nodes > state 2>/dev/null &&
	    grep -q "^$1 $2" state
}

setup()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv1"
	. "$PWD/dv1/ports"
	D1=$IMAP_PORT
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv2"
	. "$PWD/dv2/ports"
	D2=$IMAP_PORT
	redis_start
	atf_check -o ignore "$POLICYCTL" keygen -k sign.key -p sign.pub
	cat > rules <<'EOF'
imap request * accept
imap response * all * accept
imap capability * accept
EOF
	for n in 1 2 3; do
		node_conf $n
		node_start $n
	done
	haproxy_up
}

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON $HAPROXY /usr/bin/redis-server /usr/bin/redis-cli"
	atf_set timeout 180
}

common_cleanup()
{
	[ -f haproxy.pid ] && kill "$(cat haproxy.pid)" 2>/dev/null
	for n in 1 2 3; do
		[ -f "n$n/pid" ] && kill -9 "$(cat "n$n/pid")" 2>/dev/null
	done
	redis_stop
	"$FIXTURE" stop "$PWD/dv1"
	"$FIXTURE" stop "$PWD/dv2"
	return 0
}

# node_of LPORT: the node whose log has the session of client port LPORT.
node_of()
{
	for n in 1 2 3; do
		if grep -Eq "session [0-9]+ from 127.0.0.1 port $1 to" "log$n"
		then
			echo "$n"
			return
		fi
	done
	echo none
}

atf_test_case spread cleanup
spread_head()
{
	common_head
	atf_set descr "nine sessions through HAProxy: each served, three" \
	    "by each node, with the client's own port in the node's log" \
	    "(PROXY v2), the mail the Dovecots hold"
}
spread_body()
{
	setup
	$PYTHON "$DRIVE" run "$HP" 9 testuser testpass > runs ||
	    atf_fail "fleetdrive.py run"
	cat runs
	atf_check -o match:"^9$" -x "grep -c ' OK ' runs"
	while read -r i st lport rest; do
		node_of "$lport"
	done < runs | sort | uniq -c > spread
	cat spread
	atf_check -o match:"^3 1 3 2 3 3 $" -x \
	    "awk '{ printf \"%s %s \", \$1, \$2 }' spread"
}
spread_cleanup()
{
	common_cleanup
}

atf_test_case node_down cleanup
node_down_head()
{
	common_head
	atf_set descr "node 2 killed (SIGKILL) with six sessions held: the" \
	    "four on nodes 1 and 3 go on, HAProxy's checks take node 2" \
	    "out and new sessions all succeed elsewhere; node 2 started" \
	    "again is put back and serves"
}
node_down_body()
{
	setup
	$PYTHON "$DRIVE" hold "$HP" 6 testuser testpass "$PWD/go" > held &
	hpid=$!
	wait_file held "^ready$"
	kill -9 "$(cat n2/pid)"
	rm -f n2/pid
	wait_until 20 server_is n2 DOWN || atf_fail "HAProxy keeps n2 UP"
	touch go
	wait "$hpid"
	cat held
	# The sessions of nodes 1 and 3 answered; node 2's, if any broke,
	# broke alone.
	grep -E '^[0-9]+ [0-9]+$' held | while read -r i lport; do
		n=$(node_of "$lport")
		r=$(grep -E "^$i (OK|BROKEN)" held | tail -1)
		echo "$i node$n $r"
	done > verdicts
	cat verdicts
	atf_check -o match:"^4$" -x "grep -Ec 'node[13] [0-9]+ OK' verdicts"
	atf_check -o match:"^2$" -x "grep -c 'node2 ' verdicts"
	$PYTHON "$DRIVE" run "$HP" 6 testuser testpass > after ||
	    atf_fail "fleetdrive.py run"
	cat after
	atf_check -o match:"^6$" -x "grep -c ' OK ' after"
	# Back: HAProxy puts it up, and it is given sessions again.
	node_start 2
	wait_until 20 server_is n2 UP || atf_fail "HAProxy keeps n2 DOWN"
	$PYTHON "$DRIVE" run "$HP" 6 testuser testpass > back ||
	    atf_fail "fleetdrive.py run"
	cat back
	atf_check -o match:"^6$" -x "grep -c ' OK ' back"
	while read -r i st lport rest; do
		node_of "$lport"
	done < back > backnodes
	grep -q '^2$' backnodes || atf_fail "node 2 got no session back"
}
node_down_cleanup()
{
	common_cleanup
}

atf_test_case guess cleanup
guess_head()
{
	common_head
	atf_set descr "a guesser through HAProxy, its attempts spread over" \
	    "the three nodes: the server's NO six times, then blocked, at" \
	    "the fleet's threshold of 6 and not 18"
}
guess_body()
{
	setup
	$PYTHON "$GUESS" imap "$HP" 127.0.0.1 testuser wrong 9 > tries ||
	    atf_fail "guessdrive.py"
	cat tries
	awk '$1 <= 6 && index($0, "AUTHENTICATIONFAILED") == 0 { bad = 1 }
	    $1 > 6 && index($0, "UNAVAILABLE") == 0 { bad = 1 }
	    END { exit bad }' tries || atf_fail "not blocked at 6"
	# Spread: each node saw some of them.
	for n in 1 2 3; do
		grep -q "failed login" "log$n" ||
		    atf_fail "node $n counted no failure"
	done
}
guess_cleanup()
{
	common_cleanup
}

atf_test_case rollout cleanup
rollout_head()
{
	common_head
	atf_set descr "a rule set loaded on node 1, exported signed and" \
	    "imported on nodes 2 and 3: the same sha256 in every node's" \
	    "policyctl and posternctl status, and every node answers" \
	    "through HAProxy as the new rules say"
}
rollout_body()
{
	setup
	cat > v2.rules <<'EOF'
imap request DELETE reject "Not on this fleet"
imap request * accept
imap response * all * accept
imap capability * accept
EOF
	atf_check -o ignore "$POLICYCTL" -c n1/postern.conf load v2.rules
	atf_check -o save:v2.bundle "$POLICYCTL" -c n1/postern.conf export \
	    -k sign.key -o node1
	for n in 2 3; do
		atf_check -o match:"imported from node1 generation 2 " \
		    "$POLICYCTL" -c "n$n/postern.conf" import v2.bundle
	done
	sha=$("$POLICYCTL" -c n1/postern.conf show | head -1 |
	    sed 's/.* sha256 //')
	for n in 1 2 3; do
		atf_check -o match:" sha256 $sha\$" -x \
		    "'$POLICYCTL' -c n$n/postern.conf show | head -1"
		wait_until 10 status_sha "$n" "$sha" ||
		    atf_fail "node $n: posternctl status: $(cat "status$n")"
	done
	$PYTHON "$DRIVE" delete "$HP" 6 testuser testpass > deletes ||
	    atf_fail "fleetdrive.py delete"
	cat deletes
	atf_check -o match:"^6$" -x "grep -c ' NO Not on this fleet' deletes"
	while read -r i lport rest; do
		node_of "$lport"
	done < deletes | sort -u > nodes
	atf_check -o inline:"1\n2\n3\n" cat nodes
}
rollout_cleanup()
{
	common_cleanup
}

# status_sha N SHA: node N's posternctl status names SHA as current.
status_sha()
{
	"$POSTERNCTL" -s "$PWD/n$1/ctl/sock" status > "status$1" 2>&1 &&
	    grep -Eq "^rules +generation [0-9]+, sha256 $2," "status$1"
}

atf_init_test_cases()
{
	atf_add_test_case spread
	atf_add_test_case node_down
	atf_add_test_case guess
	atf_add_test_case rollout
}
