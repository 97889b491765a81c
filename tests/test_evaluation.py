"""seminar_utils.evaluation: −ELBO, the IWAE NLL and bits/dim over a data set, against a model whose
log p(x) is known in closed form, and against the per-example bounds they average."""

import math

import numpy as np
import pytest
import torch
from helpers import binary_images, linear_marginal, linear_vae
from scipy import stats

from seminar_utils.conv import conv_vae
from seminar_utils.evaluation import (
    cached_evaluation,
    iwae_by_k,
    likelihood_metrics,
    log_importance_weights,
    mean_neg_elbo,
    mean_se,
    per_example_bounds,
)


def test_metrics_of_a_model_with_a_known_likelihood():
    x = linear_marginal().sample((50,))
    nll = -linear_marginal().log_prob(x).numpy()
    metrics = likelihood_metrics(linear_vae(), x, k=5, batch_size=16, chunk_size=2)
    assert metrics["n"] == 50
    assert metrics["nll_iwae"] == pytest.approx(nll.mean(), rel=1e-9)
    assert metrics["nll_iwae_se"] == pytest.approx(stats.sem(nll), rel=1e-6)
    # −ELBO with one z per example: with the exact posterior its expectation is −log p(x) (no gap)
    gap = per_example_bounds(linear_vae(), x, k=5, batch_size=16, chunk_size=2)["neg_elbo"].numpy() - nll
    assert metrics["neg_elbo"] == pytest.approx(nll.mean() + gap.mean(), rel=1e-9)
    assert abs(gap.mean()) < 4 * stats.sem(gap)
    # bits per dimension: nats → bits (÷ ln 2), per dimension (÷ 2)
    assert metrics["bits_per_dim"] == pytest.approx(np.mean(nll) / 2 / math.log(2), rel=1e-9)


def test_per_example_bounds_are_the_negated_bounds_of_each_example():
    x = linear_marginal().sample((30,))
    bounds = per_example_bounds(linear_vae(), x, k=4, batch_size=7, chunk_size=3)
    assert set(bounds) == {"neg_elbo", "nll_iwae"}
    for values in bounds.values():
        assert values.shape == (30,) and values.device.type == "cpu"
    # exact posterior: every importance weight is p(x), so −IWAE is −log p(x) for every example
    torch.testing.assert_close(bounds["nll_iwae"], -linear_marginal().log_prob(x))


def test_likelihood_metrics_agree_with_the_bounds_and_leave_the_rng_alone():
    torch.manual_seed(0)
    model = conv_vae(z_dim=3, channels=(4, 8))
    x = binary_images(6)
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


def test_mean_neg_elbo_of_the_exact_posterior_is_minus_log_p():
    # exact posterior: no gap, so the −ELBO's expectation is −log p(x); 4,000 draws per example
    torch.manual_seed(0)
    x = linear_marginal().sample((30,))
    expected = -linear_marginal().log_prob(x).mean().item()
    assert mean_neg_elbo(linear_vae(), x, n_samples=4000, batch_size=7) == pytest.approx(expected, abs=0.02)
    assert mean_neg_elbo(linear_vae(exact_encoder=False), x, n_samples=4000) > expected + 0.1  # q = N(0, I): a gap


def test_mean_neg_elbo_draws_like_per_example_bounds_and_leaves_the_rng_alone():
    vae, x = linear_vae(exact_encoder=False), linear_marginal().sample((12,))  # q = N(0, I): the draws matter
    before = torch.get_rng_state()
    value = mean_neg_elbo(vae, x, n_samples=1, batch_size=12, seed=3)
    assert torch.equal(torch.get_rng_state(), before)
    first = per_example_bounds(vae, x, k=2, batch_size=12, seed=3)["neg_elbo"]  # one batch: its ELBO draws first
    assert value == pytest.approx(first.mean().item(), rel=1e-12)
    assert mean_neg_elbo(vae, x, n_samples=1, batch_size=12, seed=4) != pytest.approx(value, rel=1e-6)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        mean_neg_elbo(vae, x, n_samples=0)


def test_one_example_has_no_standard_error():
    metrics = likelihood_metrics(linear_vae(), linear_marginal().sample((1,)), k=2)
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
        call(linear_vae(), linear_marginal().sample((4,)))


def test_cached_metrics_are_computed_once_per_weights_and_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMINAR_CHECKPOINT_DIR", str(tmp_path))
    torch.manual_seed(0)
    model = conv_vae(z_dim=3, channels=(4, 8))
    x = binary_images(6)
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


# --------------------------------------------------------- IWAE for several K from the same draws
def test_iwae_by_k_of_the_exact_posterior_is_log_p_for_every_k():
    vae, x = (
        linear_vae(),
        linear_marginal().sample(
            (5,),
        ),
    )
    log_w = log_importance_weights(vae, x, 40, batch_size=2)
    assert log_w.shape == (40, 5) and log_w.dtype == torch.float64
    table = iwae_by_k(log_w, [1, 4, 40])
    expected = -linear_marginal().log_prob(x).mean().item()
    assert table["k"] == [1, 4, 40] and table["groups"] == [40, 10, 1]
    assert np.allclose(table["nll"], expected, atol=1e-6)  # every weight is p(x)
    assert np.allclose(table["mc_se"][:2], 0.0, atol=1e-6) and math.isnan(table["mc_se"][2])


def test_iwae_by_k_regroups_the_draws_and_measures_their_scatter():
    torch.manual_seed(0)
    log_w = torch.randn(12, 3, dtype=torch.float64)
    table = iwae_by_k(log_w, [1, 3, 12])
    assert math.isclose(table["nll"][0], -log_w.mean().item())  # K = 1: the mean weight
    groups = torch.logsumexp(log_w.reshape(4, 3, 3), dim=1) - math.log(3)  # 4 groups of K = 3
    assert math.isclose(table["nll"][1], -groups.mean().item())
    assert math.isclose(table["mc_se"][1], math.sqrt(groups.var(dim=0).sum().item() / 4) / 3)
    assert math.isclose(table["nll"][2], -(torch.logsumexp(log_w, 0) - math.log(12)).mean().item())
    assert math.isclose(table["digit_se"][1], groups.mean(dim=0).std().item() / math.sqrt(3))
    assert table["nll"][0] > table["nll"][1] > table["nll"][2]  # the bound tightens with K here


def test_log_importance_weights_agree_with_the_iwae_bound_and_are_seeded():
    torch.manual_seed(0)
    model = conv_vae(z_dim=3, channels=(4, 8))
    x = binary_images(4)
    first = log_importance_weights(model, x, 7, seed=5)
    assert torch.equal(first, log_importance_weights(model, x, 7, seed=5))
    state = torch.random.get_rng_state()
    log_importance_weights(model, x, 7, seed=6)
    assert torch.equal(state, torch.random.get_rng_state())  # the global random state is untouched
    # the same ε as per_example_bounds' IWAE (which draws the ELBO's z first): compare via the formula
    torch.manual_seed(5)
    with torch.no_grad():
        reference = model.iwae(x, 7)
    torch.manual_seed(5)
    with torch.no_grad():
        again = torch.logsumexp(log_importance_weights(model, x, 7, seed=5), 0) - math.log(7)
    assert torch.allclose(again.float(), reference, atol=1e-4)


@pytest.mark.parametrize(
    "ks, match", [([5], "must divide the 12 draws"), ([13], "every entry of ks"), ([0], "every entry of ks")]
)
def test_iwae_by_k_names_a_k_that_does_not_fit(ks, match):
    with pytest.raises(ValueError, match=match):
        iwae_by_k(torch.zeros(12, 2), ks)


def test_cached_evaluations_are_keyed_by_weights_data_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMINAR_CHECKPOINT_DIR", str(tmp_path))
    model, x, calls = conv_vae(z_dim=3, channels=(4, 8)), binary_images(3), []

    def compute():
        calls.append(1)
        return {"value": [1.0, 2.0]}

    assert cached_evaluation("curve", compute, model, x, k=3) == {"value": [1.0, 2.0]}
    assert cached_evaluation("curve", compute, model, x, k=3) == {"value": [1.0, 2.0]} and len(calls) == 1
    cached_evaluation("curve", compute, model, x, k=4)  # other settings
    cached_evaluation("curve", compute, model, binary_images(3, seed=1), k=3)  # other data
    with torch.no_grad():
        model.decoder.net[0].bias += 0.1  # other weights
    cached_evaluation("curve", compute, model, x, k=3)
    assert len(calls) == 4 and len(list(tmp_path.glob("curve-*.json"))) == 4
