#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package installed the way a user installs it, into a scratch
# Debian bookworm (debootstrap --variant=minbase, made once and kept as a
# tarball in $HAMSTRIDE_CROSS_CACHE): tests/deb/install_test.sh DEB
# apt installs it with its dependencies; the service user, the state
# folder (owner and mode after install, and the unit's settings for it,
# which systemd applies at each start), the conffile and the enabled unit
# are checked; `hamstride --help` runs, hamstrided --simulate stores a run
# where the unit would (as the service user, with the packaged config) and
# hamstride reads it; remove leaves the conffile, purge the runner's runs
# and nothing else.
# Needs root and the network (Debian's mirror).
set -eu
deb=$(realpath "${1:?usage: tests/deb/install_test.sh hamstride_VERSION_ARCH.deb}")
cache=${HAMSTRIDE_CROSS_CACHE:-/var/cache/hamstride-cross}
mirror=${HAMSTRIDE_MIRROR:-http://deb.debian.org/debian}
base=$cache/bookworm-minbase.tar

failures=0
check() {
	what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what" >&2
		failures=$((failures + 1))
	fi
}

if [ ! -f "$base" ]; then
	mkdir -p "$cache"
	rm -rf "$cache/minbase.tmp"
	echo "== debootstrap --variant=minbase bookworm (once)"
	debootstrap --variant=minbase bookworm "$cache/minbase.tmp" "$mirror" >/dev/null
	tar -C "$cache/minbase.tmp" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$cache/minbase.tmp"
fi

root=$(mktemp -d /var/tmp/hamstride-root.XXXXXX)
cleanup() {
	umount "$root/proc" 2>/dev/null || true
	rm -rf "$root"
}
trap cleanup EXIT
tar -xf "$base" -C "$root"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

echo "== apt install ./$(basename "$deb")"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"/tmp/$(basename "$deb")" >"$root/tmp/install.log" 2>&1 || {
	cat "$root/tmp/install.log" >&2
	exit 1
}

check "the hamstride user exists" in_root sh -c 'id hamstride >/dev/null'
# The mode the package makes is the unit's StateDirectoryMode=, which
# systemd applies again at each start: 0750, the group's read for the
# runner's own login.
state_dir_is() { test "$(in_root stat -c '%U:%G %a' /var/lib/hamstride)" = "$1"; }
unit=$root/lib/systemd/system/hamstrided.service
check "/var/lib/hamstride is hamstride:hamstride, mode 0750, after install" \
	state_dir_is "hamstride:hamstride 750"
check "the unit asks systemd for the same owner and mode" \
	test "$(grep -E '^(User|Group|StateDirectory|StateDirectoryMode)=' "$unit" | tr '\n' ' ')" = \
	"User=hamstride Group=hamstride StateDirectory=hamstride StateDirectoryMode=0750 "
check "the config is a conffile" \
	in_root sh -c 'dpkg-query -W -f="\${Conffiles}" hamstride | grep -q /etc/hamstride/hamstrided.conf'
check "the unit is installed and enabled" \
	test -L "$root/etc/systemd/system/multi-user.target.wants/hamstrided.service"
check "the unit starts only with Bluetooth" \
	grep -q '^ConditionPathIsDirectory=/sys/class/bluetooth' "$root/lib/systemd/system/hamstrided.service"
check "hamstride --help" in_root sh -c 'hamstride --help >/dev/null'
check "hamstrided --help" in_root sh -c 'hamstrided --help >/dev/null'

# What the unit runs, as the unit runs it: the service user, the packaged
# config, the database in the state folder.
db=/var/lib/hamstride/hamstride.db
check "hamstrided --simulate stores a run in $db" \
	in_root runuser -u hamstride -- env HAMSTRIDE_DB=$db \
	hamstrided --config /etc/hamstride/hamstrided.conf --simulate --weeks 0 --minutes 3 \
	--log-level warning
check "hamstride runs reads it" \
	in_root sh -c "hamstride --db $db runs | grep -q '^ *1  2026-'"
in_root hamstride --db $db runs

# systemd applies StateDirectoryMode= again at each start of the unit; a
# scratch root without systemd as PID 1 cannot start it, so the check of the
# unit's own settings against the package's above stands in for a start.

echo "== apt remove"
in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq hamstride >/dev/null 2>&1
check "the programs are gone" test ! -e "$root/usr/bin/hamstride" -a ! -e "$root/usr/sbin/hamstrided"
check "the conffile stays after remove" test -f "$root/etc/hamstride/hamstrided.conf"
echo "== apt purge"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq hamstride >"$root/tmp/purge.log" 2>&1
cat "$root/tmp/purge.log"
check "purge removes the config" test ! -e "$root/etc/hamstride/hamstrided.conf"
check "purge keeps the runner's runs" test -f "$root$db"
check "purge says where they are" grep -q 'kept in /var/lib/hamstride' "$root/tmp/purge.log"
check "the unit is gone and no longer enabled" \
	test ! -e "$root/lib/systemd/system/hamstrided.service" -a \
	! -e "$root/etc/systemd/system/multi-user.target.wants/hamstrided.service"
check "dpkg knows nothing of hamstride" \
	in_root sh -c '! dpkg-query -W -f="\${Status}" hamstride 2>/dev/null | grep -q .'

[ "$failures" -eq 0 ] || {
	echo "install test: $failures failed" >&2
	exit 1
}
echo "install test: all checks passed"
