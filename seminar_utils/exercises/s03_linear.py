"""Checks of seminar 03, continued: the information an exact linear solution stores (the conventions
are in :mod:`seminar_utils.exercises.s03`).

A linear Gaussian model ``x = W z + b + ε``, ``z ~ N(0, I)``, ``ε ~ N(0, Ψ)`` with ``Ψ`` diagonal,
reproduces a data covariance ``Σ`` exactly when ``Σ = W Wᵀ + Ψ``; its exact posterior then stores
``I(x; z) = H(x) − H(x | z) = ½ ln(det Σ / det Ψ)`` nats. For a 2-D ``Σ`` and one factor, the exact
solutions are the ``Ψ`` with ``(Σ₁₁ − ψ₁)(Σ₂₂ − ψ₂) = Σ₁₂²``; the largest ``det Ψ`` among them is
``(√(Σ₁₁Σ₂₂) − |Σ₁₂|)²``, so the least information is ``½ ln((1 + |ρ|)/(1 − |ρ|)) = artanh |ρ|``.
The judge computes both from these closed forms, in float64, on inputs it builds from fixed seeds.
"""

from __future__ import annotations

import math

import torch

from .core import Check, Verdict, close, register
from .s03_parts import F64


def _covariances_2d() -> list[tuple[str, torch.Tensor]]:
    """2-D covariances: (a)'s and (b)'s, one negative correlation, unequal variances, random ones."""
    g = torch.Generator().manual_seed(3051)
    named = [
        ("(a)'s Σ = [[13, 12], [12, 13]]", torch.tensor([[13.0, 12.0], [12.0, 13.0]], dtype=F64)),
        ("(b)'s Σ = diag(25, 1)", torch.tensor([[25.0, 0.0], [0.0, 1.0]], dtype=F64)),
        ("Σ = [[4, -1.5], [-1.5, 0.8]] (negative correlation)", torch.tensor([[4.0, -1.5], [-1.5, 0.8]], dtype=F64)),
        ("Σ = [[9, 2.4], [2.4, 0.9]] (unequal variances)", torch.tensor([[9.0, 2.4], [2.4, 0.9]], dtype=F64)),
    ]
    for k in range(3):
        A = torch.randn(2, 2, generator=g, dtype=F64)
        cov = A @ A.T + 0.05 * torch.eye(2, dtype=F64)
        named.append((f"random Σ no. {k + 1} = {[[round(v, 3) for v in row] for row in cov.tolist()]}", cov))
    return named


def _exact_pairs() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(what, Σ, Ψ) with Σ = W Wᵀ + Ψ exactly: one-factor solutions of 2-D Σ's, and a 3-D two-factor model."""
    pairs = []
    for (what, cov), share in zip(_covariances_2d()[:4], (0.3, 0.7, 0.5, 0.9)):
        a, c, s = cov[0, 0].item(), cov[1, 1].item(), cov[0, 1].item()
        if s == 0.0:  # Σ diagonal: w = (√(share·a), 0) leaves ψ = (a(1 − share), c)
            psi = torch.tensor([a * (1 - share), c], dtype=F64)
        else:  # u = Σ₁₁ − ψ₁ anywhere in its allowed range [s²/c, a]
            u = s * s / c + share * (a - s * s / c)
            psi = torch.tensor([a - u, c - s * s / u], dtype=F64)
        pairs.append((f"{what}, one factor, Ψ = diag{tuple(round(v, 3) for v in psi.tolist())}", cov, torch.diag(psi)))
    g = torch.Generator().manual_seed(3052)
    W = torch.randn(3, 2, generator=g, dtype=F64)
    psi = torch.diag(torch.tensor([0.4, 1.3, 0.7], dtype=F64))
    pairs.append(("3-D Σ = W Wᵀ + Ψ, two factors", W @ W.T + psi, psi))
    cov = torch.diag(torch.tensor([25.0, 1.0], dtype=F64))
    pairs.append(("(b)'s Σ = diag(25, 1) with Ψ = Σ (w = 0: the collapse)", cov, cov.clone()))
    return pairs


def _run_least_linear_information(ns):
    information, least = ns["linear_information"], ns["least_linear_information"]
    with torch.random.fork_rng(devices=[]):
        return {
            "information": [information(cov.clone(), psi.clone()) for _, cov, psi in _exact_pairs()],
            "least": [least(cov.clone()) for _, cov in _covariances_2d()],
        }


def _least(cov: torch.Tensor) -> float:
    rho = cov[0, 1].item() / math.sqrt(cov[0, 0].item() * cov[1, 1].item())
    return math.atanh(abs(rho))


def _judge_least_linear_information(data) -> Verdict:
    lines = []
    for (what, cov, psi), ours in zip(_exact_pairs(), data["information"]):
        reference = 0.5 * (torch.logdet(cov) - torch.logdet(psi))  # a float64 tensor: close() keeps it so
        lines.append(close(f"linear_information, {what}: ½ ln(det Σ / det Ψ)", ours, reference, atol=1e-6))
    for (what, cov), ours in zip(_covariances_2d(), data["least"]):
        reference = torch.tensor(_least(cov), dtype=F64)
        lines.append(close(f"least_linear_information, {what}: artanh |ρ|", ours, reference, atol=1e-6))
    return Verdict.of(*lines)


register(
    Check(
        "03_vae_2d/least_linear_information",
        ("linear_information", "least_linear_information"),
        _run_least_linear_information,
        _judge_least_linear_information,
    )
)
