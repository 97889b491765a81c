"""Shared argument checks of the package: each raises a ``ValueError`` naming the argument.

Integers may be Python or NumPy integers (``numbers.Integral``), numbers any real type
(``numbers.Real``: ``np.float32(1e-3)`` works); ``bool`` is rejected for both. Also the constant
log 2π of every Gaussian log-density, the model-device lookup and the arrays of the plots.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import torch
from torch import nn

LOG_2PI = math.log(2.0 * math.pi)


def check_int(value: Any, name: str, *, low: int = 1, high: int | None = None,
              allow_none: bool = False) -> int | None:
    """``value`` as an ``int`` with ``low <= value`` (and ``value < high`` when given)."""
    if value is None and allow_none:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low
            or (high is not None and value >= high)):
        if high is not None:
            power = high.bit_length() - 1
            bound = f"2**{power}" if high > 1024 and high == 2**power else str(high)
            expected = f"an integer in [{low}, {bound})"
        else:
            expected = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{name} must be {expected}{' or None' if allow_none else ''}, got {value!r}")
    return int(value)


def positive_int(value: Any, name: str, allow_none: bool = False) -> int | None:
    """``value`` as an ``int`` >= 1 (or None when ``allow_none``)."""
    return check_int(value, name, low=1, allow_none=allow_none)


def check_real(value: Any, name: str, *, low: float | None = None, strict: bool = True,
               allow_none: bool = False) -> float | None:
    """``value`` as a finite ``float``, above ``low`` (``>= low`` unless ``strict``) when given."""
    if value is None and allow_none:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
            or (low is not None and (value <= low if strict else value < low))):
        bound = "" if low is None else f" {'>' if strict else '>='} {low:g}"
        raise ValueError(f"{name} must be a finite number{bound}{' or None' if allow_none else ''}, "
                         f"got {value!r}")
    return float(value)


def positive_float(value: Any, name: str) -> float:
    """``value`` as a positive finite ``float``."""
    return check_real(value, name, low=0.0)


def module_device_dtype(module: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device and dtype of the module's first parameter (CPU, float32 for one without parameters)."""
    p = next(module.parameters(), None)
    return (p.device, p.dtype) if p is not None else (torch.device("cpu"), torch.float32)


def finite_array(value: Any, name: str, ndim: int) -> np.ndarray:
    """``value`` (tensor, array or nested lists) as a finite float64 NumPy array of rank ``ndim``."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a numeric array, got {type(value).__name__}") from err
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array


def points_2d(points: Any, name: str = "points") -> np.ndarray:
    """A point set ``(n, 2)``, n >= 1, as a finite float64 NumPy array (see :func:`finite_array`)."""
    array = finite_array(points, name, 2)
    if array.shape[1] != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must be (n, 2) with n >= 1 points, got shape {array.shape}")
    return array
