# SPDX-License-Identifier: GPL-2.0-or-later
# The live soak: RUNS simulated runs of MINUTES each in a row, REST_S wall
# seconds of rest between them, the foot pod (with heart rate and barometer)
# on hci0 and the 400 Hz left-shoe IMU on hci1 at SPEED times real time,
# recorded by one hamstrided process for the whole soak. Every SAMPLE_S
# wall seconds a line of /out/samples.txt has the daemon's RSS, open fds,
# CPU time and the database's and WAL's sizes. vm_soak.py sets the
# parameters (/files/params.sh) and checks /out.
. /lib.sh
. /files/params.sh
. /live.sh

cp /files/params.sh /out/
live_controllers 1
db=/out/hamstride.db
add_sensors "$db" 1
start_daemon "$db" "gap_s = $GAP_S" "idle_timeout_s = $IDLE_S" "sensor_timeout_s = $SENSOR_TIMEOUT_S"
echo "hamstrided: pid $daemon"

# uptime_s rss_kib fds cpu_ticks db_bytes wal_bytes load1 (ticks: utime +
# stime, USER_HZ 100; load1 the VM's). Appended line by line, so a soak cut
# short keeps its samples.
sample() {
	_rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$daemon/status" 2>/dev/null)
	[ -n "$_rss" ] || return 1
	_fds=$(ls "/proc/$daemon/fd" | wc -l)
	_cpu=$(awk '{ print $14 + $15 }' "/proc/$daemon/stat")
	_db=$(stat -c %s "$db" 2>/dev/null || echo 0)
	_wal=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
	echo "$(cut -d' ' -f1 /proc/uptime) $_rss $_fds $_cpu $_db $_wal $(cut -d' ' -f1 /proc/loadavg)" \
		>>/out/samples.txt
}
echo "# uptime_s rss_kib fds cpu_ticks db_bytes wal_bytes load1" >/out/samples.txt
sampler() {
	while sample; do
		sleep "$SAMPLE_S"
	done
}

# The IMU connects only while the pod is linked (live.sh, placeholder):
# each run starts the pod, waits until the daemon streams from it, then
# starts the IMU. Each sensor is a new process per run, with its own seed.
run_ended() { # N: until the daemon has logged N runs ended
	until [ "$(grep -c '^.*run [0-9]* ended' /out/hamstrided.log)" -ge "$1" ]; do
		sleep 0.5
	done
}
pod_streams() { # N: until the daemon has streamed from the pod more than N times
	until [ "$(streamed "$pod_addr")" -gt "$1" ]; do
		sleep 0.2
	done
}
i=1
while [ "$i" -le "$RUNS" ]; do
	seed=$((SEED + i))
	echo "soak: run $i of $RUNS starts at $(cut -d' ' -f1 /proc/uptime) s (seed $seed)"
	before=$(streamed "$pod_addr")
	sensor hci0 footpod,hrm,baro "$DROP_AT" "hci0-$i" "$seed" &
	pod=$!
	step "pod-streams-$i" 60 pod_streams "$before" || echo "soak: run $i: the daemon did not stream from the pod"
	if [ "$i" = 1 ]; then # from the first run on: the daemon is set up
		sampler &
		sampler=$!
	fi
	sensor hci1 imu-left "$IMU_DROP_AT" "hci1-$i" "$seed" &
	imu=$!
	step "run-$i" "$RUN_LIMIT_S" gone "$pod" || echo "soak: run $i: the foot pod did not finish in time"
	step "run-imu-$i" 30 gone "$imu" || echo "soak: run $i: the IMU did not finish in time"
	kill "$pod" "$imu" 2>/dev/null
	wait "$pod"
	echo "fake-sensor hci0 run $i: status $?"
	wait "$imu"
	echo "fake-sensor hci1 run $i: status $?"
	step "links-end-$i" 30 links_ended "$pod_addr" "$imu_addr" ||
		echo "soak: run $i: hamstrided did not see every link end"
	step "run-ends-$i" 60 run_ended "$i" || echo "soak: run $i: hamstrided did not end the run"
	# Out of the VM's memory before the next run: the IMU's log is large.
	for tag in "hci0-$i" "hci1-$i"; do
		cp "/tmp/sent-$tag.log" /out/ && rm "/tmp/sent-$tag.log"
	done
	i=$((i + 1))
	[ "$i" -gt "$RUNS" ] || sleep "$REST_S"
done

sample
kill "$sampler"
echo "hamstrided counters: $(grep -c . /out/samples.txt) samples"
stop_daemon
tail -n 20 /out/hamstrided.log
hamstride --db "$db" runs
