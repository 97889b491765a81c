"""The EM iterations of :class:`~seminar_utils.gmm.GaussianMixtureEM`, fast and still exact.

Why a second implementation: the formulas students read (``formulas``) cost a triangular solve per
component and per point in every iteration, which makes scikit-learn-sized fits (100,000 points)
slow; ``benchmarks/bench_em.py`` asks for at most a third of scikit-learn's time per iteration with
the same parameters to 1e-6. This file is the only place that trades readability for speed, and it
is tested to agree with ``formulas`` (and scikit-learn) to rounding.

For few features D the quadratic form is expanded, so one matrix product gives every log-density:

    log π_k N(x | μ_k, Σ_k) = -½ xᵀP_k x + (P_k μ_k)ᵀ x + c_k,   P_k = Σ_k⁻¹,
    c_k = log π_k - ½ (D log 2π + log det Σ_k + μ_kᵀ P_k μ_k),

i.e. ``C @ F`` with the features F = [x_i x_j (i ≤ j), x, 1] (D(D+1)/2 + D + 1, N), computed once per
fit, and a coefficient matrix C (K, D(D+1)/2 + D + 1) per iteration. The M-step's sufficient
statistics Σ_n γ_nk [x_i x_j, x, 1] are one product γ Fᵀ as well. On the CPU the points go in blocks
that stay in the cache, on one thread (several threads lose much more on a busy machine than they
win on an idle one). The data are centred first; where the expansion would lose digits
(R² · trace Σ_k⁻¹ too large, R = the largest ‖x_n - mean‖) an iteration uses the reference formulas
of ``formulas`` instead.
"""

from __future__ import annotations

import contextlib

import torch

from ..formulas import LOG_2PI, log_gaussian_pdf
from ..runtime import num_threads
from .formulas import N_K_FLOOR, e_step_from_log_pdf, m_step_formulas

# expanded features for D ≤ this (D = 8 gives 45 features per point)
MAX_FEATURES_FOR_EXPANSION = 8
# the expansion's rounding error is about eps · R² · trace(Σ⁻¹) nats: keep that product below this
CANCELLATION_LIMIT = 1e5
# CPU blocks of about this many (point, component) pairs: 512 KiB of float64, cache-resident
BLOCK_ELEMENTS = 2**16

Params = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # π, μ, Σ, L


class IllConditionedError(ValueError):
    """A covariance matrix that is not positive definite (a component collapsed on a few points)."""


def cholesky(covariances: torch.Tensor) -> torch.Tensor:
    """Cholesky factors L (K, D, D) with Σ_k = L_k L_kᵀ, or :class:`IllConditionedError`."""
    chol, info = torch.linalg.cholesky_ex(covariances)
    if bool((info > 0).any()):
        raise IllConditionedError(
            "a covariance matrix is not positive definite: some component collapsed onto fewer "
            "points than features; increase reg_covar, reduce n_components or rescale X"
        )
    return chol


def single_threaded(device: torch.device) -> contextlib.AbstractContextManager[None]:
    """Run torch's CPU operations on one thread inside the block (as scikit-learn's KMeans limits BLAS)."""
    return num_threads(1) if device.type == "cpu" else contextlib.nullcontext()


def inverse_cholesky(chol: torch.Tensor) -> torch.Tensor:
    eye = torch.eye(chol.shape[-1], dtype=chol.dtype, device=chol.device).expand_as(chol)
    return torch.linalg.solve_triangular(chol, eye, upper=False)  # L⁻¹ (K, D, D)


class EMIterations:
    """E-step + M-step on fixed data X (N, D); parameters live in centred coordinates x - shift."""

    def __init__(self, X: torch.Tensor, reg_covar: float) -> None:
        self.shift = X.mean(dim=0)
        self.X = X - self.shift
        self.reg_covar = reg_covar
        n_samples, D = X.shape
        self.radius2 = float(self.X.square().sum(dim=1).max())
        self.n_quadratic = D * (D + 1) // 2
        self.rows, self.cols = torch.triu_indices(D, D, device=X.device)
        self.features = None  # (n_features, N)
        self.buffers: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        if D <= MAX_FEATURES_FOR_EXPANSION:
            ones = torch.ones(1, n_samples, dtype=X.dtype, device=X.device)
            Xt = self.X.T
            self.features = torch.cat([Xt[self.rows] * Xt[self.cols], Xt, ones]).contiguous()

    def expansion_is_exact(self, inv_chol: torch.Tensor) -> bool:
        """True when the expanded quadratic form loses no more than ~1e-11 nats here."""
        trace_precision = float(inv_chol.square().sum(dim=(1, 2)).max())  # trace Σ⁻¹ = ‖L⁻¹‖_F²
        return self.features is not None and self.radius2 * trace_precision <= CANCELLATION_LIMIT

    def coefficients(
        self, weights: torch.Tensor, means: torch.Tensor, chol: torch.Tensor, inv_chol: torch.Tensor
    ) -> torch.Tensor:
        """C (K, n_features) with C @ F = log π_k N(x_n | μ_k, Σ_k)."""
        D = means.shape[1]
        precision = inv_chol.transpose(1, 2) @ inv_chol  # P = L⁻ᵀ L⁻¹
        off_diagonal = (self.rows != self.cols).to(chol.dtype)  # x_i x_j twice if i < j
        quadratic = -0.5 * precision[:, self.rows, self.cols] * (1.0 + off_diagonal)
        linear = (precision @ means.unsqueeze(2)).squeeze(2)  # P μ  (K, D)
        log_det = 2.0 * chol.diagonal(dim1=-2, dim2=-1).log().sum(dim=1)
        constant = weights.log() - 0.5 * (D * LOG_2PI + log_det + (linear * means).sum(dim=1))
        return torch.cat([quadratic, linear, constant.unsqueeze(1)], dim=1)

    def expanded_pass(self, coefficients: torch.Tensor) -> tuple[float, torch.Tensor]:
        """E-step on the features: the mean log p(x_n) (nats) and Σ_n γ_nk [x_i x_j, x, 1] (K, n_features)."""
        (K, n_features), n_samples = coefficients.shape, self.features.shape[1]
        block = n_samples if self.X.device.type != "cpu" else min(n_samples, max(1024, BLOCK_ELEMENTS // K))
        if self.buffers is None or self.buffers[0].shape[0] != K:  # reused from iteration to iteration
            new = torch.empty((K + 2) * block, dtype=self.X.dtype, device=self.X.device)
            self.buffers = (new[: K * block].view(K, block), new[K * block : (K + 1) * block], new[(K + 1) * block :])
        joint_buffer, top_buffer, total_buffer = self.buffers
        stats = coefficients.new_zeros(K, n_features)
        sum_log_px = coefficients.new_zeros(())
        for start in range(0, n_samples, block):
            size = min(block, n_samples - start)
            features = self.features[:, start : start + size]
            joint = joint_buffer if size == block else joint_buffer.flatten()[: K * size].view(K, size)
            top, total = top_buffer[:size], total_buffer[:size]
            torch.mm(coefficients, features, out=joint)  # log π_k N(x_n | ...)
            torch.amax(joint, dim=0, out=top)
            # exp(-600) ≈ 1e-261: the floor keeps the exponentials clear of subnormal numbers, which
            # are ~10 times slower to compute with and make no difference to any sum here
            joint.sub_(top).clamp_(min=-600.0).exp_()  # γ_nk · Σ_j exp(...)
            torch.sum(joint, dim=0, out=total)
            joint.div_(total)  # γ_nk
            stats.addmm_(joint, features.T)
            sum_log_px += total.log_().add_(top).sum()  # Σ_n log p(x_n)
        return float(sum_log_px) / n_samples, stats

    def step(self, weights: torch.Tensor, means: torch.Tensor, chol: torch.Tensor) -> tuple[float, Params]:
        """One EM iteration from (π, μ (centred), L): the E-step's mean log p(x_n) (nats) and the
        M-step's (π, μ, Σ, L)."""
        inv_chol = inverse_cholesky(chol)
        if self.expansion_is_exact(inv_chol):
            mean_log_likelihood, stats = self.expanded_pass(self.coefficients(weights, means, chol, inv_chol))
            try:
                new = self.m_step_from_stats(stats)
                if self.expansion_is_exact(inverse_cholesky(new[3])):
                    return mean_log_likelihood, new
            except IllConditionedError:
                pass
        log_resp, log_px = e_step_from_log_pdf(log_gaussian_pdf(self.X, means, chol), weights)
        new_weights, new_means, covariances = m_step_formulas(self.X, log_resp.exp(), self.reg_covar)
        return float(log_px.mean()), (new_weights, new_means, covariances, cholesky(covariances))

    def m_step_from_stats(self, stats: torch.Tensor) -> Params:
        """π, μ, Σ, L from Σ_n γ_nk [x_i x_j, x, 1] (K, n_features), as in ``m_step_formulas``."""
        q, K, D = self.n_quadratic, stats.shape[0], self.X.shape[1]
        n_k = stats[:, -1] + N_K_FLOOR
        means = stats[:, q:-1] / n_k.unsqueeze(1)
        second = stats.new_zeros(K, D, D)
        second[:, self.rows, self.cols] = stats[:, :q]
        second[:, self.cols, self.rows] = stats[:, :q]
        # Σ_n γ_nk (x_n - μ_k)(x_n - μ_k)ᵀ = Σ_n γ_nk x_n x_nᵀ - (N_k + 10 eps) μ_k μ_kᵀ,
        # N_k = Σ_n γ_nk + 10 eps as in m_step_formulas
        scale = (1.0 + N_K_FLOOR / n_k).view(-1, 1, 1)
        covariances = second / n_k.view(-1, 1, 1) - scale * means.unsqueeze(2) * means.unsqueeze(1)
        covariances.diagonal(dim1=-2, dim2=-1).add_(self.reg_covar)
        return n_k / n_k.sum(), means, covariances, cholesky(covariances)
