#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Defect 18.1, disk full: the daemon exited 0 having lost runs and printed
counts that were not what it stored. On a 3 MB tmpfs, a replay that does
not fit must exit non-zero, say the disk is full, and print exactly the
runs and notifications the database holds; so must 'hamstride replay'.
Issue 16: recording into a disk that fills and is then freed, the daemon
says "database full" once, keeps what arrives in memory and stores it when
space returns, leaving a sound file (PRAGMA integrity_check); the CLI's
writing commands exit 74 naming the file, its reading commands still read.
Needs root to mount the tmpfs: skipped (exit 77) where that is refused."""
import errno
import os
import re
import sqlite3
import queue
import signal
import subprocess
import threading
import time

from hamstride_test import CLI, DAEMON, Tmpfs, check, finish, run, tempdir

EX_IOERR = 74


def stored(db):
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        runs, ended = c.execute('SELECT count(*), count(end_us) FROM runs').fetchone()
        notifications = c.execute('SELECT count(*) FROM notifications').fetchone()[0]
    finally:
        c.close()  # an open file would keep the tmpfs busy
    return runs, ended, notifications


def daemon_on_full_disk(mnt, capture):
    db = os.path.join(mnt, 'daemon.db')
    p = run([DAEMON, '--replay', capture, '--db', db], expect=74)
    check('database full' in p.stderr and 'no space left on device' in p.stderr,
          'the log does not say the disk is full:\n' + p.stderr[-2000:])
    m = re.search(r'stored (\d+) of \d+ notifications, (\d+) runs \((\d+) of them ended',
                  p.stderr)
    if not check(m, 'the daemon does not say what it stored:\n' + p.stderr[-2000:]):
        return
    said = (int(m.group(2)), int(m.group(3)), int(m.group(1)))
    have = stored(db)
    print('daemon said runs, ended, notifications = %s; the database holds %s' % (said, have))
    check(said == have, 'the daemon said it stored %s (runs, ended, notifications), the '
          'database holds %s' % (said, have))
    os.unlink(db)
    for suffix in ('-wal', '-shm'):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)


def cli_on_full_disk(mnt, capture):
    db = os.path.join(mnt, 'cli.db')
    p = run([CLI, '--db', db, 'replay', capture], expect=None)
    check(p.returncode != 0, 'hamstride replay on a full disk exited 0')
    m = re.search(r'runs stored: (\d+)', p.stdout)
    if check(m, 'hamstride replay does not say what it stored:\n%s\n%s' % (p.stdout, p.stderr)):
        runs = stored(db)[0]
        print('hamstride replay said %s runs stored; the database holds %d' % (m.group(1), runs))
        check(int(m.group(1)) == runs, 'hamstride replay said %s runs stored, the database '
              'holds %d' % (m.group(1), runs))


def remove_db(db):
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)


def fill(mnt, leave_bytes):
    """A file that takes all of the tmpfs but leave_bytes."""
    st = os.statvfs(mnt)
    size = st.f_bavail * st.f_frsize - leave_bytes
    filler = os.path.join(mnt, 'filler')
    with open(filler, 'wb') as f:
        f.write(b'\0' * max(size, 0))
    return filler


def read_lines(stream, lines):
    for line in stream:
        lines.put(line.rstrip('\n'))
    lines.put(None)


def wait_for(lines, seen, text, timeout_s):
    """The first log line holding text; every line read is kept in seen."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if text in line:
            return line
    return None


def daemon_holds_until_space(mnt, capture):
    """Recording at the pace of a live run into a disk that fills: the run
    goes on in memory and is stored once the disk is freed."""
    db = os.path.join(mnt, 'held.db')
    run([CLI, '--db', db, 'pain', 'add', '2026-11-30', '--next-morning', '1', '--side', 'left'])
    filler = fill(mnt, 72 * 1024)
    proc = subprocess.Popen([DAEMON, '--replay', capture, '--realtime', '--db', db,
                             '--log-level', 'notice'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines, seen = queue.Queue(), []
    threading.Thread(target=read_lines, args=(proc.stderr, lines), daemon=True).start()
    try:
        full = wait_for(lines, seen, 'kept in memory', 90)
        if not check(full, 'the daemon never said the disk was full:\n' + '\n'.join(seen)):
            return
        check('database full' in full and db in full, 'the full-disk line names neither the '
              'disk being full nor the file: ' + full)
        time.sleep(2)  # seconds of the run wait in memory
        os.unlink(filler)
        back = wait_for(lines, seen, 'has room again', 10)
        if not check(back, 'the daemon did not store what it held:\n' + '\n'.join(seen)):
            return
        print(full + '\n' + back)
        held = int(re.search(r'\((\d+) notifications', back).group(1))
        check(held > 0, 'no notifications were held: ' + back)
        check(' 0 were dropped' in back, 'writes were dropped: ' + back)
        fulls = [l for l in seen if 'database full' in l]
        check(len(fulls) == 1, 'said "database full" %d times, want once:\n%s'
              % (len(fulls), '\n'.join(fulls)))
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        wait_for(lines, seen, 'no such line: read to the end', 5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    tail = '\n'.join(seen[-6:])
    m = re.search(r'stored (\d+) of (\d+) notifications', tail)
    if not check(m, 'the daemon does not say what it stored:\n' + tail):
        return
    stored_said, received = int(m.group(1)), int(m.group(2))
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        integrity = c.execute('PRAGMA integrity_check').fetchone()[0]
        have = c.execute('SELECT count(*) FROM notifications').fetchone()[0]
        span = c.execute('SELECT (max(t_us) - min(t_us)) / 1e6 FROM notifications').fetchone()[0]
        ended = c.execute("SELECT count(*) FROM runs WHERE end_reason = 'shutdown'").fetchone()[0]
    finally:
        c.close()
    rate = received / span if span else 0
    lost = received - have
    print('held %d notifications; received %d, stored %d (the daemon says %d), lost %d '
          '(%.1f s at %.1f a second); integrity_check: %s'
          % (held, received, have, stored_said, lost, lost / rate if rate else 0, rate,
             integrity))
    check(integrity == 'ok', 'integrity_check after the disk filled: ' + integrity)
    check(have == stored_said, 'the daemon said %d stored, the database holds %d'
          % (stored_said, have))
    # Lost: only the batch being committed when the disk filled, one second.
    check(lost <= rate * 1.5 + 2, 'lost %d notifications, more than a second\'s (%.1f/s)'
          % (lost, rate))
    check(ended == 1, 'the run was not ended in the database after space returned')
    remove_db(db)


POD = 'C4:7C:8D:6A:1B:2E'
T0 = 1793602800 * 1000000  # 2026-11-02T07:00:00Z
EDGE_SPEED = 8  # the edge cases' captures replayed at 8 times recorded speed


def pod_capture(path, phases, pod=POD, t0=T0):
    """A foot pod at 4 Hz through phases of (seconds, running)."""
    from btsnoop_writer import Capture, rsc
    c = Capture(path)
    c.connect(0x0040, pod, t0)
    c.discover(0x0040, 0x000e, 0x2a53, t0)
    t = 0
    for seconds, running in phases:
        for _ in range(seconds * 4):
            t += 250000
            c.notify(0x0040, 0x000e, rsc(3.0 if running else 1.2, 85, running), t0 + t)
    c.close()


def run_rows(db, source):
    """What was stored of the runs from source, by run: the run's row, its
    notifications (with their sensor's address), samples, strides and gaps,
    without the ids the database gave."""
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        out = []
        for (run_id,) in c.execute('SELECT id FROM runs WHERE source = ? ORDER BY start_us',
                                   (source,)).fetchall():
            row = c.execute('SELECT start_us, end_us, duration_s, distance_m, speed_mps, '
                            'cadence_spm, stride_length_m, notifications, gaps, gap_s, '
                            'end_reason FROM runs WHERE id = ?', (run_id,)).fetchone()
            notes = c.execute('SELECT x.address, n.t_us, n.handle, n.uuid, n.value FROM '
                              'notifications n LEFT JOIN sensors x ON x.id = n.sensor_id '
                              'WHERE n.run_id = ? ORDER BY n.id', (run_id,)).fetchall()
            first_last = c.execute('SELECT first_notification_id, last_notification_id, '
                                   '(SELECT min(id) FROM notifications WHERE run_id = ?1), '
                                   '(SELECT max(id) FROM notifications WHERE run_id = ?1) '
                                   'FROM runs WHERE id = ?1', (run_id,)).fetchone()
            samples = c.execute('SELECT t_us, speed_mps, cadence_spm, stride_length_m, '
                                'distance_m, pressure_pa, temperature_c, elevation_m, '
                                'heart_rate_bpm FROM samples WHERE run_id = ? ORDER BY t_us',
                                (run_id,)).fetchall()
            strides = c.execute('SELECT foot, start_us, end_us, length_m FROM strides '
                                'WHERE run_id = ? ORDER BY foot, start_us', (run_id,)).fetchall()
            gaps = c.execute('SELECT start_us, end_us FROM gaps WHERE run_id = ? '
                             'ORDER BY start_us', (run_id,)).fetchall()
            out.append({'run': row, 'notifications': notes, 'range': first_last,
                        'samples': samples, 'strides': strides, 'gaps': gaps})
        return out
    finally:
        c.close()


def same_row(a, b):
    """Equal, reals to 1e-12 relative: what is held in memory is SQL text,
    which carries a real to 15 significant digits."""
    if isinstance(a, (tuple, list)):
        return (isinstance(b, (tuple, list)) and len(a) == len(b)
                and all(same_row(x, y) for x, y in zip(a, b)))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-12 * max(abs(a), abs(b))
    return a == b


def same_as_with_space(db, ref, source, what):
    """The runs stored through a full disk are those a replay of the same
    capture stored with room: row, notifications, samples, strides, gaps."""
    got, want = run_rows(db, source), run_rows(ref, source)
    if not check(len(got) == len(want), '%s: %d runs stored, %d with space'
                 % (what, len(got), len(want))):
        return
    for g, w in zip(got, want):
        check(same_row(g['run'], w['run']), '%s: the run row %r, with space %r' % (what, g['run'],
                                                                         w['run']))
        for part in ('notifications', 'samples', 'strides', 'gaps'):
            check(same_row(g[part], w[part]), '%s: %d %s, with space %d (first differing: %r)'
                  % (what, len(g[part]), part, len(w[part]),
                     next(((a, b) for a, b in zip(g[part], w[part]) if not same_row(a, b)),
                          None)))
        r = g['range']
        check(r[0] == r[2] and r[1] == r[3], '%s: the run\'s notification ids %r are not '
              'those its notifications have' % (what, r))
        print('%s: run of %d notifications, %d samples, %d strides, %d gaps, as with space'
              % (what, len(g['notifications']), len(g['samples']), len(g['strides']),
                 len(g['gaps'])))


def foreign_keys_ok(db, what):
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        bad = c.execute('PRAGMA foreign_key_check').fetchall()
        orphans = c.execute('SELECT count(*) FROM notifications n WHERE NOT EXISTS (SELECT 1 '
                            'FROM sensors x WHERE x.id = n.sensor_id) OR (n.run_id IS NOT NULL '
                            'AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = n.run_id))'
                            ).fetchone()[0]
    finally:
        c.close()
    check(not bad and orphans == 0, '%s: rows referring to nothing: foreign_key_check %r, '
          '%d notifications of no sensor or run' % (what, bad[:5], orphans))


def fill_all(mnt):
    """A file that takes every byte left, while a daemon writes beside it."""
    filler = os.path.join(mnt, 'filler')
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 16, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b'\0' * size)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
    finally:
        os.close(fd)
    return filler


class PacedReplay:
    """hamstrided replaying a capture paced, its log read as it comes (lines,
    seen: see wait_for); filler, a file filling the disk, which the exit
    removes if it is still there, as it kills a daemon still running."""

    def __init__(self, capture, db, argv=()):
        self.proc = subprocess.Popen([DAEMON, '--replay', capture, '--speed', str(EDGE_SPEED),
                                      '--db', db, '--log-level', 'info'] + list(argv),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.lines, self.seen, self.filler = queue.Queue(), [], None
        threading.Thread(target=read_lines, args=(self.proc.stderr, self.lines),
                         daemon=True).start()

    def __enter__(self):
        return self

    def free(self):
        os.unlink(self.filler)
        self.filler = None

    def wait_for(self, text, timeout_s):
        return wait_for(self.lines, self.seen, text, timeout_s)

    def read_to_end(self):
        self.proc.wait(timeout=60)
        self.wait_for('no such line: read to the end', 5)

    def __exit__(self, *exc):
        if self.filler:
            self.free()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return False


def held_edge(mnt, capture, db, argv, fill_after, free_after, what):
    """Replays the capture paced; fills the disk fill_after s after the pod is
    first heard, frees it free_after s later; returns the log lines and the
    exit code, having checked the one "database full", the file's soundness
    and that the counts logged are those stored."""
    with PacedReplay(capture, db, argv) as d:
        check(d.wait_for('seen', 10), '%s: the pod was never heard' % what)
        time.sleep(fill_after)
        d.filler = fill_all(mnt)
        time.sleep(free_after)
        d.free()
        d.read_to_end()
    seen = d.seen
    log = '\n'.join(seen)
    fulls = [l for l in seen if 'database full' in l and 'no space left' in l]
    check(len(fulls) == 1, '%s: said "database full" %d times, want once:\n%s'
          % (what, len(fulls), log))
    check('has room again' in log, '%s: what was held was not stored:\n%s' % (what, log))
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        integrity = c.execute('PRAGMA integrity_check').fetchone()[0]
    finally:
        c.close()
    check(integrity == 'ok', '%s: integrity_check: %s' % (what, integrity))
    m = re.search(r'stored (\d+) of (\d+) notifications, (\d+) runs \((\d+) of them ended', log)
    if check(m, '%s: the daemon does not say what it stored:\n%s' % (what, log)):
        runs, ended, notifications = stored(db)
        said = (int(m.group(3)), int(m.group(4)), int(m.group(1)))
        check(said == (runs, ended, notifications), '%s: the log says %s (runs, ended, '
              'notifications) stored, the database holds %s' % (what, said,
                                                               (runs, ended, notifications)))
        lost = int(m.group(2)) - int(m.group(1))
        # One batch, a second of wall time at EDGE_SPEED times recorded speed.
        check(lost <= 4 * EDGE_SPEED * 1.5 + 2, '%s: %d notifications lost, more than a '
              'second\'s commit' % (what, lost))
        print('%s: stored %s of %s notifications; %d runs, %d ended; integrity %s'
              % (what, m.group(1), m.group(2), runs, ended, integrity))
    return seen, d.proc.returncode


def run_opens_on_full_disk(mnt, tmp):
    """The disk fills while the pod walks; the run opens while it is full."""
    capture = os.path.join(tmp, 'opens.btsnoop')
    pod_capture(capture, [(8, False), (16, True), (8, False)])
    db = os.path.join(mnt, 'opens.db')
    run([CLI, '--db', db, 'pain', 'add', '2026-11-30', '--next-morning', '1', '--side', 'left'])
    ref = os.path.join(tmp, 'opens-ref.db')
    run([DAEMON, '--replay', capture, '--speed', str(EDGE_SPEED), '--db', ref])
    seen, code = held_edge(mnt, capture, db, [], 0.1, 2.5,
                           'a run opening on a full disk')
    check(code == EX_IOERR, 'a replay whose writes failed exits %d, not %d' % (EX_IOERR, code))
    log = '\n'.join(seen)
    full_at = next(i for i, l in enumerate(seen) if 'database full' in l)
    started_at = next((i for i, l in enumerate(seen) if 'run 1 started' in l), -1)
    back_at = next((i for i, l in enumerate(seen) if 'has room again' in l), -1)
    check(full_at < started_at < back_at, 'the run started while the disk was full:\n' + log)
    check(re.search(r' 0 could not wait', seen[back_at]), 'a write could not wait: '
          + seen[back_at])
    # The run's row, numbered while the disk was full, is stored with
    # everything of the run under its number, as with space.
    same_as_with_space(db, ref, 'replay opens.btsnoop', 'a run opening on a full disk')
    foreign_keys_ok(db, 'a run opening on a full disk')
    remove_db(db)


def run_opens_while_another_writes(mnt, tmp):
    """The run opens on a full disk and is numbered; before what is held is
    stored, hamstride replay stores a run of another pod, which the
    database numbers the same. Each run keeps its own rows: the other's move
    up, the held run keeps the number the daemon logged."""
    capture = os.path.join(tmp, 'opens-long.btsnoop')
    pod_capture(capture, [(8, False), (64, True), (8, False)])
    other = os.path.join(tmp, 'other-pod.btsnoop')
    other_pod = 'D2:11:22:33:44:55'
    pod_capture(other, [(2, False), (12, True), (8, False)], pod=other_pod,
                t0=T0 + 86400 * 1000000)
    ref = os.path.join(tmp, 'opens-long-ref.db')
    run([DAEMON, '--replay', capture, '--db', ref])
    run([CLI, '--db', ref, 'replay', other])
    db = os.path.join(mnt, 'opens-long.db')
    run([CLI, '--db', db, 'pain', 'add', '2026-11-30', '--next-morning', '1', '--side', 'left'])
    what = 'a run opening on a full disk while another program writes'
    with PacedReplay(capture, db) as d:
        check(d.wait_for('seen', 10), '%s: the pod was never heard' % what)
        d.filler = fill_all(mnt)
        check(d.wait_for('run 1 started', 10), '%s: no run started' % what)
        # Room for the other program, less than the daemon waits for.
        d.free()
        d.filler = fill(mnt, 200 * 1024)
        p = run([CLI, '--db', db, 'replay', other])
        print('%s: hamstride replay meanwhile: %s' % (what, p.stdout.strip()))
        check('last run 1)' in p.stdout, '%s: the other program\'s run took number 1: %s'
              % (what, p.stdout))
        d.free()
        check(d.wait_for('has room again', 10), '%s: what was held was not stored' % what)
        d.read_to_end()
    seen = d.seen
    log = '\n'.join(seen)
    check(re.search(r'1 runs stored by another program .* moved up by 1', log),
          '%s: the log does not say the other run moved:\n%s' % (what, log))
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        integrity = c.execute('PRAGMA integrity_check').fetchone()[0]
        ids = c.execute('SELECT id, source FROM runs ORDER BY id').fetchall()
    finally:
        c.close()
    check(integrity == 'ok', '%s: integrity_check: %s' % (what, integrity))
    check(ids == [(1, 'replay opens-long.btsnoop'), (2, 'replay other-pod.btsnoop')],
          '%s: the held run keeps number 1, the other moves to 2: %r' % (what, ids))
    same_as_with_space(db, ref, 'replay opens-long.btsnoop', what)
    same_as_with_space(db, ref, 'replay other-pod.btsnoop', what + ', the other run')
    foreign_keys_ok(db, what)
    remove_db(db)


def run_closes_on_full_disk(mnt, tmp):
    """The disk fills in the run's last second; its end, summary and terrain
    come while it is full, and are stored when space returns."""
    capture = os.path.join(tmp, 'closes.btsnoop')
    pod_capture(capture, [(16, True), (16, False)])
    conf = os.path.join(tmp, 'idle5.conf')
    with open(conf, 'w') as f:
        f.write('[session]\nidle_timeout_s = 5\n')
    db = os.path.join(mnt, 'closes.db')
    run([CLI, '--db', db, 'pain', 'add', '2026-11-30', '--next-morning', '1', '--side', 'left'])
    # The run ends 5 s of capture after its last running report, 21 s in.
    seen, code = held_edge(mnt, capture, db, ['--config', conf], 18.5 / EDGE_SPEED, 1.0,
                           'a run closing on a full disk')
    log = '\n'.join(seen)
    check(code == EX_IOERR, 'a replay whose writes failed exits %d, not %d' % (EX_IOERR, code))
    full_at = next(i for i, l in enumerate(seen) if 'database full' in l)
    ended_at = next((i for i, l in enumerate(seen) if 'ended (idle)' in l), -1)
    back_at = next((i for i, l in enumerate(seen) if 'has room again' in l), -1)
    check(full_at < ended_at < back_at, 'the run ended while the disk was full:\n' + log)
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        row = c.execute('SELECT end_reason, notifications, duration_s FROM runs').fetchall()
    finally:
        c.close()
    check(len(row) == 1 and row[0][0] == 'idle' and abs(row[0][2] - 16) < 0.5,
          'the run and its end are stored once space returned: %r' % row)
    # No barometer: one segment of unknown grade, computed by the first
    # command that shows it and then stored.
    p = run([CLI, '--db', db, 'segments', '1'])
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        segments = c.execute('SELECT count(*) FROM segments WHERE run_id = 1').fetchone()[0]
    finally:
        c.close()
    check('unknown' in p.stdout and segments >= 1, 'its terrain is there for the first '
          'command that shows it (%d segments stored): %s%s' % (segments, p.stdout, p.stderr))
    remove_db(db)


def cli_writes_on_full_disk(mnt, capture):
    """Writing commands exit 74 naming the file; reading ones read."""
    db = os.path.join(mnt, 'cli-full.db')
    run([CLI, '--db', db, 'pain', 'add', '2026-11-30', '--next-morning', '1', '--side', 'left'])
    filler = fill(mnt, 0)
    for argv in (['pain', 'add', '2026-11-29', '--next-morning', '2', '--side', 'left'],
                 ['sensors', 'add', 'C4:7C:8D:6A:1B:2E', '--role', 'footpod'],
                 ['replay', capture]):
        p = run([CLI, '--db', db] + argv, expect=EX_IOERR)
        check(db in p.stderr and 'full' in p.stderr,
              'hamstride %s on a full disk does not name %s as full: %s'
              % (argv[0], db, p.stderr))
    out = os.path.join(mnt, 'pain.csv')
    p = run([CLI, '--db', db, 'export', 'csv', 'pain', '--output', out], expect=EX_IOERR)
    check(out in p.stderr, 'export on a full disk does not name %s: %s' % (out, p.stderr))
    p = run([CLI, '--db', db, 'pain', 'list'])
    check('2026-11-30' in p.stdout, 'pain list on a full disk: ' + p.stdout + p.stderr)
    os.unlink(filler)
    c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    try:
        check(c.execute('PRAGMA integrity_check').fetchone()[0] == 'ok',
              'integrity_check after the CLI met a full disk')
        check(c.execute('SELECT count(*) FROM pain_versions').fetchone()[0] >= 1, 'pain entry lost')
    finally:
        c.close()
    remove_db(db)


def main():
    with tempdir() as tmp:
        capture = os.path.join(tmp, 'block.btsnoop')
        run([CLI, 'sim', '--seed', '5', '--weeks', '4', '--runs-per-week', '7',
             '--output', capture])
        live = os.path.join(tmp, 'live.btsnoop')
        run([CLI, 'sim', '--seed', '5', '--minutes', '3', '--output', live])
        with Tmpfs(os.path.join(tmp, 'small-disk'), '3m') as mnt:
            daemon_on_full_disk(mnt, capture)
            cli_on_full_disk(mnt, capture)
            for name in os.listdir(mnt):
                os.unlink(os.path.join(mnt, name))
            daemon_holds_until_space(mnt, live)
            run_opens_on_full_disk(mnt, tmp)
            run_opens_while_another_writes(mnt, tmp)
            run_closes_on_full_disk(mnt, tmp)
            cli_writes_on_full_disk(mnt, live)
    finish('e2e_disk_full')


if __name__ == '__main__':
    main()
