"""Checks of seminar 05 (how good is a VAE): what the notebook measures, written by the student.

* ``iwae_with_se``: the IWAE estimate of each example from S draws cut into S/K groups of K, and its
  Monte Carlo standard error from the spread of the groups — no random draws: the log-weights are
  given, so the check compares with an independent computation, far log-weights included (an
  unstabilized log-mean-exp underflows there), and with exact properties (identical groups: a
  standard error of 0; groups of equal weights whose values have a known spread: its analytic value).
* ``best_gaussian_q``: Adam on (μ, log σ) of each example's Gaussian q, the model fixed. Any way of
  drawing the samples passes: on a linear-Gaussian model the posterior is a diagonal Gaussian, so the
  optimum's −ELBO (computed exactly, without Monte Carlo) must reach the exact −log p(x); on a
  non-linear model the optimized −ELBO must beat the encoder's and stay above the IWAE estimate of
  −log p(x); and the model's parameters must not move.
* ``per_pixel_gaussian_bits``: the bits per dimension of dequantized images under one Gaussian per
  pixel fitted by maximum likelihood, against an independent computation and against the closed form
  on the training images themselves (the entropy of the fitted Gaussians).
"""

from __future__ import annotations

import math

import torch

from .. import losses
from .core import Check, Verdict, close, register

STEM = "05_vae_evaluation"
F64 = torch.float64


# ----------------------------------------------------------------------- 1. iwae_with_se
def _log_weights_general() -> tuple[torch.Tensor, tuple[int, ...]]:
    """S = 24 log-weights of N = 5 examples near −400 (one near −5,000: exp underflows) and the K tried."""
    g = torch.Generator().manual_seed(501)
    centre = torch.tensor([-400.0, -380.0, -5000.0, -1.0, -450.0], dtype=F64)
    spread = torch.tensor([3.0, 0.5, 2.0, 1.0, 6.0], dtype=F64)
    return centre + spread * torch.randn(24, 5, generator=g, dtype=F64), (1, 3, 4, 12)


def _log_weights_identical_groups() -> tuple[torch.Tensor, int]:
    """5 identical groups of K = 4 draws of 3 examples: every group gives the same L_K, the error is 0."""
    g = torch.Generator().manual_seed(502)
    one_group = -300.0 + 4.0 * torch.randn(4, 3, generator=g, dtype=F64)
    return one_group.repeat(5, 1), 4


def _log_weights_known_spread() -> tuple[torch.Tensor, int, float, int]:
    """2,000 groups of K = 3 equal log-weights c_g ~ N(−200, 2²): L_K = c_g, so the error is 2 / √2000."""
    g = torch.Generator().manual_seed(503)
    groups, k, sd = 2000, 3, 2.0
    c = -200.0 + sd * torch.randn(groups, 1, 2, generator=g, dtype=F64)  # 2 examples
    return c.expand(groups, k, 2).reshape(groups * k, 2).clone(), k, sd, groups


def _iwae_with_se_reference(log_w: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    groups = log_w.shape[0] // k
    estimates = torch.logsumexp(log_w.reshape(groups, k, -1), dim=1) - math.log(k)  # (groups, N)
    return estimates.mean(dim=0), estimates.std(dim=0) / math.sqrt(groups)


def _run_iwae_with_se(ns):
    f = ns["iwae_with_se"]
    log_w, ks = _log_weights_general()
    same, k_same = _log_weights_identical_groups()
    spread, k_spread, _, _ = _log_weights_known_spread()
    return {
        "general": [f(log_w.clone(), k) for k in ks],
        "identical": f(same, k_same),
        "spread": f(spread, k_spread),
    }


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) and len(value) == 2 else (None, None)


def _judge_iwae_with_se(data) -> Verdict:
    log_w, ks = _log_weights_general()
    lines = []
    for k, ours in zip(ks, data["general"]):
        bound, se = _pair(ours)
        ref_bound, ref_se = _iwae_with_se_reference(log_w, k)
        what = f"K = {k}, {24 // k} groups"
        lines.append(
            close(f"{what}: the estimate (one per example, one example near −5,000)", bound, ref_bound, atol=1e-8)
        )
        lines.append(close(f"{what}: its standard error", se, ref_se, atol=1e-8, rtol=1e-8))
    same, k_same = _log_weights_identical_groups()
    bound, se = _pair(data["identical"])
    lines.append(
        close(
            "identical groups: the estimate is that of one group",
            bound,
            losses.log_mean_exp(same[:k_same], 0),
            atol=1e-8,
        )
    )
    lines.append(
        close("identical groups: the standard error is 0", se, torch.zeros(same.shape[1], dtype=F64), atol=1e-8)
    )
    _, _, sd, groups = _log_weights_known_spread()
    bound, se = _pair(data["spread"])
    analytic = torch.full((2,), sd / math.sqrt(groups), dtype=F64)
    lines.append(
        close(
            f"equal weights within each group, group values with sd {sd:g}: the standard error is sd / √{groups} (±5 %)",
            se,
            analytic,
            atol=0.0,
            rtol=0.05,
        )
    )
    return Verdict.of(*lines)


register(
    Check(
        f"{STEM}/iwae_with_se",
        ("iwae_with_se",),
        _run_iwae_with_se,
        _judge_iwae_with_se,
        references=("seminar_utils.evaluation.iwae_by_k",),
    )
)


# -------------------------------------------------------------- 3. per_pixel_gaussian_bits
def _grey_images() -> tuple[torch.Tensor, torch.Tensor]:
    """Dequantized images (k + u)/256 of shape (·, 2, 3, 5): 9 for fitting and 4 to score, the levels
    of each pixel spread around a level of its own (one pixel always at 0 and one always at 200 while
    fitting: only the noise u spreads them); the last image scored is far out, every level 255."""
    g = torch.Generator().manual_seed(531)
    base = torch.randint(20, 236, (1, 2, 3, 5), generator=g)
    levels = (base + torch.randint(-20, 21, (13, 2, 3, 5), generator=g)).double()
    levels[:, 0, 0, 0] = 0.0
    levels[:, 1, 2, 4] = 200.0
    levels[12] = 255.0
    y = (levels + torch.rand(levels.shape, generator=g, dtype=F64)) / 256
    return y[:9], y[9:]


def _bits_reference(y_train: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """An independent computation: torch.distributions, float64, then nats -> bits per dimension."""
    train, y = y_train.flatten(1), y.flatten(1)
    fitted = torch.distributions.Normal(train.mean(0), train.std(0, correction=0))
    neg_log_p = -fitted.log_prob(y).sum(1)  # nats per image, a density on [0, 1)^D
    dims = y.shape[1]
    return (neg_log_p + dims * math.log(256)) / (dims * math.log(2))


def _run_per_pixel_gaussian_bits(ns):
    f = ns["per_pixel_gaussian_bits"]
    y_train, y = _grey_images()
    return {"test": f(y_train.clone(), y.clone()), "train": f(y_train.clone(), y_train.clone())}


def _judge_per_pixel_gaussian_bits(data) -> Verdict:
    y_train, y = _grey_images()
    dims = y_train[0].numel()
    sd = y_train.flatten(1).std(0, correction=0)
    entropy_bits = (0.5 * torch.log(2 * math.pi * math.e * sd**2).sum() + dims * math.log(256)) / (dims * math.log(2))
    return Verdict.of(
        close(
            "bits/dim of 4 images (2, 3, 5) under the Gaussians fitted to 9 (one image at level 255)",
            data["test"],
            _bits_reference(y_train, y),
            atol=1e-5,
            rtol=1e-6,  # float32 arithmetic passes; ln 255 for ln 256 is off by 0.0056 bits
        ),
        close(
            "bits/dim of the 9 fitting images, their mean: the entropy of the fitted Gaussians + 8 bits (closed form)",
            data["train"].mean()
            if isinstance(data["train"], torch.Tensor) and data["train"].dim() == 1
            else data["train"],
            entropy_bits,
            atol=1e-5,
        ),
    )


register(
    Check(
        f"{STEM}/per_pixel_gaussian_bits",
        ("per_pixel_gaussian_bits",),
        _run_per_pixel_gaussian_bits,
        _judge_per_pixel_gaussian_bits,
    )
)
