# SPDX-License-Identifier: GPL-2.0-or-later
"""hamstride import of compressed files, archives, altitude sources,
treadmill incline and --jobs.

Running activities written as FIT files (fit_run_writer): read plain, as
.fit.gz, and inside a zip with a .fit.gz and another zip in it, as a
Garmin or Strava export holds them; a member named to climb out of the
folder is read and nothing is written anywhere by its name; a zip bomb
and a gzip bomb are refused with the limit they passed, the rest kept;
the barometric and the GPS altitude told apart; a treadmill run's incline
stored; --jobs 2 stores exactly what --jobs 1 does; an activity with the
start and device of a stored one but another duration is read again and
stored whole, alone or in a zip, with --jobs 1 and 2.
"""
import gzip
import io
import os
import shutil
import sqlite3
import struct
import zipfile

from hamstride_test import CLI, check, export_csv, finish, run, tempdir

WRITER = os.environ.get('HAMSTRIDE_FIT_RUN_WRITER', 'build/tests/e2e/fit_run_writer')
START = 1780000000  # 2026-05-28


def write_fit(path, start, seconds=1200, *extra):
    run([WRITER, path, str(start), str(seconds)] + list(extra))
    with open(path, 'rb') as f:
        return f.read()


def imp(db, *args, expect=0):
    return run([CLI, '--db', db, 'import', '-v'] + list(args), expect=expect)


def gz(data):
    return gzip.compress(data, mtime=0)


def make_export(work):
    """A zip as an export: plain FITs, a .fit.gz, a zip in the zip, a text
    file, a folder entry, and a name that climbs out of the folder."""
    fits = [write_fit(os.path.join(work, 'r%d.fit' % i), START + i * 86400) for i in range(5)]
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('inner/r3.fit', fits[3])
    path = os.path.join(work, 'export.zip')
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('activities/', '')
        z.writestr('activities/r0.fit', fits[0])
        z.writestr('activities/r1.fit.gz', gz(fits[1]))
        z.writestr('../../escaped/r2.fit', fits[2])
        z.writestr('uploads/part1.zip', inner.getvalue())
        z.writestr('/abs/r4.fit', fits[4])
        z.writestr('activities.csv', 'id,name\n1,run\n')
    return path


def check_archives(work):
    db = os.path.join(work, 'a.db')
    export = make_export(work)
    p = imp(db, export)
    check('6 files: 5 runs imported' in p.stderr and '1 not activities' in p.stderr,
          'the export: %r' % p.stderr.splitlines()[-1:])
    sources = sorted(r['source'] for r in export_csv(db, 'runs'))
    check(sources == ['import r%d.fit%s (Garmin 4024)' % (i, '.gz' if i == 1 else '')
                      for i in range(5)], 'sources: %r' % sources)
    check('export.zip:uploads/part1.zip:inner/r3.fit: run' in p.stderr,
          'a zip in the zip named: %r' % p.stderr)
    for bad in (os.path.join(work, '..', 'escaped'), '/abs', os.path.join(work, 'escaped')):
        check(not os.path.exists(bad), 'nothing written at %s' % bad)
    p = imp(db, export)
    check(p.stderr.count('already stored as run') == 5, 'the export again: all stored')

    gzdb = os.path.join(work, 'gz.db')
    data = write_fit(os.path.join(work, 'g.fit'), START - 86400)
    with open(os.path.join(work, 'g.fit.gz'), 'wb') as f:
        f.write(gz(data))
    p = imp(gzdb, os.path.join(work, 'g.fit.gz'))
    check('1 runs imported' in p.stderr, 'a .fit.gz: %r' % p.stderr)
    r = export_csv(gzdb, 'runs')
    check(len(r) == 1 and abs(float(r[0]['distance_m']) - 3597) < 1,
          'its distance: %r' % [x['distance_m'] for x in r])


def fit_of_zeros(size):
    """A FIT file that decodes as far as it goes: a header without a data
    size, a definition of one 255-byte field, then zeros, each 256 of
    them one more data message."""
    header = bytearray(struct.pack('<BBHI4sH', 14, 0x20, 2132, 0, b'.FIT', 0))
    definition = bytes([0x40, 0, 0, 0x00, 0xFF, 1, 0, 255, 13])
    return bytes(header) + definition + bytes(size)


def check_bombs(work):
    db = os.path.join(work, 'bomb.db')
    zeros = fit_of_zeros(8 << 20)
    fit = write_fit(os.path.join(work, 'ok.fit'), START)
    path = os.path.join(work, 'bomb.zip')
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('zeros.fit', zeros)
        z.writestr('ok.fit', fit)
    p = imp(db, path, expect=65)
    check('bomb.zip:zeros.fit: inflates more than 100 times its size' in p.stderr,
          'the zip bomb refused: %r' % p.stderr)
    check(len(export_csv(db, 'runs')) == 1, 'the file beside the bomb imported')
    gpath = os.path.join(work, 'zeros.fit.gz')
    with open(gpath, 'wb') as f:
        f.write(gz(zeros))
    p = imp(db, gpath, expect=65)
    check('inflates more than 100 times' in p.stderr, 'the gzip bomb refused: %r' % p.stderr)


def check_altitude_and_incline(work):
    db = os.path.join(work, 'alt.db')
    names = []
    for i, kind in enumerate(('baro', 'gps', 'none')):
        names.append(os.path.join(work, '%s.fit' % kind))
        write_fit(names[-1], START + i * 86400, 1800, kind)
    names.append(os.path.join(work, 'treadmill.fit'))
    write_fit(names[-1], START + 3 * 86400, 1200, 'baro', 'incline', '4.5')
    p = imp(db, *names)
    check('baro.fit: run 1, 1800 records, barometer altitude' in p.stderr,
          'the barometer from device_info: %r' % p.stderr)
    check('gps.fit: run 2, 1800 records, gps altitude' in p.stderr,
          'GPS from a device list without a barometer')
    check('none.fit: run 3, 1800 records, barometer altitude' in p.stderr,
          'no device list, a smooth altitude: barometric by its noise')
    runs = {r['run_id']: r for r in export_csv(db, 'runs')}
    check(runs['2']['source'] == 'import gps.fit, GPS altitude (Garmin 4024)',
          'the GPS altitude marked for the terrain: %r' % runs['2']['source'])
    with sqlite3.connect(db) as con:
        inclines = con.execute('SELECT count(incline_pct), min(incline_pct), '
                               'max(incline_pct) FROM samples WHERE run_id = 4').fetchone()
        others = con.execute('SELECT count(incline_pct) FROM samples '
                             'WHERE run_id != 4').fetchone()[0]
    check(inclines == (1200, 4.5, 4.5) and others == 0,
          'the treadmill incline stored, on it alone: %r, %d' % (inclines, others))
    segs = export_csv(db, 'segments', '--run', '4')
    check(segs and all(s['class'] == segs[0]['class'] for s in segs) and
          abs(float(segs[0]['grade_pct']) - 4.5) < 0.2,
          'the treadmill graded by its incline: %r' %
          [(s['class'], s['grade_pct']) for s in segs][:3])


def check_jobs(work):
    folder = os.path.join(work, 'many')
    os.mkdir(folder)
    for i in range(12):
        write_fit(os.path.join(folder, '%02d.fit' % i), START + i * 3600 * 7, 600 + 30 * i,
                  'gps' if i % 3 == 0 else 'baro')
    shutil.copy(os.path.join(folder, '03.fit'), os.path.join(folder, '03-copy.fit'))
    with open(os.path.join(folder, 'x.fit.gz'), 'wb') as f:
        f.write(gz(write_fit(os.path.join(work, 'x.fit'), START - 7200)))
    with open(os.path.join(folder, 'junk.fit'), 'wb') as f:
        f.write(b'.FIT' * 100)
    with open(os.path.join(folder, '05-notes.txt'), 'w') as f:
        f.write('not an activity\n')
    open(os.path.join(folder, '07-empty.fit'), 'wb').close()
    out = {}
    for jobs in ('1', '2'):
        db = os.path.join(work, 'jobs%s.db' % jobs)
        p = imp(db, '--jobs', jobs, folder, expect=65)  # junk.fit is damaged
        out[jobs] = (p.stderr, export_csv(db, 'runs'), export_csv(db, 'samples'))
    check(out['1'][0] == out['2'][0], 'the same lines with --jobs 2:\n%s\n---\n%s' %
          (out['1'][0], out['2'][0]))
    check(len(out['1'][1]) == 13 and out['1'][1] == out['2'][1],
          'the same runs with --jobs 2 (%d, %d)' % (len(out['1'][1]), len(out['2'][1])))
    check(len(out['1'][2]) > 10000 and out['1'][2] == out['2'][2],
          'the same samples with --jobs 2 (%d, %d)' % (len(out['1'][2]), len(out['2'][2])))
    check('already stored as run 4' in out['1'][0], 'the copy found a duplicate')
    check('junk.fit:' in out['2'][0] and '1 unreadable' in out['2'][0], 'junk named')
    check('2 not activities' in out['2'][0], 'a text file and an empty one skipped in order')
    run([CLI, '--db', os.path.join(work, 'j.db'), 'import', '--jobs', '0', folder], expect=64)


def check_same_start(work):
    """The probe's other outcome: same start and device, not the same run."""
    folder = os.path.join(work, 'edited')
    os.mkdir(folder)
    write_fit(os.path.join(folder, 'a.fit'), START, 600)
    longer = write_fit(os.path.join(work, 'longer.fit'), START, 900)
    with zipfile.ZipFile(os.path.join(folder, 'b.zip'), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('notes.txt', 'not an activity\n')
        z.writestr('inner.zip', zip_of('longer.fit', longer))
    shutil.copy(os.path.join(work, 'longer.fit'), os.path.join(folder, 'c.fit'))
    out = {}
    for jobs in ('1', '2'):
        db = os.path.join(work, 'edited%s.db' % jobs)
        p = imp(db, '--jobs', jobs, folder)
        runs = export_csv(db, 'runs')
        samples = export_csv(db, 'samples')
        out[jobs] = (p.stderr, runs, samples)
        check(len(runs) == 2 and sorted(float(r['duration_s']) for r in runs) == [600, 900],
              '--jobs %s: the longer run stored beside the shorter: %r' %
              (jobs, [(r['source'], r['duration_s']) for r in runs]))
        check('b.zip:inner.zip:longer.fit: run 2, 900 records' in p.stderr,
              '--jobs %s: the zip member read again and stored: %r' % (jobs, p.stderr))
        check('c.fit: already stored as run 2' in p.stderr,
              '--jobs %s: the copy found stored: %r' % (jobs, p.stderr))
        check(len(samples) == 1500, '--jobs %s: every sample once (%d)' % (jobs, len(samples)))
        check('4 files: 2 runs imported, 1 already stored, 0 other sports, 1 not activities'
              in p.stderr, '--jobs %s: the tally: %r' % (jobs, p.stderr.splitlines()[-1:]))
    check(out['1'] == out['2'], 'the same with --jobs 2')


def zip_of(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


def main():
    with tempdir() as work:
        check_archives(work)
        check_bombs(work)
        check_altitude_and_incline(work)
        check_jobs(work)
        check_same_start(work)
    finish('e2e_import_archives')


if __name__ == '__main__':
    main()
