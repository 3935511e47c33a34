#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A treadmill run through the command line: a capture of a treadmill's
Treadmill Data (FTMS 0x2ACD, bytes made by hand) beside a foot pod. The
run's distance, speed and incline are the belt's, its cadence the pod's;
a treadmill whose speed field holds mph is stored as sent and doubted."""
import os
import sqlite3
import struct
import sys

from btsnoop_writer import Capture, rsc
from hamstride_test import CLI, check, check_close, finish, run, tempdir

T0 = 1_790_000_000_000_000
MINUTES = 10
KMH_PER_MPH = 1.609344


def ftms(speed_kmh, distance_m, incline_pct):
    """Flags 0x000C: instantaneous speed (bit 0 clear), total distance,
    inclination and ramp angle."""
    d = round(distance_m)
    return struct.pack('<HH3shh', 0x000C, round(speed_kmh * 100), d.to_bytes(3, 'little'),
                       round(incline_pct * 10), 0)


def write_capture(path, speed_field_kmh, t0=T0):
    """A belt at 3 m/s and 4 % for MINUTES; the pod says 3.3 m/s."""
    cap = Capture(path)
    cap.connect(0x40, 'F1:22:33:44:55:66', t0)
    cap.discover(0x40, 0x0e, 0x2A53, t0)
    cap.connect(0x41, 'F1:22:33:44:55:77', t0)
    cap.discover(0x41, 0x20, 0x2ACD, t0)
    for s in range(MINUTES * 60):
        t = t0 + (s + 1) * 1_000_000
        cap.notify(0x40, 0x0e, rsc(3.3, 170), t)
        cap.notify(0x41, 0x20, ftms(speed_field_kmh, 3.0 * s, 4.0), t + 500_000)
    cap.close()


def main():
    with tempdir() as tmp:
        db = os.path.join(tmp, 't.db')
        good, mph = os.path.join(tmp, 'belt.btsnoop'), os.path.join(tmp, 'mph.btsnoop')
        write_capture(good, 10.8)
        # A day later: the same sensors at the same times would be the same
        # run, which replay refuses to store twice.
        write_capture(mph, 10.8 / KMH_PER_MPH, T0 + 86_400_000_000)
        run([CLI, '--db', db, 'replay', good])
        run([CLI, '--db', db, 'replay', mph])
        con = sqlite3.connect(db)
        dist, speed, stride, surface, note = con.execute(
            'SELECT distance_m, speed_mps, stride_length_m, surface, distance_note '
            'FROM runs WHERE id = 1').fetchone()
        check(surface == 'treadmill', 'run 1 surface %r' % surface)
        check(note is None, 'run 1 has no doubt: %r' % note)
        check_close('belt distance m', dist, 3.0 * (MINUTES * 60 - 1), 3.0)
        check_close('belt speed m/s', speed, 3.0, 0.02)
        check_close('stride from distance over strides m', stride, 3.0 * 120 / 170, 0.02)
        n, incline = con.execute('SELECT count(incline_pct), avg(incline_pct) FROM samples '
                                 'WHERE run_id = 1').fetchone()
        check(n >= MINUTES * 60 - 2, 'incline in %d seconds' % n)
        check_close('incline %', incline, 4.0, 1e-9)
        grades = con.execute('SELECT min(grade_pct), max(grade_pct) FROM samples '
                             'WHERE run_id = 1').fetchone()
        check(grades[0] is not None and abs(grades[0] - 4.0) < 0.2 and abs(grades[1] - 4.0) < 0.2,
              "the treadmill's 4 %% incline is the run's grade: %r" % (grades,))
        classes = {r[0] for r in con.execute('SELECT class FROM segments WHERE run_id = 1')}
        check(classes == {'up'}, 'a 4 %% belt is one uphill: %r' % classes)
        shown = run([CLI, '--db', db, 'run', 'show', '1']).stdout
        check('surface              treadmill' in shown, 'run show says treadmill:\n' + shown)
        note = con.execute('SELECT distance_note FROM runs WHERE id = 2').fetchone()[0]
        check(note is not None and 'mph' in note, 'run 2 doubted as mph: %r' % note)
        shown = run([CLI, '--db', db, 'run', 'show', '2']).stdout
        check('mph' in shown, 'run show says mph:\n' + shown)
    finish('e2e_treadmill')


if __name__ == '__main__':
    sys.exit(main())
