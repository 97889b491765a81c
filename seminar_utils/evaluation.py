"""How good is a trained VAE on a data set: −ELBO, the IWAE estimate of −log p(x), bits per dimension.

The per-example formulas are :mod:`seminar_utils.losses` (``elbo``, ``iwae``, ``bits_per_dim``); here
they are averaged over a data set in batches, seeded without disturbing the global random state,
with the standard error of each mean (a comparison of two models should carry it), and optionally
cached beside the checkpoints so that a second run of a notebook is instant.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from ._checks import as_examples, as_tensor, check_int
from .checkpoints import cached_json, fingerprint
from .losses import bits_per_dim, iwae_log_weights
from .runtime import module_device_dtype

__all__ = [
    "cached_evaluation",
    "iwae_by_k",
    "likelihood_metrics",
    "log_importance_weights",
    "mean_se",
    "per_example_bounds",
]

FORMAT = 3  # of the cached results: bump when the keys or their meaning change


def mean_se(values) -> tuple[float, float]:
    """The mean of per-example values ``(N,)`` and its standard error std / √N (NaN for N = 1)."""
    values = as_tensor(values, "values", ndim=1, integers="cast", array_like=True, detach=True).double().cpu()
    if len(values) == 0:
        raise ValueError("values must hold at least one number")
    se = values.std().item() / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return values.mean().item(), se


def _batches(model: nn.Module, x, batch_size: int, seed: int):
    """``x`` ``(N, ...)`` in batches on the model's device, in eval mode, under ``torch.no_grad()``,
    with torch's generator seeded by ``seed``; the global random state and the mode are restored."""
    batch_size = check_int(batch_size, "batch_size")
    seed = check_int(seed, "seed", low=0, high=2**63)
    x = as_examples(x, "x")
    device = module_device_dtype(model)[0]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            for batch in x.split(batch_size):
                yield batch.to(device)
    finally:
        model.train(was_training)


def per_example_bounds(
    model: nn.Module, x, k: int, batch_size: int = 100, chunk_size: int = 50, seed: int = 0
) -> dict[str, torch.Tensor]:
    """``{"neg_elbo": (N,), "nll_iwae": (N,)}`` in nats on the CPU: −ELBO (one z per example) and
    −IWAE with ``k`` importance samples (an upper bound on −log p(x) that tightens as k grows).

    ``model`` is a VAE (``elbo(x)``, ``iwae(x, k, chunk_size)``); ``x`` ``(N, ...)`` is moved to its
    device in batches of ``batch_size``. Seeded with ``seed``; the global random state is untouched.
    """
    k = check_int(k, "k")
    chunk_size = check_int(chunk_size, "chunk_size")
    neg_elbo, nll = [], []
    for batch in _batches(model, x, batch_size, seed):
        neg_elbo.append(-model.elbo(batch).elbo.double().cpu())
        nll.append(-model.iwae(batch, k, chunk_size=min(chunk_size, k)).double().cpu())
    return {"neg_elbo": torch.cat(neg_elbo), "nll_iwae": torch.cat(nll)}


def mean_neg_elbo(model: nn.Module, x, n_samples: int = 5, batch_size: int = 500, seed: int = 0) -> float:
    """The mean −ELBO of the examples ``x`` ``(N, ...)`` in nats, each from ``n_samples`` draws of z:
    the same draws for every model of the same shape (seeded like :func:`per_example_bounds`; the
    global random state is untouched). How seminars 04 and 06 measure training and validation digits alike."""
    n_samples = check_int(n_samples, "n_samples")
    values = [-model.elbo(batch, n_samples=n_samples).elbo.cpu() for batch in _batches(model, x, batch_size, seed)]
    return torch.cat(values).mean().item()


def log_importance_weights(
    model: nn.Module, x, n_samples: int, batch_size: int = 100, chunk_size: int = 50, seed: int = 0
) -> torch.Tensor:
    """log p(x, z_s) − log q(z_s | x, φ) for ``n_samples`` draws z_s ~ q(z | x, φ) per example:
    ``(n_samples, N)`` float64 on the CPU (:func:`seminar_utils.losses.iwae_log_weights`), seeded
    like :func:`per_example_bounds`; :func:`iwae_by_k` turns them into IWAE estimates."""
    n_samples = check_int(n_samples, "n_samples")
    chunk_size = check_int(chunk_size, "chunk_size")
    weights = []
    for batch in _batches(model, x, batch_size, seed):
        mu_z, log_sigma_z = model.encode(batch)
        log_w = iwae_log_weights(batch, mu_z, log_sigma_z, model.log_likelihood, n_samples, min(chunk_size, n_samples))
        weights.append(log_w.double().cpu())
    return torch.cat(weights, dim=1)


def iwae_by_k(log_weights, ks) -> dict[str, list]:
    """IWAE estimates of −log p(x) for several K from the same draws, with their Monte Carlo errors.

    ``log_weights`` ``(S, N)``: S log importance weights (finite) of each of N examples, S, N >= 1.
    For each K in ``ks`` (a non-empty list of divisors of S, or one integer) the S draws make
    ``groups`` = S / K disjoint sets of K, each an independent IWAE estimate L_K of every example. Returns lists, one entry per K: ``k``, ``groups``, ``nll``
    (−the mean over groups and examples: an estimate of the mean over these N examples of −E[L_K],
    which falls towards the mean −log p(x) as K grows), ``mc_se`` (its Monte Carlo standard error
    given the examples; NaN with a single group) and ``digit_se`` (the standard error of the mean
    over the examples, as if they were drawn from a larger set: what another N examples would change).
    """
    log_weights = as_tensor(log_weights, "log_weights", ndim=2, integers="cast", finite=True, detach=True).double()
    n_draws, n = log_weights.shape
    if n_draws == 0 or n == 0:
        raise ValueError(f"log_weights must be (S, N) with S >= 1 draws of N >= 1 examples, got shape {(n_draws, n)}")
    if isinstance(ks, numbers.Integral) and not isinstance(ks, bool):
        ks = [ks]  # one K
    if isinstance(ks, (str, bytes)) or not isinstance(ks, Iterable):
        raise ValueError(f"ks must be a list of positive integers (divisors of the {n_draws} draws), got {ks!r}")
    ks = list(ks)
    if not ks:
        raise ValueError(f"ks must hold at least one K (a divisor of the {n_draws} draws), got an empty list")
    result: dict[str, list] = {"k": [], "groups": [], "nll": [], "mc_se": [], "digit_se": []}
    for k in ks:
        k = check_int(k, "every entry of ks", high=n_draws + 1)
        if n_draws % k:
            raise ValueError(f"every entry of ks must divide the {n_draws} draws, got {k}")
        groups = n_draws // k
        estimates = torch.logsumexp(log_weights.reshape(groups, k, n), dim=1) - math.log(k)  # (groups, N)
        mc_se = (estimates.var(dim=0).sum() / groups).sqrt().item() / n if groups > 1 else math.nan
        digit_se = mean_se(estimates.mean(dim=0))[1]
        for name, value in zip(result, (k, groups, -estimates.mean().item(), mc_se, digit_se)):
            result[name].append(value)
    return result


def cached_evaluation(name: str, compute: Callable[[], dict], model: nn.Module, data, **settings: Any) -> dict:
    """``compute()`` (a JSON-able dict), kept beside the checkpoints under ``name`` and computed again
    only when the model's weights, the ``data`` or the ``settings`` change
    (:func:`seminar_utils.checkpoints.cached_json`): a second run of a notebook is instant."""
    config = {
        "format": FORMAT,
        "weights": fingerprint(*model.state_dict().values()),
        "data": fingerprint(as_examples(data, "data")),
        "device": module_device_dtype(model)[0].type,
        **settings,
    }
    return cached_json(name, config, compute)


def likelihood_metrics(
    model: nn.Module,
    x,
    k: int,
    batch_size: int = 100,
    chunk_size: int = 50,
    seed: int = 0,
    cache: bool = False,
) -> dict[str, float]:
    """Test figures of a VAE on ``x`` ``(N, ...)``: means over the N examples and their standard errors.

    ``neg_elbo`` (nats), ``nll_iwae`` (−IWAE with ``k`` samples, nats), ``bits_per_dim`` (nll_iwae
    / (D · ln 2), D the dimensions of one example), ``neg_elbo_se`` and ``nll_iwae_se`` (standard
    errors of the two means over the examples), ``n``. See :func:`per_example_bounds`.
    ``cache=True`` keeps the result beside the checkpoints (:func:`cached_evaluation`).
    """
    x = as_examples(x, "x")
    if cache:
        return cached_evaluation(
            "metrics",
            lambda: likelihood_metrics(model, x, k, batch_size=batch_size, chunk_size=chunk_size, seed=seed),
            model,
            x,
            k=k,
            batch_size=batch_size,
            chunk_size=chunk_size,
            seed=seed,
        )
    bounds = per_example_bounds(model, x, k, batch_size=batch_size, chunk_size=chunk_size, seed=seed)
    n = len(x)
    result: dict[str, float] = {"n": n}
    for name, values in bounds.items():
        result[name], result[f"{name}_se"] = mean_se(values)
    result["bits_per_dim"] = float(bits_per_dim(result["nll_iwae"], x[0].numel()))
    return result
