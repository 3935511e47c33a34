#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Damaged captures (issues 17.2, 18.3, 18.4): a damaged record time is
skipped, counted and named rather than starting a run in another century
or stalling a replay at recorded speed; a damaged record length costs that
record, not the rest of the file."""
import os
import shutil
import sqlite3
import struct
import subprocess
import time

from btsnoop_writer import EPOCH_DELTA_US, Capture, rsc
from hamstride_test import CLI, DAEMON, check, finish, run, tempdir

EX_DATAERR = 65
T0 = 1_790_000_000 * 1_000_000  # 2026-09-21
YEAR_2100_US = 4_102_444_800 * 1_000_000


def runs_of(db):
    with sqlite3.connect(db) as con:
        return con.execute('SELECT start_us, end_us, notifications FROM runs').fetchall()


def stored(db):
    with sqlite3.connect(db) as con:
        return con.execute('SELECT count(*) FROM notifications').fetchone()[0]


def record_offsets(path):
    """Byte offsets of the records of a btsnoop file."""
    data = open(path, 'rb').read()
    at, out = 16, []
    while at + 24 <= len(data):
        out.append(at)
        at += 24 + struct.unpack('>I', data[at + 4:at + 8])[0]
    return out


def poke(path, offset, data):
    with open(path, 'r+b') as f:
        f.seek(offset)
        f.write(data)


def test_corrupt_timestamp_17_2(tmp):
    """The issue's reproduction, byte for byte."""
    cap, db = os.path.join(tmp, 'small.btsnoop'), os.path.join(tmp, 'a.db')
    run([CLI, 'sim', '--seed', '3', '--minutes', '5', '--output', cap])
    poke(cap, 24918, b'\x01')
    p = run([CLI, '--db', db, 'replay', cap], expect=EX_DATAERR)
    runs = runs_of(db)
    check(len(runs) == 1, 'one run, not split in two: %r' % runs)
    check(all(r[0] < YEAR_2100_US and (r[1] or 0) < YEAR_2100_US for r in runs),
          'no run in the year 4310: %r' % runs)
    check('at byte 24902 is stamped 4310-04-03' in p.stderr and 'skipped' in p.stderr,
          'the damaged record is named and skipped: ' + p.stderr)
    check('1 record skipped for a damaged time' in p.stderr, 'and counted: ' + p.stderr)
    # A one-shot hamstrided --replay exits as the CLI does, with the count.
    p = run([DAEMON, '--replay', cap, '--db', os.path.join(tmp, 'a-daemon.db')],
            expect=EX_DATAERR)
    check('the capture is damaged, first at byte 24902: 1 record skipped for a damaged time'
          in p.stderr, 'hamstrided says what it skipped: ' + p.stderr)
    check(runs_of(os.path.join(tmp, 'a-daemon.db')) == runs, 'and stores what the CLI does')


def test_damaged_length_18_3(tmp):
    """A length byte damaged in the middle keeps everything but that record."""
    cap, clean_db = os.path.join(tmp, 'len.btsnoop'), os.path.join(tmp, 'clean.db')
    run([CLI, 'sim', '--seed', '5', '--minutes', '3', '--output', cap])
    run([CLI, '--db', clean_db, 'replay', cap])
    total = stored(clean_db)
    offsets = record_offsets(cap)
    kept = []
    for k, frac in enumerate((0.25, 0.5, 0.75)):
        damaged = os.path.join(tmp, 'len%d.btsnoop' % k)
        shutil.copy(cap, damaged)
        at = offsets[int(len(offsets) * frac)]
        poke(damaged, at + 4, b'\x7f')  # the included length's top byte
        db = os.path.join(tmp, 'len%d.db' % k)
        p = run([CLI, '--db', db, 'replay', damaged], expect=EX_DATAERR)
        kept.append(stored(db))
        check('damaged at byte %d' % at in p.stderr, 'the damage is named: ' + p.stderr)
        check('truncated' not in p.stderr, 'not called a truncation: ' + p.stderr)
    print('notifications kept after one damaged length: %r of %d' % (kept, total))
    check(all(k >= total - 1 for k in kept), 'at most the damaged record is lost: %r of %d' %
          (kept, total))


def spiked_capture(path, spike_us):
    """3 s of a running foot pod at 10 Hz, one record's time damaged."""
    c = Capture(path)
    c.connect(0x0040, 'C4:7C:8D:6A:1B:2E', T0)
    c.discover(0x0040, 0x000e, 0x2a53, T0)
    for i in range(30):
        t = T0 + 100_000 * (i + 1)
        c.notify(0x0040, 0x000e, rsc(3.0, 85), t + (spike_us if i == 15 else 0))
    c.close()


def test_realtime_spikes_18_4(tmp):
    """At recorded speed a record 10^15 µs ahead no longer stalls the replay,
    and one an hour ahead no longer splits the run."""
    for spike in (10**15, 3600 * 10**6):
        cap, db = os.path.join(tmp, 'spike.btsnoop'), os.path.join(tmp, 'spike%d.db' % spike)
        spiked_capture(cap, spike)
        start = time.monotonic()
        try:
            p = subprocess.run([DAEMON, '--replay', cap, '--realtime', '--db', db],
                               capture_output=True, text=True, timeout=15)
            took = time.monotonic() - start
        except subprocess.TimeoutExpired:
            check(False, 'a +%d µs record stalls the realtime replay' % spike)
            continue
        print('realtime replay of 3 s with a +%d µs record: %.1f s' % (spike, took))
        check(took < 6, 'the replay keeps recorded speed: %.1f s' % took)
        check('is stamped' in p.stderr, 'the damaged time is logged: ' + p.stderr)
        check(p.returncode == EX_DATAERR and '1 record skipped' in p.stderr,
              'a replay past damage exits %d with the count, not %d' % (EX_DATAERR,
                                                                         p.returncode))
        runs = runs_of(db)
        check(len(runs) == 1, '+%d µs: one run, not split: %r' % (spike, runs))


def main():
    with tempdir() as tmp:
        test_corrupt_timestamp_17_2(tmp)
        test_damaged_length_18_3(tmp)
        test_realtime_spikes_18_4(tmp)
    finish('e2e_capture_damage')


if __name__ == '__main__':
    main()
