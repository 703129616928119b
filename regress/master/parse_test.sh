#! /usr/bin/env atf-sh
# posternd -n and -nv on good and broken configuration files: exit codes,
# file:line errors on stderr, and the configuration printed back.

POSTERND=@OBJDIR@/bin/posternd
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
CONFDIR=@TOPDIR@/regress/master/conf

# Run from the directory of the files, so messages name them as given.
confdir()
{
	cd "$CONFDIR" || atf_fail "no $CONFDIR"
}

atf_test_case good_nv
good_nv_head()
{
	atf_set descr "-nv prints every valid file back as its .ok file says"
}
good_nv_body()
{
	confdir
	for f in good minimal pop3-idle good-tls good-proxy good-upstream \
	    good-counters; do
		atf_check -s exit:0 -o file:$f.ok -e empty \
		    "$POSTERND" -nv -f $f.conf
	done
}

atf_test_case good_n_quiet
good_n_quiet_head()
{
	atf_set descr "-n on a valid file prints nothing and exits 0"
}
good_n_quiet_body()
{
	confdir
	atf_check -s exit:0 -o empty -e empty "$POSTERND" -n -f good.conf
	# The sample file is valid, but for its user on a test machine.
	cd @TOPDIR@/etc
	if getent passwd _postern > /dev/null; then
		atf_check -s exit:0 -o empty -e empty \
		    "$POSTERND" -n -f postern.conf
	else
		line=$(grep -n '^user ' postern.conf | cut -d: -f1)
		atf_check -s exit:1 -o empty \
		    -e inline:"posternd: postern.conf:$line: unknown user '_postern'\n" \
		    "$POSTERND" -n -f postern.conf
	fi
}

atf_test_case roundtrip
roundtrip_head()
{
	atf_set descr "what -nv prints parses to the same configuration"
}
roundtrip_body()
{
	confdir
	for f in good minimal pop3-idle good-tls good-proxy good-upstream \
	    good-counters; do
		"$POSTERND" -nv -f $f.conf > "$OLDPWD/$f.1" ||
		    atf_fail "$f.conf"
		atf_check -s exit:0 -o file:"$OLDPWD/$f.1" -e empty \
		    "$POSTERND" -nv -f "$OLDPWD/$f.1"
	done
}

atf_test_case broken
broken_head()
{
	atf_set descr "each broken file: exit 1, nothing on stdout, the" \
	    "file:line errors of its .err file on stderr"
}
broken_body()
{
	confdir
	n=0
	for conf in bad-*.conf no-*.conf; do
		f=${conf%.conf}
		atf_check -s exit:1 -o empty -e file:$f.err \
		    "$POSTERND" -n -f $conf
		# -v changes nothing for a broken file
		atf_check -s exit:1 -o empty -e file:$f.err \
		    "$POSTERND" -nv -f $conf
		n=$((n + 1))
	done
	[ $n -ge 6 ] || atf_fail "only $n broken files"
}

atf_test_case missing_file
missing_file_head()
{
	atf_set descr "a file that cannot be read: exit 1, and why"
}
missing_file_body()
{
	atf_check -s exit:1 -o empty -e match:"^posternd: /nonexistent/postern.conf: " \
	    "$POSTERND" -n -f /nonexistent/postern.conf
}

atf_test_case usage
usage_head()
{
	atf_set descr "unknown flags and arguments: usage and exit 1"
}
usage_body()
{
	atf_check -s exit:1 -o empty -e match:"^usage: posternd" \
	    "$POSTERND" -x
	atf_check -s exit:1 -o empty -e match:"^usage: posternd" \
	    "$POSTERND" -n extra
}

atf_test_case garbage
garbage_head()
{
	atf_set descr "hostile files (random bytes, NULs, huge lines and" \
	    "numbers, a backslash at the end) give errors, never a crash"
}
garbage_body()
{
	$PYTHON - <<'EOF'
import random
r = random.Random(4)
files = {
	"empty": b"",
	"comments": b"# nothing\n\n   # at all\n",
	"nul": b"user nobody\nlisten on 127.0.0.1\0 port 1 imap\n",
	"longline": b"user " + b"x" * 200000 + b"\n",
	"longword": b"listen on " + b"1" * 5000 + b" port 1 imap\n",
	"words": b"pool" + b" max 4" * 100 + b"\n",
	"numbers": b"timeout idle 99999999999999999999999999h\n"
	    b"limit line 1g literal 3g\npool max 18446744073709551616\n"
	    b"listen on 127.0.0.1 port -1 imap upstream x port 0\n",
	"quotes": b'user "a\\"b\\\\\nchroot "/x"y\nworker ""\n',
	"backslash": b"user nobody\nlisten on 127.0.0.1 port 1 imap \\",
}
for i in range(40):
	n = r.randrange(1, 3000)
	files["random%d" % i] = bytes(r.randrange(256) for _ in range(n))
words = [b"user", b"chroot", b"worker", b"pool", b"limit", b"timeout",
    b"listen", b"on", b"port", b"imap", b"pop3", b"name", b"upstream",
    b"min-idle", b"max", b"sessions", b"idle-timeout", b"template-forks", b"line",
    b"literal", b"idle",
    b"127.0.0.1", b"*", b"::1", b"143", b"0", b"65536", b"\"", b"#",
    b"\\", b"\n", b"10m", b"nobody", b"queue", b"connections",
    b"per-client", b"server", b"check", b"weight", b"backup", b"every",
    b"rise", b"fall", b"capability", b"mail"]
for i in range(40):
	files["words%d" % i] = b" ".join(r.choice(words)
	    for _ in range(r.randrange(1, 60)))
for name, data in files.items():
	with open(name + ".conf", "wb") as f:
		f.write(data)
EOF
	n=0
	for f in *.conf; do
		"$POSTERND" -n -f $f > out 2> err
		status=$?
		[ $status -eq 0 ] || [ $status -eq 1 ] ||
		    atf_fail "$f: exit status $status"
		[ -s out ] && atf_fail "$f: output on stdout"
		if grep -v "^posternd: $f:[0-9][0-9]*: " err; then
			atf_fail "$f: a message that is not file:line"
		fi
		n=$((n + 1))
	done
	[ $n -ge 80 ] || atf_fail "only $n files"
}

atf_init_test_cases()
{
	atf_add_test_case good_nv
	atf_add_test_case good_n_quiet
	atf_add_test_case roundtrip
	atf_add_test_case broken
	atf_add_test_case missing_file
	atf_add_test_case usage
	atf_add_test_case garbage
}
