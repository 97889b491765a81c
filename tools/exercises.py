"""From the collection's tags to nbgrader's metadata: the source notebook nbgrader releases and grades.

The instructor notebooks carry no nbgrader markers; this module adds them at build time.

* A code cell tagged ``solution`` holds the exercise: function (or class) definitions whose bodies
  the students write. It becomes an nbgrader *solution* cell. Each function keeps its decorators, its
  signature (however many lines it spans) and its docstring; its body sits between
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``, which ``nbgrader generate_assignment`` replaces by a
  stub that raises ``NotImplementedError``. A class keeps its header, docstring and class attributes;
  each method body is a solution region. Imports in a solution cell stay visible; any other statement
  is an error naming the notebook and the cell (put such code in a cell of its own).
* The next code cell after it checks it (``check("<notebook>/<name>", globals())``, the exercise's check in
  ``seminar_utils.exercises``, which grading runs on the student's code in a sandbox): it becomes a
  locked, autograded *test* cell worth :data:`CHECK_POINTS`.
* A markdown cell tagged ``answer`` becomes a manually graded answer (nbgrader ``solution`` +
  ``grade``, :data:`ANSWER_POINTS`): the release shows "YOUR ANSWER HERE" in its place.
* Every other cell is locked (read-only in the release; nbgrader restores it when grading).

Each ``grade_id`` is the cell's role and its id (``check-9ee999aa``), stable across builds.
"""

from __future__ import annotations

import ast
import copy
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .cells import (
    ANSWER,
    EXERCISE,
    SOLUTION,
    YOUR_ANSWER,
    EditionError,
    picture_file,
    replace_images,
    source,
    tags,
    where,
)

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CHECK_POINTS = 1  # each check cell after an exercise: autograded, all or nothing
ANSWER_POINTS = 1  # each answer to a question: graded by hand
BANNER_ID = "student-edition-note"
BANNER = (
    "> **Student edition** of `{name}`, generated from the instructor's notebook by `make student`. "
    "Each function marked *Exercise* raises `NotImplementedError` until you write its body; the "
    "locked cell after it runs the exercise's check and prints one line per property it tests, then "
    "PASSED or NOT PASSED (grading runs the same check on your code). Answer each question in the cell "
    "that says *YOUR ANSWER HERE*. The other cells are read-only: to experiment, insert a cell of "
    "your own."
)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Exercise:
    """A ``solution`` cell, the code cell that checks it, and the names the solution defines."""

    solution: int  # index of the solution cell in ``nb.cells``
    check: int  # index of the next code cell
    names: tuple[str, ...]  # top-level functions and classes the solution cell defines


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _header_end(tokens: list[tokenize.TokenInfo], node: ast.stmt) -> tuple[int, int]:
    """(line, column) just after the ``:`` that ends the ``def``/``class`` header of ``node``."""
    depth = 0
    for tok in tokens:
        if tok.start < (node.lineno, node.col_offset) or tok.type != tokenize.OP:
            continue
        if tok.string in "([{":
            depth += 1
        elif tok.string in ")]}":
            depth -= 1
        elif tok.string == ":" and depth == 0:
            return tok.end
    raise AssertionError(f"no ':' after line {node.lineno}")  # ast.parse succeeded, so unreachable


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _regions(
    node: ast.stmt, lines: list[str], tokens: list[tokenize.TokenInfo], place: str
) -> list[tuple[int, int, str, int | None]]:
    """The solution regions of a def or class: ``(first, last, indent, split)`` for each function
    body: its 1-based first and last lines (docstring excluded, leading and trailing comments
    included), the indent of its statements and, for a body written on its ``def`` line
    (``def f(x): return x``), the column where the body starts (else ``None``)."""
    if isinstance(node, ast.ClassDef):
        return [r for stmt in node.body if isinstance(stmt, _DEFS) for r in _regions(stmt, lines, tokens, place)]
    header_line, header_col = _header_end(tokens, node)
    body = node.body[1:] if _is_docstring(node.body[0]) else node.body
    if not body:
        return []
    if body[0].lineno == header_line:
        if node.end_lineno != header_line:
            raise EditionError(f"{place}: put the body of `{node.name}` (line {node.lineno}) on lines of its own")
        indent = _indent(lines[node.lineno - 1]) + "    "
        return [(header_line, header_line, indent, header_col)]
    first = node.body[0].end_lineno + 1 if body is not node.body else header_line + 1
    last = node.end_lineno
    for n in range(last, len(lines)):  # comments of the body after its last statement
        text = lines[n]
        if text.strip() and not (text.lstrip().startswith("#") and len(_indent(text)) > node.col_offset):
            break
        if text.strip():
            last = n + 1
    return [(first, last, _indent(lines[body[0].lineno - 1]), None)]


def mark_solution(src: str, place: str = "solution cell") -> tuple[str, list[str]]:
    """``src`` of a solution cell with nbgrader's solution markers around each function body, and
    the top-level names it defines.

    ``place`` names the cell in errors (see :func:`tools.cells.where`). Raises :class:`EditionError`
    when the cell defines no function body to write, or holds anything but definitions and imports.
    """
    try:
        tree = ast.parse(src)
    except SyntaxError as err:
        raise EditionError(
            f"{place}: the `{SOLUTION}` cell is not plain Python ({err.msg}, line "
            f"{err.lineno}); keep magics and shell commands out of exercises"
        ) from None
    lines = src.splitlines()
    tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
    names, regions = [], []
    for node in tree.body:
        if isinstance(node, _DEFS):
            names.append(node.name)
            regions += _regions(node, lines, tokens, place)
        elif not isinstance(node, (ast.Import, ast.ImportFrom)):
            raise EditionError(
                f"{place}: a `{SOLUTION}` cell holds only function and class definitions (and "
                f"imports), but line {node.lineno} is `{lines[node.lineno - 1].strip()}`; move it to "
                "a cell of its own"
            )
    if not regions:
        raise EditionError(
            f"{place}: a `{SOLUTION}` cell defines the function the student writes, "
            "but this one defines none with a body"
        )
    starts = {first: (indent, split) for first, _, indent, split in regions}
    ends = {last: indent for _, last, indent, _ in regions}
    out: list[str] = []
    for n, text in enumerate(lines, start=1):
        indent, split = starts.get(n, ("", None))
        if split is not None:  # a body on its def line: move it to lines of its own
            out += [text[:split], indent + BEGIN, indent + text[split:].strip(), indent + END]
            continue
        if n in starts:
            out.append(indent + BEGIN)
        out.append(text)
        if n in ends:
            out.append(ends[n] + END)
    return "\n".join(out), names


def exercises(nb: NotebookNode, path: str | Path = "notebook") -> list[Exercise]:
    """Every ``solution`` cell with the code cell that checks it; enforces the conventions.

    A solution cell is code, is followed by a code cell that is not itself a solution and that
    mentions one of the names the solution defines. Anything else is an :class:`EditionError`.
    """
    found = []
    for i, cell in enumerate(nb.cells):
        cell_tags = tags(cell)
        if ANSWER in cell_tags and cell.cell_type != "markdown":
            raise EditionError(
                f"{where(path, i, cell)}: an `{ANSWER}` cell is markdown (tag code exercises `{SOLUTION}`)"
            )
        if SOLUTION not in cell_tags:
            continue
        place = where(path, i, cell)
        if cell.cell_type != "code" or ANSWER in cell_tags:
            raise EditionError(f"{place}: a `{SOLUTION}` cell is a code cell without the `{ANSWER}` tag")
        _, names = mark_solution(source(cell), place)
        check = next((j for j in range(i + 1, len(nb.cells)) if nb.cells[j].cell_type == "code"), None)
        if check is None or SOLUTION in tags(nb.cells[check]):
            raise EditionError(
                f"{place}: a `{SOLUTION}` cell is followed by the code cell that checks it against seminar_utils"
            )
        if not any(re.search(rf"\b{re.escape(n)}\b", source(nb.cells[check])) for n in names):
            raise EditionError(
                f"{where(path, check, nb.cells[check])}: the cell after a `{SOLUTION}` "
                f"cell checks it, but it uses none of {', '.join(names)}"
            )
        found.append(Exercise(i, check, tuple(names)))
    return found


def _nbgrader(grade_id: str, *, locked: bool = False, solution: bool = False, points: int | None = None) -> dict:
    meta = {
        "grade": points is not None,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return meta


def pictures(nb: NotebookNode, path: Path) -> dict[str, Path]:
    """The local pictures the markdown of ``nb`` (read from ``path``) shows: ``{url: file}``.

    Each must be a file inside the notebook folder's parent (the collection: ``../pics/x.png``).
    """
    root, found = path.resolve().parent.parent, {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or ANSWER in tags(cell):  # an answer's pictures stay hidden
            continue

        def check(url: str, i=i, cell=cell) -> str:
            found[url] = picture_file(url, path, where(path, i, cell), root, f"{root.name}/")
            return url

        replace_images(source(cell), check)
    return found


def nbgrader_source(nb: NotebookNode, path: Path) -> NotebookNode:
    """A new notebook: ``nb`` (read from ``path``) with nbgrader's metadata and solution markers.

    Outputs stay (the instructor's worked solutions, with their verdicts); pictures referenced as
    ``../pics/x.png`` become ``pics/x.png``, so an assignment folder is self-contained.
    """
    found = exercises(nb, path)
    checks = {e.check for e in found}
    root = path.resolve().parent.parent
    new_url = {url: file.relative_to(root).as_posix() for url, file in pictures(nb, path).items()}
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell_tags, cell_id = tags(cell), cell.get("id") or f"cell{i}"
        if SOLUTION in cell_tags:
            cell.source, _ = mark_solution(source(cell), where(path, i, cell))
            cell.metadata.nbgrader = _nbgrader(f"exercise-{cell_id}", solution=True)
            cell.metadata.tags = [EXERCISE if t == SOLUTION else t for t in cell_tags]
        elif i in checks:
            cell.metadata.nbgrader = _nbgrader(f"check-{cell_id}", locked=True, points=CHECK_POINTS)
        elif ANSWER in cell_tags:
            cell.pop("attachments", None)
            cell.metadata.nbgrader = _nbgrader(f"answer-{cell_id}", solution=True, points=ANSWER_POINTS)
            cell.metadata.tags = [YOUR_ANSWER if t == ANSWER else t for t in cell_tags]
        else:
            cell.metadata.nbgrader = _nbgrader(f"cell-{cell_id}", locked=True)
        if cell.cell_type == "markdown" and ANSWER not in cell_tags and new_url:
            cell.source = replace_images(source(cell), lambda url: new_url.get(url, url))
    nb.metadata.pop("widgets", None)  # widget state belongs to outputs the release clears
    banner = nbformat.v4.new_markdown_cell(
        BANNER.format(name=path.name), metadata={"slideshow": {"slide_type": "skip"}}
    )
    banner.metadata.nbgrader = _nbgrader(BANNER_ID, locked=True)
    if nb.nbformat_minor >= 5:
        banner.id = BANNER_ID
    else:
        banner.pop("id", None)
    nb.cells.insert(1 if nb.cells else 0, banner)
    return nb
