"""A linear-Gaussian latent model where everything a VAE approximates is known in closed form.

p(z) = N(0, I), p(x | z) = N(W z + b, σ² I) with x of dimension D and z of dimension d. The columns
of W are orthogonal, so WᵀW = diag(s²) and the true posterior p(z | x) is a DIAGONAL Gaussian: an
encoder q(z | x, φ) = N(μ, diag σ_q²) can equal it exactly. Used to check the ELBO and IWAE code
(tests, seminar 02) against exact values of log p(x), p(z | x) and the ELBO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._checks import as_tensor, check_int, check_real
from .formulas import log_gaussian_pdf
from .losses import gaussian_log_likelihood_fixed, kl_standard_normal

__all__ = ["LinearGaussian"]


@dataclass(frozen=True)
class LinearGaussian:
    """p(z) = N(0, I_d), p(x | z) = N(W z + b, σ² I_D); ``W`` is ``(D, d)`` with orthogonal columns."""

    W: torch.Tensor
    b: torch.Tensor
    sigma: float

    def __post_init__(self) -> None:
        W = as_tensor(self.W, "W", finite=True)
        if W.dim() != 2:
            raise ValueError(f"W must be a (x_dim, z_dim) matrix, got shape {tuple(W.shape)}")
        b = as_tensor(self.b, "b", finite=True)
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (x_dim,) = ({W.shape[0]},), got {tuple(b.shape)}")
        sigma = self.sigma
        if isinstance(sigma, torch.Tensor) and sigma.numel() == 1:
            sigma = sigma.item()
        sigma = check_real(sigma, "sigma", low=0.0)
        gram = W.T @ W
        off_diagonal = gram - torch.diag(torch.diagonal(gram))
        if off_diagonal.abs().max() > 1e-6 * max(1.0, float(gram.abs().max())):
            raise ValueError(
                "W must have orthogonal columns (WᵀW diagonal) so that p(z | x) is a "
                "diagonal Gaussian; build one with LinearGaussian.random(...)"
            )
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", b.to(W.dtype))
        object.__setattr__(self, "sigma", sigma)

    @classmethod
    def random(
        cls,
        x_dim: int,
        z_dim: int,
        sigma: float = 0.5,
        seed: int = 0,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> LinearGaussian:
        """A model with random orthogonal directions W, column lengths in [1, 2] and offset b.

        Drawn on the CPU from ``seed`` (the same model on every device), then moved to ``device``.
        """
        x_dim, z_dim = check_int(x_dim, "x_dim"), check_int(z_dim, "z_dim")
        if z_dim > x_dim:
            raise ValueError(f"z_dim must be <= x_dim, got x_dim={x_dim}, z_dim={z_dim}")
        g = torch.Generator().manual_seed(check_int(seed, "seed", low=0, high=2**63))
        q, _ = torch.linalg.qr(torch.randn(x_dim, z_dim, generator=g, dtype=dtype))
        lengths = 1.0 + torch.rand(z_dim, generator=g, dtype=dtype)
        b = 0.5 * torch.randn(x_dim, generator=g, dtype=dtype)
        return cls((q * lengths).to(device), b.to(device), sigma)

    @property
    def x_dim(self) -> int:
        return self.W.shape[0]

    @property
    def z_dim(self) -> int:
        return self.W.shape[1]

    def _x(self, x) -> torch.Tensor:
        x = as_tensor(x, "x", integers="cast", dtype=self.W.dtype, finite=True)
        if x.dim() != 2 or x.shape[1] != self.x_dim:
            raise ValueError(f"x must be (batch, x_dim) = (batch, {self.x_dim}), got {tuple(x.shape)}")
        return x

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` draws of (x, z): z ~ p(z), x ~ p(x | z); shapes ``(n, x_dim)``, ``(n, z_dim)``.

        Drawn on the ``generator``'s device (the same draws on every device for a CPU generator),
        returned on the model's.
        """
        n = check_int(n, "n")
        device = self.W.device if generator is None else generator.device
        z = torch.randn(n, self.z_dim, generator=generator, dtype=self.W.dtype, device=device)
        noise = torch.randn(n, self.x_dim, generator=generator, dtype=self.W.dtype, device=device)
        z, noise = z.to(self.W.device), noise.to(self.W.device)
        return z @ self.W.T + self.b + self.sigma * noise, z

    def log_likelihood(self, x, z) -> torch.Tensor:
        """log p(x | z) = log N(x | W z + b, σ² I), ``(batch,)`` in nats."""
        z = as_tensor(z, "z")
        return gaussian_log_likelihood_fixed(self._x(x), z @ self.W.T + self.b, self.sigma)

    def posterior(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """The exact p(z | x) = N(μ, diag σ_post²) as ``(mu, log_sigma)``, each ``(batch, z_dim)``.

        With WᵀW = diag(s²): σ_post² = σ² / (σ² + s²) and μ = Wᵀ(x − b) / (σ² + s²).
        """
        x = self._x(x)
        denom = self.sigma**2 + (self.W**2).sum(dim=0)  # σ² + s², (z_dim,)
        mu = (x - self.b) @ self.W / denom
        log_sigma = 0.5 * torch.log(self.sigma**2 / denom)
        return mu, log_sigma.expand_as(mu)

    def log_marginal(self, x) -> torch.Tensor:
        """log p(x) = log N(x | b, W Wᵀ + σ² I), ``(batch,)`` in nats (via a Cholesky factor)."""
        x = self._x(x)
        eye = torch.eye(self.x_dim, dtype=self.W.dtype, device=self.W.device)
        chol = torch.linalg.cholesky(self.W @ self.W.T + self.sigma**2 * eye)
        # the full-covariance Gaussian log-density of seminar 01's mixtures, with one component
        return log_gaussian_pdf(x, self.b.unsqueeze(0), chol.unsqueeze(0))[:, 0]

    def exact_elbo(self, x, mu, log_sigma) -> torch.Tensor:
        """The ELBO of q = N(mu, diag exp(log_sigma)²) with no Monte Carlo error, ``(batch,)`` in nats.

        E_q log p(x | z) = −(‖x − W μ − b‖² + Σ_j σ_j² ‖W_j‖²) / (2σ²) − (D/2) log(2πσ²), minus
        the closed-form KL(q ‖ p(z)).
        """
        x = self._x(x)
        mu = as_tensor(mu, "mu")
        if mu.shape != (x.shape[0], self.z_dim):
            raise ValueError(f"mu must be (batch, z_dim) = ({x.shape[0]}, {self.z_dim}), got {tuple(mu.shape)}")
        log_sigma = as_tensor(log_sigma, "log_sigma")
        if log_sigma.shape != mu.shape:
            raise ValueError(f"log_sigma must have the shape of mu {tuple(mu.shape)}, got {tuple(log_sigma.shape)}")
        residual = ((x - mu @ self.W.T - self.b) ** 2).sum(dim=1)
        spread = (torch.exp(2.0 * log_sigma) * (self.W**2).sum(dim=0)).sum(dim=1)
        expected = -(residual + spread) / (2.0 * self.sigma**2) - 0.5 * self.x_dim * math.log(
            2.0 * math.pi * self.sigma**2
        )
        return expected - kl_standard_normal(mu, log_sigma)
