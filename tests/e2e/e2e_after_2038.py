# SPDX-License-Identifier: GPL-2.0-or-later
"""Dates after 19 January 2038 through the whole program.

Where time_t is 32 bits (Debian bookworm armhf, 32-bit Raspberry Pi OS)
timegm and gmtime fail past 2038-01-19T03:14:07Z unless the build asks
for the 64-bit time_t (meson.build does): a run recorded then, its
capture's timestamps and an imported watch file dated then must keep
their dates. Run natively this checks the dates; under tools/cross.sh
armhf it checks the 32-bit build.
"""
import os

from hamstride_test import CLI, DAEMON, check, export_csv, finish, run, tempdir

START = '2040-03-01T07:00Z'
TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
 <Activities><Activity Sport="Running"><Id>2041-05-02T06:00:00Z</Id>
  <Lap StartTime="2041-05-02T06:00:00Z"><TotalTimeSeconds>300</TotalTimeSeconds>
   <DistanceMeters>900</DistanceMeters><Track>
%s
  </Track></Lap>
 </Activity></Activities>
</TrainingCenterDatabase>
"""
POINT = """   <Trackpoint><Time>2041-05-02T06:%02d:%02d.000Z</Time>
    <AltitudeMeters>100.0</AltitudeMeters><DistanceMeters>%.1f</DistanceMeters>
   </Trackpoint>"""


def recorded_run(work):
    capture = os.path.join(work, 'run.btsnoop')
    db = os.path.join(work, 'sim.db')
    captures = os.path.join(work, 'captures')
    os.mkdir(captures)
    run([CLI, 'sim', '--seed', '2038', '--minutes', '4', '--start', START,
         '--output', capture])
    run([DAEMON, '--replay', capture, '--db', db, '--capture-dir', captures,
         '--log-level', 'warning'])
    runs = export_csv(db, 'runs')
    if check(len(runs) == 1, 'one run stored: %d' % len(runs)):
        check(runs[0]['start_utc'].startswith('2040-03-01T07:00'),
              'the stored run starts in 2040: %s' % runs[0]['start_utc'])
        check(runs[0]['end_utc'].startswith('2040-03-01T07:0'),
              'and ends four minutes later: %s' % runs[0]['end_utc'])
    listing = run([CLI, '--db', db, 'runs']).stdout
    check('2040-03-01' in listing, 'hamstride runs prints the date:\n%s' % listing)
    # The capture the daemon wrote for the run is named by its start.
    names = os.listdir(captures)
    check(any('2040' in n for n in names), 'the run capture dated 2040: %r' % names)


def imported_run(work):
    path = os.path.join(work, 'future.tcx')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(TCX % '\n'.join(POINT % (i // 60, i % 60, 3.0 * i) for i in range(300)))
    db = os.path.join(work, 'import.db')
    run([CLI, '--db', db, 'import', path])
    runs = export_csv(db, 'runs')
    if check(len(runs) == 1, 'one run imported: %d' % len(runs)):
        check(runs[0]['start_utc'] == '2041-05-02T06:00:00Z',
              'the import keeps its 2041 date: %s' % runs[0]['start_utc'])


def main():
    with tempdir() as work:
        recorded_run(work)
        imported_run(work)
    finish('e2e_after_2038')


if __name__ == '__main__':
    main()
