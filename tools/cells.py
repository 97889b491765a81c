"""Small helpers on notebook cells shared by the edition builders."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from nbformat import NotebookNode

SOLUTION = "solution"  # a code cell whose function bodies are the exercise
ANSWER = "answer"  # a markdown cell that answers a question
EXERCISE = "exercise"  # what a `solution` cell is tagged in the student edition
YOUR_ANSWER = "your-answer"  # what an `answer` cell is tagged in the student edition


class EditionError(ValueError):
    """A notebook breaks a convention that an edition relies on (the message says where)."""


def source(cell: NotebookNode) -> str:
    """The cell's source as one string (nbformat allows a list of lines on disk)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def tags(cell: NotebookNode) -> list[str]:
    """The cell's ``metadata.tags`` (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def slide_type(cell: NotebookNode) -> str:
    """The cell's ``metadata.slideshow.slide_type``; ``"-"`` (continue the slide) when unset."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") or "-"


def where(path: str | Path, index: int, cell: NotebookNode) -> str:
    """``'notebooks/01_em_gmm.ipynb, cell 12 (id 3f2a…)'`` for error messages; cells count from 0."""
    cell_id = cell.get("id")
    return f"{path}, cell {index}" + (f" (id {cell_id})" if cell_id else "")


_HTML_IMG = re.compile(r"""(<img\b[^>]*?\bsrc\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_MD_IMG = re.compile(r"""(!\[[^\]]*\]\(\s*)([^)\s]+)""")
_URL_SCHEME = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")


def is_local(url: str) -> bool:
    """True for a relative file path such as ``../pics/vae_diagram.png`` (not a URL, data or attachment)."""
    return bool(url) and not _URL_SCHEME.match(url)


def replace_images(markdown: str, new_url: Callable[[str], str]) -> str:
    """``markdown`` with the source of every local image (``<img src=...>`` and ``![..](...)``)
    replaced by ``new_url(old_source)``."""
    def html(m: re.Match) -> str:
        url = m.group(3)
        return f"{m.group(1)}{m.group(2)}{new_url(url) if is_local(url) else url}{m.group(2)}"

    def md(m: re.Match) -> str:
        url = m.group(2)
        return m.group(1) + (new_url(url) if is_local(url) else url)

    return _MD_IMG.sub(md, _HTML_IMG.sub(html, markdown))


def local_images(markdown: str) -> list[str]:
    """The relative paths of the images a markdown cell shows, in order."""
    found: list[str] = []
    replace_images(markdown, lambda url: found.append(url) or url)
    return found
