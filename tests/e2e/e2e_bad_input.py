#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input gets a clear message naming the problem, the daemon goes on
where it can, and nothing already stored is lost: a truncated capture, a
garbage capture, malformed notifications, an unknown characteristic, a
corrupt or read-only database, a bad config line, bad arguments."""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys

from btsnoop_writer import Capture, rsc
from hamstride_test import CLI, DAEMON, check, export_csv, finish, run, tempdir

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_CANTCREAT, EX_CONFIG = 64, 65, 66, 73, 78
T0 = 1_790_000_000 * 1_000_000  # 2026-09-21


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def count(db, table):
    with sqlite3.connect(db) as con:
        return con.execute('SELECT count(*) FROM %s' % table).fetchone()[0]


def good_capture(tmp, minutes=10):
    path = os.path.join(tmp, 'good.btsnoop')
    run([CLI, 'sim', '--seed', '3', '--minutes', str(minutes), '--output', path])
    return path


def test_truncated_capture(tmp, good):
    cut = os.path.join(tmp, 'cut.btsnoop')
    data = open(good, 'rb').read()
    open(cut, 'wb').write(data[:len(data) * 6 // 10 + 7])
    db = os.path.join(tmp, 'cut.db')
    p = run([DAEMON, '--replay', cut, '--db', db], expect=EX_DATAERR)
    check('truncated at byte' in p.stderr, 'truncated capture named: ' + p.stderr)
    runs = export_csv(db, 'runs')
    check(len(runs) == 1 and runs[0]['end_reason'] == 'damaged capture',
          'the run before the damage is stored and closed: %r' % runs)
    check(count(db, 'notifications') > 0, 'notifications before the damage are stored')


def test_garbage_capture_loses_nothing(tmp, good):
    db = os.path.join(tmp, 'keep.db')
    run([DAEMON, '--replay', good, '--db', db, '--log-level', 'error'])
    before = (count(db, 'runs'), count(db, 'notifications'), count(db, 'samples'))
    garbage = os.path.join(tmp, 'garbage.btsnoop')
    open(garbage, 'wb').write(os.urandom(5000))
    p = run([DAEMON, '--replay', garbage, '--db', db], expect=EX_DATAERR)
    check('not a btsnoop capture' in p.stderr, 'garbage named: ' + p.stderr)
    p = run([CLI, '--db', db, 'replay', garbage], expect=EX_DATAERR)
    check('not a btsnoop capture' in p.stderr, 'CLI names garbage: ' + p.stderr)
    after = (count(db, 'runs'), count(db, 'notifications'), count(db, 'samples'))
    check(before == after, 'nothing lost: %r then %r' % (before, after))
    missing = run([DAEMON, '--replay', os.path.join(tmp, 'nope.btsnoop'), '--db', db],
                  expect=EX_NOINPUT)
    check('nope.btsnoop' in missing.stderr, 'missing capture named: ' + missing.stderr)


def test_malformed_and_unknown(tmp):
    """Hand-made capture: a pod sending good, short and unknown packets."""
    path = os.path.join(tmp, 'hostile.btsnoop')
    cap = Capture(path)
    cap.connect(0x40, 'F1:22:33:44:55:66', T0)
    cap.discover(0x40, 0x0e, 0x2A53, T0)
    cap.discover(0x40, 0x20, 0xFFF1, T0)
    sent = 0
    for s in range(300):
        t = T0 + (s + 1) * 1_000_000
        cap.notify(0x40, 0x0e, rsc(3.0, 170), t)
        sent += 1
        if s % 10 == 0:
            cap.notify(0x40, 0x0e, b'\x07\x00', t + 1000)  # flags promise fields, 2 bytes
            cap.notify(0x40, 0x20, b'\xde\xad\xbe\xef', t + 2000)
            sent += 2
    cap.att(0x40, b'', T0 + 301_000_000)            # an empty ATT PDU
    cap.att(0x40, b'\x1b\x0e', T0 + 301_500_000)   # a notification without a handle's 2nd byte
    cap.close()
    db = os.path.join(tmp, 'hostile.db')
    p = run([DAEMON, '--replay', path, '--db', db])
    check('malformed' in p.stderr and 'F1:22:33:44:55:66' in p.stderr,
          'malformed packets named with their sensor: ' + p.stderr[-2000:])
    check('FFF1' in p.stderr, 'unknown characteristic named: ' + p.stderr[-2000:])
    check(count(db, 'notifications') == sent, 'all %d notifications kept raw, got %d'
          % (sent, count(db, 'notifications')))
    runs = export_csv(db, 'runs')
    check(len(runs) == 1 and abs(float(runs[0]['duration_s']) - 299) < 1e-6,
          'the run survives bad packets: %r' % runs)


def test_corrupt_database(tmp, good):
    db = os.path.join(tmp, 'corrupt.db')
    open(db, 'wb').write(b'this is not a database' * 100)
    before = digest(db)
    p = run([DAEMON, '--replay', good, '--db', db], expect=EX_CANTCREAT)
    check(db in p.stderr, 'corrupt database named: ' + p.stderr)
    p = run([CLI, '--db', db, 'runs'], expect=None)
    check(p.returncode != 0 and db in p.stderr, 'CLI names corrupt database: ' + p.stderr)
    check(digest(db) == before, 'corrupt database left as it was')

    # A real database with a damaged page in the middle.
    db2 = os.path.join(tmp, 'damaged.db')
    run([DAEMON, '--replay', good, '--db', db2, '--log-level', 'error'])
    with sqlite3.connect(db2) as con:
        con.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    size = os.path.getsize(db2)
    with open(db2, 'r+b') as f:
        f.seek(size // 2)
        f.write(os.urandom(4096))
    before = digest(db2)
    # The daemon keeps recording (18.6): into a new database, the damaged
    # one kept as it was under a new name beside it.
    p = run([DAEMON, '--replay', good, '--db', db2])
    check(db2 in p.stderr, 'damaged database named: ' + p.stderr)
    kept = [n for n in os.listdir(tmp) if n.startswith('damaged.db.damaged-')
            and not n.endswith(('-wal', '-shm'))]
    check(len(kept) == 1 and digest(os.path.join(tmp, kept[0])) == before,
          'damaged database kept as it was: %s' % kept)


def as_nobody():
    """Root ignores file modes; drop to nobody to test a read-only file."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which('setpriv')
    return [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups'] if setpriv else None


def test_read_only_database(tmp, good):
    prefix = as_nobody()
    if prefix is None:
        print('read-only database: skipped (no setpriv)')
        return
    d = os.path.join(tmp, 'ro')
    os.mkdir(d)
    db = os.path.join(d, 'ro.db')
    run([DAEMON, '--replay', good, '--db', db, '--log-level', 'error'])
    with sqlite3.connect(db) as con:
        con.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o444)
    os.chmod(d, 0o555)
    os.chmod(tmp, 0o755)
    os.chmod(good, 0o644)  # hamstride's own files are private: let nobody read this one
    before = digest(db)
    p = run(prefix + [CLI, '--db', db, 'runs'])
    check('1 ' in p.stdout or p.stdout.count('\n') >= 2, 'read-only database readable: ' + p.stdout)
    p = run(prefix + [DAEMON, '--replay', good, '--db', db], expect=EX_CANTCREAT)
    low = p.stderr.lower()
    check(db in p.stderr and ('read-only' in low or 'readonly' in low or 'permission' in low),
          'read-only database named: ' + p.stderr)
    check(digest(db) == before, 'read-only database unchanged')
    os.chmod(d, 0o755)


def test_bad_config(tmp, good):
    conf = os.path.join(tmp, 'bad.conf')
    open(conf, 'w').write('[session]\nidle_timeout_s = 60\ngap_s = banana\n')
    p = run([DAEMON, '-c', conf, '--replay', good, '--db', os.path.join(tmp, 'c.db')],
            expect=EX_CONFIG)
    check('line 3' in p.stderr and 'gap_s' in p.stderr, 'bad config line named: ' + p.stderr)
    open(conf, 'w').write('[sesion]\nidle_timeout_s = 60\n')
    p = run([DAEMON, '-c', conf, '--replay', good, '--db', os.path.join(tmp, 'c.db')],
            expect=EX_CONFIG)
    # inih reports the first key of an unknown section.
    check('line 2' in p.stderr and 'unknown section' in p.stderr and 'sesion' in p.stderr,
          'unknown section named: ' + p.stderr)
    open(conf, 'w').write('# comment\n[session]\nidle_timeout_s = 60\n[daemon]\nlog_level = warning\n')
    run([DAEMON, '-c', conf, '--replay', good, '--db', os.path.join(tmp, 'c.db')])


def test_bad_arguments(tmp, good):
    db = os.path.join(tmp, 'args.db')
    p = run([CLI, '--db', db, 'runs'], expect=EX_NOINPUT)
    check(db in p.stderr, 'a missing database is named: ' + p.stderr)
    cases = [
        ([DAEMON, '--replay', 'x', '--simulate'], EX_USAGE, 'source'),
        ([DAEMON, '--adapter', 'bt0'], EX_USAGE, '--adapter'),
        ([DAEMON, '--simulate', '--adapter', 'hci0'], EX_USAGE, '--adapter'),
        ([DAEMON, '--simulate', '--weeks', '99'], EX_USAGE, '--weeks'),
        ([DAEMON, '--replay', 'x', '--map', '14=zz'], EX_USAGE, '--map'),
        ([DAEMON, '--bogus'], EX_USAGE, 'bogus'),
        ([CLI, '--db', db, 'frobnicate'], EX_USAGE, 'frobnicate'),
        ([CLI, '--db', db, 'runs', '--limit', 'many'], EX_USAGE, 'many'),
        ([CLI, '--db', db, 'runs', '--from', '2026-13-45'], EX_USAGE, '2026-13-45'),
        ([CLI, '--db', db, 'export', 'csv', 'nothing'], EX_USAGE, 'nothing'),
        ([CLI, '--db', db, 'sim', '--minutes', '-5', '--output', os.path.join(tmp, 'x')],
         EX_USAGE, '-5'),
        ([CLI, '--db', db, 'replay'], EX_USAGE, 'replay'),
    ]
    for argv, code, word in cases:
        p = run(argv, expect=code)
        check(word in p.stderr, '%s: message names %r: %s' % (' '.join(argv[1:]), word, p.stderr))
    # A run that is not there, in a database that is.
    run([CLI, '--db', db, 'replay', good])
    p = run([CLI, '--db', db, 'run', 'show', '999'], expect=EX_NOINPUT)
    check('999' in p.stderr, 'missing run named: ' + p.stderr)
    for cmd in (['runs'], ['run', 'show'], ['report'], ['export', 'csv'], ['replay'], ['sim']):
        p = run([CLI, '--db', db] + cmd + ['--help'])
        check('Usage' in p.stdout, '%s --help prints usage' % ' '.join(cmd))


def main():
    with tempdir() as tmp:
        good = good_capture(tmp)
        test_truncated_capture(tmp, good)
        test_garbage_capture_loses_nothing(tmp, good)
        test_malformed_and_unknown(tmp)
        test_corrupt_database(tmp, good)
        test_read_only_database(tmp, good)
        test_bad_config(tmp, good)
        test_bad_arguments(tmp, good)
    finish('e2e_bad_input')


if __name__ == '__main__':
    sys.exit(main())
