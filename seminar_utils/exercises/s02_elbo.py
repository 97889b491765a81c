"""Checks of seminar 02, continued: the one-sample ELBO (the conventions are in
:mod:`seminar_utils.exercises.s02`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import losses
from ..linear_gaussian import LinearGaussian
from .core import Check, Verdict, close, register
from .s02 import F64, shape_line


# ------------------------------------------------------------------------------------ the ELBO
class _Encoder(nn.Module):
    """A small MLP encoder whose σ_z is e⁻⁴⁰ or less: z = μ_z whatever ε is drawn."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8, dtype=F64), nn.Tanh(), nn.Linear(8, 4, dtype=F64))

    def forward(self, x):
        mu_z, raw = self.net(x).chunk(2, dim=-1)
        return mu_z, -40.0 + 0.5 * torch.tanh(raw)


class _Decoder(nn.Module):
    """A small MLP decoder with σ_x that depends on z."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8, dtype=F64), nn.Tanh(), nn.Linear(8, 4, dtype=F64))

    def forward(self, z):
        mu_x, log_sigma_x = self.net(z).chunk(2, dim=-1)
        return mu_x, log_sigma_x


class _Posterior(nn.Module):
    """The exact p(z | x) of a linear-Gaussian model as an encoder."""

    def __init__(self, model: LinearGaussian):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.posterior(x)


class _LinearDecoder(nn.Module):
    """p(x | z) = N(W z + b, σ² I) of a linear-Gaussian model as a decoder: (mu_x, log_sigma_x)."""

    def __init__(self, model: LinearGaussian):
        super().__init__()
        self.model = model

    def forward(self, z):
        mu_x = z @ self.model.W.T + self.model.b
        return mu_x, torch.full_like(mu_x, math.log(self.model.sigma))


_COPIES = 5_000  # copies of each of 4 points: the ELBO's mean over them has a standard error of about 0.02 nats


def _elbo_inputs():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(205)
        encoder, decoder = _Encoder(), _Decoder()
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(206), dtype=F64)
    model = LinearGaussian.random(x_dim=3, z_dim=2, sigma=0.5, seed=207)
    points, _ = model.sample(4, torch.Generator().manual_seed(208))
    return encoder, decoder, x, model, points


def _run_elbo(ns):
    f = ns["vae_elbo"]
    encoder, decoder, x, model, points = _elbo_inputs()
    with torch.random.fork_rng(devices=[]):  # the notebook's random state is left as it was
        torch.manual_seed(1)
        elbo = f(x, encoder, decoder)
        grads = None
        if isinstance(elbo, torch.Tensor) and elbo.requires_grad:
            elbo.sum().backward()
            grads = [p.grad for p in [*encoder.parameters(), *decoder.parameters()]]
        with torch.no_grad():
            copies = f(points.repeat(_COPIES, 1), _Posterior(model), _LinearDecoder(model))
    return {"elbo": elbo, "grads": grads, "copies": copies}


def _exact_posterior_line(copies, model: LinearGaussian, points: torch.Tensor) -> tuple[bool, str]:
    what = "q = the exact posterior of a linear-Gaussian model: the mean of the one-sample ELBOs is log p(x)"
    expected_shape = (_COPIES * len(points),)
    shape = shape_line(what, copies, expected_shape)
    if not shape[0]:
        return shape
    per_point = copies.double().reshape(_COPIES, len(points))  # row i: the i-th copy of every point
    log_px = model.log_marginal(points)
    with torch.random.fork_rng(devices=[]):  # the spread of a right one-sample ELBO, for the standard error
        torch.manual_seed(0)
        mu, log_sigma = model.posterior(points.repeat(_COPIES, 1))
        reference = losses.elbo(points.repeat(_COPIES, 1), mu, log_sigma, model.log_likelihood).elbo
    se = reference.reshape(_COPIES, len(points)).std(dim=0) / math.sqrt(_COPIES)
    off = (per_point.mean(dim=0) - log_px).abs()
    ok = bool(torch.isfinite(off).all() and (off < 5 * se).all())
    detail = "" if ok else (
        f": off by {[round(v, 3) for v in off.tolist()]} nats, standard errors {[round(v, 3) for v in se.tolist()]}"
        " (is z drawn from q, one ε per object, and not set to μ_z?)"
    )  # fmt: skip
    return ok, what + " (within 5 standard errors)" + detail


def _judge_elbo(data) -> Verdict:
    if not isinstance(data, dict):
        return Verdict.of((False, "vae_elbo's results could not be read"))
    encoder, decoder, x, model, points = _elbo_inputs()
    mu_z, log_sigma_z = encoder(x)
    z = mu_z  # σ_z ≤ e⁻³⁹·⁵: μ_z + σ_z ε is μ_z to float64 precision
    expected = losses.gaussian_log_likelihood(x, *decoder(z)) - losses.kl_standard_normal(mu_z, log_sigma_z)
    params = [*encoder.parameters(), *decoder.parameters()]
    expected_grads = torch.autograd.grad(expected.sum(), params)
    lines = [close("σ_z → 0: log p(x | z = μ_z) − KL per object, (batch,) = (6,)", data.get("elbo"), expected.detach(),
                   atol=1e-8)]  # fmt: skip
    grads = data.get("grads")
    if not isinstance(grads, list) or len(grads) != len(params) or any(g is None for g in grads):
        lines.append((False, "gradients reach the encoder and the decoder (the ELBO is computed from their outputs)"))
    else:
        ok = all(close("", g, e, atol=1e-8)[0] for g, e in zip(grads, expected_grads))
        lines.append((ok, "gradients of the ELBO reach the encoder (through z and the KL) and the decoder"))
    lines.append(_exact_posterior_line(data.get("copies"), model, points))
    return Verdict.of(*lines)


register(
    Check(
        "02_vae_questions/vae_elbo",
        ("vae_elbo",),
        _run_elbo,
        _judge_elbo,
        references=("seminar_utils.losses.elbo", "seminar_utils.losses.iwae"),
    )
)
