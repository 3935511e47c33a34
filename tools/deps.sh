#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages hamstride builds and tests with. Safe to run
# again: it only calls apt-get when something is missing. With --vm: only
# those the Bluetooth test VM (tests/vm/) needs on the host; with --lint:
# clang-format and clang-tidy (tools/lint.sh); with --fuzz: clang and its
# libFuzzer and sanitizer runtimes (tools/fuzz.sh); with --cross arm64|armhf:
# the cross toolchain, the target's libraries (multiarch) and qemu-user for
# tools/cross.sh; with --deb: what dpkg-buildpackage and its checks need.
set -eu

# GSL's development package is not multiarch co-installable (it ships
# /usr/bin/gsl-config): installing libgsl-dev:arm64 would remove the host's
# libgsl-dev. So the target's runtime libraries come from Debian, and the
# two development symlinks and gsl.pc are written under /usr/local, which
# the cross pkg-config searches first and dpkg does not own. The headers
# are the host's (/usr/include/gsl is the same on every architecture).
gsl_cross_shim() {
	triplet=$1
	dir=/usr/local/lib/$triplet
	[ -f "$dir/pkgconfig/gsl.pc" ] && return 0
	mkdir -p "$dir/pkgconfig"
	ln -sf "/usr/lib/$triplet/libgsl.so.27" "$dir/libgsl.so"
	ln -sf "/usr/lib/$triplet/libgslcblas.so.0" "$dir/libgslcblas.so"
	version=$(dpkg-query -W -f='${Version}' libgsl27:"$2" | sed 's/+.*//')
	cat >"$dir/pkgconfig/gsl.pc" <<-EOF
		# Written by hamstride's tools/deps.sh --cross: libgsl-dev:$2
		# cannot be installed next to the host's libgsl-dev.
		libdir=$dir
		Name: GSL
		Description: GNU Scientific Library ($2, runtime from libgsl27:$2)
		Version: $version
		Libs: -L\${libdir} -lgsl -lgslcblas -lm
		Cflags:
	EOF
}

packages="build-essential meson ninja-build pkg-config python3
libbluetooth-dev libgsl-dev libsqlite3-dev libinih-dev libcmocka-dev libjson-c-dev
sqlite3 valgrind libxml2-dev libarchive-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core
poppler-utils man-db groff-base"
[ "${1:-}" != --vm ] || packages="qemu-system-x86 busybox-static cpio kmod"
[ "${1:-}" != --lint ] || packages="clang-format clang-tidy"
[ "${1:-}" != --fuzz ] || packages="clang libclang-rt-dev"
[ "${1:-}" != --deb ] || packages="debhelper dpkg-dev fakeroot lintian debootstrap"
cross_arch=""
if [ "${1:-}" = --cross ]; then
	cross_arch=${2:?"usage: tools/deps.sh --cross arm64|armhf"}
	case $cross_arch in
	arm64) triplet=aarch64-linux-gnu ;;
	armhf) triplet=arm-linux-gnueabihf ;;
	*)
		echo "hamstride: no cross build for '$cross_arch': arm64 or armhf" >&2
		exit 2
		;;
	esac
	packages="crossbuild-essential-$cross_arch qemu-user-static binfmt-support
libgsl27:$cross_arch libgslcblas0:$cross_arch"
	for p in libbluetooth-dev libsqlite3-dev libinih-dev libcmocka-dev \
		libjson-c-dev libxml2-dev libcairo2-dev libpango1.0-dev libarchive-dev; do
		packages="$packages $p:$cross_arch"
	done
fi

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	[ -z "$cross_arch" ] || gsl_cross_shim "$triplet" "$cross_arch"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "hamstride: missing Debian packages:$missing" >&2
	echo "hamstride: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "hamstride: installing$missing"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$cross_arch" ] && ! dpkg --print-foreign-architectures | grep -qx "$cross_arch"; then
	dpkg --add-architecture "$cross_arch"
fi
apt-get update -qq
# --no-remove: a target's package must never take the host's away.
# shellcheck disable=SC2086 # the list is meant to split into words
apt-get install -y -qq --no-install-recommends --no-remove $missing >/dev/null
[ -z "$cross_arch" ] || gsl_cross_shim "$triplet" "$cross_arch"
