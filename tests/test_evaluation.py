"""seminar_utils.evaluation: −ELBO, the IWAE NLL and bits/dim over a data set, against a model whose
log p(x) is known in closed form, and against the per-example bounds they average."""

import math

import numpy as np
import pytest
import torch
import torch.distributions as D
from scipy import stats

from seminar_utils.conv import conv_vae
from seminar_utils.evaluation import likelihood_metrics, mean_se, per_example_bounds
from seminar_utils.models import VAE, mlp_vae

# a linear-Gaussian VAE: p(z) = N(0, I), p(x | z) = N(W z + b, diag s²) with W diagonal; its encoder is
# the exact posterior, so every importance weight is p(x) and the IWAE bound is log p(x) exactly
W = torch.tensor([2.0, 0.5], dtype=torch.float64)
B = torch.tensor([1.0, -2.0], dtype=torch.float64)
S = torch.tensor([0.7, 1.5], dtype=torch.float64)


def exact_vae() -> VAE:
    vae = mlp_vae(2, 2, hidden=()).double()
    var = 1.0 / (1.0 + W**2 / S**2)
    with torch.no_grad():
        dec, enc = vae.decoder.net[0], vae.encoder.net[0]
        dec.weight.zero_()
        dec.weight[:2] = torch.diag(W)
        dec.bias[:2], dec.bias[2:] = B, S.log()
        enc.weight.zero_()
        enc.weight[:2] = torch.diag(var * W / S**2)
        enc.bias[:2], enc.bias[2:] = -var * W / S**2 * B, 0.5 * var.log()
    return vae


def marginal() -> D.MultivariateNormal:
    return D.MultivariateNormal(B, covariance_matrix=torch.diag(W**2 + S**2))


def images(n: int = 8, seed: int = 0) -> torch.Tensor:
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) > 0.7).float()


def test_metrics_of_a_model_with_a_known_likelihood():
    x = marginal().sample((50,))
    nll = -marginal().log_prob(x).numpy()
    metrics = likelihood_metrics(exact_vae(), x, k=5, batch_size=16, chunk_size=2)
    assert metrics["n"] == 50
    assert metrics["nll_iwae"] == pytest.approx(nll.mean(), rel=1e-9)
    assert metrics["nll_iwae_se"] == pytest.approx(stats.sem(nll), rel=1e-6)
    # −ELBO with one z per example: with the exact posterior its expectation is −log p(x) (no gap)
    gap = per_example_bounds(exact_vae(), x, k=5, batch_size=16, chunk_size=2)["neg_elbo"].numpy() - nll
    assert metrics["neg_elbo"] == pytest.approx(nll.mean() + gap.mean(), rel=1e-9)
    assert abs(gap.mean()) < 4 * stats.sem(gap)
    # bits per dimension: nats → bits (÷ ln 2), per dimension (÷ 2)
    assert metrics["bits_per_dim"] == pytest.approx(np.mean(nll) / 2 / math.log(2), rel=1e-9)


def test_per_example_bounds_are_the_negated_bounds_of_each_example():
    x = marginal().sample((30,))
    bounds = per_example_bounds(exact_vae(), x, k=4, batch_size=7, chunk_size=3)
    assert set(bounds) == {"neg_elbo", "nll_iwae"}
    for values in bounds.values():
        assert values.shape == (30,) and values.device.type == "cpu"
    # exact posterior: every importance weight is p(x), so −IWAE is −log p(x) for every example
    torch.testing.assert_close(bounds["nll_iwae"], -marginal().log_prob(x))


def test_likelihood_metrics_agree_with_the_bounds_and_leave_the_rng_alone():
    torch.manual_seed(0)
    model = conv_vae(z_dim=3, channels=(4, 8))
    x = images(6)
    state = torch.random.get_rng_state()
    metrics = likelihood_metrics(model, x, k=20, batch_size=4, chunk_size=7)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert metrics == likelihood_metrics(model, x, k=20, batch_size=4, chunk_size=7)  # seeded
    with torch.no_grad():
        neg_elbo = -model.elbo(x, n_samples=300).elbo.mean()
    # E[−IWAE_K] ≤ −ELBO: more samples give a tighter bound; here by a clear margin
    assert metrics["nll_iwae"] < metrics["neg_elbo"]
    assert metrics["neg_elbo"] == pytest.approx(neg_elbo.item(), rel=0.05)
    assert metrics["bits_per_dim"] == pytest.approx(metrics["nll_iwae"] / (784 * math.log(2)))
    bounds = per_example_bounds(model, x, k=20, batch_size=4, chunk_size=7)
    for name in ("neg_elbo", "nll_iwae"):
        assert metrics[name] == pytest.approx(bounds[name].mean().item(), rel=1e-12)
        assert metrics[f"{name}_se"] == pytest.approx(stats.sem(bounds[name].numpy()), rel=1e-6)
    assert model.training  # the mode is restored


def test_one_example_has_no_standard_error():
    metrics = likelihood_metrics(exact_vae(), marginal().sample((1,)), k=2)
    assert metrics["n"] == 1 and math.isnan(metrics["nll_iwae_se"]) and math.isnan(metrics["neg_elbo_se"])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m, x: likelihood_metrics(m, x, k=5, batch_size=0), "batch_size must be a positive integer"),
        (lambda m, x: likelihood_metrics(m, x, k=5, chunk_size=0), "chunk_size must be a positive integer"),
        (lambda m, x: likelihood_metrics(m, x, k=0), "k must be a positive integer"),
        (lambda m, x: per_example_bounds(m, x, k=5, chunk_size=0), "chunk_size must be a positive integer"),
        (lambda m, x: per_example_bounds(m, x, k=5, batch_size=0), "batch_size must be a positive integer"),
        (lambda m, x: per_example_bounds(m, x, k=5, seed=-1), "seed"),
        (lambda m, x: likelihood_metrics(m, x.to(torch.complex64), k=5), "x must hold real numbers"),
        (lambda m, x: likelihood_metrics(m, x[:0], k=5), "x must hold N > 0 examples"),
    ],
)
def test_bad_arguments_are_value_errors_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call(exact_vae(), marginal().sample((4,)))


def test_cached_metrics_are_computed_once_per_weights_and_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMINAR_CHECKPOINT_DIR", str(tmp_path))
    torch.manual_seed(0)
    model = conv_vae(z_dim=3, channels=(4, 8))
    x = images(6)
    first = likelihood_metrics(model, x, k=5, cache=True)
    assert first == likelihood_metrics(model, x, k=5)  # the same numbers as uncached
    assert len(list(tmp_path.glob("metrics-*.json"))) == 1
    likelihood_metrics(model, x, k=5, cache=True)
    assert len(list(tmp_path.glob("metrics-*.json"))) == 1  # read back, not recomputed
    with torch.no_grad():
        model.decoder.net[0].bias += 0.1  # other weights: another entry
    assert likelihood_metrics(model, x, k=5, cache=True) != first
    likelihood_metrics(model, x[:3], k=5, cache=True)  # other data
    assert len(list(tmp_path.glob("metrics-*.json"))) == 3


def test_mean_se_is_the_mean_and_scipys_standard_error():
    values = torch.randn(50, generator=torch.Generator().manual_seed(3)) * 2.0 + 1.0
    mean, se = mean_se(values)
    assert mean == pytest.approx(values.double().mean().item(), rel=1e-12)
    assert se == pytest.approx(stats.sem(values.double().numpy()), rel=1e-12)
    assert math.isnan(mean_se([4.0])[1])
    with pytest.raises(ValueError, match="values"):
        mean_se(torch.zeros(2, 2))
