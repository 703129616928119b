#!/bin/sh
# Install, with apt-get, every Debian 12 package that building, testing, the
# demo and the benchmarks need, then the npm packages of regress/clients
# (imapflow) into regress/clients/node_modules.  Quick when all are
# present; when not root, print the one command to run and fail.
PKGS="gcc make pkg-config libc6-dev libbsd-dev libmd-dev libseccomp-dev libsodium-dev
libssl-dev liblmdb-dev lmdb-utils zlib1g-dev kyua atf-sh libatf-dev dovecot-imapd
dovecot-pop3d python3 curl openssl procps iproute2 clang libclang-rt-14-dev
isync offlineimap3 dpkg-dev logrotate systemd python3-seccomp haproxy
prometheus python3-prometheus-client redis-server libhiredis-dev"
# Node.js and npm for imapflow: Debian's, unless a node is there already.
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"

# The npm packages regress/clients/package-lock.json names, installed
# once per lock file (npm ci), from the npm registry.
npm_deps()
{
	dir=$(cd "$(dirname "$0")/clients" && pwd)
	stamp=$dir/node_modules/.postern-lock
	cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null && return 0
	echo "npm ci in $dir"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
	cp "$dir/package-lock.json" "$stamp"
}

missing=
for p in $PKGS; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
	[ "$s" = installed ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	npm_deps
	exit
fi

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
npm_deps
