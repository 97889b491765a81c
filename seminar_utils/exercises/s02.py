"""Checks of seminar 02 (the VAE's loss, piece by piece): the KL term, the reparameterized sample, the
Gaussian and Bernoulli log-likelihoods and the one-sample ELBO.

No check compares with one particular random draw, so ε may be drawn in any layout that gives one
independent N(0, 1) per entry: ``reparameterize`` is checked by properties (σ → 0 gives μ, the
moments of many draws, the exact gradients ∂z/∂μ = 1 and ∂z/∂log σ = z − μ); ``vae_elbo`` on an
encoder with σ_z → 0 (z = μ_z whatever ε is) and, for the sampling itself, on the linear-Gaussian
model with q equal to the exact posterior, where the ELBO's expectation is log p(x) exactly.
Inputs are float64, with log σ that depends on the object and is far from 0 (at log σ = 0 a
log-variance taken for a log-standard deviation, or σ for σ², gives the right numbers).
"""

from __future__ import annotations

import math

import torch

from .. import losses
from .core import Check, Verdict, close, register

F64 = torch.float64


def shape_line(what: str, value, shape: tuple[int, ...]) -> tuple[bool, str]:
    """``value`` is a real tensor of ``shape``."""
    if not isinstance(value, torch.Tensor):
        return False, f"{what}: got a {type(value).__name__}, expected a tensor of shape {shape}"
    if value.is_complex() or not value.is_floating_point():
        return False, f"{what}: got a {value.dtype} tensor, expected real (floating-point) numbers"
    if tuple(value.shape) != shape:
        return False, f"{what}: shape {tuple(value.shape)}, expected {shape}"
    return True, f"{what}: shape {shape}"


# --------------------------------------------------------------------------------- KL to N(0, I)
def _kl_inputs():
    """μ (6, 3) and log σ (6, 3) in [−3, 1.5], different for every entry; then a (2, 1) case."""
    g = torch.Generator().manual_seed(201)
    mu = 1.5 * torch.randn(6, 3, generator=g, dtype=F64)
    log_sigma = -3.0 + 4.5 * torch.rand(6, 3, generator=g, dtype=F64)
    return [(mu, log_sigma), (torch.tensor([[0.0], [2.0]], dtype=F64), torch.tensor([[0.0], [-1.0]], dtype=F64))]


def _run_kl(ns):
    return [ns["kl_standard_normal"](mu, log_sigma) for mu, log_sigma in _kl_inputs()]


def _judge_kl(data) -> Verdict:
    if not isinstance(data, list) or len(data) != 2:
        return Verdict.of((False, "kl_standard_normal must return one tensor per call"))
    (mu, log_sigma), (mu1, log_sigma1) = _kl_inputs()
    return Verdict.of(
        close("KL per object, (batch, z_dim) = (6, 3), σ ≠ 1", data[0], losses.kl_standard_normal(mu, log_sigma), atol=1e-8),
        close("z_dim = 1: KL(N(0, 1) ‖ N(0, 1)) = 0 and KL(N(2, e⁻²) ‖ N(0, 1))", data[1],
              losses.kl_standard_normal(mu1, log_sigma1), atol=1e-8),
    )  # fmt: skip


register(
    Check(
        "02_vae_questions/kl_standard_normal",
        ("kl_standard_normal",),
        _run_kl,
        _judge_kl,
        references=("seminar_utils.losses.kl_standard_normal", "seminar_utils.losses.kl_diag_gaussians"),
    )
)


# ------------------------------------------------------------------------------ reparameterize
_N_DRAWS = 20_000  # objects in the moment test: standard errors of 0.007 (mean) and 0.01 (variance)


def _reparam_inputs():
    g = torch.Generator().manual_seed(202)
    mu = 2.0 * torch.randn(5, 3, generator=g, dtype=F64)
    log_sigma = -1.5 + 2.5 * torch.rand(5, 3, generator=g, dtype=F64)
    mu_many = 2.0 * torch.randn(_N_DRAWS, 3, generator=g, dtype=F64)
    log_sigma_many = -1.5 + 2.5 * torch.rand(_N_DRAWS, 3, generator=g, dtype=F64)
    return mu, log_sigma, mu_many, log_sigma_many


def _run_reparameterize(ns):
    f = ns["reparameterize"]
    mu, log_sigma, mu_many, log_sigma_many = _reparam_inputs()
    with torch.random.fork_rng(devices=[]):  # the notebook's random state is left as it was
        torch.manual_seed(0)
        mu_g, log_sigma_g = mu.clone().requires_grad_(True), log_sigma.clone().requires_grad_(True)
        z = f(mu_g, log_sigma_g)
        if isinstance(z, torch.Tensor) and z.requires_grad:
            z.sum().backward()
        tiny = f(mu, torch.full_like(log_sigma, -60.0))  # σ = e⁻⁶⁰: z = μ to float64 precision
        many = f(mu_many, log_sigma_many)
    return {"z": z, "grad_mu": mu_g.grad, "grad_log_sigma": log_sigma_g.grad, "tiny": tiny, "many": many}


def _moments(many, mu_many, log_sigma_many) -> list[tuple[bool, str]]:
    """ε = (z − μ)/σ over 20,000 objects: mean 0, variance 1, no correlation between the coordinates."""
    what = "20,000 draws"
    shape = shape_line(what, many, tuple(mu_many.shape))
    if not shape[0]:
        return [shape]
    eps = (many.double() - mu_many) / log_sigma_many.exp()
    if not bool(torch.isfinite(eps).all()):
        return [(False, f"{what}: your z holds NaN or inf")]
    n = eps.shape[0]
    mean, var = eps.mean(dim=0), eps.var(dim=0)
    centred = (eps - mean) / eps.std(dim=0).clamp_min(1e-300)
    corr = (centred.T @ centred) / (n - 1)
    off = (corr - torch.diag(torch.diagonal(corr))).abs().max().item()
    mean_ok = bool((mean.abs() < 5 / math.sqrt(n)).all())
    var_ok = bool(((var - 1).abs() < 5 * math.sqrt(2 / n)).all())
    return [
        (mean_ok, "(z − μ)/σ has mean 0 in every coordinate (within 5 standard errors)"
         + ("" if mean_ok else f": got {[round(v, 3) for v in mean.tolist()]}")),
        (var_ok, "(z − μ)/σ has variance 1 in every coordinate: σ = exp(log σ), one N(0, 1) per entry"
         + ("" if var_ok else f": got {[round(v, 3) for v in var.tolist()]} (z − μ must be exp(log σ) ⊙ ε, a fresh ε per entry)")),
        (off < 5 / math.sqrt(n), "the coordinates of ε are independent (no ε shared between entries)"
         + ("" if off < 5 / math.sqrt(n) else f": correlation up to {off:.2f}")),
    ]  # fmt: skip


def _judge_reparameterize(data) -> Verdict:
    if not isinstance(data, dict):
        return Verdict.of((False, "reparameterize's results could not be read"))
    mu, _, mu_many, log_sigma_many = _reparam_inputs()
    z, grad_mu, grad_log_sigma = data.get("z"), data.get("grad_mu"), data.get("grad_log_sigma")
    lines = [shape_line("z, the shape of mu_z", z, tuple(mu.shape))]
    lines.append(close("σ → 0 (log σ = −60): z = μ", data.get("tiny"), mu, atol=1e-12))
    lines += _moments(data.get("many"), mu_many, log_sigma_many)
    if grad_mu is None or grad_log_sigma is None or not lines[0][0]:
        lines.append((False, "gradients reach mu_z and log_sigma_z (z must be computed from them, not detached)"))
    else:
        lines.append(close("∂Σz/∂μ = 1 (gradients reach mu_z)", grad_mu, torch.ones_like(mu), atol=1e-10))
        lines.append(close("∂Σz/∂log σ = σ ⊙ ε = z − μ (gradients reach log_sigma_z)", grad_log_sigma,
                           z.double() - mu, atol=1e-10))  # fmt: skip
    return Verdict.of(*lines)


register(
    Check(
        "02_vae_questions/reparameterize",
        ("reparameterize",),
        _run_reparameterize,
        _judge_reparameterize,
        references=("seminar_utils.losses.reparameterize",),
    )
)


# ---------------------------------------------------------------------- Gaussian log-likelihood
def _gaussian_inputs():
    """x, μ_x, log σ_x (5, 4), log σ_x in [−2, 1.5] per entry, one point 30 away; then a (3, 1) case."""
    g = torch.Generator().manual_seed(203)
    x = torch.randn(5, 4, generator=g, dtype=F64)
    x[4] += 30.0
    mu = torch.randn(5, 4, generator=g, dtype=F64)
    log_sigma = -2.0 + 3.5 * torch.rand(5, 4, generator=g, dtype=F64)
    one = torch.tensor([[0.5], [-1.0], [2.0]], dtype=F64)
    return [(x, mu, log_sigma), (one, torch.zeros_like(one), torch.tensor([[0.0], [-0.7], [1.1]], dtype=F64))]


def _run_gaussian(ns):
    return [ns["gaussian_log_likelihood"](*args) for args in _gaussian_inputs()]


def _judge_gaussian(data) -> Verdict:
    if not isinstance(data, list) or len(data) != 2:
        return Verdict.of((False, "gaussian_log_likelihood must return one tensor per call"))
    first, second = _gaussian_inputs()
    return Verdict.of(
        close("log N(x | μ_x, diag σ_x²) per object, (batch, D) = (5, 4), σ_x per entry, a far point", data[0],
              losses.gaussian_log_likelihood(*first), atol=1e-8),
        close("D = 1", data[1], losses.gaussian_log_likelihood(*second), atol=1e-8),
    )  # fmt: skip


register(
    Check(
        "02_vae_questions/gaussian_log_likelihood",
        ("gaussian_log_likelihood",),
        _run_gaussian,
        _judge_gaussian,
        references=("seminar_utils.losses.gaussian_log_likelihood",),
    )
)


# --------------------------------------------------------------------- Bernoulli log-likelihood
def _bernoulli_inputs():
    """Binary images (4, 1, 5, 6) with logits of scale 3; the same images with logits ±100; a (3, 7) batch."""
    g = torch.Generator().manual_seed(204)
    x = torch.bernoulli(torch.full((4, 1, 5, 6), 0.5, dtype=F64), generator=g)
    logits = 3.0 * torch.randn(4, 1, 5, 6, generator=g, dtype=F64)
    extreme = 100.0 * torch.randn(4, 1, 5, 6, generator=g, dtype=F64).sign()  # right and wrong pixels at ±100
    flat = torch.bernoulli(torch.full((3, 7), 0.5, dtype=F64), generator=g)
    return [(x, logits), (x, extreme), (flat, 2.0 * torch.randn(3, 7, generator=g, dtype=F64))]


def _run_bernoulli(ns):
    return [ns["bernoulli_log_likelihood"](*args) for args in _bernoulli_inputs()]


def _judge_bernoulli(data) -> Verdict:
    if not isinstance(data, list) or len(data) != 3:
        return Verdict.of((False, "bernoulli_log_likelihood must return one tensor per call"))
    expected = [losses.bernoulli_log_likelihood(*args) for args in _bernoulli_inputs()]
    return Verdict.of(
        close("images (4, 1, 5, 6), summed over every pixel", data[0], expected[0], atol=1e-8, rtol=1e-12),
        close("logits ±100: finite (stable, no log 0)", data[1], expected[1], atol=1e-8, rtol=1e-12),
        close("a batch of vectors (3, 7)", data[2], expected[2], atol=1e-8, rtol=1e-12),
    )


register(
    Check(
        "02_vae_questions/bernoulli_log_likelihood",
        ("bernoulli_log_likelihood",),
        _run_bernoulli,
        _judge_bernoulli,
        references=("seminar_utils.losses.bernoulli_log_likelihood",),
    )
)
