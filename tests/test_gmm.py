"""seminar_utils.gmm against independent references: scikit-learn's GaussianMixture and k-means++,
torch.distributions, NumPy's weighted covariance; EM's monotonicity. Input checks and degenerate
data: test_gmm_checks.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.mixture import GaussianMixture

from seminar_utils.gmm import (
    GaussianMixtureEM,
    component_log_pdf,
    e_step,
    fast,
    kmeans_plus_plus,
    log_likelihood,
    m_step,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def blobs(n: int = 300, D: int = 2, K: int = 3, seed: int = 0, spread: float = 4.0, offset: float = 0.0):
    """n points from K Gaussians with random full covariances (float64, (n, D))."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(K, size=n)
    centres = spread * rng.normal(size=(K, D)) + offset
    factors = rng.normal(size=(K, D, D)) * 0.5 + np.eye(D)
    return centres[labels] + np.einsum("nij,nj->ni", factors[labels], rng.normal(size=(n, D)))


def initial_params(X: np.ndarray, K: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    D = X.shape[1]
    weights = rng.dirichlet(np.full(K, 5.0))
    means = X[rng.choice(len(X), K, replace=False)]
    covariances = np.stack([np.cov(X.T).reshape(D, D) * (0.5 + k) for k in range(K)])
    return weights, means, covariances


def sklearn_from(X, K, params, **kwargs) -> GaussianMixture:
    weights, means, covariances = params
    return GaussianMixture(
        K,
        covariance_type="full",
        weights_init=weights,
        means_init=means,
        precisions_init=np.linalg.inv(covariances),
        **kwargs,
    ).fit(X)


def spy_on_expanded_pass(monkeypatch) -> list:
    """A list that records every call of the fast E-step on the expanded features."""
    calls, original = [], fast.EMIterations.expanded_pass

    def recording(self, coefficients):
        calls.append(coefficients.shape)
        return original(self, coefficients)

    monkeypatch.setattr(fast.EMIterations, "expanded_pass", recording)
    return calls


def assert_same_fit(ours: GaussianMixtureEM, reference: GaussianMixture, rtol: float = 1e-6) -> None:
    """Weights, means and covariances equal to ``rtol`` (elementwise), histories to 1e-8 nats."""
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(reference, name), rtol=rtol, err_msg=name)
    np.testing.assert_allclose(ours.log_likelihood_history_, reference.lower_bounds_, rtol=0, atol=1e-8)


# ----------------------------------------------------------------------------- agreement with scikit-learn
@pytest.mark.parametrize("D, K, limit", [(1, 2, None), (2, 3, None), (3, 4, None), (2, 3, 0.0), (9, 2, None)])
def test_fit_from_given_init_matches_sklearn(monkeypatch, D, K, limit):
    """limit=0 forces the reference formulas in every iteration; D=9 has no expanded features."""
    if limit is not None:
        monkeypatch.setattr(fast, "CANCELLATION_LIMIT", limit)
    expanded = spy_on_expanded_pass(monkeypatch)
    X = blobs(400, D, K, seed=D)
    params = initial_params(X, K)
    ours = GaussianMixtureEM(K, tol=0.0, max_iter=50).fit(X, *params)
    assert len(expanded) == (50 if limit is None and D <= fast.MAX_FEATURES_FOR_EXPANSION else 0)
    reference = sklearn_from(X, K, params, tol=0.0, max_iter=50)
    assert_same_fit(ours, reference)
    assert (ours.n_iter_, ours.converged_) == (50, False)
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-8)
    np.testing.assert_allclose(ours.score_samples(X), reference.score_samples(X), rtol=1e-9)
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))
    assert ours.score(X) == pytest.approx(reference.score(X), rel=1e-10)
    assert ours.bic(X) == pytest.approx(reference.bic(X), rel=1e-10)
    assert ours.aic(X) == pytest.approx(reference.aic(X), rel=1e-10)


def test_badly_scaled_data_falls_back_to_exact_formulas_and_matches_sklearn(monkeypatch):
    """Clusters of width 1 a thousand apart: the expanded quadratic form would lose digits."""
    expanded = spy_on_expanded_pass(monkeypatch)
    X = blobs(300, 2, 2, seed=3, spread=1000.0, offset=1e4)
    params = initial_params(X, 2)
    ours = GaussianMixtureEM(2, tol=0.0, max_iter=20).fit(X, *params)
    assert expanded == []
    reference = sklearn_from(X, 2, params, tol=0.0, max_iter=20)
    assert_same_fit(ours, reference)


def test_stopping_rule_matches_sklearn():
    X = blobs(300, 2, 3, seed=5)
    params = initial_params(X, 3)
    ours = GaussianMixtureEM(3, tol=1e-4, max_iter=200).fit(X, *params)
    reference = sklearn_from(X, 3, params, tol=1e-4, max_iter=200)
    assert ours.converged_ and reference.converged_
    assert ours.n_iter_ == reference.n_iter_ == len(ours.log_likelihood_history_) < 200
    assert abs(ours.log_likelihood_history_[-1] - ours.log_likelihood_history_[-2]) < 1e-4


def test_random_init_is_sklearns_random_init():
    X = blobs(300, 2, 3, seed=7)
    ours = GaussianMixtureEM(3, init="random", random_state=4, tol=0.0, max_iter=30).fit(X)
    reference = GaussianMixture(3, init_params="random", random_state=4, tol=0.0, max_iter=30).fit(X)
    assert_same_fit(ours, reference)


def test_kmeans_plus_plus_draws_sklearns_seeds():
    X = blobs(500, 2, 5, seed=8)
    for seed in range(3):
        np.testing.assert_array_equal(
            kmeans_plus_plus(X, 5, random_state=seed).numpy(), kmeans_plusplus(X, 5, random_state=seed)[0]
        )


def test_kmeans_init_is_lloyds_kmeans_then_an_m_step():
    X = blobs(400, 2, 4, seed=9, spread=8.0)
    ours = GaussianMixtureEM(4, init="kmeans", random_state=2, max_iter=0).fit(X)
    centres = KMeans(4, n_init=1, random_state=2, tol=0.0).fit(X).cluster_centers_  # to a fixed point
    np.testing.assert_allclose(ours.means_, centres, rtol=1e-10)
    assert (ours.n_iter_, ours.converged_, ours.log_likelihood_history_) == (0, False, [])


def test_kmeans_plus_plus_init_gives_each_point_to_its_nearest_seed():
    X = blobs(400, 2, 4, seed=10)
    seeds = kmeans_plusplus(X, 4, random_state=6)[0]
    labels = ((X[:, None] - seeds[None]) ** 2).sum(-1).argmin(1)
    ours = GaussianMixtureEM(4, random_state=6, max_iter=0, reg_covar=0.0).fit(X)
    for k in range(4):
        members = X[labels == k]
        np.testing.assert_allclose(ours.means_[k], members.mean(0), rtol=1e-10)
        np.testing.assert_allclose(ours.covariances_[k], np.cov(members.T, bias=True), rtol=1e-8)
        assert ours.weights_[k] == pytest.approx(len(members) / len(X))


def test_sample_draws_as_sklearn():
    X = blobs(300, 2, 3, seed=11)
    params = initial_params(X, 3)
    ours = GaussianMixtureEM(3, random_state=5, max_iter=10).fit(X, *params)
    reference = sklearn_from(X, 3, params, random_state=5, max_iter=10)
    samples, labels = ours.sample(500)
    reference_samples, reference_labels = reference.sample(500)
    assert samples.shape == (500, 2) and labels.shape == (500,)
    np.testing.assert_array_equal(labels, reference_labels)
    np.testing.assert_allclose(samples, reference_samples, rtol=1e-8, atol=1e-8)


# ----------------------------------------------------------------------------- the functions
def test_component_log_pdf_and_e_step_match_torch_distributions():
    X = torch.as_tensor(blobs(200, 3, 3, seed=12))
    weights, means, covariances = map(torch.as_tensor, initial_params(X.numpy(), 3))
    components = torch.distributions.MultivariateNormal(means, covariance_matrix=covariances)
    expected_log_pdf = components.log_prob(X.unsqueeze(1))  # (N, K)
    torch.testing.assert_close(component_log_pdf(X, means, covariances), expected_log_pdf, rtol=1e-12, atol=1e-12)
    mixture = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(weights), components)
    log_px = mixture.log_prob(X)
    log_resp, mean_ll = e_step(X, weights, means, covariances)
    torch.testing.assert_close(log_resp, expected_log_pdf + weights.log() - log_px.unsqueeze(1))
    assert isinstance(mean_ll, float) and mean_ll == pytest.approx(float(log_px.mean()), rel=1e-12)
    assert log_likelihood(X.numpy(), weights.numpy(), means, covariances) == pytest.approx(mean_ll, rel=1e-14)
    assert log_resp.dtype == torch.float64 and log_resp.shape == (200, 3)


def test_m_step_is_the_weighted_mean_and_covariance():
    X = blobs(200, 2, 3, seed=13)
    resp = np.random.default_rng(0).dirichlet(np.ones(3), size=200)
    weights, means, covariances = m_step(X, resp, reg_covar=1e-3)
    np.testing.assert_allclose(weights.numpy(), resp.mean(0), rtol=1e-12)
    for k in range(3):
        np.testing.assert_allclose(means[k].numpy(), np.average(X, axis=0, weights=resp[:, k]), rtol=1e-12)
        expected = np.cov(X.T, aweights=resp[:, k], bias=True) + 1e-3 * np.eye(2)
        np.testing.assert_allclose(covariances[k].numpy(), expected, rtol=1e-11)


def test_params_history_replays_the_log_likelihood_history():
    X = blobs(300, 2, 3, seed=14)
    model = GaussianMixtureEM(3, tol=0.0, max_iter=8, keep_params_history=True, random_state=0).fit(X)
    assert len(model.params_history_) == model.n_iter_ + 1 == 9
    for t, ll in enumerate(model.log_likelihood_history_):  # entry t: E-step of parameters after t M-steps
        assert log_likelihood(X, *model.params_history_[t]) == pytest.approx(ll, abs=1e-10)
    for final, last in zip((model.weights_, model.means_, model.covariances_), model.params_history_[-1]):
        np.testing.assert_array_equal(final, last)
        assert isinstance(last, np.ndarray) and last.dtype == np.float64


def test_torch_input_gives_the_numpy_fit_and_torch_outputs():
    X = blobs(300, 2, 3, seed=15)
    from_numpy = GaussianMixtureEM(3, random_state=1).fit(X)
    from_torch = GaussianMixtureEM(3, random_state=1).fit(torch.as_tensor(X, dtype=torch.float32))
    np.testing.assert_allclose(from_torch.means_, from_numpy.means_, rtol=1e-6)
    assert isinstance(from_torch.means_, np.ndarray) and from_torch.means_.dtype == np.float64
    proba = from_numpy.predict_proba(torch.as_tensor(X))
    assert isinstance(proba, torch.Tensor) and proba.shape == (300, 3)
    np.testing.assert_allclose(proba.numpy(), from_numpy.predict_proba(X), rtol=1e-12)
    assert isinstance(from_numpy.score_samples(X), np.ndarray)


def test_fit_leaves_the_thread_count_as_it_was():
    before = torch.get_num_threads()
    GaussianMixtureEM(2, random_state=0).fit(blobs(100, 2, 2))
    assert torch.get_num_threads() == before


# ----------------------------------------------------------------------------- EM increases the likelihood
@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    D=st.integers(1, 3),
    K=st.integers(1, 5),
    scale=st.sampled_from([1e-2, 1.0, 1e2]),
    init=st.sampled_from(["kmeans++", "kmeans", "random"]),
)
def test_log_likelihood_history_never_decreases(seed, D, K, scale, init):
    # EM is monotone for reg_covar = 0; reg_covar > 0 (Σ + reg·I is not the M-step's maximiser) can
    # lose up to ~(reg / variance)² per iteration, or ~1e-8 nats when a component collapses onto a
    # few points; scikit-learn does the same. So: reg_covar in proportion to the data's scale (the
    # default for data of scale 1) and at least 10 K (D + 1) points.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10 * K * (D + 1), 400))
    X = scale * blobs(n, D, int(rng.integers(1, 5)), seed=seed)
    model = GaussianMixtureEM(
        K, reg_covar=1e-6 * scale**2, tol=0.0, max_iter=30, init=init, random_state=seed % 1000
    ).fit(X)
    history = np.asarray(model.log_likelihood_history_)
    assert np.isfinite(history).all() and len(history) == 30
    assert np.diff(history).min() >= -1e-10


# ----------------------------------------------------------------------------- GPU
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fit_agrees_with_cpu():
    X = blobs(2000, 2, 4, seed=16)
    params = initial_params(X, 4)
    cpu = GaussianMixtureEM(4, tol=0.0, max_iter=30).fit(X, *params)
    cuda = GaussianMixtureEM(4, tol=0.0, max_iter=30).fit(torch.as_tensor(X, device="cuda"), *params)
    np.testing.assert_allclose(cuda.covariances_, cpu.covariances_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cuda.log_likelihood_history_, cpu.log_likelihood_history_, rtol=0, atol=1e-10)
    proba = cuda.predict_proba(torch.as_tensor(X, device="cuda"))
    assert proba.device.type == "cuda"
    np.testing.assert_allclose(proba.cpu().numpy(), cpu.predict_proba(X), atol=1e-10)
    on_device = GaussianMixtureEM(4, tol=0.0, max_iter=30, device="cuda").fit(X, *params)
    np.testing.assert_allclose(on_device.means_, cpu.means_, rtol=1e-9)
