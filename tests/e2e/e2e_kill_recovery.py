#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Defect 17.1, a killed daemon's run stays "in progress" forever: SIGKILL
hamstrided at random moments of a replayed training block, start it again,
and check that no run is left open, that every run the log said started is
in the database, and that a run closed after a crash holds what was stored
of it (its notifications counted, its end at the last one).

    e2e_kill_recovery.py [KILLS [SEED]]   (default 10 kills, seed 1)
"""
import os
import random
import re
import sqlite3
import subprocess
import sys
import time

from hamstride_test import CLI, DAEMON, check, finish, run, tempdir

# A new database every so many kills keeps the files small.
KILLS_PER_DATABASE = 20


def open_runs(db):
    with sqlite3.connect('file:%s?mode=ro' % db, uri=True) as c:
        return [r[0] for r in c.execute('SELECT id FROM runs WHERE end_us IS NULL')]


def stored_runs(db):
    """The run ids stored; none if the kill came before the file or its
    tables were made (the log then cannot have said a run started)."""
    if not os.path.exists(db):
        return set()
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        return {r[0] for r in c.execute('SELECT id FROM runs')}
    except sqlite3.OperationalError as e:
        if 'no such table' not in str(e):
            raise
        return set()
    finally:
        c.close()


def crashed_runs_agree(db, seed):
    """A run closed after a crash counts the notifications it holds and
    ends at its last one."""
    with sqlite3.connect('file:%s?mode=ro' % db, uri=True) as c:
        rows = c.execute("SELECT id, notifications, end_us, start_us FROM runs "
                         "WHERE end_reason = 'crash'").fetchall()
        for run_id, count, end_us, start_us in rows:
            have, last = c.execute('SELECT count(*), max(t_us) FROM notifications '
                                   'WHERE run_id = ?', (run_id,)).fetchone()
            check(count == have, 'seed %d: crashed run %d says %d notifications, holds %d'
                  % (seed, run_id, count, have))
            check(end_us == (last if last is not None else end_us) and end_us >= start_us,
                  'seed %d: crashed run %d ends at %s, its last notification is at %s'
                  % (seed, run_id, end_us, last))
    return len(rows)


def restart_closes_open_runs(tmp, db, what):
    """The restart after a kill: an empty capture, so the daemon only opens
    the store, which closes every run left open."""
    restart = run([DAEMON, '--replay', os.path.join(tmp, 'empty.btsnoop'), '--db', db,
                   '--log-level', 'warning'])
    left = open_runs(db)
    check(not left, '%s: runs %s still open after a restart\n%s' % (what, left, restart.stderr))


def kill_once(rng, tmp, db, capture, replay_s, seed, i):
    log = os.path.join(tmp, 'daemon-%d.log' % i)
    with open(log, 'w') as err:
        d = subprocess.Popen([DAEMON, '--replay', capture, '--db', db, '--log-level', 'notice'],
                             stderr=err)
    time.sleep(rng.uniform(0.0, replay_s))
    d.kill()
    d.wait()
    started = {int(m) for m in re.findall(r'run (\d+) started', open(log).read())}
    missing = started - stored_runs(db)
    check(not missing, 'seed %d kill %d: the log said runs %s started, the database lacks '
          'them' % (seed, i, sorted(missing)))
    restart_closes_open_runs(tmp, db, 'seed %d kill %d' % (seed, i))
    return len(started)


def kill_as_run_starts(tmp, capture, seed):
    """A kill as the log says a run started: random kills fall inside a
    run only some of the time (a replay again skips the runs already
    stored), so this one makes sure the restart has an open run to close.
    The capture of one 5-minute run, replayed at 50 times its speed, keeps
    the run open for 6 s after the line, time enough for a loaded machine
    to send the kill."""
    db = os.path.join(tmp, 'as-run-starts.db')
    d = subprocess.Popen([DAEMON, '--replay', capture, '--speed', '50', '--db', db,
                          '--log-level', 'notice'], stderr=subprocess.PIPE, text=True)
    for line in d.stderr:
        if re.search(r'run \d+ started', line):
            break
    d.kill()
    d.wait()
    d.stderr.close()
    restart_closes_open_runs(tmp, db, 'seed %d, the kill as a run started' % seed)
    return crashed_runs_agree(db, seed)


def recovered_summary(tmp, capture):
    """A run whose end was never written (as after a kill) is closed with
    what it stored: every notification, its end at the last one, its
    distance the last sample's; on this seed the pod's distance to the last
    running report (the normal end) was 791 m and the samples go on to 875 m
    through the walk that follows."""
    db = os.path.join(tmp, 'summary.db')
    run([DAEMON, '--replay', capture, '--db', db])
    c = sqlite3.connect(db)
    whole = c.execute('SELECT notifications, distance_m FROM runs WHERE id = 1').fetchone()
    c.execute('UPDATE runs SET end_us = NULL, duration_s = NULL, distance_m = NULL, '
              'notifications = 0, end_reason = NULL, first_notification_id = NULL, '
              'last_notification_id = NULL')
    c.commit()
    c.close()
    p = run([DAEMON, '--replay', os.path.join(tmp, 'empty.btsnoop'), '--db', db])
    check('run 1 was left open' in p.stderr, 'the restart does not say it closed run 1: '
          + p.stderr)
    c = sqlite3.connect(db)
    got = c.execute("SELECT notifications, distance_m, end_us, duration_s * 1e6 + start_us, "
                    "end_reason FROM runs WHERE id = 1").fetchone()
    last_us, count = c.execute('SELECT max(t_us), count(*) FROM notifications '
                               'WHERE run_id = 1').fetchone()
    last_m = c.execute('SELECT max(distance_m) FROM samples WHERE run_id = 1').fetchone()[0]
    c.close()
    print('recovered run: %d notifications (stored %d, whole run %d), %.1f m (last sample '
          '%.1f m, normal end %.1f m)' % (got[0], count, whole[0], got[1], last_m, whole[1]))
    check(got[0] == count == whole[0], 'recovered notifications %d, stored %d' % (got[0], count))
    check(got[2] == last_us and abs(got[3] - last_us) < 1, 'recovered end %d, duration end '
          '%.0f, last notification %d' % (got[2], got[3], last_us))
    check(got[1] == last_m and got[1] >= whole[1], 'recovered distance %.1f m, last sample '
          '%.1f m, normal end %.1f m' % (got[1], last_m, whole[1]))
    check(got[4] == 'crash', 'recovered end reason %r' % got[4])


def main():
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    t0 = time.monotonic()
    started = crashed = 0
    with tempdir() as tmp:
        capture = os.path.join(tmp, 'block.btsnoop')
        run([CLI, 'sim', '--seed', '5', '--weeks', '4', '--runs-per-week', '7',
             '--output', capture])
        with open(os.path.join(tmp, 'empty.btsnoop'), 'wb') as f:
            f.write(b'btsnoop\0\0\0\0\1\0\0\x07\xd1')
        small = os.path.join(tmp, 'small.btsnoop')
        run([CLI, 'sim', '--seed', '3', '--minutes', '5', '--output', small])
        recovered_summary(tmp, small)
        # How long a whole replay takes here: the kills fall inside it.
        t = time.monotonic()
        run([DAEMON, '--replay', capture, '--db', os.path.join(tmp, 'timing.db')])
        replay_s = time.monotonic() - t
        for i in range(kills):
            db = os.path.join(tmp, 'kill-%d.db' % (i // KILLS_PER_DATABASE))
            started += kill_once(rng, tmp, db, capture, replay_s, seed, i)
            if i % KILLS_PER_DATABASE == KILLS_PER_DATABASE - 1 or i == kills - 1:
                crashed += crashed_runs_agree(db, seed)
                for suffix in ('', '-wal', '-shm'):
                    if os.path.exists(db + suffix):
                        os.unlink(db + suffix)
        at_start = kill_as_run_starts(tmp, small, seed)
    print('%d kills (seed %d) in %.1f s: %d runs started, %d closed after a crash, '
          'replay %.2f s; a kill as a run started left %d to close'
          % (kills, seed, time.monotonic() - t0, started, crashed, replay_s, at_start))
    check(at_start == 1, 'seed %d: the kill as a run started left %d runs closed as crash'
          % (seed, at_start))
    finish('e2e_kill_recovery')


if __name__ == '__main__':
    main()
