"""tools/exercises.py: the collection's tags become nbgrader's metadata and solution markers.

No kernel runs here: the stubs are made by nbgrader's own ``ClearSolutions`` and executed in-process.
"""

from __future__ import annotations

import inspect
import re

import nbformat
import pytest
from helpers import body_lines, tagged_notebook

from tools.cells import EditionError, read_notebook, source, tags
from tools.classroom import STUB
from tools.exercises import BANNER_ID, BEGIN, END, mark_solution, nbgrader_source
from tools.paths import ROOT

nbgrader_preprocessors = pytest.importorskip("nbgrader.preprocessors", reason="the classroom extra")

SOLUTION = (ROOT / "tests" / "fixtures" / "solution_cell.py").read_text(encoding="utf-8")  # a solution cell
FIXTURE = ROOT / "tests" / "fixtures" / "notebooks" / "exercises.ipynb"
MESSAGE = "Exercise: write this body (see the markdown above)"


def release(src: str) -> str:
    """What nbgrader releases for a solution cell's marked source (with this course's stub)."""
    cell = nbformat.v4.new_code_cell(
        src, metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "x", "locked": False}}
    )
    stubber = nbgrader_preprocessors.ClearSolutions(code_stub={"python": STUB})
    stubber.preprocess_cell(cell, {"language": "python"}, 0)
    return cell.source


def test_markers_surround_each_body_and_the_release_keeps_signatures_and_docstrings():
    marked, names = mark_solution(SOLUTION)
    assert names == ["e_step", "one_liner", "Encoder"]
    assert marked.count(BEGIN) == marked.count(END) == 4  # e_step, one_liner, __init__, doubled
    original, solved, stubbed = {}, {}, {}
    exec(SOLUTION, original)
    exec(marked, solved)  # the source version is still the instructor's code
    exec(release(marked), stubbed)
    assert solved["e_step"](1.0) == original["e_step"](1.0) and solved["one_liner"](1) == 2
    assert solved["Encoder"](1.0).doubled == 6.0
    text = release(marked)
    assert text.startswith(SOLUTION.splitlines()[0] + "\nimport functools\n")  # top-level comment, import
    assert (
        "@functools.lru_cache(maxsize=None)\ndef e_step(x: float,\n           weights: tuple = (0.5, 0.5),  # (K,)\n"
    ) in text
    for name in ("e_step", "one_liner"):
        assert inspect.signature(stubbed[name]) == inspect.signature(original[name])
        assert stubbed[name].__doc__ == original[name].__doc__
    assert stubbed["Encoder"].__doc__ == original["Encoder"].__doc__
    assert stubbed["Encoder"].z_dim == 2
    assert stubbed["Encoder"].__annotations__ == original["Encoder"].__annotations__ != {}
    assert stubbed["Encoder"].doubled.__doc__ == "Twice the scale."
    for call in (lambda: stubbed["e_step"](1.0), lambda: stubbed["one_liner"](1), lambda: stubbed["Encoder"](1.0)):
        with pytest.raises(NotImplementedError, match=re.escape(MESSAGE)):
            call()


def test_the_release_leaves_no_line_of_any_body():
    text = release(mark_solution(SOLUTION)[0])
    kept = {ln.strip() for ln in text.splitlines()}
    assert body_lines(SOLUTION) & kept == set()
    assert {
        "return y * 2",
        "# the log-sum-exp trick",
        "# a trailing comment of the body",
        "self.scale = scale * 3",
    } <= body_lines(SOLUTION)


@pytest.mark.parametrize(
    "src, why",
    [
        ("x = 1\n\ndef f():\n    return x", "line 1 is `x = 1`"),
        ("def f():\n    return 1\nprint(f())", "line 3 is `print(f())`"),
        ("import math", "defines none"),
        ('def f():\n    """Only a docstring."""', "defines none"),
        ("%time 1\ndef f():\n    pass", "not plain Python"),
        ("def f(x): return (x +\n    1)", "put the body of `f` (line 1) on lines of its own"),
    ],
)
def test_a_solution_cell_that_is_not_definitions_is_an_error_naming_the_cell(src, why):
    with pytest.raises(EditionError, match=re.escape(why)) as info:
        mark_solution(src, "notebooks/01_em_gmm.ipynb, cell 7")
    assert str(info.value).startswith("notebooks/01_em_gmm.ipynb, cell 7: ")


@pytest.mark.parametrize(
    "cells, why",
    [
        ([("code", "def f():\n    return 1", ["solution"])], "followed by the code cell that checks"),
        (
            [("code", "def f():\n    return 1", ["solution"]), ("code", "def g():\n    return 2", ["solution"])],
            "followed by the code cell that checks",
        ),
        ([("code", "def f():\n    return 1", ["solution"]), ("code", "print(2)", [])], "uses none of f"),
        ([("markdown", "def f(): pass", ["solution"])], "is a code cell"),
        ([("code", "print(1)", ["answer"])], "an `answer` cell is markdown"),
        ([("markdown", "![a](../../outside.png)", [])], "lies outside"),
        ([("markdown", "![a](../pics/none.png)", [])], "does not exist"),
    ],
)
def test_exercise_conventions_are_enforced(cells, why, tmp_path):
    (tmp_path / "notebooks").mkdir()
    with pytest.raises(EditionError, match=re.escape(why)):
        nbgrader_source(tagged_notebook(*cells), tmp_path / "notebooks" / "nb.ipynb")


def test_tags_become_nbgrader_metadata():
    nb = read_notebook(FIXTURE)
    marked = nbgrader_source(nb, FIXTURE)
    cells = [c for c in marked.cells if c.get("id") != BANNER_ID]
    assert len(cells) == len(nb.cells) and len(marked.cells) == len(nb.cells) + 1
    ids = [c.metadata.nbgrader["grade_id"] for c in marked.cells]
    assert len(set(ids)) == len(ids)
    roles = {}
    for old, new in zip(nb.cells, cells):
        meta = new.metadata.nbgrader
        roles[old.id] = tuple(meta.get(k) for k in ("grade_id", "solution", "grade", "locked", "points"))
        assert new.metadata.get("slideshow") == old.metadata.get("slideshow")
        if new.cell_type == "markdown" and "answer" not in tags(old):
            assert source(new) == source(old).replace("../pics/", "pics/")
    assert roles["ex1-solution"] == ("exercise-ex1-solution", True, False, False, None)
    assert roles["ex1-check"] == ("check-ex1-check", False, True, True, 1)
    assert roles["q1-answer"] == ("answer-q1-answer", True, True, False, 1)
    assert roles["setup"] == ("cell-setup", False, False, True, None)
    assert tags(cells[4]) == ["exercise"] and tags(cells[7]) == ["your-answer"]
    assert '<img src="pics/tiny.png"' in source(cells[2])
    assert nbgrader_source(nb, FIXTURE) == marked  # stable: same ids, same markers
