"""Gaussian formulas every seminar shares: the constant log 2π and the log-density of a Gaussian
with full covariance, given by its Cholesky factor.

Seminar 01's EM (:mod:`seminar_utils.gmm`) evaluates it for every component; seminar 02's
:mod:`seminar_utils.linear_gaussian` for the exact log p(x) of a linear-Gaussian model. The
diagonal Gaussians of the VAEs are in :mod:`seminar_utils.losses`.
"""

from __future__ import annotations

import math

import torch

__all__ = ["LOG_2PI", "log_gaussian_pdf"]

LOG_2PI = math.log(2.0 * math.pi)


def log_gaussian_pdf(X: torch.Tensor, means: torch.Tensor, chol: torch.Tensor) -> torch.Tensor:
    """log N(x_n | μ_k, Σ_k) for all n, k: (N, K) in nats, from the Cholesky factors Σ_k = L_k L_kᵀ.

    ``X`` (N, D), ``means`` (K, D), ``chol`` (K, D, D) lower triangular with a positive diagonal.

    log N(x | μ, Σ) = -½ [D log 2π + log det Σ + ‖L⁻¹(x - μ)‖²],  log det Σ = 2 Σ_i log L_ii.
    """
    D = X.shape[1]
    diff = X.unsqueeze(0) - means.unsqueeze(1)  # (K, N, D)
    y = torch.linalg.solve_triangular(chol, diff.transpose(1, 2), upper=False)  # (K, D, N)
    mahalanobis = y.square().sum(dim=1)  # (K, N)
    log_det = 2.0 * chol.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1)  # (K,)
    return -0.5 * (D * LOG_2PI + log_det.unsqueeze(1) + mahalanobis).T
