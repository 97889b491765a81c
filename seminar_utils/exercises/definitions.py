"""The definitions a check runs on: a notebook's imports, functions and classes — nothing else.

A check calls the functions and classes of a solution cell, which may use the notebook's imports and
the functions defined in its other cells. :func:`namespace` builds exactly that, without running the
notebook: from every code cell it keeps the ``import`` statements, the ``def`` and ``class``
statements and assignments of literal constants, in notebook order, and executes only those. The
grader builds a submission's namespace this way in the submission's sandbox, and the exercise bank's
test builds the namespace of each bank entry the same way.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _is_constant_assignment(node: ast.stmt) -> bool:
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if not all(isinstance(t, ast.Name) for t in targets):
        return False
    try:
        ast.literal_eval(node.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _python(source: str) -> str:
    """``source`` with IPython's magics and shell lines (``%…``, ``!…``) blanked out."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def definitions(source: str) -> str:
    """The imports, definitions and literal-constant assignments of one cell's ``source``, as code.

    A cell that is not valid Python (after blanking magics) contributes nothing.
    """
    try:
        tree = ast.parse(_python(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    kept = [node for node in tree.body if isinstance(node, _KEPT) or _is_constant_assignment(node)]
    return "\n\n".join(ast.unparse(node) for node in kept)


def notebook_cells(path: str | Path) -> list[dict[str, Any]]:
    """The code cells of the notebook at ``path`` as ``{"id", "source", "tags", "grade_id"}`` dicts.

    ``grade_id`` is nbgrader's (``exercise-<id>``, ``check-<id>``) in a release or submission, else
    ``None``.
    """
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for cell in raw.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        grading = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
        tags = meta.get("tags") if isinstance(meta.get("tags"), list) else []
        cells.append(
            {
                "id": cell.get("id"),
                "source": "".join(src) if isinstance(src, list) else str(src),
                "tags": [t for t in tags if isinstance(t, str)],
                "grade_id": grading.get("grade_id") if isinstance(grading.get("grade_id"), str) else None,
            }
        )
    return cells


def namespace(sources: Iterable[str], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A fresh namespace holding the :func:`definitions` of ``sources``, executed in order.

    ``extra`` is added first (``__name__`` is ``"__main__"``, as in a kernel). An import or definition
    that raises propagates: the caller says which cell it came from.
    """
    ns: dict[str, Any] = {"__name__": "__main__", **(extra or {})}
    for source in sources:
        code = definitions(source)
        if code:
            exec(compile(code, "<definitions>", "exec"), ns)
    return ns
