"""The editions built from the notebooks (tools/editions.py): slide deck, re-execution.

Each check runs on a small fixture seminar (tests/fixtures/, the same layout as notebooks/ and pics/)
and on every notebook in notebooks/. The student edition and grading (nbgrader) are tested in
tests/test_exercises.py and tests/test_classroom.py.
"""

from __future__ import annotations

import base64
import re
import shutil
import sys
from pathlib import Path

import bs4
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tools/ is a folder of the repository, not an installed package
from tools import editions  # noqa: E402
from tools.cells import slide_type, source, tags  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "notebooks" / "exercises.ipynb"
NOTEBOOKS = [FIXTURE] + sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = ["fixture"] + [p.stem for p in NOTEBOOKS[1:]]
REMOVED = {"remove-cell", "hide-cell"}  # tags that leave a cell out of the deck
IMAGE_MAGIC = {"image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8", "image/gif": b"GIF8", "image/svg+xml": b"<"}


def stdout(cell) -> str:
    """What a code cell printed to stdout."""
    outputs = cell.get("outputs", [])
    return "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _notebook(*cells: tuple[str, str, list[str]]) -> nbformat.NotebookNode:
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    return nbformat.v4.new_notebook(cells=[make[kind](src, metadata={"tags": t}) for kind, src, t in cells])


# --- the slide deck of each notebook -----------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_deck_follows_the_slide_metadata_and_shows_every_picture(path, tmp_path):
    nb = _read(path)
    deck = editions.write_slides(path, tmp_path / "slides")
    soup = bs4.BeautifulSoup(deck.read_text(encoding="utf-8"), "html.parser")
    kept = [c for c in nb.cells if not set(tags(c)) & REMOVED]
    kinds = [slide_type(c) for c in kept]
    first_visible = next(k for k in kinds if k not in ("skip", "notes"))
    expected = sum(k in ("slide", "subslide") for k in kinds) + (first_visible not in ("slide", "subslide"))
    leaves = [s for s in soup.select("div.slides section") if s.find("section") is None]
    leaves = [s for s in leaves if s.get("data-deck-id") != "notation"]  # the notation link's target, appended
    assert len(leaves) == expected, f"{path.name}: {len(leaves)} slides in the deck, {expected} in metadata"

    stderr = soup.find_all(attrs={"data-mime-type": "application/vnd.jupyter.stderr"})
    stderr = " ".join(d.get_text() for d in stderr)
    assert "Traceback" not in stderr and not re.search(r"^\w*(Error|Exception)\b", stderr, re.M)
    images = soup.find_all("img")
    for img in images:
        src = img["src"]
        if src.startswith("data:"):
            mime, data = re.match(r"data:([\w/+.-]+);base64,(.*)", src, re.S).groups()
            assert base64.b64decode(data).lstrip().startswith(IMAGE_MAGIC[mime]), f"{path.name}: bad {mime}"
        else:
            assert (deck.parent / src).is_file(), f"{path.name}: the deck shows {src}, which is not there"
    shown = [c for c in kept if slide_type(c) != "skip"]
    pictures = sum(len(re.findall(r"<img\b|!\[", source(c))) for c in shown if c.cell_type == "markdown")
    figures = sum(
        "image/png" in o.get("data", {})
        for c in shown
        for o in c.get("outputs", [])
        if not {"remove-output", "hide-output"} & set(tags(c))
    )
    assert len(images) >= pictures + figures, f"{path.name}: pictures or figures are missing from the deck"
    if any("$" in source(c) for c in shown if c.cell_type == "markdown"):
        assert any("mathjax" in s.get("src", "").lower() for s in soup.find_all("script"))

    html = str(soup)
    assert "# NBVAL_" not in html
    for cell in nb.cells:
        element = soup.find(id=f"cell-id={cell.get('id')}")
        if slide_type(cell) == "skip" or set(tags(cell)) & REMOVED:
            assert element is None, f"{path.name}: a plumbing cell shows in the deck"
            continue
        if {"remove-input", "hide-input"} & set(tags(cell)):
            assert element.find(class_="jp-InputArea") is None, f"{path.name}: a hidden input shows"
        if {"remove-output", "hide-output"} & set(tags(cell)):
            assert element.find(class_="jp-OutputArea") is None, f"{path.name}: a hidden output shows"
        if "answer" in tags(cell) and slide_type(cell) not in ("slide", "subslide"):
            fragment = element.find_parent("div", class_="fragment")  # appears on a click of its own
            first = fragment and fragment.find(id=re.compile("^cell-id="))
            assert first is element, f"{path.name}: the answer {cell.get('id')} is not a fragment of its own"


# --- make execute --------------------------------------------------------------------------------------


def test_execute_runs_in_full_mode_in_order_and_in_place(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMINAR_FAST", "1")  # `execute` must drop it: committed outputs are full mode
    shutil.copytree(FIXTURE.parents[1], tmp_path / "repo")
    path = tmp_path / "repo" / "notebooks" / FIXTURE.name
    nb = _read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)
    assert editions.main(["execute", str(path)]) == 0
    code = [c for c in _read(path).cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert "drawing 2000 samples" in "".join(stdout(c) for c in code)  # by_mode's full value
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert not any("execution" in c.metadata for c in code)  # no timing metadata to churn diffs


def test_execute_leaves_a_failing_notebook_untouched(tmp_path, capsys):
    path = tmp_path / "fails.ipynb"
    nbformat.write(_notebook(("code", "print('ran')", []), ("code", "1 / 0", [])), path)
    before = path.read_bytes()
    assert editions.main(["execute", str(path)]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    assert path.read_bytes() == before
