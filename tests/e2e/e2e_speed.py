#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hamstrided --speed N paces a replay or a simulation at N times recorded
speed: it takes at least the capture's span / N of wall time (pacing never
runs ahead), not much more, and stores exactly what the same source stores
unpaced. The config's [replay] speed does the same; values out of range and
--speed without a paced source are refused.
"""
import os
import sqlite3
import sys
import time

from hamstride_test import CLI, DAEMON, check, finish, run, tempdir

EX_USAGE = 64
EX_CONFIG = 78
SPEED = 40
# A paced run of a few seconds is late by its start-up and the last
# commit; generous, as the machine is shared.
LATE_S = 15.0


def stored(db):
    """The runs and notifications a database holds, comparable across runs."""
    con = sqlite3.connect(db)
    try:
        runs = con.execute('SELECT start_us, end_us, notifications, end_reason FROM runs '
                           'ORDER BY id').fetchall()
        notes = con.execute('SELECT t_us, handle, value FROM notifications '
                            'ORDER BY t_us, id').fetchall()
        return runs, notes
    finally:
        con.close()


def span_s(notes):
    return (notes[-1][0] - notes[0][0]) / 1e6


def paced(argv, db, speed_args):
    start = time.monotonic()
    run([DAEMON] + argv + speed_args + ['--db', db, '--log-level', 'warning'])
    return time.monotonic() - start


def check_pace(name, took, span, speed):
    print('%s: %.2f s of capture at %gx took %.2f s (at least %.2f s)'
          % (name, span, speed, took, span / speed))
    check(took >= span / speed - 0.05,
          '%s: %.2f s of capture at %gx took only %.2f s' % (name, span, speed, took))
    check(took <= span / speed + LATE_S,
          '%s: %.2f s of capture at %gx took %.2f s' % (name, span, speed, took))


def test_simulate_and_replay(tmp):
    sim = ['--simulate', '--weeks', '0', '--minutes', '1', '--seed', '5']
    fast_db = os.path.join(tmp, 'fast.db')
    run([DAEMON] + sim + ['--db', fast_db, '--log-level', 'warning'])
    want = stored(fast_db)
    check(len(want[0]) == 1 and len(want[1]) > 100, 'the unpaced simulation stored %d runs, '
          '%d notifications' % (len(want[0]), len(want[1])))
    span = span_s(want[1])

    db = os.path.join(tmp, 'sim.db')
    check_pace('--simulate --speed %d' % SPEED, paced(sim, db, ['--speed', str(SPEED)]),
               span, SPEED)
    check(stored(db) == want, '--simulate --speed stored other runs or notifications than '
          'the unpaced simulation')

    capture = os.path.join(tmp, 'run.btsnoop')
    run([CLI, 'sim', '--minutes', '1', '--seed', '5', '--output', capture])
    db = os.path.join(tmp, 'replay.db')
    conf = os.path.join(tmp, 'hamstrided.conf')
    with open(conf, 'w') as f:
        f.write('[replay]\nspeed = %d\n' % SPEED)
    took = paced(['--replay', capture, '-c', conf], db, [])
    check_pace('--replay with [replay] speed = %d' % SPEED, took, span_s(stored(db)[1]),
               SPEED)
    fast_replay = os.path.join(tmp, 'replay-fast.db')
    run([DAEMON, '--replay', capture, '--db', fast_replay, '--log-level', 'warning'])
    check(stored(db)[1] == stored(fast_replay)[1], 'the paced replay stored other '
          'notifications than the unpaced one')


def test_refusals(tmp):
    db = os.path.join(tmp, 'refused.db')
    for bad in ['0', '-1', '1001', 'fast', '0x10', 'nan', '']:
        p = run([DAEMON, '--simulate', '--weeks', '0', '--speed', bad, '--db', db],
                expect=EX_USAGE)
        check('--speed' in p.stderr, '--speed %r: the message names no option: %s'
              % (bad, p.stderr))
    p = run([DAEMON, '--speed', '10', '--db', db], expect=EX_USAGE)
    check('live sensors' in p.stderr, '--speed without a source: %s' % p.stderr)
    p = run([DAEMON, '--replay', 'x.btsnoop', '--realtime', '--speed', '2', '--db', db],
            expect=EX_USAGE)
    check('not both' in p.stderr, '--realtime with --speed: %s' % p.stderr)
    conf = os.path.join(tmp, 'bad.conf')
    with open(conf, 'w') as f:
        f.write('[replay]\nspeed = 5000\n')
    p = run([DAEMON, '-c', conf, '--simulate', '--weeks', '0', '--db', db], expect=EX_CONFIG)
    check('speed' in p.stderr and '1000' in p.stderr, 'speed = 5000: %s' % p.stderr)
    check(not os.path.exists(db), 'a refused option left a database behind')


def main():
    with tempdir() as tmp:
        test_refusals(tmp)
        test_simulate_and_replay(tmp)
    finish(os.path.basename(sys.argv[0]))


if __name__ == '__main__':
    main()
