"""``GaussianMixtureEM``: a Gaussian mixture (full covariances) fitted by EM, shaped like scikit-learn's.

Imported from ``seminar_utils.gmm``; the formulas are in ``formulas``, the fast loop in ``fast``,
the input checks in ``checks``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from .._checks import check_int, check_real
from ..runtime import get_device
from . import checks
from .fast import EMIterations, cholesky, single_threaded
from .formulas import (
    e_step_from_log_pdf,
    kmeans_plus_plus_indices,
    log_gaussian_pdf,
    m_step_formulas,
    squared_distances,
)

INITS = ("kmeans++", "kmeans", "random")
LLOYD_MAX_ITER = 100


def _numpy(*tensors: torch.Tensor) -> tuple[np.ndarray, ...]:
    return tuple(t.detach().cpu().numpy().astype(np.float64, copy=True) for t in tensors)


class GaussianMixtureEM:
    """A mixture of K Gaussians with full covariances, fitted by EM (maximum likelihood).

    Arguments as in ``sklearn.mixture.GaussianMixture`` except ``init``: ``reg_covar`` is added to
    the diagonal of every covariance; EM stops after ``max_iter`` iterations or when the average
    log-likelihood changes by less than ``tol`` (nats); ``random_state`` is None, an int seed or a
    numpy ``RandomState``. ``init`` (scikit-learn's ``init_params``) is one of

    * "kmeans++" (the default): k-means++ seeds, EVERY point given to its nearest seed (one-hot γ),
      then an M-step. Unlike scikit-learn's "k-means++", whose γ is one-hot only at the K seeds
      and zero for every other point;
    * "kmeans": Lloyd's k-means from k-means++ seeds, then an M-step (like scikit-learn's default);
    * "random": random responsibilities normalised per point, then an M-step (as scikit-learn).

    ``keep_params_history=True`` keeps the parameters of every iteration in ``params_history_``.
    ``device``: where to compute (default: X's device, the CPU for NumPy input), always in float64
    (on the CPU instead of Apple MPS, which has no float64).

    Fitted attributes (NumPy float64): ``weights_`` (K,), ``means_`` (K, D), ``covariances_``
    (K, D, D), ``converged_``, ``n_iter_`` (iterations are counted from 1),
    ``log_likelihood_history_`` (entry t, counted from 0: ℓ(θᵗ), the average log-likelihood in
    nats of the parameters after t M-steps, computed by the E-step of iteration t + 1;
    scikit-learn's ``lower_bounds_``), ``params_history_`` (entry t: θᵗ = (weights, means,
    covariances) after t M-steps, entry 0 the initial parameters).
    """

    def __init__(
        self,
        n_components: int,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        tol: float = 1e-3,
        init: str = "kmeans++",
        random_state: Any = None,
        keep_params_history: bool = False,
        device: str | torch.device | None = None,
    ) -> None:
        # scikit-learn's rule: the arguments are stored as given, fit checks them (_check_parameters)
        self.n_components = n_components
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.random_state = random_state
        self.keep_params_history = keep_params_history
        self.device = device

    def __repr__(self) -> str:
        return (
            f"GaussianMixtureEM(n_components={self.n_components!r}, reg_covar={self.reg_covar!r}, "
            f"max_iter={self.max_iter!r}, tol={self.tol!r}, init={self.init!r}, "
            f"random_state={self.random_state!r})"
        )

    # ------------------------------------------------------------------ fitting
    def _check_parameters(self, X: Any, *inits: Any) -> tuple[torch.Tensor, np.random.RandomState, list]:
        """The constructor's arguments checked (scikit-learn's ``_check_parameters``), ``X`` as a float64
        tensor on the device the fit runs on, the generator of ``random_state``, and the given initial
        weights, means and (covariances, their Cholesky factors) checked (None where not given)."""
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}, got {self.init!r}")
        checks.check_reg_covar(self.reg_covar)
        check_int(self.max_iter, "max_iter", low=0)
        check_real(self.tol, "tol", low=0.0, strict=False)
        rng = checks.random_state_of(self.random_state)
        default = X.device if isinstance(X, torch.Tensor) else torch.device("cpu")
        X = checks.check_data(X, "X", get_device(self.device, default=default, float64=True))
        (n_samples, D), K = X.shape, checks.check_n_components(self.n_components)
        checks.check_n_components(K, n_samples)
        weights, means, covariances = inits
        return (
            X,
            rng,
            [
                None if weights is None else checks.check_weights(weights, K, "weights_init", X.device),
                None if means is None else checks.check_means(means, K, D, "means_init", X.device),
                None
                if covariances is None
                else checks.check_covariances(covariances, K, D, "covariances_init", X.device),
            ],
        )

    def _initial_params(self, em: EMIterations, rng: np.random.RandomState, inits: list) -> tuple[torch.Tensor, ...]:
        """θ⁰ = (weights, means, covariances) and the covariances' Cholesky factors, the means centred as
        ``em`` works: the given ``inits`` (checked), the rest from the M-step of ``init``'s responsibilities."""
        weights_init, means_init, covariances_init = inits
        if any(value is None for value in inits):
            weights, means, covariances = m_step_formulas(em.X, self._initial_resp(em.X, rng), float(self.reg_covar))
        if weights_init is not None:
            weights = weights_init
        if means_init is not None:
            means = means_init - em.shift
        if covariances_init is None:
            return weights, means, covariances, cholesky(covariances)
        return weights, means, *covariances_init

    def fit(
        self, X: Any, weights_init: Any = None, means_init: Any = None, covariances_init: Any = None
    ) -> GaussianMixtureEM:
        """Fit to X (N, D) by EM; given ``*_init`` arrays replace the corresponding initial parameters.

        On the CPU the iterations run on one thread (``torch.get_num_threads()`` is restored after).
        """
        X, rng, inits = self._check_parameters(X, weights_init, means_init, covariances_init)
        with single_threaded(X.device):
            em = EMIterations(X, float(self.reg_covar))
            weights, means, covariances, chol = self._initial_params(em, rng, inits)
            history: list[float] = []
            params = [_numpy(weights, means + em.shift, covariances)] if self.keep_params_history else None
            converged, n_iter, current = False, 0, -math.inf
            for n_iter in range(1, int(self.max_iter) + 1):  # noqa: B007 - read after the loop
                previous = current
                current, (weights, means, covariances, chol) = em.step(weights, means, chol)
                history.append(current)
                if params is not None:
                    params.append(_numpy(weights, means + em.shift, covariances))
                if abs(current - previous) < self.tol:
                    converged = True
                    break

        self.weights_, self.means_, self.covariances_ = _numpy(weights, means + em.shift, covariances)
        self.log_likelihood_history_ = history
        self.converged_, self.n_iter_ = converged, n_iter
        self.n_features_in_ = X.shape[1]
        if params is not None:
            self.params_history_ = params
        self._device = X.device
        return self

    def _initial_resp(self, X: torch.Tensor, rng: np.random.RandomState) -> torch.Tensor:
        """Responsibilities (N, K) of the initialisation chosen by ``init``."""
        n_samples, K = X.shape[0], int(self.n_components)
        if self.init == "random":  # scikit-learn's "random": uniform draws, normalised per point
            resp = rng.uniform(size=(n_samples, K))
            return torch.from_numpy(resp / resp.sum(axis=1, keepdims=True)).to(X)
        centres = X[torch.as_tensor(kmeans_plus_plus_indices(X, K, rng), device=X.device)]
        labels = squared_distances(X, centres).argmin(dim=1)
        if self.init == "kmeans":  # Lloyd's iterations until no point changes cluster
            for _ in range(LLOYD_MAX_ITER):
                one_hot = torch.nn.functional.one_hot(labels, K).to(X.dtype)
                counts = one_hot.sum(dim=0)
                sums = one_hot.T @ X
                filled = counts > 0  # an empty cluster keeps its centre
                centres = torch.where(filled.unsqueeze(1), sums / counts.clamp(min=1).unsqueeze(1), centres)
                new_labels = squared_distances(X, centres).argmin(dim=1)
                if torch.equal(new_labels, labels):
                    break
                labels = new_labels
        return torch.nn.functional.one_hot(labels, K).to(X.dtype)

    # ------------------------------------------------------------------ using a fitted mixture
    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            raise RuntimeError("this GaussianMixtureEM is not fitted yet: call fit(X) first")

    def _log_resp_and_density(self, X: Any) -> tuple[torch.Tensor, torch.Tensor, torch.device | None]:
        """log γ (N, K), log p(x_n) (N,) and the device to return them on (None: as NumPy)."""
        self._check_fitted()
        output_device = X.device if isinstance(X, torch.Tensor) else None
        X = checks.check_data(
            X, "X", self._device if output_device is None else output_device, n_features=self.n_features_in_
        )
        weights, means, covariances = (
            torch.as_tensor(a, device=X.device, dtype=X.dtype) for a in (self.weights_, self.means_, self.covariances_)
        )
        log_resp, log_px = e_step_from_log_pdf(log_gaussian_pdf(X, means, cholesky(covariances)), weights)
        return log_resp, log_px, output_device

    @staticmethod
    def _output(tensor: torch.Tensor, device: torch.device | None) -> np.ndarray | torch.Tensor:
        if device is None:
            return tensor.cpu().numpy()
        if device.type == "mps" and tensor.is_floating_point():  # MPS has no float64
            return tensor.to(device=device, dtype=torch.float32)
        return tensor.to(device)

    def predict_proba(self, X: Any) -> np.ndarray | torch.Tensor:
        """Responsibilities γ_nk = p(z_n = k | x_n): (N, K); NumPy for NumPy input, torch (on X's
        device) for torch input."""
        log_resp, _, device = self._log_resp_and_density(X)
        return self._output(log_resp.exp(), device)

    def predict(self, X: Any) -> np.ndarray | torch.Tensor:
        """The most probable component of every point: (N,) integer labels."""
        log_resp, _, device = self._log_resp_and_density(X)
        return self._output(log_resp.argmax(dim=1), device)

    def score_samples(self, X: Any) -> np.ndarray | torch.Tensor:
        """log p(x_n | θ) of every point: (N,) in nats."""
        _, log_px, device = self._log_resp_and_density(X)
        return self._output(log_px, device)

    def score(self, X: Any) -> float:
        """The average log-likelihood (1/N) Σ_n log p(x_n | θ) in nats."""
        return float(self._log_resp_and_density(X)[1].mean())

    def n_parameters(self) -> int:
        """Free parameters: K - 1 weights, K·D means, K·D(D+1)/2 covariance entries."""
        self._check_fitted()
        K, D = self.means_.shape
        return K - 1 + K * D + K * D * (D + 1) // 2

    def bic(self, X: Any) -> float:
        """Bayesian information criterion -2 log p(X | θ) + (#parameters) log N (lower is better)."""
        n_samples = len(X)
        return -2.0 * self.score(X) * n_samples + self.n_parameters() * math.log(n_samples)

    def aic(self, X: Any) -> float:
        """Akaike information criterion -2 log p(X | θ) + 2 (#parameters) (lower is better)."""
        return -2.0 * self.score(X) * len(X) + 2.0 * self.n_parameters()

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw (X (n, D), labels (n,)) from the fitted mixture, seeded by ``random_state``.

        The draws are scikit-learn's: component counts from a multinomial, then each component's
        points in turn (so the labels come sorted).
        """
        self._check_fitted()
        n_samples = check_int(n_samples, "n_samples", low=1)
        rng = checks.random_state_of(self.random_state)
        counts = rng.multinomial(int(n_samples), self.weights_)
        X = np.vstack(
            [
                rng.multivariate_normal(mean, covariance, int(count))
                for mean, covariance, count in zip(self.means_, self.covariances_, counts)
            ]
        )
        labels = np.concatenate([np.full(count, k, dtype=np.int64) for k, count in enumerate(counts)])
        return X, labels
