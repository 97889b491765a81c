"""Checks of seminar 06 (closing the gaps): the IWAE gradient, a planar layer, a mixture prior.

No exercise draws random numbers itself: ``run`` hands each function fixed inputs (from seeded
generators) and ``judge`` rebuilds them and computes the answer independently — the IWAE gradient by
autograd through the bound, the planar log-determinant by ``torch.func.jacrev`` and ``slogdet``, the
flow's density by a change-of-variables Monte Carlo estimate, the prior by the package's log-sum-exp.
"""

from __future__ import annotations

import math

import torch
from torch.func import jacrev

from ..priors import mixture_log_prob
from .core import Check, Verdict, close, register

NOTEBOOK = "06_closing_the_gaps"


# ------------------------------------------------------------------------------ the IWAE gradient
def _iwae_case(k: int, batch: int, p: int, offset: float, seed: int):
    """θ (batch, p) and log w_k(θ_b) = a_kb·θ_b − ½‖θ_b‖² + c_kb + offset: values, per-sample gradients."""
    g = torch.Generator().manual_seed(seed)
    theta = torch.randn(batch, p, generator=g, dtype=torch.float64)
    a = 2 * torch.randn(k, batch, p, generator=g, dtype=torch.float64)
    c = 3 * torch.randn(k, batch, generator=g, dtype=torch.float64) + offset

    def log_w(t):
        return (a * t).sum(-1) - 0.5 * (t**2).sum(-1) + c

    return theta, log_w, a - theta  # ∇_θb log w_kb = a_kb − θ_b


_IWAE_CASES = {
    "K = 8 samples, 4 examples, 3 parameters": (8, 4, 3, 0.0, 61),
    "log weights near −900 (exp underflows: normalize stably)": (5, 3, 2, -900.0, 62),
    "K = 1 (the ELBO's gradient)": (1, 2, 3, 0.0, 63),
}


def _run_iwae_gradient(ns):
    out = {}
    for name, args in _IWAE_CASES.items():
        theta, log_w, grads = _iwae_case(*args)
        out[name] = ns["iwae_gradient"](log_w(theta).clone(), grads.clone())
    return out


def _judge_iwae_gradient(data) -> Verdict:
    lines = []
    for name, args in _IWAE_CASES.items():
        theta, log_w, _ = _iwae_case(*args)
        theta = theta.clone().requires_grad_(True)
        values = log_w(theta)
        bound = torch.logsumexp(values, dim=0) - math.log(values.shape[0])  # L_K of each example
        (reference,) = torch.autograd.grad(bound.sum(), theta)  # example b's bound depends on θ_b only
        ours = data.get(name) if isinstance(data, dict) else None
        lines.append(close(f"∇θ L_K, {name}", ours, reference, atol=1e-8, rtol=1e-8))
    return Verdict.of(*lines)


register(
    Check(
        f"{NOTEBOOK}/iwae_gradient",
        ("iwae_gradient",),
        _run_iwae_gradient,
        _judge_iwae_gradient,
        references=("seminar_utils.variants.normalized_weights", "seminar_utils.variants.iwae_objective"),
    )
)


# ------------------------------------------------------------------------------ a planar layer
def _planar_case(d: int, n: int, seed: int, wu: float | None = None):
    g = torch.Generator().manual_seed(seed)
    z = 1.5 * torch.randn(n, d, generator=g, dtype=torch.float64)
    u = torch.randn(d, generator=g, dtype=torch.float64)
    w = torch.randn(d, generator=g, dtype=torch.float64)
    b = torch.randn((), generator=g, dtype=torch.float64)
    if wu is not None:  # set wᵀu = wu exactly (below −1: a determinant that changes sign)
        u = u + (wu - (w * u).sum()) * w / (w * w).sum()
        z[0] = -b * w / (w * w).sum()  # a point where wᵀz + b = 0: det = 1 + wu < 0 there
    return z, u, w, b


_PLANAR_CASES = {
    "D = 2": (2, 12, 71),
    "D = 5": (5, 12, 72),
    "wᵀu = −3 (a negative determinant: take |det|)": (3, 12, 73, -3.0),
}
_BOX = 0.5  # the Monte Carlo check: q's mass and ∫ over the box [−0.5, 0.5]² of a 2-D flow


def _flow_samples():
    g = torch.Generator().manual_seed(74)
    z0 = torch.randn(40_000, 2, generator=g, dtype=torch.float64)
    u = torch.tensor([1.2, -0.4], dtype=torch.float64)
    w = torch.tensor([0.9, 1.1], dtype=torch.float64)
    return z0, u, w, torch.tensor(0.3, dtype=torch.float64)


def _run_planar_layer(ns):
    out = {}
    for name, args in _PLANAR_CASES.items():
        z, u, w, b = _planar_case(*args)
        f_z, log_det = ns["planar_layer"](z.clone(), u.clone(), w.clone(), b.clone())
        out[name] = {"f": f_z, "log_det": log_det}
    z0, u, w, b = _flow_samples()
    f_z, log_det = ns["planar_layer"](z0.clone(), u, w, b)
    out["flow"] = {"f": f_z, "log_det": log_det}
    return out


def _reference_planar(z, u, w, b):
    def f(row):
        return row + u * torch.tanh((w * row).sum() + b)

    return torch.stack([f(row) for row in z]), torch.stack([torch.linalg.slogdet(jacrev(f)(row))[1] for row in z])


def _judge_planar_layer(data) -> Verdict:
    if not isinstance(data, dict):
        return Verdict.of((False, "planar_layer must return a pair (f_z, log_det)"))
    lines = []
    for name, args in _PLANAR_CASES.items():
        got = data.get(name) or {}
        f_ref, log_det_ref = _reference_planar(*_planar_case(*args))
        lines.append(close(f"f(z), {name}", got.get("f"), f_ref, atol=1e-8))
        lines.append(
            close(f"log |det ∂f/∂z| against autograd's Jacobian, {name}", got.get("log_det"), log_det_ref, atol=1e-8)
        )
    flow = data.get("flow") or {}
    y, log_det = flow.get("f"), flow.get("log_det")
    z0 = _flow_samples()[0]
    ok = isinstance(y, torch.Tensor) and isinstance(log_det, torch.Tensor)
    ok = ok and y.shape == z0.shape and log_det.shape == z0.shape[:1] and bool(torch.isfinite(log_det).all())
    text = "the flow's density q(f(z)) = N(z) / |det| integrates to the area of a box (Monte Carlo)"
    if not ok:
        return Verdict.of(*lines, (False, f"{text}: f_z (N, 2) and a finite log_det (N,) needed"))
    log_q = (-0.5 * z0**2 - 0.5 * math.log(2 * math.pi)).sum(-1) - log_det.double()
    inside = (y.double().abs() < _BOX).all(-1)
    values = torch.where(inside, torch.exp(-log_q), torch.zeros_like(log_q))  # E_q[1_box / q] = area
    estimate, se = values.mean().item(), values.std().item() / math.sqrt(len(values))
    area = (2 * _BOX) ** 2
    good = abs(estimate - area) < 4 * se + 1e-3
    lines.append((good, text if good else f"{text}: estimate {estimate:.3f} ± {se:.3f}, expected {area:.3f}"))
    return Verdict.of(*lines)


register(
    Check(
        f"{NOTEBOOK}/planar_layer",
        ("planar_layer",),
        _run_planar_layer,
        _judge_planar_layer,
        references=("seminar_utils.flows.planar_transform", "seminar_utils.flows.planar_log_det"),
    )
)


# ------------------------------------------------------------------------------ a mixture prior
def _mixture_case(n: int, c: int, d: int, seed: int, far: bool = False):
    g = torch.Generator().manual_seed(seed)
    z = 2 * torch.randn(n, d, generator=g, dtype=torch.float64)
    if far:
        z[0] = 70.0  # every component's density underflows here
    means = torch.randn(c, d, generator=g, dtype=torch.float64)
    log_sigmas = 0.4 * torch.randn(c, d, generator=g, dtype=torch.float64)
    logits = 2 * torch.randn(c, generator=g, dtype=torch.float64) + 1.0  # not normalized
    return z, means, log_sigmas, logits


_MIXTURE_CASES = {
    "C = 4 components in D = 3, unequal weights and scales": (9, 4, 3, 81),
    "a far point (every density underflows: log-sum-exp)": (5, 3, 2, 82, True),
    "one component (a single Gaussian)": (6, 1, 4, 83),
}


def _run_mixture_log_prior(ns):
    return {
        name: ns["mixture_log_prior"](*(t.clone() for t in _mixture_case(*args)))
        for name, args in _MIXTURE_CASES.items()
    }


def _judge_mixture_log_prior(data) -> Verdict:
    data = data if isinstance(data, dict) else {}
    return Verdict.of(
        *(
            close(f"log p(z), {name}", data.get(name), mixture_log_prob(*_mixture_case(*args)), atol=1e-8)
            for name, args in _MIXTURE_CASES.items()
        )
    )


register(
    Check(
        f"{NOTEBOOK}/mixture_log_prior",
        ("mixture_log_prior",),
        _run_mixture_log_prior,
        _judge_mixture_log_prior,
        references=("seminar_utils.priors.mixture_log_prob", "seminar_utils.priors.MixturePrior"),
    )
)
