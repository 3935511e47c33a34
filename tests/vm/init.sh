#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the test VM: mount what programs expect, load the Bluetooth
# modules in the order BLE-TESTING.md gives, mount the host's results
# folder at /out, run /scenario.sh under a time limit, keep the kernel log
# and power off. Its status is in /out/scenario.rc, its output in
# /out/scenario.log.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp TMPDIR=/tmp
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /var && ln -s /tmp /var/tmp

timeout=200
for arg in $(cat /proc/cmdline); do
	case $arg in hamstride.timeout=*) timeout=${arg#*=} ;; esac
done

stop() {
	dmesg >/out/kernel.log 2>/dev/null
	sync
	umount /out 2>/dev/null
	reboot -f
}

while read -r ko; do
	insmod "/modules/$ko" || echo "init: insmod $ko failed"
done </modules/order

if ! mount -t 9p -o trans=virtio,version=9p2000.L,cache=mmap,msize=262144 out /out; then
	echo "init: cannot mount the results folder"
	dmesg | tail -40
	reboot -f
fi

echo "init: up after $(cut -d' ' -f1 /proc/uptime) s, scenario limit ${timeout} s"
cd /tmp
# To a file, not through a pipe: the scenario's background programs would
# hold a pipe open after it ends.
timeout "$timeout" sh /scenario.sh >/out/scenario.log 2>&1
rc=$?
[ "$rc" -eq 143 ] && echo "init: the scenario ran past ${timeout} s" >>/out/scenario.log
# What the scenario left running goes before the log is read.
kill -TERM -1 2>/dev/null
sleep 1
kill -KILL -1 2>/dev/null
echo "$rc" >/out/scenario.rc
cat /out/scenario.log
stop
