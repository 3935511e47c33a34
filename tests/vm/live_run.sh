# SPDX-License-Identifier: GPL-2.0-or-later
# A run on the real kernel stack: fake sensors on two emulated controllers,
# hamstride finds them with `sensors scan`, adds them, and hamstrided on a
# third controller records the run while the sensors drop out and come back.
# vm_live_run.py sets the parameters (/files/params.sh) and checks /out;
# live.sh holds the setup (controllers, sensors, daemon) soak.sh shares.
. /lib.sh
. /files/params.sh
. /live.sh

live_controllers "$IMU"

sensor hci0 footpod,hrm,baro "$DROP_AT" hci0 &
pod=$!
sensor hci1 imu-left "$IMU_DROP_AT" hci1 &
imu=$!
step sensors-advertise 20 advertising hci0 hci1 || fail "the fake sensors did not start advertising"

# Enabling a scan on an emulated controller reports every advertiser once.
step scan 20 hamstride sensors scan --adapter hci2 --seconds 3 >/out/scan.txt 2>&1
cat /out/scan.txt

db=/out/hamstride.db
add_sensors "$db" "$IMU"
[ "$IMU" = 1 ] || kill "$imu"

if [ "$LIVE" != 1 ]; then
	echo "live: hamstrided has no live source here, the run is not recorded"
	exit 0
fi

start_daemon "$db" "gap_s = $GAP_S"

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

ended=$pod_addr
[ "$IMU" != 1 ] || ended="$ended $imu_addr"
# shellcheck disable=SC2086 # one word per address
step links-end 20 links_ended $ended || echo "live: hamstrided did not see every link end"

stop_daemon
tail -n 30 /out/hamstrided.log
hamstride --db "$db" run show last
