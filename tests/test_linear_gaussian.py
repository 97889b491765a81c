"""seminar_utils.linear_gaussian against torch.distributions and brute-force Gaussian algebra."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import MultivariateNormal, Normal

from seminar_utils.linear_gaussian import LinearGaussian
from seminar_utils.losses import kl_diag_gaussians


@pytest.fixture
def model():
    return LinearGaussian.random(x_dim=6, z_dim=3, sigma=0.7, seed=4)


@pytest.fixture
def x(model):
    return model.sample(10, torch.Generator().manual_seed(1))[0]


def test_random_model_has_orthogonal_columns(model):
    gram = model.W.T @ model.W
    torch.testing.assert_close(gram, torch.diag(torch.diagonal(gram)))
    assert model.x_dim == 6 and model.z_dim == 3


def test_log_marginal_matches_multivariate_normal(model, x):
    cov = model.W @ model.W.T + model.sigma**2 * torch.eye(6, dtype=torch.float64)
    torch.testing.assert_close(model.log_marginal(x), MultivariateNormal(model.b, cov).log_prob(x))


def test_posterior_matches_gaussian_conditioning(model, x):
    precision = torch.eye(3, dtype=torch.float64) + model.W.T @ model.W / model.sigma**2
    cov = torch.linalg.inv(precision)
    mean = (x - model.b) @ model.W @ cov / model.sigma**2
    mu, log_sigma = model.posterior(x)
    torch.testing.assert_close(mu, mean)
    torch.testing.assert_close(torch.exp(2 * log_sigma), torch.diagonal(cov).expand(10, 3))


def test_bayes_rule_holds_at_any_z(model, x):
    z = torch.randn(10, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    mu, log_sigma = model.posterior(x)
    log_joint = model.log_likelihood(x, z) + Normal(0.0, 1.0).log_prob(z).sum(-1)
    log_post = Normal(mu, log_sigma.exp()).log_prob(z).sum(-1)
    torch.testing.assert_close(log_joint - log_post, model.log_marginal(x))


def test_exact_elbo_gap_is_kl_to_the_posterior(model, x):
    post_mu, post_ls = model.posterior(x)
    torch.testing.assert_close(model.exact_elbo(x, post_mu, post_ls), model.log_marginal(x))
    g = torch.Generator().manual_seed(3)
    mu = post_mu + torch.randn(10, 3, generator=g, dtype=torch.float64)
    log_sigma = post_ls + 0.5 * torch.randn(10, 3, generator=g, dtype=torch.float64)
    gap = model.log_marginal(x) - model.exact_elbo(x, mu, log_sigma)
    torch.testing.assert_close(gap, kl_diag_gaussians(mu, log_sigma, post_mu, post_ls))
    assert (gap > 0).all()


def test_samples_have_the_model_covariance(model):
    x, z = model.sample(100_000, torch.Generator().manual_seed(5))
    cov = model.W @ model.W.T + model.sigma**2 * torch.eye(6, dtype=torch.float64)
    assert (x.mean(0) - model.b).abs().max() < 4 * math.sqrt(cov.diagonal().max() / 1e5)
    assert (torch.cov(x.T) - cov).abs().max() < 0.05
    assert z.shape == (100_000, 3)


def test_bad_arguments_are_value_errors(model):
    with pytest.raises(ValueError, match="orthogonal"):
        LinearGaussian(torch.ones(4, 2, dtype=torch.float64), torch.zeros(4, dtype=torch.float64), 1.0)
    with pytest.raises(ValueError, match="b must"):
        LinearGaussian(model.W, torch.zeros(2, dtype=torch.float64), 1.0)
    with pytest.raises(ValueError, match="sigma"):
        LinearGaussian(model.W, model.b, 0.0)
    with pytest.raises(ValueError, match="x must"):
        model.posterior(torch.zeros(3, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="z_dim"):
        LinearGaussian.random(x_dim=2, z_dim=3)
    with pytest.raises(ValueError, match="seed"):
        LinearGaussian.random(x_dim=4, z_dim=2, seed=-1)
    with pytest.raises(ValueError, match="x_dim"):
        LinearGaussian.random(x_dim=4.0, z_dim=2)
    with pytest.raises(ValueError, match="n must be"):
        model.sample(0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_parameters_are_named(model, bad):
    # issue 11, item 7: a NaN or inf in W or b used to give NaN densities far from the cause
    W, b = model.W.clone(), model.b.clone()
    W[1, 2] = bad
    with pytest.raises(ValueError, match="W must be finite"):
        LinearGaussian(W, model.b, 0.7)
    b[0] = bad
    with pytest.raises(ValueError, match="b must be finite"):
        LinearGaussian(model.W, b, 0.7)


def test_complex_parameters_are_refused(model):
    with pytest.raises(ValueError, match="W must hold real numbers, got complex"):
        LinearGaussian(model.W.to(torch.complex128), model.b, 0.7)
    with pytest.raises(ValueError, match="b must hold real numbers, got complex"):
        LinearGaussian(model.W, model.b.to(torch.complex128), 0.7)


def test_numpy_integers_are_accepted(model):
    same = LinearGaussian.random(x_dim=np.int64(6), z_dim=np.int32(3), sigma=np.float32(0.7), seed=np.int64(4))
    assert torch.equal(same.W, model.W) and torch.equal(same.b, model.b)
    assert same.sigma == pytest.approx(0.7) and isinstance(same.sigma, float)
    x, z = model.sample(np.int64(5), torch.Generator().manual_seed(0))
    assert x.shape == (5, 6) and z.shape == (5, 3)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_the_model_works_on_cuda_and_matches_the_cpu(model):
    on_gpu = LinearGaussian.random(x_dim=6, z_dim=3, sigma=0.7, seed=4, device="cuda")
    assert on_gpu.W.device.type == "cuda" and torch.equal(on_gpu.W.cpu(), model.W)
    x, z = on_gpu.sample(10, torch.Generator().manual_seed(1))  # CPU draws, moved to the GPU
    x_cpu, z_cpu = model.sample(10, torch.Generator().manual_seed(1))
    assert x.device.type == "cuda" and torch.equal(z.cpu(), z_cpu)
    torch.testing.assert_close(on_gpu.log_marginal(x).cpu(), model.log_marginal(x_cpu))
    mu, log_sigma = on_gpu.posterior(x)
    torch.testing.assert_close(on_gpu.exact_elbo(x, mu, log_sigma).cpu(), model.log_marginal(x_cpu))
    assert on_gpu.sample(3)[0].device.type == "cuda"  # no generator: drawn on the GPU
