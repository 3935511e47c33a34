# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for scenarios run inside the test VM (sourced by /scenario.sh).

now_cs() { # uptime in hundredths of a second
	tr -d . </proc/uptime | cut -d' ' -f1
}

# step NAME SECONDS COMMAND...: runs COMMAND (a program or a shell function)
# with a time limit and prints its wall time; the status is COMMAND's (143
# when the limit ran out). COMMAND runs in the background, so a function
# cannot set the caller's variables.
step() {
	_name=$1 _limit=$2
	shift 2
	_t0=$(now_cs)
	"$@" &
	_pid=$!
	(
		_n=0
		while [ "$_n" -lt "$_limit" ] && kill -0 "$_pid" 2>/dev/null; do
			sleep 1
			_n=$((_n + 1))
		done
		kill "$_pid" 2>/dev/null
	) &
	_watch=$!
	wait "$_pid"
	_rc=$?
	kill "$_watch" 2>/dev/null
	_t1=$(now_cs)
	_dt=$((_t1 - _t0))
	printf 'step %s: %d.%02d s, status %d\n' "$_name" $((_dt / 100)) $((_dt % 100)) "$_rc"
	[ "$_rc" -ne 143 ] || echo "step $_name: no end within $_limit s"
	return "$_rc"
}

fail() {
	echo "FAIL: $*"
	exit 1
}

# btmgmt quits as soon as its standard input is at end of file, before the
# controller has answered: each call reads a FIFO that a sleeper holds open.
mgmt() {
	_index=$1
	shift
	[ -p /tmp/mgmt.fifo ] || {
		mkfifo /tmp/mgmt.fifo
		sleep 100000 >/tmp/mgmt.fifo &
	}
	timeout 10 btmgmt --index "$_index" "$@" </tmp/mgmt.fifo
}

# start_btvirt N: N LE-only virtual controllers, hci0..hciN-1, powered off.
start_btvirt() {
	btvirt -L -l"$1" >/tmp/btvirt.log 2>&1 &
	_i=0
	while [ ! -e "/sys/class/bluetooth/hci$(($1 - 1))" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || fail "btvirt made no hci$(($1 - 1)) in 10 s: $(cat /tmp/btvirt.log)"
		sleep 0.1
	done
}

# address N: hciN's public address.
address() {
	cat "/sys/kernel/debug/bluetooth/hci$1/identity" 2>/dev/null | cut -d' ' -f1 ||
		btmgmt --index "$1" info </tmp/mgmt.fifo | sed -n 's/.*addr \([0-9A-F:]*\).*/\1/p'
}
