"""Where a :class:`~seminar_utils.variants.VariantVAE` loses nats, and what its code uses.

* :func:`best_local_params`: the q of the model's own family that maximizes one digit's ELBO, found
  by Adam on its parameters from the encoder's output, the decoder and prior fixed.
* :func:`gap_bounds`: per digit, −ELBO with the encoder's q and with that best q, and −log p(x)
  estimated by IWAE with the best q as proposal. Then (Cremer, Li & Duvenaud 2018)
  amortization gap = −ELBO(encoder) + ELBO(best q), approximation gap = −ELBO(best q) + log p(x).
* :func:`active_units`: the units u with Cov_x(E_q[z_u]) > threshold (Burda et al. 2016).
* :func:`log_aggregate_posterior`: log q_agg(z) = log (1/N) Σ_i q(z | x_i) for a diagonal
  Gaussian family (the "holes" of seminar 04: where q_agg is small and p(z) is not).
"""

from __future__ import annotations

import math

import torch

from ._checks import as_tensor, check_int, check_real

__all__ = ["active_units", "best_local_params", "gap_bounds", "log_aggregate_posterior"]


def best_local_params(model, x, steps: int, n_samples: int = 8, lr: float = 0.05, seed: int = 0, init=None):
    """``(params, trace)``: q's parameters ``(batch, n_params)`` optimized per digit (Adam, ``steps``
    steps of ``n_samples``-sample ELBOs) from the encoder's output (or from ``init``, e.g. another
    family's parameters mapped to this one), and the mean −ELBO every 10 steps.

    Only these parameters move: the model's own parameters get no gradient and are left unchanged.
    Seeded by ``seed``; the global random state is restored afterwards.
    """
    steps, n_samples = check_int(steps, "steps", low=0), check_int(n_samples, "n_samples")
    lr = check_real(lr, "lr", low=0.0)
    flags = [p.requires_grad for p in model.parameters()]
    model.requires_grad_(False)
    trace = []
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            with torch.no_grad():
                start = model.posterior_params(x) if init is None else as_tensor(init, "init", ndim=2)
                params = start.detach().clone()
            params.requires_grad_(True)
            optimizer = torch.optim.Adam([params], lr=lr)
            for step in range(steps):
                neg_elbo = -model.log_weights_from(x, params, n_samples).mean(dim=0)  # (batch,)
                optimizer.zero_grad()
                neg_elbo.sum().backward()  # each digit's parameters only change its own term
                optimizer.step()
                if step % 10 == 0:
                    trace.append(neg_elbo.mean().item())
    finally:
        for p, flag in zip(model.parameters(), flags):
            p.requires_grad_(flag)
    return params.detach(), trace


def _chunked_log_weights(model, x, params, k: int, chunk: int) -> torch.Tensor:
    return torch.cat([model.log_weights_from(x, params, min(chunk, k - s)) for s in range(0, k, chunk)])


def gap_bounds(
    model,
    x,
    steps: int,
    k: int,
    n_samples: int = 8,
    lr: float = 0.05,
    eval_samples: int = 500,
    seed: int = 0,
    init=None,
) -> dict[str, list]:
    """Per digit of ``x``: ``neg_elbo_encoder`` (of the encoder's q, or of ``init`` when given),
    ``neg_elbo_best`` (``eval_samples`` draws each), ``nll`` (−L_k with the best q as proposal),
    lists of floats; ``trace`` of the optimization."""
    k, eval_samples = check_int(k, "k"), check_int(eval_samples, "eval_samples")
    best, trace = best_local_params(model, x, steps, n_samples, lr, seed, init)
    with torch.no_grad(), torch.random.fork_rng():
        torch.manual_seed(seed + 1)
        encoder = model.posterior_params(x) if init is None else as_tensor(init, "init", ndim=2)
        enc = _chunked_log_weights(model, x, encoder, eval_samples, 250).mean(dim=0)
        opt = _chunked_log_weights(model, x, best, eval_samples, 250).mean(dim=0)
        log_w = _chunked_log_weights(model, x, best, k, 250)
        nll = -(torch.logsumexp(log_w, dim=0) - math.log(k))
    return {
        "neg_elbo_encoder": (-enc).double().tolist(),
        "neg_elbo_best": (-opt).double().tolist(),
        "nll": nll.double().tolist(),
        "trace": trace,
    }


@torch.no_grad()
def active_units(model, x, n_samples: int = 100, threshold: float = 0.01, seed: int = 0) -> dict[str, object]:
    """``{"active": int, "variance": (z_dim,) list}``: Cov_x(E_q[z_u]) of each unit u over the
    examples ``x``, E_q[z] estimated from ``n_samples`` draws per example; the Monte Carlo part of the
    spread (mean over examples of Var_q / n_samples) is subtracted. Active: above ``threshold``."""
    n_samples = check_int(n_samples, "n_samples", low=2)
    threshold = check_real(threshold, "threshold", low=0.0)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        z, _ = model.family.rsample(model.posterior_params(x), n_samples)  # (S, N, z_dim)
    means = z.mean(dim=0).double()
    noise = (z.double().var(dim=0) / n_samples).mean(dim=0)
    variance = (means.var(dim=0) - noise).clamp_min(0.0)
    return {"active": int((variance > threshold).sum()), "variance": variance.tolist()}


def log_aggregate_posterior(z, mu, log_sigma, chunk_size: int = 256) -> torch.Tensor:
    """log q_agg(z) = log (1/N) Σ_i N(z | μ_i, diag σ_i²) at each ``z`` ``(M, D)``: ``(M,)``.

    ``mu``, ``log_sigma`` ``(N, D)``: the diagonal Gaussians q(z | x_i) of N examples.
    """
    z = as_tensor(z, "z", ndim=2)
    mu = as_tensor(mu, "mu", ndim=2)
    log_sigma = as_tensor(log_sigma, "log_sigma", ndim=2)
    if log_sigma.shape != mu.shape or z.shape[1] != mu.shape[1]:
        raise ValueError(
            f"mu and log_sigma must be (N, D) alike and z (M, D): got {tuple(mu.shape)}, "
            f"{tuple(log_sigma.shape)}, {tuple(z.shape)}"
        )
    chunk_size = check_int(chunk_size, "chunk_size")
    inv = torch.exp(-log_sigma)
    const = -log_sigma.sum(dim=1) - 0.5 * mu.shape[1] * math.log(2 * math.pi)
    out = []
    for part in z.split(chunk_size):
        d = ((part[:, None, :] - mu[None]) * inv[None]) ** 2
        out.append(torch.logsumexp(-0.5 * d.sum(-1) + const[None], dim=1) - math.log(len(mu)))
    return torch.cat(out)
