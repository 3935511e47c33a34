#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A live run on the real kernel Bluetooth stack, checked in SQLite.

live_run.sh runs in the VM: fake sensors (foot pod + heart rate + barometer
on hci0, a 400 Hz left-shoe IMU on hci1) stream MINUTES of run at SPEED
times real time and drop out for DOWN seconds of run time (the pod at
DROP_AT, the IMU at IMU_DROP_AT);
hamstride scans for them and adds them from hci2, and hamstrided records
the run live on hci2 into the shared folder. Here, on the host:

- the scan listed both sensors' addresses;
- every notification a fake sensor logged as sent is in the notifications
  table, under its sensor and characteristic, in order, with its bytes;
- one run holds them, its duration that of the streamed run in real time
  (time is compressed: the daemon sees SPEED times fewer seconds) and its
  distance what the foot pod's own counter says;
- the dropout is a recorded gap, and the daemon was receiving again within
  RECONNECT_S of the sensor advertising again.

With --imu the IMU is added too and checked like the pod.

Exit 77 naming what is missing when hamstrided has no live source yet (the
scan and `sensors add` are still checked then).
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

import vm
from hamstride_test import check, check_close, fail, failures

# The IMU drops out before the pod, never at the same time: see live_run.sh
# on why btvirt needs the pod linked whenever the IMU connects.
PARAMS = dict(SPEED=10, MINUTES=10, DROP_AT=240, IMU_DROP_AT=120, DOWN=60,
              SEED=3, GAP_S=2)
DROP_AT = {"hci0": PARAMS["DROP_AT"], "hci1": PARAMS["IMU_DROP_AT"]}
RECONNECT_S = 5.0
SCENARIO = os.path.join(vm.HERE, "live_run.sh")


def daemon_is_live(daemon):
    r = subprocess.run([daemon, "--help"], capture_output=True, text=True,
                       timeout=30)
    return "--adapter" in r.stdout + r.stderr


# ---- what the sensors sent -----------------------------------------------

def short_uuid(uuid):
    """'2A53', whatever the spelling (16-bit, or 128-bit on the SIG base)."""
    u = uuid.upper().replace("0X", "")
    base = "-0000-1000-8000-00805F9B34FB"
    if len(u) == 36 and u.endswith(base) and u.startswith("0000"):
        return u[4:8]
    return u


def read_sent(path):
    """[(run_s, utc_us, uuid, value bytes)] from a fake-sensor --sent-log."""
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            run_s, utc_us, _handle, uuid, length, *value = line.split()
            data = bytes.fromhex(value[0] if value else "")
            if len(data) != int(length):
                fail(f"{path}: length {length} but {len(data)} bytes: {line}")
            rows.append((float(run_s), int(utc_us), short_uuid(uuid), data))
    return rows


def rsc(value):
    """(running, speed m/s, total distance m or None) of an RSC measurement."""
    flags = value[0]
    speed = int.from_bytes(value[1:3], "little") / 256.0
    at = 4 + (2 if flags & 1 else 0)
    total = (int.from_bytes(value[at:at + 4], "little") / 10.0
             if flags & 2 and len(value) >= at + 4 else None)
    return bool(flags & 4) or speed >= 1.8, speed, total


# ---- checks --------------------------------------------------------------

def check_scan(out, addresses):
    scan = vm.read(os.path.join(out, "scan.txt"))
    for hci in ("hci0", "hci1"):
        check(addresses.get(hci, "?") in scan,
              f"sensors scan on hci2 does not list {hci}'s address "
              f"{addresses.get(hci)}:\n{scan}")
    check("footpod" in scan and "imu-left" in scan,
          f"sensors scan does not name the roles footpod and imu-left:\n{scan}")


def check_registry(db, addresses, sensors):
    roles = dict(db.execute("SELECT address, role FROM sensors "
                            "WHERE added_us IS NOT NULL"))
    want = {addresses[hci]: role for hci, role in
            [("hci0", "footpod"), ("hci1", "imu-left")] if hci in sensors}
    check(roles == want, f"sensors add stored {roles}, want {want}")


def stored(db, address):
    """{uuid: [values in arrival order]} and [t_us] of one sensor."""
    by_uuid, times = {}, []
    for uuid, value, t_us in db.execute(
            "SELECT n.uuid, n.value, n.t_us FROM notifications n "
            "JOIN sensors s ON s.id = n.sensor_id WHERE s.address = ? "
            "ORDER BY n.id", (address,)):
        by_uuid.setdefault(short_uuid(uuid or "?"), []).append(bytes(value))
        times.append(t_us)
    return by_uuid, times


def check_all_arrived(db, address, sent, name):
    got, _ = stored(db, address)
    want, when = {}, {}
    for run_s, _, uuid, value in sent:
        want.setdefault(uuid, []).append(value)
        when.setdefault(uuid, []).append(run_s)
    check(want, f"{name} sent no notification at all (its log: "
                f"fake-sensor-{name}.log)")
    for uuid, values in sorted(want.items()):
        have = got.get(uuid, [])
        print(f"{name} {address} {uuid}: sent {len(values)}, stored {len(have)}")
        if have == values:
            continue
        first = next((i for i, (a, b) in enumerate(zip(have, values)) if a != b),
                     min(len(have), len(values)))
        sent_at = (f" at {when[uuid][first]:.3f} s of run time"
                   if first < len(values) else "")
        fail(f"{name} characteristic {uuid}: sent {len(values)} notifications, "
             f"stored {len(have)}; they differ from number {first}: sent "
             f"{values[first].hex() if first < len(values) else '-'}{sent_at}, "
             f"stored {have[first].hex() if first < len(have) else '-'} "
             f"(dropout from {DROP_AT[name]} s)")


def drop_window_utc(sent, drop_at):
    """Real time (µs) when the sensor dropped out and came back."""
    before = [r for r in sent if r[0] < drop_at]
    if not before:
        return None
    run_s, utc_us, _, _ = before[-1]
    at = lambda run: utc_us + (run - run_s) / PARAMS["SPEED"] * 1e6
    return at(drop_at), at(drop_at + PARAMS["DOWN"])


def check_run(db, pod_sent):
    runs = db.execute("SELECT id, start_us, end_us, duration_s, distance_m, "
                      "notifications, gaps, gap_s, end_reason FROM runs").fetchall()
    print("runs:", runs)
    if not check(len(runs) == 1, f"want one run, the database has {len(runs)}"):
        return None
    run_id, _, _, duration_s, distance_m, _, gaps, gap_s, reason = runs[0]
    running = [(utc, rsc(v)) for _, utc, uuid, v in pod_sent
               if uuid == "2A53" and rsc(v)[0]]
    if not check(running, "the foot pod sent no running measurement"):
        return run_id
    want_s = (running[-1][0] - running[0][0]) / 1e6
    check_close("run duration (s, real time)", duration_s or 0, want_s,
                max(2.0, 0.03 * want_s))
    totals = [t for _, (_, _, t) in running if t is not None]
    if totals:
        # The pod counts on while out of range; its counter is trusted.
        check_close("run distance (m, the pod's counter)", distance_m or 0,
                    totals[-1] - totals[0], 0.5)
    else:
        integral = sum(s * (b[0] - a[0]) / 1e6 * PARAMS["SPEED"]
                       for a, b in zip(running, running[1:]) for s in [a[1][1]])
        check_close("run distance (m, from the pod's speed)", distance_m or 0,
                    integral, 0.1 * integral)
    check(gaps >= 1, f"the dropout left no gap: gaps {gaps}, gap_s {gap_s}")
    print(f"run {run_id}: end reason {reason}, gaps {gaps} ({gap_s} s)")
    return run_id


def check_gap_and_reconnect(db, run_id, address, sent, name):
    window = drop_window_utc(sent, DROP_AT[name])
    if not check(window, f"{name} sent nothing before its dropout"):
        return
    drop_us, back_us = window
    gaps = db.execute("SELECT g.start_us, g.end_us FROM gaps g JOIN sensors s "
                      "ON s.id = g.sensor_id WHERE s.address = ? AND g.run_id = ?",
                      (address, run_id)).fetchall()
    check(any(start <= back_us and end >= drop_us for start, end in gaps),
          f"{name}: no gap recorded over its dropout "
          f"({drop_us:.0f}..{back_us:.0f} µs); gaps: {gaps}")
    _, times = stored(db, address)
    after = [t for t in times if t > back_us]
    if check(after, f"{name}: nothing received after it came back"):
        delay = (after[0] - back_us) / 1e6
        print(f"{name}: back at {back_us / 1e6:.3f}, first notification "
              f"{delay:.2f} s later")
        check(delay <= RECONNECT_S, f"{name}: the daemon was receiving again "
              f"{delay:.2f} s after the sensor came back, want at most "
              f"{RECONNECT_S} s")


def run_with_params(build, scenario, params, timeout, guest_programs, out=None):
    """vm.run with params as the scenario's /files/params.sh (one NAME=value
    a line); vm.Skip passes through."""
    with tempfile.TemporaryDirectory(prefix="hamstride-vm-") as tmp:
        path = os.path.join(tmp, "params.sh")
        with open(path, "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in params.items()))
        return vm.run(build, scenario, files=[path], out=out, timeout=timeout,
                      guest_programs=guest_programs)


def main():
    imu = "--imu" in sys.argv[1:]
    sensors = ["hci0", "hci1"] if imu else ["hci0"]
    build = os.environ.get("HAMSTRIDE_BUILD_ROOT", "build")
    live = daemon_is_live(os.path.join(build, "daemon", "hamstrided"))
    wall = (PARAMS["MINUTES"] * 60 + PARAMS["DOWN"]) / PARAMS["SPEED"]
    params = dict(PARAMS, LIVE=int(live), IMU=int(imu),
                  RUN_LIMIT_S=int(wall + 40))
    try:
        status, out, times = run_with_params(build, SCENARIO, params, int(wall + 200),
                                             ["l2test"] if imu else [])
    except vm.Skip as e:
        print(f"SKIP: {e}")
        return vm.SKIP
    if status != 0:
        return 1
    addresses = dict(line.split() for line in
                     vm.read(os.path.join(out, "addresses.txt")).splitlines())
    check_scan(out, addresses)
    db = sqlite3.connect(f"file:{os.path.join(out, 'hamstride.db')}?mode=ro",
                         uri=True)
    check_registry(db, addresses, sensors)
    if live:
        for hci in sensors:
            sent = read_sent(os.path.join(out, f"sent-{hci}.log"))
            check_all_arrived(db, addresses[hci], sent, hci)
        pod_sent = read_sent(os.path.join(out, "sent-hci0.log"))
        run_id = check_run(db, pod_sent)
        if run_id is not None:
            for hci in sensors:
                check_gap_and_reconnect(db, run_id, addresses[hci],
                                        read_sent(os.path.join(out, f"sent-{hci}.log")),
                                        hci)
    print("wall times: " + ", ".join(f"{n} {t:.1f} s" for n, t in times))
    if failures:
        print(f"vm_live_run: {len(failures)} failed; the VM's logs are in {out}")
        vm.show_logs(out)
        return 1
    if not live:
        print("SKIP: scan and sensors add passed, but hamstrided has no live "
              "source yet (no --adapter in hamstrided --help): the run itself "
              "was not recorded or checked")
        return vm.SKIP
    print("vm_live_run: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
