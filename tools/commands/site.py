"""Build the course website into --out with Sphinx and myst-nb, from the committed, executed notebooks:
nothing re-executed, nothing fetched (MathJax and reveal.js from node_modules/). The Sphinx sources are
assembled in --src first. Each folder must be new, empty, or one an earlier build made (tools/website.py).
Needs the `site` extra (make site installs it)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..paths import SITE_OUT, SITE_SRC
from .common import fail

HELP = "the course website (build/site/; Sphinx, from the committed outputs, offline)"
EXAMPLES = """\
  python -m tools site                                     into build/site/, open build/site/index.html
  python -m tools site --out /tmp/site --src /tmp/site-src"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=SITE_OUT, help="default: build/site/")
    parser.add_argument(
        "--src", type=Path, default=SITE_SRC, help="where the Sphinx sources are assembled (default: build/site-src/)"
    )


def run(args: argparse.Namespace) -> int:
    from ..assets import AssetError
    from ..cells import EditionError
    from ..website import SiteError, build

    start = time.perf_counter()
    try:
        out = build(args.out.resolve(), args.src.resolve())
    except (SiteError, AssetError, EditionError) as err:
        return fail(err)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"website: {out}/index.html ({size / 2**20:.1f} MiB, {time.perf_counter() - start:.0f} s)")
    return 0
