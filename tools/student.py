"""The student edition of a notebook: exercises stubbed, answers hidden, outputs cleared.

A code cell tagged ``solution`` holds the exercise: function (or class) definitions whose bodies the
students write. In the student edition every function in it keeps its decorators, its signature
(however many lines it spans) and its docstring; its body becomes
``raise NotImplementedError("Exercise: <name> — see the markdown above")``. A class keeps its header,
docstring and class attributes, and each of its methods is stubbed the same way. Imports in a
solution cell are kept (they are context, not the answer); any other statement (an assignment, a call)
is an error that names the notebook and the cell: put such code in a cell of its own. Comments inside
a body go with the body; comments at the cell's top level stay.

The next code cell after a solution cell is its check (it calls the function and prints one verdict
line against ``seminar_utils``); it is kept as it is, so in the student edition it stops with the
stub's ``NotImplementedError`` until the student writes the body. Markdown cells tagged ``answer``
become "Your answer:" placeholders. Tags change to ``exercise`` and ``your-answer``; slide metadata
and cell ids are kept, so a stub can be matched with its solution.
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

from .cells import ANSWER, EXERCISE, SOLUTION, YOUR_ANSWER, EditionError, source, tags, where

STUB = 'raise NotImplementedError("Exercise: {name} — see the markdown above")'
ANSWER_PLACEHOLDER = "**Your answer:** _double-click this cell and write it here._"
BANNER_ID = "student-edition-note"
BANNER = (
    "> **Student edition**, generated from the instructor's notebook by `make student` (do not edit "
    "it by hand, edit `notebooks/{name}`). Each function marked *Exercise* raises "
    "`NotImplementedError` until you write its body; the cell after it tells you, in one line, "
    "whether your code agrees with the reference in `seminar_utils`. Questions end with a "
    "*Your answer:* cell for your own words."
)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Exercise:
    """A ``solution`` cell, the code cell that checks it, and the names the solution defines."""

    solution: int  # index of the solution cell in ``nb.cells``
    check: int  # index of the next code cell
    names: tuple[str, ...]  # top-level functions and classes the solution cell defines


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(
        node.value.value, str)


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


def _stub(node: ast.stmt, src: str, lines: list[str], tokens: list[tokenize.TokenInfo],
          prefix: str = "") -> str:
    """Source of ``node`` (a def or class) with every function body stubbed; its first line unindented."""
    first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    end_line, end_col = _header_end(tokens, node)
    header = "".join(lines[first - 1:end_line])
    header = header[node.col_offset:len(header) - len(lines[end_line - 1]) + end_col]
    body_line = lines[node.body[0].lineno - 1]
    if node.body[0].lineno > end_line:  # the usual block on lines of its own
        indent = body_line[:len(body_line) - len(body_line.lstrip())]
    else:  # `def f(x): return x` on one line
        indent = lines[node.lineno - 1][:node.col_offset] + "    "
    parts, rest = [header], node.body
    if _is_docstring(rest[0]):
        parts.append(indent + ast.get_source_segment(src, rest[0]))
        rest = rest[1:]
    name = prefix + node.name
    if not isinstance(node, ast.ClassDef):
        return "\n".join(parts + [indent + STUB.format(name=name)])
    for stmt in rest:
        if isinstance(stmt, _DEFS):
            parts += [""] if len(parts) > 1 else []  # a blank line between methods
            parts.append(indent + _stub(stmt, src, lines, tokens, prefix=name + "."))
        else:  # class attributes and annotations are interface, not solution
            parts.append(indent + ast.get_source_segment(src, stmt))
    if len(parts) == 1:
        parts.append(indent + "pass")
    return "\n".join(parts)


def _parse(src: str, place: str) -> ast.Module:
    try:
        return ast.parse(src)
    except SyntaxError as err:
        raise EditionError(f"{place}: the `{SOLUTION}` cell is not plain Python ({err.msg}, line "
                           f"{err.lineno}); keep magics and shell commands out of exercises") from None


def stub_source(src: str, place: str = "solution cell") -> tuple[str, list[str]]:
    """The student's version of a solution cell's source, and the top-level names it defines.

    ``place`` names the cell in errors (see :func:`tools.cells.where`). Raises :class:`EditionError`
    when the cell defines no function or class, or holds anything but definitions and imports.
    """
    tree = _parse(src, place)
    lines = src.splitlines(keepends=True)
    tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
    out: list[str] = []
    names: list[str] = []
    done = 0  # last line already covered by a statement

    def keep_gap(upto: int) -> None:  # blank lines and unindented comments between statements
        for line in lines[done:upto]:
            if not line.strip() or line.startswith("#"):
                out.append(line.rstrip("\r\n"))

    for node in tree.body:
        first = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
        keep_gap(first - 1)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(ast.get_source_segment(src, node))
        elif isinstance(node, _DEFS):
            out.append(_stub(node, src, lines, tokens))
            names.append(node.name)
        else:
            raise EditionError(
                f"{place}: a `{SOLUTION}` cell holds only function and class definitions (and "
                f"imports), but line {node.lineno} is `{lines[node.lineno - 1].strip()}`; move it to "
                "a cell of its own")
        done = max(done, node.end_lineno)
    keep_gap(len(lines))
    if not names:
        raise EditionError(f"{place}: a `{SOLUTION}` cell defines the function the student writes, "
                           "but this one defines none")
    student = "\n".join(out).strip("\n")
    ast.parse(student)  # the stubbed cell must still run
    return student, names


def exercises(nb: NotebookNode, path: str | Path = "notebook") -> list[Exercise]:
    """Every ``solution`` cell with the code cell that checks it; enforces the conventions.

    A solution cell is code, is followed by a code cell that is not itself a solution and that
    mentions one of the names the solution defines. Anything else is an :class:`EditionError`.
    """
    found = []
    for i, cell in enumerate(nb.cells):
        cell_tags = tags(cell)
        if SOLUTION not in cell_tags:
            continue
        place = where(path, i, cell)
        if cell.cell_type != "code" or ANSWER in cell_tags:
            raise EditionError(f"{place}: a `{SOLUTION}` cell is a code cell without the `{ANSWER}` tag")
        _, names = stub_source(source(cell), place)
        check = next((j for j in range(i + 1, len(nb.cells)) if nb.cells[j].cell_type == "code"), None)
        if check is None or SOLUTION in tags(nb.cells[check]):
            raise EditionError(f"{place}: a `{SOLUTION}` cell is followed by the code cell that checks "
                               "it against seminar_utils")
        if not any(re.search(rf"\b{re.escape(n)}\b", source(nb.cells[check])) for n in names):
            raise EditionError(f"{where(path, check, nb.cells[check])}: the cell after a `{SOLUTION}` "
                               f"cell checks it, but it uses none of {', '.join(names)}")
        found.append(Exercise(i, check, tuple(names)))
    return found


def student_edition(nb: NotebookNode, path: str | Path = "notebook") -> NotebookNode:
    """A new notebook: the student edition of the instructor's ``nb`` read from ``path``."""
    exercises(nb, path)  # fail early, with the cell named, on a broken exercise
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell_tags = tags(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
        if SOLUTION in cell_tags:
            cell.source, _ = stub_source(source(cell), where(path, i, cell))
            cell.metadata.tags = [EXERCISE if t == SOLUTION else t for t in cell_tags]
        elif ANSWER in cell_tags:
            if cell.cell_type != "markdown":
                raise EditionError(f"{where(path, i, cell)}: an `{ANSWER}` cell is markdown (tag code "
                                   f"exercises `{SOLUTION}`)")
            cell.source = ANSWER_PLACEHOLDER
            cell.pop("attachments", None)
            cell.metadata.tags = [YOUR_ANSWER if t == ANSWER else t for t in cell_tags]
    nb.metadata.pop("widgets", None)  # widget state belongs to outputs that are gone
    banner = nbformat.v4.new_markdown_cell(BANNER.format(name=Path(path).name),
                                           metadata={"slideshow": {"slide_type": "skip"}})
    if nb.nbformat_minor >= 5:
        banner.id = BANNER_ID
    else:
        banner.pop("id", None)
    nb.cells.insert(1 if nb.cells else 0, banner)
    return nb
