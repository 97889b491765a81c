import math

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from seminar_utils.data import load_2d
from seminar_utils.models import VAE, mlp_vae
from seminar_utils.training import History, fit, vae_2d_recipe


@pytest.fixture(scope="module")
def data():
    d = load_2d("rotated", n_train=512, n_test=256, seed=3)
    return d.train, d.test


def small_vae(seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    return mlp_vae(2, 2, hidden=(16,))


def test_same_seed_gives_identical_parameters(data):
    runs = []
    for seed in (0, 0, 1):
        vae = small_vae()
        fit(vae, *data, epochs=2, batch_size=64, seed=seed, progress=False)
        runs.append(torch.cat([p.detach().flatten() for p in vae.parameters()]))
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


def test_history_has_one_entry_per_epoch_and_consistent_terms(data):
    history = fit(small_vae(), *data, epochs=3, batch_size=128, beta=0.5, progress=False)
    assert isinstance(history, History) and len(history) == 3
    for key in ("train_loss", "train_recon", "train_kl", "test_loss", "test_recon", "test_kl", "epoch_seconds"):
        assert len(getattr(history, key)) == 3, key
    for split in ("train", "test"):
        loss, recon, kl = (np.array(getattr(history, f"{split}_{k}")) for k in ("loss", "recon", "kl"))
        np.testing.assert_allclose(loss, recon + 0.5 * kl, rtol=1e-6)
        assert (kl >= 0).all()
    assert history.best_epoch == 1 + int(np.argmin(history.test_loss))
    assert set(history.as_dict()) >= {"train_loss", "best_epoch"}


def test_training_lowers_the_loss_and_test_figures_are_measured(data):
    train, test = data
    vae = small_vae()
    torch.manual_seed(0)
    with torch.no_grad():
        before = -vae.elbo(test, n_samples=50).elbo.mean().item()
    history = fit(vae, train, test, epochs=4, batch_size=32, lr=1e-2, progress=False)
    assert history.test_loss[-1] < before - 1.0
    with torch.no_grad():
        after = -vae.elbo(test, n_samples=50).elbo.mean().item()
    assert after == pytest.approx(history.test_loss[-1], abs=0.15)  # one-sample estimate in history


def test_beta_can_follow_a_schedule(data):
    history = fit(small_vae(), *data, epochs=3, beta=lambda epoch: epoch / 4, progress=False)
    assert history.beta == [0.25, 0.5, 0.75]
    for split in ("train", "test"):
        loss, recon, kl = (np.array(getattr(history, f"{split}_{k}")) for k in ("loss", "recon", "kl"))
        np.testing.assert_allclose(loss, recon + np.array(history.beta) * kl, rtol=1e-6)
    assert history.best_epoch == 1 + int(np.argmin(np.array(history.test_recon) + history.test_kl))
    with pytest.raises(ValueError, match=r"beta\(2\)"):
        fit(small_vae(), data[0], epochs=3, beta=lambda epoch: 1.0 if epoch == 1 else -1.0, progress=False)


def test_without_a_test_set(data):
    history = fit(small_vae(), TensorDataset(data[0]), epochs=2, progress=False)
    assert len(history.train_loss) == 2 and history.test_loss == [] and history.best_epoch is None


def test_numpy_data_is_accepted(data):
    history = fit(small_vae(), data[0].numpy(), data[1].numpy(), epochs=1, progress=False)
    assert len(history) == 1


def test_numpy_scalars_are_accepted_as_hyperparameters(data):
    numbers = {"epochs": 2, "batch_size": 64, "lr": float(np.float32(1e-3)), "weight_decay": 0.0,
               "beta": 0.5, "grad_clip": 5.0, "patience": 3, "seed": 1}
    as_numpy = {"epochs": np.int64(2), "batch_size": np.int32(64), "lr": np.float32(1e-3),
                "weight_decay": np.float64(0.0), "beta": np.float32(0.5), "grad_clip": np.float32(5.0),
                "patience": np.int16(3), "seed": np.uint8(1)}
    runs = []
    for kwargs in (numbers, as_numpy):
        vae = small_vae()
        history = fit(vae, *data, progress=False, **kwargs)
        runs.append(torch.cat([p.detach().flatten() for p in vae.parameters()]))
        assert len(history) == 2 and history.beta == [0.5, 0.5]
    assert torch.equal(runs[0], runs[1])  # the same run: np.float32(1e-3) is the float it holds


def test_an_unavailable_device_is_a_value_error_listing_the_available_ones(data):
    with pytest.raises(ValueError, match=r"device='cuda:99' is not available here; available: cpu"):
        fit(small_vae(), data[0], epochs=1, device="cuda:99", progress=False)
    with pytest.raises(ValueError, match="device='tpu'"):
        fit(small_vae(), data[0], epochs=1, device="tpu", progress=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_value_error_not_a_driver_error(data):
    with pytest.raises(ValueError, match="device='cuda' is not available here"):
        fit(small_vae(), data[0], epochs=1, device="cuda", progress=False)


class NanAt(VAE):
    """A VAE whose ELBO turns NaN at the given (1-based) call of ``elbo`` in training mode."""

    def __init__(self, call: int):
        base = small_vae()
        super().__init__(base.encoder, base.decoder)
        self.calls, self.nan_call = 0, call

    def elbo(self, x, n_samples=1, beta=1.0):
        out = super().elbo(x, n_samples, beta)
        if self.training:
            self.calls += 1
            if self.calls == self.nan_call:
                return out._replace(elbo=out.elbo * float("nan"))
        return out


def test_a_nan_loss_names_the_epoch_and_the_batch(data):
    # 512 points in batches of 128: 4 batches per epoch, so call 7 is epoch 2, batch 3
    with pytest.raises(FloatingPointError, match=r"epoch 2, batch 3 \(of 4\)"):
        fit(NanAt(7), *data, epochs=3, batch_size=128, progress=False)


def test_nan_weights_stop_training_at_the_next_batch(data):
    def poison(epoch, model, history):
        if epoch == 1:
            with torch.no_grad():
                next(model.decoder.parameters()).fill_(float("nan"))

    with pytest.raises(FloatingPointError, match="epoch 2, batch 1"):
        fit(small_vae(), data[0], epochs=3, batch_size=128, progress=False, callback=poison)


def _record_gradient_norms(monkeypatch) -> list[float]:
    norms: list[float] = []
    original = torch.optim.Adam.step

    def step(self, *args, **kwargs):
        grads = [p.grad.flatten() for group in self.param_groups for p in group["params"] if p.grad is not None]
        norms.append(torch.cat(grads).norm().item())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    return norms


def test_gradient_clipping_bounds_the_gradient_the_optimizer_sees(data, monkeypatch):
    norms = _record_gradient_norms(monkeypatch)
    fit(small_vae(), data[0], epochs=1, batch_size=64, progress=False)
    unclipped = list(norms)
    norms.clear()
    fit(small_vae(), data[0], epochs=1, batch_size=64, grad_clip=0.5, progress=False)
    assert len(norms) == len(unclipped) == 8
    assert unclipped[0] > 0.5  # the first step (same seed, same batch) needs clipping
    assert max(norms) <= 0.5 * (1 + 1e-5)
    assert norms[0] == pytest.approx(0.5, rel=1e-5)  # the first gradient is the unclipped one, rescaled


def test_early_stopping_restores_the_best_weights(data):
    saved = {}

    def spoil_after_saving(epoch, model, history):
        if epoch == 1:
            saved.update({k: v.clone() for k, v in model.state_dict().items()})
        with torch.no_grad():  # a narrower decoder noise (σ_x < the data's spread): a worse test loss
            model.decoder.net[-1].bias[2:] -= 1.0

    vae = small_vae()
    history = fit(vae, *data, epochs=10, lr=1e-6, patience=2, progress=False, callback=spoil_after_saving)
    assert len(history) == 3 and history.best_epoch == 1
    assert history.test_loss[0] < history.test_loss[1] < history.test_loss[2]
    for key, value in vae.state_dict().items():
        assert torch.equal(value, saved[key]), key


def test_callback_sees_every_epoch(data):
    seen = []
    fit(small_vae(), data[0], epochs=3, progress=False, callback=lambda e, m, h: seen.append((e, len(h))))
    assert seen == [(1, 1), (2, 2), (3, 3)]


def test_progress_bar_shows_epoch_and_running_loss(data, capsys):
    fit(small_vae(), data[0], epochs=2, batch_size=256, progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err
    fit(small_vae(), data[0], epochs=1, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("kwargs, match", [
    ({"epochs": 0}, "epochs"),
    ({"epochs": 1, "batch_size": 0}, "batch_size"),
    ({"epochs": 1, "lr": -1.0}, "lr"),
    ({"epochs": 1, "grad_clip": 0.0}, "grad_clip"),
    ({"epochs": 1, "beta": math.nan}, "beta"),
    ({"epochs": 1, "patience": 2}, "needs a test set"),
    ({"epochs": 1, "seed": -1}, "seed"),
])
def test_bad_arguments_are_value_errors(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(small_vae(), data[0], progress=False, **kwargs)


@pytest.mark.parametrize("train, test, match", [
    (torch.tensor([[0.0, math.inf]]), None, "train must be finite"),
    (torch.zeros(0, 2), None, "train must be"),
    (torch.zeros(8, 2), torch.zeros(4, 3), "test examples"),
    ([[0.0, 1.0]], None, "train must be a tensor"),
])
def test_bad_data_are_value_errors(train, test, match):
    with pytest.raises(ValueError, match=match):
        fit(small_vae(), train, test, epochs=1, progress=False)


def test_recipe_shrinks_only_what_costs_time():
    full, fast = vae_2d_recipe(fast=False), vae_2d_recipe(fast=True)
    assert full["model"] == fast["model"] and full["data"] == fast["data"]
    assert fast["fit"]["epochs"] < full["fit"]["epochs"] and fast["iwae_k"] < full["iwae_k"] == 1000
    assert mlp_vae(**full["model"]).z_dim == 2 and full["kl_warmup_epochs"] < full["fit"]["epochs"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fit_on_cuda(data):
    vae = small_vae()
    history = fit(vae, *data, epochs=2, device="cuda", progress=False)
    assert next(vae.parameters()).device.type == "cuda" and len(history) == 2
    assert all(math.isfinite(v) for v in history.test_loss)
