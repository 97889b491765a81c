"""seminar_utils.losses against torch.distributions, torch.nn.functional and closed forms."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from seminar_utils.linear_gaussian import LinearGaussian
from seminar_utils.losses import (
    ELBO,
    bernoulli_log_likelihood,
    bits_per_dim,
    elbo,
    gaussian_log_likelihood,
    gaussian_log_likelihood_fixed,
    iwae,
    iwae_log_weights,
    kl_diag_gaussians,
    kl_standard_normal,
    log_mean_exp,
    reparameterize,
    standard_normal_log_prob,
)


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def randn(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


# ----------------------------------------------------------------------------- log-likelihoods
@pytest.mark.parametrize("shape", [(7, 2), (5, 1, 4, 4)])
def test_gaussian_log_likelihood_matches_normal_log_prob(gen, shape):
    x, mean, log_sigma = randn(gen, *shape), randn(gen, *shape), 0.5 * randn(gen, *shape)
    ours = gaussian_log_likelihood(x, mean, log_sigma)
    ref = Normal(mean, log_sigma.exp()).log_prob(x).reshape(shape[0], -1).sum(-1)
    assert ours.shape == (shape[0],)
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=0)


def test_gaussian_log_sigma_may_be_shared_or_scalar(gen):
    x, mean, shared = randn(gen, 6, 3), randn(gen, 6, 3), randn(gen, 3)
    ref = Normal(mean, shared.exp()).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, shared), ref)
    ref_scalar = Normal(mean, math.exp(-0.3)).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, -0.3), ref_scalar)


@pytest.mark.parametrize("sigma", [0.1, 1.0, 3.0])
def test_fixed_sigma_gaussian_is_scaled_squared_error_plus_constant(gen, sigma):
    x, mean = randn(gen, 8, 1, 3, 3), randn(gen, 8, 1, 3, 3)
    ours = gaussian_log_likelihood_fixed(x, mean, sigma)
    ref = Normal(mean, sigma).log_prob(x).reshape(8, -1).sum(-1)
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=0)
    # minus the squared error over 2σ², plus what a perfect fit (x = mean) scores
    squared_error = F.mse_loss(mean, x, reduction="none").reshape(8, -1).sum(-1)
    perfect = Normal(mean, sigma).log_prob(mean).reshape(8, -1).sum(-1)
    torch.testing.assert_close(ours, -squared_error / (2 * sigma**2) + perfect)


def test_bernoulli_log_likelihood_matches_bce_and_bernoulli(gen):
    logits = 3 * randn(gen, 6, 1, 4, 4)
    x = (torch.rand(6, 1, 4, 4, generator=gen, dtype=torch.float64) < 0.5).double()
    ours = bernoulli_log_likelihood(x, logits)
    ref = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").reshape(6, -1).sum(-1)
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=0)
    torch.testing.assert_close(ours, Bernoulli(logits=logits).log_prob(x).reshape(6, -1).sum(-1))
    grey = torch.rand(6, 1, 4, 4, generator=gen, dtype=torch.float64)  # grey levels are allowed
    ref = -F.binary_cross_entropy_with_logits(logits, grey, reduction="none").reshape(6, -1).sum(-1)
    torch.testing.assert_close(bernoulli_log_likelihood(grey, logits), ref)
    x_numpy_ints = np.array([[0, 1], [1, 1]])  # numpy and integer data are accepted
    torch.testing.assert_close(
        bernoulli_log_likelihood(x_numpy_ints, torch.zeros(2, 2)), torch.full((2,), 2 * math.log(0.5))
    )


def test_bernoulli_is_stable_for_extreme_logits():
    logits = torch.tensor([[100.0, -100.0, 100.0, -100.0]])
    x = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
    ours = bernoulli_log_likelihood(x, logits)
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, torch.tensor([-200.0]))  # two right (log 1), two wrong (−100 each)
    logits.requires_grad_(True)
    bernoulli_log_likelihood(x, logits).sum().backward()
    assert torch.isfinite(logits.grad).all()


def test_standard_normal_log_prob(gen):
    z = randn(gen, 9, 4)
    torch.testing.assert_close(standard_normal_log_prob(z), Normal(0.0, 1.0).log_prob(z).sum(-1))


# ---------------------------------------------------------------------------------------- KL
def test_kl_standard_normal_matches_torch_distributions(gen):
    mu, log_sigma = randn(gen, 10, 3), 0.7 * randn(gen, 10, 3)
    q = Independent(Normal(mu, log_sigma.exp()), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    torch.testing.assert_close(kl_standard_normal(mu, log_sigma), kl_divergence(q, p), atol=1e-6, rtol=0)
    assert kl_standard_normal(torch.zeros(2, 3), torch.zeros(2, 3)).abs().max() == 0


def test_kl_standard_normal_agrees_with_monte_carlo(gen):
    mu, log_sigma = randn(gen, 4, 2), 0.5 * randn(gen, 4, 2)
    n = 200_000
    z = mu + log_sigma.exp() * randn(gen, n, 4, 2)
    log_ratio = Normal(mu, log_sigma.exp()).log_prob(z).sum(-1) - Normal(0.0, 1.0).log_prob(z).sum(-1)
    estimate, std_error = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(n)
    assert ((estimate - kl_standard_normal(mu, log_sigma)).abs() < 4 * std_error).all()


def test_kl_diag_gaussians_matches_torch_distributions(gen):
    mu_q, ls_q, mu_p, ls_p = randn(gen, 8, 5), randn(gen, 8, 5), randn(gen, 8, 5), randn(gen, 8, 5)
    ref = kl_divergence(Independent(Normal(mu_q, ls_q.exp()), 1), Independent(Normal(mu_p, ls_p.exp()), 1))
    torch.testing.assert_close(kl_diag_gaussians(mu_q, ls_q, mu_p, ls_p), ref, atol=1e-6, rtol=0)
    shared_mu, shared_ls = randn(gen, 5), randn(gen, 5)  # one prior shared by the batch
    ref = kl_divergence(
        Independent(Normal(mu_q, ls_q.exp()), 1),
        Independent(Normal(shared_mu.expand(8, 5), shared_ls.exp().expand(8, 5)), 1),
    )
    torch.testing.assert_close(kl_diag_gaussians(mu_q, ls_q, shared_mu, shared_ls), ref)
    torch.testing.assert_close(kl_diag_gaussians(mu_q, ls_q, 0.0, 0.0), kl_standard_normal(mu_q, ls_q))


# -------------------------------------------------------------------------- reparameterization
def test_reparameterize_shapes_moments_and_gradients():
    torch.manual_seed(0)
    mu = torch.tensor([[1.0, -2.0]], dtype=torch.float64, requires_grad=True)
    log_sigma = torch.tensor([[0.0, math.log(3.0)]], dtype=torch.float64, requires_grad=True)
    assert reparameterize(mu, log_sigma).shape == (1, 2)
    z = reparameterize(mu, log_sigma, n_samples=100_000)
    assert z.shape == (100_000, 1, 2)
    n = z.shape[0]
    sigma = torch.tensor([1.0, 3.0], dtype=torch.float64)
    assert ((z.mean(0)[0] - mu[0]).abs() < 4 * sigma / math.sqrt(n)).all()
    assert ((z.std(0)[0] - sigma).abs() < 4 * sigma / math.sqrt(2 * n)).all()
    z.sum().backward()  # dz/dμ = 1 and dz/dlog σ = σ ε = z − μ
    torch.testing.assert_close(mu.grad, torch.full((1, 2), float(n), dtype=torch.float64))
    torch.testing.assert_close(log_sigma.grad, (z - mu).detach().sum(0))


def test_reparameterize_is_deterministic_under_a_seed_and_takes_numpy_sizes():
    mu, log_sigma = torch.zeros(3, 2), torch.zeros(3, 2)
    torch.manual_seed(5)
    first = reparameterize(mu, log_sigma, n_samples=4)
    torch.manual_seed(5)
    assert torch.equal(first, reparameterize(mu, log_sigma, n_samples=np.int64(4)))


def test_log_mean_exp_is_exact_and_stable(gen):
    a = randn(gen, 6, 3)
    torch.testing.assert_close(log_mean_exp(a, dim=0), a.exp().mean(0).log())
    big = torch.full((4, 2), 1000.0)
    torch.testing.assert_close(log_mean_exp(big, dim=0), torch.full((2,), 1000.0))
    assert torch.isfinite(log_mean_exp(-big, dim=1)).all()
    torch.testing.assert_close(log_mean_exp(a, dim=-1), a.exp().mean(1).log())


# ------------------------------------------------------------- ELBO and IWAE on a linear-Gaussian model
@pytest.fixture
def model_and_x():
    model = LinearGaussian.random(x_dim=5, z_dim=2, sigma=0.5, seed=1)
    x, _ = model.sample(1, torch.Generator().manual_seed(0))
    return model, x.expand(4000, 5)  # one x, many independent Monte Carlo draws


def test_elbo_with_the_true_posterior_equals_log_marginal(model_and_x):
    model, x = model_and_x
    torch.manual_seed(0)
    mu, log_sigma = model.posterior(x)
    result = elbo(x, mu, log_sigma, model.log_likelihood)
    assert isinstance(result, ELBO) and all(t.shape == (4000,) for t in result)
    torch.testing.assert_close(result.elbo, result.reconstruction - result.kl)
    std_error = result.elbo.std() / math.sqrt(len(x))
    assert (result.elbo.mean() - model.log_marginal(x[:1])[0]).abs() < 4 * std_error


def test_elbo_gap_equals_kl_to_the_true_posterior(model_and_x):
    model, x = model_and_x
    torch.manual_seed(1)
    post_mu, post_ls = model.posterior(x)
    mu, log_sigma = post_mu + 0.3, post_ls - 0.2
    result = elbo(x, mu, log_sigma, model.log_likelihood, n_samples=2)
    gap = model.log_marginal(x[:1])[0] - result.elbo.mean()
    expected = kl_diag_gaussians(mu, log_sigma, post_mu, post_ls)[0]
    assert expected > 0.5  # a gap worth measuring
    assert (gap - expected).abs() < 4 * result.elbo.std() / math.sqrt(len(x))


def test_elbo_beta_weights_only_the_kl(model_and_x):
    model, x = model_and_x
    mu, log_sigma = model.posterior(x[:10])
    torch.manual_seed(0)
    plain = elbo(x[:10], mu, log_sigma, model.log_likelihood)
    torch.manual_seed(0)
    weighted = elbo(x[:10], mu, log_sigma, model.log_likelihood, beta=4.0)
    torch.testing.assert_close(weighted.reconstruction, plain.reconstruction)
    torch.testing.assert_close(weighted.elbo, plain.reconstruction - 4.0 * plain.kl)


def test_iwae_with_the_true_posterior_is_exact_for_every_sample(model_and_x):
    model, x = model_and_x
    mu, log_sigma = model.posterior(x[:20])
    for k in (1, 7):
        torch.testing.assert_close(
            iwae(x[:20], mu, log_sigma, model.log_likelihood, k=k), model.log_marginal(x[:20]), atol=1e-10, rtol=0
        )


def test_iwae_grows_with_k_towards_log_marginal(model_and_x):
    model, x = model_and_x
    torch.manual_seed(2)
    post_mu, post_ls = model.posterior(x)
    mu, log_sigma = post_mu[:1000] + 0.3, post_ls[:1000] - 0.2
    x = x[:1000]
    log_px = model.log_marginal(x[:1])[0]
    means, errors = [], []
    for k in (1, 4, 16, 64, 256):
        bound = iwae(x, mu, log_sigma, model.log_likelihood, k=k, chunk_size=64)
        means.append(bound.mean())
        errors.append(bound.std() / math.sqrt(len(x)))
    for k, (m, e) in enumerate(zip(means, errors)):
        assert m < log_px + 4 * e, f"IWAE above log p(x) at step {k}"
    for (m0, e0), (m1, e1) in zip(zip(means, errors), zip(means[1:], errors[1:])):
        assert m1 > m0 - 4 * math.hypot(e0, e1)
    assert means[-1] - means[0] > 0.5  # it really grows,
    assert log_px - means[-1] < 0.1  # and closes most of the 0.89-nat gap at K = 256


def test_iwae_chunks_bound_the_decoder_batch(model_and_x):
    model, x = model_and_x
    seen = []

    def log_likelihood(x, z):
        seen.append(len(z))
        return model.log_likelihood(x, z)

    mu, log_sigma = model.posterior(x[:8])
    result = iwae(x[:8], mu, log_sigma, log_likelihood, k=10, chunk_size=3)
    assert seen == [24, 24, 24, 8] and result.shape == (8,)
    torch.testing.assert_close(result, model.log_marginal(x[:8]))


def test_elbo_works_with_image_shaped_bernoulli_decoders():
    torch.manual_seed(0)
    decoder = torch.nn.Linear(3, 16)
    x = (torch.rand(5, 1, 4, 4) < 0.5).float()
    mu, log_sigma = torch.randn(5, 3), torch.zeros(5, 3)

    def log_likelihood(x, z):
        return bernoulli_log_likelihood(x, decoder(z).view(-1, 1, 4, 4))

    result = elbo(x, mu, log_sigma, log_likelihood, n_samples=3)
    assert all(t.shape == (5,) for t in result)
    assert iwae(x, mu, log_sigma, log_likelihood, k=4).shape == (5,)
    result.elbo.mean().backward()
    assert decoder.weight.grad is not None and torch.isfinite(decoder.weight.grad).all()


def test_iwae_log_q_does_not_lose_the_noise_to_rounding():
    # σ so small that z = μ + σ·ε rounds to μ: log q(z | x) must still see ε (−ε²/2 per dimension).
    # With k = 1 and log p(x | z) = 0 the bound is log p(z) − log q(z | x), whose expectation is
    # E_q log p(z) + H(q) = log p(μ) + entropy of q (σ² ≈ 0), from torch.distributions.
    torch.manual_seed(0)
    n = 20_000
    mu = torch.ones(n, 2, dtype=torch.float64)
    log_sigma = torch.full((n, 2), -45.0, dtype=torch.float64)
    bound = iwae(torch.zeros(n, 3), mu, log_sigma, lambda x, z: torch.zeros(len(z), dtype=z.dtype), k=1)
    expected = Normal(0.0, 1.0).log_prob(mu[0]).sum() + Normal(mu[0], log_sigma[0].exp()).entropy().sum()
    std_error = bound.std() / math.sqrt(n)
    assert abs(bound.mean() - expected) < 5 * std_error


@pytest.mark.parametrize("bound", ["elbo", "iwae"])
def test_an_overflowing_log_sigma_z_is_named(bound):
    # finite encoder outputs whose σ = exp(200) overflows float32: the error names log_sigma_z, not x
    x, mu = torch.zeros(3, 4), torch.zeros(3, 2)
    log_sigma = torch.full((3, 2), 200.0)

    def log_likelihood(x, z):
        return gaussian_log_likelihood(x, torch.zeros_like(x), 0.0) + 0.0 * z.sum(-1)

    call = {
        "elbo": lambda: elbo(x, mu, log_sigma, log_likelihood),
        "iwae": lambda: iwae(x, mu, log_sigma, log_likelihood, k=3),
    }
    with pytest.raises(ValueError, match="log_sigma_z is too large"):
        call[bound]()


# -------------------------------------------------------------------------------- bits per dimension
def test_bits_per_dim_of_a_uniform_byte_model_is_eight():
    # a uniform distribution over 256 values per dimension: −log p(x) = D log 256 nats, 8 bits per dimension
    nll = 784 * math.log(256)
    assert bits_per_dim(nll, 784) == pytest.approx(8.0, rel=1e-12)
    assert bits_per_dim(np.float32(2 * math.log(2)), 2) == pytest.approx(1.0, rel=1e-6)  # one bit: a fair coin
    per_example = bits_per_dim(torch.tensor([784 * math.log(256), 784 * math.log(2)]), 784)
    torch.testing.assert_close(per_example, torch.tensor([8.0, 1.0]))
    for bad_dims in (0, 2.5, True):
        with pytest.raises(ValueError, match="dims"):
            bits_per_dim(1.0, bad_dims)
    with pytest.raises(ValueError, match="nll"):
        bits_per_dim(math.inf, 784)


# -------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: gaussian_log_likelihood(torch.zeros(3, 2), torch.zeros(3, 3), torch.zeros(3, 3)), "x"),
        (lambda: gaussian_log_likelihood(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(2, 2)), "log_sigma"),
        (lambda: gaussian_log_likelihood_fixed(torch.zeros(3, 2), torch.zeros(3, 2), -1.0), "sigma"),
        (lambda: bernoulli_log_likelihood(torch.zeros(4), torch.zeros(4, 1)), "x"),
        (lambda: bernoulli_log_likelihood(torch.full((2, 2), 2.0), torch.zeros(2, 2)), "x"),
        (lambda: gaussian_log_likelihood(torch.tensor([[float("nan")]]), torch.zeros(1, 1), 0.0), "x"),
        (lambda: kl_standard_normal(torch.zeros(3, 2), torch.zeros(3)), "log_sigma"),
        (lambda: kl_diag_gaussians(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(4, 2), 0.0), "mu_p"),
        (lambda: reparameterize(torch.zeros(3, 2), torch.zeros(3, 2), n_samples=0), "n_samples"),
        (lambda: elbo(torch.zeros(4, 5), torch.zeros(3, 2), torch.zeros(3, 2), None), "batch size"),
        (lambda: elbo(torch.zeros(3, 5), torch.zeros(3, 2, 1), torch.zeros(3, 2, 1), None), "mu_z"),
        (
            lambda: elbo(torch.zeros(3, 5), torch.zeros(3, 2), torch.zeros(3, 2), lambda x, z: torch.zeros(len(x), 1)),
            "log_likelihood",
        ),
        (
            lambda: elbo(
                torch.zeros(3, 5), torch.zeros(3, 2), torch.zeros(3, 2), lambda x, z: torch.zeros(len(x)), beta=-1.0
            ),
            "beta",
        ),
        (
            lambda: iwae(
                torch.zeros(3, 5), torch.zeros(3, 2), torch.zeros(3, 2), lambda x, z: torch.zeros(len(x)), k=0
            ),
            "k",
        ),
        (
            lambda: iwae(
                torch.zeros(3, 5),
                torch.zeros(3, 2),
                torch.zeros(3, 2),
                lambda x, z: torch.zeros(len(x)),
                k=4,
                chunk_size=0,
            ),
            "chunk_size",
        ),
        (lambda: reparameterize(torch.zeros(3, 2), torch.zeros(3, 2), n_samples=2.5), "n_samples"),
        (lambda: log_mean_exp(torch.zeros(0, 2), dim=0), "a"),
        (lambda: standard_normal_log_prob([1.0, 2.0]), "z"),
        (lambda: standard_normal_log_prob(torch.zeros(3)), r"z must be \(batch, z_dim\)"),  # not per coordinate
        (lambda: kl_standard_normal(torch.zeros(3), torch.zeros(3)), r"mu must be \(batch, z_dim\)"),
        (lambda: log_mean_exp(torch.zeros(2, 3), dim=2), r"dim must be an integer in \[-2, 2\)"),
        (lambda: log_mean_exp(torch.zeros(2, 3), dim=-3), "dim"),
        (lambda: log_mean_exp(torch.zeros(2, 3), dim=0.5), "dim"),
        # issue 11, item 7: complex, bool and meta tensors are refused, naming the argument
        (
            lambda: gaussian_log_likelihood(torch.zeros(3, 2, dtype=torch.complex64), torch.zeros(3, 2), 0.0),
            "x must hold real numbers, got complex",
        ),
        (
            lambda: gaussian_log_likelihood(torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.complex64), 0.0),
            "mean must hold real numbers, got complex",
        ),
        (
            lambda: kl_standard_normal(torch.zeros(3, 2, dtype=torch.complex64), torch.zeros(3, 2)),
            "mu must hold real numbers, got complex",
        ),
        (
            lambda: kl_standard_normal(torch.zeros(3, 2), np.zeros((3, 2), dtype=np.complex128)),
            "log_sigma must hold real numbers, got complex",
        ),
        (
            lambda: bernoulli_log_likelihood(torch.ones(3, 2, dtype=torch.bool), torch.zeros(3, 2)),
            "x must hold numbers, got dtype torch.bool",
        ),
        (lambda: standard_normal_log_prob(torch.zeros(3, 2, dtype=torch.bool)), "z must hold numbers"),
        (lambda: kl_standard_normal(torch.zeros(3, 2, device="meta"), torch.zeros(3, 2)), "mu is a meta tensor"),
        (
            lambda: elbo(torch.zeros(3, 5, dtype=torch.complex64), torch.zeros(3, 2), torch.zeros(3, 2), None),
            "x must hold real numbers",
        ),
    ],
)
def test_bad_arguments_are_value_errors_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_elbo_and_iwae_run_on_cuda_and_match_cpu():
    model = LinearGaussian.random(x_dim=5, z_dim=2, seed=3)
    x, _ = model.sample(6, torch.Generator().manual_seed(0))
    mu, log_sigma = model.posterior(x)
    W, b = model.W.cuda(), model.b.cuda()

    def log_likelihood(x, z):
        return gaussian_log_likelihood_fixed(x, z @ W.T + b, model.sigma)

    on_gpu = iwae(x.cuda(), mu.cuda(), log_sigma.cuda(), log_likelihood, k=5)
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), model.log_marginal(x))
    result = elbo(x.cuda(), mu.cuda(), log_sigma.cuda(), log_likelihood, n_samples=2)
    assert all(t.device.type == "cuda" and t.shape == (6,) for t in result)


def test_iwae_log_weights_are_log_p_x_z_minus_log_q_and_iwae_their_log_mean_exp():
    torch.manual_seed(0)
    x, mu, log_sigma = torch.randn(3, 2), torch.randn(3, 2), 0.3 * torch.randn(3, 2)

    def log_lik(x, z):  # p(x | z) = N(z, I)
        return Normal(z, 1.0).log_prob(x).sum(-1)

    torch.manual_seed(1)
    log_w = iwae_log_weights(x, mu, log_sigma, log_lik, 5, chunk_size=2)
    torch.manual_seed(1)
    eps = torch.cat([torch.randn(2, 3, 2), torch.randn(2, 3, 2), torch.randn(1, 3, 2)])  # the chunks' draws
    z = mu + log_sigma.exp() * eps
    q = Normal(mu, log_sigma.exp())
    expected = Normal(z, 1.0).log_prob(x).sum(-1) + Normal(0.0, 1.0).log_prob(z).sum(-1) - q.log_prob(z).sum(-1)
    assert log_w.shape == (5, 3) and torch.allclose(log_w, expected, atol=1e-5)
    torch.manual_seed(1)
    assert torch.allclose(iwae(x, mu, log_sigma, log_lik, 5, chunk_size=2), torch.logsumexp(log_w, 0) - math.log(5))
