"""Checks of seminar 05, continued: q optimized for each example, the amortization gap's tool (the
conventions are in :mod:`seminar_utils.exercises.s05`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import losses
from ..linear_gaussian import LinearGaussian
from ..runtime import num_threads
from .core import Check, Verdict, close, register
from .s05 import F64, STEM

# ---------------------------------------------------------------------- 2. best_gaussian_q
_STEPS, _SAMPLES, _LR = 300, 16, 0.05  # what the check asks the student's function for


def _batched_gaussian_log_likelihood(x: torch.Tensor, mean: torch.Tensor, sigma: float) -> torch.Tensor:
    """log N(x | mean, σ² I) summed over the last axis; mean may carry leading sample axes."""
    return (-0.5 * ((x - mean) / sigma) ** 2).sum(-1) - 0.5 * x.shape[-1] * math.log(2 * math.pi * sigma**2)


class _LinearGaussianVAE(nn.Module):
    """:class:`~seminar_utils.linear_gaussian.LinearGaussian` with a poor linear encoder, behind the
    interface of :class:`seminar_utils.vae.VAE`: ``encode(x)`` and ``log_likelihood(x, z)`` (z may
    carry leading sample axes). W, b and the encoder are parameters, so that moving them shows."""

    def __init__(self) -> None:
        super().__init__()
        truth = _linear_gaussian()
        self.sigma = truth.sigma
        self.W = nn.Parameter(truth.W.clone())
        self.b = nn.Parameter(truth.b.clone())
        g = torch.Generator().manual_seed(512)
        self.encoder = nn.Linear(truth.x_dim, 2 * truth.z_dim, dtype=F64)
        with torch.no_grad():
            self.encoder.weight.copy_(0.2 * torch.randn(2 * truth.z_dim, truth.x_dim, generator=g, dtype=F64))
            self.encoder.bias.copy_(torch.cat([torch.zeros(truth.z_dim), torch.full((truth.z_dim,), 0.3)]))

    def encode(self, x):
        mu, log_sigma = self.encoder(x).chunk(2, dim=-1)
        return mu, log_sigma

    def log_likelihood(self, x, z):
        return _batched_gaussian_log_likelihood(x, z @ self.W.T + self.b, self.sigma)


class _TanhVAE(nn.Module):
    """p(z) = N(0, I_2), p(x | z) = N(B tanh(A z + c), 0.3² I_8), and an encoder that ignores most of x."""

    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(521)
        self.sigma = 0.3
        self.A = nn.Parameter(1.5 * torch.randn(2, 16, generator=g, dtype=F64))
        self.c = nn.Parameter(0.5 * torch.randn(16, generator=g, dtype=F64))
        self.B = nn.Parameter(0.6 * torch.randn(16, 8, generator=g, dtype=F64))
        self.encoder = nn.Linear(8, 4, dtype=F64)
        with torch.no_grad():
            self.encoder.weight.copy_(0.05 * torch.randn(4, 8, generator=g, dtype=F64))
            self.encoder.bias.zero_()

    def encode(self, x):
        mu, log_sigma = self.encoder(x).chunk(2, dim=-1)
        return mu, log_sigma

    def log_likelihood(self, x, z):
        return _batched_gaussian_log_likelihood(x, torch.tanh(z @ self.A + self.c) @ self.B, self.sigma)


def _linear_gaussian() -> LinearGaussian:
    return LinearGaussian.random(x_dim=6, z_dim=3, sigma=0.5, seed=511)


def _linear_points() -> torch.Tensor:
    """4 points of the linear-Gaussian model, the last one far out (10 times its offset from b)."""
    truth = _linear_gaussian()
    x, _ = truth.sample(4, generator=torch.Generator().manual_seed(513))
    x[-1] = truth.b + 10 * (x[-1] - truth.b)
    return x


def _tanh_points() -> torch.Tensor:
    """5 draws x ~ p(x) of :class:`_TanhVAE`."""
    g = torch.Generator().manual_seed(522)
    model = _TanhVAE()
    with torch.no_grad():
        z = torch.randn(5, 2, generator=g, dtype=F64)
        mean = torch.tanh(z @ model.A + model.c) @ model.B
        return mean + model.sigma * torch.randn(mean.shape, generator=g, dtype=F64)


def _run_best_gaussian_q(ns):
    f = ns["best_gaussian_q"]
    out = {}
    for name, model, x in [("linear", _LinearGaussianVAE(), _linear_points()), ("tanh", _TanhVAE(), _tanh_points())]:
        # the notebook's random state stays as it was; tiny models: one thread is faster (much faster on a busy machine)
        with torch.random.fork_rng(devices=[]), num_threads(1):
            torch.manual_seed(0)
            result = f(model, x, _STEPS, _SAMPLES, _LR)
        mu, log_sigma, trace = result if isinstance(result, (tuple, list)) and len(result) == 3 else (None, None, None)
        out[name] = {
            "mu": mu,
            "log_sigma": log_sigma,
            "trace": list(trace) if isinstance(trace, (tuple, list)) else trace,
            "parameters": {k: v for k, v in model.state_dict().items()},
        }
    return out


def _unchanged(what: str, ours, model: nn.Module) -> tuple[bool, str]:
    reference = model.state_dict()
    if not isinstance(ours, dict) or set(ours) != set(reference):
        return False, f"{what}: the model's parameters are not all there any more"
    moved = [k for k, v in reference.items() if not (isinstance(ours[k], torch.Tensor) and torch.equal(ours[k], v))]
    if moved:
        return False, f"{what}: the model's parameters changed ({', '.join(moved)}): optimize μ and log σ only"
    return True, f"{what}: the model's parameters are unchanged"


def _shapes(what: str, mu, log_sigma, shape: tuple[int, ...]) -> tuple[bool, str]:
    for name, value in (("mu", mu), ("log_sigma", log_sigma)):
        if not isinstance(value, torch.Tensor) or value.dtype == torch.bool or value.is_complex():
            return False, f"{what}: {name} is a {type(value).__name__}, expected a tensor of shape {shape}"
        if tuple(value.shape) != shape:
            return False, f"{what}: {name} has shape {tuple(value.shape)}, expected {shape}"
        if not bool(torch.isfinite(value).all()):
            return False, f"{what}: {name} holds NaN or inf"
    return True, f"{what}: mu and log_sigma of shape {shape}, finite"


def _trace(what: str, trace) -> tuple[bool, str]:
    n = len(range(0, _STEPS, 10))
    if not isinstance(trace, list) or len(trace) != n:
        got = f"{len(trace)} values" if isinstance(trace, list) else f"a {type(trace).__name__}"
        return False, f"{what}: the trace has {got}, expected {n} (steps 0, 10, …, {10 * (n - 1)})"
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in trace):
        return False, f"{what}: the trace must hold finite Python numbers (use .item())"
    if not trace[-1] < trace[0]:
        return False, f"{what}: the mean −ELBO in the trace did not fall from step 0 to step {10 * (n - 1)}"
    return True, f"{what}: the trace holds the mean −ELBO every 10 steps, and it falls"


def _mc_neg_elbo(model: nn.Module, x, mu, log_sigma, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """−ELBO per example by Monte Carlo with n draws, and its standard error (seeded, state untouched)."""
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        z = mu + torch.exp(log_sigma) * torch.randn(n, *mu.shape, dtype=F64)
        terms = model.log_likelihood(x, z)  # (n, batch)
    neg = -terms.mean(0) + losses.kl_standard_normal(mu, log_sigma)
    return neg, terms.std(0) / math.sqrt(n)


def _iwae(model: nn.Module, x, mu, log_sigma, k: int) -> torch.Tensor:
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        return losses.iwae(x, mu, log_sigma, model.log_likelihood, k)


def _judge_best_gaussian_q(data) -> Verdict:
    lines = []
    # the linear-Gaussian model: exact ELBO, exact log p(x)
    truth, x, model = _linear_gaussian(), _linear_points(), _LinearGaussianVAE()
    got = data["linear"]
    what = "linear-Gaussian model, 4 points (one far out)"
    shape_ok = _shapes(what, got["mu"], got["log_sigma"], tuple(x.shape[:1]) + (truth.z_dim,))
    lines.append(shape_ok)
    if shape_ok[0]:
        neg_elbo = -truth.exact_elbo(x, got["mu"].double(), got["log_sigma"].double())
        lines.append(
            close(
                f"{what}: −ELBO of your q (exact) reaches the exact −log p(x) (the posterior is a diagonal Gaussian)",
                neg_elbo,
                -truth.log_marginal(x),
                atol=0.15,  # Adam at a fixed lr ends within a few hundredths of a nat of the optimum
            )
        )
    lines.append(_unchanged(what, got["parameters"], model))
    lines.append(_trace(what, got["trace"]))
    # the non-linear model: better than the encoder, not better than log p(x)
    x, model = _tanh_points(), _TanhVAE()
    got = data["tanh"]
    what = "tanh decoder, 5 points"
    shape_ok = _shapes(what, got["mu"], got["log_sigma"], (len(x), 2))
    lines.append(shape_ok)
    if shape_ok[0]:
        mu, log_sigma = got["mu"].double(), got["log_sigma"].double()
        ours, ours_se = _mc_neg_elbo(model, x, mu, log_sigma, 20_000)
        with torch.no_grad():
            encoder, _ = _mc_neg_elbo(model, x, *model.encode(x), 20_000)
        margin = 10.0  # the encoder is poor: optimizing gains far more
        better = bool((ours <= encoder - margin).all())
        lines.append(
            (better, f"{what}: −ELBO of your q is at least {margin:g} nat below the encoder's for every point")
        )
        nll = -_iwae(model, x, mu, log_sigma, 20_000)
        above = bool((ours >= nll - 4 * ours_se - 0.02).all())
        lines.append((above, f"{what}: −ELBO of your q is not below the IWAE estimate of −log p(x) (K = 20,000)"))
    lines.append(_unchanged(what, got["parameters"], model))
    lines.append(_trace(what, got["trace"]))
    return Verdict.of(*lines)


register(Check(f"{STEM}/best_gaussian_q", ("best_gaussian_q",), _run_best_gaussian_q, _judge_best_gaussian_q))
