"""Checks of seminar 03 (a VAE on 2D points): ten exercises, each checked on properties, not on one draw.

Every model a check builds has fixed weights and is small enough to answer in closed form: the
encoders and decoders are affine maps (:class:`Affine`), so the KL terms, the reconstruction's mean
and variance over the draws, the exact posterior and log p(x) are known exactly. Where a solution
draws random numbers the check either makes the result independent of the draws (σ_z → 0, so z = μ;
a q equal to the exact posterior, so every importance weight is log p(x)) or tests what the draws
must satisfy in distribution (a mean within 5 standard errors of its exact value, a variance within
15 %), with enough draws that a right solution fails once in about a million seeds and the typical
mistakes fail at every seed. The draw layout — one ``(K, batch, z_dim)`` tensor, a loop over K,
``torch.distributions`` — is the student's choice.

``run`` always works under ``torch.random.fork_rng``: a check cell leaves the notebook's random state
as it found it.
"""

from __future__ import annotations

import math

import torch

from ..vae import mlp
from .core import Check, Verdict, close, register
from .s03_parts import (
    F64,
    N_DRAWS,
    curved_decoder,
    draws_lines,
    gaussian_nll,
    kl_per_dim,
    moderate_encoder,
    points,
    sampling_pair,
    tensors,
    term,
    tiny_encoder,
)


# ---------------------------------------------------------------------------------- gaussian_entropy
def _covariances() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(3031)
    A = torch.randn(3, 3, generator=g, dtype=F64)
    return [
        torch.tensor([[0.3]], dtype=F64),
        torch.tensor([[13.0, 12.0], [12.0, 13.0]], dtype=F64),  # (a)'s Σ, det 25
        torch.tensor([[4.0, -1.5], [-1.5, 0.8]], dtype=F64),  # det 0.95
        A @ A.T + 0.5 * torch.eye(3, dtype=F64),
    ]


def _run_gaussian_entropy(ns):
    return [ns["gaussian_entropy"](cov.clone()) for cov in _covariances()]


def _judge_gaussian_entropy(data) -> Verdict:
    lines = []
    for cov, ours in zip(_covariances(), data):
        d = cov.shape[0]
        expected = 0.5 * (d * math.log(2 * math.pi * math.e) + torch.linalg.slogdet(cov)[1])
        lines.append(close(f"H(N(μ, Σ)), d = {d}, Σ = {cov.numpy().round(2).tolist()}", ours, expected, atol=1e-9))
    return Verdict.of(*lines)


register(Check("03_vae_2d/gaussian_entropy", ("gaussian_entropy",), _run_gaussian_entropy, _judge_gaussian_entropy))


# ---------------------------------------------------------------------------------- Encoder, Decoder
_NETWORKS = (  # (class, keyword arguments, input width, output width, hidden width)
    ("Encoder", {}, 2, 2, 64),
    ("Encoder", {"x_dim": 3, "z_dim": 5, "hidden": 7}, 3, 5, 7),
    ("Decoder", {}, 2, 2, 64),
    ("Decoder", {"z_dim": 5, "x_dim": 3, "hidden": 7}, 5, 3, 7),
)


def _mlp_shapes(n_in: int, hidden: int, n_out: int) -> list[tuple[int, ...]]:
    return [(hidden, n_in), (hidden,), (hidden, hidden), (hidden,), (2 * n_out, hidden), (2 * n_out,)]


def _weights(shapes) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(3032)
    return [0.5 * torch.randn(shape, generator=g, dtype=F64) for shape in shapes]


def _inputs(n_in: int) -> torch.Tensor:
    return torch.randn(8, n_in, generator=torch.Generator().manual_seed(3033), dtype=F64)


def _run_networks(ns):
    results = []
    with torch.random.fork_rng(devices=[]):
        for name, kwargs, n_in, n_out, hidden in _NETWORKS:
            module = ns[name](**kwargs).double()
            shapes = [tuple(p.shape) for p in module.parameters()]
            out = None
            if shapes == _mlp_shapes(n_in, hidden, n_out):
                with torch.no_grad():
                    for p, value in zip(module.parameters(), _weights(shapes)):
                        p.copy_(value)
                    out = module(_inputs(n_in))
                out = list(out) if isinstance(out, (tuple, list)) else f"a {type(out).__name__}"
            results.append({"shapes": [list(s) for s in shapes], "out": out})
    return results


def _judge_networks(data) -> Verdict:
    lines = []
    for (name, kwargs, n_in, n_out, hidden), ours in zip(_NETWORKS, data):
        call = f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
        expected = _mlp_shapes(n_in, hidden, n_out)
        shapes = [tuple(s) for s in ours["shapes"]]
        if shapes != expected:
            lines.append(
                (
                    False,
                    f"{call}: parameters {shapes}, expected {expected} — Linear({n_in}, {hidden}), "
                    f"Linear({hidden}, {hidden}), Linear({hidden}, 2·{n_out}), created in the order they are applied",
                )
            )
            continue
        lines.append(
            (True, f"{call}: Linear({n_in}, {hidden}), Linear({hidden}, {hidden}), Linear({hidden}, {2 * n_out})")
        )
        reference = mlp(n_in, (hidden, hidden), 2 * n_out).double()
        with torch.no_grad():
            for p, value in zip(reference.parameters(), _weights(expected)):
                p.copy_(value)
            mean, log_sigma = reference(_inputs(n_in)).chunk(2, dim=-1)
        out = ours["out"]
        if not isinstance(out, list) or len(out) != 2:
            lines.append((False, f"{call}: forward returned {out if isinstance(out, str) else len(out)}, expected 2"))
            continue
        mean_name, scale_name = ("mu_z", "log_sigma_z") if name == "Encoder" else ("mu_x", "log_sigma_x")
        what = f"{call}, weights set, ReLU between the layers"
        lines.append(close(f"{what}: {mean_name} = the first half of the last layer", out[0], mean, atol=1e-10))
        lines.append(close(f"{what}: {scale_name} = the second half", out[1], log_sigma, atol=1e-10))
    return Verdict.of(*lines)


register(
    Check(
        "03_vae_2d/Encoder",
        ("Encoder", "Decoder"),
        _run_networks,
        _judge_networks,
        references=("seminar_utils.vae.MLPEncoder", "seminar_utils.vae.MLPDecoder", "seminar_utils.vae.mlp"),
    )
)


# ------------------------------------------------------------------------------------------ VAE2D
def _run_vae2d(ns):
    cls = ns["VAE2D"]
    out = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3034)
        encoder, decoder = moderate_encoder(), curved_decoder()
        model = cls(encoder, decoder)
        found = {id(p) for p in model.parameters()}
        out["registered"] = all(id(p) in found for p in [*encoder.parameters(), *decoder.parameters()])
        x = points(7, 3035, scale=2.0)
        out["tiny"] = {
            str(beta): tensors(cls(tiny_encoder(), curved_decoder()).loss_terms(x, beta=beta)) for beta in (1.0, 0.5)
        }
        out["moderate"] = {str(beta): tensors(model.loss_terms(x, beta=beta)) for beta in (1.0, 2.0)}
        encoder, decoder, x0 = sampling_pair()
        out["draws"] = tensors(cls(encoder, decoder).loss_terms(x0.expand(N_DRAWS, -1).clone()))
    return out


def _judge_vae2d(data) -> Verdict:
    x = points(7, 3035, scale=2.0)
    lines = [(bool(data["registered"]), "model.parameters() holds the encoder's and the decoder's (submodules)")]
    with torch.no_grad():
        decoder = curved_decoder()
        for encoder, part, betas in (
            (tiny_encoder(), "tiny", (1.0, 0.5)),
            (moderate_encoder(), "moderate", (1.0, 2.0)),
        ):
            mu, log_sigma = encoder(x)
            kl = kl_per_dim(mu, log_sigma).sum(-1)
            recon = gaussian_nll(x, *decoder(mu))
            for beta in betas:
                terms = data[part][str(beta)]
                if part == "tiny":
                    what = f"σ_z ≈ e⁻³⁰ (so z = μ_z), β = {beta}"
                    lines.append(term(what, terms, "recon", recon, 1e-8))
                    lines.append(term(what, terms, "kl", kl, 1e-8))
                    lines.append(term(what, terms, "loss", recon + beta * kl, 1e-8))
                else:
                    what = f"σ_z(x) between 0.4 and 1.6, β = {beta}"
                    lines.append(term(what, terms, "kl", kl, 1e-9))
                    if not isinstance(terms, str) and {"loss", "recon", "kl"} <= set(terms):
                        parts = [terms[k] for k in ("loss", "recon", "kl")]
                        if all(isinstance(t, torch.Tensor) and t.shape == (len(x),) for t in parts):
                            lines.append(
                                close(
                                    f"{what}: loss − (recon + β·kl)",
                                    parts[0] - parts[1] - beta * parts[2],
                                    torch.zeros(len(x)),
                                    atol=1e-9,
                                )
                            )
    lines += draws_lines(data["draws"])
    return Verdict.of(*lines)


register(
    Check(
        "03_vae_2d/VAE2D",
        ("VAE2D",),
        _run_vae2d,
        _judge_vae2d,
        references=(
            "seminar_utils.vae.VAE.loss_terms",
            "seminar_utils.vae.VAE.elbo",
            "seminar_utils.losses.elbo",
        ),
    )
)
