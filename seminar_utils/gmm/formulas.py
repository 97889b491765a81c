"""The formulas of EM for a Gaussian mixture with full covariances, written for reading.

Every function is a formula of the seminar, batched over the K components, on tensors that
``checks`` has validated; the Gaussian log-density ``log_gaussian_pdf`` is a core formula
(:mod:`seminar_utils.formulas`), re-exported here. ``steps`` wraps them with those checks for users (``e_step``, ``m_step``,
…); ``fast`` computes the same quantities faster inside the estimator and falls back on these where
it cannot be exact.

Notation: X (N, D) data, π weights (K,), μ means (K, D), Σ covariances (K, D, D),
γ responsibilities (N, K). Log-likelihoods are in nats.
"""

from __future__ import annotations

import numpy as np
import torch

from ..formulas import log_gaussian_pdf as log_gaussian_pdf  # a core formula, re-exported

# scikit-learn adds 10 machine epsilons to every N_k so that an empty component divides by no zero
N_K_FLOOR = 10.0 * torch.finfo(torch.float64).eps


def e_step_from_log_pdf(log_pdf: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log γ (N, K) and log p(x_n) (N,) from log N(x_n | μ_k, Σ_k) (N, K) and π (K,).

    log γ_nk = log π_k + log N(x_n | μ_k, Σ_k) - log p(x_n), the normaliser by logsumexp over k.
    """
    joint = log_pdf + weights.log()  # log π_k N(x_n | μ_k, Σ_k)
    log_px = torch.logsumexp(joint, dim=1)  # log p(x_n) = log Σ_k exp(joint)
    return joint - log_px.unsqueeze(1), log_px


def m_step_formulas(
    X: torch.Tensor, resp: torch.Tensor, reg_covar: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """π, μ, Σ maximising the expected complete-data log-likelihood (scikit-learn's formulas).

    N_k = Σ_n γ_nk,  π_k = N_k / N,  μ_k = Σ_n γ_nk x_n / N_k,
    Σ_k = Σ_n γ_nk (x_n - μ_k)(x_n - μ_k)ᵀ / N_k + reg_covar · I.
    """
    n_k = resp.sum(dim=0) + N_K_FLOOR  # (K,)
    means = resp.T @ X / n_k.unsqueeze(1)  # (K, D)
    diff = X.unsqueeze(0) - means.unsqueeze(1)  # (K, N, D)
    weighted = diff * resp.T.unsqueeze(2)  # γ_nk (x_n - μ_k)
    covariances = weighted.transpose(1, 2) @ diff / n_k.view(-1, 1, 1)  # (K, D, D)
    covariances.diagonal(dim1=-2, dim2=-1).add_(reg_covar)
    return n_k / n_k.sum(), means, covariances


def squared_distances(X: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """‖x_n - c_k‖² for all n, k: (N, K)."""
    return (X.unsqueeze(1) - centres.unsqueeze(0)).square().sum(dim=2)


def kmeans_plus_plus_indices(
    X: torch.Tensor, n_components: int, rng: np.random.RandomState, n_local_trials: int | None = None
) -> np.ndarray:
    """Indices (K,) of k-means++ seeds, drawn exactly as ``sklearn.cluster.kmeans_plusplus`` draws them.

    Each new seed is the best (lowest total squared distance) of a few candidates sampled with
    probability ∝ squared distance to the closest seed so far ("greedy" k-means++).
    """
    n_samples = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_components))
    indices = np.empty(n_components, dtype=np.int64)
    indices[0] = rng.choice(n_samples, p=np.full(n_samples, 1.0 / n_samples))
    closest = squared_distances(X, X[indices[0]].unsqueeze(0))[:, 0]  # (N,)
    potential = float(closest.sum())
    for c in range(1, n_components):
        targets = rng.uniform(size=n_local_trials) * potential
        cumulative = np.cumsum(closest.cpu().numpy())
        candidates = np.minimum(np.searchsorted(cumulative, targets), n_samples - 1)
        to_candidates = squared_distances(X, X[torch.as_tensor(candidates, device=X.device)])
        trial = torch.minimum(closest.unsqueeze(1), to_candidates)  # (N, trials)
        best = int(trial.sum(dim=0).argmin())
        closest = trial[:, best]
        potential = float(closest.sum())
        indices[c] = candidates[best]
    return indices
