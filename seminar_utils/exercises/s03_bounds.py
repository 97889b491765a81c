"""Checks of seminar 03, continued: the IWAE bound and the rate–distortion point (the conventions
are in :mod:`seminar_utils.exercises.s03`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch

from ..formulas import LOG_2PI
from ..vae import VAE
from .core import Check, Verdict, close, register
from .s03_parts import (
    F64,
    N_DRAWS,
    Affine,
    kl_per_dim,
    number,
    points,
)


# ------------------------------------------------------------------------------------ iwae_bound
def _exact_model() -> tuple[VAE, torch.Tensor, torch.Tensor]:
    """A linear-Gaussian VAE whose encoder is the exact posterior, points x (one far), and log p(x).

    x = Wz + b + noise, Ψ = diag σ_x², W = Ψ^½ R D (R a rotation): WᵀΨ⁻¹W = D² is diagonal, so the
    posterior N(S WᵀΨ⁻¹(x − b), S), S = (I + D²)⁻¹, is a diagonal Gaussian the encoder gives exactly.
    """
    angle = math.pi / 6
    R = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], dtype=F64)
    sx = torch.tensor([0.5, 1.5], dtype=F64)
    D = torch.tensor([2.0, 0.7], dtype=F64)
    W = torch.diag(sx) @ R @ torch.diag(D)
    b = torch.tensor([1.0, -2.0], dtype=F64)
    S = 1 / (1 + D**2)
    M = torch.diag(S) @ W.T @ torch.diag(sx**-2)
    encoder = Affine(M, -M @ b, torch.zeros(2, 2), 0.5 * S.log())
    decoder = Affine(W, b, torch.zeros(2, 2), sx.log())
    x = torch.cat([points(5, 3040, scale=2.0), torch.tensor([[300.0, -400.0]], dtype=F64)])
    marginal = torch.distributions.MultivariateNormal(b, W @ W.T + torch.diag(sx**2))
    return VAE(encoder, decoder, z_dim=2), x, marginal.log_prob(x)


_IWAE_Q = {"w": (1.5, -0.8), "b": (0.2, 0.1), "sx": (0.6, 0.9), "shift": 0.5, "widen": 1.8}
_X0 = (1.0, -0.5)


def _inexact_parts():
    """1-D z: the exact posterior N(m, s²) at x₀, the encoder's N(m + 0.5 s, (1.8 s)²), and log p(x₀)."""
    w, b, sx = (torch.tensor(_IWAE_Q[k], dtype=F64) for k in ("w", "b", "sx"))
    x0 = torch.tensor(_X0, dtype=F64)
    precision = 1 + (w**2 / sx**2).sum()
    s = precision.rsqrt()
    m = (w / sx**2 * (x0 - b)).sum() / precision
    log_px = torch.distributions.MultivariateNormal(b, torch.outer(w, w) + torch.diag(sx**2)).log_prob(x0)
    return w, b, sx, m, s, log_px


def _inexact_model() -> VAE:
    w, b, sx, m, s, _ = _inexact_parts()
    q_mean, q_log_sigma = m + _IWAE_Q["shift"] * s, (_IWAE_Q["widen"] * s).log()
    encoder = Affine(torch.zeros(1, 2), q_mean.reshape(1), torch.zeros(1, 2), q_log_sigma.reshape(1))
    decoder = Affine(w.reshape(2, 1), b, torch.zeros(2, 1), sx.log())
    return VAE(encoder, decoder, z_dim=1)


def _run_iwae_bound(ns):
    f = ns["iwae_bound"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3041)
        vae, x, _ = _exact_model()
        out = {f"exact_{k}": f(vae, x, k=k) for k in (1, 7)}
        x0 = torch.tensor([_X0], dtype=F64).expand(N_DRAWS, -1).clone()
        out.update({f"inexact_{k}": f(_inexact_model(), x0, k=k) for k in (1, 2)})
    return out


def _inexact_truth(k: int) -> tuple[float, float]:
    """E and Var of log (1/K) Σ exp(w(z_k)) over z_k ~ q, K = 1 or 2, by Gauss–Hermite quadrature."""
    m, s, log_px = (float(v) for v in _inexact_parts()[3:])
    q_mean, q_sigma = m + _IWAE_Q["shift"] * s, _IWAE_Q["widen"] * s
    nodes, weights = np.polynomial.hermite_e.hermegauss(120)
    weights = weights / weights.sum()
    z = q_mean + q_sigma * nodes
    log_w = log_px - 0.5 * ((z - m) / s) ** 2 - math.log(s) + 0.5 * nodes**2 + math.log(q_sigma)
    if k == 1:
        values, probs = log_w, weights
    else:
        values = np.logaddexp(log_w[:, None], log_w[None, :]) - math.log(2)
        probs = weights[:, None] * weights[None, :]
    mean = float((probs * values).sum())
    return mean, float((probs * (values - mean) ** 2).sum())


def _judge_iwae_bound(data) -> Verdict:
    log_px = _exact_model()[2]
    lines = []
    for k in (1, 7):
        lines.append(
            close(
                f"q = the exact posterior, K = {k}: every weight is p(x), so the bound is log p(x) "
                "(with a far point, log p ≈ −10⁵: exp underflows there)",
                data[f"exact_{k}"],
                log_px,
                atol=1e-6,
                rtol=1e-10,
            )
        )
    for k in (1, 2):
        ours = data[f"inexact_{k}"]
        what = f"q ≠ posterior (1-D z), K = {k}, one point {N_DRAWS} times"
        if not isinstance(ours, torch.Tensor) or ours.shape != (N_DRAWS,) or not bool(torch.isfinite(ours).all()):
            lines.append(close(what, ours, torch.zeros(N_DRAWS), atol=math.inf))
            continue
        mean, var = _inexact_truth(k)
        se = math.sqrt(var / N_DRAWS)
        estimate = ours.double().mean().item()
        ok = bool(abs(estimate - mean) < 5 * se)
        name = "the ELBO" if k == 1 else "E log ½(w₁ + w₂)"
        lines.append(
            (
                ok,
                f"{what}: the mean is {name} within 5 standard errors"
                + ("" if ok else f" — got {estimate:.4f}, expected {mean:.4f} ± {se:.4f}"),
            )
        )
    return Verdict.of(*lines)


register(
    Check(
        "03_vae_2d/iwae_bound",
        ("iwae_bound",),
        _run_iwae_bound,
        _judge_iwae_bound,
        references=(
            "seminar_utils.losses.iwae",
            "seminar_utils.losses.iwae_log_weights",
            "seminar_utils.vae.VAE.iwae",
        ),
    )
)


# -------------------------------------------------------------------------------- rate_distortion
_N_RD = 3000


def _rd_model() -> VAE:
    """A VAE that uses its latent (a rate of about 1.6 nats per point), with x-dependent σ_z."""
    encoder = Affine([[0.6, 0.3], [-0.2, 0.5]], [0.1, -0.1], [[0.3, 0.0], [0.0, -0.2]], [-0.9, -0.6])
    decoder = Affine([[1.4, 0.3], [-0.5, 1.1]], [0.2, 0.4], torch.zeros(2, 2), [math.log(0.7), math.log(0.5)])
    return VAE(encoder, decoder, z_dim=2)


def _rd_summary(result):
    if not isinstance(result, Mapping):
        return f"a {type(result).__name__}"
    return {str(k): number(v) for k, v in result.items()}


def _run_rate_distortion(ns):
    f = ns["rate_distortion"]
    vae, x = _rd_model(), points(_N_RD, 3042, scale=1.5)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3043)
        before = torch.get_rng_state()
        first = _rd_summary(f(vae, x, seed=0))
        untouched = torch.equal(before, torch.get_rng_state())
        torch.randn(7)  # the global random state moves on
        again = _rd_summary(f(vae, x, seed=0))
        other = _rd_summary(f(vae, x, seed=1))
    return {"untouched": untouched, "first": first, "again": again, "other": other}


@torch.no_grad()
def _rd_truth() -> dict[str, float]:
    """R and its standard error exactly; D's expectation, the s.e. of D's draw noise, and D's s.e. over points."""
    vae, x = _rd_model(), points(_N_RD, 3042, scale=1.5)
    mu, log_sigma = vae.encode(x)
    kl = kl_per_dim(mu, log_sigma).sum(-1)
    W, bias, log_s = vae.decoder.A, vae.decoder.a, vae.decoder.b
    a = (x - bias - mu @ W.T) / log_s.exp()  # (N, 2)
    M = torch.diag(torch.exp(-log_s)) @ W  # (2, 2), then times diag σ_z per point
    Mi = M[None] * log_sigma.exp()[:, None, :]  # (N, 2, 2)
    MMt = Mi @ Mi.transpose(1, 2)
    const = log_s.sum() + LOG_2PI
    mean_i = 0.5 * ((a**2).sum(-1) + MMt.diagonal(dim1=1, dim2=2).sum(-1)) + const
    var_i = torch.einsum("ni,nij,nj->n", a, MMt, a) + 0.5 * (MMt @ MMt).diagonal(dim1=1, dim2=2).sum(-1)
    n = len(x)
    return {
        "rate": kl.mean().item(),
        "rate_se": kl.std().item() / math.sqrt(n),
        "distortion": mean_i.mean().item(),
        "noise_se": math.sqrt(var_i.sum().item()) / n,
        "distortion_se": math.sqrt((var_i.mean() + mean_i.var()).item() / n),
    }


def _judge_rate_distortion(data) -> Verdict:
    keys = ("rate", "rate_se", "distortion", "distortion_se")
    first = data["first"]
    if isinstance(first, str) or not set(keys) <= set(first):
        got = first if isinstance(first, str) else f"keys {sorted(first)}"
        return Verdict.of((False, f"returns {got}, expected a dict with keys {', '.join(keys)}"))
    bad = [k for k in keys if isinstance(first[k], str)]
    if bad:
        return Verdict.of((False, f"{', '.join(f'{k} is {first[k]}' for k in bad)}: expected numbers"))
    truth = _rd_truth()
    lines = [
        close("rate: the mean KL(q(z | x) ‖ p(z)) over the points", first["rate"], truth["rate"], atol=1e-8),
        close(
            "rate_se: the standard error of that mean (std / √N)",
            first["rate_se"],
            truth["rate_se"],
            atol=1e-9,
            rtol=1e-3,
        ),
    ]
    d, d_ok = first["distortion"], abs(first["distortion"] - truth["distortion"]) < 5 * truth["noise_se"]
    lines.append(
        (
            d_ok,
            "distortion: the mean of −log p(x | z) at one z ~ q(z | x) per point, within 5 standard errors of its expectation"
            + ("" if d_ok else f" — got {d:.4f}, expected {truth['distortion']:.4f} ± {truth['noise_se']:.4f}"),
        )
    )
    se, se_ok = first["distortion_se"], abs(first["distortion_se"] / truth["distortion_se"] - 1) < 0.15
    lines.append(
        (
            se_ok,
            "distortion_se: the standard error of that mean (std / √N, ±15 %)"
            + ("" if se_ok else f" — got {se:.4g}, expected about {truth['distortion_se']:.4g}"),
        )
    )
    lines.append(
        (data["untouched"] is True, "the global random state is the same after the call (torch.random.fork_rng)")
    )
    again, other = data["again"], data["other"]
    same = isinstance(again, dict) and again == first
    lines.append((same, "the same seed gives the same numbers, whatever the global random state"))
    differs = isinstance(other, dict) and other.get("distortion") != first["distortion"]
    lines.append((differs, "another seed gives another draw of z (another distortion)"))
    return Verdict.of(*lines)


register(Check("03_vae_2d/rate_distortion", ("rate_distortion",), _run_rate_distortion, _judge_rate_distortion))
