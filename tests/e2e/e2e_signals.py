#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hamstrided as a service sees it: a capture replayed at recorded speed,
SIGHUP re-reading the config (a bad one keeps the running configuration),
SIGTERM closing the open run and exiting cleanly, and the CLI reading the
database while the daemon writes it."""
import os
import signal
import subprocess
import sys
import time

from btsnoop_writer import Capture, rsc
from hamstride_test import CLI, DAEMON, check, export_csv, finish, tempdir

T0 = 1_790_000_000 * 1_000_000


def slow_capture(path, seconds):
    """A pod running at 3 m/s, one packet every 100 ms."""
    cap = Capture(path)
    cap.connect(0x40, 'F1:22:33:44:55:66', T0)
    cap.discover(0x40, 0x0e, 0x2A53, T0)
    for i in range(seconds * 10):
        cap.notify(0x40, 0x0e, rsc(3.0, 170), T0 + (i + 1) * 100_000)
    cap.close()


def wait_for(pred, timeout_s):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def main():
    with tempdir() as tmp:
        capture = os.path.join(tmp, 'slow.btsnoop')
        slow_capture(capture, 60)
        conf = os.path.join(tmp, 'hamstrided.conf')
        db = os.path.join(tmp, 'live.db')
        log = os.path.join(tmp, 'daemon.log')
        with open(conf, 'w') as f:
            f.write('[daemon]\nlog_level = notice\n[replay]\nrealtime = true\n')
        with open(log, 'w') as err:
            d = subprocess.Popen([DAEMON, '-c', conf, '--replay', capture, '--db', db],
                                 stderr=err)
        text = lambda: open(log).read()
        check(wait_for(lambda: 'run 1 started' in text(), 10), 'the run starts: ' + text())
        # The CLI reads while the daemon writes (WAL); the run is open.
        time.sleep(1.5)
        p = subprocess.run([CLI, '--db', db, 'runs'], capture_output=True, text=True)
        check(p.returncode == 0, 'CLI reads during the run: ' + p.stderr)

        with open(conf, 'w') as f:
            f.write('[daemon]\nlog_level = info\n[session]\ngap_s = 2\n')
        d.send_signal(signal.SIGHUP)
        check(wait_for(lambda: 'configuration re-read' in text(), 5), 'SIGHUP re-reads: ' + text())
        with open(conf, 'w') as f:
            f.write('[session]\ngap_s = soon\n')
        d.send_signal(signal.SIGHUP)
        check(wait_for(lambda: 'keeping the running configuration' in text(), 5),
              'a bad config on SIGHUP is refused, the daemon goes on: ' + text())
        check(d.poll() is None, 'the daemon still runs after a bad config')

        time.sleep(1.0)
        d.send_signal(signal.SIGTERM)
        try:
            code = d.wait(timeout=10)
        except subprocess.TimeoutExpired:
            d.kill()
            code = None
        check(code == 0, 'SIGTERM exits 0, got %r' % code)
        runs = export_csv(db, 'runs')
        check(len(runs) == 1 and runs[0]['end_reason'] == 'shutdown',
              'the open run is closed by SIGTERM: %r' % runs)
        if runs:
            took = float(runs[0]['duration_s'])
            # Replayed at recorded speed for ~3 s of wall time: far less than
            # the capture's 60 s, far more than an instant.
            check(1.0 < took < 30.0, 'recorded speed: %.1f s of run replayed' % took)
            print('replayed %.1f s of the run before SIGTERM' % took)
    finish('e2e_signals')


if __name__ == '__main__':
    sys.exit(main())
