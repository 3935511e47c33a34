#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 16: a replay of a capture of several runs killed between two runs,
then replayed again, stores each run once: the runs it had stored are
skipped with a message naming them, the rest is stored. The same for
`hamstride replay` and `hamstrided --replay` (one check serves both).

The kill falls at a known place: the capture comes through a pipe up to
the third run's first second (its shoe IMUs stand two seconds before the
pod starts, so the second run has ended and the third not begun), then
records the reader skips, until two ended runs are in the database."""
import os
import signal
import sqlite3
import subprocess
import time

from hamstride_test import CLI, DAEMON, check, fail, finish, run, tempdir
from torture import READER_BUFFER, filler, records

HOUR_US = 3600 * 1000000


def runs(db):
    with sqlite3.connect(db) as c:
        return c.execute('SELECT start_us, notifications, end_reason FROM runs '
                         'ORDER BY start_us').fetchall()


def ended_runs(db):
    if not os.path.exists(db):
        return 0
    try:
        with sqlite3.connect(db) as c:
            return c.execute('SELECT count(*) FROM runs WHERE end_us IS NOT NULL').fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet


def cut_before_third_run(capture):
    """The bytes up to the third run's first 100 ms, and that time."""
    data, recs = records(capture)
    starts = [i for i in range(1, len(recs)) if recs[i][1] - recs[i - 1][1] > HOUR_US]
    check(len(starts) == 2, 'the block has three runs a day or more apart: %r' % starts)
    first = starts[1]
    last = first
    while recs[last + 1][1] < recs[first][1] + 100000:
        last += 1
    return data[:recs[last][0]], recs[last][1]


def kill_between_runs(argv, db, head, last_us):
    fifo = db + '.fifo'
    os.mkfifo(fifo)
    p = subprocess.Popen(argv(db, fifo), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w = os.open(fifo, os.O_WRONLY)
    try:
        os.write(w, head)
        pad, written = filler(last_us), 0
        while written < 2 * READER_BUFFER:
            written += os.write(w, pad)
        deadline = time.monotonic() + 20
        while ended_runs(db) < 2 and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.01)
        check(ended_runs(db) == 2, '%s: two runs ended before the kill' % argv(db, fifo))
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        os.close(w)
        os.unlink(fifo)


def notifications(db):
    """Notifications in runs and outside any, and how many of those outside
    are stored more than once (same sensor, time, handle and value)."""
    with sqlite3.connect(db) as c:
        inside, outside = c.execute('SELECT count(run_id), count(*) - count(run_id) '
                                    'FROM notifications').fetchone()
        twice = c.execute('SELECT count(*) FROM (SELECT 1 FROM notifications WHERE run_id IS '
                          'NULL GROUP BY sensor_id, t_us, handle, value HAVING count(*) > 1)'
                          ).fetchone()[0]
    return inside, outside, twice


def check_each_run_once(db, ref, what):
    got, want = runs(db), runs(ref)
    check([r[:2] for r in got] == [r[:2] for r in want],
          '%s: each run once, whole (start, notifications): %r, a whole replay %r'
          % (what, got, want))
    # What falls outside the runs (the shoe IMUs standing before a run, the
    # pod after one) is stored once too.
    got, want = notifications(db), notifications(ref)
    print('%s: notifications in runs, outside, outside twice: %r; a whole replay: %r'
          % (what, got, want))
    check(got == want, '%s: notifications in runs, outside any, outside stored twice: %r; '
          'a whole replay %r' % (what, got, want))


def test(tmp, capture, ref, head, last_us, name, argv, out, third=True):
    db = os.path.join(tmp, name + '.db')
    kill_between_runs(argv, db, head, last_us)
    check(len(runs(db)) == 2, '%s: the killed replay stored two runs: %r' % (name, runs(db)))
    p = run(argv(db, capture))
    said = getattr(p, out)
    for run_id in (1, 2):
        check('stored already, as run %d' % run_id in said,
              '%s: the replay again names run %d as skipped: %s' % (name, run_id, said))
    check_each_run_once(db, ref, name)
    if not third:
        return
    p = run(argv(db, capture))
    check('already stored' in getattr(p, out) and 'not replayed again' in getattr(p, out),
          '%s: replayed a third time, the capture is recognised whole: %s'
          % (name, getattr(p, out)))
    check_each_run_once(db, ref, name + ', a third time')


def main():
    with tempdir() as tmp:
        capture = os.path.join(tmp, 'block.btsnoop')
        run([CLI, 'sim', '--seed', '3', '--weeks', '1', '--runs-per-week', '3',
             '--imu-last-runs', '1', '--output', capture])
        ref = os.path.join(tmp, 'ref.db')
        run([CLI, '--db', ref, 'replay', capture])
        if len(runs(ref)) != 3:
            fail('the block replays as three runs: %r' % runs(ref))
            finish('e2e_replay_again')
        check(notifications(ref)[1] > 0, 'the block has notifications outside its runs: %r'
              % (notifications(ref),))
        head, last_us = cut_before_third_run(capture)
        test(tmp, capture, ref, head, last_us, 'hamstride replay',
             lambda db, path: [CLI, '--db', db, 'replay', path], 'stdout',
             third=False)  # e2e_duplicates replays a whole capture twice
        test(tmp, capture, ref, head, last_us, 'hamstrided --replay',
             lambda db, path: [DAEMON, '--db', db, '--log-level', 'notice', '--replay', path],
             'stderr')
    finish('e2e_replay_again')


if __name__ == '__main__':
    main()
