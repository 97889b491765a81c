"""Small helpers on notebooks and their cells shared by the edition builders."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import nbformat
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
    """The cell's ``metadata.tags`` (an empty list when it has none).

    Raises :class:`EditionError` when they are not a list of strings: a string ``"solution"`` read
    as a list would be letters, and the solution would silently stay in the student edition.
    """
    found = cell.get("metadata", {}).get("tags", [])
    if not isinstance(found, list) or not all(isinstance(t, str) for t in found):
        raise EditionError(f"metadata.tags must be a list of strings, not {found!r}")
    return list(found)


def slide_type(cell: NotebookNode) -> str:
    """The cell's ``metadata.slideshow.slide_type``; ``"-"`` (continue the slide) when unset."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") or "-"


def where(path: str | Path, index: int, cell: NotebookNode) -> str:
    """``'notebooks/01_em_gmm.ipynb, cell 12 (id 3f2a…)'`` for error messages; cells count from 0."""
    cell_id = cell.get("id")
    return f"{path}, cell {index}" + (f" (id {cell_id})" if cell_id else "")


def _schema_place(path: str | Path, nb: dict, err: Exception) -> str:
    """Where a schema error sits: ``'NB, cell 4 (id ab12), metadata.tags'`` or ``'NB, metadata'``."""
    location = list(getattr(err, "absolute_path", []) or [])
    if len(location) >= 2 and location[0] == "cells" and isinstance(location[1], int):
        cell = nb["cells"][location[1]]
        place = where(path, location[1], cell if isinstance(cell, dict) else {})
        location = location[2:]
    else:
        place = str(path)
    return place + (f", {'.'.join(map(str, location))}" if location else "")


MAX_DEPTH = 100  # a notebook nests a handful of levels; JSON output data a few more
MAX_DIGITS = 100  # an execution count, a version: no notebook needs a longer integer literal


class _TooLong(ValueError):
    pass


def _integer(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_DIGITS:
        raise _TooLong(f"an integer literal of {len(literal.lstrip('-'))} digits (at most {MAX_DIGITS})")
    return int(literal)


def _depth(value: object) -> int:
    """How deeply ``value`` (parsed JSON) nests arrays and objects, counted without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                todo.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def read_notebook(path: str | Path) -> NotebookNode:
    """The notebook at ``path`` (nbformat 4), checked against the notebook schema.

    Anything that is not a readable, valid notebook (a missing or empty file, invalid JSON, ``[]``,
    ``{}``, tags that are not a list of strings, arrays or objects nested more than ``MAX_DEPTH``
    deep, integer literals of more than ``MAX_DIGITS`` digits, ...) raises :class:`EditionError` with
    one line that names the file and, where it can, the cell.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise EditionError(
            f"{path}: cannot read the notebook ({err.__class__.__name__}: {getattr(err, 'strerror', None) or err})"
        ) from None
    if not text.strip():
        raise EditionError(f"{path}: not a notebook (the file is empty)")
    try:
        raw = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as err:
        raise EditionError(
            f"{path}: not a notebook (invalid JSON: {err.msg} at line {err.lineno}, column {err.colno})"
        ) from None
    except _TooLong as err:
        raise EditionError(f"{path}: not a notebook ({err})") from None
    except RecursionError:  # arrays or objects nested thousands deep
        raise EditionError(
            f"{path}: not a notebook (its JSON nests arrays or objects more than {MAX_DEPTH} deep)"
        ) from None
    except ValueError as err:
        raise EditionError(f"{path}: not a notebook ({str(err).splitlines()[0][:200] if str(err) else err})") from None
    if _depth(raw) > MAX_DEPTH:
        raise EditionError(f"{path}: not a notebook (its JSON nests arrays or objects more than {MAX_DEPTH} deep)")
    if not isinstance(raw, dict):
        kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
        kind = kinds.get(type(raw), "a number")
        raise EditionError(f"{path}: not a notebook (the JSON is {kind}, not an object with 'cells')")
    if not isinstance(raw.get("cells"), list) or "nbformat" not in raw:
        raise EditionError(f"{path}: not a notebook (the JSON object lacks a 'cells' list or 'nbformat')")
    if raw.get("nbformat") != 4:
        raise EditionError(
            f"{path}: nbformat {raw.get('nbformat')!r} is not supported (only 4; "
            "open and save it in JupyterLab to convert it)"
        )
    for i, cell in enumerate(raw["cells"]):
        if not isinstance(cell, dict):
            raise EditionError(f"{path}, cell {i}: a cell is a JSON object, not {type(cell).__name__}")
        if isinstance(cell.get("metadata"), dict):
            try:
                tags(cell)
            except EditionError as err:
                raise EditionError(f"{where(path, i, cell)}: {err}") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's notes on missing cell ids and the like
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb, relax_add_props=True)
    except nbformat.ValidationError as err:
        message = str(getattr(err, "message", err)).splitlines()[0]
        place = _schema_place(path, raw, err)
        raise EditionError(f"{place}: not a valid notebook ({message[:200]})") from None
    except Exception as err:  # nbformat's reader raises several kinds on odd input
        raise EditionError(
            f"{path}: not a notebook ({err.__class__.__name__}: {str(err).splitlines()[0][:200] if str(err) else ''})"
        ) from None
    return nb


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


def picture_file(url: str, notebook: str | Path, place: str, root: str | Path, inside: str) -> Path:
    """The file a local picture reference ``url`` of ``notebook`` points to (resolved, links followed).

    :class:`EditionError` naming ``place`` and ``url`` when it lies outside ``root`` (``inside`` says
    what that folder is) or is not a file.
    """
    file = (Path(notebook).parent / url).resolve()  # an absolute url replaces the folder
    if not file.is_relative_to(Path(root).resolve()):
        raise EditionError(f"{place}: the picture {url!r} lies outside {inside}")
    if not file.is_file():
        raise EditionError(f"{place}: the picture {url!r} does not exist (run `make pics`?)")
    return file


def remote_images(markdown: str) -> list[str]:
    """The sources of the images a markdown cell loads from elsewhere (``https://…``, ``//host/…``,
    any other URL but ``data:`` and ``attachment:``): what a page shown offline lacks."""
    found = [m.group(3) for m in _HTML_IMG.finditer(markdown)] + [m.group(2) for m in _MD_IMG.finditer(markdown)]
    return [url for url in found if not is_local(url) and not re.match(r"(?i)(data|attachment):|#", url)]


def local_images(markdown: str) -> list[str]:
    """The relative paths of the images a markdown cell shows, in order."""
    found: list[str] = []
    replace_images(markdown, lambda url: found.append(url) or url)
    return found
