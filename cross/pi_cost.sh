#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What hamstrided costs on a Raspberry Pi: cross/pi_cost.sh BUILD-AMD64
# BUILD-ARM64 counts the arm64 instructions hamstrided executes to store a
# simulated run (foot pod, barometer, heart-rate strap and two shoe IMUs),
# with QEMU's instruction-counting plugin, and measures its resident memory
# natively.
#
# Debian ships qemu-user with plugin support but not the plugins: insn.c is
# built from Debian's own QEMU source (the same 7.2 as qemu-user), fetched
# from the Debian mirror once into $HAMSTRIDE_CROSS_CACHE.
#
# The count is the slope between a 10- and a 20-minute run, so start-up, the
# schema and the database's creation cancel out: instructions per second of
# running. qemu-user counts the program's own instructions (and the
# libraries'), not the kernel's for its system calls.
set -eu
native=${1:?"usage: cross/pi_cost.sh BUILD-AMD64 BUILD-ARM64"}
arm64=${2:?"usage: cross/pi_cost.sh BUILD-AMD64 BUILD-ARM64"}
cache=${HAMSTRIDE_CROSS_CACHE:-/var/cache/hamstride-cross}
plugin=$cache/libinsn.so

if [ ! -f "$plugin" ]; then
	apt-get install -y -qq --no-install-recommends --no-remove qemu-user libglib2.0-dev >/dev/null
	mkdir -p "$cache"
	tarball=qemu_7.2+dfsg.orig.tar.xz
	[ -f "$cache/$tarball" ] ||
		curl -sSfo "$cache/$tarball" "http://deb.debian.org/debian/pool/main/q/qemu/$tarball"
	tar -xJf "$cache/$tarball" -C "$cache" qemu-7.2.0/tests/plugin/insn.c \
		qemu-7.2.0/include/qemu/qemu-plugin.h
	# shellcheck disable=SC2046 # pkg-config's flags are words
	cc -O2 -shared -fPIC -I"$cache/qemu-7.2.0/include/qemu" $(pkg-config --cflags glib-2.0) \
		"$cache/qemu-7.2.0/tests/plugin/insn.c" -o "$plugin" $(pkg-config --libs glib-2.0)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# instructions MINUTES: arm64 instructions to replay and store one run.
instructions() {
	"$native/tools/hamstride" sim --seed 7 --minutes "$1" --imu --output "$work/$1.btsnoop"
	qemu-aarch64 -plugin "$plugin,inline=on" -d plugin -D "$work/$1.insn" \
		"$arm64/daemon/hamstrided" --replay "$work/$1.btsnoop" --db "$work/$1-arm64.db" \
		--log-level warning
	sed -n 's/^insns: //p' "$work/$1.insn"
}

# rss MINUTES: the largest resident set of the native daemon storing the
# same run, in KiB.
rss() {
	/usr/bin/time -f %M "$native/daemon/hamstrided" --replay "$work/$1.btsnoop" \
		--db "$work/$1-native.db" --log-level warning 2>&1 >/dev/null | tail -1
}

i10=$(instructions 10)
i20=$(instructions 20)
r10=$(rss 10)
r20=$(rss 20)
strides=$(sqlite3 "$work/20-native.db" "select count(*) from strides" 2>/dev/null || echo "?")
awk -v i10="$i10" -v i20="$i20" -v r10="$r10" -v r20="$r20" -v n="$strides" 'BEGIN {
	per_s = (i20 - i10) / 600
	printf "arm64 instructions, 10-min run: %d, 20-min run: %d\n", i10, i20
	printf "arm64 instructions per second of running: %.3g\n", per_s
	printf "strides stored (20-min run, both feet): %s\n", n
	for (ipc = 0.5; ipc <= 1.0; ipc += 0.5)
		printf "share of a 1 GHz Cortex-A53 at IPC %.1f: %.2f %%\n", ipc, 100 * per_s / (ipc * 1e9)
	printf "resident memory (amd64 maxrss), 10-min run: %.1f MiB, 20-min run: %.1f MiB\n",
		r10 / 1024, r20 / 1024
}'
