"""The pieces every check is made of: :class:`Verdict`, :class:`Check`, the registry, :func:`plain` and
:func:`close` (see :mod:`seminar_utils.exercises`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["CHECKS", "Check", "Verdict", "close", "plain", "register"]


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
