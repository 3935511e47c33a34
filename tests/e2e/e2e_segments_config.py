#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hamstride --config: the commands that compute a run's terrain (replay,
and segments for a run stored without them) class the ground with the
[segments] thresholds of the daemon's config file, not the built-in ones.
A 4 % treadmill belt is 'up' by default; with flat_pct = 5 it is flat, with
steep_pct = 3 steep. A missing file exits 66, a bad one 78."""
import os
import sqlite3
import sys

from e2e_treadmill import write_capture
from hamstride_test import CLI, check, finish, run, tempdir


def classes(db):
    con = sqlite3.connect(db)
    found = {r[0] for r in con.execute('SELECT class FROM segments WHERE run_id = 1')}
    con.close()
    return found


def write(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def main():
    with tempdir() as tmp:
        db, cap = os.path.join(tmp, 't.db'), os.path.join(tmp, 'belt.btsnoop')
        wide_flat, low_steep = os.path.join(tmp, 'flat.conf'), os.path.join(tmp, 'steep.conf')
        bad = os.path.join(tmp, 'bad.conf')
        write_capture(cap, 10.8)
        write(wide_flat, '[segments]\nflat_pct = 5\nsteep_pct = 8\n')
        write(low_steep, '[segments]\nflat_pct = 2\nsteep_pct = 3\n')
        write(bad, '[segments]\nflat_pct = 9\n')

        run([CLI, '--db', db, '--config', wide_flat, 'replay', cap])
        check(classes(db) == {'flat'}, 'replay with flat_pct 5: %r' % classes(db))

        # A run without segments (stored before the terrain) gets them from
        # the config given now.
        con = sqlite3.connect(db)
        con.execute('DELETE FROM segments')
        con.commit()
        con.close()
        out = run([CLI, '--db', db, '--config', low_steep, 'segments', '1']).stdout
        check(classes(db) == {'steep-up'}, 'segments with steep_pct 3: %r\n%s' % (classes(db), out))

        p = run([CLI, '--db', db, '--config', bad, 'runs'], expect=78)
        check('bad.conf line 2' in p.stderr and 'flat_pct' in p.stderr,
              'a bad config names its line: %r' % p.stderr)
        p = run([CLI, '--db', db, '--config', os.path.join(tmp, 'none.conf'), 'runs'], expect=66)
        check('none.conf' in p.stderr, 'a missing config is named: %r' % p.stderr)
        run([CLI, '--db', db, '--config', '', 'runs'], expect=64)
    finish('e2e_segments_config')


if __name__ == '__main__':
    sys.exit(main())
