#! /usr/bin/env atf-sh
# Named upstreams (issue 21, first part): several Dovecot fixtures as the
# servers of one upstream, sessions spread by weight, a server stopped
# and taken out by the master's health check, its sessions going to the
# others or the backup with no client error, started again and used
# again; every server down: the client is refused in words
# (postern.conf(5), "UPSTREAMS").  Every wait is for a log line or a
# state, none a fixed sleep.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POSTERNCTL=@OBJDIR@/bin/posternctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON"
	atf_set timeout 120
}

common_cleanup()
{
	[ -f pid ] && kill -9 "$(cat pid)" 2>/dev/null
	for d in dv1 dv2 dv3; do
		"$FIXTURE" stop "$PWD/$d"
	done
	return 0
}

# dovecot_up DIR VAR: a fixture in DIR, its IMAP port in $VAR and its
# POP3 port in $VAR_POP3.
dovecot_up()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/$1"
	. "$PWD/$1/ports"
	eval "$2=$IMAP_PORT ${2}_POP3=$POP3_PORT"
}

# posternd_up "STATEMENTS": posternd with an audit dir, a control
# socket, the statements; waits for its listeners' first workers.
posternd_up()
{
	mkdir -p empty audit ctl
	chmod 755 empty
	chmod 700 audit ctl
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
audit dir "$PWD/audit"
control socket "$PWD/ctl/sock"
pool min-idle 1 max 8 sessions 100
timeout drain 1
$1
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" \
	    "$(grep -c '^listen ' postern.conf)"
}

# session PORT [N]: N (1) sessions one after the other, each the
# greeting and LOGOUT; prints each greeting.
session()
{
	$PYTHON - "$1" "${2:-1}" <<'EOF'
import socket, sys
for i in range(int(sys.argv[2])):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    f = s.makefile("rb")
    g = f.readline().decode().strip()
    print(g)
    if g.startswith("* OK"):
        s.sendall(b"a LOGOUT\r\n")
        while f.readline().split()[:1] not in ([b"a"], []):
            pass
    elif g.startswith("+OK"):
        s.sendall(b"QUIT\r\n")
        f.readline()
    s.close()
EOF
}

# to_server PORT: sessions the master sent to the server on PORT.
to_server()
{
	grep -Ec "session [0-9]+ from .* to upstream [a-z]+ server 127.0.0.1 port $1\$" log
}

atf_test_case spread cleanup
spread_head()
{
	common_head
	atf_set descr "two servers of weights 3 and 1 get 6 and 2 of 8" \
	    "sessions; the audit's connect record, status and the metrics" \
	    "name them; the check keeps the CAPABILITY answer"
}
spread_body()
{
	dovecot_up dv1 A
	dovecot_up dv2 B
	posternd_up "metrics listen on 127.0.0.1 port $(free_port)
upstream mail server 127.0.0.1 port $A weight 3
upstream mail server 127.0.0.1 port $B
upstream mail check every 1 timeout 2 capability rise 1 fall 1
listen on 127.0.0.1 port $(free_port) imap name front upstream mail"
	port=$(sed -n 's/^listen on 127.0.0.1 port \([0-9]*\) .*/\1/p' \
	    postern.conf)
	mport=$(sed -n 's/^metrics listen on 127.0.0.1 port //p' postern.conf)
	session $port 8 > greetings
	atf_check -o match:"^8\$" grep -c '^\* OK ' greetings
	atf_check_equal 6 "$(to_server $A)"
	atf_check_equal 2 "$(to_server $B)"
	# Smooth round robin: never a run of the six, B comes twice between.
	grep -Eo "to upstream mail server 127.0.0.1 port [0-9]+" log |
	    awk '{print $NF}' | tr '\n' ' ' > order
	atf_check_equal "$A $A $B $A $A $A $B $A " "$(cat order)"
	wait_until 10 sh -c "cat audit/worker-*.log | grep -c \
	    '\"upstream_name\":\"mail\"' | grep -qx 8" ||
	    atf_fail "no 8 connect records with upstream_name mail"
	atf_check -o match:"\"upstream\":\"127.0.0.1\",\"upstream_port\":$B," \
	    sh -c "cat audit/worker-*.log"
	# The first check may still be under way: wait for one kept.
	wait_until 10 sh -c "'$POSTERNCTL' -s '$PWD/ctl/sock' status -j |
	    grep -q '\"capability\":\"IMAP4rev1 '" ||
	    atf_fail "no capability kept by the check"
	atf_check -o match:"^mail +127.0.0.1:$A +up +3 +no " \
	    "$POSTERNCTL" -s "$PWD/ctl/sock" status
	$PYTHON -c "
import urllib.request
print(urllib.request.urlopen('http://127.0.0.1:$mport/metrics').read().decode())" \
	    > metrics
	atf_check -o match:"^1\$" grep -c \
	    "^postern_upstream_server_up{upstream=\"mail\",server=\"127.0.0.1:$B\"} 1\$" \
	    metrics
	atf_check -o match:"^1\$" grep -c \
	    "^postern_upstream_server_sessions_total{upstream=\"mail\",server=\"127.0.0.1:$A\"} 6\$" \
	    metrics
}
spread_cleanup()
{
	common_cleanup
}

atf_test_case failover cleanup
failover_head()
{
	common_head
	atf_set descr "a server stopped is taken out by the check (log" \
	    "line), its sessions go to the other and then to the backup" \
	    "with no client error; started again, it is put back and used"
}
failover_body()
{
	dovecot_up dv1 A
	dovecot_up dv2 B
	dovecot_up dv3 C
	port=$(free_port)
	posternd_up "upstream mail server 127.0.0.1 port $A
upstream mail server 127.0.0.1 port $B
upstream mail server 127.0.0.1 port $C backup
upstream mail check every 1 timeout 2 rise 2 fall 2
listen on 127.0.0.1 port $port imap name front upstream mail"
	session $port 4 > g1
	atf_check_equal 2 "$(to_server $A)"
	atf_check_equal 2 "$(to_server $B)"
	atf_check_equal 0 "$(to_server $C)"

	"$FIXTURE" stop "$PWD/dv1" || atf_fail "stop dv1"
	wait_log "upstream mail: server 127.0.0.1 port $A is down: 2 checks failed in a row \(fall 2\)"
	session $port 4 > g2
	atf_check -o match:"^4\$" grep -c '^\* OK ' g2
	atf_check_equal 2 "$(to_server $A)"
	atf_check_equal 6 "$(to_server $B)"

	"$FIXTURE" stop "$PWD/dv2" || atf_fail "stop dv2"
	wait_log "upstream mail: server 127.0.0.1 port $B is down"
	session $port 3 > g3
	atf_check -o match:"^3\$" grep -c '^\* OK ' g3
	atf_check_equal 3 "$(to_server $C)"

	atf_check -o ignore -e ignore "$FIXTURE" restart "$PWD/dv1"
	wait_log "upstream mail: server 127.0.0.1 port $A is up: 2 checks passed in a row \(rise 2\)"
	session $port 2 > g4
	atf_check -o match:"^2\$" grep -c '^\* OK ' g4
	atf_check_equal 4 "$(to_server $A)"
	atf_check_equal 3 "$(to_server $C)"
	atf_check -o match:"^mail +127.0.0.1:$B +down " \
	    "$POSTERNCTL" -s "$PWD/ctl/sock" status
}
failover_cleanup()
{
	common_cleanup
}

atf_test_case connect_failover cleanup
connect_failover_head()
{
	common_head
	atf_set descr "a server that went down since its last check:" \
	    "the master's connect fails and the session goes to the next" \
	    "server, no client error; with no server to connect to, the" \
	    "client is refused in words"
}
connect_failover_body()
{
	dovecot_up dv1 A
	dovecot_up dv2 B
	port=$(free_port)
	# The first check passes at start; the next is an hour away.
	posternd_up "upstream mail server 127.0.0.1 port $A
upstream mail server 127.0.0.1 port $B
upstream mail check every 1h rise 1 fall 1
listen on 127.0.0.1 port $port imap name front upstream mail"
	"$FIXTURE" stop "$PWD/dv1" || atf_fail "stop dv1"
	session $port 4 > g1
	atf_check -o match:"^4\$" grep -c '^\* OK ' g1
	atf_check_equal 0 "$(to_server $A)"
	atf_check_equal 4 "$(to_server $B)"
	wait_log "front: client 127.0.0.1 port [0-9]+: upstream mail: connect to server 127.0.0.1 port $A: Connection refused; trying the next server" 2
	atf_check -s exit:1 grep -q "is down" log

	"$FIXTURE" stop "$PWD/dv2" || atf_fail "stop dv2"
	session $port > g2
	atf_check -o inline:"* BYE [UNAVAILABLE] No server available, try again later\n" \
	    cat g2
	wait_log "front: client 127.0.0.1 port [0-9]+ refused: upstream mail: no server of it could be connected"
}
connect_failover_cleanup()
{
	common_cleanup
}

# checks PORT: how many checks status -j shows for the server on PORT.
checks()
{
	"$POSTERNCTL" -s "$PWD/ctl/sock" status -j | $PYTHON -c "
import json, sys
for s in json.load(sys.stdin)['upstreams']:
    if s['port'] == $1:
        print(s['checks'])"
}

# checks_at_least PORT N: the server on PORT has had N checks.
checks_at_least()
{
	[ "$(checks $1)" -ge $2 ]
}

atf_test_case reload cleanup
reload_head()
{
	common_head
	atf_set descr "a reload keeps each server's state and counters:" \
	    "a server down stays down, with no second log line, and new" \
	    "weights take effect"
}
reload_body()
{
	dovecot_up dv1 A
	dovecot_up dv2 B
	port=$(free_port)
	posternd_up "upstream mail server 127.0.0.1 port $A
upstream mail server 127.0.0.1 port $B
upstream mail check every 1 timeout 2 rise 1 fall 1
listen on 127.0.0.1 port $port imap name front upstream mail"
	"$FIXTURE" stop "$PWD/dv1" || atf_fail "stop dv1"
	wait_log "server 127.0.0.1 port $A is down"
	sed -i "s/port $B\$/port $B weight 5/" postern.conf
	n=$(checks $A)
	kill -HUP "$(cat pid)"
	wait_log "postern.conf: reloaded"
	wait_until 20 checks_at_least $A $((n + 2)) ||
	    atf_fail "no two checks of $A after the reload"
	atf_check_equal 1 "$(grep -c "server 127.0.0.1 port $A is down" log)"
	atf_check -o match:"^mail +127.0.0.1:$A +down +1 " \
	    -o match:"^mail +127.0.0.1:$B +up +5 " \
	    "$POSTERNCTL" -s "$PWD/ctl/sock" status
	session $port 2 > g1
	atf_check -o match:"^2\$" grep -c '^\* OK ' g1
	atf_check_equal 2 "$(to_server $B)"
}
reload_cleanup()
{
	common_cleanup
}

atf_test_case unavailable cleanup
unavailable_head()
{
	common_head
	atf_set descr "every server down: IMAP clients get * BYE" \
	    "[UNAVAILABLE], POP3 clients -ERR [SYS/TEMP], and a log line;" \
	    "the POP3 check asks CAPA"
}
unavailable_body()
{
	dovecot_up dv1 A
	iport=$(free_port)
	pport=$(free_port)
	posternd_up "upstream imap server 127.0.0.1 port $A
upstream imap check every 1 timeout 2 rise 1 fall 1
upstream pop server 127.0.0.1 port $A_POP3
upstream pop check every 1 timeout 2 capability rise 1 fall 1
listen on 127.0.0.1 port $iport imap name front upstream imap
listen on 127.0.0.1 port $pport pop3 name pop upstream pop"
	session $iport > g1
	session $pport >> g1
	atf_check -o match:"^\* OK " -o match:"^\+OK " cat g1
	wait_until 10 sh -c "'$POSTERNCTL' -s '$PWD/ctl/sock' status -j |
	    grep -q '\"capability\":\"[^\"]*USER'" ||
	    atf_fail "no CAPA kept by the POP3 check"

	"$FIXTURE" stop "$PWD/dv1" || atf_fail "stop dv1"
	wait_log "upstream imap: server 127.0.0.1 port $A is down"
	wait_log "upstream pop: server 127.0.0.1 port $A_POP3 is down"
	session $iport > g2
	session $pport >> g2
	atf_check -o inline:"* BYE [UNAVAILABLE] No server available, try again later
-ERR [SYS/TEMP] No server available, try again later\n" cat g2
	wait_log "front: client 127.0.0.1 port [0-9]+ refused: no server of upstream imap is up"
	wait_log "pop: client 127.0.0.1 port [0-9]+ refused: no server of upstream pop is up"
}
unavailable_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case spread
	atf_add_test_case failover
	atf_add_test_case connect_failover
	atf_add_test_case reload
	atf_add_test_case unavailable
}
