"""Families of approximate posteriors q(z | x) for seminar 06, each given by a parameter vector per example.

An encoder network outputs ``n_params`` numbers per example; the family turns them into samples
and their log-densities. Keeping the family separate from the network lets the same code draw from
the encoder's q (amortized) and from a q whose parameters were optimized for one digit alone (the
gaps of Cremer, Li & Duvenaud 2018).

* :class:`DiagonalGaussian`: z = μ + σ ⊙ ε, parameters (μ, log σ).
* :class:`FullGaussian`: z = μ + L ε with L lower triangular, positive diagonal exp(ℓ): parameters
  (μ, ℓ, the D(D − 1)/2 entries below the diagonal); log q(z) = log N(ε | 0, I) − Σ_j ℓ_j.
* :class:`PlanarPosterior`: a diagonal Gaussian z₀ pushed through ``n_layers`` planar layers whose
  (u, w, b) are per example (Rezende & Mohamed 2015): log q(z_K) = log q₀(z₀) − Σ_k log |det J_k|.

``rsample(params, n) -> (z, log_q)``: ``params`` ``(batch, n_params)``, ``z`` ``(n, batch, z_dim)``,
``log_q`` ``(n, batch)``, reparameterized (gradients reach the parameters).
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_int
from .flows import constrain_u, planar_transform
from .formulas import LOG_2PI

__all__ = ["FAMILIES", "DiagonalGaussian", "FullGaussian", "PlanarPosterior", "posterior_family"]


def _std_normal_log_prob(eps: torch.Tensor) -> torch.Tensor:
    return (-0.5 * eps**2 - 0.5 * LOG_2PI).sum(dim=-1)


class _Family(nn.Module):
    """A family of q(z): ``params`` ``(batch, n_params)`` (the encoder's output) → samples and log q."""

    n_params: int
    z_dim: int

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """The location μ ``(batch, z_dim)`` (the mean of a Gaussian; of z₀ for a flow)."""
        return params[:, : self.z_dim]


class DiagonalGaussian(_Family):
    """q(z) = N(μ, diag σ²): ``params`` = [μ, log σ]."""

    def __init__(self, z_dim: int):
        super().__init__()
        self.z_dim = check_int(z_dim, "z_dim")
        self.n_params = 2 * self.z_dim
        self.config = {"z_dim": self.z_dim}

    def rsample(self, params, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_sigma = params.chunk(2, dim=-1)
        eps = torch.randn(n, *mu.shape, dtype=mu.dtype, device=mu.device)
        return mu + torch.exp(log_sigma) * eps, _std_normal_log_prob(eps) - log_sigma.sum(dim=-1)


class FullGaussian(_Family):
    """q(z) = N(μ, L Lᵀ), L lower triangular with diagonal exp(ℓ): ``params`` = [μ, ℓ, below-diagonal]."""

    def __init__(self, z_dim: int):
        super().__init__()
        self.z_dim = check_int(z_dim, "z_dim")
        self.n_params = 2 * self.z_dim + self.z_dim * (self.z_dim - 1) // 2
        self.config = {"z_dim": self.z_dim}
        self.register_buffer("rows", torch.tril_indices(self.z_dim, self.z_dim, offset=-1), persistent=False)

    def scale_tril(self, params) -> torch.Tensor:
        """L ``(batch, z_dim, z_dim)``."""
        d = self.z_dim
        scale = torch.diag_embed(torch.exp(params[:, d : 2 * d]))
        below = torch.zeros_like(scale)
        below[:, self.rows[0], self.rows[1]] = params[:, 2 * d :]
        return scale + below

    def rsample(self, params, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        d = self.z_dim
        mu, log_diag = params[:, :d], params[:, d : 2 * d]
        eps = torch.randn(n, *mu.shape, dtype=mu.dtype, device=mu.device)
        z = mu + torch.einsum("bij,nbj->nbi", self.scale_tril(params), eps)
        return z, _std_normal_log_prob(eps) - log_diag.sum(dim=-1)


class PlanarPosterior(_Family):
    """A diagonal Gaussian followed by ``n_layers`` planar layers with per-example (u, w, b):
    ``params`` = [μ, log σ, then (u, w, b) of each layer]; û is constrained (invertible layers)."""

    def __init__(self, z_dim: int, n_layers: int):
        super().__init__()
        self.z_dim, self.n_layers = check_int(z_dim, "z_dim"), check_int(n_layers, "n_layers")
        self.n_params = 2 * self.z_dim + self.n_layers * (2 * self.z_dim + 1)
        self.config = {"z_dim": self.z_dim, "n_layers": self.n_layers}

    def rsample(self, params, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        d = self.z_dim
        mu, log_sigma = params[:, :d], params[:, d : 2 * d]
        eps = torch.randn(n, *mu.shape, dtype=mu.dtype, device=mu.device)
        z = mu + torch.exp(log_sigma) * eps
        log_q = _std_normal_log_prob(eps) - log_sigma.sum(dim=-1)
        for k in range(self.n_layers):
            start = 2 * d + k * (2 * d + 1)
            u, w, b = params[:, start : start + d], params[:, start + d : start + 2 * d], params[:, start + 2 * d]
            z, log_det = planar_transform(z, constrain_u(u, w), w, b)
            log_q = log_q - log_det
        return z, log_q


FAMILIES = ("diagonal", "full", "planar")


def posterior_family(name: str, z_dim: int, n_layers: int = 4) -> _Family:
    """A family by name: ``"diagonal"``, ``"full"`` or ``"planar"`` (with ``n_layers`` layers)."""
    if name == "diagonal":
        return DiagonalGaussian(z_dim)
    if name == "full":
        return FullGaussian(z_dim)
    if name == "planar":
        return PlanarPosterior(z_dim, n_layers)
    raise ValueError(f"name must be one of {FAMILIES}, got {name!r}")
