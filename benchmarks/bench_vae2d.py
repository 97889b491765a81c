"""Benchmark of the 2D seminar's VAE (notebook 03_vae_2d.ipynb), always in full mode.

Trains the notebook's VAE (``seminar_utils.recipes.vae_2d()``, full mode) on (a) the rotated Gaussian and
on (b) the axis-aligned one, and prints, for (a): the test −ELBO, the test NLL estimated by IWAE with
K = 1000, the true density's NLL of the same test points and the training seconds; for (b): the KL
term (posterior collapse) and its training seconds. The LAST line is one JSON object.

Goals: test_nll_iwae − true_nll ≤ 0.05 nats per point (the expected true NLL is the entropy
log(2πe) + log 5 ≈ 4.447); train_s ≤ 30 — the seconds of the training on (a) alone (fit's
per-epoch wall time summed; data generation and evaluation excluded); kl_axis_aligned ≤ 0.05.

    python benchmarks/bench_vae2d.py
"""

from __future__ import annotations

import json
import os
import platform

import torch

from seminar_utils import get_device, seed_everything
from seminar_utils.recipes import VAE2D, vae_2d
from seminar_utils.toy2d import load_2d
from seminar_utils.training import fit
from seminar_utils.vae import count_parameters, mlp_vae

# Two 64-unit layers: one thread is as fast as several and immune to other processes' load
# (the notebook sets the same).
torch.set_num_threads(1)


def train_and_measure(name: str, recipe: VAE2D, device: torch.device) -> dict:
    data = load_2d(name, **recipe.data)
    seed_everything(0)
    vae = mlp_vae(**recipe.model).to(device)
    history = fit(vae, data.train, data.test, device=device, progress=False, **recipe.fit)
    test = data.test.to(device)
    with torch.no_grad():
        torch.manual_seed(1)
        terms = vae.elbo(test, n_samples=100)
        nll_iwae = -vae.iwae(test, k=recipe.iwae_k, chunk_size=100).mean().item()
    return {
        "params": count_parameters(vae),
        "train_s": sum(history.epoch_seconds),
        "test_elbo": -terms.elbo.mean().item(),
        "test_kl": terms.kl.mean().item(),
        "test_nll_iwae": nll_iwae,
        "true_nll": data.true_nll(),
        "entropy": data.distribution.entropy().item(),  # the true density's expected NLL
    }


def main() -> None:
    os.environ.pop("SEMINAR_FAST", None)  # a benchmark measures what people get: full mode
    recipe = vae_2d()
    device = get_device()
    fit_kw = recipe.fit
    print(
        f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
        f"{platform.processor() or platform.machine()}"
    )
    print(f"model {recipe.model}, data {recipe.data}, fit {fit_kw}, IWAE K = {recipe.iwae_k}")
    a = train_and_measure("rotated", recipe, device)
    b = train_and_measure("axis_aligned", recipe, device)
    print(f"parameters: {a['params']}")
    print(f"(a) rotated:      train {a['train_s']:.1f} s ({fit_kw['epochs']} epochs)")
    print(f"    test -ELBO (100 samples per point) {a['test_elbo']:.4f} nats")
    print(f"    test NLL, IWAE K={recipe.iwae_k}          {a['test_nll_iwae']:.4f} nats")
    print(
        f"    true NLL of the same points        {a['true_nll']:.4f} nats "
        f"(expected value, the entropy: {a['entropy']:.4f})"
    )
    print(f"    IWAE NLL - true NLL                {a['test_nll_iwae'] - a['true_nll']:+.4f} nats (goal <= 0.05)")
    print(f"    KL term                            {a['test_kl']:.4f} nats")
    print(
        f"(b) axis-aligned: train {b['train_s']:.1f} s; KL term {b['test_kl']:.4f} nats (goal <= 0.05); "
        f"test -ELBO {b['test_elbo']:.4f}, IWAE NLL {b['test_nll_iwae']:.4f}, true NLL {b['true_nll']:.4f}"
    )
    print(f"train_s (training on (a) only) {a['train_s']:.1f} s (goal <= 30); on (b) {b['train_s']:.1f} s")
    print(
        json.dumps(
            {
                "test_elbo": round(a["test_elbo"], 4),
                "test_nll_iwae": round(a["test_nll_iwae"], 4),
                "true_nll": round(a["true_nll"], 4),
                "train_s": round(a["train_s"], 2),
                "kl_axis_aligned": round(b["test_kl"], 4),
                "train_s_axis_aligned": round(b["train_s"], 2),
                "nll_gap": round(a["test_nll_iwae"] - a["true_nll"], 4),
                "device": str(device),
            }
        )
    )


if __name__ == "__main__":
    main()
