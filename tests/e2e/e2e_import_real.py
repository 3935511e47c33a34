#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stride lengths of real recordings through the CLI (hamstride import imu,
then hamstride strides --csv) against their truth: the gait_driven walks
and jog (footprints read off a tile grid) and gaitmap (both feet, motion
capture). Reads $HAMSTRIDE_REAL_DATA (meson option real_data_dir); exits
77 when the recordings are absent.

Tolerances are set from what this estimator measured on them (the figures
print on every run), with some room, so a regression fails and the
estimator's work in progress does not."""
import csv
import io
import os
import sys
from datetime import datetime

from hamstride_test import CLI, check, check_close, finish, run, tempdir

REAL = os.environ.get('HAMSTRIDE_REAL_DATA', '../shared/data/real')
START = '2026-11-01T07:00:00Z'
T0 = datetime.fromisoformat('2026-11-01T07:00:00+00:00').timestamp()


def seconds(iso):
    return datetime.fromisoformat(iso.replace('Z', '+00:00')).timestamp() - T0


def import_strides(db, path, *extra):
    run([CLI, '--db', db, 'import', 'imu', path, '--start', START] + list(extra))
    out = run([CLI, '--db', db, 'strides', 'last', '--csv']).stdout
    return list(csv.DictReader(io.StringIO(out)))


def nearest(ours, t, tol, foot=None):
    """Our stride ending nearest t (s from the start), within tol."""
    cands = [s for s in ours if foot is None or s['foot'] == foot]
    best = min(cands, key=lambda s: abs(seconds(s['end_utc']) - t), default=None)
    return best if best and abs(seconds(best['end_utc']) - t) <= tol else None


def gait_driven(tmp, exp):
    """Footprints: one row per stride end (end of stance), the first a
    partial step. Ours end at the next stance's start: look 0.15 s early."""
    base = os.path.join(REAL, 'imu', 'gait_driven', 'SensorConnectData_%d' % exp)
    db = os.path.join(tmp, 'gd%d.db' % exp)
    # No options: the 3DM-GX5-25 recorded at ±500 °/s and saturates on
    # the jog, which the import finds by itself.
    ours = import_strides(db, base + '.csv')
    rows = list(csv.DictReader(open(base + '_strideIndex_timestamp_gcpX_gcpY.csv')))
    pct = []
    for i in range(2, len(rows)):
        prev, cur = rows[i - 1], rows[i]
        length = ((float(cur['gcpX']) - float(prev['gcpX'])) ** 2 +
                  (float(cur['gcpY']) - float(prev['gcpY'])) ** 2) ** 0.5
        dt = float(cur['timestamp']) - float(prev['timestamp'])
        s = nearest(ours, float(cur['timestamp']) - 0.15, 0.4 * dt)
        if s:
            pct.append(100 * (float(s['length_m']) - length) / length)
    return pct, len(rows) - 2


def gaitmap(tmp):
    """Motion capture: start/end IMU sample of each stride (mid-stance to
    mid-stance) at 204.8 Hz; ours end about 0.1 s earlier."""
    d = os.path.join(REAL, 'imu', 'gaitmap')
    ours = import_strides(os.path.join(tmp, 'gm.db'), os.path.join(d, 'imu_sample.csv'),
                          '--rate', '204.8')
    err = []
    rows = list(csv.DictReader(open(os.path.join(d, 'GT_stride_lengths_from_mocap.csv'))))
    for r in rows:
        s = nearest(ours, float(r['end_imu_sample']) / 204.8 - 0.1,
                    0.4 * float(r['stride_time_s']), r['foot'])
        if s:
            err.append(float(s['length_m']) - float(r['stride_len_horiz_m']))
    return err, len(rows)


def stats(values):
    n = len(values)
    mean = sum(values) / n
    return mean, (sum(v * v for v in values) / n) ** 0.5, sum(abs(v) for v in values) / n


def main():
    if not os.path.exists(os.path.join(REAL, 'imu', 'gait_driven')) or \
            not os.path.exists(os.path.join(REAL, 'imu', 'gaitmap')):
        print('real recordings not found under %s: skipped' % REAL)
        sys.exit(77)
    with tempdir() as tmp:
        walks = []
        for exp in range(31, 37):
            pct, total = gait_driven(tmp, exp)
            check(len(pct) >= 0.9 * total,
                  'gait_driven %d: %d of %d strides matched' % (exp, len(pct), total))
            bias, rms, mae = stats(pct)
            print('gait_driven %d: %2d strides, bias %+6.1f %%, RMS %5.1f %%, mean abs %5.1f %%' %
                  (exp, len(pct), bias, rms, mae))
            # The bounds follow the measured figures with a little room
            # (jog 1.6 %, walks 1.2 % mean abs, +0.3 % bias): the data are
            # fixed, so a worse estimator shows at once. Before the
            # stance's still point was taken below the sensor (ins.h) the
            # walks were -1.3 % short, 1.9 % mean abs, the jog 2.1 %.
            if exp == 35:  # the jog
                check_close('gait_driven 35 (jog) mean abs error [%]', mae, 0, 2.0)
            else:
                walks += pct
        bias, rms, mae = stats(walks)
        print('gait_driven walks: %d strides, bias %+.1f %%, RMS %.1f %%, mean abs %.1f %%' %
              (len(walks), bias, rms, mae))
        check_close('gait_driven walks stride bias [%]', bias, 0, 0.8)
        check_close('gait_driven walks mean abs error [%]', mae, 0, 1.6)

        err, total = gaitmap(tmp)
        check(len(err) >= 0.9 * total, 'gaitmap: %d of %d strides matched' % (len(err), total))
        bias, rms, mae = stats(err)
        print('gaitmap: %d strides, bias %+.1f cm, RMS %.1f cm, mean abs %.1f cm' %
              (len(err), 100 * bias, 100 * rms, 100 * mae))
        check_close('gaitmap stride bias [m]', bias, 0, 0.015)
        check_close('gaitmap stride RMS [m]', rms, 0, 0.05)
    finish('e2e_import_real')


if __name__ == '__main__':
    main()
