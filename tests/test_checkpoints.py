import json
import warnings

import pytest
import torch

from seminar_utils.checkpoints import (
    CheckpointError, CheckpointWarning, cached_json, config_key, default_checkpoint_dir, fingerprint,
    fit_cached, load_checkpoint, run_config, save_checkpoint,
)
from seminar_utils.models import VAE, MLPDecoder, MLPEncoder
from seminar_utils.training import History

FIT = {"epochs": 2, "batch_size": 16, "lr": 1e-2, "seed": 0, "progress": False}


def make_model(seed: int = 0, hidden=(8,)) -> VAE:
    torch.manual_seed(seed)
    return VAE(MLPEncoder(6, 2, hidden), MLPDecoder(2, 6, hidden, likelihood="bernoulli"),
               likelihood="bernoulli")


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(48, 6, generator=g) > 0.5).float(), (torch.rand(16, 6, generator=g) > 0.5).float()


def run(tmp_path, data, model=None, calls=None, **overrides):
    """fit_cached on a tiny VAE; ``calls`` collects the epochs actually trained."""
    model = make_model() if model is None else model
    calls = [] if calls is None else calls
    kwargs = {**FIT, **overrides}
    history = fit_cached(model, data[0], data[1], name="tiny", directory=tmp_path, verbose=False,
                         callback=lambda epoch, m, h: calls.append(epoch), **kwargs)
    return model, history, calls


def test_second_run_loads_the_same_weights_and_history_without_training(tmp_path, data):
    first, history, calls = run(tmp_path, data)
    assert calls == [1, 2] and len(list(tmp_path.glob("tiny-*.pt"))) == 1
    second, loaded, calls = run(tmp_path, data)
    assert calls == []  # not trained again
    assert loaded == history
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)
    assert not second.training  # eval mode, as after fit


def test_the_loaded_model_is_the_trained_one_not_the_initial_one(tmp_path, data):
    trained, _, _ = run(tmp_path, data)
    fresh = make_model()
    loaded, _, _ = run(tmp_path, data, model=make_model())
    x = data[1]
    torch.manual_seed(5)
    expected = trained.elbo(x).elbo
    torch.manual_seed(5)
    assert torch.allclose(loaded.elbo(x).elbo, expected)
    torch.manual_seed(5)
    assert not torch.allclose(fresh.elbo(x).elbo, expected)


@pytest.mark.parametrize("change", [
    {"overrides": {"epochs": 3}}, {"overrides": {"lr": 5e-3}}, {"overrides": {"seed": 1}},
    {"overrides": {"weight_decay": 1e-4}}, {"overrides": {"beta": 0.5}}, {"overrides": {"batch_size": 8}},
    {"model": lambda: make_model(seed=1)}, {"model": lambda: make_model(hidden=(9,))},
    {"data": lambda d: (d[0][:40], d[1])}, {"data": lambda d: (d[0], 1 - d[1])},
])
def test_a_changed_configuration_retrains(tmp_path, data, change):
    run(tmp_path, data)
    model = change.get("model", make_model)()
    new_data = change.get("data", lambda d: d)(data)
    _, _, calls = run(tmp_path, new_data, model=model, **change.get("overrides", {}))
    assert calls != []
    assert len(list(tmp_path.glob("tiny-*.pt"))) == 2


def test_progress_device_and_callback_do_not_change_the_key(data):
    a = run_config(make_model(), *data, epochs=2, progress=True, device="cpu")
    b = run_config(make_model(), *data, epochs=2, progress=False, callback=print)
    assert config_key(a) == config_key(b)
    assert config_key(a) == config_key(run_config(make_model(), *data, epochs=2, seed=0, lr=1e-3))
    assert config_key(a) != config_key(run_config(make_model(), *data, epochs=3))


def test_a_corrupt_file_is_reported_and_retrained(tmp_path, data):
    run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    path.write_bytes(path.read_bytes()[:100])  # truncated, e.g. an interrupted copy
    with pytest.warns(CheckpointWarning, match="unreadable"):
        model, _, calls = run(tmp_path, data)
    assert calls == [1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, _, calls = run(tmp_path, data)  # rewritten: loads cleanly now
    assert calls == []


def test_a_file_saved_for_another_configuration_is_not_loaded(tmp_path, data):
    model, history, _ = run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    other = run_config(make_model(), *data, epochs=7)
    save_checkpoint(path, model, other, history)  # right name, wrong content
    with pytest.raises(CheckpointError, match="another configuration"):
        load_checkpoint(path, make_model(), run_config(make_model(), *data, **FIT))
    with pytest.warns(CheckpointWarning, match="another configuration"):
        _, _, calls = run(tmp_path, data)
    assert calls == [1, 2]


def test_the_file_holds_plain_tensors_and_the_config_and_loads_weights_only(tmp_path, data):
    run(tmp_path, data)
    (path,) = tmp_path.glob("tiny-*.pt")
    payload = torch.load(path, weights_only=True)
    config = json.loads(payload["config"])
    assert config["fit"]["epochs"] == 2 and config["model"]["class"] == "VAE"
    assert path.name == f"tiny-{config_key(config)}.pt"
    assert all(isinstance(v, torch.Tensor) for v in payload["state_dict"].values())
    assert len(payload["history"]["train_loss"]) == 2
    assert not list(tmp_path.glob("*.partial"))


def test_a_state_dict_of_another_model_is_a_checkpoint_error(tmp_path, data):
    model, history, _ = run(tmp_path, data)
    config = run_config(make_model(hidden=(9,)), *data, **FIT)
    path = save_checkpoint(tmp_path / "x.pt", model, config, history)
    with pytest.raises(CheckpointError, match="does not fit"):
        load_checkpoint(path, make_model(hidden=(9,)), config)


def test_retrain_ignores_an_existing_checkpoint(tmp_path, data):
    run(tmp_path, data)
    calls = []
    fit_cached(make_model(), *data, name="tiny", directory=tmp_path, retrain=True, verbose=False,
               callback=lambda e, m, h: calls.append(e), **FIT)
    assert calls == [1, 2]


def test_messages_say_trained_then_loaded(tmp_path, data, capsys):
    fit_cached(make_model(), *data, name="tiny", directory=tmp_path, **FIT)
    assert "Trained tiny" in capsys.readouterr().out
    history = fit_cached(make_model(), *data, name="tiny", directory=tmp_path, **FIT)
    assert "Loaded tiny" in capsys.readouterr().out
    assert isinstance(history, History)


def test_fingerprint_sees_values_shapes_and_dtypes():
    x = torch.arange(6.0)
    assert fingerprint(x) == fingerprint(x.clone()) == fingerprint(x.numpy())
    assert fingerprint(x) != fingerprint(x.reshape(2, 3))
    assert fingerprint(x) != fingerprint(x.double())
    y = x.clone()
    y[3] += 1e-6
    assert fingerprint(x) != fingerprint(y)
    assert fingerprint(x[::2]) == fingerprint(x[::2].contiguous())


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "../evil"}, "name"), ({"name": "ok", "optimizer": "sgd"}, "optimizer"),
])
def test_bad_arguments_are_value_errors(tmp_path, data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_cached(make_model(), *data, directory=tmp_path, epochs=1, **kwargs)


def test_epochs_are_required(data):
    with pytest.raises(ValueError, match="epochs"):
        run_config(make_model(), *data)


def test_default_directory_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SEMINAR_CHECKPOINT_DIR", str(tmp_path))
    assert default_checkpoint_dir() == tmp_path
    monkeypatch.delenv("SEMINAR_CHECKPOINT_DIR")
    assert default_checkpoint_dir().name == "checkpoints"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_checkpoint_trained_on_cuda_loads_on_the_cpu(tmp_path, data):
    trained, _, _ = run(tmp_path, data, device="cuda")
    loaded, _, calls = run(tmp_path, data)  # device is not part of the key
    assert calls == []
    assert next(loaded.parameters()).device.type == "cpu"
    for a, b in zip(trained.state_dict().values(), loaded.state_dict().values()):
        assert a.device.type == "cuda" and torch.equal(a.cpu(), b)


def test_cached_json_computes_once_per_config(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"nll": 81.5, "k": [1, 2]}

    assert cached_json("m", {"a": 1}, compute, directory=tmp_path) == {"nll": 81.5, "k": [1, 2]}
    assert cached_json("m", {"a": 1}, compute, directory=tmp_path) == {"nll": 81.5, "k": [1, 2]}
    assert len(calls) == 1
    cached_json("m", {"a": 2}, compute, directory=tmp_path)
    assert len(calls) == 2 and len(list(tmp_path.glob("m-*.json"))) == 2


def test_cached_json_recomputes_a_damaged_or_foreign_file(tmp_path):
    cached_json("m", {"a": 1}, lambda: {"v": 1}, directory=tmp_path)
    (path,) = tmp_path.glob("m-*.json")
    path.write_text("{not json")
    with pytest.warns(CheckpointWarning, match="computing again"):
        assert cached_json("m", {"a": 1}, lambda: {"v": 2}, directory=tmp_path) == {"v": 2}
    path.write_text(json.dumps({"config": {"a": 3}, "result": {"v": 3}}))
    with pytest.warns(CheckpointWarning, match="another configuration"):
        assert cached_json("m", {"a": 1}, lambda: {"v": 4}, directory=tmp_path) == {"v": 4}
    assert json.loads(path.read_text())["result"] == {"v": 4}


def test_a_beta_schedule_is_keyed_by_its_values(data):
    def key(beta):
        return config_key(run_config(make_model(), *data, epochs=3, beta=beta))

    assert key(lambda epoch: min(1.0, epoch / 2)) == key(lambda e: min(1.0, e / 2))
    assert key(lambda epoch: min(1.0, epoch / 2)) != key(lambda epoch: min(1.0, epoch / 3))
