"""tools/classroom.py: the student edition released by nbgrader; a class graded submission by submission,
each in a sandbox of its own, judged where no student code runs.

The fast tests read, repair and scan hand-made submissions without running anything. The tests marked
``slow`` grade a made-up class of the tiny course ``tests/fixtures/classroom/`` (its checks registered by
``tiny_checks.py``) — every case of issue 19: solutions in other styles, process deaths, timeouts,
damaged files and metadata, edited structure, cheats, attempts to read solutions and reach the
network — and the real notebooks (instructor edition full marks, release 0).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
import torch
from helpers import body_lines

from tools import classroom, commands, sandbox
from tools.cells import local_images, read_notebook, source, tags
from tools.exercises import exercises, nbgrader_source
from tools.feedback import ExerciseReport, student_page
from tools.paths import ROOT
from tools.submissions import Unreadable, read_cells, repair, uses_reference

pytest.importorskip("nbgrader", reason="the classroom extra (make test installs it)")

FIXTURE = ROOT / "tests" / "fixtures" / "notebooks" / "exercises.ipynb"
TINY = ROOT / "tests" / "fixtures" / "classroom" / "tiny.ipynb"
TINY_CHECKS = ROOT / "tests" / "fixtures" / "classroom" / "tiny_checks.py"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALL = NOTEBOOKS + [FIXTURE]
IDS = [p.stem for p in ALL]
CHECKS = ["check-ex1-check", "check-ex2-check", "check-ex3-check"]
TIMEOUT = 10  # seconds per check in the class graded here (the sleeper runs past it)


def _sandbox_or_skip():
    why = sandbox.problem()
    if why and os.environ.get("CI"):
        pytest.fail(f"CI must run the sandboxed grading tests: {why}")
    if why:
        pytest.skip(why)


# --- the tiny course, released once per test session --------------------------------------------------


@pytest.fixture(scope="module")
def tiny_release(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny-release")
    (released,) = classroom.release([TINY], out / "student")
    return released


def _solved(released: Path, **bodies: str) -> nbformat.NotebookNode:
    """The release with the instructor's solutions and answers put back; ``ex1="..."`` replaces one."""
    nb, instructor = nbformat.read(released, as_version=4), read_notebook(TINY)
    by_id = {c.id: c for c in instructor.cells}
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):  # exercises and answers
            cell.source = bodies.get(cell.id.split("-")[0], source(by_id[cell.id]))
    return nb


def _cell(nb, cell_id: str):
    return next(c for c in nb.cells if c.get("id") == cell_id)


# --- reading: whatever the file holds, one line says why it is unreadable --------------------------------


def _deep(n: int) -> str:
    return "[" * n + "]" * n


@pytest.mark.parametrize(
    "text, why",
    [
        ('{"cells": [', "invalid JSON"),
        ("", "the file is empty"),
        ("[]", "not an object with a 'cells' list"),
        ("{}", "not an object with a 'cells' list"),
        ('{"cells": [], "metadata": {"x": ' + _deep(3000) + "}}", "nests arrays or objects more than 100 deep"),
        ('{"cells": [], "nbformat": ' + "7" * 5000 + "}", "an integer literal of 5000 digits"),
        ('{"cells": [], "nbformat": 4, "metadata": {"n": ' + "9" * 5000 + "}}", "5000 digits"),
    ],
    ids=["invalid-json", "empty", "array", "empty-object", "3000-deep", "5000-digits", "5000-digits-metadata"],
)
def test_an_unreadable_file_gets_one_line_saying_why(tmp_path, text, why):
    path = tmp_path / "x.ipynb"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Unreadable) as err:
        read_cells(path)
    assert why in str(err.value) and "\n" not in str(err.value)


def test_damaged_cell_metadata_is_read_as_far_as_it_goes(tmp_path):
    nb = json.loads(TINY.read_text(encoding="utf-8"))
    nb["cells"][3]["metadata"]["nbgrader"] = "oops"
    nb["cells"][4]["metadata"] = {"nbgrader": {"grade_id": ["x"], "grade": True}}
    nb["cells"][5]["source"] = {"not": "text"}
    nb["cells"].append(7)
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    cells, notes = read_cells(path)
    assert [c.id for c in cells] == [c["id"] for c in nb["cells"][:-1]]
    assert cells[3].nbgrader is None and cells[3].damaged == 'metadata.nbgrader is "oops", not an object'
    assert cells[4].grade_id is None and "grade_id is list" in cells[4].damaged
    assert cells[5].source == "" and any("source is not text" in n for n in notes)
    assert any("not a JSON object" in n for n in notes)


# --- repairing the structure against the release (no kernel, no sandbox) -----------------------------------


@pytest.fixture(scope="module")
def release_cells(tmp_path_factory):
    """The tiny course's cells with nbgrader's metadata (as nbgrader's source; stubs do not matter here)."""
    path = tmp_path_factory.mktemp("rel") / "tiny.ipynb"
    nbformat.write(nbgrader_source(read_notebook(TINY), TINY), path)
    return read_cells(path)[0], path


def _submitted(tmp_path, release_cells, change) -> tuple:
    nb = nbformat.read(release_cells[1], as_version=4)
    change(nb)
    path = tmp_path / "sub.ipynb"
    nbformat.write(nb, path)
    return repair(release_cells[0], read_cells(path)[0])


def _copy_of(nb, cell_id, new_id, **changes):
    cell = copy.deepcopy(_cell(nb, cell_id))
    cell.id = new_id
    for key, value in changes.items():
        setattr(cell, key, value) if key == "source" else cell.metadata.nbgrader.update({key: value})
    nb.cells.insert(nb.cells.index(_cell(nb, cell_id)) + 1, cell)
    return cell


def _events(fixed) -> dict[str, str]:
    return {e.cell: e.what for e in fixed.events}


def test_an_untouched_submission_needs_no_repair(tmp_path, release_cells):
    fixed = _submitted(tmp_path, release_cells, lambda nb: None)
    assert fixed.events == [] and set(fixed.solutions) == {
        "exercise-ex1-solution",
        "exercise-ex2-solution",
        "exercise-ex3-solution",
    }
    assert [label for label, _, _ in fixed.code][:3] == ["cell-setup", "exercise-ex1-solution", "check-ex1-check"]


def test_a_copied_check_and_a_copied_exercise_are_dropped(tmp_path, release_cells):
    def change(nb):
        _copy_of(nb, "ex1-check", "pasted-check", source="print('PASSED')")
        _copy_of(nb, "ex2-solution", "pasted-solution", source="def rsample(*a):\n    return 0")

    fixed = _submitted(tmp_path, release_cells, change)
    events = _events(fixed)
    assert "a second cell with this grade id" in events["check-ex1-check"]
    assert "a second cell with this grade id" in events["exercise-ex2-solution"]
    assert "return 0" not in fixed.solutions["exercise-ex2-solution"]  # the original (its cell id) is kept
    assert not any("PASSED" in src for _, src, _ in fixed.code)


def test_renamed_repointed_and_added_graded_cells(tmp_path, release_cells):
    def change(nb):
        _cell(nb, "ex2-check").metadata.nbgrader.grade_id = "check-mine"  # renamed
        _cell(nb, "ex3-solution").metadata.nbgrader.grade_id = "exercise-other"  # renamed exercise
        _copy_of(nb, "q1", "bonus", grade_id="bonus", grade=True, points=5)  # added
        _copy_of(nb, "outro", "fake", grade_id="check-ex1-check", source="print('PASSED')")  # re-pointed

    fixed = _submitted(tmp_path, release_cells, change)
    events = _events(fixed)
    assert "renamed to 'check-mine'; matched by its cell id" in events["check-ex2-check"]
    assert "renamed to 'exercise-other'" in events["exercise-ex3-solution"]
    assert fixed.solutions["exercise-ex3-solution"] is not None
    assert events["bonus"] == "a graded cell that is not in the release: dropped"
    assert "a second cell with this grade id" in events["check-ex1-check"]
    assert not any("PASSED" in src for _, src, _ in fixed.code)


def test_a_deleted_exercise_is_missing_and_points_on_an_exercise_are_ignored(tmp_path, release_cells):
    def change(nb):
        nb.cells.remove(_cell(nb, "ex2-solution"))
        nb.cells.remove(_cell(nb, "ex2-check"))
        _cell(nb, "ex1-solution").metadata.nbgrader.update(grade=True, points=10)

    fixed = _submitted(tmp_path, release_cells, change)
    events = _events(fixed)
    assert fixed.solutions["exercise-ex2-solution"] is None and "missing" in events["exercise-ex2-solution"]
    assert events["check-ex2-check"] == "deleted: restored from the release"
    assert "ex2-check" in " ".join(label for label, _, _ in fixed.code)
    assert events["exercise-ex1-solution"] == "grading metadata added to an exercise cell: ignored"


def test_damaged_metadata_is_matched_by_cell_id(tmp_path, release_cells):
    def change(nb):
        _cell(nb, "ex1-solution").metadata.nbgrader = "oops"
        _cell(nb, "ex2-solution").metadata.nbgrader.grade_id = ["x"]

    fixed = _submitted(tmp_path, release_cells, change)
    events = _events(fixed)
    assert 'metadata.nbgrader is "oops"' in events["exercise-ex1-solution"]
    assert "grade_id is list" in events["exercise-ex2-solution"]
    assert fixed.solutions["exercise-ex1-solution"] and fixed.solutions["exercise-ex2-solution"]


def test_a_students_own_cells_join_the_namespace_after_the_cell_they_follow(tmp_path, release_cells):
    def change(nb):
        own = nbformat.v4.new_code_cell("def helper(x):\n    return 2 * x")
        nb.cells.insert(nb.cells.index(_cell(nb, "ex2-text")), own)

    fixed = _submitted(tmp_path, release_cells, change)
    labels = [label for label, _, _ in fixed.code]
    assert labels.index("check-ex1-check") < next(i for i, x in enumerate(labels) if x.startswith("your cell"))
    assert "def helper(x)" in fixed.student_code[0]


# --- the reference implementation handed in -----------------------------------------------------------

REFS = ("seminar_utils.losses.gaussian_log_likelihood", "torch.distributions.Normal", "seminar_utils.vae.MLPEncoder")


@pytest.mark.parametrize(
    "code, found",
    [
        (
            "from seminar_utils.losses import gaussian_log_likelihood as f\ndef log_density(x, m, s):\n    return f(x, m, s)",
            0,
        ),
        (
            "import seminar_utils.losses\ndef g(x, m, s):\n    return seminar_utils.losses.gaussian_log_likelihood(x, m, s)",
            0,
        ),
        ("def g(x, m, s):\n    return losses.gaussian_log_likelihood(x, m, s)", 0),
        ("def g(x, m, s):\n    return torch.distributions.Normal(m, s.exp()).log_prob(x).sum(-1)", 1),
        ("import torch.distributions as D\ndef g(x, m, s):\n    return D.Normal(m, s.exp()).log_prob(x).sum(-1)", 1),
        ("from seminar_utils.vae import MLPEncoder\nclass Encoder(MLPEncoder):\n    pass", 2),
        ("class Encoder(models.MLPEncoder):\n    pass", 2),
        ("def g(x, m, s):\n    return getattr(losses, 'gaussian_log_likelihood')(x, m, s)", 0),
    ],
    ids=["import", "dotted-import", "attribute", "one-liner", "aliased-module", "subclass", "subclass-attr", "getattr"],
)
def test_the_reference_handed_in_is_found(code, found):
    used = uses_reference([code], REFS)
    assert len(used) == 1 and used[0].startswith(REFS[found] + " (")


METHOD = ("seminar_utils.vae.VAE.loss_terms", "seminar_utils.losses.elbo")


@pytest.mark.parametrize(
    "code, found",
    [
        ("class VAE2D(VAE):\n    pass", "seminar_utils.vae.VAE.loss_terms (subclasses VAE)"),
        ("class VAE2D(models.VAE):\n    pass", "seminar_utils.vae.VAE.loss_terms (subclasses VAE)"),
        (
            "class VAE2D(nn.Module):\n    def loss_terms(self, x):\n        return VAE.loss_terms(self, x)",
            "seminar_utils.vae.VAE.loss_terms (uses VAE.loss_terms)",
        ),
        (
            "class VAE2D(nn.Module):\n    def elbo(self, x):\n        return losses.elbo(x, 0, 0, None)",
            "seminar_utils.losses.elbo (uses losses.elbo)",
        ),
        (
            "class VAE2D(nn.Module):\n    def loss_terms(self, x):\n        return 0\n\n"
            "    def elbo(self, x):\n        return -self.loss_terms(x)",
            None,
        ),
    ],
    ids=["subclass", "subclass-dotted", "owner-call", "module-function", "own-methods"],
)
def test_a_method_of_the_students_own_is_not_the_reference(code, found):
    assert uses_reference([code], METHOD) == ([found] if found else [])


def test_the_reference_scan_reads_the_exercise_and_what_binds_its_names(tmp_path, release_cells):
    def change(nb):
        _cell(
            nb, "ex1-solution"
        ).source = "from seminar_utils.vae import MLPEncoder\n\nclass Mine(MLPEncoder):\n    pass"
        _cell(nb, "ex2-solution").source = "from seminar_utils.vae import MLPEncoder as Encoder"
        nb.cells.append(nbformat.v4.new_code_cell("import math"))

    fixed = _submitted(tmp_path, release_cells, change)
    assert fixed.own_code == ["import math"]
    ex3 = fixed.code_for("exercise-ex3-solution", ("Encoder",))
    assert "from seminar_utils.vae import MLPEncoder as Encoder" in ex3  # rebinds Encoder elsewhere
    assert not any("class Mine" in src for src in ex3)  # another exercise's business
    assert uses_reference(ex3, ("seminar_utils.vae.MLPEncoder",))


def test_independent_solutions_and_docstrings_are_not_the_reference():
    loop = (
        'def log_density(x, mu, log_sigma):\n    """Like gaussian_log_likelihood, by hand."""\n'
        "    out = torch.zeros(x.shape[0], dtype=x.dtype)\n    for d in range(x.shape[1]):\n"
        "        s = math.exp(1) ** log_sigma[:, d]\n"
        "        out += -((x[:, d] - mu[:, d]) ** 2) / (2 * s**2) - torch.log(s * math.sqrt(2 * math.pi))\n"
        "    return out\n"
        "class Encoder(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    )
    assert uses_reference([loop, "not python (", "%timeit f()"], REFS) == []
    hidden = "x = 1\n" * 40_000 + "from seminar_utils.losses import gaussian_log_likelihood"
    assert uses_reference([hidden], REFS) == [f"{REFS[0]} (a cell of 240,056 characters, too large to scan)"]


# --- feedback pages escape what students wrote ---------------------------------------------------------


def test_feedback_escapes_student_text():
    hostile = "<script>alert(1)</script>"
    page = student_page(
        hostile,
        "tiny",
        1,
        5,
        [ExerciseReport("check-ex1-check", "tiny/log_density", 0, 1, [f"✗ raised ValueError: {hostile}"], [hostile])],
        [("answer-q1-answer", hostile, 1)],
        [f"{hostile}: dropped"],
        [hostile],
    )
    assert (
        "<script>" not in page and page.count("&lt;script&gt;") == 7
    )  # title, heading, verdict, flag, answer, event, note
    assert "0 of 1" in page and "Score: 1 of 5" in page


def test_check_keys_are_parsed_never_run():
    assert classroom.check_key('# NBVAL_CHECK_OUTPUT\ncheck("01_em_gmm/gaussian_log_pdf", globals())') == (
        "01_em_gmm/gaussian_log_pdf"
    )
    assert classroom.check_key("print(f'{x}: {check}')") is None
    assert classroom.check_key("%%time\nimport os\nos.system('x')") is None


def test_bad_arguments_are_one_clear_error(tmp_path, capsys):
    (tmp_path / "subs" / "a").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "subs" / "a" / "tiny.ipynb")
    base = ["grade", str(tmp_path / "subs"), str(TINY), "--out", str(tmp_path / "o"), "--course", str(tmp_path / "c")]
    assert commands.main([*base, "--timeout", "0"]) == 1
    assert "timeout must be a positive number, got 0" in capsys.readouterr().err
    (tmp_path / "m.csv").write_text("student,notebook,cell,score\na,tiny,answer-q1-answer,lots\n", encoding="utf-8")
    assert commands.main([*base, "--manual", str(tmp_path / "m.csv")]) == 1
    assert "m.csv, line 2: expected the columns student,notebook,cell,score" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


# --- the release (nbgrader generate_assignment), as before ---------------------------------------------


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    base = tmp_path_factory.mktemp("classroom")
    return dict(zip(IDS, classroom.release(ALL, base / "student")))


@pytest.mark.slow
@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_release_is_self_contained_locked_and_leaks_no_solution(released, path):
    instructor, nb = read_notebook(path), read_notebook(released[path.stem])
    folder = released[path.stem].parent
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


# --- the real notebooks: the instructor edition full marks, the release 0 ---------------------------------


@pytest.fixture(scope="module")
def real_class(released, tmp_path_factory):
    _sandbox_or_skip()
    subs = tmp_path_factory.mktemp("real") / "subs"
    for path in NOTEBOOKS:
        nb, instructor = nbformat.read(released[path.stem], as_version=4), read_notebook(path)
        by_id = {c.id: c for c in instructor.cells}
        (subs / "release").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, subs / "release" / path.name)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = source(by_id[cell.id])
        (subs / "instructor").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, subs / "instructor" / path.name)
    out = subs.parent / "out"
    table = classroom.grade(subs, out, subs.parent / "course", NOTEBOOKS, timeout=120)
    with table.open(encoding="utf-8") as f:
        return list(csv.DictReader(f)), out


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS[:-1])
def test_instructor_edition_full_marks_and_release_zero_on_every_registered_check(real_class, path):
    rows, out = real_class
    mine = {r["cell"]: r for r in rows if r["student"] == "instructor" and r["notebook"] == path.stem}
    theirs = {r["cell"]: r for r in rows if r["student"] == "release" and r["notebook"] == path.stem}
    instructor = read_notebook(path)
    checks = [r for r in mine.values() if r["kind"] == "check"]
    assert len(checks) == len(exercises(instructor, path))
    registered = [r for r in checks if r["score"] != ""]
    for r in registered:
        assert float(r["score"]) == float(r["max_score"]) == 1, r
        assert float(theirs[r["cell"]]["score"]) == 0, theirs[r["cell"]]
    for r in checks:
        if r["score"] == "":
            assert "graded by hand" in r["flag"]
    assert float(mine["total"]["score"]) == len(registered) and float(theirs["total"]["score"]) == 0
    assert (out / "feedback" / "instructor" / f"{path.stem}.html").is_file()
    assert (out / "answers" / f"{path.stem}.html").is_file() == any(r["kind"] == "answer" for r in mine.values())


# --- a made-up class of the tiny course, graded in one run ---------------------------------------------

LOOPS = {  # correct, written in other styles: loops, another formula, layers held one by one
    "ex1": (
        "def log_density(x, mu, log_sigma):\n    total = torch.zeros(x.shape[0], dtype=x.dtype)\n"
        "    for d in range(x.shape[1]):\n        var = torch.exp(2 * log_sigma[:, d])\n"
        "        total = total - 0.5 * torch.log(2 * math.pi * var) - (x[:, d] - mu[:, d]) ** 2 / (2 * var)\n"
        "    return total"
    ),
    "ex2": "def rsample(mu, log_sigma, eps):\n    sigma = torch.sqrt(torch.exp(2 * log_sigma))\n    return eps * sigma + mu",
    "ex3": (
        "class Encoder(nn.Module):\n    def __init__(self, x_dim, z_dim, hidden=(8, 8)):\n        super().__init__()\n"
        "        sizes = [x_dim, *hidden, 2 * z_dim]\n"
        "        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))\n\n"
        "    def forward(self, x):\n        for layer in self.layers[:-1]:\n            x = torch.relu(layer(x))\n"
        "        out = self.layers[-1](x)\n        half = out.shape[-1] // 2\n        return out[:, :half], out[:, half:]"
    ),
}
WRONG = "def log_density(x, mu, log_sigma):\n    return torch.zeros(x.shape[0], dtype=x.dtype)"


def _at_load(code: str) -> str:
    """A solution cell that runs ``code`` while its definitions load (a class body runs), then is wrong."""
    body = "\n".join("    " + ln for ln in code.splitlines())
    return f"import builtins, sys, os\n\nclass _Sneak:\n{body}\n\n{WRONG}"


def _reader(path: Path, cell_id: str) -> str:
    """A log_density that reads a notebook it should not see and runs the solution found there."""
    return (
        "def log_density(x, mu, log_sigma):\n    import json\n"
        f"    nb = json.load(open({str(path)!r}))\n"
        f"    src = ''.join(next(c['source'] for c in nb['cells'] if c.get('id') == {cell_id!r}))\n"
        "    src = src.replace('### BEGIN SOLUTION', '').replace('### END SOLUTION', '')\n"
        "    found = {'torch': torch, 'math': math}\n    exec(src, found)\n"
        "    return found['log_density'](x, mu, log_sigma)"
    )


def _caller(port: int) -> str:
    """An rsample that gives the right answer only when it reaches a server on 127.0.0.1:port."""
    return (
        "def rsample(mu, log_sigma, eps):\n    import socket\n"
        f"    with socket.create_connection(('127.0.0.1', {port}), timeout=3) as s:\n"
        "        s.sendall(b'hello')\n    return mu + torch.exp(log_sigma) * eps"
    )


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port, self.accepted = self.sock.getsockname()[1], 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


def _class(base: Path, released: Path, listener: Listener) -> dict[str, object]:
    """``{student: notebook or raw text}``: the class of issue 19."""
    course_source = base / "course" / "source" / "tiny" / "tiny.ipynb"
    solved = lambda **b: _solved(released, **b)
    students: dict[str, object] = {
        "alice": solved(),
        "loops": solved(**LOOPS),
        "release": nbformat.read(released, as_version=4),
        # processes that die, hang or blow up
        "killer": solved(ex1="def log_density(x, mu, log_sigma):\n    import os\n    os.kill(os.getpid(), 9)"),
        "loadkill": solved(ex1=_at_load("os.kill(os.getpid(), 9)")),
        "segv": solved(ex2="def rsample(mu, log_sigma, eps):\n    import ctypes\n    return ctypes.string_at(0)"),
        "hog": solved(
            ex1="def log_density(x, mu, log_sigma):\n    return bytearray(1 << 44)",
            ex2="def rsample(mu, log_sigma, eps):\n    return torch.empty(1 << 40)",
        ),
        "sleeper": solved(ex3="class Encoder:\n    def __init__(self, *a):\n        while True:\n            pass"),
        "exits": solved(ex2="def rsample(mu, log_sigma, eps):\n    import os\n    os._exit(0)"),
        # cheats
        "patcher": solved(
            ex1=_at_load(
                "import seminar_utils.losses as L, torch\n"
                "L.gaussian_log_likelihood = lambda *a, **k: torch.zeros(6, dtype=torch.float64)\n"
                "torch.allclose = lambda *a, **k: True\nbuiltins.same = lambda *a: True"
            )
        ),
        "printer": solved(
            ex1=_at_load(
                "_print = builtins.print\n"
                "builtins.print = lambda *a, **k: _print(*(str(x).replace('False', 'True') for x in a), **k)"
            )
        ),
        "stdout": solved(
            ex1=_at_load("print('log_density: PASSED', flush=True)\nimport io\nsys.stdout = io.StringIO()")
        ),
        "equal": solved(
            ex1="class Yes:\n    def __eq__(self, other):\n        return True\n\n"
            "def log_density(x, mu, log_sigma):\n    return Yes()"
        ),
        "subtensor": solved(
            ex1="class Yes(torch.Tensor):\n    def __eq__(self, other):\n        return True\n\n"
            "def log_density(x, mu, log_sigma):\n    return torch.zeros(6).as_subclass(Yes)"
        ),
        "importer": solved(ex1="from seminar_utils.losses import gaussian_log_likelihood as log_density"),
        "subclass": solved(ex3="from seminar_utils.vae import MLPEncoder\n\nclass Encoder(MLPEncoder):\n    pass"),
        "oneliner": solved(
            ex1="def log_density(x, mu, log_sigma):\n"
            "    return torch.distributions.Normal(mu, log_sigma.exp()).log_prob(x).sum(-1)"
        ),
        "reader": solved(ex1=_reader(TINY, "ex1-solution")),
        "coursereader": solved(ex1=_reader(course_source, "ex1-solution")),
        "peeker": solved(ex1=_reader(base / "subs" / "alice" / "tiny.ipynb", "ex1-solution")),
        "caller": solved(ex2=_caller(listener.port)),
        "deepsrc": solved(ex1="X = " + _deep(3000) + "\n\n" + WRONG.replace("zeros", "ones")),
        "bigint": solved(ex2="N = " + "7" * 5000 + "\n\ndef rsample(mu, log_sigma, eps):\n    return mu"),
    }
    # structure
    nb = solved()
    _copy_of(nb, "ex1-check", "pasted-check", source="print('PASSED')")
    _copy_of(nb, "ex2-solution", "pasted-solution", source="def rsample(*a):\n    return 0")
    students["copied"] = nb
    nb = solved()
    _cell(nb, "ex2-check").metadata.nbgrader.grade_id = "check-mine"
    _cell(nb, "ex3-solution").metadata.nbgrader.grade_id = "exercise-other"
    students["renamed"] = nb
    nb = solved()
    _copy_of(nb, "q1", "bonus", grade_id="bonus", grade=True, points=5)
    _copy_of(nb, "outro", "fake", grade_id="check-ex1-check", source="print('PASSED')")
    students["added"] = nb
    nb = solved()
    nb.cells.remove(_cell(nb, "ex2-solution"))
    nb.cells.remove(_cell(nb, "ex2-check"))
    students["skipped"] = nb
    nb = solved()
    _cell(nb, "ex1-solution").metadata.nbgrader.update(grade=True, points=10)
    students["points10"] = nb
    nb = solved()
    _cell(nb, "ex1-solution").metadata.nbgrader = "oops"
    _cell(nb, "ex2-solution").metadata.nbgrader.grade_id = ["x"]
    students["oops"] = nb
    students["deep"] = '{"cells": [], "metadata": {"x": ' + _deep(3000) + "}}"
    students["digits"] = '{"cells": [], "nbformat": 4, "nbformat_minor": ' + "5" * 5000 + "}"
    students["broken"] = '{"cells": ['
    return students


def _write_class(subs: Path, students: dict[str, object]) -> None:
    for student, nb in students.items():
        (subs / student).mkdir(parents=True, exist_ok=True)
        if isinstance(nb, str):
            (subs / student / "tiny.ipynb").write_text(nb, encoding="utf-8")
        else:
            nbformat.write(nb, subs / student / "tiny.ipynb")


def _grade(subs: Path, base: Path, **kw) -> dict[str, dict[str, dict]]:
    table = classroom.grade(
        subs, base / "out", base / "course", [TINY], timeout=TIMEOUT, check_modules=[TINY_CHECKS], **kw
    )
    with table.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    found: dict[str, dict[str, dict]] = {}
    for r in rows:
        found.setdefault(r["student"], {})[r["cell"]] = r
    return found


@pytest.fixture(scope="module")
def tiny_class(tiny_release, tmp_path_factory):
    _sandbox_or_skip()
    base = tmp_path_factory.mktemp("tiny-class")
    listener = Listener()
    students = _class(base, tiny_release, listener)
    _write_class(base / "subs", students)
    (base / "out").mkdir()
    (base / "out" / "grades.csv").write_text("stale\n", encoding="utf-8")
    rows = _grade(base / "subs", base)
    listener.sock.close()
    return {"base": base, "rows": rows, "students": students, "listener": listener}


def _scores(rows, student) -> list[float | str]:
    return [float(rows[student][c]["score"]) if rows[student][c]["score"] else "" for c in CHECKS]


def _page(cls, student) -> str:
    return (cls["base"] / "out" / "feedback" / student / "tiny.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_submission_has_its_total_row_and_its_feedback(tiny_class):
    rows = tiny_class["rows"]
    assert set(rows) == set(tiny_class["students"])
    for student in tiny_class["students"]:
        assert float(rows[student]["total"]["max_score"]) == 5, student  # 3 checks and 2 answers, never 10
        assert (tiny_class["base"] / "out" / "feedback" / student / "tiny.html").is_file()
    assert (tiny_class["base"] / "out" / "grades.previous.csv").read_text(encoding="utf-8") == "stale\n"


@pytest.mark.slow
@pytest.mark.parametrize("student", ["alice", "loops", "copied", "renamed", "added", "points10", "oops"])
def test_correct_solutions_keep_full_marks_whatever_the_style_or_the_repair(tiny_class, student):
    rows = tiny_class["rows"]
    assert _scores(rows, student) == [1.0, 1.0, 1.0], rows[student]
    assert float(rows[student]["total"]["score"]) == 3
    if student in ("alice", "loops"):
        assert rows[student]["total"]["flag"] == "2 to grade by hand"
    else:
        assert rows[student]["total"]["flag"].startswith("repaired: "), rows[student]["total"]


@pytest.mark.slow
def test_repairs_are_flagged_in_the_csv_and_the_feedback(tiny_class):
    rows = tiny_class["rows"]
    assert "a second cell with this grade id" in rows["copied"]["check-ex1-check"]["flag"]
    assert "renamed to 'check-mine'" in rows["renamed"]["check-ex2-check"]["flag"]
    assert "bonus: a graded cell that is not in the release: dropped" in rows["added"]["total"]["flag"]
    assert "grading metadata added to an exercise cell: ignored" in rows["points10"]["check-ex1-check"]["flag"]
    assert 'metadata.nbgrader is "oops"' in rows["oops"]["check-ex1-check"]["flag"]
    assert _scores(rows, "skipped") == [1.0, 0.0, 1.0]
    assert "the exercise is missing" in rows["skipped"]["check-ex2-check"]["flag"]
    assert "the exercise cell is missing" in _page(tiny_class, "skipped")
    assert "Your notebook was repaired before grading" in _page(tiny_class, "renamed")


@pytest.mark.slow
@pytest.mark.parametrize(
    "student, scores, reason",
    [
        ("release", [0.0, 0.0, 0.0], "log_density: not written yet"),
        ("killer", [0.0, 1.0, 1.0], "the process was killed (signal 9"),
        ("loadkill", [0.0, 1.0, 1.0], "log_density not defined"),
        ("segv", [1.0, 0.0, 1.0], "the process crashed (SIGSEGV)"),
        ("hog", [0.0, 0.0, 1.0], "raised MemoryError"),
        ("sleeper", [1.0, 1.0, 0.0], f"timed out (over {TIMEOUT} s)"),
        ("exits", [1.0, 0.0, 1.0], "the process exited (status 0) before it finished"),
        ("deepsrc", [0.0, 1.0, 1.0], "log_density not defined"),
        ("bigint", [1.0, 0.0, 1.0], "rsample not defined"),
    ],
)
def test_a_broken_submission_costs_only_its_own_points(tiny_class, student, scores, reason):
    rows = tiny_class["rows"]
    assert _scores(rows, student) == scores, rows[student]
    assert reason in _page(tiny_class, student)


@pytest.mark.slow
def test_the_cause_of_a_death_is_in_the_csv_and_what_failed_to_load_in_the_feedback(tiny_class):
    rows = tiny_class["rows"]
    assert "the process was killed (signal 9" in rows["killer"]["check-ex1-check"]["flag"]
    assert "check-ex1-check: the process was killed (signal 9" in rows["killer"]["total"]["flag"]
    assert "timed out" in rows["sleeper"]["check-ex3-check"]["flag"]
    assert "exercise-ex1-solution: the process was killed" in _page(tiny_class, "loadkill")
    assert "left out" in _page(tiny_class, "loadkill")


@pytest.mark.slow
@pytest.mark.parametrize("student", ["deep", "digits", "broken"])
def test_an_unreadable_notebook_scores_zero_and_says_why(tiny_class, student):
    row = tiny_class["rows"][student]
    assert list(row) == ["total"] and float(row["total"]["score"]) == 0
    assert row["total"]["flag"].startswith("unreadable: ")
    assert "could not be read" in _page(tiny_class, student)


@pytest.mark.slow
@pytest.mark.parametrize("student", ["patcher", "printer", "stdout", "equal", "subtensor"])
def test_cheats_on_the_kernel_earn_nothing(tiny_class, student):
    rows = tiny_class["rows"]
    assert _scores(rows, student) == [0.0, 1.0, 1.0], rows[student]


@pytest.mark.slow
def test_a_result_that_is_not_plain_data_says_so(tiny_class):
    assert "expected a torch.Tensor" in _page(tiny_class, "equal")
    assert "expected a torch.Tensor" in _page(tiny_class, "subtensor")


@pytest.mark.slow
@pytest.mark.parametrize(
    "student, cell, ref",
    [
        ("importer", "check-ex1-check", "seminar_utils.losses.gaussian_log_likelihood"),
        ("oneliner", "check-ex1-check", "torch.distributions.Normal"),
        ("subclass", "check-ex3-check", "seminar_utils.vae.MLPEncoder"),
    ],
)
def test_the_reference_handed_in_passes_its_check_but_is_flagged_with_zero(tiny_class, student, cell, ref):
    row = tiny_class["rows"][student][cell]
    assert float(row["score"]) == 0 and f"uses the reference implementation: {ref}" in row["flag"]
    assert "matches" in _page(tiny_class, student)  # the check itself passed: the instructor decides
    assert f"{cell}: uses the reference implementation" in tiny_class["rows"][student]["total"]["flag"]


@pytest.mark.slow
@pytest.mark.parametrize("student", ["reader", "coursereader", "peeker"])
def test_a_submission_cannot_read_solutions_or_other_students_files(tiny_class, student, tiny_release):
    nb = tiny_class["students"][student]
    code = source(_cell(nb, "ex1-solution"))
    found = {"torch": torch, "math": __import__("math")}
    exec(code, found)  # outside the sandbox, the same code finds the file and passes
    x, mu, log_sigma = torch.randn(3, 6, 4, dtype=torch.float64).unbind(0)
    from seminar_utils.losses import gaussian_log_likelihood

    assert torch.allclose(found["log_density"](x, mu, log_sigma), gaussian_log_likelihood(x, mu, log_sigma))
    assert _scores(tiny_class["rows"], student) == [0.0, 1.0, 1.0]
    assert "raised FileNotFoundError" in _page(tiny_class, student)


@pytest.mark.slow
def test_a_submission_cannot_reach_the_network(tiny_class):
    assert tiny_class["listener"].accepted == 0
    assert _scores(tiny_class["rows"], "caller") == [1.0, 0.0, 1.0]
    assert "raised ConnectionRefusedError" in _page(tiny_class, "caller")
    listener = Listener()  # outside the sandbox, the same code reaches it
    found = {"torch": torch}
    exec(_caller(listener.port), found)
    found["rsample"](torch.zeros(2), torch.zeros(2), torch.ones(2))
    for _ in range(100):  # the server's thread counts it a moment later
        if listener.accepted:
            break
        time.sleep(0.05)
    listener.sock.close()
    assert listener.accepted == 1


@pytest.fixture(scope="module")
def small_class(tiny_class, tmp_path_factory):
    """Three of the class graded again on their own, one at a time, with scores given by hand."""
    base = tmp_path_factory.mktemp("small-class")
    students = {s: tiny_class["students"][s] for s in ("alice", "killer", "importer")}
    _write_class(base / "subs", students)
    manual = base / "manual.csv"
    manual.write_text(
        "student,notebook,cell,score\nalice,tiny,answer-q1-answer,1\nalice,tiny,answer-q2-answer,0.5\n"
        "importer,tiny,check-ex1-check,1\n",
        encoding="utf-8",
    )
    return _grade(base / "subs", base, jobs=1, manual=manual)


@pytest.mark.slow
def test_a_submission_is_graded_as_if_it_were_alone(tiny_class, small_class):
    assert small_class["killer"] == tiny_class["rows"]["killer"]
    for cell in CHECKS:
        assert small_class["alice"][cell] == tiny_class["rows"]["alice"][cell]
        if cell != "check-ex1-check":
            assert small_class["importer"][cell] == tiny_class["rows"]["importer"][cell]


@pytest.mark.slow
def test_answers_wait_for_a_human_and_scores_given_by_hand_count(tiny_class, small_class):
    rows = tiny_class["rows"]
    assert rows["alice"]["answer-q1-answer"]["score"] == "" and rows["alice"]["answer-q1-answer"]["kind"] == "answer"
    answers = (tiny_class["base"] / "out" / "answers" / "tiny.html").read_text(encoding="utf-8")
    assert "Why does an encoder output" in answers and "YOUR ANSWER HERE" in answers  # the release's student
    assert "Any real number is a valid" in answers  # alice's answer (the instructor's)
    again = small_class
    assert again["alice"]["answer-q2-answer"]["score"] == "0.5" and again["alice"]["total"]["score"] == "4.5"
    assert again["alice"]["total"]["flag"] == ""
    assert again["importer"]["check-ex1-check"]["score"] == "1.0"
    assert "score given by hand" in again["importer"]["check-ex1-check"]["flag"]
    assert again["importer"]["total"]["score"] == "3.0"


@pytest.mark.slow
def test_a_failed_run_leaves_no_grades_csv_to_read_as_current(tmp_path, tiny_class):
    subs = tmp_path / "subs"
    _write_class(subs, {"alice": tiny_class["students"]["alice"]})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "grades.csv").write_text("old\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"nope\.py"):
        classroom.grade(subs, tmp_path / "out", tmp_path / "course", [TINY], check_modules=[tmp_path / "nope.py"])
    assert not (tmp_path / "out" / "grades.csv").exists()
    assert (tmp_path / "out" / "grades.previous.csv").read_text(encoding="utf-8") == "old\n"


@pytest.mark.slow
def test_the_command_line_grades_with_timeout_jobs_and_checks(tmp_path, tiny_class):
    _write_class(tmp_path / "subs", {"alice": tiny_class["students"]["alice"]})
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools",
            "grade",
            str(tmp_path / "subs"),
            str(TINY),
            "--out",
            str(tmp_path / "out"),
            "--course",
            str(tmp_path / "course"),
            "--timeout",
            "30",
            "--jobs",
            "1",
            "--checks",
            str(TINY_CHECKS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "1 notebook handed in" in run.stdout
    with (tmp_path / "out" / "grades.csv").open(encoding="utf-8") as f:
        assert [r["score"] for r in csv.DictReader(f) if r["cell"] == "total"] == ["3.0"]
