"""recipes.closing_gaps (seminar 06): fast mode shrinks only what costs time, every variant changes one
thing against the VAE, and every setting is accepted by the function it feeds."""

from __future__ import annotations

import inspect

import pytest
import torch

from seminar_utils import recipes
from seminar_utils.checkpoints import run_config
from seminar_utils.toy2d import load_2d
from seminar_utils.training import fit
from seminar_utils.variants import mlp_variant


def in_mode(monkeypatch, fast: bool):
    monkeypatch.setenv("SEMINAR_FAST", "1" if fast else "0")
    return recipes.closing_gaps()


def test_fast_mode_shrinks_only_what_costs_time(monkeypatch):
    full, fast = in_mode(monkeypatch, False), in_mode(monkeypatch, True)
    for field in (
        "z_dim",
        "hidden",
        "n_val",
        "seeds",
        "train_k",
        "n_layers",
        "n_components",
        "moons_model",
        "variants",
    ):
        assert getattr(fast, field) == getattr(full, field), field
    assert len(full.seeds) >= 3  # every comparison rests on three seeds
    assert fast.fit["epochs"] < full.fit["epochs"] and {k: v for k, v in fast.fit.items() if k != "epochs"} == {
        k: v for k, v in full.fit.items() if k != "epochs"
    }
    for size in ("iwae_k", "n_eval", "n_gap", "gap_steps", "gap_k", "n_units", "moons_k", "moons_steps"):
        assert 0 < getattr(fast, size) < getattr(full, size), size
    assert full.n_fit is None and fast.n_fit is not None
    assert full.n_gap <= full.n_eval and full.moons_points <= full.moons_eval


def test_each_variant_changes_one_thing(monkeypatch):
    settings = in_mode(monkeypatch, True)
    base = settings.variant("VAE")
    changed = {name: set(settings.variant(name).items()) - set(base.items()) for name in settings.variants[1:]}
    assert changed == {
        "IWAE-trained": {("train_k", settings.train_k)},
        "flow posterior": {("family", "planar"), ("n_layers", settings.n_layers)},
        "mixture prior": {("prior", "mixture"), ("n_components", settings.n_components)},
    }
    with pytest.raises(ValueError, match="name must be one of"):
        settings.variant("VampPrior")


def test_the_variants_train_with_fit_and_get_distinct_checkpoint_keys(monkeypatch):
    settings = in_mode(monkeypatch, True)
    x = (torch.rand(64, 1, 28, 28) > 0.5).float()
    keys = set()
    for name in settings.variants:
        model = mlp_variant(**settings.variant(name))
        inspect.signature(fit).bind(model, x, None, seed=0, **settings.fit)  # no TypeError
        keys.add(repr(run_config(model, x, None, seed=0, **settings.fit)["model"]))
        fit(model, x, None, progress=False, seed=0, **{**settings.fit, "epochs": 1})
        assert model.loss_terms(x)["loss"].shape == (64,)
    assert len(keys) == len(settings.variants)
    x_fit, x_val = settings.split(torch.rand(600, 1, 28, 28))
    assert len(x_val) == settings.n_val and len(x_fit) == min(600 - settings.n_val, settings.n_fit)


def test_the_moons_settings_feed_load_2d_and_mlp_variant(monkeypatch):
    settings = in_mode(monkeypatch, True)
    data = load_2d("moons", **settings.moons_data)
    for family in ("diagonal", "full", "planar"):
        model = mlp_variant(**settings.moons_model, family=family, n_layers=settings.moons_layers)
        assert model.elbo(data.test[:5]).shape == (5,)
