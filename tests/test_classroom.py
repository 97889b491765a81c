"""tools/classroom.py: the student edition released by nbgrader, and submissions graded by it, offline.

One module fixture does what an instructor does (``make student``, then ``make grade``) for every
notebook and the fixture seminar: it releases them, builds a class of submissions — for each notebook
the released edition as it is and the instructor's solutions put back; on the small fixture one
exercise solved, a wrong solution and an edited locked check — and grades them all in one nbgrader
run, in fast mode.
"""

from __future__ import annotations

import copy
import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tools/ is a folder of the repository, not an installed package
from tools import classroom, editions  # noqa: E402
from tools.cells import local_images, read_notebook, source, tags  # noqa: E402
from tools.exercises import exercises  # noqa: E402
from tools.verdicts import WRONG  # noqa: E402

pytest.importorskip("nbgrader", reason="the classroom extra (make test installs it)")
from test_exercises import MESSAGE, body_lines  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "notebooks" / "exercises.ipynb"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALL = NOTEBOOKS + [FIXTURE]
IDS = [p.stem for p in ALL]
ONE_SOLVED, WRONG_SOLUTION, TAMPERED, BROKEN = "carol", "eve", "mallory", "zed"
VERDICT_2 = "DiagonalGaussian.rsample agrees with the change of variables: True"


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def _solved(released: nbformat.NotebookNode, instructor: nbformat.NotebookNode, only=None):
    """``released`` with the instructor's exercise bodies and answers put back (``only``: these ids)."""
    nb, by_id = copy.deepcopy(released), {c.id: c for c in instructor.cells}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and (only is None or cell.id in only):
            cell.source = source(by_id[cell.id])
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("classroom")
    released = classroom.release(ALL, base / "student")  # what `make student` does
    subs = base / "submissions"

    def submit(student: str, nb: nbformat.NotebookNode, name: str) -> None:
        (subs / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, subs / student / name)

    for path, copy_ in zip(ALL, released):
        nb, instructor = nbformat.read(copy_, as_version=4), read_notebook(path)
        if path != FIXTURE:  # the fixture's cases below cover it (one kernel run each, on 2 cores)
            submit("release", nb, path.name)
            submit("instructor", _solved(nb, instructor), path.name)
        else:
            submit(ONE_SOLVED, _solved(nb, instructor, {"ex1-solution"}), path.name)
            wrong = _solved(nb, instructor, {"ex2-solution"})
            for cell in wrong.cells:
                if _grade_id(cell) == "exercise-ex1-solution":  # runs, but computes the wrong thing
                    cell.source = source(cell).replace(
                        f'# YOUR CODE HERE\n    raise NotImplementedError("{MESSAGE}")', "return x.sum(-1)"
                    )
            submit(WRONG_SOLUTION, wrong, path.name)
            tampered = _solved(nb, instructor, {"ex1-solution", "ex2-solution"})  # a check edited: not scored
            for cell in tampered.cells:
                if _grade_id(cell) == "check-ex2-check":  # prints the verdict without checking anything
                    cell.source = f"print({VERDICT_2!r})"
            submit(TAMPERED, tampered, path.name)
            (subs / BROKEN).mkdir()
            (subs / BROKEN / path.name).write_text('{"cells": [', encoding="utf-8")  # a damaged file
    table = classroom.grade(subs, base / "out", base / "course", ALL)  # what `make grade` does
    with table.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {"base": base, "released": dict(zip(IDS, released)), "rows": rows}


def _rows(course, student: str, name: str) -> dict[str, dict]:
    return {r["cell"]: r for r in course["rows"] if r["student"] == student and r["notebook"] == name}


def _autograded(course, student: str, name: str) -> nbformat.NotebookNode:
    return nbformat.read(course["base"] / "course" / "autograded" / student / name / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_release_is_self_contained_locked_and_leaks_no_solution(course, path):
    instructor, nb = read_notebook(path), read_notebook(course["released"][path.stem])
    folder = course["released"][path.stem].parent
    assert folder.name == path.stem
    shown_elsewhere = {
        ln.strip() for c in instructor.cells if "solution" not in tags(c) for ln in source(c).splitlines()
    }
    released_lines = {ln.strip() for c in nb.cells for ln in source(c).splitlines()}
    for cell in nb.cells:
        meta = cell.metadata.nbgrader
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if cell.cell_type == "markdown":
            for url in local_images(source(cell)):
                assert (folder / url).is_file(), f"{path.name}: the release shows {url}, which is not there"
        if not meta.get("solution"):
            assert meta["locked"] and cell.metadata.get("editable") is False, f"{path.name}: {meta}"
    for cell in instructor.cells:
        if "solution" in tags(cell):
            leaked = (body_lines(source(cell)) - shown_elsewhere) & released_lines
            assert not leaked, f"{path.name}: solution lines leak into the release: {sorted(leaked)}"
        if "answer" in tags(cell) and source(cell).strip():
            assert all(source(cell).strip() not in source(c) for c in nb.cells)
    answers = [c for c in nb.cells if c.metadata.nbgrader.get("solution") and c.cell_type == "markdown"]
    assert len(answers) == sum("answer" in tags(c) for c in instructor.cells)
    assert all(source(c) == "YOUR ANSWER HERE" for c in answers)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS[:-1])
def test_release_stops_at_its_first_exercise_and_scores_zero(course, path):
    instructor = read_notebook(path)
    first = instructor.cells[exercises(instructor, path)[0].check]
    graded = _autograded(course, "release", path.stem)
    errors = [(i, o) for i, c in enumerate(graded.cells) for o in c.get("outputs", []) if o.output_type == "error"]
    index, error = errors[0]
    assert _grade_id(graded.cells[index]) == f"check-{first.id}", f"{path.name}: first error elsewhere"
    assert error.ename == "NotImplementedError" and error.evalue == MESSAGE
    rows = _rows(course, "release", path.stem)
    checks = [r for r in rows.values() if r["kind"] == "check"]
    assert len(checks) == len(exercises(instructor, path))
    assert all(float(r["score"]) == 0 for r in checks)
    assert float(rows["total"]["score"]) == 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS[:-1])
def test_instructor_edition_scores_full_marks(course, path):
    rows = _rows(course, "instructor", path.stem)
    checks = [r for r in rows.values() if r["kind"] == "check"]
    assert checks and all(float(r["score"]) == float(r["max_score"]) == 1 for r in checks), checks
    answers = [r for r in rows.values() if r["kind"] == "answer"]
    assert all(r["score"] == "" for r in answers)  # written answers wait for a human grader
    assert rows["total"]["flag"] == (f"{len(answers)} to grade by hand" if answers else "")
    assert float(rows["total"]["max_score"]) == len(checks) + len(answers)
    assert (course["base"] / "out" / "feedback" / "instructor" / f"{path.stem}.html").is_file()


def test_one_exercise_solved_gets_exactly_its_points(course):
    rows = _rows(course, ONE_SOLVED, "exercises")
    assert (rows["check-ex1-check"]["score"], rows["check-ex2-check"]["score"]) == ("1.0", "0.0")
    assert float(rows["total"]["score"]) == 1 and rows["total"]["flag"] == ""


def test_a_wrong_verdict_scores_nothing_and_the_feedback_says_why(course):
    rows = _rows(course, WRONG_SOLUTION, "exercises")
    assert (rows["check-ex1-check"]["score"], rows["check-ex2-check"]["score"]) == ("0.0", "1.0")
    cell = next(c for c in _autograded(course, WRONG_SOLUTION, "exercises").cells if _grade_id(c) == "check-ex1-check")
    assert [o.ename for o in cell.outputs if o.output_type == "error"] == [WRONG]
    html = (course["base"] / "out" / "feedback" / WRONG_SOLUTION / "exercises.html").read_text("utf-8")
    assert WRONG in html and "the reference prints" in html


def test_an_edited_locked_check_is_flagged_and_earns_nothing(course):
    rows = _rows(course, TAMPERED, "exercises")
    assert rows["check-ex2-check"]["flag"] == "tampered" and rows["check-ex2-check"]["score"] == "0.0"
    assert rows["total"]["flag"] == "tampered: check-ex2-check edited"
    assert float(rows["total"]["score"]) == 1
    cell = next(c for c in _autograded(course, TAMPERED, "exercises").cells if _grade_id(c) == "check-ex2-check")
    assert "DiagonalGaussian(mu, log_sigma).rsample(eps)" in source(cell)  # the released check ran ...
    assert VERDICT_2 in "".join(o.get("text", "") for o in cell.outputs)  # ... and passed: still 0
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course['base'] / 'course' / 'gradebook.db'}", classroom.COURSE_ID) as gb:
        assert gb.find_submission_notebook("exercises", "exercises", TAMPERED).flagged
        assert not gb.find_submission_notebook("exercises", "exercises", ONE_SOLVED).flagged


def test_an_unreadable_submission_scores_zero_with_the_reason(course):
    rows = _rows(course, BROKEN, "exercises")
    assert list(rows) == ["total"] and float(rows["total"]["score"]) == 0
    assert rows["total"]["flag"].startswith("unreadable: ") and "invalid JSON" in rows["total"]["flag"]


# --- malformed notebooks (issue 11, item 6) -------------------------------------------------------


def _tags_as_a_string(path: Path) -> None:
    nb = json.loads(FIXTURE.read_text(encoding="utf-8"))
    nb["cells"][4]["metadata"]["tags"] = "solution"
    path.write_text(json.dumps(nb), encoding="utf-8")


MALFORMED = [
    (lambda p: p.write_text('{"cells": [', encoding="utf-8"), "invalid JSON"),
    (lambda p: p.write_text("", encoding="utf-8"), "the file is empty"),
    (lambda p: p.write_text("[]", encoding="utf-8"), "the JSON is an array"),
    (lambda p: p.write_text("{}", encoding="utf-8"), "lacks a 'cells' list"),
    (_tags_as_a_string, "cell 4 (id ex1-solution): metadata.tags must be a list of strings"),
]


@pytest.mark.parametrize("write, why", MALFORMED, ids=["invalid-json", "empty", "array", "empty-object", "string-tags"])
def test_a_malformed_notebook_gets_one_line_naming_it_and_leaks_nothing(tmp_path, capsys, write, why):
    bad = tmp_path / "BAD.ipynb"
    write(bad)
    out, course = tmp_path / "out", tmp_path / "course"
    assert editions.main(["student", str(bad), "--out", str(out), "--course", str(course)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and why in lines[0], lines
    assert not out.exists() and not course.exists()  # nothing released, so nothing leaks


def test_the_command_line_gives_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "BAD.ipynb"
    _tags_as_a_string(bad)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.editions",
            "student",
            str(bad),
            "--out",
            str(tmp_path / "out"),
            "--course",
            str(tmp_path / "course"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr + run.stdout
    assert run.stderr.strip() == (
        f"error: {bad}, cell 4 (id ex1-solution): metadata.tags must be a list of strings, not 'solution'"
    )
    assert not (tmp_path / "out").exists()


def test_grading_a_folder_without_submissions_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "subs" / "alice" / "other.ipynb").write_text("{}", encoding="utf-8")
    assert (
        editions.main(
            [
                "grade",
                str(tmp_path / "subs"),
                str(FIXTURE),
                "--out",
                str(tmp_path / "out"),
                "--course",
                str(tmp_path / "c"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "no submission found" in err and "other.ipynb is none of this course's notebooks" in err
    assert not (tmp_path / "c").exists()


def test_both_layouts_of_a_submission_are_read_and_grading_never_reads_inside_its_course(tmp_path, capsys):
    flat, collected = tmp_path / "ann" / "exercises.ipynb", tmp_path / "bo" / "exercises" / "exercises.ipynb"
    for path in (flat, collected):  # DIR/<student>/NAME.ipynb, and nbgrader collect's .../NAME/NAME.ipynb
        path.parent.mkdir(parents=True)
        path.write_text("{}", encoding="utf-8")
    assert classroom._submitted(tmp_path / "ann", "exercises") == flat
    assert classroom._submitted(tmp_path / "bo", "exercises") == collected
    assert classroom._submitted(tmp_path / "ann", "other") is None
    course = tmp_path / "course"
    (course / "submitted").mkdir(parents=True)
    args = ["grade", str(course / "submitted"), str(FIXTURE), "--course", str(course), "--out", str(tmp_path)]
    assert editions.main(args) == 1
    assert "lies inside the course directory" in capsys.readouterr().err
