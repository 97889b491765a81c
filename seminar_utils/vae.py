"""Encoders, decoders and the VAE module, built on the formulas of :mod:`seminar_utils.losses`.

Encoder q(z | x, φ) = N(μ_z(x), diag σ_z²(x)); decoder p(x | z, θ) a diagonal Gaussian N(μ_x(z),
diag σ_x²(z)) or a Bernoulli with logits; prior p(z) = N(0, I). The :class:`VAE` works with any
encoder/decoder pair that honours the two contracts:

* ``encoder(x) -> (mu_z, log_sigma_z)``, each ``(batch, z_dim)``;
* ``decoder(z) -> (mu_x, log_sigma_x)`` each ``(batch, *x_shape)`` (``likelihood="gaussian"``)
  or ``logits`` ``(batch, *x_shape)`` (``likelihood="bernoulli"``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from . import losses
from ._checks import as_tensor, check_choice, check_int
from .runtime import module_device_dtype

__all__ = ["LIKELIHOODS", "VAE", "MLPDecoder", "MLPEncoder", "count_parameters", "mlp", "mlp_vae"]

LIKELIHOODS = ("gaussian", "bernoulli")


def _hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    if isinstance(hidden, (int, np.integer)) or not isinstance(hidden, Sequence):
        raise ValueError(f"hidden must be a sequence of layer widths such as (128, 128), got {hidden!r}")
    return tuple(check_int(h, "every entry of hidden") for h in hidden)


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int) -> nn.Sequential:
    """Linear → ReLU → … → Linear: ``(batch, in_dim) -> (batch, out_dim)``."""
    widths = [in_dim, *hidden]
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(widths):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(widths[-1], out_dim))
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    """q(z | x, φ): an MLP mapping ``x`` ``(batch, x_dim)`` (or ``(batch, ...)`` with x_dim entries,
    flattened) to ``(mu_z, log_sigma_z)``, each ``(batch, z_dim)``."""

    def __init__(self, x_dim: int, z_dim: int, hidden: Sequence[int] = (128, 128)):
        super().__init__()
        self.x_dim, self.z_dim = check_int(x_dim, "x_dim"), check_int(z_dim, "z_dim")
        self.hidden = _hidden(hidden)
        self.config = {"x_dim": self.x_dim, "z_dim": self.z_dim, "hidden": list(self.hidden)}
        self.net = mlp(self.x_dim, self.hidden, 2 * self.z_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu_z, log_sigma_z = self.net(x.flatten(1)).chunk(2, dim=-1)
        return mu_z, log_sigma_z


class MLPDecoder(nn.Module):
    """p(x | z, θ): an MLP mapping ``z`` ``(batch, z_dim)`` to the likelihood's parameters.

    ``likelihood="gaussian"``: ``(mu_x, log_sigma_x)``, each ``(batch, x_dim)``;
    ``"bernoulli"``: logits ``(batch, x_dim)``. With ``out_shape`` (e.g. ``(1, 28, 28)``, x_dim
    entries) the outputs are reshaped to ``(batch, *out_shape)``.
    """

    def __init__(
        self,
        z_dim: int,
        x_dim: int,
        hidden: Sequence[int] = (128, 128),
        likelihood: str = "gaussian",
        out_shape: Sequence[int] | None = None,
    ):
        super().__init__()
        self.z_dim, self.x_dim = check_int(z_dim, "z_dim"), check_int(x_dim, "x_dim")
        self.hidden = _hidden(hidden)
        self.likelihood = check_choice(likelihood, "likelihood", LIKELIHOODS)
        shape = (self.x_dim,) if out_shape is None else tuple(int(s) for s in out_shape)
        if int(np.prod(shape)) != self.x_dim:
            raise ValueError(f"out_shape must hold x_dim={self.x_dim} entries, got {tuple(out_shape)}")
        self.out_shape = shape
        self.config = {
            "z_dim": self.z_dim,
            "x_dim": self.x_dim,
            "hidden": list(self.hidden),
            "likelihood": self.likelihood,
            "out_shape": None if out_shape is None else list(shape),
        }
        n_out = 2 * self.x_dim if self.likelihood == "gaussian" else self.x_dim
        self.net = mlp(self.z_dim, self.hidden, n_out)

    def forward(self, z: torch.Tensor):
        out = self.net(z)
        if self.likelihood == "bernoulli":
            return out.reshape(-1, *self.out_shape)
        mu_x, log_sigma_x = out.chunk(2, dim=-1)
        return mu_x.reshape(-1, *self.out_shape), log_sigma_x.reshape(-1, *self.out_shape)


def count_parameters(module: nn.Module) -> int:
    """The number of trainable parameters (entries) of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _module_config(module: nn.Module) -> dict[str, Any]:
    return {"class": type(module).__name__, **dict(getattr(module, "config", {}) or {})}


class VAE(nn.Module):
    """A VAE: encoder q(z | x, φ), decoder p(x | z, θ), prior p(z) = N(0, I_{z_dim}).

    Every bound is per example, ``(batch,)`` in nats, computed by :mod:`seminar_utils.losses`.
    ``z_dim`` defaults to ``encoder.z_dim`` when the encoder has one.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, likelihood: str = "gaussian", z_dim: int | None = None):
        super().__init__()
        if z_dim is None:
            z_dim = getattr(encoder, "z_dim", None)
            if z_dim is None:
                raise ValueError("z_dim must be given (the encoder has no z_dim attribute)")
        self.z_dim = check_int(z_dim, "z_dim")
        self.likelihood = check_choice(likelihood, "likelihood", LIKELIHOODS)
        decoder_likelihood = getattr(decoder, "likelihood", self.likelihood)
        if decoder_likelihood != self.likelihood:
            raise ValueError(f"likelihood={self.likelihood!r} but the decoder was built for {decoder_likelihood!r}")
        self.encoder, self.decoder = encoder, decoder
        self.config = {
            "likelihood": self.likelihood,
            "z_dim": self.z_dim,
            "encoder": _module_config(encoder),
            "decoder": _module_config(decoder),
        }

    # ------------------------------------------------------------------------------ plumbing
    def _as_input(self, x, name: str = "x") -> torch.Tensor:
        """``x`` on the model's device, in its dtype (numpy accepted); NaN/inf is an error."""
        device, dtype = module_device_dtype(self)
        # e.g. numpy's float64 for a float32 model; integers (0/1 pixels) are cast
        x = as_tensor(x, name, min_dim=2, integers="cast", dtype=dtype, device=device, finite=True)
        if x.shape[0] == 0:
            raise ValueError(f"{name} must be (batch, ...) with batch > 0, got {tuple(x.shape)}")
        return x

    # ----------------------------------------------------------------------------- the model
    def encode(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z | x, φ): ``(mu_z, log_sigma_z)``, each ``(batch, z_dim)``."""
        return self.encoder(self._as_input(x))

    def decode(self, z: torch.Tensor):
        """p(x | z, θ)'s parameters for ``z`` ``(batch, z_dim)``: ``(mu_x, log_sigma_x)`` or logits."""
        return self.decoder(z)

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x | z, θ), ``(batch,)`` nats, for ``x`` ``(batch, ...)`` and ``z`` ``(batch, z_dim)``.

        ``z`` may carry leading sample dimensions ``(S, batch, z_dim)``: the result is then ``(S, batch)``.
        """
        lead = z.shape[:-2]
        if lead:
            x = x.expand(*lead, *x.shape).reshape(-1, *x.shape[1:])
            z = z.reshape(-1, self.z_dim)
        out = self.decode(z)
        if self.likelihood == "gaussian":
            values = losses.gaussian_log_likelihood(x, out[0], out[1])
        else:
            values = losses.bernoulli_log_likelihood(x, out)
        return values.reshape(*lead, -1) if lead else values

    def elbo(self, x, n_samples: int = 1, beta: float = 1.0) -> losses.ELBO:
        """The ELBO and its terms, each ``(batch,)`` nats (see :func:`seminar_utils.losses.elbo`)."""
        x = self._as_input(x)
        mu_z, log_sigma_z = self.encode(x)
        return losses.elbo(x, mu_z, log_sigma_z, self.log_likelihood, n_samples=n_samples, beta=beta)

    def iwae(self, x, k: int, chunk_size: int | None = None) -> torch.Tensor:
        """The IWAE bound with ``k`` importance samples, ``(batch,)`` nats; → log p(x) as k grows."""
        x = self._as_input(x)
        mu_z, log_sigma_z = self.encode(x)
        return losses.iwae(x, mu_z, log_sigma_z, self.log_likelihood, k, chunk_size=chunk_size)

    def loss_terms(self, x, beta: float = 1.0) -> dict[str, torch.Tensor]:
        """What :func:`seminar_utils.training.fit` minimizes, per example ``(batch,)``, in nats:
        ``loss`` = recon + β·kl (−ELBO at β = 1), ``recon`` = −log p(x | z, θ) at one z ~ q(z | x, φ)
        (the reconstruction loss), ``kl`` = KL(q(z | x, φ) ‖ p(z))."""
        out = self.elbo(x, beta=beta)
        return {"loss": -out.elbo, "recon": -out.reconstruction, "kl": out.kl}

    def loss(self, x, beta: float = 1.0) -> torch.Tensor:
        """The training loss: −ELBO (β = 1) averaged over the batch (a scalar, nats per example)."""
        return self.loss_terms(x, beta=beta)["loss"].mean()

    @torch.no_grad()
    def sample(self, n: int, decoder_noise: bool = True) -> torch.Tensor:
        """``n`` samples ``(n, *x_shape)``: z ~ p(z), then x ~ p(x | z, θ).

        Without ``decoder_noise`` the decoder's mean is returned instead of a draw: μ_x(z) for a
        Gaussian decoder, the probabilities σ(logits) for a Bernoulli one.
        """
        n = check_int(n, "n")
        device, dtype = module_device_dtype(self)
        z = torch.randn(n, self.z_dim, device=device, dtype=dtype)
        out = self.decode(z)
        if self.likelihood == "gaussian":
            mu_x, log_sigma_x = out
            return mu_x + torch.exp(log_sigma_x) * torch.randn_like(mu_x) if decoder_noise else mu_x
        probs = torch.sigmoid(out)
        return torch.bernoulli(probs) if decoder_noise else probs


def mlp_vae(
    x_dim: int,
    z_dim: int,
    hidden: Sequence[int] = (128, 128),
    likelihood: str = "gaussian",
    out_shape: Sequence[int] | None = None,
) -> VAE:
    """A :class:`VAE` with an :class:`MLPEncoder` and an :class:`MLPDecoder` of the same widths."""
    return VAE(
        MLPEncoder(x_dim, z_dim, hidden),
        MLPDecoder(z_dim, x_dim, hidden, likelihood=likelihood, out_shape=out_shape),
        likelihood=likelihood,
        z_dim=z_dim,
    )
