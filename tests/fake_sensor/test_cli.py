#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fake-sensor's command line and its errors on a machine without a radio."""
import os
import socket
import subprocess
import sys

PROG = sys.argv[1]


def run(*args):
    p = subprocess.run([PROG, *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr


def expect(args, code, needle):
    rc, err = run(*args)
    if rc != code or needle not in err:
        sys.exit(f"fake-sensor {' '.join(args)}: exit {rc}, stderr {err!r}; "
                 f"expected exit {code} and {needle!r}")


def kernel_has_bluetooth():
    try:
        socket.socket(socket.AF_BLUETOOTH, socket.SOCK_SEQPACKET, socket.BTPROTO_L2CAP).close()
        return True
    except (OSError, AttributeError):
        return False


expect(["--profile", "footpod"], 64, "--adapter is required")
expect(["--adapter", "hci0"], 64, "--profile is required")
expect(["--adapter", "usb0", "--profile", "hrm"], 64, "expected hci0, hci1")
expect(["--adapter", "hci0", "--profile", "footpod,rower"], 64, 'unknown profile "rower"')
expect(["--adapter", "hci0", "--profile", "imu-left,imu-right"], 64, "one fake-sensor per shoe")
expect(["--adapter", "hci0", "--profile", "hrm", "--speed", "0"], 64, "--speed 0")
expect(["--adapter", "hci0", "--profile", "hrm", "--minutes", "soon"], 64, "--minutes soon")
expect(["--adapter", "hci0", "--profile", "hrm", "--drop-at", "60"], 64, "go together")
expect(["--adapter", "hci0", "--profile", "hrm", "--seed", "-3"], 64, "--seed -3")
expect(["--adapter", "hci0", "--profile", "hrm", "--bogus"], 64, "--bogus is not an option")
expect(["--adapter", "hci0", "--profile", "hrm", "--capture", "/nonexistent/run.btsnoop"], 66,
       "/nonexistent/run.btsnoop")
rc, _ = run("--help")
assert rc == 0, rc

if kernel_has_bluetooth():
    expect(["--adapter", "hci99", "--profile", "footpod"], 69, "no Bluetooth adapter hci99")
else:
    expect(["--adapter", "hci0", "--profile", "footpod"], 69,
           "this kernel has no Bluetooth sockets (AF_BLUETOOTH)")
print("ok")
