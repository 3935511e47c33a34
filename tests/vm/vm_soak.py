#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The live soak on the real kernel Bluetooth stack, checked on the host.

soak.sh runs in the VM: simulated runs one after the other with rest
between them, the foot pod (with heart rate and barometer) on hci0 and the
400 Hz left-shoe IMU on hci1 at ten times real time, each dropping out once
a run, all recorded by one hamstrided process, whose RSS, open fds, CPU
time and database size are sampled all along. Here:

- every notification each fake sensor logged as sent is stored, under its
  sensor and characteristic, with its bytes, and under the right run. A
  stored notification belongs to the simulated run whose time window holds
  its arrival time (a window runs from the run's first sent notification to
  the next run's), so a missing stretch is found in its own run and never
  shifts the later ones;
- one stored run per simulated run, each closed by the daemon itself (end
  reason not 'crash', not left open);
- RSS is flat: the least-squares slope over the second half of the soak, in
  KiB per simulated hour, is under SLOPE_BYTES_PER_NOTIFICATION times the
  notifications per simulated hour (on a soak whose second half is shorter
  than SLOPE_MIN_HALF_H, RSS under RSS_CEILING_KIB instead); open fds do
  not grow.

Lost notifications are placed in a layer: sent by the sensor but never
received by the daemon (its own count, logged when it stops) is lost in the
emulated transport (kernel, btvirt, qemu); received but not stored is the
daemon's. The check names the layer, and fails either way.

HAMSTRIDE_SOAK_HOURS sets the simulated length (default 0.5: about 5 min of
wall time); --out DIR keeps the results there rather than in
BUILD/vm-out/soak; --check DIR checks a saved results folder again.
"""
import math
import os
import re
import sqlite3
import sys
import threading
import time

import vm
from hamstride_test import check, fail, failures
from vm_live_run import read_sent, run_with_params, short_uuid

SPEED = 10
SEED = 11
# Simulated minutes: a run, and the rest after it (REST_S is wall time).
RUN_MINUTES_MAX = 40
REST_S = 30
SAMPLE_S = 10
# The daemon ends a run when every sensor has been silent this long (wall
# seconds), inside the rest. Under load the emulated links have stalled for
# 7.7 s with the sensors sending all along (see explain_split): 5 s split a run.
SENSOR_TIMEOUT_S = 20
IDLE_S = 20
GAP_S = 2
DOWN = 60
# A leak of one heap block per notification (malloc's smallest chunk is
# 32 bytes) must fail: the bound is half of that slope, so such a leak is
# twice over it.
SLOPE_BYTES_PER_NOTIFICATION = 16
# Over a short soak RSS still rises as it settles: SQLite's page cache
# filling to its 2 MB bound and each run's terrain arrays at its end (a
# half-hour soak of two runs: +2,234 KiB/h over its second half, which is
# the second run). The slope tells a leak from that only over a second half
# of at least two full runs; a shorter soak is held to a ceiling on RSS
# instead: one 240-minute run peaks at 10.4 MiB, the 7-hour soak at 8.0 MiB.
SLOPE_MIN_HALF_H = 1.5
RSS_CEILING_KIB = 16 * 1024
# Far shorter than the rest between runs (REST_S).
WINDOW_LEAD_US = 1_000_000
SCENARIO = os.path.join(vm.HERE, "soak.sh")


def plan(hours):
    """Runs and minutes per run filling `hours` simulated hours."""
    rest_min = REST_S * SPEED / 60
    runs = max(2, math.ceil(hours * 60 / (RUN_MINUTES_MAX + rest_min)))
    minutes = max(2.0, hours * 60 / runs - rest_min)
    return runs, round(minutes, 2)


def params_for(hours):
    runs, minutes = plan(hours)
    run_s = minutes * 60
    wall_run = (run_s + DOWN * 2) / SPEED
    return dict(SPEED=SPEED, MINUTES=minutes, RUNS=runs, SEED=SEED,
                DOWN=DOWN, DROP_AT=int(run_s * 0.6), IMU_DROP_AT=int(run_s * 0.3),
                REST_S=REST_S, SAMPLE_S=SAMPLE_S, GAP_S=GAP_S, IDLE_S=IDLE_S,
                SENSOR_TIMEOUT_S=SENSOR_TIMEOUT_S,
                RUN_LIMIT_S=int(wall_run * 1.5 + 60))


def read_params(out):
    params = {}
    for line in vm.read(os.path.join(out, "params.sh")).splitlines():
        key, _, value = line.partition("=")
        params[key] = float(value) if "." in value else int(value)
    return params


# ---- notifications --------------------------------------------------------

def stored_by_sensor(db, address):
    """[(t_us, uuid, value, run_id)] of one sensor in arrival order."""
    return [(t_us, short_uuid(uuid or "?"), bytes(value), run_id)
            for t_us, uuid, value, run_id in db.execute(
                "SELECT n.t_us, n.uuid, n.value, n.run_id FROM notifications n "
                "JOIN sensors s ON s.id = n.sensor_id WHERE s.address = ? "
                "ORDER BY n.id", (address,))]


def windows(sent_by_run):
    """[(start_us, end_us)] per run: from WINDOW_LEAD_US before its first
    sent notification to the same before the next run's (any sensor). A
    notification arrives after it was sent, so none falls into an earlier
    run's window; the lead covers the sensor logging the time it sent a
    notification after the write returned, when the daemon may have it
    already (3 ms measured)."""
    starts = [min(r[1] for rows in runs for r in rows[:1]) - WINDOW_LEAD_US
              for runs in sent_by_run]
    return [(s, starts[i + 1] if i + 1 < len(starts) else 2**63)
            for i, s in enumerate(starts)]


def missing_stretches(sent, have):
    """Matches have ([(t_us, value)] in arrival order) as a subsequence of
    sent: ([(first index, count)] of sent never stored, extra stored values,
    the longest delay from sending to storing in µs)."""
    stretches, j, delay = [], 0, 0
    for i, (_, utc_us, _, value) in enumerate(sent):
        if j < len(have) and have[j][1] == value:
            delay = max(delay, have[j][0] - utc_us)
            j += 1
        elif stretches and stretches[-1][0] + stretches[-1][1] == i:
            stretches[-1] = (stretches[-1][0], stretches[-1][1] + 1)
        else:
            stretches.append((i, 1))
    return stretches, len(have) - j, delay


def check_run_notifications(run, name, sent, stored, run_row):
    """One sensor's notifications of one simulated run; returns the
    [(utc_us, count)] of the stretches lost."""
    lost = []
    for uuid in sorted({r[2] for r in sent}):
        want = [r for r in sent if r[2] == uuid]
        have = [r for r in stored if r[1] == uuid]
        stretches, extra, delay = missing_stretches(want, [(r[0], r[2]) for r in have])
        lost += [(want[first][1], n) for first, n in stretches]
        print(f"run {run} {name} {uuid}: sent {len(want)}, stored {len(have)}, "
              f"delivered {delay / 1e6:.1f} s after sending at most")
        for first, n in stretches[:5]:
            t0 = want[first]
            fail(f"run {run} {name} {uuid}: {n} notifications sent from "
                 f"{t0[0]:.3f} s of run time (utc {t0[1]} µs) are not stored")
        check(extra == 0, f"run {run} {name} {uuid}: {extra} stored "
                          "notifications were never sent (or not in order)")
    if run_row is None:
        return lost
    run_id, start_us, end_us = run_row[0], run_row[1], run_row[2]
    wrong = [r for r in stored if r[3] is not None and r[3] != run_id]
    check(not wrong, f"run {run} {name}: {len(wrong)} notifications stored "
                     f"under run {wrong[0][3] if wrong else '-'}, want {run_id}")
    # Those that came in one read with the run's first or last measurement
    # share its time and may fall either side of it.
    inside = [r for r in stored if r[3] is None and end_us is not None
              and start_us < r[0] < end_us]
    check(not inside, f"run {run} {name}: {len(inside)} notifications inside "
                      f"run {run_id}'s time are stored under no run")
    return lost


def longest_pause_us(times):
    times = sorted(times)
    return max((b - a for a, b in zip(times, times[1:])), default=0)


def explain_split(mine, sent_run, timeout_s):
    """Why simulated run i is more than one stored run: a pause in what the
    sensors sent, or one in what reached the daemon (the sensors sent all
    along: the emulated links stalled, and the daemon, which can only go by
    arrival times, saw every sensor silent for its sensor_timeout_s)."""
    stored_pause = max(b[1] - a[2] for a, b in zip(mine, mine[1:]))
    sent_pause = longest_pause_us(r[1] for rows in sent_run for r in rows)
    if sent_pause < timeout_s * 1e6 <= stored_pause:
        return (f"SPLIT BY A STALL IN THE EMULATED TRANSPORT: nothing reached "
                f"hamstrided for {stored_pause / 1e6:.1f} s (its sensor_timeout_s "
                f"is {timeout_s} s) while the sensors never paused more than "
                f"{sent_pause / 1e6:.1f} s")
    return (f"the sensors paused {sent_pause / 1e6:.1f} s, nothing stored for "
            f"{stored_pause / 1e6:.1f} s")


def check_runs(db, spans, sent, timeout_s=SENSOR_TIMEOUT_S):
    """The stored run of each simulated run (by start time), or None."""
    runs = db.execute("SELECT id, start_us, end_us, duration_s, end_reason, "
                      "notifications FROM runs ORDER BY start_us").fetchall()
    check(len(runs) == len(spans),
          f"{len(spans)} simulated runs, the database has {len(runs)} runs: "
          f"{[(r[0], r[4]) for r in runs]}")
    rows = []
    for i, (start, end) in enumerate(spans, 1):
        mine = [r for r in runs if start <= r[1] < end]
        if len(mine) != 1:
            fail(f"run {i}: {len(mine)} stored runs start in its time window"
                 + (f" ({[(r[0], r[4]) for r in mine]}): "
                    + explain_split(mine, sent[i - 1], timeout_s)
                    if mine else ""))
            rows.append(None)
            continue
        r = mine[0]
        print(f"run {i}: stored as run {r[0]}, {r[3]:.0f} s, "
              f"end reason {r[4]}, {r[5]} notifications")
        check(r[2] is not None and r[4] not in (None, "crash"),
              f"run {i} (stored run {r[0]}) was not closed by the daemon: "
              f"end {r[2]}, reason {r[4]}")
        rows.append(r)
    return rows, runs


# ---- memory ---------------------------------------------------------------

def read_samples(out):
    rows = []
    for line in vm.read(os.path.join(out, "samples.txt")).splitlines():
        if line.startswith("#") or not line.strip():
            continue
        t, rss, fds, cpu, db, wal, load = line.split()
        rows.append((float(t), int(rss), int(fds), int(cpu), int(db), int(wal),
                     float(load)))
    return rows


def slope(points):
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def check_memory(samples, speed, notifications, running_h):
    if not check(len(samples) >= 8, f"only {len(samples)} samples of the daemon"):
        return
    t0 = samples[0][0]
    sim_h = [(s[0] - t0) * speed / 3600 for s in samples]
    half = sim_h[-1] / 2
    second = [(h, s[1]) for h, s in zip(sim_h, samples) if h >= half]
    kib_per_h = slope(second)
    rate = notifications / sim_h[-1] if sim_h[-1] else 0
    bound = SLOPE_BYTES_PER_NOTIFICATION * rate / 1024
    rss = [s[1] for s in samples]
    fds_first = max(s[2] for h, s in zip(sim_h, samples) if h < half)
    fds_second = max(s[2] for h, s in zip(sim_h, samples) if h >= half)
    wall_s = samples[-1][0] - t0
    cpu_s = samples[-1][3] / 100
    db_bytes = samples[-1][4] + samples[-1][5]
    print(f"soak: {sim_h[-1]:.2f} simulated hours in {wall_s:.0f} s of wall "
          f"time, {len(samples)} samples")
    print(f"RSS: start {rss[0]:,} KiB, end {rss[-1]:,} KiB, peak {max(rss):,} "
          f"KiB; slope over the second half {kib_per_h:+.1f} KiB per simulated "
          f"hour (bound {bound:.0f}: {SLOPE_BYTES_PER_NOTIFICATION} B x "
          f"{rate:,.0f} notifications per simulated hour)")
    print(f"open fds: at most {fds_first} in the first half, {fds_second} in "
          f"the second")
    print(f"daemon CPU {cpu_s:.0f} s over {wall_s:.0f} s of wall time")
    if running_h:
        print(f"database {db_bytes / 1e6:.1f} MB with its WAL: "
              f"{db_bytes / running_h / 1e6:.1f} MB per running hour "
              f"({running_h:.2f} simulated running hours)")
    if half >= SLOPE_MIN_HALF_H:
        check(kib_per_h < bound, f"RSS grows {kib_per_h:.1f} KiB per simulated hour "
                                 f"over the second half, bound {bound:.0f}")
    else:
        print(f"RSS slope not judged: the second half is {half:.2f} simulated hours, "
              f"under {SLOPE_MIN_HALF_H} (a cache still settling); RSS held to "
              f"{RSS_CEILING_KIB:,} KiB instead")
        check(max(rss) <= RSS_CEILING_KIB, f"RSS peaked at {max(rss):,} KiB, "
                                          f"ceiling {RSS_CEILING_KIB:,} KiB")
    check(fds_second <= fds_first, f"open fds grew from at most {fds_first} to "
                                   f"{fds_second}")


# ---- where losses are ------------------------------------------------------

def daemon_received(out):
    """The notification count hamstrided logged when it stopped, or None."""
    m = re.findall(r": (\d+) notifications, \d+ runs",
                   vm.read(os.path.join(out, "hamstrided.log")))
    return int(m[-1]) if m else None


def sensor_counts(out, tag):
    m = re.search(r"sent (\d+) notifications in (\d+) connections",
                  vm.read(os.path.join(out, f"fake-sensor-{tag}.log")))
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def read_host_load(out):
    """[(utc_s, load1)] of this machine during the soak."""
    rows = []
    for line in vm.read(os.path.join(out, "host-load.txt")).splitlines():
        t, load = line.split()
        rows.append((float(t), float(load)))
    return rows


def place_losses(out, sent_total, stored_total, stretches):
    """Names the layer that lost notifications, with this machine's load
    when they went (the VM's clock starts from this machine's)."""
    received = daemon_received(out)
    lost = sum(n for _, n in stretches)
    print(f"notifications: sent {sent_total:,}, received by hamstrided "
          f"{received if received is None else f'{received:,}'} (with the "
          f"values it read), stored {stored_total:,}, lost {lost:,}")
    load = read_host_load(out)
    if load:
        print(f"host load average: median "
              f"{sorted(x for _, x in load)[len(load) // 2]:.1f}, "
              f"peak {max(x for _, x in load):.1f}")
    if not lost:
        return
    for utc_us, n in stretches[:20]:
        near = min(load, key=lambda r: abs(r[0] - utc_us / 1e6), default=None)
        print(f"lost {n} from utc {utc_us / 1e6:.3f} s"
              + (f", host load {near[1]:.1f}" if near else ""))
    if received is not None and received == stored_total:
        fail(f"LOST IN THE EMULATED TRANSPORT: {lost:,} notifications the "
             "sensors sent never reached hamstrided (it stored all it "
             "received); the kernel, btvirt or qemu under load dropped them")
    else:
        fail(f"LOST IN HAMSTRIDED: it received {received} notifications and "
             f"stored {stored_total:,}")


# ---- the whole check ---------------------------------------------------------

def check_out(out):
    params = read_params(out)
    if not check(params, f"{out} has no params.sh: not a soak's results"):
        return
    speed, nruns = params["SPEED"], params["RUNS"]
    addresses = dict(line.split() for line in
                     vm.read(os.path.join(out, "addresses.txt")).splitlines())
    names = {"hci0": addresses["hci0"], "hci1": addresses["hci1"]}
    sent = []
    for i in range(1, nruns + 1):
        per = []
        for hci in names:
            path = os.path.join(out, f"sent-{hci}-{i}.log")
            rows = read_sent(path) if os.path.exists(path) else []
            check(rows, f"run {i}: {hci} sent nothing (or {path} is missing)")
            n, conns = sensor_counts(out, f"{hci}-{i}")
            check(n == len(rows), f"run {i} {hci}: fake-sensor says it sent "
                                  f"{n}, its log has {len(rows)}")
            per.append(rows)
        sent.append(per)
    if failures:
        return
    spans = windows(sent)
    db = sqlite3.connect(f"file:{os.path.join(out, 'hamstride.db')}?mode=ro",
                         uri=True)
    run_rows, runs = check_runs(db, spans, sent, params["SENSOR_TIMEOUT_S"])
    lost, sent_total, stored_total = [], 0, 0
    for k, (hci, address) in enumerate(names.items()):
        stored = stored_by_sensor(db, address)
        stored_total += len(stored)
        for i, (start, end) in enumerate(spans):
            notified = {r[2] for r in sent[i][k]}
            mine = [r for r in stored if start <= r[0] < end and r[1] in notified]
            sent_total += len(sent[i][k])
            lost += check_run_notifications(i + 1, hci, sent[i][k], mine,
                                            run_rows[i])
    place_losses(out, sent_total, stored_total, lost)
    running_h = sum(r[3] or 0 for r in runs) * speed / 3600
    notifications = sum(len(rows) for per in sent for rows in per)
    check_memory(read_samples(out), speed, notifications, running_h)


def sample_load(rows, done):
    while not done.is_set():
        rows.append((time.time(), os.getloadavg()[0]))
        done.wait(SAMPLE_S)


def main():
    args = sys.argv[1:]
    out = None
    if len(args) == 2 and args[0] in ("--check", "--out"):
        out = args[1]
    elif args:
        print("usage: vm_soak.py [--check RESULTS_FOLDER | --out RESULTS_FOLDER]",
              file=sys.stderr)
        return 2
    if args[:1] != ["--check"]:
        hours = float(os.environ.get("HAMSTRIDE_SOAK_HOURS", "0.5"))
        build = os.environ.get("HAMSTRIDE_BUILD_ROOT", "build")
        params = params_for(hours)
        print(f"soak: {hours} simulated hours, {params['RUNS']} runs of "
              f"{params['MINUTES']} minutes at {SPEED}x")
        wall = params["RUNS"] * (params["RUN_LIMIT_S"] + REST_S + 60)
        t0 = time.monotonic()
        load, done = [], threading.Event()
        sampler = threading.Thread(target=sample_load, args=(load, done))
        sampler.start()
        try:
            status, out, times = run_with_params(build, SCENARIO, params, int(wall + 200),
                                                 ["l2test"], out=out)
        except vm.Skip as e:
            print(f"SKIP: {e}")
            return vm.SKIP
        finally:
            done.set()
            sampler.join()
        with open(os.path.join(out, "host-load.txt"), "w") as f:
            f.write("".join(f"{t:.1f} {x:.2f}\n" for t, x in load))
        print(f"vm_soak: the VM took {time.monotonic() - t0:.0f} s; "
              + ", ".join(f"{n} {t:.1f} s" for n, t in times))
        if status != 0:
            return 1
    check_out(out)
    if failures:
        print(f"vm_soak: {len(failures)} failed; the VM's logs are in {out}")
        vm.show_logs(out)
        return 1
    print(f"vm_soak: all checks passed (results in {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
