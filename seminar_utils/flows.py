"""Planar flows (Rezende & Mohamed 2015): an invertible map of z with a log-determinant in O(D).

One planar layer is f(z) = z + u·h(wᵀz + b) with h = tanh. By the matrix determinant lemma its
Jacobian I + u ψ(z)ᵀ, ψ(z) = h'(wᵀz + b)·w, has determinant 1 + uᵀψ(z), so

    log |det ∂f/∂z| = log |1 + h'(wᵀz + b) · uᵀw|.

f is invertible when wᵀu ≥ −1; :func:`constrain_u` turns any u into such a û (the paper's
appendix): û = u + (m(wᵀu) − wᵀu)·w/‖w‖², m(a) = −1 + softplus(a).

A density pushed through layers z_K = f_K ∘ … ∘ f_1(z_0) is
log q(z_K) = log q_0(z_0) − Σ_k log |det ∂f_k/∂z_{k−1}|; :class:`PlanarFlow` holds layers with
their own parameters, :mod:`seminar_utils.posteriors` makes them per-example (amortized).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_int

__all__ = ["PlanarFlow", "constrain_u", "planar_log_det", "planar_transform"]


def constrain_u(u, w) -> torch.Tensor:
    """û = u + (m(wᵀu) − wᵀu)·w/‖w‖² with m(a) = −1 + softplus(a), so that wᵀû > −1 (invertible f).

    ``u`` and ``w`` are ``(..., D)`` (broadcast against each other); û has their broadcast shape.
    """
    wu = (w * u).sum(dim=-1, keepdim=True)
    return u + (-1.0 + F.softplus(wu) - wu) * w / (w * w).sum(dim=-1, keepdim=True).clamp_min(1e-12)


def planar_log_det(z, u, w, b) -> torch.Tensor:
    """log |det ∂f/∂z| of f(z) = z + u·tanh(wᵀz + b) at each z ``(..., D)``: ``(...)``.

    ``u``, ``w`` ``(..., D)`` and ``b`` ``(...)`` broadcast against z (one layer for all, or one per
    example). No constraint on u is applied here (see :func:`constrain_u`); a determinant of exactly
    0 gives −inf.
    """
    a = (w * z).sum(dim=-1) + b
    slope = 1.0 - torch.tanh(a) ** 2  # h'(a)
    return torch.log(torch.abs(1.0 + slope * (u * w).sum(dim=-1)))


def planar_transform(z, u, w, b) -> tuple[torch.Tensor, torch.Tensor]:
    """``(f(z), log |det ∂f/∂z|)`` for f(z) = z + u·tanh(wᵀz + b): ``(..., D)`` and ``(...)``.

    The parameters are used as given (apply :func:`constrain_u` first for an invertible layer).
    """
    a = (w * z).sum(dim=-1) + b
    h = torch.tanh(a)
    log_det = torch.log(torch.abs(1.0 + (1.0 - h**2) * (u * w).sum(dim=-1)))
    return z + u * h.unsqueeze(-1), log_det


class PlanarFlow(nn.Module):
    """``n_layers`` planar layers on ``dim``-dimensional z with their own parameters, each û
    constrained (invertible). ``forward(z) -> (z_K, Σ log |det|)``: ``(..., dim)`` and ``(...)``."""

    def __init__(self, dim: int, n_layers: int, init_scale: float = 0.1, seed: int | None = None):
        super().__init__()
        self.dim, self.n_layers = check_int(dim, "dim"), check_int(n_layers, "n_layers")
        self.config = {"dim": self.dim, "n_layers": self.n_layers}
        g = None if seed is None else torch.Generator().manual_seed(seed)
        self.u = nn.Parameter(init_scale * torch.randn(self.n_layers, self.dim, generator=g))
        self.w = nn.Parameter(init_scale * torch.randn(self.n_layers, self.dim, generator=g))
        self.b = nn.Parameter(torch.zeros(self.n_layers))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        total = torch.zeros(z.shape[:-1], dtype=z.dtype, device=z.device)
        for k in range(self.n_layers):
            z, log_det = planar_transform(z, constrain_u(self.u[k], self.w[k]), self.w[k], self.b[k])
            total = total + log_det
        return z, total
