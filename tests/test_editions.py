"""The editions built from the notebooks (tools/editions.py): student edition, slide deck, re-execution.

Each check runs on a small fixture seminar (tests/fixtures/, the same layout as notebooks/ and pics/)
and on every notebook in notebooks/. Executions use fast mode (SEMINAR_FAST=1) and stop at the last
exercise check, reusing one kernel for "stops at the first stub" and "the solutions put back pass".
"""
from __future__ import annotations

import ast
import base64
import inspect
import re
import shutil
import sys
from pathlib import Path

import bs4
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tools/ is a folder of the repository, not an installed package
from tools import editions  # noqa: E402
from tools.cells import EditionError, source, slide_type, tags  # noqa: E402
from tools.student import ANSWER_PLACEHOLDER, BANNER_ID, exercises, stub_source, student_edition  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "notebooks" / "exercises.ipynb"
NOTEBOOKS = [FIXTURE] + sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = ["fixture"] + [p.stem for p in NOTEBOOKS[1:]]
REMOVED = {"remove-cell", "hide-cell"}  # tags that leave a cell out of the deck
PUNCTUATION_ONLY = re.compile(r"^[\s()\[\]{},:;.]*$")
IMAGE_MAGIC = {"image/png": b"\x89PNG", "image/jpeg": b"\xff\xd8", "image/gif": b"GIF8",
               "image/svg+xml": b"<"}


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _body_lines(src: str) -> set[str]:
    """Stripped lines of every function body (docstrings aside) in ``src``: the solution itself."""
    lines, found = src.splitlines(), set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            has_doc = ast.get_docstring(node) is not None
            start = node.body[0].end_lineno if has_doc else node.body[0].lineno - 1  # 0-based
            while not has_doc and start > node.lineno and lines[start - 1].strip().startswith("#"):
                start -= 1  # comments above the first statement
            stop = node.end_lineno
            while stop < len(lines) and lines[stop].strip().startswith("#") and (
                    len(lines[stop]) - len(lines[stop].lstrip()) > node.col_offset):
                stop += 1  # indented comments after the last statement
            found |= {ln.strip() for ln in lines[start:stop]}
    return {ln for ln in found if ln and not PUNCTUATION_ONLY.match(ln)}


# --- the stub of a solution cell --------------------------------------------------------------------

SOLUTION = (ROOT / "tests" / "fixtures" / "solution_cell.py").read_text(encoding="utf-8")  # a solution cell


def test_stub_keeps_decorators_signatures_and_docstrings():
    original, stubbed = {}, {}
    exec(SOLUTION, original)
    text, names = stub_source(SOLUTION)
    exec(text, stubbed)
    assert names == ["e_step", "one_liner", "Encoder"]
    assert text.startswith(SOLUTION.splitlines()[0] + "\nimport functools\n")  # top-level comment, import
    assert ("@functools.lru_cache(maxsize=None)\n"
            "def e_step(x: float,\n           weights: tuple = (0.5, 0.5),  # (K,)\n") in text
    for name in ("e_step", "one_liner"):
        assert inspect.signature(stubbed[name]) == inspect.signature(original[name])
        assert stubbed[name].__doc__ == original[name].__doc__
    assert stubbed["Encoder"].__doc__ == original["Encoder"].__doc__
    assert stubbed["Encoder"].z_dim == 2
    assert stubbed["Encoder"].__annotations__ == original["Encoder"].__annotations__ != {}
    assert stubbed["Encoder"].doubled.__doc__ == "Twice the scale."
    with pytest.raises(NotImplementedError, match=r"^Exercise: e_step — see the markdown above$"):
        stubbed["e_step"](1.0)
    with pytest.raises(NotImplementedError, match=r"^Exercise: one_liner — see the markdown above$"):
        stubbed["one_liner"](1)
    with pytest.raises(NotImplementedError, match=r"^Exercise: Encoder.__init__ — "):
        stubbed["Encoder"](1.0)


def test_stub_leaves_no_line_of_any_body():
    text, _ = stub_source(SOLUTION)
    kept = {ln.strip() for ln in text.splitlines()}
    assert _body_lines(SOLUTION) & kept == set()
    assert {"return y * 2", "# the log-sum-exp trick", "# a trailing comment of the body",
            "self.scale = scale * 3"} <= _body_lines(SOLUTION)
    assert "# a trailing comment of the body" not in text


@pytest.mark.parametrize("src, why", [
    ("x = 1\n\ndef f():\n    return x", "line 1 is `x = 1`"),
    ("def f():\n    return 1\nprint(f())", "line 3 is `print(f())`"),
    ("import math", "defines none"),
    ("%time 1\ndef f():\n    pass", "not plain Python"),
])
def test_a_solution_cell_that_is_not_definitions_is_an_error_naming_the_cell(src, why):
    with pytest.raises(EditionError, match=re.escape(why)) as info:
        stub_source(src, "notebooks/01_em_gmm.ipynb, cell 7")
    assert str(info.value).startswith("notebooks/01_em_gmm.ipynb, cell 7: ")


def _notebook(*cells: tuple[str, str, list[str]]) -> nbformat.NotebookNode:
    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    return nbformat.v4.new_notebook(cells=[make[kind](src, metadata={"tags": t}) for kind, src, t in cells])


@pytest.mark.parametrize("cells, why", [
    ([("code", "def f():\n    return 1", ["solution"])], "followed by the code cell that checks"),
    ([("code", "def f():\n    return 1", ["solution"]), ("code", "def g():\n    return 2", ["solution"])],
     "followed by the code cell that checks"),
    ([("code", "def f():\n    return 1", ["solution"]), ("code", "print(2)", [])], "uses none of f"),
    ([("markdown", "def f(): pass", ["solution"])], "is a code cell"),
    ([("code", "print(1)", ["answer"])], "an `answer` cell is markdown"),
])
def test_exercise_conventions_are_enforced(cells, why):
    with pytest.raises(EditionError, match=re.escape(why)):
        student_edition(_notebook(*cells), "nb.ipynb")


# --- the student edition of each notebook ------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_edition_hides_solutions_and_answers(path):
    nb = _read(path)
    edition = student_edition(nb, path.name)
    banner = [c for c in edition.cells if c.get("id") == BANNER_ID]
    assert len(banner) == 1 and slide_type(banner[0]) == "skip"
    cells = [c for c in edition.cells if c.get("id") != BANNER_ID]
    assert len(cells) == len(nb.cells)
    def lines(some_cells) -> set[str]:
        return {ln.strip() for c in some_cells for ln in source(c).splitlines()}

    shown_elsewhere, student_lines = lines(c for c in nb.cells if "solution" not in tags(c)), lines(cells)
    for old, new in zip(nb.cells, cells):
        assert new.metadata.get("slideshow") == old.metadata.get("slideshow")
        if new.cell_type == "code":
            assert new.outputs == [] and new.execution_count is None
        if "solution" in tags(old):
            assert tags(new) == ["exercise" if t == "solution" else t for t in tags(old)]
            assert 'raise NotImplementedError("Exercise: ' in source(new)
            leaked = (_body_lines(source(old)) - shown_elsewhere) & student_lines
            assert not leaked, f"{path.name}: solution lines leak into the student edition: {sorted(leaked)}"
        elif "answer" in tags(old):
            assert source(new) == ANSWER_PLACEHOLDER and "answer" not in tags(new)
        else:
            assert source(new) == source(old)
    for old in nb.cells:
        if "answer" in tags(old) and source(old).strip():
            assert all(source(old).strip() not in source(c) for c in cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_edition_stops_at_the_first_stub_and_the_solutions_put_back_pass(path, monkeypatch):
    nb = _read(path)
    found = exercises(nb, path.name)
    if not found:
        pytest.skip(f"{path.name} has no exercises")
    monkeypatch.setenv("SEMINAR_FAST", "1")
    run = student_edition(nb, path.name)
    run.cells = [c for c in run.cells if c.get("id") != BANNER_ID]  # aligned with nb.cells again
    client = NotebookClient(run, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    first = found[0]

    def execute(start: int, stop: int) -> None:
        for i in range(start, stop + 1):
            if run.cells[i].cell_type == "code":
                client.execute_cell(run.cells[i], i)

    with client.setup_kernel():
        with pytest.raises(CellExecutionError) as info:
            execute(0, first.check)
        failed = [i for i, c in enumerate(run.cells[:first.check + 1])
                  if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
        assert failed == [first.check], f"{path.name}: the student edition failed at cells {failed}"
        assert info.value.ename == "NotImplementedError", info.value.evalue
        assert re.match(rf"Exercise: ({'|'.join(first.names)})\b", info.value.evalue), info.value.evalue
        for exercise in found:  # the instructor's solutions back into the stubs
            run.cells[exercise.solution].source = source(nb.cells[exercise.solution])
        execute(first.solution, found[-1].check)  # raises on any error
    for exercise in found:
        verdict, committed = _stdout(run.cells[exercise.check]), _stdout(nb.cells[exercise.check])
        assert verdict.strip(), f"{path.name}: the check of {exercise.names} prints no verdict"
        if committed and "# NBVAL_CHECK_OUTPUT" in source(nb.cells[exercise.check]):
            assert verdict == committed, f"{path.name}: the check of {exercise.names} disagrees"
        else:
            assert not re.search(r"\bFalse\b|\bFAIL", verdict), f"{path.name}: {verdict}"


def test_cli_writes_student_editions_with_their_pictures(tmp_path):
    shutil.copytree(FIXTURE.parents[1], tmp_path / "repo")
    out = tmp_path / "repo" / "build" / "student"
    copy = tmp_path / "repo" / "notebooks" / FIXTURE.name
    assert editions.main(["student", str(copy), "--out", str(out)]) == 0
    nbformat.validate(_read(out / FIXTURE.name))
    picture = Path("pics", "tiny.png")
    assert (out.parent / picture).read_bytes() == (FIXTURE.parents[1] / picture).read_bytes()


def test_cli_names_the_broken_notebook_and_cell(tmp_path, capsys):
    nb = _notebook(("markdown", "# Title", []), ("code", "x = 1\ndef f():\n    return x", ["solution"]),
                   ("code", "print(f())", []))
    nbformat.write(nb, tmp_path / "broken.ipynb")
    assert editions.main(["student", str(tmp_path / "broken.ipynb"), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err
    assert re.search(r"broken\.ipynb, cell 1 \(id [\w-]+\): a `solution` cell holds only", error)
    assert not (tmp_path / "out" / "broken.ipynb").exists()


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
    figures = sum("image/png" in o.get("data", {}) for c in shown for o in c.get("outputs", [])
                  if not {"remove-output", "hide-output"} & set(tags(c)))
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
    assert "drawing 2000 samples" in "".join(_stdout(c) for c in code)  # by_mode's full value
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert not any("execution" in c.metadata for c in code)  # no timing metadata to churn diffs


def test_execute_leaves_a_failing_notebook_untouched(tmp_path, capsys):
    path = tmp_path / "fails.ipynb"
    nbformat.write(_notebook(("code", "print('ran')", []), ("code", "1 / 0", [])), path)
    before = path.read_bytes()
    assert editions.main(["execute", str(path)]) == 1
    assert "ZeroDivisionError" in capsys.readouterr().err
    assert path.read_bytes() == before
