"""What the commands share: the NB arguments and the one-line error they print."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..paths import NOTEBOOKS, notebooks, shown


def add_notebooks(parser: argparse.ArgumentParser, what: str = "the notebooks") -> None:
    """The optional ``NB ...`` arguments: which notebooks (default: every ``notebooks/*.ipynb``)."""
    parser.add_argument("notebooks", nargs="*", type=Path, metavar="NB", help=f"{what} (default: all, in name order)")


def chosen(args: argparse.Namespace) -> list[Path]:
    """The notebooks named on the command line, else every notebook in ``notebooks/`` (maybe none)."""
    paths = args.notebooks or notebooks()
    if not paths:
        print(f"no notebooks in {shown(NOTEBOOKS)}", file=sys.stderr)
    return paths


def fail(err: Exception) -> int:
    """Print ``err`` as one line on stderr; the exit status of a failed command."""
    print(f"error: {err}", file=sys.stderr)
    return 1
