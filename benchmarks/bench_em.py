"""EM on 100,000 points: seminar_utils.gmm.GaussianMixtureEM against scikit-learn's GaussianMixture.

8 well-separated Gaussians in 2-D, K = 8, the same given initialisation for both, 100 iterations
with tol=0 (no early stop). Prints the best of 3 wall-clock times of each fit, their ratio, how far
the fitted parameters are apart (max over weights, means, covariances of max|ours - sklearn| /
max|sklearn|) and the final average log-likelihoods; the last line is one JSON object.

    python benchmarks/bench_em.py [--repeats 3] [--n-samples 100000] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from seminar_utils.gmm import GaussianMixtureEM, kmeans_plus_plus

K, D, N_ITER = 8, 2, 100


def make_data(n_samples: int, seed: int = 0) -> np.ndarray:
    """n_samples points from 8 Gaussians with centres on a circle of radius 10, random covariances."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(K) / K
    centres = 10.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    labels = rng.integers(K, size=n_samples)
    factors = rng.normal(scale=0.6, size=(K, D, D)) + 0.4 * np.eye(D)
    noise = np.einsum("nij,nj->ni", factors[labels], rng.normal(size=(n_samples, D)))
    return centres[labels] + noise


def best_time(fit, repeats: int) -> tuple[float, object]:
    best, model = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        model = fit()
        best = min(best, time.perf_counter() - start)
    return best, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    X = make_data(args.n_samples)
    weights0 = np.full(K, 1.0 / K)
    means0 = kmeans_plus_plus(X, K, random_state=0).numpy()
    covariances0 = np.tile(np.eye(D), (K, 1, 1))
    X_device = torch.as_tensor(X, device=args.device)

    def ours():
        model = GaussianMixtureEM(K, tol=0.0, max_iter=N_ITER, device=args.device)
        model.fit(X_device, weights0, means0, covariances0)
        if X_device.is_cuda:
            torch.cuda.synchronize()
        return model

    def sklearn():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 never "converges"
            return GaussianMixture(
                K,
                covariance_type="full",
                tol=0.0,
                max_iter=N_ITER,
                weights_init=weights0,
                means_init=means0,
                precisions_init=np.linalg.inv(covariances0),
            ).fit(X)

    ours()  # warm-up (first calls of torch kernels)
    ours_s, model = best_time(ours, args.repeats)
    sklearn_s, reference = best_time(sklearn, args.repeats)
    max_rel = max(
        float(np.abs(a - b).max() / np.abs(b).max())
        for a, b in (
            (model.weights_, reference.weights_),
            (model.means_, reference.means_),
            (model.covariances_, reference.covariances_),
        )
    )
    history_diff = float(np.abs(np.asarray(model.log_likelihood_history_) - reference.lower_bounds_).max())
    ll_ours, ll_sklearn = model.score(X), float(reference.score(X))

    print(
        f"data: {args.n_samples} points, D={D}, K={K}, {N_ITER} EM iterations (tol=0), "
        f"best of {args.repeats}, device={args.device} (the EM loop runs on one CPU thread)"
    )
    print(f"seminar_utils.gmm: {ours_s:8.3f} s  ({1e3 * ours_s / N_ITER:6.2f} ms per iteration)")
    print(f"scikit-learn     : {sklearn_s:8.3f} s  ({1e3 * sklearn_s / N_ITER:6.2f} ms per iteration)")
    print(f"ratio ours/sklearn: {ours_s / sklearn_s:.3f}  (goal <= 0.33)")
    print(f"max relative parameter difference: {max_rel:.2e}; max history difference: {history_diff:.2e} nats")
    print(f"final average log-likelihood: ours {ll_ours:.10f}, sklearn {ll_sklearn:.10f} nats")
    print(
        json.dumps(
            {
                "ours_s": round(ours_s, 5),
                "sklearn_s": round(sklearn_s, 5),
                "ratio": round(ours_s / sklearn_s, 5),
                "max_param_rel_diff": max_rel,
                "ll_ours": ll_ours,
                "ll_sklearn": ll_sklearn,
            }
        )
    )


if __name__ == "__main__":
    main()
