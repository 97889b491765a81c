"""The package's one set of argument checks: each failure is a ``ValueError`` naming the argument.

* :func:`as_tensor` turns a tensor (or a NumPy array, or with ``array_like=True`` nested lists and
  numbers) into a real tensor: complex and ``bool`` values, meta tensors and non-numeric arrays are
  refused; integers are refused or cast (``integers="cast"``); shape, finiteness, dtype and device
  are checked or set on request.
* :func:`as_examples` is the same for a data set of examples ``(N, ...)`` (a ``TensorDataset`` too).
* :func:`as_data`, :func:`same_shape`, :func:`as_param` and :func:`as_batch` are the losses' (a
  loss's data, a tensor of another's shape, a per-example or shared parameter, a batch of vectors).
* :func:`check_int` and :func:`check_real` check numbers: Python or NumPy integers
  (``numbers.Integral``) and reals (``numbers.Real``: ``np.float32(1e-3)`` works); ``bool`` is
  refused for both, and so are NaN and inf.

Also :func:`history_problem` (a History read back from a checkpoint).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import TensorDataset

__all__ = [
    "as_batch",
    "as_data",
    "as_examples",
    "as_latents",
    "as_param",
    "as_tensor",
    "check_choice",
    "check_int",
    "check_real",
    "history_problem",
    "same_shape",
    "shape_of",
]


def shape_of(value: Any) -> str:
    """``value``'s shape as a tuple string, or its type name when it has no shape (for messages)."""
    shape = getattr(value, "shape", None)
    return str(tuple(shape)) if shape is not None else type(value).__name__


def _dtype_problem(dtype: torch.dtype, integers: str) -> str | None:
    if dtype.is_complex:
        return f"real numbers, got complex dtype {dtype}"
    if dtype == torch.bool:
        return f"numbers, got dtype {dtype}"
    if not dtype.is_floating_point and integers == "reject":
        return f"a floating dtype, got {dtype}"
    return None


def _from_array(value: Any, name: str) -> torch.Tensor:
    """``numpy.asarray(value)`` as a tensor, refused unless it holds real numbers."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a numeric array, got {type(value).__name__}") from error
    if array.dtype.kind == "c":
        raise ValueError(f"{name} must hold real numbers, got complex dtype {array.dtype}")
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    return torch.from_numpy(np.ascontiguousarray(array))


def as_tensor(
    value: Any,
    name: str,
    *,
    ndim: int | None = None,
    min_dim: int = 0,
    integers: Literal["reject", "cast"] = "reject",
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
    finite: bool = False,
    array_like: bool = False,
    detach: bool = False,
) -> torch.Tensor:
    """``value`` as a real torch tensor, checked; every failure is a ``ValueError`` naming ``name``.

    Accepts a tensor or a NumPy array (and, with ``array_like``, anything ``numpy.asarray`` reads:
    lists, numbers). Refused: complex and ``bool`` dtypes, meta tensors (they hold no data), object
    arrays; integer dtypes unless ``integers="cast"`` (then they become ``dtype``, or float32).
    ``ndim`` fixes the number of dimensions, ``min_dim`` bounds it from below; ``finite`` refuses
    NaN and inf; ``dtype``/``device`` convert; ``detach`` cuts the result from autograd. A tensor
    that needs no conversion is returned as it is, gradients included.
    """
    if isinstance(value, np.ndarray) or (array_like and not isinstance(value, torch.Tensor)):
        value = _from_array(value, name)
    if not isinstance(value, torch.Tensor):
        kinds = "a torch tensor or a numpy array" + (" (or nested lists of numbers)" if array_like else "")
        raise ValueError(f"{name} must be {kinds}, got {type(value).__name__}")
    problem = _dtype_problem(value.dtype, integers)
    if problem:
        raise ValueError(f"{name} must hold {problem}")
    if value.device.type == "meta":
        raise ValueError(f"{name} is a meta tensor (it has a shape but no data)")
    if ndim is not None and value.dim() != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {tuple(value.shape)}")
    if value.dim() < min_dim:
        raise ValueError(f"{name} must have at least {min_dim} dimensions, got shape {tuple(value.shape)}")
    if not value.is_floating_point() and dtype is None:
        dtype = torch.float32
    if dtype is not None or device is not None:
        value = value.to(device=device, dtype=dtype)  # one step: no float32 detour, no float64 on MPS
    if detach:
        value = value.detach()
    if finite and value.numel() and not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} must be finite, got NaN or inf")
    return value


def as_latents(value: Any, z_dim: int, name: str = "z", rows: str = "batch", **kwargs: Any) -> torch.Tensor:
    """Latent vectors ``(rows, z_dim)`` through :func:`as_tensor` (``kwargs`` are its options); any
    other shape is a ``ValueError`` naming ``name`` and the shape expected."""
    value = as_tensor(value, name, **kwargs)
    if value.dim() != 2 or value.shape[1] != z_dim:
        raise ValueError(f"{name} must be ({rows}, {z_dim}), got {tuple(value.shape)}")
    return value


def as_data(value: Any, name: str, like: torch.Tensor | None = None) -> torch.Tensor:
    """Data ``x`` ``(batch, ...)`` for a loss: integers are cast (to ``like``'s dtype when given); NaN/inf refused."""
    return as_tensor(value, name, min_dim=1, integers="cast", dtype=None if like is None else like.dtype, finite=True)


def same_shape(value: Any, name: str, ref: torch.Tensor, ref_name: str) -> torch.Tensor:
    """``value`` as a tensor of ``ref``'s shape (a ``ValueError`` naming both otherwise)."""
    value = as_tensor(value, name, min_dim=1)
    if value.shape != ref.shape:
        raise ValueError(f"{name} must have the shape of {ref_name} {tuple(ref.shape)}, got {tuple(value.shape)}")
    return value


def as_param(value: Any, name: str, ref: torch.Tensor, ref_name: str) -> torch.Tensor:
    """A scale/location parameter for ``ref`` ``(batch, ...)``: its shape, ``ref.shape[1:]`` (shared by
    the batch) or a scalar (a Python number too, in ``ref``'s dtype and device)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = torch.tensor(float(value), dtype=ref.dtype, device=ref.device)
    value = as_tensor(value, name)
    if value.shape not in (ref.shape, ref.shape[1:], torch.Size([])):
        raise ValueError(
            f"{name} must have the shape of {ref_name} {tuple(ref.shape)}, its shape "
            f"without the batch dimension {tuple(ref.shape[1:])}, or be a scalar; "
            f"got {tuple(value.shape)}"
        )
    return value


def as_batch(value: Any, name: str) -> torch.Tensor:
    """A batch of vectors, at least 2-D ``(batch, dim)`` (a 1-D vector would be summed per coordinate)."""
    value = as_tensor(value, name, min_dim=1)
    if value.dim() < 2:
        raise ValueError(
            f"{name} must be (batch, z_dim) (at least 2-D), got shape {tuple(value.shape)}; "
            f"for a single vector use {name}.unsqueeze(0)"
        )
    return value


def as_examples(data: Any, name: str) -> torch.Tensor:
    """A data set of N > 0 examples ``(N, ...)``: a tensor, a NumPy array or a ``TensorDataset``
    (its first tensor); integers become float32, NaN/inf and empty sets are refused."""
    if isinstance(data, TensorDataset):
        data = data.tensors[0]
    if not isinstance(data, (torch.Tensor, np.ndarray)):
        raise ValueError(
            f"{name} must be a tensor (N, ...), a numpy array or a TensorDataset, got {type(data).__name__}"
        )
    data = as_tensor(data, name, min_dim=2, integers="cast", finite=True)
    if data.shape[0] == 0:
        raise ValueError(f"{name} must hold N > 0 examples, got shape {tuple(data.shape)}")
    return data


def check_int(value: Any, name: str, *, low: int = 1, high: int | None = None, allow_none: bool = False) -> int | None:
    """``value`` as an ``int`` with ``low <= value`` (and ``value < high`` when given)."""
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
        or (high is not None and value >= high)
    ):
        if high is not None:
            power = high.bit_length() - 1
            bound = f"2**{power}" if high > 1024 and high == 2**power else str(high)
            expected = f"an integer in [{low}, {bound})"
        else:
            expected = "a positive integer" if low == 1 else f"an integer >= {low}"
        raise ValueError(f"{name} must be {expected}{' or None' if allow_none else ''}, got {value!r}")
    return int(value)


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else a ``ValueError`` naming ``name`` and the choices."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_real(
    value: Any, name: str, *, low: float | None = None, strict: bool = True, allow_none: bool = False
) -> float | None:
    """``value`` as a finite ``float``, above ``low`` (``>= low`` unless ``strict``) when given."""
    if value is None and allow_none:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or (low is not None and (value <= low if strict else value < low))
    ):
        bound = "" if low is None else f" {'>' if strict else '>='} {low:g}"
        raise ValueError(f"{name} must be a finite number{bound}{' or None' if allow_none else ''}, got {value!r}")
    return float(value)


def history_problem(history: Any) -> str | None:
    """What keeps ``history`` (a :class:`~seminar_utils.training.History` read back from a file) from
    being one that ``fit`` could have written, in words; None when nothing does."""

    def numbers(values: Any) -> bool:  # what a History holds per epoch: a list of ints or floats
        return isinstance(values, list) and all(type(v) in (int, float) for v in values)

    if not numbers(history.epoch_seconds):
        return "epoch_seconds must be a list of numbers, one per epoch"
    epochs, splits = len(history.epoch_seconds), (history.train, history.test, history.settings)
    for split in splits:
        if not isinstance(split, dict) or any(
            type(k) is not str or not numbers(v) or len(v) != epochs for k, v in split.items()
        ):
            return "one value per epoch (a number) for every term"
    if not isinstance(history.monitor, str) or not isinstance(history.test_name, str):
        return "monitor and test_name must be strings"
    if not isinstance(history.stopped_early, bool):
        return f"stopped_early must be True or False, got {history.stopped_early!r}"
    if any(split and history.monitor not in split for split in splits[:2]):
        return f"monitor {history.monitor!r} is not one of its terms"
    best = history.best_epoch
    if history.test and epochs and not (type(best) is int and 1 <= best <= epochs):
        return f"best_epoch must be an epoch in 1 … {epochs}, got {best!r}"
    if not history.test and best is not None:
        return f"best_epoch must be None without test figures, got {best!r}"
    return None
