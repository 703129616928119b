#! /usr/bin/env atf-sh
# The Debian package (make deb, etc/debian/) and the systemd unit
# (etc/posternd.service), built from this tree and installed with dpkg
# into a fresh root: dpkg --root=DIR --force-script-chrootless, so that
# the maintainer scripts run here with DPKG_ROOT=DIR and make the user
# and the directories inside DIR only (--force-depends: the fresh root
# has no libc6 and no other package).  The system's own passwd, group,
# shadow and dpkg database are checked unchanged after every test.
#
# Not exercised: systemd itself, which does not run here.  The unit is
# checked by systemd-analyze verify and security --offline, and the
# service test runs its ExecStart line under what of its sandbox can be
# had without systemd: the capability bounding set, no_new_privs, the
# umask and LimitNOFILE, the installed tree read-only but for
# ReadWritePaths, a private /dev whose /dev/log is the test's syslog,
# ProtectProc=invisible, the seccomp filters of SystemCallFilter,
# SystemCallArchitectures, MemoryDenyWriteExecute and
# RestrictAddressFamilies (unit_seccomp.py), and the installed root's
# passwd and group, so that the workers run as the _postern the postinst
# made.  ProtectKernel*, ProtectClock, ProtectHostname, RestrictNamespaces,
# RestrictRealtime, LockPersonality, KeyringMode, PrivateTmp and the
# read-only rest of the system are not applied, and the maintainer
# scripts' systemctl calls are skipped (they run only without DPKG_ROOT,
# with systemd running).

TOPDIR=@TOPDIR@
OBJDIR=@OBJDIR@
FIXTURE=$OBJDIR/regress/fixture/dovecot
. $OBJDIR/regress/master/daemon_lib

PROGS="posternd postern-worker postern-policyd postern-keyd policyctl posternctl"

# common_head [PROGS]: root, and dpkg, dpkg-deb, make and PROGS.
common_head()
{
	atf_set require.user root
	atf_set require.progs "dpkg dpkg-deb make $*"
	atf_set timeout 120
}

# The system's own databases, to compare before and after.
host_state()
{
	md5sum /etc/passwd /etc/group /etc/shadow /etc/gshadow
	getent passwd _postern
	return 0
}

# build_deb: "make deb" of this build, staged and written in ./deb; the
# package is $DEB.
build_deb()
{
	case "$OBJDIR" in
	"$TOPDIR"/*)	obj=${OBJDIR#"$TOPDIR"/} ;;
	*)		obj=$OBJDIR ;;
	esac
	if ! env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$TOPDIR" \
	    OBJ="$obj" DEBSTAGE="$PWD/deb/stage" DEBDIR="$PWD/deb" deb \
	    > make.out 2>&1; then
		cat make.out >&2
		atf_fail "make deb failed"
	fi
	DEB=$(echo "$PWD"/deb/postern_*.deb)
	[ -f "$DEB" ] || atf_fail "make deb wrote no package"
}

# fresh_root: ./root, with dpkg's database, the directories every Debian
# system has, and passwd, group, shadow and gshadow with root and adm.
fresh_root()
{
	R=$PWD/root
	mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" \
	    "$R/var/lib/dpkg/triggers" "$R/etc" "$R/var/log"
	: > "$R/var/lib/dpkg/status"
	: > "$R/var/lib/dpkg/available"
	echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
	printf 'root:x:0:\nadm:x:4:\n' > "$R/etc/group"
	echo 'root:*:20000:0:99999:7:::' > "$R/etc/shadow"
	printf 'root:*::\nadm:*::\n' > "$R/etc/gshadow"
	chmod 640 "$R/etc/shadow" "$R/etc/gshadow"
	DPKG="dpkg --root=$R --force-script-chrootless --log=/dev/null"
}

# Every file and directory of the root but dpkg's database and the
# backups useradd and userdel leave (passwd-...), with mode, owner and
# contents.
root_state()
{
	(cd "$R" && find . -path ./var/lib/dpkg -prune -o ! -name '*-' \
	    -printf '%p %m %u:%g\n' | LC_ALL=C sort &&
	    find . -path ./var/lib/dpkg -prune -o -type f ! -name '*-' \
	    -exec md5sum {} + | LC_ALL=C sort)
}

install_deb()
{
	atf_check -o ignore -e ignore $DPKG --force-depends -i "$DEB"
}

# $WITH_USERS CMD...: CMD seeing the installed root's passwd and group (in
# a mount namespace of its own), where _postern is.
with_users()
{
	cat > users.sh <<EOF
set -e
mount --bind "$R/etc/passwd" /etc/passwd
mount --bind "$R/etc/group" /etc/group
exec "\$@"
EOF
	WITH_USERS="unshare --mount --propagation private sh $PWD/users.sh"
}

# The unit's KEY= lines, one a line.
unit_get()
{
	sed -n "s/^$1=//p" "$R/lib/systemd/system/posternd.service"
}

# unit_is KEY VALUE: the unit's KEY lines are VALUE.
unit_is()
{
	[ "$(unit_get "$1")" = "$2" ] ||
	    atf_fail "$1 is '$(unit_get "$1")', not '$2'"
}

# A line of the installed unit, its programs and files those of the root.
in_root()
{
	sed -e "s|/usr/sbin/|$R/usr/sbin/|g" -e "s|/etc/postern/|$R/etc/postern/|g"
}

atf_test_case deb
deb_head()
{
	common_head
	atf_set descr "make deb: control fields, conffiles, maintainer" \
	    "scripts and the files where Debian wants them"
}
deb_body()
{
	build_deb
	dpkg-deb -f "$DEB" Package Architecture Depends > fields
	atf_check -o inline:"Package: postern\n" head -1 fields
	for d in 'libc6 ' liblmdb0 libmd0 libseccomp2 libsodium23 libssl3 \
	    passwd; do
		grep -q "^Depends:.*$d" fields || atf_fail "no $d in Depends"
	done
	atf_check -o match:"^[0-9][^ ]*-[0-9]+$" \
	    dpkg-deb -f "$DEB" Version
	atf_check -o inline:"/etc/postern/postern.conf\n/etc/postern/postern.rules\n/etc/logrotate.d/postern\n" \
	    sh -c "dpkg-deb --ctrl-tarfile $DEB | tar -xO ./conffiles"
	mkdir ctrl
	dpkg-deb -e "$DEB" ctrl
	for s in postinst prerm postrm; do
		atf_check test -x ctrl/$s
		atf_check sh -n ctrl/$s
	done
	dpkg-deb -c "$DEB" | awk '{ print $1, $2, $6 }' > files
	for p in $PROGS; do
		atf_check -o ignore grep -x "\-rwxr-xr-x root/root ./usr/sbin/$p" files
	done
	for f in etc/postern/postern.conf etc/postern/postern.rules \
	    etc/logrotate.d/postern lib/systemd/system/posternd.service \
	    usr/share/man/man5/postern.conf.5.gz \
	    usr/share/man/man5/postern.rules.5.gz \
	    usr/share/man/man8/posternd.8.gz \
	    usr/share/man/man8/postern-keyd.8.gz \
	    usr/share/man/man8/postern-policyd.8.gz \
	    usr/share/man/man8/postern-worker.8.gz \
	    usr/share/man/man8/policyctl.8.gz \
	    usr/share/man/man8/posternctl.8.gz \
	    usr/share/doc/postern/copyright \
	    usr/share/doc/postern/changelog.Debian.gz; do
		atf_check -o ignore grep -x "\-rw-r--r-- root/root ./$f" files
	done
	# Every file root's, no other mode, nothing under /var: postinst
	# makes those.
	atf_check -s exit:1 grep -v -e '^d' -e '^-rw-r--r-- root/root' \
	    -e '^-rwxr-xr-x root/root ./usr/sbin/' files
	atf_check -s exit:1 grep ' ./var' files
	# Stripped programs.
	dpkg-deb -x "$DEB" x
	for p in $PROGS; do
		atf_check -s exit:1 -o ignore sh -c \
		    "readelf -S x/usr/sbin/$p | grep -F .symtab"
	done
}

atf_test_case make_install
make_install_head()
{
	common_head
	atf_set descr "make install with PREFIX and DESTDIR: programs, man" \
	    "pages, the samples (kept when there), the unit and the" \
	    "logrotate file naming the installed paths"
}
make_install_body()
{
	case "$OBJDIR" in
	"$TOPDIR"/*)	obj=${OBJDIR#"$TOPDIR"/} ;;
	*)		obj=$OBJDIR ;;
	esac
	d=$PWD/inst
	for i in 1 2; do
		env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$TOPDIR" \
		    OBJ="$obj" DESTDIR="$d" PREFIX=/opt/pt install > make.out 2>&1 ||
		    { cat make.out >&2; atf_fail "make install failed"; }
		echo "# local" >> "$d/etc/postern/postern.conf"
	done
	# The second install kept the first's changed file.
	atf_check -o inline:"2\n" grep -c "^# local" "$d/etc/postern/postern.conf"
	atf_check -o match:"postern.conf exists, not replaced" cat make.out
	for p in $PROGS; do
		atf_check test -x "$d/opt/pt/sbin/$p"
	done
	for m in man5/postern.conf.5 man5/postern.rules.5 man8/posternd.8 \
	    man8/postern-keyd.8 man8/postern-policyd.8 man8/postern-worker.8 \
	    man8/policyctl.8 man8/posternctl.8; do
		atf_check test -f "$d/opt/pt/share/man/$m"
	done
	atf_check cmp "$TOPDIR/etc/postern.rules" "$d/etc/postern/postern.rules"
	u=$d/opt/pt/lib/systemd/system/posternd.service
	atf_check -o inline:"ExecStart=/opt/pt/sbin/posternd -F -f /etc/postern/postern.conf\n" \
	    grep ^ExecStart= "$u"
	atf_check -o match:"^/var/log/postern/worker-[*][.]log [{]" \
	    cat "$d/etc/logrotate.d/postern"
}

atf_test_case install_purge cleanup
install_purge_head()
{
	common_head unshare
	atf_set descr "dpkg -i into a fresh root: the files, the _postern" \
	    "user, the directories with their owners and modes, the" \
	    "conffiles; purge leaves the root as it was"
}
install_purge_body()
{
	host_state > host.before
	build_deb
	fresh_root
	root_state > root.before
	install_deb

	# What dpkg installed, and what postinst made.
	for p in $PROGS; do
		atf_check -o inline:"755 0:0\n" stat -c '%a %u:%g' "$R/usr/sbin/$p"
	done
	for f in etc/postern etc/postern/postern.conf etc/postern/postern.rules \
	    etc/logrotate.d/postern lib/systemd/system/posternd.service; do
		atf_check -o match:"^(644|755) 0:0$" stat -c '%a %u:%g' "$R/$f"
	done
	atf_check -o inline:"755 0:0\n" stat -c '%a %u:%g' "$R/var/lib/postern"
	atf_check -o inline:"755 0:0\n" stat -c '%a %u:%g' "$R/var/lib/postern/empty"
	atf_check -o inline:"700 0:0\n" stat -c '%a %u:%g' "$R/var/lib/postern/store"
	atf_check -o inline:"750 0:4\n" stat -c '%a %u:%g' "$R/var/log/postern"
	atf_check -o empty ls -A "$R/var/lib/postern/empty"
	atf_check -o match:'^_postern:x:[1-9][0-9]{0,2}:[1-9][0-9]*:[^:]*:/nonexistent:/usr/sbin/nologin$' \
	    grep '^_postern:' "$R/etc/passwd"
	gid=$(grep '^_postern:' "$R/etc/passwd" | cut -d: -f4)
	atf_check -o match:"^_postern:x:$gid:\$" grep '^_postern:' "$R/etc/group"
	atf_check -o match:'^_postern:' grep '^_postern:' "$R/etc/shadow"

	# The sample configuration names what postinst made, and is valid.
	atf_check -o match:'^chroot /var/lib/postern/empty$' \
	    grep '^chroot ' "$R/etc/postern/postern.conf"
	atf_check -o match:'^#policy store "/var/lib/postern/store"$' \
	    grep 'policy store' "$R/etc/postern/postern.conf"
	atf_check -o match:'^#audit dir "/var/log/postern"$' \
	    grep 'audit dir' "$R/etc/postern/postern.conf"
	atf_check -o match:'^user _postern$' grep '^user ' "$R/etc/postern/postern.conf"
	with_users
	atf_check $WITH_USERS "$R/usr/sbin/posternd" -n -f "$R/etc/postern/postern.conf"
	atf_check -o match:"ok" "$R/usr/sbin/policyctl" -s "$PWD/st" check \
	    "$R/etc/postern/postern.rules"

	# dpkg knows the conffiles.
	atf_check -o inline:" /etc/postern/postern.conf\n /etc/postern/postern.rules\n /etc/logrotate.d/postern\n" \
	    sh -c "dpkg-query --admindir=$R/var/lib/dpkg -W -f='\${Conffiles}\n' postern | sed 's/ [0-9a-f]*\$//' | grep ."

	# Installing again (configure with a user and directories there)
	# changes nothing.
	root_state > root.installed
	install_deb
	root_state > root.again
	atf_check diff root.installed root.again

	# An administrator's change to a conffile survives a reinstall.
	echo "# local" >> "$R/etc/postern/postern.conf"
	atf_check -o ignore -e ignore $DPKG --force-depends --force-confold -i "$DEB"
	atf_check -o inline:"# local\n" tail -1 "$R/etc/postern/postern.conf"

	# Purge: what the package and postinst added is gone, the rest is
	# as it was.
	mkdir -p "$R/var/log/postern/keys"
	touch "$R/var/log/postern/worker-00.log" "$R/var/lib/postern/store/data.mdb"
	atf_check -o ignore -e ignore $DPKG --purge postern
	root_state > root.after
	atf_check diff root.before root.after
	host_state > host.after
	atf_check diff host.before host.after
}
install_purge_cleanup()
{
	return 0
}

atf_test_case scripts_here
scripts_here_head()
{
	common_head unshare
	atf_set descr "postinst configure and postrm purge without DPKG_ROOT," \
	    "as on a real system (getent, useradd and userdel on /etc), in" \
	    "a mount namespace where /etc, /var/lib and /var/log are copies"
}
scripts_here_body()
{
	host_state > host.before
	mkdir etc varlib varlog
	cp -a /etc/. etc/
	cat > here.sh <<EOF
set -e
mount --bind "$PWD/etc" /etc
mount --bind "$PWD/varlib" /var/lib
mount --bind "$PWD/varlog" /var/log
unset DPKG_ROOT
# No systemd here: the scripts' systemctl calls are skipped.
test ! -d /run/systemd/system
getent passwd _postern && exit 1
sh "$TOPDIR/etc/debian/postinst" configure
sh "$TOPDIR/etc/debian/postinst" configure
getent passwd _postern | cut -d: -f6,7
stat -c '%n %a %u:%G' /var/lib/postern /var/lib/postern/empty \
    /var/lib/postern/store /var/log/postern
sh "$TOPDIR/etc/debian/prerm" remove
sh "$TOPDIR/etc/debian/postrm" remove
test -d /var/lib/postern/store
sh "$TOPDIR/etc/debian/postrm" purge
getent passwd _postern || echo no user
getent group _postern || echo no group
ls /var/lib /var/log
EOF
	atf_check -o inline:"/nonexistent:/usr/sbin/nologin
/var/lib/postern 755 0:root
/var/lib/postern/empty 755 0:root
/var/lib/postern/store 700 0:root
/var/log/postern 750 0:adm
no user
no group
/var/lib:

/var/log:
" -e ignore unshare --mount --propagation private sh here.sh
	for f in passwd group shadow gshadow; do
		atf_check cmp /etc/$f etc/$f
	done
	host_state > host.after
	atf_check diff host.before host.after
}

atf_test_case unit
unit_head()
{
	common_head systemd-analyze
	atf_set descr "the installed unit passes systemd-analyze verify; its" \
	    "sandbox as systemd-analyze security rates it; the logrotate" \
	    "file parses"
}
unit_body()
{
	build_deb
	fresh_root
	install_deb
	# The unit's commands must exist: the root's, and its man pages.
	in_root < "$R/lib/systemd/system/posternd.service" > posternd.service
	atf_check env MANPATH="$R/usr/share/man" systemd-analyze verify \
	    "$PWD/posternd.service"
	atf_check -o match:"Overall exposure level for posternd.service: [0-3]\.[0-9] (SAFE|OK)" \
	    systemd-analyze security --offline=true "$PWD/posternd.service"
	unit_is RuntimeDirectory postern
	unit_is RuntimeDirectoryMode 0700
	unit_is CapabilityBoundingSet \
	    "CAP_NET_BIND_SERVICE CAP_SYS_CHROOT CAP_SETUID CAP_SETGID CAP_KILL"
	unit_is ExecStart "/usr/sbin/posternd -F -f /etc/postern/postern.conf"
	unit_is ExecStartPre "/usr/sbin/posternd -n -f /etc/postern/postern.conf"
	unit_is ExecReload "/usr/sbin/posternd -n -f /etc/postern/postern.conf
/bin/kill -HUP \$MAINPID"
	for l in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	    PrivateDevices=yes NoNewPrivileges=yes \
	    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
	    SystemCallArchitectures=native LockPersonality=yes \
	    MemoryDenyWriteExecute=yes RestrictRealtime=yes \
	    RestrictNamespaces=yes ProtectKernelTunables=yes \
	    ProtectKernelModules=yes ProtectKernelLogs=yes \
	    ProtectControlGroups=yes ProtectProc=invisible Restart=on-failure \
	    KillMode=mixed "SystemCallFilter=@system-service chroot seccomp" \
	    "ReadWritePaths=-/var/lib/postern/store -/var/log/postern"; do
		grep -qx "$l" "$R/lib/systemd/system/posternd.service" ||
		    atf_fail "no $l in the unit"
	done
	if command -v logrotate >/dev/null; then
		sed "s|/var/log/postern/|$R/var/log/postern/|" \
		    "$R/etc/logrotate.d/postern" > logrotate.conf
		atf_check -e not-match:"error" logrotate -d -s state logrotate.conf
	fi
}

# The test's syslog: a datagram socket, ./syslog.sock, whose messages go
# to ./syslog.out.
syslog_start()
{
	$PYTHON - "$PWD/syslog.sock" > syslog.out 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
	print(s.recv(8192).decode(errors="replace"), flush=True)
PY
	echo $! > syslog.pid
	wait_until 10 test -S syslog.sock || atf_fail "no syslog socket"
}

# wait_syslog ERE [N]: wait up to 20 s for N (1) lines matching ERE in
# what posternd sent to syslog; else show that and its output, and fail.
wait_syslog()
{
	if ! wait_until 20 syslog_has "$@"; then
		echo "syslog:" >&2
		cat syslog.out >&2
		echo "standard output and error:" >&2
		cat log >&2
		atf_fail "no ${2:-1} lines matching '$1' in syslog"
	fi
}
syslog_has()
{
	[ "$(grep -Ec -- "$1" syslog.out)" -ge "${2:-1}" ]
}

# sandbox_script: then "$SANDBOXED CMD..." runs CMD in a mount namespace
# set up as the unit's sandbox would be, as far as that goes without
# systemd (see the top), with the unit's capabilities only and
# no_new_privs.  Every step execs the next: CMD keeps the pid.
sandbox_script()
{
	caps=$(unit_get CapabilityBoundingSet | tr 'A-Z ' 'a-z\n' |
	    sed 's/^cap_/+/' | paste -sd, -)
	# RuntimeDirectory: systemd makes it, writable, at each start.
	rw="$(unit_get ReadWritePaths | tr ' ' '\n' | sed 's/^-//')
/run/$(unit_get RuntimeDirectory)"
	mkdir -p "$R/run/$(unit_get RuntimeDirectory)"
	chmod "$(unit_get RuntimeDirectoryMode)" "$R/run/$(unit_get RuntimeDirectory)"
	umask=$(unit_get UMask)
	nofile=$(unit_get LimitNOFILE)
	cat > sandbox.sh <<EOF
set -e
# The installed root's users: the workers run as its _postern.
mount --bind "$R/etc/passwd" /etc/passwd
mount --bind "$R/etc/group" /etc/group
# ProtectSystem=strict, ReadWritePaths: for the installed tree.
mount --bind "$R" "$R"
for d in $(echo $rw); do mount --bind "$R\$d" "$R\$d"; done
mount -o remount,bind,ro "$R" "$R"
# PrivateDevices, and /dev/log.
hostdev=\$(mktemp -d)
mount --rbind /dev "\$hostdev"
mount -t tmpfs -o mode=755 dev /dev
for n in null zero full random urandom tty; do
	touch /dev/\$n
	mount --bind "\$hostdev/\$n" /dev/\$n
done
umount -l "\$hostdev"
rmdir "\$hostdev"
mkdir /dev/shm
mount -t tmpfs -o mode=1777 shm /dev/shm
ln -s "$PWD/syslog.sock" /dev/log
# ProtectProc=invisible: without CAP_SYS_PTRACE, the workers' and
# policyd's /proc entries are hidden from posternd.
mount -t proc -o hidepid=invisible proc /proc
umask $umask
# LimitNOFILE, or as near as this machine's hard limit allows.
ulimit -n $nofile 2>/dev/null || ulimit -n \$(ulimit -Hn)
# SystemCallFilter, SystemCallArchitectures, MemoryDenyWriteExecute,
# RestrictAddressFamilies: the unit's own lines, as seccomp filters.
exec $PYTHON "$TOPDIR/regress/master/unit_seccomp.py" \
    "$R/lib/systemd/system/posternd.service" \
    setpriv --bounding-set=-all,$caps --no-new-privs "\$@"
EOF
	SANDBOXED="unshare --mount --propagation private sh $PWD/sandbox.sh"
}

# One IMAP session through 127.0.0.1:PORT, with TLS if "tls" follows:
# the greeting, LOGIN, SELECT, LOGOUT.
session()
{
	$PYTHON - "$@" <<'PY'
import imaplib, ssl, sys
if sys.argv[2:] == ["tls"]:
	ctx = ssl.create_default_context()
	ctx.check_hostname = False
	ctx.verify_mode = ssl.CERT_NONE
	m = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ctx,
	    timeout=15)
else:
	m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=15)
print(m.welcome.decode())
print(m.login("alice", "testpass")[0])
print(m.select("INBOX")[0])
print(m.logout()[0])
PY
}

# installed_pids [worker]: the processes running a program of the
# installed root (postern-worker only); false if none.
installed_pids()
{
	_found=1
	for _e in /proc/[0-9]*/exe; do
		_x=$(readlink "$_e" 2>/dev/null) || continue
		case "$_x" in
		"$R/usr/sbin/postern-worker")
			;;
		"$R/usr/sbin/"*)
			[ "${1:-}" = worker ] && continue
			;;
		*)
			continue
			;;
		esac
		_p=${_e#/proc/}
		echo "${_p%/exe}"
		_found=0
	done
	return $_found
}

# The session's greeting is the rules', and the rest went through.
check_session()
{
	atf_check -o match:"^\* OK .*postern package test$" head -1 client.out
	atf_check -o inline:"OK\nOK\nBYE\n" tail -3 client.out
}

atf_test_case service cleanup
service_head()
{
	common_head setpriv unshare systemd-analyze /usr/sbin/dovecot $PYTHON
	atf_set descr "posternd started as the unit's ExecStart line from" \
	    "the installed root, in front of Dovecot with the directories" \
	    "postinst made, serves a session under the unit's capabilities," \
	    "logs to syslog, reloads by ExecReload, has its audit logs" \
	    "rotated by the logrotate file, and stops on SIGTERM"
}
service_body()
{
	$PYTHON -c 'import seccomp' ||
	    atf_fail "no python3-seccomp for unit_seccomp.py: make deps"
	host_state > host.before
	build_deb
	fresh_root
	install_deb
	# A sanitizer build (make check SANITIZE=1): LeakSanitizer cannot
	# read the threads of a process in the unit's sandbox (its /proc is
	# ProtectProc=invisible) and would fail every exit; ASan stays on.
	if nm -D "$R/usr/sbin/posternd" 2>/dev/null | grep -q __asan_init; then
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	fi
	atf_check -o ignore -e ignore "$FIXTURE" start "$PWD/dv"
	. "$PWD/dv/ports"
	p=$(free_port)

	# The installed postern.conf, pointed at the fixture and at the
	# installed root's directories, with the store and the audit logs.
	conf=$R/etc/postern/postern.conf
	sed -i -e "s|^chroot /|chroot $R/|" \
	    -e "s|^#policy store \"/|policy store \"$R/|" \
	    -e "s|^#audit dir \"/|audit dir \"$R/|" \
	    -e "s|^control socket \"/|control socket \"$R/|" \
	    -e "s|^pool .*|pool min-idle 1 max 4 sessions 100|" \
	    -e "s|drain 30\$|drain 1|" \
	    -e "s|port 10143 imap|port $p imap|" \
	    -e "s|upstream 127.0.0.1 port 143\$|upstream 127.0.0.1 port $IMAP_PORT|" \
	    -e "/pop3 name pop3-plain/,+1d" "$conf"
	# And IMAPS, so that postern-keyd runs under the sandbox too, with
	# a key of root's in /etc/postern.
	pt=$(free_port)
	atf_check -o ignore -e ignore openssl req -x509 -newkey ec \
	    -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	    -keyout "$R/etc/postern/ec.key" -out "$R/etc/postern/ec.crt"
	chmod 600 "$R/etc/postern/ec.key"
	cat >> "$conf" <<EOF
listen on 127.0.0.1 port $pt imap name imaps tls implicit \
	certificate "$R/etc/postern/ec.crt" key "$R/etc/postern/ec.key" \
	upstream 127.0.0.1 port $IMAP_PORT
EOF
	atf_check -o match:"^chroot $R/var/lib/postern/empty$" grep '^chroot' "$conf"
	atf_check -o match:"^audit dir \"$R/var/log/postern\"$" grep '^audit' "$conf"
	cat > rules <<'EOF'
imap response GREETING untagged OK rewrite "postern package test"
imap request * accept
imap response * all * accept
imap capability * accept
EOF
	with_users
	atf_check -o ignore $WITH_USERS "$R/usr/sbin/policyctl" -c "$conf" load rules
	atf_check -o inline:"700 0:0\n" stat -c '%a %u:%g' "$R/var/lib/postern/store"

	# ExecStartPre, then ExecStart, in the background: its pid in
	# ./pid, its standard output and error in ./log.
	syslog_start
	sandbox_script
	atf_check $SANDBOXED $(unit_get ExecStartPre | in_root)
	$SANDBOXED $(unit_get ExecStart | in_root) > log 2>&1 &
	echo $! > pid
	wait_syslog "^<30>.* posternd\[$(cat pid)\]: started, $conf\$"
	atf_check -o match:"^Name:	posternd$" grep ^Name: /proc/$(cat pid)/status
	atf_check -o match:"^CapBnd:	00000000000404e0$" grep ^CapBnd: /proc/$(cat pid)/status
	atf_check -o match:"^NoNewPrivs:	1$" grep ^NoNewPrivs: /proc/$(cat pid)/status
	atf_check -o match:"^Seccomp_filters:	3$" grep ^Seccomp_filters: /proc/$(cat pid)/status

	session $p > client.out
	check_session
	wait_syslog "posternd\[[0-9]+\]: imap-plain: session [0-9]+ ended"
	# Nothing on standard error: it all went to syslog.
	atf_check -o empty cat log
	wpid=$(sed -nE 's/.*imap-plain: session [0-9]+ from .* to worker slot 0 pid ([0-9]+)$/\1/p' syslog.out | head -1)
	uid=$(grep '^_postern:' "$R/etc/passwd" | cut -d: -f3)
	atf_check -o match:"^Uid:	$uid	$uid	$uid	$uid$" grep ^Uid: /proc/$wpid/status
	atf_check -o inline:"$R/var/lib/postern/empty\n" readlink /proc/$wpid/root
	atf_check -o inline:"$R/usr/sbin/postern-worker\n" readlink /proc/$wpid/exe

	# posternctl, from the installed root, on the unit's runtime
	# directory.
	atf_check -o inline:"700 0:0\n600 0:0\n" stat -c '%a %u:%g' \
	    "$R/run/postern" "$R/run/postern/control.sock"
	atf_check -o match:"^imap-plain +127\.0\.0\.1:$p +imap " \
	    $WITH_USERS "$R/usr/sbin/posternctl" -c "$conf" status
	atf_check -o match:"^postern_sessions_opened_total\{listener=\"imap-plain\"\} 1\$" \
	    $WITH_USERS "$R/usr/sbin/posternctl" -c "$conf" metrics

	# IMAPS: keyd signs, beside the worker.
	session $pt tls > client.out
	check_session
	wait_syslog "posternd\[[0-9]+\]: imaps: session [0-9]+ ended"
	atf_check -o empty cat log
	installed_pids > running
	atf_check -o match:"^$R/usr/sbin/postern-keyd\$" sh -c \
	    "for p in \$(cat running); do readlink /proc/\$p/exe; done"

	# The audit log, its keys, where postinst's directory is.
	log0=$R/var/log/postern/worker-00.log
	atf_check -o inline:"600 0:0\n" stat -c '%a %u:%g' "$log0"
	atf_check -o inline:"700 0:0\n" stat -c '%a %u:%g' "$R/var/log/postern/keys"
	atf_check -o match:'"event":"verdict"' cat "$log0"

	# The logrotate file: moved, not copied; SIGUSR1 (its postrotate,
	# here to this posternd) makes new files; both verify.
	if command -v logrotate >/dev/null; then
		sed -e "s|/var/log/postern/|$R/var/log/postern/|" \
		    -e "/postrotate/,/endscript/c\\
	postrotate\\
		kill -USR1 $(cat pid)\\
	endscript" "$R/etc/logrotate.d/postern" > logrotate.conf
		ino=$(stat -c %i "$log0")
		atf_check logrotate -f -s state logrotate.conf
		atf_check -o inline:"$ino\n" stat -c %i "$log0.1"
		wait_syslog "SIGUSR1: reopening the audit logs"
		wait_until 10 test -s "$log0" || atf_fail "no new $log0"
		session $p > client.out
		check_session
		wait_syslog "imap-plain: session [0-9]+ ended" 2
		atf_check -o match:'"event":"rotate"' head -1 "$log0"
		atf_check -o match:": good" "$R/usr/sbin/policyctl" audit verify \
		    "$log0.1" "$log0"
	fi

	# ExecReload: the check, then SIGHUP to $MAINPID.
	unit_get ExecReload | in_root | sed "s|\\\$MAINPID|$(cat pid)|" > reload
	while read -r cmd; do
		atf_check $SANDBOXED $cmd
	done < reload
	wait_syslog "posternd\[$(cat pid)\]: $conf: reloaded\$"

	# Stop: SIGTERM to posternd alone (KillMode=mixed).  A worker that
	# does not answer (stopped here) is killed after the drain and the
	# 5 s for BYE: CAP_KILL, since it runs as _postern.  Nothing of the
	# package is left running.
	wait_until 10 installed_pids worker || atf_fail "no worker"
	stopped=$(installed_pids worker | head -1)
	kill -STOP $stopped
	kill -TERM $(cat pid)
	wait_exit
	atf_check_equal 0 $status
	wait_syslog "posternd\[[0-9]+\]: exiting$"
	atf_check -o empty cat log
	if installed_pids > left; then
		ps -o pid,stat,user,args -p "$(paste -sd, left)" >&2
		atf_fail "programs of the package still running"
	fi
	host_state > host.after
	atf_check diff host.before host.after
}
service_cleanup()
{
	common_cleanup
	R=$PWD/root
	for p in $(installed_pids); do
		kill -9 $p
	done
	[ -f syslog.pid ] && kill "$(cat syslog.pid)" 2>/dev/null
	"$FIXTURE" stop "$PWD/dv"
}

atf_init_test_cases()
{
	atf_add_test_case deb
	atf_add_test_case make_install
	atf_add_test_case install_purge
	atf_add_test_case scripts_here
	atf_add_test_case unit
	atf_add_test_case service
}
