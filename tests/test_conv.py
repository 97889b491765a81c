import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from seminar_utils.conv import (
    FAST, RECIPE, RECIPE_2D, ConvDecoder, ConvEncoder, conv_vae, image_recipe, likelihood_metrics,
)
from seminar_utils.models import VAE, count_parameters
from seminar_utils.training import fit


def images(n: int = 8, seed: int = 0) -> torch.Tensor:
    return (torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) > 0.7).float()


def test_encoder_maps_images_to_gaussian_parameters():
    torch.manual_seed(0)
    encoder = ConvEncoder(z_dim=5, channels=(4, 8))
    mu, log_sigma = encoder(images(3))
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
    conv = lambda cin, cout: cin * cout * 16 + cout  # noqa: E731 - 4 × 4 kernels with a bias
    dense = lambda n_in, n_out: n_in * n_out + n_out  # noqa: E731
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
    x = images(4)
    torch.manual_seed(1)
    out = model.elbo(x)
    torch.manual_seed(1)
    mu, log_sigma = model.encoder(x)
    z = mu + log_sigma.exp() * torch.randn(1, *mu.shape)[0]
    recon = -F.binary_cross_entropy_with_logits(model.decoder(z), x, reduction="none").sum((1, 2, 3))
    kl = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, log_sigma.exp()), torch.distributions.Normal(0.0, 1.0)).sum(1)
    assert torch.allclose(out.reconstruction, recon, atol=1e-4)
    assert torch.allclose(out.kl, kl, atol=1e-5)


def test_samples_are_images():
    model = conv_vae(z_dim=2, channels=(4, 8))
    assert model.sample(5).shape == (5, 1, 28, 28)
    probs = model.sample(5, decoder_noise=False)
    assert ((probs > 0) & (probs < 1)).all()


def test_a_few_epochs_lower_the_loss_and_repeat_with_the_seed():
    x = images(32)

    def train():
        torch.manual_seed(0)
        model = conv_vae(z_dim=4, channels=(4, 8))
        return model, fit(model, x, epochs=3, batch_size=16, lr=3e-3, progress=False)

    model, history = train()
    assert history.train_loss[-1] < history.train_loss[0]
    again, _ = train()
    for a, b in zip(model.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("make, arg", [
    (lambda: ConvEncoder(0), "z_dim"), (lambda: ConvEncoder(2, channels=(4,)), "channels"),
    (lambda: ConvDecoder(2, channels=(4, 0)), "channels"), (lambda: ConvDecoder(2, hidden=0), "hidden"),
])
def test_bad_constructor_arguments(make, arg):
    with pytest.raises(ValueError, match=arg):
        make()


def test_wrong_input_shapes_name_the_argument():
    with pytest.raises(ValueError, match=r"x must be \(batch, 1, 28, 28\)"):
        ConvEncoder(2, (4, 8))(torch.zeros(3, 784))
    with pytest.raises(ValueError, match=r"z must be \(batch, 2\)"):
        ConvDecoder(2, (4, 8))(torch.zeros(3, 3))


def test_config_records_the_constructor_arguments():
    model = conv_vae(z_dim=7, channels=(4, 8), hidden=5)
    assert model.config["encoder"] == {"class": "ConvEncoder", "z_dim": 7, "channels": [4, 8], "hidden": 5}
    assert model.config["decoder"]["class"] == "ConvDecoder"


@pytest.mark.parametrize("which, full", [("main", RECIPE), ("2d", RECIPE_2D)])
def test_fast_recipes_share_the_model_and_differ_in_training_only(monkeypatch, which, full):
    fast = FAST[which]
    for field in ("z_dim", "channels", "hidden", "n_val", "batch_size", "lr", "seed"):
        assert getattr(fast, field) == getattr(full, field)
    assert fast.epochs < full.epochs and fast.iwae_k < full.iwae_k == 500
    monkeypatch.setenv("SEMINAR_FAST", "1")
    assert image_recipe(which) is fast
    monkeypatch.setenv("SEMINAR_FAST", "0")
    assert image_recipe(which) is full
    assert set(full.fit_kwargs()) == {"epochs", "batch_size", "lr", "weight_decay", "patience", "seed"}
    assert full.fit_kwargs(epochs=1)["epochs"] == 1
    with pytest.raises(ValueError, match="which"):
        image_recipe("3d")


def test_the_2d_recipe_is_a_two_dimensional_latent_on_unshifted_digits():
    assert RECIPE_2D.model().z_dim == 2 and RECIPE_2D.max_shift == 0
    x = torch.rand(600, 1, 28, 28)
    assert RECIPE_2D.split(x)[0].shape == (100, 1, 28, 28)
    assert torch.equal(RECIPE_2D.split(x)[1], RECIPE.split(x)[1])  # one validation slice for both


def test_split_holds_out_validation_digits_and_augments_the_rest():
    x = torch.rand(60, 1, 28, 28)
    recipe = replace(RECIPE, n_val=10, max_shift=1)
    x_fit, x_val = recipe.split(x)
    assert x_val.shape == (10, 1, 28, 28) and x_fit.shape == (9 * 50, 1, 28, 28)
    originals = x_fit[:50]
    flat = lambda t: {tuple(row.tolist()) for row in t.flatten(1)}  # noqa: E731
    assert flat(originals) | flat(x_val) == flat(x) and not flat(originals) & flat(x_val)


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


def test_the_recipe_model_runs_on_recipe_sized_batches():
    model = RECIPE.model()
    assert isinstance(model, VAE) and model.z_dim == RECIPE.z_dim
    loss = model.loss(images(RECIPE.batch_size))
    assert loss.shape == () and math.isfinite(loss.item())


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_conv_vae_runs_on_cuda():
    model = conv_vae(z_dim=4, channels=(4, 8)).to("cuda")
    x = images(16).to("cuda")
    history = fit(model, x, epochs=1, batch_size=8, progress=False)
    assert math.isfinite(history.train_loss[0])
    metrics = likelihood_metrics(model, x, k=5)
    assert math.isfinite(metrics["nll_iwae"])


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
