#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Recovery must not close a live run (issue 16): while one hamstrided records
a run into a database,

- a second hamstrided on the same database refuses to start (exit 75, naming
  the first's pid) and leaves the run open;
- `hamstride replay` and `hamstride import` store their runs beside it (WAL)
  and leave it open;
- once the first is killed, the next start closes its run as 'crash' with
  every notification it holds, although a CLI run finished in the middle of
  it lies among them;
- a daemon that exits normally releases the lock.
"""
import os
import sqlite3
import subprocess
import time

from e2e_import_history import gpx, write_xml
from hamstride_test import CLI, DAEMON, check, finish, run, tempdir


def open_runs(db):
    c = sqlite3.connect(db, timeout=10)
    try:
        return [r[0] for r in c.execute('SELECT id FROM runs WHERE end_us IS NULL')]
    except sqlite3.OperationalError:
        return []
    finally:
        c.close()


def wait_for_open_run(db, daemon):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and daemon.poll() is None:
        if os.path.exists(db) and open_runs(db):
            return open_runs(db)
        time.sleep(0.1)
    return []


def main():
    with tempdir() as tmp:
        db = os.path.join(tmp, 'h.db')
        live = os.path.join(tmp, 'live.btsnoop')
        other = os.path.join(tmp, 'other.btsnoop')
        empty = os.path.join(tmp, 'empty.btsnoop')
        with open(empty, 'wb') as f:
            f.write(b'btsnoop\0\0\0\0\1\0\0\x07\xd1')
        run([CLI, 'sim', '--seed', '2', '--minutes', '2', '--output', live])
        run([CLI, 'sim', '--seed', '3', '--minutes', '1', '--start', '2026-10-01T07:00Z',
             '--output', other])
        gpx_path = os.path.join(tmp, 'watch.gpx')
        write_xml(gpx_path, gpx('<type>running</type>', 3.0, 9, 600))

        # At recorded speed the first daemon stays in its run, committing
        # each second as it would with live sensors.
        first = subprocess.Popen([DAEMON, '--replay', live, '--realtime', '--db', db,
                                  '--log-level', 'notice'], stderr=subprocess.PIPE, text=True)
        try:
            live_runs = wait_for_open_run(db, first)
            check(len(live_runs) == 1, 'the first daemon has one run open: %s' % live_runs)

            second = run([DAEMON, '--replay', empty, '--db', db], expect=75)
            check('another hamstrided (pid %d) is recording into %s' % (first.pid, db)
                  in second.stderr, 'the second daemon names the first: ' + second.stderr)
            check(open_runs(db) == live_runs, 'the second daemon left run %s open: %s'
                  % (live_runs, open_runs(db)))

            replayed = run([CLI, '--db', db, 'replay', other])
            check('runs stored: 1' in replayed.stdout, 'the CLI replay stored its run: '
                  + replayed.stdout)
            run([CLI, '--db', db, 'import', gpx_path])
            check(open_runs(db) == live_runs, 'the CLI closed the daemon\'s run: %s open, '
                  'was %s' % (open_runs(db), live_runs))
            time.sleep(2)  # the daemon's run goes on past the CLI's
        finally:
            first.kill()
            first.wait()

        c = sqlite3.connect(db)
        cli_runs = c.execute('SELECT id, source, last_notification_id FROM runs '
                             'WHERE end_us IS NOT NULL').fetchall()
        held = c.execute('SELECT count(*), max(id) FROM notifications WHERE run_id = ?',
                         live_runs).fetchone()
        c.close()
        check(any(r[2] and r[2] < held[1] for r in cli_runs),
              'a CLI run ended among the daemon\'s notifications: %s, the daemon\'s last %d'
              % (cli_runs, held[1]))

        restart = run([DAEMON, '--replay', empty, '--db', db, '--log-level', 'notice'])
        check('run %d was left open' % live_runs[0] in restart.stderr,
              'the restart closed the killed daemon\'s run: ' + restart.stderr)
        c = sqlite3.connect(db)
        reason, count = c.execute('SELECT end_reason, notifications FROM runs WHERE id = ?',
                                  live_runs).fetchone()
        others = c.execute('SELECT count(*) FROM runs WHERE id <> ? AND end_reason = '
                           "'crash'", live_runs).fetchone()[0]
        c.close()
        print('daemon run %d: %d notifications held, closed with %d, %r; CLI runs %s'
              % (live_runs[0], held[0], count, reason, [r[:2] for r in cli_runs]))
        check(reason == 'crash' and count == held[0],
              'the killed run closed as %r with %d notifications; it holds %d'
              % (reason, count, held[0]))
        check(others == 0, '%d CLI runs were closed as crashed' % others)
        # The restart ended normally, so the lock is free again.
        run([DAEMON, '--replay', empty, '--db', db])
    finish('e2e_writer_lock')


if __name__ == '__main__':
    main()
