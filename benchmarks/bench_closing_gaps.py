"""Benchmark: the four VAE variants of notebooks/06_closing_the_gaps.ipynb (full mode) on the "mnist5k" split.

Trains every variant (VAE, IWAE-trained, flow posterior, mixture prior) for each seed of the recipe
(``seminar_utils.recipes.closing_gaps()``, called RECIPE below) from scratch (no checkpoint), exactly
as the notebook does (one thread, the same seeds, the same decoder bias), and measures on the first
RECIPE.n_eval test digits the −ELBO and the IWAE estimate of −log p(x) with K = RECIPE.iwae_k, from
the same draws (the notebook's numbers: with the same weights they agree to the last digit).

Goal: every variant's mean NLL ≤ 115 nats (a regression in the bounds, the flows or the prior shows
as a jump), and each remedy's mean NLL below the VAE's (the direction the notebook reports).
The last line printed is one JSON object: per variant the mean and sd over seeds of test_nll_iwae and
test_elbo (nats), and train_s (the total training time).

    python benchmarks/bench_closing_gaps.py            # SEMINAR_DEVICE=cpu to force the CPU
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time

import torch

from seminar_utils.mnist import load_mnist
from seminar_utils.recipes import closing_gaps
from seminar_utils.runtime import get_device, seed_everything
from seminar_utils.training import fit
from seminar_utils.variants import mlp_variant


def main() -> dict:
    if os.environ.pop("SEMINAR_FAST", "").strip() not in ("", "0"):
        print("note: SEMINAR_FAST is ignored here; the benchmark always uses the full-mode recipe")
    RECIPE = closing_gaps()
    torch.set_num_threads(1)  # as the notebook: small networks, one thread
    device = get_device()
    print(f"device {device}, torch {torch.__version__}, 1 thread, {platform.processor() or platform.machine()}")
    data = load_mnist("mnist5k")
    x_fit, _ = RECIPE.split(data.x_train)
    x_eval = data.x_test[: RECIPE.n_eval].to(device)
    output_bias = torch.logit(x_fit.mean(dim=0).clamp(1e-3, 1 - 1e-3))
    print(
        f"{len(x_fit)} training digits, {RECIPE.fit}, seeds {RECIPE.seeds}; {len(x_eval)} test digits, K = {RECIPE.iwae_k}"
    )
    result, total = {}, 0.0
    for name in RECIPE.variants:
        nll, elbo = [], []
        for seed in RECIPE.seeds:
            seed_everything(seed)
            model = mlp_variant(**RECIPE.variant(name), output_bias=output_bias).to(device)
            start = time.perf_counter()
            fit(model, x_fit, None, device=device, progress=False, seed=seed, **RECIPE.fit)
            total += time.perf_counter() - start
            with torch.no_grad(), torch.random.fork_rng():
                torch.manual_seed(0)
                log_w = model.log_weights(x_eval, RECIPE.iwae_k, chunk_size=100).double()
            nll.append(-(torch.logsumexp(log_w, dim=0) - math.log(RECIPE.iwae_k)).mean().item())
            elbo.append(-log_w.mean().item())
        result[name] = {
            "test_nll_iwae": round(statistics.fmean(nll), 3),
            "test_nll_iwae_sd": round(statistics.stdev(nll), 3),
            "test_elbo": round(statistics.fmean(elbo), 3),
            "test_elbo_sd": round(statistics.stdev(elbo), 3),
        }
        print(
            f"{name:<15} −ELBO {result[name]['test_elbo']:7.2f} ± {result[name]['test_elbo_sd']:.2f}   "
            f"−L_{RECIPE.iwae_k} {result[name]['test_nll_iwae']:7.2f} ± {result[name]['test_nll_iwae_sd']:.2f} nats"
        )
    base = result["VAE"]["test_nll_iwae"]
    met = all(r["test_nll_iwae"] <= 115 for r in result.values()) and all(
        result[n]["test_nll_iwae"] < base for n in RECIPE.variants[1:]
    )
    print(f"training {total:.1f} s in all; goal -> {'met' if met else 'not met'}")
    result["train_s"] = round(total, 1)
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
