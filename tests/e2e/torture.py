#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Crash torture (issue 16): hamstrided replaying and simulating, killed with
SIGKILL again and again, and the CLI's replay and import killed too.

After every kill: PRAGMA integrity_check, a restart (the next kill's daemon,
which closes the run the kill left open before it records, or a clean
restart with an empty capture after every fifth kill into a database), and
what is stored against what had been fed:

- the notifications stored by the killed daemon are an exact prefix of the
  ones a whole replay of the same input stores (same order, times, handles,
  characteristics, bytes, in a run or outside one);
- "cut" kills stop the daemon at a known place: the capture comes through
  a pipe, a random number of its records, then records the reader skips
  until the daemon waits on the pipe having decoded every real one; then
  SIGKILL. What was fed is known to the notification, so the loss is
  measured exactly: its count and its span in capture time;
- "time" and "simulate" kills fall at random moments of a replay at full
  speed or of a simulation (mid-commit, mid-checkpoint, before the tables
  exist), where only the prefix can be checked;
- a run left open is closed at the next start with end reason 'crash', its
  notification count that of the rows it holds, its samples and strides
  kept, and no run is left open;
- a killed `hamstride replay` or `hamstride import` leaves every run whole
  or absent, never open.

    torture.py [--kills N] [--cli-kills N] [--seed S] [--per-db N]

Prints the seed, the kills of each kind, the seconds lost per cut kill
(maximum and distribution) and where the time went.
"""
import argparse
import collections
import fcntl
import os
import random
import sqlite3
import struct
import subprocess
import sys
import termios
import time

from hamstride_test import CLI, DAEMON, check, fail, finish, run, tempdir

BTSNOOP_HEADER = 16
RECORD_HEADER = 24
EPOCH_DELTA_US = 0x00dcddb30f2f8000
MON_SYSTEM_NOTE = 12
# The capture reader's buffer (capture_frames.c BUF_CAP: one largest
# record, a header and 4 KiB) and stdio's: past twice this much skipped
# filler after the last real record, a reader that waits on the pipe has
# decoded every real record.
READER_BUFFER = RECORD_HEADER + 1 + 4 + 65535 + RECORD_HEADER + 4096 + 4096
FILLER_RECORD = 4000
# Seconds of the simulated run the replays feed (the run starts in the first).
CAPTURE_S = 30

timings = collections.Counter()
hot_journals = [0]
# Checks of a database killed between two of its migrations.
part_migrated = [0]


class Timer:
    def __init__(self, what):
        self.what = what

    def __enter__(self):
        self.t = time.monotonic()

    def __exit__(self, *exc):
        timings[self.what] += time.monotonic() - self.t


def records(path):
    """(end offset, time in Unix µs) of each record of a btsnoop capture."""
    data = open(path, 'rb').read()
    out, pos = [], BTSNOOP_HEADER
    while pos + RECORD_HEADER <= len(data):
        _, incl, _, _, ts = struct.unpack_from('>IIIIq', data, pos)
        pos += RECORD_HEADER + incl
        out.append((pos, ts - EPOCH_DELTA_US))
    return data, out


def filler(time_us):
    """A system-note record at the given time: the reader skips it."""
    text = b'x' * FILLER_RECORD
    return struct.pack('>IIIIq', len(text), len(text), MON_SYSTEM_NOTE, 0,
                       time_us + EPOCH_DELTA_US) + text


def latest_schema_version():
    names = os.listdir(os.path.join(os.environ['HAMSTRIDE_SOURCE_ROOT'], 'schema'))
    return max(int(n[:3]) for n in names if n[:3].isdigit() and n.endswith('.sql'))


SCHEMA_VERSION = latest_schema_version()


def connect(db):
    return sqlite3.connect('file:%s?mode=ro' % db, uri=True, timeout=10)


def integrity(db, what):
    if not os.path.exists(db):
        return True
    with Timer('integrity_check'):
        c = connect(db)
        try:
            got = c.execute('PRAGMA integrity_check').fetchall()
        except sqlite3.OperationalError as e:
            # A kill while the file was being created leaves a rollback
            # journal (WAL is set up after) that only a writer may play
            # back, as the next start does.
            if 'readonly' not in str(e):
                raise
            c.close()
            c = sqlite3.connect(db, timeout=10)
            got = c.execute('PRAGMA integrity_check').fetchall()
            hot_journals[0] += 1
        finally:
            c.close()
    return check(got == [('ok',)], '%s: integrity_check says %s' % (what, got[:5]))


def has_tables(c):
    """Whether every migration is in: a kill while a new database is being
    made leaves it part-way (each migration commits on its own), which the
    next open finishes. Such a database must hold no rows yet."""
    version = c.execute('PRAGMA user_version').fetchone()[0]
    if version >= SCHEMA_VERSION:
        return True
    if c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'runs'").fetchone()[0]:
        part_migrated[0] += 1
        rows = c.execute('SELECT count(*) FROM runs').fetchone()[0]
        check(rows == 0, 'a database at schema %d of %d holds %d runs' %
              (version, SCHEMA_VERSION, rows))
    return False


def max_notification_id(db):
    if not os.path.exists(db):
        return 0
    c = connect(db)
    try:
        return c.execute('SELECT coalesce(max(id), 0) FROM notifications').fetchone()[0] \
            if has_tables(c) else 0
    finally:
        c.close()


def stored_prefix(db, ref, floor, what, replay):
    """How far into the reference's notifications those past floor reach
    (and the reference's that the replay needed not store), after checking
    they are its first ones, in order and to the byte. A replay into a
    database that holds some of the same notifications outside runs (an
    earlier kill's) does not store those twice: they are taken out of the
    reference (each stored one standing for one). A simulation stores all."""
    if not os.path.exists(db):
        return 0, set()
    with Timer('compare'):
        c = connect(db)
        try:
            if not has_tables(c):
                return 0, set()
            c.execute("ATTACH DATABASE ? AS ref", ('file:%s?mode=ro' % ref,))
            n, lo, hi = c.execute('SELECT count(*), min(id), max(id) FROM main.notifications '
                                  'WHERE id > ?', (floor,)).fetchone()
            if n:
                check(lo == floor + 1 and hi == floor + n,
                      '%s: stored notification ids %d..%d are not %d in a row after %d'
                      % (what, lo, hi, n, floor))
            before = collections.Counter(c.execute(
                'SELECT x.address, n.t_us, n.handle, n.value FROM main.notifications n JOIN '
                'main.sensors x ON x.id = n.sensor_id WHERE n.id <= ? AND n.run_id IS NULL',
                (floor,)).fetchall())
            reference = c.execute(
                'SELECT x.address, r.t_us, r.handle, r.value, r.uuid, r.run_id IS NULL FROM '
                'ref.notifications r JOIN ref.sensors x ON x.id = r.sensor_id ORDER BY r.id'
                ).fetchall()
            stored = c.execute(
                'SELECT x.address, n.t_us, n.handle, n.value, n.uuid, n.run_id IS NULL FROM '
                'main.notifications n JOIN main.sensors x ON x.id = n.sensor_id WHERE n.id > ? '
                'ORDER BY n.id', (floor,)).fetchall()
        finally:
            c.close()
    expected = []  # (index in the reference, row)
    skipped = set()
    for i, row in enumerate(reference):
        if replay and row[5] and before[row[:4]] > 0:
            before[row[:4]] -= 1
            skipped.add(i)
        else:
            expected.append((i, row))
    bad = [k for k, row in enumerate(stored) if k >= len(expected) or expected[k][1] != row]
    check(not bad, '%s: %d stored notifications differ from the replay\'s, the first at id %s'
          % (what, len(bad), floor + 1 + bad[0] if bad else None))
    if not stored:
        return 0, skipped
    return (expected[len(stored) - 1][0] + 1 if len(stored) <= len(expected) else
            len(reference) + 1), skipped


def open_run_state(db):
    """{run id: (notifications, samples, strides)} of the runs left open."""
    if not os.path.exists(db):
        return {}
    c = connect(db)
    try:
        if not has_tables(c):
            return {}
        out = {}
        for (run_id,) in c.execute('SELECT id FROM runs WHERE end_us IS NULL').fetchall():
            out[run_id] = tuple(c.execute('SELECT count(*) FROM %s WHERE run_id = ?' % t,
                                          (run_id,)).fetchone()[0]
                                for t in ('notifications', 'samples', 'strides'))
        return out
    finally:
        c.close()


class Torture:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.rng = random.Random(args.seed)
        self.kills = collections.Counter()
        self.recovered = 0
        self.restarts = 0
        self.pending = {}  # database: {run id: its rows when it was left open}
        self.recovered_with = collections.Counter()
        self.cli_outcomes = collections.defaultdict(collections.Counter)
        self.cut_lost = []  # (notifications lost, span of them s, last fed - last stored s)
        self.empty = os.path.join(tmp, 'empty.btsnoop')
        with open(self.empty, 'wb') as f:
            f.write(b'btsnoop\0\0\0\0\1\0\0\x07\xd1')
        self.env = dict(os.environ, TMPDIR=tmp)

    # ---- inputs and their references --------------------------------------

    def prepare(self):
        tmp = self.tmp
        self.capture = os.path.join(tmp, 'run.btsnoop')
        # Fixed inputs (the seed picks the kills): the suite's time stays
        # predictable, and a failure replays with the seed alone.
        whole = os.path.join(tmp, 'whole.btsnoop')
        run([CLI, 'sim', '--seed', '1', '--minutes', '1', '--imu', '--output', whole])
        # Its first CAPTURE_S: each kill costs the work done before it.
        data, recs = records(whole)
        end = next(e for e, t_us in recs if t_us >= recs[0][1] + CAPTURE_S * 1000000)
        with open(self.capture, 'wb') as f:
            f.write(data[:end])
        self.capture_bytes, self.capture_records = records(self.capture)
        self.capture_ref = os.path.join(tmp, 'run-ref.db')
        t = time.monotonic()
        run([DAEMON, '--replay', self.capture, '--db', self.capture_ref, '--log-level', 'warning'])
        self.replay_s = time.monotonic() - t
        self.sim_args = ['--simulate', '--seed', '7', '--weeks', '0',
                         '--minutes', '1', '--imu', '--start', '2026-11-02T07:00Z']
        self.sim_ref = os.path.join(tmp, 'sim-ref.db')
        t = time.monotonic()
        run([DAEMON] + self.sim_args + ['--db', self.sim_ref, '--log-level', 'warning'])
        self.sim_s = time.monotonic() - t
        c = sqlite3.connect(self.capture_ref)
        self.ref_times = [r[0] for r in c.execute('SELECT t_us FROM notifications ORDER BY id')]
        c.close()
        # Where a cut may fall: between records whose times differ, so the
        # notifications fed are those at or before the last record's time.
        self.cuts = [i for i in range(1, len(self.capture_records))
                     if self.capture_records[i][1] > self.capture_records[i - 1][1]]
        print('inputs: %d s of a run with shoe IMUs, %d notifications, replayed in %.3f s; '
              'a 1-min run simulated and stored in %.3f s'
              % (CAPTURE_S, len(self.ref_times), self.replay_s, self.sim_s))

    # ---- one kill of the daemon ----------------------------------------------

    def start_daemon(self, argv, db):
        return subprocess.Popen([DAEMON] + argv + ['--db', db, '--log-level', 'error'],
                                stderr=subprocess.DEVNULL, env=self.env)

    def kill_at_time(self, argv, db, span_s):
        d = self.start_daemon(argv, db)
        time.sleep(self.rng.uniform(0, span_s))
        d.kill()
        d.wait()

    def kill_at_cut(self, db):
        """Feeds the capture through a pipe up to a random record, waits until
        the daemon has decoded all of it, kills it; returns the time of the
        last record fed."""
        fifo = os.path.join(self.tmp, 'feed.fifo')
        if not os.path.exists(fifo):
            os.mkfifo(fifo)
        cut = self.rng.choice(self.cuts)
        end, _ = self.capture_records[cut - 1]
        last_us = self.capture_records[cut - 1][1]
        d = self.start_daemon(['--replay', fifo], db)
        w = os.open(fifo, os.O_WRONLY)
        try:
            view = memoryview(self.capture_bytes)[:end]
            while view:
                view = view[os.write(w, view):]
            self.drain(d, w, last_us)
        except BrokenPipeError:
            fail('cut kill: the daemon stopped reading the pipe (exit %s)' % d.poll())
        finally:
            d.kill()
            d.wait()
            os.close(w)
        return last_us

    def drain(self, d, w, last_us):
        """Skipped records until the reader has taken in more than its
        buffers hold and waits on an empty pipe."""
        pad = filler(last_us)
        os.set_blocking(w, False)
        written = 0
        deadline = time.monotonic() + 10
        with Timer('cut: waiting for the reader'):
            while time.monotonic() < deadline:
                if written < 2 * READER_BUFFER:
                    try:
                        written += os.write(w, pad)
                    except BlockingIOError:
                        time.sleep(0.0005)
                    continue
                if pipe_empty(w) and sleeping(d.pid):
                    time.sleep(0.002)
                    if pipe_empty(w) and sleeping(d.pid):
                        return
                time.sleep(0.0005)
        fail('cut kill: the daemon did not come to wait on the pipe within 10 s')

    def one_daemon_kill(self, kind, db, ref, what):
        floor = max_notification_id(db)
        last_fed_us = None
        with Timer('%s: daemon until the kill' % kind):
            if kind == 'cut':
                last_fed_us = self.kill_at_cut(db)
            elif kind == 'time':
                self.kill_at_time(['--replay', self.capture], db, self.replay_s * 1.2)
            else:
                self.kill_at_time(self.sim_args, db, self.sim_s * 1.2)
        self.kills[kind] += 1
        if not integrity(db, what):
            return False
        stored, skipped = stored_prefix(db, ref, floor, what, kind != 'simulate')
        if last_fed_us is not None:
            self.measure_loss(stored, skipped, last_fed_us, what)
        # The next start closes what this kill left open: the next kill's
        # daemon (unless killed before it got that far), or the clean
        # restart at the end of the database.
        ok = self.settle(db, what, final=False)
        pending = self.pending.setdefault(db, {})
        for run_id, state in open_run_state(db).items():
            pending.setdefault(run_id, state)
        return ok

    def restart(self, db, what):
        with Timer('restart'):
            p = subprocess.run([DAEMON, '--replay', self.empty, '--db', db, '--log-level',
                                'warning'], capture_output=True, text=True, env=self.env)
        check(p.returncode == 0, '%s: the restart exited %d: %s' % (what, p.returncode, p.stderr))
        self.restarts += 1
        integrity(db, what + ' after the restart')
        self.settle(db, what + ' after the restart', final=True)

    def measure_loss(self, stored, skipped, last_fed_us, what):
        """stored: how far into the reference the stored notifications reach;
        skipped: the reference's that were stored already."""
        fed = 0
        while fed < len(self.ref_times) and self.ref_times[fed] <= last_fed_us:
            fed += 1
        check(stored <= fed, '%s: %d notifications stored, only %d were fed' % (what, stored, fed))
        while stored < fed and stored in skipped:
            stored += 1
        lost = sum(1 for i in range(stored, fed) if i not in skipped)
        if lost == 0:
            self.cut_lost.append((0, 0.0, 0.0))
            return
        span_s = (self.ref_times[fed - 1] - self.ref_times[stored]) / 1e6
        since_s = (self.ref_times[fed - 1] - (self.ref_times[stored - 1] if stored else
                                              self.ref_times[0])) / 1e6
        self.cut_lost.append((lost, span_s, since_s))
        check(span_s < 1.0, '%s: %d notifications lost over %.3f s of capture (at most 1 s)'
              % (what, lost, span_s))

    def settle(self, db, what, final):
        """Checks the runs left open by earlier kills that a start has closed
        since; final: after a clean restart, when every one must be."""
        pending = self.pending.get(db, {})
        if not pending and not final:
            return True
        c = connect(db)
        ok = True
        try:
            if final:
                still = [r[0] for r in c.execute('SELECT id FROM runs WHERE end_us IS NULL')] \
                    if has_tables(c) else []
                ok = check(not still, '%s: runs %s still open' % (what, still))
            for run_id, (notes, samples, strides) in list(pending.items()):
                reason, count, end_us, start_us = c.execute(
                    'SELECT end_reason, notifications, end_us, start_us FROM runs WHERE id = ?',
                    (run_id,)).fetchone()
                now = tuple(c.execute('SELECT count(*) FROM %s WHERE run_id = ?' % t,
                                      (run_id,)).fetchone()[0]
                            for t in ('notifications', 'samples', 'strides'))
                last = c.execute('SELECT max(t_us) FROM notifications WHERE run_id = ?',
                                 (run_id,)).fetchone()[0]
                if end_us is None and not final:
                    continue  # that start was killed before it closed it
                del pending[run_id]
                ok &= check(reason == 'crash', '%s: run %d closed with %r, not crash'
                            % (what, run_id, reason))
                ok &= check(now == (notes, samples, strides) and count == notes,
                            '%s: run %d held %s (notifications, samples, strides) before the '
                            'restart, %s after, and says %d notifications'
                            % (what, run_id, (notes, samples, strides), now, count))
                ok &= check(end_us == (last if last is not None else end_us) and
                            end_us >= start_us, '%s: run %d ends at %s, its last notification '
                            'is at %s' % (what, run_id, end_us, last))
                self.recovered += 1
                self.recovered_with['samples'] += samples > 0
                self.recovered_with['strides'] += strides > 0
            return ok
        finally:
            c.close()

    def daemon_kills(self):
        # A simulation costs most per kill (it writes its capture first).
        kinds = ['cut', 'time', 'simulate', 'cut', 'time']
        per_db = self.args.per_db
        for i in range(self.args.kills):
            kind = kinds[i % len(kinds)]
            n = self.kills[kind]
            db = os.path.join(self.tmp, '%s-%d.db' % (kind, n // per_db))
            ref = self.sim_ref if kind == 'simulate' else self.capture_ref
            what = 'seed %d kill %d (%s %d)' % (self.args.seed, i, kind, n)
            if not self.one_daemon_kill(kind, db, ref, what) and len(self.failures()) > 20:
                return
            if n % per_db == per_db - 1 or i >= self.args.kills - len(kinds):
                self.restart(db, what)
                remove_db(db)

    def failures(self):
        import hamstride_test
        return hamstride_test.failures

    # ---- the CLI killed --------------------------------------------------------

    def cli_kills(self):
        inputs = self.cli_inputs()
        for i in range(self.args.cli_kills):
            name, argv, span_s, ref_runs = inputs[i % len(inputs)]
            db = os.path.join(self.tmp, 'cli.db')
            remove_db(db)
            what = 'seed %d CLI kill %d (%s)' % (self.args.seed, i, name)
            with Timer('cli %s: until the kill' % name):
                p = subprocess.Popen([CLI, '--db', db] + argv, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=self.env)
                time.sleep(self.rng.uniform(0, span_s))
                p.kill()
                p.wait()
            self.kills['cli ' + name] += 1
            if integrity(db, what):
                with Timer('compare'):
                    found = self.check_whole_or_none(db, ref_runs, what)
                self.cli_outcomes[name][found] += 1
        remove_db(os.path.join(self.tmp, 'cli.db'))

    def cli_inputs(self):
        """(name, argv, how long it runs, {start_us: the whole run's summary})."""
        out = []
        csv = os.path.join(self.tmp, 'imu.csv')
        run([os.environ['HAMSTRIDE_IMU_SIM_CSV'], csv, os.path.join(self.tmp, 'imu-truth.csv'),
             '--seconds', '60', '--seed', '3'])
        history = self.history_files()
        for name, argv in (('replay', ['replay', self.capture]),
                           ('import imu', ['import', 'imu', csv]),
                           ('import history', ['import'] + history)):
            ref = os.path.join(self.tmp, 'cli-ref-%s.db' % name.replace(' ', '-'))
            t = time.monotonic()
            run([CLI, '--db', ref] + argv)
            span_s = time.monotonic() - t
            c = sqlite3.connect(ref)
            runs = {r[0]: r[1:] for r in c.execute(
                'SELECT start_us, end_us, notifications, end_reason, '
                '(SELECT count(*) FROM notifications n WHERE n.run_id = runs.id), '
                '(SELECT count(*) FROM samples s WHERE s.run_id = runs.id), '
                '(SELECT count(*) FROM strides s WHERE s.run_id = runs.id) FROM runs')}
            c.close()
            check(len(runs) > 0, 'the CLI stored no run from %s' % name)
            out.append((name, argv, span_s * 1.2, runs))
            print('CLI %-15s %d runs in %.3f s' % (name, len(runs), span_s))
        return out

    def history_files(self):
        """Four half-hour GPX runs, each its own file and run."""
        from e2e_import_history import gpx, write_xml
        paths = []
        for hour in range(6, 10):
            paths.append(os.path.join(self.tmp, 'history-%d.gpx' % hour))
            write_xml(paths[-1], gpx('<type>running</type>', 3.0 + hour * 0.1, hour, 1800))
        return paths

    def check_whole_or_none(self, db, ref_runs, what):
        """How many whole runs are stored (a part of one fails the test)."""
        if not os.path.exists(db):
            return 0
        c = connect(db)
        found = 0
        try:
            if not has_tables(c):
                return 0
            for row in c.execute(
                    'SELECT start_us, end_us, notifications, end_reason, '
                    '(SELECT count(*) FROM notifications n WHERE n.run_id = runs.id), '
                    '(SELECT count(*) FROM samples s WHERE s.run_id = runs.id), '
                    '(SELECT count(*) FROM strides s WHERE s.run_id = runs.id) FROM runs'):
                want = ref_runs.get(row[0])
                check(want is not None and tuple(row[1:]) == tuple(want),
                      '%s: a run starting at %d holds %s (end, notifications, reason, rows, '
                      'samples, strides); the whole run holds %s' % (what, row[0], row[1:], want))
                found += 1
        finally:
            c.close()
        return found

    def report(self, elapsed):
        total = sum(self.kills.values())
        print('seed %d: %d kills in %.1f s (%s); 0 corrupt databases expected, %d failures'
              % (self.args.seed, total, elapsed,
                 ', '.join('%s %d' % kv for kv in sorted(self.kills.items())),
                 len(self.failures())))
        print('runs left open and closed as crash at the next start: %d (%d with samples, '
              '%d with strides); clean restarts %d' % (
                  self.recovered, self.recovered_with['samples'],
                  self.recovered_with['strides'], self.restarts))
        if self.cut_lost:
            lost = [x[0] for x in self.cut_lost]
            span = sorted(x[1] for x in self.cut_lost)
            since = sorted(x[2] for x in self.cut_lost)
            print('cut kills: %d; notifications lost per kill: max %d, mean %.1f, none lost in %d'
                  % (len(lost), max(lost), sum(lost) / len(lost), lost.count(0)))
            print('  span of the lost notifications (s): max %.3f, median %.3f, p90 %.3f'
                  % (span[-1], span[len(span) // 2], span[int(len(span) * 0.9)]))
            print('  last fed to last stored (s):        max %.3f, median %.3f, p90 %.3f'
                  % (since[-1], since[len(since) // 2], since[int(len(since) * 0.9)]))
            edges = [0, 0.001, 0.25, 0.5, 0.75, 1.0, float('inf')]
            hist = ['[%g, %g): %d' % (lo, hi, sum(lo <= s < hi for s in span))
                    for lo, hi in zip(edges, edges[1:])]
            print('  span lost, distribution: ' + '; '.join(hist))
        for name, got in sorted(self.cli_outcomes.items()):
            print('CLI %s killed: %s' % (name, ', '.join(
                '%d whole runs stored in %d' % kv for kv in sorted(got.items()))))
        print('databases killed while being created, their journal played back by the '
              'check: %d; '
              'checks of one killed between two migrations: %d' % (hot_journals[0], part_migrated[0]))
        print('where the time went (s): ' + ', '.join(
            '%s %.1f' % kv for kv in sorted(timings.items(), key=lambda kv: -kv[1])))


def pipe_empty(w):
    buf = bytearray(4)
    fcntl.ioctl(w, termios.FIONREAD, buf)
    return struct.unpack('i', bytes(buf))[0] == 0


def sleeping(pid):
    """State S: with the pipe empty and a replay at full speed, the daemon
    sleeps only in its read of the pipe."""
    with open('/proc/%d/stat' % pid) as f:
        return f.read().rsplit(')', 1)[1].split()[0] == 'S'


def remove_db(db):
    for suffix in ('', '-wal', '-shm', '.lock'):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kills', type=int, default=30, help='kills of the daemon')
    ap.add_argument('--cli-kills', type=int, default=9, help='kills of the CLI')
    ap.add_argument('--seed', type=int, default=int(time.time()) % 100000)
    ap.add_argument('--per-db', type=int, default=5, help='kills into one database')
    args = ap.parse_args()
    print('torture seed %d (run again with --seed %d)' % (args.seed, args.seed))
    sys.stdout.flush()
    t0 = time.monotonic()
    with tempdir() as tmp:
        t = Torture(args, tmp)
        with Timer('inputs'):
            t.prepare()
        t.daemon_kills()
        t.cli_kills()
        t.report(time.monotonic() - t0)
    check(t.recovered > 0 or args.kills < 10, 'no kill left a run open')
    finish('torture')


if __name__ == '__main__':
    main()
