#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fake-sensor's whole loop on an AF_UNIX socket, with this script as the
central: discovery-free subscription by known handles, streaming at --speed,
the --drop-at window, reconnection, and the sent log matching what arrived."""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

PROG = sys.argv[1]


def att(sock, pdu, want):
    """Sends a request and returns its response, keeping notifications."""
    sock.send(pdu)
    notes = []
    while True:
        rsp = sock.recv(600)
        if not rsp:
            raise EOFError
        if rsp[0] == 0x1B:
            notes.append(rsp)
            continue
        if rsp[0] != want:
            sys.exit(f"request {pdu.hex()} answered {rsp.hex()}")
        return rsp, notes


def central(path, cccds, mtu, proc, writes=()):
    """Connects, subscribes, writes (handle, value) pairs and collects
    notifications until the sensor exits; reconnects whenever the link drops."""
    received, connections = [], 0
    while proc.poll() is None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(path)
            rsp, notes = att(s, struct.pack("<BH", 0x02, mtu), 0x03)
            received += notes
            for handle in cccds:
                _, notes = att(s, struct.pack("<BHH", 0x12, handle, 1), 0x13)
                received += notes
            for handle, value in writes:
                _, notes = att(s, struct.pack("<BH", 0x12, handle) + value, 0x13)
                received += notes
            connections += 1
            while True:
                pdu = s.recv(600)
                if not pdu:
                    break
                assert pdu[0] == 0x1B, pdu.hex()
                received.append(pdu)
        except (FileNotFoundError, ConnectionRefusedError, EOFError, ConnectionResetError,
                BrokenPipeError):
            time.sleep(0.02)
        finally:
            s.close()
    return received, connections


def sent_log(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            run_s, utc, handle, uuid, length, value = line.split()
            assert int(length) * 2 == len(value), line
            rows.append((float(run_s), int(handle, 16), uuid, bytes.fromhex(value)))
    return rows


def play(profile, cccds, mtu, extra, writes=()):
    with tempfile.TemporaryDirectory() as d:
        path, log = os.path.join(d, "sensor"), os.path.join(d, "sent.log")
        proc = subprocess.Popen([PROG, "--test-socket", path, "--profile", profile,
                                 "--sent-log", log, "--seed", "4", *extra],
                                stderr=subprocess.PIPE, text=True)
        received, connections = central(path, cccds, mtu, proc, writes)
        err = proc.stderr.read()
        if proc.wait(timeout=60) != 0:
            sys.exit(f"fake-sensor failed:\n{err}")
        rows = sent_log(log)
    got = [(struct.unpack("<H", p[1:3])[0], p[3:]) for p in received]
    results = [v for _, v in got if v[0] == 1]  # Movesense's command results
    got = [(h, v) for h, v in got if v[0] != 1 or not writes]
    want = [(h, v) for _, h, _, v in rows]
    if got != want:
        sys.exit(f"{len(got)} notifications arrived, the sent log lists {len(want)}\n{err}")
    return rows, connections, err, results


# Foot pod, strap and barometer: one minute at 60x, out of range from 20 to 30 s.
rows, connections, err, _ = play("footpod,hrm,baro", [9, 17, 23, 26], 64,
                              ["--speed", "60", "--minutes", "1", "--drop-at", "20",
                               "--down", "10"])
times = [t for t, *_ in rows]
assert connections == 2, (connections, err)
assert not [t for t in times if 20 <= t < 30], "sent while out of range"
assert min(times) < 2 and max(times) > 55, (min(times), max(times))
uuids = {u for _, _, u, _ in rows}
assert uuids == {"2A53", "2A37", "2A6D", "2A6E"}, uuids
assert times == sorted(times)
assert "out of range (--drop-at)" in err and "in 2 connections" in err, err

# An IMU at MTU 247: 19 samples a notification, consecutive sequence numbers.
rows, connections, err, _ = play("imu-left", [11], 247, ["--speed", "20", "--minutes", "0.1"])
seqs = [struct.unpack("<H", v[:2])[0] for _, _, _, v in rows]
assert all(len(v) == 9 + 19 * 12 and v[8] == 19 for _, _, _, v in rows)
assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a lost IMU packet"
assert len(rows) >= 120, len(rows)  # 6 s at 400 Hz is 126 packets of 19
# A Movesense streams nothing until told to; then IMU6 at the rate asked
# for, 8 samples a notification, with the subscription's reference.
subscribe = bytes([1, 0x68]) + b"/Meas/IMU6/208\0"
rows, connections, err, results = play("movesense", [11], 247, ["--speed", "20", "--minutes", "0.1"],
                                       writes=[(8, subscribe)])
assert results == [bytes([1, 0x68, 200, 0])], results
assert rows and all(len(v) == 6 + 8 * 24 and v[:2] == bytes([2, 0x68]) for _, _, _, v in rows)
stamps = [struct.unpack("<I", v[2:6])[0] for _, _, _, v in rows]
steps = {b - a for a, b in zip(stamps, stamps[1:])}
assert steps <= {38, 39}, steps  # 8 samples at 208 Hz, stamped in whole ms
assert len(rows) >= 30, len(rows)
print("ok")
