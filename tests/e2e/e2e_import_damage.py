#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Damaged cells in an IMU recording (issues 17.3, 18.5): an outlier time is
refused with its line before anything overflows; a value beyond any
sensor's range is left out as a gap, counted and named, and no longer
multiplies or cuts the distance."""
import os
import sqlite3

from hamstride_test import CLI, check, export_csv, finish, run, tempdir

SIM = os.environ.get('HAMSTRIDE_IMU_SIM_CSV', 'build/tests/e2e/imu_sim_csv')
EX_DATAERR = 65
START = '2026-11-01T07:00:00Z'


def count(db, table):
    if not os.path.exists(db):
        return 0
    with sqlite3.connect(db) as con:
        return con.execute('SELECT count(*) FROM %s' % table).fetchone()[0]


def variant(tmp, name, lines):
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def import_imu(db, path, expect=0):
    return run([CLI, '--db', db, 'import', 'imu', path, '--start', START], expect=expect)


def distance(db):
    return float(export_csv(db, 'runs')[-1]['distance_m'])


def set_cell(line, col, value):
    cells = line.split(',')
    cells[col] = value
    return ','.join(cells)


def test_outlier_time_17_3(tmp, lines):
    db = os.path.join(tmp, 'time.db')
    bad = list(lines)
    bad[-1] = set_cell(bad[-1], 0, '9.3e12')
    p = import_imu(db, variant(tmp, 'late.csv', bad), expect=EX_DATAERR)
    n = len(bad)
    check('line %d: the time jumps' % n in p.stderr and 'fix or delete line %d' % n in p.stderr,
          'the outlier time is refused with its line: ' + p.stderr)
    check(count(db, 'runs') == 0, 'nothing stored')


def test_extreme_values_18_5(tmp, lines):
    db = os.path.join(tmp, 'clean.db')
    import_imu(db, variant(tmp, 'clean.csv', lines))
    clean = distance(db)
    for value in ('1e308', '1e6', '-1e308'):
        bad = list(lines)
        bad[300] = set_cell(bad[300], 1, value)
        db = os.path.join(tmp, 'extreme%s.db' % value)
        p = import_imu(db, variant(tmp, 'extreme.csv', bad))
        got = distance(db)
        print('distance with one %s cell: %.1f m, clean %.1f m' % (value, got, clean))
        check(abs(got - clean) <= 0.02 * clean, 'one %s cell: %.1f m against %.1f m' %
              (value, got, clean))
        check('extreme.csv: line 301: acc x (acc_x) reads' in p.stderr and
              "beyond any sensor's range; 1 row like it is left out as a gap" in p.stderr,
              'the cell is named and counted: ' + p.stderr)


def main():
    with tempdir() as tmp:
        out, truth = os.path.join(tmp, 'walk.csv'), os.path.join(tmp, 'walk.truth.csv')
        run([SIM, out, truth, '--seed', '11', '--seconds', '20', '--feet', 'left',
             '--unit', 'g'])
        lines = open(out).read().splitlines()
        test_outlier_time_17_3(tmp, lines)
        test_extreme_values_18_5(tmp, lines)
    finish('e2e_import_damage')


if __name__ == '__main__':
    main()
