"""An nbgrader preprocessor: a check cell earns its points only when it prints the reference verdict.

nbgrader scores an autograded test cell full marks when it runs without error. The checks of this
collection do not raise: they *print* a verdict (``... matches seminar_utils...: True``), the same text
in fast and full mode and on any device (nbval compares it in ``make test``). After nbgrader has run a
submission, :class:`CheckVerdicts` compares the stdout of each autograded code cell with the output
committed in the instructor's notebook (kept in the course's ``source/`` copy); a different verdict
becomes an error output, so nbgrader scores the cell 0 and the feedback shows why. A check with no
committed output passes when it prints something and no ``False``/``FAIL``.

Loaded by the ``nbgrader_config.py`` that :mod:`tools.classroom` writes into the course directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

WRONG = "WrongVerdict"


def stdout(cell) -> str:
    """What a code cell printed to stdout."""
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )


def is_check(cell) -> bool:
    """An autograded test cell: nbgrader ``grade`` code that is not a solution."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


class CheckVerdicts(Preprocessor):
    """Turn a check cell whose printed verdict differs from the reference into a failed test."""

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off by default
    source_directory = Unicode(
        "", help="the course's source/ folder (instructor notebooks with their committed outputs)"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        path = Path(self.source_directory, info.get("assignment", ""), f"{info.get('notebook', '')}.ipynb")
        expected = {}
        if path.is_file():
            expected = {
                c.metadata.nbgrader["grade_id"]: stdout(c)
                for c in nbformat.read(path, as_version=4).cells
                if is_check(c)
            }
        for cell in nb.cells:
            if not is_check(cell) or any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                continue
            got, want = stdout(cell), expected.get(cell.metadata.nbgrader.get("grade_id"), "")
            if want:
                ok = got == want
                why = f"the check printed {got.strip()!r}; the reference prints {want.strip()!r}"
            else:
                ok = bool(got.strip()) and not re.search(r"\bFalse\b|\bFAIL", got)
                why = f"the check printed {got.strip()!r}"
            if not ok:
                cell.outputs.append(
                    nbformat.v4.new_output("error", ename=WRONG, evalue=why, traceback=[f"{WRONG}: {why}"])
                )
        return nb, resources


def autograde_preprocessors() -> list:
    """nbgrader's autograde preprocessors with :class:`CheckVerdicts` right after the execution."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    found = list(Autograde.class_traits()["autograde_preprocessors"].default())
    found.insert(found.index(Execute) + 1, CheckVerdicts)
    return found
