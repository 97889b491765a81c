"""Convolutional encoder and decoder for 28 × 28 images (seminar 04), and :func:`conv_vae`.

Both honour the contracts of :class:`seminar_utils.vae.VAE`:

* :class:`ConvEncoder` q(z | x, φ): ``x`` ``(batch, 1, 28, 28)`` → ``(mu_z, log_sigma_z)``, each
  ``(batch, z_dim)``; two stride-2 convolutions (28 → 14 → 7) and a linear layer (optionally a
  dense ``hidden`` layer before it).
* :class:`ConvDecoder` p(x | z, θ): ``z`` ``(batch, z_dim)`` → a linear layer to
  ``(channels[1], 7, 7)`` and two stride-2 transposed convolutions (7 → 14 → 28), the mirror image
  of the encoder; Bernoulli logits ``(batch, 1, 28, 28)`` for binary pixels, or a Gaussian's
  ``(mu_x, log_sigma_x)`` for grey levels, with σ_x learned per pixel or fixed.

The sizes the seminar uses are in :func:`seminar_utils.recipes.vae_images`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ._checks import check_choice, check_int, check_real
from .vae import LIKELIHOODS, VAE

__all__ = ["IMAGE_SHAPE", "ConvDecoder", "ConvEncoder", "conv_vae"]

IMAGE_SHAPE = (1, 28, 28)


def _channels(channels: Sequence[int]) -> tuple[int, int]:
    if isinstance(channels, (int, np.integer)) or not isinstance(channels, Sequence) or len(channels) != 2:
        raise ValueError(f"channels must be two widths (c1, c2) such as (32, 64), got {channels!r}")
    return tuple(check_int(c, "every entry of channels") for c in channels)  # type: ignore[return-value]


def _hidden(hidden) -> int | None:
    return None if hidden is None else check_int(hidden, "hidden")


def _configure(module: nn.Module, z_dim: int, channels: Sequence[int], hidden: int | None) -> tuple[int, int]:
    """Validate and store the settings shared by the encoder and the decoder; ``(c1, c2)``."""
    module.z_dim = check_int(z_dim, "z_dim")
    c1, c2 = module.channels = _channels(channels)
    module.hidden = _hidden(hidden)
    module.config = {"z_dim": module.z_dim, "channels": [c1, c2], "hidden": module.hidden}
    return c1, c2


class ConvEncoder(nn.Module):
    """q(z | x, φ) = N(μ_z(x), diag σ_z²(x)) for images ``(batch, 1, 28, 28)``.

    conv 4×4 stride 2 → ELU → conv 4×4 stride 2 → ELU → [linear to ``hidden`` → ELU] → linear to
    ``2 · z_dim``, split into ``(mu_z, log_sigma_z)``, each ``(batch, z_dim)``.
    """

    def __init__(self, z_dim: int, channels: Sequence[int] = (16, 32), hidden: int | None = None):
        super().__init__()
        c1, c2 = _configure(self, z_dim, channels, hidden)
        dense = (
            [nn.Linear(c2 * 7 * 7, self.hidden), nn.ELU(), nn.Linear(self.hidden, 2 * self.z_dim)]
            if self.hidden
            else [nn.Linear(c2 * 7 * 7, 2 * self.z_dim)]
        )
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1),
            nn.ELU(),  # (batch, c1, 14, 14)
            nn.Conv2d(c1, c2, 4, stride=2, padding=1),
            nn.ELU(),  # (batch, c2, 7, 7)
            nn.Flatten(),
            *dense,  # (batch, 2 * z_dim)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu_z, log_sigma_z = self.net(x).chunk(2, dim=-1)
        return mu_z, log_sigma_z


class ConvDecoder(nn.Module):
    """p(x | z, θ) for images: ``z`` ``(batch, z_dim)`` → the likelihood's parameters.

    [linear to ``hidden`` → ELU] → linear to ``(c2, 7, 7)`` → ELU → transposed conv 4×4 stride 2 →
    ELU → transposed conv 4×4 stride 2 (no activation). ``likelihood="bernoulli"``: logits
    ``(batch, 1, 28, 28)``. ``likelihood="gaussian"``: ``(mu_x, log_sigma_x)``, each
    ``(batch, 1, 28, 28)``; with ``sigma=None`` the last layer has a second output channel, log σ_x
    learned per pixel and per z; with a number, σ_x is that constant (the squared error, up to a
    scale and a constant).
    """

    def __init__(
        self,
        z_dim: int,
        channels: Sequence[int] = (16, 32),
        hidden: int | None = None,
        likelihood: str = "bernoulli",
        sigma: float | None = None,
    ):
        super().__init__()
        c1, c2 = _configure(self, z_dim, channels, hidden)
        self.likelihood = check_choice(likelihood, "likelihood", LIKELIHOODS)
        if sigma is not None and self.likelihood != "gaussian":
            raise ValueError(f"sigma is a Gaussian decoder's; got sigma={sigma!r} with likelihood={likelihood!r}")
        self.sigma = None if sigma is None else check_real(sigma, "sigma", low=0.0)
        self.config.update(likelihood=self.likelihood, sigma=self.sigma)
        learned_sigma = self.likelihood == "gaussian" and self.sigma is None
        dense = (
            [nn.Linear(self.z_dim, self.hidden), nn.ELU(), nn.Linear(self.hidden, c2 * 7 * 7)]
            if self.hidden
            else [nn.Linear(self.z_dim, c2 * 7 * 7)]
        )
        self.net = nn.Sequential(
            *dense,
            nn.ELU(),
            nn.Unflatten(1, (c2, 7, 7)),  # (batch, c2, 7, 7)
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),
            nn.ELU(),  # (batch, c1, 14, 14)
            nn.ConvTranspose2d(c1, 2 if learned_sigma else 1, 4, stride=2, padding=1),  # (batch, 1 or 2, 28, 28)
        )

    def forward(self, z: torch.Tensor):
        out = self.net(z)
        if self.likelihood == "bernoulli":
            return out
        if self.sigma is None:
            mu_x, log_sigma_x = out.chunk(2, dim=1)
            return mu_x, log_sigma_x
        return out, torch.full_like(out, math.log(self.sigma))


def conv_vae(
    z_dim: int = 32,
    channels: Sequence[int] = (16, 32),
    hidden: int | None = None,
    likelihood: str = "bernoulli",
    sigma: float | None = None,
) -> VAE:
    """A VAE with a :class:`ConvEncoder` and a :class:`ConvDecoder` (freshly initialized); Bernoulli
    by default, or Gaussian (``likelihood="gaussian"``, σ_x learned, or fixed at ``sigma``)."""
    decoder = ConvDecoder(z_dim, channels, hidden, likelihood=likelihood, sigma=sigma)
    return VAE(ConvEncoder(z_dim, channels, hidden), decoder, likelihood=decoder.likelihood, z_dim=z_dim)
