#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A run's capture is created, never truncated: a file already at its name
(a database started afresh numbers its runs from 1 again) is left as it
was, and the run is recorded under the next free name, "-2" on.
"""
import os
import sqlite3
import sys

from hamstride_test import DAEMON, check, finish, run, tempdir

SIM = ['--simulate', '--weeks', '0', '--minutes', '1', '--seed', '2',
       '--start', '2026-11-02T07:00Z', '--log-level', 'warning']


def capture_of(db):
    con = sqlite3.connect(db)
    try:
        return con.execute('SELECT capture_path FROM runs').fetchall()
    finally:
        con.close()


def main():
    with tempdir() as tmp:
        caps = os.path.join(tmp, 'captures')
        run([DAEMON] + SIM + ['--db', os.path.join(tmp, 'a.db'), '--capture-dir', caps])
        names = sorted(os.listdir(caps))
        check(len(names) == 1, 'one run, captures: %s' % names)
        first = os.path.join(caps, names[0])
        with open(first, 'wb') as f:
            f.write(b'keep me')
        # A new database: its run 1 has the same name as the file there.
        run([DAEMON] + SIM + ['--db', os.path.join(tmp, 'b.db'), '--capture-dir', caps])
        with open(first, 'rb') as f:
            check(f.read() == b'keep me', '%s was overwritten' % first)
        second = first.replace('.btsnoop', '-2.btsnoop')
        check(os.path.exists(second), 'no %s beside it: %s' % (second, os.listdir(caps)))
        check(capture_of(os.path.join(tmp, 'b.db')) == [(second,)],
              'the run names %s, not %s' % (capture_of(os.path.join(tmp, 'b.db')), second))
        check(os.path.getsize(second) > 1000, '%s holds %d bytes' % (second,
              os.path.getsize(second)))
    finish(os.path.basename(sys.argv[0]))


if __name__ == '__main__':
    main()
