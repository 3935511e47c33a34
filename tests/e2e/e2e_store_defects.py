#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Regression tests for the store, CLI and config defects of issues 17
and 18, each named after its item."""
import os
import random
import sqlite3
import stat
import subprocess

from hamstride_test import CLI, DAEMON, check, fail, finish, tempdir

EMPTY_CAPTURE = b'btsnoop\0\0\0\0\1\0\0\x07\xd1'


def run(argv, expect=0):
    """As hamstride_test.run, but a log with raw bytes is read, not fatal."""
    p = subprocess.run(argv, capture_output=True, text=True, errors='backslashreplace',
                       timeout=600)
    if expect is not None and p.returncode != expect:
        fail('%s exited %d, expected %d\nstdout:\n%s\nstderr:\n%s' %
             (' '.join(argv), p.returncode, expect, p.stdout, p.stderr))
    return p


def printable(text):
    return all(c == '\n' or 32 <= ord(c) < 127 for c in text)


def daemon(tmp, *args, expect=0):
    return run([DAEMON, '--replay', os.path.join(tmp, 'empty.btsnoop'),
                '--db', os.path.join(tmp, 'cfg.db')] + list(args), expect=expect)


def config_case(tmp, name, text, expect, says):
    path = os.path.join(tmp, name + '.conf')
    with open(path, 'wb') as f:
        f.write(text)
    p = daemon(tmp, '-c', path, expect=expect)
    check(says in p.stderr, '%s: the log should say %r:\n%s' % (name, says, p.stderr))
    return p


def test_17_9_config(tmp):
    config_case(tmp, 'hash_comment', b'[session]\ngap_s = 5   # five seconds\n', 0, '')
    config_case(tmp, 'nul_byte', b'[session]\ngap_s = 5\0 and more\n', 78,
                'line 2: not text')
    rng = random.Random(3)
    binary = bytes(rng.randrange(256) for _ in range(300))
    p = config_case(tmp, 'binary', b'[daemon]\nlog_level = info\n' + binary, 78, 'not text')
    check(printable(p.stderr), 'binary config: the log holds raw bytes: %r' % p.stderr)
    p = config_case(tmp, 'high_bytes', b'[session]\ngap_s = 5\xff\n', 78, '5\\xff')
    check(printable(p.stderr), 'high bytes: the log holds raw bytes: %r' % p.stderr)
    p = daemon(tmp, '-c', tmp, expect=78)
    check('is a directory' in p.stderr, '-c DIRECTORY: ' + p.stderr)


def test_18_8_config(tmp):
    config_case(tmp, 'duplicate', b'[session]\ngap_s = 5\nidle_timeout_s = 60\ngap_s = 6\n',
                78, 'line 4: [session] gap_s = 6: given twice')
    config_case(tmp, 'hexadecimal', b'[session]\ngap_s = 0x10\n', 78, 'gap_s = 0x10')
    config_case(tmp, 'infinity', b'[session]\nstart_speed_mps = inf\n', 78, 'start_speed_mps')


def test_17_9_exit_codes(tmp):
    db = os.path.join(tmp, 'never.db')
    p = run([DAEMON, '--replay', os.path.join(tmp, 'missing.btsnoop'), '--db', db], expect=66)
    check(not os.path.exists(db), '--replay missing.btsnoop created the database: ' + p.stderr)
    odd = os.path.join(tmp, 'odd-datalink.btsnoop')
    with open(odd, 'wb') as f:
        f.write(b'btsnoop\0\0\0\0\1\0\0\x03\xe7')  # datalink 999
    run([DAEMON, '--replay', odd, '--db', db], expect=65)
    check(not os.path.exists(db), 'a capture refused created the database')


def main():
    with tempdir() as tmp:
        with open(os.path.join(tmp, 'empty.btsnoop'), 'wb') as f:
            f.write(EMPTY_CAPTURE)
        test_17_9_config(tmp)
        test_18_8_config(tmp)
        test_17_9_exit_codes(tmp)
    finish('e2e_store_defects')


if __name__ == '__main__':
    main()
