"""Convolutional encoder and decoder for 28 × 28 images, and the image seminar's one shared recipe.

Both honour the contracts of :class:`seminar_utils.models.VAE`:

* :class:`ConvEncoder` q(z | x, φ): ``x`` ``(batch, 1, 28, 28)`` → ``(mu_z, log_sigma_z)``, each
  ``(batch, z_dim)``; two stride-2 convolutions (28 → 14 → 7) and a linear layer (optionally a
  dense ``hidden`` layer before it).
* :class:`ConvDecoder` p(x | z, θ), Bernoulli: ``z`` ``(batch, z_dim)`` → logits
  ``(batch, 1, 28, 28)``; a linear layer to ``(channels[1], 7, 7)`` and two stride-2 transposed
  convolutions (7 → 14 → 28), the mirror image of the encoder.

:data:`RECIPE` (the z_dim = 32 model) and :data:`RECIPE_2D` (the 2-D latent) hold the settings that
the notebook ``04_vae_images`` and ``benchmarks/bench_image_vae.py`` share; :func:`image_recipe`
picks them, or their fast-mode versions (same models, less training) under ``SEMINAR_FAST=1``.
:func:`likelihood_metrics` measures −ELBO, IWAE NLL and bits per dimension.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ._checks import positive_int
from .checkpoints import cached_json, fingerprint
from .mnist import shifted_copies, validation_split
from .models import VAE
from .runtime import by_mode

__all__ = ["ConvEncoder", "ConvDecoder", "conv_vae", "ImageRecipe", "RECIPE", "RECIPE_2D", "FAST",
           "image_recipe", "likelihood_metrics"]

IMAGE_SHAPE = (1, 28, 28)


def _channels(channels: Sequence[int]) -> tuple[int, int]:
    if isinstance(channels, (int, np.integer)) or not isinstance(channels, Sequence) or len(channels) != 2:
        raise ValueError(f"channels must be two widths (c1, c2) such as (32, 64), got {channels!r}")
    return tuple(positive_int(c, "every entry of channels") for c in channels)  # type: ignore[return-value]


def _hidden(hidden) -> int | None:
    return None if hidden is None else positive_int(hidden, "hidden")


def _configure(module: nn.Module, z_dim: int, channels: Sequence[int], hidden: int | None) -> tuple[int, int]:
    """Validate and store the settings shared by the encoder and the decoder; ``(c1, c2)``."""
    module.z_dim = positive_int(z_dim, "z_dim")
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
        dense = ([nn.Linear(c2 * 7 * 7, self.hidden), nn.ELU(), nn.Linear(self.hidden, 2 * self.z_dim)]
                 if self.hidden else [nn.Linear(c2 * 7 * 7, 2 * self.z_dim)])
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.ELU(),   # (batch, c1, 14, 14)
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ELU(),  # (batch, c2, 7, 7)
            nn.Flatten(), *dense,                                 # (batch, 2 * z_dim)
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be (batch, 1, 28, 28), got {got}")
        mu_z, log_sigma_z = self.net(x).chunk(2, dim=-1)
        return mu_z, log_sigma_z


class ConvDecoder(nn.Module):
    """p(x | z, θ) = Bernoulli(σ(logits(z))) per pixel: ``z`` ``(batch, z_dim)`` → logits ``(batch, 1, 28, 28)``.

    [linear to ``hidden`` → ELU] → linear to ``(c2, 7, 7)`` → ELU → transposed conv 4×4 stride 2 →
    ELU → transposed conv 4×4 stride 2 (no activation: logits).
    """

    likelihood = "bernoulli"

    def __init__(self, z_dim: int, channels: Sequence[int] = (16, 32), hidden: int | None = None):
        super().__init__()
        c1, c2 = _configure(self, z_dim, channels, hidden)
        dense = ([nn.Linear(self.z_dim, self.hidden), nn.ELU(), nn.Linear(self.hidden, c2 * 7 * 7)]
                 if self.hidden else [nn.Linear(self.z_dim, c2 * 7 * 7)])
        self.net = nn.Sequential(
            *dense, nn.ELU(), nn.Unflatten(1, (c2, 7, 7)),                 # (batch, c2, 7, 7)
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ELU(),  # (batch, c1, 14, 14)
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),             # (batch, 1, 28, 28)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.z_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must be (batch, {self.z_dim}), got {got}")
        return self.net(z)


def conv_vae(z_dim: int = 32, channels: Sequence[int] = (16, 32), hidden: int | None = None) -> VAE:
    """A Bernoulli VAE with a :class:`ConvEncoder` and a :class:`ConvDecoder` (freshly initialized)."""
    return VAE(ConvEncoder(z_dim, channels, hidden), ConvDecoder(z_dim, channels, hidden),
               likelihood="bernoulli", z_dim=z_dim)


@dataclass(frozen=True)
class ImageRecipe:
    """Model, data and training settings of the image seminar (one source for notebook and benchmark).

    :meth:`split` holds out ``n_val`` training digits (:func:`seminar_utils.mnist.validation_split`)
    for early stopping with ``patience`` — the test set is never used to choose anything — and
    augments the rest with every shift by up to ``max_shift`` pixels
    (:func:`seminar_utils.mnist.shifted_copies`); ``n_fit`` (when set) keeps only that many digits
    (fast mode). ``epochs`` is a maximum (early stopping may end sooner); ``iwae_k`` importance
    samples estimate −log p(x).
    """

    z_dim: int
    channels: tuple[int, int]
    hidden: int | None
    max_shift: int
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    patience: int
    n_val: int
    iwae_k: int
    n_fit: int | None = None
    seed: int = 0

    def model(self) -> VAE:
        """A fresh :func:`conv_vae` of this recipe."""
        return conv_vae(self.z_dim, self.channels, self.hidden)

    def split(self, x_train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_fit, x_val)``: the (augmented) training images and the validation slice, ``(N, 1, 28, 28)``."""
        x_fit, x_val = validation_split(x_train, self.n_val, seed=self.seed)
        if self.n_fit is not None:
            x_fit = x_fit[:self.n_fit]
        return shifted_copies(x_fit, self.max_shift), x_val

    def fit_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """The keyword arguments of :func:`seminar_utils.training.fit` (``epochs``, ``lr`` …)."""
        keys = ("epochs", "batch_size", "lr", "weight_decay", "patience", "seed")
        return {**{k: getattr(self, k) for k in keys}, **overrides}


# the model of the notebook and the benchmark: z_dim = 32, trained on 9 shifted copies of each digit
RECIPE = ImageRecipe(z_dim=32, channels=(16, 32), hidden=None, max_shift=1, epochs=10, batch_size=64,
                     lr=1e-3, weight_decay=0.0, patience=2, n_val=500, iwae_k=500)
# the 2-D latent of the notebook's pictures: a dense layer of 256 between z and the convolutions (a
# linear map cannot unfold two numbers into a digit), no shifted copies (z should not spend one of its
# two numbers on where the digit sits), more epochs of the smaller training set
RECIPE_2D = replace(RECIPE, z_dim=2, hidden=256, max_shift=0, epochs=25, patience=4)
FAST = {"main": replace(RECIPE, max_shift=0, epochs=1, n_fit=512, iwae_k=10),
        "2d": replace(RECIPE_2D, epochs=1, n_fit=512, iwae_k=10)}


def image_recipe(which: str = "main") -> ImageRecipe:
    """:data:`RECIPE` (``which="main"``) or :data:`RECIPE_2D` (``"2d"``) for people; under
    ``SEMINAR_FAST=1`` (the tests) the same models with little training (:data:`FAST`)."""
    full = {"main": RECIPE, "2d": RECIPE_2D}
    if which not in full:
        raise ValueError(f"which must be 'main' or '2d', got {which!r}")
    return by_mode(full[which], FAST[which])


def likelihood_metrics(model: VAE, x: torch.Tensor, k: int, batch_size: int = 100, chunk_size: int = 50,
                       seed: int = 0, cache: bool = False) -> dict[str, float]:
    """Test figures of a VAE on images ``x`` ``(N, 1, 28, 28)``, means over the N examples.

    ``neg_elbo``: −ELBO (nats, one z per example); ``nll_iwae``: −IWAE bound with ``k`` importance
    samples, an estimate of −log p(x) from above (nats); ``bits_per_dim`` = nll_iwae / (D · ln 2),
    D = 784 pixels. Seeded with ``seed`` without disturbing the global random state. ``cache=True``
    keeps the result beside the checkpoints, keyed by the weights, the data and the settings
    (:func:`seminar_utils.checkpoints.cached_json`), so a second run of a notebook is instant.
    """
    if not isinstance(x, torch.Tensor) or x.dim() < 2 or len(x) == 0:
        raise ValueError(f"x must be a non-empty tensor (N, ...), got {getattr(x, 'shape', type(x).__name__)}")
    device = next(model.parameters()).device
    if cache:
        config = {"weights": fingerprint(*model.state_dict().values()), "data": fingerprint(x), "k": k,
                  "batch_size": batch_size, "chunk_size": chunk_size, "seed": seed, "device": device.type}
        return cached_json("metrics", config, lambda: likelihood_metrics(
            model, x, k, batch_size=batch_size, chunk_size=chunk_size, seed=seed))
    was_training = model.training
    model.eval()
    neg_elbo = nll = 0.0
    with torch.no_grad(), torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        for batch in x.split(batch_size):
            batch = batch.to(device)
            neg_elbo -= model.elbo(batch).elbo.sum().item()
            nll -= model.iwae(batch, k, chunk_size=min(chunk_size, k)).sum().item()
    model.train(was_training)
    dims = x[0].numel()
    return {"neg_elbo": neg_elbo / len(x), "nll_iwae": nll / len(x),
            "bits_per_dim": nll / len(x) / (dims * math.log(2))}
