# SPDX-License-Identifier: GPL-2.0-or-later
"""hamstride import FILE|DIR: a watch's history into the database.

The real FIT files in shared/data/real/fit, as a runner would hand them
over: the folder as it is (rides, settings, monitoring, a GPX, licences
and CSVs beside the activities), recognised by content; walks only with
--include walk; the same activity twice stored once (also under another
name); a file cut short imported as far as it is whole; a file that is
not readable counted and the exit status 65, with nothing else lost.
"""
import os
import shutil
import sys

from hamstride_test import CLI, check, export_csv, finish, run, tempdir

REAL = os.environ.get('HAMSTRIDE_REAL_DATA', '../shared/data/real')
FIT = os.path.join(REAL, 'fit')
WALK = os.path.join(FIT, 'FR55-CoreTemp-Walk.fit')


def imp(db, *args, expect=0):
    return run([CLI, '--db', db, 'import', '-v'] + list(args), expect=expect)


def runs(db):
    return export_csv(db, 'runs')


def main():
    if not os.path.exists(WALK):
        print('e2e_import_history: real FIT files not found, skipped')
        sys.exit(77)
    with tempdir() as work:
        db = os.path.join(work, 'h.db')
        p = imp(db, FIT)
        check('20 files: 0 runs imported' in p.stderr and '9 other sports' in p.stderr and
              '10 not activities' in p.stderr and '1 too short' in p.stderr,
              'the folder without --include walk: %r' % p.stderr.splitlines()[-1:])
        check('a settings file, not an activity' in p.stderr, 'Settings.fit named')
        check('an all-day monitoring file' in p.stderr, 'MonitoringFile.fit named')
        check('a workout plan' in p.stderr, 'the workout named')
        check('GPX track' in p.stderr, 'the GPX named')
        check(runs(db) == [], 'nothing stored')

        p = imp(db, '--include', 'walk', FIT)
        check('1 runs imported' in p.stderr, 'the walk imported: %r' % p.stderr)
        check('core_temperature' in p.stderr, 'developer fields named')
        r = runs(db)
        check(len(r) == 1, 'one run')
        samples = export_csv(db, 'samples', '--run', r[0]['run_id'])
        check(len(samples) == 582, 'a sample per record: %d' % len(samples))
        check(abs(float(r[0]['distance_m']) - 732.9) < 5, 'distance %s' % r[0]['distance_m'])

        renamed = os.path.join(work, 'renamed.bin')
        shutil.copy(WALK, renamed)
        p = imp(db, '--include', 'walk', WALK, renamed)
        check(p.stderr.count('already stored as run') == 2, 'duplicates: %r' % p.stderr)
        check(len(runs(db)) == 1, 'still one run')

        cut = os.path.join(work, 'cut.fit')
        with open(WALK, 'rb') as f:
            data = f.read()
        with open(cut, 'wb') as f:
            f.write(data[:len(data) // 2])
        db2 = os.path.join(work, 'cut.db')
        p = imp(db2, '--include', 'walk', cut)
        check('cut short' in p.stderr, 'truncation reported: %r' % p.stderr)
        check(len(runs(db2)) == 1, 'the whole half is a run')

        unreadable = os.path.join(work, 'nope.fit')
        p = imp(db2, unreadable, expect=65)
        check('nope.fit' in p.stderr and '1 unreadable' in p.stderr, 'named: %r' % p.stderr)
        check(len(runs(db2)) == 1, 'a failed file loses nothing stored')
        run([CLI, '--db', db2, 'import', '--include', 'run', cut], expect=64)
        run([CLI, '--db', db2, 'import'], expect=64)
    finish('e2e_import_history')


if __name__ == '__main__':
    main()
