#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job: build hamstride, run the daemon on a built-in simulated
# training block (replayed as fast as the machine allows) and print the
# last run's summary and the weekly report.
#
#   tools/demo.sh [DATABASE]    (default: build/demo.db, made afresh)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

tools/deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build tools/hamstride daemon/hamstrided

db=${1:-build/demo.db}
rm -f "$db" "$db-wal" "$db-shm"
echo "== hamstrided --simulate: six weeks of training, four runs a week"
build/daemon/hamstrided --simulate --weeks 6 --runs-per-week 4 --seed 2026 \
	--db "$db" --capture-dir build/demo-captures --log-level notice
echo
echo "== hamstride run show last"
build/tools/hamstride --db "$db" run show last
echo
echo "== hamstride report"
build/tools/hamstride --db "$db" report
