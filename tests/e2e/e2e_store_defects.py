#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Regression tests for the store, CLI and config defects of issues 17
and 18, each named after its item."""
import os
import random
import sqlite3
import stat
import subprocess

from hamstride_test import CLI, DAEMON, check, fail, finish, tempdir

EMPTY_CAPTURE = b'btsnoop\0\0\0\0\1\0\0\x07\xd1'


def run(argv, expect=0):
    """As hamstride_test.run, but a log with raw bytes is read, not fatal."""
    p = subprocess.run(argv, capture_output=True, text=True, errors='backslashreplace',
                       timeout=600)
    if expect is not None and p.returncode != expect:
        fail('%s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s' %
             (' '.join(argv), p.returncode, expect, p.stdout, p.stderr))
    return p


def printable(text):
    return all(c == '\n' or 32 <= ord(c) < 127 for c in text)


def daemon(tmp, *args, expect=0):
    return run([DAEMON, '--replay', os.path.join(tmp, 'empty.btsnoop'),
                '--db', os.path.join(tmp, 'cfg.db')] + list(args), expect=expect)


def config_case(tmp, name, text, expect, says):
    path = os.path.join(tmp, name + '.conf')
    with open(path, 'wb') as f:
        f.write(text)
    p = daemon(tmp, '-c', path, expect=expect)
    check(says in p.stderr, '%s: the log should say %r:\n%s' % (name, says, p.stderr))
    return p


def test_17_9_config(tmp):
    config_case(tmp, 'hash_comment', b'[session]\ngap_s = 5   # five seconds\n', 0, '')
    config_case(tmp, 'nul_byte', b'[session]\ngap_s = 5\0 and more\n', 78,
                'line 2: not text')
    rng = random.Random(3)
    binary = bytes(rng.randrange(256) for _ in range(300))
    p = config_case(tmp, 'binary', b'[daemon]\nlog_level = info\n' + binary, 78, 'not text')
    check(printable(p.stderr), 'binary config: the log holds raw bytes: %r' % p.stderr)
    p = config_case(tmp, 'high_bytes', b'[session]\ngap_s = 5\xff\n', 78, '5\\xff')
    check(printable(p.stderr), 'high bytes: the log holds raw bytes: %r' % p.stderr)
    p = daemon(tmp, '-c', tmp, expect=78)
    check('is a directory' in p.stderr, '-c DIRECTORY: ' + p.stderr)


def test_18_8_config(tmp):
    config_case(tmp, 'duplicate', b'[session]\ngap_s = 5\nidle_timeout_s = 60\ngap_s = 6\n',
                78, 'line 4: [session] gap_s = 6: given twice')
    config_case(tmp, 'hexadecimal', b'[session]\ngap_s = 0x10\n', 78, 'gap_s = 0x10')
    config_case(tmp, 'infinity', b'[session]\nstart_speed_mps = inf\n', 78, 'start_speed_mps')


def test_17_9_exit_codes(tmp):
    db = os.path.join(tmp, 'never.db')
    p = run([DAEMON, '--replay', os.path.join(tmp, 'missing.btsnoop'), '--db', db], expect=66)
    check(not os.path.exists(db), '--replay missing.btsnoop created the database: ' + p.stderr)
    odd = os.path.join(tmp, 'odd-datalink.btsnoop')
    with open(odd, 'wb') as f:
        f.write(b'btsnoop\0\0\0\0\1\0\0\x03\xe7')  # datalink 999
    run([DAEMON, '--replay', odd, '--db', db], expect=65)
    check(not os.path.exists(db), 'a capture refused created the database')


def replay_into(tmp, capture, db, *extra, expect=0):
    return run([DAEMON, '--replay', capture, '--db', db] + list(extra), expect=expect)


def damage(path, offset, size, seed):
    """Random bytes over part of a file, as a bad disk block would leave."""
    rng = random.Random(seed)
    with open(path, 'r+b') as f:
        f.seek(offset)
        f.write(bytes(rng.randrange(256) for _ in range(size)))


def notifications_page_offset(db):
    """The middle of the notifications table's pages, where a bad page
    leaves the sensors and runs readable."""
    with sqlite3.connect(db) as c:
        page_size = c.execute('PRAGMA page_size').fetchone()[0]
        pages = c.execute('PRAGMA page_count').fetchone()[0]
    return page_size * (pages // 2)


def test_17_4_damaged_database_read(tmp, capture):
    db = os.path.join(tmp, 'damaged-read.db')
    replay_into(tmp, capture, db)
    damage(db, notifications_page_offset(db), 8192, 17)
    out = os.path.join(tmp, 'runs.csv')
    for argv in (['runs'], ['run', 'show', 'last'], ['report'], ['export', 'csv', 'runs'],
                 ['sensors', 'list'], ['strides', '1'],
                 ['export', 'csv', 'samples', '--output', out]):
        p = run([CLI, '--db', db] + argv, expect=None)
        check(p.returncode != 0 and 'damaged' in p.stderr,
              '17.4 %s on a damaged database: exit %d, stderr %r'
              % (' '.join(argv), p.returncode, p.stderr))
    check(not os.path.exists(out) and not [n for n in os.listdir(tmp) if n.startswith('runs.csv')],
          '17.4: export --output left a file on a damaged database')


def test_18_6_damaged_database_daemon(tmp, capture):
    db = os.path.join(tmp, 'damaged.db')
    run([CLI, '--db', db, 'sensors', 'add', 'C4:7C:8D:6A:1B:2E', '--role', 'footpod'])
    replay_into(tmp, capture, db)
    damage(db, notifications_page_offset(db), 8192, 18)
    p = replay_into(tmp, capture, db)
    kept = [n for n in os.listdir(tmp) if n.startswith('damaged.db.damaged-')]
    check(len(kept) == 1, '18.6: the damaged database is not kept beside the new one: %s\n%s'
          % (os.listdir(tmp), p.stderr))
    check('.recover' in p.stderr and 'recording goes on' in p.stderr,
          '18.6: the log does not say what to do: ' + p.stderr)
    runs = run([CLI, '--db', db, 'runs']).stdout
    check('1  2026' in runs, '18.6: the new database holds no run:\n' + runs)
    sensors = run([CLI, '--db', db, 'sensors', 'list']).stdout
    check('C4:7C:8D:6A:1B:2E' in sensors, '18.6: the runner\'s sensor was not carried over:\n'
          + sensors)


def test_17_5_export_umask(tmp):
    db = os.path.join(tmp, 'umask.db')
    out = os.path.join(tmp, 'private.csv')
    run([DAEMON, '--replay', os.path.join(tmp, 'empty.btsnoop'), '--db', db])
    old = os.umask(0o077)
    try:
        run([CLI, '--db', db, 'export', 'csv', 'runs', '--output', out])
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(out).st_mode)
    check(mode == 0o600, '17.5: export under umask 077 made %s mode %o' % (out, mode))


def test_17_6_symlinks(tmp, capture):
    target = os.path.join(tmp, 'precious.txt')
    with open(target, 'w') as f:
        f.write('precious\n')
    link = os.path.join(tmp, 'planted.btsnoop')
    os.symlink(target, link)
    p = run([CLI, 'sim', '--seed', '1', '--minutes', '1', '--output', link], expect=None)
    check(p.returncode != 0 and 'symbolic link' in p.stderr,
          '17.6 sim --output through a link: exit %d %r' % (p.returncode, p.stderr))
    # The daemon's capture of run 1 at its predictable name.
    probe = os.path.join(tmp, 'probe')
    replay_into(tmp, capture, os.path.join(tmp, 'probe.db'), '--capture-dir', probe)
    name = sorted(os.listdir(probe))[0]
    planted = os.path.join(tmp, 'captures')
    os.mkdir(planted)
    os.symlink(target, os.path.join(planted, name))
    p = replay_into(tmp, capture, os.path.join(tmp, 'planted.db'), '--capture-dir', planted)
    check('symbolic link' in p.stderr, '17.6 --capture-dir: the log does not name the link: '
          + p.stderr)
    check(open(target, 'rb').read() == b'precious\n', '17.6: a planted link\'s target was overwritten')


def test_18_7_dates(tmp):
    db = os.path.join(tmp, 'dates.db')
    run([DAEMON, '--replay', os.path.join(tmp, 'empty.btsnoop'), '--db', db])
    run([CLI, '--db', db, 'runs', '--to', '2026-11-21 07:30'])
    for cmd in (['runs'], ['export', 'csv', 'runs']):
        p = run([CLI, '--db', db] + cmd + ['--from', '2026-11-22', '--to', '2026-11-21'],
                expect=64)
        check('not before' in p.stderr, '18.7 %s --from after --to: %r' % (cmd[0], p.stderr))
        run([CLI, '--db', db] + cmd + ['--from', '2026-11-21', '--to', '2026-11-21'], expect=64)
    p = run([CLI, '--db', '', 'runs'], expect=64)
    check('empty' in p.stderr, '18.7 --db "": ' + p.stderr)


def main():
    with tempdir() as tmp:
        with open(os.path.join(tmp, 'empty.btsnoop'), 'wb') as f:
            f.write(EMPTY_CAPTURE)
        capture = os.path.join(tmp, 'small.btsnoop')
        run([CLI, 'sim', '--seed', '3', '--minutes', '20', '--output', capture])
        test_17_9_config(tmp)
        test_18_8_config(tmp)
        test_17_9_exit_codes(tmp)
        test_17_4_damaged_database_read(tmp, capture)
        test_18_6_damaged_database_daemon(tmp, capture)
        test_17_5_export_umask(tmp)
        test_17_6_symlinks(tmp, capture)
        test_18_7_dates(tmp)
    finish('e2e_store_defects')


if __name__ == '__main__':
    main()
