#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Issue 16, privacy: under a umask of 022, every file hamstride writes (the
daemon's database with its -wal and -shm, its captures and their folder; the
CLI's databases from replay, import and pain add, every kind of CSV export,
the PDF report, a simulated capture and its truth files) is created 0600 and
every folder 0700. Under the service's umask 0027 they are 0640 and 0750.
A database left 0644 from before is narrowed on open, and the log says so
once, naming the file and both modes. No writer follows a symbolic link."""
import os
import signal
import stat
import time

from hamstride_test import CLI, DAEMON, check, finish, run, tempdir

SIM_CSV = os.environ.get('HAMSTRIDE_IMU_SIM_CSV', 'build/tests/e2e/imu_sim_csv')
START = '2026-11-01T07:00:00Z'


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def check_mode(path, want):
    got = mode(path)
    print('%-60s %04o (want %04o)' % (os.path.basename(path), got, want))
    check(got == want, '%s is mode %04o, want %04o' % (path, got, want))


def simulate(tmp):
    cap = os.path.join(tmp, 'sim', 'block.btsnoop')
    os.mkdir(os.path.dirname(cap))
    run([CLI, 'sim', '--seed', '3', '--weeks', '1', '--runs-per-week', '3',
         '--output', cap, '--truth', cap + '.ini', '--second-truth', cap + '.seconds.csv'])
    imu = os.path.join(tmp, 'sim', 'imu.btsnoop')
    run([CLI, 'sim', '--seed', '3', '--minutes', '1', '--imu', '--output', imu,
         '--stride-truth', imu + '.strides.csv'])
    for path in (cap, cap + '.ini', cap + '.seconds.csv', imu, imu + '.strides.csv'):
        check_mode(path, 0o600)
    return cap


def wait_for_wal(proc, db, timeout_s=20):
    """Stops the daemon as soon as its -wal and -shm files exist."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(db + '-wal') and os.path.exists(db + '-shm'):
            proc.send_signal(signal.SIGSTOP)
            return True
        time.sleep(0.005)
    return False


def daemon_files(tmp, cap, file_mode, dir_mode):
    """The daemon's database (in folders it creates), -wal, -shm, captures."""
    import subprocess
    db = os.path.join(tmp, 'state', 'deep', 'hamstride.db')
    captures = os.path.join(tmp, 'captures')
    proc = subprocess.Popen([DAEMON, '--replay', cap, '--db', db, '--capture-dir', captures,
                             '--log-level', 'error'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        if check(wait_for_wal(proc, db), 'hamstrided made no -wal and -shm files'):
            for path in (db, db + '-wal', db + '-shm'):
                check_mode(path, file_mode)
            proc.send_signal(signal.SIGCONT)
        err = proc.communicate(timeout=120)[1]
        check(proc.returncode == 0, 'hamstrided exited %d: %s' % (proc.returncode, err))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    check_mode(db, file_mode)
    for folder in (os.path.dirname(db), os.path.join(tmp, 'state'), captures):
        check_mode(folder, dir_mode)
    names = sorted(os.listdir(captures))
    check(len(names) == 3, 'hamstrided wrote %d captures, want 3' % len(names))
    for name in names:
        check_mode(os.path.join(captures, name), file_mode)
    return db


def cli_files(tmp, cap, db):
    """The CLI's writing commands, each into a new file."""
    replayed = os.path.join(tmp, 'cli', 'replayed.db')
    run([CLI, '--db', replayed, 'replay', cap])
    check_mode(replayed, 0o600)
    check_mode(os.path.dirname(replayed), 0o700)

    csv, truth = os.path.join(tmp, 'imu.csv'), os.path.join(tmp, 'imu.truth.csv')
    run([SIM_CSV, csv, truth, '--seed', '4'])
    imported = os.path.join(tmp, 'imported.db')
    run([CLI, '--db', imported, 'import', 'imu', csv, '--start', START])
    check_mode(imported, 0o600)

    pained = os.path.join(tmp, 'pain.db')
    run([CLI, '--db', pained, 'pain', 'add', '2026-11-30', '--next-morning', '2',
         '--side', 'left'])
    check_mode(pained, 0o600)
    run([CLI, '--db', db, 'pain', 'add', 'last', '--during', '3', '--after', '4',
         '--side', 'left'])

    for kind in ('runs', 'samples', 'segments', 'pain'):
        out = os.path.join(tmp, 'export-%s.csv' % kind)
        extra = ['--run', '1'] if kind == 'samples' else []
        run([CLI, '--db', db, 'export', 'csv', kind, '--output', out] + extra)
        check_mode(out, 0o600)
    pdf = os.path.join(tmp, 'report.pdf')
    run([CLI, '--db', db, 'report', '--pdf', pdf, '--from', '2020-01-01', '--to', '2030-01-01'])
    check_mode(pdf, 0o600)
    leftovers = [n for n in os.listdir(tmp) if '.pdf.' in n or '.csv.' in n]
    check(not leftovers, 'temporary files left behind: %s' % leftovers)


def no_symlinks(tmp, cap, db):
    """A link planted where a file is to be written is refused, its target
    untouched."""
    target = os.path.join(tmp, 'victim')
    with open(target, 'w') as f:
        f.write('keep me\n')
    for argv in ([CLI, 'sim', '--minutes', '1', '--output', '@'],
                 [CLI, 'sim', '--minutes', '1', '--output', os.path.join(tmp, 'x.btsnoop'),
                  '--truth', '@'],
                 [CLI, '--db', '@', 'pain', 'add', '2026-11-30', '--next-morning', '2',
                  '--side', 'left']):
        link = os.path.join(tmp, 'planted')
        os.symlink(target, link)
        p = run([a.replace('@', link) for a in argv], expect=None)
        check(p.returncode != 0, '%s followed a symbolic link' % ' '.join(argv))
        os.unlink(link)
    with open(target) as f:
        check(f.read() == 'keep me\n', 'a planted link\'s target was overwritten')
    # A link to nothing where a new database is to be made: nothing is made.
    link, nowhere = os.path.join(tmp, 'planted.db'), os.path.join(tmp, 'nowhere.db')
    os.symlink(nowhere, link)
    p = run([CLI, '--db', link, 'pain', 'add', '2026-11-30', '--next-morning', '2',
             '--side', 'left'], expect=None)
    check(p.returncode != 0 and not os.path.exists(nowhere),
          'a database was created through a dangling link: ' + p.stderr)
    os.unlink(link)
    # Exports and the PDF are renamed into place: a link there is replaced.
    link = os.path.join(tmp, 'planted.csv')
    os.symlink(target, link)
    run([CLI, '--db', db, 'export', 'csv', 'runs', '--output', link])
    check(not os.path.islink(link), 'export csv wrote through a symbolic link')
    with open(target) as f:
        check(f.read() == 'keep me\n', 'export csv overwrote a planted link\'s target')


def tightened_on_open(tmp, db):
    """A 0644 database (and -wal) from before: narrowed, logged once."""
    os.chmod(db, 0o644)
    p = run([CLI, '--db', db, 'runs'])
    lines = [l for l in p.stderr.splitlines() if 'narrowed' in l]
    print('\n'.join(lines))
    check(len(lines) == 1 and db in lines[0] and '0644' in lines[0] and '0600' in lines[0],
          'the CLI does not say, once, that %s was narrowed from 0644 to 0600:\n%s'
          % (db, p.stderr))
    check_mode(db, 0o600)
    p = run([CLI, '--db', db, 'runs'])
    check('narrowed' not in p.stderr, 'a second open says it narrowed again: ' + p.stderr)

    os.chmod(db, 0o664)
    p = run([DAEMON, '--replay', os.path.join(tmp, 'sim', 'block.btsnoop'), '--db', db])
    lines = [l for l in p.stderr.splitlines() if 'narrowed' in l]
    check(len(lines) == 1 and '0664' in lines[0],
          'hamstrided does not say, once, that %s was narrowed:\n%s' % (db, p.stderr[-2000:]))
    check_mode(db, 0o600)


def main():
    os.umask(0o022)
    with tempdir() as tmp:
        cap = simulate(tmp)
        db = daemon_files(tmp, cap, 0o600, 0o700)
        cli_files(tmp, cap, db)
        no_symlinks(tmp, cap, db)
        tightened_on_open(tmp, db)
    # The service's UMask=0027: its group reads, nobody else.
    os.umask(0o027)
    with tempdir() as tmp:
        os.chmod(tmp, 0o700)
        cap = simulate_service(tmp)
        daemon_files(tmp, cap, 0o640, 0o750)
    finish('e2e_privacy')


def simulate_service(tmp):
    cap = os.path.join(tmp, 'block.btsnoop')
    run([CLI, 'sim', '--seed', '3', '--weeks', '1', '--runs-per-week', '3', '--output', cap])
    check_mode(cap, 0o640)
    return cap


if __name__ == '__main__':
    main()
