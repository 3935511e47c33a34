#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 16: hamstrided --simulate writes the simulated capture to a
temporary file and replays it. Killed with SIGKILL while it writes it, or
while it replays it, it leaves nothing in $TMPDIR (a fresh folder here)."""
import os
import sqlite3
import subprocess
import time

from hamstride_test import DAEMON, check, finish, tempdir


def fds_in(pid, folder):
    """The process's descriptors open on a file in folder."""
    out = []
    try:
        for fd in os.listdir('/proc/%d/fd' % pid):
            try:
                target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
            except OSError:
                continue
            if target.startswith(folder + '/'):
                out.append(target)
    except OSError:
        pass
    return out


def runs_stored(db):
    try:
        with sqlite3.connect('file:%s?mode=ro' % db, uri=True) as c:
            return c.execute('SELECT count(*) FROM runs').fetchone()[0]
    except sqlite3.Error:
        return 0


def kill_simulation(tmp, name, ready):
    """Starts a simulation, waits until ready(pid, db) (20 s at most), kills it;
    then the temporary folder must be empty."""
    folder = os.path.join(tmp, name)
    os.mkdir(folder)
    db = os.path.join(tmp, name + '.db')
    p = subprocess.Popen([DAEMON, '--simulate', '--seed', '5', '--weeks', '1',
                          '--runs-per-week', '2', '--imu-last-runs', '1', '--db', db, '--log-level', 'error'],
                         env=dict(os.environ, TMPDIR=folder), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    seen = []
    while time.monotonic() < deadline and p.poll() is None:
        seen = fds_in(p.pid, folder)
        if seen and ready(db):
            break
        time.sleep(0.002)
    running = p.poll() is None
    p.kill()
    p.wait()
    check(running and seen, '%s: killed while its temporary capture was open (%r)'
          % (name, seen))
    left = os.listdir(folder)
    check(not left, '%s: the kill left %r in TMPDIR' % (name, left))
    print('%s: killed with %r open; TMPDIR afterwards: %r' % (name, seen, left))


def main():
    with tempdir() as tmp:
        kill_simulation(tmp, 'while-simulating', lambda db: runs_stored(db) == 0)
        kill_simulation(tmp, 'while-replaying', lambda db: runs_stored(db) > 0)
    finish('e2e_sim_kill')


if __name__ == '__main__':
    main()
