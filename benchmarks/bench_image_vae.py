"""Benchmark: the conv VAE of notebooks/04_vae_images.ipynb (full mode) on the "mnist5k" split.

Trains from scratch (no checkpoint), with the recipe the notebook uses
(``seminar_utils.recipes.vae_images().main``, called RECIPE below):
the 4,000 training digits minus a validation slice of RECIPE.n_val for early stopping (the test set
is never used to choose anything), then measures on the 1,000 test digits the −ELBO and the IWAE
estimate of −log p(x) with K = RECIPE.iwae_k importance samples, in nats and bits per dimension.

Goal (on a 2-core laptop CPU): test_nll_iwae ≤ 87.5 nats with train_s ≤ 120.
The last line printed is one JSON object: test_elbo (the test −ELBO, nats), test_nll_iwae (nats),
bits_per_dim, train_s.

    python benchmarks/bench_image_vae.py            # SEMINAR_DEVICE=cpu to force the CPU
"""

from __future__ import annotations

import json
import os
import platform
import time

import torch

from seminar_utils.evaluation import likelihood_metrics
from seminar_utils.mnist import load_mnist
from seminar_utils.recipes import vae_images
from seminar_utils.runtime import get_device, seed_everything
from seminar_utils.training import fit
from seminar_utils.vae import count_parameters


def main() -> dict:
    # a benchmark measures what people get: the full-mode recipe, whatever SEMINAR_FAST says
    if os.environ.pop("SEMINAR_FAST", "").strip() not in ("", "0"):
        print("note: SEMINAR_FAST is ignored here; the benchmark always uses the full-mode recipe")
    RECIPE = vae_images().main
    device = get_device()
    print(
        f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}"
    )
    print(f"recipe: {RECIPE}")
    data = load_mnist("mnist5k")
    x_fit, x_val = RECIPE.split(data.x_train)
    print(
        f"training images {len(x_fit)} ({len(data.x_train) - RECIPE.n_val} digits × shifts), "
        f"validation {len(x_val)}, test {len(data.x_test)}"
    )

    seed_everything(RECIPE.seed)
    model = RECIPE.model()
    print(f"conv VAE, z_dim = {RECIPE.z_dim}: {count_parameters(model):,} parameters")
    start = time.perf_counter()
    history = fit(model, x_fit, x_val, device=device, progress=False, **RECIPE.fit_kwargs())
    train_s = time.perf_counter() - start
    print(
        f"trained {len(history)} epochs in {train_s:.1f} s; best validation −ELBO "
        f"{min(history.test['loss']):.2f} nats after epoch {history.best_epoch}"
    )

    start = time.perf_counter()
    metrics = likelihood_metrics(model, data.x_test, k=RECIPE.iwae_k)
    eval_s = time.perf_counter() - start
    print(f"test −ELBO                 {metrics['neg_elbo']:.2f} nats")
    print(
        f"test NLL, IWAE K = {RECIPE.iwae_k:<4}   {metrics['nll_iwae']:.2f} nats "
        f"({metrics['bits_per_dim']:.4f} bits/dim)   [evaluation {eval_s:.1f} s]"
    )
    print(
        f"goal: NLL ≤ 87.5 nats within 120 s of training -> "
        f"{'met' if metrics['nll_iwae'] <= 87.5 and train_s <= 120 else 'not met'}"
    )
    result = {
        "test_elbo": round(metrics["neg_elbo"], 3),
        "test_nll_iwae": round(metrics["nll_iwae"], 3),
        "bits_per_dim": round(metrics["bits_per_dim"], 5),
        "train_s": round(train_s, 2),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
