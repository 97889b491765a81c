"""Input checks of the EM code: every mixture parameter and data set is validated here.

Each check raises a ``ValueError`` naming the argument and what was expected; the tensors they
return are float64, on the device the computation runs on (the CPU instead of Apple MPS, which has
no float64).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .._checks import as_tensor, check_int, check_real
from ..runtime import get_device


def to_float64(value: Any, name: str, device: torch.device | None = None) -> torch.Tensor:
    """``value`` (tensor or array-like of real numbers) as a float64 tensor on ``device``, detached.

    ``device=None`` keeps a tensor where it is (an MPS tensor goes to the CPU) and puts anything
    else on the CPU. Complex, ``bool`` and non-numeric values, NaN and inf are refused (:func:`as_tensor`).
    """
    if device is None:  # a given device is one the caller resolved
        device = value.device if isinstance(value, torch.Tensor) else torch.device("cpu")
    return as_tensor(
        value,
        name,
        integers="cast",
        array_like=True,
        detach=True,
        dtype=torch.float64,
        device=get_device(default=device, float64=True),
        finite=True,
    )


def check_data(
    X: Any, name: str = "X", device: torch.device | None = None, n_features: int | None = None
) -> torch.Tensor:
    """``X`` as a finite 2-D floating tensor of shape (n_samples, n_features)."""
    X = to_float64(X, name, device)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D of shape (n_samples, n_features), got shape {tuple(X.shape)}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least one sample and one feature, got shape {tuple(X.shape)}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns), got {X.shape[1]}")
    return X


def check_shape(tensor: torch.Tensor, shape: tuple[int, ...], name: str, what: str) -> None:
    if tuple(tensor.shape) != shape:
        raise ValueError(f"{name} must have shape {what} = {shape}, got {tuple(tensor.shape)}")


def check_weights(weights: Any, K: int, name: str, device: torch.device) -> torch.Tensor:
    """Mixture weights: shape (K,), finite, non-negative, summing to 1 (within 1e-6)."""
    weights = to_float64(weights, name, device)
    check_shape(weights, (K,), name, "(n_components,)")
    if bool((weights < 0).any()):
        raise ValueError(f"{name} must be non-negative, got {weights.tolist()}")
    if abs(float(weights.sum()) - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1, got sum {float(weights.sum()):.8g}")
    return weights


def check_means(means: Any, K: int, D: int, name: str, device: torch.device) -> torch.Tensor:
    means = to_float64(means, name, device)
    check_shape(means, (K, D), name, "(n_components, n_features)")
    return means


def check_covariances(
    covariances: Any, K: int, D: int, name: str, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Covariances (K, D, D), each symmetric positive definite; returns them and their Cholesky factors."""
    covariances = to_float64(covariances, name, device)
    check_shape(covariances, (K, D, D), name, "(n_components, n_features, n_features)")
    # the tolerance of numpy.allclose, which scikit-learn uses for the same check
    if not torch.allclose(covariances, covariances.transpose(1, 2), rtol=1e-5, atol=1e-8):
        raise ValueError(f"{name} must be symmetric positive definite; some matrix is not symmetric")
    chol, info = torch.linalg.cholesky_ex(covariances)
    if bool((info > 0).any()):
        bad = int(torch.nonzero(info > 0)[0, 0])
        raise ValueError(f"{name} must be symmetric positive definite; component {bad} is not")
    return covariances, chol


def check_params(
    X: torch.Tensor, weights: Any, means: Any, covariances: Any
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixture parameters checked against each other and against X (on X's device)."""
    means = to_float64(means, "means", X.device)
    if means.ndim != 2:
        raise ValueError(f"means must be 2-D of shape (n_components, n_features), got {tuple(means.shape)}")
    K, D = means.shape
    if D != X.shape[1]:
        raise ValueError(f"means must have X's {X.shape[1]} features (columns), got {D}")
    means = check_means(means, K, D, "means", X.device)
    weights = check_weights(weights, K, "weights", X.device)
    covariances, chol = check_covariances(covariances, K, D, "covariances", X.device)
    return weights, means, covariances, chol


def check_n_components(n_components: Any, n_samples: int | None = None) -> int:
    n_components = check_int(n_components, "n_components", low=1)
    if n_samples is not None and n_components > n_samples:
        raise ValueError(f"n_components must be <= n_samples, got n_components={n_components} for {n_samples} samples")
    return n_components


def check_reg_covar(reg_covar: Any) -> float:
    return check_real(reg_covar, "reg_covar", low=0.0, strict=False)


def random_state_of(random_state: Any, name: str = "random_state") -> np.random.RandomState:
    """A NumPy ``RandomState`` from None, an int seed or a ``RandomState`` (scikit-learn's rule)."""
    if random_state is None:
        return np.random.RandomState()
    if isinstance(random_state, np.random.RandomState):
        return random_state
    try:
        return np.random.RandomState(check_int(random_state, name, low=0, high=2**32))
    except ValueError:
        raise ValueError(
            f"{name} must be None, an integer in [0, 2**32) or a numpy RandomState, got {random_state!r}"
        ) from None
