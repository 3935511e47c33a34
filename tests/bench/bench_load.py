#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Load: a training block with two 400 Hz shoe IMUs on every run (hamstride
sim --imu), replayed by one hamstrided into one database. Prints the time,
the throughput, the daemon's peak RSS and its RSS over the replay (is it
flat?), and the database's size per hour of running. Figures, not
pass/fail; it fails only if the replay does.

    bench_load.py [--weeks W] [--runs-per-week N] [--seed S]

The bench suite runs one week of two runs; the load suite the full twelve
weeks of five runs (issue 16), about 15 minutes and 3 GB of disk.
"""
import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

CLI = os.environ.get('HAMSTRIDE_CLI', 'build/tools/hamstride')
DAEMON = os.environ.get('HAMSTRIDED', 'build/daemon/hamstrided')


def rss_kib(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def size(path):
    return sum(os.path.getsize(path + s) for s in ('', '-wal') if os.path.exists(path + s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weeks', type=int, default=1)
    ap.add_argument('--runs-per-week', type=int, default=2)
    ap.add_argument('--seed', type=int, default=16)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='hamstride-load-') as tmp:
        capture = os.path.join(tmp, 'block.btsnoop')
        db = os.path.join(tmp, 'load.db')
        t = time.monotonic()
        subprocess.run([CLI, 'sim', '--seed', str(args.seed), '--weeks', str(args.weeks),
                        '--runs-per-week', str(args.runs_per_week), '--imu', '--output', capture],
                       check=True, stdout=subprocess.DEVNULL)
        sim_s = time.monotonic() - t
        print('load: %d weeks of %d runs with shoe IMUs simulated in %.1f s, capture %.0f MB'
              % (args.weeks, args.runs_per_week, sim_s, os.path.getsize(capture) / 1e6))
        sys.stdout.flush()

        t = time.monotonic()
        d = subprocess.Popen([DAEMON, '--replay', capture, '--db', db, '--log-level', 'warning'])
        samples = []  # (seconds since the start, RSS KiB)
        while True:
            # wait4, not Popen.wait: its rusage is this child's peak RSS.
            done, status, usage = os.wait4(d.pid, os.WNOHANG)
            if done:
                break
            r = rss_kib(d.pid)
            if r is not None:
                samples.append((time.monotonic() - t, r))
            time.sleep(0.5)
        d.returncode = os.waitstatus_to_exitcode(status)
        replay_s = time.monotonic() - t
        if d.returncode != 0:
            print('load: hamstrided exited %d' % d.returncode)
            sys.exit(1)
        peak_kib = usage.ru_maxrss

        c = sqlite3.connect(db)
        notifications = c.execute('SELECT count(*) FROM notifications').fetchone()[0]
        runs, hours = c.execute('SELECT count(*), sum(duration_s) / 3600.0 FROM runs').fetchone()
        strides = c.execute('SELECT count(*) FROM strides').fetchone()[0]
        crashed = c.execute("SELECT count(*) FROM runs WHERE end_us IS NULL").fetchone()[0]
        c.close()
        db_bytes = size(db)
        print('load: %d runs, %.1f h of running, %d notifications, %d strides replayed in '
              '%.1f s: %.0f notifications/s, %.0f× real time'
              % (runs, hours, notifications, strides, replay_s, notifications / replay_s,
                 hours * 3600 / replay_s))
        print('load: hamstrided peak RSS %d KiB' % peak_kib)
        if samples:
            # RSS over the replay, at its tenths: flat if the run's
            # buffers are reused from run to run.
            tenths = [samples[min(len(samples) - 1, i * len(samples) // 10)] for i in range(10)]
            tenths.append(samples[-1])
            print('load: RSS over the replay (s: KiB): ' +
                  ', '.join('%.0f: %d' % x for x in tenths))
        print('load: database %.1f MB, %.1f MB per hour of running' %
              (db_bytes / 1e6, db_bytes / 1e6 / hours if hours else 0))
        if crashed:
            print('load: %d runs left open' % crashed)
            sys.exit(1)


if __name__ == '__main__':
    main()
