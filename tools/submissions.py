"""A submitted notebook, read defensively and repaired against the release before anything runs.

Nothing here executes student code: it reads JSON, compares cells and parses Python (never runs it).

- :func:`read_cells` reads any file: a notebook whose JSON cannot be read at all (invalid, nested
  thousands deep, integers of thousands of digits, not an object with a ``cells`` list) raises
  :class:`Unreadable` with one line saying why; damage inside a cell (``metadata.nbgrader = "oops"``,
  ``grade_id: ["x"]``, a source that is not text) is noted and the cell read as far as it goes.
- :func:`repair` matches the submitted cells to the release by nbgrader's ``grade_id`` (and the cell
  id): a duplicated, renamed, added, re-pointed or deleted graded cell is dropped or restored from the
  release, an exercise cell given points is read as the exercise it is, and each of those is an
  :class:`Event` the feedback and ``grades.csv`` show. Locked cells (lecture cells, checks) always
  come from the release: the student's copy of a check never runs.
- :func:`uses_reference` finds, by parsing, a solution that hands in the package's own
  implementation of what the exercise asks for (an import, an attribute access, a subclass, the
  ``torch.distributions`` one-liner).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

from .cells import MAX_DEPTH, _depth, _integer

MAX_BYTES = 20_000_000  # a notebook handed in with its outputs stays far below this
MAX_SOURCE = 200_000  # characters of one cell's source the grader parses


class Unreadable(ValueError):
    """A submitted file that is not a notebook the grader can read (the message says why)."""


@dataclass
class Cell:
    """One cell as submitted (or released): what the grader needs of it, every field of a known type."""

    index: int
    cell_type: str
    source: str
    id: str | None = None
    grade_id: str | None = None
    nbgrader: dict | None = None  # the cell's nbgrader metadata when it is an object
    damaged: str = ""  # what was wrong with its metadata, if anything

    @property
    def solution(self) -> bool:
        return bool(self.nbgrader and self.nbgrader.get("solution") is True)

    @property
    def graded(self) -> bool:
        return bool(self.nbgrader and self.nbgrader.get("grade") is True)

    @property
    def locked(self) -> bool:
        return bool(self.nbgrader and self.nbgrader.get("locked") is True)

    def label(self) -> str:
        return self.grade_id or f"cell {self.index}" + (f" (id {self.id})" if self.id else "")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0][:200]}" if text else type(err).__name__


def read_cells(path: Path) -> tuple[list[Cell], list[str]]:
    """The cells of the notebook at ``path`` and notes on damaged cells; :class:`Unreadable` otherwise."""
    try:
        return _read_cells(Path(path))
    except Unreadable:
        raise
    except BaseException as err:  # anything at all (MemoryError too): that notebook only, never the class
        if isinstance(err, (KeyboardInterrupt, SystemExit)):
            raise
        raise Unreadable(_first_line(err)) from None


def _read_cells(path: Path) -> tuple[list[Cell], list[str]]:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise Unreadable(f"the file has {size:,} bytes (at most {MAX_BYTES:,})")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise Unreadable(f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    if not text.strip():
        raise Unreadable("the file is empty")
    try:
        raw = json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as err:
        raise Unreadable(f"invalid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    except RecursionError:
        raise Unreadable(f"its JSON nests arrays or objects more than {MAX_DEPTH} deep") from None
    except ValueError as err:  # an integer literal of thousands of digits, among others
        raise Unreadable(_first_line(err).split(": ", 1)[-1]) from None
    if _depth(raw) > MAX_DEPTH:
        raise Unreadable(f"its JSON nests arrays or objects more than {MAX_DEPTH} deep")
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise Unreadable("the JSON is not an object with a 'cells' list")
    cells, notes = [], []
    for i, item in enumerate(raw["cells"]):
        if not isinstance(item, dict):
            notes.append(f"cell {i}: not a JSON object (ignored)")
            continue
        cell_type = item.get("cell_type") if item.get("cell_type") in ("code", "markdown", "raw") else "raw"
        src = item.get("source", "")
        if isinstance(src, list) and all(isinstance(s, str) for s in src):
            src = "".join(src)
        elif not isinstance(src, str):
            notes.append(f"cell {i}: its source is not text (read as empty)")
            src = ""
        cell = Cell(i, cell_type, src, item.get("id") if isinstance(item.get("id"), str) else None)
        meta = item.get("metadata", {})
        if not isinstance(meta, dict):
            cell.damaged = f"metadata is a {type(meta).__name__}, not an object"
            meta = {}
        grading = meta.get("nbgrader")
        if grading is not None and not isinstance(grading, dict):
            cell.damaged = f"metadata.nbgrader is {_short(grading)}, not an object"
        elif isinstance(grading, dict):
            cell.nbgrader = grading
            if isinstance(grading.get("grade_id"), str):
                cell.grade_id = grading["grade_id"]
            else:
                cell.damaged = f"metadata.nbgrader.grade_id is {_short(grading.get('grade_id'))}, not a string"
        if cell.damaged:
            notes.append(f"{cell.label()}: {cell.damaged}")
        cells.append(cell)
    return cells, notes


def _short(value) -> str:
    text = json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Event:
    """Something repaired in a submission: ``grade_id`` (or a cell's label) and what happened."""

    cell: str
    what: str

    def __str__(self) -> str:
        return f"{self.cell}: {self.what}"


@dataclass
class Repaired:
    """A submission put back into the release's shape.

    ``code``: the code cells a check's namespace is built from, in the release's order, as
    ``(label, source, by_student)``; ``solutions``: each exercise's source as handed in (``None``
    when it was deleted); ``answers``: each answer's text (``None`` when deleted); ``student_code``:
    every source the student wrote (solutions and their own code cells), which the reference scan
    reads; ``events``: what was repaired.
    """

    code: list[tuple[str, str, bool]] = field(default_factory=list)
    solutions: dict[str, str | None] = field(default_factory=dict)
    answers: dict[str, str | None] = field(default_factory=dict)
    student_code: list[str] = field(default_factory=list)
    own_code: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def code_for(self, solution: str, names: tuple[str, ...]) -> list[str]:
        """The student code that can define exercise ``solution``'s ``names``: its own cell, the
        student's own code cells, and whatever another exercise's cell binds to one of ``names``."""
        found = [self.solutions.get(solution) or "", *self.own_code]
        for other, src in self.solutions.items():
            tree = _parse(src or "") if other != solution else None
            for node in tree.body if tree else []:
                if _binds(node) & set(names):
                    found.append(ast.get_source_segment(src, node) or "")
        return found


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def repair(release: list[Cell], submitted: list[Cell]) -> Repaired:
    """``submitted`` matched to ``release`` (see the module docstring)."""
    by_grade = {c.grade_id: c for c in release if c.grade_id}
    by_id = {c.id: c for c in release if c.id and c.grade_id}
    claims: dict[str, list[Cell]] = {}
    anchor: dict[int, str | None] = {}  # a student's own cell -> the release cell it follows
    out = Repaired()
    last: str | None = None
    for cell in submitted:
        target = None
        if cell.grade_id in by_grade:
            target = cell.grade_id
        elif cell.id in by_id and (cell.grade_id or cell.damaged):
            target = by_id[cell.id].grade_id  # a renamed grade id, or damaged metadata: the cell id tells
            what = f"its grade id was renamed to {cell.grade_id!r}" if cell.grade_id else cell.damaged
            out.events.append(Event(target, f"{what}; matched by its cell id"))
        elif cell.grade_id:
            out.events.append(Event(cell.grade_id, "a graded cell that is not in the release: dropped"))
            continue
        elif cell.nbgrader is not None and (cell.graded or cell.solution):
            out.events.append(Event(cell.label(), "a graded cell without a grade id: dropped"))
            continue
        if target is None:
            if cell.damaged:
                out.events.append(Event(cell.label(), f"{cell.damaged}; read as a cell of your own"))
            if cell.cell_type == "code":
                anchor[cell.index] = last
            continue
        claims.setdefault(target, []).append(cell)
        last = target
    chosen: dict[str, Cell] = {}
    for gid, found in claims.items():
        keep = next((c for c in found if c.id == by_grade[gid].id), found[0])
        chosen[gid] = keep
        for extra in found:
            if extra is not keep:
                out.events.append(Event(gid, f"a second cell with this grade id ({extra.label()}): dropped"))
    own = {}
    for cell in submitted:
        if cell.index in anchor:
            own.setdefault(anchor[cell.index], []).append(cell)
            out.student_code.append(cell.source)
            out.own_code.append(cell.source)
    for cell in own.get(None, []):
        out.code.append((f"your cell {cell.index}", cell.source, True))
    for ref in release:
        gid, mine = ref.grade_id, chosen.get(ref.grade_id)
        if ref.solution and ref.cell_type == "code":
            if mine is None or mine.cell_type != "code":
                out.events.append(Event(gid, "the exercise is missing (deleted?): it scores 0"))
                out.solutions[gid] = None
                out.code.append((gid, ref.source, False))
            else:
                if mine.graded or (mine.nbgrader or {}).get("points") not in (None, ref.nbgrader.get("points")):
                    out.events.append(Event(gid, "grading metadata added to an exercise cell: ignored"))
                out.solutions[gid] = mine.source
                out.student_code.append(mine.source)
                out.code.append((gid, mine.source, True))
        elif ref.solution:  # an answer, graded by hand
            out.answers[gid] = mine.source if mine is not None and mine.cell_type == "markdown" else None
            if out.answers[gid] is None:
                out.events.append(Event(gid, "the answer is missing (deleted?)"))
        else:  # locked: always the release's
            if ref.graded or ref.cell_type == "code":
                if mine is None:
                    out.events.append(Event(gid, "deleted: restored from the release"))
                elif _norm(mine.source) != _norm(ref.source) or mine.cell_type != ref.cell_type:
                    out.events.append(Event(gid, "edited: restored from the release"))
                elif mine.nbgrader != ref.nbgrader and mine.nbgrader is not None:
                    if (mine.nbgrader.get("points"), mine.graded) != (ref.nbgrader.get("points"), ref.graded):
                        out.events.append(Event(gid, "its points were changed: the release's count"))
            if ref.cell_type == "code":
                out.code.append((gid, ref.source, False))
        for cell in own.get(gid, []):
            out.code.append((f"your cell {cell.index}", cell.source, True))
    return out


# --- the reference implementation handed in ----------------------------------------------------------


def _parse(src: str) -> ast.Module | None:
    if len(src) > MAX_SOURCE:
        return None
    lines = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines())
    try:
        return ast.parse(lines)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _binds(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds (a def, a class, an import, an assignment)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def uses_reference(sources: list[str], references: tuple[str, ...]) -> list[str]:
    """The ``references`` (dotted names) that the student code ``sources`` uses, and how.

    Counted as a use: importing it (``from seminar_utils.gmm import component_log_pdf``, ``import
    seminar_utils.gmm.steps``), naming it as an attribute of anything (``gmm.component_log_pdf``,
    ``D.MultivariateNormal``), subclassing or calling it by a name the student did not define
    themselves, or spelling its name in ``getattr``/``importlib`` strings. For a method
    (``seminar_utils.vae.VAE.loss_terms``) whose name the student defines too, only the owner's
    spelling counts (``VAE.loss_terms``), and subclassing the owner (``class VAE2D(VAE)``). A cell that
    is not Python (or too large to parse) counts as a use of nothing; it cannot define anything either.
    """
    found: dict[str, str] = {}
    large = [len(src) for src in sources if len(src) > MAX_SOURCE]
    if large and references:  # the sandbox would run what the scan cannot read: not credited silently
        return [f"{references[0]} (a cell of {large[0]:,} characters, too large to scan)"]
    trees = [t for t in map(_parse, sources) if t is not None]
    defined = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
    for ref in references:
        parts = ref.split(".")
        name, owner = parts[-1], parts[-2] if len(parts) > 1 else ""
        own = name in defined  # a method or function of the student's own with the reference's name
        for tree in trees:
            docstrings = {
                id(n.body[0].value)
                for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and n.body
                and isinstance(n.body[0], ast.Expr)
                and isinstance(n.body[0].value, ast.Constant)
            }
            for node in ast.walk(tree):
                how = None
                if isinstance(node, ast.ImportFrom) and any(a.name == name for a in node.names):
                    how = f"imports {name} from {node.module}"
                elif isinstance(node, ast.Import) and any(
                    a.name == ref or a.name.startswith(ref + ".") for a in node.names
                ):
                    how = f"imports {ref}"
                elif (
                    isinstance(node, ast.Attribute)
                    and node.attr == name
                    and (not own or (_dotted(node) or "").endswith(f"{owner}.{name}"))
                ):
                    how = f"uses {_dotted(node) or '….' + name}"
                elif isinstance(node, ast.Name) and node.id == name and not own:
                    how = f"uses {name}"
                elif (
                    isinstance(node, ast.ClassDef)
                    and owner[:1].isupper()
                    and any((_dotted(b) or "").rpartition(".")[2] == owner for b in node.bases)
                ):
                    how = f"subclasses {owner}"
                elif (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docstrings
                    and node.value.strip() in ((ref,) if own else (name, ref))
                ):
                    how = f"names {node.value.strip()!r} in a string"
                if how and ref not in found:
                    found[ref] = how
                    break
    return [f"{ref} ({how})" for ref, how in found.items()]
