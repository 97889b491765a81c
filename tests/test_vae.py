import json
import math

import numpy as np
import pytest
import torch
import torch.distributions as D
from helpers import B, S, W, linear_marginal, linear_vae
from torch import nn

from seminar_utils.vae import VAE, MLPDecoder, MLPEncoder, count_parameters, mlp_vae


def test_encoder_and_decoder_shapes():
    enc, dec = MLPEncoder(2, 3, hidden=(16,)), MLPDecoder(3, 2, hidden=(16, 8))
    mu, log_sigma = enc(torch.randn(5, 2))
    assert mu.shape == log_sigma.shape == (5, 3)
    mu_x, log_sigma_x = dec(mu)
    assert mu_x.shape == log_sigma_x.shape == (5, 2)
    logits = MLPDecoder(3, 12, likelihood="bernoulli", out_shape=(1, 3, 4))(mu)
    assert logits.shape == (5, 1, 3, 4)
    mu_img, _ = MLPDecoder(3, 12, out_shape=(1, 3, 4))(mu)
    assert mu_img.shape == (5, 1, 3, 4)
    assert MLPEncoder(12, 3)(torch.rand(5, 1, 3, 4))[0].shape == (5, 3)  # images are flattened


def test_count_parameters_counts_every_weight_and_bias():
    vae = mlp_vae(2, 3, hidden=(10,))
    expected = (2 * 10 + 10) + (10 * 6 + 6) + (3 * 10 + 10) + (10 * 4 + 4)
    assert count_parameters(vae) == expected
    vae.encoder.requires_grad_(False)
    assert count_parameters(vae) == (3 * 10 + 10) + (10 * 4 + 4)


def test_config_names_the_architecture_and_is_json():
    a, b = mlp_vae(2, 2, (64, 64)), mlp_vae(2, 2, (64, 32))
    assert json.loads(json.dumps(a.config)) == a.config
    assert a.config["encoder"] == {"class": "MLPEncoder", "x_dim": 2, "z_dim": 2, "hidden": [64, 64]}
    assert a.config != b.config and a.config == mlp_vae(2, 2, (64, 64)).config


def test_elbo_terms_match_closed_forms_and_a_monte_carlo_reference():
    torch.manual_seed(0)
    vae = linear_vae(exact_encoder=False)
    with torch.no_grad():
        vae.encoder.net[0].bias[2:] = -0.5  # some posterior spread
    x = torch.tensor([[0.5, -1.0], [3.0, -2.5], [-1.0, 0.0]], dtype=torch.float64)
    with torch.no_grad():
        out = vae.elbo(x, n_samples=20_000, beta=0.7)
        mu, log_sigma = vae.encode(x)
        q = D.Normal(mu, log_sigma.exp())
        kl = D.kl_divergence(q, D.Normal(0.0, 1.0)).sum(-1)
        z = q.sample((20_000,))
        ref = D.Normal(z @ torch.diag(W) + B, S).log_prob(x).sum(-1)  # (samples, batch)
    torch.testing.assert_close(out.kl, kl)
    torch.testing.assert_close(out.elbo, out.reconstruction - 0.7 * out.kl)
    stderr = ref.std(0) / math.sqrt(20_000)
    assert ((out.reconstruction - ref.mean(0)).abs() < 5 * math.sqrt(2) * stderr).all()


def test_loss_is_the_negative_mean_elbo():
    vae = mlp_vae(2, 2, (8,))
    x = torch.randn(7, 2)
    torch.manual_seed(3)
    loss = vae.loss(x, beta=2.0)
    torch.manual_seed(3)
    assert loss.item() == pytest.approx(-vae.elbo(x, beta=2.0).elbo.mean().item(), abs=1e-6)


def test_loss_terms_are_per_example_recon_kl_and_their_weighted_sum():
    vae = linear_vae(exact_encoder=False)
    x = torch.tensor([[0.5, -1.0], [3.0, -2.5], [-1.0, 0.0]], dtype=torch.float64)
    torch.manual_seed(4)
    terms = vae.loss_terms(x, beta=0.3)
    assert set(terms) == {"loss", "recon", "kl"} and all(v.shape == (3,) for v in terms.values())
    torch.manual_seed(4)  # the same z: one reparameterized draw from q(z | x)
    with torch.no_grad():
        mu, log_sigma = vae.encode(x)
        q = D.Normal(mu, log_sigma.exp())
        z = mu + log_sigma.exp() * torch.randn(1, *mu.shape, dtype=torch.float64)[0]
    recon = -D.Normal(z @ torch.diag(W) + B, S).log_prob(x).sum(-1)
    kl = D.kl_divergence(q, D.Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(terms["recon"], recon)
    torch.testing.assert_close(terms["kl"], kl)
    torch.testing.assert_close(terms["loss"], recon + 0.3 * kl)


def test_with_the_exact_posterior_iwae_is_log_px_for_every_k():
    vae = linear_vae(exact_encoder=True)
    x = linear_marginal().sample((6,))
    log_px = linear_marginal().log_prob(x)
    with torch.no_grad():
        for k in (1, 7):
            torch.testing.assert_close(vae.iwae(x, k), log_px, atol=1e-10, rtol=0)
        assert torch.allclose(vae.elbo(x, n_samples=20_000).elbo, log_px, atol=0.05)


def test_iwae_tightens_towards_log_px_with_a_wrong_encoder():
    torch.manual_seed(1)
    vae = linear_vae(exact_encoder=False)
    with torch.no_grad():
        vae.encoder.net[0].weight.zero_()
        vae.encoder.net[0].bias.zero_()  # q(z | x) = N(0, I): the prior as the proposal
    x = linear_marginal().sample((4,))
    log_px = linear_marginal().log_prob(x)
    with torch.no_grad():
        bounds = [vae.iwae(x.repeat(200, 1), k).reshape(200, 4).mean(0) for k in (1, 10, 1000)]
    assert (bounds[0] < bounds[1]).all() and (bounds[1] < bounds[2]).all()
    assert (bounds[2] <= log_px + 0.01).all() and torch.allclose(bounds[2], log_px, atol=0.05)


def test_iwae_with_one_sample_has_the_elbos_distribution():
    torch.manual_seed(2)
    vae = mlp_vae(2, 2, (16,))
    x = torch.tensor([[0.3, -0.2]]).repeat(20_000, 1)
    with torch.no_grad():
        iw, el = vae.iwae(x, k=1), vae.elbo(x).elbo
    # same expectation (the ELBO); the closed-form KL only lowers the variance
    assert abs(iw.mean() - el.mean()) < 5 * math.hypot(iw.std(), el.std()) / math.sqrt(len(x))
    assert el.std() <= iw.std()


def test_log_likelihood_accepts_leading_sample_dimensions():
    vae = mlp_vae(2, 3, (8,))
    x, z = torch.randn(4, 2), torch.randn(5, 4, 3)
    together = vae.log_likelihood(x, z)
    assert together.shape == (5, 4)
    for s in range(5):
        torch.testing.assert_close(together[s], vae.log_likelihood(x, z[s]))
    mu_x, log_sigma_x = vae.decode(z[0])
    torch.testing.assert_close(vae.log_likelihood(x, z[0]), D.Normal(mu_x, log_sigma_x.exp()).log_prob(x).sum(-1))


def test_bernoulli_vae_on_image_shaped_data():
    torch.manual_seed(0)
    vae = VAE(MLPEncoder(12, 2, (8,)), MLPDecoder(2, 12, (8,), "bernoulli", (1, 3, 4)), "bernoulli", 2)
    x = (torch.rand(5, 1, 3, 4) > 0.5).float()
    out = vae.elbo(x)
    assert out.elbo.shape == out.reconstruction.shape == out.kl.shape == (5,)
    z = torch.randn(5, 2)
    expected = D.Bernoulli(logits=vae.decode(z)).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(vae.log_likelihood(x, z), expected)
    hard, soft = vae.sample(6), vae.sample(6, decoder_noise=False)
    assert hard.shape == soft.shape == (6, 1, 3, 4)
    assert set(hard.unique().tolist()) <= {0.0, 1.0} and ((soft > 0) & (soft < 1)).all()


def test_samples_follow_the_model():
    torch.manual_seed(0)
    vae = linear_vae()
    with torch.no_grad():
        noisy, means = vae.sample(40_000), vae.sample(40_000, decoder_noise=False)
    assert noisy.shape == means.shape == (40_000, 2)
    # with noise: the marginal N(b, diag(w² + s²)); means only: N(b, diag(w²))
    torch.testing.assert_close(noisy.var(0), W**2 + S**2, rtol=0.05, atol=0)
    torch.testing.assert_close(means.var(0), W**2, rtol=0.05, atol=0)
    torch.testing.assert_close(noisy.mean(0), B, rtol=0, atol=0.05)
    torch.manual_seed(5)
    means = vae.sample(3, decoder_noise=False)
    torch.manual_seed(5)
    torch.testing.assert_close(means, vae.decode(torch.randn(3, 2, dtype=torch.float64))[0])


def test_numpy_input_is_accepted():
    vae = mlp_vae(2, 2, (8,))
    mu, _ = vae.encode(np.zeros((3, 2)))  # numpy's float64 into a float32 model
    assert mu.shape == (3, 2) and mu.dtype == torch.float32
    assert vae.iwae(np.ones((4, 2)), k=3).shape == (4,)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda v: v.encode(torch.randn(4)), "x must have at least 2 dimensions"),
        (lambda v: v.elbo(torch.tensor([[0.0, float("nan")]])), "finite"),
        (lambda v: v.iwae(torch.randn(3, 2), k=0), "k must be"),
        (lambda v: v.sample(0), "n must be"),
        (lambda v: v.encode("data"), "tensor"),
        # issue 11, item 7: values that are not real numbers are refused, naming the argument
        (lambda v: v.elbo(torch.zeros(3, 2, dtype=torch.complex64)), "x must hold real numbers, got complex"),
        (lambda v: v.elbo(np.zeros((3, 2), dtype=np.complex128)), "x must hold real numbers, got complex"),
        (lambda v: v.loss(torch.zeros(3, 2, dtype=torch.complex64)), "x must hold real numbers, got complex"),
        (lambda v: v.iwae(torch.zeros(3, 2, dtype=torch.complex64), k=2), "x must hold real numbers"),
        (lambda v: v.elbo(torch.ones(3, 2, dtype=torch.bool)), "x must hold numbers, got dtype torch.bool"),
        (lambda v: v.elbo(torch.zeros(3, 2, device="meta")), "x is a meta tensor"),
    ],
)
def test_bad_inputs_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(mlp_vae(2, 2, (8,)))


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: MLPEncoder(0, 2), "x_dim"),
        (lambda: MLPEncoder(2, 2, hidden=64), "hidden"),
        (lambda: MLPDecoder(2, 2, likelihood="poisson"), "likelihood"),
        (lambda: MLPDecoder(2, 12, out_shape=(1, 5, 5)), "out_shape"),
        (lambda: VAE(MLPEncoder(2, 2), MLPDecoder(2, 2), likelihood="bernoulli"), "decoder"),
        (lambda: VAE(nn.Identity(), MLPDecoder(2, 2)), "z_dim"),
    ],
)
def test_bad_constructions_are_value_errors(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_runs_on_cuda():
    vae = mlp_vae(2, 2, (8,)).to("cuda")
    x = torch.randn(5, 2)  # CPU data is moved to the model's device
    assert vae.elbo(x).elbo.device.type == "cuda"
    assert vae.iwae(x, 4).shape == (5,) and vae.sample(3).device.type == "cuda"
