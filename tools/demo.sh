#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job: build hamstride, run the daemon on a built-in simulated
# training block (replayed as fast as the machine allows, with shoe IMUs on
# the last run only: they are most of the time) and print the last run's
# summary, the end of its strides, the weekly report and the
# physiotherapist's report as a PDF.
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
echo "== hamstrided --simulate: six weeks of training, four runs a week, shoe IMUs on the last"
build/daemon/hamstrided --simulate --weeks 6 --runs-per-week 4 --seed 2026 --imu-last-runs 1 \
	--db "$db" --capture-dir build/demo-captures --log-level notice
echo
echo "== hamstride run show last"
build/tools/hamstride --db "$db" run show last
echo
echo "== hamstride strides last (the last strides and the summary)"
build/tools/hamstride --db "$db" strides last | sed -n '1p'
build/tools/hamstride --db "$db" strides last | tail -n 4
echo
echo "== hamstride report"
build/tools/hamstride --db "$db" report
echo
echo "== hamstride pain add (what the runner reported after the block's last runs)"
for entry in 19:2:4 20:1:2 21:3:4 22:2:5 23:1:3; do
	IFS=: read -r run during after <<-EOF
		$entry
	EOF
	build/tools/hamstride --db "$db" pain add "$run" --side left --during "$during" \
		--after "$after" --next-morning 2 --where "high, near the sit bone" >/dev/null
done
build/tools/hamstride --db "$db" pain add last --side left --during 3 --after 5 \
	--next-morning 3 --from 0:40:00 --to 0:55:00 --where "high, near the sit bone"
echo
echo "== hamstride patterns"
build/tools/hamstride --db "$db" patterns
echo
echo "== hamstride report --pdf (the physiotherapist's report)"
build/tools/hamstride --db "$db" report --pdf build/demo-report.pdf --weeks 8
echo "the report: $top/build/demo-report.pdf"
