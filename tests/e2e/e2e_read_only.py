#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 16, read-only media: a database on a file system mounted read-only.
The reading commands (runs, run show, report, export csv, patterns,
segments, strides, pain list) still work, a run whose segments were never
stored has its terrain computed and shown without being stored; the writing
commands refuse with exit 73 naming the file, and so does hamstrided. The
file is left as it was. Needs root to mount the tmpfs: skipped (exit 77)
where that is refused."""
import hashlib
import os
import shutil
import sqlite3
import subprocess

from hamstride_test import CLI, DAEMON, Tmpfs, check, finish, run, tempdir

EX_CANTCREAT = 73


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_database(tmp):
    """Three runs and a pain report; run 1 as if stored before the
    terrain existed (no segments), so the readers must compute them."""
    capture = os.path.join(tmp, 'block.btsnoop')
    run([CLI, 'sim', '--seed', '3', '--weeks', '1', '--runs-per-week', '3', '--output', capture])
    db = os.path.join(tmp, 'made.db')
    run([DAEMON, '--replay', capture, '--db', db, '--log-level', 'error'])
    run([CLI, '--db', db, 'pain', 'add', '1', '--during', '3', '--after', '5', '--side', 'left'])
    c = sqlite3.connect(db)
    try:
        c.execute('DELETE FROM segments WHERE run_id = 1')
        c.commit()
        c.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    finally:
        c.close()
    return capture, db


def segment_rows(text):
    classes = ('flat', 'up', 'down', 'steep-up', 'steep-down')
    return sum(1 for line in text.splitlines() if set(line.split()) & set(classes))


def readers_read(db):
    for argv in (['runs'], ['run', 'show', '1'], ['report'], ['export', 'csv', 'runs'],
                 ['export', 'csv', 'samples', '--run', '1'], ['export', 'csv', 'pain'],
                 ['patterns'], ['segments', '1'], ['strides', '1'], ['pain', 'list'],
                 ['sensors', 'list']):
        p = run([CLI, '--db', db] + argv)
        check(p.stdout.strip(), 'hamstride %s printed nothing' % ' '.join(argv))
    shown = run([CLI, '--db', db, 'segments', '1']).stdout
    print('segments 1 on read-only media: %d segments computed and shown' % segment_rows(shown))
    check(segment_rows(shown) >= 3, 'segments 1 shows no computed segments:\n' + shown)
    csv = run([CLI, '--db', db, 'export', 'csv', 'segments', '--run', '1']).stdout
    check(len(csv.splitlines()) >= 4, 'export csv segments --run 1 has no rows:\n' + csv)
    table = run([CLI, '--db', db, 'run', 'show', '1']).stdout
    check(segment_rows(table) >= 2, 'run show 1 has no terrain by class:\n' + table)


def writers_refuse(db, capture):
    for argv in (['pain', 'add', '2', '--during', '1', '--after', '1', '--side', 'left'],
                 ['sensors', 'add', 'C4:7C:8D:6A:1B:2E', '--role', 'footpod'],
                 ['replay', capture]):
        p = run([CLI, '--db', db] + argv, expect=EX_CANTCREAT)
        check(db in p.stderr and 'read-only' in p.stderr.lower(),
              'hamstride %s on read-only media: %s' % (argv[0], p.stderr))
    p = run([DAEMON, '--replay', capture, '--db', db], expect=EX_CANTCREAT)
    check(db in p.stderr and 'read-only' in p.stderr.lower(),
          'hamstrided on read-only media: ' + p.stderr)
    print(p.stderr.strip())


def main():
    with tempdir() as tmp:
        capture, made = make_database(tmp)
        with Tmpfs(os.path.join(tmp, 'ro'), '16m') as mnt:
            db = os.path.join(mnt, 'hamstride.db')
            shutil.copy(made, db)
            subprocess.run(['mount', '-o', 'remount,ro', mnt], check=True)
            before = digest(db)
            readers_read(db)
            writers_refuse(db, capture)
            check(digest(db) == before, 'the read-only database changed')
            check(sorted(os.listdir(mnt)) == ['hamstride.db'],
                  'files appeared beside it: %s' % os.listdir(mnt))
    finish('e2e_read_only')


if __name__ == '__main__':
    main()
