#! /usr/bin/env atf-sh
# Signed rule bundles between two nodes (two postern.conf, two stores):
# keygen, export on node A, import on node B; both then answer
# policyctl test alike and show the same sha256; every tampered,
# untrusted, cut, unsigned or replayed bundle is refused with B's history
# unchanged; a running posternd on B takes the imported generation, and
# posternctl status and the metrics show it.

. @OBJDIR@/regress/master/daemon_lib
P=@OBJDIR@/bin/policyctl
WORKER=@OBJDIR@/bin/postern-worker
POSTERNCTL=@OBJDIR@/bin/posternctl
FIXTURE=@OBJDIR@/regress/fixture/dovecot

# nodes [LINES]: the key pair, node A's store with rules v1 loaded and
# exported as a1.bundle, and node B's postern.conf (trusting the key,
# LINES added) and empty store.
nodes()
{
	atf_check -o match:'^key [0-9a-f]{16}: secret sign.key, public sign.pub$' \
	    "$P" keygen -k sign.key -p sign.pub
	KEYID=$(cut -d' ' -f2 sign.pub)
	mkdir -p a b empty
	chmod 700 a b
	chmod 755 empty
	cat > v1.rules <<'EOF'
imap request DELETE reject "Not here"
imap request * accept
imap response * all * accept
imap capability * accept
EOF
	cat > v2.rules <<'EOF'
imap request DELETE reject "Not here either"
imap request RENAME reject "No renaming"
imap request * accept
imap response * all * accept
imap capability * accept
EOF
	cat > a.conf <<EOF
user nobody
policy store "$PWD/a"
listen on 127.0.0.1 port 1 imap upstream 127.0.0.1 port 1
EOF
	cat > b.conf <<EOF
user nobody
chroot "$PWD/empty"
worker "$WORKER"
policy store "$PWD/b"
policy trust "$PWD/sign.pub"
$1
EOF
	atf_check -o match:'^generation 1 .* load ' "$P" -c a.conf load v1.rules
	atf_check -o save:a1.bundle "$P" -c a.conf export -k sign.key -o node-a
}

# same_answers: policyctl test on A and B, generation number aside.
same_answers()
{
	for q in "request DELETE x" "request RENAME a b" "request SELECT INBOX"; do
		"$P" -c a.conf test -S authenticated $q |
		    sed 's/^generation [0-9]*: //' > a.ans
		"$P" -c b.conf test -S authenticated $q |
		    sed 's/^generation [0-9]*: //' > b.ans
		atf_check -o file:a.ans cat b.ans
	done
}

# sha NODE: the sha256 policyctl show gives of NODE's current generation.
sha()
{
	"$P" -c $1.conf show | head -1 | sed 's/.* sha256 //'
}

atf_test_case export_import
export_import_head()
{
	atf_set require.progs "$PYTHON"
	atf_set descr "exported on A, imported on B: same answers, same" \
	    "sha256, the origin in B's history; the same bundle again is a" \
	    "no-op, a newer one a new generation, an older one refused"
}
export_import_body()
{
	nodes "listen on 127.0.0.1 port 1 imap upstream 127.0.0.1 port 1"
	# The format of policyctl(8), BUNDLES.
	atf_check -o inline:"postern-bundle 1\nkey: $KEYID\norigin: node-a\ngeneration: 1\n" \
	    head -4 a1.bundle
	atf_check -o match:'^signature: [A-Za-z0-9+/]{86}==$' tail -1 a1.bundle
	v1sha=$(sha256sum < v1.rules | cut -d' ' -f1)
	atf_check -o inline:"file: v1.rules\nsha256: $v1sha\nlength: $(wc -c < v1.rules)\n\n" \
	    sed -n 6,9p a1.bundle

	atf_check -o inline:"generation 1 imported from node-a generation 1 key $KEYID\n" \
	    "$P" -c b.conf import a1.bundle
	atf_check_equal "$(sha a)" "$v1sha"
	atf_check_equal "$(sha b)" "$v1sha"
	same_answers
	atf_check -o match:"^\\* generation 1 .* import of node-a generation 1 [0-9TZ:-]+ key $KEYID sha256 $v1sha\$" \
	    "$P" -c b.conf history
	"$P" -c b.conf show | tail -n +2 > shown
	atf_check cmp shown v1.rules

	# Again: nothing changes, exit 0.
	"$P" -c b.conf history > before
	atf_check -o inline:"a1.bundle: already imported as generation 1, nothing changed\n" \
	    "$P" -c b.conf import a1.bundle
	atf_check -o file:before "$P" -c b.conf history

	# A newer generation of A, then the older one replayed.
	atf_check -o ignore "$P" -c a.conf load v2.rules
	atf_check -o save:a2.bundle "$P" -c a.conf export -k sign.key -o node-a
	atf_check -o ignore "$P" -c a.conf export -k sign.key -o node-a 1
	atf_check -o inline:"generation 2 imported from node-a generation 2 key $KEYID\n" \
	    "$P" -c b.conf import a2.bundle
	atf_check_equal "$(sha a)" "$(sha b)"
	same_answers
	"$P" -c b.conf history > before
	atf_check -s exit:1 -e match:"a1.bundle: refused as replayed: generation 1 of node-a \\(key $KEYID\\) is not newer than generation 2 imported from there before \\(as generation 2 here\\)" \
	    "$P" -c b.conf import a1.bundle
	atf_check -o file:before "$P" -c b.conf history

	# A rollback on A is a newer generation: B takes it.
	atf_check -o match:'rollback to 1' "$P" -c a.conf rollback
	"$P" -c a.conf export -k sign.key -o node-a > a3.bundle
	atf_check -o match:'^generation 3 imported from node-a generation 3 ' \
	    "$P" -c b.conf import a3.bundle
	atf_check_equal "$(sha b)" "$v1sha"

	# Another origin (-o) counts on its own.
	"$P" -c a.conf export -k sign.key -o node-c 2 > c2.bundle
	atf_check -o match:'^generation 4 imported from node-c generation 2 ' \
	    "$P" -c b.conf import c2.bundle
}

atf_test_case refused
refused_head()
{
	atf_set require.progs "$PYTHON"
	atf_set descr "one byte changed in the header, source or signature," \
	    "cut at several lengths, unsigned, signed with an untrusted key," \
	    "no trust configured: refused, B's history unchanged"
}
refused_body()
{
	nodes "listen on 127.0.0.1 port 1 imap upstream 127.0.0.1 port 1"
	atf_check -o ignore "$P" -c b.conf import a1.bundle
	atf_check -o ignore "$P" -c a.conf load v2.rules
	atf_check -o save:a2.bundle "$P" -c a.conf export -k sign.key -o node-a
	"$P" -c b.conf history > before
	len=$(wc -c < a2.bundle)
	src=$(grep -bn '^imap request DELETE' a2.bundle | head -1 | cut -d: -f2)
	$PYTHON - a2.bundle "$len" "$src" <<'EOF' || atf_fail "making bad bundles"
import sys
b = open(sys.argv[1], "rb").read()
n, src = int(sys.argv[2]), int(sys.argv[3])
sig = b.rindex(b"signature: ")
def put(name, data):
    open(name, "wb").write(data)
def flip(at, to=None):
    x = bytearray(b)
    x[at] = to if to is not None else x[at] ^ 1
    return bytes(x)
put("hdr-gen.bundle", b.replace(b"generation: 2\n", b"generation: 9\n", 1))
put("hdr-origin.bundle", flip(b.index(b"origin: ") + 8))
put("hdr-magic.bundle", flip(3))
put("src.bundle", b.replace(b"Not here either", b"Not here eithe!", 1))
put("src-last.bundle", flip(sig - 1))
put("sig.bundle", flip(sig + 20))
put("sig-hi.bundle", flip(b.index(b"/", sig) if b"/" in b[sig:] else sig + 11, 0xaf))
put("sig-end.bundle", flip(n - 1, ord("\r")))
for cut in (0, 10, 100, src + 5, sig, sig + 40, n - 1):
    put("cut-%d.bundle" % cut, b[:cut])
put("unsigned.bundle", b[:sig])
put("extra.bundle", b + b"\n")
EOF
	for f in hdr-gen hdr-origin hdr-magic src src-last sig sig-hi sig-end \
	    cut-* unsigned extra; do
		f=${f%.bundle}
		atf_check -s exit:1 -e match:"^policyctl: $f.bundle: refused: " \
		    "$P" -c b.conf import $f.bundle
		atf_check -o file:before "$P" -c b.conf history
	done
	atf_check -s exit:1 -e match:"bad signature for key $KEYID" \
	    "$P" -c b.conf import src.bundle
	atf_check -s exit:1 -e match:"is cut short" \
	    "$P" -c b.conf import cut-100.bundle
	atf_check -s exit:1 -e match:"unsigned or cut short" \
	    "$P" -c b.conf import unsigned.bundle

	# Another key: not trusted, even when it is well made.
	atf_check -o ignore "$P" keygen -k other.key -p other.pub
	"$P" -c a.conf export -k other.key -o node-a > other.bundle
	atf_check -s exit:1 -e match:"signed with key [0-9a-f]{16}, which is not trusted" \
	    "$P" -c b.conf import other.bundle
	atf_check -o file:before "$P" -c b.conf history

	# No trust configured (A's file), a configuration that is not there.
	atf_check -s exit:1 -e match:"a.conf: no 'policy trust' line" \
	    "$P" -c a.conf import a2.bundle
	atf_check -s exit:1 -e match:"no trusted keys" \
	    "$P" -c missing.conf -s "$PWD/b" import a2.bundle
	atf_check -o file:before "$P" -c b.conf history
	# The untampered one still goes in.
	atf_check -o match:'^generation 2 imported' "$P" -c b.conf import a2.bundle
}

atf_test_case keys
keys_head()
{
	atf_set require.progs "$PYTHON"
	atf_set descr "keygen never overwrites, export wants a private secret" \
	    "key; posternd -n prints trusted keys back and refuses a key" \
	    "file that is changed, a secret key or the same key twice"
}
keys_body()
{
	nodes "listen on 127.0.0.1 port 1 imap upstream 127.0.0.1 port 1"
	atf_check -o match:'^-rw------- ' ls -l sign.key
	atf_check -o match:'^-rw-r--r-- ' ls -l sign.pub
	cp sign.pub pub.copy
	atf_check -s exit:1 -e match:'sign.key: File exists' \
	    "$P" keygen -k sign.key -p new.pub
	atf_check -s exit:1 -e match:'sign.pub: exists' \
	    "$P" keygen -k new.key -p sign.pub
	atf_check -s exit:1 test -e new.pub -o -e new.key
	atf_check cmp sign.pub pub.copy
	chmod 644 sign.key
	atf_check -s exit:1 -e match:'sign.key: secret key readable by others' \
	    "$P" -c a.conf export -k sign.key
	chmod 600 sign.key

	atf_check -o match:"^policy trust \"$PWD/sign.pub\"	# key $KEYID\$" \
	    "$POSTERND" -nv -f b.conf
	"$POSTERND" -nv -f b.conf > printed
	atf_check -o file:printed "$POSTERND" -nv -f printed
	cp b.conf twice.conf
	echo "policy trust \"$PWD/pub.copy\"" >> twice.conf
	atf_check -s exit:1 -e match:"twice.conf:[0-9]+: trust key $PWD/pub.copy: key $KEYID already trusted on line 5" \
	    "$POSTERND" -n -f twice.conf
	sed 's/public/secret/' sign.pub > wrong.pub
	echo "policy trust \"$PWD/wrong.pub\"" > wrong.conf
	cat a.conf >> wrong.conf
	atf_check -s exit:1 -e match:"wrong.conf:1: trust key $PWD/wrong.pub: expected 'postern-ed25519-public ID KEY'" \
	    "$POSTERND" -n -f wrong.conf
	echo "policy trust \"$PWD/sign.key\"" > sec.conf
	cat a.conf >> sec.conf
	atf_check -s exit:1 -e match:"sec.conf:1: trust key .*: expected 'postern-ed25519-public ID KEY'" \
	    "$POSTERND" -n -f sec.conf
	tr 'A-Za-z' 'B-ZAb-za' < sign.pub > changed.pub
	echo "policy trust \"$PWD/changed.pub\"" > changed.conf
	cat a.conf >> changed.conf
	atf_check -s exit:1 -e match:"changed.conf:1: trust key " \
	    "$POSTERND" -n -f changed.conf
}

atf_test_case openssl
openssl_head()
{
	atf_set require.progs "$PYTHON openssl"
	atf_set descr "OpenSSL's Ed25519 verifies an exported bundle as" \
	    "policyctl(8) describes it; bundles OpenSSL signs with the" \
	    "trusted key: accepted when right, refused when the source does" \
	    "not compile or its sha256 is not the one signed"
}

# craft NAME GEN SOURCE-FILE [SHA256]: NAME.bundle, signed by OpenSSL.
craft()
{
	sum=${4:-$(sha256sum < "$3" | cut -d' ' -f1)}
	printf 'postern-bundle 1\nkey: %s\norigin: crafted\ngeneration: %s\ncreated: 1\nfile: %s\nsha256: %s\nlength: %s\n\n' \
	    "$KEYID" "$2" "$3" "$sum" "$(wc -c < "$3")" > "$1.signed"
	cat "$3" >> "$1.signed"
	openssl pkeyutl -sign -inkey sk.pem -rawin -in "$1.signed" \
	    -out "$1.sig" || atf_fail "openssl pkeyutl -sign"
	{ cat "$1.signed"; printf 'signature: %s\n' \
	    "$(base64 -w0 < "$1.sig")"; } > "$1.bundle"
}

openssl_body()
{
	nodes "listen on 127.0.0.1 port 1 imap upstream 127.0.0.1 port 1"
	# The key files' base64 as DER for OpenSSL (RFC 8410 prefixes).
	$PYTHON - <<'EOF' || atf_fail "key files"
import base64
sk = base64.b64decode(open("sign.key").read().split()[2])
pk = base64.b64decode(open("sign.pub").read().split()[2])
assert len(sk) == 64 and sk[32:] == pk
open("sk.der", "wb").write(bytes.fromhex("302e020100300506032b657004220420") + sk[:32])
open("pk.der", "wb").write(bytes.fromhex("302a300506032b6570032100") + pk)
EOF
	atf_check openssl pkey -inform DER -in sk.der -out sk.pem
	atf_check openssl pkey -pubin -inform DER -in pk.der -out pk.pem
	# The signature covers every byte before the signature line.
	$PYTHON - a1.bundle <<'EOF' || atf_fail "splitting the bundle"
import base64, sys
b = open(sys.argv[1], "rb").read()
i = b.rindex(b"\nsignature: ") + 1
open("signed", "wb").write(b[:i])
open("sig", "wb").write(base64.b64decode(b[i + 11:-1], validate=True))
EOF
	atf_check -o match:"Signature Verified Successfully" \
	    openssl pkeyutl -verify -pubin -inkey pk.pem -rawin -in signed \
	    -sigfile sig

	printf 'imap request * frobnicate\n' > bad.rules
	craft bad 1 bad.rules
	craft badsha 2 v2.rules "$(sha256sum < v1.rules | cut -d' ' -f1)"
	craft good 3 v2.rules
	atf_check -o ignore "$P" -c b.conf import a1.bundle
	"$P" -c b.conf history > before
	atf_check -s exit:1 -e match:"^bad.rules:1:[0-9]+: " \
	    -e match:"bad.bundle: refused: its rules do not compile here" \
	    "$P" -c b.conf import bad.bundle
	atf_check -s exit:1 -e match:"badsha.bundle: refused: the source's sha256 is not the one the bundle names" \
	    "$P" -c b.conf import badsha.bundle
	atf_check -o file:before "$P" -c b.conf history
	atf_check -o match:"^generation 2 imported from crafted generation 3 key $KEYID" \
	    "$P" -c b.conf import good.bundle
	atf_check -o match:" import of crafted generation 3 1970-01-01T00:00:01Z key $KEYID sha256 $(sha256sum < v2.rules | cut -d' ' -f1)\$" \
	    "$P" -c b.conf history
}

atf_test_case running cleanup
running_head()
{
	atf_set require.user root
	atf_set require.progs "$PYTHON curl promtool"
	atf_set timeout 90
	atf_set descr "posternd on B: an import becomes current, posternctl" \
	    "status and the metrics show its generation and sha256" \
	    "(promtool passes), and a client gets the imported rules' answer"
}
running_body()
{
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	PORT=$(free_port)
	MPORT=$(free_port)
	mkdir -p run
	chmod 700 run
	nodes "control socket \"$PWD/run/control.sock\"
metrics listen on 127.0.0.1 port $MPORT
pool min-idle 1 max 4
timeout drain 1
listen on 127.0.0.1 port $PORT imap name t1 upstream 127.0.0.1 port $IMAP_PORT"
	CTL="$POSTERNCTL -s $PWD/run/control.sock"
	atf_check -o ignore "$P" -c b.conf import a1.bundle
	cp b.conf postern.conf
	start
	wait_log "worker slot [0-9]+ pid [0-9]+ ready"
	wait_log "generation 1 is current"
	v1sha=$(sha b)
	atf_check -o match:"^rules +generation 1, sha256 $v1sha, loaded " $CTL status

	atf_check -o ignore "$P" -c a.conf load v2.rules
	"$P" -c a.conf export -k sign.key -o node-a > a2.bundle
	atf_check -o match:'^generation 2 imported' "$P" -c b.conf import a2.bundle
	v2sha=$(sha a)
	atf_check_equal "$(sha b)" "$v2sha"
	wait_log "generation 2 is current"
	atf_check -o match:"^rules +generation 2, sha256 $v2sha, loaded " $CTL status
	$CTL -j status > status.json
	atf_check -o inline:"2 $v2sha\n" $PYTHON -c \
	    'import json; r = json.load(open("status.json"))["rules"]; print(r["generation"], r["sha256"])'
	curl -sf "http://127.0.0.1:$MPORT/metrics" > metrics.txt ||
	    atf_fail "GET /metrics"
	atf_check -o ignore -e ignore promtool check metrics < metrics.txt
	atf_check -o inline:"postern_rules_current{sha256=\"$v2sha\"} 2\n" \
	    grep '^postern_rules_current' metrics.txt

	# A client of B gets the answer of the rules written on A.
	atf_check -o inline:"NO Not here either\nNO No renaming\n" \
	    $PYTHON - "$PORT" <<'EOF'
import imaplib, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.login("u1", "testpass")
for t, d in (c.delete("x"), c.rename("a", "b")):
    print(t, d[0].decode())
c.logout()
EOF
	if grep -E "SIGSYS|killed by signal|exited with|fatal" log; then
		atf_fail "a child died"
	fi
}
running_cleanup()
{
	common_cleanup
	"$FIXTURE" stop "$PWD/dv"
}

atf_init_test_cases()
{
	atf_add_test_case export_import
	atf_add_test_case refused
	atf_add_test_case keys
	atf_add_test_case openssl
	atf_add_test_case running
}
