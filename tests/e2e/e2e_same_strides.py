#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One recording, two ways in, the same strides: a simulated two-foot run
(seeded) replayed through the daemon as a capture of the hamstride IMU
profile, and the very samples it decodes to imported with `hamstride
import imu` as CSV. Both go through the one stride pipeline
(analysis/nav/strides.h); every stored stride must be the same, byte for
byte, but for the run and sensor they belong to.

The import is told the profile's nominal 400 Hz, as the daemon learns it
from the packets: a rate estimated from the time column would be a
different input (the INS's detector windows and time steps follow it)."""
import os
import sqlite3

from hamstride_test import CLI, DAEMON, check, finish, run, tempdir

PAIR = os.environ.get('HAMSTRIDE_IMU_SIM_PAIR', 'build/tests/e2e/imu_sim_pair')
SEED = 11
COLUMNS = ('foot, start_us, end_us, length_m, duration_s, speed_mps, height_change_m, '
           'stance_s, clearance_m, flags')


def stored(db):
    with sqlite3.connect(db) as con:
        return con.execute('SELECT %s FROM strides ORDER BY end_us, foot' % COLUMNS).fetchall()


def main():
    with tempdir() as tmp:
        capture, csv = os.path.join(tmp, 'run.btsnoop'), os.path.join(tmp, 'run.csv')
        run([PAIR, capture, csv, '--seed', str(SEED), '--seconds', '60', '--speed', '3.5'])
        live, imported = os.path.join(tmp, 'live.db'), os.path.join(tmp, 'import.db')
        run([DAEMON, '--replay', capture, '--db', live, '--log-level', 'warning'])
        run([CLI, '--db', imported, 'import', 'imu', csv, '--start', '2026-11-01T07:00:00Z',
             '--acc-unit', 'mps2', '--gyro-unit', 'radps', '--rate', '400'])
        a, b = stored(live), stored(imported)
        feet = {row[0] for row in a}
        check(len(a) > 150 and feet == {'left', 'right'},
              'seed %d: the run has both feet\'s strides: %d, %s' % (SEED, len(a), sorted(feet)))
        check(len(a) == len(b), 'seed %d: %d strides live, %d imported' % (SEED, len(a), len(b)))
        differ = [(x, y) for x, y in zip(a, b) if x != y]
        check(not differ, 'seed %d: %d strides differ, the first:\n  live   %s\n  import %s' %
              ((SEED, len(differ)) + (differ[0] if differ else ('', ''))))
    finish('e2e_same_strides')


if __name__ == '__main__':
    main()
