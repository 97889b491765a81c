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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["CHECKS", "Check", "Verdict", "check", "close", "plain", "register", "run_check"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: ``passed`` and one line per property tested (``✓ …`` or ``✗ …``)."""

    passed: bool
    lines: tuple[str, ...] = ()

    def __str__(self) -> str:
        return "\n".join(self.lines)

    @classmethod
    def of(cls, *lines: tuple[bool, str]) -> Verdict:
        """A verdict from ``(ok, text)`` pairs: passed when every one is ok."""
        return cls(all(ok for ok, _ in lines), tuple(("✓ " if ok else "✗ ") + text for ok, text in lines))


@dataclass(frozen=True)
class Check:
    """One exercise's check (see the module docstring).

    ``key``: ``"<notebook>/<name>"``; ``names``: what the solution cell defines (``run`` reads them
    from ``ns``); ``references``: dotted names of the package's own implementation of what the
    exercise asks for (``"seminar_utils.gmm.component_log_pdf"``) — a solution that uses one of them is
    flagged for the instructor, not credited silently.
    """

    key: str
    names: tuple[str, ...]
    run: Callable[[Mapping[str, Any]], Any]
    judge: Callable[[Any], Verdict]
    references: tuple[str, ...] = field(default=())


CHECKS: dict[str, Check] = {}


def register(check_: Check) -> Check:
    """Add ``check_`` to :data:`CHECKS` (a key registered twice is a programming error)."""
    if check_.key in CHECKS:
        raise ValueError(f"a check named {check_.key!r} is registered already")
    CHECKS[check_.key] = check_
    return check_


def _load_all() -> None:
    from . import s01, s02, s03, s04, s05, s06  # noqa: F401  (each module registers its checks)


def get_check(key: str) -> Check:
    """The registered check ``key``; a ``KeyError`` naming the known keys otherwise."""
    _load_all()
    if key not in CHECKS:
        raise KeyError(f"no check named {key!r}; known: {', '.join(sorted(CHECKS))}")
    return CHECKS[key]


_PLAIN_SCALARS = (bool, int, float, str, type(None))


def plain(value: Any, name: str = "result") -> Any:
    """``value`` as plain data: tensors detached, on the CPU and cloned; numbers, booleans, strings
    and ``None`` as they are; lists, tuples and string-keyed dicts element by element.

    Anything else (a tensor subclass, a NumPy scalar, an object of the student's own class) raises a
    ``TypeError`` naming where it sits and what was expected — so an object whose ``==`` always says
    yes never reaches a comparison.
    """
    if type(value) is torch.Tensor or type(value) is torch.nn.Parameter:
        return value.detach().to("cpu").clone()
    if type(value) in _PLAIN_SCALARS:
        return value
    if type(value) in (list, tuple):
        return type(value)(plain(v, f"{name}[{i}]") for i, v in enumerate(value))
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise TypeError(f"{name}: a dict with keys that are not all strings")
        return {k: plain(v, f"{name}[{k!r}]") for k, v in value.items()}
    raise TypeError(
        f"{name}: a {type(value).__module__}.{type(value).__qualname__}, expected a torch.Tensor, a number, "
        "a bool, a str, None, or a list/tuple/dict of those"
    )


def _first_mismatch(bad: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in bad.nonzero()[0]) if bad.ndim else ()


def close(what: str, ours: Any, reference: Any, *, atol: float, rtol: float = 0.0) -> tuple[bool, str]:
    """``(ok, text)``: ``ours`` equals ``reference`` within ``atol + rtol·|reference|`` everywhere.

    ``ours`` may be anything a student returned: the text says what is wrong in a way a student can
    act on — the type, the shape, a NaN, or the largest difference and the first entry that is off,
    with both values.
    """
    reference = torch.as_tensor(reference).double()
    if isinstance(ours, bool) or not isinstance(ours, (torch.Tensor, int, float)):
        return False, f"{what}: got a {type(ours).__name__}, expected a tensor of shape {tuple(reference.shape)}"
    ours = torch.as_tensor(ours)
    if ours.is_complex() or ours.dtype == torch.bool:
        return False, f"{what}: got a {ours.dtype} tensor, expected real numbers"
    ours = ours.detach().double().cpu()
    if ours.shape != reference.shape:
        return False, f"{what}: shape {tuple(ours.shape)}, expected {tuple(reference.shape)}"
    if ours.numel() == 0:
        return True, f"{what}: empty, as expected"
    ours_nan, ref_nan = ours.isnan(), reference.isnan()
    if (ours_nan != ref_nan).any():
        at = _first_mismatch(ours_nan != ref_nan)
        return False, f"{what}: {ours[at].item()} at index {at}, expected {reference[at].item()}"
    both = ~ref_nan
    same_inf = (ours == reference) & both  # equal infinities compare equal
    diff = torch.where(same_inf, torch.zeros_like(ours), (ours - reference).abs())
    finite_scale = torch.where(reference.isinf(), torch.zeros_like(reference), reference.abs())  # no 0·inf, no inf
    allowed = atol + rtol * finite_scale
    bad = both & ~(diff <= allowed)
    worst = diff[both].max().item() if both.any() else 0.0
    tolerance = f"{atol:g}" + (f" + {rtol:g}·|reference|" if rtol else "")
    if bad.any():
        at = _first_mismatch(bad)
        where = f" at index {at}" if at else ""
        return False, (
            f"{what}: off by up to {worst:.3g} (tolerance {tolerance}); first{where}: "
            f"{ours[at].item():.6g}, expected {reference[at].item():.6g}"
        )
    return True, f"{what}: matches (tolerance {tolerance})"  # no measured figure: the same text on every machine


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
