#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package: tools/deb.sh [amd64|arm64|armhf] builds
# build-deb/hamstride_VERSION_ARCH.deb with dpkg-buildpackage from a copy of
# the tree (dpkg-buildpackage writes beside the source, so the copy keeps
# that inside build-deb/), then runs lintian on it. amd64 (this machine) runs
# the fast test suites while building; arm64 and armhf are cross builds with
# the nocheck profile (tools/cross.sh --test runs their tests under qemu).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build_arch=$(dpkg --print-architecture)
arch=${1:-$build_arch}
version=$(dpkg-parsechangelog -l debian/changelog -S Version)

tools/deps.sh
tools/deps.sh --deb
out=$top/build-deb
src=$out/src-$arch/hamstride-$version
rm -rf "$out/src-$arch"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard |
	tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$src"

if [ "$arch" = "$build_arch" ]; then
	(cd "$src" && dpkg-buildpackage -b -uc -us)
else
	tools/deps.sh --cross "$arch"
	# -d: the target's libgsl-dev cannot be installed next to the host's
	# (tools/deps.sh --cross explains), so dpkg-checkbuilddeps would stop;
	# every other build dependency is installed for the target.
	(cd "$src" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
		dpkg-buildpackage -b -uc -us -a "$arch" -Pnocheck -d)
fi
mv "$out/src-$arch"/hamstride*_"$arch".* "$out/src-$arch"/*.deb "$out/" 2>/dev/null || true
rm -rf "$out/src-$arch"
deb=$out/hamstride_${version}_$arch.deb
echo "== lintian $deb"
lintian --info --display-info "$deb" "$out/hamstride_${version}_$arch.changes" || true
