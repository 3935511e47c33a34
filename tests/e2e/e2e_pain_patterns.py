# SPDX-License-Identifier: GPL-2.0-or-later
"""The pain log and the patterns through the CLI, on a cohort generated here
apart from the C simulator: runs and their segments written to the store as
the terrain code writes them, pain logged with 'pain add', verdicts read
from 'patterns --json'. Also the bad input that must store nothing."""
import json
import math
import os
import random
import sqlite3
import time

from hamstride_test import CLI, check, finish, run, tempdir

SEED = 3000  # 1207 gives the neural runner "both": a false uphill effect, 0.44 [0.06, 0.83]
DAY_US = 24 * 3600 * 10**6
T0 = 1780000000 * 10**6  # 2026-05-28, well in the past

CLASSES = [(-6, 'steep-down'), (-2, 'down'), (2, 'flat'), (6, 'up')]


def grade_class(g):
    for limit, name in CLASSES:
        if g <= limit if limit < 0 else g < limit:
            return name
    return 'steep-up'


def route(rng, kind, km):
    """A route as (length m, grade %) pieces."""
    if kind == 'flat':
        return [(1000, rng.gauss(0, 0.5)) for _ in range(int(km))]
    if kind == 'hill-repeats':  # treadmill incline, recovered on the flat
        return [(1500, 0)] + [(400, rng.uniform(5, 8)) if i % 2 == 0 else (400, 0)
                              for i in range(int(km * 2))] + [(1000, 0)]
    if kind == 'downhill':  # driven up, a long descent, flat home
        return [(2000, 0)] + [(500, -rng.uniform(4, 7)) for _ in range(int(km))] + [(2000, 0)]
    return [(400, (3.5, -3.5, 0.5)[i % 3]) for i in range(int(km * 2.5))]  # rolling


def make_runs(rng, weeks):
    runs, t = [], T0
    kinds = ['flat', 'hill-repeats', 'rolling', 'downhill']
    for w in range(weeks):
        for d in (0, 2, 4, 6):
            kind = kinds[(w + d // 2) % 4] if d else 'flat'
            effort = 1 + rng.gauss(0, 0.05)
            start = T0 + (w * 7 + d) * DAY_US + 7 * 3600 * 10**6
            segs, now = [], start
            for length, grade in route(rng, kind, rng.uniform(5, 9)):
                flat = 3.1 * effort
                v = flat * (1 - 0.02 * grade if grade < 0 else 1 - 0.04 * grade)
                dur = length / v
                segs.append((now, now + int(dur * 1e6), grade_class(grade), length, dur,
                             length * grade / 100, grade, v, 1000 / flat, 170, 2 * v * 60 / 170,
                             1 + (0.01 * -grade if grade < -2 else 0), None))
                now += int(dur * 1e6)
            runs.append((start, now, segs))
    return runs


def share(segs, names):
    total = sum(s[4] for s in segs)
    return sum(s[4] for s in segs if s[2] in names) / total


def store_runs(db, runs):
    con = sqlite3.connect(db)
    for i, (start, end, segs) in enumerate(runs, 1):
        dist = sum(s[3] for s in segs)
        con.execute('INSERT INTO runs (id, start_us, end_us, duration_s, distance_m, speed_mps, '
                    'source) VALUES (?, ?, ?, ?, ?, ?, ?)',
                    (i, start, end, (end - start) / 1e6, dist, dist / ((end - start) / 1e6),
                     'e2e cohort'))
        for k, s in enumerate(segs):
            con.execute('INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                        (i, k) + s)
    con.commit()
    con.close()


def pain_for(rng, mech, segs):
    down = share(segs, ('down', 'steep-down')) / 0.25
    up = share(segs, ('up', 'steep-up')) / 0.25
    effect = {'neural': 1.6 * down, 'lumbar': 1.6 * up}.get(mech, 0)
    during = 2.5 + effect + rng.gauss(0, 0.8)
    after = during + (0.5 * down if mech == 'neural' else 0) + rng.gauss(0, 0.5)
    clip = lambda x: max(0, min(10, round(x)))
    return clip(during), clip(after)


def cohort_runner(mech, seed):
    rng = random.Random(seed)
    with tempdir() as d:
        db = os.path.join(d, 'h.db')
        runs = new_database_with_runs(db, rng, 12)
        for i, (start, end, segs) in enumerate(runs, 1):
            if rng.random() < 0.15:
                continue  # forgotten
            during, after = pain_for(rng, mech, segs)
            run([CLI, '--db', db, 'pain', 'add', str(i), '--side', 'left',
                 '--during', str(during), '--after', str(after)])
        out = json.loads(run([CLI, '--db', db, 'patterns', '--json']).stdout)
        side = out['sides'][0]
        print('%-7s seed %d: verdict %s, %d reported runs' %
              (mech, seed, side['verdict'], side['n_reported_runs']))
        return side


def new_database_with_runs(db, rng, weeks):
    """A new database (made by the CLI) holding weeks of simulated runs."""
    run([CLI, '--db', db, 'patterns'])
    runs = make_runs(rng, weeks)
    store_runs(db, runs)
    return runs


def check_cohort():
    expected = {'neural': 'neural', 'lumbar': 'lumbar', 'none': None}
    for k, mech in enumerate(expected):
        side = cohort_runner(mech, SEED + k)
        want = expected[mech]
        if want:
            check(side['verdict'] == want, '%s runner got %s (seed %d)' %
                  (mech, side['verdict'], SEED + k))
        else:
            check(side['verdict'] not in ('neural', 'lumbar', 'both'),
                  'no-mechanism runner got %s (seed %d)' % (side['verdict'], SEED + k))
        for e in side['evidence']:
            check(e['ci95'][0] <= e['effect'] <= e['ci95'][1], 'effect outside its interval: %s' % e)
        check(len(side['caveats']) == 3 and side['red_flags'] == [], 'caveats and no red flags')


def pain_rows(db):
    con = sqlite3.connect(db)
    n = con.execute('SELECT COUNT(*) FROM pain_versions').fetchone()[0]
    con.close()
    return n


def check_bad_input():
    with tempdir() as d:
        db = os.path.join(d, 'h.db')
        run([CLI, '--db', db, 'patterns'])
        store_runs(db, make_runs(random.Random(1), 1))  # run 1 lasts under 40 min
        bad = [
            (['1', '--during', '11', '--after', '2', '--side', 'left'], 64, '0 to 10'),
            (['1', '--during', '-1', '--after', '2', '--side', 'left'], 64, '0 to 10'),
            (['1', '--during', '2', '--after', '2', '--side', 'left', '--from', '0:10:00',
              '--to', '3:00:00'], 64, 'outside run 1'),
            (['99', '--during', '2', '--after', '2', '--side', 'left'], 66, 'no run 99'),
            (['1', '--during', '2', '--after', '2', '--side', 'up'], 64, 'left, right or both'),
            (['2999-01-01', '--next-morning', '2', '--side', 'left'], 64, 'in the future'),
            (['1', '--during', '2', '--after', '2', '--side', 'left', '--red-flag', 'itchy'], 64,
             'night-pain'),
        ]
        for args, code, words in bad:
            p = run([CLI, '--db', db, 'pain', 'add'] + args, expect=code)
            check(words in p.stderr, 'pain add %s: message %r lacks %r' % (args, p.stderr, words))
        check(pain_rows(db) == 0, 'bad input stored a pain report')
        run([CLI, '--db', db, 'pain', 'add', '1', '--during', '2', '--after', '3', '--side',
             'both', '--red-flag', 'numbness'])
        text = run([CLI, '--db', db, 'patterns']).stdout
        check(text.startswith('A red flag has been logged: see a doctor promptly'),
              'patterns does not start with the red-flag warning:\n' + text)
        out = json.loads(run([CLI, '--db', db, 'patterns', '--json']).stdout)
        check(out['warning'].startswith('A red flag') and
              all(s['red_flags'] == ['numbness'] for s in out['sides']), 'red flag in JSON')
        run([CLI, '--db', db, 'pain', 'edit', '1', '--after', '5'])
        run([CLI, '--db', db, 'pain', 'remove', '1'])
        check(pain_rows(db) == 3, 'edit and removal are versions, not overwrites')
        rows = run([CLI, '--db', db, 'export', 'csv', 'pain']).stdout.splitlines()
        check(len(rows) == 4 and rows[3].split(',')[3] == '1', 'export csv pain history')


def hms(seconds):
    seconds = max(0, int(seconds))
    return '%d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def first_descent_span(start, segs):
    """The elapsed span of the run's first descent segment, or None."""
    for s in segs:
        if s[2] in ('down', 'steep-down'):
            return hms((s[0] - start) / 1e6), hms((s[1] - start) / 1e6)
    return None


def check_spans_morning_and_day():
    """A neural runner who also gives painful spans on some runs, the next
    morning's score, and the day's sitting hours: the spans add within-run
    evidence to the test, and the next morning and the context are shown."""
    rng = random.Random(SEED + 10)
    with tempdir() as d:
        db = os.path.join(d, 'h.db')
        runs = new_database_with_runs(db, rng, 6)
        for i, (start, end, segs) in enumerate(runs, 1):
            if rng.random() < 0.15:
                continue
            during, after = pain_for(rng, 'neural', segs)
            args = [CLI, '--db', db, 'pain', 'add', str(i), '--side', 'left', '--during',
                    str(during), '--after', str(after), '--next-morning', str(max(0, after - 1))]
            span = first_descent_span(start, segs)
            if span and during >= 3 and rng.random() < 0.5:
                args += ['--from', span[0], '--to', span[1]]
            run(args)
            if i % 2:
                continue  # the context logged on some days only
            day = '%04d-%02d-%02d' % time.gmtime(start // 10**6)[:3]
            run([CLI, '--db', db, 'day', day, '--sitting-hours', str(rng.randint(2, 9)),
                 '--back-stiffness', str(rng.randint(0, 3))])
        out = json.loads(run([CLI, '--db', db, 'patterns', '--json']).stdout)
        side = out['sides'][0]
        tests = {t['direction']: t for t in side['tests']}
        print('spans runner: verdict %s, descents z %s across, %s within %d runs' %
              (side['verdict'], tests['descents']['z_across_runs'],
               tests['descents']['z_within_runs'], tests['descents']['n_span_runs']))
        check(side['verdict'] == 'neural', 'neural runner with spans got %s' % side['verdict'])
        check(tests['descents']['decisive'] and tests['descents']['n_span_runs'] >= 1 and
              tests['descents']['z_within_runs'] > 0, 'the spans count for descents')
        check(side['next_morning']['n_runs'] == side['n_reported_runs'],
              'every reported run has its next morning')
        names = {e['exposure'] for e in side['evidence']}
        check({'morning-minus-during', 'sitting', 'back-stiffness'} <= names,
              'next morning and context in the evidence: %s' % sorted(names))
        text = run([CLI, '--db', db, 'patterns']).stdout
        check(side['verdict_text'] in text and 'next morning' in text and 'sitting' in text,
              'the text says what the JSON says')


def check_rest_days():
    """Morning pain on days without a run, with the day's back stiffness
    (half a point per point of stiffness): shown beside the verdict with its
    interval, in the text and the JSON, and the verdict and its tests the
    same as without those days."""
    rng = random.Random(SEED + 20)
    with tempdir() as d:
        db = os.path.join(d, 'h.db')
        runs = new_database_with_runs(db, rng, 6)
        for i, (start, end, segs) in enumerate(runs, 1):
            during, after = pain_for(rng, 'neural', segs)
            run([CLI, '--db', db, 'pain', 'add', str(i), '--side', 'left', '--during',
                 str(during), '--after', str(after)])
        before = json.loads(run([CLI, '--db', db, 'patterns', '--json']).stdout)['sides'][0]
        days = sorted({'%04d-%02d-%02d' % time.gmtime(s // 10**6 + 86400)[:3]
                       for s, _, _ in runs})[:14]
        for day in days:
            stiff = rng.randint(0, 8)
            pain = min(10, max(0, round(1 + 0.5 * stiff + rng.gauss(0, 0.7))))
            run([CLI, '--db', db, 'day', day, '--back-stiffness', str(stiff)])
            run([CLI, '--db', db, 'pain', 'add', day, '--side', 'left', '--next-morning',
                 str(pain)])
        side = json.loads(run([CLI, '--db', db, 'patterns', '--json']).stdout)['sides'][0]
        rest = side['rest_days']
        lo, hi = rest['back_stiffness']['ci95']
        print('rest days: %d, pain against stiffness %s (%s to %s), seed %d' %
              (rest['n_days'], rest['back_stiffness']['effect'], lo, hi, SEED + 20))
        check(rest['n_days'] == len(days), 'every day without a run counted')
        check(lo <= 0.5 <= hi, 'the stiffness interval covers the true 0.5')
        check(not rest['back_stiffness']['decisive'], 'rest days never decide')
        check(side['verdict'] == before['verdict'] and side['tests'] == before['tests'],
              'rest days leave the verdict and its tests as they were')
        text = run([CLI, '--db', db, 'patterns']).stdout
        check('Days without a run (%d' % len(days) in text and 'against back stiffness' in text,
              'the text shows the days without a run')


check_cohort()
check_spans_morning_and_day()
check_rest_days()
check_bad_input()
finish('e2e_pain_patterns')
