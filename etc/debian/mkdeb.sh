#!/bin/sh
# mkdeb.sh STAGE OUTDIR: the postern .deb from STAGE/debian/postern, which
# "make deb" filled by "make install" with Debian's paths, written to
# OUTDIR/postern_VERSION_ARCH.deb.  Debian's own tools only: dpkg-deb,
# and dpkg-shlibdeps (dpkg-dev) for the library dependencies when it is
# there, else the list below.  Needs no root: dpkg-deb --root-owner-group
# makes every file root's.
set -e

stage=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
pkg=$stage/debian/postern

[ -d "$pkg/usr/sbin" ] || { echo "mkdeb: no $pkg/usr/sbin" >&2; exit 1; }
mkdir -p "$out"

version=$(sed -n '1s/^postern (\([^)]*\)).*/\1/p' "$here/changelog")
arch=$(dpkg --print-architecture)
[ -n "$version" ] || { echo "mkdeb: no version in changelog" >&2; exit 1; }

# What Debian's packages carry: stripped programs, gzipped man pages,
# the copyright and changelog in /usr/share/doc.
strip --strip-unneeded --remove-section=.comment "$pkg"/usr/sbin/*
gzip -9n "$pkg"/usr/share/man/man*/*
doc=$pkg/usr/share/doc/postern
install -d -m 755 "$doc"
install -m 644 "$here/copyright" "$doc/copyright"
gzip -9nc "$here/changelog" > "$doc/changelog.Debian.gz"
gzip -9nc "$here/../../README.md" > "$doc/README.md.gz"
chmod 644 "$doc"/*.gz

# The libraries the programs link, with the versions their symbols
# need, as dpkg-shlibdeps finds them (it wants a debian/control beside
# the package tree, and DEBIAN in it); useradd and userdel for the
# maintainer scripts.
install -d -m 755 "$pkg/DEBIAN"
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
	printf 'Source: postern\n\nPackage: postern\nArchitecture: any\n' \
	    > "$stage/debian/control"
	libs=$(cd "$stage" && set -- && for p in debian/postern/usr/sbin/*; do
		set -- "$@" "-e$p"
	    done && dpkg-shlibdeps -O "$@" | sed -n 's/^shlibs:Depends=//p')
else
	libs="libc6, liblmdb0, libmd0, libseccomp2, libsodium23, libssl3"
fi
depends="$libs, passwd"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" \
    -e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
    "$here/control.in" > "$pkg/DEBIAN/control"
install -m 644 "$here/conffiles" "$pkg/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 755 "$here/$s" "$pkg/DEBIAN/$s"
done
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print |
    sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) > "$pkg/DEBIAN/md5sums"
chmod 644 "$pkg/DEBIAN/md5sums"

deb=$out/postern_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb"
