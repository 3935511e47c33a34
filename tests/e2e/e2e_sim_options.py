#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The simulator's options are one definition: hamstrided --simulate and
hamstride sim list the same options in --help, refuse the same values with
the same message, and accept the same courses. A treadmill course's capture
replays through the daemon, and the truth files describe the course.
"""
import csv
import os
import sys

from hamstride_test import CLI, DAEMON, check, finish, read_truth, run, tempdir

EX_USAGE = 64

SIM_OPTIONS = ['--seed', '--minutes', '--weeks', '--runs-per-week', '--start', '--course',
               '--no-baro', '--weather', '--no-hr', '--convention', '--pod-error',
               '--dropout', '--imu', '--imu-last-runs']

BAD = [
    ['--runs-per-week', '8'], ['--runs-per-week', '14'], ['--weeks', '53'], ['--weeks', '-1'],
    ['--minutes', '0.5'], ['--minutes', '241'], ['--seed', '-1'], ['--course', 'hilly'],
    ['--weather', '1001'], ['--pod-error', '25'], ['--dropout', '0.6'],
    ['--convention', 'paces'], ['--imu-last-runs', '0'], ['--start', '2026-02-30'],
]


def option_lines(text):
    return {line.split()[0]: line for line in text.splitlines()
            if line.startswith('  --') and line.split()[0] in SIM_OPTIONS}


def test_help_agrees():
    cli = option_lines(run([CLI, 'sim', '--help']).stdout)
    daemon = option_lines(run([DAEMON, '--help']).stdout)
    check(sorted(cli) == sorted(SIM_OPTIONS), 'hamstride sim --help lists: %s' % sorted(cli))
    check(cli == daemon, 'the two --help texts differ:\n%s\n%s' % (cli, daemon))


def message(stderr):
    """The parser's own words, without the program's prefix and hint."""
    text = stderr.strip().split(': ', 1)[-1]
    return text.split(' (see ')[0]


def test_same_refusals(tmp):
    out = os.path.join(tmp, 'x.btsnoop')
    for opt in BAD:
        cli = run([CLI, 'sim'] + opt + ['--output', out], expect=EX_USAGE)
        daemon = run([DAEMON, '--simulate', '--db', os.path.join(tmp, 'd.db')] + opt,
                     expect=EX_USAGE)
        check(opt[0] in cli.stderr and opt[1] in cli.stderr,
              '%s: the message names the option and the value: %s' % (opt, cli.stderr))
        check(message(cli.stderr) == message(daemon.stderr),
              '%s: the programs disagree:\n  %s\n  %s' % (opt, cli.stderr, daemon.stderr))
    p = run([DAEMON, '--weeks', '2'], expect=EX_USAGE)
    check('--simulate' in p.stderr, 'simulator options need --simulate: ' + p.stderr)
    p = run([CLI, 'sim', '--minutes', '20', '--weeks', '2', '--output', out], expect=EX_USAGE)
    check('--minutes' in p.stderr, '--minutes with --weeks refused: ' + p.stderr)


def test_courses(tmp):
    for course in ['mixed', 'flat', 'rolling', 'climb', 'repeats', 'track', 'treadmill']:
        capture = os.path.join(tmp, course + '.btsnoop')
        ini = os.path.join(tmp, course + '.ini')
        seconds = os.path.join(tmp, course + '.csv')
        run([CLI, 'sim', '--course', course, '--minutes', '8', '--weather', '150',
             '--output', capture, '--truth', ini, '--second-truth', seconds])
        truth = read_truth(ini)[0]
        check(truth['course'] == course, '%s: truth names the course' % course)
        classes = sum(float(truth['distance_%s_m' % c])
                      for c in ['steep_down', 'down', 'flat', 'up', 'steep_up'])
        distance = float(truth['course_distance_m'])
        check(abs(classes - distance) < 0.5,
              '%s: the classes cover the distance: %.1f of %.1f m' % (course, classes, distance))
        with open(seconds) as f:
            rows = list(csv.DictReader(f))
        check(len(rows) > 8 * 60 and rows[0]['t_s'] == '0',
              '%s: a row a second, from 0: %d rows' % (course, len(rows)))
        check(('treadmill_address' in truth) == (course == 'treadmill'),
              '%s: a treadmill only on the treadmill' % course)
    # The treadmill run replays through the daemon: its FTMS notifications are
    # kept, whatever decodes them.
    db = os.path.join(tmp, 'treadmill.db')
    p = run([DAEMON, '--replay', os.path.join(tmp, 'treadmill.btsnoop'), '--db', db])
    runs = run([CLI, '--db', db, 'runs']).stdout
    check(len(runs.strip().splitlines()) == 2, 'one treadmill run stored:\n' + runs + p.stderr)


def test_daemon_course():
    """The daemon simulates the course it is given, a single short run."""
    with tempdir() as tmp:
        db = os.path.join(tmp, 'sim.db')
        run([DAEMON, '--simulate', '--weeks', '0', '--minutes', '3', '--course', 'climb',
             '--db', db])
        runs = run([CLI, '--db', db, 'runs']).stdout
        check(len(runs.strip().splitlines()) == 2, 'one simulated run stored:\n' + runs)


def main():
    test_help_agrees()
    with tempdir() as tmp:
        test_same_refusals(tmp)
        test_courses(tmp)
    test_daemon_course()
    finish('e2e_sim_options')


if __name__ == '__main__':
    sys.exit(main())
