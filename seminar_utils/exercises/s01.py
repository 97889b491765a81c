"""Checks of seminar 01 (EM for Gaussian mixtures). Example of the pattern; see the package docstring."""

from __future__ import annotations

import torch

from ..gmm import steps
from . import Check, Verdict, close, register


def _gaussian_inputs():
    """Points (N = 7, D = 3), K = 2 components with full, non-identity covariances, and a far point."""
    g = torch.Generator().manual_seed(101)
    X = torch.randn(6, 3, generator=g, dtype=torch.float64)
    X = torch.cat([X, torch.full((1, 3), 40.0, dtype=torch.float64)])  # densities underflow here
    means = torch.randn(2, 3, generator=g, dtype=torch.float64)
    A = torch.randn(2, 3, 3, generator=g, dtype=torch.float64)
    covariances = A @ A.transpose(1, 2) + 0.3 * torch.eye(3, dtype=torch.float64)  # Σ ≠ I, det Σ ≠ 1
    return X, means, covariances


def _run_gaussian_log_pdf(ns):
    return ns["gaussian_log_pdf"](*_gaussian_inputs())


def _judge_gaussian_log_pdf(ours) -> Verdict:
    return Verdict.of(
        close("log N(x | μ, Σ), Σ ≠ I, a far point", ours, steps.component_log_pdf(*_gaussian_inputs()), atol=1e-8)
    )


register(
    Check(
        "01_em_gmm/gaussian_log_pdf",
        ("gaussian_log_pdf",),
        _run_gaussian_log_pdf,
        _judge_gaussian_log_pdf,
        references=("seminar_utils.gmm.component_log_pdf", "seminar_utils.gmm.steps.component_log_pdf"),
    )
)
