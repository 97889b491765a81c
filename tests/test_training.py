"""seminar_utils.training: fit trains any model with loss_terms; its History, evaluate, faults."""

import inspect
import json
import math

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from seminar_utils.checkpoints import fit_cached, run_config
from seminar_utils.toy2d import load_2d
from seminar_utils.training import History, evaluate, fit
from seminar_utils.vae import VAE, mlp_vae


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


def test_an_unknown_setting_is_a_type_error_naming_it_and_the_settings_fit_takes(data):
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['lrr'\]; it takes epochs and batch_size, lr"):
        fit(small_vae(), *data, epochs=1, lrr=0.1)
    # the signature Jupyter shows and the checkpoint key read lists every setting by name, with its default
    parameters = inspect.signature(fit).parameters
    assert parameters["lr"].default == 1e-3 and parameters["patience"].default is None and "options" not in parameters


def test_history_has_one_entry_per_epoch_and_consistent_terms(data):
    history = fit(small_vae(), *data, epochs=3, batch_size=128, loss_kwargs={"beta": 0.5}, progress=False)
    assert isinstance(history, History) and len(history) == 3 and len(history.epoch_seconds) == 3
    for split in (history.train, history.test):
        assert set(split) == {"loss", "recon", "kl"} and all(len(v) == 3 for v in split.values())
        loss, recon, kl = (np.array(split[k]) for k in ("loss", "recon", "kl"))
        np.testing.assert_allclose(loss, recon + 0.5 * kl, rtol=1e-6)
        assert (kl >= 0).all()
    assert history.settings == {"beta": [0.5, 0.5, 0.5]} and history.monitor == "loss"
    assert history.best_epoch == 1 + int(np.argmin(history.test["loss"]))
    assert set(history.as_dict()) >= {"train", "test", "settings", "best_epoch"}


def test_training_lowers_the_loss_and_test_figures_are_measured(data):
    train, test = data
    vae = small_vae()
    torch.manual_seed(0)
    with torch.no_grad():
        before = -vae.elbo(test, n_samples=50).elbo.mean().item()
    history = fit(vae, train, test, epochs=4, batch_size=32, lr=1e-2, progress=False)
    assert history.test["loss"][-1] < before - 1.0
    with torch.no_grad():
        after = -vae.elbo(test, n_samples=50).elbo.mean().item()
    assert after == pytest.approx(history.test["loss"][-1], abs=0.15)  # one-sample estimate in history


def test_beta_can_follow_a_schedule(data):
    history = fit(small_vae(), *data, epochs=3, loss_kwargs={"beta": lambda epoch: epoch / 4}, progress=False)
    assert history.settings["beta"] == [0.25, 0.5, 0.75]
    for split in (history.train, history.test):
        loss, recon, kl = (np.array(split[k]) for k in ("loss", "recon", "kl"))
        np.testing.assert_allclose(loss, recon + np.array(history.settings["beta"]) * kl, rtol=1e-6)
    # the monitored test "loss" is the β-weighted one of each epoch
    assert history.best_epoch == 1 + int(np.argmin(history.test["loss"]))
    with pytest.raises(ValueError, match=r"loss_kwargs\['beta'\]\(2\)"):
        fit(small_vae(), data[0], epochs=3, loss_kwargs={"beta": lambda e: 1.0 if e == 1 else math.nan}, progress=False)
    with pytest.raises(ValueError, match="beta"):  # the model's own check of β
        fit(small_vae(), data[0], epochs=1, loss_kwargs={"beta": -1.0}, progress=False)


def test_without_a_test_set(data):
    history = fit(small_vae(), TensorDataset(data[0]), epochs=2, progress=False)
    assert len(history.train["loss"]) == 2 and history.test == {} and history.best_epoch is None


def test_numpy_data_is_accepted(data):
    history = fit(small_vae(), data[0].numpy(), data[1].numpy(), epochs=1, progress=False)
    assert len(history) == 1


def test_numpy_scalars_are_accepted_as_hyperparameters(data):
    numbers = {
        "epochs": 2,
        "batch_size": 64,
        "lr": float(np.float32(1e-3)),
        "weight_decay": 0.0,
        "loss_kwargs": {"beta": 0.5},
        "grad_clip": 5.0,
        "patience": 3,
        "seed": 1,
    }
    as_numpy = {
        "epochs": np.int64(2),
        "batch_size": np.int32(64),
        "lr": np.float32(1e-3),
        "weight_decay": np.float64(0.0),
        "loss_kwargs": {"beta": np.float32(0.5)},
        "grad_clip": np.float32(5.0),
        "patience": np.int16(3),
        "seed": np.uint8(1),
    }
    runs = []
    for kwargs in (numbers, as_numpy):
        vae = small_vae()
        history = fit(vae, *data, progress=False, **kwargs)
        runs.append(torch.cat([p.detach().flatten() for p in vae.parameters()]))
        assert len(history) == 2 and history.settings["beta"] == [0.5, 0.5]
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


def snapshots_by_epoch() -> tuple[dict, callable]:
    """A callback that keeps a copy of the weights after every epoch, and the dict it fills."""
    saved: dict[int, dict[str, torch.Tensor]] = {}

    def keep(epoch, model, history):
        saved[epoch] = {k: v.detach().clone() for k, v in model.state_dict().items()}

    return saved, keep


def assert_weights_equal(model, state):
    assert model.state_dict().keys() == state.keys()
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_a_nan_loss_restores_the_last_completed_epoch_without_a_test_set(data):
    saved, keep = snapshots_by_epoch()
    model = NanAt(10)  # 4 batches per epoch: call 10 is epoch 3, batch 2 (batch 1 of epoch 3 moved the weights)
    with pytest.raises(FloatingPointError, match=r"epoch 3, batch 2 .*epoch 2 were restored"):
        fit(model, data[0], epochs=4, batch_size=128, lr=1e-2, progress=False, callback=keep)
    assert sorted(saved) == [1, 2]
    assert_weights_equal(model, saved[2])
    assert not model.training


def test_a_nan_loss_restores_the_best_epoch_with_a_test_set(data):
    saved, keep = snapshots_by_epoch()
    best = []

    def keep_then_spoil(epoch, model, history):
        keep(epoch, model, history)
        best.append(history.best_epoch)
        with torch.no_grad():  # a narrower decoder noise: every later epoch has a worse test loss
            model.decoder.net[-1].bias[2:] -= 1.0

    model = NanAt(10)
    with pytest.raises(FloatingPointError, match=r"epoch 3, batch 2 .*best epoch \(1\)"):
        fit(model, *data, epochs=4, batch_size=128, lr=1e-6, progress=False, callback=keep_then_spoil)
    assert best == [1, 1]
    assert_weights_equal(model, saved[1])
    assert not model.training


def test_a_nan_in_the_first_epoch_restores_the_initial_weights(data):
    model = NanAt(3)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(FloatingPointError, match="epoch 1, batch 3"):
        fit(model, *data, epochs=2, batch_size=128, lr=1e-2, progress=False)
    assert_weights_equal(model, initial)
    assert not model.training


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
    assert history.test["loss"][0] < history.test["loss"][1] < history.test["loss"][2]
    assert history.stopped_early
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


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1, "batch_size": 0}, "batch_size"),
        ({"epochs": 1, "lr": -1.0}, "lr"),
        ({"epochs": 1, "grad_clip": 0.0}, "grad_clip"),
        ({"epochs": 1, "loss_kwargs": {"beta": math.nan}}, "beta"),
        ({"epochs": 1, "loss_kwargs": [0.5]}, "loss_kwargs"),
        ({"epochs": 1, "patience": 2}, "needs a test set"),
        ({"epochs": 1, "seed": -1}, "seed"),
    ],
)
def test_bad_arguments_are_value_errors(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(small_vae(), data[0], progress=False, **kwargs)


@pytest.mark.parametrize(
    "train, test, match",
    [
        (torch.tensor([[0.0, math.inf]]), None, "train must be finite"),
        (torch.zeros(0, 2), None, "train must hold N > 0 examples"),
        (torch.zeros(8, 2), torch.zeros(4, 3), "test examples"),
        ([[0.0, 1.0]], None, "train must be a tensor"),
        # issue 11, item 7: values that are not real numbers are refused, naming the argument
        (torch.zeros(8, 2, dtype=torch.complex64), None, "train must hold real numbers, got complex"),
        (np.zeros((8, 2), dtype=np.complex128), None, "train must hold real numbers, got complex"),
        (torch.zeros(8, 2), torch.zeros(4, 2, dtype=torch.complex64), "test must hold real numbers, got complex"),
        (torch.ones(8, 2, dtype=torch.bool), None, "train must hold numbers, got dtype torch.bool"),
        (torch.zeros(8, 2, device="meta"), None, "train is a meta tensor"),
    ],
)
def test_bad_data_are_value_errors(train, test, match):
    with pytest.raises(ValueError, match=match):
        fit(small_vae(), train, test, epochs=1, progress=False)


# ----------------------------------------------------------------------------- any model, not only a VAE
class DiagonalGaussian(torch.nn.Module):
    """A density model N(μ, diag σ²) with parameters μ and log σ: its maximum-likelihood fit is the
    data's mean and (biased) standard deviation."""

    def __init__(self, dim: int):
        super().__init__()
        self.mu = torch.nn.Parameter(torch.zeros(dim))
        self.log_sigma = torch.nn.Parameter(torch.zeros(dim))

    def loss_terms(self, x):
        normal = torch.distributions.Normal(self.mu, self.log_sigma.exp())
        return {"loss": -normal.log_prob(x).sum(-1), "squared_distance": ((x - self.mu) ** 2).sum(-1)}


@pytest.fixture(scope="module")
def gaussian_data():
    g = torch.Generator().manual_seed(0)
    train = torch.tensor([2.0, -1.0]) + torch.tensor([0.5, 3.0]) * torch.randn(1000, 2, generator=g)
    test = torch.tensor([2.0, -1.0]) + torch.tensor([0.5, 3.0]) * torch.randn(200, 2, generator=g)
    return train, test


def test_fit_trains_any_model_with_loss_terms_to_its_maximum_likelihood(gaussian_data):
    train, test = gaussian_data
    model = DiagonalGaussian(2)
    history = fit(model, train, test, epochs=300, batch_size=len(train), lr=0.05, progress=False)
    # the MLE of a diagonal Gaussian in closed form: the mean and the standard deviation (ddof = 0)
    torch.testing.assert_close(model.mu.detach(), train.mean(0), atol=2e-3, rtol=0)
    torch.testing.assert_close(model.log_sigma.detach().exp(), train.std(0, correction=0), atol=0, rtol=2e-3)
    # its History has the model's own terms, one value per epoch
    assert set(history.train) == set(history.test) == {"loss", "squared_distance"}
    assert len(history.train["squared_distance"]) == 300 and history.settings == {}
    mle = torch.distributions.Normal(train.mean(0), train.std(0, correction=0))
    assert history.test["loss"][-1] == pytest.approx(-mle.log_prob(test).sum(-1).mean().item(), rel=1e-3)
    assert history.best_epoch == 1 + int(np.argmin(history.test["loss"]))


def test_fit_cached_trains_any_model_once_then_loads_it(gaussian_data, tmp_path):
    epochs = []

    def cached():
        torch.manual_seed(0)
        model = DiagonalGaussian(2)
        history = fit_cached(
            model,
            *gaussian_data,
            name="gauss",
            directory=tmp_path,
            verbose=False,
            epochs=5,
            lr=0.1,
            progress=False,
            callback=lambda epoch, m, h: epochs.append(epoch),
        )
        return model, history

    trained, history = cached()
    assert epochs == [1, 2, 3, 4, 5] and len(list(tmp_path.glob("gauss-*.pt"))) == 1
    loaded, loaded_history = cached()
    assert epochs == [1, 2, 3, 4, 5]  # loaded, not trained again
    assert loaded_history == history and set(loaded_history.train) == {"loss", "squared_distance"}
    assert_weights_equal(loaded, trained.state_dict())
    assert not torch.equal(loaded.mu, torch.zeros(2)) and not loaded.training


def test_run_config_holds_every_argument_of_fit_that_decides_the_weights(gaussian_data):
    parameters = inspect.signature(fit).parameters
    not_deciding = {"model", "train", "test", "device", "progress", "callback", "test_name"}
    config = run_config(DiagonalGaussian(2), *gaussian_data, epochs=4, lr=0.1)
    assert set(config["fit"]) == set(parameters) - not_deciding
    given = {"epochs": 4, "lr": 0.1}
    for name, value in config["fit"].items():
        expected = given[name] if name in given else parameters[name].default
        if name == "loss_kwargs":  # None and {} are the same run: no keyword arguments
            assert value in ({}, None) and expected in ({}, None)
        else:
            assert value == json.loads(json.dumps(expected)), name


def test_evaluate_is_the_mean_of_every_term_in_eval_mode(gaussian_data):
    train, test = gaussian_data
    model = DiagonalGaussian(2)
    with torch.no_grad():
        model.mu.copy_(torch.tensor([1.0, 0.0]))
        model.log_sigma.copy_(torch.tensor([0.0, 1.0]))
    model.train()
    figures = evaluate(model, test, batch_size=64)
    reference = torch.distributions.Normal(torch.tensor([1.0, 0.0]), torch.tensor([1.0, math.e]))
    assert figures["loss"] == pytest.approx(-reference.log_prob(test).sum(-1).mean().item(), rel=1e-6)
    assert figures["squared_distance"] == pytest.approx(((test - model.mu) ** 2).sum(-1).mean().item(), rel=1e-6)
    assert model.training  # the mode is restored
    assert evaluate(model, test.numpy(), batch_size=7) == pytest.approx(figures, rel=1e-6)
    for bad, match in [
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"batch_size": 2.5}, "batch_size"),
    ]:
        with pytest.raises(ValueError, match=match):
            evaluate(model, test, **bad)
    with pytest.raises(ValueError, match="data must hold real numbers"):
        evaluate(model, test.to(torch.complex64))


def test_a_broken_loss_terms_contract_is_named(gaussian_data):
    train = gaussian_data[0]

    class Scalar(DiagonalGaussian):
        def loss_terms(self, x):
            return {"loss": super().loss_terms(x)["loss"].mean()}

    class NoLoss(DiagonalGaussian):
        def loss_terms(self, x):
            return {"nll": super().loss_terms(x)["loss"]}

    with pytest.raises(ValueError, match=r"loss_terms\(x\)\['loss'\] must be per example"):
        fit(Scalar(2), train, epochs=1, progress=False)
    with pytest.raises(ValueError, match="'loss' entry"):
        fit(NoLoss(2), train, epochs=1, progress=False)
    with pytest.raises(ValueError, match="loss_terms"):
        fit(torch.nn.Linear(2, 2), train, epochs=1, progress=False)
    with pytest.raises(ValueError, match="monitor='kl' is not a term"):
        fit(DiagonalGaussian(2), *gaussian_data, epochs=1, monitor="kl", progress=False)


def test_monitor_picks_the_best_epoch_by_another_term(gaussian_data):
    history = fit(DiagonalGaussian(2), *gaussian_data, epochs=20, lr=0.1, monitor="squared_distance", progress=False)
    assert history.monitor == "squared_distance"
    assert history.best_epoch == 1 + int(np.argmin(history.test["squared_distance"]))


def test_history_round_trips_through_a_dict_and_summarizes(gaussian_data):
    history = fit(DiagonalGaussian(2), *gaussian_data, epochs=3, loss_kwargs=None, progress=False)
    assert History.from_dict(history.as_dict()) == history
    assert "3 epochs" in history.summary() and f"at epoch {history.best_epoch}" in history.summary()
    assert History().summary() == "no epoch trained"
    for bad in ({"train": {}}, [1, 2], {**history.as_dict(), "epoch_seconds": [1.0]}):
        with pytest.raises(ValueError, match=r"History\.as_dict|one value per epoch"):
            History.from_dict(bad)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_fit_on_cuda(data):
    vae = small_vae()
    history = fit(vae, *data, epochs=2, device="cuda", progress=False)
    assert next(vae.parameters()).device.type == "cuda" and len(history) == 2
    assert all(math.isfinite(v) for v in history.test["loss"])


def test_a_schedule_makes_epochs_incomparable_so_no_best_epoch_is_claimed(data):
    """With a β warm-up the test loss of epoch 1 and epoch 3 measure different objectives."""
    warm = fit(small_vae(), *data, epochs=3, loss_kwargs={"beta": lambda epoch: epoch / 3}, progress=False)
    assert not warm.comparable() and "best" not in warm.summary()
    plain = fit(small_vae(), *data, epochs=2, loss_kwargs={"beta": 0.5}, progress=False)
    assert plain.comparable() and f"at epoch {plain.best_epoch}" in plain.summary()


def test_the_held_out_set_is_named_in_the_summary_and_survives_a_checkpoint(tmp_path):
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    model = mlp_vae(2, 2, hidden=(8,))
    history = fit(model, x[:48], x[48:], epochs=2, progress=False, test_name="validation")
    assert history.test_name == "validation" and ", validation loss " in history.summary()
    assert History.from_dict(json.loads(json.dumps(history.as_dict()))).test_name == "validation"
    assert "test_name" not in run_config(model, x, x, epochs=2, test_name="validation")["fit"]  # a label, not a setting
    assert ", test loss " in fit(mlp_vae(2, 2, hidden=(8,)), x[:48], x[48:], epochs=1, progress=False).summary()
