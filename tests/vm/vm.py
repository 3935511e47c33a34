#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a shell scenario on the real Linux Bluetooth stack in a small VM.

The host kernel of the build machines has no AF_BLUETOOTH, so this boots
Debian's own kernel (linux-image-amd64) in qemu under software emulation
with a busybox initramfs holding BlueZ's btvirt and btmgmt, the bluetooth
and hci_vhci modules, hamstride's programs and whatever else the scenario
names. The scenario runs as a shell script inside; a host folder shared
over virtio-9p (/out in the VM) carries its results and the kernel log
back. See ../../../shared/design/BLE-TESTING.md for the measured facts this
rests on.

    tests/vm/vm.py --build-dir build tests/vm/sanity.sh

Every step has a time limit and prints its wall time. Exit status: the
scenario's own (0 passed), 77 when the VM cannot be had here (not root and
a package missing, no package source), 1 on any failure; on failure the
console transcript and the kernel log are printed.

The Debian packages are downloaded once and unpacked in a cache folder:
$HAMSTRIDE_VM_CACHE, else BUILD_DIR/vm-cache.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))

# tools/deps.sh --vm installs qemu, busybox, cpio and kmod when missing.
DEPS = os.path.join(HERE, "..", "..", "tools", "deps.sh")

# Unpacked, never installed on the host: installing bluez there pulls in
# systemd upgrades and the host kernel has no Bluetooth anyway.
GUEST_PACKAGES = ["linux-image-amd64", "bluez", "bluez-test-tools"]

# In this order (BLE-TESTING.md): the DRBG before anything runs the
# ecdh-nist-p256 self-test, and the ciphers its own self-tests use before
# it; the user-space crypto API before btvirt; then the stack and the
# virtual controller driver; 9p for /out.
MODULES = ["ctr", "sha512_generic", "drbg",
           "af_alg", "algif_hash", "algif_skcipher",
           "cmac", "ecb",
           "bluetooth", "hci_vhci",
           "virtio_pci", "9pnet_virtio", "9p"]

GUEST_PROGRAMS = ["btvirt", "btmgmt"]

# Shell libraries the scenarios source, /NAME in the VM.
LIBRARIES = ["lib.sh", "live.sh"]

# hamstride's programs in the build folder, /bin/NAME in the VM.
PROJECT_PROGRAMS = ["daemon/hamstrided", "tools/hamstride",
                    "tests/fake_sensor/fake-sensor"]

# Bluetooth self-test failures look like "alg: ecdh-nist-p256: test failed".
KERNEL_FAILURE = re.compile(r"^.*\balg: .*fail.*$", re.MULTILINE)


class Skip(Exception):
    pass


class Failure(Exception):
    pass


def log(msg):
    print(f"vm: {msg}", flush=True)


class Steps:
    """Times each host step and keeps the figures for the summary."""

    def __init__(self):
        self.times = []

    def run(self, name, fn, *args):
        t0 = time.monotonic()
        try:
            return fn(*args)
        finally:
            dt = time.monotonic() - t0
            self.times.append((name, dt))
            log(f"{name}: {dt:.1f} s")


def sh(cmd, timeout, **kw):
    """Runs cmd with a time limit; a failure names the command and its output."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(cmd)}: no answer within {timeout} s")
    if r.returncode != 0:
        raise Failure(f"{' '.join(cmd)} exited {r.returncode}:\n"
                      f"{r.stdout}{r.stderr}")
    return r.stdout


# ---- host packages -------------------------------------------------------

def apt_get(args, timeout, cwd=None):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return sh(["apt-get"] + args, timeout, env=env, cwd=cwd)


def ensure_host_packages():
    r = subprocess.run(["sh", DEPS, "--vm"], capture_output=True, text=True,
                       timeout=900)
    if r.returncode != 0:
        raise Skip((r.stdout + r.stderr).strip())


# ---- guest packages: download once, unpack into the cache ----------------

def debs_in(folder):
    return sorted(f for f in os.listdir(folder) if f.endswith(".deb"))


def apt_download(names, folder):
    """apt-get download, with one apt-get update when the lists are stale."""
    try:
        apt_get(["download", "-q"] + names, 300, cwd=folder)
    except Failure as first:
        if os.geteuid() != 0:
            raise Skip(f"cannot download {' '.join(names)}: {first}")
        apt_get(["update", "-qq"], 300)
        apt_get(["download", "-q"] + names, 300, cwd=folder)


def ensure_guest_root(cache):
    """Returns (root, kernel_version) with the packages unpacked in root."""
    root = os.path.join(cache, "root")
    done = os.path.join(cache, "unpacked")
    if os.path.exists(done):
        return root, open(done).read().strip()
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    shutil.rmtree(root, ignore_errors=True)
    apt_download(GUEST_PACKAGES, debs)
    # The metapackage names the kernel package of Debian's current build.
    meta = [d for d in debs_in(debs) if d.startswith("linux-image-amd64_")]
    depends = sh(["dpkg-deb", "-f", os.path.join(debs, meta[-1]), "Depends"], 30)
    image = re.match(r"\s*(linux-image-[^\s,(]+)", depends).group(1)
    apt_download([image], debs)
    for deb in debs_in(debs):
        sh(["dpkg-deb", "-x", os.path.join(debs, deb), root], 120)
    versions = os.listdir(os.path.join(root, "lib", "modules"))
    if len(versions) != 1:
        raise Failure(f"expected one kernel in {root}, found {versions}")
    kver = versions[0]
    sh(["depmod", "-b", root, kver], 120)
    with open(done, "w") as f:
        f.write(kver + "\n")
    return root, kver


# ---- initramfs -----------------------------------------------------------

def shared_libraries(binary, root):
    """The shared libraries binary loads, found on the host or in root."""
    libdirs = [os.path.join(root, "usr/lib/x86_64-linux-gnu"),
               os.path.join(root, "lib/x86_64-linux-gnu")]
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(libdirs))
    out = sh(["ldd", binary], 30, env=env)
    libs = []
    for line in out.splitlines():
        if "not found" in line:
            raise Failure(f"{binary} needs {line.split()[0]}, which is "
                          "neither on this machine nor in the VM's packages")
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def module_files(root, kver):
    """The .ko files of MODULES and their dependencies, in load order."""
    files = []
    for mod in MODULES:
        out = sh(["modprobe", "-d", root, "-S", kver, "--show-depends", mod], 30)
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == "insmod" and parts[1] not in files:
                files.append(parts[1])
    return files


def copy_into(tree, src, dest=None):
    dest = os.path.join(tree, (dest or src).lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy2(os.path.realpath(src), dest)


def build_initramfs(work, root, kver, programs, files, scenario):
    tree = os.path.join(work, "initramfs")
    shutil.rmtree(tree, ignore_errors=True)
    for d in ["bin", "dev", "proc", "sys", "tmp", "out", "run", "modules"]:
        os.makedirs(os.path.join(tree, d))
    copy_into(tree, "/bin/busybox")
    copy_into(tree, os.path.join(HERE, "init.sh"), "/init")
    os.chmod(os.path.join(tree, "init"), 0o755)
    for lib in LIBRARIES:
        copy_into(tree, os.path.join(HERE, lib), "/" + lib)
    copy_into(tree, scenario, "/scenario.sh")
    libs = set()
    for prog in programs:
        dest = "/bin/" + os.path.basename(prog)
        copy_into(tree, prog, dest)
        libs.update(shared_libraries(prog, root))
    for lib in libs:
        copy_into(tree, lib)
    for name in files:
        copy_into(tree, name, "/files/" + os.path.basename(name))
    order = []
    for ko in module_files(root, kver):
        copy_into(tree, ko, "/modules/" + os.path.basename(ko))
        order.append(os.path.basename(ko))
    with open(os.path.join(tree, "modules", "order"), "w") as f:
        f.write("\n".join(order) + "\n")
    image = os.path.join(work, "initramfs.cpio.gz")
    listing = subprocess.run(["find", "."], cwd=tree, capture_output=True,
                             check=True).stdout
    cpio = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=tree,
                          input=listing, capture_output=True, check=True,
                          timeout=120).stdout
    with open(image, "wb") as f:
        f.write(subprocess.run(["gzip", "-1"], input=cpio, capture_output=True,
                               check=True, timeout=120).stdout)
    log(f"initramfs {os.path.getsize(image) / 1e6:.1f} MB, "
        f"{len(order)} modules, {len(programs)} programs, {len(libs)} libraries")
    return image


def guest_program(root, name):
    for d in ["usr/bin", "usr/sbin", "bin", "sbin", "usr/lib/bluetooth"]:
        path = os.path.join(root, d, name)
        if os.path.exists(path):
            return path
    on_host = shutil.which(name)
    if on_host:
        return on_host
    raise Failure(f"program {name} is neither in the VM's packages nor here")


def project_programs(build_dir):
    """hamstride's programs that are built, and sqlite3 to look inside."""
    progs = [os.path.join(build_dir, p) for p in PROJECT_PROGRAMS]
    progs = [p for p in progs if os.access(p, os.X_OK)]
    if shutil.which("sqlite3"):
        progs.append(shutil.which("sqlite3"))
    return progs


# ---- boot ----------------------------------------------------------------

def boot(root, kver, image, out, timeout):
    console = os.path.join(out, "console.log")
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
           "-smp", "2", "-m", "512", "-nodefaults", "-nic", "none",
           "-display", "none", "-no-reboot",
           "-kernel", os.path.join(root, "boot", "vmlinuz-" + kver),
           "-initrd", image,
           "-append", "console=ttyS0 panic=-1 loglevel=4 rdinit=/init "
                      f"hamstride.timeout={max(timeout - 40, 20)}",
           "-serial", "file:" + console,
           "-virtfs", f"local,path={out},mount_tag=out,security_model=none,"
                      "id=out"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"the VM did not finish within {timeout} s")
    if r.returncode != 0:
        raise Failure(f"qemu exited {r.returncode}: {r.stderr.strip()}")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def check_results(out):
    kernel = read(os.path.join(out, "kernel.log")) or read(
        os.path.join(out, "console.log"))
    failed = KERNEL_FAILURE.findall(kernel)
    if failed:
        raise Failure("kernel crypto self-test failed:\n" + "\n".join(failed))
    rc = read(os.path.join(out, "scenario.rc")).strip()
    if not rc:
        raise Failure("the scenario left no exit status (the VM stopped "
                      "before it finished)")
    return int(rc)


def show_logs(out):
    for name, lines in [("kernel.log", 60), ("console.log", 100),
                        ("scenario.log", 150)]:
        text = read(os.path.join(out, name))
        if text:
            print(f"---- {name} (last {lines} lines)")
            print("\n".join(text.splitlines()[-lines:]))


# ---- the whole run -------------------------------------------------------

def run(build_dir, scenario, programs=(), files=(), out=None, timeout=240,
        guest_programs=()):
    """Boots the VM, runs scenario inside, returns (status, out, step times).

    hamstride's programs from build_dir are in the VM's /bin, and so are
    programs (more host binaries) and guest_programs (names of programs
    from the VM's Debian packages); files are anything else the scenario
    reads (/files/NAME inside). Results are in out (/out inside).
    """
    steps = Steps()
    build_dir = os.path.abspath(build_dir)
    cache = os.environ.get("HAMSTRIDE_VM_CACHE") or os.path.join(build_dir,
                                                                 "vm-cache")
    os.makedirs(cache, exist_ok=True)
    name = os.path.splitext(os.path.basename(scenario))[0]
    out = os.path.abspath(out or os.path.join(build_dir, "vm-out", name))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    try:
        steps.run("host packages", ensure_host_packages)
        root, kver = steps.run("guest packages", ensure_guest_root, cache)
        progs = [guest_program(root, p) for p in
                 GUEST_PROGRAMS + list(guest_programs)]
        progs += project_programs(build_dir) + list(programs)
        image = steps.run("initramfs", build_initramfs,
                          os.path.join(cache, "work-" + name), root, kver,
                          progs, files, scenario)
        steps.run("boot and scenario", boot, root, kver, image, out, timeout)
        status = check_results(out)
    except Failure as e:
        log(f"FAILED: {e}")
        show_logs(out)
        return 1, out, steps.times
    if status != 0:
        log(f"the scenario failed with status {status}")
        show_logs(out)
    else:
        print(read(os.path.join(out, "scenario.log")), end="")
    return status, out, steps.times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", help="shell script to run inside the VM")
    ap.add_argument("--build-dir", default="build",
                    help="meson build folder (default: build)")
    ap.add_argument("--program", action="append", default=[],
                    help="host program to put in the VM's /bin")
    ap.add_argument("--guest-program", action="append", default=[],
                    help="program from the VM's Debian packages (btmon, ...)")
    ap.add_argument("--file", action="append", default=[],
                    help="file for the scenario, /files/NAME inside")
    ap.add_argument("--out", help="results folder (default BUILD/vm-out/NAME)")
    ap.add_argument("--timeout", type=int, default=240,
                    help="seconds for boot and scenario (default 240)")
    a = ap.parse_args()
    try:
        status, out, _ = run(a.build_dir, a.scenario, a.program, a.file,
                             a.out, a.timeout, a.guest_program)
    except Skip as e:
        print(f"SKIP: {e}")
        return SKIP
    log(f"results in {out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
