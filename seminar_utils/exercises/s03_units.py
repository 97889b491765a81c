"""Checks of seminar 03, continued: free bits and active units (the conventions are in
:mod:`seminar_utils.exercises.s03`).
"""

from __future__ import annotations

import torch

from .core import Check, Verdict, close, register
from .s03_parts import (
    F64,
    N_DRAWS,
    Affine,
    curved_decoder,
    draws_lines,
    gaussian_nll,
    kl_per_dim,
    points,
    sampling_pair,
    tensors,
    term,
    tiny_encoder,
)


# ----------------------------------------------------------------------------------- FreeBitsVAE
def _between_encoder() -> Affine:
    """Per point, KL of dimension 1 below 0.3 nats and of dimension 2 above 1.7: λ = 0.8 lies between."""
    return Affine([[0.15, 0.0], [0.1, 0.0]], [0.0, 1.8], [[0.0, 0.1], [0.0, 0.1]], [-0.2, -0.8])


_LAMBDAS = (0.0, 0.8, 100.0)


def _run_free_bits(ns):
    cls = ns["FreeBitsVAE"]
    out = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3044)
        x = points(7, 3045, scale=2.0)
        out["tiny"] = tensors(cls(tiny_encoder(), curved_decoder()).loss_terms(x, free_bits=0.0))
        model = cls(_between_encoder(), curved_decoder())
        out["between"] = {str(lam): tensors(model.loss_terms(x, free_bits=lam)) for lam in _LAMBDAS}
        encoder, decoder, x0 = sampling_pair()
        out["draws"] = tensors(cls(encoder, decoder).loss_terms(x0.expand(N_DRAWS, -1).clone(), free_bits=0.5))
    return out


def _judge_free_bits(data) -> Verdict:
    x = points(7, 3045, scale=2.0)
    decoder = curved_decoder()
    lines = []
    with torch.no_grad():
        mu, log_sigma = tiny_encoder()(x)
        kl, recon = kl_per_dim(mu, log_sigma).sum(-1), gaussian_nll(x, *decoder(mu))
        what = "free_bits = 0, σ_z ≈ e⁻³⁰ (z = μ_z)"
        lines += [
            term(what, data["tiny"], "recon", recon, 1e-8),
            term(what, data["tiny"], "kl", kl, 1e-8),
            term(what, data["tiny"], "loss", recon + kl, 1e-8),
        ]
        kl_j = kl_per_dim(*_between_encoder()(x))
    for lam in _LAMBDAS:
        terms = data["between"][str(lam)]
        what = f"free_bits = {lam:g} (KL₁ < 0.3, KL₂ > 1.7 at every point)"
        lines.append(term(f"{what}: the true KL", terms, "kl", kl_j.sum(-1), 1e-9))
        if not isinstance(terms, str) and {"loss", "recon"} <= set(terms):
            loss, rec = terms["loss"], terms["recon"]
            if all(isinstance(t, torch.Tensor) and t.shape == (len(x),) for t in (loss, rec)):
                lines.append(
                    close(
                        f"{what}: loss − recon = Σ_j max(free_bits, KL_j)",
                        loss - rec,
                        kl_j.clamp(min=lam).sum(-1),
                        atol=1e-9,
                    )
                )
            else:
                lines.append(close(f"{what}, 'loss'", loss, kl_j.sum(-1), atol=1e-9))
    lines += draws_lines(data["draws"])
    return Verdict.of(*lines)


register(Check("03_vae_2d/FreeBitsVAE", ("FreeBitsVAE",), _run_free_bits, _judge_free_bits))


# ---------------------------------------------------------------------------------- active_units
_VARIANCES = (4.0, 0.5, 0.05, 2e-3, 1e-6, 0.0)  # of μ_z's 6 columns; std of the 4th and 5th: 0.045, 0.001
_THRESHOLDS = (None, 0.1, 1.0, 1e-4)


def _activity_encoder(n: int, seed: int):
    """encode(x) for x (n, 2) whose μ_z columns have exactly the sample variances _VARIANCES (each with
    a mean far from 0) and whose log σ_z varies strongly in two columns where μ_z does not."""
    g = torch.Generator().manual_seed(seed)
    shapes = torch.randn(n, len(_VARIANCES), generator=g, dtype=F64)
    shapes = (shapes - shapes.mean(0)) / shapes.std(0)
    columns = shapes * torch.tensor(_VARIANCES, dtype=F64).sqrt() + torch.linspace(1.0, 3.0, len(_VARIANCES), dtype=F64)

    def encode(x):
        log_sigma = torch.zeros_like(columns)
        log_sigma[:, 4] = 5 * x[:, 0]
        log_sigma[:, 5] = 5 * x[:, 1]
        return columns.clone(), log_sigma

    return encode


def _expected_active(threshold: float) -> int:
    return sum(v > threshold for v in _VARIANCES)


def _run_active_units(ns):
    f = ns["active_units"]
    out = []
    with torch.random.fork_rng(devices=[]):
        for n, seed in ((2000, 3046), (500, 3047)):
            x = points(n, seed + 10)
            for threshold in _THRESHOLDS:
                encode = _activity_encoder(n, seed)
                value = f(encode, x) if threshold is None else f(encode, x, threshold=threshold)
                if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
                    value = int(value)
                out.append(value if type(value) is int else f"a {type(value).__name__}: {value!r}"[:80])
    return out


def _judge_active_units(data) -> Verdict:
    variances = ", ".join(f"{v:g}" for v in _VARIANCES)
    lines, results = [], iter(data)
    for n in (2000, 500):
        for threshold in _THRESHOLDS:
            ours = next(results)
            t = 0.01 if threshold is None else threshold
            expected = _expected_active(t)
            what = f"{n} points, threshold {t:g}{' (the default)' if threshold is None else ''}: {expected} active"
            if not lines:
                what = f"μ_z's 6 columns with variances {variances} over the points; " + what
            if isinstance(ours, str):
                lines.append((False, f"{what}; got {ours}, expected the int {expected}"))
            else:
                lines.append((ours == expected, what + ("" if ours == expected else f", got {ours}")))
    return Verdict.of(*lines)


register(Check("03_vae_2d/active_units", ("active_units",), _run_active_units, _judge_active_units))
