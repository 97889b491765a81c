"""The slide deck of a notebook: reveal.js HTML by nbconvert, from the committed (executed) notebook.

The notebook's ``metadata.slideshow.slide_type`` lays out the deck (slide, subslide, fragment, notes
for the speaker view, skip for plumbing). On top of nbconvert's reveal exporter the deck gets:

- cells tagged ``remove-cell`` or ``hide-cell`` left out, ``remove-input``/``hide-input`` shown
  without their code, ``remove-output``/``hide-output`` without their outputs (Jupyter Book's tag
  names; ``skip`` cells never show);
- ``answer`` cells that continue a slide made fragments, so an answer appears on a click;
- ``# NBVAL_...`` marker lines dropped from the code (they are for the tests, not the audience);
- every local picture (``<img src="../pics/...">``, ``![](...)``) embedded as a data URL, so a deck
  is one file that can be moved or mailed; a missing picture, or one that lies outside the
  repository (an absolute path, a ``../..`` escape, a symbolic link out), is an error naming the
  notebook, the cell and the reference;
- widget outputs replaced by a note (see :func:`static_outputs`): a widget needs a running kernel,
  and its static figure is in the notebook beside it.

A notebook with an error output is refused: refresh it with ``make execute`` first. The deck loads
reveal.js and MathJax from the folder ``_assets/`` beside it (template ``tools/templates/deck``;
:func:`copy_deck_assets` fills it from ``node_modules/``, see tools/assets.py), never from the web:
a deck opened from disk works with no network. Move a deck together with its ``_assets/`` folder.
"""

from __future__ import annotations

import base64
import copy
import mimetypes
import re
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter
from nbformat import NotebookNode
from traitlets.config import Config

from .assets import copy_mathjax, copy_reveal
from .cells import ANSWER, EditionError, picture_file, replace_images, slide_type, source, tags, where

REMOVE_CELL = frozenset({"remove-cell", "hide-cell"})
REMOVE_INPUT = frozenset({"remove-input", "hide-input"})
REMOVE_OUTPUT = frozenset({"remove-output", "hide-output"})
NBVAL_MARKER = "# NBVAL_"
REPOSITORY = Path(__file__).resolve().parents[1]  # a deck embeds files from inside it only
ASSETS = "_assets"  # the folder beside the decks that holds reveal.js and MathJax
TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    "Interactive widget: it needs a running kernel (open the notebook in JupyterLab). "
    "The static figure beside it shows the same."
)
_PROGRESS_BAR = re.compile(r"^\s*\d+%\|")  # tqdm's text form: the training summary line follows it


def static_outputs(cell: NotebookNode) -> list:
    """The outputs of a code cell as a page without a kernel shows them: a progress bar (tqdm) is
    dropped (a training cell prints a one-line summary), any other widget becomes a short note."""
    kept = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if WIDGET_VIEW not in data:
            kept.append(out)
        elif not _PROGRESS_BAR.match("".join(data.get("text/plain", ""))):
            kept.append(
                nbformat.v4.new_output(
                    "display_data", data={"text/markdown": f"*{WIDGET_NOTE}*", "text/plain": WIDGET_NOTE}
                )
            )
    return kept


def _data_url(url: str, notebook: Path, place: str, root: Path) -> str:
    file = picture_file(url, notebook, place, root, f"the repository ({root}); a deck embeds only files inside it")
    mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"


def deck_notebook(nb: NotebookNode, path: str | Path, root: Path = REPOSITORY) -> NotebookNode:
    """A copy of the executed notebook ``nb`` (read from ``path``) prepared for the deck; its pictures
    must lie inside the folder ``root`` (the repository)."""
    path = Path(path)
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # saved widget state: only a widget manager from the web reads it
    cells = []
    for i, cell in enumerate(nb.cells):
        place, cell_tags = where(path, i, cell), set(tags(cell))
        if cell_tags & REMOVE_CELL:
            continue
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    raise EditionError(
                        f"{place}: an error output ({out.get('ename')}); refresh the "
                        "notebook with `make execute` before building its slides"
                    )
            kept = [ln for ln in source(cell).splitlines() if not ln.lstrip().startswith(NBVAL_MARKER)]
            cell.source = "\n".join(kept)
            cell.outputs = [] if cell_tags & REMOVE_OUTPUT else static_outputs(cell)
            if cell_tags & REMOVE_INPUT:
                cell.metadata["transient"] = {"remove_source": True}  # as nbconvert's TagRemovePreprocessor
        elif cell.cell_type == "markdown":
            cell.source = replace_images(source(cell), lambda url, place=place: _data_url(url, path, place, root))
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
    config.SlidesExporter.reveal_url_prefix = f"{ASSETS}/reveal.js"  # relative to the deck
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.SlidesExporter.template_name = "deck"
    return SlidesExporter(config=config)


def build_deck(nb: NotebookNode, path: str | Path, root: Path = REPOSITORY) -> str:
    """The reveal.js HTML of the notebook ``nb`` read from ``path`` (scripts from ``_assets/``)."""
    path = Path(path)
    html, _ = exporter().from_notebook_node(
        deck_notebook(nb, path, root),
        resources={"metadata": {"name": path.stem, "path": str(path.parent)}, "deck_assets": ASSETS},
    )
    return html


def copy_deck_assets(out: Path) -> Path:
    """Put reveal.js and MathJax into ``out/_assets`` for the decks in ``out`` (from node_modules/)."""
    copy_reveal(out / ASSETS)
    copy_mathjax(out / ASSETS)
    return out / ASSETS
