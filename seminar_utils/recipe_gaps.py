"""Seminar 06's sizes and settings (re-exported by :mod:`seminar_utils.recipes`, where every notebook
finds its recipe): each value through :func:`~seminar_utils.runtime.by_mode`, ``full=`` what people
get, ``fast=`` what the tests run under ``SEMINAR_FAST=1``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .mnist import validation_split
from .runtime import by_mode

__all__ = ["ClosingGaps", "closing_gaps"]


@dataclass(frozen=True)
class ClosingGaps:
    """Seminar 06 and ``benchmarks/bench_closing_gaps.py``.

    The moons (2-D): ``moons_data`` (of ``load_2d``), ``moons_model`` (of ``mlp_variant``, the
    family set per run), ``moons_fit`` (of ``fit``), ``moons_layers`` planar layers; the best q of
    each family for ``moons_points`` test points (of the first ``moons_eval``) after ``moons_steps``
    Adam steps, −log p(x) by IWAE with ``moons_k`` samples. The digits: small MLP VAEs (one
    hidden layer of ``hidden``, ``z_dim``) on the 3,500 training digits of the other image seminars
    (``n_val`` held out, ``n_fit`` kept), trained for exactly ``fit["epochs"]`` epochs (no early
    stopping: the same budget and stopping rule for every variant) for each of ``seeds``; the
    variants differ only as :meth:`variant` says. Evaluation: −ELBO and −L_``iwae_k`` on
    ``n_eval`` test digits; the gaps on ``n_gap`` test digits (``gap_steps`` Adam steps of lr
    ``gap_lr`` with ``gap_samples`` samples, −ELBO from ``gap_eval_samples`` draws, −log p(x) by
    IWAE with ``gap_k`` samples); active units on ``n_units`` test digits.
    """

    moons_data: dict[str, Any]
    moons_model: dict[str, Any]
    moons_fit: dict[str, Any]
    moons_layers: int
    moons_k: int
    moons_eval: int
    moons_points: int
    moons_steps: int
    z_dim: int
    hidden: tuple[int, ...]
    n_val: int
    n_fit: int | None
    fit: dict[str, Any]
    seeds: tuple[int, ...]
    train_k: int
    n_layers: int
    n_components: int
    iwae_k: int
    n_eval: int
    n_gap: int
    gap_steps: int
    gap_samples: int
    gap_lr: float
    gap_eval_samples: int
    gap_k: int
    n_units: int
    variants: tuple[str, ...] = ("VAE", "IWAE-trained", "flow posterior", "mixture prior")

    def variant(self, name: str) -> dict[str, Any]:
        """The keyword arguments of :func:`~seminar_utils.variants.mlp_variant` for variant ``name``:
        the VAE, and each remedy changing one thing (the bound, the posterior, the prior)."""
        changes = {
            "VAE": {},
            "IWAE-trained": {"train_k": self.train_k},
            "flow posterior": {"family": "planar", "n_layers": self.n_layers},
            "mixture prior": {"prior": "mixture", "n_components": self.n_components},
        }
        if name not in changes:
            raise ValueError(f"name must be one of {sorted(changes)}, got {name!r}")
        return {"x_dim": 784, "z_dim": self.z_dim, "hidden": self.hidden, "out_shape": (1, 28, 28), **changes[name]}

    def split(self, x_train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(x_fit, x_val)``: the training digits (the first ``n_fit`` when set) and the validation slice."""
        x_fit, x_val = validation_split(x_train, self.n_val, seed=0)
        return (x_fit if self.n_fit is None else x_fit[: self.n_fit]), x_val


def closing_gaps() -> ClosingGaps:
    return ClosingGaps(
        moons_data={"n_train": by_mode(full=5000, fast=1000), "n_test": 2000, "seed": 0},
        moons_model={"x_dim": 2, "z_dim": 2, "hidden": (64, 64), "likelihood": "gaussian"},
        moons_fit={"epochs": by_mode(full=20, fast=2), "batch_size": 128, "lr": 3e-3},
        moons_layers=8,
        moons_k=by_mode(full=500, fast=20),
        moons_eval=by_mode(full=1000, fast=100),
        moons_points=by_mode(full=200, fast=40),
        moons_steps=by_mode(full=300, fast=10),
        z_dim=16,
        hidden=(256,),
        n_val=500,
        n_fit=by_mode(full=None, fast=512),
        fit={"epochs": by_mode(full=6, fast=1), "batch_size": 64, "lr": 2e-3},
        seeds=(0, 1, 2),
        train_k=5,
        n_layers=4,
        n_components=10,
        iwae_k=by_mode(full=500, fast=20),
        n_eval=by_mode(full=100, fast=20),
        n_gap=by_mode(full=10, fast=3),
        gap_steps=by_mode(full=100, fast=5),
        gap_samples=8,
        gap_lr=0.05,
        gap_eval_samples=by_mode(full=200, fast=20),
        gap_k=by_mode(full=1000, fast=50),
        n_units=by_mode(full=500, fast=50),
    )
