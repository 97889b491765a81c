"""Grade every SUBMISSIONS/<student>/NAME.ipynb offline, each in a sandbox of its own, several at once,
in fast mode unless --full: grades.csv, feedback/<student>/NAME.html and answers/NAME.html (the
answers to grade by hand) in --out (tools/classroom.py, tools/sandbox.py)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..paths import BUILD, COURSE, shown
from .common import add_notebooks, chosen, fail

HELP = "grade SUBMISSIONS/<student>/NAME.ipynb, each in a sandbox (build/grades.csv, feedback)"
EXAMPLES = """\
  python -m tools grade class-01                           every notebook handed in, into build/
  python -m tools grade class-01 notebooks/03_vae_2d.ipynb --jobs 4 --timeout 120
  python -m tools grade class-01 --manual scores.csv       add the scores given by hand"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("submissions", type=Path, help="a folder with one folder of notebooks per student")
    add_notebooks(parser, "the instructor notebooks to grade")
    parser.add_argument("--out", type=Path, default=BUILD, help="grades.csv, feedback/ and answers/ (build/)")
    parser.add_argument(
        "--course", type=Path, default=COURSE, help="nbgrader's course directory, rebuilt on each run (build/course/)"
    )
    parser.add_argument("--full", action="store_true", help="grade in full mode (default: SEMINAR_FAST=1)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one cell or check may take (60)")
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: the cores)")
    parser.add_argument("--memory-mb", type=int, default=6144, help="address space of one submission (6144)")
    parser.add_argument("--checks", type=Path, action="append", default=[], help="a .py file registering more checks")
    parser.add_argument("--manual", type=Path, help="CSV student,notebook,cell,score: scores given by hand")


def run(args: argparse.Namespace) -> int:
    from .. import classroom  # nbgrader, the `classroom` extra: imported only when it is needed
    from ..cells import EditionError

    if not (paths := chosen(args)):
        return 1
    start = time.perf_counter()
    try:
        csv = classroom.grade(
            args.submissions,
            args.out,
            args.course,
            paths,
            full=args.full,
            timeout=args.timeout,
            jobs=args.jobs,
            memory_mb=args.memory_mb,
            check_modules=args.checks,
            manual=args.manual,
        )
    except EditionError as err:
        return fail(err)
    seconds, n = time.perf_counter() - start, classroom.handed_in_count(csv)
    print(
        f"graded {n} notebook{'s' if n != 1 else ''} handed in, in {seconds:.0f} s "
        f"({seconds / max(n, 1):.1f} s per notebook): {shown(csv)}, feedback in "
        f"{shown(args.out / 'feedback')}/, answers to grade by hand in {shown(args.out / 'answers')}/",
        flush=True,
    )
    return 0
