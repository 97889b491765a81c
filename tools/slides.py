"""The slide deck of a notebook: reveal.js HTML by nbconvert, from the committed (executed) notebook.

The notebook's ``metadata.slideshow.slide_type`` lays out the deck (slide, subslide, fragment, notes
for the speaker view, skip for plumbing). On top of nbconvert's reveal exporter the deck gets:

- cells tagged ``remove-cell`` or ``hide-cell`` left out, ``remove-input``/``hide-input`` shown
  without their code, ``remove-output``/``hide-output`` without their outputs (Jupyter Book's tag
  names; ``skip`` cells never show);
- ``answer`` cells that continue a slide made fragments, so an answer appears on a click;
- ``# NBVAL_...`` marker lines dropped from the code (they are for the tests, not the audience);
- every local picture (``<img src="../pics/...">``, ``![](...)``) embedded as a data URL, so a deck
  is one file that can be moved or mailed; a missing picture is an error naming the cell.

A notebook with an error output is refused: refresh it with ``make execute`` first. reveal.js,
require.js, jQuery and MathJax load from their CDNs (nbconvert's defaults), so presenting a deck
needs a network; offline, present the notebook itself in JupyterLab.
"""
from __future__ import annotations

import base64
import copy
import mimetypes
from pathlib import Path

from nbconvert import SlidesExporter
from nbformat import NotebookNode
from traitlets.config import Config

from .cells import ANSWER, EditionError, replace_images, slide_type, source, tags, where

REMOVE_CELL = frozenset({"remove-cell", "hide-cell"})
REMOVE_INPUT = frozenset({"remove-input", "hide-input"})
REMOVE_OUTPUT = frozenset({"remove-output", "hide-output"})
NBVAL_MARKER = "# NBVAL_"


def _data_url(file: Path, place: str) -> str:
    if not file.is_file():
        raise EditionError(f"{place}: the picture {file} does not exist (run `make pics`?)")
    mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"


def deck_notebook(nb: NotebookNode, path: str | Path) -> NotebookNode:
    """A copy of the executed notebook ``nb`` (read from ``path``) prepared for the deck."""
    path = Path(path)
    nb = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(nb.cells):
        place, cell_tags = where(path, i, cell), set(tags(cell))
        if cell_tags & REMOVE_CELL:
            continue
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    raise EditionError(f"{place}: an error output ({out.get('ename')}); refresh the "
                                       "notebook with `make execute` before building its slides")
            kept = [ln for ln in source(cell).splitlines() if not ln.lstrip().startswith(NBVAL_MARKER)]
            cell.source = "\n".join(kept)
            if cell_tags & REMOVE_OUTPUT:
                cell.outputs = []
            if cell_tags & REMOVE_INPUT:
                cell.metadata["transient"] = {"remove_source": True}  # as nbconvert's TagRemovePreprocessor
        elif cell.cell_type == "markdown":
            cell.source = replace_images(source(cell),
                                         lambda url, place=place: _data_url(path.parent / url, place))
        if ANSWER in cell_tags and slide_type(cell) == "-":
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "fragment"
        cells.append(cell)
    nb.cells = cells
    return nb


def exporter() -> SlidesExporter:
    """nbconvert's reveal.js exporter as the decks use it (no prompts, scrolling slides, numbers)."""
    config = Config()
    config.SlidesExporter.reveal_theme = "simple"
    config.SlidesExporter.reveal_transition = "none"
    config.SlidesExporter.reveal_scroll = True  # a long code cell scrolls instead of overflowing
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    return SlidesExporter(config=config)


def build_deck(nb: NotebookNode, path: str | Path) -> str:
    """The reveal.js HTML of the notebook ``nb`` read from ``path``."""
    path = Path(path)
    html, _ = exporter().from_notebook_node(
        deck_notebook(nb, path), resources={"metadata": {"name": path.stem, "path": str(path.parent)}})
    return html
