"""Release the student edition of each notebook with nbgrader (its course directory in --course):
NAME/NAME.ipynb with the pictures it shows in NAME/pics/ (tools/exercises.py, tools/classroom.py).
Solution bodies are stubbed, answers replaced by "YOUR ANSWER HERE", outputs cleared."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..paths import COURSE, STUDENT_OUT, shown
from .common import add_notebooks, chosen, fail

HELP = "the student edition of each notebook (build/student/NAME/, nbgrader's release)"
EXAMPLES = """\
  python -m tools student                                  every notebook, into build/student/
  python -m tools student notebooks/01_em_gmm.ipynb --out /tmp/student --course /tmp/course"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_notebooks(parser)
    parser.add_argument("--out", type=Path, default=STUDENT_OUT, help="default: build/student/")
    parser.add_argument(
        "--course", type=Path, default=COURSE, help="nbgrader's course directory, rebuilt (build/course/)"
    )


def run(args: argparse.Namespace) -> int:
    from .. import classroom  # nbgrader, the `classroom` extra: imported only when it is needed
    from ..cells import EditionError

    if not (paths := chosen(args)):
        return 1
    try:
        for path, target in zip(paths, classroom.release(paths, args.out, args.course)):
            print(f"{shown(path)} -> {shown(target)}", flush=True)
    except EditionError as err:
        return fail(err)
    return 0
