"""The slide deck of a notebook: reveal.js HTML by nbconvert, from the committed (executed) notebook.

The notebook's ``metadata.slideshow.slide_type`` lays out the deck (slide, subslide, fragment, notes
for the speaker view, skip for plumbing). On top of nbconvert's reveal exporter the deck gets:

- cells tagged ``remove-cell`` or ``hide-cell`` left out, ``remove-input``/``hide-input`` shown
  without their code, ``remove-output``/``hide-output`` without their outputs (Jupyter Book's tag
  names; ``skip`` cells never show);
- ``answer`` cells that continue a slide made fragments, so an answer appears on a click;
- ``deck-hide-input`` (a tag of this collection) shows only the output in the deck, the site shows both:
  a check cell's code is plumbing in a talk, what it prints is the point;
- ``# NBVAL_...`` marker lines and ``%config`` lines dropped from the code (they are for the tests and
  the kernel, not the audience), and the checkpoint cache's "Saved …"/"Loaded …" lines from the outputs;
- the notebooks' link to the notation page (``../website/notation.md``, also the website's page)
  points at a last slide that holds that page's table, so it works wherever the deck is opened;
- every local picture (``<img src="../pics/...">``, ``![](...)``) embedded as a data URL, so a deck
  is one file that can be moved or mailed; a missing picture, or one that lies outside the
  repository (an absolute path, a ``../..`` escape, a symbolic link out), is an error naming the
  notebook, the cell and the reference; so is a picture from the web (``![](https://…)``,
  ``<img src="//…">``): a deck that needs the network to show it would not work offline;
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
from .cells import (
    ANSWER,
    EditionError,
    picture_file,
    remote_images,
    replace_images,
    slide_type,
    source,
    tags,
    where,
)
from .paths import ROOT

REMOVE_CELL = frozenset({"remove-cell", "hide-cell"})
REMOVE_INPUT = frozenset({"remove-input", "hide-input"})
REMOVE_OUTPUT = frozenset({"remove-output", "hide-output"})
DECK_HIDE_INPUT = "deck-hide-input"  # the deck shows the output only; the site shows the cell in full
NBVAL_MARKER = "# NBVAL_"
PLUMBING_LINE = re.compile(r"^\s*(# NBVAL_|%config\b)")  # code lines the audience never needs
# the checkpoint cache's messages (seminar_utils.checkpoints): a saved model says nothing about the
# model; a loaded one's summary stays, without the cache
_CACHE_SAVED = re.compile(r"^Saved \S+ in the checkpoint cache.*\n?", re.M)
_CACHE_LOADED = re.compile(r"^Loaded (\S+) from the checkpoint cache: (.*?)(?: \(not rerun\))?$", re.M)
NOTATION_PAGE = Path("website") / "notation.md"  # the notation, one page for the notebooks, decks and site
NOTATION_LINK = f"../{NOTATION_PAGE.as_posix()}"  # the notebooks' link to it (from notebooks/)
NOTATION_ID = "notation"  # the id of the deck's last slide, which holds that table
REPOSITORY = ROOT  # a deck embeds files from inside it only
ASSETS = "_assets"  # the folder beside the decks that holds reveal.js and MathJax
TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    "Interactive widget: it needs a running kernel (open the notebook in JupyterLab). "
    "The static figure beside it shows the same."
)
_PROGRESS_BAR = re.compile(r"^\s*\d+%\|")  # tqdm's text form: the training summary line follows it


def quiet(text: str) -> str:
    """A cell's printed ``text`` without the checkpoint cache's messages (its summaries stay)."""
    return _CACHE_LOADED.sub(r"\1: \2", _CACHE_SAVED.sub("", text))


def shown_code(code: str) -> str:
    """``code`` without the lines that only the tests or the kernel need (``# NBVAL_…``, ``%config``)."""
    return "\n".join(ln for ln in code.splitlines() if not PLUMBING_LINE.match(ln))


FIGURE_HEIGHT = 520  # px: the tallest figure a slide shows (the template's max-height for figures without a size)


def _within_figure_height(out: NotebookNode) -> NotebookNode:
    """A figure drawn at 2x (seminar_utils.display: its metadata gives the size to show it at) shown at that
    size, scaled down to at most FIGURE_HEIGHT px tall; the template leaves such an image's size to its
    width/height attributes (``width: auto`` would show its 2x pixels at 2x the size)."""
    size = out.get("metadata", {}).get("image/png", {})
    if not {"width", "height"} <= set(size) or size["height"] <= FIGURE_HEIGHT:
        return out
    out = copy.deepcopy(out)
    scale = FIGURE_HEIGHT / size["height"]
    out.metadata["image/png"] = {"width": round(size["width"] * scale), "height": FIGURE_HEIGHT}
    return out


def static_outputs(cell: NotebookNode) -> list:
    """The outputs of a code cell as a page without a kernel shows them: a progress bar (tqdm) is
    dropped (a training cell prints a one-line summary), any other widget becomes a short note, and the
    checkpoint cache's messages leave the printed text (an output left empty goes); consecutive prints
    to one stream are one block, as JupyterLab shows them."""
    kept = []
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if out.get("output_type") == "stream":
            text, name = quiet("".join(out.get("text", ""))), out.get("name", "stdout")
            if text and kept and kept[-1].get("output_type") == "stream" and kept[-1].name == name:
                kept[-1].text += text  # one block, as JupyterLab shows consecutive prints
            elif text:
                kept.append(nbformat.v4.new_output("stream", name=name, text=text))
        elif WIDGET_VIEW not in data:
            kept.append(_within_figure_height(out))
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
    cells, linked = [], False
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
            cell.source = shown_code(source(cell))
            cell.outputs = [] if cell_tags & REMOVE_OUTPUT else static_outputs(cell)
            if cell_tags & (REMOVE_INPUT | {DECK_HIDE_INPUT}):
                cell.metadata["transient"] = {"remove_source": True}  # as nbconvert's TagRemovePreprocessor
        elif cell.cell_type == "markdown":
            for url in remote_images(source(cell)):  # an error, not a warning: the deck must work offline
                raise EditionError(
                    f"{place}: the picture {url!r} is on the web, and a deck must work offline; save it "
                    "in pics/ and show it as ../pics/NAME"
                )
            text = source(cell).replace(f"]({NOTATION_LINK})", f"](#/{NOTATION_ID})")
            linked = linked or text != source(cell)
            cell.source = replace_images(text, lambda url, place=place: _data_url(url, path, place, root))
        if ANSWER in cell_tags and slide_type(cell) == "-":
            cell.metadata.setdefault("slideshow", {})["slide_type"] = "fragment"
        cells.append(cell)
    if linked:
        cells.append(notation_slide(root / NOTATION_PAGE))
    nb.cells = cells
    return nb


def read_notation(page: Path, error: type[Exception] = EditionError) -> str:
    """The notation page's text (the deck's last slide and the site's page); ``error`` if it cannot be
    read or does not start with its ``# Notation`` title."""
    try:
        text = page.read_text(encoding="utf-8")
    except OSError as err:
        raise error(f"{page}: cannot read the notation page the notebook links to ({err.strerror})") from None
    if not text.startswith("# Notation\n"):
        raise error(f"{page} must start with the line `# Notation` (the page's title; the notebook links to it)")
    return text


def notation_slide(page: Path) -> NotebookNode:
    """The deck's last slide: the notation page (``website/notation.md``), the target of the notebooks'
    notation link, under a ``## Notation`` heading."""
    text = read_notation(page)
    return nbformat.v4.new_markdown_cell(
        f"## Notation\n\n{text.removeprefix('# Notation').strip()}",
        metadata={"slideshow": {"slide_type": "slide", "data": {"deck_id": NOTATION_ID}}},
    )


def exporter() -> SlidesExporter:
    """nbconvert's reveal.js exporter as the decks use it (no prompts, scrolling slides, numbers)."""
    config = Config()
    config.SlidesExporter.reveal_theme = "simple"
    config.SlidesExporter.reveal_transition = "none"
    config.SlidesExporter.reveal_scroll = True  # a long code cell scrolls instead of overflowing
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.exclude_anchor_links = True  # a heading's hidden ¶ link: no target on a slide
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
    # the notation slide gets its id (reveal.js goes to #/notation); nbconvert writes data-* only
    return re.sub(rf'<section(\s+)data-deck-id="{NOTATION_ID}"', rf'<section id="{NOTATION_ID}"\1', html, count=1)


def copy_deck_assets(out: Path) -> Path:
    """Put reveal.js and MathJax into ``out/_assets`` for the decks in ``out`` (from node_modules/)."""
    copy_reveal(out / ASSETS)
    copy_mathjax(out / ASSETS)
    return out / ASSETS
