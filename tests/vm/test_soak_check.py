#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""vm_soak.py's attribution of stored notifications to runs, without a VM.

Three simulated runs of two characteristics; what is stored is built from
what was sent, then spoiled in one way per case. A stretch missing from the
first run must be reported there, and only there (a check that split the
stored notifications by counts would shift every later run); a notification
stored under the wrong run, a stored run missing or left by a crash, and
growing RSS must each fail; the untouched soak must pass.
"""
import random
import sqlite3
import sys

import hamstride_test
import vm_soak

SEED = random.randrange(1 << 30)
rng = random.Random(SEED)
RUN_US = 400_000_000
REST_US = 20_000_000


def soak():
    """sent[run][sensor] rows, stored rows per sensor, stored runs."""
    sent, stored, runs = [], [[], []], []
    t = 1_700_000_000_000_000
    for run in range(3):
        per = []
        for k, uuids in enumerate((["2A53", "2A37"], ["IMU"])):
            rows = []
            for i in range(300):
                uuid = uuids[i % len(uuids)]
                utc = t + i * RUN_US // 300 + k * 1000
                rows.append((i * 1.0, utc, uuid, rng.randbytes(6)))
            per.append(rows)
            for r in rows:
                # Arrival 0 to 50 ms after sending, the run's id once it began.
                stored[k].append((r[1] + rng.randrange(50_000), r[2], r[3],
                                  run + 1))
        runs.append((run + 1, t, t + RUN_US, RUN_US / 1e7, "sensors gone", 0))
        sent.append(per)
        t += RUN_US + REST_US
    return sent, stored, runs


def check(sent, stored, runs):
    """The failures vm_soak's per-run checks report."""
    hamstride_test.failures.clear()
    spans = vm_soak.windows(sent)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE runs (id, start_us, end_us, duration_s, "
               "end_reason, notifications)")
    db.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)", runs)
    rows, _ = vm_soak.check_runs(db, spans, sent)
    lost = []
    for k in range(2):
        for i, (start, end) in enumerate(spans):
            mine = [r for r in stored[k] if start <= r[0] < end]
            lost += [(i + 1, n) for _, n in
                     vm_soak.check_run_notifications(i + 1, f"s{k}", sent[i][k],
                                                     mine, rows[i])]
    return list(hamstride_test.failures), lost


def expect(name, got, want_failures, want_lost=None):
    failures, lost = got
    ok = bool(failures) == want_failures and (want_lost is None or lost == want_lost)
    print(f"{name}: {len(failures)} failures, lost {lost}: {'ok' if ok else 'WRONG'}")
    return ok


def main():
    ok = True
    sent, stored, runs = soak()
    ok &= expect("untouched", check(sent, stored, runs), False, [])

    # 20 IMU notifications of run 1 never arrive: reported in run 1 only.
    gone = set(r[3] for r in sent[0][1][100:120])
    spoiled = [stored[0], [r for r in stored[1] if r[2] not in gone]]
    ok &= expect("a stretch missing in run 1", check(sent, spoiled, runs),
                 True, [(1, 20)])

    # One pod notification of run 2 stored under run 3.
    bad = list(stored[0])
    i = next(j for j, r in enumerate(bad) if r[3] == 2)
    bad[i] = bad[i][:3] + (3,)
    ok &= expect("stored under the wrong run", check(sent, [bad, stored[1]], runs),
                 True, [])

    ok &= expect("a run closed by a crash",
                 check(sent, stored, runs[:2] + [runs[2][:4] + ("crash", 0)]),
                 True, [])
    ok &= expect("a run missing", check(sent, stored, runs[:2]), True, [])

    flat = [(i * 10.0, 8000 + rng.randrange(8), 15, i, 0, 0, 1.0) for i in range(200)]
    leak = [(t, rss + int(i * 10 * 10 / 3600 * 1700), *rest)
            for i, (t, rss, *rest) in enumerate(flat)]
    for name, samples, want in [("flat RSS", flat, False), ("RSS leaking 1,700 KiB/h", leak, True)]:
        hamstride_test.failures.clear()
        vm_soak.check_memory(samples, 10, 52_000 * 200 * 10 * 10 // 3600, 1.0)
        ok &= expect(name, (list(hamstride_test.failures), []), want)
    # Half an hour: the second run's settling is not judged as a slope, the
    # ceiling is.
    short = [(i * 10.0, 6000 + 60 * i, 15, i, 0, 0, 1.0) for i in range(18)]
    high = [(t, rss + 12_000, *rest) for t, rss, *rest in short]
    for name, samples, want in [("a short soak settling", short, False),
                                ("a short soak over the ceiling", high, True)]:
        hamstride_test.failures.clear()
        vm_soak.check_memory(samples, 10, 26_000, 0.4)
        ok &= expect(name, (list(hamstride_test.failures), []), want)
    if not ok:
        print(f"test_soak_check: FAILED (seed {SEED})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
