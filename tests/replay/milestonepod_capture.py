#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Builds tests/data/replay-milestonepod.btsnoop from a real MilestonePod's
notifications (disPOD logs, MIT, in shared/data/real/ble).

The log spans several sessions whose ESP32 clocks restart, so the packets
are re-timed: one RSC packet a second in log order, the vendor packet that
followed it 60 ms later. The bytes are the pod's own. The log names no
address; the capture uses a made-up random static one.

usage: milestonepod_capture.py NOTIFICATIONS.csv OUTPUT.btsnoop
"""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'e2e'))
from btsnoop_writer import Capture  # noqa: E402

T0 = 1_790_000_000 * 1_000_000
CONN = 0x40
ADDR = 'D4:11:22:33:44:55'


def main():
    src, out = sys.argv[1], sys.argv[2]
    cap = Capture(out)
    cap.connect(CONN, ADDR, T0)
    cap.discover(CONN, 18, 0x2A53, T0)
    cap.discover(CONN, 28, 0xFF00, T0)
    t = T0
    with open(src, newline='') as f:
        for row in csv.DictReader(f):
            if row['char_uuid'] == '2A53':
                t += 1_000_000
                when = t
            else:
                when = t + 60_000
            cap.notify(CONN, int(row['att_handle']), bytes.fromhex(row['raw_hex']), when)
    cap.close()


if __name__ == '__main__':
    main()
