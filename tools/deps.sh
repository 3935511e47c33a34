#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages hamstride builds and tests with. Safe to run
# again: it only calls apt-get when something is missing. With --vm: only
# those the Bluetooth test VM (tests/vm/) needs on the host; with --lint:
# clang-format and clang-tidy (tools/lint.sh); with --fuzz: clang and its
# libFuzzer and sanitizer runtimes (tools/fuzz.sh).
set -eu

packages="build-essential meson ninja-build pkg-config python3
libbluetooth-dev libgsl-dev libsqlite3-dev libinih-dev libcmocka-dev libjson-c-dev
sqlite3 valgrind libxml2-dev libarchive-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core
poppler-utils man-db groff-base"
[ "${1:-}" != --vm ] || packages="qemu-system-x86 busybox-static cpio kmod"
[ "${1:-}" != --lint ] || packages="clang-format clang-tidy"
[ "${1:-}" != --fuzz ] || packages="clang libclang-rt-dev"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "hamstride: missing Debian packages:$missing" >&2
	echo "hamstride: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "hamstride: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # the list is meant to split into words
apt-get install -y -qq --no-install-recommends $missing >/dev/null
