"""Build the editions of the seminar notebooks: ``python -m tools.editions {slides,student,execute}``.

The notebooks in ``notebooks/`` are the instructor edition, the one source. From it:

``slides [NB ...] [--out build/slides]``
    a reveal.js deck ``NAME.slides.html`` per notebook, from its committed outputs (see tools/slides.py),
    and reveal.js and MathJax in ``_assets/`` beside them (from ``node_modules/``: run ``npm ci`` once);
``student [NB ...] [--out build/student] [--course build/course]``
    the student edition of each notebook, released by nbgrader (its course directory in ``--course``):
    ``NAME/NAME.ipynb`` with the pictures it shows in ``NAME/pics/`` (tools/exercises.py, classroom.py);
``grade SUBMISSIONS [NB ...] [--out build] [--course build/course] [--full] [--timeout S] [--jobs N] ...``
    grades every ``SUBMISSIONS/<student>/NAME.ipynb`` offline, each in a sandbox of its own, several at
    once, in fast mode unless ``--full``: ``grades.csv``, ``feedback/<student>/NAME.html`` and
    ``answers/NAME.html`` in ``--out`` (tools/classroom.py, tools/sandbox.py);
``execute [NB ...] [--timeout S]``
    re-executes each notebook in full mode (``SEMINAR_FAST`` unset), in order, from a fresh kernel,
    and writes it back in place only when every cell ran (how a maintainer refreshes the committed
    outputs). No per-cell timing metadata is recorded, so a re-run changes outputs only.

Without NB arguments every ``notebooks/*.ipynb`` is processed, in name order. Exit status 1 on the
first notebook that breaks a convention or fails, with the notebook and cell named.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .assets import AssetError
from .cells import EditionError, read_notebook
from .slides import build_deck, copy_deck_assets

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def write_slides(path: Path, out: Path) -> Path:
    """Write the reveal.js deck of ``path`` into the folder ``out`` as ``NAME.slides.html``."""
    html = build_deck(read_notebook(path), _shown(path))
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{path.stem}.slides.html"
    target.write_text(html, encoding="utf-8")
    return target


def execute_in_place(path: Path, timeout: int | None = None, env: dict[str, str] | None = None) -> float:
    """Run ``path`` from a fresh kernel started in its folder with ``env`` (default: this
    process's environment) and save it with its new outputs.

    Returns the wall time in seconds; on an error the file is left as it was and
    :class:`nbclient.exceptions.CellExecutionError` propagates.
    """
    nb = read_notebook(path)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute(env=env)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.editions",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, default, what in [
        ("slides", "build/slides", "reveal.js decks"),
        ("student", "build/student", "student editions (nbgrader's release)"),
    ]:
        sub = commands.add_parser(name, help=f"build the {what} into --out")
        sub.add_argument("notebooks", nargs="*", type=Path)
        sub.add_argument("--out", type=Path, default=ROOT / default, help=f"default: {default}/")
        if name == "student":
            sub.add_argument(
                "--course",
                type=Path,
                default=ROOT / "build" / "course",
                help="nbgrader's course directory, rebuilt (build/course/)",
            )
    sub = commands.add_parser("grade", help="grade SUBMISSIONS/<student>/NAME.ipynb, each in a sandbox")
    sub.add_argument("submissions", type=Path, help="a folder with one folder of notebooks per student")
    sub.add_argument("notebooks", nargs="*", type=Path, help="the instructor notebooks (default: all)")
    sub.add_argument("--out", type=Path, default=ROOT / "build", help="grades.csv and feedback/ (build/)")
    sub.add_argument(
        "--course",
        type=Path,
        default=ROOT / "build" / "course",
        help="nbgrader's course directory, rebuilt on each run (build/course/)",
    )
    sub.add_argument("--full", action="store_true", help="grade in full mode (default: SEMINAR_FAST=1)")
    sub.add_argument("--timeout", type=float, default=60.0, help="seconds one cell or check may take (60)")
    sub.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: the cores)")
    sub.add_argument("--memory-mb", type=int, default=6144, help="address space of one submission (6144)")
    sub.add_argument("--checks", type=Path, action="append", default=[], help="a .py file registering more checks")
    sub.add_argument("--manual", type=Path, help="CSV student,notebook,cell,score: scores given by hand")
    sub = commands.add_parser("execute", help="re-execute notebooks in full mode, in place")
    sub.add_argument("notebooks", nargs="*", type=Path)
    sub.add_argument("--timeout", type=int, default=3600, help="seconds one cell may take (3600)")
    args = parser.parse_args(argv)

    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print(f"no notebooks in {_shown(NOTEBOOKS)}", file=sys.stderr)
        return 1
    if args.command in ("student", "grade"):
        from . import classroom  # nbgrader, the `classroom` extra, only for these two

        try:
            if args.command == "student":
                for path, target in zip(paths, classroom.release(paths, args.out, args.course)):
                    print(f"{_shown(path)} -> {_shown(target)}", flush=True)
            else:
                start = time.perf_counter()
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
                seconds, n = time.perf_counter() - start, classroom.handed_in_count(csv)
                print(
                    f"graded {n} notebook{'s' if n != 1 else ''} handed in, in {seconds:.0f} s "
                    f"({seconds / max(n, 1):.1f} s per notebook): {_shown(csv)}, feedback in "
                    f"{_shown(args.out / 'feedback')}/, answers to grade by hand in {_shown(args.out / 'answers')}/",
                    flush=True,
                )
        except EditionError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    full_mode = {k: v for k, v in os.environ.items() if k != "SEMINAR_FAST"}  # what people get
    for path in paths:
        try:
            if args.command == "execute":
                print(f"executing {_shown(path)} (full mode) ...", flush=True)
                print(f"  done in {execute_in_place(path, args.timeout, full_mode):.0f} s", flush=True)
            else:
                print(f"{_shown(path)} -> {_shown(write_slides(path, args.out))}", flush=True)
        except (EditionError, CellExecutionError, FileNotFoundError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    if args.command == "slides":
        try:
            copy_deck_assets(args.out)  # the decks load reveal.js and MathJax from beside them
        except AssetError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
