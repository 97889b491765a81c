"""Build the editions of the seminar notebooks: ``python -m tools.editions {slides,student,execute}``.

The notebooks in ``notebooks/`` are the instructor edition, the one source. From it:

``slides [NB ...] [--out build/slides]``
    a reveal.js deck ``NAME.slides.html`` per notebook, from its committed outputs (see tools/slides.py),
    and reveal.js and MathJax in ``_assets/`` beside them (from ``node_modules/``: run ``npm ci`` once);
``student [NB ...] [--out build/student]``
    a student edition ``NAME.ipynb`` per notebook (see tools/student.py), and the pictures it shows
    copied to the same place relative to it (``build/pics/`` for ``../pics/...``);
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
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .assets import AssetError
from .cells import EditionError, local_images, source
from .slides import build_deck, copy_deck_assets
from .student import student_edition

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def write_student(path: Path, out: Path) -> Path:
    """Write the student edition of ``path`` into the folder ``out``, with the pictures it shows."""
    nb = nbformat.read(path, as_version=4)
    student = student_edition(nb, _shown(path))
    out.mkdir(parents=True, exist_ok=True)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for url in local_images(source(cell)):
            picture, target = path.parent / url, out / url
            if not target.resolve().is_relative_to(out.resolve().parent):
                raise EditionError(f"{_shown(path)}: the picture {url} lies outside the edition's folder")
            if not picture.is_file():
                raise EditionError(f"{_shown(path)}: the picture {url} does not exist (run `make pics`?)")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(picture, target)
    target = out / path.name
    nbformat.write(student, target)
    return target


def write_slides(path: Path, out: Path) -> Path:
    """Write the reveal.js deck of ``path`` into the folder ``out`` as ``NAME.slides.html``."""
    html = build_deck(nbformat.read(path, as_version=4), _shown(path))
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
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.editions", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, default, what in [("slides", "build/slides", "reveal.js decks"),
                                ("student", "build/student", "student editions")]:
        sub = commands.add_parser(name, help=f"build the {what} into --out")
        sub.add_argument("notebooks", nargs="*", type=Path)
        sub.add_argument("--out", type=Path, default=ROOT / default, help=f"default: {default}/")
    sub = commands.add_parser("execute", help="re-execute notebooks in full mode, in place")
    sub.add_argument("notebooks", nargs="*", type=Path)
    sub.add_argument("--timeout", type=int, default=3600, help="seconds one cell may take (3600)")
    args = parser.parse_args(argv)

    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        print(f"no notebooks in {_shown(NOTEBOOKS)}", file=sys.stderr)
        return 1
    full_mode = {k: v for k, v in os.environ.items() if k != "SEMINAR_FAST"}  # what people get
    for path in paths:
        try:
            if args.command == "execute":
                print(f"executing {_shown(path)} (full mode) ...", flush=True)
                print(f"  done in {execute_in_place(path, args.timeout, full_mode):.0f} s", flush=True)
            else:
                writer = write_slides if args.command == "slides" else write_student
                print(f"{_shown(path)} -> {_shown(writer(path, args.out))}", flush=True)
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
