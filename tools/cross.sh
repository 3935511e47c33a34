#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cross builds for the Raspberry Pi: tools/cross.sh arm64|armhf [--test]
# installs the cross toolchain, the target's Debian libraries and qemu-user
# (tools/deps.sh --cross; quick once installed), builds into build-ARCH/ with
# cross/ARCH.ini and, with --test, runs the unit, replay, e2e and fuzz
# suites under emulation.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

usage() {
	echo "usage: tools/cross.sh arm64|armhf [--test]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
arch=$1
shift
case $arch in
arm64) qemu=qemu-aarch64 ;;
armhf) qemu=qemu-arm ;;
*) usage ;;
esac
run_tests=0
for opt in "$@"; do
	case $opt in
	--test) run_tests=1 ;;
	*) usage ;;
	esac
done

tools/deps.sh
tools/deps.sh --cross "$arch"

# The Python end-to-end tests start the target's programs themselves, where
# meson's exe_wrapper does not reach: the kernel hands them to qemu through
# binfmt_misc, which qemu-user-static registers once the file system is
# mounted (a container may not have mounted it).
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/status" ]; then
	mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || {
		echo "hamstride: cannot mount $binfmt: the e2e tests cannot run the $arch" \
			"programs (run as root, or mount it on the host)" >&2
		[ "$run_tests" -eq 0 ] || exit 1
	}
fi
if [ -e "$binfmt/status" ] && [ ! -e "$binfmt/$qemu" ]; then
	update-binfmts --enable "$qemu" 2>/dev/null || update-binfmts --import "$qemu"
fi

dir=build-$arch
[ -f "$dir/build.ninja" ] || meson setup "$dir" --cross-file "cross/$arch.ini" >/dev/null
ninja -C "$dir"

[ "$run_tests" -eq 1 ] || exit 0
# qemu's instruction translation makes the slowest tests several times
# slower than natively.
for suite in unit replay e2e fuzz; do
	meson test -C "$dir" --suite "$suite" --print-errorlogs --num-processes 2 \
		--timeout-multiplier 4
done
