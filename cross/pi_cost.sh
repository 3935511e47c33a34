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
# The count is the slope between two runs (3 and 6 minutes unless
# HAMSTRIDE_COST_MINUTES_A and _B say otherwise), so start-up, the
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
	"$native/tools/hamstride" sim --seed 7 --minutes "$1" --imu --output "$work/$1.btsnoop" >/dev/null
	qemu-aarch64 -plugin "$plugin,inline=on" -d plugin -D "$work/$1.insn" \
		"$arm64/daemon/hamstrided" --replay "$work/$1.btsnoop" --db "$work/$1-arm64.db" \
		--log-level warning >/dev/null
	sed -n 's/^insns: //p' "$work/$1.insn"
}

# rss MINUTES: the largest resident set of the native daemon storing the
# same run, in KiB.
rss() {
	/usr/bin/time -f %M "$native/daemon/hamstrided" --replay "$work/$1.btsnoop" \
		--db "$work/$1-native.db" --log-level warning 2>&1 >/dev/null | tail -1
}

a=${HAMSTRIDE_COST_MINUTES_A:-3}
b=${HAMSTRIDE_COST_MINUTES_B:-6}
ia=$(instructions "$a")
ib=$(instructions "$b")
ra=$(rss "$a")
rb=$(rss "$b")
strides=$(sqlite3 "$work/$b-native.db" "select count(*) from strides" 2>/dev/null || echo "?")
awk -v a="$a" -v b="$b" -v ia="$ia" -v ib="$ib" -v ra="$ra" -v rb="$rb" -v n="$strides" 'BEGIN {
	per_s = (ib - ia) / ((b - a) * 60)
	printf "arm64 instructions, %d-min run: %.0f, %d-min run: %.0f\n", a, ia, b, ib
	printf "arm64 instructions per second of running: %.3g\n", per_s
	printf "strides stored (%d-min run, both feet): %s\n", b, n
	for (ipc = 0.5; ipc <= 1.0; ipc += 0.5)
		printf "share of a 1 GHz Cortex-A53 at IPC %.1f: %.2f %%\n", ipc, 100 * per_s / (ipc * 1e9)
	printf "resident memory (amd64 maxrss), %d-min run: %.1f MiB, %d-min run: %.1f MiB\n", a,
		ra / 1024, b, rb / 1024
}'
