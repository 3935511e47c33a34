#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Replays every tests/data/replay-*.btsnoop through `hamstride replay` and
compares the stored runs with replay-*.expected.csv.

Numbers agree within 0.1% or 0.05 of their unit, whichever is larger (the
pipeline is deterministic; the tolerance only forgives formatting), text
exactly. After a deliberate change, regenerate the expectations with
    meson compile -C build regenerate-replay
and review the diff."""
import csv
import glob
import io
import os
import subprocess
import sys
import tempfile

CLI = os.environ.get('HAMSTRIDE_CLI', 'build/tools/hamstride')
DATA = os.path.join(os.environ.get('HAMSTRIDE_SOURCE_ROOT', '.'), 'tests', 'data')
# The capture file name differs from machine to machine.
IGNORED = {'capture_path'}


def replay_runs(capture, tmp):
    db = os.path.join(tmp, os.path.basename(capture) + '.db')
    p = subprocess.run([CLI, '--db', db, 'replay', capture], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit('%s: hamstride replay exited %d: %s' % (capture, p.returncode, p.stderr))
    out = subprocess.run([CLI, '--db', db, 'export', 'csv', 'runs'], capture_output=True,
                         text=True, check=True).stdout
    return out


def same(a, b):
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a == b
    return abs(x - y) <= max(0.05, 1e-3 * abs(y))


def compare(name, got_csv, want_csv):
    got = list(csv.DictReader(io.StringIO(got_csv)))
    want = list(csv.DictReader(io.StringIO(want_csv)))
    problems = []
    if len(got) != len(want):
        problems.append('%d runs, expected %d' % (len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        for key in w:
            if key not in IGNORED and not same(g.get(key, ''), w[key]):
                problems.append('run %d %s: %r, expected %r' % (i + 1, key, g.get(key), w[key]))
    for p in problems:
        print('%s: %s' % (name, p))
    return not problems


def main():
    regenerate = '--regenerate' in sys.argv
    captures = sorted(glob.glob(os.path.join(DATA, 'replay-*.btsnoop')))
    if not captures:
        sys.exit('no replay captures in ' + DATA)
    ok = True
    with tempfile.TemporaryDirectory(prefix='hamstride-replay-') as tmp:
        for capture in captures:
            expected = capture[:-len('.btsnoop')] + '.expected.csv'
            got = replay_runs(capture, tmp)
            if regenerate:
                with open(expected, 'w', newline='') as f:
                    f.write(got)
                print('wrote', expected)
                continue
            with open(expected, newline='') as f:
                good = compare(os.path.basename(capture), got, f.read())
            print('%-40s %s' % (os.path.basename(capture), 'ok' if good else 'FAIL'))
            ok &= good
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
