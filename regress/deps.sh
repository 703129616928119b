#!/bin/sh
# Install, with apt-get, every Debian 12 package that building, testing, the
# demo and the benchmarks need.  Quick when all are present; when not root,
# print the one command to run and fail.
PKGS="gcc make pkg-config libc6-dev libbsd-dev libmd-dev libseccomp-dev libsodium-dev
libssl-dev liblmdb-dev lmdb-utils kyua atf-sh libatf-dev dovecot-imapd
dovecot-pop3d python3 curl openssl procps iproute2 clang libclang-rt-14-dev"

missing=
for p in $PKGS; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing" >&2
	echo "run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || exit 1
# The Dovecot packages try to start the system instance; tests run their
# own, so a refused start (no init system) is not an error.
apt-get install -y -q --no-install-recommends $missing || exit 1
