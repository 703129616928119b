#! /usr/bin/env atf-sh
# The client's identity in the policy (issue 20): the fields of its ID
# command (RFC 2971) and its TLS fingerprint (JA4) as rule conditions,
# in the audit log and in policyctl test.  posternd with a policy store
# in front of the Dovecot fixture, with a plain, an implicit TLS and a
# STARTTLS listener (and POP3 with STLS); the clients are idtalk.py
# (raw IMAP and POP3, Python's ssl with TLS 1.3 or TLS 1.2 at most).

. @OBJDIR@/regress/master/daemon_lib
WORKER=@OBJDIR@/bin/postern-worker
POLICYCTL=@OBJDIR@/bin/policyctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot
TALK=@TOPDIR@/regress/worker/idtalk.py
DIRECT='DIRECT LOGIN testuser testpass'
LOGIN='l LOGIN testuser testpass'
TB='i ID ("name" "Thunderbird" "version" "115.3.1" "os" NIL)'

common_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON openssl mdb_load"
	atf_set timeout 180
}

common_cleanup()
{
	[ -f posternd.pid ] && kill -9 "$(cat posternd.pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
	return 0
}

no_deaths()
{
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a child died"
	fi
}

# setup: Dovecot (with its rawlog, for the oracle), ./rules in the
# store, posternd with listeners plain, imaps (implicit TLS), st
# (STARTTLS) and pop (POP3, STLS), all to Dovecot's plain ports.
setup()
{
	DOVECOT_RAWLOG=1 atf_check -o ignore -e ignore "$FIXTURE" start \
	    "$PWD/dv"
	. "$PWD/dv/ports"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ec.key -out ec.crt -days 2 -subj /CN=ec.test \
	    -addext subjectAltName=DNS:ec.test >/dev/null 2>&1 ||
	    atf_fail "openssl req ec"
	chmod 600 ec.key
	mkdir -p empty store audit
	chmod 755 empty
	chmod 700 store audit
	atf_check -o ignore -e ignore "$POLICYCTL" -s "$PWD/store" load rules
	PLAIN=$(free_port)
	IMAPS=$(free_port)
	ST=$(free_port)
	POP=$(free_port)
	cert="certificate \"$PWD/ec.crt\" key \"$PWD/ec.key\""
	cat > postern.conf <<EOF2
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/store"
audit dir "$PWD/audit"
pool min-idle 2 max 40 sessions 100
timeout start 10 drain 2
listen on 127.0.0.1 port $PLAIN imap name plain \
	upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $IMAPS imap name imaps tls implicit $cert \
	upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $ST imap name st tls starttls $cert \
	upstream 127.0.0.1 port $IMAP_PORT
listen on 127.0.0.1 port $POP pop3 name pop tls starttls $cert \
	upstream 127.0.0.1 port $POP3_PORT
EOF2
	"$POSTERND" -d -v -f postern.conf > log 2>&1 &
	echo $! > posternd.pid
	wait_file log "worker slot [0-9]+ pid [0-9]+ ready" 2
	wait_file log "policy enforced" 2
}

# audit_records EVENT: that event's records of every session, one JSON
# object a line, in ./records.
audit_records()
{
	$PYTHON - "$1" audit/*.log > records <<'EOF2'
import json, sys
for p in sys.argv[2:]:
    for l in open(p):
        r = json.loads(l)
        if r.get("event") == sys.argv[1]:
            print(json.dumps(r, sort_keys=True))
EOF2
}

# wait_audit EVENT N ERE: up to 10 s for N records of EVENT matching ERE
# (the records are written when a worker waits, so after the client).
has_audit()
{
	audit_records "$1"
	[ "$(grep -Ec -- "$3" records)" -ge "$2" ]
}

wait_audit()
{
	wait_until 10 has_audit "$@" && return 0
	cat records >&2
	atf_fail "not $2 $1 records matching '$3' in the audit log"
}

# caps OUT: the words of the untagged CAPABILITY lines in OUT, one a
# line, into ./caps, which must have IMAP4rev1.
caps()
{
	grep '^\* CAPABILITY ' "$1" | tr ' ' '\n' | sort -u > caps
	grep -qx IMAP4rev1 caps || atf_fail "no CAPABILITY in $1"
}

# has_idle OUT, no_idle OUT: IDLE is, or is not, among them.
has_idle()
{
	caps "$1"
	atf_check -o match:'^IDLE$' cat caps
}

no_idle()
{
	caps "$1"
	atf_check -s exit:1 -o ignore grep -x IDLE caps
}

atf_test_case capability_by_id cleanup
capability_by_id_head()
{
	common_head
	atf_set descr "id name hides IDLE from one client app, before and" \
	    "after login, as soon as its ID comes, until another ID;" \
	    "other clients keep it; the audit log has the ID's fields"
}
capability_by_id_body()
{
	cat > rules <<'EOF2'
imap capability IDLE drop if id name "Thunderbird*"
imap capability *     accept
imap request *        accept
imap response * all * accept
EOF2
	setup
	# Before its ID a client sees IDLE; after it, it does not (the
	# cached verdict of before is not reused), nor after the login;
	# ID NIL gives it back.
	$PYTHON "$TALK" $PLAIN plain 'a CAPABILITY' "$TB" 'b CAPABILITY' \
	    "$LOGIN" 'c CAPABILITY' 'd ID NIL' 'e CAPABILITY' > out
	atf_check -o match:'^\* ID \(' -o match:'^i OK' grep . out
	sed -n '/^a OK/q;p' out > before
	sed -n '/^i OK/,/^b OK/p' out > after
	sed -n '/^l OK/,/^c OK/p' out > loggedin
	sed -n '/^d OK/,/^e OK/p' out > nil
	has_idle before
	no_idle after
	no_idle loggedin
	# the login's [CAPABILITY ...] code is filtered the same way
	atf_check -s exit:1 -o ignore grep '^l OK .*IDLE' out
	has_idle nil
	# ID after the login, and a value sent as a literal
	$PYTHON "$TALK" $PLAIN plain "$LOGIN" \
	    'i ID ("name" {11}|Thunderbird)' 'b CAPABILITY' > out
	sed -n '/^i OK/,$p' out > after
	atf_check -o match:'^i OK' cat after
	no_idle after
	# Another client app, and one without an ID, keep IDLE.
	$PYTHON "$TALK" $PLAIN plain 'i ID ("name" "K-9 Mail")' \
	    'b CAPABILITY' "$LOGIN" 'c CAPABILITY' > out
	sed -n '/^i OK/,/^b OK/p' out > k9
	has_idle k9
	sed -n '/^l OK/,/^c OK/p' out > k9
	has_idle k9
	$PYTHON "$TALK" $PLAIN plain "$LOGIN" 'c CAPABILITY' > out
	has_idle out

	# The audit log: one "id" record per ID, with its fields.
	wait_audit id 1 '"id": "\(\\"name\\" \\"Thunderbird\\" \\"version\\" \\"115.3.1\\"\)"'
	atf_check -o match:'"fields": 3' -o match:'"kept": 2' \
	    grep '115.3.1' records
	wait_audit id 1 '"id": "NIL"'
	wait_audit id 1 '"id": "\(\\"name\\" \\"K-9 Mail\\"\)"'
	# the literal's value, read from what postern held
	wait_audit id 1 '"id": "\(\\"name\\" \\"Thunderbird\\"\)"'
	# the capability verdict that hid IDLE names the rule
	wait_audit verdict 1 '"action": "drop".*"key": "IDLE".*"rule": "rules:1"'
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
capability_by_id_cleanup()
{
	common_cleanup
}

atf_test_case request_by_id cleanup
request_by_id_head()
{
	common_head
	atf_set descr "a request rule refuses a named client app; ID is" \
	    "answered by postern or forwarded, by the rules"
}
request_by_id_body()
{
	cat > rules <<'EOF2'
imap request LOGIN reject "[CLIENTBUG] Update your mail app" if id name "BadApp*" and id version "1.*"
imap request ID respond "OK ID completed" untagged "ID (\"name\" \"postern\")" if id vendor "Quiet*"
imap request *        accept
imap response * all * accept
imap capability *     accept
EOF2
	setup
	atf_check -o match:'^l NO \[CLIENTBUG\] Update your mail app$' \
	    -o not-match:'^l OK' \
	    $PYTHON "$TALK" $PLAIN plain \
	    'i ID ("name" "BadApp" "version" "1.4")' "$LOGIN"
	# field names are compared without regard to case
	atf_check -o match:'^l NO \[CLIENTBUG\]' \
	    $PYTHON "$TALK" $PLAIN plain \
	    'i ID ("NAME" "BadApp Pro" "Version" "1.0")' "$LOGIN"
	atf_check -o match:'^l OK' \
	    $PYTHON "$TALK" $PLAIN plain \
	    'i ID ("name" "BadApp" "version" "2.0")' "$LOGIN"
	atf_check -o match:'^l OK' $PYTHON "$TALK" $PLAIN plain "$LOGIN"
	# Answered by postern, its own ID verdict asked with its fields:
	# Dovecot never sees it (the oracle below).
	atf_check -o match:'^\* ID \("name" "postern"\)$' \
	    -o match:'^i OK ID completed$' \
	    $PYTHON "$TALK" $PLAIN plain 'i ID ("vendor" "Quiet Inc")'
	# Otherwise forwarded: Dovecot's own answer, before and after login.
	atf_check -o match:'^\* ID \(.*"name" "Dovecot' -o match:'^i OK' \
	    -o match:'^j OK' -o match:'^\* ID \(.*"name" "Dovecot' \
	    $PYTHON "$TALK" $PLAIN plain 'i ID ("vendor" "Loud")' "$LOGIN" \
	    'j ID NIL'
	wait_audit verdict 2 '"action": "reject".*"key": "LOGIN"'
	wait_audit verdict 1 '"action": "respond".*"key": "ID"'
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
request_by_id_cleanup()
{
	common_cleanup
}

atf_test_case ja4 cleanup
ja4_head()
{
	common_head
	atf_set descr "ja4 rules tell TLS 1.2 and TLS 1.3 clients apart," \
	    "over implicit TLS and STARTTLS; the audit's TLS records carry" \
	    "the fingerprint, and policyctl test decides as the worker did"
}
ja4_body()
{
	cat > rules <<'EOF2'
imap request LOGIN reject "No TLS 1.2 clients" if ja4 "t12*"
imap capability IDLE drop if ja4 "t13d*"
imap capability *     accept
imap request *        accept
imap response * all * accept
EOF2
	setup
	# Implicit TLS: TLS 1.2 at most is refused its login, TLS 1.3 not.
	atf_check -o match:'^l NO No TLS 1.2 clients$' \
	    $PYTHON "$TALK" $IMAPS tls,12 "$LOGIN"
	atf_check -o match:'^l OK' $PYTHON "$TALK" $IMAPS tls "$LOGIN"
	# SNI makes a "d": IDLE hidden for that fingerprint only.
	$PYTHON "$TALK" $IMAPS tls,sni=ec.test 'c CAPABILITY' > out
	no_idle out
	$PYTHON "$TALK" $IMAPS tls 'c CAPABILITY' > out
	has_idle out
	# STARTTLS: the fingerprint of the handshake after it.
	atf_check -o match:'^l NO No TLS 1.2 clients$' \
	    $PYTHON "$TALK" $ST starttls,12,alpn=imap "$LOGIN"
	atf_check -o match:'^l OK' $PYTHON "$TALK" $ST starttls "$LOGIN"

	# The TLS records: version and the fingerprint it begins with.
	wait_audit tls 1 '"ja4": "t12i[0-9]{4}00_[0-9a-f]{12}_[0-9a-f]{12}".*"listener": "imaps"'
	wait_audit tls 2 '"ja4": "t13i[0-9]{4}00_[0-9a-f]{12}_[0-9a-f]{12}".*"listener": "imaps"'
	wait_audit tls 1 '"ja4": "t13d[0-9]{4}00_[0-9a-f]{12}_[0-9a-f]{12}".*"listener": "imaps"'
	wait_audit tls 1 '"ja4": "t12i[0-9]{4}ip_.*"listener": "st"'
	# The same client gets the same fingerprint; TLS 1.2 and 1.3 differ.
	$PYTHON - records <<'EOF2' > fps || atf_fail "fingerprints"
import json, sys
fp = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["listener"] == "imaps":
        fp.setdefault(r["ja4"][:4], set()).add(r["ja4"])
assert len(fp["t12i"]) == 1, fp
assert len(fp["t13i"]) == 1, fp
assert fp["t12i"] != fp["t13i"], fp
print(list(fp["t12i"])[0])
print(list(fp["t13i"])[0])
EOF2
	# policyctl test decides the same for the fingerprints seen.
	atf_check -o match:'reject "No TLS 1.2 clients" by rules:1:1' \
	    "$POLICYCTL" -s "$PWD/store" test -j "$(sed -n 1p fps)" \
	    request LOGIN a b
	atf_check -o match:'accept by rules:4:1' \
	    "$POLICYCTL" -s "$PWD/store" test -j "$(sed -n 2p fps)" \
	    request LOGIN a b
	no_deaths
	oracle_check "$PWD/dv" "$PWD/audit"
}
ja4_cleanup()
{
	common_cleanup
}

atf_test_case ja4_pop3 cleanup
ja4_pop3_head()
{
	common_head
	atf_set descr "ja4 rules over POP3's STLS: TOP hidden from CAPA" \
	    "for a TLS 1.2 client only"
}
ja4_pop3_body()
{
	cat > rules <<'EOF2'
imap request *        accept
pop3 capability TOP drop if ja4 "t12*"
pop3 capability *     accept
pop3 request *        accept
pop3 response * *     accept
EOF2
	setup
	atf_check -o not-match:'^TOP' -o match:'^USER' \
	    $PYTHON "$TALK" $POP starttls,12,pop3 CAPA QUIT
	atf_check -o match:'^TOP' \
	    $PYTHON "$TALK" $POP starttls,pop3 CAPA QUIT
	wait_audit tls 1 '"ja4": "t12i.*"listener": "pop"'
	wait_audit tls 1 '"ja4": "t13i.*"listener": "pop"'
	wait_audit verdict 1 '"action": "drop".*"key": "TOP"'
	no_deaths
}
ja4_pop3_cleanup()
{
	common_cleanup
}

atf_test_case policyctl_identity cleanup
policyctl_identity_head()
{
	common_head
	atf_set descr "policyctl test with -i and -j on the store the" \
	    "daemons use: the verdicts the sessions got"
}
policyctl_identity_body()
{
	cat > rules <<'EOF2'
imap capability IDLE drop if id name "Thunderbird*" or ja4 "t12*"
imap capability *     accept
imap request *        accept
imap response * all * accept
EOF2
	setup
	atf_check -o match:'^generation 1: drop by rules:1:1, cacheable$' \
	    "$POLICYCTL" -s "$PWD/store" test -i name=Thunderbird \
	    capability IDLE
	atf_check -o match:'^generation 1: drop by rules:1:1' \
	    "$POLICYCTL" -s "$PWD/store" test -i name=Other \
	    -j t12i1209h1_aaaaaaaaaaaa_bbbbbbbbbbbb capability IDLE
	atf_check -o match:'^generation 1: accept by rules:2:1' \
	    "$POLICYCTL" -s "$PWD/store" test -i name=Other \
	    -j t13i1209h1_aaaaaaaaaaaa_bbbbbbbbbbbb capability IDLE
	# ... as the sessions got them
	$PYTHON "$TALK" $PLAIN plain "$TB" 'b CAPABILITY' > out
	no_idle out
	$PYTHON "$TALK" $IMAPS tls,12 'b CAPABILITY' > out
	no_idle out
	$PYTHON "$TALK" $IMAPS tls 'i ID ("name" "Other")' 'b CAPABILITY' \
	    > out
	has_idle out
	no_deaths
}
policyctl_identity_cleanup()
{
	common_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case capability_by_id
	atf_add_test_case request_by_id
	atf_add_test_case ja4
	atf_add_test_case ja4_pop3
	atf_add_test_case policyctl_identity
}
