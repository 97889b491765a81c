"""Every formula of the VAE seminars in one place: log-likelihoods, KL terms, the ELBO, the IWAE bound.

Conventions: the first dimension is the batch; every function returns per-example values of shape
``(batch,)`` in nats, summed over all other dimensions (so images ``(batch, 1, 28, 28)`` work too),
and leaves the reduction over the batch to the caller. Encoder q(z | x, φ) = N(μ_z, diag σ_z²),
decoder p(x | z, θ), prior p(z) = N(0, I). Scales are passed as log σ (any real number is valid).

Shapes and batch sizes are checked (a mismatch is a ``ValueError`` naming the argument); the data ``x`` is
checked for NaN/inf. Network outputs are not checked here: a NaN there shows up in the result, which ``fit`` reports.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ._checks import as_batch, as_data, as_param, as_tensor, check_int, check_real, same_shape
from .formulas import LOG_2PI

__all__ = [
    "ELBO",
    "bernoulli_log_likelihood",
    "bits_per_dim",
    "elbo",
    "gaussian_log_likelihood",
    "gaussian_log_likelihood_fixed",
    "iwae",
    "iwae_log_weights",
    "kl_diag_gaussians",
    "kl_standard_normal",
    "log_mean_exp",
    "reparameterize",
    "standard_normal_log_prob",
]

LogLikelihood = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class ELBO(NamedTuple):
    """The evidence lower bound of each example and its two terms, each ``(batch,)`` in nats.

    ``elbo = reconstruction - beta * kl``: ``reconstruction`` is the Monte Carlo estimate of
    E_q log p(x | z, θ), ``kl`` the closed-form KL(q(z | x, φ) ‖ p(z)).
    """

    elbo: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor


def _per_example(values: torch.Tensor) -> torch.Tensor:
    """Sum over every dimension but the first: ``(batch, ...) -> (batch,)``."""
    return values.reshape(values.shape[0], -1).sum(dim=1)


# ------------------------------------------------------------------------------ log-likelihoods
def gaussian_log_likelihood(x, mean, log_sigma) -> torch.Tensor:
    """log N(x | mean, diag σ²) per example, ``(batch,)`` in nats.

    ``x`` and ``mean`` are ``(batch, ...)``; ``log_sigma`` has their shape, or ``x.shape[1:]``
    (one σ per dimension shared by the batch), or is a scalar.
    Per dimension: −(x − μ)²/(2σ²) − log σ − ½ log 2π.
    """
    mean = as_tensor(mean, "mean", min_dim=1)
    x = same_shape(as_data(x, "x", mean), "x", mean, "mean")
    log_sigma = as_param(log_sigma, "log_sigma", x, "x")
    log_density = -0.5 * ((x - mean) * torch.exp(-log_sigma)) ** 2 - log_sigma - 0.5 * LOG_2PI
    return _per_example(log_density.expand_as(x))


def gaussian_log_likelihood_fixed(x, mean, sigma: float = 1.0) -> torch.Tensor:
    """log N(x | mean, σ² I) with a fixed σ, per example, ``(batch,)`` in nats.

    = −‖x − μ‖² / (2σ²) − (D/2)·log(2πσ²), D the number of dimensions of one example: the squared
    error (MSE) up to a scale 1/(2σ²) and an additive constant, so minimizing MSE is maximizing it.
    """
    mean = as_tensor(mean, "mean", min_dim=1)
    x = same_shape(as_data(x, "x", mean), "x", mean, "mean")
    sigma = check_real(sigma, "sigma", low=0.0)
    dims = x[0].numel()
    squared_error = _per_example((x - mean) ** 2)
    # 1/(2σ²) via log σ (σ² under/overflows beyond 1e∓154); when inf, an exact fit gives 0, any other x −inf
    scale = math.inf if (log_scale := -math.log(2.0) - 2.0 * math.log(sigma)) > 709.0 else math.exp(log_scale)
    quadratic = torch.where(squared_error > 0, squared_error * scale, torch.zeros_like(squared_error))
    return -quadratic - dims * (0.5 * LOG_2PI + math.log(sigma))


def bernoulli_log_likelihood(x, logits) -> torch.Tensor:
    """log Bernoulli(x | σ(logits)) per example, ``(batch,)`` in nats; ``x`` in [0, 1].

    x·l − softplus(l) per dimension = x·log σ(l) + (1 − x)·log(1 − σ(l)), computed without ever
    forming σ(l), so logits of ±100 give finite values (no log 0).
    """
    logits = as_tensor(logits, "logits", min_dim=1)
    x = same_shape(as_data(x, "x", logits), "x", logits, "logits")
    if ((x < 0) | (x > 1)).any():
        raise ValueError("x must lie in [0, 1] for a Bernoulli likelihood")
    return _per_example(x * logits - F.softplus(logits))


def standard_normal_log_prob(z) -> torch.Tensor:
    """log N(z | 0, I) per example, ``(batch,)`` in nats, for ``z`` of shape ``(batch, z_dim)``."""
    z = as_batch(z, "z")
    return _per_example(-0.5 * z**2 - 0.5 * LOG_2PI)


# ---------------------------------------------------------------------------------- KL divergence
def kl_standard_normal(mu, log_sigma) -> torch.Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − 2 log σ), ``(batch,)`` nats; μ, log σ ``(batch, z_dim)``."""
    mu = as_batch(mu, "mu")
    log_sigma = same_shape(log_sigma, "log_sigma", mu, "mu")
    return _per_example(0.5 * (mu**2 + torch.exp(2.0 * log_sigma) - 1.0) - log_sigma)


def kl_diag_gaussians(mu_q, log_sigma_q, mu_p, log_sigma_p) -> torch.Tensor:
    """KL(N(μ_q, diag σ_q²) ‖ N(μ_p, diag σ_p²)), ``(batch,)`` in nats.

    Per dimension: log σ_p − log σ_q + (σ_q² + (μ_q − μ_p)²) / (2σ_p²) − ½. ``mu_q`` and
    ``log_sigma_q`` are ``(batch, z_dim)``; the p parameters have that shape, ``(z_dim,)`` or are scalars.
    """
    mu_q = as_tensor(mu_q, "mu_q", min_dim=1)
    log_sigma_q = same_shape(log_sigma_q, "log_sigma_q", mu_q, "mu_q")
    mu_p = as_param(mu_p, "mu_p", mu_q, "mu_q")
    log_sigma_p = as_param(log_sigma_p, "log_sigma_p", mu_q, "mu_q")
    ratio = torch.exp(2.0 * (log_sigma_q - log_sigma_p)) + ((mu_q - mu_p) * torch.exp(-log_sigma_p)) ** 2
    return _per_example((log_sigma_p - log_sigma_q + 0.5 * (ratio - 1.0)).expand_as(mu_q))


# ---------------------------------------------------------------------------- reparameterization
def reparameterize(mu, log_sigma, n_samples: int | None = None) -> torch.Tensor:
    """z = μ + σ ⊙ ε with ε ~ N(0, I): a sample of q that gradients flow through to μ and σ.

    Returns the shape of ``mu`` (one ε per example), or ``(n_samples, *mu.shape)``.
    """
    mu = as_tensor(mu, "mu", min_dim=1)
    log_sigma = same_shape(log_sigma, "log_sigma", mu, "mu")
    n_samples = check_int(n_samples, "n_samples", allow_none=True)
    shape = mu.shape if n_samples is None else (n_samples, *mu.shape)
    eps = torch.randn(shape, dtype=mu.dtype, device=mu.device)
    return mu + torch.exp(log_sigma) * eps


def log_mean_exp(a: torch.Tensor, dim: int) -> torch.Tensor:
    """log((1/n) Σ exp(a)) along ``dim`` (n its size), stable for large |a| (via logsumexp)."""
    a = as_tensor(a, "a", min_dim=1)
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -a.dim() <= dim < a.dim():
        raise ValueError(
            f"dim must be an integer in [{-a.dim()}, {a.dim()}) for a of shape {tuple(a.shape)}, got {dim!r}"
        )
    dim = int(dim)
    if a.shape[dim] == 0:
        raise ValueError(f"a must have at least one element along dim={dim}")
    return torch.logsumexp(a, dim=dim) - math.log(a.shape[dim])


# ----------------------------------------------------------------------------- ELBO and IWAE
def _check_inputs(x, mu_z, log_sigma_z):
    mu_z = as_tensor(mu_z, "mu_z", min_dim=2)
    if mu_z.dim() != 2:
        raise ValueError(f"mu_z must be (batch, z_dim), got shape {tuple(mu_z.shape)}")
    log_sigma_z = same_shape(log_sigma_z, "log_sigma_z", mu_z, "mu_z")
    x = as_data(x, "x", mu_z)
    if x.shape[0] != mu_z.shape[0]:
        raise ValueError(
            f"x and mu_z must have the same batch size, got x {tuple(x.shape)} and mu_z {tuple(mu_z.shape)}"
        )
    return x, mu_z, log_sigma_z


def _sample_z(mu_z: torch.Tensor, log_sigma_z: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` reparameterized samples z = μ + σ ⊙ ε and their ε, each ``(n, batch, z_dim)``.

    Finite μ and log σ whose z overflow (σ = exp(log σ) too large for the dtype) are an error naming
    ``log_sigma_z``; a NaN already in the encoder's output is left to show in the result.
    """
    eps = torch.randn((n, *mu_z.shape), dtype=mu_z.dtype, device=mu_z.device)
    z = mu_z + torch.exp(log_sigma_z) * eps
    if (
        not bool(torch.isfinite(z).all())
        and bool(torch.isfinite(mu_z).all())
        and bool(torch.isfinite(log_sigma_z).all())
    ):
        raise ValueError(
            f"log_sigma_z is too large: exp(log_sigma_z) overflows {mu_z.dtype} and the "
            f"sampled z are inf (largest log_sigma_z {float(log_sigma_z.max()):.4g}); "
            "check the encoder's outputs"
        )
    return z, eps


def _log_likelihood_of_samples(log_likelihood: LogLikelihood, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x | z_s, θ) for ``z`` of shape ``(S, batch, z_dim)``: one decoder call, ``(S, batch)``."""
    n_samples, batch = z.shape[:2]
    x_rep = x.unsqueeze(0).expand(n_samples, *x.shape).reshape(n_samples * batch, *x.shape[1:])
    values = log_likelihood(x_rep, z.reshape(n_samples * batch, -1))
    if not isinstance(values, torch.Tensor) or values.shape != (n_samples * batch,):
        got = tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__
        raise ValueError(
            f"log_likelihood(x, z) must return shape (batch,) = ({n_samples * batch},) "
            f"for x {tuple(x_rep.shape)}, got {got}"
        )
    return values.reshape(n_samples, batch)


def elbo(x, mu_z, log_sigma_z, log_likelihood: LogLikelihood, n_samples: int = 1, beta: float = 1.0) -> ELBO:
    """The ELBO of each example: E_q log p(x | z, θ) − β·KL(q(z | x, φ) ‖ p(z)), ``(batch,)`` nats.

    ``x`` is ``(batch, ...)``; ``mu_z``, ``log_sigma_z`` the encoder's output ``(batch, z_dim)``;
    ``log_likelihood(x, z) -> (batch,)`` evaluates log p(x | z, θ) (a closure over the decoder).
    The expectation is estimated with ``n_samples`` reparameterized samples per example
    (z = μ_z + σ_z ⊙ ε, one ε per example and sample); the KL is in closed form.
    """
    x, mu_z, log_sigma_z = _check_inputs(x, mu_z, log_sigma_z)
    beta = check_real(beta, "beta", low=0.0, strict=False)
    z, _ = _sample_z(mu_z, log_sigma_z, check_int(n_samples, "n_samples"))  # (n_samples, batch, z_dim)
    reconstruction = _log_likelihood_of_samples(log_likelihood, x, z).mean(dim=0)
    kl = kl_standard_normal(mu_z, log_sigma_z)
    return ELBO(reconstruction - beta * kl, reconstruction, kl)


def iwae_log_weights(x, mu_z, log_sigma_z, log_likelihood: LogLikelihood, k: int, chunk_size: int | None = None):
    """log p(x, z_k) − log q(z_k | x) for ``k`` samples z_k ~ q per example, ``(k, batch)`` in nats.

    ``chunk_size`` samples go through the decoder at a time (the memory of an evaluation under
    ``torch.no_grad()``); chunking does not change the distribution of the result.
    """
    x, mu_z, log_sigma_z = _check_inputs(x, mu_z, log_sigma_z)
    k = check_int(k, "k")
    chunk_size = check_int(chunk_size, "chunk_size", allow_none=True) or k
    batch, z_dim = mu_z.shape
    log_weights = []
    for start in range(0, k, chunk_size):
        n = min(chunk_size, k - start)
        z, eps = _sample_z(mu_z, log_sigma_z, n)  # (n, batch, z_dim) each
        # log q(z | x) = Σ_j [−ε_j²/2 − log σ_j − ½ log 2π], since (z − μ)/σ = ε
        log_q = (-0.5 * eps**2 - log_sigma_z - 0.5 * LOG_2PI).sum(dim=-1)
        log_prior = standard_normal_log_prob(z.reshape(n * batch, z_dim)).reshape(n, batch)
        log_weights.append(_log_likelihood_of_samples(log_likelihood, x, z) + log_prior - log_q)
    return torch.cat(log_weights, dim=0)


def iwae(x, mu_z, log_sigma_z, log_likelihood: LogLikelihood, k: int, chunk_size: int | None = None) -> torch.Tensor:
    """The IWAE bound log (1/K) Σ_k p(x, z_k) / q(z_k | x) with z_k ~ q, ``(batch,)`` in nats: the
    log-mean-exp of :func:`iwae_log_weights`. K = 1 is a one-sample ELBO; the bound grows with K
    towards log p(x). With gradients on, every chunk's graph is kept for the backward pass.
    """
    return log_mean_exp(iwae_log_weights(x, mu_z, log_sigma_z, log_likelihood, k, chunk_size), dim=0)


def bits_per_dim(nll, dims: int):
    """A negative log-likelihood in nats per example, as bits per dimension: nll / (dims · ln 2).

    ``nll``: a finite real number or tensor (else a ``ValueError``); ``dims``: an example's dimensions (784 for MNIST).
    """
    dims = check_int(dims, "dims")
    nll = as_tensor(nll, "nll", integers="cast", finite=True) if torch.is_tensor(nll) else check_real(nll, "nll")
    return nll / (dims * math.log(2.0))
