#! /usr/bin/env atf-sh
# Workers forked from a pool's template (pool template-forks, the
# default), with the Dovecot fixture: they are posternd's children and
# serve sessions with verdicts from policyd and audit logs of their own;
# the template killed with SIGKILL under a live session leaves its
# workers and the session alone and is replaced; after template-forks
# forks a new template, with its own address layout, takes over; two
# workers of one template answer TLS handshakes with different
# randoms; a reload starts new templates; template-forks 0 execs every
# worker as before.  Every wait
# is for an event (a log line, a file, a process), bounded.

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
DRIVE=@TOPDIR@/regress/master/restartdrive.py
TDRIVE=@TOPDIR@/regress/master/templatedrive.py

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON openssl"
	atf_set timeout 180
}

common_cleanup()
{
	[ -f pid ] && kill -9 "$(cat pid)" 2>/dev/null
	[ -f hold.pid ] && kill "$(cat hold.pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

# setup LISTEN-LINE POOL-LINE READY [extra postern.conf lines]: Dovecot,
# posternd with the lines, READY workers ready.
setup()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	mkdir -p empty
	chmod 755 empty
	PORT=$(free_port)
	cat > postern.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
$2
timeout start 10 drain 2
$4
$(echo "$1" | sed "s/@PORT@/$PORT/; s/@IMAP@/$IMAP_PORT/")
EOF
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready" "$3"
}

PLAIN="listen on 127.0.0.1 port @PORT@ imap name t1 upstream 127.0.0.1 port @IMAP@"

store()
{
	mkdir -p store
	chmod 700 store
	cat > rules <<EOF
imap request SELECT reject "No access" if arg 1 ~ "Private*"
imap request * accept
imap response * all * accept
imap capability * accept
EOF
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
}

certs()
{
	openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key \
	    -out rsa.crt -days 2 -subj /CN=rsa.test >/dev/null 2>&1 ||
	    atf_fail "openssl req"
	chmod 600 rsa.key
}

hold()
{
	mkdir -p hold
	$PYTHON "$DRIVE" hold $PORT $1 $2 "$PWD/hold" > hold.out 2>&1 &
	echo $! > hold.pid
	wait_until 20 test -f hold/up || { cat hold.out; atf_fail "no hold"; }
}

hold_end()
{
	touch hold/go
	wait "$(cat hold.pid)"
	atf_check -o inline:"hold ok\n" cat hold.out
}

# forked: "SLOT PID TEMPLATE" of every worker a template forked.
forked()
{
	sed -nE 's/^posternd: [^:]+: worker slot ([0-9]+) pid ([0-9]+) forked by template pid ([0-9]+)$/\1 \2 \3/p' log
}

no_sigsys()
{
	if grep -E "SIGSYS|security:" log; then
		atf_fail "a process was killed by its filter"
	fi
}

# disconnects N: N session ends are in the audit logs.
disconnects()
{
	[ "$(cat audit/worker-*.log | grep -c '"event":"disconnect"')" -ge "$1" ]
}

atf_test_case serve cleanup
serve_head()
{
	common_head
	atf_set descr "workers forked by the template are posternd's" \
	    "children; they serve sessions with verdicts from policyd, and" \
	    "each writes its own audit log, which policyctl verifies"
}
serve_body()
{
	store
	mkdir -p audit
	chmod 750 audit
	setup "$PLAIN" "pool min-idle 3 max 20" 3 \
	    "policy store \"$PWD/store\"
audit dir \"$PWD/audit\""
	wait_log "template pid [0-9]+ ready"
	wait_log "policy enforced" 3
	forked > forked.txt
	[ "$(wc -l < forked.txt)" -ge 3 ] || atf_fail "fewer than 3 forked"
	# posternd reaps them: they are its children, not the template's.
	while read -r slot wpid tpid; do
		[ "$(ps -o ppid= -p "$wpid" | tr -d ' ')" = "$(cat pid)" ] ||
		    atf_fail "worker $wpid is not posternd's child"
	done < forked.txt
	hold plain policy
	atf_check -o inline:"sessions ok 10\n" \
	    $PYTHON "$DRIVE" sessions $PORT plain 10
	hold_end
	wait_until 20 disconnects 11 ||
	    atf_fail "not every session's end is in the audit logs"
	[ "$(ls audit/worker-*.log | wc -l)" -ge 2 ] ||
	    atf_fail "the sessions' records are not in several workers' logs"
	atf_check -s exit:0 -o match:"good" \
	    "$POLICYCTL" audit verify audit/worker-*.log
	no_sigsys
}
serve_cleanup()
{
	common_cleanup
}

atf_test_case template_killed cleanup
template_killed_head()
{
	common_head
	atf_set descr "the template killed with SIGKILL while a session is" \
	    "open: the session goes on, no worker dies, a new template" \
	    "forks the workers new sessions need"
}
template_killed_body()
{
	# One session per worker: every session after the kill needs a
	# worker the new template forks.
	setup "$PLAIN" "pool min-idle 2 max 20 sessions 1" 2
	t=$(sed -nE 's/.*template pid ([0-9]+) ready$/\1/p' log | head -1)
	[ -n "$t" ] || atf_fail "no template"
	hold plain nopolicy
	kill -9 "$t"
	wait_log "template pid $t killed by signal 9 while forking; the pool's [0-9]+ workers stay"
	hold_end
	atf_check -o inline:"sessions ok 5\n" \
	    $PYTHON "$DRIVE" sessions $PORT plain 5
	forked | awk -v t="$t" '$3 != t { n++ } END { exit n < 5 }' ||
	    atf_fail "the new sessions' workers were not forked by a new template"
	if grep -E "worker slot [0-9]+ pid [0-9]+ (killed|exited with [1-9])" log; then
		atf_fail "a worker died"
	fi
	no_sigsys
}
template_killed_cleanup()
{
	common_cleanup
}

atf_test_case rotation cleanup
rotation_head()
{
	common_head
	atf_set descr "template-forks 2: each template forks two workers" \
	    "and is replaced by one exec'd afresh; workers of one template" \
	    "share its address layout, those of two templates do not"
}
rotation_body()
{
	setup "$PLAIN" "pool min-idle 6 max 20 template-forks 2" 6
	wait_log "template pid [0-9]+ forked 2 workers, replaced" 3
	forked > forked.txt
	awk '{ n[$3]++ } END { for (t in n) if (n[t] > 2) exit 1 }' \
	    forked.txt || atf_fail "a template forked more than 2"
	[ "$(awk '{ print $3 }' forked.txt | sort -u | wc -l)" -ge 3 ] ||
	    atf_fail "fewer than 3 templates"
	atf_check -o inline:"sessions ok 6\n" \
	    $PYTHON "$DRIVE" sessions $PORT plain 6
	# Where libc is mapped, by template.
	while read -r slot wpid tpid; do
		base=$(grep -m1 'libc\.so' "/proc/$wpid/maps" | cut -d- -f1)
		[ -n "$base" ] && echo "$tpid $base"
	done < forked.txt | sort -u > layouts.txt
	cat layouts.txt
	[ "$(wc -l < layouts.txt)" -ge 3 ] || atf_fail "fewer than 3 layouts read"
	awk '{ n[$1]++ } END { for (t in n) if (n[t] != 1) exit 1 }' \
	    layouts.txt || atf_fail "workers of one template differ in layout"
	if [ "$(cat /proc/sys/kernel/randomize_va_space)" != 0 ]; then
		[ "$(awk '{ print $2 }' layouts.txt | sort -u | wc -l)" = \
		    "$(wc -l < layouts.txt)" ] ||
		    atf_fail "two templates share an address layout"
	fi
	no_sigsys
}
rotation_cleanup()
{
	common_cleanup
}

atf_test_case randomness cleanup
randomness_head()
{
	common_head
	atf_set descr "three workers forked by one template, each in a TLS" \
	    "handshake at once: their ServerHello randoms differ (OpenSSL" \
	    "reseeds its generators in a forked process)"
}
randomness_body()
{
	certs
	setup "listen on 127.0.0.1 port @PORT@ imap name tls1 tls implicit certificate \"$PWD/rsa.crt\" key \"$PWD/rsa.key\" upstream 127.0.0.1 port @IMAP@" \
	    "pool min-idle 3 max 20" 3
	$PYTHON "$TDRIVE" randoms $PORT 3 > randoms.txt 2>&1 ||
	    { cat randoms.txt; atf_fail "handshakes failed"; }
	cat randoms.txt
	[ "$(grep -cE '^[0-9a-f]{64}$' randoms.txt)" = 3 ] ||
	    atf_fail "not 3 randoms"
	[ "$(sort -u randoms.txt | wc -l)" = 3 ] ||
	    atf_fail "two workers sent the same random"
	# Three workers served them, all forked by the same template.
	wait_log "tls1: session [0-9]+ from .* to worker slot [0-9]+ pid [0-9]+$" 3
	grep -E "tls1: session [0-9]+ from .* to worker slot [0-9]+ pid [0-9]+$" log |
	    awk '{ print $NF }' | sort -u > served.txt
	[ "$(wc -l < served.txt)" = 3 ] || atf_fail "not 3 workers"
	forked | awk 'NR == FNR { s[$1] = 1; next } s[$2] { print $3 }' \
	    served.txt - | sort -u > templates.txt
	[ "$(wc -l < templates.txt)" = 1 ] ||
	    atf_fail "the workers came from $(wc -l < templates.txt) templates"
	no_sigsys
}
randomness_cleanup()
{
	common_cleanup
}

atf_test_case reload cleanup
reload_head()
{
	common_head
	atf_set descr "SIGHUP: the new configuration's pool starts a new" \
	    "template whose workers serve the next sessions; the old" \
	    "template exits, and a session open on an old worker goes on"
}
reload_body()
{
	setup "$PLAIN" "pool min-idle 2 max 20" 2
	t=$(sed -nE 's/.*template pid ([0-9]+) ready$/\1/p' log | head -1)
	[ -n "$t" ] || atf_fail "no template"
	hold plain nopolicy
	kill -HUP "$(cat pid)"
	wait_log "reloaded"
	wait_log "template pid $t exited$"
	wait_log "template pid [0-9]+ ready$" 2
	hold_end
	atf_check -o inline:"sessions ok 3\n" \
	    $PYTHON "$DRIVE" sessions $PORT plain 3
	# The last three sessions went to workers of the new template.
	forked | awk -v t="$t" '$3 != t { print $2 }' > new.pids
	grep -E "t1: session [0-9]+ from .* to worker slot [0-9]+ pid [0-9]+$" log |
	    tail -n 3 | awk 'NR == FNR { n[$1] = 1; next }
	    !n[$NF] { bad = 1 } END { exit bad }' new.pids - ||
	    atf_fail "a session after the reload went to an old worker"
	no_sigsys
}
reload_cleanup()
{
	common_cleanup
}

atf_test_case exec_each cleanup
exec_each_head()
{
	common_head
	atf_set descr "template-forks 0: no template, every worker exec'd"
}
exec_each_body()
{
	setup "$PLAIN" "pool min-idle 2 max 20 template-forks 0" 2
	atf_check -o inline:"sessions ok 3\n" \
	    $PYTHON "$DRIVE" sessions $PORT plain 3
	if grep -E "template" log; then
		atf_fail "a template with template-forks 0"
	fi
}
exec_each_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case serve
	atf_add_test_case template_killed
	atf_add_test_case rotation
	atf_add_test_case randomness
	atf_add_test_case reload
	atf_add_test_case exec_each
}
