"""The editions of the seminar notebooks that are files, not a classroom: a slide deck, an executed copy.

The notebooks in ``notebooks/`` are the instructor edition, the one source. :func:`write_slides`
writes a notebook's reveal.js deck from its committed outputs (see tools/slides.py);
:func:`execute_in_place` re-runs a notebook from a fresh kernel and saves it with its new outputs.
``python -m tools slides`` and ``python -m tools execute`` (tools/commands/) call them; the student
edition and grading are tools/classroom.py's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .cells import read_notebook
from .paths import shown
from .slides import build_deck


def write_slides(path: Path, out: Path) -> Path:
    """Write the reveal.js deck of ``path`` into the folder ``out`` as ``NAME.slides.html``."""
    html = build_deck(read_notebook(path), shown(path))
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


if __name__ == "__main__":  # the command line moved: say where
    sys.exit(
        "python -m tools.editions is now python -m tools COMMAND (slides, student, grade, execute, site): "
        "see python -m tools --help"
    )
