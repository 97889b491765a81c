"""Re-execute each notebook in full mode (SEMINAR_FAST unset), in order, each from a fresh kernel, and
write it back in place only when every cell ran: how a maintainer refreshes the committed outputs.
No per-cell timing metadata is recorded, so a re-run changes outputs only. Stops at the first
notebook that fails, naming it and the cell."""

from __future__ import annotations

import argparse
import os

from ..paths import shown
from .common import add_notebooks, chosen, fail

HELP = "re-execute the notebooks in full mode, in place (refreshes the committed outputs)"
EXAMPLES = """\
  python -m tools execute                                  every notebook, in name order
  python -m tools execute notebooks/05_vae_evaluation.ipynb --timeout 7200"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_notebooks(parser)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds one cell may take (3600)")


def run(args: argparse.Namespace) -> int:
    from nbclient.exceptions import CellExecutionError

    from ..cells import EditionError
    from ..editions import execute_in_place

    if not (paths := chosen(args)):
        return 1
    full_mode = {k: v for k, v in os.environ.items() if k != "SEMINAR_FAST"}  # what people get
    for path in paths:
        print(f"executing {shown(path)} (full mode) ...", flush=True)
        try:
            seconds = execute_in_place(path, args.timeout, full_mode)
        except (EditionError, CellExecutionError, FileNotFoundError) as err:
            return fail(err)
        print(f"  done in {seconds:.0f} s", flush=True)
    return 0
