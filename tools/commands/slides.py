"""Write a reveal.js deck NAME.slides.html per notebook, from its committed outputs (tools/slides.py),
and reveal.js and MathJax in _assets/ beside the decks (from node_modules/: run `npm ci` once)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..paths import SLIDES_OUT, shown
from .common import add_notebooks, chosen, fail

HELP = "a reveal.js deck per notebook (build/slides/)"
EXAMPLES = """\
  python -m tools slides                                   every notebook, into build/slides/
  python -m tools slides notebooks/03_vae_2d.ipynb --out /tmp/decks"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_notebooks(parser)
    parser.add_argument("--out", type=Path, default=SLIDES_OUT, help="the decks' folder (default: build/slides/)")


def run(args: argparse.Namespace) -> int:
    from ..assets import AssetError
    from ..cells import EditionError
    from ..editions import write_slides
    from ..slides import copy_deck_assets

    if not (paths := chosen(args)):
        return 1
    try:
        for path in paths:
            print(f"{shown(path)} -> {shown(write_slides(path, args.out))}", flush=True)
        copy_deck_assets(args.out)  # the decks load reveal.js and MathJax from beside them
    except (EditionError, AssetError, FileNotFoundError) as err:
        return fail(err)
    return 0
