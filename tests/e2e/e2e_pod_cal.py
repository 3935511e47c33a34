#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A foot pod calibrated by the shoe IMUs: the simulator's pod reads with a
known scale error; one run with pod and IMUs calibrates it, and a later run
of the same pod without IMUs is then within 1 % of the true distance, its
raw reading kept beside it."""
import os
import sqlite3
import sys

from hamstride_test import CLI, check, check_close, finish, read_truth, run, tempdir

# (seed, pod error in percent): one pod reading long, one short.
CASES = [(7, 3.0), (11, -2.5)]


def calibrate_then_use(tmp, seed, pod_error):
    db = os.path.join(tmp, 'pod%d.db' % seed)
    cal, use = os.path.join(tmp, 'cal.btsnoop'), os.path.join(tmp, 'use.btsnoop')
    run([CLI, 'sim', '--seed', str(seed), '--minutes', '12', '--imu', '--pod-error',
         str(pod_error), '--start', '2026-11-02T07:00:00Z', '--output', cal,
         '--truth', cal + '.ini'])
    run([CLI, 'sim', '--seed', str(seed), '--minutes', '25', '--pod-error', str(pod_error),
         '--start', '2026-11-05T07:00:00Z', '--output', use, '--truth', use + '.ini'])
    cal_truth, use_truth = read_truth(cal + '.ini')[0], read_truth(use + '.ini')[0]
    check(cal_truth['footpod_address'] == use_truth['footpod_address'],
          'seed %d: the two runs have the same pod' % seed)
    run([CLI, '--db', db, 'replay', cal])
    run([CLI, '--db', db, 'replay', use])
    con = sqlite3.connect(db)
    rows = con.execute('SELECT scale, scale_sd FROM pod_calibrations').fetchall()
    if not check(len(rows) == 1, 'seed %d: one calibration stored, got %d' % (seed, len(rows))):
        return
    scale, scale_sd = rows[0]
    true_scale = 1 + pod_error / 100
    check_close('seed %d pod scale' % seed, scale, true_scale, 0.01)
    check(0 < scale_sd < 0.02, 'seed %d: scale uncertainty %.4f' % (seed, scale_sd))
    dist, raw, applied = con.execute(
        'SELECT distance_m, pod_distance_raw_m, pod_scale FROM runs WHERE id = 2').fetchone()
    true_m = float(use_truth['course_distance_m'])
    check_close('seed %d calibrated distance %%' % seed, 100 * (dist / true_m - 1), 0, 1.0)
    check_close('seed %d raw distance kept' % seed, raw, float(use_truth['footpod_distance_m']),
                0.01 * true_m)
    check_close('seed %d factor applied' % seed, applied, scale, 1e-9)
    listing = run([CLI, '--db', db, 'sensors', 'list', '--all']).stdout
    check('%.3f' % scale in listing, 'seed %d: sensors list shows the factor:\n%s' % (seed, listing))


def main():
    with tempdir() as tmp:
        for seed, pod_error in CASES:
            calibrate_then_use(tmp, seed, pod_error)
    finish('e2e_pod_cal')


if __name__ == '__main__':
    sys.exit(main())
