#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A simulated training block: every run found, each within tolerance of
its truth, the weekly report adding up, and the long-run jumps that the
simulator planted flagged as load warnings."""
import os
import sys

from hamstride_test import (CLI, DAEMON, check, check_close, export_csv, finish,
                            read_truth, run, tempdir)


def main():
    with tempdir() as tmp:
        capture = os.path.join(tmp, 'block.btsnoop')
        truth_path = os.path.join(tmp, 'block.ini')
        db = os.path.join(tmp, 'block.db')
        run([CLI, 'sim', '--seed', '11', '--weeks', '6', '--runs-per-week', '4',
             '--start', '2026-09-07T06:30Z', '--output', capture, '--truth', truth_path])
        truth = read_truth(truth_path)
        run([DAEMON, '--replay', capture, '--db', db, '--log-level', 'warning'])
        runs = export_csv(db, 'runs')
        check(len(runs) == len(truth), '%d runs stored, %d simulated' % (len(runs), len(truth)))
        for r, t in zip(runs, truth):
            check_close('run %s duration_s' % r['run_id'], float(r['duration_s']),
                        float(t['duration_s']), 1.0)
            pod = float(t['footpod_distance_m'])
            check_close('run %s distance_m' % r['run_id'], float(r['distance_m']), pod, 0.005 * pod)

        # Load warnings: recompute the rule from the truth and compare.
        starts = [int(t['start_us']) for t in truth]
        dists = [float(t['footpod_distance_m']) for t in truth]
        expected = 0
        for i, (s, d) in enumerate(zip(starts, dists)):
            prior = [dists[j] for j in range(i) if s - starts[j] <= 30 * 86400 * 10**6]
            if prior and d > 1.10 * max(prior):
                expected += 1
        report = run([CLI, '--db', db, 'report', '--weeks', '8', '--to', '2026-10-26']).stdout
        print(report)
        check('Load warnings' in report, 'report has a load warnings section')
        flagged = sum(1 for line in report.splitlines() if line.strip().startswith('20') and '%' in line)
        check(expected > 0, 'the simulated block has long-run jumps to flag')
        check(flagged == expected, 'report flags %d runs, the rule on the truth gives %d'
              % (flagged, expected))
    finish('e2e_block')


if __name__ == '__main__':
    sys.exit(main())
