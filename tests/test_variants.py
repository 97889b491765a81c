"""seminar_utils.priors, variants and gaps against independent references: the mixture log-density
against an explicit loop and torch.distributions, the IWAE objective's gradient against the
normalized-weights formula, the variant VAE's log weights against seminar_utils.losses, the gaps on
a linear-Gaussian model whose log p(x) and posterior are exact."""

from __future__ import annotations

import math

import torch
from torch import nn

from seminar_utils import losses
from seminar_utils.gaps import active_units, gap_bounds, log_aggregate_posterior
from seminar_utils.posteriors import DiagonalGaussian, FullGaussian
from seminar_utils.priors import MixturePrior, StandardNormalPrior, mixture_log_prob
from seminar_utils.variants import VariantVAE, iwae_objective, mlp_variant, normalized_weights


def _mixture(seed=0, c=3, d=2):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(c, d, generator=g, dtype=torch.float64),
        0.3 * torch.randn(c, d, generator=g, dtype=torch.float64),
        torch.randn(c, generator=g, dtype=torch.float64),
    )


def test_mixture_log_prob_matches_an_explicit_loop_and_torch_distributions():
    means, log_sigmas, logits = _mixture()
    z = 2 * torch.randn(7, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    weights = torch.softmax(logits, 0)
    expected = []
    for row in z:
        total = 0.0
        for c in range(3):
            density = 1.0
            for j in range(2):
                s = math.exp(log_sigmas[c, j])
                density *= math.exp(-0.5 * ((row[j] - means[c, j]) / s) ** 2) / (s * math.sqrt(2 * math.pi))
            total += weights[c].item() * density
        expected.append(math.log(total))
    assert torch.allclose(mixture_log_prob(z, means, log_sigmas, logits), torch.tensor(expected, dtype=torch.float64))
    reference = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=logits),
        torch.distributions.Independent(torch.distributions.Normal(means, torch.exp(log_sigmas)), 1),
    )
    far = torch.tensor([[60.0, -80.0]], dtype=torch.float64)  # every component's density underflows
    assert torch.allclose(mixture_log_prob(far, means, log_sigmas, logits), reference.log_prob(far))
    assert torch.isfinite(mixture_log_prob(far, means, log_sigmas, logits)).all()


def test_mixture_prior_samples_follow_its_density():
    prior = MixturePrior(2, 4, init_spread=3.0, seed=2).double()
    z = prior.sample(200_000, generator=torch.Generator().manual_seed(0))
    weights = torch.softmax(prior.logits.detach(), 0)
    assert torch.allclose(z.mean(0), weights @ prior.means.detach(), atol=0.03)
    box = ((z > 0) & (z < 1)).all(-1).float().mean()  # P(box) by sampling and by integrating the density
    grid = torch.stack(
        torch.meshgrid(*(torch.linspace(0.005, 0.995, 100, dtype=torch.float64),) * 2, indexing="ij"), -1
    )
    integral = torch.exp(prior.log_prob(grid.reshape(-1, 2))).mean().detach()
    assert abs(box - integral) < 0.01


def test_iwae_objective_gradient_is_the_normalized_weight_average():
    theta = torch.randn(4, dtype=torch.float64, requires_grad=True)
    a = torch.randn(6, 3, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    log_w = (a * theta).sum(-1) - (theta**2).sum() - 700.0  # (K=6, batch=3), far below 0: exp underflows
    grad = torch.autograd.grad(iwae_objective(log_w).sum(), theta)[0]
    per_sample = a - 2 * theta.detach()  # ∇ log w_k for each k and example
    w = normalized_weights(log_w.detach())
    assert torch.allclose(w.sum(0), torch.ones(3, dtype=torch.float64))
    assert torch.allclose(grad, (w[..., None] * per_sample).sum((0, 1)))
    assert torch.allclose(iwae_objective(log_w), torch.logsumexp(log_w, 0) - math.log(6))


def test_variant_log_weights_equal_the_losses_module_for_a_diagonal_gaussian_and_normal_prior():
    torch.manual_seed(0)
    model = mlp_variant(6, 3, (8,), likelihood="bernoulli").double()
    x = (torch.rand(5, 6, dtype=torch.float64) > 0.5).double()
    torch.manual_seed(1)
    ours = model.log_weights(x, 7)
    params = model.posterior_params(x)
    torch.manual_seed(1)
    ll = lambda x_, z: losses.bernoulli_log_likelihood(x_, model.decoder(z))
    reference = losses.iwae_log_weights(x, params[:, :3], params[:, 3:], ll, 7)
    assert torch.allclose(ours, reference)
    terms = model.loss_terms(x)
    assert torch.allclose(terms["loss"], terms["neg_elbo"])  # train_k = 1: the loss is −ELBO


class _LinearDecoder(nn.Module):
    """p(x | z) = N(W z + c, s² I): log p(x) and p(z | x) are Gaussian and exact."""

    def __init__(self, weight, bias, log_s):
        super().__init__()
        self.weight, self.bias, self.log_s = nn.Parameter(weight), nn.Parameter(bias), log_s
        self.likelihood = "gaussian"

    def forward(self, z):
        mean = z @ self.weight.T + self.bias
        return mean, torch.full_like(mean, self.log_s)


def _linear_model(family):
    g = torch.Generator().manual_seed(4)
    weight = torch.tensor([[2.0, 1.5], [1.0, -1.0], [0.5, 2.0]], dtype=torch.float64)  # correlated posterior
    bias, log_s = torch.randn(3, generator=g, dtype=torch.float64), math.log(0.5)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64) * 2
    cov = weight @ weight.T + math.exp(2 * log_s) * torch.eye(3, dtype=torch.float64)
    exact = -torch.distributions.MultivariateNormal(bias, cov).log_prob(x)
    torch.manual_seed(0)
    encoder = nn.Linear(3, family.n_params).double()
    model = VariantVAE(encoder, family, _LinearDecoder(weight, bias, log_s), StandardNormalPrior(2), "gaussian")
    return model, x, exact, (weight, bias, log_s)


def test_at_the_exact_posterior_every_log_weight_is_log_p_x():
    """A full Gaussian can be p(z | x) of a linear-Gaussian model; then w_k = p(x) for every draw."""
    family = FullGaussian(2)
    model, x, exact, (weight, bias, log_s) = _linear_model(family)
    precision = torch.eye(2, dtype=torch.float64) + weight.T @ weight / math.exp(2 * log_s)
    cov = torch.linalg.inv(precision)
    mean = (x - bias) @ weight @ cov / math.exp(2 * log_s)  # (4, 2)
    scale = torch.linalg.cholesky(cov)
    params = torch.cat(
        [mean, torch.log(torch.diagonal(scale)).expand(4, 2), scale[1, 0].reshape(1, 1).expand(4, 1)], dim=1
    )
    log_w = model.log_weights_from(x, params, 50)
    assert torch.allclose(log_w, -exact.expand(50, 4), atol=1e-10)


def test_the_best_local_q_bounds_log_p_x_and_a_full_gaussian_gets_closer():
    result = {}
    for name, family in [("diagonal", DiagonalGaussian(2)), ("full", FullGaussian(2))]:
        model, x, exact, _ = _linear_model(family)
        before = [p.detach().clone() for p in model.parameters()]
        result[name] = gap_bounds(model, x, steps=600, k=1000, n_samples=16, lr=0.03, eval_samples=2000)
        assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # the model is left alone
        r = {k: torch.tensor(v, dtype=torch.float64) for k, v in result[name].items() if k != "trace"}
        assert torch.allclose(r["nll"], exact, atol=0.1)
        assert (r["neg_elbo_best"] < r["neg_elbo_encoder"]).all()  # optimizing q per digit helps
        assert (r["neg_elbo_best"] > exact - 0.02).all()  # and the ELBO stays a bound
    approx = {n: (torch.tensor(r["neg_elbo_best"], dtype=torch.float64) - exact).mean() for n, r in result.items()}
    assert approx["diagonal"] > 0.08 and approx["full"] < approx["diagonal"] - 0.03


def test_active_units_count_the_dimensions_whose_mean_moves_with_x():
    family = DiagonalGaussian(3)
    encoder = nn.Linear(2, 6).double()
    with torch.no_grad():
        encoder.weight.zero_()
        encoder.bias.zero_()
        encoder.weight[0, 0] = 1.0  # μ₁ = x₁: active; μ₂ = μ₃ = 0 with σ = 1: inactive
    model = VariantVAE(encoder, family, _LinearDecoder(torch.zeros(2, 3), torch.zeros(2), 0.0), StandardNormalPrior(3))
    model.likelihood = "gaussian"
    x = torch.randn(400, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    units = active_units(model, x, n_samples=50)
    assert units["active"] == 1 and abs(units["variance"][0] - x[:, 0].var().item()) < 0.05
    assert max(units["variance"][1:]) < 0.01


def test_log_aggregate_posterior_matches_an_explicit_mixture():
    g = torch.Generator().manual_seed(6)
    mu, log_sigma = torch.randn(5, 2, generator=g), 0.3 * torch.randn(5, 2, generator=g)
    z = torch.randn(9, 2, generator=g)
    comps = torch.distributions.Independent(torch.distributions.Normal(mu, torch.exp(log_sigma)), 1)
    expected = torch.logsumexp(comps.log_prob(z[:, None, :]), 1) - math.log(5)
    assert torch.allclose(log_aggregate_posterior(z, mu, log_sigma, chunk_size=4), expected, atol=1e-5)
