# SPDX-License-Identifier: GPL-2.0-or-later
# A run on the real kernel stack: fake sensors on two emulated controllers,
# hamstride finds them with `sensors scan`, adds them, and hamstrided on a
# third controller records the run while the sensors drop out and come back.
# vm_live_run.py sets the parameters (/files/params.sh) and checks /out.
#
#   hci0  fake-sensor footpod,hrm,baro    hci1  fake-sensor imu-left (400 Hz),
#   hci2  hamstride sensors scan,               added when IMU=1
#         then hamstrided                 hci3  holds a placeholder link to hci1
. /lib.sh
. /files/params.sh

step btvirt 15 start_btvirt 4 || fail "btvirt"
# The sensors' adapters are powered but do not advertise: fake-sensor does
# that itself, so it can stop and restart it around its dropout.
power() {
	for i in 0 1 2 3; do
		mgmt "$i" power on >/dev/null || return 1
	done
}
step power 30 power || fail "btmgmt could not power the controllers"

# btvirt numbers each controller's links on its own (lowest free handle from
# 42) but tells both ends the central's number, so a link only works when
# both ends pick the same one (btvirt_two_links.sh shows it). hamstrided's
# second link gets 43 on hci2: hci1 must hold 42 already, or its host drops
# the link at once and the daemon waits for an MTU answer that never comes.
# hci3 holds 42 on hci1 with an L2CAP channel of its own (not ATT, so
# fake-sensor never sees it). This works while the daemon connects the pod
# first and reconnects the IMU only while the pod is linked: the pod is
# added first, and the sensors drop out at different times.
placeholder() {
	l2test -r -V le_public -P 128 -i hci1 >/tmp/placeholder-hci1.log 2>&1 &
	mgmt 1 connectable on >/dev/null && mgmt 1 advertising on >/dev/null || return 1
	l2test -n -V le_public -P 128 -i hci3 "$(sed -n 's/^hci1 //p' /out/addresses.txt)" \
		>/tmp/placeholder-hci3.log 2>&1 &
	until grep -q "Connected to" /tmp/placeholder-hci1.log; do
		sleep 0.2
	done
	mgmt 1 advertising off >/dev/null
}
for i in 0 1 2; do
	mgmt "$i" info | sed -n "s/^[[:space:]]*addr \([0-9A-F:]*\).*/hci$i \1/p"
done >/out/addresses.txt
cat /out/addresses.txt
if [ "$IMU" = 1 ]; then
	step placeholder 15 placeholder || fail "no placeholder link from hci3 to hci1"
fi

# The sent logs stay in the VM's memory until the end: a line written
# through to the 9p share for each notification would slow the sensors down.
sensor() { # ADAPTER PROFILES DROP_AT
	fake-sensor --adapter "$1" --profile "$2" --speed "$SPEED" \
		--minutes "$MINUTES" --drop-at "$3" --down "$DOWN" \
		--seed "$SEED" --sent-log "/tmp/sent-$1.log" >"/out/fake-sensor-$1.log" 2>&1
}
sensor hci0 footpod,hrm,baro "$DROP_AT" &
pod=$!
sensor hci1 imu-left "$IMU_DROP_AT" &
imu=$!

advertising() { # wait until both sensors say they advertise
	until grep -q "advertising on" /out/fake-sensor-hci0.log 2>/dev/null &&
		grep -q "advertising on" /out/fake-sensor-hci1.log 2>/dev/null; do
		sleep 0.2
	done
}
step sensors-advertise 20 advertising || fail "the fake sensors did not start advertising"

# Enabling a scan on an emulated controller reports every advertiser once.
step scan 20 hamstride sensors scan --adapter hci2 --seconds 3 >/out/scan.txt 2>&1
cat /out/scan.txt

db=/out/hamstride.db
pod_addr=$(sed -n 's/^hci0 //p' /out/addresses.txt)
imu_addr=$(sed -n 's/^hci1 //p' /out/addresses.txt)
step add-footpod 10 hamstride --db "$db" sensors add "$pod_addr" --role footpod --name "fake pod" ||
	fail "sensors add (foot pod)"
if [ "$IMU" = 1 ]; then
	step add-imu 10 hamstride --db "$db" sensors add "$imu_addr" --role imu-left --name "fake imu" ||
		fail "sensors add (imu-left)"
else
	kill "$imu"
fi
hamstride --db "$db" sensors list

if [ "$LIVE" != 1 ]; then
	echo "live: hamstrided has no live source here, the run is not recorded"
	exit 0
fi

cat >/tmp/hamstrided.conf <<EOF
[daemon]
log_level = info
[session]
gap_s = $GAP_S
EOF
hamstrided -c /tmp/hamstrided.conf --adapter hci2 --db "$db" >/out/hamstrided.log 2>&1 &
daemon=$!

# (step runs a function in a subshell, which can only poll, not wait.)
gone() {
	for pid; do
		while kill -0 "$pid" 2>/dev/null; do
			sleep 0.5
		done
	done
}
# The sensors end by themselves when their run is over (the IMU's run time
# starts when the daemon subscribes, so it may lag the pod's a little).
step run "$RUN_LIMIT_S" gone "$pod" || echo "live: the foot pod did not finish in time"
[ "$IMU" != 1 ] || step run-imu 15 gone "$imu" || echo "live: the IMU did not finish in time"
kill "$pod" "$imu" 2>/dev/null
wait "$pod"
echo "fake-sensor hci0: status $?"
wait "$imu"
echo "fake-sensor hci1: status $?"
cp /tmp/sent-hci0.log /tmp/sent-hci1.log /out/ 2>/dev/null

# A sensor's last notifications can still be on their way when it exits
# (btvirt relays every packet through a user-space process, slow on a
# loaded machine). The link's end reaches the daemon after its data, so
# wait until the daemon has logged each sensor's link lost since its last
# "streaming" before stopping it (already logged: no wait).
link_ended() { # ADDRESS
	awk -v a="sensor $1 " 'index($0, a) && /: streaming|: link lost/ { last = $0 }
		END { exit !(last ~ /: link lost/) }' /out/hamstrided.log
}
links_ended() { # ADDRESS...
	for a; do
		until link_ended "$a"; do
			sleep 0.5
		done
	done
}
ended=$(sed -n 's/^hci0 //p' /out/addresses.txt)
[ "$IMU" != 1 ] || ended="$ended $(sed -n 's/^hci1 //p' /out/addresses.txt)"
# shellcheck disable=SC2086 # one word per address
step links-end 20 links_ended $ended || echo "live: hamstrided did not see every link end"

# SIGTERM closes the open run.
kill -TERM "$daemon"
step stop-daemon 20 gone "$daemon" || fail "hamstrided did not stop on SIGTERM"
wait "$daemon"
echo "hamstrided: status $?"
tail -n 30 /out/hamstrided.log
hamstride --db "$db" run show last
