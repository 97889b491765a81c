"""seminar_utils.formulas: log 2π and the full-covariance Gaussian log-density against scipy."""

import numpy as np
import pytest
import torch
from scipy import stats

from seminar_utils.formulas import LOG_2PI, log_gaussian_pdf
from seminar_utils.gmm import formulas as gmm_formulas


def test_log_2pi_is_minus_twice_the_log_density_of_a_standard_normal_at_zero():
    standard = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), 1.0)
    assert -0.5 * LOG_2PI == pytest.approx(standard.log_prob(torch.tensor(0.0, dtype=torch.float64)).item(), rel=1e-15)


def test_log_gaussian_pdf_agrees_with_scipy_for_every_point_and_component():
    rng = np.random.default_rng(0)
    N, K, D = 7, 3, 4
    X, means = rng.normal(size=(N, D)), rng.normal(size=(K, D))
    A = rng.normal(size=(K, D, D))
    covariances = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(D)
    chol = torch.linalg.cholesky(torch.as_tensor(covariances))
    out = log_gaussian_pdf(torch.as_tensor(X), torch.as_tensor(means), chol)
    expected = np.stack([stats.multivariate_normal(means[k], covariances[k]).logpdf(X) for k in range(K)], axis=1)
    assert out.shape == (N, K)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_the_gmm_seminar_reuses_the_core_formula():
    assert gmm_formulas.log_gaussian_pdf is log_gaussian_pdf
