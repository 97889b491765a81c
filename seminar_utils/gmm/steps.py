"""The E-step, the M-step and friends with their input checks: the reference of seminar 01.

The notebook checks its own code against these. They take NumPy arrays or torch tensors and return
float64 torch tensors on X's device (the CPU for Apple MPS, which has no float64); the formulas
themselves are in ``formulas``, the checks in ``checks``.
"""

from __future__ import annotations

from typing import Any

import torch

from ..formulas import log_gaussian_pdf
from . import checks
from .formulas import e_step_from_log_pdf, kmeans_plus_plus_indices, m_step_formulas

__all__ = ["component_log_pdf", "e_step", "kmeans_plus_plus", "log_likelihood", "m_step"]

# how far a row of responsibilities may sum from 1 (rounding in exp(log γ) is ~1e-15)
RESP_SUM_TOLERANCE = 1e-6


def component_log_pdf(X: Any, means: Any, covariances: Any) -> torch.Tensor:
    """log N(x_n | μ_k, Σ_k): (N, K) in nats, for X (N, D), means (K, D), covariances (K, D, D)."""
    X = checks.check_data(X)
    means = checks.to_float64(means, "means", X.device)
    if means.ndim != 2 or means.shape[1] != X.shape[1]:
        raise ValueError(f"means must have shape (n_components, {X.shape[1]}), got {tuple(means.shape)}")
    K, D = means.shape
    means = checks.check_means(means, K, D, "means", X.device)
    _, chol = checks.check_covariances(covariances, K, D, "covariances", X.device)
    return log_gaussian_pdf(X, means, chol)


def e_step(X: Any, weights: Any, means: Any, covariances: Any) -> tuple[torch.Tensor, float]:
    """E-step in the log domain: log γ_nk (N, K) and the average log p(x_n | θ) in nats (a float).

    log γ_nk = log π_k + log N(x_n | μ_k, Σ_k) - logsumexp_j [log π_j + log N(x_n | μ_j, Σ_j)].
    """
    X = checks.check_data(X)
    weights, means, _, chol = checks.check_params(X, weights, means, covariances)
    log_resp, log_px = e_step_from_log_pdf(log_gaussian_pdf(X, means, chol), weights)
    return log_resp, float(log_px.mean())


def m_step(X: Any, resp: Any, reg_covar: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """M-step: (weights (K,), means (K, D), covariances (K, D, D)) from responsibilities γ (N, K).

    ``resp`` holds probabilities, not their logs, each row summing to 1 (within 1e-6);
    ``reg_covar`` is added to every covariance's diagonal (scikit-learn's formulas, including its
    10·eps added to each N_k).
    """
    X = checks.check_data(X)
    resp = checks.to_float64(resp, "resp", X.device)
    if resp.ndim != 2 or resp.shape[0] != X.shape[0] or resp.shape[1] < 1:
        raise ValueError(f"resp must have shape (n_samples, n_components) = ({X.shape[0]}, K), got {tuple(resp.shape)}")
    if bool((resp < 0).any()):
        raise ValueError("resp must be probabilities (non-negative); log-responsibilities? use exp() first")
    row_sums = resp.sum(dim=1)
    if bool(((row_sums - 1.0).abs() > RESP_SUM_TOLERANCE).any()):
        raise ValueError(
            f"resp must have rows summing to 1 (each point's γ_n is a distribution over the "
            f"K components), got row sums in [{float(row_sums.min()):.8g}, "
            f"{float(row_sums.max()):.8g}]"
        )
    reg_covar = checks.check_reg_covar(reg_covar)
    return m_step_formulas(X, resp, reg_covar)


def log_likelihood(X: Any, weights: Any, means: Any, covariances: Any) -> float:
    """The average log-likelihood (1/N) Σ_n log Σ_k π_k N(x_n | μ_k, Σ_k), in nats."""
    return e_step(X, weights, means, covariances)[1]


def kmeans_plus_plus(X: Any, n_components: int, random_state: Any = None) -> torch.Tensor:
    """k-means++ seeds (K, D): data points drawn as ``sklearn.cluster.kmeans_plusplus`` draws them.

    ``random_state``: None, an int seed or a numpy ``RandomState``; with the same int seed the seeds
    are scikit-learn's.
    """
    X = checks.check_data(X)
    checks.check_n_components(n_components, X.shape[0])
    rng = checks.random_state_of(random_state)
    indices = kmeans_plus_plus_indices(X, int(n_components), rng)
    return X[torch.as_tensor(indices, device=X.device)]
