# SPDX-License-Identifier: GPL-2.0-or-later
# Sanity of the VM's Bluetooth stack: BlueZ's own L2CAP tests, then two
# btvirt controllers powered and advertising through the management API,
# and hamstride's programs start (their libraries are all there).
. /lib.sh

for prog in hamstrided hamstride; do
	"$prog" --version || fail "$prog does not start in the VM"
done

echo Y >/sys/module/bluetooth/parameters/enable_ecred
step l2cap-tester 60 l2cap-tester -q >/tmp/l2cap.log 2>&1
rc=$?
tail -n 12 /tmp/l2cap.log
[ "$rc" -eq 0 ] || fail "l2cap-tester failed"
grep -q "Failed: *0" /tmp/l2cap.log || fail "l2cap-tester reports failures"

step btvirt 15 start_btvirt 2 || fail "btvirt"
power() {
	mgmt 0 connectable on && mgmt 0 power on && mgmt 0 advertising on &&
		mgmt 1 power on
}
step mgmt-power 20 power ||
	fail "btmgmt could not power the controllers"
mgmt 0 info
mgmt 1 info
for i in 0 1; do
	mgmt "$i" info | grep -q "current settings:.*powered" || fail "hci$i is not powered"
done
echo "sanity: passed"
