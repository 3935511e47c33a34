# SPDX-License-Identifier: GPL-2.0-or-later
# The live setup that live_run.sh and soak.sh share (sourced after /lib.sh
# and /files/params.sh, which sets SPEED, MINUTES, DOWN and SEED): fake
# sensors on two emulated controllers, hamstrided on a third.
#
#   hci0  fake-sensor footpod,hrm,baro    hci1  fake-sensor imu-left (400 Hz)
#   hci2  hamstride sensors scan,         hci3  holds a placeholder link to hci1
#         then hamstrided

# The sensors' adapters are powered but do not advertise: fake-sensor does
# that itself, so it can stop and restart it around its dropout.
power() {
	for i in 0 1 2 3; do
		mgmt "$i" power on >/dev/null || return 1
	done
}

# btvirt numbers each controller's links on its own (lowest free handle from
# 42) but tells both ends the central's number, so a link only works when
# both ends pick the same one (btvirt_two_links.sh shows it). hamstrided's
# second link gets 43 on hci2: hci1 must hold 42 already, or its host drops
# the link at once and the daemon waits for an MTU answer that never comes.
# hci3 holds 42 on hci1 with an L2CAP channel of its own (not ATT, so
# fake-sensor never sees it). This works while the daemon connects the pod
# first and connects the IMU only while the pod is linked.
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

# live_controllers IMU: four powered controllers, their addresses in
# /out/addresses.txt (and $pod_addr, $imu_addr), hci1's placeholder link
# when IMU is 1.
live_controllers() {
	step btvirt 15 start_btvirt 4 || fail "btvirt"
	step power 30 power || fail "btmgmt could not power the controllers"
	for i in 0 1 2; do
		mgmt "$i" info | sed -n "s/^[[:space:]]*addr \([0-9A-F:]*\).*/hci$i \1/p"
	done >/out/addresses.txt
	cat /out/addresses.txt
	pod_addr=$(sed -n 's/^hci0 //p' /out/addresses.txt)
	imu_addr=$(sed -n 's/^hci1 //p' /out/addresses.txt)
	if [ "$1" = 1 ]; then
		step placeholder 15 placeholder || fail "no placeholder link from hci3 to hci1"
	fi
}

# sensor ADAPTER PROFILES DROP_AT TAG [SEED]: one fake sensor's run, its
# output in /out/fake-sensor-TAG.log. The sent log stays in the VM's memory
# (/tmp/sent-TAG.log) until the caller copies it: a line written through to
# the 9p share for each notification would slow the sensors down.
sensor() {
	fake-sensor --adapter "$1" --profile "$2" --speed "$SPEED" \
		--minutes "$MINUTES" --drop-at "$3" --down "$DOWN" \
		--seed "${5:-$SEED}" --sent-log "/tmp/sent-$4.log" >"/out/fake-sensor-$4.log" 2>&1
}

# advertising TAG...: until each sensor says it advertises.
advertising() {
	for tag; do
		until grep -q "advertising on" "/out/fake-sensor-$tag.log" 2>/dev/null; do
			sleep 0.2
		done
	done
}

# add_sensors DB IMU: the foot pod, and the IMU when IMU is 1.
add_sensors() {
	step add-footpod 10 hamstride --db "$1" sensors add "$pod_addr" --role footpod \
		--name "fake pod" || fail "sensors add (foot pod)"
	if [ "$2" = 1 ]; then
		step add-imu 10 hamstride --db "$1" sensors add "$imu_addr" --role imu-left \
			--name "fake imu" || fail "sensors add (imu-left)"
	fi
	hamstride --db "$1" sensors list
}

# start_daemon DB [CONFIG LINES...]: hamstrided on hci2, its pid in
# $daemon, its log in /out/hamstrided.log; the lines go into [session].
start_daemon() {
	_db=$1
	shift
	{
		printf '[daemon]\nlog_level = info\n[session]\n'
		printf '%s\n' "$@"
	} >/tmp/hamstrided.conf
	hamstrided -c /tmp/hamstrided.conf --adapter hci2 --db "$_db" >/out/hamstrided.log 2>&1 &
	daemon=$!
}

# (step runs a function in a subshell, which can only poll, not wait.)
gone() {
	for pid; do
		while kill -0 "$pid" 2>/dev/null; do
			sleep 0.5
		done
	done
}

# A sensor's last notifications can still be on their way when it exits
# (btvirt relays every packet through a user-space process, slow on a
# loaded machine). The link's end reaches the daemon after its data, so
# wait until the daemon has logged each sensor's link lost since its last
# "streaming" (already logged: no wait).
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

# streamed ADDRESS: how many times the daemon has said it streams from it.
streamed() {
	awk -v a="sensor $1 " 'index($0, a) && /: streaming/ { n++ } END { print n + 0 }' \
		/out/hamstrided.log
}

# stop_daemon: SIGTERM closes the open run.
stop_daemon() {
	kill -TERM "$daemon"
	step stop-daemon 20 gone "$daemon" || fail "hamstrided did not stop on SIGTERM"
	wait "$daemon"
	echo "hamstrided: status $?"
}
