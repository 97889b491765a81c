"""The classroom, through nbgrader, offline: release the exercise editions, grade submissions.

A *course directory* holds nbgrader's folders, its ``nbgrader_config.py`` and ``gradebook.db``;
:func:`build_course` writes a fresh one (``build/course/`` from the command line, or a temporary
folder; never in the user's home) and runs nbgrader inside it, with that configuration. Each
notebook is one assignment named after it (``01_em_gmm``), in a folder of its own with the pictures
it shows (``pics/``): self-contained, as nbgrader's exchange hands it out.

- :func:`release` — ``make student``: ``nbgrader generate_assignment`` of every notebook, copied to
  ``build/student/NAME/``: solution bodies stubbed, answers replaced by "YOUR ANSWER HERE", outputs
  cleared, checks and lecture cells locked.
- :func:`grade` — ``make grade SUBMISSIONS=DIR``: every ``DIR/<student>/<notebook>.ipynb`` through
  ``nbgrader autograde`` (kernels in fast mode unless ``full``) and ``nbgrader generate_feedback``;
  writes ``grades.csv`` and ``feedback/<student>/<notebook>.html``. A submission whose locked cells
  were edited or deleted is flagged (in the csv and in the gradebook); nbgrader runs it with the
  released cells put back, and an edited or deleted check scores 0 (reported, not scored).

nbgrader (the ``classroom`` extra) is imported only here, only when these run.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from .cells import EditionError, read_notebook
from .exercises import nbgrader_source, pictures

ROOT = Path(__file__).resolve().parents[1]
COURSE_ID = "latent-seminars"
STUB = '# YOUR CODE HERE\nraise NotImplementedError("Exercise: write this body (see the markdown above)")'
CELL_TIMEOUT = 900  # seconds one cell may take while grading
CONFIG = """# Written by tools/classroom.py: the nbgrader configuration of this course directory.
import sys
sys.path.insert(0, {repo!r})
from tools.verdicts import autograde_preprocessors

c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course!r}
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.Execute.timeout = {timeout}
c.OverwriteCells.add_missing_cells = True
c.Autograde.autograde_preprocessors = autograde_preprocessors()
c.CheckVerdicts.source_directory = {source!r}
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
        CONFIG.format(
            repo=str(ROOT),
            root=str(course.resolve()),
            course=COURSE_ID,
            stub=STUB,
            timeout=CELL_TIMEOUT,
            source=str((course / "source").resolve()),
        ),
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


def _submitted(student: Path, name: str) -> Path | None:
    """``student/NAME.ipynb``, or ``student/NAME/NAME.ipynb`` as ``nbgrader collect`` lays it out."""
    return next((p for p in (student / f"{name}.ipynb", student / name / f"{name}.ipynb") if p.is_file()), None)


def _collect(submissions: Path, course: Path, names: list[str]) -> dict[tuple[str, str], str]:
    """Copy ``submissions/<student>/<NAME>.ipynb`` into nbgrader's ``submitted/`` folder.

    Returns ``{(student, NAME): flag}`` for each submission, ``flag`` saying what is wrong with it.
    """
    from nbgrader.api import Gradebook
    from nbgrader.utils import compute_checksum

    found = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for student in sorted(p for p in submissions.iterdir() if p.is_dir()):
            for name in names:
                path = _submitted(student, name)
                if path is None:
                    continue
                try:
                    nb = read_notebook(path)
                except EditionError as err:
                    found[student.name, name] = f"unreadable: {err}"
                    continue
                cells = {c.metadata.nbgrader.get("grade_id"): c for c in nb.cells if "nbgrader" in c.metadata}
                edited = []
                for source in gb.find_notebook(name, name).source_cells:
                    cell = cells.get(source.name)
                    if cell is None and (source.locked or source.name.startswith("check-")):
                        edited.append(f"{source.name} deleted")
                    elif cell is not None and source.locked and compute_checksum(cell) != source.checksum:
                        edited.append(f"{source.name} edited")
                found[student.name, name] = "tampered: " + ", ".join(edited) if edited else ""
                target = course / "submitted" / student.name / name
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target / path.name)
    return found


def grade(
    submissions: Path, out: Path, course: Path, paths: list[Path], full: bool = False, feedback: bool = True
) -> Path:
    """Autograde ``submissions/<student>/<notebook>.ipynb`` (or ``.../<student>/NAME/NAME.ipynb``,
    as ``nbgrader collect`` leaves them); write ``out/grades.csv`` and
    ``out/feedback/<student>/<notebook>.html``. Returns the csv's path.

    ``grades.csv`` is long: one row per student, notebook and graded cell (``kind`` ``check``,
    autograded, or ``answer``, graded by hand: its score stays empty until then), then a row
    ``cell = total`` per student and notebook. ``flag`` names edited or deleted locked cells.
    """
    if not submissions.is_dir():
        raise EditionError(f"{submissions}: no such folder of submissions (one folder per student)")
    if submissions.resolve().is_relative_to(course.resolve()):
        raise EditionError(
            f"{submissions} lies inside the course directory {course}, which grading "
            "rebuilds: copy the submissions out of it first"
        )
    names = [Path(p).stem for p in paths]
    found = False
    for student in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for extra in sorted(set(p.stem for p in student.glob("*.ipynb")) - set(names)):
            print(
                f"warning: {student / extra}.ipynb is none of this course's notebooks ({', '.join(names)}); skipped",
                file=sys.stderr,
            )
        found = found or any(_submitted(student, name) for name in names)
    if not found:
        raise EditionError(
            f"{submissions}: no submission found (expected {submissions}/<student>/"
            f"<notebook>.ipynb, notebooks {', '.join(n + '.ipynb' for n in names)})"
        )
    names = build_course(paths, course)
    flags = _collect(submissions, course, names)
    env = dict(os.environ, SEMINAR_FAST="0" if full else "1")
    if any(not f.startswith("unreadable") for f in flags.values()):
        _nbgrader(course, "autograde", "*", "--force", env=env)
        _not_scored(course, flags)
        if feedback:
            _nbgrader(course, "generate_feedback", "*", "--force")
    return _report(course, out, flags)


def _edited(flag: str) -> set[str]:
    """The grade ids a ``tampered: ID edited, ID deleted`` flag names."""
    return set(flag.removeprefix("tampered:").replace(",", " ").split()) - {"edited", "deleted"}


def _not_scored(course: Path, flags: dict[tuple[str, str], str]) -> None:
    """Flag tampered submissions in the gradebook and score their edited or deleted checks 0 (as a
    manual score: a human grader can change it in formgrader)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for (student, name), flag in flags.items():
            if not flag.startswith("tampered"):
                continue
            submission = gb.find_submission_notebook(name, name, student)
            submission.flagged = True
            for g in submission.grades:
                if g.name in _edited(flag):
                    g.manual_score = 0.0
        gb.db.commit()


def _report(course: Path, out: Path, flags: dict[tuple[str, str], str]) -> Path:
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    shutil.rmtree(out / "feedback", ignore_errors=True)  # generated: no stale feedback of an earlier run
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        for (student, name), flag in sorted(flags.items()):
            max_total = gb.find_notebook(name, name).max_score
            try:
                submission = gb.find_submission_notebook(name, name, student)
            except MissingEntry:
                rows.append([student, name, "total", "total", 0, max_total, flag or "not graded"])
                continue
            pending = 0
            for g in sorted(submission.grades, key=lambda g: g.name):
                manual = g.cell.cell_type == "markdown"
                known = g.manual_score is not None or (g.auto_score is not None and not g.needs_manual_grade)
                pending += not known
                rows.append(
                    [
                        student,
                        name,
                        g.name,
                        "answer" if manual else "check",
                        g.score if known else "",
                        g.max_score,
                        "tampered" if g.name in _edited(flag) else "",
                    ]
                )
            note = f"{pending} to grade by hand" if pending else ""
            rows.append(
                [
                    student,
                    name,
                    "total",
                    "total",
                    submission.score,
                    submission.max_score,
                    "; ".join(x for x in (flag, note) if x),
                ]
            )
            html = course / "feedback" / student / name / f"{name}.html"
            if html.is_file():
                (out / "feedback" / student).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(html, out / "feedback" / student / f"{name}.html")
    out.mkdir(parents=True, exist_ok=True)
    target = out / "grades.csv"
    with target.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(FIELDS)
        writer.writerows(rows)
    return target
