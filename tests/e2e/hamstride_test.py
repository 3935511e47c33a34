# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers shared by the end-to-end tests: run the programs, read results."""
import configparser
import csv
import io
import os
import subprocess
import sys
import tempfile

CLI = os.environ.get('HAMSTRIDE_CLI', 'build/tools/hamstride')
DAEMON = os.environ.get('HAMSTRIDED', 'build/daemon/hamstrided')

failures = []


def run(argv, expect=0, stdin=None):
    """Runs a program; fails the test if the exit code is not expect."""
    p = subprocess.run(argv, capture_output=True, text=True, input=stdin, timeout=600)
    if expect is not None and p.returncode != expect:
        fail('%s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s' %
             (' '.join(argv), p.returncode, expect, p.stdout, p.stderr))
    return p


def fail(message):
    failures.append(message)
    print('FAIL: ' + message, file=sys.stderr)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


def check_close(name, got, want, tol):
    ok = abs(got - want) <= tol
    print('%-40s got %12.3f want %12.3f tol %8.3f %s' % (name, got, want, tol, 'ok' if ok else 'FAIL'))
    return check(ok, '%s: got %.3f, want %.3f ± %.3f' % (name, got, want, tol))


def read_truth(path):
    ini = configparser.ConfigParser()
    ini.read(path)
    return [ini[s] for s in ini.sections()]


def export_csv(db, what, *extra):
    out = run([CLI, '--db', db, 'export', 'csv', what] + list(extra)).stdout
    return list(csv.DictReader(io.StringIO(out)))


def tempdir():
    return tempfile.TemporaryDirectory(prefix='hamstride-e2e-')


class Tmpfs:
    """A tmpfs of size ('3m') mounted at a new folder path, unmounted at the
    end of the with block; the test is skipped (exit 77) where mounting is
    refused (not root)."""

    def __init__(self, path, size):
        self.path, self.size = path, size

    def __enter__(self):
        os.mkdir(self.path)
        if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=' + self.size, 'tmpfs',
                           self.path], capture_output=True).returncode != 0:
            print('cannot mount a tmpfs here (not root?): skipped')
            sys.exit(77)
        return self.path

    def __exit__(self, *exc):
        subprocess.run(['umount', self.path])
        return False


def finish(name):
    if failures:
        print('%s: %d failed' % (name, len(failures)))
        sys.exit(1)
    print('%s: all checks passed' % name)
