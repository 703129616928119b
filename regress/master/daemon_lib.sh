# Helpers of the tests that run posternd (sourced, not run): waiting for
# log lines and exits without fixed sleeps, free ports, one-line clients.

POSTERND=@OBJDIR@/bin/posternd
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

# A port nobody listens on right now.
free_port()
{
	$PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_file FILE ERE [N]: wait up to 20 s for N (1) lines matching ERE;
# FILE may not exist yet.
wait_file()
{
	i=0
	while [ $i -lt 400 ]; do
		n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "${3:-1}" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	cat "$1" >&2
	atf_fail "no ${3:-1} lines matching '$2' in $1"
}

# wait_until SECONDS CMD [ARGS]: run CMD every 50 ms until it succeeds;
# 1 if it did not within SECONDS.  For events no log line announces.
wait_until()
{
	_t=$(($1 * 20))
	shift
	_i=0
	until "$@"; do
		[ $_i -lt $_t ] || return 1
		sleep 0.05
		_i=$((_i + 1))
	done
}

wait_log()
{
	wait_file log "$@"
}

# Wait up to 10 s for posternd to exit; its status is in $status.
wait_exit()
{
	i=0
	while [ $i -lt 200 ]; do
		case "$(ps -o stat= -p "$(cat pid)")" in
		""|Z*)
			wait "$(cat pid)"
			status=$?
			return 0
			;;
		esac
		sleep 0.05
		i=$((i + 1))
	done
	atf_fail "posternd still running"
}

# A greeting from a listener: the first line the client gets.
greet()
{
	$PYTHON - "$1" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
print(s.makefile("rb").readline().decode().strip())
EOF
}

# start [flags]: posternd -d -v on ./postern.conf, logging to ./log.
start()
{
	"$POSTERND" -d -v -f postern.conf "$@" > log 2>&1 &
	echo $! > pid
}

common_cleanup()
{
	[ -f pid ] && kill -9 "$(cat pid)" 2>/dev/null
	# workers exit when the master's channel closes
	return 0
}

ORACLE=@TOPDIR@/regress/fixture/oracle.py

# Every IMAP session Dovecot logged in and every postern session is over:
# the rawlog and the audit records are complete.  So is every connection
# Dovecot's login process took (a pre-login rawlog each, when rawlog is
# on): it logged in or disconnected.  postern ends a session at its
# client's EOF, and a busy imap-login may not have read what postern sent
# it by then: read too soon, its rawlog holds no command and postern's
# session has no partner ("postern accepted p0 NOOP and Dovecot never
# received it").
sessions_over()
{
	_pre=$(find "$1/run/login/rawlogs" -name '*.in' 2>/dev/null | wc -l)
	_ended=$(grep -Ec '^.{15} imap-login: Info: (Login|Disconnected)' \
	    "$1/dovecot-info.log")
	[ "$_ended" -ge "$_pre" ] || return 1
	_in=$(grep -c 'imap-login: Info: Login:' "$1/dovecot-info.log")
	_out=$(grep -Ec '^.{15} imap\([^)]*\)[^:]*: Info: Disconnected' \
	    "$1/dovecot-info.log")
	[ "$_out" -ge "$_in" ] || return 1
	_c=$(cat "$2"/worker-*.log 2>/dev/null | grep -c '"event":"connect"')
	_d=$(cat "$2"/worker-*.log 2>/dev/null | grep -c '"event":"disconnect"')
	[ "$_d" -ge "$_c" ]
}

# oracle_check DVDIR AUDITDIR: the differential oracle
# (regress/fixture/oracle.py) on the rawlog of the Dovecot in DVDIR
# (started with DOVECOT_RAWLOG=1) and posternd's audit logs in AUDITDIR,
# once every session has ended; the test fails with its diff when any
# command Dovecot received is not one postern accepted, in the same
# order, framed the same way.
oracle_check()
{
	wait_until 20 sessions_over "$1" "$2" ||
	    atf_fail "sessions still open in $1 or $2 after 20 s"
	if ! $PYTHON "$ORACLE" -v "$1" "$2" > oracle.out 2>&1; then
		cat oracle.out >&2
		atf_fail "oracle: postern and Dovecot disagree (oracle.out)"
	fi
	cat oracle.out
}
