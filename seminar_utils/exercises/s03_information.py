"""Checks of seminar 03, continued: the mutual-information estimate (the conventions are in
:mod:`seminar_utils.exercises.s03`).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..formulas import LOG_2PI
from .core import Check, Verdict, close, register
from .s03_parts import (
    F64,
    points,
)

# ----------------------------------------------------------------------------- mutual_information
_GROUPS = {  # x takes 3 values; q(z | x) = N(μ_x, σ_x²) in 1-D, overlapping, σ depending on x
    "sizes": (800, 800, 800),
    "mu": (-1.0, 0.0, 1.2),
    "sigma": (0.2, 1.0, 3.0),
}
_FAR = {"sizes": (300, 100), "mu": ((0.0, 0.0), (60.0, -60.0)), "sigma": ((0.5, 1.5), (2.0, 0.7))}
_SAME = {"mu": (0.3, -1.0), "sigma": (0.5, 2.0)}


def _grouped(sizes) -> torch.Tensor:
    """x (N, 1): the group of each point, interleaved (the groups are not in blocks)."""
    labels = torch.cat([torch.full((n,), float(k), dtype=F64) for k, n in enumerate(sizes)])
    return labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(3037))].unsqueeze(1)


def _group_encoder(mu, sigma):
    mu, log_sigma = torch.tensor(mu, dtype=F64), torch.tensor(sigma, dtype=F64).log()
    if mu.dim() == 1:
        mu, log_sigma = mu.unsqueeze(1), log_sigma.unsqueeze(1)

    def encode(x):
        k = x[:, 0].long()
        return mu[k], log_sigma[k]

    return encode


def _run_mutual_information(ns):
    f = ns["mutual_information"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3038)
        x_same = points(300, 3039)

        def same(x):
            mu = torch.tensor(_SAME["mu"], dtype=F64).expand(len(x), -1)
            return mu.clone(), torch.tensor(_SAME["sigma"], dtype=F64).log().expand(len(x), -1).clone()

        return {
            "same": f(same, x_same),
            "far": f(_group_encoder(_FAR["mu"], _FAR["sigma"]), _grouped(_FAR["sizes"])),
            "overlap": f(_group_encoder(_GROUPS["mu"], _GROUPS["sigma"]), _grouped(_GROUPS["sizes"])),
        }


def _overlap_truth() -> tuple[float, float]:
    """I_q(x; z) of the 3 groups (their shares as p(x)) and the standard error of the estimator's mean.

    The estimator's q(z) is the mixture of the groups exactly, so its mean is unbiased for I; each
    point's term log q(z | x) − log q(z) has a variance integrated on a grid, point by point independent.
    """
    sizes, mu, sigma = (np.array(_GROUPS[k], dtype=float) for k in ("sizes", "mu", "sigma"))
    weights = sizes / sizes.sum()
    z = np.linspace(-25, 25, 200_001)
    dz = z[1] - z[0]
    log_components = -0.5 * ((z[None] - mu[:, None]) / sigma[:, None]) ** 2 - np.log(sigma[:, None]) - 0.5 * LOG_2PI
    log_mixture = np.logaddexp.reduce(log_components + np.log(weights[:, None]), axis=0)
    information, variance = 0.0, 0.0
    for k in range(len(sizes)):
        density = np.exp(log_components[k])
        term = log_components[k] - log_mixture
        mean_k = (density * term).sum() * dz
        information += weights[k] * mean_k
        variance += sizes[k] * ((density * term**2).sum() * dz - mean_k**2)
    return float(information), math.sqrt(variance) / sizes.sum()


def _judge_mutual_information(data) -> Verdict:
    lines = [
        close(
            "an encoder that ignores x (σ_z = (0.5, 2)): every point's term is 0 whatever z",
            data["same"],
            torch.zeros(300),
            atol=1e-9,
        )
    ]
    labels = _grouped(_FAR["sizes"])[:, 0].long()
    n = sum(_FAR["sizes"])
    expected = torch.tensor([math.log(n / _FAR["sizes"][k]) for k in labels.tolist()], dtype=F64)
    lines.append(
        close(
            "two far-apart groups of 300 and 100 points, each with its own σ_z: log(N / group size) for every point",
            data["far"],
            expected,
            atol=1e-6,
        )
    )
    ours = data["overlap"]
    n = sum(_GROUPS["sizes"])
    if not isinstance(ours, torch.Tensor) or ours.shape != (n,):
        shape = tuple(ours.shape) if isinstance(ours, torch.Tensor) else type(ours).__name__
        lines.append((False, f"three overlapping groups: shape {shape}, expected ({n},)"))
    else:
        truth, se = _overlap_truth()
        estimate = ours.double().mean().item()
        ok = bool(abs(estimate - truth) < 5 * se)
        lines.append(
            (
                ok,
                "three overlapping groups, σ_z = 0.2, 1, 3 by group: the mean is I(x; z) within 5 standard errors"
                + ("" if ok else f" — got {estimate:.4f}, expected {truth:.4f} ± {se:.4f}"),
            )
        )
    return Verdict.of(*lines)


register(
    Check("03_vae_2d/mutual_information", ("mutual_information",), _run_mutual_information, _judge_mutual_information)
)
