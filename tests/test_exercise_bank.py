"""The exercise bank: every check run on solutions written the way students write them.

``tests/exercise_bank/<notebook stem>/<exercise name>/`` holds, for the check
``"<notebook stem>/<exercise name>"``, files that are each exactly what a student could put in the
exercise's solution cell: ``right_<how>.py`` (at least two, written differently) must pass the check,
``wrong_<mistake>.py`` (at least three typical mistakes) must fail it. Each entry runs on the namespace
the grader builds (:func:`seminar_utils.exercises.definitions.namespace`) from the notebook's code
cells with the exercise's own cell left out and the entry in its place. This is the project's
mutation test of its own checks.

The notebooks' exercises as a whole are checked here too: every ``solution`` cell is followed by a
check cell that calls a registered check, exercises are numbered in order, each answer sits directly
under its question, and the points per notebook in docs/teaching.md are the notebooks' own.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from seminar_utils.exercises import CHECKS, get_check, run_check
from seminar_utils.exercises.definitions import namespace
from tools.cells import ANSWER, read_notebook, slide_type, source, tags
from tools.exercises import ANSWER_POINTS, CHECK_POINTS, exercises, mark_solution
from tools.paths import ROOT

NOTEBOOKS = {path.stem: path for path in sorted((ROOT / "notebooks").glob("*.ipynb"))}
BANK = ROOT / "tests" / "exercise_bank"
ENTRIES = sorted(BANK.glob("*/*/*.py"))
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']\s*,\s*globals\(\)\s*\)""")
MIN_RIGHT, MIN_WRONG = 2, 3


def _key(entry: Path) -> str:
    return f"{entry.parent.parent.name}/{entry.parent.name}"


def _kind(entry: Path) -> str:
    return entry.name.split("_", 1)[0]


@functools.cache
def _checked_exercises(stem: str) -> dict[str, tuple[int, tuple[str, ...]]]:
    """``{check key: (index of the solution cell, names it defines)}`` from the notebook's check cells."""
    nb = read_notebook(NOTEBOOKS[stem])
    found = {}
    for exercise in exercises(nb, NOTEBOOKS[stem]):
        match = CHECK_CALL.search(source(nb.cells[exercise.check]))
        if match:
            found[match.group(1)] = (exercise.solution, exercise.names)
    return found


@functools.cache
def _namespace_without(key: str) -> dict:
    """The definitions of every code cell of the notebook of ``key`` but the exercise's own (built once)."""
    stem = key.split("/", 1)[0]
    solution, _ = _checked_exercises(stem)[key]
    nb = read_notebook(NOTEBOOKS[stem])
    return namespace(source(c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and i != solution)


@pytest.mark.parametrize("entry", ENTRIES, ids=[str(e.relative_to(BANK).with_suffix("")) for e in ENTRIES])
def test_bank_entry_gets_the_verdict_it_deserves(entry):
    key, kind = _key(entry), _kind(entry)
    assert kind in ("right", "wrong"), f"{entry.name}: a bank entry is right_<how>.py or wrong_<mistake>.py"
    assert key.split("/", 1)[0] in NOTEBOOKS, f"{entry.parent.parent.name} is not a notebook in notebooks/"
    assert key in _checked_exercises(key.split("/", 1)[0]), f"no check cell calls check({key!r}, globals())"
    src = entry.read_text(encoding="utf-8")
    assert src.startswith(f"# {kind}: "), f"{entry.name}: the first line says what the entry is: '# {kind}: ...'"
    _, defined = mark_solution(src, str(entry))  # only imports and definitions, as in a solution cell
    assert set(get_check(key).names) <= set(defined), f"{entry.name} defines {defined}, not {get_check(key).names}"
    ns = namespace([src], extra=_namespace_without(key))  # the notebook's other definitions, then the entry
    verdict = run_check(key, ns)
    if kind == "right":
        assert verdict.passed, f"a right solution fails {key}:\n{verdict}"
    else:
        assert not verdict.passed, f"a wrong solution passes {key}:\n{verdict}"


def _registered() -> list[str]:
    get_check("01_em_gmm/gaussian_log_pdf")  # imports every notebook's module of checks
    return sorted(CHECKS)


@pytest.mark.parametrize("key", _registered())
def test_every_check_has_its_bank(key):
    entries = [e for e in ENTRIES if _key(e) == key]
    right = [e.name for e in entries if _kind(e) == "right"]
    wrong = [e.name for e in entries if _kind(e) == "wrong"]
    assert len(right) >= MIN_RIGHT, f"{key}: {len(right)} right solutions in the bank ({right}), need {MIN_RIGHT}"
    assert len(wrong) >= MIN_WRONG, f"{key}: {len(wrong)} wrong solutions in the bank ({wrong}), need {MIN_WRONG}"


def test_every_bank_folder_belongs_to_a_check():
    folders = {f"{d.parent.name}/{d.name}" for d in BANK.glob("*/*") if d.is_dir()}
    assert folders, "the bank is empty"
    unknown = sorted(folders - set(CHECKS))
    assert not unknown, f"bank folders without a registered check: {unknown}"


@pytest.mark.parametrize("stem", sorted(NOTEBOOKS))
def test_every_exercise_is_checked_by_a_registered_check(stem):
    nb = read_notebook(NOTEBOOKS[stem])
    for exercise in exercises(nb, NOTEBOOKS[stem]):
        check_source = source(nb.cells[exercise.check])
        match = CHECK_CALL.search(check_source)
        cell = nb.cells[exercise.solution].get("id")
        assert match, f"{stem}, cell {cell}: its check cell does not call check('<notebook>/<name>', globals())"
        key = match.group(1)
        assert check_source.startswith("# NBVAL_CHECK_OUTPUT\n"), (
            f"{stem}: the check cell of {key} is compared by nbval"
        )
        assert key.split("/", 1)[0] == stem, f"{stem}, cell {cell}: {key} is another notebook's check"
        assert set(get_check(key).names) <= set(exercise.names), f"{key} checks {get_check(key).names}"


# ------------------------------------------------------------------------- numbering and answers
EXERCISE_HEADING = re.compile(r"\*\*Exercise\b([^*]*)\*\*")


def _visible(nb) -> list:
    """The cells a reader sees in order: speaker notes (slide type ``notes``) left out."""
    return [c for c in nb.cells if slide_type(c) != "notes"]


@pytest.mark.parametrize("stem", sorted(NOTEBOOKS))
def test_exercises_are_numbered_in_order(stem):
    nb = read_notebook(NOTEBOOKS[stem])
    headings = [h.strip() for c in nb.cells if c.cell_type == "markdown" for h in EXERCISE_HEADING.findall(source(c))]
    numbers = [re.match(r"(\d+)\b", h) for h in headings]
    assert all(numbers), f"{stem}: every exercise has a number ('**Exercise N.**'), got {headings}"
    assert [int(n.group(1)) for n in numbers] == list(range(1, len(headings) + 1)), f"{stem}: {headings}"
    cells = _visible(nb)
    for i, cell in enumerate(cells):
        if "solution" in tags(cell):
            above = next(c for c in reversed(cells[:i]) if c.cell_type == "markdown")
            assert EXERCISE_HEADING.search(source(above)), f"{stem}: no '**Exercise N.**' above {cell.get('id')}"


@pytest.mark.parametrize("stem", sorted(NOTEBOOKS))
def test_each_answer_sits_directly_under_its_question(stem):
    cells = _visible(read_notebook(NOTEBOOKS[stem]))
    for i, cell in enumerate(cells):
        if ANSWER not in tags(cell):
            continue
        above = cells[i - 1]
        assert above.cell_type == "markdown" and ANSWER not in tags(above), f"{stem}: {cell.get('id')}"
        assert re.search(r"\?|\*\*Exercise|Question", source(above)), (
            f"{stem}: the cell above answer {cell.get('id')} asks no question: {source(above)[:80]!r}"
        )


# --------------------------------------------------------------------------- the points in docs/teaching.md
def points_sentence() -> str:
    """docs/teaching.md's sentence on points per notebook, from the notebooks' own checks and answers."""
    parts = []
    for n, (stem, path) in enumerate(NOTEBOOKS.items()):
        nb = read_notebook(path)
        checks = len(exercises(nb, path))
        answers = sum(1 for c in nb.cells if c.cell_type == "markdown" and ANSWER in tags(c))
        points = checks * CHECK_POINTS + answers * ANSWER_POINTS
        number = stem.split("_", 1)[0]
        parts.append(
            f"{number} — {checks} checks and {answers} answers, {points} points"
            if n == 0
            else f"{number} — {checks} and {answers}, {points}"
        )
    return "Per notebook: " + "; ".join(parts) + "."


def test_the_teaching_guide_gives_the_points_the_notebooks_give():
    guide = " ".join((ROOT / "docs" / "teaching.md").read_text(encoding="utf-8").split())  # lines joined
    expected = points_sentence()
    assert expected in guide, f"docs/teaching.md must say (generated from the notebooks):\n{expected}"
