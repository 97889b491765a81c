"""The repository's folders, named once: every tool and test reads them from here.

``ROOT`` is the checkout (the folder above ``tools/``); the rest are folders inside it. ``build/`` is
git-ignored output (``make clean`` deletes it); ``checkpoints/`` is the checkpoint cache the package
keeps in a checkout (``seminar_utils.runtime.storage_dir``, unless ``SEMINAR_CHECKPOINT_DIR`` says
otherwise).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"  # the instructor edition, the one source of every other edition
PICS = ROOT / "pics"  # the pictures the notebooks show as ../pics/NAME
WEBSITE = ROOT / "website"  # the hand-written part of the site's Sphinx sources
NODE_MODULES = ROOT / "node_modules"  # reveal.js and MathJax, from `npm ci` (package.json pins them)
PACKAGE_JSON = ROOT / "package.json"
CHECKPOINTS = ROOT / "checkpoints"
BUILD = ROOT / "build"
SLIDES_OUT = BUILD / "slides"  # make slides
STUDENT_OUT = BUILD / "student"  # make student
COURSE = BUILD / "course"  # nbgrader's course directory, rebuilt by make student / make grade
SITE_OUT = BUILD / "site"  # make site
SITE_SRC = BUILD / "site-src"  # the site's assembled Sphinx sources


def notebooks() -> list[Path]:
    """Every seminar notebook, in name order (the order the seminars are taught in)."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def shown(path: Path) -> str:
    """``path`` as a message shows it: relative to the working folder when inside it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
