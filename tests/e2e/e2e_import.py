#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hamstride import imu and hamstride strides on simulated recordings
written as CSV (seeded): strides against the simulator's truth, one file
with both feet and a left/right pair, an upside-down sensor, a saturated
sprint, a gap; and bad input, each refused with a message naming the
problem and nothing stored: wrong or missing columns, NaN and text cells,
time that repeats or goes back, a file too short, a still sensor, units
given wrong."""
import csv
import io
import os
import sqlite3
import subprocess
from datetime import datetime

from hamstride_test import CLI, check, check_close, finish, run, tempdir

SIM = os.environ.get('HAMSTRIDE_IMU_SIM_CSV', 'build/tests/e2e/imu_sim_csv')
EX_USAGE, EX_DATAERR, EX_NOINPUT = 64, 65, 66
START = '2026-11-01T07:00:00Z'
T0 = datetime.fromisoformat('2026-11-01T07:00:00+00:00').timestamp()
SEED = 11


def simulate(tmp, name, *args):
    out, truth = os.path.join(tmp, name + '.csv'), os.path.join(tmp, name + '.truth.csv')
    run([SIM, out, truth, '--seed', str(SEED)] + [str(a) for a in args])
    with open(truth) as f:
        return out, list(csv.DictReader(f))


def count(db, table):
    if not os.path.exists(db):
        return 0
    with sqlite3.connect(db) as con:
        return con.execute('SELECT count(*) FROM %s' % table).fetchone()[0]


def import_imu(db, path, *extra, expect=0):
    return run([CLI, '--db', db, 'import', 'imu', path, '--start', START] + list(extra), expect=expect)


def strides(db, run_id='last', *extra):
    out = run([CLI, '--db', db, 'strides', str(run_id), '--csv'] + list(extra)).stdout
    return list(csv.DictReader(io.StringIO(out)))


def seconds(iso):
    return datetime.fromisoformat(iso.replace('Z', '+00:00')).timestamp() - T0


def compare(ours, truth, label, tol_bias, tol_rms, landing_tol_s=None):
    """Matches each stride to the truth stride of the same foot whose end
    is nearest; checks bias and RMS of the length error and, if given, the
    median error of the stride's start (its landing)."""
    errors, starts = [], []
    for s in ours:
        cands = [t for t in truth if t['foot'] == s['foot'] and float(t['start_s']) > 0]
        if not cands:
            continue
        end = seconds(s['end_utc'])
        t = min(cands, key=lambda t: abs(float(t['end_s']) - end))
        if abs(float(t['end_s']) - end) > 0.15:
            continue
        errors.append(float(s['length_m']) - float(t['length_m']))
        starts.append(abs(seconds(s['start_utc']) - float(t['start_s'])))
    check(len(errors) >= 0.8 * len(ours), '%s: %d of %d strides matched the truth (seed %d)' %
          (label, len(errors), len(ours), SEED))
    if not errors:
        return 0, 0
    bias = sum(errors) / len(errors)
    rms = (sum(e * e for e in errors) / len(errors)) ** 0.5
    check_close(label + ' stride length bias [m]', bias, 0, tol_bias)
    check_close(label + ' stride length RMS [m]', rms, 0, tol_rms)
    if landing_tol_s is not None:
        median = sorted(starts)[len(starts) // 2]
        check_close(label + ' landing median |dt| [s]', median, 0, landing_tol_s)
    return bias, rms


def test_two_feet_and_strides_command(tmp):
    path, truth = simulate(tmp, 'both', '--seconds', 60, '--speed', 3.5, '--feet', 'both')
    db = os.path.join(tmp, 'both.db')
    p = import_imu(db, path)
    check('run 1:' in p.stdout and 'left      acc left_acc_x/y/z in m/s² (detected)' in p.stdout,
          'import names the run, columns and detected units:\n' + p.stdout)
    ours = strides(db)
    check({s['foot'] for s in ours} == {'left', 'right'}, 'both feet stored')
    ends = [s['end_utc'] for s in ours]
    check(ends == sorted(ends), 'strides of both feet in one timeline')
    # Landings: the finder is within ~1 ms on exact sample times; 5 ms
    # allows the CSV's millisecond times (the stance start is ~37 ms late).
    compare(ours, truth, 'simulated 3.5 m/s', 0.01, 0.02, landing_tol_s=0.005)
    runs = run([CLI, '--db', db, 'export', 'csv', 'runs']).stdout
    r = list(csv.DictReader(io.StringIO(runs)))[0]
    check(r['source'] == 'import both.csv', 'source names the file: %r' % r['source'])
    left = [s for s in ours if s['foot'] == 'left']
    check_close('distance = mean of the feet\'s sums [m]', float(r['distance_m']),
                sum(float(s['length_m']) for s in ours) / 2, 0.2)
    truth_len = sum(float(t['length_m']) for t in truth if t['foot'] == 'left')
    check_close('distance vs truth [%]', 100 * float(r['distance_m']) / truth_len, 100, 5)
    check_close('cadence [steps/min]', float(r['cadence_spm']),
                120 * len(left) / sum(float(s['duration_s']) for s in left), 1)

    # The table: header, rows, summary with asymmetry.
    table = run([CLI, '--db', db, 'strides', 'last']).stdout.splitlines()
    check(table[0].startswith('start (UTC)') and 'length m' in table[0], 'table header')
    check(table[-1].startswith('%d strides; left %d, mean' % (len(ours), len(left))) and
          'left/right asymmetry' in table[-1], 'summary line: ' + table[-1])
    only = strides(db, 1, '--foot', 'right')
    check(only and all(s['foot'] == 'right' for s in only), '--foot right')
    raw = subprocess.run([CLI, '--db', db, 'strides', '1', '--csv'], capture_output=True).stdout
    check(raw.startswith(b'start_utc,end_utc,foot,length_m,duration_s,speed_mps,height_change_m,'
                         b'stance_s,clearance_m,flags\r\n'), 'CSV header with units, CRLF')
    run([CLI, '--db', db, 'strides', '7'], expect=EX_NOINPUT)
    run([CLI, '--db', db, 'strides', 'soon'], expect=EX_USAGE)
    return db, path, ours


def test_left_right_files(tmp, both_path, both_strides):
    """The same run as two one-foot files gives the same strides."""
    rows = list(csv.reader(open(both_path)))
    for side, cols in (('left', range(1, 7)), ('right', range(7, 13))):
        with open(os.path.join(tmp, side + '.csv'), 'w') as f:
            w = csv.writer(f)
            w.writerow(['t', 'ax', 'ay', 'az', 'gx', 'gy', 'gz'])
            for r in rows[1:]:
                w.writerow([r[0]] + [r[c] for c in cols])
    db = os.path.join(tmp, 'pair.db')
    p = import_imu(db, os.path.join(tmp, 'left.csv'), '--right', os.path.join(tmp, 'right.csv'))
    pair = strides(db)
    check(len(pair) == len(both_strides), 'pair: %d strides, one file: %d' %
          (len(pair), len(both_strides)))
    diffs = [abs(float(a['length_m']) - float(b['length_m'])) for a, b in zip(pair, both_strides)
             if a['foot'] == b['foot']]
    check(diffs and max(diffs) < 0.002, 'pair and one file agree to 2 mm')
    check('import left.csv + right.csv' in run([CLI, '--db', db, 'export', 'csv', 'runs']).stdout,
          'source names both files')
    run([CLI, '--db', db, 'import', 'imu', os.path.join(tmp, 'left.csv'), '--foot', 'right',
         '--right', os.path.join(tmp, 'right.csv')], expect=EX_USAGE)


def test_upside_down(tmp):
    up, truth = simulate(tmp, 'up', '--seconds', 40, '--feet', 'left')
    down, _ = simulate(tmp, 'down', '--seconds', 40, '--feet', 'left', '--roll-deg', 180)
    db = os.path.join(tmp, 'mount.db')
    p = import_imu(db, up, '--foot', 'left')
    check('upside down' not in p.stdout, 'upright sensor not called upside down')
    p = import_imu(db, down, '--foot', 'left')
    check('upside down' in p.stdout and 'detected and handled' in p.stdout,
          'upside-down mounting reported:\n' + p.stdout)
    a, b = strides(db, 1), strides(db, 2)
    check(len(a) == len(b), 'same strides upright (%d) and upside down (%d)' % (len(a), len(b)))
    compare(b, truth, 'upside down', 0.01, 0.02)


def test_clipped_sprint(tmp):
    path, truth = simulate(tmp, 'sprint', '--seconds', 30, '--speed', 6.0, '--feet', 'left',
                           '--acc-range-g', 8)
    db = os.path.join(tmp, 'sprint.db')
    p = import_imu(db, path, '--foot', 'left')
    ours = strides(db)
    flagged = [s for s in ours if 'clipped' in s['flags']]
    compare(ours, truth, 'sprint 6 m/s, 8 g', 0.03, 0.05)
    check('samples saturated' in p.stdout and
          ('repeated extreme values' in p.stdout or 'saturation found in the data' in p.stdout),
          'saturation reported:\n' + p.stdout)
    check(len(flagged) >= 5, '%d strides flagged clipped' % len(flagged))
    check('%d strides flagged "clipped"' % len(flagged) in p.stdout, 'flag count printed')


def test_gap(tmp):
    path, _ = simulate(tmp, 'gappy', '--seconds', 30, '--feet', 'left')
    lines = open(path).read().splitlines()
    cut = os.path.join(tmp, 'cut.csv')
    # 1.0 s missing after 15 s (400 Hz: rows 6001..6400)
    open(cut, 'w').write('\n'.join(lines[:6001] + lines[6401:]) + '\n')
    db = os.path.join(tmp, 'gap.db')
    p = import_imu(db, cut)
    r = list(csv.DictReader(io.StringIO(run([CLI, '--db', db, 'export', 'csv', 'runs']).stdout)))[0]
    check(r['gaps'] == '1', 'one gap recorded: %r' % r['gaps'])
    check_close('gap length [s]', float(r['gap_s']), 1.0, 0.01)
    check('not bridged' in p.stdout, 'gap reported:\n' + p.stdout)
    flagged = [s for s in strides(db) if s['flags']]
    check(1 <= len(flagged) <= 2, 'the stride over the gap is flagged: %r' % flagged)


def expect_refusal(db, path, words, *extra, expect=EX_DATAERR):
    before = (count(db, 'runs'), count(db, 'strides'))
    p = run([CLI, '--db', db, 'import', 'imu', path, '--start', START] + list(extra), expect=expect)
    for w in words:
        check(w in p.stderr, 'message has %r: %s' % (w, p.stderr))
    check((count(db, 'runs'), count(db, 'strides')) == before, 'nothing stored or lost: ' + path)


def test_bad_input(tmp, db):
    """db already holds a run: every refusal keeps it and adds nothing."""
    good, _ = simulate(tmp, 'good', '--seconds', 10, '--feet', 'left', '--unit', 'g')
    lines = open(good).read().splitlines()

    def variant(name, new_lines):
        path = os.path.join(tmp, name)
        open(path, 'w').write('\n'.join(new_lines) + '\n')
        return path

    bad = list(lines)
    bad[300] = ','.join(bad[300].split(',')[:5] + ['NaN'] + bad[300].split(',')[6:])
    expect_refusal(db, variant('nan.csv', bad), ['nan.csv:301:6: gyro y (gyr_y) is \'NaN\''])
    bad = list(lines)
    bad[40] = bad[40].replace(',', ',x', 1)
    expect_refusal(db, variant('text.csv', bad), ['text.csv:41:2: acc x (acc_x) is \'x'])
    bad = list(lines)
    bad[500] = bad[499]
    expect_refusal(db, variant('repeat.csv', bad), ['repeat.csv:501:1: time', 'repeats line 500'])
    bad = list(lines)
    bad[600], bad[601] = bad[601], bad[600]
    expect_refusal(db, variant('back.csv', bad), ['back.csv:602:1:', 'goes back from line 601'])
    expect_refusal(db, good, ["no column named 'gx' (gyro x)", 'it has: time_s, acc_x, acc_y'],
                   '--gyro', 'gx,gy,gz')
    renamed = variant('renamed.csv', ['time_s,acc_x,acc_y,acc_z,rot1,rot2,rot3'] + lines[1:])
    expect_refusal(db, renamed, ['no gyro x column found', 'rot1', '--gyro'])
    expect_refusal(db, variant('short.csv', lines[:400]), ['s of data (399 samples)'])
    expect_refusal(db, good, ['look like g', 'use --acc-unit g'], '--acc-unit', 'mps2')
    expect_refusal(db, good, ['look like °/s', 'use --gyro-unit dps'], '--gyro-unit', 'radps')
    still = ['t,ax,ay,az,gx,gy,gz'] + ['%.4f,0.01,0.02,-0.998,0.1,-0.2,0.1' % (i / 200)
                                       for i in range(2000)]
    expect_refusal(db, variant('still.csv', still), ['did not move', 'nothing stored'])
    expect_refusal(db, os.path.join(tmp, 'absent.csv'), ['absent.csv'], expect=EX_NOINPUT)
    expect_refusal(db, good, ['--time-unit wants one of s, ms, us, samples'], '--time-unit', 'min',
                   expect=EX_USAGE)
    expect_refusal(db, good, ['--acc wants three columns'], '--acc', 'a,b', expect=EX_USAGE)


def main():
    with tempdir() as tmp:
        db, path, ours = test_two_feet_and_strides_command(tmp)
        test_left_right_files(tmp, path, ours)
        test_upside_down(tmp)
        test_clipped_sprint(tmp)
        test_gap(tmp)
        test_bad_input(tmp, db)
    finish('e2e_import')


if __name__ == '__main__':
    main()
