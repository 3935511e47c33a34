#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 17.7: the same capture replayed twice, or the same recording
imported twice (under another name too), is recognised and not stored
again, so the weekly report does not count the run twice."""
import os
import shutil
import sqlite3

from hamstride_test import CLI, check, finish, run, tempdir

SIM = os.environ.get('HAMSTRIDE_IMU_SIM_CSV', 'build/tests/e2e/imu_sim_csv')
START = '2026-11-01T07:00:00Z'


def counts(db):
    with sqlite3.connect(db) as con:
        return tuple(con.execute('SELECT count(*) FROM %s' % t).fetchone()[0]
                     for t in ('runs', 'notifications', 'strides'))


def test_replay_twice(tmp):
    cap, db = os.path.join(tmp, 'run.btsnoop'), os.path.join(tmp, 'replay.db')
    run([CLI, 'sim', '--seed', '7', '--minutes', '3', '--output', cap])
    run([CLI, '--db', db, 'replay', cap])
    first = counts(db)
    copy = os.path.join(tmp, 'copy.btsnoop')
    shutil.copy(cap, copy)
    for path in (cap, copy):
        p = run([CLI, '--db', db, 'replay', path])
        check('already stored' in p.stdout and 'not replayed again' in p.stdout,
              'the second replay says why it stores nothing: ' + p.stdout)
    check(counts(db) == first, 'runs, notifications, strides unchanged: %r then %r' %
          (first, counts(db)))
    other = os.path.join(tmp, 'other.btsnoop')
    run([CLI, 'sim', '--seed', '8', '--minutes', '3', '--output', other])
    run([CLI, '--db', db, 'replay', other])
    check(counts(db)[0] == first[0] + 1, 'another capture is still stored')


def test_import_twice(tmp):
    out, truth = os.path.join(tmp, 'walk.csv'), os.path.join(tmp, 'walk.truth.csv')
    run([SIM, out, truth, '--seed', '11', '--seconds', '20', '--feet', 'left', '--unit', 'g'])
    db = os.path.join(tmp, 'import.db')
    run([CLI, '--db', db, 'import', 'imu', out, '--start', START])
    first = counts(db)
    renamed = os.path.join(tmp, 'renamed.csv')
    shutil.copy(out, renamed)
    for path in (out, renamed):
        p = run([CLI, '--db', db, 'import', 'imu', path, '--start', START])
        check('already stored as run 1' in p.stdout, 'the second import says so: ' + p.stdout)
    check(counts(db) == first, 'nothing stored twice: %r then %r' % (first, counts(db)))


def main():
    with tempdir() as tmp:
        test_replay_twice(tmp)
        test_import_twice(tmp)
    finish('e2e_duplicates')


if __name__ == '__main__':
    main()
