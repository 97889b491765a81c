"""Checks of seminar 03 (a VAE on 2D points): nine exercises, each checked on properties, not on one draw.

Every model a check builds has fixed weights and is small enough to answer in closed form: the
encoders and decoders are affine maps (:class:`_Affine`), so the KL terms, the reconstruction's mean
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
import numbers
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from .._checks import LOG_2PI
from ..models import VAE, mlp
from . import Check, Verdict, close, register

_F64 = torch.float64


# ------------------------------------------------------------------------------------ building blocks
class _Affine(nn.Module):
    """(mean, log σ) = (u Aᵀ + a, tanh(u) Bᵀ + b) in float64: an encoder (u = x) or a decoder (u = z)."""

    def __init__(self, A, a, B, b):
        super().__init__()
        self.A, self.a = nn.Parameter(torch.as_tensor(A, dtype=_F64)), nn.Parameter(torch.as_tensor(a, dtype=_F64))
        self.B, self.b = nn.Parameter(torch.as_tensor(B, dtype=_F64)), nn.Parameter(torch.as_tensor(b, dtype=_F64))
        self.z_dim = self.A.shape[0]  # as an encoder: the package's VAE reads it

    def forward(self, u):
        return u @ self.A.T + self.a, torch.tanh(u) @ self.B.T + self.b


def _points(n: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    return scale * torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=_F64)


def _tiny_encoder() -> _Affine:
    """μ_z depends on x, log σ_z ≈ −30: z = μ_z up to 1e-13 whatever the draw."""
    return _Affine([[0.8, -0.5], [0.3, 1.1]], [0.2, -0.4], [[0.1, 0.0], [0.0, -0.1]], [-30.0, -30.0])


def _moderate_encoder() -> _Affine:
    """μ_z and σ_z both depend on x; σ_z between about 0.4 and 1.6."""
    return _Affine([[0.7, -0.4], [0.5, 0.9]], [0.3, -0.2], [[0.4, -0.2], [0.1, 0.3]], [-0.3, 0.2])


def _curved_decoder() -> _Affine:
    """μ_x(z) affine, log σ_x(z) depends on z: the Gaussian log-likelihood's every term matters."""
    return _Affine([[1.2, -0.6], [0.4, 0.9]], [0.5, -1.0], [[0.3, -0.2], [0.2, 0.4]], [-0.2, 0.4])


def _sampling_pair() -> tuple[_Affine, _Affine, torch.Tensor]:
    """An encoder with σ_z = (0.6, 1.3), a linear decoder with a fixed σ_x, and the point x₀ they see."""
    encoder = _Affine([[0.5, 0.2], [-0.3, 0.4]], [0.1, 0.3], torch.zeros(2, 2), [math.log(0.6), math.log(1.3)])
    decoder = _Affine([[1.5, 0.4], [-0.7, 1.2]], [0.3, -0.2], torch.zeros(2, 2), [math.log(0.5), math.log(0.8)])
    return encoder, decoder, torch.tensor([[1.0, -0.5]], dtype=_F64)


_N_DRAWS = 20_000  # copies of x₀: the reconstruction's draws


def _kl_per_dim(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    return 0.5 * (mu**2 + torch.exp(2 * log_sigma) - 1) - log_sigma


def _gaussian_nll(x, mean, log_sigma) -> torch.Tensor:
    return (0.5 * ((x - mean) * torch.exp(-log_sigma)) ** 2 + log_sigma + 0.5 * LOG_2PI).sum(-1)


@torch.no_grad()
def _recon_moments(encoder: _Affine, decoder: _Affine, x0: torch.Tensor) -> tuple[float, float]:
    """Mean and variance over z ~ q(z | x₀) of −log p(x₀ | z) for a linear decoder with a fixed σ_x.

    With z = μ + σ ⊙ ε, the residual standardized by σ_x is u = a − M ε (a = (x₀ − b − Wμ)/σ_x,
    M = diag(1/σ_x) W diag(σ_z)): −log p = ½‖u‖² + Σ log σ_x + (d/2) log 2π, whose mean is
    ½(‖a‖² + tr MᵀM) + const and variance aᵀMMᵀa + ½ tr (MMᵀ)².
    """
    mu, log_sigma = encoder(x0)
    W, bias, log_s = decoder.A, decoder.a, decoder.b
    a = (x0[0] - bias - W @ mu[0]) / log_s.exp()
    M = torch.diag(torch.exp(-log_s)) @ W @ torch.diag(log_sigma[0].exp())
    MMt = M @ M.T
    const = log_s.sum().item() + 0.5 * len(x0[0]) * LOG_2PI
    mean = 0.5 * (a @ a + torch.trace(MMt)).item() + const
    var = (a @ MMt @ a + 0.5 * torch.trace(MMt @ MMt)).item()
    return mean, var


def _moments_lines(what: str, recon, encoder: _Affine, decoder: _Affine, x0: torch.Tensor) -> list[tuple[bool, str]]:
    """``recon`` (n,) holds −log p(x₀ | z_i) at n independent z_i ~ q(z | x₀): its mean and spread."""
    if not isinstance(recon, torch.Tensor) or recon.shape != (_N_DRAWS,):
        shape = tuple(recon.shape) if isinstance(recon, torch.Tensor) else type(recon).__name__
        return [(False, f"{what}: shape {shape}, expected ({_N_DRAWS},) (one value per point)")]
    recon = recon.double()
    if not bool(torch.isfinite(recon).all()):
        return [(False, f"{what}: NaN or inf among the values")]
    mean, var = _recon_moments(encoder, decoder, x0)
    se = math.sqrt(var / _N_DRAWS)
    ours_mean, ours_var = recon.mean().item(), recon.var().item()
    mean_ok = abs(ours_mean - mean) < 5 * se
    var_ok = abs(ours_var / var - 1) < 0.15
    return [
        (
            mean_ok,
            f"{what}: the mean over {_N_DRAWS} copies of one point is E_q[−log p(x | z)] within 5 standard errors"
            + ("" if mean_ok else f" — got {ours_mean:.4f}, expected {mean:.4f} ± {se:.4f} (z = μ + σ ⊙ ε?)"),
        ),
        (
            var_ok,
            f"{what}: the values vary from point to point as one independent ε per point makes them (±15 %)"
            + ("" if var_ok else f" — variance {ours_var:.4g}, expected {var:.4g} (one ε per point, σ = exp(log σ)?)"),
        ),
    ]


def _number(value):
    """A float from a number or a one-element tensor; a string saying what it is otherwise."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype.is_complex:
        return float(value.detach().cpu().reshape(()))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return f"a {type(value).__name__}"


def _tensors(terms) -> dict | str:
    """The student's dict of tensors as a plain dict (a string saying what it is otherwise)."""
    if not isinstance(terms, Mapping):
        return f"a {type(terms).__name__}"
    return {str(k): v if type(v) is torch.Tensor else f"a {type(v).__name__}" for k, v in terms.items()}


def _term(what: str, terms, key: str, reference, atol: float) -> tuple[bool, str]:
    if isinstance(terms, str):
        return False, f"{what}: loss_terms returned {terms}, expected a dict with keys loss, recon, kl"
    if key not in terms:
        return False, f"{what}: no key {key!r} (keys: {', '.join(sorted(terms))})"
    return close(f"{what}, {key!r}", terms[key], reference, atol=atol)


# ---------------------------------------------------------------------------------- gaussian_entropy
def _covariances() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(3031)
    A = torch.randn(3, 3, generator=g, dtype=_F64)
    return [
        torch.tensor([[0.3]], dtype=_F64),
        torch.tensor([[13.0, 12.0], [12.0, 13.0]], dtype=_F64),  # (a)'s Σ, det 25
        torch.tensor([[4.0, -1.5], [-1.5, 0.8]], dtype=_F64),  # det 0.95
        A @ A.T + 0.5 * torch.eye(3, dtype=_F64),
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
    return [0.5 * torch.randn(shape, generator=g, dtype=_F64) for shape in shapes]


def _inputs(n_in: int) -> torch.Tensor:
    return torch.randn(8, n_in, generator=torch.Generator().manual_seed(3033), dtype=_F64)


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
        references=("seminar_utils.models.MLPEncoder", "seminar_utils.models.MLPDecoder", "seminar_utils.models.mlp"),
    )
)


# ------------------------------------------------------------------------------------------ VAE2D
def _run_vae2d(ns):
    cls = ns["VAE2D"]
    out = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3034)
        encoder, decoder = _moderate_encoder(), _curved_decoder()
        model = cls(encoder, decoder)
        found = {id(p) for p in model.parameters()}
        out["registered"] = all(id(p) in found for p in [*encoder.parameters(), *decoder.parameters()])
        x = _points(7, 3035, scale=2.0)
        out["tiny"] = {
            str(beta): _tensors(cls(_tiny_encoder(), _curved_decoder()).loss_terms(x, beta=beta)) for beta in (1.0, 0.5)
        }
        out["moderate"] = {str(beta): _tensors(model.loss_terms(x, beta=beta)) for beta in (1.0, 2.0)}
        encoder, decoder, x0 = _sampling_pair()
        out["draws"] = _tensors(cls(encoder, decoder).loss_terms(x0.expand(_N_DRAWS, -1).clone()))
    return out


def _judge_vae2d(data) -> Verdict:
    x = _points(7, 3035, scale=2.0)
    lines = [(bool(data["registered"]), "model.parameters() holds the encoder's and the decoder's (submodules)")]
    with torch.no_grad():
        decoder = _curved_decoder()
        for encoder, part, betas in (
            (_tiny_encoder(), "tiny", (1.0, 0.5)),
            (_moderate_encoder(), "moderate", (1.0, 2.0)),
        ):
            mu, log_sigma = encoder(x)
            kl = _kl_per_dim(mu, log_sigma).sum(-1)
            recon = _gaussian_nll(x, *decoder(mu))
            for beta in betas:
                terms = data[part][str(beta)]
                if part == "tiny":
                    what = f"σ_z ≈ e⁻³⁰ (so z = μ_z), β = {beta}"
                    lines.append(_term(what, terms, "recon", recon, 1e-8))
                    lines.append(_term(what, terms, "kl", kl, 1e-8))
                    lines.append(_term(what, terms, "loss", recon + beta * kl, 1e-8))
                else:
                    what = f"σ_z(x) between 0.4 and 1.6, β = {beta}"
                    lines.append(_term(what, terms, "kl", kl, 1e-9))
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
    encoder, decoder, x0 = _sampling_pair()
    terms = data["draws"]
    if isinstance(terms, str) or "recon" not in terms:
        lines.append(_term("one point, 20,000 times", terms, "recon", torch.zeros(_N_DRAWS), 0.0))
    else:
        lines += _moments_lines("recon at σ_z = (0.6, 1.3)", terms["recon"], encoder, decoder, x0)
    return Verdict.of(*lines)


register(
    Check(
        "03_vae_2d/VAE2D",
        ("VAE2D",),
        _run_vae2d,
        _judge_vae2d,
        references=(
            "seminar_utils.models.VAE.loss_terms",
            "seminar_utils.models.VAE.elbo",
            "seminar_utils.losses.elbo",
        ),
    )
)


# ------------------------------------------------------------------------------------------ train
_TRAIN = {"epochs": 3, "batch_size": 16, "lr": 0.05, "beta": 0.7}
_N_TRAIN = 50
_W0 = (0.5, -1.0, 0.3)


def _train_data() -> torch.Tensor:
    i = torch.arange(_N_TRAIN, dtype=_F64)
    return torch.stack([i / 10, torch.sin(i)], dim=1)  # every row different: a row names its point


def _terms(w: torch.Tensor, x: torch.Tensor, beta: float) -> dict[str, torch.Tensor]:
    """A deterministic loss_terms: a Gaussian with mean w[:2] and log σ = w[2], a 'KL' on w."""
    recon = (0.5 * (x - w[:2]) ** 2 * torch.exp(-2 * w[2]) + w[2]).sum(-1)
    kl = 0.5 * (w**2).sum() + 0.0 * x[:, 0]
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


class _Recorder(nn.Module):
    """A model whose loss_terms records each call: the points, β, the mode, whether gradients are on."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(_W0, dtype=_F64))
        self.calls: list[dict] = []

    def loss_terms(self, x, beta: float = 1.0):
        self.calls.append(
            {"x": x.detach().clone(), "beta": _number(beta), "training": self.training, "grad": torch.is_grad_enabled()}
        )
        return _terms(self.w, x, beta)


def _history(history):
    if not isinstance(history, Mapping):
        return f"a {type(history).__name__}"
    out = {}
    for key, values in history.items():
        try:
            out[str(key)] = [_number(v) for v in values]
        except TypeError:
            out[str(key)] = f"a {type(values).__name__}"
    return out


def _run_train(ns):
    runs = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3036)
        for seed in (0, 0, 1):
            model = _Recorder()
            model.eval()  # as after an earlier call: train must switch it to training mode
            history = ns["train"](model, _train_data(), seed=seed, **_TRAIN)
            runs.append(
                {
                    "history": _history(history),
                    "calls": model.calls,
                    "w": model.w.detach(),
                    "training_after": model.training,
                }
            )
            torch.randn(5)  # the global random state moves on between the runs
    return runs


def _replay(calls) -> tuple[torch.Tensor, list[dict[str, float]]]:
    """Adam on the mean loss of the recorded batches, in order: the weights and each batch's term sums."""
    w = nn.Parameter(torch.tensor(_W0, dtype=_F64))
    optimizer = torch.optim.Adam([w], lr=_TRAIN["lr"])
    sums = []
    for call in calls:
        terms = _terms(w, call["x"], _TRAIN["beta"])
        optimizer.zero_grad()
        terms["loss"].mean().backward()
        optimizer.step()
        sums.append({k: v.detach().sum().item() for k, v in terms.items()})
    return w.detach(), sums


def _batch_indices(calls, x: torch.Tensor) -> list[list[int]] | None:
    rows = {tuple(r): i for i, r in enumerate(x.tolist())}
    try:
        return [[rows[tuple(r)] for r in call["x"].double().reshape(-1, 2).tolist()] for call in calls]
    except KeyError:
        return None


def _epochs(batches: list[list[int]]) -> list[list[int]] | None:
    """The batches grouped into epochs of exactly _N_TRAIN points (None when they do not add up)."""
    epochs, current = [], []
    for batch in batches:
        current += batch
        if len(current) == _N_TRAIN:
            epochs.append(current)
            current = []
        elif len(current) > _N_TRAIN:
            return None
    return epochs if not current else None


def _judge_train(data) -> Verdict:
    x = _train_data()
    first = data[0]
    steps = [c for c in first["calls"] if c["grad"]]
    history = first["history"]
    n_epochs, bs = _TRAIN["epochs"], _TRAIN["batch_size"]
    lines = []
    shape_ok = isinstance(history, dict) and all(
        isinstance(history.get(k), list)
        and len(history[k]) == n_epochs
        and all(isinstance(v, float) for v in history[k])
        for k in ("loss", "recon", "kl")
    )
    lines.append((shape_ok, f"returns {{term: [one number per epoch]}} for loss, recon and kl ({n_epochs} epochs)"))
    batches = _batch_indices(steps, x)
    epochs = None if batches is None else _epochs(batches)
    sizes_ok = batches is not None and all(0 < len(b) <= bs for b in batches)
    each_once = (
        epochs is not None and len(epochs) == n_epochs and all(sorted(e) == list(range(_N_TRAIN)) for e in epochs)
    )
    lines.append(
        (
            sizes_ok and each_once,
            f"one step per mini-batch of at most batch_size = {bs} points; each epoch takes every point exactly once",
        )
    )
    if each_once:
        lines.append((len({tuple(e) for e in epochs}) == n_epochs, "a new random order of the points in every epoch"))
    lines.append(
        (bool(steps) and all(c["beta"] == _TRAIN["beta"] for c in steps), f"loss_terms gets beta = {_TRAIN['beta']}")
    )
    lines.append((bool(steps) and all(c["training"] for c in steps), "the steps run in training mode (model.train())"))
    lines.append((first["training_after"] is False, "the model is left in eval mode (model.eval())"))
    if not (sizes_ok and each_once):
        return Verdict.of(*lines)
    w, sums = _replay(steps)
    lines.append(
        close(
            "the weights after Adam(lr) on the mean loss of each batch (gradients zeroed every step)",
            first["w"],
            w,
            atol=1e-7,
        )
    )
    if shape_ok:
        expected, start = {k: [] for k in ("loss", "recon", "kl")}, 0
        for epoch in epochs:
            n_batches, total = 0, 0
            while total < len(epoch):
                total += len(batches[start + n_batches])
                n_batches += 1
            for k in expected:
                expected[k].append(sum(s[k] for s in sums[start : start + n_batches]) / _N_TRAIN)
            start += n_batches
        for k in ("loss", "recon", "kl"):
            lines.append(
                close(
                    f"history[{k!r}]: the mean over each epoch's points of the steps' values",
                    torch.tensor(history[k]),
                    expected[k],
                    atol=1e-9,
                )
            )
        lines.append((history["loss"][-1] < history["loss"][0], "the loss fell"))
    again, other = data[1], data[2]
    same = again["history"] == history and torch.equal(again["w"], first["w"])
    lines.append((same, "the same seed gives the same history and weights (torch.manual_seed / a generator of seed)"))
    other_batches = _batch_indices([c for c in other["calls"] if c["grad"]], x)
    lines.append((other_batches is not None and other_batches != batches, "another seed gives another order"))
    return Verdict.of(*lines)


register(Check("03_vae_2d/train", ("train",), _run_train, _judge_train, references=("seminar_utils.training.fit",)))


# ----------------------------------------------------------------------------- mutual_information
_GROUPS = {  # x takes 3 values; q(z | x) = N(μ_x, σ_x²) in 1-D, overlapping, σ depending on x
    "sizes": (800, 800, 800),
    "mu": (-1.0, 0.0, 1.2),
    "sigma": (0.2, 1.0, 3.0),
}
_FAR = {"sizes": (300, 100), "mu": ((0.0, 0.0), (60.0, -60.0)), "sigma": ((0.5, 1.5), (2.0, 0.7))}
_SAME = {"mu": (0.3, -1.0), "sigma": (0.5, 2.0)}


def _grouped(sizes) -> torch.Tensor:
    """x (N, 1): the group of each point, interleaved (the groups are not in blocks)."""
    labels = torch.cat([torch.full((n,), float(k), dtype=_F64) for k, n in enumerate(sizes)])
    return labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(3037))].unsqueeze(1)


def _group_encoder(mu, sigma):
    mu, log_sigma = torch.tensor(mu, dtype=_F64), torch.tensor(sigma, dtype=_F64).log()
    if mu.dim() == 1:
        mu, log_sigma = mu.unsqueeze(1), log_sigma.unsqueeze(1)

    def encode(x):
        k = x[:, 0].long()
        return mu[k], log_sigma[k]

    return encode


def _run_mutual_information(ns):
    f = ns["mutual_information"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3038)
        x_same = _points(300, 3039)

        def same(x):
            mu = torch.tensor(_SAME["mu"], dtype=_F64).expand(len(x), -1)
            return mu.clone(), torch.tensor(_SAME["sigma"], dtype=_F64).log().expand(len(x), -1).clone()

        return {
            "same": f(same, x_same),
            "far": f(_group_encoder(_FAR["mu"], _FAR["sigma"]), _grouped(_FAR["sizes"])),
            "overlap": f(_group_encoder(_GROUPS["mu"], _GROUPS["sigma"]), _grouped(_GROUPS["sizes"])),
        }


def _overlap_truth() -> tuple[float, float]:
    """I_q(x; z) of the 3 groups (their shares as p(x)) and the standard error of the estimator's mean.

    The estimator's q(z) is the mixture of the groups exactly, so its mean is unbiased for I; each
    point's term log q(z | x) − log q(z) has a variance integrated on a grid, point by point independent.
    """
    sizes, mu, sigma = (np.array(_GROUPS[k], dtype=float) for k in ("sizes", "mu", "sigma"))
    weights = sizes / sizes.sum()
    z = np.linspace(-25, 25, 200_001)
    dz = z[1] - z[0]
    log_components = -0.5 * ((z[None] - mu[:, None]) / sigma[:, None]) ** 2 - np.log(sigma[:, None]) - 0.5 * LOG_2PI
    log_mixture = np.logaddexp.reduce(log_components + np.log(weights[:, None]), axis=0)
    information, variance = 0.0, 0.0
    for k in range(len(sizes)):
        density = np.exp(log_components[k])
        term = log_components[k] - log_mixture
        mean_k = (density * term).sum() * dz
        information += weights[k] * mean_k
        variance += sizes[k] * ((density * term**2).sum() * dz - mean_k**2)
    return float(information), math.sqrt(variance) / sizes.sum()


def _judge_mutual_information(data) -> Verdict:
    lines = [
        close(
            "an encoder that ignores x (σ_z = (0.5, 2)): every point's term is 0 whatever z",
            data["same"],
            torch.zeros(300),
            atol=1e-9,
        )
    ]
    labels = _grouped(_FAR["sizes"])[:, 0].long()
    n = sum(_FAR["sizes"])
    expected = torch.tensor([math.log(n / _FAR["sizes"][k]) for k in labels.tolist()], dtype=_F64)
    lines.append(
        close(
            "two far-apart groups of 300 and 100 points, each with its own σ_z: log(N / group size) for every point",
            data["far"],
            expected,
            atol=1e-6,
        )
    )
    ours = data["overlap"]
    n = sum(_GROUPS["sizes"])
    if not isinstance(ours, torch.Tensor) or ours.shape != (n,):
        shape = tuple(ours.shape) if isinstance(ours, torch.Tensor) else type(ours).__name__
        lines.append((False, f"three overlapping groups: shape {shape}, expected ({n},)"))
    else:
        truth, se = _overlap_truth()
        estimate = ours.double().mean().item()
        ok = bool(abs(estimate - truth) < 5 * se)
        lines.append(
            (
                ok,
                "three overlapping groups, σ_z = 0.2, 1, 3 by group: the mean is I(x; z) within 5 standard errors"
                + ("" if ok else f" — got {estimate:.4f}, expected {truth:.4f} ± {se:.4f}"),
            )
        )
    return Verdict.of(*lines)


register(
    Check("03_vae_2d/mutual_information", ("mutual_information",), _run_mutual_information, _judge_mutual_information)
)


# ------------------------------------------------------------------------------------ iwae_bound
def _exact_model() -> tuple[VAE, torch.Tensor, torch.Tensor]:
    """A linear-Gaussian VAE whose encoder is the exact posterior, points x (one far), and log p(x).

    x = Wz + b + noise, Ψ = diag σ_x², W = Ψ^½ R D (R a rotation): WᵀΨ⁻¹W = D² is diagonal, so the
    posterior N(S WᵀΨ⁻¹(x − b), S), S = (I + D²)⁻¹, is a diagonal Gaussian the encoder gives exactly.
    """
    angle = math.pi / 6
    R = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], dtype=_F64)
    sx = torch.tensor([0.5, 1.5], dtype=_F64)
    D = torch.tensor([2.0, 0.7], dtype=_F64)
    W = torch.diag(sx) @ R @ torch.diag(D)
    b = torch.tensor([1.0, -2.0], dtype=_F64)
    S = 1 / (1 + D**2)
    M = torch.diag(S) @ W.T @ torch.diag(sx**-2)
    encoder = _Affine(M, -M @ b, torch.zeros(2, 2), 0.5 * S.log())
    decoder = _Affine(W, b, torch.zeros(2, 2), sx.log())
    x = torch.cat([_points(5, 3040, scale=2.0), torch.tensor([[300.0, -400.0]], dtype=_F64)])
    marginal = torch.distributions.MultivariateNormal(b, W @ W.T + torch.diag(sx**2))
    return VAE(encoder, decoder, z_dim=2), x, marginal.log_prob(x)


_IWAE_Q = {"w": (1.5, -0.8), "b": (0.2, 0.1), "sx": (0.6, 0.9), "shift": 0.5, "widen": 1.8}
_X0 = (1.0, -0.5)


def _inexact_parts():
    """1-D z: the exact posterior N(m, s²) at x₀, the encoder's N(m + 0.5 s, (1.8 s)²), and log p(x₀)."""
    w, b, sx = (torch.tensor(_IWAE_Q[k], dtype=_F64) for k in ("w", "b", "sx"))
    x0 = torch.tensor(_X0, dtype=_F64)
    precision = 1 + (w**2 / sx**2).sum()
    s = precision.rsqrt()
    m = (w / sx**2 * (x0 - b)).sum() / precision
    log_px = torch.distributions.MultivariateNormal(b, torch.outer(w, w) + torch.diag(sx**2)).log_prob(x0)
    return w, b, sx, m, s, log_px


def _inexact_model() -> VAE:
    w, b, sx, m, s, _ = _inexact_parts()
    q_mean, q_log_sigma = m + _IWAE_Q["shift"] * s, (_IWAE_Q["widen"] * s).log()
    encoder = _Affine(torch.zeros(1, 2), q_mean.reshape(1), torch.zeros(1, 2), q_log_sigma.reshape(1))
    decoder = _Affine(w.reshape(2, 1), b, torch.zeros(2, 1), sx.log())
    return VAE(encoder, decoder, z_dim=1)


def _run_iwae_bound(ns):
    f = ns["iwae_bound"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3041)
        vae, x, _ = _exact_model()
        out = {f"exact_{k}": f(vae, x, k=k) for k in (1, 7)}
        x0 = torch.tensor([_X0], dtype=_F64).expand(_N_DRAWS, -1).clone()
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
        what = f"q ≠ posterior (1-D z), K = {k}, one point {_N_DRAWS} times"
        if not isinstance(ours, torch.Tensor) or ours.shape != (_N_DRAWS,) or not bool(torch.isfinite(ours).all()):
            lines.append(close(what, ours, torch.zeros(_N_DRAWS), atol=math.inf))
            continue
        mean, var = _inexact_truth(k)
        se = math.sqrt(var / _N_DRAWS)
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
            "seminar_utils.models.VAE.iwae",
        ),
    )
)


# -------------------------------------------------------------------------------- rate_distortion
_N_RD = 3000


def _rd_model() -> VAE:
    """A VAE that uses its latent (a rate of about 1.6 nats per point), with x-dependent σ_z."""
    encoder = _Affine([[0.6, 0.3], [-0.2, 0.5]], [0.1, -0.1], [[0.3, 0.0], [0.0, -0.2]], [-0.9, -0.6])
    decoder = _Affine([[1.4, 0.3], [-0.5, 1.1]], [0.2, 0.4], torch.zeros(2, 2), [math.log(0.7), math.log(0.5)])
    return VAE(encoder, decoder, z_dim=2)


def _rd_summary(result):
    if not isinstance(result, Mapping):
        return f"a {type(result).__name__}"
    return {str(k): _number(v) for k, v in result.items()}


def _run_rate_distortion(ns):
    f = ns["rate_distortion"]
    vae, x = _rd_model(), _points(_N_RD, 3042, scale=1.5)
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
    vae, x = _rd_model(), _points(_N_RD, 3042, scale=1.5)
    mu, log_sigma = vae.encode(x)
    kl = _kl_per_dim(mu, log_sigma).sum(-1)
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


# ----------------------------------------------------------------------------------- FreeBitsVAE
def _between_encoder() -> _Affine:
    """Per point, KL of dimension 1 below 0.3 nats and of dimension 2 above 1.7: λ = 0.8 lies between."""
    return _Affine([[0.15, 0.0], [0.1, 0.0]], [0.0, 1.8], [[0.0, 0.1], [0.0, 0.1]], [-0.2, -0.8])


_LAMBDAS = (0.0, 0.8, 100.0)


def _run_free_bits(ns):
    cls = ns["FreeBitsVAE"]
    out = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3044)
        x = _points(7, 3045, scale=2.0)
        out["tiny"] = _tensors(cls(_tiny_encoder(), _curved_decoder()).loss_terms(x, free_bits=0.0))
        model = cls(_between_encoder(), _curved_decoder())
        out["between"] = {str(lam): _tensors(model.loss_terms(x, free_bits=lam)) for lam in _LAMBDAS}
        encoder, decoder, x0 = _sampling_pair()
        out["draws"] = _tensors(cls(encoder, decoder).loss_terms(x0.expand(_N_DRAWS, -1).clone(), free_bits=0.5))
    return out


def _judge_free_bits(data) -> Verdict:
    x = _points(7, 3045, scale=2.0)
    decoder = _curved_decoder()
    lines = []
    with torch.no_grad():
        mu, log_sigma = _tiny_encoder()(x)
        kl, recon = _kl_per_dim(mu, log_sigma).sum(-1), _gaussian_nll(x, *decoder(mu))
        what = "free_bits = 0, σ_z ≈ e⁻³⁰ (z = μ_z)"
        lines += [
            _term(what, data["tiny"], "recon", recon, 1e-8),
            _term(what, data["tiny"], "kl", kl, 1e-8),
            _term(what, data["tiny"], "loss", recon + kl, 1e-8),
        ]
        kl_j = _kl_per_dim(*_between_encoder()(x))
    for lam in _LAMBDAS:
        terms = data["between"][str(lam)]
        what = f"free_bits = {lam:g} (KL₁ < 0.3, KL₂ > 1.7 at every point)"
        lines.append(_term(f"{what}: the true KL", terms, "kl", kl_j.sum(-1), 1e-9))
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
    encoder, decoder, x0 = _sampling_pair()
    terms = data["draws"]
    if isinstance(terms, str) or "recon" not in terms:
        lines.append(_term("one point, 20,000 times", terms, "recon", torch.zeros(_N_DRAWS), 0.0))
    else:
        lines += _moments_lines("recon at σ_z = (0.6, 1.3)", terms["recon"], encoder, decoder, x0)
    return Verdict.of(*lines)


register(Check("03_vae_2d/FreeBitsVAE", ("FreeBitsVAE",), _run_free_bits, _judge_free_bits))


# ---------------------------------------------------------------------------------- active_units
_VARIANCES = (4.0, 0.5, 0.05, 2e-3, 1e-6, 0.0)  # of μ_z's 6 columns; std of the 4th and 5th: 0.045, 0.001
_THRESHOLDS = (None, 0.1, 1.0, 1e-4)


def _activity_encoder(n: int, seed: int):
    """encode(x) for x (n, 2) whose μ_z columns have exactly the sample variances _VARIANCES (each with
    a mean far from 0) and whose log σ_z varies strongly in two columns where μ_z does not."""
    g = torch.Generator().manual_seed(seed)
    shapes = torch.randn(n, len(_VARIANCES), generator=g, dtype=_F64)
    shapes = (shapes - shapes.mean(0)) / shapes.std(0)
    columns = shapes * torch.tensor(_VARIANCES, dtype=_F64).sqrt() + torch.linspace(
        1.0, 3.0, len(_VARIANCES), dtype=_F64
    )

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
            x = _points(n, seed + 10)
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
