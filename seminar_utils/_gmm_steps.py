"""The reference formulas of EM for a Gaussian mixture with full covariances, and their input checks.

Written for reading: every function is the formula of the seminar, batched over the K components.
``seminar_utils.gmm`` re-exports the public ones; ``_gmm_fast`` computes the same quantities faster
inside :class:`~seminar_utils.gmm.GaussianMixtureEM` and falls back on these where it cannot be exact.

Notation: X (N, D) data, π weights (K,), μ means (K, D), Σ covariances (K, D, D),
γ responsibilities (N, K). Log-likelihoods are in nats.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._checks import LOG_2PI, check_int, check_real
# scikit-learn adds 10 machine epsilons to every N_k so that an empty component divides by no zero
N_K_FLOOR = 10.0 * torch.finfo(torch.float64).eps


# ----------------------------------------------------------------------------- input checks
def compute_device(device: torch.device) -> torch.device:
    """Where to compute in float64: ``device`` itself, but the CPU for Apple MPS (no float64 there)."""
    return torch.device("cpu") if device.type == "mps" else device


def as_tensor(value: Any, name: str, device: torch.device | None = None) -> torch.Tensor:
    """``value`` (tensor or array-like of numbers) as a float64 tensor on ``device``.

    ``device=None`` keeps a tensor where it is (an MPS tensor goes to the CPU) and puts anything
    else on the CPU.
    """
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
        if tensor.is_complex() or tensor.dtype == torch.bool:
            raise ValueError(f"{name} must hold real numbers, got dtype {tensor.dtype}")
    else:
        array = np.asarray(value)
        if array.dtype.kind not in "fiu":
            raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    device = compute_device(tensor.device if device is None else device)
    return tensor.to(device=device, dtype=torch.float64)


def check_finite(tensor: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} contains NaN or inf; expected finite values")


def check_data(X: Any, name: str = "X", device: torch.device | None = None,
               n_features: int | None = None) -> torch.Tensor:
    """``X`` as a finite 2-D floating tensor of shape (n_samples, n_features)."""
    X = as_tensor(X, name, device)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D of shape (n_samples, n_features), got shape {tuple(X.shape)}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least one sample and one feature, got shape {tuple(X.shape)}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns), got {X.shape[1]}")
    check_finite(X, name)
    return X


def check_shape(tensor: torch.Tensor, shape: tuple[int, ...], name: str, what: str) -> None:
    if tuple(tensor.shape) != shape:
        raise ValueError(f"{name} must have shape {what} = {shape}, got {tuple(tensor.shape)}")


def check_weights(weights: Any, K: int, name: str, device: torch.device) -> torch.Tensor:
    """Mixture weights: shape (K,), finite, non-negative, summing to 1 (within 1e-6)."""
    weights = as_tensor(weights, name, device)
    check_shape(weights, (K,), name, "(n_components,)")
    check_finite(weights, name)
    if bool((weights < 0).any()):
        raise ValueError(f"{name} must be non-negative, got {weights.tolist()}")
    if abs(float(weights.sum()) - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1, got sum {float(weights.sum()):.8g}")
    return weights


def check_means(means: Any, K: int, D: int, name: str, device: torch.device) -> torch.Tensor:
    means = as_tensor(means, name, device)
    check_shape(means, (K, D), name, "(n_components, n_features)")
    check_finite(means, name)
    return means


def check_covariances(covariances: Any, K: int, D: int, name: str,
                      device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Covariances (K, D, D), each symmetric positive definite; returns them and their Cholesky factors."""
    covariances = as_tensor(covariances, name, device)
    check_shape(covariances, (K, D, D), name, "(n_components, n_features, n_features)")
    check_finite(covariances, name)
    # the tolerance of numpy.allclose, which scikit-learn uses for the same check
    if not torch.allclose(covariances, covariances.transpose(1, 2), rtol=1e-5, atol=1e-8):
        raise ValueError(f"{name} must be symmetric positive definite; some matrix is not symmetric")
    chol, info = torch.linalg.cholesky_ex(covariances)
    if bool((info > 0).any()):
        bad = int(torch.nonzero(info > 0)[0, 0])
        raise ValueError(f"{name} must be symmetric positive definite; component {bad} is not")
    return covariances, chol


def check_params(X: torch.Tensor, weights: Any, means: Any, covariances: Any
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mixture parameters checked against each other and against X (on X's device)."""
    means = as_tensor(means, "means", X.device)
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
        raise ValueError(f"n_components must be <= n_samples, got n_components={n_components} "
                         f"for {n_samples} samples")
    return n_components


def check_reg_covar(reg_covar: Any) -> float:
    return check_real(reg_covar, "reg_covar", low=0.0, strict=False)


# ----------------------------------------------------------------------------- the formulas
def log_gaussian_pdf(X: torch.Tensor, means: torch.Tensor, chol: torch.Tensor) -> torch.Tensor:
    """log N(x_n | μ_k, Σ_k) for all n, k: (N, K) in nats, from the Cholesky factors Σ_k = L_k L_kᵀ.

    log N(x | μ, Σ) = -½ [D log 2π + log det Σ + ‖L⁻¹(x - μ)‖²],  log det Σ = 2 Σ_i log L_ii.
    """
    D = X.shape[1]
    diff = X.unsqueeze(0) - means.unsqueeze(1)                                   # (K, N, D)
    y = torch.linalg.solve_triangular(chol, diff.transpose(1, 2), upper=False)   # (K, D, N)
    mahalanobis = y.square().sum(dim=1)                                          # (K, N)
    log_det = 2.0 * chol.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1)            # (K,)
    return -0.5 * (D * LOG_2PI + log_det.unsqueeze(1) + mahalanobis).T


def e_step_from_log_pdf(log_pdf: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log γ (N, K) and log p(x_n) (N,) from log N(x_n | μ_k, Σ_k) (N, K) and π (K,).

    log γ_nk = log π_k + log N(x_n | μ_k, Σ_k) - log p(x_n), the normaliser by logsumexp over k.
    """
    joint = log_pdf + weights.log()                      # log π_k N(x_n | μ_k, Σ_k)
    log_px = torch.logsumexp(joint, dim=1)               # log p(x_n) = log Σ_k exp(joint)
    return joint - log_px.unsqueeze(1), log_px


def m_step_formulas(X: torch.Tensor, resp: torch.Tensor, reg_covar: float
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """π, μ, Σ maximising the expected complete-data log-likelihood (scikit-learn's formulas).

    N_k = Σ_n γ_nk,  π_k = N_k / N,  μ_k = Σ_n γ_nk x_n / N_k,
    Σ_k = Σ_n γ_nk (x_n - μ_k)(x_n - μ_k)ᵀ / N_k + reg_covar · I.
    """
    n_k = resp.sum(dim=0) + N_K_FLOOR                                            # (K,)
    means = resp.T @ X / n_k.unsqueeze(1)                                        # (K, D)
    diff = X.unsqueeze(0) - means.unsqueeze(1)                                   # (K, N, D)
    weighted = diff * resp.T.unsqueeze(2)                                        # γ_nk (x_n - μ_k)
    covariances = weighted.transpose(1, 2) @ diff / n_k.view(-1, 1, 1)           # (K, D, D)
    covariances.diagonal(dim1=-2, dim2=-1).add_(reg_covar)
    return n_k / n_k.sum(), means, covariances


def squared_distances(X: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """‖x_n - c_k‖² for all n, k: (N, K)."""
    return (X.unsqueeze(1) - centres.unsqueeze(0)).square().sum(dim=2)


def random_state_of(random_state: Any, name: str = "random_state") -> np.random.RandomState:
    """A NumPy ``RandomState`` from None, an int seed or a ``RandomState`` (scikit-learn's rule)."""
    if random_state is None:
        return np.random.RandomState()
    if isinstance(random_state, np.random.RandomState):
        return random_state
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool) \
            and 0 <= random_state < 2**32:
        return np.random.RandomState(int(random_state))
    raise ValueError(f"{name} must be None, an integer in [0, 2**32) or a numpy RandomState, "
                     f"got {random_state!r}")


def kmeans_plus_plus_indices(X: torch.Tensor, n_components: int, rng: np.random.RandomState,
                             n_local_trials: int | None = None) -> np.ndarray:
    """Indices (K,) of k-means++ seeds, drawn exactly as ``sklearn.cluster.kmeans_plusplus`` draws them.

    Each new seed is the best (lowest total squared distance) of a few candidates sampled with
    probability ∝ squared distance to the closest seed so far ("greedy" k-means++).
    """
    n_samples = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_components))
    indices = np.empty(n_components, dtype=np.int64)
    indices[0] = rng.choice(n_samples, p=np.full(n_samples, 1.0 / n_samples))
    closest = squared_distances(X, X[indices[0]].unsqueeze(0))[:, 0]             # (N,)
    potential = float(closest.sum())
    for c in range(1, n_components):
        targets = rng.uniform(size=n_local_trials) * potential
        cumulative = np.cumsum(closest.cpu().numpy())
        candidates = np.minimum(np.searchsorted(cumulative, targets), n_samples - 1)
        to_candidates = squared_distances(X, X[torch.as_tensor(candidates, device=X.device)])
        trial = torch.minimum(closest.unsqueeze(1), to_candidates)                # (N, trials)
        best = int(trial.sum(dim=0).argmin())
        closest = trial[:, best]
        potential = float(closest.sum())
        indices[c] = candidates[best]
    return indices
