# SPDX-License-Identifier: GPL-2.0-or-later
"""hamstride report --pdf: the physiotherapist's report, read back.

A simulated training block goes through the daemon into a database; the
report of it is checked with poppler's tools as a reader would see it:
the page count (pdfinfo), the words (pdftotext: the verdicts, the caveats,
the load warnings), and the charts (pdftoppm pages as greyscale pixels:
where a chart draws its data, the ink must be there). Also: the same data
give the same bytes, an empty period and a period without pain say so, and
bad arguments are refused with nothing written.
"""
import os
import re
import shutil
import subprocess
import sys

from hamstride_test import CLI, DAEMON, check, fail, finish, run, tempdir

PT_TO_PX = 50 / 72  # pdftoppm -r 50


def need_poppler():
    for tool in ('pdfinfo', 'pdftotext', 'pdftoppm'):
        if not shutil.which(tool):
            print('e2e_report_pdf: %s not installed (poppler-utils), skipped' % tool)
            sys.exit(77)


def pages(pdf):
    out = subprocess.run(['pdfinfo', pdf], capture_output=True, text=True, check=True).stdout
    return int(re.search(r'^Pages:\s+(\d+)', out, re.M).group(1))


def text(pdf, page=None):
    argv = ['pdftotext', '-layout']
    if page:
        argv += ['-f', str(page), '-l', str(page)]
    return subprocess.run(argv + [pdf, '-'], capture_output=True, text=True, check=True).stdout


def grey_page(pdf, page, workdir):
    """Page as (width, height, bytes) of 8-bit grey at 50 dpi."""
    base = os.path.join(workdir, 'p%d' % page)
    subprocess.run(['pdftoppm', '-gray', '-r', '50', '-f', str(page), '-l', str(page),
                    '-singlefile', pdf, base], check=True)
    with open(base + '.pgm', 'rb') as f:
        data = f.read()
    m = re.match(rb'P5\s+(\d+)\s+(\d+)\s+255\s', data)
    w, h = int(m.group(1)), int(m.group(2))
    return w, h, data[m.end():]


def ink(img, x0, y0, x1, y1):
    """Fraction of dark pixels (grey < 160) in a box given in points."""
    w, h, px = img
    box = [int(v * PT_TO_PX) for v in (x0, y0, x1, y1)]
    dark = total = 0
    for y in range(max(box[1], 0), min(box[3], h)):
        row = px[y * w + box[0]:y * w + box[2]]
        dark += sum(1 for v in row if v < 160)
        total += len(row)
    return dark / total if total else 0.0


def simulate(db, *extra):
    run([DAEMON, '--simulate', '--weeks', '6', '--seed', '7', '--db', db,
         '--log-level', 'error'] + list(extra))


def report(db, pdf, *extra, expect=0):
    return run([CLI, '--db', db, 'report', '--pdf', pdf, '--to', '2026-12-20',
                '--weeks', '8'] + list(extra), expect=expect)


def check_block_report(db, work):
    pdf = os.path.join(work, 'block.pdf')
    out = report(db, pdf, '--runner', 'A. Runner').stdout
    check(re.search(r'5 pages, 2[0-9] runs', out), 'report summary line: %r' % out)
    check(pages(pdf) == 5, 'pages: %d, want 5 (summary, training, terrain, stride, runs)'
          % pages(pdf))
    words = ' '.join(text(pdf, 1).split())
    for want in ('report for the physiotherapist', 'A. Runner', 'not a diagnosis',
                 'high hamstring tendinopathy', 'grade and speed move together',
                 'No pain was logged', 'Load: the run of'):
        check(want in words, 'page 1 lacks %r' % want)
    check('hamstride 0.' in text(pdf, 2), 'footer names the version')
    runs_page = text(pdf, 5)
    check(len(re.findall(r'^\s*2026-1[0-2]-\d\d\s', runs_page, re.M)) >= 20,
          'run list holds every run')

    # The weekly distance bars (page 2's first chart, from about 100 pt
    # down) carry ink where an empty chart has only its grid.
    img = grey_page(pdf, 2, work)
    bars = ink(img, 100, 110, 540, 350)
    check(bars > 0.08, 'weekly distance bars: %.3f of the plot inked' % bars)
    print('weekly bars ink %.3f' % bars)

    again = os.path.join(work, 'again.pdf')
    report(db, again, '--runner', 'A. Runner')
    with open(pdf, 'rb') as a, open(again, 'rb') as b:
        check(a.read() == b.read(), 'the same data give different bytes')
    return bars


def check_empty_period(db, work, block_bars):
    pdf = os.path.join(work, 'empty.pdf')
    run([CLI, '--db', db, 'report', '--pdf', pdf, '--from', '2020-01-01', '--to',
         '2020-02-01'])
    check(pages(pdf) == 5, 'empty period: %d pages' % pages(pdf))
    words = ' '.join(text(pdf).split())
    for want in ('No runs were recorded in this period', 'No runs in this period',
                 'No pain logged', 'No pain was logged'):
        check(want in words, 'empty period lacks %r' % want)
    bars = ink(grey_page(pdf, 2, work), 100, 110, 540, 350)
    check(bars < block_bars / 3, 'empty chart inked %.3f (block %.3f)' % (bars, block_bars))


def pain(db, *args):
    run([CLI, '--db', db, 'pain', 'add'] + list(args))


def check_pain_report(db, work):
    """Pain on a few runs (one with a span when it hurt), then a red flag."""
    ids = [r.split()[0] for r in
           run([CLI, '--db', db, 'runs']).stdout.splitlines()[1:] if r.strip()]
    for k, run_id in enumerate(ids[-6:]):
        pain(db, run_id, '--during', str(2 + k % 3), '--after', str(3 + k % 4), '--side', 'left',
             '--next-morning', '2')
    pain(db, ids[-1], '--during', '4', '--after', '6', '--side', 'left', '--from', '0:05:00',
         '--to', '0:15:00')
    pdf = os.path.join(work, 'pain.pdf')
    report(db, pdf)
    words = ' '.join(text(pdf, 1).split())
    check('Left side:' in words, 'page 1 names the side and its verdict: %r' % words[:600])
    check('No pain was logged' not in words, 'pain is logged')
    check('SEE A DOCTOR' not in words, 'no red flag yet')
    img = grey_page(pdf, 2, work)
    dots = ink(img, 100, 470, 540, 650)
    check(dots > 0.004, 'the pain chart has its points: %.4f' % dots)
    print('pain chart ink %.4f' % dots)
    check('when it hurt' in ' '.join(text(pdf, 3).split()), 'page 3 shades the painful span')

    pain(db, ids[-2], '--during', '3', '--after', '3', '--side', 'right', '--red-flag',
         'numbness')
    flagged = os.path.join(work, 'flagged.pdf')
    report(db, flagged)
    first = ' '.join(text(flagged, 1).split())
    at = first.find('SEE A DOCTOR PROMPTLY')
    check(0 <= at < first.find('What the data resemble'),
          'the red flag comes before the verdicts: %r' % first[:400])
    check('numbness' in first, 'the red flag is named')


def check_bad_arguments(db, work):
    target = os.path.join(work, 'bad.pdf')
    for extra in (['--side', 'middle'], ['--from', '2026-12-30'], ['--weeks', '0']):
        report(db, target, *extra, expect=64)
    run([CLI, '--db', db, 'report', '--side', 'left'], expect=64)
    run([CLI, '--db', db, 'report', '--pdf', ''], expect=64)
    check(not os.path.exists(target), 'a refused report left a file')
    missing_dir = os.path.join(work, 'no', 'such', 'dir', 'r.pdf')
    p = report(db, missing_dir, expect=73)
    check('no/such/dir' in p.stderr, 'the message names the path: %r' % p.stderr)
    leftovers = [f for f in os.listdir(work) if f.startswith('bad.pdf')]
    check(not leftovers, 'temporary files left: %r' % leftovers)


def main():
    need_poppler()
    with tempdir() as work:
        db = os.path.join(work, 'h.db')
        simulate(db)
        bars = check_block_report(db, work)
        check_empty_period(db, work, bars)
        check_bad_arguments(db, work)
        check_pain_report(db, work)
    finish('e2e_report_pdf')


if __name__ == '__main__':
    main()
