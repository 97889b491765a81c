"""The checks of the seminars' exercises: one piece of code gives a student's verdict and the grade.

Each exercise has one :class:`Check` in this subpackage (``s01``, ``s02``, … for the notebooks), in
two halves that never share a process while grading:

``run(ns) -> data``
    calls the student's definitions (``ns``: the names a solution cell defines, with the notebook's
    imports) on inputs it builds itself from fixed seeds, and returns *plain data*: tensors, numbers,
    booleans, strings, ``None``, and lists, tuples and string-keyed dicts of those (:func:`plain`).
    While grading it runs in the submission's own sandboxed process, so its result is untrusted data.
``judge(data) -> Verdict``
    rebuilds the same inputs, computes what the answer must be (the package's reference, an exact
    identity, an analytic value) and compares. While grading it runs in the grader's process, where no
    student code runs: a student cannot patch ``print``, a comparison or the reference.

In a notebook the check cell after an exercise is one line, ``check("01_em_gmm/gaussian_log_pdf",
globals())``: both halves run in the kernel and the verdict is printed, one line per property.

A check tests properties, not one random draw: where an exercise draws random numbers, ``run`` chooses
inputs whose answer does not depend on the draws (a posterior equal to the exact one, σ → 0), or the
exercise text says exactly how to draw them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .core import CHECKS, Check, Verdict, close, plain, register

__all__ = ["CHECKS", "Check", "Verdict", "check", "close", "get_check", "plain", "register", "run_check"]


def _load_all() -> None:
    from . import (  # noqa: F401  (each module registers its checks)
        s01,
        s02,
        s02_elbo,
        s03,
        s03_bounds,
        s03_information,
        s03_linear,
        s03_train,
        s03_units,
        s04,
        s05,
        s05_gaps,
        s06,
    )


def get_check(key: str) -> Check:
    """The registered check ``key``; a ``KeyError`` naming the known keys otherwise."""
    _load_all()
    if key not in CHECKS:
        raise KeyError(f"no check named {key!r}; known: {', '.join(sorted(CHECKS))}")
    return CHECKS[key]


def run_check(key: str, ns: Mapping[str, Any], *, stop_if_not_written: bool = False) -> Verdict:
    """Both halves of check ``key`` in this process, on the definitions in ``ns``.

    An exercise not yet written (``NotImplementedError``) or code that raises gives a failed verdict
    that names the error, not a traceback; with ``stop_if_not_written`` the ``NotImplementedError``
    propagates instead (a notebook stops at the first exercise still to write).
    """
    found = get_check(key)
    missing = [n for n in found.names if n not in ns]
    if missing:
        return Verdict(False, (f"✗ {', '.join(missing)} not defined: run the exercise's cell first",))
    try:
        data = plain(found.run(ns))
    except NotImplementedError:
        if stop_if_not_written:
            raise
        return Verdict(False, (f"✗ {', '.join(found.names)}: not written yet (NotImplementedError)",))
    except Exception as err:  # the student's code raised: say what, as a verdict
        return Verdict(False, (f"✗ {', '.join(found.names)} raised {type(err).__name__}: {err}",))
    return found.judge(data)


def check(key: str, ns: Mapping[str, Any]) -> None:
    """Print the verdict of check ``key`` on the definitions in ``ns`` (a notebook passes ``globals()``).

    An exercise still to write raises its ``NotImplementedError`` here, so a student edition run from
    the top stops at the first exercise to write, as the banner says.
    """
    verdict = run_check(key, ns, stop_if_not_written=True)
    print(verdict)
    print(f"{key.split('/', 1)[-1]}: {'PASSED' if verdict.passed else 'NOT PASSED'}")
