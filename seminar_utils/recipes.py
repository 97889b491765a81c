"""Every notebook's sizes and settings in one place: one function per seminar, each value through
:func:`~seminar_utils.runtime.by_mode` (``full=`` what people get, ``fast=`` what the tests run under
``SEMINAR_FAST=1``).

A notebook calls its function once, in its first cells (``settings = recipes.vae_2d()``), and the
benchmarks call the same functions, so the figures in docs/performance.md and the notebooks come
from one source. Only sizes that cost time change with the mode (epochs, Monte Carlo samples, grid sizes); the
data and the models stay the same, so every checked output reads the same in both modes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import torch

from .conv import conv_vae
from .mnist import shifted_copies, validation_split
from .recipe_gaps import ClosingGaps, closing_gaps  # seminar 06 (its own file: this one stays short)
from .runtime import by_mode
from .vae import VAE

__all__ = [
    "EMGMM",
    "VAE2D",
    "ClosingGaps",
    "ImageRecipe",
    "VAEEvaluation",
    "VAEImages",
    "VAEQuestions",
    "closing_gaps",
    "em_gmm",
    "vae_2d",
    "vae_evaluation",
    "vae_images",
    "vae_questions",
]


# ----------------------------------------------------------------------------- 01 EM for GMMs
@dataclass(frozen=True)
class EMGMM:
    """Seminar 01: ``n_starts`` seeds per initialization in the local-optima experiment,
    ``n_init`` EM starts per K in the model-selection sweep."""

    n_starts: int
    n_init: int


def em_gmm() -> EMGMM:
    return EMGMM(n_starts=by_mode(full=20, fast=8), n_init=by_mode(full=5, fast=2))


# ----------------------------------------------------------------------- 02 the VAE questions
@dataclass(frozen=True)
class VAEQuestions:
    """Seminar 02: ``n_grad`` single-sample gradient estimates per z_dim (variance curves),
    ``n_repeats`` independent IWAE estimates per K (error bars) at the K of ``iwae_ks``; the seed's
    training loop runs ``loop_epochs`` epochs over the first ``loop_images`` training digits."""

    n_grad: int
    n_repeats: int
    iwae_ks: tuple[int, ...]
    loop_images: int = 2000
    loop_epochs: int = 2


def vae_questions() -> VAEQuestions:
    return VAEQuestions(
        n_grad=by_mode(full=50_000, fast=2_000),
        n_repeats=by_mode(full=200, fast=20),
        iwae_ks=by_mode(full=(1, 4, 16, 64, 256, 1024), fast=(1, 4, 16, 64, 256)),
        loop_images=by_mode(full=2000, fast=256),
        loop_epochs=by_mode(full=2, fast=1),
    )


# --------------------------------------------------------------------------- 03 a VAE on 2D data
@dataclass(frozen=True)
class VAE2D:
    """Seminar 03 and ``benchmarks/bench_vae2d.py``: ``model`` (kwargs of ``mlp_vae``), ``data``
    (of ``load_2d``), ``fit`` (of ``fit``), ``iwae_k`` (K of the NLL estimates), ``kl_warmup_epochs``
    (β rises linearly to 1 over that many epochs on the moons), and the notebook's evaluation sizes:
    ``k_grid`` and ``n_grid`` (IWAE K and points per side of the density grids), ``n_eval`` (test
    points in the ELBO/IWAE table), ``n_posterior_grid`` (points per side of the posterior grids);
    the experiments: ``sweep_fit`` (fit kwargs of each sweep run) on ``sweep_n_train`` points, the
    ``betas`` of the rate–distortion sweep, the ``z_dims`` of the latent-size sweep, ``free_bits``
    (nats per latent dimension) against the collapse of (b), ``k_compare`` (IWAE K of the comparisons)."""

    model: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    fit: dict[str, Any] = field(default_factory=dict)
    iwae_k: int = 1000
    kl_warmup_epochs: int = 10
    k_grid: int = 100
    n_grid: int = 100
    n_eval: int = 2000
    n_posterior_grid: int = 150
    sweep_fit: dict[str, Any] = field(default_factory=dict)
    sweep_n_train: int = 5000
    betas: tuple[float, ...] = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
    z_dims: tuple[int, ...] = (1, 2, 4)
    free_bits: float = 0.5
    k_compare: int = 100


def vae_2d() -> VAE2D:
    return VAE2D(
        model={"x_dim": 2, "z_dim": 2, "hidden": (64, 64), "likelihood": "gaussian"},
        data={"n_train": 10_000, "n_test": 2_000, "seed": 0},
        fit={"epochs": by_mode(full=40, fast=2), "batch_size": 128, "lr": 2e-3, "seed": 0},
        iwae_k=by_mode(full=1000, fast=20),
        kl_warmup_epochs=10,
        k_grid=by_mode(full=100, fast=5),
        n_grid=by_mode(full=100, fast=30),
        n_eval=by_mode(full=2000, fast=200),
        n_posterior_grid=by_mode(full=150, fast=40),
        sweep_fit={"epochs": by_mode(full=10, fast=1), "batch_size": 128, "lr": 1e-3, "seed": 0},
        sweep_n_train=by_mode(full=4000, fast=500),
        betas=(0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
        z_dims=(1, 2, 4),
        free_bits=0.5,
        k_compare=by_mode(full=100, fast=10),
    )


# ------------------------------------------------------------------------ 04 a VAE on images
@dataclass(frozen=True)
class ImageRecipe:
    """A conv VAE of seminar 04 with its data and training settings.

    :meth:`split` holds out ``n_val`` training digits (:func:`seminar_utils.mnist.validation_split`)
    for early stopping with ``patience`` — the test set is never used to choose anything — and
    augments the rest with every shift by up to ``max_shift`` pixels
    (:func:`seminar_utils.mnist.shifted_copies`); ``n_fit`` (when set) keeps only that many digits.
    ``epochs`` is a maximum (early stopping may end sooner); ``iwae_k`` importance samples estimate
    −log p(x). ``likelihood`` and ``sigma``: the decoder's (:func:`~seminar_utils.conv.conv_vae`).
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
    likelihood: str = "bernoulli"
    sigma: float | None = None

    def model(self) -> VAE:
        """A fresh :func:`~seminar_utils.conv.conv_vae` of this recipe."""
        return conv_vae(self.z_dim, self.channels, self.hidden, likelihood=self.likelihood, sigma=self.sigma)

    def split(self, x_train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_fit, x_val)``: the (augmented) training images and the validation slice, ``(N, 1, 28, 28)``."""
        x_fit, x_val = validation_split(x_train, self.n_val, seed=self.seed)
        if self.n_fit is not None:
            x_fit = x_fit[: self.n_fit]
        return shifted_copies(x_fit, self.max_shift), x_val

    def fit_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """The keyword arguments of :func:`seminar_utils.training.fit` (``epochs``, ``lr`` …); the
        held-out set is the validation slice of :meth:`split`."""
        keys = ("epochs", "batch_size", "lr", "weight_decay", "patience", "seed")
        return {**{k: getattr(self, k) for k in keys}, "test_name": "validation", **overrides}


@dataclass(frozen=True)
class VAEImages:
    """Seminar 04 and ``benchmarks/bench_image_vae.py``: the ``main`` model (z_dim = 32, shifted
    copies), the ``latent_2d`` model (a 2-D latent for pictures), and the overfitting study:
    ``overfit`` (the main model's settings without shifted copies, a long run that early stopping
    ends) trained for each of ``seeds``, as a conv VAE and as an MLP VAE with
    ``mlp_hidden`` units."""

    main: ImageRecipe
    latent_2d: ImageRecipe
    overfit: ImageRecipe
    seeds: tuple[int, ...]
    mlp_hidden: int = 400


def vae_images() -> VAEImages:
    # the main model: z_dim = 32, trained on 9 shifted copies of each digit
    main = ImageRecipe(
        z_dim=32,
        channels=(16, 32),
        hidden=None,
        max_shift=by_mode(full=1, fast=0),
        epochs=by_mode(full=6, fast=1),
        batch_size=64,
        lr=3e-3,
        weight_decay=0.0,
        patience=2,
        n_val=500,
        iwae_k=by_mode(full=500, fast=10),
        n_fit=by_mode(full=None, fast=512),
    )
    # the 2-D latent: a dense layer of 256 between z and the convolutions (a linear map cannot unfold
    # two numbers into a digit), no shifted copies (z should not spend one of its two numbers on where
    # the digit sits), more epochs of the smaller training set
    latent_2d = replace(main, z_dim=2, hidden=256, max_shift=0, epochs=by_mode(full=16, fast=1), patience=4)
    # overfitting: the main model's settings on the 3,500 digits as they are (no shifted copies), so
    # that an epoch is 9 times shorter: a patience to match, and a cap that early stopping ends every
    # run before (the longest, with shifted copies drawn per batch in seminar 06, stops at epoch 70)
    overfit = replace(main, max_shift=0, epochs=by_mode(full=100, fast=2), patience=5)
    return VAEImages(main=main, latent_2d=latent_2d, overfit=overfit, seeds=(0, 1, 2))


# --------------------------------------------------------------- 05 how good is a VAE on images
@dataclass(frozen=True)
class VAEEvaluation:
    """Seminar 05: the ``main`` model of seminar 04 and its evaluation sizes.

    ``n_eval`` test digits in the likelihood table (None: all); the IWAE curve: ``curve_draws``
    importance samples for each of ``n_curve`` test digits, regrouped for each K of ``curve_ks``,
    and ``big_k`` samples (twice) for the first ``n_big_k`` of them; the two gaps of the ELBO on
    ``n_gap`` test digits, q optimized per digit for ``gap_steps`` Adam steps of ``gap_lr`` with
    ``gap_samples`` samples each, then evaluated with ``gap_eval_samples``; the grey-level digits:
    Gaussian decoders with σ_x learned (``grey_learned``) and fixed (``grey_fixed``), evaluated on
    ``n_grey_eval`` test digits with ``grey_k`` importance samples.
    """

    main: ImageRecipe
    n_eval: int | None
    n_curve: int
    curve_draws: int
    curve_ks: tuple[int, ...]
    big_k: int
    n_big_k: int
    n_gap: int
    gap_steps: int
    gap_samples: int
    gap_lr: float
    gap_eval_samples: int
    grey_learned: ImageRecipe
    grey_fixed: ImageRecipe
    n_grey_eval: int
    grey_k: int


def vae_evaluation() -> VAEEvaluation:
    main = vae_images().main
    # Gaussian decoders for the grey levels: the main model's network, no shifted copies
    grey = replace(
        main,
        likelihood="gaussian",
        max_shift=0,
        batch_size=64,
        lr=1e-3,
        epochs=by_mode(full=20, fast=1),
        patience=4,
        iwae_k=by_mode(full=100, fast=10),
    )
    return VAEEvaluation(
        main=main,
        n_eval=by_mode(full=None, fast=100),
        n_curve=by_mode(full=100, fast=10),
        curve_draws=by_mode(full=1000, fast=100),
        curve_ks=by_mode(full=(1, 10, 50, 100, 500), fast=(1, 10, 50)),
        big_k=by_mode(full=5000, fast=100),
        n_big_k=by_mode(full=10, fast=2),
        n_gap=by_mode(full=20, fast=4),
        gap_steps=by_mode(full=300, fast=10),
        gap_samples=8,
        gap_lr=0.05,
        gap_eval_samples=by_mode(full=1000, fast=50),
        grey_learned=grey,
        grey_fixed=replace(grey, sigma=0.1),
        n_grey_eval=by_mode(full=500, fast=50),
        grey_k=by_mode(full=100, fast=10),
    )
