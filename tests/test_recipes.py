"""seminar_utils.recipes: every notebook's settings, full and fast. Fast mode shrinks only what costs
time, the data and the models stay the same, and every setting is accepted by the function it feeds."""

import dataclasses
import inspect
import math

import pytest
import torch

from seminar_utils import recipes
from seminar_utils.checkpoints import run_config
from seminar_utils.toy2d import load_2d
from seminar_utils.training import fit
from seminar_utils.vae import VAE, mlp_vae


def in_mode(monkeypatch, fast: bool, recipe):
    monkeypatch.setenv("SEMINAR_FAST", "1" if fast else "0")
    return recipe()


@pytest.fixture
def both(monkeypatch):
    """``both(recipes.x)`` -> (full, fast)."""
    return lambda recipe: (in_mode(monkeypatch, False, recipe), in_mode(monkeypatch, True, recipe))


# ----------------------------------------------------------------------------- 04 images
@pytest.mark.parametrize("which", ["main", "latent_2d"])
def test_fast_image_recipes_share_the_model_and_differ_in_training_only(both, which):
    full, fast = (getattr(r, which) for r in both(recipes.vae_images))
    for field in ("z_dim", "channels", "hidden", "n_val", "batch_size", "lr", "weight_decay", "patience", "seed"):
        assert getattr(fast, field) == getattr(full, field), field
    assert fast.epochs < full.epochs and fast.iwae_k < full.iwae_k
    assert fast.n_fit is not None and full.n_fit is None  # people train on every digit
    assert set(full.fit_kwargs()) == {"epochs", "batch_size", "lr", "weight_decay", "patience", "seed", "test_name"}
    assert full.fit_kwargs()["test_name"] == "validation"  # the held-out set of split() is named so
    assert full.fit_kwargs(epochs=1)["epochs"] == 1 and full.fit_kwargs()["epochs"] == full.epochs


def test_image_recipe_settings_are_arguments_fit_takes(monkeypatch):
    settings = in_mode(monkeypatch, True, recipes.vae_images)
    x = torch.rand(8, 1, 28, 28)
    for recipe in (settings.main, settings.latent_2d, settings.overfit, *grey_recipes(monkeypatch)):
        inspect.signature(fit).bind(recipe.model(), x, x, **recipe.fit_kwargs())  # no TypeError
        config = run_config(recipe.model(), x, x, **recipe.fit_kwargs())
        assert config["fit"]["patience"] == recipe.patience


def test_the_latent_2d_recipe_is_a_two_dimensional_latent_on_unshifted_digits(monkeypatch):
    settings = in_mode(monkeypatch, False, recipes.vae_images)
    latent_2d, main = settings.latent_2d, settings.main
    assert latent_2d.model().z_dim == 2 and latent_2d.max_shift == 0
    x = torch.rand(600, 1, 28, 28)
    assert latent_2d.split(x)[0].shape == (600 - latent_2d.n_val, 1, 28, 28)  # unshifted: one copy each
    assert torch.equal(latent_2d.split(x)[1], main.split(x)[1])  # one validation slice for both


def test_split_holds_out_validation_digits_and_augments_the_rest(monkeypatch):
    x = torch.rand(60, 1, 28, 28)
    recipe = dataclasses.replace(in_mode(monkeypatch, False, recipes.vae_images).main, n_val=10, max_shift=1)
    x_fit, x_val = recipe.split(x)
    assert x_val.shape == (10, 1, 28, 28) and x_fit.shape == (9 * 50, 1, 28, 28)  # 9 shifts by ≤ 1 pixel
    originals = x_fit[:50]
    flat = lambda t: {tuple(row.tolist()) for row in t.flatten(1)}
    assert flat(originals) | flat(x_val) == flat(x) and not flat(originals) & flat(x_val)
    few = dataclasses.replace(recipe, n_fit=20, max_shift=0)
    assert few.split(x)[0].shape == (20, 1, 28, 28)


def test_the_recipe_model_runs_on_recipe_sized_batches(monkeypatch):
    recipe = in_mode(monkeypatch, False, recipes.vae_images).main
    model = recipe.model()
    assert isinstance(model, VAE) and model.z_dim == recipe.z_dim and model.likelihood == "bernoulli"
    x = (torch.rand(recipe.batch_size, 1, 28, 28) > 0.5).float()
    loss = model.loss(x)
    assert loss.shape == () and math.isfinite(loss.item())


def grey_recipes(monkeypatch):
    settings = in_mode(monkeypatch, True, recipes.vae_evaluation)
    return settings.grey_learned, settings.grey_fixed


def test_the_overfitting_study_is_the_main_conv_model_on_plain_digits(both):
    full, fast = both(recipes.vae_images)
    for settings in (full, fast):
        overfit, main = settings.overfit, settings.main
        assert (overfit.z_dim, overfit.channels, overfit.hidden, overfit.n_val) == (
            main.z_dim,
            main.channels,
            main.hidden,
            main.n_val,
        )
        assert overfit.max_shift == 0 and main.max_shift >= 0 and overfit.patience is not None
        # a controlled comparison: only the shifted copies (and the epochs they make longer) differ
        assert (overfit.lr, overfit.batch_size, overfit.weight_decay) == (main.lr, main.batch_size, main.weight_decay)
        assert len(settings.seeds) >= 3 and len(set(settings.seeds)) == len(settings.seeds)
    assert fast.overfit.epochs < full.overfit.epochs and fast.seeds == full.seeds
    x = torch.rand(700, 1, 28, 28)
    assert torch.equal(full.overfit.split(x)[1], full.main.split(x)[1])  # one validation slice for all


def test_the_evaluation_seminar_measures_seminar_04s_main_model(both):
    full, fast = both(recipes.vae_evaluation)
    assert full.main.epochs > fast.main.epochs
    for settings in (full, fast):
        assert all(settings.curve_draws % k == 0 for k in settings.curve_ks)  # K groups the draws
        assert list(settings.curve_ks) == sorted(settings.curve_ks) and settings.curve_ks[0] == 1
        assert settings.big_k > settings.curve_ks[-1] and settings.n_big_k <= settings.n_curve
        assert settings.n_gap <= settings.n_curve  # the gap digits are among the curve's
        assert settings.grey_learned.likelihood == settings.grey_fixed.likelihood == "gaussian"
        assert settings.grey_learned.sigma is None and settings.grey_fixed.sigma > 0
        assert settings.grey_learned.max_shift == 0
    assert full.n_eval is None and fast.n_eval is not None and fast.n_curve < full.n_curve
    assert fast.gap_steps < full.gap_steps and fast.big_k < full.big_k and fast.grey_k < full.grey_k


@pytest.mark.parametrize("fast", [False, True])
def test_seminar_05_loads_the_very_model_seminar_04_trains(monkeypatch, fast):
    assert (
        in_mode(monkeypatch, fast, recipes.vae_evaluation).main == in_mode(monkeypatch, fast, recipes.vae_images).main
    )


def test_grey_recipes_build_gaussian_conv_vaes(monkeypatch):
    learned, fixed = grey_recipes(monkeypatch)
    x = torch.rand(4, 1, 28, 28)
    for recipe in (learned, fixed):
        model = recipe.model()
        mu_x, log_sigma_x = model.decode(model.encode(x)[0])
        assert model.likelihood == "gaussian" and mu_x.shape == log_sigma_x.shape == (4, 1, 28, 28)
    assert torch.allclose(fixed.model().decode(torch.zeros(2, fixed.z_dim))[1], torch.tensor(math.log(fixed.sigma)))


# ----------------------------------------------------------------------------- 03 a VAE on 2D data
def test_the_2d_recipe_shrinks_only_what_costs_time(both):
    full, fast = both(recipes.vae_2d)
    assert full.model == fast.model and full.data == fast.data
    assert fast.fit["epochs"] < full.fit["epochs"] and fast.iwae_k < full.iwae_k
    for size in ("k_grid", "n_grid", "n_eval", "n_posterior_grid"):
        assert 0 < getattr(fast, size) <= getattr(full, size), size
    assert {k: v for k, v in fast.fit.items() if k != "epochs"} == {k: v for k, v in full.fit.items() if k != "epochs"}
    assert full.kl_warmup_epochs < full.fit["epochs"]  # β reaches 1 before the training ends


def test_the_2d_recipe_feeds_mlp_vae_load_2d_and_fit(monkeypatch):
    settings = in_mode(monkeypatch, True, recipes.vae_2d)
    model = mlp_vae(**settings.model)
    assert model.z_dim == 2 and model.likelihood == "gaussian"
    assert set(settings.data) <= set(inspect.signature(load_2d).parameters)
    x = load_2d("moons", **{**settings.data, "n_train": 64, "n_test": 16}).train
    assert x.shape == (64, 2)
    inspect.signature(fit).bind(model, x, **settings.fit)  # no TypeError


# ----------------------------------------------------------------------------- 01, 02
def test_em_and_questions_recipes_shrink_in_fast_mode(both):
    full, fast = both(recipes.em_gmm)
    assert 0 < fast.n_starts < full.n_starts and 0 < fast.n_init <= full.n_init
    full, fast = both(recipes.vae_questions)
    assert 0 < fast.n_grad < full.n_grad and 0 < fast.n_repeats < full.n_repeats
    assert set(fast.iwae_ks) <= set(full.iwae_ks) and list(full.iwae_ks) == sorted(full.iwae_ks)


def test_recipes_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipes.vae_2d().iwae_k = 1
