"""The front-end assets that the slide decks and the course website bundle, so both work offline.

They come from npm (``package.json`` / ``package-lock.json``, exact versions) into ``node_modules/``,
which ``make slides`` and ``make site`` fill with ``npm ci`` when it is missing. Only the files a page
loads are copied next to the pages:

- MathJax 3 (``tex-chtml.js`` with the TeX extensions it loads on demand, the CommonHTML fonts, the
  menu and the assistive-MathML component) into ``<dest>/mathjax/``;
- reveal.js (its script, style sheets, the notes plugin and the "simple" theme) into
  ``<dest>/reveal.js/``. The theme's ``@import`` of two web fonts (Google Fonts) is taken out: the
  deck falls back to the theme's local font stack instead of reaching the web.

Nothing here downloads: a missing ``node_modules/`` is an error that says to run ``npm ci``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .paths import NODE_MODULES, PACKAGE_JSON, ROOT

MATHJAX_FILES = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "a11y", "ui"]
REVEAL_FILES = ["dist/reveal.js", "dist/reveal.css", "dist/reset.css", "plugin/notes/notes.js"]
REVEAL_THEME = "simple"
_WEB_IMPORT = re.compile(r"@import\s+url\(\s*['\"]?(?:https?:)?//[^)]*\)\s*;?")


class AssetError(RuntimeError):
    """``node_modules/`` lacks a package the pages need (the message says how to install it)."""


def package_dir(name: str, node_modules: Path = NODE_MODULES) -> Path:
    """``node_modules/<name>``, checked against the exact version that ``package.json`` pins."""
    wanted = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))["dependencies"][name]
    folder = node_modules / name
    try:
        found = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        raise AssetError(
            f"{folder} is missing: run `npm ci` in {ROOT} (or `make slides` / `make site`, "
            "which run it), with the npm registry reachable once"
        ) from None
    if found != wanted:
        raise AssetError(f"{folder} is version {found}, package.json pins {wanted}: run `npm ci` in {ROOT}")
    return folder


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        shutil.copyfile(src, dst)


def copy_mathjax(dest: Path, node_modules: Path = NODE_MODULES) -> Path:
    """Copy MathJax's browser files into ``dest/mathjax``; returns the path of ``tex-chtml.js``."""
    es5 = package_dir("mathjax", node_modules) / "es5"
    for name in MATHJAX_FILES:
        _copy(es5 / name, dest / "mathjax" / name)
    return dest / "mathjax" / "tex-chtml.js"


def copy_reveal(dest: Path, node_modules: Path = NODE_MODULES) -> Path:
    """Copy reveal.js into ``dest/reveal.js`` (its web-font imports removed); returns that folder."""
    reveal, target = package_dir("reveal.js", node_modules), dest / "reveal.js"
    for name in REVEAL_FILES:
        _copy(reveal / name, target / name)
    theme = (reveal / "dist" / "theme" / f"{REVEAL_THEME}.css").read_text(encoding="utf-8")
    (target / "dist" / "theme").mkdir(parents=True, exist_ok=True)
    (target / "dist" / "theme" / f"{REVEAL_THEME}.css").write_text(_WEB_IMPORT.sub("", theme), encoding="utf-8")
    return target
