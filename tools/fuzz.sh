#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzing campaigns: builds the fuzz targets (tests/fuzz/) with clang,
# libFuzzer, AddressSanitizer and UBSan in build-fuzz/, then runs each
# target for the time given, one at a time and at low priority (the
# machine is shared), and prints per target: executions, executions a
# second, new corpus entries, crashes and the CPU seconds it took.
#
#   tools/fuzz.sh [MINUTES|SECONDSs] [TARGET...]   (default: 1 minute, every target)
#   tools/fuzz.sh 10s rsc hrm                      (10 seconds each)
#
# Each target starts from its seeds (tests/fuzz/corpus/TARGET, read only)
# and what earlier campaigns found (build-fuzz/fuzz/TARGET/corpus, where new
# entries go). An input that crashes or breaks an invariant is saved in
# build-fuzz/fuzz/TARGET/crashes/; replay it with
#   build-fuzz/tests/fuzz/fuzz_TARGET FILE
# and, once fixed, keep it in tests/fuzz/corpus/TARGET/ as a regression
# input. Exits 1 if any target crashed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

span=${1:-1}
[ $# -eq 0 ] || shift
case $span in
*s) seconds=${span%s} ;;
*) seconds=$(awk -v m="$span" 'BEGIN { printf "%d", m * 60 }') ;;
esac
case $seconds in
'' | *[!0-9]* | 0)
	echo "usage: tools/fuzz.sh [MINUTES|SECONDSs] [TARGET...]" >&2
	exit 64
	;;
esac

targets="$*"
if [ -z "$targets" ]; then
	for f in tests/fuzz/fuzz_*.c; do
		t=${f#tests/fuzz/fuzz_}
		t=${t%.c}
		[ "$t" = replay ] || targets="$targets $t"
	done
fi
for t in $targets; do
	[ -f "tests/fuzz/fuzz_$t.c" ] || {
		echo "tools/fuzz.sh: no target '$t' (tests/fuzz/fuzz_$t.c)" >&2
		exit 64
	}
done

tools/deps.sh
tools/deps.sh --fuzz

build=build-fuzz
# Everything instrumented for coverage, so libFuzzer sees inside the
# libraries too; UBSan findings abort rather than print and go on.
[ -f $build/build.ninja ] ||
	CC=clang nice -n 10 meson setup $build -Dlibfuzzer=true \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" >/dev/null
exes=""
for t in $targets; do exes="$exes tests/fuzz/fuzz_$t"; done
# shellcheck disable=SC2086 # a list of ninja targets
nice -n 10 ninja -C $build -j2 $exes >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }
# cpu_now: CPU seconds the finished children have used so far (the
# shell's own 'times', which a command substitution would reset).
mkdir -p $build/fuzz
cpu_mark() {
	times >$build/fuzz/.times
	cpu_now=$(awk 'END { split($1, u, "m"); split($2, s, "m"); printf "%.1f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' $build/fuzz/.times)
}

printf '%-14s %12s %9s %6s %8s %6s\n' target executions exec/s new crashes cpu_s
total=0
crashed=0
cpu_mark
cpu_start=$cpu_now
for t in $targets; do
	work=$build/fuzz/$t
	mkdir -p "$work/corpus" "$work/crashes"
	log=$work/last.log
	before=$(find "$work/crashes" -type f | wc -l)
	cpu_mark
	cpu_before=$cpu_now
	# -timeout: an input slower than 10 s is a hang; -rss_limit_mb: a
	# parser must not need more than 1 GiB for any input.
	nice -n 10 "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" \
		-print_final_stats=1 -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
		-artifact_prefix="$work/crashes/" "$work/corpus" "tests/fuzz/corpus/$t" \
		>"$log" 2>&1 || true
	after=$(find "$work/crashes" -type f | wc -l)
	cpu_mark
	cpu=$(awk -v a="$cpu_now" -v b="$cpu_before" 'BEGIN { printf "%.1f", a - b }')
	runs=$(stat_of number_of_executed_units "$log")
	rate=$(stat_of average_exec_per_sec "$log")
	new=$(stat_of new_units_added "$log")
	found=$((after - before))
	printf '%-14s %12s %9s %6s %8s %6s\n' "$t" "${runs:-?}" "${rate:-?}" "${new:-?}" "$found" "$cpu"
	[ -z "$runs" ] || total=$((total + runs))
	if [ "$found" -gt 0 ] || [ -z "$runs" ]; then
		crashed=1
		grep -m 3 -E "ERROR|runtime error|invariant broken|SUMMARY" "$log" | sed 's/^/    /' || true
		echo "    log: $log; inputs: $work/crashes/"
	fi
done
cpu_mark
printf '%-14s %12s %33s\n' total "$total" "$(awk -v a="$cpu_now" -v b="$cpu_start" 'BEGIN { printf "%.1f", a - b }')"
exit "$crashed"
