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


TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
    xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities><Activity Sport="Running"><Id>2026-05-02T06:00:00Z</Id>
  <Lap StartTime="2026-05-02T06:00:00Z"><TotalTimeSeconds>600</TotalTimeSeconds>
   <DistanceMeters>1800</DistanceMeters><Track>
%s
  </Track></Lap>
  <Creator><Name>  Forerunner 265  </Name></Creator>
 </Activity></Activities>
</TrainingCenterDatabase>
"""
TCX_POINT = """   <Trackpoint><Time>2026-05-02T06:%02d:%02d.000Z</Time>
    <AltitudeMeters>%.1f</AltitudeMeters><DistanceMeters>%.1f</DistanceMeters>
    <HeartRateBpm><Value>150</Value></HeartRateBpm>
    <Extensions><ns3:TPX><ns3:Speed>3.0</ns3:Speed><ns3:RunCadence>85</ns3:RunCadence>
    </ns3:TPX></Extensions></Trackpoint>"""

GPX = """<?xml version="1.0"?>
<gpx version="1.1" creator="test watch" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
 <trk>%s<trkseg>
%s
 </trkseg></trk>
</gpx>
"""
GPX_POINT = """  <trkpt lat="%.7f" lon="8.5"><ele>%.1f</ele><time>2026-05-03T%02d:%02d:%02dZ</time>
   <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>140</gpxtpx:hr>
   <gpxtpx:cad>84</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions></trkpt>"""


def write_xml(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def gpx(type_element, speed_mps, hour, seconds=600):
    # Northward at the given speed: one degree of latitude is 111.2 km.
    points = [GPX_POINT % (47.0 + i * speed_mps / 111195.0, 400 + i * 0.05, hour, i // 60,
                           i % 60) for i in range(seconds)]
    return GPX % (type_element, '\n'.join(points))


def check_xml(work):
    db = os.path.join(work, 'xml.db')
    points = [TCX_POINT % (i // 60, i % 60, 100 + i * 0.1, 3.0 * i) for i in range(600)]
    write_xml(os.path.join(work, 'run.tcx'), TCX % '\n'.join(points))
    write_xml(os.path.join(work, 'run.gpx'), gpx('<type>running</type>', 3.0, 7))
    write_xml(os.path.join(work, 'untyped.gpx'), gpx('', 3.2, 9))
    write_xml(os.path.join(work, 'walk.gpx'), gpx('', 1.3, 11))
    write_xml(os.path.join(work, 'broken.gpx'), '<gpx><trk><trkseg><trkpt')
    p = imp(db, *[os.path.join(work, n) for n in
                  ('run.tcx', 'broken.gpx', 'run.gpx', 'untyped.gpx', 'walk.gpx')], expect=65)
    check('3 runs imported' in p.stderr and '1 other sports' in p.stderr and
          '1 unreadable' in p.stderr, 'TCX and GPX: %r' % p.stderr.splitlines()[-1:])
    check('broken.gpx: not well-formed XML' in p.stderr, 'the broken file named')
    by_source = {r['source']: r for r in runs(db)}
    tcx = by_source.get('import run.tcx (Forerunner 265)')
    if check(tcx is not None, 'the TCX run, its device trimmed: %r' % list(by_source)):
        check(abs(float(tcx['distance_m']) - 1800) < 0.01, 'TCX lap distance')
        check(abs(float(tcx['cadence_spm']) - 170) < 0.01, 'RunCadence is one foot: 170 steps')
        check(abs(float(tcx['duration_s']) - 600) < 0.01, 'TCX lap time')
    g = by_source.get('import run.gpx (test watch)')
    if check(g is not None, 'the GPX run: %r' % list(by_source)):
        check(abs(float(g['distance_m']) - 3.0 * 599) < 5, 'GPX distance %s' % g['distance_m'])
        check(abs(float(g['cadence_spm']) - 168) < 0.01, 'GPX cad is one foot')


def main():
    if not os.path.exists(WALK):
        print('e2e_import_history: real FIT files not found, skipped')
        sys.exit(77)
    with tempdir() as work:
        db = os.path.join(work, 'h.db')
        p = imp(db, FIT)
        check('20 files: 0 runs imported' in p.stderr and '10 other sports' in p.stderr and
              '9 not activities' in p.stderr and '1 too short' in p.stderr,
              'the folder without --include walk: %r' % p.stderr.splitlines()[-1:])
        check('a settings file, not an activity' in p.stderr, 'Settings.fit named')
        check('an all-day monitoring file' in p.stderr, 'MonitoringFile.fit named')
        check('a workout plan' in p.stderr, 'the workout named')
        check('1292585194-20906.gpx: cycling, skipped' in p.stderr,
              'the GPX ride, which does not say what it is, classed by its speed')
        check(runs(db) == [], 'nothing stored')

        p = imp(db, '--include', 'walk', FIT)
        check('1 runs imported' in p.stderr, 'the walk imported: %r' % p.stderr)
        check('core_temperature' in p.stderr, 'developer fields named')
        r = runs(db)
        check(len(r) == 1, 'one run')
        samples = export_csv(db, 'samples', '--run', r[0]['run_id'])
        check(len(samples) == 582, 'a sample per record: %d' % len(samples))
        check(abs(float(r[0]['distance_m']) - 732.9) < 5, 'distance %s' % r[0]['distance_m'])
        segs = export_csv(db, 'segments', '--run', r[0]['run_id'])
        classes = {s['class'] for s in segs}
        check(segs and 'unknown' not in classes,
              "the watch's altitude gives the walk its grade: %r" % classes)

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
        check_xml(work)
        run([CLI, '--db', db2, 'import', '--include', 'run', cut], expect=64)
        run([CLI, '--db', db2, 'import'], expect=64)
    finish('e2e_import_history')


if __name__ == '__main__':
    main()
