#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A simulated 60-minute run, replayed through hamstrided, against its truth.

Stated tolerances: duration within 1 s, distance within 0.5% of what the
foot pod itself measured, elevation gain within 5% of the course's; every
notification of the capture stored; the run recorded to a capture that
replays to the same summary.
"""
import glob
import os
import sqlite3
import sys

from hamstride_test import (CLI, DAEMON, check, check_close, export_csv, finish,
                            read_truth, run, tempdir)

SEEDS = [int(s) for s in os.environ.get('HAMSTRIDE_E2E_SEEDS', '7 8 9').split()]


def replay_and_check(seed, tmp):
    capture = os.path.join(tmp, 'run-%d.btsnoop' % seed)
    truth_path = os.path.join(tmp, 'run-%d.ini' % seed)
    db = os.path.join(tmp, 'run-%d.db' % seed)
    captures = os.path.join(tmp, 'captures-%d' % seed)
    run([CLI, 'sim', '--seed', str(seed), '--minutes', '60', '--output', capture,
         '--truth', truth_path])
    truth = read_truth(truth_path)
    if not check(len(truth) == 1, 'seed %d: one run in the truth file' % seed):
        return
    t = truth[0]
    run([DAEMON, '--replay', capture, '--db', db, '--capture-dir', captures,
         '--log-level', 'warning'])
    runs = export_csv(db, 'runs')
    if not check(len(runs) == 1, 'seed %d: one run stored, got %d' % (seed, len(runs))):
        return
    r = runs[0]
    print('seed %d (convention %s, pod error %s)' % (seed, t['cadence_convention'],
                                                     t['footpod_scale_error']))
    check_close('duration_s', float(r['duration_s']), float(t['duration_s']), 1.0)
    pod = float(t['footpod_distance_m'])
    check_close('distance_m vs foot pod', float(r['distance_m']), pod, 0.005 * pod)
    gain = float(t['elevation_gain_m'])
    check_close('elevation_gain_m', float(r['elevation_gain_m']), gain, 0.05 * gain)
    loss = float(t['elevation_loss_m'])
    check_close('elevation_loss_m', float(r['elevation_loss_m']), loss, 0.05 * loss)
    cadence = float(t['mean_cadence_spm'])
    check_close('cadence_spm', float(r['cadence_spm']), cadence, 0.02 * cadence)

    with sqlite3.connect(db) as con:
        stored = con.execute('SELECT count(*) FROM notifications').fetchone()[0]
        first, last, in_run = con.execute(
            'SELECT first_notification_id, last_notification_id, notifications FROM runs').fetchone()
        tagged = con.execute('SELECT count(*), min(id), max(id) FROM notifications WHERE run_id = 1'
                             ).fetchone()
    check(tagged == (in_run, first, last) and last - first + 1 == in_run,
          'seed %d: the run\'s notifications are rows %s..%s (%s), tagged %r'
          % (seed, first, last, in_run, tagged))
    emitted = int(t['notifications'])
    check(stored == emitted, 'seed %d: %d notifications stored, %d in the capture'
          % (seed, stored, emitted))
    print('%-40s %d of %d' % ('notifications stored', stored, emitted))

    recorded = glob.glob(os.path.join(captures, '*.btsnoop'))
    if check(len(recorded) == 1, 'seed %d: one capture recorded, got %d' % (seed, len(recorded))):
        again = os.path.join(tmp, 'again-%d.db' % seed)
        run([DAEMON, '--replay', recorded[0], '--db', again, '--log-level', 'warning'])
        r2 = export_csv(again, 'runs')
        check(len(r2) == 1 and r2[0]['distance_m'] == r['distance_m']
              and r2[0]['duration_s'] == r['duration_s'],
              'seed %d: the recorded capture replays to the same run' % seed)


def main():
    with tempdir() as tmp:
        for seed in SEEDS:
            replay_and_check(seed, tmp)
    finish('e2e_sim_replay')


if __name__ == '__main__':
    sys.exit(main())
