"""How good is a trained VAE on a data set: −ELBO, the IWAE estimate of −log p(x), bits per dimension.

The per-example formulas are :mod:`seminar_utils.losses` (``elbo``, ``iwae``, ``bits_per_dim``); here
they are averaged over a data set in batches, seeded without disturbing the global random state,
with the standard error of each mean (a comparison of two models should carry it), and optionally
cached beside the checkpoints so that a second run of a notebook is instant.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import as_examples, as_tensor, check_int, module_device_dtype
from .checkpoints import cached_json, fingerprint
from .losses import bits_per_dim

__all__ = ["likelihood_metrics", "mean_se", "per_example_bounds"]

FORMAT = 2  # of the cached results: bump when the keys or their meaning change


def mean_se(values) -> tuple[float, float]:
    """The mean of per-example values ``(N,)`` and its standard error std / √N (NaN for N = 1)."""
    values = as_tensor(values, "values", ndim=1, integers="cast", array_like=True, detach=True).double().cpu()
    if len(values) == 0:
        raise ValueError("values must hold at least one number")
    se = values.std().item() / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return values.mean().item(), se


@torch.no_grad()
def per_example_bounds(
    model: nn.Module, x, k: int, batch_size: int = 100, chunk_size: int = 50, seed: int = 0
) -> dict[str, torch.Tensor]:
    """``{"neg_elbo": (N,), "nll_iwae": (N,)}`` in nats on the CPU: −ELBO (one z per example) and
    −IWAE with ``k`` importance samples (an upper bound on −log p(x) that tightens as k grows).

    ``model`` is a VAE (``elbo(x)``, ``iwae(x, k, chunk_size)``); ``x`` ``(N, ...)`` is moved to its
    device in batches of ``batch_size``. Seeded with ``seed``; the global random state is untouched.
    """
    k = check_int(k, "k")
    batch_size = check_int(batch_size, "batch_size")
    chunk_size = check_int(chunk_size, "chunk_size")
    seed = check_int(seed, "seed", low=0, high=2**63)
    x = as_examples(x, "x")
    device = module_device_dtype(model)[0]
    was_training = model.training
    model.eval()
    neg_elbo, nll = [], []
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            for batch in x.split(batch_size):
                batch = batch.to(device)
                neg_elbo.append(-model.elbo(batch).elbo.double().cpu())
                nll.append(-model.iwae(batch, k, chunk_size=min(chunk_size, k)).double().cpu())
    finally:
        model.train(was_training)
    return {"neg_elbo": torch.cat(neg_elbo), "nll_iwae": torch.cat(nll)}


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
    ``cache=True`` keeps the result beside the checkpoints, keyed by the weights, the data and the
    settings (:func:`seminar_utils.checkpoints.cached_json`).
    """
    x = as_examples(x, "x")
    if cache:
        device = module_device_dtype(model)[0]
        config = {
            "format": FORMAT,
            "weights": fingerprint(*model.state_dict().values()),
            "data": fingerprint(x),
            "k": k,
            "batch_size": batch_size,
            "chunk_size": chunk_size,
            "seed": seed,
            "device": device.type,
        }
        return cached_json(
            "metrics",
            config,
            lambda: likelihood_metrics(model, x, k, batch_size=batch_size, chunk_size=chunk_size, seed=seed),
        )
    bounds = per_example_bounds(model, x, k, batch_size=batch_size, chunk_size=chunk_size, seed=seed)
    n = len(x)
    result: dict[str, float] = {"n": n}
    for name, values in bounds.items():
        result[name], result[f"{name}_se"] = mean_se(values)
    result["bits_per_dim"] = float(bits_per_dim(result["nll_iwae"], x[0].numel()))
    return result
