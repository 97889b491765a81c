"""The building blocks of :mod:`seminar_utils.exercises.s03`'s checks (its docstring says how they are used)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import torch
from torch import nn

from ..formulas import LOG_2PI
from .core import close

F64 = torch.float64


# ------------------------------------------------------------------------------------ building blocks
class Affine(nn.Module):
    """(mean, log σ) = (u Aᵀ + a, tanh(u) Bᵀ + b) in float64: an encoder (u = x) or a decoder (u = z)."""

    def __init__(self, A, a, B, b):
        super().__init__()
        self.A, self.a = nn.Parameter(torch.as_tensor(A, dtype=F64)), nn.Parameter(torch.as_tensor(a, dtype=F64))
        self.B, self.b = nn.Parameter(torch.as_tensor(B, dtype=F64)), nn.Parameter(torch.as_tensor(b, dtype=F64))
        self.z_dim = self.A.shape[0]  # as an encoder: the package's VAE reads it

    def forward(self, u):
        return u @ self.A.T + self.a, torch.tanh(u) @ self.B.T + self.b


def points(n: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    return scale * torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=F64)


def tiny_encoder() -> Affine:
    """μ_z depends on x, log σ_z ≈ −30: z = μ_z up to 1e-13 whatever the draw."""
    return Affine([[0.8, -0.5], [0.3, 1.1]], [0.2, -0.4], [[0.1, 0.0], [0.0, -0.1]], [-30.0, -30.0])


def moderate_encoder() -> Affine:
    """μ_z and σ_z both depend on x; σ_z between about 0.4 and 1.6."""
    return Affine([[0.7, -0.4], [0.5, 0.9]], [0.3, -0.2], [[0.4, -0.2], [0.1, 0.3]], [-0.3, 0.2])


def curved_decoder() -> Affine:
    """μ_x(z) affine, log σ_x(z) depends on z: the Gaussian log-likelihood's every term matters."""
    return Affine([[1.2, -0.6], [0.4, 0.9]], [0.5, -1.0], [[0.3, -0.2], [0.2, 0.4]], [-0.2, 0.4])


def sampling_pair() -> tuple[Affine, Affine, torch.Tensor]:
    """An encoder with σ_z = (0.6, 1.3), a linear decoder with a fixed σ_x, and the point x₀ they see."""
    encoder = Affine([[0.5, 0.2], [-0.3, 0.4]], [0.1, 0.3], torch.zeros(2, 2), [math.log(0.6), math.log(1.3)])
    decoder = Affine([[1.5, 0.4], [-0.7, 1.2]], [0.3, -0.2], torch.zeros(2, 2), [math.log(0.5), math.log(0.8)])
    return encoder, decoder, torch.tensor([[1.0, -0.5]], dtype=F64)


N_DRAWS = 20_000  # copies of x₀: the reconstruction's draws


def kl_per_dim(mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    return 0.5 * (mu**2 + torch.exp(2 * log_sigma) - 1) - log_sigma


def gaussian_nll(x, mean, log_sigma) -> torch.Tensor:
    return (0.5 * ((x - mean) * torch.exp(-log_sigma)) ** 2 + log_sigma + 0.5 * LOG_2PI).sum(-1)


@torch.no_grad()
def recon_moments(encoder: Affine, decoder: Affine, x0: torch.Tensor) -> tuple[float, float]:
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


def moments_lines(what: str, recon, encoder: Affine, decoder: Affine, x0: torch.Tensor) -> list[tuple[bool, str]]:
    """``recon`` (n,) holds −log p(x₀ | z_i) at n independent z_i ~ q(z | x₀): its mean and spread."""
    if not isinstance(recon, torch.Tensor) or recon.shape != (N_DRAWS,):
        shape = tuple(recon.shape) if isinstance(recon, torch.Tensor) else type(recon).__name__
        return [(False, f"{what}: shape {shape}, expected ({N_DRAWS},) (one value per point)")]
    recon = recon.double()
    if not bool(torch.isfinite(recon).all()):
        return [(False, f"{what}: NaN or inf among the values")]
    mean, var = recon_moments(encoder, decoder, x0)
    se = math.sqrt(var / N_DRAWS)
    ours_mean, ours_var = recon.mean().item(), recon.var().item()
    mean_ok = abs(ours_mean - mean) < 5 * se
    var_ok = abs(ours_var / var - 1) < 0.15
    return [
        (
            mean_ok,
            f"{what}: the mean over {N_DRAWS} copies of one point is E_q[−log p(x | z)] within 5 standard errors"
            + ("" if mean_ok else f" — got {ours_mean:.4f}, expected {mean:.4f} ± {se:.4f} (z = μ + σ ⊙ ε?)"),
        ),
        (
            var_ok,
            f"{what}: the values vary from point to point as one independent ε per point makes them (±15 %)"
            + ("" if var_ok else f" — variance {ours_var:.4g}, expected {var:.4g} (one ε per point, σ = exp(log σ)?)"),
        ),
    ]


def number(value):
    """A float from a number or a one-element tensor; a string saying what it is otherwise."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.dtype.is_complex:
        return float(value.detach().cpu().reshape(()))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return f"a {type(value).__name__}"


def tensors(terms) -> dict | str:
    """The student's dict of tensors as a plain dict (a string saying what it is otherwise)."""
    if not isinstance(terms, Mapping):
        return f"a {type(terms).__name__}"
    return {str(k): v if type(v) is torch.Tensor else f"a {type(v).__name__}" for k, v in terms.items()}


def term(what: str, terms, key: str, reference, atol: float) -> tuple[bool, str]:
    if isinstance(terms, str):
        return False, f"{what}: loss_terms returned {terms}, expected a dict with keys loss, recon, kl"
    if key not in terms:
        return False, f"{what}: no key {key!r} (keys: {', '.join(sorted(terms))})"
    return close(f"{what}, {key!r}", terms[key], reference, atol=atol)


def draws_lines(terms) -> list[tuple[bool, str]]:
    """The lines on ``loss_terms`` of :func:`sampling_pair`'s point drawn ``N_DRAWS`` times: the spread of
    its ``recon`` (a wrong σ or one ε shared by the batch shows there)."""
    encoder, decoder, x0 = sampling_pair()
    if isinstance(terms, str) or "recon" not in terms:
        return [term("one point, 20,000 times", terms, "recon", torch.zeros(N_DRAWS), 0.0)]
    return moments_lines("recon at σ_z = (0.6, 1.3)", terms["recon"], encoder, decoder, x0)
