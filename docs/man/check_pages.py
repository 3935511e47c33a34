#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks the manual pages against the programs they describe.

Each page must render without a single groff warning (and through man -l
when man is installed), and must keep up with the programs:
  - hamstride(1) has a .SS subsection under COMMANDS for every command
    'hamstride --help' lists, holding every long option of that command's
    --help (and of its subcommands' --help), and every exit code the
    command's --help names;
  - hamstrided(8) holds every long option and exit code of 'hamstrided
    --help';
  - hamstrided.conf(5) has a section for every [section] of the shipped
    daemon/hamstrided.conf, holding each of its keys.
Exit 77 (skip) when neither groff nor man is installed.

Usage: check_pages.py HAMSTRIDE HAMSTRIDED CONF_FILE PAGE...
"""

import os
import re
import shutil
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def fail(problems):
    for p in problems:
        print("man pages: " + p, file=sys.stderr)
    print("man pages: update docs/man/*.in to match the program", file=sys.stderr)
    sys.exit(1)


def render_warnings(path):
    """Every warning groff and man print for the page, as strings."""
    env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8")
    commands = []
    if shutil.which("groff"):
        commands.append(["groff", "-man", "-Tutf8", "-ww", "-z", path])
    if shutil.which("man"):
        commands.append(["man", "--warnings", "-l", path])
    warnings = []
    for cmd in commands:
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if r.returncode != 0 or r.stderr.strip():
            warnings.append(
                "%s: %s exited %d: %s" % (path, cmd[0], r.returncode, r.stderr.strip())
            )
    return warnings


def plain(roff):
    """The text of roff source as a reader sees it, near enough to search."""
    text = roff.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")
    text = re.sub(r"\\f(\(..|\[[^]]*\]|.)", "", text)
    text = re.sub(r"\\\((..)", " ", text)
    return re.sub(r"^\.[A-Za-z]+ ?", "", text, flags=re.M).replace('"', "")


def sections(roff, macro):
    """{heading: body} for each .SH or .SS heading of the source; a .SH
    body keeps its .SS lines, and a .SH ends a .SS."""
    parts = {}
    heading = None
    for line in roff.splitlines():
        m = re.match(r"\.(SH|SS)\s+(.*)", line)
        if m and m.group(1) == macro:
            heading = m.group(2).strip('"')
            parts[heading] = ""
            continue
        if m and macro == "SS":
            heading = None
            continue
        if heading is not None:
            parts[heading] += line + "\n"
    return parts


def run_help(argv):
    r = subprocess.run(argv + ["--help"], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        fail(["'%s --help' exited %d: %s" % (" ".join(argv), r.returncode, r.stderr)])
    return r.stdout


def long_options(help_text):
    return set(OPTION.findall(help_text)) - {"--help"}


def exit_codes(help_text):
    m = re.search(r"Exit codes:(.*?)(\n\n|$)", help_text, re.S)
    return set(re.findall(r"\b(\d{1,3})\b", m.group(1))) if m else set()


def sentence_codes(text):
    """The codes of the page's own "Exit codes: ..." sentences."""
    codes = set()
    for m in re.finditer(r"Exit codes[^:]*:(.*?)\.(?=\s|$)", text, re.S):
        codes.update(re.findall(r"\b(\d{1,3})\b", m.group(1)))
    return codes


def listed_codes(exit_section):
    """The codes an EXIT STATUS section lists as .TP items (.B 0, .BR 73 ", " 74)."""
    codes = set()
    for m in re.finditer(r"^\.BR? (\d+)(?: \", \" (\d+))?$", exit_section, re.M):
        codes.update(c for c in m.groups() if c)
    return codes


def cli_commands(top_help):
    block = top_help.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


def command_help(cli, command):
    """A command's --help and those of the subcommands its usage names."""
    text = run_help([cli, command])
    subs = set(re.findall(r"hamstride %s +([a-z][a-z-]*)" % re.escape(command), text))
    for sub in sorted(subs):
        r = subprocess.run([cli, command, sub, "--help"], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout != text:
            text += r.stdout
    return text


def check_cli(page, cli):
    problems = []
    roff = open(page, encoding="ascii").read()
    top = run_help([cli])
    missing = long_options(top) - set(OPTION.findall(plain(roff)))
    problems += ["%s lacks the global option %s" % (page, o) for o in sorted(missing)]
    general_codes = listed_codes(sections(roff, "SH").get("EXIT STATUS", ""))
    commands = sections(sections(roff, "SH").get("COMMANDS", ""), "SS")
    for command in cli_commands(top):
        if command not in commands:
            problems.append("%s has no '.SS %s' under COMMANDS" % (page, command))
            continue
        body = plain(commands[command])
        text = command_help(cli, command)
        for o in sorted(long_options(text) - set(OPTION.findall(body))):
            problems.append("%s: '.SS %s' lacks %s" % (page, command, o))
        own_codes = sentence_codes(body)
        for code in sorted(exit_codes(text) - own_codes - general_codes):
            problems.append("%s: '.SS %s' lacks exit code %s" % (page, command, code))
    return problems


def check_daemon(page, daemon):
    roff = open(page, encoding="ascii").read()
    text = run_help([daemon])
    found = set(OPTION.findall(plain(roff)))
    problems = ["%s lacks %s" % (page, o) for o in sorted(long_options(text) - found)]
    listed = listed_codes(sections(roff, "SH").get("EXIT STATUS", ""))
    for code in sorted(exit_codes(text) - listed):
        problems.append("%s: EXIT STATUS lacks %s" % (page, code))
    return problems


def check_conf(page, conf):
    roff = open(page, encoding="ascii").read()
    by_section = sections(roff, "SH")
    problems = []
    section = None
    for line in open(conf, encoding="utf-8"):
        m = re.match(r"\[(\w+)\]", line)
        if m:
            section = "[%s]" % m.group(1)
            if section not in by_section:
                problems.append("%s has no .SH \"%s\"" % (page, section))
            continue
        m = re.match(r"#?\s*([a-z_]+)\s*=", line)
        if m and section in by_section:
            if not re.search(r"^\.BI %s " % m.group(1), by_section[section], re.M):
                problems.append("%s: %s lacks '.BI %s'" % (page, section, m.group(1)))
    return problems


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 64
    if not shutil.which("groff") and not shutil.which("man"):
        print("man pages: neither groff nor man is installed; skipped")
        return 77
    cli, daemon, conf, pages = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    problems = []
    for page in pages:
        try:
            open(page, encoding="ascii").read()
        except UnicodeDecodeError as e:
            problems.append("%s: not ASCII at byte %d (use roff escapes)" % (page, e.start))
            continue
        problems += render_warnings(page)
        name = os.path.basename(page)
        if name == "hamstride.1":
            problems += check_cli(page, cli)
        elif name == "hamstrided.8":
            problems += check_daemon(page, daemon)
        elif name == "hamstrided.conf.5":
            problems += check_conf(page, conf)
        else:
            problems.append("%s: no check for this page" % page)
    if problems:
        fail(problems)
    print("man pages: %d pages render cleanly and match the programs" % len(pages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
