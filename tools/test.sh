#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite: unit, replay, end-to-end, fuzz-corpus, the kill soak, the
# Bluetooth VM (tests/vm/) and benchmark smoke runs in a normal build; unit,
# replay and fuzz again under AddressSanitizer+UBSan and under valgrind;
# clang-format and clang-tidy over the tree (tools/lint.sh).
# The accuracy suite runs too (it skips itself when the real recordings are
# absent).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

tools/deps.sh
tools/deps.sh --vm

run_suites() {
	dir=$1
	shift
	for suite in "$@"; do
		meson test -C "$dir" --suite "$suite" --print-errorlogs --num-processes 2
	done
}

echo "== build"
[ -f build-test/build.ninja ] || meson setup build-test >/dev/null
ninja -C build-test
run_suites build-test unit replay e2e fuzz

# 200 SIGKILLs of the daemon mid-replay, each followed by a restart.
echo "== soak: the daemon killed and restarted"
run_suites build-test soak

# Boots a VM with Debian's kernel: one at a time, they use both cores.
echo "== the real Bluetooth stack in a VM"
meson test -C build-test --suite vm --print-errorlogs --num-processes 1

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
[ -f build-asan/build.ninja ] ||
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
ninja -C build-asan
# fontconfig keeps its caches for the life of the process (the PDF
# report's fonts): not a leak of ours, and not safely freed at exit.
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	LSAN_OPTIONS=suppressions=$top/tests/lsan.supp \
	run_suites build-asan unit replay e2e fuzz

echo "== valgrind"
meson test -C build-test --setup valgrind --suite unit --print-errorlogs --num-processes 2

# House style and static checks (.clang-format, .clang-tidy).
echo "== lint"
tools/lint.sh build-test

echo "== benchmarks (figures, not pass/fail)"
meson test -C build-test --suite bench --verbose 2>&1 | grep -E "notifications/s|RSS|samples/s|records/s|median|share|OK|FAIL"

# The foot-INS accuracy report: figures against the simulator and the real
# recordings. It exits 1 while a target is still missed, which is reported
# here, not hidden; a crash or a sanitizer error still fails.
echo "== accuracy report"
set +e
HAMSTRIDE_REAL_DATA=${HAMSTRIDE_REAL_DATA:-$top/../shared/data/real} \
	build-test/tests/accuracy/accuracy
rc=$?
set -e
[ "$rc" -ne 77 ] || { echo "accuracy: real recordings not found, skipped"; rc=0; }
[ "$rc" -le 1 ] || exit "$rc"
[ "$rc" -eq 0 ] || echo "accuracy: some targets are not met yet (see the table above)"

# The terrain's accuracy: grade, climb, segment classes and GAP against the
# simulator's named courses through the whole pipeline, seed 1 only (about
# 15 s of CPU; tests/accuracy/terrain_accuracy.c, --seeds N for a sweep).
# Exit 1 while a target is missed, reported here like the INS's.
echo "== terrain accuracy report"
set +e
build-test/tests/accuracy/terrain_accuracy
rc=$?
set -e
[ "$rc" -le 1 ] || exit "$rc"
[ "$rc" -eq 0 ] || echo "terrain accuracy: some targets are not met yet (see the table above)"
