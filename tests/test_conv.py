"""seminar_utils.conv: the convolutional encoder and decoder against closed forms and torch references."""

import math

import pytest
import torch
import torch.nn.functional as F
from helpers import binary_images

from seminar_utils.conv import IMAGE_SHAPE, ConvDecoder, ConvEncoder, conv_vae
from seminar_utils.training import fit
from seminar_utils.vae import count_parameters


def test_encoder_maps_images_to_gaussian_parameters():
    torch.manual_seed(0)
    encoder = ConvEncoder(z_dim=5, channels=(4, 8))
    mu, log_sigma = encoder(binary_images(3))
    assert mu.shape == log_sigma.shape == (3, 5)
    assert not torch.equal(mu, log_sigma)
    # two stride-2 convolutions take 28 × 28 to 7 × 7 before the linear layer
    assert encoder.net[-1].in_features == 8 * 7 * 7


def test_decoder_gives_one_logit_per_pixel():
    decoder = ConvDecoder(z_dim=5, channels=(4, 8))
    logits = decoder(torch.randn(3, 5))
    assert logits.shape == (3, 1, 28, 28)
    assert decoder.likelihood == "bernoulli"


def test_parameter_count_matches_the_layers():
    c1, c2, z, h = 16, 32, 32, 256
    conv = lambda cin, cout: cin * cout * 16 + cout
    dense = lambda n_in, n_out: n_in * n_out + n_out
    encoder = conv(1, c1) + conv(c1, c2) + dense(c2 * 49, 2 * z)
    decoder = dense(z, c2 * 49) + conv(c2, c1) + conv(c1, 1)
    assert count_parameters(conv_vae(z, (c1, c2))) == encoder + decoder
    encoder_h = conv(1, c1) + conv(c1, c2) + dense(c2 * 49, h) + dense(h, 2 * 2)  # z_dim = 2
    decoder_h = dense(2, h) + dense(h, c2 * 49) + conv(c2, c1) + conv(c1, 1)
    model = conv_vae(2, (c1, c2), hidden=h)
    assert count_parameters(model.encoder) == encoder_h and count_parameters(model.decoder) == decoder_h
    assert model.sample(3).shape == (3, 1, 28, 28)


def test_conv_vae_elbo_is_the_bernoulli_elbo_computed_by_hand():
    torch.manual_seed(0)
    model = conv_vae(z_dim=3, channels=(4, 8))
    x = binary_images(4)
    torch.manual_seed(1)
    out = model.elbo(x)
    torch.manual_seed(1)
    mu, log_sigma = model.encoder(x)
    z = mu + log_sigma.exp() * torch.randn(1, *mu.shape)[0]
    recon = -F.binary_cross_entropy_with_logits(model.decoder(z), x, reduction="none").sum((1, 2, 3))
    kl = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, log_sigma.exp()), torch.distributions.Normal(0.0, 1.0)
    ).sum(1)
    assert torch.allclose(out.reconstruction, recon, atol=1e-4)
    assert torch.allclose(out.kl, kl, atol=1e-5)


def test_samples_are_images():
    model = conv_vae(z_dim=2, channels=(4, 8))
    assert model.sample(5).shape == (5, 1, 28, 28)
    probs = model.sample(5, decoder_noise=False)
    assert ((probs > 0) & (probs < 1)).all()


def test_a_few_epochs_lower_the_loss_and_repeat_with_the_seed():
    x = binary_images(32)

    def train():
        torch.manual_seed(0)
        model = conv_vae(z_dim=4, channels=(4, 8))
        return model, fit(model, x, epochs=3, batch_size=16, lr=3e-3, progress=False)

    model, history = train()
    assert history.train["loss"][-1] < history.train["loss"][0]
    again, _ = train()
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize(
    "make, arg",
    [
        (lambda: ConvEncoder(0), "z_dim"),
        (lambda: ConvEncoder(2, channels=(4,)), "channels"),
        (lambda: ConvDecoder(2, channels=(4, 0)), "channels"),
        (lambda: ConvDecoder(2, hidden=0), "hidden"),
    ],
)
def test_bad_constructor_arguments(make, arg):
    with pytest.raises(ValueError, match=arg):
        make()


def test_the_decoder_returns_images():
    assert IMAGE_SHAPE == tuple(ConvDecoder(2, (4, 8))(torch.zeros(1, 2)).shape[1:])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: conv_vae(2, (4, 8)).elbo(torch.zeros(3, 1, 28, 28, dtype=torch.complex64)), "x must hold real"),
    ],
)
def test_values_that_are_not_real_numbers_are_named(call, match):
    # issue 11, item 7
    with pytest.raises(ValueError, match=match):
        call()


def test_config_records_the_constructor_arguments():
    model = conv_vae(z_dim=7, channels=(4, 8), hidden=5)
    assert model.config["encoder"] == {"class": "ConvEncoder", "z_dim": 7, "channels": [4, 8], "hidden": 5}
    assert model.config["decoder"]["class"] == "ConvDecoder"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_conv_vae_runs_on_cuda():
    model = conv_vae(z_dim=4, channels=(4, 8)).to("cuda")
    x = binary_images(16).to("cuda")
    history = fit(model, x, epochs=1, batch_size=8, progress=False)
    assert math.isfinite(history.train["loss"][0])
    assert model.iwae(x, k=5).device.type == "cuda"


# ------------------------------------------------------------------ Gaussian decoders (seminar 05)
def test_a_gaussian_conv_decoder_learns_sigma_per_pixel_or_keeps_it_fixed():
    z = torch.randn(3, 8)
    learned = ConvDecoder(8, likelihood="gaussian")
    mu_x, log_sigma_x = learned(z)
    assert mu_x.shape == log_sigma_x.shape == (3, 1, 28, 28)
    assert not torch.allclose(log_sigma_x, log_sigma_x[0, 0, 0, 0])  # varies with the pixel
    fixed = ConvDecoder(8, likelihood="gaussian", sigma=0.2)
    mu_x, log_sigma_x = fixed(z)
    assert torch.allclose(log_sigma_x, torch.full_like(mu_x, math.log(0.2)))
    # the learned σ costs one output channel more in the last layer, the fixed one nothing
    bernoulli = ConvDecoder(8)
    assert count_parameters(fixed) == count_parameters(bernoulli)
    assert count_parameters(learned) - count_parameters(bernoulli) == 16 * 4 * 4 + 1


def test_a_gaussian_conv_vae_loss_is_the_gaussian_formula():
    torch.manual_seed(0)
    model = conv_vae(4, likelihood="gaussian", sigma=0.5)
    x, z = torch.rand(2, 1, 28, 28), torch.randn(2, 4)
    mu_x, _ = model.decode(z)
    expected = torch.distributions.Normal(mu_x, 0.5).log_prob(x).flatten(1).sum(1)
    assert torch.allclose(model.log_likelihood(x, z), expected, atol=1e-3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"likelihood": "poisson"}, "likelihood must be one of"),
        ({"sigma": 0.1}, "sigma is a Gaussian decoder's"),
        ({"likelihood": "gaussian", "sigma": -1.0}, "sigma"),
    ],
)
def test_bad_decoder_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConvDecoder(4, **kwargs)
