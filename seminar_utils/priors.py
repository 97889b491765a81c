"""Priors p(z) for the variants of seminar 06: the standard normal and a learned mixture of Gaussians.

A mixture prior (the "MoG prior" Tomczak & Welling 2018 compare their VampPrior with) is
p(z) = Σ_c π_c N(z | m_c, diag s_c²), π = softmax(logits); its log-density is a log-sum-exp over
the components, finite even where every component's density underflows. Each prior has
``log_prob(z) -> (...)`` for ``z`` ``(..., z_dim)`` and ``sample(n) -> (n, z_dim)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_int, check_real
from .formulas import LOG_2PI

__all__ = ["MixturePrior", "StandardNormalPrior", "mixture_log_prob"]


def mixture_log_prob(z, means, log_sigmas, logits) -> torch.Tensor:
    """log Σ_c softmax(logits)_c N(z | means_c, diag exp(log_sigmas_c)²) at each ``z`` ``(..., D)``: ``(...)``.

    ``means`` and ``log_sigmas`` are ``(C, D)``; ``logits`` ``(C,)`` (unnormalized: softmax is applied).
    """
    diff = (z.unsqueeze(-2) - means) * torch.exp(-log_sigmas)  # (..., C, D)
    log_normal = (-0.5 * diff**2 - log_sigmas - 0.5 * LOG_2PI).sum(dim=-1)  # (..., C)
    return torch.logsumexp(log_normal + torch.log_softmax(logits, dim=0), dim=-1)


class StandardNormalPrior(nn.Module):
    """p(z) = N(0, I_{z_dim}); no parameters."""

    def __init__(self, z_dim: int):
        super().__init__()
        self.z_dim = check_int(z_dim, "z_dim")
        self.config = {"z_dim": self.z_dim}

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return (-0.5 * z**2 - 0.5 * LOG_2PI).sum(dim=-1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return torch.randn(check_int(n, "n"), self.z_dim, generator=generator)


class MixturePrior(nn.Module):
    """A learned mixture of ``n_components`` diagonal Gaussians in ``z_dim`` dimensions.

    Means start at ``init_spread``·N(0, I) (seeded by ``seed``), scales at 1, weights uniform; all
    three are trained with the rest of the model.
    """

    def __init__(self, z_dim: int, n_components: int, init_spread: float = 1.0, seed: int = 0):
        super().__init__()
        self.z_dim, self.n_components = check_int(z_dim, "z_dim"), check_int(n_components, "n_components")
        spread = check_real(init_spread, "init_spread", low=0.0, strict=False)
        self.config = {"z_dim": self.z_dim, "n_components": self.n_components, "init_spread": spread}
        g = torch.Generator().manual_seed(check_int(seed, "seed", low=0))
        self.means = nn.Parameter(spread * torch.randn(self.n_components, self.z_dim, generator=g))
        self.log_sigmas = nn.Parameter(torch.zeros(self.n_components, self.z_dim))
        self.logits = nn.Parameter(torch.zeros(self.n_components))

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return mixture_log_prob(z, self.means, self.log_sigmas, self.logits)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        n = check_int(n, "n")
        c = torch.multinomial(torch.softmax(self.logits.cpu(), 0), n, replacement=True, generator=generator)
        eps = torch.randn(n, self.z_dim, generator=generator)
        return (self.means.cpu()[c] + torch.exp(self.log_sigmas.cpu()[c]) * eps).to(self.means.device)
