"""The classroom, offline: release the exercise editions (nbgrader), grade submissions (sandboxed).

A *course directory* holds nbgrader's folders and its ``nbgrader_config.py``; :func:`build_course`
writes a fresh one (``build/course/`` from the command line, or a temporary folder; never in the
user's home) and runs ``nbgrader generate_assignment`` inside it. Each notebook is one assignment
named after it (``01_em_gmm``), in a folder of its own with the pictures it shows (``pics/``):
self-contained, as nbgrader's exchange hands it out.

- :func:`release` — ``make student``: the release of every notebook, copied to ``build/student/NAME/``:
  solution bodies stubbed, answers replaced by "YOUR ANSWER HERE", outputs cleared, checks and lecture
  cells locked.
- :func:`grade` — ``make grade SUBMISSIONS=DIR``: every ``DIR/<student>/<notebook>.ipynb``, each on
  its own: read defensively and repaired against the release (:mod:`tools.submissions`), its
  definitions and each exercise's check ``run`` half executed in a sandbox of its own
  (:mod:`tools.sandbox`, :mod:`tools.grading_worker`), several at once, and the results judged here,
  where no student code runs (``Check.judge``). Writes ``grades.csv`` (replaced at the end, in one
  step), ``feedback/<student>/<notebook>.html`` and ``answers/<notebook>.html`` (:mod:`tools.feedback`).

nbgrader (the ``classroom`` extra) is imported only by :func:`release` and :func:`build_course`.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import torch

from seminar_utils.exercises import Verdict, plain

from . import sandbox
from .cells import EditionError, read_notebook
from .cells import source as cell_source
from .exercises import exercises, nbgrader_source, pictures
from .feedback import ExerciseReport, answers_page, student_page
from .sandbox import Limits
from .submissions import Cell, Unreadable, read_cells, repair, uses_reference

COURSE_ID = "latent-seminars"
STUB = '# YOUR CODE HERE\nraise NotImplementedError("Exercise: write this body (see the markdown above)")'
CONFIG = """# Written by tools/classroom.py: the nbgrader configuration of this course directory.
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course!r}
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
"""
FIELDS = ["student", "notebook", "cell", "kind", "score", "max_score", "flag"]


def _nbgrader(course: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``nbgrader ARGS`` in ``course``; its log on success, an :class:`EditionError` otherwise."""
    env = dict(os.environ if env is None else env)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # alembic
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True)
    log = run.stdout + run.stderr
    with (course / "nbgrader.log").open("a", encoding="utf-8") as f:
        f.write(
            f"$ nbgrader {' '.join(args)}\n{log}\n(exit {run.returncode} after {time.perf_counter() - start:.1f} s)\n\n"
        )
    if "Exception while loading config file" in log:  # nbgrader goes on without it: we do not
        raise EditionError(
            f"nbgrader could not load {course / 'nbgrader_config.py'}; the log: {course / 'nbgrader.log'}"
        )
    if run.returncode != 0:
        errors = [ln for ln in log.splitlines() if "| ERROR]" in ln or "Error:" in ln]
        raise EditionError(
            f"nbgrader {args[0]} failed ({errors[0].strip() if errors else 'exit '}"
            f"{'' if errors else run.returncode}); the log: {course / 'nbgrader.log'}"
        )
    return log


def build_course(paths: list[Path], course: Path) -> list[str]:
    """A fresh course directory at ``course`` with every notebook generated as an assignment.

    Returns the assignment names. ``course`` must be missing, empty or a course written here before;
    nothing is removed before every notebook has been read and translated.
    """
    sources, names = [], []
    for path in map(Path, paths):
        nb = read_notebook(path)
        sources.append((path, nbgrader_source(nb, path), pictures(nb, path)))
        names.append(path.stem)
    if len(set(names)) != len(names):
        raise EditionError(f"two notebooks share a name: {', '.join(sorted(names))}")
    if course.exists() and any(course.iterdir()) and not (course / "nbgrader_config.py").is_file():
        raise EditionError(f"{course}: not empty and not a course directory; choose another folder")
    shutil.rmtree(course, ignore_errors=True)
    for path, source, shown in sources:
        folder, root = course / "source" / path.stem, path.resolve().parent.parent
        folder.mkdir(parents=True, exist_ok=True)
        for file in shown.values():
            target = folder / file.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)
        nbformat.write(source, folder / path.name)
    (course / "nbgrader_config.py").write_text(
        CONFIG.format(root=str(course.resolve()), course=COURSE_ID, stub=STUB),
        encoding="utf-8",
    )
    _nbgrader(course, "generate_assignment", "*", "--force")
    return names


def release(paths: list[Path], out: Path, course: Path | None = None) -> list[Path]:
    """Build the student edition of each notebook into ``out/NAME/`` (``nbgrader generate_assignment``).

    ``course``: where nbgrader's course directory goes (default: a temporary folder). Returns the
    released notebooks.
    """
    with tempfile.TemporaryDirectory(prefix="nbgrader-course-") as tmp:
        course = Path(course or tmp)
        names = build_course(paths, course)
        written = []
        for name, path in zip(names, paths):
            target = out / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(course / "release" / name, target)
            written.append(target / Path(path).name)
        return written


def handed_in_count(table: Path) -> int:
    """How many notebooks a ``grades.csv`` grades (its ``total`` rows)."""
    with Path(table).open(encoding="utf-8", newline="") as f:
        return sum(row["cell"] == "total" for row in csv.DictReader(f))


def _submitted(student: Path, name: str) -> Path | None:
    """``student/NAME.ipynb``, or ``student/NAME/NAME.ipynb`` as ``nbgrader collect`` lays it out."""
    return next((p for p in (student / f"{name}.ipynb", student / name / f"{name}.ipynb") if p.is_file()), None)


# --- what is graded in each notebook ---------------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """An exercise as graded: its solution and check cells (grade ids), the key of the check its
    instructor source calls (``None`` when it calls none), its points and why it is not autograded."""

    solution: str
    cell: str
    key: str | None
    points: float
    manual: str = ""  # why this exercise is graded by hand ("" when a registered check grades it)


@dataclass
class Assignment:
    """One notebook: its released cells, its exercises and its answers ``(cell, question, points)``."""

    name: str
    release: list[Cell]
    exercises: list[Exercise]
    answers: list[tuple[str, str, float]]

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises) + sum(p for _, _, p in self.answers)


def check_key(src: str) -> str | None:
    """The key in a check cell's ``check("<key>", globals())`` call (parsed, never run); else ``None``."""
    try:
        tree = ast.parse("\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines()))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and (getattr(node.func, "id", None) == "check" or getattr(node.func, "attr", None) == "check")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            return node.args[0].value
    return None


def _load_check_modules(paths: list[Path]) -> None:
    """Import each extra check module (a ``.py`` file registering checks) once into this process."""
    for path in paths:
        path = Path(path).resolve()
        name = "_grading_checks_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
        if name in sys.modules:
            continue
        if not path.is_file():
            raise EditionError(f"--checks {path}: no such file (a Python module that registers checks)")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            del sys.modules[name]
            raise EditionError(f"--checks {path}: {type(err).__name__}: {err}") from None


def _assignment(path: Path, released: Path) -> Assignment:
    """The notebook ``path`` as graded, from its instructor source and its release ``released``."""
    from seminar_utils.exercises import get_check

    instructor = read_notebook(path)
    release, _ = read_cells(released)
    points = {c.grade_id: float(c.nbgrader.get("points", 0)) for c in release if c.graded}
    found = []
    for ex in exercises(instructor, path):
        sol, chk = instructor.cells[ex.solution], instructor.cells[ex.check]
        cell = f"check-{chk.get('id') or f'cell{ex.check}'}"
        key, manual = check_key(cell_source(chk)), ""
        if key is None:
            manual = "its check cell calls no registered check: graded by hand"
        else:
            try:
                get_check(key)
            except Exception as err:
                manual = f"check {key!r} is not available ({type(err).__name__}: {str(err)[:200]}): graded by hand"
        solution = f"exercise-{sol.get('id') or f'cell{ex.solution}'}"
        found.append(Exercise(solution, cell, key, points.get(cell, 0.0), manual))
    answers, question = [], ""
    for cell in release:
        if cell.solution and cell.cell_type == "markdown":
            answers.append((cell.grade_id, question, points.get(cell.grade_id, 0.0)))
        elif cell.cell_type == "markdown":
            question = cell.source
    return Assignment(path.stem, release, found, answers)


# --- grading ------------------------------------------------------------------------------------


@dataclass
class Graded:
    """One submitted notebook as graded: csv rows (without student and notebook) and its feedback."""

    rows: list[list] = field(default_factory=list)
    page: str = ""
    answers: dict[str, str | None] = field(default_factory=dict)
    seconds: float = 0.0


def _verdict(check, path: Path, limit: int) -> Verdict:
    """Check ``check``'s judgement of the result file ``path`` written in a sandbox (untrusted)."""
    try:
        if path.stat().st_size > limit:
            return Verdict(False, (f"✗ the result is larger than {limit:,} bytes",))
        result = torch.load(path, map_location="cpu", weights_only=True)
        if type(result) is not dict or result.get("status") not in ("ok", "error", "missing"):
            return Verdict(False, ("✗ the result is not one the grader wrote (was it overwritten?)",))
        if result["status"] != "ok":
            return Verdict(False, ("✗ " + str(result.get("message", ""))[:600],))
        return check.judge(plain(result.get("data")))
    except Exception as err:  # hostile data: a judge that cannot read it fails it
        return Verdict(False, (f"✗ the result could not be judged ({type(err).__name__}: {str(err)[:300]})",))


def _grade_one(student: str, path: Path, assignment: Assignment, work: Path, modules, limits: Limits) -> Graded:
    from seminar_utils.exercises import get_check

    out = Graded()
    max_total = assignment.max_score
    name = assignment.name
    try:
        cells, read_notes = read_cells(path)
    except Unreadable as err:
        why = f"unreadable: {err}"
        out.rows.append(["total", "total", 0, max_total, why])
        out.page = student_page(student, name, 0, max_total, [], [], [], [], unreadable=str(err))
        return out
    fixed = repair(assignment.release, cells)
    events = [str(e) for e in fixed.events]
    stubs = {c.grade_id: c.source for c in assignment.release if c.solution and c.cell_type == "code"}
    untouched = {  # the release's stub handed back: nothing to run (the stub raises NotImplementedError)
        e.solution
        for e in assignment.exercises
        if (fixed.solutions.get(e.solution) or "").strip() == (stubs.get(e.solution) or "—").strip()
    }
    runnable = [
        (i, e.key)
        for i, e in enumerate(assignment.exercises)
        if not e.manual and fixed.solutions.get(e.solution) is not None and e.solution not in untouched
    ]
    outcome = sandbox.Outcome()
    if runnable:
        cells_ = [(label, src) for label, src, _ in fixed.code]
        outcome = sandbox.run(work, cells_, runnable, modules, limits)
        out.seconds = outcome.seconds
    reports, flags = [], []
    for i, ex in enumerate(assignment.exercises):
        row_flags = [str(e) for e in fixed.events if e.cell in (ex.solution, ex.cell)]
        if ex.manual:
            reports.append(ExerciseReport(ex.cell, ex.key, None, ex.points, [], [ex.manual]))
            out.rows.append([ex.cell, "check", "", ex.points, "; ".join([ex.manual, *row_flags])])
            continue
        check = get_check(ex.key)
        if fixed.solutions.get(ex.solution) is None:
            verdict = Verdict(False, ("✗ the exercise cell is missing from your notebook",))
        elif ex.solution in untouched:
            verdict = Verdict(False, (f"✗ {', '.join(check.names)}: not written yet (the cell is as released)",))
        elif i in outcome.results:
            verdict = _verdict(check, outcome.results[i], int(limits.file_mb * 2**20))
        else:
            verdict = Verdict(False, (f"✗ {outcome.failures.get(i, 'no result came back')}",))
        used = uses_reference(fixed.code_for(ex.solution, check.names), check.references)
        score = ex.points if verdict.passed and not used else 0.0
        if used:
            row_flags.append(
                "uses the reference implementation: " + ", ".join(used) + " — 0 until the instructor decides"
            )
        if i in outcome.failures and i not in outcome.results:
            row_flags.append(outcome.failures[i])
            flags.append(f"{ex.cell}: {outcome.failures[i]}")
        reports.append(ExerciseReport(ex.cell, ex.key, score, ex.points, list(verdict.lines), row_flags))
        out.rows.append([ex.cell, "check", score, ex.points, "; ".join(row_flags)])
        flags += [f"{ex.cell}: {f}" for f in row_flags if f.startswith("uses the reference")]
    for cell, _, points in assignment.answers:
        out.answers[cell] = fixed.answers.get(cell)
        out.rows.append([cell, "answer", "", points, "" if out.answers[cell] is not None else "missing"])
    notes = read_notes + outcome.notes
    total = sum(r[2] for r in out.rows if r[2] != "")
    pending = sum(r[2] == "" for r in out.rows)
    summary = [*(["repaired: " + "; ".join(events)] if events else []), *flags]
    if pending:
        summary.append(f"{pending} to grade by hand")
    out.rows.append(["total", "total", total, max_total, "; ".join(summary)])
    answers = [(cell, out.answers[cell], points) for cell, _, points in assignment.answers]
    out.page = student_page(student, name, total, max_total, reports, answers, events, notes)
    return out


def _manual_scores(path: Path | None) -> dict[tuple[str, str, str], float]:
    """``{(student, notebook, cell): score}`` from a CSV with those columns (scores given by hand)."""
    if path is None:
        return {}
    try:
        with Path(path).open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as err:
        raise EditionError(f"--manual {path}: cannot read it ({err.strerror or err})") from None
    found = {}
    for n, row in enumerate(rows, start=2):
        try:
            found[row["student"], row["notebook"], row["cell"]] = float(row["score"])
        except (KeyError, TypeError, ValueError):
            raise EditionError(
                f"--manual {path}, line {n}: expected the columns student,notebook,cell,score with a number "
                f"as score, got {dict(row)!r}"
            ) from None
    return found


def grade(
    submissions: Path,
    out: Path,
    course: Path,
    paths: list[Path],
    full: bool = False,
    *,
    timeout: float = 60.0,
    jobs: int | None = None,
    memory_mb: int = 6144,
    check_modules: list[Path] = (),
    manual: Path | None = None,
) -> Path:
    """Grade ``submissions/<student>/<notebook>.ipynb`` (or ``.../<student>/NAME/NAME.ipynb``, as
    ``nbgrader collect`` leaves them); write ``out/grades.csv``, ``out/feedback/<student>/<notebook>.html``
    and ``out/answers/<notebook>.html``. Returns the csv's path.

    ``timeout``: seconds one cell or check may take in a submission's sandbox; ``jobs``: sandboxes at
    once (default: the machine's cores); ``memory_mb``: address space per submission;
    ``check_modules``: extra ``.py`` files that register checks (tests, new seminars); ``manual``: a CSV
    ``student,notebook,cell,score`` of scores given by hand (answers, flagged checks).

    ``grades.csv`` is long: one row per student, notebook and graded cell (``kind`` ``check``, or
    ``answer``, graded by hand: its score stays empty until then), then a row ``cell = total`` per
    student and notebook — one for every notebook handed in, whatever happened to it. ``flag`` says
    what happened (see docs/teaching.md, "What the flags mean").
    """
    if not submissions.is_dir():
        raise EditionError(f"{submissions}: no such folder of submissions (one folder per student)")
    if submissions.resolve().is_relative_to(course.resolve()):
        raise EditionError(
            f"{submissions} lies inside the course directory {course}, which grading "
            "rebuilds: copy the submissions out of it first"
        )
    if isinstance(jobs, bool) or not (jobs is None or (isinstance(jobs, int) and jobs > 0)):
        raise EditionError(f"jobs must be a positive number of processes, got {jobs!r}")
    try:
        limits = Limits(timeout=timeout, memory_mb=memory_mb)
    except ValueError as err:
        raise EditionError(str(err)) from None
    names = [Path(p).stem for p in paths]
    handed_in = []
    for student in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for extra in sorted(set(p.stem for p in student.glob("*.ipynb")) - set(names)):
            print(
                f"warning: {student / extra}.ipynb is none of this course's notebooks ({', '.join(names)}); skipped",
                file=sys.stderr,
            )
        handed_in += [(student.name, n, p) for n in names if (p := _submitted(student, n)) is not None]
    if not handed_in:
        raise EditionError(
            f"{submissions}: no submission found (expected {submissions}/<student>/"
            f"<notebook>.ipynb, notebooks {', '.join(n + '.ipynb' for n in names)})"
        )
    scores_by_hand = _manual_scores(manual)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "grades.csv"
    if target.exists():  # never left to read as this run's: a failed run leaves no grades.csv
        os.replace(target, out / "grades.previous.csv")
    why = sandbox.problem()
    if why:
        raise EditionError(f"cannot grade: {why}")
    _load_check_modules(list(check_modules))
    build_course(paths, course)
    assignments = {p.stem: _assignment(Path(p), course / "release" / p.stem / Path(p).name) for p in paths}
    results: dict[tuple[str, str], Graded] = {}
    with tempfile.TemporaryDirectory(prefix="grading-") as tmp:

        def one(item):
            student, name, path = item
            work = Path(tempfile.mkdtemp(dir=tmp, prefix=f"{name}-"))
            try:
                return _grade_one(student, path, assignments[name], work, list(check_modules), limits)
            except Exception as err:  # a fault of the grader's: that notebook only, said in its row
                failed = Graded()
                reason = f"not graded (grader error: {type(err).__name__}: {str(err)[:300]})"
                failed.rows.append(["total", "total", 0, assignments[name].max_score, reason])
                failed.page = student_page(student, name, 0, assignments[name].max_score, [], [], [], [reason])
                return failed
            finally:
                shutil.rmtree(work, ignore_errors=True)

        env = {"SEMINAR_FAST": "0" if full else "1"}
        with _environment(env), ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            for item, graded in zip(handed_in, pool.map(one, handed_in)):
                results[item[0], item[1]] = graded
    return _write(out, results, assignments, scores_by_hand)


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _write(out: Path, results: dict, assignments: dict, by_hand: dict) -> Path:
    """Write the feedback, the answers pages and ``grades.csv`` (each replaced whole, the csv last)."""
    rows = []
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".grading-"))
    try:
        answers: dict[str, dict[str, dict]] = {}
        for (student, name), graded in sorted(results.items()):
            total, first = None, len(rows)
            for cell, kind, score, max_score, flag in graded.rows:
                if (student, name, cell) in by_hand and kind != "total":
                    score, flag = by_hand[student, name, cell], "; ".join(x for x in (flag, "score given by hand") if x)
                rows.append([student, name, cell, kind, score, max_score, flag])
                if kind == "total":
                    total = rows[-1]
            if total is not None and by_hand:
                cells = rows[first:-1]
                total[4] = sum(float(r[4]) for r in cells if r[4] != "")
                pending = sum(r[4] == "" for r in cells)
                total[6] = "; ".join(x for x in total[6].split("; ") if x and not x.endswith("to grade by hand")) + (
                    f"; {pending} to grade by hand" if pending else ""
                )
                total[6] = total[6].lstrip("; ")
            folder = staging / "feedback" / student
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.html").write_text(graded.page, encoding="utf-8")
            answers.setdefault(name, {})[student] = graded.answers
        (staging / "answers").mkdir()
        for name, assignment in assignments.items():
            if assignment.answers:
                questions = [(cell, question) for cell, question, _ in assignment.answers]
                page = answers_page(name, questions, answers.get(name, {}))
                (staging / "answers" / f"{name}.html").write_text(page, encoding="utf-8")
        with (staging / "grades.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(FIELDS)
            writer.writerows(rows)
        for folder in ("feedback", "answers"):
            shutil.rmtree(out / folder, ignore_errors=True)
            os.replace(staging / folder, out / folder)
        os.replace(staging / "grades.csv", out / "grades.csv")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out / "grades.csv"
