"""Checks of seminar 01 (EM for Gaussian mixtures): ``gaussian_log_pdf``, ``e_step``, ``m_step``.

Every input has full covariances with Σ ≠ I and det Σ ≠ 1 (at Σ = I a dropped log-determinant, a
missing factor 2 on it or Σ in place of Σ⁻¹ give the right numbers), unequal weights, and a far
point whose densities underflow in float64 (only a log-domain computation with a stabilised
log-sum-exp stays finite there).
"""

from __future__ import annotations

import torch

from ..gmm import steps
from .core import Check, Verdict, close, register


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
        references=(
            "seminar_utils.gmm.component_log_pdf",
            "seminar_utils.gmm.steps.component_log_pdf",
            "seminar_utils.gmm.formulas.log_gaussian_pdf",
            "seminar_utils.formulas.log_gaussian_pdf",
        ),
    )
)


# ------------------------------------------------------------------------------------------ E-step
def _e_step_inputs():
    """N = 9 points in D = 3 (the last one far out: every a_nk < −1000), K = 3 unequal weights."""
    g = torch.Generator().manual_seed(102)
    X = torch.randn(8, 3, generator=g, dtype=torch.float64) * 2.0
    X = torch.cat([X, torch.tensor([[60.0, -45.0, 30.0]], dtype=torch.float64)])
    weights = torch.tensor([0.6, 0.3, 0.1], dtype=torch.float64)
    means = torch.randn(3, 3, generator=g, dtype=torch.float64) * 2.0
    A = torch.randn(3, 3, 3, generator=g, dtype=torch.float64)
    covariances = A @ A.transpose(1, 2) + 0.5 * torch.eye(3, dtype=torch.float64)
    return X, weights, means, covariances


def _run_e_step(ns):
    result = ns["e_step"](*_e_step_inputs())
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(f"e_step must return a tuple (log γ, ℓ), got a {type(result).__name__}")
    return result


def _judge_e_step(data) -> Verdict:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        return Verdict.of((False, "e_step must return a tuple (log γ, ℓ)"))
    log_resp, ll = data
    ref_log_resp, ref_ll = steps.e_step(*_e_step_inputs())
    ll_type = isinstance(ll, float) or (isinstance(ll, torch.Tensor) and ll.numel() == 1 and ll.is_floating_point())
    return Verdict.of(
        close("log γ (N, K), unequal π, Σ ≠ I, a far point", log_resp, ref_log_resp, atol=1e-8),
        (ll_type, "ℓ(θ) is a number" + ("" if ll_type else f" (got a {type(ll).__name__}; return a float: .item())")),
        close("ℓ(θ), the mean of log p(x_n | θ) over the points", ll if ll_type else None, ref_ll, atol=1e-8),
    )


register(
    Check(
        "01_em_gmm/e_step",
        ("e_step",),
        _run_e_step,
        _judge_e_step,
        references=(
            "seminar_utils.gmm.e_step",
            "seminar_utils.gmm.steps.e_step",
            "seminar_utils.gmm.log_likelihood",
            "seminar_utils.gmm.formulas.e_step_from_log_pdf",
        ),
    )
)


# ------------------------------------------------------------------------------------------ M-step
def _m_step_inputs():
    """N = 12 points in D = 3 with soft responsibilities γ (N, K = 3) whose columns differ."""
    g = torch.Generator().manual_seed(103)
    X = torch.randn(12, 3, generator=g, dtype=torch.float64) * torch.tensor([1.0, 3.0, 0.5], dtype=torch.float64)
    logits = 2.0 * torch.randn(12, 3, generator=g, dtype=torch.float64)
    return X, torch.softmax(logits, dim=1)


_REG = 0.05  # a reg_covar far from the default, so that ignoring the argument shows


def _run_m_step(ns):
    X, resp = _m_step_inputs()
    return [ns["m_step"](X, resp), ns["m_step"](X, resp, reg_covar=_REG)]


def _judge_m_step(data) -> Verdict:
    X, resp = _m_step_inputs()
    if not isinstance(data, list) or len(data) != 2:
        return Verdict.of((False, "m_step must return (weights, means, covariances)"))
    lines = []
    for result, reg, label in zip(data, (1e-6, _REG), ("default reg_covar", f"reg_covar = {_REG}")):
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            lines.append((False, f"{label}: m_step must return (weights, means, covariances)"))
            continue
        expected = steps.m_step(X, resp, reg_covar=reg)
        for what, ours, reference in zip(("π (K,)", "μ (K, D)", "Σ (K, D, D)"), result, expected):
            lines.append(close(f"{label}: {what}", ours, reference, atol=1e-8))
    return Verdict.of(*lines)


register(
    Check(
        "01_em_gmm/m_step",
        ("m_step",),
        _run_m_step,
        _judge_m_step,
        references=(
            "seminar_utils.gmm.m_step",
            "seminar_utils.gmm.steps.m_step",
            "seminar_utils.gmm.formulas.m_step_formulas",
        ),
    )
)
