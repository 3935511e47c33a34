#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hamstride sensors add/list/remove against a real database: roles and
address types as documented, bad arguments refused with a message naming
them and nothing written, a corrupt database refused and left as it was;
sensors scan's argument checks and, on a kernel without Bluetooth, its
message; a sensor's first and last seen times follow its data."""
import errno
import hashlib
import os
import socket
import sqlite3
import sys
from datetime import datetime, timezone

from hamstride_test import CLI, DAEMON, check, finish, read_truth, run, tempdir

EX_USAGE, EX_NOINPUT, EX_UNAVAILABLE = 64, 66, 69
POD = 'C4:7C:8D:6A:1B:2E'       # static random (top bits 11)
STRAP = '00:22:D0:12:34:56'     # public
LEFT, LEFT2, RIGHT = 'E1:00:00:00:00:01', 'E1:00:00:00:00:02', 'E1:00:00:00:00:03'


def sensors(db, *args, expect=0):
    return run([CLI, '--db', db, 'sensors'] + list(args), expect=expect)


def listed(db, *extra):
    """The list as dicts, split on the header's column positions."""
    lines = sensors(db, 'list', *extra).stdout.splitlines()
    header = lines[0]
    names = ['address', 'type', 'role', 'name', 'added (UTC)', 'last seen (UTC)', 'cadence']
    starts = [header.index(n) for n in names]
    rows = {}
    for line in lines[1:]:
        if line.startswith('('):
            continue
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        rows[cells[0]] = dict(zip(names, cells))
    return rows


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_add_list_remove(tmp):
    db = os.path.join(tmp, 'sensors.db')
    p = sensors(db, 'add', POD.lower(), '--role', 'footpod', '--name', 'Stryd')
    check('Added %s as footpod (random address, Stryd)' % POD in p.stdout, 'add says what: ' + p.stdout)
    check('systemctl reload hamstrided' in p.stdout, 'add says to reload the daemon: ' + p.stdout)
    sensors(db, 'add', STRAP, '--role', 'hrm')
    sensors(db, 'add', LEFT, '--role', 'imu-left', '--name', 'Left shoe')
    sensors(db, 'add', RIGHT, '--role', 'imu-right', '--address-type', 'public')
    rows = listed(db)
    check(set(rows) == {POD, STRAP, LEFT, RIGHT}, 'all four listed: %r' % rows)
    check(rows[POD]['type'] == 'random' and rows[POD]['name'] == 'Stryd', 'pod: %r' % rows[POD])
    check(rows[STRAP]['type'] == 'public' and rows[STRAP]['name'] == '-', 'strap: %r' % rows[STRAP])
    check(rows[LEFT]['role'] == 'imu-left' and rows[LEFT]['name'] == 'Left shoe', 'left: %r' % rows[LEFT])
    check(rows[RIGHT]['type'] == 'public', '--address-type overrides the guess: %r' % rows[RIGHT])
    check(rows[POD]['added (UTC)'].endswith('Z'), 'added time shown: %r' % rows[POD])
    check(rows[POD]['last seen (UTC)'] == 'never', 'not heard since added: %r' % rows[POD])

    # A second pod is a warning; a second left shoe is refused.
    p = sensors(db, 'add', 'F0:00:00:00:00:09', '--role', 'footpod')
    check('warning' in p.stderr and POD in p.stderr, 'second footpod warned about: ' + p.stderr)
    p = sensors(db, 'add', LEFT2, '--role', 'imu-left', expect=1)
    check(LEFT in p.stderr and 'sensors remove' in p.stderr, 'second left IMU refused: ' + p.stderr)
    check(LEFT2 not in listed(db, '--all'), 'the refused sensor was not written')
    # Changing a sensor's role; the address type it had is kept.
    p = sensors(db, 'add', RIGHT, '--role', 'baro')
    check('now the baro, was the imu-right' in p.stdout, 'role change reported: ' + p.stdout)
    check(listed(db)[RIGHT]['type'] == 'public', 'known address type kept on re-add')

    # Removing: gone from the list, still in the data.
    p = sensors(db, 'remove', STRAP)
    check('stays in the database' in p.stdout and 'reload' in p.stdout, 'remove says so: ' + p.stdout)
    check(STRAP not in listed(db), 'removed sensor not listed')
    kept = listed(db, '--all').get(STRAP)
    check(kept is not None and kept['role'] == '-' and kept['added (UTC)'] == '-',
          'removed sensor kept as only seen: %r' % kept)
    p = sensors(db, 'remove', STRAP, expect=EX_NOINPUT)
    check('no sensor %s was added' % STRAP in p.stderr, 'second remove: ' + p.stderr)
    p = sensors(db, 'remove', 'AA:BB:CC:DD:EE:FF', expect=EX_NOINPUT)
    check('AA:BB:CC:DD:EE:FF' in p.stderr, 'unknown address named: ' + p.stderr)
    p = sensors(os.path.join(tmp, 'none.db'), 'remove', POD, expect=EX_NOINPUT)
    check(not os.path.exists(os.path.join(tmp, 'none.db')), 'remove creates no database')


def test_seen_follows_data(tmp):
    """A pod added, then a simulated run from it replayed: its first and
    last seen are its first and last notification (the list to the
    second); a sensor added and not in the data stays never heard."""
    db, capture, ini = (os.path.join(tmp, 'seen' + x) for x in ('.db', '.btsnoop', '.ini'))
    run([CLI, 'sim', '--seed', '5', '--minutes', '3', '--output', capture, '--truth', ini])
    pod = read_truth(ini)[0]['footpod_address']
    sensors(db, 'add', pod, '--role', 'footpod')
    sensors(db, 'add', STRAP, '--role', 'hrm')
    run([DAEMON, '--replay', capture, '--db', db, '--log-level', 'error'])
    with sqlite3.connect(db) as con:
        first, last, t_min, t_max = con.execute(
            'SELECT first_seen_us, last_seen_us, min(n.t_us), max(n.t_us) FROM sensors s '
            'JOIN notifications n ON n.sensor_id = s.id WHERE s.address = ?', (pod,)).fetchone()
    check((first, last) == (t_min, t_max), 'pod seen %r..%r, its data %r..%r'
          % (first, last, t_min, t_max))
    rows = listed(db)
    want = datetime.fromtimestamp(t_max // 1000000, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    check(rows[pod]['last seen (UTC)'] == want, 'list shows the last data %s: %r' % (want, rows[pod]))
    check(rows[STRAP]['last seen (UTC)'] == 'never', 'strap never heard: %r' % rows[STRAP])


def test_bad_arguments(tmp):
    db = os.path.join(tmp, 'bad.db')
    sensors(db, 'add', POD, '--role', 'footpod')
    before = listed(db, '--all')
    cases = [
        (['add', 'C4:7C:8D:6A:1B', '--role', 'footpod'], 'C4:7C:8D:6A:1B'),
        (['add', 'C4-7C-8D-6A-1B-2E', '--role', 'footpod'], 'not a Bluetooth address'),
        (['add', 'G4:7C:8D:6A:1B:2E', '--role', 'footpod'], 'not a Bluetooth address'),
        (['add', POD, '--role', 'coach'], "'coach'"),
        (['add', POD, '--role', ''], 'footpod, imu-left, imu-right, hrm or baro'),
        (['add', POD], '--role is required'),
        (['add', '--role', 'hrm'], 'give its address'),
        (['add', POD, '--role', 'hrm', '--address-type', 'static'], "'static'"),
        (['add', POD, '--role', 'hrm', '--name', 'x' * 64], 'too long'),
        (['add', POD, '--role', 'hrm', '--name', 'a\x1bb'], 'control character'),
        (['add', POD, POD, '--role', 'hrm'], 'unexpected argument'),
        (['add', POD, '--role'], '--role needs a value'),
        (['remove'], 'give its address'),
        (['remove', 'nonsense'], "'nonsense'"),
        (['list', '--everything'], "unknown option '--everything'"),
        (['frobnicate'], "unknown command 'frobnicate'"),
        (['scan', '--seconds', '0'], '--seconds'),
        (['scan', '--seconds', 'soon'], "'soon'"),
        (['scan', '--adapter', 'wlan0'], "'wlan0'"),
        (['scan', 'now'], "unexpected argument 'now'"),
    ]
    for args, says in cases:
        p = sensors(db, *args, expect=EX_USAGE)
        check(says in p.stderr, '%r: message %r does not say %r' % (args, p.stderr, says))
    check(listed(db, '--all') == before, 'bad arguments wrote nothing')
    sensors(db, expect=EX_USAGE)


def test_corrupt_database(tmp):
    db = os.path.join(tmp, 'corrupt.db')
    with open(db, 'wb') as f:
        f.write(b'this is not a database' * 100)
    before = digest(db)
    for args in (['add', POD, '--role', 'footpod'], ['list'], ['remove', POD]):
        p = sensors(db, *args, expect=None)
        check(p.returncode not in (0, EX_USAGE) and db in p.stderr,
              '%s on a corrupt database: rc %d, %r' % (args[0], p.returncode, p.stderr))
    check(digest(db) == before, 'corrupt database left as it was')

    # A good database with a sensor, then a damaged page: refused, unchanged.
    good = os.path.join(tmp, 'damaged.db')
    sensors(good, 'add', POD, '--role', 'footpod')
    with sqlite3.connect(good) as con:
        con.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        pages = con.execute('PRAGMA page_count').fetchone()[0]
        size = con.execute('PRAGMA page_size').fetchone()[0]
    with open(good, 'r+b') as f:
        f.seek(size * (pages - 1))
        f.write(b'\xff' * size)
    before = digest(good)
    p = sensors(good, 'add', STRAP, '--role', 'hrm', expect=None)
    check(p.returncode != 0 and good in p.stderr, 'damaged database named: %r' % p.stderr)
    check(digest(good) == before, 'damaged database left as it was')


def kernel_has_bluetooth():
    try:
        socket.socket(socket.AF_BLUETOOTH, socket.SOCK_RAW, socket.BTPROTO_HCI).close()
        return True
    except (AttributeError, OSError) as e:
        return not (isinstance(e, AttributeError) or e.errno == errno.EAFNOSUPPORT)


def test_scan_without_bluetooth(tmp):
    if kernel_has_bluetooth():
        print('kernel has Bluetooth: scan is tested in the VM test, not here')
        return
    p = sensors(os.path.join(tmp, 'scan.db'), 'scan', '--seconds', '1', expect=EX_UNAVAILABLE)
    check('this kernel has no Bluetooth support' in p.stderr, 'no-Bluetooth message: ' + p.stderr)
    check(p.stdout == '', 'no table without a scan: %r' % p.stdout)


def main():
    with tempdir() as tmp:
        test_add_list_remove(tmp)
        test_seen_follows_data(tmp)
        test_bad_arguments(tmp)
        test_corrupt_database(tmp)
        test_scan_without_bluetooth(tmp)
    finish('e2e_sensors')


if __name__ == '__main__':
    sys.exit(main())
