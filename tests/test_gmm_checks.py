"""seminar_utils.gmm at its boundaries: bad arguments are ValueErrors naming them; degenerate data
(duplicated points, a constant feature, K = N) fits without NaN."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seminar_utils.gmm import GaussianMixtureEM, component_log_pdf, e_step, kmeans_plus_plus, m_step

_rng = np.random.default_rng(0)
X_OK = np.concatenate([_rng.normal(size=(25, 2)), _rng.normal(size=(25, 2)) + 5.0])  # 50 points, 2 blobs
W = np.array([0.4, 0.6])
M = X_OK[[0, 30]]
C = np.stack([np.cov(X_OK.T), 2.0 * np.cov(X_OK.T)])


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_components": 0}, "n_components"),
        ({"n_components": 2.5}, "n_components"),
        ({"n_components": True}, "n_components"),
        ({"reg_covar": -1e-6}, "reg_covar"),
        ({"reg_covar": float("nan")}, "reg_covar"),
        ({"max_iter": -1}, "max_iter"),
        ({"tol": -1.0}, "tol"),
        ({"init": "k-means++"}, "init"),
        ({"init": "bogus"}, "init"),
        ({"random_state": "seed"}, "random_state"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_bad_constructor_arguments_are_refused_by_fit(kwargs, name):
    # scikit-learn's rule: the constructor only stores its arguments, fit checks them
    model = GaussianMixtureEM(**{"n_components": 2, **kwargs})
    assert all(getattr(model, key) is value for key, value in kwargs.items())
    with pytest.raises(ValueError, match=name):
        model.fit(X_OK)


def _with(value, *index):
    X = X_OK.copy()
    X[index] = value
    return X


@pytest.mark.parametrize(
    "X", [X_OK[:, 0], X_OK[None], _with(np.nan, 3, 1), _with(np.inf, 0, 0), np.array([["a", "b"]]), np.zeros((0, 2))]
)
def test_bad_X(X):
    with pytest.raises(ValueError, match="X"):
        GaussianMixtureEM(2).fit(X)


def test_more_components_than_points():
    with pytest.raises(ValueError, match="n_components"):
        GaussianMixtureEM(51).fit(X_OK)
    with pytest.raises(ValueError, match="n_components"):
        kmeans_plus_plus(X_OK, 51)


NOT_PD = C.copy()
NOT_PD[1] = np.array([[1.0, 2.0], [2.0, 1.0]])


@pytest.mark.parametrize(
    "inits, name",
    [
        ({"weights_init": W[:1]}, "weights_init"),
        ({"weights_init": [0.7, 0.7]}, "weights_init"),
        ({"weights_init": [1.5, -0.5]}, "weights_init"),
        ({"means_init": M[:, :1]}, "means_init"),
        ({"means_init": M[None]}, "means_init"),
        ({"covariances_init": C[:, :1]}, "covariances_init"),
        ({"covariances_init": C + np.array([[0, 1e-3], [0, 0]])}, "covariances_init"),
        ({"covariances_init": NOT_PD}, "covariances_init"),
        ({"means_init": M + np.nan}, "means_init"),
    ],
)
def test_bad_initial_parameters(inits, name):
    with pytest.raises(ValueError, match=name):
        GaussianMixtureEM(2).fit(X_OK, **inits)


def test_bad_arguments_of_the_functions():
    with pytest.raises(ValueError, match="means"):
        e_step(X_OK, W, M[:, :1], C)
    with pytest.raises(ValueError, match="weights"):
        e_step(X_OK, W[:1], M, C)
    with pytest.raises(ValueError, match="covariances"):
        component_log_pdf(X_OK, M, NOT_PD)
    with pytest.raises(ValueError, match="resp"):
        m_step(X_OK, np.ones((49, 2)) / 2)
    with pytest.raises(ValueError, match="resp"):
        m_step(X_OK, np.log(np.full((50, 2), 0.5)))
    with pytest.raises(ValueError, match="reg_covar"):
        m_step(X_OK, np.full((50, 2), 0.5), reg_covar=-1.0)
    model = GaussianMixtureEM(2, random_state=0)
    with pytest.raises(RuntimeError, match="fit"):
        model.predict_proba(X_OK)
    model.fit(X_OK)
    with pytest.raises(ValueError, match="X"):
        model.score_samples(X_OK[:, :1])
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0)


def test_m_step_needs_rows_of_resp_summing_to_one():
    resp = np.full((50, 2), 0.5)
    resp[7] = [0.5, 0.6]
    with pytest.raises(ValueError, match=r"resp must have rows summing to 1 .* in \[1, 1\.1\]"):
        m_step(X_OK, resp)
    with pytest.raises(ValueError, match=r"rows summing to 1 .* in \[0\.5, 0\.5\]"):
        m_step(X_OK, np.full((50, 2), 0.25))  # e.g. joint probabilities, not normalised
    rounded = np.full((50, 2), 0.5)
    rounded[3, 0] += 1e-9  # rounding error is fine
    weights, _, _ = m_step(X_OK, rounded)
    assert weights.sum().item() == pytest.approx(1.0)
    log_resp, _ = e_step(X_OK, W, M, C)  # the E-step's own output passes
    weights, means, _ = m_step(X_OK, log_resp.exp())
    assert means.shape == (2, 2) and weights.sum().item() == pytest.approx(1.0)


# ----------------------------------------------------------------------------- degenerate data
@pytest.mark.parametrize("init", ["kmeans++", "kmeans", "random"])
def test_degenerate_data_fits_without_nan(init):
    rng = np.random.default_rng(0)
    duplicated = np.repeat(rng.normal(size=(4, 2)), 25, axis=0)  # 4 distinct points, K = 5
    constant_feature = np.column_stack([rng.normal(size=100), np.full(100, 3.0)])
    identical = np.ones((30, 2))
    for X, K in ((duplicated, 5), (constant_feature, 3), (identical, 2), (X_OK, 50)):
        model = GaussianMixtureEM(K, init=init, random_state=0, tol=0.0, max_iter=20).fit(X)
        for value in (model.weights_, model.means_, model.covariances_, model.log_likelihood_history_):
            assert np.isfinite(value).all()
        assert np.isfinite(model.score_samples(X)).all()
    assert model.weights_.sum() == pytest.approx(1.0)


def test_collapse_without_regularisation_is_a_clear_error():
    with pytest.raises(ValueError, match="reg_covar"):
        GaussianMixtureEM(5, reg_covar=0.0, random_state=0).fit(np.repeat(np.eye(2), 10, axis=0))


@pytest.mark.parametrize(
    "X, match",
    [
        (X_OK.astype(np.complex128), "X must hold real numbers, got complex"),
        (torch.as_tensor(X_OK).to(torch.complex64), "X must hold real numbers, got complex"),
        (X_OK > 0, "X must hold numbers, got dtype bool"),
        (torch.zeros(50, 2, device="meta"), "X is a meta tensor"),
    ],
)
def test_values_that_are_not_real_numbers_are_refused(X, match):
    # issue 11, item 7: complex data used to be cast to float64 (imaginary part dropped)
    with pytest.raises(ValueError, match=match):
        GaussianMixtureEM(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match=match):
        e_step(X, W, M, C)
